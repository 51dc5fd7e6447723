//! The exact model through good_lp: pure-Rust `microlp` by default, HiGHS with
//! the `highs` cargo feature. Sparse by construction: one assignment variable
//! per allowed link, never a dense client × facility block by accident.
//!
//! ```text
//! min  Σ_i f_i y_i + Σ_(u,i) c_ui x_ui + Σ_u U_u z_u
//! s.t. Σ_i x_ui + z_u = 1                  every client u (z_u only with a penalty)
//!      x_ui ≤ y_i                           every allowed link (strong linking)
//!      Σ_u q_u x_ui ≤ Q_i y_i               capacitated facilities
//!      Σ_i y_i = p,  min_open ≤ Σ_i y_i ≤ max_open
//!      min_g ≤ Σ_(i∈g) y_i ≤ max_g          every group g
//!      Σ_u x_ui ≤ K_i y_i                   facilities with a client limit
//!      Σ_(i not yet open) b_i y_i + Σ_(u,i) b_u x_ui ≤ budget   (b: budget costs)
//!      y binary; x binary when single-source and capacitated (or when serving spends budget), else in [0, 1]
//! ```
//! Fixed-open facilities are constants 1, forbidden ones have no variable.

use good_lp::{
    Constraint, Expression, ProblemVariables, ResolutionError, Solution as _, SolutionStatus, SolverModel, Variable,
    WithTimeLimit, constraint, variable,
};

use crate::plan::{Flow, Solution};
use crate::problem::{ClientIdx, FacilityIdx, Instance, ModalArcs};

/// Which MIP solver runs the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// Pure Rust, always available; for small models.
    Microlp,
    /// HiGHS (cargo feature `highs`); for large exact solves.
    Highs,
}

impl Backend {
    /// The backend's name (`microlp`, `highs`), as it appears in solver names such as `mip(microlp)`.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Microlp => "microlp",
            Backend::Highs => "highs",
        }
    }

    /// The best backend compiled into this binary.
    pub fn best_available() -> Backend {
        if cfg!(feature = "highs") { Backend::Highs } else { Backend::Microlp }
    }
}

/// What the MIP run returned.
#[derive(Debug, Clone)]
pub enum MipOutcome {
    /// Solved; `proven` is false when a time limit stopped the search.
    Solved {
        solution: Solution,
        proven: bool,
    },
    Infeasible,
}

