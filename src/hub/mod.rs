//! Hub-school planning: which schools become hubs, which small schools link
//! to which hub, under budget, capacity, district and road-distance limits.
//!
//! ```text
//! scenario.toml ─ scenario ─┐
//! schools.csv, roads, districts ─ inputs (distance table, cached) ─ model ─ solve ─ plan_doc ─ write
//!                                                                          └─ verify (check-plan)
//! ```
//!
//! The model is written down in `models/README.md`; [`model`] maps it onto
//! the engine's one instance type, so every solver and the checker apply.

pub mod alternatives;
pub mod checks;
pub mod explain;
pub mod inputs;
pub mod model;
#[cfg(test)]
mod modes_tests;
pub mod plan_doc;
pub mod post_solve;
pub mod quality;
pub mod rollout;
pub mod scenario;
pub mod sources;
pub mod sweep;
#[cfg(test)]
mod tests;
pub mod verify;
pub mod violation;
pub mod workbook;
pub mod worth;
pub mod write;

use std::path::PathBuf;
use std::time::Instant;

pub use inputs::{Inputs, School};
pub use model::{HubModel, build_model};
pub use plan_doc::{Decision, PlanDoc, Reason};
pub use post_solve::{Solved, solve_plan};
pub use quality::{Measure, PlanQuality, TieBreak, plan_quality};
pub use scenario::{LoadedScenario, ObjectiveKind, Scenario, ScenarioError};
pub use violation::PlanViolation;

use crate::error::InputErrors;
use crate::network::NetworkError;
use crate::network::progress::Progress;
use crate::problem::FacilityIdx;
use crate::solve::{SolveError, SolveOptions, SolverKind};

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The scenario file is unreadable or invalid (every problem, with its key and line).
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// A data file the scenario names (schools, districts, existing hubs, equipped schools) is
    /// unreadable or invalid.
    #[error(transparent)]
    Input(#[from] InputErrors),
    /// The road distances between schools could not be computed.
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// The scenario cannot be planned as written (names the district or rule).
    #[error("the scenario cannot be planned: {}", model::join(.0))]
    Model(Vec<model::ModelProblem>),
    /// Linking small schools after the solver broke a rule of the model: a bug.
    #[error("internal error: completing coverage broke a rule: {0:?}")]
    CoverageBroke(Vec<crate::plan::check::Violation>),
    /// No plan meets every rule; the reasons say why.
    #[error("no plan meets every rule:\n  - {}", .0.join("\n  - "))]
    Infeasible(Vec<String>),
    /// The solver could not run or return a checked result.
    #[error(transparent)]
    Solve(#[from] SolveError),
    /// A multi-year rollout (`[rollout]`) could not be planned.
    #[error(transparent)]
    Rollout(#[from] rollout::RolloutError),
}

/// Options of a planning run that are not part of the scenario.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Where distance tables are cached (`None`: no cache).
    pub cache_dir: Option<PathBuf>,
}

/// Seconds spent in each stage.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct StageTimes {
    /// Reading the schools and districts and computing (or loading) the distance table.
    pub inputs_s: f64,
    /// Building the facility-location model from the scenario and the distances.
    pub model_s: f64,
    /// Solving, including linking the remaining small schools afterwards (all years of a rollout).
    pub solve_s: f64,
    /// Assembling the plan document (`plan.json`).
    pub assemble_s: f64,
}

/// A finished plan with what it was made from.
pub struct PlanRun {
    /// The scenario as loaded, with its file.
    pub loaded: LoadedScenario,
    /// The schools, district boundaries and distance table it was planned on.
    pub inputs: Inputs,
    /// The facility-location model built from them.
    pub model: HubModel,
    /// The open hubs and each small school's hub (for a rollout: the final year's network).
    pub decision: Decision,
    /// The plan document, as written to `plan.json`.
    pub doc: PlanDoc,
    /// Seconds spent in each stage.
    pub times: StageTimes,
    /// The district blocks the plan's solve computed, kept for the solves
    /// that follow it (the worth of each hub, `explain`, alternatives).
    pub frontier_cache: crate::solve::FrontierCache,
}

