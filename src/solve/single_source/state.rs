//! Single-source capacitated assignment: who serves whom, with loads, client
//! counts and budget use kept up to date, plus the moves of the local search.
//!
//! Construction assigns clients in order of *regret* — the extra cost of
//! their second-best feasible option over their best — so that clients with
//! few good options are placed before capacity runs out (the regret
//! heuristic of Martello & Toth for the generalized assignment problem, as
//! used for single-source location by Delmaire, Díaz, Fernández & Ortega,
//! INFOR 37 (1999) 194–225). The local search moves single clients (shift),
//! exchanges pairs of clients between facilities (swap), and pushes a client
//! into a full facility by moving one of its clients on (an ejection chain of
//! length two); every move may also go to or from "unserved". It is driven by
//! a queue of clients whose surroundings changed, so that after a facility
//! move only the affected part of the solution is searched again.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use crate::solve::context::CapContext;

/// No facility: the client is unserved.
pub const NONE: u32 = u32::MAX;

#[derive(Clone, Debug)]
pub struct SsState {
    pub open: Vec<bool>,
    pub assign: Vec<u32>,
    pub load: Vec<f64>,
    pub count: Vec<u32>,
    /// Budget used: charges of open facilities plus charges of served clients.
    pub spent: f64,
    pub open_count: usize,
    pub group_open: Vec<usize>,
    /// Clients of each facility, and the unserved ones (position of each client in its list).
    members: Vec<Vec<u32>>,
    unserved: Vec<u32>,
    pos: Vec<u32>,
    /// Clients whose assignment changed since the log was last taken.
    touched: Vec<u32>,
}

/// An ejection chain: its cost change and its moves (client, new facility), deepest first.
type Moves = Vec<(u32, u32)>;
type Chain = (f64, Moves);

/// Links examined per ejection-chain search (dense instances would
/// otherwise explore (members × links)^depth chains).
const CHAIN_WORK: usize = 2_000;

/// Slack for floating comparisons of loads and budgets.
const FIT: f64 = 1e-9;

/// Partners considered for swaps and ejections: each client's cheapest links.
const NEAR: usize = 16;

#[derive(PartialEq)]
struct Regret(f64, u32);
impl Eq for Regret {}
impl PartialOrd for Regret {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Regret {
    // Largest regret first; ties: lowest client index.
    fn cmp(&self, o: &Self) -> Ordering {
        self.0.total_cmp(&o.0).then(o.1.cmp(&self.1))
    }
}

#[inline]
fn within(load: f64, cap: f64) -> bool {
    load <= cap * (1.0 + FIT) + FIT
}

impl SsState {
    /// All clients unserved, `open` open (fixed facilities are added).
    pub fn new(ctx: &CapContext, open: &[bool]) -> SsState {
        let (n, m) = (ctx.n_clients(), ctx.n_facilities());
        let mut s = SsState {
            open: vec![false; m],
            assign: vec![NONE; n],
            load: vec![0.0; m],
            count: vec![0; m],
            spent: 0.0,
            open_count: 0,
            group_open: vec![0; ctx.rules.group_min.len()],
            members: vec![Vec::new(); m],
            unserved: (0..n as u32).collect(),
            pos: (0..n as u32).collect(),
            touched: Vec::new(),
        };
        for f in 0..m {
            if open[f] || ctx.rules.fixed[f] {
                s.set_open(ctx, f, true);
            }
        }
        s
    }

    /// Opens or closes `f` (its clients must already have left when closing).
    pub fn set_open(&mut self, ctx: &CapContext, f: usize, open: bool) {
        if self.open[f] == open {
            return;
        }
        debug_assert!(open || self.count[f] == 0);
        self.open[f] = open;
        let sign = if open { 1.0 } else { -1.0 };
        self.spent += sign * ctx.charge[f];
        if open {
            self.open_count += 1;
        } else {
            self.open_count -= 1;
        }
        let g = ctx.rules.group_of[f];
        if g != crate::solve::select::NO_GROUP {
            if open {
                self.group_open[g as usize] += 1;
            } else {
                self.group_open[g as usize] -= 1;
            }
        }
    }

    /// What client `u` costs now.
    #[inline]
    pub fn client_cost(&self, ctx: &CapContext, u: usize) -> f64 {
        match self.assign[u] {
            NONE => ctx.unserved[u],
            f => ctx.cost(u, f as usize),
        }
    }

    /// The objective: opening costs, service costs and unserved costs.
    pub fn objective(&self, ctx: &CapContext) -> f64 {
        let open: f64 = (0..self.open.len()).filter(|&f| self.open[f]).map(|f| ctx.open_cost[f]).sum();
        open + (0..self.assign.len()).map(|u| self.client_cost(ctx, u)).sum::<f64>()
    }

    /// Number of clients unserved although they must be served.
    pub fn stranded(&self, ctx: &CapContext) -> usize {
        if ctx.must_serve { self.unserved.len() } else { 0 }
    }

    /// The clients of `f` now.
    pub fn members(&self, f: usize) -> &[u32] {
        &self.members[f]
    }

