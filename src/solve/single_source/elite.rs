//! Path relinking between elite open sets. The VNS and the exact swap
//! search end in a local optimum whose better neighbours may be several
//! facility swaps away, each of them worse on its own (on Osman and
//! Christofides' pmedcap1-14 the optimum has three facilities the VNS's
//! best lacks, and every one of those swaps alone is uphill). Here an elite
//! pool of distinct local optima is fed by random perturbations of its
//! members, each descended, and the open-set path between each new optimum
//! and the best (and another member) is walked in both directions, one
//! facility swap at a time, always the swap whose repaired assignment is
//! cheapest; the best point strictly inside each path is then descended by
//! the facility search. The walks see the combinations of facilities that
//! two good solutions agree on, which a random shake rarely assembles.
//!
//! It stops after a number of rounds without improvement, or at a cap on
//! all rounds: on the Osman–Christofides and São José dos Campos instances
//! it takes 10 to 21 rounds; on Lorena and Senne's p3038 instances, with
//! 600 to 1,000 open facilities, it was still improving at the 300 s limit.
//!
//! Path relinking: Glover, "Tabu search and adaptive memory programming —
//! advances, applications and challenges" (1997); for the capacitated
//! p-median, Díaz & Fernández, "Hybrid scatter search and path relinking for
//! the capacitated p-median problem", European Journal of Operational
//! Research 169 (2006) 570–585, and Scheuerer & Wendolsky, "A scatter search
//! heuristic for the capacitated clustering problem", EJOR 169 (2006)
//! 533–547.
//!
//! Every random choice comes from a generator derived from the seed and the
//! start's index, and the parallel parts are collected in index order, so
//! the result depends only on the seed.

use std::time::Instant;

use rand::Rng as _;
use rayon::prelude::*;

use super::moves::{can_close, can_open, can_swap};
use super::search::{ScoredState, facility_search};
use super::state::SingleSourceState;
use crate::rng::task_rng;
use crate::solve::context::CapContext;

/// Random streams of the pool's starts (apart from the VNS's).
const STREAM: u64 = 0xE117_E000_0000;

/// Largest open-set difference walked in full (a step prices every pair).
const MAX_DIFFERENCE: usize = 16;

/// Local optima kept in the elite pool.
const ELITE: usize = 10;

/// The search's effort knobs.
#[derive(Debug, Clone)]
pub struct RelinkSettings {
    pub seed: u64,
    /// Perturbed starts built per round (the pool's candidates).
    pub starts: usize,
    /// Rounds of pool building and relinking without improvement before it stops.
    pub stall_rounds: usize,
    /// Most rounds in all (large instances improve a little in most rounds).
    pub max_rounds: usize,
    /// Exact facility-move evaluations per facility descent.
    pub evaluations: usize,
    pub deadline: Option<Instant>,
}

/// Open facilities in `a` and not in `b`.
fn only_in(a: &SingleSourceState, b: &SingleSourceState) -> Vec<usize> {
    (0..a.open.len()).filter(|&f| a.open[f] && !b.open[f]).collect()
}

/// One perturbed start: `k` random swaps from `from`, repaired and descended.
fn perturbed_start(
    ctx: &CapContext,
    from: &ScoredState,
    k: usize,
    stream: u64,
    seed: u64,
    neighbours: &[Vec<u32>],
    evaluations: usize,
) -> ScoredState {
    let mut rng = task_rng(seed, STREAM + stream);
    let m = ctx.n_facilities();
    let mut s = from.state.clone();
    s.take_touched();
    let mut done = 0;
    for _ in 0..64 * k {
        if done == k {
            break;
        }
        let (i, r) = (rng.random_range(0..m), rng.random_range(0..m));
        if can_swap(ctx, &s, i, r) {
            s.open_and_pull(ctx, i);
            s.close(ctx, r);
            done += 1;
        }
    }
    s.repair_around_changes(ctx);
    facility_search(ctx, ScoredState::new(ctx, s), neighbours, evaluations)
}