/// Solver options implied by a scenario.
pub fn solve_options(sc: &Scenario) -> SolveOptions {
    SolveOptions {
        solver: match sc.solver.kind {
            scenario::SolverChoice::Auto => SolverKind::Auto,
            scenario::SolverChoice::Heuristic => SolverKind::Heuristic,
            scenario::SolverChoice::Mip => SolverKind::Mip,
        },
        time_limit: Some(sc.solver.time_limit_s),
        seed: sc.solver.seed,
        threads: sc.solver.threads,
        backend: crate::solve::Backend::best_available(),
        decompose: sc.solver.decompose,
        ..SolveOptions::default()
    }
}

/// Plans a scenario: reads its data, computes (or reuses) the distances,
/// solves, and assembles the plan document.
pub fn plan(loaded: LoadedScenario, opts: &PlanOptions, progress: &dyn Progress) -> Result<PlanRun, PlanError> {
    let mut times = StageTimes::default();
    let t = Instant::now();
    let inputs = inputs::read_inputs(&loaded, opts.cache_dir.as_deref(), progress)?;
    times.inputs_s = t.elapsed().as_secs_f64();
    plan_with_inputs(loaded, inputs, times)
}

/// [`plan`] on inputs already read (a sweep shares one distance table).
pub fn plan_with_inputs(loaded: LoadedScenario, inputs: Inputs, mut times: StageTimes) -> Result<PlanRun, PlanError> {
    let sc = &loaded.scenario;
    let t = Instant::now();
    check_hub_choices(&loaded, &inputs.schools)?;
    let model = build_model(sc, &inputs.schools, &inputs.table)?;
    times.model_s = t.elapsed().as_secs_f64();
    if let Some(rules) = rollout::RolloutRules::from_scenario(sc) {
        return plan_rollout_with_inputs(loaded.clone(), inputs, model, rules, times);
    }
    let t = Instant::now();
    let frontier_cache = crate::solve::FrontierCache::default();
    let opts = SolveOptions { frontier_cache: Some(frontier_cache.clone()), ..solve_options(sc) };
    let Solved { outcome: out, decision, notes } = post_solve::solve_plan_with(&model, sc, &inputs.schools, &opts)?;
    times.solve_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let assembly = assembly(sc, &inputs, &model);
    let doc = plan_doc::assemble(&assembly, &decision, &out, notes);
    times.assemble_s = t.elapsed().as_secs_f64();
    Ok(PlanRun { loaded, inputs, model, decision, doc, times, frontier_cache })
}

/// Plans school rows held in memory under a scenario held in memory — the
/// library's face for callers without files (a web form, a notebook, a
/// test). The rows are resolved and checked as a schools file is (see
/// [`inputs::inputs_in_memory`]); distances are straight lines ×
/// `links.detour_factor`, and the scenario's `[data]` files are not read.
///
/// ```
/// use hubplan::hub::{LoadedScenario, plan_in_memory};
/// use hubplan::io::schools::parse_schools;
/// use hubplan::io::schools::SchoolsUse;
/// use hubplan::error::Problems;
///
/// let scenario = "[data]\nschools = \"schools.csv\"\n[hubs]\nmin_per_district = 0\n[links]\nmax_road_km = 40\n";
/// let loaded = LoadedScenario::parse(scenario, "scenario.toml".as_ref(), &[]).unwrap();
/// let csv = "id,name,district,lat,lon,students\n\
///            H,Hub school,D,50.00,57.00,600\n\
///            a,Village a,D,50.05,57.05,60\n\
///            b,Village b,D,50.10,57.10,45\n\
///            c,Far village,D,51.50,59.00,30\n";
/// let rows = parse_schools(csv.as_bytes(), SchoolsUse::Planning, Problems::new("schools.csv".as_ref())).unwrap();
/// let run = plan_in_memory(loaded, rows).unwrap();
/// // H becomes the hub and links a and b (105 students); c is out of reach.
/// assert_eq!(run.doc.hubs.len(), 1);
/// assert_eq!(run.doc.hubs[0].school_id, "H");
/// assert_eq!(run.doc.totals.linked_students, 105);
/// assert_eq!(run.doc.unlinked[0].small_school_id, "c");
/// assert!(run.doc.quality().proven);
/// ```
pub fn plan_in_memory(loaded: LoadedScenario, rows: Vec<crate::io::schools::SchoolRow>) -> Result<PlanRun, PlanError> {
    let mut times = StageTimes::default();
    let t = Instant::now();
    let inputs = inputs::inputs_in_memory(&loaded, rows, &crate::network::progress::Silent)?;
    times.inputs_s = t.elapsed().as_secs_f64();
    plan_with_inputs(loaded, inputs, times)
}