    /// The unserved clients now.
    pub fn unserved_clients(&self) -> &[u32] {
        &self.unserved
    }

    /// Takes the log of clients whose assignment changed.
    pub fn take_touched(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.touched)
    }

    /// Whether `u` (not at `f` now) would fit at open facility `f`.
    #[inline]
    pub fn fits(&self, ctx: &CapContext, u: usize, f: usize) -> bool {
        self.open[f]
            && within(self.load[f] + ctx.demand[u], ctx.capacity[f])
            && self.count[f] < ctx.max_clients[f]
            && (self.assign[u] != NONE || within(self.spent + ctx.client_charge[u], ctx.budget))
    }

    fn list_of(&mut self, a: u32) -> &mut Vec<u32> {
        if a == NONE { &mut self.unserved } else { &mut self.members[a as usize] }
    }

    /// Moves `u` to `to` (`None`: unserved), updating loads, lists and budget use.
    pub fn set(&mut self, ctx: &CapContext, u: usize, to: Option<usize>) {
        let from = self.assign[u];
        let target = to.map_or(NONE, |g| g as u32);
        if from == target {
            return;
        }
        // Out of the old list.
        let p = self.pos[u] as usize;
        let list = self.list_of(from);
        list.swap_remove(p);
        if p < list.len() {
            let moved = list[p] as usize;
            self.pos[moved] = p as u32;
        }
        if from != NONE {
            let f = from as usize;
            self.load[f] -= ctx.demand[u];
            self.count[f] -= 1;
        } else {
            self.spent += ctx.client_charge[u];
        }
        if target != NONE {
            let g = target as usize;
            self.load[g] += ctx.demand[u];
            self.count[g] += 1;
        } else {
            self.spent -= ctx.client_charge[u];
        }
        self.assign[u] = target;
        let list = self.list_of(target);
        list.push(u as u32);
        self.pos[u] = (list.len() - 1) as u32;
        self.touched.push(u as u32);
    }

    /// Best and second-best feasible option of `u` (unserved counts as one).
    fn options(&self, ctx: &CapContext, u: usize) -> ((f64, u32), f64) {
        let mut best = (ctx.unserved[u], NONE);
        let mut second = f64::INFINITY;
        let (fs, cs) = ctx.client_links.of(u);
        for (&f, &c) in fs.iter().zip(cs) {
            if c >= second {
                break;
            }
            if self.fits(ctx, u, f as usize) {
                if c < best.0 {
                    second = best.0;
                    best = (c, f);
                } else {
                    second = second.min(c);
                }
            }
        }
        if best.1 != NONE {
            second = second.min(ctx.unserved[u]);
        }
        (best, second)
    }

    /// Assigns the unserved clients among `clients` by decreasing regret.
    pub fn insert_by_regret(&mut self, ctx: &CapContext, clients: &[u32]) {
        let mut heap = BinaryHeap::with_capacity(clients.len());
        for &u in clients {
            if self.assign[u as usize] == NONE {
                let ((b, _), s) = self.options(ctx, u as usize);
                heap.push(Regret(s - b, u));
            }
        }
        while let Some(Regret(r, u)) = heap.pop() {
            let u = u as usize;
            let ((b, f), s) = self.options(ctx, u);
            let now = s - b;
            // Options changed since this entry was pushed: re-queue with the current regret.
            if (now - r).abs() > 1e-12 * r.abs().max(1.0) && heap.peek().is_some_and(|top| top.0 > now) {
                heap.push(Regret(now, u as u32));
                continue;
            }
            if f != NONE {
                self.set(ctx, u, Some(f as usize));
            }
        }
    }

    /// What must leave open facility `f` for one more client of demand `d`
    /// to fit: `None` when it fits already, else the demand one departing
    /// client must free (a departure also frees a client slot).
    fn room_needed(&self, ctx: &CapContext, f: usize, d: f64) -> Option<f64> {
        let fits_load = within(self.load[f] + d, ctx.capacity[f]);
        if fits_load && self.count[f] < ctx.max_clients[f] {
            return None;
        }
        Some(if fits_load { 0.0 } else { self.load[f] + d - ctx.capacity[f] })
    }

    /// The cheapest ejection chain that frees `need` (> 0) demand and one
    /// client slot at open facility `f`: one client `v` of `f` moves to an open
    /// facility `g` where it fits, or — with `depth` > 1 — where room is made
    /// for it the same way. Facilities in `path` are not entered again.
    /// Returns the cost change and the moves, deepest first.
    fn chain(
        &self,
        ctx: &CapContext,
        f: usize,
        need: f64,
        depth: usize,
        path: &mut Vec<usize>,
        work: &mut usize,
    ) -> Option<Chain> {
        let mut best: Option<Chain> = None;
        path.push(f);
        for &v in &self.members[f] {
            let v = v as usize;
            let dv = ctx.demand[v];
            if dv < need * (1.0 - FIT) - FIT {
                continue;
            }
            let cv_f = ctx.cost(v, f);
            let (gs, cgs) = ctx.client_links.of(v);
            for (&g, &cv_g) in gs.iter().zip(cgs).take(NEAR) {
                let g = g as usize;
                let delta = cv_g - cv_f;
                if *work == 0 {
                    break;
                }
                *work -= 1;
                if !self.open[g] || path.contains(&g) || best.as_ref().is_some_and(|b| delta >= b.0) {
                    continue;
                }
                match self.room_needed(ctx, g, dv) {
                    None => best = Some((delta, vec![(v as u32, g as u32)])),
                    Some(short) if depth > 1 => {
                        if let Some((d2, mut moves)) = self.chain(ctx, g, short, depth - 1, path, work)
                            && best.as_ref().is_none_or(|b| delta + d2 < b.0)
                        {
                            moves.push((v as u32, g as u32));
                            best = Some((delta + d2, moves));
                        }
                    }
                    Some(_) => {}
                }
            }
        }
        path.pop();
        best
    }

