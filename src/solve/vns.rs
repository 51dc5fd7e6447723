//! The deterministic parallel variable neighbourhood search loop shared by
//! the uncapacitated and single-source engines (N. Mladenović and P. Hansen,
//! "Variable neighborhood search", Computers & OR 24 (1997) 1097–1100; for
//! the p-median: P. Hansen and N. Mladenović, "Variable neighborhood search
//! for the p-median", Location Science 5 (1997) 207–226).
//!
//! Each round runs a fixed number of restarts in parallel; restart `t`
//! shakes the incumbent with `k_t = 1 + (k_base + t) mod kmax` random moves
//! and descends (what a shake and a descent are is the engine's business).
//! The best restart (ties: lowest task index) becomes the incumbent if it
//! improves by more than `eps`, and `k_base` returns to 0; otherwise the
//! round counts as a stall and `k_base` advances by the number of tasks, so
//! the next round tries larger shakes. Every restart draws from its own
//! generator derived from (seed, round, task), so a run depends on the seed
//! alone — not on the number of threads. The multi-source engine runs its
//! own, sequential loop (see [`crate::solve::multi_source::search`]).

use std::time::Instant;

use rayon::prelude::*;

use crate::rng::{Rng, task_rng};

/// The loop's schedule.
pub struct VnsSchedule {
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
    /// Local-search moves reported by the restarts.
    pub moves: u64,
    pub hit_deadline: bool,
}

/// Runs the loop from `incumbent` until `stop(objective)` says stop, the
/// stall limit or the deadline; `first_round` continues the random streams
/// of an earlier call. `restart(incumbent, k, rng)` shakes a copy of the
/// incumbent by `k` moves and descends, returning the result and the moves it
/// made; `objective` scores a state. Returns the best state found.
pub fn parallel_vns<S: Clone + Send + Sync>(
    mut incumbent: S,
    schedule: &VnsSchedule,
    first_round: u64,
    eps: f64,
    objective: impl Fn(&S) -> f64 + Sync,
    stop: &(dyn Fn(f64) -> bool + Sync),
    restart: impl Fn(&S, usize, &mut Rng) -> (S, u64) + Sync,
) -> (S, VnsStats) {
    let mut stats = VnsStats::default();
    let mut stall = 0;
    let mut k_base = 0usize;
    let kmax = schedule.kmax.max(1);
    let tasks = schedule.tasks;
    let mut round = first_round;
    while stall < schedule.max_stall_rounds && !stop(objective(&incumbent)) {
        if schedule.deadline.is_some_and(|d| Instant::now() >= d) {
            stats.hit_deadline = true;
            break;
        }
        let inc = &incumbent;
        let results: Vec<(f64, S, u64)> = (0..tasks)
            .into_par_iter()
            .map(|t| {
                let mut rng = task_rng(schedule.seed, round * tasks as u64 + t as u64);
                let k = 1 + (k_base + t) % kmax;
                let (s, moves) = restart(inc, k, &mut rng);
                (objective(&s), s, moves)
            })
            .collect();
        stats.rounds += 1;
        round += 1;
        stats.moves += results.iter().map(|r| r.2).sum::<u64>();
        let best = results.into_iter().enumerate().min_by(|a, b| a.1.0.total_cmp(&b.1.0).then(a.0.cmp(&b.0)));
        match best {
            Some((_, (obj, s, _))) if obj < objective(&incumbent) - eps => {
                incumbent = s;
                stats.improvements += 1;
                stall = 0;
                k_base = 0;
            }
            _ => {
                stall += 1;
                k_base = (k_base + tasks) % kmax;
            }
        }
    }
    (incumbent, stats)
}