/// Walks from `from` toward `to`, one move at a time (a swap of a facility
/// only `from` has for one only `to` has; an opening or a closure when the
/// count is free), always the move whose repaired state is cheapest, and
/// returns the best state strictly between the two ends.
fn walk(ctx: &CapContext, from: &ScoredState, to: &ScoredState, deadline: Option<Instant>) -> Option<ScoredState> {
    let mut cur = from.clone();
    let mut best: Option<ScoredState> = None;
    loop {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return best;
        }
        let out = only_in(&cur.state, &to.state);
        let inn = only_in(&to.state, &cur.state);
        if out.len() + inn.len() <= 2 {
            // One move from `to`: the rest of the path is `to` itself.
            return best;
        }
        let mut step: Option<ScoredState> = None;
        let consider = |mut s: SingleSourceState, step: &mut Option<ScoredState>| {
            s.repair_around_changes(ctx);
            let cand = ScoredState::new(ctx, s);
            if step.as_ref().is_none_or(|b| cand.objective < b.objective - ctx.eps) {
                *step = Some(cand);
            }
        };
        for &r in &out {
            for &i in &inn {
                if can_swap(ctx, &cur.state, i, r) {
                    let mut s = cur.state.clone();
                    s.take_touched();
                    s.open_and_pull(ctx, i);
                    s.close(ctx, r);
                    consider(s, &mut step);
                }
            }
            if can_close(ctx, &cur.state, r) {
                let mut s = cur.state.clone();
                s.take_touched();
                s.close(ctx, r);
                consider(s, &mut step);
            }
        }
        for &i in &inn {
            if can_open(ctx, &cur.state, i) {
                let mut s = cur.state.clone();
                s.take_touched();
                s.open_and_pull(ctx, i);
                consider(s, &mut step);
            }
        }
        let Some(next) = step else {
            return best; // the rules allow no move toward `to`
        };
        if best.as_ref().is_none_or(|b| next.objective < b.objective - ctx.eps) {
            best = Some(next.clone());
        }
        cur = next;
    }
}

/// Facilities open in one state and not the other.
fn distance(a: &SingleSourceState, b: &SingleSourceState) -> usize {
    (0..a.open.len()).filter(|&f| a.open[f] != b.open[f]).count()
}

/// The elite pool: the best distinct local optima seen, each more than one
/// swap from every other, best first.
struct Pool {
    members: Vec<ScoredState>,
    size: usize,
}

impl Pool {
    fn offer(&mut self, ctx: &CapContext, cand: ScoredState) {
        if self.members.len() == self.size
            && self.members.last().is_some_and(|w| cand.objective >= w.objective - ctx.eps)
        {
            return;
        }
        if let Some(k) = self.members.iter().position(|e| distance(&e.state, &cand.state) <= 2) {
            // Too close to a member: it replaces that member if better.
            if cand.objective < self.members[k].objective - ctx.eps {
                self.members.remove(k);
            } else {
                return;
            }
        }
        let at = self.members.partition_point(|e| e.objective <= cand.objective);
        self.members.insert(at, cand);
        self.members.truncate(self.size);
    }
}

