//! The moves of the single-source local search. Client moves: a single
//! client shifts (to or from "unserved"), two clients of different
//! facilities exchange places (swap), and a client pushes into a full
//! facility by moving one of its clients on (an ejection chain of length
//! two). The search is driven by a queue of clients whose surroundings
//! changed, so that after a facility move only the affected part of the
//! solution is searched again. Facility moves: open (pulling the clients the
//! facility serves more cheaply), close (re-inserting its clients by
//! regret), and eviction of weak links to make budget room; the guards say
//! which facility moves the rules allow.

use std::collections::VecDeque;

use super::state::{NONE, SingleSourceState, within};
use crate::solve::context::CapContext;
use crate::solve::select::NO_GROUP;

/// Partners considered for swaps and ejections: each client's cheapest links.
pub(super) const NEAR: usize = 16;

fn group_of(ctx: &CapContext, f: usize) -> Option<usize> {
    let g = ctx.rules.group_of[f];
    (g != NO_GROUP).then_some(g as usize)
}

/// Whether `f` may be opened now (closed, allowed, group and count and budget room).
pub fn can_open(ctx: &CapContext, s: &SingleSourceState, f: usize) -> bool {
    can_open_but_for_budget(ctx, s, f) && s.spent + ctx.charge[f] <= ctx.budget * (1.0 + 1e-9) + 1e-9
}

/// [`can_open`] without the budget: every other rule allows opening `f`.
pub(super) fn can_open_but_for_budget(ctx: &CapContext, s: &SingleSourceState, f: usize) -> bool {
    !s.open[f]
        && !ctx.rules.forbidden[f]
        && s.open_count < ctx.rules.max_open
        && group_of(ctx, f).is_none_or(|g| s.group_open[g] < ctx.rules.group_max[g])
}

/// Whether the budget is what blocks opening `f` and the served clients pay
/// for something (so that unserving some can make room).
pub(super) fn budget_blocks_opening(ctx: &CapContext, s: &SingleSourceState, f: usize) -> bool {
    ctx.pays_for_clients && can_open_but_for_budget(ctx, s, f) && !can_open(ctx, s, f)
}

/// Whether `f` may be closed now (open, not fixed, group and count above minimum).
pub fn can_close(ctx: &CapContext, s: &SingleSourceState, f: usize) -> bool {
    s.open[f]
        && !ctx.rules.fixed[f]
        && s.open_count > ctx.rules.min_open
        && group_of(ctx, f).is_none_or(|g| s.group_open[g] > ctx.rules.group_min[g])
}

/// Whether closing `r` and opening `i` together keeps every rule.
pub fn can_swap(ctx: &CapContext, s: &SingleSourceState, i: usize, r: usize) -> bool {
    can_swap_but_for_budget(ctx, s, i, r) && s.spent - ctx.charge[r] + ctx.charge[i] <= ctx.budget * (1.0 + 1e-9) + 1e-9
}

