//! Everything the capacitated search needs, precomputed once: allowed links
//! in both directions sorted by cost, capacities, budget charges, unserved
//! costs and the open-set rules.

use crate::problem::Instance;
use crate::solve::select::OpenRules;

/// Links in compressed rows: `(other end, cost)`, cheapest first.
pub struct Links {
    start: Vec<usize>,
    to: Vec<u32>,
    cost: Vec<f64>,
}

impl Links {
    #[inline]
    pub fn of(&self, k: usize) -> (&[u32], &[f64]) {
        let (a, b) = (self.start[k], self.start[k + 1]);
        (&self.to[a..b], &self.cost[a..b])
    }

    fn build(rows: usize, mut triples: Vec<(u32, u32, f64)>) -> Links {
        triples.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.2.total_cmp(&b.2)).then(a.1.cmp(&b.1)));
        let mut start = vec![0usize; rows + 1];
        for t in &triples {
            start[t.0 as usize + 1] += 1;
        }
        for k in 0..rows {
            start[k + 1] += start[k];
        }
        Links { start, to: triples.iter().map(|t| t.1).collect(), cost: triples.iter().map(|t| t.2).collect() }
    }
}

/// The capacitated model in the engine's terms.
pub struct CapContext<'a> {
    pub inst: &'a Instance,
    /// Per client: allowed, non-forbidden facilities, cheapest first.
    pub client_links: Links,
    /// Per facility: clients it may serve, cheapest first.
    pub facility_links: Links,
    pub demand: Vec<f64>,
    /// Demand capacity (`∞` when none).
    pub capacity: Vec<f64>,
    /// Client limit (`u32::MAX` when none).
    pub max_clients: Vec<u32>,
    /// Opening cost in the objective (0 for facilities already open).
    pub open_cost: Vec<f64>,
    /// Opening cost against the budget (0 for facilities already open).
    pub charge: Vec<f64>,
    /// Budget cost of serving each client.
    pub client_charge: Vec<f64>,
    /// The budget (`∞` when none).
    pub budget: f64,
    /// Cost of leaving each client unserved: the penalty, or — when every
    /// client must be served — more than any complete solution costs.
    pub unserved: Vec<f64>,
    pub must_serve: bool,
    /// Whether serving clients may be given up to pay for an opening: a
    /// budget, partial service allowed, and some client charges the budget.
    pub pays_for_clients: bool,
    pub rules: OpenRules,
    pub single_source: bool,
    /// Moves must improve by more than this.
    pub eps: f64,
}

impl<'a> CapContext<'a> {
    pub fn new(inst: &'a Instance) -> CapContext<'a> {
        let (n, m) = (inst.n_clients(), inst.n_facilities());
        let mut triples = Vec::new();
        for u in 0..n {
            inst.costs.for_each_link(u, |f, c| {
                if !inst.facilities[f].forbidden {
                    triples.push((u as u32, f as u32, c));
                }
            });
        }
        let transposed: Vec<(u32, u32, f64)> = triples.iter().map(|&(u, f, c)| (f, u, c)).collect();
        let client_links = Links::build(n, triples);
        let facility_links = Links::build(m, transposed);
        let open_cost: Vec<f64> =
            inst.facilities.iter().map(|f| if f.fixed_open { 0.0 } else { f.open_cost }).collect();
        let charge: Vec<f64> = inst.facilities.iter().map(|f| f.budget_charge()).collect();
        let mut big = 1.0 + open_cost.iter().sum::<f64>();
        for u in 0..n {
            let (_, cs) = client_links.of(u);
            big += cs.last().copied().unwrap_or(0.0);
        }
        let unserved: Vec<f64> = (0..n).map(|u| inst.unserved_cost(u).unwrap_or(big)).collect();
        let scale = open_cost.iter().cloned().fold(1.0, f64::max);
        CapContext {
            inst,
            client_links,
            facility_links,
            demand: inst.clients.iter().map(|c| c.demand).collect(),
            capacity: inst.facilities.iter().map(|f| f.capacity.unwrap_or(f64::INFINITY)).collect(),
            max_clients: inst.facilities.iter().map(|f| f.max_clients.unwrap_or(u32::MAX)).collect(),
            open_cost,
            charge,
            client_charge: inst.clients.iter().map(|c| c.budget_cost).collect(),
            budget: inst.budget.unwrap_or(f64::INFINITY),
            unserved,
            must_serve: inst.unserved_penalty.is_none(),
            pays_for_clients: inst.budget.is_some()
                && inst.unserved_penalty.is_some()
                && inst.clients.iter().any(|c| c.budget_cost > 0.0),
            rules: OpenRules::from_instance(inst),
            single_source: inst.single_source,
            eps: 1e-9 * scale,
        }
    }

    pub fn n_clients(&self) -> usize {
        self.demand.len()
    }

    pub fn n_facilities(&self) -> usize {
        self.capacity.len()
    }

    /// Cost of serving `u` from `f` (`∞` if not allowed).
    #[inline]
    pub fn cost(&self, u: usize, f: usize) -> f64 {
        if self.inst.facilities[f].forbidden { f64::INFINITY } else { self.inst.costs.cost(u, f) }
    }
}
