//! Heuristic search for single-source capacitated location: a greedy
//! construction, then VNS over facility moves (open, close, swap) with the
//! client local search after every shake, restarts of a round in parallel.

use std::time::Instant;

use rand::Rng as _;
use rayon::prelude::*;

use super::state::SsState;
use crate::rng::{Rng, task_rng};
use crate::solve::context::CapContext;
use crate::solve::select::{NO_GROUP, Selector};

/// A state with its objective, compared lexicographically by (objective, task).
#[derive(Clone)]
pub struct Scored {
    pub state: SsState,
    pub objective: f64,
}

impl Scored {
    pub fn new(ctx: &CapContext, state: SsState) -> Scored {
        let objective = state.objective(ctx);
        Scored { state, objective }
    }
}

fn group_of(ctx: &CapContext, f: usize) -> Option<usize> {
    let g = ctx.rules.group_of[f];
    (g != NO_GROUP).then_some(g as usize)
}

/// Whether `f` may be opened now (closed, allowed, group and count and budget room).
pub fn can_open(ctx: &CapContext, s: &SsState, f: usize) -> bool {
    can_open_but_for_budget(ctx, s, f) && s.spent + ctx.charge[f] <= ctx.budget * (1.0 + 1e-9) + 1e-9
}

/// [`can_open`] without the budget: every other rule allows opening `f`.
fn can_open_but_for_budget(ctx: &CapContext, s: &SsState, f: usize) -> bool {
    !s.open[f]
        && !ctx.rules.forbidden[f]
        && s.open_count < ctx.rules.max_open
        && group_of(ctx, f).is_none_or(|g| s.group_open[g] < ctx.rules.group_max[g])
}

/// Whether the budget is what blocks opening `f` and the served clients pay
/// for something (so that unserving some can make room).
fn budget_blocks_opening(ctx: &CapContext, s: &SsState, f: usize) -> bool {
    ctx.pays_for_clients && can_open_but_for_budget(ctx, s, f) && !can_open(ctx, s, f)
}

/// Whether `f` may be closed now (open, not fixed, group and count above minimum).
pub fn can_close(ctx: &CapContext, s: &SsState, f: usize) -> bool {
    s.open[f]
        && !ctx.rules.fixed[f]
        && s.open_count > ctx.rules.min_open
        && group_of(ctx, f).is_none_or(|g| s.group_open[g] > ctx.rules.group_min[g])
}

/// Whether closing `r` and opening `i` together keeps every rule.
pub fn can_swap(ctx: &CapContext, s: &SsState, i: usize, r: usize) -> bool {
    can_swap_but_for_budget(ctx, s, i, r) && s.spent - ctx.charge[r] + ctx.charge[i] <= ctx.budget * (1.0 + 1e-9) + 1e-9
}

/// [`can_swap`] without the budget.
fn can_swap_but_for_budget(ctx: &CapContext, s: &SsState, i: usize, r: usize) -> bool {
    if s.open[i] || ctx.rules.forbidden[i] || !s.open[r] || ctx.rules.fixed[r] {
        return false;
    }
    let (gi, gr) = (group_of(ctx, i), group_of(ctx, r));
    if gi != gr {
        if gr.is_some_and(|g| s.group_open[g] <= ctx.rules.group_min[g]) {
            return false;
        }
        if gi.is_some_and(|g| s.group_open[g] >= ctx.rules.group_max[g]) {
            return false;
        }
    }
    true
}