/// [`can_swap`] without the budget.
pub(super) fn can_swap_but_for_budget(ctx: &CapContext, s: &SingleSourceState, i: usize, r: usize) -> bool {
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

impl SingleSourceState {
    /// Local search over every client. Returns the objective change (a saving).
    pub fn local_search(&mut self, ctx: &CapContext) -> f64 {
        let all: Vec<u32> = (0..self.assign.len() as u32).collect();
        self.descend(ctx, &all)
    }

    /// Local search driven by a queue that starts with `seeds`: a client whose
    /// move improves the solution puts the clients of the facilities it
    /// touched (and the unserved ones) back in the queue.
    pub fn descend(&mut self, ctx: &CapContext, seeds: &[u32]) -> f64 {
        let n = self.assign.len();
        let mut queued = vec![false; n];
        let mut queue = VecDeque::with_capacity(seeds.len());
        for &u in seeds {
            if !queued[u as usize] {
                queued[u as usize] = true;
                queue.push_back(u);
            }
        }
        let mut total = 0.0;
        let mut facilities = [NONE; 3];
        while let Some(u) = queue.pop_front() {
            let u = u as usize;
            queued[u] = false;
            let saving = self.improve(ctx, u, &mut facilities);
            if saving <= 0.0 {
                continue;
            }
            total += saving;
            let mut push = |v: u32, queue: &mut VecDeque<u32>| {
                if !queued[v as usize] {
                    queued[v as usize] = true;
                    queue.push_back(v);
                }
            };
            push(u as u32, &mut queue);
            for &f in &facilities {
                if f != NONE {
                    for &v in &self.members[f as usize] {
                        push(v, &mut queue);
                    }
                }
            }
            for &v in &self.unserved {
                push(v, &mut queue);
            }
        }
        total
    }

    /// The first improving move for `u` among shift, swap and ejection;
    /// returns the saving and the facilities it touched.
    fn improve(&mut self, ctx: &CapContext, u: usize, touched: &mut [u32; 3]) -> f64 {
        *touched = [NONE; 3];
        let before = self.assign[u];
        let s = self.best_shift(ctx, u);
        if s > 0.0 {
            *touched = [before, self.assign[u], NONE];
            return s;
        }
        if let Some((s, f, g)) = self.best_swap(ctx, u) {
            *touched = [f, g, NONE];
            return s;
        }
        if let Some((s, g, h)) = self.best_ejection(ctx, u) {
            *touched = [before, g, h];
            return s;
        }
        0.0
    }

    /// Moves `u` to its best feasible option if that is cheaper; returns the saving.
    fn best_shift(&mut self, ctx: &CapContext, u: usize) -> f64 {
        let now = self.client_cost(ctx, u);
        let cur = self.assign[u];
        let mut best: (f64, u32) = (now, cur);
        let (fs, cs) = ctx.client_links.of(u);
        for (&f, &c) in fs.iter().zip(cs) {
            if c >= best.0 - ctx.eps {
                break;
            }
            if f != cur && self.fits(ctx, u, f as usize) {
                best = (c, f);
                break;
            }
        }
        // Leaving it unserved frees capacity and budget: worth it only if cheaper.
        if cur != NONE && ctx.unserved[u] < best.0 - ctx.eps {
            best = (ctx.unserved[u], NONE);
        }
        if best.1 == cur || best.0 >= now - ctx.eps {
            return 0.0;
        }
        self.set(ctx, u, (best.1 != NONE).then_some(best.1 as usize));
        now - best.0
    }

    /// Exchanges `u` (at f) with a client `v` of one of its near facilities g,
    /// or lets an unserved client take `u`'s place; returns (saving, f, g).
    fn best_swap(&mut self, ctx: &CapContext, u: usize) -> Option<(f64, u32, u32)> {
        let f = self.assign[u];
        if f == NONE {
            return None;
        }
        let f = f as usize;
        let cu_f = ctx.cost(u, f);
        let mut best: Option<(f64, u32)> = None;
        let (gs, cgs) = ctx.client_links.of(u);
        for (&g, &cu_g) in gs.iter().zip(cgs).take(NEAR) {
            let g = g as usize;
            if g == f || !self.open[g] {
                continue;
            }
            for &v in &self.members[g] {
                let v = v as usize;
                let cv_f = ctx.cost(v, f);
                if !cv_f.is_finite() {
                    continue;
                }
                let delta = cu_g + cv_f - cu_f - ctx.cost(v, g);
                if delta >= best.map_or(-ctx.eps, |b| b.0) {
                    continue;
                }
                let (du, dv) = (ctx.demand[u], ctx.demand[v]);
                if within(self.load[f] - du + dv, ctx.capacity[f]) && within(self.load[g] - dv + du, ctx.capacity[g]) {
                    best = Some((delta, v as u32));
                }
            }
        }
        // An unserved client v takes u's place at f; u becomes unserved.
        for &v in &self.unserved {
            let v = v as usize;
            let cv_f = ctx.cost(v, f);
            if !cv_f.is_finite() {
                continue;
            }
            let delta = cv_f + ctx.unserved[u] - cu_f - ctx.unserved[v];
            if delta >= best.map_or(-ctx.eps, |b| b.0) {
                continue;
            }
            let fits = within(self.load[f] - ctx.demand[u] + ctx.demand[v], ctx.capacity[f]);
            let budget = within(self.spent - ctx.client_charge[u] + ctx.client_charge[v], ctx.budget);
            if fits && budget {
                best = Some((delta, v as u32 | (1 << 31)));
            }
        }
        let (delta, tagged) = best?;
        let v = (tagged & !(1 << 31)) as usize;
        if tagged & (1 << 31) != 0 {
            self.set(ctx, u, None);
            self.set(ctx, v, Some(f));
            Some((-delta, f as u32, NONE))
        } else {
            let g = self.assign[v] as usize;
            // Through "unserved" the budget would be touched; it nets to zero.
            self.set(ctx, v, None);
            self.set(ctx, u, Some(g));
            self.set(ctx, v, Some(f));
            Some((-delta, f as u32, g as u32))
        }
    }

    /// Ejection chain of length two: `u` moves into an open facility `g` where
    /// it does not fit, pushing one client `v` of `g` to another facility `h`
    /// (or out, when that is allowed). Returns (saving, g, h).
    fn best_ejection(&mut self, ctx: &CapContext, u: usize) -> Option<(f64, u32, u32)> {
        let cur = self.assign[u];
        let cu_now = self.client_cost(ctx, u);
        let from = (cur != NONE).then_some(cur as usize);
        let budget_u = if from.is_none() { ctx.client_charge[u] } else { 0.0 };
        let mut best: Option<(f64, usize, usize, u32)> = None;
        let (gs, cgs) = ctx.client_links.of(u);
        for (&g, &cu_g) in gs.iter().zip(cgs).take(NEAR) {
            let g = g as usize;
            if Some(g) == from || !self.open[g] || cu_g >= cu_now - ctx.eps || self.fits(ctx, u, g) {
                continue;
            }
            let gain_u = cu_now - cu_g;
            for &v in &self.members[g] {
                let v = v as usize;
                if v == u || !within(self.load[g] - ctx.demand[v] + ctx.demand[u], ctx.capacity[g]) {
                    continue;
                }
                let cv_g = ctx.cost(v, g);
                let (hs, cvh) = ctx.client_links.of(v);
                for (&h, &cv_h) in hs.iter().zip(cvh).take(NEAR) {
                    let h = h as usize;
                    let saving = gain_u + cv_g - cv_h;
                    if saving <= best.map_or(ctx.eps, |b| b.0) {
                        break; // links are sorted: later h are dearer
                    }
                    if h == g || !self.open[h] {
                        continue;
                    }
                    let freed = if Some(h) == from { ctx.demand[u] } else { 0.0 };
                    let freed_count = u32::from(Some(h) == from);
                    if within(self.load[h] - freed + ctx.demand[v], ctx.capacity[h])
                        && self.count[h] - freed_count < ctx.max_clients[h]
                        && within(self.spent + budget_u, ctx.budget)
                    {
                        best = Some((saving, g, v, h as u32));
                        break;
                    }
                }
                if !ctx.must_serve {
                    let saving = gain_u + cv_g - ctx.unserved[v];
                    if saving > best.map_or(ctx.eps, |b| b.0)
                        && within(self.spent + budget_u - ctx.client_charge[v], ctx.budget)
                    {
                        best = Some((saving, g, v, NONE));
                    }
                }
            }
        }
        let (saving, g, v, h) = best?;
        self.set(ctx, v, (h != NONE).then_some(h as usize));
        self.set(ctx, u, Some(g));
        Some((saving, g as u32, h))
    }

    /// Closes `f` and re-inserts its clients by regret.
    pub fn close(&mut self, ctx: &CapContext, f: usize) {
        let moved = self.members[f].clone();
        for &v in &moved {
            self.set(ctx, v as usize, None);
        }
        self.set_open(ctx, f, false);
        self.insert_by_regret(ctx, &moved);
    }

    /// Opens `f` and moves to it every client it serves more cheaply (best savings first).
    pub fn open_and_pull(&mut self, ctx: &CapContext, f: usize) {
        self.set_open(ctx, f, true);
        let (vs, cs) = ctx.facility_links.of(f);
        let mut gains: Vec<(f64, u32)> = vs
            .iter()
            .zip(cs)
            .map(|(&v, &c)| (self.client_cost(ctx, v as usize) - c, v))
            .filter(|g| g.0 > ctx.eps)
            .collect();
        gains.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, v) in gains {
            if self.fits(ctx, v as usize, f) {
                self.set(ctx, v as usize, Some(f));
            }
        }
    }

    /// The clients `open_and_pull(f)` would take, with their savings: those
    /// `f` serves more cheaply, best saving first, while `f`'s capacity and
    /// client limit allow (the budget of newly served clients ignored).
    fn greedy_pull(&self, ctx: &CapContext, f: usize) -> Vec<(f64, usize)> {
        let (vs, cs) = ctx.facility_links.of(f);
        let mut gains: Vec<(f64, usize)> = vs
            .iter()
            .zip(cs)
            .map(|(&v, &c)| (self.client_cost(ctx, v as usize) - c, v as usize))
            .filter(|g| g.0 > ctx.eps)
            .collect();
        gains.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let (mut load, mut count) = (0.0, 0u32);
        gains.retain(|&(_, v)| {
            let take = count < ctx.max_clients[f] && within(load + ctx.demand[v], ctx.capacity[f]);
            if take {
                load += ctx.demand[v];
                count += 1;
            }
            take
        });
        gains
    }

    /// The saving `open_and_pull(f)` would bring, minus `f`'s opening cost
    /// (capacity honoured greedily, budget of newly served clients ignored).
    pub fn opening_value(&self, ctx: &CapContext, f: usize) -> f64 {
        self.greedy_pull(ctx, f).iter().map(|g| g.0).sum::<f64>() - ctx.open_cost[f]
    }

    /// Makes budget room for a facility move that needs `need` more than is
    /// left: unserves served clients, those that lose least per unit of
    /// budget freed first, skipping clients `f` can serve (moving them to `f`
    /// costs no budget, unserving them would). The compound move "open `f`,
    /// give up weaker links to pay for it" is what a binding budget needs when
    /// the budget also pays for each served client (hub planning: a room per
    /// linked school), which plain open and swap moves cannot make. Returns
    /// false, having changed nothing, when all evictable clients together do
    /// not free enough.
    pub fn evict_for_budget(&mut self, ctx: &CapContext, f: usize, need: f64) -> bool {
        let over = self.spent + need - ctx.budget * (1.0 + 1e-9) - 1e-9;
        if over <= 0.0 {
            return true;
        }
        let (near, _) = ctx.facility_links.of(f);
        let mut skip = vec![false; self.assign.len()];
        for &v in near {
            skip[v as usize] = true;
        }
        let mut cands: Vec<(f64, u32)> = (0..self.assign.len())
            .filter(|&u| self.assign[u] != NONE && !skip[u] && ctx.client_charge[u] > 0.0)
            .map(|u| ((ctx.unserved[u] - self.client_cost(ctx, u)) / ctx.client_charge[u], u as u32))
            .collect();
        if cands.iter().map(|c| ctx.client_charge[c.1 as usize]).sum::<f64>() < over {
            return false;
        }
        cands.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut freed = 0.0;
        for (_, u) in cands {
            if freed >= over {
                break;
            }
            freed += ctx.client_charge[u as usize];
            self.set(ctx, u as usize, None);
        }
        true
    }

    /// The budget that `open_and_pull(f)` would use: `f`'s charge and those
    /// of the unserved clients it would take (capacity honoured greedily).
    pub fn pull_charge(&self, ctx: &CapContext, f: usize) -> f64 {
        let pulled = self.greedy_pull(ctx, f);
        ctx.charge[f] + pulled.iter().filter(|g| self.assign[g.1] == NONE).map(|g| ctx.client_charge[g.1]).sum::<f64>()
    }

    /// After a facility move: assign the unserved by regret, then search
    /// again around every client the move touched and their facilities.
    pub fn repair_around_changes(&mut self, ctx: &CapContext) {
        self.insert_unserved(ctx);
        let touched = self.take_touched();
        let mut seeds: Vec<u32> = touched.clone();
        let mut seen_facility = vec![false; self.open.len()];
        for &u in &touched {
            let a = self.assign[u as usize];
            if a != NONE && !seen_facility[a as usize] {
                seen_facility[a as usize] = true;
                seeds.extend_from_slice(&self.members[a as usize]);
            }
        }
        seeds.extend_from_slice(&self.unserved);
        self.descend(ctx, &seeds);
        self.touched.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::{Client, Costs, ExtId, Facility, Instance, Model, SparseCosts};

    /// A (fixed, free) serves clients 1..=3; B costs 5 of a budget of 9 and
    /// each served client charges 2. With all three at A (spent 6), B does
    /// not fit; evicting frees the least valuable per unit of budget first
    /// and never a client B itself could serve.
    #[test]
    fn eviction_frees_the_weakest_links_not_those_the_new_facility_takes() {
        let clients: Vec<Client> =
            (1..=4).map(|i| Client { budget_cost: 2.0, ..Client::new(ExtId::Num(i), 1.0) }).collect();
        let a = Facility { fixed_open: true, ..Facility::new(ExtId::Num(1), 0.0) };
        let b = Facility::new(ExtId::Num(2), 5.0);
        // Unserved costs 10 each; at A clients cost 1, 6, 3; client 4 only at B.
        let triples = vec![(0, 0, 1.0), (1, 0, 6.0), (2, 0, 3.0), (2, 1, 0.5), (3, 1, 1.0)];
        let mut inst = Instance::new(
            "evict",
            Model::Sscflp,
            clients,
            vec![a, b],
            Costs::Sparse(SparseCosts::from_triples(4, 2, triples)),
        );
        inst.single_source = true;
        inst.budget = Some(9.0);
        inst.unserved_penalty = Some(10.0);
        let ctx = CapContext::new(&inst);
        assert!(ctx.pays_for_clients);
        let mut s = SingleSourceState::new(&ctx, &[true, false]);
        for u in 0..3 {
            s.set(&ctx, u, Some(0));
        }
        assert_eq!(s.spent, 6.0);
        // Opening B and pulling clients 3 (moves, no charge) and 4 (new, 2) needs 7.
        assert_eq!(s.pull_charge(&ctx, 1), 7.0);
        let before = s.clone();
        assert!(!s.evict_for_budget(&ctx, 1, 100.0), "not enough to evict");
        assert_eq!(s.assign, before.assign);
        assert!(s.evict_for_budget(&ctx, 1, 7.0));
        // Over by 4: clients 2 (loses 4 for 2 freed) then 1 (9 for 2) go; client 3
        // (7 for 2) would come before 1, but B can take it, so it stays.
        assert_eq!(s.assign, vec![NONE, NONE, 0, NONE]);
        assert_eq!(s.spent, 2.0);
        s.open_and_pull(&ctx, 1);
        assert_eq!(s.assign, vec![NONE, NONE, 1, 1]);
        assert_eq!(s.spent, 9.0);
    }
}
