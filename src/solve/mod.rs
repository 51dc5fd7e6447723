//! Solvers: fast parallel heuristics with Lagrangian bounds, and the exact MIP.
//!
//! [`solve`] is the one entry point: it picks the method, runs it on a thread
//! pool of the requested size, and passes every result through the
//! independent checker ([`crate::plan::check`]) before returning it.

pub mod bnb;
pub mod lagrange;
pub mod mip;
pub mod nearlist;
pub mod swap;
pub mod uncap;
pub mod vns;

use std::time::{Duration, Instant};

use crate::plan::{Evaluation, Solution, check};
use crate::problem::Instance;

pub use mip::Backend;

/// Which method to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
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
    pub solver: SolverKind,
    /// Wall-clock limit in seconds (the only setting that can make a run
    /// depend on machine speed).
    pub time_limit: Option<f64>,
    pub seed: u64,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// MIP backend for `mip` and `auto`.
    pub backend: Backend,
    /// Heuristic effort: VNS rounds without improvement before stopping.
    pub max_stall_rounds: usize,
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
    pub vns_rounds: u64,
    pub local_search_moves: u64,
    pub lagrange_iterations: usize,
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
    pub solution: Solution,
    /// The objective and its terms, recomputed by the checker.
    pub evaluation: Evaluation,
    pub lower_bound: Option<f64>,
    pub status: Status,
    /// What ran, e.g. `vns+lagrangian` or `mip(microlp)`.
    pub solver: String,
    pub seed: u64,
    pub threads: usize,
    pub elapsed_s: f64,
    pub stats: SolveStats,
    /// Plain-language reasons when the model is infeasible.
    pub reasons: Vec<String>,
    /// Notes on choices made (for `--solver auto`).
    pub notes: Vec<String>,
}

impl SolveOutcome {
    pub fn objective(&self) -> f64 {
        self.evaluation.objective
    }

    /// Relative gap between objective and bound, if a bound is known.
    pub fn gap(&self) -> Option<f64> {
        self.lower_bound.map(|lb| lagrange::relative_gap(self.evaluation.objective, lb))
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum SolveError {
    #[error("{0}")]
    Instance(String),
    #[error(transparent)]
    Mip(#[from] mip::MipError),
    #[error("internal error: the checker rejected the {solver} solution: {violations}")]
    CheckerRejected { solver: String, violations: String },
    #[error("this model is not supported by the {0} solver yet")]
    Unsupported(String),
    #[error("cannot start the thread pool: {0}")]
    Threads(String),
}

/// Instances up to this many allowed links may be handed to the MIP by `auto`.
const AUTO_MIP_LINKS: usize = 2_500;

/// Solves `inst` as `opts` asks and returns a result the checker accepted.
pub fn solve(inst: &Instance, opts: &SolveOptions) -> Result<SolveOutcome, SolveError> {
    inst.validate().map_err(|e| SolveError::Instance(e.0))?;
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    } else {
        opts.threads
    };
    let pool =
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().map_err(|e| SolveError::Threads(e.to_string()))?;
    let start = Instant::now();
    let deadline = opts.time_limit.map(|t| start + Duration::from_secs_f64(t.max(0.0)));
    let mut out = pool.install(|| dispatch(inst, opts, deadline))?;
    out.seed = opts.seed;
    out.threads = threads;
    out.elapsed_s = start.elapsed().as_secs_f64();
    Ok(out)
}

fn dispatch(inst: &Instance, opts: &SolveOptions, deadline: Option<Instant>) -> Result<SolveOutcome, SolveError> {
    let reasons = quick_infeasibility(inst);
    if !reasons.is_empty() {
        return Ok(infeasible(inst, reasons, "presolve"));
    }
    match opts.solver {
        SolverKind::Mip => run_mip(inst, opts, deadline, Vec::new()),
        SolverKind::Heuristic | SolverKind::Auto => {
            if !inst.is_uncapacitated_core() {
                if opts.solver == SolverKind::Auto {
                    return run_mip(inst, opts, deadline, vec!["auto: capacities, budgets or groups → MIP".into()]);
                }
                return Err(SolveError::Unsupported("heuristic".into()));
            }
            let mut out = run_uncapacitated(inst, opts, deadline)?;
            if opts.solver == SolverKind::Auto {
                out.notes.push(format!(
                    "auto: {} on {} clients × {} facilities ({} links)",
                    out.solver,
                    inst.n_clients(),
                    inst.n_facilities(),
                    inst.costs.n_links()
                ));
                let small = inst.costs.n_links() <= AUTO_MIP_LINKS;
                if out.status == Status::Feasible && small && deadline.is_none_or(|d| Instant::now() < d) {
                    let left = deadline.map(|d| d.saturating_duration_since(Instant::now()).as_secs_f64());
                    let notes = out.notes.clone();
                    if let Ok(mut exact) =
                        run_mip(inst, opts, left.map(|l| Instant::now() + Duration::from_secs_f64(l)), notes)
                        && exact.status == Status::Optimal
                        && exact.objective() <= out.objective() + 1e-9 * out.objective().abs().max(1.0)
                    {
                        exact.notes.push(
                            "auto: the bound left a gap on a small instance, so the MIP proved optimality".into(),
                        );
                        exact.solver = format!("{}+{}", out.solver, exact.solver);
                        exact.stats = out.stats.clone();
                        return Ok(exact);
                    }
                }
            }
            Ok(out)
        }
    }
}

fn run_uncapacitated(
    inst: &Instance,
    opts: &SolveOptions,
    deadline: Option<Instant>,
) -> Result<SolveOutcome, SolveError> {
    let uopts = uncap::UncapOptions {
        seed: opts.seed,
        deadline,
        max_stall_rounds: opts.max_stall_rounds,
        ..Default::default()
    };
    let r = uncap::solve_uncapacitated(inst, &uopts);
    let solution = Solution::single_source(r.open, r.assignment);
    let status = if r.proven {
        Status::Optimal
    } else if r.hit_deadline {
        Status::TimeLimit
    } else {
        Status::Feasible
    };
    let stats = SolveStats {
        vns_rounds: r.rounds,
        local_search_moves: r.moves,
        lagrange_iterations: r.lagrange_iterations,
        bnb_nodes: r.nodes,
        bnb_work: r.bnb_work,
        stages: r.stages,
    };
    finish(inst, solution, Some(r.lower_bound), status, "vns+lagrangian".into(), stats, Vec::new())
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
            reasons.insert(0, "no solution found serves every client".into());
            let mut out = infeasible(inst, reasons, &solver);
            out.solution = solution;
            out.evaluation = report.evaluation;
            return Ok(out);
        }
        let violations = report.violations.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("; ");
        return Err(SolveError::CheckerRejected { solver, violations });
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
        notes,
    })
}