/// Greedy construction: group minimums and `min_open` (or `p`) by opening
/// value, everyone inserted by regret, then further openings while they pay
/// (or until `p`), then the client local search.
pub fn construct(ctx: &CapContext) -> SsState {
    let m = ctx.n_facilities();
    let empty = SsState::new(ctx, &vec![false; m]);
    let all: Vec<u32> = (0..ctx.n_clients() as u32).collect();
    // The facilities the rules require (group minimums, min_open or p), the most
    // valuable ones; all values positive so that nothing optional is chosen here.
    let value: Vec<f64> = (0..m).map(|f| empty.opening_value(ctx, f)).collect();
    let top = value.iter().cloned().fold(0.0, f64::max);
    let rank: Vec<f64> = value.iter().map(|v| 1.0 + top - v).collect();
    let mut open = vec![false; m];
    let mut selector = Selector::default();
    let mut ok = selector.select_open(&rank, &ctx.rules, &mut open).is_ok();
    let charge = |open: &[bool]| (0..m).filter(|&f| open[f]).map(|f| ctx.charge[f]).sum::<f64>();
    if ok && charge(&open) > ctx.budget * (1.0 + 1e-9) + 1e-9 {
        // Over budget: the cheapest admissible set instead.
        ok = selector.select_open(&ctx.charge, &ctx.rules, &mut open).is_ok();
    }
    if !ok {
        open.fill(false);
    }
    let mut s = SsState::new(ctx, &open);
    s.insert_by_regret(ctx, &all);
    loop {
        let need = s.open_count < ctx.rules.min_open;
        let best = (0..m)
            .filter(|&f| can_open(ctx, &s, f))
            .map(|f| (s.opening_value(ctx, f), f))
            .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
        match best {
            Some((v, f)) if need || v > ctx.eps => s.open_and_pull(ctx, f),
            _ => break,
        }
    }
    s.insert_by_regret(ctx, &all);
    s.local_search(ctx);
    s
}

