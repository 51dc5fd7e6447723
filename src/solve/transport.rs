//! The transportation problem: the exact assignment step of multi-source
//! capacitated facility location once the open facilities are fixed.
//!
//! ```text
//! min  Σ_(k,i) c_ki x_ki + Σ_k U_k z_k
//! s.t. Σ_i x_ki + z_k = d_k     every sink (client) k; z_k = 0 without an unserved cost
//!      Σ_k x_ki ≤ s_i           every source (open facility) i
//!      x, z ≥ 0                 x only on the allowed arcs
//! ```
//!
//! Solved as a min-cost flow by successive shortest paths with Dijkstra and
//! node potentials (J. Edmonds and R. M. Karp, "Theoretical improvements in
//! algorithmic efficiency for network flow problems", J. ACM 19 (1972)
//! 248–264; N. Tomizawa, Networks 1 (1971) 173–194), in the pseudoflow form
//! of R. K. Ahuja, T. L. Magnanti and J. B. Orlin, *Network Flows*, Prentice
//! Hall 1993, §9.7:
//!
//! 1. Every sink goes to its cheapest option (arc, or unserved when cheaper):
//!    optimal when supplies are ignored, and with potentials π = 0 on the
//!    sources every reduced cost is non-negative. Sources loaded beyond their
//!    supply now have an excess.
//! 2. While a source is overloaded (in index order), Dijkstra on reduced costs
//!    finds the cheapest way to shed load: move a sink's flow to another
//!    source, which may shed another sink, and so on, ending at a source with
//!    spare supply or at "unserved". The bottleneck (the excess, the spare
//!    supply, the flow of a moved sink) is pushed, and the limiting quantity
//!    is set to exactly zero.
//!
//! The shortest-path graph has only the sources (plus "unserved" and an end
//! node that every source with spare supply and "unserved" reach at zero
//! cost): the edge i → i′ costs min over the sinks k carried by i of
//! (c_ki′ − c_ki), the cheapest move of one unit from i to i′. These rows
//! depend on the flow but not on the potentials, so a row is rebuilt only
//! after a flow on one of its sinks appears or vanishes; a search touches a
//! few sources instead of all their sinks' arcs. Dijkstra stops when it
//! settles the end node (distance D); the potentials of the settled nodes
//! move by d(v) − D, which keeps every reduced cost non-negative, so the flow
//! stays optimal for the loads shed so far.
//!
//! Overloads of at most 1e-9 × total demand that nothing can absorb (supply
//! used up by rounding, as with 0.1 + 0.2 units on a supply of 0.3) are
//! accepted. Heap ties break on the lower node index, row ties on the first
//! sink found, and every step is deterministic; the order of the input arcs
//! does not matter.
//!
//! When the problem is infeasible the error says why: sinks with demand and
//! no arcs, total supply below the demand that must be served, or a group of
//! sinks whose only sources cannot supply them (the set the failed search
//! reached: by Hall's theorem its demand exceeds its sources' supply).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A transportation problem over borrowed data.
#[derive(Debug, Clone, Copy)]
pub struct TransportProblem<'a> {
    /// Supply (capacity) per source (open facility); f64::INFINITY allowed.
    pub supply: &'a [f64],
    /// Demand per sink (client), ≥ 0.
    pub demand: &'a [f64],
    /// Allowed arcs (sink, source, cost per unit of flow); a sink may have no arcs.
    /// Of repeated (sink, source) pairs the cheapest is used.
    pub arcs: &'a [(u32, u32, f64)],
    /// Per sink: cost per unit left unserved (None: every unit must be served).
    /// An infinite entry means that sink must be served in full.
    pub unserved_cost: Option<&'a [f64]>,
}

/// An optimal flow.
#[derive(Debug, Clone, PartialEq)]
pub struct TransportSolution {
    pub cost: f64,
    /// Positive flows (sink, source, amount), sorted by (sink, source).
    pub flows: Vec<(u32, u32, f64)>,
    /// Unserved amount per sink (all zeros when none).
    pub unserved: Vec<f64>,
}

/// Why no flow serves every unit that must be served.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TransportError {
    /// Sinks with positive demand, no arcs and no unserved option (ascending).
    #[error("{} sink(s) with demand have no allowed source and may not go unserved: {sinks:?}", sinks.len())]
    NoArcs { sinks: Vec<u32> },
    /// The total supply is below the demand that must be served.
    #[error("total supply {supply} is short of the demand that must be served ({demand}) by {short}")]
    ShortSupply { supply: f64, demand: f64, short: f64 },
    /// Sinks that can only be served by these sources, whose supply is short.
    #[error(
        "sinks {sinks:?} (demand {demand}) can only be served by sources {sources:?} (supply {supply}): short by {short}"
    )]
    ShortLocally { sinks: Vec<u32>, sources: Vec<u32>, supply: f64, demand: f64, short: f64 },
}

