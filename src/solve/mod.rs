//! Solvers: fast parallel heuristics with Lagrangian bounds, and the exact MIP.
//!
//! [`solve`] is the one entry point: it picks the method, runs it on a thread
//! pool of the requested size, and passes every result through the
//! independent checker ([`crate::plan::check()`]) before returning it.

// The engines are internals: the `internals` feature makes the
// uncapacitated and multi-source engines public for the criterion benches
// (`cargo bench --features internals`), and is not a stable API.
pub(crate) mod context;
pub(crate) mod decompose;
pub(crate) mod engine;
pub(crate) mod knapsack;
pub(crate) mod lagrangian;
pub(crate) mod mip;
pub(crate) mod modal;
pub(crate) mod modal_assign;
#[cfg(feature = "internals")]
pub mod multi_source;
#[cfg(not(feature = "internals"))]
pub(crate) mod multi_source;
pub(crate) mod presolve;
pub(crate) mod select;
pub(crate) mod single_source;
pub(crate) mod transport;
#[cfg(feature = "internals")]
pub mod uncapacitated;
#[cfg(not(feature = "internals"))]
pub(crate) mod uncapacitated;
pub(crate) mod vns;

#[cfg(test)]
mod bound_tests;

use std::time::{Duration, Instant};

use crate::plan::{Evaluation, Solution, check};
use crate::problem::{IdxVec, Instance};
use engine::EngineOptions;

pub use decompose::FrontierCache;
pub use mip::{Backend, MipError};
pub use modal::solve_modal;

/// Which method to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum SolverKind {
    /// Heuristic with bounds; on small instances the MIP closes what the bound leaves open.
    Auto,
    /// Heuristic with Lagrangian bounds only.
    Heuristic,
    /// The exact MIP only.
    Mip,
}

/// Options every solver honours.
#[derive(Debug, Clone)]
pub struct SolveOptions {
    /// Which method runs (default `auto`).
    pub solver: SolverKind,
    /// Wall-clock limit in seconds (the only setting that can make a run
    /// depend on machine speed).
    pub time_limit: Option<f64>,
    /// Seed of every random choice of the heuristics; with the same seed a run gives the same
    /// result whatever the thread count (time limit aside).
    pub seed: u64,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// MIP backend for `mip` and `auto`.
    pub backend: Backend,
    /// Heuristic effort: VNS rounds without improvement before stopping.
    pub max_stall_rounds: usize,
    /// Branch-and-bound effort in list entries scanned (0: bound at the root only).
    pub bnb_work: u64,
    /// With `auto`: solve blocks that share no allowed link (districts)
    /// separately and combine them exactly (see `decompose`).
    pub decompose: bool,
    /// Decomposition effort: seconds the exact MIP may spend on one fixed
    /// open set of a district before the set keeps its bound.
    pub set_mip_seconds: f64,
    /// Blocks the decomposition has already solved, shared between solves
    /// of models that differ in a few blocks (see
    /// [`FrontierCache`]); `None`: nothing is kept.
    pub frontier_cache: Option<decompose::FrontierCache>,
}

impl Default for SolveOptions {
    fn default() -> Self {
        SolveOptions {
            solver: SolverKind::Auto,
            time_limit: None,
            seed: 1,
            threads: 0,
            backend: Backend::best_available(),
            max_stall_rounds: 40,
            bnb_work: uncapacitated::Effort::default().max_bnb_work,
            decompose: true,
            set_mip_seconds: 2.0,
            frontier_cache: None,
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Proven optimal (bound meets objective, or the MIP finished).
    Optimal,
    /// Feasible, with the gap to the bound reported.
    Feasible,
    /// No feasible solution exists (or none was found): see the reasons.
    Infeasible,
    /// Stopped by the time limit before optimality was proven.
    TimeLimit,
}

impl Status {
    /// The name written in results and plans (`optimal`, `feasible`, `infeasible`, `time_limit`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Optimal => "optimal",
            Status::Feasible => "feasible",
            Status::Infeasible => "infeasible",
            Status::TimeLimit => "time_limit",
        }
    }
}

/// Counters from a run, for logs and benchmarks.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct SolveStats {
    /// Rounds of variable neighbourhood search.
    pub vns_rounds: u64,
    /// Local-search moves applied.
    pub local_search_moves: u64,
    /// Subgradient iterations of the Lagrangian bound.
    pub lagrange_iterations: usize,
    /// Branch-and-bound nodes explored.
    pub bnb_nodes: usize,
    /// Branch-and-bound effort in list entries scanned (deterministic).
    #[serde(default)]
    pub bnb_work: u64,
    /// Wall-clock seconds per stage, in order.
    #[serde(default)]
    pub stages: Vec<(String, f64)>,
}