/// Rounds of pool building and path relinking from `start`; returns the
/// best state found (never worse than `start`).
pub fn relink_elite(
    ctx: &CapContext,
    start: ScoredState,
    neighbours: &[Vec<u32>],
    set: &RelinkSettings,
) -> ScoredState {
    let p = start.state.open_count;
    if p < 3 {
        return start;
    }
    let mut pool = Pool { members: vec![start], size: ELITE };
    let late = || set.deadline.is_some_and(|d| Instant::now() >= d);
    let (mut round, mut stall) = (0, 0);
    while stall < set.stall_rounds && round < set.max_rounds && !late() {
        let before = pool.members[0].objective;
        // New local optima from perturbations of a third to a half of an
        // elite open set (at most a quarter of the longest path walked; the
        // best member for every other start).
        let elite = &pool.members;
        let starts: Vec<ScoredState> = (0..set.starts)
            .into_par_iter()
            .map(|t| {
                let stream = (round * set.starts + t) as u64;
                let from = if t % 2 == 0 { &elite[0] } else { &elite[(t / 2) % elite.len()] };
                let k = (p / 3).clamp(2, MAX_DIFFERENCE / 4) + t % (p / 6 + 1).min(MAX_DIFFERENCE / 4);
                perturbed_start(ctx, from, k, stream, set.seed, neighbours, set.evaluations)
            })
            .collect();
        // Each start relinked with the best and with one other elite member
        // (none when that is the best again), both ways.
        let pairs: Vec<(&ScoredState, &ScoredState)> = starts
            .iter()
            .enumerate()
            .flat_map(|(t, s)| {
                let other = ((t + round) % elite.len() != 0).then(|| &elite[(t + round) % elite.len()]);
                [(s, &elite[0]), (&elite[0], s)]
                    .into_iter()
                    .chain(other.into_iter().flat_map(move |o| [(s, o), (o, s)]))
            })
            .filter(|(a, b)| {
                let d = distance(&a.state, &b.state);
                d > 2 && d <= 2 * MAX_DIFFERENCE
            })
            .collect();
        let walks: Vec<ScoredState> = pairs
            .par_iter()
            .filter_map(|(a, b)| {
                walk(ctx, a, b, set.deadline).map(|s| facility_search(ctx, s, neighbours, set.evaluations))
            })
            .collect();
        for cand in starts.into_iter().chain(walks) {
            pool.offer(ctx, cand);
        }
        stall = if pool.members[0].objective < before - ctx.eps { 0 } else { stall + 1 };
        round += 1;
    }
    pool.members.swap_remove(0)
}

#[cfg(test)]
mod tests {
    use super::super::search::neighbour_facilities;
    use super::*;
    use crate::plan::Solution;
    use crate::plan::check::check;
    use crate::problem::{FacilityIdx, Instance};
    use crate::testutil::{CapShape, Shape, random_cap_instance};

    /// A tight capacitated p-median: 40 clients, 20 candidates, p = 6.
    fn instance(seed: u64) -> Instance {
        let shape = CapShape {
            base: Shape {
                clients: 40,
                facilities: 20,
                p: Some(6),
                open_costs: false,
                density: None,
                fixed: 0,
                forbidden: 0,
                penalty: Some(1000.0),
                integral: true,
            },
            tightness: Some(1.2),
            max_clients: None,
            single_source: true,
            budget_share: None,
            groups: 0,
            client_budget_cost: 0.0,
        };
        random_cap_instance(seed, &shape)
    }

    fn solution(s: &SingleSourceState) -> Solution {
        Solution::single_source(
            (0..s.open.len()).filter(|&f| s.open[f]).map(FacilityIdx::new).collect(),
            s.assign.iter().map(|&a| (a != super::super::state::NONE).then_some(FacilityIdx::from(a))).collect(),
        )
    }

    /// A state with the open set `open`, assigned by regret and descended.
    fn state(ctx: &CapContext, open: &[bool]) -> ScoredState {
        let mut s = SingleSourceState::new(ctx, open);
        let all: Vec<u32> = (0..ctx.n_clients() as u32).collect();
        s.insert_by_regret(ctx, &all);
        s.local_search(ctx);
        ScoredState::new(ctx, s)
    }

