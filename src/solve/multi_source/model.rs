//! The multi-source model in the solver's terms: the rules on open sets, and
//! the exact assignment of an open set as a transportation problem (solved by
//! the crate's transportation solver), with the budget priced in when served
//! clients charge it.

use crate::plan::{Flow, Solution};
use crate::problem::{ClientIdx, FacilityIdx, IdxVec, Instance};
use crate::solve::context::CapContext;
use crate::solve::transport::{TransportProblem, TransportSolver};

/// The model in the solver's terms, shared by search and bound.
pub struct MultiSourceModel<'a> {
    pub(crate) ctx: CapContext<'a>,
    /// Per client: cost of a unit of demand left unserved (the penalty, or a
    /// big value when every client must be served).
    unit_unserved: Vec<f64>,
    /// Budget left for opening facilities once the must-serve clients' budget charges are paid.
    open_budget: f64,
    /// Partial service allowed, clients charge the budget, and there is a budget:
    /// the assignment is priced against the budget (see [`MultiSourceModel::assign`]).
    pub(super) priced_service: bool,
    /// Total demand that must be served (0 with a penalty).
    pub(crate) must_demand: f64,
}

/// Reusable buffers for evaluating open sets.
#[derive(Default)]
pub struct Workspace {
    solver: TransportSolver,
    arcs: Vec<(u32, u32, f64)>,
    supply: Vec<f64>,
}

/// An exact assignment for one open set.
pub(crate) struct Assignment {
    /// Opening + service + unserved cost (with the big value for must-serve demand left unserved).
    pub cost: f64,
    /// Must-serve demand left unserved.
    pub(crate) missing: f64,
    /// (client, facility, share) for every positive share.
    pub(crate) flows: Vec<Flow>,
}

const BUDGET_TOL: f64 = 1e-9;

