//! Variable neighbourhood search around the fast swap local search, with the
//! restarts of each round run in parallel (N. Mladenović and P. Hansen,
//! "Variable neighborhood search", Computers & OR 24 (1997) 1097–1100; for
//! the p-median: P. Hansen and N. Mladenović, "Variable neighborhood search
//! for the p-median", Location Science 5 (1997) 207–226).
//!
//! Each round runs a fixed number of tasks; task `t` shakes the incumbent
//! with `k_t` random moves and descends with the local search. The best task
//! result (ties: lowest task index) becomes the incumbent if it improves.
//! Every task draws from its own generator derived from (seed, round, task),
//! so a run depends on the seed alone — not on the number of threads.

use std::time::Instant;

use rayon::prelude::*;

use super::swap::{SwapContext, SwapState};
use crate::rng::task_rng;

pub struct VnsOptions {
    pub seed: u64,
    /// Restarts per round (fixed, so results do not depend on the thread count).
    pub tasks: usize,
    /// Largest shake, in random moves.
    pub kmax: usize,
    /// Stop after this many rounds in a row without improvement.
    pub max_stall_rounds: usize,
    pub deadline: Option<Instant>,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct VnsStats {
    pub rounds: u64,
    pub improvements: u64,
    pub moves: u64,
    pub hit_deadline: bool,
}

/// Runs VNS from `incumbent` until `done(objective)` says stop, the stall
/// limit or the deadline; `first_round` continues the random streams of an
/// earlier call. Returns the best state found.
pub fn vns(
    ctx: &SwapContext,
    mut incumbent: SwapState,
    opts: &VnsOptions,
    first_round: u64,
    done: &(dyn Fn(f64) -> bool + Sync),
) -> (SwapState, VnsStats) {
    let mut stats = VnsStats::default();
    let mut stall = 0;
    let mut k_base = 0usize;
    let kmax = opts.kmax.max(1);
    let mut round = first_round;
    while stall < opts.max_stall_rounds && !done(incumbent.objective()) {
        if opts.deadline.is_some_and(|d| Instant::now() >= d) {
            stats.hit_deadline = true;
            break;
        }
        let inc = &incumbent;
        let results: Vec<(f64, SwapState, u64)> = (0..opts.tasks)
            .into_par_iter()
            .map(|t| {
                let mut rng = task_rng(opts.seed, round * opts.tasks as u64 + t as u64);
                let k = 1 + (k_base + t) % kmax;
                let mut s = inc.clone();
                s.moves = 0;
                for _ in 0..k {
                    if let Some(mv) = s.random_move(ctx, &mut rng) {
                        s.apply(ctx, mv);
                    }
                }
                s.local_search(ctx);
                (s.objective(), s.clone(), s.moves)
            })
            .collect();
        stats.rounds += 1;
        round += 1;
        stats.moves += results.iter().map(|r| r.2).sum::<u64>();
        let (best_t, best) = results
            .into_iter()
            .enumerate()
            .min_by(|a, b| a.1.0.total_cmp(&b.1.0).then(a.0.cmp(&b.0)))
            .expect("at least one task");
        if best.0 < incumbent.objective() - ctx.eps {
            incumbent = best.1;
            stats.improvements += 1;
            stall = 0;
            k_base = 0;
            let _ = best_t;
        } else {
            stall += 1;
            k_base = (k_base + opts.tasks) % kmax;
        }
    }
    (incumbent, stats)
}
