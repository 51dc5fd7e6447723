//! The exact modal assignment to a small fixed open set, by branch and bound
//! with a node count (not a clock), so the result does not depend on the
//! machine.
//!
//! With the open set fixed and unserved demand priced, each client is served
//! by one open facility in one mode or not at all, for the greatest total
//! profit `unserved cost − option cost`, within every facility's client
//! limit, demand capacity and load capacity (teacher hours) and the options'
//! budget: a multiple-choice, multi-dimensional knapsack (one facility) or
//! generalised assignment (several). Depth-first search over the clients by
//! falling best profit, each client's options by falling profit and then
//! "not served"; a node is cut when its profit plus a bound on what the
//! clients left can add cannot beat the best plan. The bound relaxes each
//! client left to one item that is at least as good as each of its options
//! (their best profit, their least load and budget charge), sums each
//! resource over the open facilities, and takes the smallest of Dantzig's
//! fractional knapsack bounds in demand, load and budget and of the best
//! profits that fit the client limits (S. Martello and P. Toth, *Knapsack
//! Problems*, Wiley 1990, ch. 2 and 7).

use super::knapsack::{self, FractionalScratch, fractional_taken, fractional_value};
use crate::problem::{Instance, ModalArcs};

/// Open facilities up to which [`assign_exactly`] searches (beyond, its
/// pooled bound is too weak to pay off and the MIP decides).
pub(crate) const MAX_OPEN: usize = 3;

/// One way to serve a client: facility slot (index into the open set), mode,
/// profit, load and budget charge.
#[derive(Debug, Clone, Copy)]
struct Way {
    slot: usize,
    mode: usize,
    facility: usize,
    profit: f64,
    load: f64,
    charge: f64,
}

/// A client that some open facility can serve at a gain.
struct Item {
    client: usize,
    demand: f64,
    ways: Vec<Way>,
    best: f64,
}

struct Search<'a> {
    items: &'a [Item],
    max_clients: Vec<f64>,
    capacity: Vec<f64>,
    load_capacity: Vec<f64>,
    budget: f64,
    used_clients: Vec<f64>,
    used_demand: Vec<f64>,
    used_load: Vec<f64>,
    spent: f64,
    pick: Vec<Option<usize>>,
    best_pick: Vec<Option<usize>>,
    best: f64,
    nodes: usize,
    node_limit: usize,
    /// Scratch for the fractional bounds: the relaxed items and the knapsack's own buffers.
    scratch: Vec<knapsack::Item>,
    knapsack: FractionalScratch,
    /// Per item: its price in [`Search::split_bound`].
    price: Vec<f64>,
}

/// Subgradient steps that set the client prices at the root.
const ROOT_PRICE_ROUNDS: usize = 200;

const TOL: f64 = 1e-9;

fn fits(used: f64, add: f64, cap: f64) -> bool {
    used + add <= cap + TOL * cap.abs().max(1.0)
}

