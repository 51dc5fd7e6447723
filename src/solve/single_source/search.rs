//! VNS for single-source capacitated location: facility moves (open, close,
//! swap) shake the incumbent, the client local search repairs after every
//! shake, and an exact facility local search descends; the rounds run in
//! the shared deterministic loop of [`crate::solve::vns`].

use std::time::Instant;

use rand::Rng as _;

use super::moves::{budget_blocks_opening, can_close, can_open, can_swap, can_swap_but_for_budget};
use super::state::SingleSourceState;
use crate::rng::Rng;
use crate::solve::context::CapContext;
use crate::solve::vns::{VnsSchedule, parallel_vns};

/// A state with its objective, compared lexicographically by (objective, task).
#[derive(Clone)]
pub struct ScoredState {
    pub state: SingleSourceState,
    pub objective: f64,
}

impl ScoredState {
    pub fn new(ctx: &CapContext, state: SingleSourceState) -> ScoredState {
        let objective = state.objective(ctx);
        ScoredState { state, objective }
    }
}

/// One random facility move that keeps the rules; returns false if none was found.
fn shake(ctx: &CapContext, s: &mut SingleSourceState, rng: &mut Rng) -> bool {
    let m = ctx.n_facilities();
    let fixed_p = ctx.rules.min_open == ctx.rules.max_open;
    for _ in 0..64 {
        let kind = if fixed_p { 0 } else { rng.random_range(0..3) };
        let a = rng.random_range(0..m);
        let b = rng.random_range(0..m);
        match kind {
            1 if can_open(ctx, s, a) => {
                s.open_and_pull(ctx, a);
                return true;
            }
            1 if budget_blocks_opening(ctx, s, a) && s.evict_for_budget(ctx, a, s.pull_charge(ctx, a)) => {
                s.open_and_pull(ctx, a);
                return true;
            }
            2 if can_close(ctx, s, a) => {
                s.close(ctx, a);
                return true;
            }
            0 if can_swap(ctx, s, a, b) => {
                // Open first, so the new facility can take the closing one's clients.
                s.open_and_pull(ctx, a);
                s.close(ctx, b);
                return true;
            }
            _ => {}
        }
    }
    false
}

/// Candidate facilities to swap with each facility: those that are cheap for
/// its cheapest clients (a stand-in for "nearby" that needs no coordinates).
pub fn neighbour_facilities(ctx: &CapContext, k: usize) -> Vec<Vec<u32>> {
    (0..ctx.n_facilities())
        .map(|r| {
            let mut score: std::collections::HashMap<u32, f64> = std::collections::HashMap::new();
            let (us, _) = ctx.facility_links.of(r);
            for &u in us.iter().take(20) {
                let (fs, cs) = ctx.client_links.of(u as usize);
                for (rank, (&f, _)) in fs.iter().zip(cs).take(6).enumerate() {
                    if f as usize != r && !ctx.rules.forbidden[f as usize] {
                        *score.entry(f).or_insert(0.0) += 1.0 / (1.0 + rank as f64);
                    }
                }
            }
            let mut v: Vec<(f64, u32)> = score.into_iter().map(|(f, s)| (s, f)).collect();
            v.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            v.into_iter().take(k).map(|x| x.1).collect()
        })
        .collect()
}

