//! Facility moves priced by an exact re-linking: a swap (close hub `a`, open
//! hub `b`), an opening or a closure, where the clients the move affects —
//! those of `a`, those `b` would serve more cheaply, the unserved in reach,
//! and the clients of the open facilities next to `b` and `a` — are
//! re-assigned by a small depth-first branch and bound instead of greedily.
//! Greedy re-linking after a swap can look worse than the swap really is
//! (a full hub keeps the wrong clients), so the search never takes it; the
//! exact re-linking of a bounded neighbourhood sees it. This is the idea of
//! exact re-assignment within a large neighbourhood, as in very large-scale
//! neighbourhood search: Ahuja, Orlin, Pallottino, Scaparra & Scutellà, "A
//! multi-exchange heuristic for the single-source capacitated facility
//! location problem", Management Science 50 (2004) 749–760.
//!
//! The moves are tried whatever the budget says: the re-linking gives up
//! the weakest links when the budget pays for each served client. On
//! instances small enough to re-link whole, trades of up to three open
//! facilities for closed ones are priced the same way. It runs once the
//! VNS has stalled (see [`super::solve`]); everything is in a fixed order,
//! so the result depends only on the seed and thread count.

use std::time::Instant;

use super::moves::{NEAR, can_close, can_open_but_for_budget, can_swap_but_for_budget};
use super::search::ScoredState;
use super::state::{NONE, SingleSourceState, within};
use crate::solve::context::CapContext;

/// Branch-and-bound nodes per priced move.
pub const NODE_LIMIT: usize = 20_000;

/// Most clients re-linked by one move (the clients of `a` always are; those
/// `b` would serve more cheaply, nearest first, the neighbouring facilities'
/// clients and the unserved while room is left).
const MAX_FREE: usize = 48;

/// Up to this many facilities, every closed one is tried in a swap.
const SMALL: usize = 64;

/// Up to this many facilities (and clients few enough to re-link all),
/// several open facilities are traded for several closed ones at once.
const TINY: usize = 16;

/// Neighbouring open facilities whose clients join the re-linking.
const NEIGHBOUR_HUBS: usize = 3;

/// The re-linking sub-problem: each free client to one open facility in
/// reach (residual capacity, client slots and budget) or unserved.
struct Sub {
    /// Free clients in branching order.
    clients: Vec<usize>,
    /// Per free client: (cost, local facility index or `NONE`), cheapest first.
    options: Vec<Vec<(f64, u32)>>,
    /// Sum of the cheapest option of clients `i..`.
    suffix: Vec<f64>,
    cap: Vec<f64>,
    slots: Vec<u32>,
    budget: f64,
    /// Best assignment found (option index per free client) and its cost.
    best: Option<Vec<u32>>,
    best_cost: f64,
    nodes: usize,
    eps: f64,
}

impl Sub {
    fn search(&mut self, ctx: &CapContext, i: usize, cost: f64, pick: &mut Vec<u32>) {
        if self.nodes >= NODE_LIMIT {
            return;
        }
        self.nodes += 1;
        if i == self.clients.len() {
            if cost < self.best_cost - self.eps {
                self.best_cost = cost;
                self.best = Some(pick.clone());
            }
            return;
        }
        let u = self.clients[i];
        let rest = self.suffix[i + 1];
        for k in 0..self.options[i].len() {
            let (c, f) = self.options[i][k];
            if cost + c + rest >= self.best_cost - self.eps {
                break; // options are sorted: the rest are dearer
            }
            if f == NONE {
                pick.push(k as u32);
                self.search(ctx, i + 1, cost + c, pick);
                pick.pop();
            } else {
                let l = f as usize;
                let (d, b) = (ctx.demand[u], ctx.client_charge[u]);
                if self.slots[l] == 0 || !within(d, self.cap[l]) || !within(b, self.budget) {
                    continue;
                }
                self.cap[l] -= d;
                self.slots[l] -= 1;
                self.budget -= b;
                pick.push(k as u32);
                self.search(ctx, i + 1, cost + c, pick);
                pick.pop();
                self.cap[l] += d;
                self.slots[l] += 1;
                self.budget += b;
            }
            if self.nodes >= NODE_LIMIT {
                return;
            }
        }
    }
}

/// Re-usable scratch space: facility → local index, client → free flag.
pub struct Scratch {
    local: Vec<u32>,
    free: Vec<bool>,
}

impl Scratch {
    pub fn new(ctx: &CapContext) -> Scratch {
        Scratch { local: vec![NONE; ctx.n_facilities()], free: vec![false; ctx.n_clients()] }
    }
}