/// One random facility move that keeps the rules; returns false if none was found.
fn shake(ctx: &CapContext, s: &mut SsState, rng: &mut Rng) -> bool {
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
pub fn facility_search(ctx: &CapContext, start: Scored, neighbours: &[Vec<u32>], max_evaluations: usize) -> Scored {
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
                let cand = Scored::new(ctx, s);
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
                let cand = Scored::new(ctx, s);
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
    start: Scored,
    set: &VnsSettings,
    first_round: u64,
    stop: &(dyn Fn(f64) -> bool + Sync),
) -> (Scored, u64, bool) {
    let neighbours =
        if set.facility_evaluations > 0 { neighbour_facilities(ctx, 8) } else { vec![Vec::new(); ctx.n_facilities()] };
    let mut best = if set.facility_evaluations > 0 {
        facility_search(ctx, start, &neighbours, set.facility_evaluations)
    } else {
        start
    };
    let mut stall = 0;
    let mut k_base = 0;
    let mut round = first_round;
    let mut rounds = 0;
    let mut hit_deadline = false;
    while stall < set.max_stall_rounds && !stop(best.objective) {
        if set.deadline.is_some_and(|d| Instant::now() >= d) {
            hit_deadline = true;
            break;
        }
        let inc = &best;
        let results: Vec<Scored> = (0..set.tasks)
            .into_par_iter()
            .map(|t| {
                let mut rng = task_rng(set.seed, round * set.tasks as u64 + t as u64);
                let k = 1 + (k_base + t) % set.kmax.max(1);
                let mut s = inc.state.clone();
                s.take_touched();
                for _ in 0..k {
                    if !shake(ctx, &mut s, &mut rng) {
                        break;
                    }
                }
                s.repair_around_changes(ctx);
                let scored = Scored::new(ctx, s);
                if set.facility_evaluations > 0 {
                    facility_search(ctx, scored, &neighbours, set.facility_evaluations)
                } else {
                    scored
                }
            })
            .collect();
        rounds += 1;
        round += 1;
        let cand =
            results.into_iter().enumerate().min_by(|a, b| a.1.objective.total_cmp(&b.1.objective).then(a.0.cmp(&b.0)));
        match cand {
            Some((_, c)) if c.objective < best.objective - ctx.eps => {
                best = c;
                stall = 0;
                k_base = 0;
            }
            _ => {
                stall += 1;
                k_base = (k_base + set.tasks) % set.kmax.max(1);
            }
        }
    }
    (best, rounds, hit_deadline)
}

/// Capacity repair of an open set that strands clients (must-serve clients
/// whose open facilities are all full even after ejection chains): opens the
/// closed facility worth most to the stranded clients, or — when the rules or
/// the budget forbid another opening — swaps it in for the open facility
/// whose removal costs least (the lightest-loaded few, evaluated exactly).
/// Stops when nobody is stranded, nothing helps, or after `max_moves` moves.
pub fn reopen_for_stranded(ctx: &CapContext, s: &mut SsState, max_moves: usize) {
    let m = ctx.n_facilities();
    for _ in 0..max_moves {
        let stranded = s.stranded(ctx);
        if stranded == 0 {
            return;
        }
        let mut near = vec![false; m];
        for &u in s.unserved_clients() {
            for &f in ctx.client_links.of(u as usize).0 {
                near[f as usize] = !s.open[f as usize] && !ctx.rules.forbidden[f as usize];
            }
        }
        let Some((_, g)) = (0..m)
            .filter(|&f| near[f])
            .map(|f| (s.opening_value(ctx, f), f))
            .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)))
        else {
            return;
        };
        let before = s.objective(ctx);
        if can_open(ctx, s, g) {
            s.open_and_pull(ctx, g);
            s.insert_unserved(ctx);
            s.repair_stranded(ctx, super::CHAIN_DEPTH);
            continue;
        }
        let mut partners: Vec<usize> = (0..m).filter(|&r| can_swap(ctx, s, g, r)).collect();
        partners.sort_by(|&a, &b| s.load[a].total_cmp(&s.load[b]).then(a.cmp(&b)));
        let mut best: Option<(f64, SsState)> = None;
        for &r in partners.iter().take(4) {
            let mut t = s.clone();
            t.open_and_pull(ctx, g);
            t.close(ctx, r);
            t.repair_stranded(ctx, super::CHAIN_DEPTH);
            let obj = t.objective(ctx);
            if best.as_ref().is_none_or(|b| obj < b.0) {
                best = Some((obj, t));
            }
        }
        match best {
            Some((obj, t)) if obj < before - ctx.eps => *s = t,
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::{Client, Costs, ExtId, Facility, Instance, Model, SparseCosts};

    /// Two clients of demand 6, both linked to A (capacity 10, cost 1 each)
    /// and B (capacity `cap_b`, cost 2 each); A is open, so one is stranded.
    fn pair(cap_b: f64, budget: Option<f64>) -> Instance {
        let clients = vec![Client::new(ExtId::Num(1), 6.0), Client::new(ExtId::Num(2), 6.0)];
        let facilities = vec![
            Facility { capacity: Some(10.0), ..Facility::new(ExtId::Num(1), 5.0) },
            Facility { capacity: Some(cap_b), ..Facility::new(ExtId::Num(2), 5.0) },
        ];
        let triples = vec![(0, 0, 1.0), (0, 1, 2.0), (1, 0, 1.0), (1, 1, 2.0)];
        let mut inst = Instance::new(
            "pair",
            Model::Sscflp,
            clients,
            facilities,
            Costs::Sparse(SparseCosts::from_triples(2, 2, triples)),
        );
        inst.single_source = true;
        inst.budget = budget;
        inst
    }

    #[test]
    fn stranded_clients_get_a_facility_opened_or_swapped_in() {
        // Budget for both: B opens next to A; 5 + 5 + 1 + 2 by hand.
        let inst = pair(10.0, None);
        let ctx = CapContext::new(&inst);
        let mut s = SsState::new(&ctx, &[true, false]);
        s.insert_by_regret(&ctx, &[0, 1]);
        assert_eq!(s.stranded(&ctx), 1);
        reopen_for_stranded(&ctx, &mut s, 2);
        assert_eq!(s.stranded(&ctx), 0);
        assert_eq!(s.objective(&ctx), 13.0);
        // Budget for one: the larger B replaces A; 5 + 2 + 2 by hand.
        let inst = pair(12.0, Some(5.0));
        let ctx = CapContext::new(&inst);
        let mut s = SsState::new(&ctx, &[true, false]);
        s.insert_by_regret(&ctx, &[0, 1]);
        assert_eq!(s.stranded(&ctx), 1);
        reopen_for_stranded(&ctx, &mut s, 2);
        assert_eq!(s.stranded(&ctx), 0);
        assert_eq!(s.open, vec![false, true]);
        assert_eq!(s.objective(&ctx), 9.0);
    }
}