impl Search<'_> {
    fn fits(&self, w: &Way, demand: f64) -> bool {
        let s = w.slot;
        fits(self.used_clients[s], 1.0, self.max_clients[s])
            && fits(self.used_demand[s], demand, self.capacity[s])
            && fits(self.used_load[s], w.load, self.load_capacity[s])
            && fits(self.spent, w.charge, self.budget)
    }

    /// What the clients from `from` on can add at most.
    fn bound(&mut self, from: usize) -> f64 {
        let left = |cap: &[f64], used: &[f64]| cap.iter().zip(used).map(|(c, u)| (c - u).max(0.0)).sum::<f64>();
        let clients_left = left(&self.max_clients, &self.used_clients);
        let demand_left = left(&self.capacity, &self.used_demand);
        let load_left = left(&self.load_capacity, &self.used_load);
        let budget_left = (self.budget - self.spent).max(0.0);
        // Relaxed items: (best profit, demand, least load, least charge) over the ways that still fit.
        let mut relaxed: Vec<(f64, f64, f64, f64)> = Vec::with_capacity(self.items.len() - from);
        for it in &self.items[from..] {
            let mut r: Option<(f64, f64, f64, f64)> = None;
            for w in &it.ways {
                if self.fits(w, it.demand) {
                    r = Some(match r {
                        None => (w.profit, it.demand, w.load, w.charge),
                        Some((p, d, l, c)) => (p.max(w.profit), d, l.min(w.load), c.min(w.charge)),
                    });
                }
            }
            relaxed.extend(r);
        }
        // The clients still allowed: at most that many items, the most profitable.
        let k = if clients_left.is_finite() { clients_left.floor() as usize } else { relaxed.len() };
        let mut bound = knapsack::count_bound(relaxed.iter().map(|r| r.0), k);
        for (pick, cap) in [(1usize, demand_left), (2, load_left), (3, budget_left)] {
            if !cap.is_finite() {
                continue;
            }
            self.scratch.clear();
            self.scratch.extend(relaxed.iter().map(|r| knapsack::Item {
                profit: r.0,
                weight: match pick {
                    1 => r.1,
                    2 => r.2,
                    _ => r.3,
                },
            }));
            bound = bound.min(fractional_value(&self.scratch, cap, &mut self.knapsack));
        }
        if self.max_clients.len() > 1 {
            // Each facility on its own, every client priced.
            bound = bound.min(self.split_bound(from, None));
        }
        bound
    }

    /// What facility `slot` alone can add at most from the clients from
    /// `from` on, each client's profit lowered by its price `u` (the least
    /// of its client-limit, demand and load bounds); `take`, when given,
    /// gets the fraction of each client (from `from` on) that the tightest
    /// of them serves.
    fn slot_bound(&self, from: usize, slot: usize, take: Option<&mut [f64]>) -> f64 {
        let clients_left = (self.max_clients[slot] - self.used_clients[slot]).max(0.0);
        let demand_left = (self.capacity[slot] - self.used_demand[slot]).max(0.0);
        let load_left = (self.load_capacity[slot] - self.used_load[slot]).max(0.0);
        // (item, priced best profit, demand, least load) of each client's ways at the facility.
        let mut here: Vec<(usize, f64, f64, f64)> = Vec::new();
        for (i, it) in self.items.iter().enumerate().skip(from) {
            let mut r: Option<(usize, f64, f64, f64)> = None;
            for w in it.ways.iter().filter(|w| w.slot == slot) {
                if self.fits(w, it.demand) {
                    let p = w.profit - self.price[i];
                    r = Some(match r {
                        None => (i, p, it.demand, w.load),
                        Some((i, q, d, l)) => (i, q.max(p), d, l.min(w.load)),
                    });
                }
            }
            here.extend(r.filter(|r| r.1 > 0.0));
        }
        // Each relaxation: its value and the items it takes (index into `here`, fraction).
        let mut best: (f64, Vec<(usize, f64)>) = {
            let mut order: Vec<usize> = (0..here.len()).collect();
            order.sort_by(|&a, &b| here[b].1.total_cmp(&here[a].1).then(a.cmp(&b)));
            let k = if clients_left.is_finite() { clients_left.floor() as usize } else { order.len() };
            order.truncate(k);
            (order.iter().map(|&j| here[j].1).sum(), order.into_iter().map(|j| (j, 1.0)).collect())
        };
        for (demand, cap) in [(true, demand_left), (false, load_left)] {
            if cap.is_finite() {
                let items: Vec<knapsack::Item> = here
                    .iter()
                    .map(|r| knapsack::Item { profit: r.1, weight: if demand { r.2 } else { r.3 } })
                    .collect();
                let (v, taken) = fractional_taken(&items, cap);
                if v < best.0 {
                    best = (v, taken);
                }
            }
        }
        if let Some(take) = take {
            for (j, f) in best.1 {
                take[here[j].0 - from] += f;
            }
        }
        best.0
    }

    /// Σ prices of the clients from `from` on plus every facility's priced
    /// bound: the Lagrangian bound with "each client at most once" relaxed
    /// (S. Martello and P. Toth, *Knapsack Problems*, ch. 7.2).
    fn split_bound(&self, from: usize, take: Option<&mut [f64]>) -> f64 {
        let mut total: f64 = self.price[from..].iter().sum();
        match take {
            Some(take) => {
                for slot in 0..self.max_clients.len() {
                    total += self.slot_bound(from, slot, Some(&mut *take));
                }
            }
            None => {
                for slot in 0..self.max_clients.len() {
                    total += self.slot_bound(from, slot, None);
                }
            }
        }
        total
    }

    /// Client prices for [`Search::split_bound`] by subgradient descent at
    /// the root (Polyak's step towards the best plan at hand, halved when
    /// the bound stalls); the best prices met are kept.
    fn price_clients(&mut self) {
        let n = self.items.len();
        let mut best = (self.split_bound(0, None), self.price.clone());
        let mut theta = 2.0;
        let mut stall = 0;
        for _ in 0..ROOT_PRICE_ROUNDS {
            let mut take = vec![0.0; n];
            let bound = self.split_bound(0, Some(&mut take));
            if bound < best.0 - TOL * best.0.abs().max(1.0) {
                best = (bound, self.price.clone());
                stall = 0;
            } else {
                stall += 1;
                if stall >= 5 {
                    theta /= 2.0;
                    stall = 0;
                }
            }
            let gap = bound - self.best;
            let g: Vec<f64> = take.iter().map(|t| 1.0 - t).collect();
            let norm: f64 = g.iter().map(|x| x * x).sum();
            if gap <= TOL * self.best.abs().max(1.0) || norm < 1e-12 || theta < 1e-4 {
                break;
            }
            let step = theta * gap / norm;
            for (u, gi) in self.price.iter_mut().zip(&g) {
                *u = (*u - step * gi).max(0.0);
            }
        }
        self.price = best.1;
    }

    /// Depth-first search from client `at` with `profit` so far; false when
    /// the node limit stopped it.
    fn search(&mut self, at: usize, profit: f64) -> bool {
        self.nodes += 1;
        if self.nodes > self.node_limit {
            return false;
        }
        if profit > self.best + TOL * self.best.abs().max(1.0) {
            self.best = profit;
            self.best_pick.clone_from(&self.pick);
        }
        if at == self.items.len() {
            return true;
        }
        if profit + self.bound(at) <= self.best + TOL * self.best.abs().max(1.0) {
            return true;
        }
        let item = &self.items[at];
        let demand = item.demand;
        for k in 0..item.ways.len() {
            let w = self.items[at].ways[k];
            if !self.fits(&w, demand) {
                continue;
            }
            let s = w.slot;
            self.used_clients[s] += 1.0;
            self.used_demand[s] += demand;
            self.used_load[s] += w.load;
            self.spent += w.charge;
            self.pick[at] = Some(k);
            let done = self.search(at + 1, profit + w.profit);
            self.pick[at] = None;
            self.used_clients[s] -= 1.0;
            self.used_demand[s] -= demand;
            self.used_load[s] -= w.load;
            self.spent -= w.charge;
            if !done {
                return false;
            }
        }
        self.search(at + 1, profit)
    }
}

