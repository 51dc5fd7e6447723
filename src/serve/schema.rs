//! A scenario's own schema for the app's form: every key of
//! [`KNOWN_KEYS`] with its type, its meaning and default as written in the
//! *Keys and defaults* tables of `models/README.md` (read from the file at
//! build time, so the form and the documentation cannot drift apart), its
//! default value and the scenario's value.

use serde::Serialize;
use serde_json::Value;

use crate::hub::LoadedScenario;
use crate::hub::scenario::KNOWN_KEYS;

const MODELS_README: &str = include_str!("../../models/README.md");

/// The documentation of one key, from `models/README.md`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyDoc {
    /// Dotted key.
    pub key: String,
    /// The section (`hubs`), or empty for `name`.
    pub section: String,
    /// How the form edits it: `text`, `path`, `integer`, `number`, `boolean`, `choice`, `list`.
    pub kind: &'static str,
    /// The values of a `choice`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<&'static str>,
    /// The default as the README writes it (`250,000,000`, `no limit`, `required`).
    pub default_text: String,
    /// What it means, as the README writes it (markdown code spans kept).
    pub doc: String,
}

fn kind_of(key: &str) -> (&'static str, Vec<&'static str>) {
    match key {
        "name" | "data.schools_sheet" => ("text", vec![]),
        "objective.kind" => ("choice", vec!["max-coverage", "min-distance", "min-cost"]),
        "links.unknown_internet" => ("choice", vec!["no", "yes"]),
        // An array of tables: the form leaves it to the scenario's TOML text.
        "links.modes" => ("list", vec![]),
        "solver.kind" => ("choice", vec!["auto", "heuristic", "mip"]),
        k if k.starts_with("data.") => ("path", vec![]),
        "links.within_district" | "solver.decompose" | "rollout.carry_over" | "rollout.stable_links" => {
            ("boolean", vec![])
        }
        "rollout.years"
        | "rollout.year_weights"
        | "rollout.budget_kzt"
        | "rollout.max_new"
        | "hubs.force"
        | "hubs.forbid" => ("list", vec![]),
        "hubs.min_per_district"
        | "hubs.max_per_district"
        | "hubs.max_new"
        | "hubs.min_students"
        | "hubs.capacity_small_schools"
        | "hubs.capacity_students"
        | "small_schools.max_students"
        | "small_schools.digital_room_min_students"
        | "solver.seed"
        | "solver.threads" => ("integer", vec![]),
        _ => ("number", vec![]),
    }
}

/// The rows `| \`key\` | default | meaning |` of the README's key tables.
fn readme_rows() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for line in MODELS_README.lines() {
        let Some(rest) = line.strip_prefix("| `") else { continue };
        let cells: Vec<&str> = rest.split(" | ").collect();
        if cells.len() < 3 {
            continue;
        }
        let Some(key) = cells[0].strip_suffix('`') else { continue };
        if !KNOWN_KEYS.contains(&key) {
            continue;
        }
        let doc = cells[2..].join(" | ");
        let doc = doc.trim_end().trim_end_matches('|').trim_end();
        out.push((key.to_string(), cells[1].trim().to_string(), doc.to_string()));
    }
    out
}

/// Every known key with its documentation, in the order of [`KNOWN_KEYS`].
pub fn key_docs() -> Vec<KeyDoc> {
    let rows = readme_rows();
    KNOWN_KEYS
        .iter()
        .map(|&key| {
            let (kind, choices) = kind_of(key);
            let (default_text, doc) = rows
                .iter()
                .find(|r| r.0 == key)
                .map(|r| (r.1.clone(), r.2.clone()))
                .unwrap_or_else(|| (String::new(), String::new()));
            let section = key.split_once('.').map(|(s, _)| s.to_string()).unwrap_or_default();
            KeyDoc { key: key.into(), section, kind, choices, default_text, doc }
        })
        .collect()
}

/// A dotted key's value in a serialised scenario (`null` when absent).
pub fn value_at(v: &Value, key: &str) -> Value {
    let mut at = v;
    for part in key.split('.') {
        match at.get(part) {
            Some(x) => at = x,
            None => return Value::Null,
        }
    }
    at.clone()
}

/// One key of a scenario for the form: its documentation, default and value.
#[derive(Debug, Clone, Serialize)]
pub struct KeyField {
    /// The documentation.
    #[serde(flatten)]
    pub doc: KeyDoc,
    /// The default value (`null`: none, i.e. no limit, or required).
    pub default: Value,
    /// The scenario's value (`null`: not set, or no limit).
    pub value: Value,
}

/// Every key of `loaded`, with its value and default.
pub fn fields(loaded: &LoadedScenario) -> Vec<KeyField> {
    let value = serde_json::to_value(&loaded.scenario).unwrap_or(Value::Null);
    let defaults = LoadedScenario::parse("[data]\nschools = \"x.csv\"\n[rollout]\nyears = [0, 1]\n", &loaded.file, &[])
        .map(|d| serde_json::to_value(&d.scenario).unwrap_or(Value::Null))
        .or_else(|_| serde_json::to_value(&loaded.scenario))
        .unwrap_or(Value::Null);
    key_docs()
        .into_iter()
        .map(|doc| {
            let default = match doc.key.as_str() {
                // Required, the file name, or no rollout.
                "data.schools" | "name" | "rollout.years" => Value::Null,
                k => value_at(&defaults, k),
            };
            let value = value_at(&value, &doc.key);
            KeyField { doc, default, value }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_key_has_its_meaning_and_default_from_the_models_readme() {
        let docs = key_docs();
        assert_eq!(docs.len(), KNOWN_KEYS.len());
        for d in &docs {
            assert!(!d.doc.is_empty(), "`{}` has no row in models/README.md", d.key);
            assert!(!d.default_text.is_empty(), "`{}` has no default in models/README.md", d.key);
        }
        let budget = docs.iter().find(|d| d.key == "budget.kzt").unwrap();
        assert_eq!((budget.kind, budget.default_text.as_str()), ("number", "no limit"));
        let kind = docs.iter().find(|d| d.key == "objective.kind").unwrap();
        assert_eq!(kind.choices, ["max-coverage", "min-distance", "min-cost"]);
    }

    #[test]
    fn fields_carry_value_and_default() {
        let loaded = LoadedScenario::parse(
            "[data]\nschools = \"s.csv\"\n[hubs]\ncost_kzt = 1e8\n",
            "/w/models/s.toml".as_ref(),
            &[],
        )
        .unwrap();
        let f = fields(&loaded);
        let cost = f.iter().find(|f| f.doc.key == "hubs.cost_kzt").unwrap();
        assert_eq!((cost.value.as_f64(), cost.default.as_f64()), (Some(1e8), Some(250_000_000.0)));
        let stable = f.iter().find(|f| f.doc.key == "rollout.stable_links").unwrap();
        assert_eq!((&stable.value, &stable.default), (&Value::Null, &Value::Bool(true)));
        let schools = f.iter().find(|f| f.doc.key == "data.schools").unwrap();
        assert_eq!(schools.value, Value::String("s.csv".into()));
    }
}
