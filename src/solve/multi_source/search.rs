//! Search over open sets for multi-source location: best-improvement local
//! search over open / close / swap moves, each move priced by re-solving the
//! transportation problem (moves in parallel, the choice deterministic),
//! inside a VNS with seeded shakes (N. Mladenović and P. Hansen, "Variable
//! neighborhood search", Computers & OR 24 (1997) 1097–1100).
//!
//! This VNS does not use the shared parallel loop of [`crate::solve::vns`]:
//! one descent here prices hundreds of moves, each a transportation problem,
//! and those are what run in parallel; a round is a single shake and descent
//! whose generator is keyed by (seed, round) alone, so it is as deterministic
//! as the shared loop without running several restarts at once.

use std::time::Instant;

use rand::Rng as _;
use rayon::prelude::*;

use super::model::{MultiSourceModel, Workspace};
use crate::rng::task_rng;

/// An open set with its exact cost.
#[derive(Clone, Debug)]
pub struct ScoredOpenSet {
    pub open: Vec<bool>,
    pub cost: f64,
}

/// A move on the open set.
#[derive(Clone, Copy, Debug)]
enum OpenSetMove {
    Open(usize),
    Close(usize),
    Swap { close: usize, open: usize },
}

fn apply(open: &mut [bool], mv: OpenSetMove) {
    match mv {
        OpenSetMove::Open(f) => open[f] = true,
        OpenSetMove::Close(f) => open[f] = false,
        OpenSetMove::Swap { close, open: o } => {
            open[close] = false;
            open[o] = true;
        }
    }
}

fn flip_back(open: &mut [bool], mv: OpenSetMove) {
    match mv {
        OpenSetMove::Open(f) => open[f] = false,
        OpenSetMove::Close(f) => open[f] = true,
        OpenSetMove::Swap { close, open: o } => {
            open[close] = true;
            open[o] = false;
        }
    }
}

/// Prices every admissible move of `moves` in parallel and returns the best
/// (lowest cost, then lowest position: the same whatever the thread count).
fn best_move(model: &MultiSourceModel, s: &ScoredOpenSet, moves: &[OpenSetMove]) -> Option<(OpenSetMove, f64)> {
    let costs: Vec<f64> = moves
        .par_iter()
        .map_init(
            || (Workspace::default(), s.open.clone()),
            |(ws, open), &mv| {
                apply(open, mv);
                let c = if model.admissible(open) { model.cost(open, ws) } else { f64::INFINITY };
                flip_back(open, mv);
                c
            },
        )
        .collect();
    let mut best: Option<(OpenSetMove, f64)> = None;
    for (k, &c) in costs.iter().enumerate() {
        if c.is_finite() && best.is_none_or(|(_, b)| c < b) {
            best = Some((moves[k], c));
        }
    }
    best
}

/// Best-improvement local search: open and close moves first, swaps when
/// neither improves. Returns the number of moves made.
pub fn local_search(model: &MultiSourceModel, s: &mut ScoredOpenSet, deadline: Option<Instant>) -> u64 {
    let ctx = &model.ctx;
    let m = model.n_facilities();
    let eps = ctx.eps.max(1e-12 * s.cost.abs());
    let mut made = 0;
    loop {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return made;
        }
        let mut simple = Vec::new();
        for f in 0..m {
            if s.open[f] && !ctx.rules.fixed[f] {
                simple.push(OpenSetMove::Close(f));
            } else if !s.open[f] && !ctx.rules.forbidden[f] {
                simple.push(OpenSetMove::Open(f));
            }
        }
        let mut found = best_move(model, s, &simple).filter(|&(_, c)| c < s.cost - eps);
        if found.is_none() {
            let mut swaps = Vec::new();
            for c in (0..m).filter(|&f| s.open[f] && !ctx.rules.fixed[f]) {
                for o in (0..m).filter(|&f| !s.open[f] && !ctx.rules.forbidden[f]) {
                    swaps.push(OpenSetMove::Swap { close: c, open: o });
                }
            }
            found = best_move(model, s, &swaps).filter(|&(_, c)| c < s.cost - eps);
        }
        match found {
            Some((mv, c)) => {
                apply(&mut s.open, mv);
                s.cost = c;
                made += 1;
            }
            None => return made,
        }
    }
}

/// A random admissible neighbour `k` moves away (fewer if moves keep failing the rules).
fn shake(model: &MultiSourceModel, s: &ScoredOpenSet, k: usize, rng: &mut crate::rng::Rng) -> Vec<bool> {
    let ctx = &model.ctx;
    let m = model.n_facilities();
    let mut open = s.open.clone();
    for _ in 0..k {
        for _attempt in 0..20 {
            let closable: Vec<usize> = (0..m).filter(|&f| open[f] && !ctx.rules.fixed[f]).collect();
            let openable: Vec<usize> = (0..m).filter(|&f| !open[f] && !ctx.rules.forbidden[f]).collect();
            let mv = match rng.random_range(0..3) {
                0 if !openable.is_empty() => OpenSetMove::Open(openable[rng.random_range(0..openable.len())]),
                1 if !closable.is_empty() => OpenSetMove::Close(closable[rng.random_range(0..closable.len())]),
                _ if !openable.is_empty() && !closable.is_empty() => OpenSetMove::Swap {
                    close: closable[rng.random_range(0..closable.len())],
                    open: openable[rng.random_range(0..openable.len())],
                },
                _ => continue,
            };
            apply(&mut open, mv);
            if model.admissible(&open) {
                break;
            }
            flip_back(&mut open, mv);
        }
    }
    open
}

/// VNS over open sets from `start`: shake by k random moves, descend, keep
/// improvements (k back to 1), else grow k; stops after `max_stall` shakes
/// without improvement, at the deadline, or when `done(cost)` says the bound is met.
pub fn vns(
    model: &MultiSourceModel,
    start: ScoredOpenSet,
    seed: u64,
    max_stall: usize,
    deadline: Option<Instant>,
    done: &dyn Fn(f64) -> bool,
) -> (ScoredOpenSet, u64, u64) {
    let mut best = start;
    let mut moves = local_search(model, &mut best, deadline);
    let mut rounds = 0u64;
    let kmax = best.open.iter().filter(|&&o| o).count().clamp(2, 5);
    let (mut k, mut stall) = (1, 0);
    let mut ws = Workspace::default();
    while stall < max_stall && !done(best.cost) && deadline.is_none_or(|d| Instant::now() < d) {
        rounds += 1;
        let mut rng = task_rng(seed, rounds);
        let open = shake(model, &best, k, &mut rng);
        let cost = model.cost(&open, &mut ws);
        let mut cand = ScoredOpenSet { open, cost };
        moves += local_search(model, &mut cand, deadline);
        if cand.cost < best.cost - model.ctx.eps.max(1e-12 * best.cost.abs()) {
            best = cand;
            k = 1;
            stall = 0;
        } else {
            k = if k >= kmax { 1 } else { k + 1 };
            stall += 1;
        }
    }
    (best, rounds, moves)
}
