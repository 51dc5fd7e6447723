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

pub mod inputs;
pub mod model;
pub mod plan_doc;
pub mod scenario;
pub mod sources;
pub mod sweep;
#[cfg(test)]
mod tests;
pub mod verify;
pub mod violation;
pub mod write;

use std::path::PathBuf;
use std::time::Instant;

pub use inputs::{Inputs, School};
pub use model::{HubModel, build_model};
pub use plan_doc::{Decision, PlanDoc, Reason};
pub use scenario::{LoadedScenario, ObjectiveKind, Scenario, ScenarioError};
pub use violation::PlanViolation;

use crate::error::InputErrors;
use crate::network::NetworkError;
use crate::network::progress::Progress;
use crate::plan::{Solution, check};
use crate::solve::{SolveError, SolveOptions, SolverKind, Status, solve};

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error(transparent)]
    Input(#[from] InputErrors),
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
    #[error(transparent)]
    Solve(#[from] SolveError),
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
    pub inputs_s: f64,
    pub model_s: f64,
    pub solve_s: f64,
    pub assemble_s: f64,
}

/// A finished plan with what it was made from.
pub struct PlanRun {
    pub loaded: LoadedScenario,
    pub inputs: Inputs,
    pub model: HubModel,
    pub decision: Decision,
    pub doc: PlanDoc,
    pub times: StageTimes,
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
        ..SolveOptions::default()
    }
}

/// Links up to this many are small enough for the exact assignment polish.
const POLISH_MAX_LINKS: usize = 20_000;

/// Solves a planning model: the scenario's solver, then, when the search
/// leaves a gap, an exact assignment of the small schools to the hubs it
/// chose (a MIP with the open hubs fixed: a generalised assignment problem
/// with the budget and capacities), kept if it is better. The polish gets at
/// most half the time left and 5 seconds; if it does not finish, the search's
/// plan stands.
pub fn solve_model(model: &HubModel, sc: &Scenario) -> Result<crate::solve::SolveOutcome, PlanError> {
    let opts = solve_options(sc);
    let start = Instant::now();
    let out = solve(&model.instance, &opts)?;
    let mut out = polish_assignment(model, sc, &opts, start, out);
    // The polish's time counts, whether or not it improved the plan.
    out.elapsed_s = start.elapsed().as_secs_f64();
    Ok(out)
}

/// The exact assignment polish of [`solve_model`]: the search's outcome,
/// improved when the MIP over its open hubs finds a better assignment.
fn polish_assignment(
    model: &HubModel,
    sc: &Scenario,
    opts: &SolveOptions,
    start: Instant,
    mut out: crate::solve::SolveOutcome,
) -> crate::solve::SolveOutcome {
    let inst = &model.instance;
    if out.status != Status::Feasible || opts.solver == SolverKind::Mip || inst.costs.n_links() > POLISH_MAX_LINKS {
        return out;
    }
    let left = sc.solver.time_limit_s - start.elapsed().as_secs_f64();
    let limit = (left / 2.0).min(5.0);
    if limit < 0.1 {
        return out;
    }
    let mut sub = inst.clone();
    let mut charged = 0.0;
    for (f, fac) in sub.facilities.iter_mut().enumerate() {
        let open = out.solution.open.binary_search(&f).is_ok();
        if open {
            charged += fac.budget_charge();
        }
        fac.fixed_open = open;
        fac.forbidden = !open;
    }
    sub.budget = inst.budget.map(|b| (b - charged).max(0.0));
    sub.groups.clear();
    sub.min_open = None;
    sub.max_open = None;
    let sub_opts = SolveOptions { solver: SolverKind::Mip, time_limit: Some(limit), ..opts.clone() };
    let exact = match solve(&sub, &sub_opts) {
        Ok(e) if matches!(e.status, Status::Optimal | Status::Feasible | Status::TimeLimit) => e,
        _ => {
            out.notes.push(format!(
                "exact assignment to the chosen hubs: no assignment found within {limit:.1} s; the search's stands"
            ));
            return out;
        }
    };
    let sol = Solution::single_source(out.solution.open.clone(), exact.solution.assignment.clone());
    let report = check(inst, &sol, None);
    if report.violations.is_empty()
        && report.evaluation.objective < out.objective() - 1e-9 * out.objective().abs().max(1.0)
    {
        out.notes.push(format!(
            "exact assignment to the chosen hubs ({}) improved the objective from {} to {}",
            exact.status.as_str(),
            out.objective(),
            report.evaluation.objective
        ));
        out.evaluation = report.evaluation;
        out.solution = sol;
        out.solver = format!("{}+exact-assignment", out.solver);
        if out.lower_bound.is_some_and(|lb| lb >= out.objective() - 1e-9 * out.objective().abs().max(1.0)) {
            out.status = Status::Optimal;
        }
    } else {
        let verdict = if exact.status == Status::Optimal {
            "is already optimal for them"
        } else {
            "was not improved within the time given"
        };
        out.notes.push(format!("exact assignment to the chosen hubs: the search's assignment {verdict}"));
    }
    out
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
    let model = build_model(sc, &inputs.schools, &inputs.table)?;
    times.model_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let out = solve_model(&model, sc)?;
    times.solve_s = t.elapsed().as_secs_f64();
    if out.status == Status::Infeasible {
        let mut reasons = out.reasons.clone();
        if reasons.is_empty() {
            reasons.push(format!("the {} solver found no feasible plan", out.solver));
        }
        return Err(PlanError::Infeasible(reasons));
    }
    let t = Instant::now();
    let mut decision = Decision::from_outcome(&model, &out);
    let added = plan_doc::complete_coverage(&model, sc, &inputs.schools, &mut decision);
    let mut out = out;
    let mut notes = out.notes.clone();
    if added > 0 {
        let open: Vec<usize> = (0..decision.open.len()).filter(|&f| decision.open[f]).collect();
        let sol = Solution::single_source(open, decision.assignment.clone());
        let report = check(&model.instance, &sol, None);
        if !report.violations.is_empty() {
            return Err(PlanError::CoverageBroke(report.violations));
        }
        out.evaluation = report.evaluation;
        out.solution = sol;
        notes.push(format!("{added} small school(s) linked after the solver by greedy insertion"));
    }
    let assembly = plan_doc::Assembly {
        sc,
        schools: &inputs.schools,
        model: &model,
        paths: inputs.paths.clone(),
        approx: inputs.table.is_approx(),
        sources: sources::sources(&inputs.paths),
    };
    let doc = plan_doc::assemble(&assembly, &decision, &out, notes);
    times.assemble_s = t.elapsed().as_secs_f64();
    Ok(PlanRun { loaded, inputs, model, decision, doc, times })
}