/// Solves `p` exactly; see the module documentation. Allocates its working
/// space on every call: use a [`TransportSolver`] to solve many problems.
/// Only the tests call it (the solvers reuse a [`TransportSolver`]); a worked
/// example is the test `two_sources_three_sinks_one_partly_unserved`.
#[cfg(test)]
pub fn solve_transport(p: &TransportProblem) -> Result<TransportSolution, TransportError> {
    TransportSolver::new().solve(p)
}

/// No arc, no node.
const NONE: u32 = u32::MAX;

/// A heap entry ordered so that `BinaryHeap` pops the smallest distance, then the lowest node.
#[derive(Debug, Clone, Copy)]
struct Entry {
    dist: f64,
    node: u32,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        other.dist.total_cmp(&self.dist).then_with(|| other.node.cmp(&self.node))
    }
}

/// The cheapest move of a unit from a source to `to` (a source, or "unserved"):
/// off the carried arc `via` onto `arc` (`NONE` for "unserved").
#[derive(Debug, Clone, Copy)]
struct UnitMove {
    to: u32,
    via: u32,
    arc: u32,
    cost: f64,
}

/// A reusable transportation solver: keeps its arrays between calls, so
/// evaluating many open sets does not reallocate once they have grown.
#[derive(Debug, Clone, Default)]
pub struct TransportSolver {
    n: usize,
    m: usize,
    /// Arcs grouped by sink (CSR), sorted by source within a sink, duplicates removed.
    start: Vec<u32>,
    arc_src: Vec<u32>,
    arc_sink: Vec<u32>,
    arc_cost: Vec<f64>,
    flow: Vec<f64>,
    /// Per source: the arcs that carry flow, and each arc's position in its list.
    carrying: Vec<Vec<u32>>,
    slot: Vec<u32>,
    /// Flows at most this small (1e-12 of the total demand) are rounding
    /// residues: kept, but not rerouted.
    residue: f64,
    /// Per source: the cheapest move to each reachable source, valid unless `stale`.
    moves: Vec<Vec<UnitMove>>,
    stale: Vec<bool>,
    /// Scratch for building a row: position of each target in it.
    at: Vec<u32>,
    /// Supply left per source; negative while overloaded.
    spare: Vec<f64>,
    unserved: Vec<f64>,
    /// Per sink: cost of a unit unserved (infinite: not allowed).
    penalty: Vec<f64>,
    /// Search nodes: sources 0..m, "unserved" m, end m+1.
    pi: Vec<f64>,
    dist: Vec<f64>,
    /// The move that reached each node (for the end node: `to` is the node it was reached from).
    pred: Vec<UnitMove>,
    seen: Vec<u32>,
    settled_at: Vec<u32>,
    round: u32,
    settled: Vec<u32>,
    heap: BinaryHeap<Entry>,
    /// Scratch for building the CSR.
    pairs: Vec<(u32, f64)>,
    augmentations: usize,
    work: u64,
}

impl TransportSolver {
    #[cfg(test)]
    pub fn new() -> Self {
        TransportSolver::default()
    }

    /// Augmenting paths used by the last solve.
    #[cfg(test)]
    pub fn augmentations(&self) -> usize {
        self.augmentations
    }

    /// Work done by the last solve: moves scanned in searches plus arcs scanned
    /// building rows (deterministic, roughly proportional to time).
    #[allow(dead_code, reason = "an effort measure for profiling; no caller inside the crate reads it yet")]
    pub fn work(&self) -> u64 {
        self.work
    }

    /// Unserved amount per sink after the last successful solve.
    pub fn unserved(&self) -> &[f64] {
        &self.unserved
    }

    /// Solves `p` and returns the flows.
    pub fn solve(&mut self, p: &TransportProblem) -> Result<TransportSolution, TransportError> {
        let cost = self.solve_cost(p)?;
        let mut flows = Vec::new();
        for k in 0..self.n {
            for a in self.start[k] as usize..self.start[k + 1] as usize {
                if self.flow[a] > 0.0 {
                    flows.push((k as u32, self.arc_src[a], self.flow[a]));
                }
            }
        }
        Ok(TransportSolution { cost, flows, unserved: self.unserved.clone() })
    }

    /// Solves `p` and returns only the optimal cost (no output allocated).
    ///
    /// # Panics
    /// If an arc names a sink or source out of range, or `unserved_cost` has
    /// the wrong length.
    pub fn solve_cost(&mut self, p: &TransportProblem) -> Result<f64, TransportError> {
        self.load(p)?;
        let m = self.m;
        let tol = 1e-9 * p.demand.iter().sum::<f64>();
        for i in 0..m {
            while self.spare[i] < 0.0 {
                match self.search(i) {
                    Some(d) => {
                        self.update_potentials(d);
                        self.augment(i);
                    }
                    None if -self.spare[i] <= tol => break,
                    None => return Err(self.explain_failure(p)),
                }
            }
        }
        let mut cost = 0.0;
        for k in 0..self.n {
            for a in self.start[k] as usize..self.start[k + 1] as usize {
                if self.flow[a] > 0.0 {
                    cost += self.flow[a] * self.arc_cost[a];
                }
            }
            if self.unserved[k] > 0.0 {
                cost += self.unserved[k] * self.penalty[k];
            }
        }
        Ok(cost)
    }

