//! The uncapacitated pipeline (p-median, UFLP): greedy construction, fast
//! swap local search, Lagrangian bound, a Lagrangian heuristic, and parallel
//! VNS alternating with further bound iterations until the bound proves the
//! objective optimal or the search stalls.

pub(crate) mod bnb;
pub(crate) mod lagrange;
pub mod nearlist;
pub mod swap;

use std::time::Instant;

use bnb::{BnbLimits, branch_and_bound};
use lagrange::Lagrangian;
use nearlist::NearLists;
use swap::{SwapContext, SwapState};

use crate::plan::Solution;
use crate::problem::Instance;
use crate::solve::SolveStats;
use crate::solve::engine::{EngineOptions, EngineOutcome, Stages};
use crate::solve::lagrangian::proves_optimal;
use crate::solve::vns::{VnsSchedule, parallel_vns};

/// The uncapacitated engine's own effort knobs.
#[derive(Debug, Clone)]
pub(crate) struct Effort {
    /// Subgradient iterations per bound phase.
    pub(crate) lagrange_iterations: usize,
    /// Candidate list length (`None`: whole lists up to a memory limit).
    pub(crate) list_len: Option<usize>,
    /// Branch-and-bound node limit (0: bound at the root only).
    pub(crate) max_nodes: usize,
    /// Branch-and-bound work limit in list entries scanned by the subgradient
    /// (deterministic, unlike a time limit; see [`lagrange::Lagrangian::work`]).
    pub(crate) max_bnb_work: u64,
}

impl Default for Effort {
    fn default() -> Self {
        Effort { lagrange_iterations: 3000, list_len: None, max_nodes: 20_000, max_bnb_work: 4_000_000_000 }
    }
}

/// Runs the whole uncapacitated pipeline.
pub(crate) fn solve(inst: &Instance, opts: &EngineOptions<Effort>) -> EngineOutcome {
    let effort = &opts.effort;
    let integral = inst.costs.all_integral()
        && inst.facilities.iter().all(|f| f.open_cost.fract() == 0.0)
        && inst.unserved_penalty.is_none_or(|p| inst.clients.iter().all(|c| (p * c.demand).fract() == 0.0));
    let mut stages = Stages::start();
    let lists = NearLists::build(inst, effort.list_len);
    stages.mark("candidate lists");
    let ctx = SwapContext::new(inst, &lists);
    let mut best = SwapState::new(&ctx, &[]);
    best.greedy_fill(&ctx);
    best.local_search(&ctx);
    let mut moves = best.moves;
    stages.mark("greedy + local search");
    let mut lag = Lagrangian::new(&ctx, best_service_costs(&best, &ctx));
    let past_deadline = || opts.deadline.is_some_and(|d| Instant::now() >= d);
    lag.run(&ctx, best.objective(), integral, effort.lagrange_iterations, opts.deadline);
    stages.mark("lagrangian bound");
    // Lagrangian heuristic: the relaxed solution's open set, repaired by local search.
    if !proves_optimal(lag.best_bound, best.objective(), integral) && !lag.best_open.is_empty() {
        let mut s = SwapState::new(&ctx, &lag.best_open);
        s.local_search(&ctx);
        moves += s.moves;
        if s.objective() < best.objective() - ctx.eps {
            best = s;
        }
    }
    let mut rounds = 0;
    let mut hit_deadline = false;
    let schedule = VnsSchedule {
        seed: opts.seed,
        tasks: opts.tasks,
        kmax: best.open_count().clamp(1, 12),
        max_stall_rounds: opts.max_stall_rounds,
        deadline: opts.deadline,
    };
    // A restart shakes by `k` random swap moves and descends by the swap local search.
    let restart = |inc: &SwapState, k: usize, rng: &mut crate::rng::Rng| {
        let mut s = inc.clone();
        s.moves = 0;
        for _ in 0..k {
            if let Some(mv) = s.random_move(&ctx, rng) {
                s.apply(&ctx, mv);
            }
        }
        s.local_search(&ctx);
        let moves = s.moves;
        (s, moves)
    };
    loop {
        let bound = lag.best_bound;
        if proves_optimal(bound, best.objective(), integral) || past_deadline() {
            break;
        }
        let done = move |obj: f64| proves_optimal(bound, obj, integral);
        let before = best.objective();
        let (s, st) = parallel_vns(best, &schedule, rounds, ctx.eps, SwapState::objective, &done, restart);
        best = s;
        rounds += st.rounds;
        moves += st.moves;
        hit_deadline |= st.hit_deadline;
        let improved = best.objective() < before - ctx.eps;
        if proves_optimal(lag.best_bound, best.objective(), integral) || hit_deadline {
            break;
        }
        // A better objective gives the subgradient a better target: resume it.
        if improved || !lag.converged() {
            lag.reheat();
            let old = lag.best_bound;
            lag.run(&ctx, best.objective(), integral, effort.lagrange_iterations, opts.deadline);
            if !improved && lag.best_bound <= old {
                break;
            }
        } else {
            break;
        }
    }
    stages.mark("vns");
    // Branch and bound where the root bound leaves a gap.
    let mut lower_bound = lag.best_bound;
    let mut nodes = 0;
    let mut bnb_work = 0;
    if !proves_optimal(lag.best_bound, best.objective(), integral) && !past_deadline() && effort.max_nodes > 0 {
        let limits = BnbLimits {
            max_nodes: effort.max_nodes,
            max_work: effort.max_bnb_work,
            deadline: opts.deadline,
            node_iterations: 600,
        };
        let r = branch_and_bound(&ctx, best.objective(), &lag.best_lambda, lag.best_bound, integral, &limits);
        nodes = r.nodes;
        bnb_work = r.work;
        if let Some(set) = r.improved {
            let mut s = SwapState::new(&ctx, &set);
            s.local_search(&ctx);
            if s.objective() < best.objective() - ctx.eps {
                best = s;
            }
        }
        if r.complete && r.objective >= best.objective() - ctx.eps {
            lower_bound = best.objective();
        } else {
            lower_bound = lower_bound.max(r.lower_bound.min(best.objective()));
        }
    }
    if nodes > 0 {
        stages.mark("branch and bound");
    }
    let objective = best.exact_objective(&ctx);
    let lower_bound = lower_bound.min(objective);
    let stats = SolveStats {
        vns_rounds: rounds,
        local_search_moves: moves,
        lagrange_iterations: lag.iterations,
        bnb_nodes: nodes,
        bnb_work,
        stages: stages.done,
    };
    EngineOutcome {
        solution: Solution::from_positions(&best.open_set(), &best.assignment()),
        objective,
        lower_bound: Some(lower_bound),
        proven: proves_optimal(lower_bound, objective, integral),
        hit_deadline: hit_deadline || past_deadline(),
        // With the assignment constraints relaxed, the Lagrangian dual equals the LP bound.
        lp_may_tighten: false,
        stats,
        solver: "vns+lagrangian".into(),
    }
}

fn best_service_costs(s: &SwapState, ctx: &SwapContext) -> Vec<f64> {
    (0..ctx.inst.n_clients()).map(|u| s.service_cost(u)).collect()
}