/// `hubs.force` and `hubs.forbid` checked against the schools: one problem
/// per id that names no school, forced school that is no candidate, or
/// forbidden existing hub, each with its key in the scenario file.
pub fn check_hub_choices(loaded: &LoadedScenario, schools: &[School]) -> Result<(), PlanError> {
    let found = model::hub_choice_problems(&loaded.scenario, schools);
    if found.is_empty() {
        return Ok(());
    }
    let mut problems = crate::error::Problems::new(&loaded.file);
    for (key, code, message) in found {
        problems.push(crate::error::Location::Key(key.into()), code, message);
    }
    problems.fail().map_err(|e| PlanError::Scenario(ScenarioError(e)))
}

/// Rollout options implied by a scenario: `auto` decomposes by district and
/// tries the time-indexed MIP on small models; `mip` runs the MIP only;
/// `heuristic` never runs the MIP.
pub fn rollout_options(sc: &Scenario) -> rollout::RolloutOptions {
    let solve = solve_options(sc);
    let (decompose, mip_max_links) = match sc.solver.kind {
        scenario::SolverChoice::Auto => (sc.solver.decompose, 6_000),
        scenario::SolverChoice::Mip => (false, usize::MAX),
        scenario::SolverChoice::Heuristic => (sc.solver.decompose, 0),
    };
    rollout::RolloutOptions { solve, decompose, mip_max_links }
}

/// [`plan_with_inputs`] for a scenario with `[rollout]`: the joint plan and
/// the year-by-year plan; `plan.json` describes the final year's network with
/// the year each hub opens and each small school is linked, and the rollout.
fn plan_rollout_with_inputs(
    loaded: LoadedScenario,
    inputs: Inputs,
    model: HubModel,
    rules: rollout::RolloutRules,
    mut times: StageTimes,
) -> Result<PlanRun, PlanError> {
    let sc = &loaded.scenario;
    let t = Instant::now();
    let rm = rollout::RolloutModel::new(&model, rules, &inputs.schools);
    let opts = rollout_options(sc);
    let result = rollout::plan_rollout(&rm, &opts)?;
    times.solve_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let decision = result.joint.decision.final_year(&rm);
    let open: Vec<FacilityIdx> = decision.open.iter_enumerated().filter(|(_, o)| **o).map(|(f, _)| f).collect();
    let solution = crate::plan::Solution::single_source(open, decision.assignment.clone());
    let report = crate::plan::check(&model.instance, &solution, None);
    let threads = if opts.solve.threads == 0 {
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    } else {
        opts.solve.threads
    };
    let out = crate::solve::SolveOutcome {
        solution,
        evaluation: report.evaluation,
        lower_bound: None,
        status: crate::solve::Status::Feasible,
        solver: result.joint.method.clone(),
        seed: opts.solve.seed,
        threads,
        elapsed_s: times.solve_s,
        stats: Default::default(),
        reasons: Vec::new(),
        infeasibility_proven: false,
        notes: Vec::new(),
        modes: None,
    };
    let assembly = assembly(sc, &inputs, &model);
    let mut doc = plan_doc::assemble(&assembly, &decision, &out, result.joint.notes.clone());
    rollout::doc::add_rollout(&mut doc, &rm, &inputs.schools, &result);
    times.assemble_s = t.elapsed().as_secs_f64();
    drop(rm);
    Ok(PlanRun { loaded, inputs, model, decision, doc, times, frontier_cache: Default::default() })
}

/// What assembling `plan.json` needs from a scenario's inputs and model.
fn assembly<'a>(sc: &'a Scenario, inputs: &'a Inputs, model: &'a HubModel) -> plan_doc::Assembly<'a> {
    plan_doc::Assembly {
        sc,
        schools: &inputs.schools,
        model,
        paths: inputs.paths.clone(),
        approx: inputs.table.is_approx(),
        sources: sources::sources(&inputs.paths),
        warnings: inputs.warnings.clone(),
    }
}