/// A checked result.
#[derive(Debug, Clone)]
pub struct SolveOutcome {
    /// The open facilities and each client's facility (or flows).
    pub solution: Solution,
    /// The objective and its terms, recomputed by the checker.
    pub evaluation: Evaluation,
    /// A proven lower bound on the objective of every solution; `None` when none is known.
    pub lower_bound: Option<f64>,
    /// How the run ended.
    pub status: Status,
    /// What ran, e.g. `vns+lagrangian` or `mip(microlp)`.
    pub solver: String,
    /// The seed the run used.
    pub seed: u64,
    /// Worker threads the run used (one per core resolved to a number).
    pub threads: usize,
    /// Wall-clock seconds of the run.
    pub elapsed_s: f64,
    /// Counters of the run, for logs and benchmarks.
    pub stats: SolveStats,
    /// Plain-language reasons when the model is infeasible.
    pub reasons: Vec<String>,
    /// With status `infeasible`: whether infeasibility is proven (presolve or
    /// MIP), or only that the search found no feasible solution.
    pub infeasibility_proven: bool,
    /// Notes on choices made (for `--solver auto`).
    pub notes: Vec<String>,
    /// A modal model's plan ([`solve_modal`]): each client's mode.
    pub modes: Option<Vec<Option<usize>>>,
}

impl SolveOutcome {
    /// The objective, as recomputed by the checker.
    pub fn objective(&self) -> f64 {
        self.evaluation.objective
    }

    /// Relative gap between objective and bound, if a bound is known.
    pub fn gap(&self) -> Option<f64> {
        self.lower_bound.map(|lb| lagrangian::relative_gap(self.evaluation.objective, lb))
    }
}

