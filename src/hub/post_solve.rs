//! What happens to a solver's outcome before it becomes a plan, in one
//! place: the exact assignment polish (when the search leaves a gap), the
//! infeasibility verdict, and the coverage completion of `max-coverage`
//! plans. [`solve_plan`] runs them in that order and is the one way a
//! planning model is solved.

use std::time::Instant;

use super::inputs::School;
use super::model::HubModel;
use super::plan_doc::{Decision, blocker, usage};
use super::scenario::{ObjectiveKind, Scenario};
use super::{PlanError, solve_options};
use crate::plan::{Solution, check};
use crate::problem::{ClientIdx, FacilityIdx};
use crate::solve::{SolveOptions, SolveOutcome, SolverKind, Status, solve};

/// A solved planning model, ready to be assembled into a plan document.
#[derive(Debug, Clone)]
pub struct Solved {
    /// The solver's outcome after the polish and the coverage completion
    /// (its solution and evaluation are those of `decision`).
    pub outcome: SolveOutcome,
    /// Which hubs open and where each small school links.
    pub decision: Decision,
    /// The solver's notes and those of the post-solve steps.
    pub notes: Vec<String>,
}

/// Solves a planning model: the scenario's solver, then, when the search
/// leaves a gap, an exact assignment of the small schools to the hubs it
/// chose (a MIP with the open hubs fixed: a generalised assignment problem
/// with the budget and capacities), kept if it is better; an infeasible
/// outcome becomes [`PlanError::Infeasible`] with the solver's reasons; a
/// `max-coverage` plan then links what small schools it still can
/// ([`complete_coverage`]), checked again by the independent checker.
pub fn solve_plan(model: &HubModel, sc: &Scenario, schools: &[School]) -> Result<Solved, PlanError> {
    solve_plan_with(model, sc, schools, &solve_options(sc))
}

/// [`solve_plan`] with solver options of the caller's (e.g. the scenario's
/// with a [`crate::solve::FrontierCache`] shared by several solves).
pub fn solve_plan_with(
    model: &HubModel,
    sc: &Scenario,
    schools: &[School],
    opts: &SolveOptions,
) -> Result<Solved, PlanError> {
    let opts = opts.clone();
    let start = Instant::now();
    if let Some(arcs) = &model.modal {
        return solve_modal_plan(model, sc, arcs, &opts);
    }
    let out = solve(&model.instance, &opts)?;
    let mut out = polish_assignment(model, sc, &opts, start, out);
    // The polish's time counts, whether or not it improved the plan.
    out.elapsed_s = start.elapsed().as_secs_f64();
    if out.status == Status::Infeasible {
        let mut reasons = out.reasons.clone();
        if reasons.is_empty() {
            reasons.push(format!("the {} solver found no feasible plan", out.solver));
        }
        return Err(PlanError::Infeasible(reasons));
    }
    let mut decision = Decision::from_outcome(model, &out);
    let added = complete_coverage(model, sc, schools, &mut decision);
    let mut notes = out.notes.clone();
    if added > 0 {
        let open: Vec<FacilityIdx> = decision.open.iter_enumerated().filter(|(_, o)| **o).map(|(f, _)| f).collect();
        let sol = Solution::single_source(open, decision.assignment.clone());
        let report = check(&model.instance, &sol, None);
        if !report.violations.is_empty() {
            return Err(PlanError::CoverageBroke(report.violations));
        }
        out.evaluation = report.evaluation;
        out.solution = sol;
        notes.push(format!("{added} small school(s) linked after the solver by greedy insertion"));
    }
    // Forced hubs' cost under `min-cost` (outside the instance, see HubModel::forced).
    let offset = model.objective_offset(sc.objective.kind);
    if offset != 0.0 {
        out.evaluation.objective += offset;
        out.lower_bound = out.lower_bound.map(|b| b + offset);
    }
    Ok(Solved { outcome: out, decision, notes })
}

/// A modal model (link modes, teacher hours) solved by
/// [`crate::solve::solve_modal`], whose plans are checked against the modes
/// and teacher hours; the polish and the coverage completion, which know
/// one cost per link, are not run.
fn solve_modal_plan(
    model: &HubModel,
    sc: &Scenario,
    arcs: &crate::problem::ModalArcs,
    opts: &SolveOptions,
) -> Result<Solved, PlanError> {
    let mut out = crate::solve::solve_modal(&model.instance, arcs, opts)?;
    if out.status == Status::Infeasible {
        let mut reasons = out.reasons.clone();
        if reasons.is_empty() {
            reasons.push(format!("the {} solver found no feasible plan", out.solver));
        }
        return Err(PlanError::Infeasible(reasons));
    }
    let decision = Decision::from_outcome(model, &out);
    let notes = out.notes.clone();
    let offset = model.objective_offset(sc.objective.kind);
    if offset != 0.0 {
        out.evaluation.objective += offset;
        out.lower_bound = out.lower_bound.map(|b| b + offset);
    }
    Ok(Solved { outcome: out, decision, notes })
}

/// Links up to this many are small enough for the exact assignment polish.
const POLISH_MAX_LINKS: usize = 20_000;

/// The exact assignment polish: the search's outcome, improved when the MIP
/// over its open hubs finds a better assignment. It gets at most half the
/// time left and 5 seconds; if it does not finish, the search's plan stands.
fn polish_assignment(
    model: &HubModel,
    sc: &Scenario,
    opts: &SolveOptions,
    start: Instant,
    mut out: SolveOutcome,
) -> SolveOutcome {
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
        let open = out.solution.open.binary_search(&crate::problem::FacilityIdx::new(f)).is_ok();
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

/// `max-coverage` only: links every unlinked small school that can be linked
/// without breaking a rule (largest first, nearest open hub first, then the
/// nearest hub that can open). The solver's plan is normally complete; this
/// makes the `unlinked` list explainable whatever the solver's effort.
pub fn complete_coverage(model: &HubModel, sc: &Scenario, schools: &[School], d: &mut Decision) -> usize {
    if sc.objective.kind != ObjectiveKind::MaxCoverage {
        return 0;
    }
    let inst = &model.instance;
    let mut order: Vec<usize> =
        d.assignment.iter_enumerated().filter(|(_, a)| a.is_none()).map(|(c, _)| c.index()).collect();
    order.sort_by(|&a, &b| inst.clients[b].demand.total_cmp(&inst.clients[a].demand).then(a.cmp(&b)));
    let mut added = 0;
    for c in order {
        let u = usage(model, schools, d);
        let mut by_km = model.links[ClientIdx::new(c)].clone();
        by_km.sort_by(|a, b| (!d.open[a.facility]).cmp(&!d.open[b.facility]).then(a.road_km.total_cmp(&b.road_km)));
        if let Some(l) = by_km.iter().find(|l| blocker(model, sc, schools, d, &u, c, l.facility.index()).is_none()) {
            d.open[l.facility] = true;
            d.assignment[ClientIdx::new(c)] = Some(l.facility);
            added += 1;
        }
    }
    added
}
