//! `hubplan explain`: why one school has its place in a plan.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use hubplan::hub::explain::{Explanation, KeyChange, explain_with};
use hubplan::hub::verify::read_plan;
use hubplan::hub::{LoadedScenario, PlanOptions, plan};

use super::common::{Bar, shown};
use super::exit;
use super::plan::cache_dir;

#[derive(Args)]
pub struct ExplainArgs {
    /// The scenario file the plan was made from.
    pub scenario: PathBuf,
    /// The plan directory (with plan.json); its recorded scenario settings are used.
    pub dir: PathBuf,
    /// The school to explain (its id in the schools file).
    #[arg(long)]
    pub school: String,
    /// Print the explanation as JSON.
    #[arg(long)]
    pub json: bool,
    /// Cache folder for distance tables (as for `plan`).
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    /// Compute distances even if cached, and do not store them.
    #[arg(long)]
    pub no_cache: bool,
}

pub fn run(a: ExplainArgs) -> anyhow::Result<ExitCode> {
    let fail = |msg: String| {
        eprintln!("error: {msg}");
        Ok(ExitCode::from(exit::ERROR))
    };
    if let Err(e) = LoadedScenario::load(&a.scenario) {
        return fail(e.to_string());
    }
    let doc = match read_plan(&a.dir) {
        Ok(d) => d,
        Err(e) => return fail(e.to_string()),
    };
    // The plan's own settings (its --set overrides included), with the
    // scenario file anchoring the data paths.
    let loaded = LoadedScenario { scenario: doc.scenario.clone(), file: a.scenario.clone() };
    let opts = PlanOptions { cache_dir: cache_dir(&a.cache_dir, a.no_cache) };
    let run = match plan(loaded, &opts, &Bar::new()) {
        Ok(r) => r,
        Err(e) => return fail(format!("{}: {e}", shown(&a.scenario))),
    };
    fn same(d: &hubplan::hub::PlanDoc) -> Vec<(&str, Option<&str>)> {
        let mut v: Vec<(&str, Option<&str>)> = d.hubs.iter().map(|h| (h.school_id.as_str(), None)).collect();
        v.extend(d.links.iter().map(|l| (l.small_school_id.as_str(), Some(l.hub_id.as_str()))));
        v.sort_unstable();
        v
    }
    if same(&run.doc) != same(&doc) {
        eprintln!(
            "warning: planning {} again with the settings of {} gives a different plan (other data, or another hubplan); the explanation is of the plan made now",
            shown(&a.scenario),
            shown(&a.dir)
        );
    }
    let file = a.scenario.clone();
    let replan = |sc: hubplan::hub::Scenario| {
        let loaded = LoadedScenario { scenario: sc, file: file.clone() };
        plan(loaded, &opts, &hubplan::network::progress::Silent).map(|r| r.doc)
    };
    let e = match explain_with(&run, &a.school, Some(&replan)) {
        Ok(e) => e,
        Err(e) => return fail(format!("--school {}: {e}", a.school)),
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&e)?);
    } else {
        print!("{}", text(&e));
    }
    Ok(ExitCode::SUCCESS)
}

fn change_line(c: &KeyChange) -> String {
    format!("  {} {} → {}: {}\n", c.key, c.from, c.to, c.detail)
}

/// The explanation for people.
pub fn text(e: &Explanation) -> String {
    let mut out = String::new();
    let name = |s: &hubplan::hub::explain::SchoolRef| format!("{} ({}, {})", s.name, s.id, s.district);
    match e {
        Explanation::Hub { school, status, worth, serves, limits } => {
            out.push_str(&format!("{} is a {status} hub of the plan.\n", name(school)));
            if let Some(w) = worth {
                out.push_str(&format!("worth      regret {} — {}\n", w.regret_text(), w.detail));
            }
            let students: u32 = serves.iter().map(|s| s.1).sum();
            out.push_str(&format!("serves     {} small schools, {students} students:", serves.len()));
            for (id, n, km) in serves {
                out.push_str(&format!(" {id} ({n}, {km:.1} km)"));
            }
            out.push('\n');
            for l in limits {
                out.push_str(&format!(
                    "limit      {}: {} of {}{}\n",
                    l.key,
                    l.used,
                    l.limit,
                    if l.binds { " — binds: an unlinked small school in reach does not fit" } else { "" }
                ));
            }
        }
        Explanation::Candidate { school, detail, .. } => {
            out.push_str(&format!(
                "{} is a hub candidate the plan does not open.\nif forced   {detail}\n",
                name(school)
            ));
        }
        Explanation::Unlinked { school, reason, detail, changes } => {
            out.push_str(&format!("{} is not linked: {reason} — {detail}\n", name(school)));
            if !changes.is_empty() {
                out.push_str("changes of one key, each planned again:\n");
                for c in changes {
                    out.push_str(&change_line(c));
                }
            }
        }
        Explanation::Linked { school, hub, road_km, nearer } => {
            out.push_str(&format!("{} is linked to {} at {road_km:.1} km.\n", name(school), name(hub)));
            if nearer.is_empty() {
                out.push_str("no other hub or candidate within reach is nearer.\n");
            }
            for n in nearer {
                out.push_str(&format!("nearer     {} at {:.1} km: {}\n", name(&n.hub), n.road_km, n.why_not));
            }
        }
        Explanation::Other { school, detail } => out.push_str(&format!("{}: {detail}\n", name(school))),
    }
    out
}