    /// Builds the arc lists and the cheapest assignment, and runs the quick infeasibility checks.
    fn load(&mut self, p: &TransportProblem) -> Result<(), TransportError> {
        let (n, m) = (p.demand.len(), p.supply.len());
        debug_assert!(p.demand.iter().all(|d| d.is_finite() && *d >= 0.0), "demands must be finite and ≥ 0");
        debug_assert!(p.supply.iter().all(|s| *s >= 0.0), "supplies must be ≥ 0 (infinity allowed)");
        debug_assert!(p.arcs.iter().all(|a| a.2.is_finite()), "arc costs must be finite");
        debug_assert!(p.unserved_cost.is_none_or(|u| u.iter().all(|c| !c.is_nan())), "unserved costs must not be NaN");
        if let Some(u) = p.unserved_cost {
            assert_eq!(u.len(), n, "one unserved cost per sink");
        }
        self.n = n;
        self.m = m;
        self.augmentations = 0;
        self.work = 0;

        // CSR by sink: counting sort, then each sink's arcs sorted by (source, cost), duplicates dropped.
        self.start.clear();
        self.start.resize(n + 2, 0);
        for &(k, i, _) in p.arcs {
            assert!((k as usize) < n && (i as usize) < m, "arc ({k}, {i}) out of range ({n} sinks, {m} sources)");
            self.start[k as usize + 2] += 1;
        }
        for k in 2..n + 2 {
            self.start[k] += self.start[k - 1];
        }
        self.pairs.clear();
        self.pairs.resize(p.arcs.len(), (0, 0.0));
        for &(k, i, c) in p.arcs {
            let at = &mut self.start[k as usize + 1];
            self.pairs[*at as usize] = (i, c);
            *at += 1;
        }
        self.arc_src.clear();
        self.arc_sink.clear();
        self.arc_cost.clear();
        for k in 0..n {
            let seg = &mut self.pairs[self.start[k] as usize..self.start[k + 1] as usize];
            let by_source = |a: &(u32, f64), b: &(u32, f64)| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1));
            if !seg.is_sorted_by(|a, b| by_source(a, b) != Ordering::Greater) {
                seg.sort_unstable_by(by_source);
            }
            self.start[k] = self.arc_src.len() as u32;
            for t in 0..seg.len() {
                if t == 0 || seg[t].0 != seg[t - 1].0 {
                    self.arc_src.push(seg[t].0);
                    self.arc_sink.push(k as u32);
                    self.arc_cost.push(seg[t].1);
                }
            }
        }
        self.start[n] = self.arc_src.len() as u32;
        self.start.truncate(n + 1);
        let arcs = self.arc_src.len();

        self.penalty.clear();
        match p.unserved_cost {
            Some(u) => self.penalty.extend_from_slice(u),
            None => self.penalty.resize(n, f64::INFINITY),
        }

        // Quick checks: stranded sinks, and total supply against the demand that must be served.
        let stranded: Vec<u32> = (0..n)
            .filter(|&k| p.demand[k] > 0.0 && self.start[k] == self.start[k + 1] && !self.penalty[k].is_finite())
            .map(|k| k as u32)
            .collect();
        if !stranded.is_empty() {
            return Err(TransportError::NoArcs { sinks: stranded });
        }
        let must: f64 = (0..n).filter(|&k| !self.penalty[k].is_finite()).map(|k| p.demand[k]).sum();
        let supply: f64 = p.supply.iter().sum();
        let tol = 1e-9 * p.demand.iter().sum::<f64>();
        self.residue = 1e-12 * p.demand.iter().sum::<f64>();
        if supply < must - tol {
            return Err(TransportError::ShortSupply { supply, demand: must, short: must - supply });
        }

        self.flow.clear();
        self.flow.resize(arcs, 0.0);
        self.slot.clear();
        self.slot.resize(arcs, NONE);
        self.carrying.truncate(m);
        for list in &mut self.carrying {
            list.clear();
        }
        self.carrying.resize_with(m, Vec::new);
        self.moves.resize_with(m, Vec::new);
        self.stale.clear();
        self.stale.resize(m, true);
        self.at.clear();
        self.at.resize(m + 1, NONE);
        self.spare.clear();
        self.spare.extend_from_slice(p.supply);
        self.unserved.clear();
        self.unserved.resize(n, 0.0);

        // Every sink on its cheapest option: an arc (ties to the lowest source), or unserved
        // when strictly cheaper. With π = 0 every move then costs ≥ 0.
        for k in 0..n {
            if p.demand[k] == 0.0 {
                continue;
            }
            let (mut best, mut arc) = (self.penalty[k], NONE);
            for a in self.start[k] as usize..self.start[k + 1] as usize {
                if self.arc_cost[a] < best || (arc == NONE && self.arc_cost[a] == best) {
                    (best, arc) = (self.arc_cost[a], a as u32);
                }
            }
            if arc == NONE {
                self.unserved[k] = p.demand[k];
            } else {
                let i = self.arc_src[arc as usize] as usize;
                self.flow[arc as usize] = p.demand[k];
                self.slot[arc as usize] = self.carrying[i].len() as u32;
                self.carrying[i].push(arc);
                self.spare[i] -= p.demand[k];
            }
        }

        let nodes = m + 2;
        self.pi.clear();
        self.pi.resize(nodes, 0.0);
        self.dist.clear();
        self.dist.resize(nodes, 0.0);
        self.pred.clear();
        self.pred.resize(nodes, UnitMove { to: NONE, via: NONE, arc: NONE, cost: 0.0 });
        self.seen.clear();
        self.seen.resize(nodes, 0);
        self.settled_at.clear();
        self.settled_at.resize(nodes, 0);
        self.round = 0;
        Ok(())
    }

    /// Rebuilds the cheapest moves out of source `i` from the sinks it carries.
    fn rebuild_moves(&mut self, i: usize) {
        let out = self.m as u32;
        let mut row = std::mem::take(&mut self.moves[i]);
        row.clear();
        for &via in &self.carrying[i] {
            let k = self.arc_sink[via as usize] as usize;
            let base = self.arc_cost[via as usize];
            let (lo, hi) = (self.start[k] as usize, self.start[k + 1] as usize);
            self.work += (hi - lo) as u64;
            let pen = self.penalty[k];
            let targets = (lo..hi).map(|a| (self.arc_src[a], a as u32, self.arc_cost[a]));
            let unserved = pen.is_finite().then_some((out, NONE, pen));
            for (to, arc, c) in targets.chain(unserved) {
                if to as usize == i {
                    continue;
                }
                let mv = UnitMove { to, via, arc, cost: c - base };
                match self.at[to as usize] {
                    NONE => {
                        self.at[to as usize] = row.len() as u32;
                        row.push(mv);
                    }
                    t if mv.cost < row[t as usize].cost => row[t as usize] = mv,
                    _ => {}
                }
            }
        }
        for mv in &row {
            self.at[mv.to as usize] = NONE;
        }
        self.moves[i] = row;
        self.stale[i] = false;
    }

    /// Dijkstra on reduced costs over the sources from overloaded source `origin`
    /// to the end node. Returns the distance D; `pred` of the end names the
    /// source with spare supply (or "unserved") reached; leaves the settled
    /// nodes in `settled`.
    fn search(&mut self, origin: usize) -> Option<f64> {
        let m = self.m;
        let (out, end) = (m, m + 1);
        self.round = self.round.wrapping_add(1);
        if self.round == 0 {
            self.seen.fill(0);
            self.settled_at.fill(0);
            self.round = 1;
        }
        let round = self.round;
        self.heap.clear();
        self.settled.clear();
        self.dist[origin] = 0.0;
        self.seen[origin] = round;
        self.heap.push(Entry { dist: 0.0, node: origin as u32 });
        while let Some(Entry { dist: d, node }) = self.heap.pop() {
            let v = node as usize;
            if self.settled_at[v] == round {
                continue;
            }
            self.settled_at[v] = round;
            self.settled.push(node);
            if v == end {
                return Some(d);
            }
            let pv = self.pi[v];
            if v == out || self.spare[v] > 0.0 {
                let rc = pv - self.pi[end];
                self.relax(end, d + rc.max(0.0), UnitMove { to: node, via: NONE, arc: NONE, cost: 0.0 });
            }
            if v == out {
                continue;
            }
            if self.stale[v] {
                self.rebuild_moves(v);
            }
            self.work += self.moves[v].len() as u64;
            for t in 0..self.moves[v].len() {
                let mv = self.moves[v][t];
                let w = mv.to as usize;
                let rc = mv.cost + pv - self.pi[w];
                self.relax(w, d + rc.max(0.0), mv);
            }
        }
        None
    }

    #[inline]
    fn relax(&mut self, w: usize, d: f64, mv: UnitMove) {
        if self.settled_at[w] == self.round {
            return;
        }
        if self.seen[w] != self.round || d < self.dist[w] {
            self.seen[w] = self.round;
            self.dist[w] = d;
            self.pred[w] = mv;
            self.heap.push(Entry { dist: d, node: w as u32 });
        }
    }

    /// π(v) += d(v) − D on the settled nodes: reduced costs stay non-negative
    /// and become zero along the path found.
    fn update_potentials(&mut self, d_end: f64) {
        for t in 0..self.settled.len() {
            let v = self.settled[t] as usize;
            self.pi[v] += self.dist[v] - d_end;
        }
    }

    /// Sheds the bottleneck amount of load from overloaded source `origin`
    /// along the path the search found.
    fn augment(&mut self, origin: usize) {
        let m = self.m;
        self.augmentations += 1;
        let terminal = self.pred[m + 1].to as usize;
        // Pass 1: the bottleneck.
        let mut delta = -self.spare[origin];
        if terminal < m {
            delta = delta.min(self.spare[terminal]);
        }
        let mut v = terminal;
        while v != origin {
            let via = self.pred[v].via as usize;
            delta = delta.min(self.flow[via]);
            v = self.arc_src[via] as usize;
        }
        // Pass 2: apply it; the limiting quantities become exactly zero.
        self.spare[origin] += delta;
        if terminal < m {
            self.spare[terminal] -= delta;
        }
        let mut v = terminal;
        while v != origin {
            let UnitMove { via, arc, .. } = self.pred[v];
            let (via, from) = (via as usize, self.arc_src[via as usize] as usize);
            if arc == NONE {
                self.unserved[self.arc_sink[via] as usize] += delta;
            } else {
                let a = arc as usize;
                if self.slot[a] == NONE {
                    self.slot[a] = self.carrying[v].len() as u32;
                    self.carrying[v].push(arc);
                    self.stale[v] = true;
                }
                self.flow[a] += delta;
            }
            self.flow[via] -= delta;
            // A rounding residue (two nearly equal amounts subtracted) is left
            // where it is and no longer offered for rerouting: paths through it
            // would shed ~1e-15 per augmentation, forever in effect.
            if self.flow[via] <= self.residue {
                self.flow[via] = self.flow[via].max(0.0);
                let s = self.slot[via] as usize;
                self.carrying[from].swap_remove(s);
                if let Some(&moved) = self.carrying[from].get(s) {
                    self.slot[moved as usize] = s as u32;
                }
                self.slot[via] = NONE;
                self.stale[from] = true;
            }
            v = from;
        }
    }

    /// After a search found no way to shed load: the sinks carried by the
    /// reached sources can only be served by them, and they are all full
    /// (Hall's condition fails).
    fn explain_failure(&self, p: &TransportProblem) -> TransportError {
        let m = self.m;
        let mut sources: Vec<u32> = self.settled.iter().copied().filter(|&v| (v as usize) < m).collect();
        sources.sort_unstable();
        let mut sinks: Vec<u32> = sources
            .iter()
            .flat_map(|&i| self.carrying[i as usize].iter().map(|&a| self.arc_sink[a as usize]))
            .collect();
        sinks.sort_unstable();
        sinks.dedup();
        let demand: f64 = sinks.iter().map(|&k| p.demand[k as usize]).sum();
        let supply: f64 = sources.iter().map(|&i| p.supply[i as usize]).sum();
        TransportError::ShortLocally { sinks, sources, supply, demand, short: demand - supply }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::task_rng;
    use good_lp::{Expression, ProblemVariables, ResolutionError, Solution as _, SolverModel, constraint, variable};
    use proptest::prelude::*;
    use rand::Rng as _;

    /// An owned problem for tests.
    #[derive(Debug, Clone)]
    struct Owned {
        supply: Vec<f64>,
        demand: Vec<f64>,
        arcs: Vec<(u32, u32, f64)>,
        unserved: Option<Vec<f64>>,
    }

    impl Owned {
        fn problem(&self) -> TransportProblem<'_> {
            TransportProblem {
                supply: &self.supply,
                demand: &self.demand,
                arcs: &self.arcs,
                unserved_cost: self.unserved.as_deref(),
            }
        }
    }

    #[test]
    fn two_sources_three_sinks_one_partly_unserved() {
        // Two sources of 3 units, three sinks of 2 units; sink 2 may go unserved at 4 a unit.
        let arcs = [(0, 0, 1.0), (0, 1, 2.0), (1, 0, 1.0), (2, 0, 1.0), (2, 1, 5.0)];
        let p = TransportProblem {
            supply: &[3.0, 3.0],
            demand: &[2.0, 2.0, 2.0],
            arcs: &arcs,
            unserved_cost: Some(&[9.0, 9.0, 4.0]),
        };
        let s = solve_transport(&p).unwrap();
        assert_eq!(s.flows, vec![(0, 1, 2.0), (1, 0, 2.0), (2, 0, 1.0)]);
        assert_eq!((s.unserved, s.cost), (vec![0.0, 0.0, 1.0], 4.0 + 2.0 + 1.0 + 4.0));
    }

    /// Small instances: integer or real amounts and costs (some negative),
    /// zero and infinite supplies, zero demands, sparse arcs with repeats,
    /// sinks without arcs, and sometimes unserved costs (some infinite).
    fn random_case(seed: u64) -> Owned {
        let mut r = task_rng(seed, 21);
        let m = r.random_range(1..=5);
        let n = r.random_range(0..=8);
        let integral = r.random_bool(0.5);
        let round = |v: f64| if integral { v.round() } else { v };
        let density = [0.4, 0.7, 1.0][r.random_range(0..3)];
        let supply = (0..m)
            .map(|_| match r.random_range(0..10) {
                0 => 0.0,
                1 => f64::INFINITY,
                _ => round(r.random_range(0.5..15.0)),
            })
            .collect();
        let demand = (0..n).map(|_| if r.random_bool(0.15) { 0.0 } else { round(r.random_range(0.5..10.0)) }).collect();
        let mut arcs = Vec::new();
        for k in 0..n as u32 {
            for i in 0..m as u32 {
                if r.random_bool(density) {
                    arcs.push((k, i, round(r.random_range(-5.0..20.0))));
                    if r.random_bool(0.05) {
                        arcs.push((k, i, round(r.random_range(-5.0..20.0))));
                    }
                }
            }
        }
        // Arcs in any order.
        for t in (1..arcs.len()).rev() {
            arcs.swap(t, r.random_range(0..=t));
        }
        let unserved = r.random_bool(0.4).then(|| {
            (0..n).map(|_| if r.random_bool(0.2) { f64::INFINITY } else { round(r.random_range(0.0..25.0)) }).collect()
        });
        Owned { supply, demand, arcs, unserved }
    }

    /// Found by `matches_the_lp` (a CI run that never finished): fractional
    /// data where a subtraction leaves a flow of ~1e-15 on the cheapest path,
    /// so every augmentation shed only that much. Now solved, and optimal.
    #[test]
    fn rounding_residues_do_not_stall_the_augmentations() {
        let o = random_case(38218);
        let s = solve_transport(&o.problem()).expect("feasible");
        check_solution(&o, &s);
        let lp = lp_optimum(&o).expect("the LP is feasible too");
        assert!(close(s.cost, lp), "cost {} vs LP {}", s.cost, lp);
    }

    /// The LP optimum through microlp, or `None` when infeasible.
    fn lp_optimum(o: &Owned) -> Option<f64> {
        let (n, m) = (o.demand.len(), o.supply.len());
        let mut vars = ProblemVariables::new();
        let mut objective = Expression::default();
        let mut served = vec![Expression::default(); n];
        let mut shipped = vec![Expression::default(); m];
        let mut has_var = vec![false; n];
        for &(k, i, c) in &o.arcs {
            let x = vars.add(variable().min(0.0));
            objective += c * x;
            served[k as usize] += x;
            shipped[i as usize] += x;
            has_var[k as usize] = true;
        }
        for k in 0..n {
            if let Some(u) = &o.unserved
                && u[k].is_finite()
            {
                let z = vars.add(variable().min(0.0));
                objective += u[k] * z;
                served[k] += z;
                has_var[k] = true;
            }
        }
        let mut model = vars.minimise(objective.clone()).using(good_lp::microlp);
        for k in 0..n {
            if !has_var[k] {
                if o.demand[k] > 0.0 {
                    return None;
                }
                continue;
            }
            model = model.with(constraint!(served[k].clone() == o.demand[k]));
        }
        for i in 0..m {
            if o.supply[i].is_finite() {
                model = model.with(constraint!(shipped[i].clone() <= o.supply[i]));
            }
        }
        match model.solve() {
            Ok(sol) => Some(sol.eval(&objective)),
            Err(ResolutionError::Infeasible) => None,
            Err(e) => panic!("microlp failed: {e}"),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
    }

    /// Flows on allowed arcs, sorted and positive; supplies respected; every
    /// unit of demand served or priced as unserved; the cost adds up.
    fn check_solution(o: &Owned, s: &TransportSolution) {
        let (n, m) = (o.demand.len(), o.supply.len());
        let scale = o.demand.iter().sum::<f64>().max(1.0);
        let tol = 1e-9 * scale;
        assert!(s.flows.windows(2).all(|w| (w[0].0, w[0].1) < (w[1].0, w[1].1)), "flows not sorted: {:?}", s.flows);
        assert_eq!(s.unserved.len(), n);
        let mut served = s.unserved.clone();
        let mut shipped = vec![0.0; m];
        let mut cost = 0.0;
        for &(k, i, x) in &s.flows {
            assert!(x > 0.0);
            let c = o.arcs.iter().filter(|a| a.0 == k && a.1 == i).map(|a| a.2).fold(f64::INFINITY, f64::min);
            assert!(c.is_finite(), "flow on an arc that is not allowed: ({k}, {i})");
            served[k as usize] += x;
            shipped[i as usize] += x;
            cost += c * x;
        }
        for k in 0..n {
            assert!((served[k] - o.demand[k]).abs() <= tol, "sink {k}: {} served of {}", served[k], o.demand[k]);
            let u = s.unserved[k];
            assert!(u >= 0.0);
            if u > 0.0 {
                let pen = o.unserved.as_ref().map_or(f64::INFINITY, |v| v[k]);
                assert!(pen.is_finite(), "sink {k} left unserved without an unserved cost");
                cost += u * pen;
            }
        }
        for i in 0..m {
            assert!(shipped[i] <= o.supply[i] + tol, "source {i} ships {} of {}", shipped[i], o.supply[i]);
        }
        assert!(close(cost, s.cost), "cost {} recomputed as {}", s.cost, cost);
    }

    /// An error's explanation holds on the data.
    fn check_error(o: &Owned, e: &TransportError) {
        let pen = |k: u32| o.unserved.as_ref().map_or(f64::INFINITY, |v| v[k as usize]);
        match e {
            TransportError::NoArcs { sinks } => {
                assert!(!sinks.is_empty());
                for &k in sinks {
                    assert!(o.demand[k as usize] > 0.0 && !pen(k).is_finite());
                    assert!(o.arcs.iter().all(|a| a.0 != k));
                }
            }
            TransportError::ShortSupply { supply, demand, short } => {
                assert!(*short > 0.0 && close(*supply + *short, *demand));
                assert!(close(*supply, o.supply.iter().sum()));
            }
            TransportError::ShortLocally { sinks, sources, supply, demand, short } => {
                assert!(*short > 0.0 && close(*supply + *short, *demand));
                let d: f64 = sinks.iter().map(|&k| o.demand[k as usize]).sum();
                let s: f64 = sources.iter().map(|&i| o.supply[i as usize]).sum();
                assert!(close(d, *demand) && close(s, *supply));
                // The sinks can only be served by the listed sources.
                for &k in sinks {
                    assert!(!pen(k).is_finite());
                    assert!(o.arcs.iter().filter(|a| a.0 == k).all(|a| sources.contains(&a.1)));
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(crate::testutil::cases(300)))]

        /// Same optimum as the LP, a feasible flow, and infeasibility exactly when the LP is.
        #[test]
        fn matches_the_lp(seed in 0u64..1_000_000) {
            let o = random_case(seed);
            let ours = solve_transport(&o.problem());
            match (lp_optimum(&o), &ours) {
                (Some(lp), Ok(s)) => {
                    check_solution(&o, s);
                    prop_assert!(close(s.cost, lp), "cost {} vs LP {}", s.cost, lp);
                }
                (None, Err(e)) => check_error(&o, e),
                (lp, ours) => prop_assert!(false, "LP {:?} vs ours {:?}", lp, ours),
            }
        }

        /// A reused solver answers exactly like a fresh one.
        #[test]
        fn reused_solver_matches_fresh(seed in 0u64..1_000_000) {
            let mut solver = TransportSolver::new();
            for t in 0..4 {
                let o = random_case(seed * 4 + t);
                let p = o.problem();
                prop_assert_eq!(solver.solve(&p), solve_transport(&p));
                prop_assert_eq!(solver.solve_cost(&p), solve_transport(&p).map(|s| s.cost));
                // The order of the arcs does not matter.
                let mut shuffled = o.clone();
                shuffled.arcs.reverse();
                prop_assert_eq!(solver.solve(&shuffled.problem()), solve_transport(&p));
            }
        }
    }

    /// A tight instance with much rerouting: 8 sources, 60 sinks, supply 5% above demand.
    #[test]
    fn tight_medium_instance_matches_the_lp() {
        for seed in 0..3 {
            let mut r = task_rng(seed, 22);
            let (n, m) = (60, 8);
            let demand: Vec<f64> = (0..n).map(|_| r.random_range(1.0..10.0)).collect();
            let total: f64 = demand.iter().sum();
            let supply: Vec<f64> = (0..m).map(|_| 1.05 * total / m as f64).collect();
            let mut arcs = Vec::new();
            for k in 0..n as u32 {
                for i in 0..m as u32 {
                    if r.random_bool(0.6) || i == k % m as u32 {
                        arcs.push((k, i, r.random_range(0.0..100.0)));
                    }
                }
            }
            let o = Owned { supply, demand, arcs, unserved: None };
            let mut solver = TransportSolver::new();
            let s = solver.solve(&o.problem()).unwrap();
            check_solution(&o, &s);
            assert!(solver.augmentations() > 10, "only {} augmentations: not tight", solver.augmentations());
            let lp = lp_optimum(&o).unwrap();
            assert!(close(s.cost, lp), "cost {} vs LP {lp}", s.cost);
        }
    }

    #[test]
    fn infeasible_problems_say_why() {
        let arcs = [(0, 0, 1.0), (1, 0, 1.0), (2, 1, 1.0)];
        // Sink 3 has demand and no arcs.
        let p = TransportProblem {
            supply: &[10.0, 10.0],
            demand: &[1.0, 1.0, 1.0, 2.0, 0.0],
            arcs: &arcs,
            unserved_cost: None,
        };
        let e = solve_transport(&p).unwrap_err();
        assert_eq!(e, TransportError::NoArcs { sinks: vec![3] });
        assert!(e.to_string().contains("1 sink(s) with demand have no allowed source"), "{e}");
        // Total supply 5 against demand 7.
        let p = TransportProblem { supply: &[2.0, 3.0], demand: &[3.0, 3.0, 1.0], arcs: &arcs, unserved_cost: None };
        let e = solve_transport(&p).unwrap_err();
        assert_eq!(e, TransportError::ShortSupply { supply: 5.0, demand: 7.0, short: 2.0 });
        // Enough in total, but sinks 0 and 1 can only use source 0 (supply 1).
        let p = TransportProblem { supply: &[1.0, 10.0], demand: &[1.0, 1.0, 1.0], arcs: &arcs, unserved_cost: None };
        let e = solve_transport(&p).unwrap_err();
        assert_eq!(
            e,
            TransportError::ShortLocally { sinks: vec![0, 1], sources: vec![0], supply: 1.0, demand: 2.0, short: 1.0 }
        );
        assert!(e.to_string().contains("sinks [0, 1] (demand 2) can only be served by sources [0] (supply 1)"), "{e}");
        // The same with an unserved option for sink 1 is feasible: one unit unserved.
        let p = TransportProblem {
            supply: &[1.0, 10.0],
            demand: &[1.0, 1.0, 1.0],
            arcs: &arcs,
            unserved_cost: Some(&[f64::INFINITY, 50.0, f64::INFINITY]),
        };
        let s = solve_transport(&p).unwrap();
        assert_eq!((s.unserved, s.cost), (vec![0.0, 1.0, 0.0], 52.0));
    }

    #[test]
    fn unserved_penalty_prices_far_service() {
        // One source at cost 3 for sink 0 and cost 10 for sink 1; leaving a unit unserved costs 6.
        let arcs = [(0, 0, 3.0), (1, 0, 10.0)];
        let p =
            TransportProblem { supply: &[100.0], demand: &[4.0, 5.0], arcs: &arcs, unserved_cost: Some(&[6.0, 6.0]) };
        let s = solve_transport(&p).unwrap();
        assert_eq!(s.flows, vec![(0, 0, 4.0)]);
        assert_eq!((s.unserved, s.cost), (vec![0.0, 5.0], 12.0 + 30.0));
        // Capacity short: the sink with the smaller saving loses service first.
        let arcs = [(0, 0, 1.0), (1, 0, 4.0)];
        let p =
            TransportProblem { supply: &[6.0], demand: &[4.0, 5.0], arcs: &arcs, unserved_cost: Some(&[6.0, 20.0]) };
        let s = solve_transport(&p).unwrap();
        assert_eq!(s.flows, vec![(0, 0, 1.0), (1, 0, 5.0)]);
        assert_eq!((s.unserved, s.cost), (vec![3.0, 0.0], 1.0 + 20.0 + 18.0));
    }

    #[test]
    fn zero_demand_and_arcless_sinks() {
        // Sink 0: no demand and no arcs; sink 1: no arcs, penalty; sink 2: zero demand with arcs.
        let arcs = [(2, 0, 1.0), (3, 0, 2.0)];
        let p = TransportProblem {
            supply: &[5.0],
            demand: &[0.0, 2.5, 0.0, 3.0],
            arcs: &arcs,
            unserved_cost: Some(&[f64::INFINITY, 7.0, 1.0, f64::INFINITY]),
        };
        let s = solve_transport(&p).unwrap();
        assert_eq!(s.flows, vec![(3, 0, 3.0)]);
        assert_eq!((s.unserved, s.cost), (vec![0.0, 2.5, 0.0, 0.0], 17.5 + 6.0));
        // No sinks at all.
        let s =
            solve_transport(&TransportProblem { supply: &[1.0], demand: &[], arcs: &[], unserved_cost: None }).unwrap();
        assert_eq!((s.cost, s.flows.len(), s.unserved.len()), (0.0, 0, 0));
    }

    #[test]
    fn repeated_arcs_use_the_cheapest_and_ties_break_on_the_lowest_index() {
        let arcs = [(0, 1, 5.0), (0, 0, 2.0), (0, 1, 1.0)];
        let p = TransportProblem { supply: &[10.0, 10.0], demand: &[3.0], arcs: &arcs, unserved_cost: None };
        assert_eq!(solve_transport(&p).unwrap().flows, vec![(0, 1, 3.0)]);
        // Every cost equal and supplies slack: all on the lowest source index.
        let arcs: Vec<(u32, u32, f64)> = (0..4).flat_map(|k| (0..3).map(move |i| (k, i, 1.0))).collect();
        let p = TransportProblem {
            supply: &[9.0, 9.0, 9.0],
            demand: &[1.0, 2.0, 1.0, 1.0],
            arcs: &arcs,
            unserved_cost: None,
        };
        let s = solve_transport(&p).unwrap();
        assert_eq!(s.flows, vec![(0, 0, 1.0), (1, 0, 2.0), (2, 0, 1.0), (3, 0, 1.0)]);
        // Tight: the same answer again, and whatever the order of the arcs.
        let supply = [2.0, 2.0, 4.0];
        let p = TransportProblem { supply: &supply, demand: &[1.0, 2.0, 1.0, 1.0], arcs: &arcs, unserved_cost: None };
        let s = solve_transport(&p).unwrap();
        assert_eq!(s.cost, 5.0);
        assert_eq!(s, solve_transport(&p).unwrap());
        let reversed: Vec<_> = arcs.iter().rev().copied().collect();
        let p = TransportProblem { arcs: &reversed, ..p };
        assert_eq!(s, solve_transport(&p).unwrap());
    }

    #[test]
    fn real_amounts_that_sum_exactly_are_feasible() {
        // 0.1 + 0.2 > 0.3 in floating point: the shortfall is rounding, not infeasibility.
        let arcs = [(0, 0, 1.0), (1, 0, 1.0)];
        let p = TransportProblem { supply: &[0.3], demand: &[0.1, 0.2], arcs: &arcs, unserved_cost: None };
        let s = solve_transport(&p).unwrap();
        assert!((s.cost - 0.3).abs() < 1e-12, "{s:?}");
    }
}
