//! The referee: recomputes a solution's objective and checks every constraint
//! of the instance, trusting nothing the solver claimed. Every solver result
//! passes through it before it is reported, and `hubplan check` exposes it.

use std::fmt;

use super::Solution;
use crate::problem::{ClientIdx, FacilityIdx, Instance};

/// The objective broken into its terms, recomputed from the instance.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Evaluation {
    /// Opening costs of open facilities that were not already open.
    pub opening_cost: f64,
    /// Service (assignment) costs.
    pub service_cost: f64,
    /// Penalty for unserved demand.
    pub unserved_cost: f64,
    /// The sum of the three terms.
    pub objective: f64,
    /// Facilities open in the solution, fixed-open ones included.
    pub open_count: usize,
    /// Unserved demand in units.
    pub unserved_demand: f64,
    /// What the solution charges to the budget: opening (budget) costs of
    /// newly opened facilities plus budget costs of served clients.
    pub budget_spent: f64,
}

/// One way a solution breaks the instance's rules.
#[derive(Debug, Clone, PartialEq)]
pub enum Violation {
    /// The solution has a different number of assignments than the instance has clients.
    AssignmentCount {
        /// Assignments in the solution.
        assignments: usize,
        /// Clients in the instance.
        clients: usize,
    },
    /// An index in the solution points past the instance's facilities or clients.
    IndexOutOfRange {
        /// Which list the index is in (`open facility`, `serving facility`, `flow client`).
        what: &'static str,
        /// The index found.
        index: usize,
        /// How many facilities or clients there are.
        count: usize,
    },
    /// A facility is listed as open twice.
    OpenTwice {
        /// The facility's id.
        facility: String,
    },
    /// A facility that may not open is open.
    OpenForbidden {
        /// The facility's id.
        facility: String,
    },
    /// A facility that must stay open (e.g. an existing hub) is closed.
    FixedClosed {
        /// The facility's id.
        facility: String,
    },
    /// A client is served by a facility that is not open.
    ServedByClosed {
        /// The client's id.
        client: String,
        /// The facility's id.
        facility: String,
    },
    /// A client is served by a facility it has no allowed link to (no finite cost).
    LinkNotAllowed {
        /// The client's id.
        client: String,
        /// The facility's id.
        facility: String,
    },
    /// A client is left (partly) unserved in an instance without an unserved penalty.
    Unserved {
        /// The client's id.
        client: String,
    },
    /// A flow share outside (0, 1], or a client served more than its whole demand.
    BadShare {
        /// The client's id.
        client: String,
        /// The share or total found, in words.
        detail: String,
    },
    /// A client served by more than one facility in a single-source instance.
    SplitInSingleSource {
        /// The client's id.
        client: String,
    },
    /// A facility serves more demand than its capacity.
    OverCapacity {
        /// The facility's id.
        facility: String,
        /// Demand it serves (e.g. students).
        load: f64,
        /// Its capacity, in units of demand.
        capacity: f64,
    },
    /// A facility serves more clients than its limit on clients.
    TooManyClients {
        /// The facility's id.
        facility: String,
        /// Clients it serves.
        clients: usize,
        /// Its limit (e.g. small schools per hub).
        limit: u32,
    },
    /// The number of open facilities breaks `p`, the minimum or the maximum of the instance.
    OpenCount {
        /// Facilities open.
        open: usize,
        /// The rule, in words (`exactly 5 must be`, `at most 3 may be`, …).
        rule: String,
    },
    /// A facility group (e.g. a district) has too few or too many open facilities.
    Group {
        /// The group's id.
        group: String,
        /// Facilities open in it.
        open: usize,
        /// The rule, in words (`at least 1 must be open`, …).
        rule: String,
    },
    /// The solution spends more than the instance's budget.
    OverBudget {
        /// Spent: budget costs of newly opened facilities plus those of served clients (e.g. KZT).
        spent: f64,
        /// The budget.
        budget: f64,
    },
    /// A client is served in a mode its link to that facility does not offer
    /// (or, in a modal model, without a mode).
    ModeNotAllowed {
        /// The client's id.
        client: String,
        /// The facility's id.
        facility: String,
        /// The mode's name (`none` when the solution gives none).
        mode: String,
    },
    /// A facility's links put more load on it than its load capacity (hub teacher hours).
    OverLoad {
        /// The facility's id.
        facility: String,
        /// The load of its links.
        load: f64,
        /// Its load capacity.
        capacity: f64,
    },
    /// The objective the solver claimed differs from the recomputed one.
    ObjectiveMismatch {
        /// The objective the solver claimed.
        claimed: f64,
        /// The objective recomputed from the instance.
        recomputed: f64,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::AssignmentCount { assignments, clients } => {
                write!(f, "malformed solution: {assignments} assignments for {clients} clients")
            }
            Violation::IndexOutOfRange { what, index, count } => {
                write!(f, "malformed solution: {what} index {index} out of range (there are {count})")
            }
            Violation::OpenTwice { facility } => {
                write!(f, "malformed solution: facility {facility} is listed as open twice")
            }
            Violation::OpenForbidden { facility } => write!(f, "facility {facility} is forbidden but open"),
            Violation::FixedClosed { facility } => write!(f, "facility {facility} must stay open but is closed"),
            Violation::ServedByClosed { client, facility } => {
                write!(f, "client {client} is served by facility {facility}, which is not open")
            }
            Violation::LinkNotAllowed { client, facility } => {
                write!(f, "client {client} may not be served by facility {facility} (link not allowed)")
            }
            Violation::Unserved { client } => {
                write!(f, "client {client} is not served, and the instance allows no unserved clients")
            }
            Violation::BadShare { client, detail } => write!(f, "client {client}: {detail}"),
            Violation::SplitInSingleSource { client } => {
                write!(f, "client {client} is split between facilities in a single-source model")
            }
            Violation::TooManyClients { facility, clients, limit } => {
                write!(f, "facility {facility} serves {clients} clients, over its limit of {limit}")
            }
            Violation::OverCapacity { facility, load, capacity } => {
                write!(f, "facility {facility} serves {load} units of demand, over its capacity {capacity}")
            }
            Violation::OpenCount { open, rule } => write!(f, "{open} facilities are open, but {rule}"),
            Violation::Group { group, open, rule } => write!(f, "group {group} has {open} open facilities, but {rule}"),
            Violation::OverBudget { spent, budget } => {
                write!(f, "spending {spent} exceeds the budget {budget} by {}", spent - budget)
            }
            Violation::ModeNotAllowed { client, facility, mode } => {
                write!(
                    f,
                    "client {client} is served by facility {facility} in mode `{mode}`, which that link does not offer"
                )
            }
            Violation::OverLoad { facility, load, capacity } => {
                write!(f, "facility {facility} carries a load of {load}, over its load capacity {capacity}")
            }
            Violation::ObjectiveMismatch { claimed, recomputed } => {
                write!(f, "claimed objective {claimed} but the solution's objective is {recomputed}")
            }
        }
    }
}