/// Prices closing the facilities `a` and opening those in `b` (either may
/// be empty) with the exact re-linking of the clients it affects; returns
/// the new state if the move improves the objective.
pub fn price_move(
    ctx: &CapContext,
    s: &SingleSourceState,
    a: &[usize],
    b: &[usize],
    neighbours: &[Vec<u32>],
    scratch: &mut Scratch,
) -> Option<SingleSourceState> {
    let is_open = |f: usize| (s.open[f] && !a.contains(&f)) || b.contains(&f);
    // The free clients, in a deterministic order of discovery.
    let mut free: Vec<usize> = Vec::new();
    let add = |u: usize, free: &mut Vec<usize>, scratch: &mut Scratch| {
        if !scratch.free[u] {
            scratch.free[u] = true;
            free.push(u);
        }
    };
    for &a in a {
        for &u in &s.members[a] {
            add(u as usize, &mut free, scratch);
        }
    }
    for &b in b {
        let (vs, cs) = ctx.facility_links.of(b);
        for (&v, &c) in vs.iter().zip(cs) {
            if free.len() >= MAX_FREE {
                break; // the nearest ones first
            }
            if c < s.client_cost(ctx, v as usize) - ctx.eps {
                add(v as usize, &mut free, scratch);
            }
        }
    }
    // Clients of the open facilities next to b and a, while room is left.
    let mut hubs: Vec<usize> = Vec::new();
    for &f in b.iter().chain(a) {
        for &g in neighbours[f].iter() {
            let g = g as usize;
            if hubs.len() < NEIGHBOUR_HUBS * (a.len() + b.len()) && is_open(g) && !b.contains(&g) && !hubs.contains(&g)
            {
                hubs.push(g);
            }
        }
    }
    for &g in &hubs {
        if free.len() + s.members[g].len() > MAX_FREE {
            continue;
        }
        for &u in &s.members[g] {
            add(u as usize, &mut free, scratch);
        }
    }
    // The unserved in reach of the facilities whose clients are free.
    for f in b.iter().copied().chain(hubs.iter().copied()) {
        let (vs, _) = ctx.facility_links.of(f);
        for &v in vs {
            if free.len() >= MAX_FREE {
                break;
            }
            if s.assign[v as usize] == NONE {
                add(v as usize, &mut free, scratch);
            }
        }
    }
    if ctx.n_clients() <= MAX_FREE {
        for u in 0..ctx.n_clients() {
            add(u, &mut free, scratch);
        }
    }
    let result = solve_sub(ctx, s, a, b, &free, &is_open, scratch);
    for &u in &free {
        scratch.free[u] = false;
    }
    result
}

fn solve_sub(
    ctx: &CapContext,
    s: &SingleSourceState,
    a: &[usize],
    b: &[usize],
    free: &[usize],
    is_open: &dyn Fn(usize) -> bool,
    scratch: &mut Scratch,
) -> Option<SingleSourceState> {
    if free.is_empty() && b.is_empty() {
        return None;
    }
    let mut facilities: Vec<usize> = Vec::new();
    let mut options: Vec<Vec<(f64, u32)>> = Vec::with_capacity(free.len());
    let mut now = 0.0;
    let mut budget = ctx.budget - s.spent + a.iter().map(|&f| ctx.charge[f]).sum::<f64>()
        - b.iter().map(|&f| ctx.charge[f]).sum::<f64>();
    for &u in free {
        now += s.client_cost(ctx, u);
        if s.assign[u] != NONE {
            budget += ctx.client_charge[u];
        }
        let mut opts = Vec::new();
        let (fs, cs) = ctx.client_links.of(u);
        for (&f, &c) in fs.iter().zip(cs) {
            if c >= ctx.unserved[u] || opts.len() >= NEAR {
                break;
            }
            let f = f as usize;
            if !is_open(f) || !within(ctx.demand[u], ctx.capacity[f]) {
                continue;
            }
            if scratch.local[f] == NONE {
                scratch.local[f] = facilities.len() as u32;
                facilities.push(f);
            }
            opts.push((c, scratch.local[f]));
        }
        opts.push((ctx.unserved[u], NONE));
        options.push(opts);
    }
    // Residual capacities and slots: what the clients that stay leave.
    let mut cap = Vec::with_capacity(facilities.len());
    let mut slots = Vec::with_capacity(facilities.len());
    for &f in &facilities {
        let (mut load, mut count) = (s.load[f], s.count[f]);
        if b.contains(&f) && !s.open[f] {
            (load, count) = (0.0, 0);
        }
        for &u in &s.members[f] {
            if scratch.free[u as usize] {
                load -= ctx.demand[u as usize];
                count -= 1;
            }
        }
        cap.push(ctx.capacity[f] - load);
        slots.push(ctx.max_clients[f].saturating_sub(count));
    }
    // Branch on the clients with the most to lose first.
    let mut order: Vec<usize> = (0..free.len()).collect();
    let regret = |i: usize| {
        let o = &options[i];
        if o.len() > 1 { o[1].0 - o[0].0 } else { f64::INFINITY }
    };
    order.sort_by(|&i, &j| regret(j).total_cmp(&regret(i)).then(free[i].cmp(&free[j])));
    let clients: Vec<usize> = order.iter().map(|&i| free[i]).collect();
    let options: Vec<Vec<(f64, u32)>> = order.iter().map(|&i| std::mem::take(&mut options[i])).collect();
    let mut suffix = vec![0.0; clients.len() + 1];
    for i in (0..clients.len()).rev() {
        suffix[i] = suffix[i + 1] + options[i][0].0;
    }
    let delta_open =
        b.iter().map(|&f| ctx.open_cost[f]).sum::<f64>() - a.iter().map(|&f| ctx.open_cost[f]).sum::<f64>();
    let mut sub = Sub {
        clients,
        options,
        suffix,
        cap,
        slots,
        budget,
        best: None,
        // Only assignments that make the move improve the objective.
        best_cost: now - delta_open,
        nodes: 0,
        eps: ctx.eps,
    };
    let feasible_budget = sub.budget >= -1e-9 * ctx.budget.abs().max(1.0);
    let mut pick = Vec::with_capacity(sub.clients.len());
    if feasible_budget {
        sub.search(ctx, 0, 0.0, &mut pick);
    }
    for &f in &facilities {
        scratch.local[f] = NONE;
    }
    let picks = sub.best?;
    let mut t = s.clone();
    t.take_touched();
    for &b in b {
        t.set_open(ctx, b, true);
    }
    for (i, &u) in sub.clients.iter().enumerate() {
        let (_, l) = sub.options[i][picks[i] as usize];
        t.set(ctx, u, (l != NONE).then(|| facilities[l as usize]));
    }
    for &a in a {
        t.set_open(ctx, a, false);
    }
    Some(t)
}