/// Facility local search: swaps of an open facility with one of its
/// neighbours (and, when the count is free, additions and closures), each
/// evaluated exactly — move, re-insert, client local search — taking the
/// first improvement, until none improves or `max_evaluations` is spent.
pub fn facility_search(
    ctx: &CapContext,
    start: ScoredState,
    neighbours: &[Vec<u32>],
    max_evaluations: usize,
) -> ScoredState {
    let mut best = start;
    let mut evaluations = 0;
    let free_count = ctx.rules.min_open != ctx.rules.max_open;
    'improve: loop {
        let open: Vec<usize> = (0..ctx.n_facilities()).filter(|&f| best.state.open[f]).collect();
        for &r in &open {
            if ctx.rules.fixed[r] {
                continue;
            }
            let mut tries: Vec<Option<usize>> = neighbours[r].iter().map(|&i| Some(i as usize)).collect();
            if free_count {
                tries.push(None);
            }
            for i in tries {
                if evaluations >= max_evaluations {
                    break 'improve;
                }
                let mut s = best.state.clone();
                s.take_touched();
                match i {
                    Some(i) if can_swap(ctx, &s, i, r) => {
                        s.open_and_pull(ctx, i);
                        s.close(ctx, r);
                    }
                    Some(i) if ctx.pays_for_clients && can_swap_but_for_budget(ctx, &s, i, r) => {
                        // Over budget: give up the weakest links to pay for the swap.
                        if !s.evict_for_budget(ctx, i, s.pull_charge(ctx, i) - ctx.charge[r]) {
                            continue;
                        }
                        s.open_and_pull(ctx, i);
                        s.close(ctx, r);
                    }
                    None if can_close(ctx, &s, r) => s.close(ctx, r),
                    _ => continue,
                }
                evaluations += 1;
                s.repair_around_changes(ctx);
                let cand = ScoredState::new(ctx, s);
                if cand.objective < best.objective - ctx.eps {
                    best = cand;
                    continue 'improve;
                }
            }
        }
        if free_count {
            for i in 0..ctx.n_facilities() {
                if evaluations >= max_evaluations {
                    break 'improve;
                }
                let evict = budget_blocks_opening(ctx, &best.state, i);
                if !(evict || can_open(ctx, &best.state, i)) || best.state.opening_value(ctx, i) <= ctx.eps {
                    continue;
                }
                let mut s = best.state.clone();
                s.take_touched();
                if evict && !s.evict_for_budget(ctx, i, s.pull_charge(ctx, i)) {
                    continue;
                }
                s.open_and_pull(ctx, i);
                evaluations += 1;
                s.repair_around_changes(ctx);
                let cand = ScoredState::new(ctx, s);
                if cand.objective < best.objective - ctx.eps {
                    best = cand;
                    continue 'improve;
                }
            }
        }
        break;
    }
    best
}

pub struct VnsSettings {
    pub seed: u64,
    pub tasks: usize,
    pub kmax: usize,
    pub max_stall_rounds: usize,
    pub deadline: Option<Instant>,
    /// Exact facility-move evaluations per descent (0: client local search only).
    pub facility_evaluations: usize,
}

/// VNS from `start`; `stop(objective)` ends it early (for example when a
/// bound proves optimality). Returns the best state and the rounds run.
pub fn vns(
    ctx: &CapContext,
    start: ScoredState,
    set: &VnsSettings,
    first_round: u64,
    stop: &(dyn Fn(f64) -> bool + Sync),
) -> (ScoredState, u64, bool) {
    let neighbours =
        if set.facility_evaluations > 0 { neighbour_facilities(ctx, 8) } else { vec![Vec::new(); ctx.n_facilities()] };
    let best = if set.facility_evaluations > 0 {
        facility_search(ctx, start, &neighbours, set.facility_evaluations)
    } else {
        start
    };
    let schedule = VnsSchedule {
        seed: set.seed,
        tasks: set.tasks,
        kmax: set.kmax,
        max_stall_rounds: set.max_stall_rounds,
        deadline: set.deadline,
    };
    // A restart shakes by `k` random facility moves, repairs the assignment
    // around them, and descends by the facility search.
    let restart = |inc: &ScoredState, k: usize, rng: &mut Rng| {
        let mut s = inc.state.clone();
        s.take_touched();
        for _ in 0..k {
            if !shake(ctx, &mut s, rng) {
                break;
            }
        }
        s.repair_around_changes(ctx);
        let scored = ScoredState::new(ctx, s);
        let found = if set.facility_evaluations > 0 {
            facility_search(ctx, scored, &neighbours, set.facility_evaluations)
        } else {
            scored
        };
        (found, 0)
    };
    let objective = |s: &ScoredState| s.objective;
    let (best, stats) = parallel_vns(best, &schedule, first_round, ctx.eps, objective, stop, restart);
    (best, stats.rounds, stats.hit_deadline)
}