/// What the checker found.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckReport {
    /// The objective and its terms, recomputed from the instance (all zero when the solution has
    /// the wrong number of assignments or opens a facility that does not exist).
    pub evaluation: Evaluation,
    /// Every rule the solution breaks (empty when it is feasible).
    pub violations: Vec<Violation>,
}

impl CheckReport {
    /// Whether the solution breaks no rule of the instance.
    pub fn is_feasible(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Relative tolerance for comparing amounts (capacity loads, budgets, objectives).
pub const TOLERANCE: f64 = 1e-6;

fn exceeds(value: f64, limit: f64) -> bool {
    value > limit + TOLERANCE * limit.abs().max(1.0)
}

/// [`check`] for a modal model: `inst` is the model's relaxation (see
/// [`ModalArcs`](crate::problem::modes::ModalArcs)) and `modes` gives each
/// client's mode. Every served client's cost and budget charge are those of
/// its chosen option, which must exist; each facility's load stays within
/// its load capacity; every rule of `inst` holds.
pub fn check_modal(
    inst: &Instance,
    arcs: &crate::problem::modes::ModalArcs,
    sol: &Solution,
    modes: &[Option<usize>],
    claimed: Option<f64>,
) -> CheckReport {
    let n = inst.n_clients();
    let mut extra = Vec::new();
    if modes.len() != n || arcs.options.len() != n || sol.flows.is_some() {
        extra.push(Violation::AssignmentCount { assignments: modes.len(), clients: n });
        let mut r = check(inst, sol, None);
        r.violations.extend(extra);
        return r;
    }
    let mut realised = inst.clone();
    let mut triples = Vec::with_capacity(inst.costs.n_links());
    let mut load = vec![0.0f64; inst.n_facilities()];
    for c in 0..n {
        let chosen = match (sol.facility_of(ClientIdx::new(c)).map(FacilityIdx::index), modes[c]) {
            (Some(f), m) => {
                let o = m.and_then(|m| arcs.option(c, FacilityIdx::new(f), m));
                if o.is_none() && f < inst.n_facilities() {
                    extra.push(Violation::ModeNotAllowed {
                        client: inst.clients[c].id.to_string(),
                        facility: inst.facilities[f].id.to_string(),
                        mode: m.and_then(|m| arcs.mode_names.get(m).cloned()).unwrap_or_else(|| "none".into()),
                    });
                }
                o
            }
            (None, _) => None,
        };
        if let Some(o) = chosen {
            load[o.facility.index()] += o.load;
            realised.clients[c].budget_cost = o.budget_cost;
        }
        inst.costs.for_each_link(c, |f, v| {
            let v = match chosen {
                Some(o) if o.facility.index() == f => o.cost,
                _ => v,
            };
            triples.push((c as u32, f as u32, v));
        });
    }
    realised.costs =
        crate::problem::Costs::Sparse(crate::problem::SparseCosts::from_triples(n, inst.n_facilities(), triples));
    for (f, &l) in load.iter().enumerate() {
        if let Some(cap) = arcs.load_capacity.get(f).copied().flatten()
            && exceeds(l, cap)
        {
            extra.push(Violation::OverLoad { facility: inst.facilities[f].id.to_string(), load: l, capacity: cap });
        }
    }
    let mut r = check(&realised, sol, claimed);
    r.violations.extend(extra);
    r
}

/// Recomputes the objective of `sol` and lists every violated rule of `inst`.
/// When `claimed` is given, a different objective is a violation too.
pub fn check(inst: &Instance, sol: &Solution, claimed: Option<f64>) -> CheckReport {
    let (n, m) = (inst.n_clients(), inst.n_facilities());
    let mut v = Vec::new();
    let fid = |f: usize| inst.facilities[f].id.to_string();
    let cid = |c: usize| inst.clients[c].id.to_string();
    let zero = Evaluation {
        opening_cost: 0.0,
        service_cost: 0.0,
        unserved_cost: 0.0,
        objective: 0.0,
        open_count: 0,
        unserved_demand: 0.0,
        budget_spent: 0.0,
    };
    if sol.assignment.len() != n {
        v.push(Violation::AssignmentCount { assignments: sol.assignment.len(), clients: n });
        return CheckReport { evaluation: zero, violations: v };
    }
    let mut is_open = vec![false; m];
    for f in sol.open.iter().map(|f| f.index()) {
        if f >= m {
            v.push(Violation::IndexOutOfRange { what: "open facility", index: f, count: m });
            return CheckReport { evaluation: zero, violations: v };
        }
        if is_open[f] {
            v.push(Violation::OpenTwice { facility: fid(f) });
        }
        is_open[f] = true;
    }
    let mut opening_cost = 0.0;
    let mut budget_spent = 0.0;
    for (f, fac) in inst.facilities.iter().enumerate() {
        if is_open[f] && fac.forbidden {
            v.push(Violation::OpenForbidden { facility: fid(f) });
        }
        if !is_open[f] && fac.fixed_open {
            v.push(Violation::FixedClosed { facility: fid(f) });
        }
        if is_open[f] && !fac.fixed_open {
            opening_cost += fac.open_cost;
            budget_spent += fac.budget_charge();
        }
    }
    // Served share and load per facility, from flows or from the assignment.
    let mut served = vec![0.0f64; n];
    let mut load = vec![0.0f64; m];
    let mut clients_of = vec![0usize; m];
    let mut service_cost = 0.0;
    let mut serve = |c: usize, f: usize, share: f64, v: &mut Vec<Violation>| {
        if f >= m {
            v.push(Violation::IndexOutOfRange { what: "serving facility", index: f, count: m });
            return;
        }
        if !is_open[f] {
            v.push(Violation::ServedByClosed { client: cid(c), facility: fid(f) });
        }
        let cost = inst.costs.cost(c, f);
        if !cost.is_finite() {
            v.push(Violation::LinkNotAllowed { client: cid(c), facility: fid(f) });
        } else {
            service_cost += share * cost;
        }
        served[c] += share;
        load[f] += share * inst.clients[c].demand;
        clients_of[f] += 1;
    };
    match &sol.flows {
        None => {
            for (c, a) in sol.assignment.iter().enumerate() {
                if let Some(f) = *a {
                    serve(c, f.index(), 1.0, &mut v);
                }
            }
        }
        Some(flows) => {
            let mut shares_of = vec![0usize; n];
            for fl in flows {
                let (client, facility) = (fl.client.index(), fl.facility.index());
                if client >= n {
                    v.push(Violation::IndexOutOfRange { what: "flow client", index: client, count: n });
                    continue;
                }
                if !(fl.share > 0.0 && fl.share <= 1.0 + 1e-9) {
                    v.push(Violation::BadShare {
                        client: cid(client),
                        detail: format!("share {} is not in (0, 1]", fl.share),
                    });
                    continue;
                }
                shares_of[client] += 1;
                serve(client, facility, fl.share, &mut v);
            }
            if inst.single_source {
                for (c, &k) in shares_of.iter().enumerate() {
                    if k > 1 {
                        v.push(Violation::SplitInSingleSource { client: cid(c) });
                    }
                }
            }
        }
    }
    let mut unserved_demand = 0.0;
    let mut unserved_cost = 0.0;
    for (c, &s) in served.iter().enumerate() {
        if s > 1.0 + 1e-9 {
            v.push(Violation::BadShare { client: cid(c), detail: format!("served {s} times its demand") });
        }
        budget_spent += s.min(1.0) * inst.clients[c].budget_cost;
        let missing = (1.0 - s).max(0.0);
        if missing > 1e-9 {
            match inst.unserved_penalty {
                Some(pen) => {
                    unserved_demand += missing * inst.clients[c].demand;
                    unserved_cost += missing * pen * inst.clients[c].demand;
                }
                None => v.push(Violation::Unserved { client: cid(c) }),
            }
        }
    }
    for (f, fac) in inst.facilities.iter().enumerate() {
        if let Some(cap) = fac.capacity
            && exceeds(load[f], cap)
        {
            v.push(Violation::OverCapacity { facility: fid(f), load: load[f], capacity: cap });
        }
        if let Some(limit) = fac.max_clients
            && clients_of[f] > limit as usize
        {
            v.push(Violation::TooManyClients { facility: fid(f), clients: clients_of[f], limit });
        }
    }
    let open_count = sol.open.len();
    if let Some(p) = inst.p
        && open_count != p
    {
        v.push(Violation::OpenCount { open: open_count, rule: format!("exactly {p} must be") });
    }
    if let Some(lo) = inst.min_open
        && open_count < lo
    {
        v.push(Violation::OpenCount { open: open_count, rule: format!("at least {lo} must be") });
    }
    if let Some(hi) = inst.max_open
        && open_count > hi
    {
        v.push(Violation::OpenCount { open: open_count, rule: format!("at most {hi} may be") });
    }
    for g in &inst.groups {
        let k = g.facilities.iter().filter(|&&f| is_open[f.index()]).count();
        if k < g.min_open {
            v.push(Violation::Group {
                group: g.id.to_string(),
                open: k,
                rule: format!("at least {} must be open", g.min_open),
            });
        }
        if let Some(hi) = g.max_open
            && k > hi
        {
            v.push(Violation::Group { group: g.id.to_string(), open: k, rule: format!("at most {hi} may be open") });
        }
    }
    if let Some(b) = inst.budget
        && exceeds(budget_spent, b)
    {
        v.push(Violation::OverBudget { spent: budget_spent, budget: b });
    }
    let objective = opening_cost + service_cost + unserved_cost;
    if let Some(claimed) = claimed
        && (claimed - objective).abs() > TOLERANCE * objective.abs().max(1.0)
    {
        v.push(Violation::ObjectiveMismatch { claimed, recomputed: objective });
    }
    CheckReport {
        evaluation: Evaluation {
            opening_cost,
            service_cost,
            unserved_cost,
            objective,
            open_count,
            unserved_demand,
            budget_spent,
        },
        violations: v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Flow;
    use crate::problem::{Client, Costs, DenseCosts, ExtId, Facility, Group, Instance, Model};

    fn facilities(fs: &[usize]) -> Vec<FacilityIdx> {
        fs.iter().map(|&f| FacilityIdx::new(f)).collect()
    }

    fn flow(c: usize, f: usize, share: f64) -> Flow {
        Flow { client: ClientIdx::new(c), facility: FacilityIdx::new(f), share }
    }

    /// Two facilities (capacity 10, open cost 5), three clients of demand 4.
    fn base() -> Instance {
        let clients = (1..=3).map(|i| Client::new(i, 4.0)).collect();
        let facilities = (1..=2).map(|i| Facility { capacity: Some(10.0), ..Facility::new(i, 5.0) }).collect();
        let costs = Costs::Dense(DenseCosts::new(3, 2, vec![1.0, 2.0, 3.0, f64::INFINITY, 5.0, 6.0]));
        let mut inst = Instance::new("t", Model::Sscflp, clients, facilities, costs);
        inst.single_source = true;
        inst
    }

    fn kinds(r: &CheckReport) -> Vec<String> {
        r.violations.iter().map(|v| format!("{v:?}").split([' ', '{', '(']).next().unwrap().to_string()).collect()
    }

    #[test]
    fn a_feasible_solution_is_accepted_with_its_terms() {
        let inst = base();
        let sol = Solution::from_positions(&[0, 1], &[Some(0), Some(0), Some(1)]);
        let r = check(&inst, &sol, Some(5.0 + 5.0 + 1.0 + 3.0 + 6.0));
        assert!(r.is_feasible(), "{:?}", r.violations);
        assert_eq!(r.evaluation.service_cost, 10.0);
        assert_eq!(r.evaluation.opening_cost, 10.0);
    }

    #[test]
    fn capacity_closed_facility_and_forbidden_link_are_caught() {
        let inst = base();
        // Three clients of 4 on facility 1 (capacity 10); client 2 on a link that is not allowed.
        let r = check(&inst, &Solution::from_positions(&[0], &[Some(0), Some(0), Some(0)]), None);
        assert_eq!(kinds(&r), ["OverCapacity"]);
        let r = check(&inst, &Solution::from_positions(&[0], &[Some(0), Some(1), Some(0)]), None);
        assert_eq!(kinds(&r), ["ServedByClosed", "LinkNotAllowed"]);
    }

    #[test]
    fn unserved_needs_a_penalty() {
        let mut inst = base();
        let sol = Solution::from_positions(&[0, 1], &[Some(0), None, Some(1)]);
        assert_eq!(kinds(&check(&inst, &sol, None)), ["Unserved"]);
        inst.unserved_penalty = Some(2.5);
        let r = check(&inst, &sol, None);
        assert!(r.is_feasible());
        assert_eq!(r.evaluation.unserved_cost, 10.0);
    }

    #[test]
    fn counts_groups_budget_fixed_and_forbidden() {
        let mut inst = base();
        let sol = Solution::from_positions(&[0, 1], &[Some(0), Some(0), Some(1)]);
        inst.p = Some(1);
        assert_eq!(kinds(&check(&inst, &sol, None)), ["OpenCount"]);
        inst.p = None;
        inst.max_open = Some(1);
        assert_eq!(kinds(&check(&inst, &sol, None)), ["OpenCount"]);
        inst.max_open = None;
        inst.min_open = Some(3);
        assert_eq!(kinds(&check(&inst, &sol, None)), ["OpenCount"]);
        inst.min_open = None;
        inst.groups =
            vec![Group { id: ExtId::from("north"), facilities: facilities(&[0, 1]), min_open: 0, max_open: Some(1) }];
        assert_eq!(kinds(&check(&inst, &sol, None)), ["Group"]);
        inst.groups =
            vec![Group { id: ExtId::from("south"), facilities: facilities(&[1]), min_open: 1, max_open: None }];
        let one = Solution::from_positions(&[0], &[Some(0), Some(0), None]);
        inst.unserved_penalty = Some(1.0);
        assert_eq!(kinds(&check(&inst, &one, None)), ["Group"]);
        inst.groups.clear();
        inst.budget = Some(9.0);
        let r = check(&inst, &sol, None);
        assert_eq!(kinds(&r), ["OverBudget"]);
        assert!(r.violations[0].to_string().contains("by 1"), "{}", r.violations[0]);
        inst.budget = None;
        inst.facilities[1].fixed_open = true;
        assert_eq!(kinds(&check(&inst, &one, None)), ["FixedClosed"]);
        inst.facilities[1].fixed_open = false;
        inst.facilities[0].forbidden = true;
        assert_eq!(kinds(&check(&inst, &one, None)), ["OpenForbidden"]);
    }

    #[test]
    fn fixed_open_facilities_cost_nothing() {
        let mut inst = base();
        inst.facilities[0].fixed_open = true;
        inst.budget = Some(5.0);
        let sol = Solution::from_positions(&[0, 1], &[Some(0), Some(0), Some(1)]);
        let r = check(&inst, &sol, None);
        assert!(r.is_feasible(), "{:?}", r.violations);
        assert_eq!(r.evaluation.opening_cost, 5.0);
    }

    #[test]
    fn flows_are_checked_for_shares_and_single_source() {
        let mut inst = base();
        let flows = vec![flow(0, 0, 0.5), flow(0, 1, 0.5), flow(1, 0, 1.0), flow(2, 1, 1.0)];
        let sol =
            Solution { flows: Some(flows.clone()), ..Solution::from_positions(&[0, 1], &[Some(0), Some(0), Some(1)]) };
        assert_eq!(kinds(&check(&inst, &sol, None)), ["SplitInSingleSource"]);
        inst.single_source = false;
        let r = check(&inst, &sol, None);
        assert!(r.is_feasible(), "{:?}", r.violations);
        assert!((r.evaluation.service_cost - (0.5 + 1.0 + 3.0 + 6.0)).abs() < 1e-12);
        let mut bad = flows;
        bad[1].share = 0.7;
        let sol = Solution { flows: Some(bad), ..Solution::from_positions(&[0, 1], &[Some(0), Some(0), Some(1)]) };
        assert_eq!(kinds(&check(&inst, &sol, None)), ["BadShare"]);
    }

    #[test]
    fn client_limits_and_budget_costs_are_checked() {
        let mut inst = base();
        inst.facilities[0].max_clients = Some(1);
        let sol = Solution::from_positions(&[0, 1], &[Some(0), Some(0), Some(1)]);
        assert_eq!(kinds(&check(&inst, &sol, None)), ["TooManyClients"]);
        inst.facilities[0].max_clients = Some(2);
        // Opening costs 5 + 5 count toward the objective, but the budget sees
        // facility budget costs (1 each) and client budget costs (3 each).
        for f in &mut inst.facilities {
            f.budget_cost = Some(1.0);
        }
        for c in &mut inst.clients {
            c.budget_cost = 3.0;
        }
        inst.budget = Some(11.0);
        let r = check(&inst, &sol, None);
        assert!(r.is_feasible(), "{:?}", r.violations);
        assert_eq!(r.evaluation.budget_spent, 11.0);
        assert_eq!(r.evaluation.opening_cost, 10.0);
        inst.budget = Some(10.5);
        assert_eq!(kinds(&check(&inst, &sol, None)), ["OverBudget"]);
    }

    #[test]
    fn a_wrong_claimed_objective_is_caught() {
        let inst = base();
        let sol = Solution::from_positions(&[0, 1], &[Some(0), Some(0), Some(1)]);
        assert_eq!(kinds(&check(&inst, &sol, Some(19.0))), ["ObjectiveMismatch"]);
    }
}