/// Why a solve could not run or return a checked result.
#[derive(Debug, thiserror::Error)]
pub enum SolveError {
    /// The instance is not well-formed.
    #[error(transparent)]
    Instance(#[from] crate::problem::InstanceError),
    /// The MIP backend failed.
    #[error(transparent)]
    Mip(#[from] mip::MipError),
    /// A solver returned a solution the independent checker rejects: a bug.
    #[error("internal error: the checker rejected the {solver} solution: {}", join_violations(.violations))]
    CheckerRejected {
        /// What ran.
        solver: String,
        /// Every rule the solution breaks.
        violations: Vec<crate::plan::Violation>,
    },
    /// The worker thread pool could not start.
    #[error("cannot start the thread pool: {0}")]
    Threads(#[source] rayon::ThreadPoolBuildError),
    /// A modal model's arcs do not fit its instance.
    #[error("the link modes do not fit the instance: {0}")]
    Modal(String),
}

fn join_violations(violations: &[crate::plan::Violation]) -> String {
    violations.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("; ")
}

/// Instances up to this many allowed links may be handed to the MIP by `auto`.
const AUTO_MIP_LINKS: usize = 2_500;

/// Instances with at most this many links give the MIP all the time left
/// (microlp can need tens of seconds even on 25 clients × 7 facilities when a
/// budget binds).
const TINY_MIP_LINKS: usize = 200;

/// Solves `inst` as `opts` asks and returns a result the checker accepted.
pub fn solve(inst: &Instance, opts: &SolveOptions) -> Result<SolveOutcome, SolveError> {
    inst.validate()?;
    in_pool(opts, |deadline| dispatch(inst, opts, deadline))
}

/// Runs `run` (given the deadline of `opts.time_limit`) on a pool of
/// `opts.threads` workers (0: one per core), and stamps the outcome with
/// the seed, the thread count and the wall-clock time.
pub(crate) fn in_pool(
    opts: &SolveOptions,
    run: impl FnOnce(Option<Instant>) -> Result<SolveOutcome, SolveError> + Send,
) -> Result<SolveOutcome, SolveError> {
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    } else {
        opts.threads
    };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().map_err(SolveError::Threads)?;
    let start = Instant::now();
    let deadline = opts.time_limit.map(|t| start + Duration::from_secs_f64(t.max(0.0)));
    let mut out = pool.install(|| run(deadline))?;
    out.seed = opts.seed;
    out.threads = threads;
    out.elapsed_s = start.elapsed().as_secs_f64();
    Ok(out)
}

/// How a search that kept its best plan ended: proven, stopped by the
/// deadline, or done without a proof.
pub(crate) fn status_of(proven: bool, deadline: Option<Instant>) -> Status {
    if proven {
        Status::Optimal
    } else if deadline.is_some_and(|d| Instant::now() >= d) {
        Status::TimeLimit
    } else {
        Status::Feasible
    }
}

fn dispatch(inst: &Instance, opts: &SolveOptions, deadline: Option<Instant>) -> Result<SolveOutcome, SolveError> {
    let reasons = presolve::infeasibility_reasons(inst);
    if !reasons.is_empty() {
        return Ok(infeasible(inst, reasons, "presolve"));
    }
    let mut block_bound = None;
    if opts.solver == SolverKind::Auto && opts.decompose {
        match decompose::solve_by_blocks(inst, opts, deadline)? {
            decompose::Decomposed::Solved(out) => return Ok(*out),
            decompose::Decomposed::BudgetBinds { bound, note } => block_bound = Some((bound, note)),
            decompose::Decomposed::NotApplicable => {}
        }
    }
    let mut out = undecomposed(inst, opts, deadline)?;
    if let Some((bound, note)) = block_bound {
        out.notes.push(note);
        if out.status != Status::Infeasible && out.lower_bound.is_none_or(|lb| bound > lb) {
            let objective = out.objective();
            out.lower_bound = Some(bound.min(objective));
            if lagrangian::proves_optimal(bound, objective, single_source::integral(inst)) {
                out.status = Status::Optimal;
            }
        }
    }
    Ok(out)
}

/// [`dispatch`] without the decomposition: the engine, the MIP, or both.
fn undecomposed(inst: &Instance, opts: &SolveOptions, deadline: Option<Instant>) -> Result<SolveOutcome, SolveError> {
    match opts.solver {
        SolverKind::Mip => run_mip(inst, opts, deadline, Vec::new()),
        SolverKind::Heuristic | SolverKind::Auto => {
            let mut out = run_engine(inst, opts, deadline)?;
            if opts.solver == SolverKind::Auto {
                out.notes.push(format!(
                    "auto: {} on {} clients × {} facilities ({} links)",
                    out.solver,
                    inst.n_clients(),
                    inst.n_facilities(),
                    inst.costs.n_links()
                ));
                let small = inst.costs.n_links() <= AUTO_MIP_LINKS;
                // The MIP settles what the search left open: a gap, or a failure that proves nothing.
                let undecided =
                    out.status == Status::Feasible || (out.status == Status::Infeasible && !out.infeasibility_proven);
                if undecided && small && deadline.is_none_or(|d| Instant::now() < d) {
                    // The MIP may not finish (microlp on a few thousand links can stall): it gets a
                    // third of the time left, so a plan with a limit keeps most of it in reserve. On a
                    // tiny instance it is the only way to a proof and the plan is already at hand, so
                    // it gets all of it.
                    let share = if inst.costs.n_links() <= TINY_MIP_LINKS { 1.0 } else { 3.0 };
                    let left = deadline.map(|d| d.saturating_duration_since(Instant::now()).as_secs_f64() / share);
                    let notes = out.notes.clone();
                    if let Ok(mut exact) =
                        run_mip(inst, opts, left.map(|l| Instant::now() + Duration::from_secs_f64(l)), notes)
                    {
                        let settles = match (exact.status, out.status) {
                            (Status::Optimal, Status::Infeasible) => true,
                            (Status::Optimal, _) => {
                                exact.objective() <= out.objective() + 1e-9 * out.objective().abs().max(1.0)
                            }
                            (Status::Infeasible, Status::Infeasible) => exact.infeasibility_proven,
                            _ => false,
                        };
                        if settles {
                            exact.notes.push(if out.status == Status::Infeasible {
                                "auto: the search found no feasible solution on a small instance, so the MIP decided"
                                    .into()
                            } else {
                                "auto: the bound left a gap on a small instance, so the MIP proved optimality".into()
                            });
                            exact.solver = format!("{}+{}", out.solver, exact.solver);
                            exact.stats = out.stats.clone();
                            return Ok(exact);
                        }
                    }
                }
            }
            Ok(out)
        }
    }
}

/// Runs the engine for the model's kind, adds the LP bound where it can
/// help, and passes the result through the checker.
fn run_engine(inst: &Instance, opts: &SolveOptions, deadline: Option<Instant>) -> Result<SolveOutcome, SolveError> {
    let common = EngineOptions {
        seed: opts.seed,
        deadline,
        tasks: engine::VNS_TASKS,
        max_stall_rounds: opts.max_stall_rounds,
        effort: (),
    };
    let mut r = if inst.is_uncapacitated_core() {
        let default = uncapacitated::Effort::default();
        let max_nodes = if opts.bnb_work == 0 { 0 } else { default.max_nodes };
        uncapacitated::solve(
            inst,
            &common.with_effort(uncapacitated::Effort { max_bnb_work: opts.bnb_work, max_nodes, ..default }),
        )
    } else if inst.single_source || !inst.is_capacitated() {
        single_source::solve(inst, &common.with_effort(single_source::Effort::default()))
    } else {
        let default = multi_source::Effort::default();
        let max_nodes = if opts.bnb_work == 0 { 0 } else { default.max_nodes };
        multi_source::solve(inst, &common.with_effort(multi_source::Effort { max_nodes, ..default }))
    };
    let mut notes = Vec::new();
    if r.lp_may_tighten && !r.proven && !r.hit_deadline {
        let (kept, seconds) =
            add_lp_bound(inst, opts, deadline, r.objective, (&mut r.lower_bound, &mut r.proven), &mut notes);
        r.solver.push_str(&kept.unwrap_or_default());
        r.stats.stages.push(("lp bound".into(), seconds));
    }
    let status = search_status(r.proven, r.hit_deadline);
    finish(inst, r.solution, r.lower_bound, status, r.solver, r.stats, notes)
}

/// How a search ended: proven, stopped by the clock, or by its own effort limit.
fn search_status(proven: bool, hit_deadline: bool) -> Status {
    if proven {
        Status::Optimal
    } else if hit_deadline {
        Status::TimeLimit
    } else {
        Status::Feasible
    }
}

/// Allowed links up to which the pure-Rust `microlp` is asked for the LP
/// bound; HiGHS takes any size. Measured: 37 ms for Aktobe's 978 links, about
/// 25 s for the national plan's 27,577 (2 cores, shared), growing faster than
/// linearly.
const MICROLP_LP_MAX_LINKS: usize = 30_000;

/// Tightens a capacitated search's `(lower bound, proven)` with the LP
/// relaxation's bound when that is higher, re-checking the proof against
/// `objective`. Returns the solver-name suffix (`+lp(backend)`) when the LP
/// bound was kept, and the seconds spent.
fn add_lp_bound(
    inst: &Instance,
    opts: &SolveOptions,
    deadline: Option<Instant>,
    objective: f64,
    (lower_bound, proven): (&mut Option<f64>, &mut bool),
    notes: &mut Vec<String>,
) -> (Option<String>, f64) {
    let t = Instant::now();
    let mut kept = None;
    if let Some(lp) = lp_bound_if_affordable(inst, opts, deadline, notes)
        && lower_bound.is_none_or(|lb| lp > lb)
    {
        *lower_bound = Some(lp.min(objective));
        *proven = lagrangian::proves_optimal(lp, objective, single_source::integral(inst));
        kept = Some(format!("+lp({})", opts.backend.as_str()));
    }
    (kept, t.elapsed().as_secs_f64())
}

/// The LP relaxation's bound when the Lagrangian one leaves a gap and the
/// backend can afford the model before the deadline; a note says when the
/// model is too large for the pure-Rust solver.
fn lp_bound_if_affordable(
    inst: &Instance,
    opts: &SolveOptions,
    deadline: Option<Instant>,
    notes: &mut Vec<String>,
) -> Option<f64> {
    let links = inst.costs.n_links();
    if opts.backend == Backend::Microlp && links > MICROLP_LP_MAX_LINKS {
        notes.push(format!(
            "LP bound skipped: {links} links are too many for the built-in LP solver (limit {MICROLP_LP_MAX_LINKS}); build with `--features highs` for it"
        ));
        return None;
    }
    let left = deadline.map(|d| d.saturating_duration_since(Instant::now()).as_secs_f64());
    if left.is_some_and(|l| l < 0.5) {
        return None;
    }
    match mip::lp_bound(inst, opts.backend, left) {
        Ok(b) => b,
        Err(e) => {
            notes.push(format!("LP bound failed: {e}"));
            None
        }
    }
}

fn run_mip(
    inst: &Instance,
    opts: &SolveOptions,
    deadline: Option<Instant>,
    notes: Vec<String>,
) -> Result<SolveOutcome, SolveError> {
    let left = deadline.map(|d| d.saturating_duration_since(Instant::now()).as_secs_f64());
    let name = format!("mip({})", opts.backend.as_str());
    match mip::solve_mip(inst, opts.backend, left)? {
        mip::MipOutcome::Infeasible => {
            let mut out = infeasible(
                inst,
                vec!["the MIP solver proved that no solution satisfies every constraint".into()],
                &name,
            );
            out.notes = notes;
            Ok(out)
        }
        mip::MipOutcome::Solved { solution, proven } => {
            let report = check(inst, &solution, None);
            let obj = report.evaluation.objective;
            let (status, lb) = if proven { (Status::Optimal, Some(obj)) } else { (Status::TimeLimit, None) };
            finish(inst, solution, lb, status, name, SolveStats::default(), notes)
        }
    }
}

/// Runs the checker on a solver result; a feasible-claimed result it rejects is a bug.
fn finish(
    inst: &Instance,
    solution: Solution,
    lower_bound: Option<f64>,
    status: Status,
    solver: String,
    stats: SolveStats,
    notes: Vec<String>,
) -> Result<SolveOutcome, SolveError> {
    let report = check(inst, &solution, None);
    if !report.is_feasible() {
        // Every client unservable without a penalty leaves the heuristic no feasible solution.
        let unserved_only = report.violations.iter().all(|v| matches!(v, crate::plan::Violation::Unserved { .. }));
        if unserved_only {
            let mut reasons: Vec<String> = report.violations.iter().take(20).map(|v| v.to_string()).collect();
            reasons.insert(
                0,
                "the search found no solution that serves every client; this is not a proof that none exists".into(),
            );
            let mut out = infeasible(inst, reasons, &solver);
            out.infeasibility_proven = false;
            out.solution = solution;
            out.evaluation = report.evaluation;
            out.lower_bound = lower_bound;
            out.stats = stats;
            return Ok(out);
        }
        return Err(SolveError::CheckerRejected { solver, violations: report.violations });
    }
    let lower_bound = lower_bound.map(|lb| lb.min(report.evaluation.objective));
    Ok(SolveOutcome {
        solution,
        evaluation: report.evaluation,
        lower_bound,
        status,
        solver,
        seed: 0,
        threads: 0,
        elapsed_s: 0.0,
        stats,
        reasons: Vec::new(),
        infeasibility_proven: false,
        notes,
        modes: None,
    })
}

fn infeasible(inst: &Instance, reasons: Vec<String>, solver: &str) -> SolveOutcome {
    let solution = Solution { open: Vec::new(), assignment: IdxVec::from_elem(None, inst.n_clients()), flows: None };
    let evaluation = check(inst, &solution, None).evaluation;
    SolveOutcome {
        solution,
        evaluation,
        lower_bound: None,
        status: Status::Infeasible,
        solver: solver.to_string(),
        seed: 0,
        threads: 0,
        elapsed_s: 0.0,
        stats: SolveStats::default(),
        reasons,
        infeasibility_proven: true,
        notes: Vec::new(),
        modes: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::task_rng;
    use crate::testutil::{Shape, brute_force, random_instance};
    use proptest::prelude::*;
    use rand::Rng as _;

    pub fn shape(seed: u64) -> Shape {
        let mut r = task_rng(seed, 7);
        let facilities = r.random_range(2..9);
        let p_mode = r.random_bool(0.5);
        Shape {
            clients: r.random_range(1..16),
            facilities,
            p: p_mode.then(|| r.random_range(1..=facilities)),
            open_costs: !p_mode,
            density: r.random_bool(0.3).then_some(0.8),
            fixed: usize::from(r.random_bool(0.2)),
            forbidden: usize::from(r.random_bool(0.2)),
            penalty: r.random_bool(0.3).then_some(80.0),
            integral: r.random_bool(0.6),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(crate::testutil::cases(150)))]

        /// bound ≤ optimum ≤ heuristic, with equality for the heuristic on tiny
        /// instances; "optimal" is only claimed when true; the checker agrees.
        #[test]
        fn heuristic_matches_brute_force(seed in 0u64..1_000_000) {
            let inst = random_instance(seed, &shape(seed));
            prop_assume!(inst.validate().is_ok());
            let oracle = brute_force(&inst);
            let opts = SolveOptions { solver: SolverKind::Heuristic, threads: 1, seed, ..Default::default() };
            let out = solve(&inst, &opts).unwrap();
            match oracle {
                None => prop_assert_eq!(out.status, Status::Infeasible),
                Some((opt, _)) => {
                    prop_assert!(close(out.objective(), opt), "heuristic {} vs optimum {}", out.objective(), opt);
                    let lb = out.lower_bound.unwrap();
                    prop_assert!(lb <= opt + 1e-6 * opt.abs().max(1.0), "bound {} above optimum {}", lb, opt);
                    let report = crate::plan::check(&inst, &out.solution, Some(out.objective()));
                    prop_assert!(report.is_feasible(), "{:?}", report.violations);
                }
            }
        }

        /// The exact MIP (microlp) finds the enumerated optimum.
        #[test]
        fn mip_matches_brute_force(seed in 0u64..1_000_000) {
            let inst = random_instance(seed, &shape(seed));
            prop_assume!(inst.validate().is_ok());
            // microlp by default; HiGHS when built with `--features highs`.
            let opts = SolveOptions { solver: SolverKind::Mip, threads: 1, backend: Backend::best_available(), ..Default::default() };
            let out = solve(&inst, &opts).unwrap();
            match brute_force(&inst) {
                None => prop_assert_eq!(out.status, Status::Infeasible),
                Some((opt, _)) => {
                    prop_assert_eq!(out.status, Status::Optimal);
                    prop_assert!(close(out.objective(), opt), "mip {} vs optimum {}", out.objective(), opt);
                }
            }
        }

        /// The LP relaxation's bound never exceeds the enumerated optimum, and
        /// it is at least the root Lagrangian bound's LP counterpart: finite
        /// whenever the model is feasible.
        #[test]
        fn lp_bound_is_below_the_optimum(seed in 0u64..1_000_000) {
            let inst = random_instance(seed, &shape(seed));
            prop_assume!(inst.validate().is_ok());
            if let Some((opt, _)) = brute_force(&inst) {
                let lp = mip::lp_bound(&inst, Backend::best_available(), None).unwrap();
                let lp = lp.expect("a feasible model has a feasible relaxation");
                prop_assert!(lp <= opt + 1e-6 * opt.abs().max(1.0), "LP bound {} above optimum {}", lp, opt);
            }
        }

        /// Any multipliers give a bound no higher than the optimum.
        #[test]
        fn lagrangian_bound_is_valid_for_any_multipliers(seed in 0u64..1_000_000) {
            let inst = random_instance(seed, &shape(seed));
            prop_assume!(inst.validate().is_ok());
            let Some((opt, _)) = brute_force(&inst) else { return Ok(()) };
            let lists = uncapacitated::nearlist::NearLists::build(&inst, None);
            let ctx = uncapacitated::swap::SwapContext::new(&inst, &lists);
            let mut r = task_rng(seed, 3);
            let lambda: Vec<f64> = (0..inst.n_clients()).map(|_| r.random_range(0.0..150.0)).collect();
            let mut lag = uncapacitated::lagrange::Lagrangian::new(&ctx, lambda);
            let b = lag.run(&ctx, opt, false, 30, None);
            prop_assert!(b <= opt + 1e-6 * opt.abs().max(1.0), "bound {} above optimum {}", b, opt);
        }
    }

    #[test]
    fn same_seed_same_result_any_thread_count() {
        let inst = random_instance(
            5,
            &Shape { clients: 300, facilities: 120, p: Some(12), integral: true, ..Default::default() },
        );
        let run = |threads| {
            let out =
                solve(&inst, &SolveOptions { solver: SolverKind::Heuristic, threads, seed: 9, ..Default::default() })
                    .unwrap();
            (out.solution.clone(), out.objective(), out.lower_bound)
        };
        let a = run(1);
        assert_eq!(a, run(1));
        assert_eq!(a, run(2));
    }

    #[test]
    fn infeasible_models_say_why() {
        let mut inst = random_instance(1, &Shape { clients: 5, facilities: 4, p: Some(2), ..Default::default() });
        inst.p = Some(6);
        let out = solve(&inst, &SolveOptions::default()).unwrap();
        assert_eq!(out.status, Status::Infeasible);
        assert!(out.reasons[0].contains("p = 6 facilities must open, but only 4"), "{:?}", out.reasons);
        let mut inst = random_instance(
            2,
            &Shape { clients: 5, facilities: 4, density: Some(0.0), open_costs: true, ..Default::default() },
        );
        inst.unserved_penalty = None;
        let out = solve(&inst, &SolveOptions::default()).unwrap();
        assert_eq!(out.status, Status::Infeasible);
        assert!(out.reasons[0].contains("5 client(s) have no allowed facility"), "{:?}", out.reasons);
    }
}