/// Intensification after the VNS: every swap of an open facility with one of
/// its neighbours (and openings and closures when the count is free), each
/// priced by the exact re-linking, taking the first improvement and
/// repairing around it, until none improves, `max_moves` are priced or the
/// deadline passes.
pub fn exact_swap_search(
    ctx: &CapContext,
    start: ScoredState,
    neighbours: &[Vec<u32>],
    max_moves: usize,
    deadline: Option<Instant>,
) -> ScoredState {
    let mut best = start;
    let mut scratch = Scratch::new(ctx);
    let mut priced = 0;
    let m = ctx.n_facilities();
    let tiny = m <= TINY && ctx.n_clients() <= MAX_FREE;
    let max_moves = if tiny { 8 * max_moves } else { max_moves };
    let free_count = ctx.rules.min_open != ctx.rules.max_open;
    'improve: loop {
        let open: Vec<usize> = (0..m).filter(|&f| best.state.open[f] && !ctx.rules.fixed[f]).collect();
        let mut moves: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
        for &a in &open {
            // The neighbours first; on small instances every other facility too.
            let others = (m <= SMALL).then(|| (0..m as u32).filter(|b| !neighbours[a].contains(b)));
            for b in neighbours[a].iter().copied().chain(others.into_iter().flatten()) {
                if can_swap_but_for_budget(ctx, &best.state, b as usize, a) {
                    moves.push((vec![a], vec![b as usize]));
                }
            }
            if free_count && can_close(ctx, &best.state, a) {
                moves.push((vec![a], Vec::new()));
            }
        }
        if free_count {
            for b in (0..m).filter(|&f| can_open_but_for_budget(ctx, &best.state, f)) {
                moves.push((Vec::new(), vec![b]));
            }
        }
        if tiny {
            // The whole instance is re-linked at once: also trade up to
            // `k` open facilities for up to `k` closed ones.
            let k = if m <= 10 { 3 } else { 2 };
            let closed: Vec<usize> = (0..m).filter(|&f| !best.state.open[f] && !ctx.rules.forbidden[f]).collect();
            let mut set = best.state.open.clone();
            for a in subsets(&open, k) {
                for b in subsets(&closed, k) {
                    if a.len() + b.len() <= 1 || a.len() == 1 && b.len() == 1 {
                        continue; // priced above
                    }
                    a.iter().for_each(|&f| set[f] = false);
                    b.iter().for_each(|&f| set[f] = true);
                    if ctx.rules.admits(&set) {
                        moves.push((a.clone(), b.clone()));
                    }
                    a.iter().for_each(|&f| set[f] = true);
                    b.iter().for_each(|&f| set[f] = false);
                }
            }
        }
        for (a, b) in moves {
            if priced >= max_moves || deadline.is_some_and(|d| Instant::now() >= d) {
                break 'improve;
            }
            priced += 1;
            let Some(mut t) = price_move(ctx, &best.state, &a, &b, neighbours, &mut scratch) else {
                continue;
            };
            if !ctx.rules.admits(&t.open) || !within(t.spent, ctx.budget) {
                continue;
            }
            t.repair_around_changes(ctx);
            let cand = ScoredState::new(ctx, t);
            if cand.objective < best.objective - ctx.eps {
                best = cand;
                continue 'improve;
            }
        }
        break;
    }
    best
}

/// The subsets of `items` with at most `k` elements (the empty one
/// included), smaller first, each in lexicographic order.
fn subsets(items: &[usize], k: usize) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new()];
    let mut last = vec![Vec::<usize>::new()]; // positions of the previous size
    for _ in 0..k.min(items.len()) {
        let mut next = Vec::new();
        for p in &last {
            for i in p.last().map_or(0, |&i| i + 1)..items.len() {
                let mut q = p.clone();
                q.push(i);
                next.push(q);
            }
        }
        out.extend(next.iter().map(|q| q.iter().map(|&i| items[i]).collect()));
        last = next;
    }
    out
}