/// Per client: its facility and its mode (both `None`: not served).
pub(crate) type Assigned = (Vec<Option<usize>>, Vec<Option<usize>>);

/// The best modal assignment of `inst`'s clients to the open facilities
/// `open` (at most [`MAX_OPEN`]) whose options spend at most `budget`,
/// proven by search; `start` (an assignment and its modes that meet every
/// rule) seeds the search. `None` when unserved demand has no price (every
/// client must be served: the MIP decides), the set is too large, or the
/// search passed `node_limit` nodes.
pub(crate) fn assign_exactly(
    inst: &Instance,
    arcs: &ModalArcs,
    open: &[usize],
    budget: Option<f64>,
    start: (&[Option<usize>], &[Option<usize>]),
    node_limit: usize,
) -> Option<Assigned> {
    if open.len() > MAX_OPEN {
        return None;
    }
    inst.unserved_penalty?;
    let slot_of = |f: usize| open.iter().position(|&o| o == f);
    let mut items: Vec<Item> = Vec::new();
    for c in 0..inst.n_clients() {
        let unserved = inst.unserved_cost(c)?;
        let mut ways: Vec<Way> = arcs.options[c]
            .iter()
            .filter_map(|o| {
                let slot = slot_of(o.facility.index())?;
                let profit = unserved - o.cost;
                (profit > 0.0).then_some(Way {
                    slot,
                    mode: o.mode,
                    facility: o.facility.index(),
                    profit,
                    load: o.load,
                    charge: o.budget_cost,
                })
            })
            .collect();
        if ways.is_empty() {
            continue;
        }
        ways.sort_by(|a, b| b.profit.total_cmp(&a.profit).then(a.load.total_cmp(&b.load)));
        let best = ways[0].profit;
        items.push(Item { client: c, demand: inst.clients[c].demand, ways, best });
    }
    items.sort_by(|a, b| b.best.total_cmp(&a.best).then(a.client.cmp(&b.client)));
    let cap = |x: Option<f64>| x.unwrap_or(f64::INFINITY);
    let mut s = Search {
        items: &items,
        max_clients: open.iter().map(|&f| cap(inst.facilities[f].max_clients.map(f64::from))).collect(),
        capacity: open.iter().map(|&f| cap(inst.facilities[f].capacity)).collect(),
        load_capacity: open.iter().map(|&f| cap(arcs.load_capacity[f])).collect(),
        budget: cap(budget),
        used_clients: vec![0.0; open.len()],
        used_demand: vec![0.0; open.len()],
        used_load: vec![0.0; open.len()],
        spent: 0.0,
        pick: vec![None; items.len()],
        best_pick: vec![None; items.len()],
        best: 0.0,
        nodes: 0,
        node_limit,
        scratch: Vec::new(),
        knapsack: FractionalScratch::default(),
        price: vec![0.0; items.len()],
    };
    // The start's profit (and picks) seed the search.
    let (start_assignment, start_modes) = start;
    let mut start_pick = vec![None; items.len()];
    let mut start_profit = 0.0;
    for (i, it) in items.iter().enumerate() {
        if let (Some(f), Some(m)) = (start_assignment[it.client], start_modes[it.client])
            && let Some(k) = it.ways.iter().position(|w| w.facility == f && w.mode == m)
        {
            start_pick[i] = Some(k);
            start_profit += it.ways[k].profit;
        }
    }
    s.best = start_profit;
    s.best_pick = start_pick;
    if open.len() > 1 {
        s.price_clients();
    }
    if !s.search(0, 0.0) {
        return None;
    }
    let mut assignment = vec![None; inst.n_clients()];
    let mut modes = vec![None; inst.n_clients()];
    for (it, k) in items.iter().zip(&s.best_pick) {
        if let Some(k) = *k {
            assignment[it.client] = Some(it.ways[k].facility);
            modes[it.client] = Some(it.ways[k].mode);
        }
    }
    Some((assignment, modes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::{Client, Facility, FacilityIdx, Instance, ModeOption, Model};
    use rand::{Rng, SeedableRng};

    /// A random fixed-set assignment: up to 8 clients, up to three open
    /// facilities, two modes, every limit drawn tight or absent.
    fn random(seed: u64) -> (Instance, ModalArcs, Vec<usize>, Option<f64>) {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
        let n = rng.random_range(1..=8);
        let m = rng.random_range(1..=MAX_OPEN);
        let clients: Vec<Client> = (0..n)
            .map(|c| Client { budget_cost: 0.0, ..Client::new(format!("c{c}"), rng.random_range(1..60) as f64) })
            .collect();
        let facilities: Vec<Facility> = (0..m)
            .map(|f| Facility {
                capacity: rng.random_bool(0.5).then(|| rng.random_range(20..150) as f64),
                max_clients: rng.random_bool(0.5).then(|| rng.random_range(1..5)),
                fixed_open: true,
                ..Facility::new(format!("f{f}"), 0.0)
            })
            .collect();
        let mut options = Vec::new();
        for _ in 0..n {
            let mut here = Vec::new();
            for f in 0..m {
                for mode in 0..2 {
                    if rng.random_bool(0.7) {
                        here.push(ModeOption {
                            facility: FacilityIdx::new(f),
                            mode,
                            // Some options cost more than leaving the client unserved.
                            cost: rng.random_range(0.0..120.0f64).round(),
                            load: rng.random_range(0.0..40.0f64).round(),
                            budget_cost: [0.0, 12.0, 20.0][rng.random_range(0..3)],
                        });
                    }
                }
            }
            options.push(here);
        }
        let arcs = ModalArcs {
            mode_names: vec!["visits".into(), "online".into()],
            options,
            load_capacity: (0..m).map(|_| rng.random_bool(0.6).then(|| rng.random_range(10..100) as f64)).collect(),
        };
        let costs = arcs.relaxed_costs(m);
        let mut inst = Instance::new("t", Model::Sscflp, clients, facilities, costs);
        inst.unserved_penalty = Some(2.0);
        let budget = rng.random_bool(0.5).then(|| rng.random_range(0..80) as f64);
        (inst, arcs, (0..m).collect(), budget)
    }

    /// The greatest profit over every assignment (each client: one option or none).
    fn brute_force(inst: &Instance, arcs: &ModalArcs, budget: Option<f64>) -> f64 {
        let n = inst.n_clients();
        let mut pick = vec![0usize; n]; // 0: unserved; k: option k - 1
        let mut best = 0.0f64;
        loop {
            let m = inst.n_facilities();
            let (mut count, mut demand, mut load, mut spent, mut profit) =
                (vec![0u32; m], vec![0.0; m], vec![0.0; m], 0.0, 0.0);
            for c in 0..n {
                if pick[c] > 0 {
                    let o = arcs.options[c][pick[c] - 1];
                    count[o.facility.index()] += 1;
                    demand[o.facility.index()] += inst.clients[c].demand;
                    load[o.facility.index()] += o.load;
                    spent += o.budget_cost;
                    profit += inst.unserved_cost(c).unwrap() - o.cost;
                }
            }
            let ok = (0..m).all(|f| {
                let fac = &inst.facilities[f];
                fac.max_clients.is_none_or(|k| count[f] <= k)
                    && fac.capacity.is_none_or(|k| demand[f] <= k + 1e-9)
                    && arcs.load_capacity[f].is_none_or(|k| load[f] <= k + 1e-9)
            }) && budget.is_none_or(|b| spent <= b + 1e-9);
            if ok {
                best = best.max(profit);
            }
            // Next assignment, odometer style.
            let mut c = 0;
            loop {
                if c == n {
                    return best;
                }
                pick[c] += 1;
                if pick[c] <= arcs.options[c].len() {
                    break;
                }
                pick[c] = 0;
                c += 1;
            }
        }
    }

    #[test]
    fn the_search_meets_brute_force_on_random_sets() {
        let mut searched = 0;
        for seed in 0..400u64 {
            let (inst, arcs, open, budget) = random(seed);
            let none = vec![None; inst.n_clients()];
            let (a, modes) =
                assign_exactly(&inst, &arcs, &open, budget, (&none, &none), usize::MAX).expect("no node limit");
            // Independently valued: every rule, and the profit.
            let report = crate::plan::check_modal(
                &Instance { budget, ..inst.clone() },
                &arcs,
                &crate::plan::Solution::from_positions(&open, &a),
                &modes,
                None,
            );
            assert!(report.is_feasible(), "seed {seed}: {:?}", report.violations);
            let profit: f64 = (0..inst.n_clients())
                .filter_map(|c| {
                    let o = arcs.option(c, FacilityIdx::new(a[c]?), modes[c]?)?;
                    Some(inst.unserved_cost(c).unwrap() - o.cost)
                })
                .sum();
            let best = brute_force(&inst, &arcs, budget);
            assert!((profit - best).abs() <= 1e-6, "seed {seed}: search {profit}, brute force {best}");
            searched += 1;
        }
        assert_eq!(searched, 400);
    }

    #[test]
    fn a_start_plan_is_kept_when_nothing_beats_it_and_the_node_limit_is_a_count() {
        let (inst, arcs, open, budget) = random(11);
        let none = vec![None; inst.n_clients()];
        let (a, m) = assign_exactly(&inst, &arcs, &open, budget, (&none, &none), usize::MAX).unwrap();
        // Started from the optimum, the search returns it unchanged.
        assert_eq!(assign_exactly(&inst, &arcs, &open, budget, (&a, &m), usize::MAX), Some((a, m)));
        // One node is not enough to prove anything with clients to place.
        let gains =
            (0..inst.n_clients()).any(|c| arcs.options[c].iter().any(|o| o.cost < inst.unserved_cost(c).unwrap()));
        assert!(gains, "the fixture has a client worth serving");
        assert_eq!(assign_exactly(&inst, &arcs, &open, budget, (&none, &none), 1), None);
        // Without a price on unserved demand every client must be served: not this search's job.
        let must = Instance { unserved_penalty: None, ..inst };
        assert_eq!(assign_exactly(&must, &arcs, &open, budget, (&none, &none), usize::MAX), None);
    }
}
