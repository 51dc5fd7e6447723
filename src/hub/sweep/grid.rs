//! The cases of a sweep: `--vary` arguments, the cartesian grid of their
//! values over the scenario files, and a portable folder name for each case.

use std::collections::HashMap;
use std::path::PathBuf;

use super::{SweepError, VaryProblem};
use crate::hub::scenario::{KNOWN_KEYS, LoadedScenario, nearest_key};

/// One `--vary key=v1,v2,…` argument.
#[derive(Debug, Clone, PartialEq)]
pub struct Vary {
    /// A dotted scenario key (one of [`KNOWN_KEYS`]).
    pub key: String,
    /// The values, as written (TOML values; bare words are strings).
    pub values: Vec<String>,
}

impl Vary {
    /// Parses `key=v1,v2,v3`, checking the key against the scenario's keys.
    ///
    /// ```
    /// use hubplan::hub::sweep::Vary;
    /// let v = Vary::parse("budget.kzt=3e9, 4e9").unwrap();
    /// assert_eq!((v.key.as_str(), v.values.len()), ("budget.kzt", 2));
    /// assert!(Vary::parse("budget.kz=3e9").unwrap_err().to_string().contains("budget.kzt"));
    /// ```
    pub fn parse(arg: &str) -> Result<Vary, SweepError> {
        let bad = |problem: VaryProblem| SweepError::Vary { arg: arg.to_string(), problem };
        let (key, values) = arg.split_once('=').ok_or_else(|| bad(VaryProblem::Syntax))?;
        let key = key.trim();
        if !KNOWN_KEYS.contains(&key) {
            return Err(bad(VaryProblem::UnknownKey { key: key.to_string(), nearest: nearest_key(key) }));
        }
        if key == "solver.threads" {
            return Err(bad(VaryProblem::Threads));
        }
        let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
        if let Some(i) = values.iter().position(String::is_empty) {
            return Err(bad(VaryProblem::EmptyValue { key: key.to_string(), position: i + 1 }));
        }
        for (i, v) in values.iter().enumerate() {
            if values[..i].contains(v) {
                return Err(bad(VaryProblem::ValueTwice { key: key.to_string(), value: v.clone() }));
            }
        }
        Ok(Vary { key: key.to_string(), values })
    }
}

/// One scenario of a sweep, loaded with its varied values.
#[derive(Debug, Clone)]
pub struct SweepCase {
    /// Folder name of its plan directory: derived from the parameters,
    /// filesystem-safe and unique within the sweep.
    pub name: String,
    /// The scenario file.
    pub file: PathBuf,
    /// What distinguishes it: `("scenario", file stem)` when several files
    /// are swept, then each varied key with its value as written.
    pub params: Vec<(String, String)>,
    /// The scenario with the overrides applied (and validated).
    pub loaded: LoadedScenario,
}

/// The cases of a sweep: every scenario file × the cartesian grid of the
/// `vary` values (the first `vary` varies slowest), with the `common`
/// overrides (e.g. `solver.seed`) applied to all. Every case is loaded and
/// validated here, before any work.
pub fn expand(files: &[PathBuf], vary: &[Vary], common: &[(String, String)]) -> Result<Vec<SweepCase>, SweepError> {
    if files.is_empty() {
        return Err(SweepError::Empty);
    }
    for (i, v) in vary.iter().enumerate() {
        let arg = format!("{}={}", v.key, v.values.join(","));
        if vary[..i].iter().any(|w| w.key == v.key) {
            return Err(SweepError::Vary { arg, problem: VaryProblem::KeyTwice { key: v.key.clone() } });
        }
        if common.iter().any(|(k, _)| *k == v.key) {
            return Err(SweepError::Vary { arg, problem: VaryProblem::AlsoSet { key: v.key.clone() } });
        }
    }
    let mut grid: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for v in vary {
        grid = grid
            .into_iter()
            .flat_map(|prefix| {
                v.values.iter().map(move |value| {
                    let mut p = prefix.clone();
                    p.push((v.key.clone(), value.clone()));
                    p
                })
            })
            .collect();
    }
    let several = files.len() > 1;
    let mut cases = Vec::new();
    let mut taken: HashMap<String, usize> = HashMap::new();
    for file in files {
        let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "scenario".into());
        for point in &grid {
            let mut overrides = common.to_vec();
            overrides.extend(point.iter().cloned());
            let mut loaded = LoadedScenario::load_with(file, &overrides)?;
            let mut params = Vec::new();
            if several {
                params.push(("scenario".to_string(), stem.clone()));
            }
            params.extend(point.iter().map(|(k, v)| (k.clone(), unquote(v).to_string())));
            if !point.is_empty() {
                let shown: Vec<String> = point.iter().map(|(k, v)| format!("{k}={}", unquote(v))).collect();
                loaded.scenario.name = format!("{} [{}]", loaded.scenario.name, shown.join(", "));
            }
            let raw = if params.is_empty() {
                stem.clone()
            } else {
                params
                    .iter()
                    .map(|(k, v)| if k == "scenario" { v.clone() } else { format!("{k}={v}") })
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let name = unique(safe_name(&raw), &mut taken);
            cases.push(SweepCase { name, file: file.clone(), params, loaded });
        }
    }
    Ok(cases)
}

