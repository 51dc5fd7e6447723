//! `hubplan plan` and `hubplan check-plan`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use hubplan::hub::alternatives::{AlternativeOptions, alternatives};
use hubplan::hub::checks::DataWarning;
use hubplan::hub::inputs::read_inputs;
use hubplan::hub::plan_doc::PlanDoc;
use hubplan::hub::verify::{check_plan_and_data, read_plan};
use hubplan::hub::worth::add_worth;
use hubplan::hub::write::{write_doc_dir, write_plan_dir};
use hubplan::hub::{LoadedScenario, ObjectiveKind, PlanError, StageTimes, plan_with_inputs};
use hubplan::network::cache;
use hubplan::report::format::{self, mkzt};
use hubplan::report::html::write_report;

use super::common::{Bar, shown};
use super::exit;

#[derive(Args)]
pub struct PlanArgs {
    /// The scenario file (TOML; see models/README.md).
    pub scenario: PathBuf,
    /// Write the plan directory here (plan.json, hubs.csv, links.csv, unlinked.csv, plan.xlsx, plan.geojson, report.html).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace an existing output directory.
    #[arg(long)]
    pub force: bool,
    /// Override solver.threads (0 = one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub run: ScenarioOverrides,
    /// Print plan.json on stdout instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// Print timings per stage.
    #[arg(short, long)]
    pub verbose: bool,
    /// Skip valuing each new hub (its regret and runner-up: one more solve
    /// per new hub, with the district decomposition only of its district).
    #[arg(long)]
    pub no_worth: bool,
    /// Also find up to K alternative plans, each the best plan within --within % of the best
    /// plan's figure that differs from it and from the earlier alternatives in at least
    /// --min-difference hubs; written to DIR/alternatives/alt-N/.
    #[arg(long, value_name = "K")]
    pub alternatives: Option<usize>,
    /// With --alternatives: each within this percentage of the best plan's figure.
    #[arg(long, default_value_t = 1.0, value_name = "PCT")]
    pub within: f64,
    /// With --alternatives: each differs from the best plan and from every earlier
    /// alternative in at least this many new hubs.
    #[arg(long, default_value_t = 1, value_name = "H")]
    pub min_difference: usize,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum SolverArg {
    Auto,
    Heuristic,
    Mip,
}

/// `key=value` pairs from `--set`.
pub fn parse_sets(sets: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    sets.iter()
        .map(|s| {
            s.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| anyhow::anyhow!("--set expects KEY=VALUE, found `{s}`"))
        })
        .collect()
}

/// Scenario overrides and the distance cache, shared by `plan` and `sweep`.
#[derive(clap::Args)]
pub struct ScenarioOverrides {
    /// Override `key=value` in the scenario (dotted keys, e.g. budget.kzt=3e9); repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Override solver.seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override solver.kind.
    #[arg(long, value_enum)]
    pub solver: Option<SolverArg>,
    /// Override solver.time_limit_s.
    #[arg(long)]
    pub time_limit: Option<f64>,
    /// Cache folder for distance tables [default: $HUBPLAN_CACHE_DIR, $XDG_CACHE_HOME/hubplan or ~/.cache/hubplan].
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    /// Compute distances even if cached, and do not store them.
    #[arg(long)]
    pub no_cache: bool,
    /// The sheet of a spreadsheet schools file to read (sets data.schools_sheet; default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
}

/// `data.schools_sheet` set to `sheet`, as a TOML string.
pub fn sheet_override(sheet: &str) -> (String, String) {
    ("data.schools_sheet".into(), toml::Value::String(sheet.into()).to_string())
}

impl ScenarioOverrides {
    /// The `--set` pairs followed by the solver flags as scenario keys.
    pub fn overrides(&self) -> anyhow::Result<Vec<(String, String)>> {
        let mut sets = parse_sets(&self.set)?;
        if let Some(s) = self.seed {
            sets.push(("solver.seed".into(), s.to_string()));
        }
        if let Some(t) = self.time_limit {
            sets.push(("solver.time_limit_s".into(), t.to_string()));
        }
        if let Some(k) = self.solver {
            let k = match k {
                SolverArg::Auto => "auto",
                SolverArg::Heuristic => "heuristic",
                SolverArg::Mip => "mip",
            };
            sets.push(("solver.kind".into(), format!("\"{k}\"")));
        }
        if let Some(sheet) = &self.sheet {
            sets.push(sheet_override(sheet));
        }
        Ok(sets)
    }