impl<'a> MultiSourceModel<'a> {
    /// The model of `inst` in the solver's terms.
    pub fn new(inst: &'a Instance) -> MultiSourceModel<'a> {
        let ctx = CapContext::new(inst);
        let n = ctx.n_clients();
        let unit_unserved =
            (0..n).map(|u| if ctx.demand[u] > 0.0 { ctx.unserved[u] / ctx.demand[u] } else { 0.0 }).collect();
        let must_charge: f64 = if ctx.must_serve { ctx.client_charge.iter().sum() } else { 0.0 };
        let open_budget = ctx.budget - must_charge;
        let priced_service = !ctx.must_serve && ctx.budget.is_finite() && ctx.client_charge.iter().any(|&b| b > 0.0);
        let must_demand = if ctx.must_serve { ctx.demand.iter().sum() } else { 0.0 };
        MultiSourceModel { ctx, unit_unserved, open_budget, priced_service, must_demand }
    }

    pub(crate) fn n_facilities(&self) -> usize {
        self.ctx.n_facilities()
    }

    fn within_budget(&self, spent: f64, budget: f64) -> bool {
        spent <= budget + BUDGET_TOL * budget.abs().max(1.0)
    }

    /// Whether `open` keeps every rule on the open set: fixed, forbidden,
    /// counts, groups (overlapping ones too) and the budget.
    pub(crate) fn admissible(&self, open: &[bool]) -> bool {
        let rules = &self.ctx.rules;
        if !rules.admits(open) {
            return false;
        }
        if !rules.groups_exact {
            for g in &self.ctx.inst.groups {
                let k = g.facilities.iter().filter(|&&f| open[f.index()]).count();
                if k < g.min_open || g.max_open.is_some_and(|hi| k > hi) {
                    return false;
                }
            }
        }
        let charge: f64 = (0..open.len()).filter(|&f| open[f]).map(|f| self.ctx.charge[f]).sum();
        self.within_budget(charge, self.open_budget)
    }

    fn opening(&self, open: &[bool]) -> (f64, f64) {
        let (mut cost, mut charge) = (0.0, 0.0);
        for f in (0..open.len()).filter(|&f| open[f]) {
            cost += self.ctx.open_cost[f];
            charge += self.ctx.charge[f];
        }
        (cost, charge)
    }

    /// Loads the transportation problem of `open`, with a price `mu` per unit
    /// of budget a served share charges.
    fn load(&self, open: &[bool], mu: f64, ws: &mut Workspace) {
        let ctx = &self.ctx;
        ws.arcs.clear();
        for u in 0..ctx.n_clients() {
            let d = ctx.demand[u];
            if d <= 0.0 {
                continue;
            }
            let extra = mu * ctx.client_charge[u];
            let (fs, cs) = ctx.client_links.of(u);
            for (&f, &c) in fs.iter().zip(cs) {
                if open[f as usize] {
                    ws.arcs.push((u as u32, f, (c + extra) / d));
                }
            }
        }
        ws.supply.clear();
        ws.supply.extend((0..open.len()).map(|f| if open[f] { ctx.capacity[f] } else { 0.0 }));
    }

    /// Cost of clients without demand: served (by the cheapest open link) when
    /// they must be, otherwise left out at no cost.
    fn zero_demand_cost(&self, open: &[bool], flows: Option<&mut Vec<Flow>>) -> (f64, f64) {
        let ctx = &self.ctx;
        if !ctx.must_serve {
            return (0.0, 0.0);
        }
        let (mut cost, mut missing) = (0.0, 0.0);
        let mut out = Vec::new();
        for u in (0..ctx.n_clients()).filter(|&u| ctx.demand[u] <= 0.0) {
            let (fs, cs) = ctx.client_links.of(u);
            match fs.iter().zip(cs).find(|(f, _)| open[**f as usize]) {
                Some((&f, &c)) => {
                    cost += c;
                    out.push(Flow { client: ClientIdx::new(u), facility: FacilityIdx::from(f), share: 1.0 });
                }
                None => {
                    cost += ctx.unserved[u];
                    missing += f64::MIN_POSITIVE;
                }
            }
        }
        if let Some(flows) = flows {
            flows.extend(out);
        }
        (cost, missing)
    }

    /// The cost of `open` with its exact assignment (no flows built); when
    /// must-serve demand is left unserved, the cost is raised above that of
    /// every complete solution.
    pub fn cost(&self, open: &[bool], ws: &mut Workspace) -> f64 {
        if self.priced_service {
            return self.assign(open, ws).cost;
        }
        self.load(open, 0.0, ws);
        let p = TransportProblem {
            supply: &ws.supply,
            demand: &self.ctx.demand,
            arcs: &ws.arcs,
            unserved_cost: Some(&self.unit_unserved),
        };
        let service = ws.solver.solve_cost(&p).expect("every unit may go unserved, so the problem is feasible");
        let (zero_cost, zero_missing) = self.zero_demand_cost(open, None);
        let mut cost = self.opening(open).0 + service + zero_cost;
        if self.ctx.must_serve {
            let missing: f64 = ws.solver.unserved().iter().sum::<f64>() + zero_missing;
            if missing > 1e-9 * self.must_demand.max(1.0) {
                // Above every complete solution, so that no bound (the capacity cut bounds
                // complete solutions only) can declare an incomplete one optimal.
                cost += self.ctx.unserved.first().copied().unwrap_or(0.0);
            }
        }
        cost
    }

    /// The exact assignment of `open`, with flows. With partial service,
    /// client budget charges and a budget, the served shares are priced at a
    /// budget multiplier found by bisection (the smallest tried that keeps the
    /// budget): feasible, but not always the best assignment of that open set.
    pub(crate) fn assign(&self, open: &[bool], ws: &mut Workspace) -> Assignment {
        let ctx = &self.ctx;
        let (open_cost, open_charge) = self.opening(open);
        let solve_at = |mu: f64, ws: &mut Workspace| {
            self.load(open, mu, ws);
            let p = TransportProblem {
                supply: &ws.supply,
                demand: &ctx.demand,
                arcs: &ws.arcs,
                unserved_cost: Some(&self.unit_unserved),
            };
            ws.solver.solve(&p).expect("every unit may go unserved, so the problem is feasible")
        };
        let spend = |s: &crate::solve::transport::TransportSolution| -> f64 {
            open_charge
                + (0..ctx.n_clients())
                    .filter(|&u| ctx.demand[u] > 0.0)
                    .map(|u| (1.0 - s.unserved[u] / ctx.demand[u]).max(0.0) * ctx.client_charge[u])
                    .sum::<f64>()
        };
        let mut sol = solve_at(0.0, ws);
        if self.priced_service && !self.within_budget(spend(&sol), ctx.budget) {
            let mut hi = 1.0;
            let mut at_hi = solve_at(hi, ws);
            let mut tries = 0;
            while !self.within_budget(spend(&at_hi), ctx.budget) && tries < 80 {
                hi *= 4.0;
                at_hi = solve_at(hi, ws);
                tries += 1;
            }
            let mut lo = 0.0;
            for _ in 0..40 {
                let mid = 0.5 * (lo + hi);
                let s = solve_at(mid, ws);
                if self.within_budget(spend(&s), ctx.budget) {
                    hi = mid;
                    at_hi = s;
                } else {
                    lo = mid;
                }
            }
            sol = at_hi;
        }
        let mut flows = Vec::with_capacity(sol.flows.len());
        let mut cost = open_cost;
        let mut missing = 0.0;
        for &(u, f, x) in &sol.flows {
            let (u, f) = (u as usize, f as usize);
            let share = (x / ctx.demand[u]).min(1.0);
            cost += share * ctx.cost(u, f);
            flows.push(Flow { client: ClientIdx::new(u), facility: FacilityIdx::new(f), share });
        }
        for u in 0..ctx.n_clients() {
            if sol.unserved[u] > 0.0 {
                cost += sol.unserved[u] * self.unit_unserved[u];
                if ctx.must_serve {
                    missing += sol.unserved[u];
                }
            }
        }
        let (zc, zm) = self.zero_demand_cost(open, Some(&mut flows));
        flows.sort_by_key(|fl| (fl.client, fl.facility));
        Assignment { cost: cost + zc, missing: missing + zm, flows }
    }

    /// The checked-shape solution of `open` and its assignment.
    pub(crate) fn solution(&self, open: &[bool], a: &Assignment) -> Solution {
        let n = self.ctx.n_clients();
        let mut best: IdxVec<ClientIdx, Option<(f64, FacilityIdx)>> = IdxVec::from_elem(None, n);
        for fl in &a.flows {
            if best[fl.client].is_none_or(|(s, _)| fl.share > s) {
                best[fl.client] = Some((fl.share, fl.facility));
            }
        }
        Solution {
            open: (0..open.len()).filter(|&f| open[f]).map(FacilityIdx::new).collect(),
            assignment: best.iter().map(|b| b.map(|(_, f)| f)).collect(),
            flows: Some(a.flows.clone()),
        }
    }
}
