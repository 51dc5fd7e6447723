//! Single-source capacitated assignment: who serves whom, with loads, client
//! counts and budget use kept up to date, plus the moves of the local search.
//!
//! Construction assigns clients in order of *regret* — the extra cost of
//! their second-best feasible option over their best — so that clients with
//! few good options are placed before capacity runs out (the regret
//! heuristic of Martello & Toth for the generalized assignment problem, as
//! used for single-source location by Delmaire, Díaz, Fernández & Ortega,
//! INFOR 37 (1999) 194–225). The local search moves single clients (shift)
//! and exchanges pairs of clients between facilities (swap), both also to and
//! from "unserved".

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::ctx::CapContext;

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
}

/// Slack for floating comparisons of loads and budgets.
const FIT: f64 = 1e-9;

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
        if ctx.must_serve { self.assign.iter().filter(|&&a| a == NONE).count() } else { 0 }
    }

    /// Whether `u` (not at `f` now) would fit at open facility `f`.
    #[inline]
    pub fn fits(&self, ctx: &CapContext, u: usize, f: usize) -> bool {
        self.open[f]
            && self.load[f] + ctx.demand[u] <= ctx.capacity[f] * (1.0 + FIT) + FIT
            && self.count[f] < ctx.max_clients[f]
            && (self.assign[u] != NONE || self.spent + ctx.client_charge[u] <= ctx.budget * (1.0 + FIT) + FIT)
    }

    /// Moves `u` to `to` (`None`: unserved), updating loads and budget use.
    pub fn set(&mut self, ctx: &CapContext, u: usize, to: Option<usize>) {
        let from = self.assign[u];
        if from != NONE {
            let f = from as usize;
            self.load[f] -= ctx.demand[u];
            self.count[f] -= 1;
        } else if to.is_some() {
            self.spent += ctx.client_charge[u];
        }
        match to {
            Some(g) => {
                self.load[g] += ctx.demand[u];
                self.count[g] += 1;
                self.assign[u] = g as u32;
            }
            None => {
                if from != NONE {
                    self.spent -= ctx.client_charge[u];
                }
                self.assign[u] = NONE;
            }
        }
    }

    /// Best and second-best feasible option of `u` (unserved counts as one),
    /// ignoring its current facility's own load.
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

    /// Assigns the unserved clients in `clients` by decreasing regret.
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

    /// Shift and swap moves until none improves. Returns the objective change.
    pub fn local_search(&mut self, ctx: &CapContext) -> f64 {
        let mut total = 0.0;
        loop {
            let mut gained = 0.0;
            for u in 0..self.assign.len() {
                gained += self.best_shift(ctx, u);
            }
            for u in 0..self.assign.len() {
                gained += self.best_swap(ctx, u);
            }
            if gained <= ctx.eps {
                for u in 0..self.assign.len() {
                    gained += self.best_ejection(ctx, u);
                }
            }
            total += gained;
            if gained <= ctx.eps {
                return total;
            }
        }
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

    /// Exchanges `u` with a client `v` of another facility (or an unserved
    /// client taking `u`'s place) when that is cheaper; returns the saving.
    fn best_swap(&mut self, ctx: &CapContext, u: usize) -> f64 {
        let f = self.assign[u];
        if f == NONE {
            return 0.0;
        }
        let f = f as usize;
        let cu_f = ctx.cost(u, f);
        let mut best: Option<(f64, usize)> = None;
        let (gs, cgs) = ctx.client_links.of(u);
        for (&g, &cu_g) in gs.iter().zip(cgs) {
            let g = g as usize;
            if g == f || !self.open[g] {
                continue;
            }
            // Clients v at g that may move to f.
            let (vs, cvf) = ctx.facility_links.of(f);
            for (&v, &cv_f) in vs.iter().zip(cvf) {
                let v = v as usize;
                if self.assign[v] != g as u32 {
                    continue;
                }
                let cv_g = ctx.cost(v, g);
                let delta = cu_g + cv_f - cu_f - cv_g;
                if delta >= best.map_or(-ctx.eps, |b| b.0) {
                    continue;
                }
                let (du, dv) = (ctx.demand[u], ctx.demand[v]);
                let fits_f = self.load[f] - du + dv <= ctx.capacity[f] * (1.0 + FIT) + FIT;
                let fits_g = self.load[g] - dv + du <= ctx.capacity[g] * (1.0 + FIT) + FIT;
                if fits_f && fits_g {
                    best = Some((delta, v));
                }
            }
        }
        // An unserved client v takes u's place at f; u becomes unserved.
        if !ctx.must_serve || ctx.unserved[u] > 0.0 {
            let (vs, cvf) = ctx.facility_links.of(f);
            for (&v, &cv_f) in vs.iter().zip(cvf) {
                let v = v as usize;
                if self.assign[v] != NONE || v == u {
                    continue;
                }
                let delta = cv_f + ctx.unserved[u] - cu_f - ctx.unserved[v];
                if delta >= best.map_or(-ctx.eps, |b| b.0) {
                    continue;
                }
                let fits = self.load[f] - ctx.demand[u] + ctx.demand[v] <= ctx.capacity[f] * (1.0 + FIT) + FIT;
                let budget = self.spent - ctx.client_charge[u] + ctx.client_charge[v] <= ctx.budget * (1.0 + FIT) + FIT;
                if fits && budget {
                    best = Some((delta, v + self.assign.len()));
                }
            }
        }
        let Some((delta, v)) = best else { return 0.0 };
        let n = self.assign.len();
        if v >= n {
            let v = v - n;
            self.set(ctx, u, None);
            self.set(ctx, v, Some(f));
        } else {
            let g = self.assign[v] as usize;
            // Through "unserved" would touch the budget; move directly instead.
            self.load[f] += ctx.demand[v] - ctx.demand[u];
            self.load[g] += ctx.demand[u] - ctx.demand[v];
            self.assign[u] = g as u32;
            self.assign[v] = f as u32;
        }
        -delta
    }

    /// Ejection chain of length two: `u` moves into an open facility `g` where
    /// it does not fit, pushing one client `v` of `g` to another facility `h`
    /// (or out, when that is allowed) — the move that shift and swap miss on
    /// tightly packed facilities. Returns the saving.
    fn best_ejection(&mut self, ctx: &CapContext, u: usize) -> f64 {
        let cur = self.assign[u];
        let cu_now = self.client_cost(ctx, u);
        let from = (cur != NONE).then_some(cur as usize);
        // (saving, g, v, h) with h = NONE for "v left unserved".
        let mut best: Option<(f64, usize, usize, u32)> = None;
        let (gs, cgs) = ctx.client_links.of(u);
        for (&g, &cu_g) in gs.iter().zip(cgs) {
            let g = g as usize;
            if Some(g) == from || !self.open[g] || cu_g >= cu_now - ctx.eps {
                continue;
            }
            if self.fits(ctx, u, g) {
                continue; // a plain shift, handled elsewhere
            }
            let gain_u = cu_now - cu_g;
            let (vs, cvg) = ctx.facility_links.of(g);
            for (&v, &cv_g) in vs.iter().zip(cvg) {
                let v = v as usize;
                if v == u || self.assign[v] != g as u32 {
                    continue;
                }
                // u fits at g once v leaves?
                if self.load[g] - ctx.demand[v] + ctx.demand[u] > ctx.capacity[g] * (1.0 + FIT) + FIT {
                    continue;
                }
                let budget_u = if from.is_none() { ctx.client_charge[u] } else { 0.0 };
                // v to another open facility h.
                let (hs, cvh) = ctx.client_links.of(v);
                for (&h, &cv_h) in hs.iter().zip(cvh) {
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
                    let fits_h = self.load[h] - freed + ctx.demand[v] <= ctx.capacity[h] * (1.0 + FIT) + FIT
                        && self.count[h] - freed_count < ctx.max_clients[h];
                    let budget_ok = self.spent + budget_u <= ctx.budget * (1.0 + FIT) + FIT;
                    if fits_h && budget_ok {
                        best = Some((saving, g, v, h as u32));
                        break;
                    }
                }
                // v out.
                if !ctx.must_serve {
                    let saving = gain_u + cv_g - ctx.unserved[v];
                    let budget_ok = self.spent + budget_u - ctx.client_charge[v] <= ctx.budget * (1.0 + FIT) + FIT;
                    if saving > best.map_or(ctx.eps, |b| b.0) && budget_ok {
                        best = Some((saving, g, v, NONE));
                    }
                }
            }
        }
        let Some((saving, g, v, h)) = best else { return 0.0 };
        self.set(ctx, v, (h != NONE).then_some(h as usize));
        self.set(ctx, u, Some(g));
        saving
    }

    /// Closes `f` and re-inserts its clients by regret.
    pub fn close(&mut self, ctx: &CapContext, f: usize) {
        let mut moved = Vec::new();
        let (vs, _) = ctx.facility_links.of(f);
        for &v in vs {
            if self.assign[v as usize] == f as u32 {
                self.set(ctx, v as usize, None);
                moved.push(v);
            }
        }
        self.set_open(ctx, f, false);
        self.insert_by_regret(ctx, &moved);
    }

    /// Opens `f` and moves to it every client it serves more cheaply (best savings first).
    pub fn open_and_pull(&mut self, ctx: &CapContext, f: usize) {
        self.set_open(ctx, f, true);
        let (vs, cs) = ctx.facility_links.of(f);
        let mut gains: Vec<(f64, u32)> =
            vs.iter().zip(cs).map(|(&v, &c)| (self.client_cost(ctx, v as usize) - c, v)).filter(|g| g.0 > ctx.eps).collect();
        gains.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, v) in gains {
            if self.fits(ctx, v as usize, f) {
                self.set(ctx, v as usize, Some(f));
            }
        }
    }

    /// The saving `open_and_pull(f)` would bring, minus `f`'s opening cost
    /// (capacity honoured greedily, budget of newly served clients ignored).
    pub fn opening_value(&self, ctx: &CapContext, f: usize) -> f64 {
        let (vs, cs) = ctx.facility_links.of(f);
        let mut gains: Vec<(f64, usize)> = vs
            .iter()
            .zip(cs)
            .map(|(&v, &c)| (self.client_cost(ctx, v as usize) - c, v as usize))
            .filter(|g| g.0 > ctx.eps)
            .collect();
        gains.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let (mut load, mut count, mut total) = (0.0, 0u32, 0.0);
        for (g, v) in gains {
            if count < ctx.max_clients[f] && load + ctx.demand[v] <= ctx.capacity[f] * (1.0 + FIT) + FIT {
                load += ctx.demand[v];
                count += 1;
                total += g;
            }
        }
        total - ctx.open_cost[f]
    }
}