fn unquote(v: &str) -> &str {
    let t = v.trim();
    for q in ['"', '\''] {
        if let Some(inner) = t.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    t
}

/// Longest folder name kept whole; longer ones are cut and given a hash.
const MAX_NAME: usize = 96;

/// A folder name from `raw`: letters, digits and `._=,+-` kept, anything
/// else (path separators, spaces, quotes, non-ASCII) replaced by `_`; never
/// hidden, never empty, at most `MAX_NAME` (96) bytes.
pub fn safe_name(raw: &str) -> String {
    let mut s: String =
        raw.chars().map(|c| if c.is_ascii_alphanumeric() || "._=,+-".contains(c) { c } else { '_' }).collect();
    if s.is_empty() || s.starts_with('.') {
        s.insert(0, '_');
    }
    if s.len() > MAX_NAME {
        let hash = xxhash_rust::xxh3::xxh3_64(raw.as_bytes());
        s.truncate(MAX_NAME - 17);
        s = format!("{s}-{hash:016x}");
    }
    s
}

/// `name`, or `name-2`, `name-3`… if taken (compared without case, for
/// case-insensitive file systems).
fn unique(name: String, taken: &mut HashMap<String, usize>) -> String {
    let mut candidate = name.clone();
    let mut n = 1;
    while taken.contains_key(&candidate.to_lowercase()) {
        n += 1;
        candidate = format!("{name}-{n}");
    }
    taken.insert(candidate.to_lowercase(), n);
    candidate
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::Path;

    use super::*;

    fn scenario_file(dir: &Path) -> PathBuf {
        let p = dir.join("s.toml");
        fs::write(&p, "[data]\nschools = \"s.csv\"\n").unwrap();
        p
    }

    #[test]
    fn vary_rejects_unknown_duplicate_and_empty() {
        let e = Vary::parse("links.max_road_kms=1,2").unwrap_err().to_string();
        assert!(e.contains("links.max_road_kms") && e.contains("`links.max_road_km`"), "{e}");
        assert!(Vary::parse("budget.kzt").unwrap_err().to_string().contains("KEY=VALUE"));
        assert!(Vary::parse("budget.kzt=1,,2").unwrap_err().to_string().contains("empty"));
        assert!(Vary::parse("budget.kzt=1,1").unwrap_err().to_string().contains("twice"));
        assert!(Vary::parse("solver.threads=1,2").is_err());
    }

    #[test]
    fn expand_makes_the_cartesian_grid_with_unique_safe_names() {
        let dir = tempfile::tempdir().unwrap();
        let f = scenario_file(dir.path());
        let vary = [Vary::parse("budget.kzt=3e9,4e9").unwrap(), Vary::parse("links.max_road_km=80,100,120").unwrap()];
        let cases = expand(std::slice::from_ref(&f), &vary, &[]).unwrap();
        assert_eq!(cases.len(), 6);
        assert_eq!(cases[0].name, "budget.kzt=3e9,links.max_road_km=80");
        assert_eq!(cases[5].name, "budget.kzt=4e9,links.max_road_km=120");
        assert_eq!(cases[4].loaded.scenario.budget.kzt, Some(4e9));
        assert_eq!(cases[4].loaded.scenario.links.max_road_km, 100.0);
        let names: std::collections::HashSet<_> = cases.iter().map(|c| c.name.clone()).collect();
        assert_eq!(names.len(), 6);
        // A bad value fails up front, naming the key.
        let bad = [Vary::parse("budget.kzt=-1,2").unwrap()];
        let e = expand(std::slice::from_ref(&f), &bad, &[]).unwrap_err().to_string();
        assert!(e.contains("budget.kzt"), "{e}");
        // A key set twice is refused.
        let seed = [Vary::parse("solver.seed=1,2").unwrap()];
        assert!(expand(std::slice::from_ref(&f), &seed, &[("solver.seed".into(), "3".into())]).is_err());
    }

    #[test]
    fn several_files_get_a_scenario_parameter_and_distinct_names() {
        let dir = tempfile::tempdir().unwrap();
        let f = scenario_file(dir.path());
        let sub = dir.path().join("sub");
        fs::create_dir(&sub).unwrap();
        let g = scenario_file(&sub);
        let cases = expand(&[f, g], &[], &[]).unwrap();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].params, vec![("scenario".to_string(), "s".to_string())]);
        assert_eq!((cases[0].name.as_str(), cases[1].name.as_str()), ("s", "s-2"));
    }

    #[test]
    fn safe_names_keep_to_portable_characters() {
        assert_eq!(safe_name("objective.kind=min-cost"), "objective.kind=min-cost");
        assert_eq!(safe_name("data.schools=../x y/s.csv"), "data.schools=.._x_y_s.csv");
        assert_eq!(safe_name(".hidden"), "_.hidden");
        let long = safe_name(&"k=v,".repeat(60));
        assert!(long.len() <= MAX_NAME, "{}", long.len());
        assert_ne!(long, safe_name(&"k=v,".repeat(61)), "cut names stay distinct");
    }
}