    /// The cache folder to use, or none with `--no-cache`.
    pub fn cache(&self) -> Option<PathBuf> {
        cache_dir(&self.cache_dir, self.no_cache)
    }
}

pub fn cache_dir(dir: &Option<PathBuf>, no_cache: bool) -> Option<PathBuf> {
    if no_cache { None } else { Some(dir.clone().unwrap_or_else(cache::default_dir)) }
}

fn exit_for(e: &PlanError) -> u8 {
    match e {
        PlanError::Infeasible(_) => exit::INFEASIBLE,
        _ => exit::ERROR,
    }
}

pub fn run(a: PlanArgs) -> anyhow::Result<ExitCode> {
    let mut sets = a.run.overrides()?;
    if let Some(t) = a.threads {
        sets.push(("solver.threads".into(), t.to_string()));
    }
    if let Some(out) = &a.out
        && out.exists()
        && !a.force
    {
        eprintln!("error: {} already exists; pass --force to replace it", shown(out));
        return Ok(ExitCode::from(exit::ERROR));
    }
    let loaded = match LoadedScenario::load_with(&a.scenario, &sets) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(exit::ERROR));
        }
    };
    let t = std::time::Instant::now();
    let inputs = match read_inputs(&loaded, a.run.cache().as_deref(), &Bar::new()) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {}: {e}", shown(&a.scenario));
            return Ok(ExitCode::from(exit_for(&e)));
        }
    };
    let times = StageTimes { inputs_s: t.elapsed().as_secs_f64(), ..StageTimes::default() };
    let schools_note =
        inputs.schools_format.note().map(|n| format!("schools    {}: {n}", shown(&inputs.paths.schools)));
    let data_lines = warning_lines(&inputs.warnings);
    let mut run = match plan_with_inputs(loaded, inputs, times) {
        Ok(r) => r,
        Err(e) => {
            // What the data checks found may be why no plan was made.
            for line in schools_note.iter().chain(&data_lines) {
                eprintln!("{line}");
            }
            eprintln!("error: {}: {e}", shown(&a.scenario));
            return Ok(ExitCode::from(exit_for(&e)));
        }
    };
    let mut worth_s = None;
    if !a.no_worth && run.loaded.scenario.rollout.is_none() {
        match add_worth(&mut run, &Bar::new()) {
            Ok(s) => worth_s = Some(s),
            Err(e) => {
                eprintln!("error: {}: valuing the hubs: {e}", shown(&a.scenario));
                return Ok(ExitCode::from(exit_for(&e)));
            }
        }
    }
    let mut found = None;
    if let Some(k) = a.alternatives {
        if run.loaded.scenario.rollout.is_some() {
            eprintln!("error: --alternatives is not available for a rollout (`[rollout]`) yet");
            return Ok(ExitCode::from(exit::ERROR));
        }
        if a.min_difference == 0 || !(a.within.is_finite() && a.within >= 0.0) {
            eprintln!("error: --min-difference must be at least 1 and --within a percentage ≥ 0");
            return Ok(ExitCode::from(exit::ERROR));
        }
        let o = AlternativeOptions {
            count: k,
            within: a.within / 100.0,
            min_difference: a.min_difference,
            ..Default::default()
        };
        let t = std::time::Instant::now();
        match alternatives(&run, &o) {
            Ok(f) => {
                run.doc.alternatives = hubplan::hub::alternatives::rows(&run.doc, &f);
                if a.verbose {
                    eprintln!("timings    alternatives {:.2}s ({} plans solved)", t.elapsed().as_secs_f64(), f.solves);
                }
                found = Some(f);
            }
            Err(e) => {
                eprintln!("error: {}: alternatives: {e}", shown(&a.scenario));
                return Ok(ExitCode::from(exit_for(&e)));
            }
        }
    }
    if let Some(out) = &a.out {
        // The report is rendered from the staged files, so it shows exactly what is written;
        // the alternatives are written inside the staged directory too.
        let report = |dir: &Path| write_report(dir, None).map(|_| ()).map_err(std::io::Error::other);
        let finish = |dir: &Path| -> std::io::Result<()> {
            report(dir)?;
            for (alt, row) in found.iter().flat_map(|f| f.plans.iter().zip(&run.doc.alternatives)) {
                let to = dir.join("alternatives").join(&row.name);
                std::fs::create_dir_all(dir.join("alternatives"))?;
                write_doc_dir(&alt.variant.doc, &run.inputs.schools, &to, false, Some(&report))
                    .map_err(std::io::Error::other)?;
            }
            Ok(())
        };
        write_plan_dir(&run, out, a.force, Some(&finish))?;
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&run.doc)?);
        for line in schools_note.iter().chain(&data_lines) {
            eprintln!("{line}");
        }
    } else {
        print_summary(&run.doc);
        if let (Some(f), Some(k)) = (&found, a.alternatives)
            && f.plans.len() < k
        {
            println!("           {} of {k} found: {}", f.plans.len(), f.note);
        }
        if let Some(note) = &schools_note {
            println!("{note}");
        }
        if run.inputs.table_from_cache {
            println!("distances  from cache {}", run.inputs.cache_file.as_deref().map(shown).unwrap_or_default());
        }
        if let Some(out) = &a.out {
            println!("written    {}", shown(out));
        }
    }
    if a.verbose {
        let t = &run.times;
        eprintln!(
            "timings    inputs+distances {:.2}s · model {:.2}s · solve {:.2}s · assemble {:.2}s",
            t.inputs_s, t.model_s, t.solve_s, t.assemble_s
        );
        if let Some(s) = worth_s {
            eprintln!("timings    hub worth {s:.2}s");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A distance for the terminal table: [`format::km`], or `-` without one.
fn km(v: Option<f64>) -> String {
    v.map(format::km).unwrap_or_else(|| "-".into())
}

/// `writeln!` into a `String` (which cannot fail).
macro_rules! outln {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}

/// Prints [`summary`].
pub fn print_summary(doc: &PlanDoc) {
    print!("{}", summary(doc));
}

/// The terminal summary: a per-district table, totals, budget use, the
/// plan's quality in the planner's unit, and the solver's internal figures.
pub fn summary(doc: &PlanDoc) -> String {
    let mut out = String::new();
    outln!(out, "scenario   {}", doc.scenario.name);
    outln!(
        out,
        "model      {} · links ≤ {} km{} · distances {}",
        doc.scenario.objective.kind.as_str(),
        doc.scenario.links.max_road_km,
        if doc.scenario.links.within_district { " within district" } else { "" },
        doc.inputs.distances
    );
    out.push('\n');
    outln!(
        out,
        "{:<24} {:>5} {:>4} {:>13} {:>9} {:>8} {:>8} {:>10}",
        "district",
        "hubs",
        "new",
        "linked/small",
        "students",
        "mean km",
        "max km",
        "cost MKZT"
    );
    for d in &doc.districts {
        outln!(
            out,
            "{:<24} {:>5} {:>4} {:>13} {:>9} {:>8} {:>8} {:>10}",
            truncate(&d.district, 24),
            d.hubs,
            d.new_hubs,
            format!("{}/{}", d.linked_small_schools, d.small_schools),
            d.linked_students,
            km(d.mean_km),
            km(d.max_km),
            mkzt(d.cost_kzt)
        );
    }
    let t = &doc.totals;
    outln!(
        out,
        "{:<24} {:>5} {:>4} {:>13} {:>9} {:>8} {:>8} {:>10}",
        "total",
        t.hubs,
        t.new_hubs,
        format!("{}/{}", t.linked_small_schools, t.small_schools),
        t.linked_students,
        km(t.mean_km),
        km(t.max_km),
        mkzt(t.cost_kzt)
    );
    out.push('\n');
    let budget = match t.budget_kzt {
        Some(b) if b > 0.0 => format!("of KZT {} million budget ({:.1}%)", mkzt(b), 100.0 * t.cost_kzt / b),
        Some(_) => "of a zero budget".into(),
        None => "(no budget limit)".into(),
    };
    outln!(
        out,
        "cost       KZT {} million: hubs {} + rooms {} {budget}",
        mkzt(t.cost_kzt),
        mkzt(t.hub_cost_kzt),
        mkzt(t.room_cost_kzt)
    );
    outln!(
        out,
        "coverage   {} of {} small schools, {} of {} students; {:.0} student-km; visits KZT {} million a year",
        t.linked_small_schools,
        t.small_schools,
        t.linked_students,
        t.small_school_students,
        t.student_km,
        mkzt(t.yearly_visit_cost_kzt)
    );
    mode_lines(&mut out, doc);
    let mut reasons = std::collections::BTreeMap::new();
    for u in &doc.unlinked {
        *reasons.entry(u.reason.as_str()).or_insert(0usize) += 1;
    }
    if !reasons.is_empty() {
        let r: Vec<String> = reasons.iter().map(|(k, v)| format!("{k} {v}")).collect();
        outln!(out, "unlinked   {} ({})", doc.unlinked.len(), r.join(", "));
    }
    if let Some(r) = &doc.rollout {
        rollout_summary(&mut out, r);
    }
    let quality = doc.quality();
    outln!(out, "quality    {}", quality.sentence());
    if let Some(n) = quality.never_linkable_sentence() {
        outln!(out, "           {n}");
    }
    outln!(out, "solution   {} · {} · seed {} · {:.2}s", doc.status, doc.solver, doc.seed, doc.elapsed_s);
    let internal = match doc.scenario.objective.kind {
        ObjectiveKind::MaxCoverage if doc.rollout.is_some() => "penalty × unlinked weighted student-years + student-km",
        ObjectiveKind::MaxCoverage => "penalty × unlinked students + student-km",
        ObjectiveKind::MinDistance => "student-km",
        ObjectiveKind::MinCost => "KZT",
    };
    outln!(
        out,
        "internal   objective {:.6e} · bound {} · gap {} ({internal}; the quality line is in planner units)",
        doc.internal_objective,
        doc.internal_lower_bound.map(|b| format!("{b:.6e}")).unwrap_or_else(|| "-".into()),
        doc.internal_gap.map(|g| format!("{:.3}%", 100.0 * g)).unwrap_or_else(|| "-".into()),
    );
    worth_lines(&mut out, doc);
    alternative_lines(&mut out, doc);
    for line in warning_lines(&doc.warnings) {
        outln!(out, "{line}");
    }
    out
}

/// With link modes: a line per mode (schools, students, teacher hours,
/// student-km), then the teacher hours used and available over all hubs
/// and the hub using the largest share of its own.
fn mode_lines(out: &mut String, doc: &PlanDoc) {
    let t = &doc.totals;
    for (i, m) in t.modes.iter().enumerate() {
        outln!(
            out,
            "{}{:<10} {} small schools, {} students; {} teacher hours a year; {:.0} student-km",
            if i == 0 { "modes      " } else { "           " },
            m.mode,
            m.linked_small_schools,
            m.linked_students,
            format::thousands(m.teacher_hours),
            m.student_km
        );
    }
    let used = t.teacher_hours.or_else(|| {
        let h: Vec<f64> = doc.hubs.iter().filter_map(|h| h.teacher_hours).collect();
        (!h.is_empty()).then(|| h.iter().sum())
    });
    let Some(used) = used else { return };
    let limited: Vec<(&str, f64, f64)> = doc
        .hubs
        .iter()
        .filter_map(|h| h.teacher_hours_available.map(|a| (h.school_id.as_str(), h.teacher_hours.unwrap_or(0.0), a)))
        .collect();
    let mut line = format!("teachers   {} hours a year", format::thousands(used));
    if !limited.is_empty() {
        let available: f64 = limited.iter().map(|x| x.2).sum();
        line.push_str(&format!(
            " · {} available at {} of {} hubs ({:.0}% used)",
            format::thousands(available),
            limited.len(),
            doc.hubs.len(),
            if available > 0.0 { 100.0 * limited.iter().map(|x| x.1).sum::<f64>() / available } else { 0.0 }
        ));
        if let Some((id, u, a)) =
            limited.iter().filter(|x| x.2 > 0.0).max_by(|x, y| (x.1 / x.2).total_cmp(&(y.1 / y.2)).then(y.0.cmp(x.0)))
        {
            line.push_str(&format!("; fullest hub {id} {} / {}", format::thousands(*u), format::thousands(*a)));
        }
    }
    if let Some(pay) = t.yearly_teacher_pay_kzt {
        line.push_str(&format!("; pay KZT {} million a year", mkzt(pay)));
    }
    outln!(out, "{line}");
}

/// At most this many data warnings are printed; `plan.json` lists every one.
const WARNINGS_SHOWN: usize = 20;

/// One `warning` line per data warning: the whole region first, then
/// districts without a boundary, then schools by how far outside their
/// district they lie (farthest first); at most [`WARNINGS_SHOWN`], after a
/// line with the count when there are more.
pub fn warning_lines(warnings: &[DataWarning]) -> Vec<String> {
    let rank = |w: &DataWarning| match w {
        DataWarning::OutsideRegion { .. } => (0, 0.0),
        DataWarning::DistrictWithoutBoundary { .. } => (1, 0.0),
        DataWarning::OutsideOwnDistrict { km, .. } => (2, -km),
    };
    let mut order: Vec<&DataWarning> = warnings.iter().collect();
    order.sort_by(|a, b| {
        let (x, y) = (rank(a), rank(b));
        x.0.cmp(&y.0).then(x.1.total_cmp(&y.1))
    });
    let mut lines = Vec::new();
    if warnings.len() > WARNINGS_SHOWN {
        lines.push(format!(
            "warnings   {} about the data, the {WARNINGS_SHOWN} most serious below; plan.json and plan.xlsx list every one",
            warnings.len()
        ));
    }
    lines.extend(order.iter().take(WARNINGS_SHOWN).map(|w| format!("warning    {w}")));
    lines
}

/// The rollout's years, joint and year by year, and what joint planning gains.
fn rollout_summary(out: &mut String, r: &hubplan::hub::rollout::doc::RolloutDoc) {
    outln!(
        out,
        "rollout    {:<6} {:>5} {:>7} {:>10} {:>12} {:>10} {:>10} | {:>12} {:>5}",
        "year",
        "new",
        "linked",
        "students",
        "student-km",
        "spend MKZT",
        "may MKZT",
        "y-b-y stud.",
        "new"
    );
    let none = Vec::new();
    let yby = r.year_by_year.as_ref().map_or(&none, |y| &y.per_year);
    for (i, j) in r.per_year.iter().enumerate() {
        let y = yby.get(i);
        outln!(
            out,
            "           {:<6} {:>5} {:>7} {:>10} {:>12.0} {:>10} {:>10} | {:>12} {:>5}",
            j.year,
            j.new_hubs,
            j.linked_small_schools,
            j.linked_students,
            j.student_km,
            mkzt(j.spend_kzt),
            j.available_kzt.map(mkzt).unwrap_or_else(|| "-".into()),
            y.map_or("-".into(), |y| y.linked_students.to_string()),
            y.map_or("-".into(), |y| y.new_hubs.to_string())
        );
    }
    match (&r.year_by_year, &r.year_by_year_note) {
        (Some(yb), _) => outln!(
            out,
            "joint      {:.0} student-years, {:.0} student-km; year by year {:.0} student-years, {:.0} student-km: joint planning gains {:.0} student-years",
            r.quality.student_years,
            r.quality.student_km,
            yb.student_years,
            yb.student_km,
            yb.joint_gain_student_years
        ),
        (None, note) => outln!(
            out,
            "joint      {:.0} student-years, {:.0} student-km; year by year: no plan ({})",
            r.quality.student_years,
            r.quality.student_km,
            note.as_deref().unwrap_or("none")
        ),
    }
    let late: Vec<String> = r
        .districts
        .iter()
        .filter(|d| d.small_schools > 0 && d.existing_hubs == 0)
        .map(|d| format!("{} {}", d.district, d.first_hub_year.map_or("-".to_string(), |y| y.to_string())))
        .collect();
    if !late.is_empty() {
        outln!(
            out,
            "first hub  {} (districts without a hub today; `-`: none by the final year)",
            truncate(&late.join(", "), 400)
        );
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { s.chars().take(n - 1).collect::<String>() + "…" }
}

#[derive(Args)]
pub struct CheckPlanArgs {
    /// The scenario file the plan was made from.
    pub scenario: PathBuf,
    /// The plan directory (with plan.json).
    pub dir: PathBuf,
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    #[arg(long)]
    pub no_cache: bool,
    /// The sheet of a spreadsheet schools file to read (sets data.schools_sheet; default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
}

pub fn run_check(a: CheckPlanArgs) -> anyhow::Result<ExitCode> {
    let sets: Vec<(String, String)> = a.sheet.as_deref().map(sheet_override).into_iter().collect();
    let loaded = match LoadedScenario::load_with(&a.scenario, &sets) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(exit::ERROR));
        }
    };
    let doc = match read_plan(&a.dir) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(exit::ERROR));
        }
    };
    let checked = match check_plan_and_data(&loaded, &doc, cache_dir(&a.cache_dir, a.no_cache).as_deref(), &Bar::new())
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(exit::ERROR));
        }
    };
    if let Some(note) = checked.schools_format.note() {
        println!("schools    {note}");
    }
    for line in warning_lines(&checked.warnings) {
        println!("{line}");
    }
    let v = checked.violations;
    if v.is_empty() {
        println!(
            "valid      {}: {} hubs, {} links, {} unlinked, every rule of {} holds",
            shown(&a.dir),
            doc.hubs.len(),
            doc.links.len(),
            doc.unlinked.len(),
            shown(Path::new(&a.scenario))
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!("INVALID    {}: {} violation(s)", shown(&a.dir), v.len());
        for x in &v {
            println!("  - {x} [{}]", x.code());
        }
        Ok(ExitCode::from(exit::VIOLATION))
    }
}

