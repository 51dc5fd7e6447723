//! Construction for single-source capacitated location.
//!
//! Clients are assigned in order of *regret* — the extra cost of their
//! second-best feasible option over their best — so that clients with few
//! good options are placed before capacity runs out (the regret heuristic of
//! Martello & Toth for the generalized assignment problem, as used for
//! single-source location by Delmaire, Díaz, Fernández & Ortega, INFOR 37
//! (1999) 194–225). Clients stranded by full facilities are served by
//! ejection chains, or by opening or swapping in a facility for them.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::moves::{NEAR, can_open, can_swap};
use super::state::{FIT, NONE, SingleSourceState, within};
use crate::solve::context::CapContext;
use crate::solve::select::Selector;

/// An ejection chain: its cost change and its moves (client, new facility), deepest first.
type Moves = Vec<(u32, u32)>;
type Chain = (f64, Moves);

/// Links examined per ejection-chain search (dense instances would
/// otherwise explore (members × links)^depth chains).
const CHAIN_WORK: usize = 2_000;

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

impl SingleSourceState {
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
}

/// Greedy construction: group minimums and `min_open` (or `p`) by opening
/// value, everyone inserted by regret, then further openings while they pay
/// (or until `p`), then the client local search.
pub fn construct(ctx: &CapContext) -> SingleSourceState {
    let m = ctx.n_facilities();
    let empty = SingleSourceState::new(ctx, &vec![false; m]);
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
    let mut s = SingleSourceState::new(ctx, &open);
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

/// Capacity repair of an open set that strands clients (must-serve clients
/// whose open facilities are all full even after ejection chains): opens the
/// closed facility worth most to the stranded clients, or — when the rules or
/// the budget forbid another opening — swaps it in for the open facility
/// whose removal costs least (the lightest-loaded few, evaluated exactly).
/// Stops when nobody is stranded, nothing helps, or after `max_moves` moves.
pub fn reopen_for_stranded(ctx: &CapContext, s: &mut SingleSourceState, max_moves: usize) {
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
        let mut best: Option<(f64, SingleSourceState)> = None;
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
        let mut s = SingleSourceState::new(&ctx, &[true, true, true]);
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
        let mut s = SingleSourceState::new(&ctx, &[true, false]);
        s.insert_by_regret(&ctx, &[0, 1]);
        assert_eq!(s.stranded(&ctx), 1);
        reopen_for_stranded(&ctx, &mut s, 2);
        assert_eq!(s.stranded(&ctx), 0);
        assert_eq!(s.objective(&ctx), 13.0);
        // Budget for one: the larger B replaces A; 5 + 2 + 2 by hand.
        let inst = pair(12.0, Some(5.0));
        let ctx = CapContext::new(&inst);
        let mut s = SingleSourceState::new(&ctx, &[true, false]);
        s.insert_by_regret(&ctx, &[0, 1]);
        assert_eq!(s.stranded(&ctx), 1);
        reopen_for_stranded(&ctx, &mut s, 2);
        assert_eq!(s.stranded(&ctx), 0);
        assert_eq!(s.open, vec![false, true]);
        assert_eq!(s.objective(&ctx), 9.0);
    }
}