fn infeasible(inst: &Instance, reasons: Vec<String>, solver: &str) -> SolveOutcome {
    let solution = Solution { open: Vec::new(), assignment: vec![None; inst.n_clients()], flows: None };
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
        notes: Vec::new(),
    }
}

/// Reasons that make a model infeasible before any search, in plain words.
pub fn quick_infeasibility(inst: &Instance) -> Vec<String> {
    let mut reasons = Vec::new();
    let allowed = inst.facilities.iter().filter(|f| !f.forbidden).count();
    let fixed = inst.facilities.iter().filter(|f| f.fixed_open).count();
    if let Some(p) = inst.p {
        if p > allowed {
            reasons.push(format!("p = {p} facilities must open, but only {allowed} are not forbidden"));
        }
        if p < fixed {
            reasons.push(format!("p = {p}, but {fixed} facilities are already open and must stay open"));
        }
    }
    if let Some(hi) = inst.max_open
        && hi < fixed
    {
        reasons.push(format!("at most {hi} facilities may be open, but {fixed} are already open"));
    }
    if let Some(lo) = inst.min_open
        && lo > allowed
    {
        reasons.push(format!("at least {lo} facilities must open, but only {allowed} are not forbidden"));
    }
    if inst.unserved_penalty.is_none() {
        let mut stranded = Vec::new();
        for c in 0..inst.n_clients() {
            let mut any = false;
            inst.costs.for_each_link(c, |f, _| any |= !inst.facilities[f].forbidden);
            if !any {
                stranded.push(inst.clients[c].id.to_string());
            }
        }
        if !stranded.is_empty() {
            let shown: Vec<_> = stranded.iter().take(10).cloned().collect();
            reasons.push(format!(
                "{} client(s) have no allowed facility at all: {}{}",
                stranded.len(),
                shown.join(", "),
                if stranded.len() > 10 { ", …" } else { "" }
            ));
        }
    }
    reasons
}