/// The "why these hubs" lines: each new hub's regret and runner-up, the
/// hubs with the most at stake first (all of them in hubs.csv and the report).
fn worth_lines(out: &mut String, doc: &PlanDoc) {
    let rows = hubplan::hub::worth::by_stake(&doc.hubs);
    if rows.is_empty() {
        return;
    }
    let exact = rows.iter().filter(|(_, w)| w.method == "exact").count();
    outln!(
        out,
        "hub worth  {} new hubs valued by re-solving without each ({exact} exact); regret = what the best plan without it loses:",
        rows.len()
    );
    const SHOWN: usize = 10;
    for (h, w) in rows.iter().take(SHOWN) {
        let regret = w.regret_text();
        let runner = w.runner_up_name.as_deref().map_or("no runner-up".to_string(), |n| format!("runner-up {n}"));
        outln!(
            out,
            "           {:<28} {:<18} {:<34} {}",
            truncate(&h.name, 28),
            truncate(&h.district, 18),
            regret,
            runner
        );
    }
    if rows.len() > SHOWN {
        outln!(out, "           … {} more in hubs.csv and report.html", rows.len() - SHOWN);
    }
}

/// The alternatives, one line each: figure, difference, hubs swapped.
fn alternative_lines(out: &mut String, doc: &PlanDoc) {
    if doc.alternatives.is_empty() {
        return;
    }
    let m = doc.quality().measure;
    outln!(out, "alternatives (written to alternatives/alt-N/):");
    for r in &doc.alternatives {
        let sign = if r.delta < 0.0 { "−" } else { "+" };
        outln!(
            out,
            "           {:<6} {} ({sign}{}), KZT {} m{} · opens {} · drops {}",
            r.name,
            m.amount(r.value),
            format::thousands(r.delta.abs()),
            mkzt(r.cost_kzt),
            if r.proven { ", proven best of its kind" } else { "" },
            r.hubs_added.join(", "),
            r.hubs_dropped.join(", ")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fixture plan `b` reshaped into the national plan's profile: many
    /// students linked, few left, and a bound 12.8% below the internal
    /// objective. That gap is almost all penalty: in students it is 13 of
    /// 26,000.
    fn large_internal_small_student_gap() -> PlanDoc {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plans/b");
        let mut doc = read_plan(&dir).expect("fixture b reads");
        // s5's 40 students have no hub in reach; 100 linkable ones are unlinked.
        doc.totals.small_school_students = 26_140;
        doc.totals.linked_students = 26_000;
        doc.penalty_per_student = Some(1e6);
        let obj = 100.0 * 1e6 + 3_560.0;
        let lb = obj * (1.0 - 0.128);
        doc.internal_objective = obj;
        doc.internal_lower_bound = Some(lb);
        doc.internal_gap = Some((obj - lb) / obj);
        doc.status = "feasible".into();
        doc.quality = None;
        doc.quality = Some(doc.quality());
        doc
    }

    #[test]
    fn the_summary_states_the_gap_in_students_beside_the_internal_one() {
        let text = summary(&large_internal_small_student_gap());
        // ⌊LB / P⌋ = ⌊87.2⌋ = 87 of the plan's 100 unlinked: at most 13 more.
        let want = "quality    linked 26,000 students · proven upper bound 26,013 · at most 13 more (0.05%) \
                    · 3,560 student-km (bounded once coverage is proven)\n";
        assert!(text.contains(want), "{text}");
        assert!(
            text.contains("           40 students in small schools with no hub in reach can never be linked"),
            "{text}"
        );
        let internal = "internal   objective 1.000036e8 · bound 8.720310e7 · gap 12.800% \
                        (penalty × unlinked students + student-km; the quality line is in planner units)\n";
        assert!(text.contains(internal), "{text}");
        // The internal gap is never printed before the planner's.
        assert!(text.find("quality ").unwrap() < text.find("gap 12.800%").unwrap());
    }

    #[test]
    fn plan_json_records_the_gap_in_students_and_the_internal_one_by_name() {
        let json = serde_json::to_value(large_internal_small_student_gap()).unwrap();
        let q = &json["quality"];
        assert_eq!(q["measure"], "linked_students");
        assert_eq!(
            (q["value"].as_f64(), q["bound"].as_f64(), q["gap"].as_f64()),
            (Some(26_000.0), Some(26_013.0), Some(13.0))
        );
        assert!((q["relative_gap"].as_f64().unwrap() - 13.0 / 26_000.0).abs() < 1e-12);
        assert_eq!(q["proven"], false);
        assert_eq!(q["never_linkable_students"], 40);
        assert_eq!(q["tie_break"]["bound"], serde_json::Value::Null);
        assert!((json["internal_gap"].as_f64().unwrap() - 0.128).abs() < 1e-12);
        for old in ["objective", "lower_bound", "gap", "coverage_proven"] {
            assert!(json.get(old).is_none(), "`{old}` is written");
        }
    }

    #[test]
    fn the_summary_has_a_line_per_mode_and_the_teacher_hours() {
        let mut doc = large_internal_small_student_gap();
        let plain = summary(&doc);
        assert!(!plain.contains("modes ") && !plain.contains("teachers "), "{plain}");
        use hubplan::hub::plan_doc::ModeTotal;
        doc.totals.modes = vec![
            ModeTotal {
                mode: "visits".into(),
                linked_small_schools: 3,
                linked_students: 120,
                teacher_hours: 1_250.0,
                student_km: 2_400.0,
            },
            ModeTotal {
                mode: "online".into(),
                linked_small_schools: 2,
                linked_students: 60,
                teacher_hours: 80.0,
                student_km: 0.0,
            },
        ];
        doc.totals.teacher_hours = Some(1_330.0);
        doc.totals.yearly_teacher_pay_kzt = Some(3e6);
        for (i, h) in doc.hubs.iter_mut().enumerate() {
            h.teacher_hours = Some(if i == 0 { 900.0 } else { 430.0 / (i as f64) });
            h.teacher_hours_available = Some(1_000.0);
        }
        let text = summary(&doc);
        assert!(
            text.contains(concat!(
                "modes      visits     3 small schools, 120 students; 1,250 teacher hours a year; 2400 student-km\n",
                "           online     2 small schools, 60 students; 80 teacher hours a year; 0 student-km\n"
            )),
            "{text}"
        );
        let hub = &doc.hubs[0].school_id;
        assert!(text.contains("teachers   1,330 hours a year · "), "{text}");
        assert!(text.contains(&format!("; fullest hub {hub} 900 / 1,000; pay KZT 3.0 million a year\n")), "{text}");
    }
}