    /// The best point of a walk lies strictly inside the path (it keeps what
    /// both ends share, takes nothing neither has, and is neither end), keeps
    /// p, and its objective is the checker's.
    #[test]
    fn a_walk_returns_a_checked_state_strictly_inside_the_path() {
        let mut walked = 0;
        for seed in 0..20u64 {
            let inst = instance(seed);
            let ctx = CapContext::new(&inst);
            let a: Vec<bool> = (0..20).map(|f| f < 6).collect();
            let b: Vec<bool> = (0..20).map(|f| f < 2 || (10..14).contains(&f)).collect();
            let (from, to) = (state(&ctx, &a), state(&ctx, &b));
            let Some(mid) = walk(&ctx, &from, &to, None) else { continue };
            walked += 1;
            assert_eq!(mid.state.open_count, 6, "seed {seed}");
            for f in 0..20 {
                assert!(!(a[f] && b[f]) || mid.state.open[f], "seed {seed}: shared facility {f} closed");
                assert!(a[f] || b[f] || !mid.state.open[f], "seed {seed}: facility {f} of neither end opened");
            }
            assert!(distance(&mid.state, &from.state) > 0 && distance(&mid.state, &to.state) > 0, "seed {seed}");
            let r = check(&inst, &solution(&mid.state), Some(mid.objective));
            assert!(r.is_feasible(), "seed {seed}: {:?}", r.violations);
        }
        assert!(walked >= 15, "only {walked} walks found a point");
    }

    /// The pool stays sorted, capped, and its members pairwise more than one
    /// swap apart; a better candidate next to a member replaces it.
    #[test]
    fn the_pool_keeps_the_best_distinct_local_optima() {
        let inst = instance(3);
        let ctx = CapContext::new(&inst);
        let mut pool = Pool { members: Vec::new(), size: 4 };
        let open = |fs: &[usize]| -> Vec<bool> { (0..20).map(|f| fs.contains(&f)).collect() };
        let sets: [&[usize]; 7] = [
            &[0, 1, 2, 3, 4, 5],
            &[0, 1, 2, 3, 4, 6],
            &[0, 1, 2, 10, 11, 12],
            &[5, 6, 7, 8, 9, 10],
            &[13, 14, 15, 16, 17, 18],
            &[1, 3, 5, 7, 9, 11],
            &[2, 4, 6, 8, 10, 12],
        ];
        let states: Vec<ScoredState> = sets.iter().map(|fs| state(&ctx, &open(fs))).collect();
        for s in &states {
            pool.offer(&ctx, s.clone());
            let m = &pool.members;
            assert!(m.len() <= 4);
            assert!(m.windows(2).all(|w| w[0].objective <= w[1].objective));
            for i in 0..m.len() {
                for j in i + 1..m.len() {
                    assert!(distance(&m[i].state, &m[j].state) > 2);
                }
            }
        }
        // The first two sets are one swap apart: only the better one can be in.
        let in_pool = |s: &ScoredState| pool.members.iter().any(|e| e.state.open == s.state.open);
        assert!(!(in_pool(&states[0]) && in_pool(&states[1])));
        // The best of all the distinct candidates is always kept.
        let best = states.iter().map(|s| s.objective).fold(f64::INFINITY, f64::min);
        assert_eq!(pool.members[0].objective, best);
    }

    /// Relinking never returns a worse state than its start, the checker
    /// agrees with it, and the same seed gives the same state.
    #[test]
    fn relinking_never_worsens_and_repeats_with_the_seed() {
        for seed in 0..6u64 {
            let inst = instance(seed);
            let ctx = CapContext::new(&inst);
            let start = state(&ctx, &(0..20).map(|f| f % 3 == 0 && f < 18).collect::<Vec<_>>());
            let neighbours = neighbour_facilities(&ctx, 8);
            let set =
                RelinkSettings { seed, starts: 6, stall_rounds: 2, max_rounds: 8, evaluations: 50, deadline: None };
            let a = relink_elite(&ctx, start.clone(), &neighbours, &set);
            let b = relink_elite(&ctx, start.clone(), &neighbours, &set);
            assert!(a.objective <= start.objective + 1e-9, "seed {seed}");
            assert_eq!(a.state.open, b.state.open, "seed {seed}");
            assert_eq!(a.state.assign, b.state.assign, "seed {seed}");
            let r = check(&inst, &solution(&a.state), Some(a.objective));
            assert!(r.is_feasible(), "seed {seed}: {:?}", r.violations);
        }
    }
}