    /// Serves unserved clients whose open facilities are all full, when an
    /// ejection chain of up to `depth` moves makes room for less than leaving
    /// them unserved costs (a capacity repair in the spirit of the ejection
    /// chains of Yagiura, Ibaraki & Glover for the generalized assignment
    /// problem, INFORMS J. Computing 16 (2004) 133–151). Returns the number
    /// of clients served.
    pub fn repair_stranded(&mut self, ctx: &CapContext, depth: usize) -> usize {
        let mut served = 0;
        let mut path = Vec::new();
        let pending = self.unserved.clone();
        for &u in &pending {
            let u = u as usize;
            if self.assign[u] != NONE || !within(self.spent + ctx.client_charge[u], ctx.budget) {
                continue;
            }
            let du = ctx.demand[u];
            // (cost of serving u, its facility, the chain's moves)
            let mut best: Option<(f64, usize, Moves)> = None;
            let (fs, cs) = ctx.client_links.of(u);
            for (&f, &cu_f) in fs.iter().zip(cs) {
                let f = f as usize;
                if !self.open[f] || cu_f >= best.as_ref().map_or(ctx.unserved[u], |b| b.0) - ctx.eps {
                    continue;
                }
                let Some(need) = self.room_needed(ctx, f, du) else {
                    best = Some((cu_f, f, Vec::new()));
                    continue;
                };
                let mut work = CHAIN_WORK;
                if let Some((d, moves)) = self.chain(ctx, f, need, depth, &mut path, &mut work)
                    && cu_f + d < best.as_ref().map_or(ctx.unserved[u], |b| b.0) - ctx.eps
                {
                    best = Some((cu_f + d, f, moves));
                }
            }
            if let Some((_, f, moves)) = best {
                for (v, g) in moves {
                    self.set(ctx, v as usize, Some(g as usize));
                }
                debug_assert!(self.fits(ctx, u, f));
                self.set(ctx, u, Some(f));
                served += 1;
            }
        }
        served
    }

    /// Assigns every unserved client by regret.
    pub fn insert_unserved(&mut self, ctx: &CapContext) {
        let pending = self.unserved.clone();
        self.insert_by_regret(ctx, &pending);
    }

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

    /// Three facilities of capacity 10 in a row. `u` (demand 6) may only use
    /// A, where `v` (6) sits; `v` may move to B, where `w` (6) sits; `w` may
    /// move to the empty C. Serving `u` needs a chain of two moves.
    fn row() -> Instance {
        let clients =
            vec![Client::new(ExtId::Num(1), 6.0), Client::new(ExtId::Num(2), 6.0), Client::new(ExtId::Num(3), 6.0)];
        let facilities: Vec<Facility> =
            (0..3).map(|f| Facility { capacity: Some(10.0), ..Facility::new(ExtId::Num(f + 1), 0.0) }).collect();
        let triples = vec![(0, 0, 3.0), (1, 0, 1.0), (1, 1, 5.0), (2, 1, 1.0), (2, 2, 4.0)];
        let mut inst = Instance::new(
            "row",
            Model::Sscflp,
            clients,
            facilities,
            Costs::Sparse(SparseCosts::from_triples(3, 3, triples)),
        );
        inst.single_source = true;
        inst
    }

    #[test]
    fn ejection_chain_serves_a_stranded_client_only_when_deep_enough() {
        let inst = row();
        let ctx = CapContext::new(&inst);
        let mut s = SsState::new(&ctx, &[true, true, true]);
        s.set(&ctx, 1, Some(0));
        s.set(&ctx, 2, Some(1));
        assert!(!s.fits(&ctx, 0, 0));
        assert_eq!(s.repair_stranded(&ctx, 1), 0, "one move cannot make room");
        assert_eq!(s.stranded(&ctx), 1);
        assert_eq!(s.repair_stranded(&ctx, 2), 1);
        assert_eq!(s.stranded(&ctx), 0);
        assert_eq!(s.assign, vec![0, 1, 2]);
        assert_eq!(s.load, vec![6.0, 6.0, 6.0]);
        // Recomputed by hand: u at A 3, v at B 5, w at C 4.
        assert_eq!(s.objective(&ctx), 12.0);
    }

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
        let mut s = SsState::new(&ctx, &[true, false]);
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