/// Why the MIP gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum MipError {
    /// The backend was not compiled in.
    #[error("the {0} backend is not compiled into this binary: rebuild with `--features {0}`")]
    Unavailable(&'static str),
    /// The backend reported an error of its own.
    #[error("the MIP solver failed: {0}")]
    Solver(#[source] good_lp::ResolutionError),
    /// The backend refused a gap setting (HiGHS's zero relative MIP gap).
    #[error("the MIP solver refused its gap setting: {0}")]
    Gap(#[source] good_lp::solvers::MipGapError),
    /// The time limit came before any feasible solution.
    #[error("the MIP solver stopped at the time limit without a feasible solution")]
    NoSolutionInTime,
}

struct Model {
    vars: ProblemVariables,
    objective: Expression,
    constraints: Vec<Constraint>,
    y: Vec<Option<Variable>>,
    links: Vec<(usize, usize, Variable)>,
    /// The mode of each of `links` (0 without modes).
    link_modes: Vec<usize>,
}

/// The model; with `relax`, every variable is continuous in [0, 1] (the LP relaxation).
fn build(inst: &Instance, arcs: Option<&ModalArcs>, relax: bool, served: Option<f64>) -> Model {
    let (n, m) = (inst.n_clients(), inst.n_facilities());
    let capacitated = inst.is_capacitated();
    // Without capacities an assignment is integral once the open set is, unless
    // serving a client spends budget: then a half-served client would pay half
    // its budget cost, so single-source assignments must be binary.
    let client_budget = inst.budget.is_some() && inst.clients.iter().any(|c| c.budget_cost > 0.0);
    // A mode is a choice: with modes every assignment is binary.
    let single = ((inst.single_source && (capacitated || client_budget)) || arcs.is_some()) && !relax;
    let binary = || if relax { variable().min(0.0).max(1.0) } else { variable().binary() };
    let mut vars = ProblemVariables::new();
    let mut objective = Expression::default();
    let mut constraints = Vec::new();
    let y: Vec<Option<Variable>> =
        inst.facilities.iter().map(|f| (!f.fixed_open && !f.forbidden).then(|| vars.add(binary()))).collect();
    // Σ y over a set of facilities, with fixed-open ones as constants.
    let open_expr = |set: &mut dyn Iterator<Item = usize>| -> Expression {
        let mut e = Expression::default();
        for f in set {
            if inst.facilities[f].fixed_open {
                e += 1.0;
            } else if let Some(v) = y[f] {
                e += v;
            }
        }
        e
    };
    for (f, fac) in inst.facilities.iter().enumerate() {
        if let Some(v) = y[f] {
            objective += fac.open_cost * v;
        }
    }
    let mut links = Vec::new();
    let mut load: Vec<Expression> = vec![Expression::default(); m];
    let mut count: Vec<Expression> = vec![Expression::default(); m];
    let mut client_spend = Expression::default();
    let mut unserved_demand = Expression::default();
    let mut hours: Vec<Expression> = vec![Expression::default(); m];
    let mut link_modes = Vec::new();
    for u in 0..n {
        let mut served = Expression::default();
        // (facility, cost, budget cost, load, mode) of each way to serve u.
        let mut ways: Vec<(usize, f64, f64, f64, usize)> = Vec::new();
        match arcs {
            Some(a) => {
                ways.extend(a.options[u].iter().map(|o| (o.facility.index(), o.cost, o.budget_cost, o.load, o.mode)))
            }
            None => inst.costs.for_each_link(u, |f, c| ways.push((f, c, inst.clients[u].budget_cost, 0.0, 0))),
        }
        for (f, c, budget_cost, load_h, mode) in ways {
            if inst.facilities[f].forbidden {
                continue;
            }
            let x = if single { vars.add(variable().binary()) } else { vars.add(variable().min(0.0).max(1.0)) };
            objective += c * x;
            served += x;
            if let Some(yf) = y[f] {
                constraints.push(constraint!(x <= yf));
            }
            if inst.facilities[f].capacity.is_some() {
                load[f] += inst.clients[u].demand * x;
            }
            if inst.facilities[f].max_clients.is_some() {
                count[f] += x;
            }
            if budget_cost > 0.0 {
                client_spend += budget_cost * x;
            }
            if arcs.is_some_and(|a| a.load_capacity[f].is_some()) {
                hours[f] += load_h * x;
            }
            links.push((u, f, x));
            link_modes.push(mode);
        }
        if let Some(pen) = inst.unserved_penalty {
            let z = vars.add(variable().min(0.0).max(1.0));
            objective += pen * inst.clients[u].demand * z;
            unserved_demand += inst.clients[u].demand * z;
            served += z;
        }
        constraints.push(constraint!(served == 1.0));
    }
    for (f, fac) in inst.facilities.iter().enumerate() {
        if let (Some(Some(cap)), false) = (arcs.map(|a| a.load_capacity[f]), fac.forbidden) {
            let open: Expression = match y[f] {
                Some(v) => cap * v,
                None => Expression::from(cap),
            };
            let h = std::mem::take(&mut hours[f]);
            constraints.push(constraint!(h <= open));
        }
        if let (Some(cap), false) = (fac.capacity, fac.forbidden) {
            let open: Expression = match y[f] {
                Some(v) => cap * v,
                None => Expression::from(cap),
            };
            let l = std::mem::take(&mut load[f]);
            constraints.push(constraint!(l <= open));
        }
        if let (Some(k), false) = (fac.max_clients, fac.forbidden) {
            let open: Expression = match y[f] {
                Some(v) => (k as f64) * v,
                None => Expression::from(k as f64),
            };
            let c = std::mem::take(&mut count[f]);
            constraints.push(constraint!(c <= open));
        }
    }
    let all = open_expr(&mut (0..m));
    if let Some(p) = inst.p {
        constraints.push(constraint!(all.clone() == p as f64));
    }
    if let Some(lo) = inst.min_open {
        constraints.push(constraint!(all.clone() >= lo as f64));
    }
    if let Some(hi) = inst.max_open {
        constraints.push(constraint!(all.clone() <= hi as f64));
    }
    for g in &inst.groups {
        let e = open_expr(&mut g.facilities.iter().map(|f| f.index()));
        if g.min_open > 0 {
            constraints.push(constraint!(e.clone() >= g.min_open as f64));
        }
        if let Some(hi) = g.max_open {
            constraints.push(constraint!(e <= hi as f64));
        }
    }
    if let Some(b) = inst.budget {
        let mut spend = client_spend;
        for (f, fac) in inst.facilities.iter().enumerate() {
            if let Some(v) = y[f] {
                spend += fac.budget_charge() * v;
            }
        }
        constraints.push(constraint!(spend <= b));
    }
    if let Some(t) = served {
        let total: f64 = inst.clients.iter().map(|c| c.demand).sum();
        constraints.push(constraint!(unserved_demand == total - t));
    }
    Model { vars, objective, constraints, y, links, link_modes }
}

fn run<M: SolverModel<Error = ResolutionError> + WithTimeLimit>(
    mut model: M,
    constraints: Vec<Constraint>,
    time_limit: Option<f64>,
) -> Result<Option<(M::Solution, bool)>, MipError> {
    for c in constraints {
        model = model.with(c);
    }
    if let Some(t) = time_limit {
        model = model.with_time_limit(t.max(0.01));
    }
    match model.solve() {
        Ok(sol) => {
            // Both backends run with a zero gap, so the solver only stops early at the
            // time limit; good_lp reports a residual gap within the solver's own
            // tolerance as `GapLimit`, which is still a proof.
            let proven = matches!(sol.status(), SolutionStatus::Optimal | SolutionStatus::GapLimit);
            Ok(Some((sol, proven)))
        }
        Err(e) => {
            let text = e.to_string();
            let infeasible = text == ResolutionError::Infeasible.to_string();
            if infeasible {
                Ok(None)
            } else if text.to_ascii_lowercase().contains("time") || text.to_ascii_lowercase().contains("interrupt") {
                Err(MipError::NoSolutionInTime)
            } else {
                Err(MipError::Solver(e))
            }
        }
    }
}

/// Solves `problem` under `constraints` with `backend` to a zero gap (or
/// until `time_limit` seconds): `None` when it is infeasible, else what
/// `read` takes from the solution's values and whether it is proven optimal.
pub(crate) fn solve_exact<T>(
    problem: good_lp::variable::UnsolvedProblem,
    constraints: Vec<Constraint>,
    backend: Backend,
    time_limit: Option<f64>,
    read: impl Fn(&dyn Fn(Variable) -> f64) -> T,
) -> Result<Option<(T, bool)>, MipError> {
    solve_exact_from(problem, constraints, backend, time_limit, Vec::new(), read)
}

/// [`solve_exact`] started from `hint`, values of (some of) the variables
/// forming a known feasible plan: microlp, which has no primal heuristics,
/// adopts it as its first incumbent (and ignores it when it is not
/// feasible), which prunes the search from the start. Only the search order
/// changes; a proof is still the solver's own. HiGHS ignores the hint.
pub(crate) fn solve_exact_from<T>(
    problem: good_lp::variable::UnsolvedProblem,
    constraints: Vec<Constraint>,
    backend: Backend,
    time_limit: Option<f64>,
    hint: Vec<(Variable, f64)>,
    read: impl Fn(&dyn Fn(Variable) -> f64) -> T,
) -> Result<Option<(T, bool)>, MipError> {
    use good_lp::WithInitialSolution as _;
    match backend {
        Backend::Microlp => {
            let mut model = problem.using(good_lp::microlp);
            if !hint.is_empty() {
                model = model.with_initial_solution(hint);
            }
            Ok(run(model, constraints, time_limit)?.map(|(sol, proven)| (read(&|v| sol.value(v)), proven)))
        }
        Backend::Highs => {
            #[cfg(feature = "highs")]
            {
                // Exact means exact: HiGHS's default relative gap (1e-4) would stop early.
                let model = problem
                    .using(good_lp::highs)
                    .set_threads(1)
                    .set_mip_rel_gap(0.0)
                    .map_err(MipError::Gap)?
                    .set_option("mip_abs_gap", 0.0);
                // No hint for HiGHS: its own heuristics find incumbents, and a
                // start given through good_lp made it report a worse rollout
                // plan as optimal (rollout property test, seed 117120).
                drop(hint);
                Ok(run(model, constraints, time_limit)?.map(|(sol, proven)| (read(&|v| sol.value(v)), proven)))
            }
            #[cfg(not(feature = "highs"))]
            {
                let _ = (problem, constraints, hint, read);
                Err(MipError::Unavailable("highs"))
            }
        }
    }
}

/// Solves `inst` exactly (or until `time_limit` seconds) with `backend`.
pub fn solve_mip(inst: &Instance, backend: Backend, time_limit: Option<f64>) -> Result<MipOutcome, MipError> {
    solve_mip_serving(inst, backend, time_limit, None)
}

/// [`solve_mip`] with the extra row "clients served carry exactly
/// `served` demand" (with a penalty for unserved clients): with `served` the
/// most demand any plan can serve, the best plan among those that serve it.
pub(crate) fn solve_mip_serving(
    inst: &Instance,
    backend: Backend,
    time_limit: Option<f64>,
    served: Option<f64>,
) -> Result<MipOutcome, MipError> {
    let Model { vars, objective, constraints, y, links, .. } = build(inst, None, false, served);
    let problem = vars.minimise(objective);
    let read = |get: &dyn Fn(Variable) -> f64| -> (Vec<f64>, Vec<f64>) {
        (y.iter().map(|v| v.map_or(0.0, get)).collect(), links.iter().map(|&(_, _, x)| get(x)).collect())
    };
    let Some(((yv, xv), proven)) = solve_exact(problem, constraints, backend, time_limit, read)? else {
        return Ok(MipOutcome::Infeasible);
    };
    Ok(MipOutcome::Solved { solution: extract(inst, &yv, &links, &xv), proven })
}

/// What the modal MIP returned: the plan and each client's mode.
#[derive(Debug, Clone)]
pub enum ModalMipOutcome {
    /// Solved; `proven` is false when a time limit stopped the search.
    Solved {
        /// Open facilities and assignment.
        solution: Solution,
        /// Per client: its mode.
        modes: Vec<Option<usize>>,
        /// Whether the solver proved it optimal.
        proven: bool,
    },
    /// No plan meets the rules.
    Infeasible,
}

/// Solves the modal model (`inst`, its relaxation, with `arcs`) exactly:
/// one binary per (client, facility, mode) option, the facility's load
/// row `Σ load·x ≤ capacity·y` beside the model's other rows. `hint`: a
/// known plan (open set, assignment, modes) microlp starts from.
pub fn solve_modal_mip(
    inst: &Instance,
    arcs: &ModalArcs,
    backend: Backend,
    time_limit: Option<f64>,
    hint: Option<(&Solution, &[Option<usize>])>,
) -> Result<ModalMipOutcome, MipError> {
    let Model { vars, objective, constraints, y, links, link_modes } = build(inst, Some(arcs), false, None);
    let mut start = Vec::new();
    if let Some((sol, modes)) = hint {
        let open: std::collections::BTreeSet<usize> = sol.open.iter().map(|f| f.index()).collect();
        for (f, v) in y.iter().enumerate() {
            if let Some(v) = v {
                start.push((*v, if open.contains(&f) { 1.0 } else { 0.0 }));
            }
        }
        for (k, &(u, f, x)) in links.iter().enumerate() {
            let on = sol.facility_of(ClientIdx::new(u)) == Some(FacilityIdx::new(f)) && modes[u] == Some(link_modes[k]);
            start.push((x, if on { 1.0 } else { 0.0 }));
        }
    }
    let problem = vars.minimise(objective);
    let read = |get: &dyn Fn(Variable) -> f64| -> (Vec<f64>, Vec<f64>) {
        (y.iter().map(|v| v.map_or(0.0, get)).collect(), links.iter().map(|&(_, _, x)| get(x)).collect())
    };
    let Some(((yv, xv), proven)) = solve_exact_from(problem, constraints, backend, time_limit, start, read)? else {
        return Ok(ModalMipOutcome::Infeasible);
    };
    let m = inst.n_facilities();
    let open: Vec<usize> = (0..m).filter(|&f| inst.facilities[f].fixed_open || yv[f] > 0.5).collect();
    let mut assignment = vec![None; inst.n_clients()];
    let mut modes = vec![None; inst.n_clients()];
    for (k, &(u, f, _)) in links.iter().enumerate() {
        if xv[k] > 0.5 {
            assignment[u] = Some(f);
            modes[u] = Some(link_modes[k]);
        }
    }
    Ok(ModalMipOutcome::Solved { solution: Solution::from_positions(&open, &assignment), modes, proven })
}

/// The optimum of the LP relaxation of [`solve_modal_mip`]'s model (every
/// option and opening in [0, 1]), lowered by a relative 1e-9 as
/// [`lp_bound`] is; `None` when it is infeasible or did not finish.
pub fn modal_lp_bound(
    inst: &Instance,
    arcs: &ModalArcs,
    backend: Backend,
    time_limit: Option<f64>,
) -> Result<Option<f64>, MipError> {
    let Model { vars, objective, constraints, .. } = build(inst, Some(arcs), true, None);
    relaxation_value(vars, objective, constraints, backend, time_limit)
}

/// The optimum of the LP relaxation of [`solve_mip`]'s model (strong linking
/// `x ≤ y`, every variable in [0, 1]): a lower bound that complements the
/// Lagrangian one when the subgradient converges slowly (budgets, many
/// groups). `None` when the relaxation is infeasible or the solver stopped
/// without an optimal basis. The value is lowered by a relative 1e-9 so that
/// solver tolerances can never lift it above the true LP optimum.
pub fn lp_bound(inst: &Instance, backend: Backend, time_limit: Option<f64>) -> Result<Option<f64>, MipError> {
    lp_bound_serving(inst, backend, time_limit, None)
}

/// [`lp_bound`] with the row of [`solve_mip_serving`].
pub(crate) fn lp_bound_serving(
    inst: &Instance,
    backend: Backend,
    time_limit: Option<f64>,
    served: Option<f64>,
) -> Result<Option<f64>, MipError> {
    let Model { vars, objective, constraints, .. } = build(inst, None, true, served);
    relaxation_value(vars, objective, constraints, backend, time_limit)
}

/// Solves a relaxation built by [`build`] and returns its optimum, lowered
/// by a relative 1e-9 so that solver tolerances never lift it above the
/// true LP optimum.
fn relaxation_value(
    vars: ProblemVariables,
    objective: Expression,
    constraints: Vec<Constraint>,
    backend: Backend,
    time_limit: Option<f64>,
) -> Result<Option<f64>, MipError> {
    let problem = vars.minimise(objective.clone());
    let solved = match backend {
        Backend::Microlp => optimal_value(run(problem.using(good_lp::microlp), constraints, time_limit), &objective),
        Backend::Highs => {
            #[cfg(feature = "highs")]
            {
                let model = problem.using(good_lp::highs).set_threads(1);
                optimal_value(run(model, constraints, time_limit), &objective)
            }
            #[cfg(not(feature = "highs"))]
            {
                let _ = (problem, constraints);
                Err(MipError::Unavailable("highs"))
            }
        }
    };
    Ok(solved?.map(|v| v - 1e-9 * v.abs().max(1.0)))
}

/// The objective of a relaxation [`run`] solved to optimality; `None` when it
/// is infeasible or stopped without an optimal basis.
fn optimal_value<S: good_lp::Solution>(
    r: Result<Option<(S, bool)>, MipError>,
    objective: &Expression,
) -> Result<Option<f64>, MipError> {
    match r {
        Ok(Some((sol, true))) => Ok(Some(sol.eval(objective))),
        Ok(_) | Err(MipError::NoSolutionInTime) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Turns variable values into a clean solution: open set from y, and
/// single-source assignments or normalised multi-source shares from x.
fn extract(inst: &Instance, yv: &[f64], links: &[(usize, usize, Variable)], xv: &[f64]) -> Solution {
    let (n, m) = (inst.n_clients(), inst.n_facilities());
    let open: Vec<usize> = (0..m).filter(|&f| inst.facilities[f].fixed_open || yv[f] > 0.5).collect();
    let mut is_open = vec![false; m];
    for &f in &open {
        is_open[f] = true;
    }
    if !inst.is_capacitated() {
        // Uncapacitated: each client the MIP serves goes to its cheapest open facility
        // (ties: lowest index); who is served stays as the MIP decided (budgets may depend on it).
        let mut served = vec![0.0; n];
        for (k, &(u, _, _)) in links.iter().enumerate() {
            served[u] += xv[k];
        }
        let assignment: Vec<Option<usize>> = (0..n)
            .map(|u| {
                if served[u] < 0.5 {
                    return None;
                }
                let mut best: Option<(f64, usize)> = None;
                for &f in &open {
                    let c = inst.costs.cost(u, f);
                    if c.is_finite() && best.is_none_or(|b| c < b.0) {
                        best = Some((c, f));
                    }
                }
                best.map(|b| b.1)
            })
            .collect();
        return Solution::from_positions(&open, &assignment);
    }
    let mut shares: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    for (k, &(u, f, _)) in links.iter().enumerate() {
        if xv[k] > 1e-7 && is_open[f] {
            shares[u].push((f, xv[k]));
        }
    }
    let mut assignment = vec![None; n];
    let mut flows = Vec::new();
    for (u, s) in shares.iter_mut().enumerate() {
        let total: f64 = s.iter().map(|x| x.1).sum();
        if total < 0.5 && inst.unserved_penalty.is_some() && inst.single_source {
            continue;
        }
        // Shares within solver tolerance of a full unit are normalised to exactly one.
        if (total - 1.0).abs() < 1e-6 {
            for x in s.iter_mut() {
                x.1 /= total;
            }
        }
        if let Some(&(f, _)) = s.iter().max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0))) {
            assignment[u] = Some(f);
        }
        if inst.single_source {
            s.retain(|x| Some(x.0) == assignment[u]);
            if let Some(x) = s.first_mut() {
                x.1 = 1.0;
            }
        }
        for &(f, share) in s.iter() {
            flows.push(Flow { client: ClientIdx::new(u), facility: FacilityIdx::new(f), share: share.min(1.0) });
        }
    }
    let mut sol = Solution::from_positions(&open, &assignment);
    if !inst.single_source {
        sol.flows = Some(flows);
    }
    sol
}
