//! Exact decomposition by blocks: when clients and facilities fall apart into
//! groups that share no allowed link (the districts of a hub plan whose links
//! stay inside districts), the blocks interact only through the instance-wide
//! rows — `p`, `min_open`, `max_open` and the budget.
//!
//! This is the block-angular structure of Dantzig & Wolfe, "Decomposition
//! principle for linear programs", *Operations Research* 8 (1960) 101–111,
//! read the column-generation way: every block contributes a *frontier* of
//! columns, one per number of new facilities it could open (each the block's
//! best plan with exactly that many), and a master chooses one column per
//! block under the linking rows. The master is a multiple-choice knapsack
//! (Sinha & Zoltners, "The multiple-choice knapsack problem", *Operations
//! Research* 27 (1979) 503–515) in the count of new facilities, solved here
//! exactly by dynamic programming over that count.
//!
//! A block is solved exactly by enumerating its open sets when there are few
//! (districts open at most one or two new hubs): the assignment for a fixed
//! open set is trivial without capacities; with capacities each single hub is
//! a two-dimensional knapsack (schools and students) solved by dynamic
//! programming, and a set of several hubs takes the exact MIP only when its
//! bound — the better of the uncapacitated assignment and the sum of the
//! hubs' own knapsacks — beats the best set found. Larger blocks go to the
//! general solver with their bound; the result is then a bound, not a proof,
//! and says so.
//!
//! The budget row is not priced in the frontier: when the columns chosen
//! without it also fit the budget, they are optimal with it (the master over
//! count is a relaxation); otherwise the caller solves the whole model and
//! keeps the master's value as a valid lower bound.

use std::time::Instant;

use rayon::prelude::*;

use super::knapsack::{Item, knapsack_bound};
use super::{SolveError, SolveOptions, SolveOutcome, SolveStats, Status, dispatch, finish, lagrangian, mip};
use crate::plan::{Flow, Solution, check};
use crate::problem::{Client, ClientIdx, Costs, Facility, FacilityIdx, Group, IdxVec, Instance, SparseCosts};

/// Open sets a block may enumerate before it goes to the general solver.
const MAX_OPEN_SETS: usize = 20_000;

/// Clients and facilities that share no allowed link with the rest.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Block {
    /// Per client of the block: its client in the instance, ascending.
    pub clients: IdxVec<ClientIdx, ClientIdx>,
    /// Per facility of the block: its facility in the instance, ascending.
    pub facilities: IdxVec<FacilityIdx, FacilityIdx>,
    /// Group indices of the instance whose facilities lie in this block.
    pub groups: Vec<usize>,
}

impl Block {
    /// The instance's client of the block's client `c`.
    pub fn client(&self, c: ClientIdx) -> ClientIdx {
        self.clients[c]
    }

    /// The instance's facility of the block's facility `f`.
    pub fn facility(&self, f: FacilityIdx) -> FacilityIdx {
        self.facilities[f]
    }
}

/// An engine's open set (plain positions) as typed facilities.
fn typed(open: &[usize]) -> Vec<FacilityIdx> {
    open.iter().map(|&f| FacilityIdx::new(f)).collect()
}

/// What the decomposition made of an instance.
pub(crate) enum Decomposed {
    /// The instance is one block (or its structure does not allow it).
    NotApplicable,
    /// The blocks' best columns chosen without the budget break it: `bound`
    /// is still a valid lower bound on the whole model's optimum.
    BudgetBinds { bound: f64, note: String },
    /// A checked result over every block.
    Solved(Box<SolveOutcome>),
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, mut a: usize) -> usize {
        while self.0[a] != a {
            self.0[a] = self.0[self.0[a]];
            a = self.0[a];
        }
        a
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            // The smaller root wins, so blocks do not depend on the order of unions.
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.0[hi] = lo;
        }
    }
}

/// The instance's blocks in order of their smallest facility (then client):
/// a client belongs with every facility it may use, a group's facilities stay
/// together. Forbidden facilities outside any group belong to no block.
pub(crate) fn blocks(inst: &Instance) -> Vec<Block> {
    let (n, m) = (inst.n_clients(), inst.n_facilities());
    let mut uf = UnionFind((0..m + n).collect());
    for c in 0..n {
        inst.costs.for_each_link(c, |f, _| {
            if !inst.facilities[f].forbidden {
                uf.union(f, m + c);
            }
        });
    }
    for g in &inst.groups {
        for w in g.facilities.windows(2) {
            uf.union(w[0].index(), w[1].index());
        }
    }
    let in_group: Vec<bool> = {
        let mut v = vec![false; m];
        inst.groups.iter().flat_map(|g| &g.facilities).for_each(|&f| v[f.index()] = true);
        v
    };
    let mut index_of_root = vec![usize::MAX; m + n];
    let mut out: Vec<Block> = Vec::new();
    for node in 0..m + n {
        if node < m && inst.facilities[node].forbidden && !in_group[node] {
            continue;
        }
        let r = uf.find(node);
        if index_of_root[r] == usize::MAX {
            index_of_root[r] = out.len();
            out.push(Block { clients: IdxVec::new(), facilities: IdxVec::new(), groups: Vec::new() });
        }
        let b = &mut out[index_of_root[r]];
        if node < m {
            b.facilities.push(FacilityIdx::new(node));
        } else {
            b.clients.push(ClientIdx::new(node - m));
        }
    }
    for (gi, g) in inst.groups.iter().enumerate() {
        if let Some(&f) = g.facilities.first() {
            let b = index_of_root[uf.find(f.index())];
            out[b].groups.push(gi);
        }
    }
    out
}

/// A block as an instance of its own, without the instance-wide rows.
pub(crate) fn sub_instance(inst: &Instance, block: &Block, index: usize) -> Instance {
    let mut local: Vec<Option<FacilityIdx>> = vec![None; inst.n_facilities()];
    for (i, &f) in block.facilities.iter_enumerated() {
        local[f.index()] = Some(i);
    }
    let mut triples = Vec::new();
    for (i, &c) in block.clients.iter_enumerated() {
        inst.costs.for_each_link(c.index(), |f, v| {
            if let Some(j) = local[f] {
                triples.push((i.index() as u32, j.index() as u32, v));
            }
        });
    }
    let clients: Vec<Client> = block.clients.iter().map(|&c| inst.client(c).clone()).collect();
    let facilities: Vec<Facility> = block.facilities.iter().map(|&f| inst.facility(f).clone()).collect();
    let costs = Costs::Sparse(SparseCosts::from_triples(clients.len(), facilities.len(), triples));
    let mut sub = Instance::new(format!("{} block {index}", inst.name), inst.model, clients, facilities, costs);
    sub.single_source = inst.single_source;
    sub.unserved_penalty = inst.unserved_penalty;
    sub.groups = block
        .groups
        .iter()
        .map(|&g| {
            let g = &inst.groups[g];
            Group {
                facilities: g
                    .facilities
                    .iter()
                    .map(|&f| local[f.index()].expect("a block holds its groups' facilities"))
                    .collect(),
                ..g.clone()
            }
        })
        .collect();
    sub
}

/// One column of a block's frontier: its best plan with exactly `new`
/// facilities opened beyond the fixed ones.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub new: usize,
    /// Objective of the plan (`INFINITY` when none was found).
    pub objective: f64,
    /// A valid lower bound on the best plan with exactly `new` new facilities.
    pub bound: f64,
    /// The plan, in the block's own indices.
    pub solution: Option<Solution>,
}

/// A block's frontier and how it was found.
#[derive(Clone)]
pub(crate) struct Frontier {
    pub columns: Vec<Column>,
    /// `enumeration`, or the general solver's name.
    pub method: String,
    pub hit_deadline: bool,
    pub exact_mips: usize,
}

/// Frontiers of blocks already solved, shared by the solves of models that
/// differ in a few blocks only (a plan and the same plan with one hub
/// forbidden or forced: only that hub's district is solved again).
///
/// The key is a 128-bit hash of the block's whole sub-instance (its
/// clients, facilities, costs, limits and rows, as `Debug` prints them) and
/// of every option that shapes its solve, so a hit returns exactly what the
/// solve would compute. A frontier cut short by the deadline is not kept.
/// The modal model's blocks are kept the same way, keyed also by their
/// link modes.
#[derive(Clone, Default)]
pub struct FrontierCache(std::sync::Arc<std::sync::Mutex<CachedFrontiers>>);

/// The frontiers a [`FrontierCache`] holds, by key.
#[derive(Default)]
pub(crate) struct CachedFrontiers {
    plain: std::collections::HashMap<u128, Frontier>,
    pub(crate) modal: std::collections::HashMap<u128, super::modal::ModalFrontier>,
}

impl std::fmt::Debug for FrontierCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.lock().map_or(0, |m| m.plain.len() + m.modal.len());
        write!(f, "FrontierCache({n} blocks)")
    }
}

impl FrontierCache {
    /// The key of a block (`what`: the block as `Debug` prints it, with
    /// anything else that shapes its frontier) under `opts`.
    pub(crate) fn key(what: std::fmt::Arguments<'_>, opts: &SolveOptions) -> u128 {
        let text = format!(
            "{what}|{}|{:?}|{:?}|{}|{}|{}",
            opts.seed, opts.solver, opts.backend, opts.max_stall_rounds, opts.bnb_work, opts.set_mip_seconds
        );
        xxhash_rust::xxh3::xxh3_128(text.as_bytes())
    }

    /// The cached frontiers, when the lock is sound.
    pub(crate) fn lock(&self) -> Option<std::sync::MutexGuard<'_, CachedFrontiers>> {
        self.0.lock().ok()
    }
}

/// [`frontier`], through `opts.frontier_cache` when there is one.
fn frontier_cached(
    sub: &Instance,
    min_new: usize,
    max_new: usize,
    opts: &SolveOptions,
    deadline: Option<Instant>,
) -> Result<Frontier, SolveError> {
    let Some(cache) = &opts.frontier_cache else { return frontier(sub, min_new, max_new, opts, deadline) };
    let key = FrontierCache::key(format_args!("{sub:?}|{min_new}|{max_new}"), opts);
    if let Some(f) = cache.lock().and_then(|m| m.plain.get(&key).cloned()) {
        return Ok(f);
    }
    let f = frontier(sub, min_new, max_new, opts, deadline)?;
    if !f.hit_deadline
        && let Some(mut m) = cache.lock()
    {
        m.plain.insert(key, f.clone());
    }
    Ok(f)
}

/// Most new facilities a block can open: free facilities, capped by the
/// upper limits of the groups they belong to.
pub(crate) fn most_new(sub: &Instance) -> usize {
    let m = sub.n_facilities();
    let mut counted = vec![false; m];
    let mut total = 0;
    for g in &sub.groups {
        let free: Vec<usize> = g
            .facilities
            .iter()
            .map(|f| f.index())
            .filter(|&f| !sub.facilities[f].fixed_open && !sub.facilities[f].forbidden)
            .collect();
        let fixed = g.facilities.iter().filter(|&&f| sub.facility(f).fixed_open).count();
        let allowed = g.max_open.map_or(free.len(), |mx| mx.saturating_sub(fixed).min(free.len()));
        total += allowed;
        free.iter().for_each(|&f| counted[f] = true);
    }
    total + (0..m).filter(|&f| !counted[f] && !sub.facilities[f].fixed_open && !sub.facilities[f].forbidden).count()
}

fn binomial(n: usize, k: usize) -> usize {
    let mut r: usize = 1;
    for i in 0..k.min(n) {
        r = r.saturating_mul(n - i) / (i + 1);
        if r > MAX_OPEN_SETS * 10 {
            return usize::MAX;
        }
    }
    r
}

/// The facilities of `sub` that may open or stay closed.
fn free_facilities(sub: &Instance) -> Vec<usize> {
    (0..sub.n_facilities()).filter(|&f| !sub.facilities[f].fixed_open && !sub.facilities[f].forbidden).collect()
}

/// Whether [`frontier`] settles `sub`, which has `free` facilities that may
/// open and may open from `min_new` to `top` of them, by enumerating its
/// open sets (exact) rather than by one general solve per count.
fn enumerable(sub: &Instance, free: usize, min_new: usize, top: usize) -> bool {
    let sets: usize = (min_new..=top).map(|k| binomial(free, k)).fold(0usize, |a, b| a.saturating_add(b));
    let assignable = !sub.is_capacitated() || (sub.single_source && sub.unserved_penalty.is_some());
    assignable && sets <= MAX_OPEN_SETS
}

/// How many times over the general solves of the blocks' frontiers may
/// re-solve the model's clients before the decomposition is not worth it.
const GENERAL_WORK_FACTOR: usize = 2;

/// The best plan for each number of new facilities of one block, from
/// `min_new` up to `max_new`.
pub(crate) fn frontier(
    sub: &Instance,
    min_new: usize,
    max_new: usize,
    opts: &SolveOptions,
    deadline: Option<Instant>,
) -> Result<Frontier, SolveError> {
    let free = free_facilities(sub);
    let top = most_new(sub).min(max_new);
    if enumerable(sub, free.len(), min_new, top) {
        return Ok(enumerate(sub, &free, (min_new, top), opts, deadline));
    }
    if sub.n_clients() == 0 {
        return Err(SolveError::Instance(crate::problem::InstanceError::NoClients));
    }
    let fixed = sub.facilities.iter().filter(|f| f.fixed_open).count();
    let mut columns = Vec::new();
    let mut method = String::new();
    let mut hit_deadline = false;
    for k in min_new..=top {
        let mut part = sub.clone();
        part.p = Some(fixed + k);
        if part.p == Some(0) {
            // No facility at all: every client unserved.
            let solution = Solution::single_source(Vec::new(), IdxVec::from_elem(None, part.n_clients()));
            let report = check(sub, &solution, None);
            if report.is_feasible() {
                let v = report.evaluation.objective;
                columns.push(Column { new: 0, objective: v, bound: v, solution: Some(solution) });
            }
            continue;
        }
        let out = match dispatch(&part, opts, deadline) {
            // The heuristic found no plan the referee accepts under the
            // block's rules (exact counts of new hubs per year where links
            // cross districts, rollout property test seed 72544): a small
            // block goes to the exact MIP; otherwise the column has no plan
            // and its cost is bounded only by 0, so bounds stay valid.
            Err(SolveError::CheckerRejected { .. }) if part.n_clients() * part.n_facilities() <= MIP_RETRY_CELLS => {
                dispatch(&part, &SolveOptions { solver: super::SolverKind::Mip, ..opts.clone() }, deadline)?
            }
            Err(SolveError::CheckerRejected { .. }) => {
                columns.push(Column { new: k, objective: f64::INFINITY, bound: 0.0, solution: None });
                continue;
            }
            r => r?,
        };
        method = out.solver.clone();
        hit_deadline |= out.status == Status::TimeLimit;
        match out.status {
            Status::Infeasible if out.infeasibility_proven => {}
            Status::Infeasible => columns.push(Column { new: k, objective: f64::INFINITY, bound: 0.0, solution: None }),
            _ => {
                let v = out.objective();
                let bound = if out.status == Status::Optimal { v } else { out.lower_bound.unwrap_or(0.0) };
                columns.push(Column { new: k, objective: v, bound, solution: Some(out.solution) });
            }
        }
    }
    Ok(Frontier { columns, method, hit_deadline, exact_mips: 0 })
}

/// Clients × facilities up to which a block whose heuristic plan the referee
/// rejects is solved again by the MIP.
const MIP_RETRY_CELLS: usize = 20_000;

/// Steps `idx` (ascending indices below `n`) to the next combination in
/// lexicographic order; false after the last.
pub(crate) fn next_combination(idx: &mut [usize], n: usize) -> bool {
    let k = idx.len();
    for i in (0..k).rev() {
        if idx[i] < n - k + i {
            idx[i] += 1;
            for j in i + 1..k {
                idx[j] = idx[j - 1] + 1;
            }
            return true;
        }
    }
    false
}

/// One hub's best clients on its own: a knapsack in schools and students.
struct HubAlone {
    /// Sum of (penalty − link cost) over the chosen clients.
    value: f64,
    /// Chosen clients (block indices), ascending.
    chosen: Vec<usize>,
}

/// Exact two-dimensional knapsack (client count ≤ `max_clients`, demand ≤
/// `capacity`) by dynamic programming; `None` when demands or the capacity
/// are not whole numbers (then the MIP decides).
fn hub_alone(sub: &Instance, f: usize, penalty: f64) -> Option<HubAlone> {
    let mut items: Vec<(usize, f64, usize)> = Vec::new();
    sub.costs.for_each_client_of(f, |c, cost| {
        let v = penalty * sub.clients[c].demand - cost;
        if v > 0.0 {
            items.push((c, v, 0));
        }
    });
    let fac = &sub.facilities[f];
    let count_cap = fac.max_clients.map_or(items.len(), |k| (k as usize).min(items.len()));
    let student_cap = match fac.capacity {
        None => 0,
        Some(cap) => {
            let total: f64 = items.iter().map(|&(c, ..)| sub.clients[c].demand).sum();
            if items.iter().any(|&(c, ..)| sub.clients[c].demand.fract() != 0.0) {
                return None;
            }
            cap.floor().min(total) as usize
        }
    };
    if fac.capacity.is_some() {
        for it in &mut items {
            it.2 = sub.clients[it.0].demand as usize;
        }
    }
    let width = student_cap + 1;
    let states = (count_cap + 1) * width;
    if states.saturating_mul(items.len()) > 50_000_000 {
        return None;
    }
    let mut best = vec![0.0f64; states];
    let mut take = vec![false; states * items.len()];
    for (i, &(_, v, w)) in items.iter().enumerate() {
        for k in (1..=count_cap).rev() {
            for s in (w..width).rev() {
                let cand = best[(k - 1) * width + s - w] + v;
                if cand > best[k * width + s] {
                    best[k * width + s] = cand;
                    take[i * states + k * width + s] = true;
                }
            }
        }
    }
    let (mut k, mut s) = (count_cap, student_cap);
    let value = best[k * width + s];
    let mut chosen = Vec::new();
    for i in (0..items.len()).rev() {
        if take[i * states + k * width + s] {
            chosen.push(items[i].0);
            k -= 1;
            s -= items[i].2;
        }
    }
    chosen.sort_unstable();
    Some(HubAlone { value, chosen })
}

/// Nodes [`two_hub_assignment`] may visit before the MIP takes the set over
/// (a count, not a clock, so the result does not depend on the machine).
const TWO_HUB_NODES: usize = 2_000_000;

/// The exact assignment when `a` and `b` are the only open facilities of
/// `sub` and unserved demand has a price: each client goes to `a`, to `b` or
/// nowhere, within each hub's capacity and client limit, for the greatest
/// total profit `P·dₛ − c_hs` (a generalised assignment problem with two
/// agents). Depth-first branch and bound over the clients by falling profit,
/// each node bounded by the smaller of (i) the two hubs as one knapsack
/// (pooled capacity and client limits, each client at its better hub) and
/// (ii) each hub's knapsack on its own (a client may count at both), both in
/// Dantzig's fractional form and capped by the best profits that fit the
/// client limits (S. Martello and P. Toth, *Knapsack Problems*, Wiley 1990,
/// ch. 7). `None` past `node_limit` nodes, when the budget could bind, or
/// without a penalty (the caller's MIP decides).
fn two_hub_assignment(sub: &Instance, a: usize, b: usize, node_limit: usize) -> Option<Vec<Option<usize>>> {
    let pen = sub.unserved_penalty?;
    let n = sub.n_clients();
    let profit = |f: usize| {
        let mut p = vec![f64::NEG_INFINITY; n];
        sub.costs.for_each_client_of(f, |c, cost| p[c] = pen * sub.clients[c].demand - cost);
        p
    };
    let (pa, pb) = (profit(a), profit(b));
    let mut items: Vec<TwoHubItem> = (0..n)
        .filter(|&c| pa[c].max(pb[c]) > 0.0)
        .map(|c| TwoHubItem { client: c, profit: [pa[c].max(0.0), pb[c].max(0.0)], demand: sub.clients[c].demand })
        .collect();
    if let Some(budget) = sub.budget {
        let charge = |f: usize| if sub.facilities[f].fixed_open { 0.0 } else { sub.facilities[f].budget_charge() };
        let rooms: f64 = items.iter().map(|it| sub.clients[it.client].budget_cost).sum();
        if charge(a) + charge(b) + rooms > budget {
            return None;
        }
    }
    items.sort_by(|x, y| {
        let (px, py) = (x.profit[0].max(x.profit[1]), y.profit[0].max(y.profit[1]));
        py.total_cmp(&px).then(x.client.cmp(&y.client))
    });
    let limits = |f: usize| {
        let fac = &sub.facilities[f];
        (fac.capacity.unwrap_or(f64::INFINITY), fac.max_clients.map_or(usize::MAX, |k| k as usize))
    };
    let mut search = TwoHub {
        items: &items,
        best: 0.0,
        best_at: vec![None; items.len()],
        at: vec![None; items.len()],
        nodes: 0,
        node_limit,
    };
    let (ca, ka) = limits(a);
    let (cb, kb) = limits(b);
    search.dfs(0, [ca, cb], [ka, kb], 0.0);
    if search.nodes > node_limit {
        return None;
    }
    let mut assignment = vec![None; n];
    for (it, h) in items.iter().zip(&search.best_at) {
        assignment[it.client] = h.map(|h| [a, b][h]);
    }
    Some(assignment)
}

/// A client of [`two_hub_assignment`]: its profit at each hub (0 where it
/// has no link or no gain) and its demand.
struct TwoHubItem {
    client: usize,
    profit: [f64; 2],
    demand: f64,
}

/// The search state of [`two_hub_assignment`].
struct TwoHub<'a> {
    items: &'a [TwoHubItem],
    best: f64,
    best_at: Vec<Option<usize>>,
    at: Vec<Option<usize>>,
    nodes: usize,
    node_limit: usize,
}

impl TwoHub<'_> {
    fn dfs(&mut self, i: usize, cap: [f64; 2], count: [usize; 2], value: f64) {
        self.nodes += 1;
        if self.nodes > self.node_limit {
            return;
        }
        if value > self.best {
            self.best = value;
            self.best_at.clone_from(&self.at);
        }
        if i == self.items.len() || value + self.bound(i, cap, count) <= self.best {
            return;
        }
        let it = &self.items[i];
        let first = usize::from(it.profit[1] > it.profit[0]);
        for h in [first, 1 - first] {
            if it.profit[h] > 0.0 && count[h] > 0 && it.demand <= cap[h] {
                let (mut c, mut k) = (cap, count);
                c[h] -= it.demand;
                k[h] -= 1;
                self.at[i] = Some(h);
                self.dfs(i + 1, c, k, value + it.profit[h]);
                self.at[i] = None;
            }
        }
        self.dfs(i + 1, cap, count, value);
    }

    /// An upper bound on the profit the clients from `i` on can add.
    fn bound(&self, i: usize, cap: [f64; 2], count: [usize; 2]) -> f64 {
        let rest = &self.items[i..];
        let pooled: Vec<Item> = rest
            .iter()
            .filter_map(|it| {
                let p =
                    (0..2).filter(|&h| it.demand <= cap[h] && count[h] > 0).map(|h| it.profit[h]).fold(0.0, f64::max);
                (p > 0.0).then_some(Item { profit: p, weight: it.demand })
            })
            .collect();
        let pooled = knapsack_bound(&pooled, cap[0] + cap[1], count[0].saturating_add(count[1]));
        let apart: f64 = (0..2)
            .map(|h| {
                let items: Vec<Item> = rest
                    .iter()
                    .filter(|it| it.profit[h] > 0.0 && it.demand <= cap[h])
                    .map(|it| Item { profit: it.profit[h], weight: it.demand })
                    .collect();
                knapsack_bound(&items, cap[h], count[h])
            })
            .sum();
        pooled.min(apart)
    }
}

/// An open set to value: its bound, its exact value when already known, the
/// set, and a feasible plan for it when one is at hand.
type Candidate = (f64, Option<(f64, Solution)>, Vec<usize>, Option<Solution>);

/// Every open set of up to `top` new facilities, each valued exactly (see the
/// module doc); per count of new facilities, the best set.
fn enumerate(
    sub: &Instance,
    free: &[usize],
    (min_new, top): (usize, usize),
    opts: &SolveOptions,
    deadline: Option<Instant>,
) -> Frontier {
    let n = sub.n_clients();
    let fixed: Vec<usize> = (0..sub.n_facilities()).filter(|&f| sub.facilities[f].fixed_open).collect();
    let penalty = sub.unserved_penalty;
    let unserved: Vec<f64> = (0..n).map(|c| sub.unserved_cost(c).unwrap_or(f64::INFINITY)).collect();
    let all_unserved: f64 = unserved.iter().sum();
    // Per facility: link cost to each client (block-local, sparse as a map).
    let mut link: Vec<Vec<(usize, f64)>> = vec![Vec::new(); sub.n_facilities()];
    for (f, l) in link.iter_mut().enumerate() {
        sub.costs.for_each_client_of(f, |c, v| l.push((c, v)));
    }
    let capacitated = sub.is_capacitated();
    let alone: Vec<Option<HubAlone>> = (0..sub.n_facilities())
        .map(|f| match (capacitated, penalty) {
            (true, Some(p)) if !sub.facilities[f].forbidden => hub_alone(sub, f, p),
            _ => None,
        })
        .collect();
    let groups_ok = |open: &[usize]| {
        sub.groups.iter().all(|g| {
            let k = g.facilities.iter().filter(|f| open.contains(&f.index())).count();
            k >= g.min_open && g.max_open.is_none_or(|mx| k <= mx)
        })
    };
    let mut columns = Vec::new();
    let mut exact_mips = 0;
    let mut unsettled = false;
    for k in min_new..=top {
        // (bound, exact value if known, open set, a feasible plan for it)
        let mut candidates: Vec<Candidate> = Vec::new();
        let mut idx: Vec<usize> = (0..k).collect();
        if k > free.len() {
            break;
        }
        loop {
            let mut open: Vec<usize> = fixed.clone();
            open.extend(idx.iter().map(|&i| free[i]));
            open.sort_unstable();
            if groups_ok(&open) {
                let opening: f64 = idx.iter().map(|&i| sub.facilities[free[i]].open_cost).sum();
                // Cheapest open facility (or unserved) per client, ignoring capacities.
                let mut cheapest = unserved.clone();
                let mut at: Vec<Option<usize>> = vec![None; n];
                for &f in &open {
                    for &(c, v) in &link[f] {
                        if v < cheapest[c] {
                            cheapest[c] = v;
                            at[c] = Some(f);
                        }
                    }
                }
                let uncap: f64 = opening + cheapest.iter().sum::<f64>();
                if uncap.is_finite() {
                    let sol = Solution::from_positions(&open, &at);
                    let uncap_fits = !capacitated || check(sub, &sol, None).is_feasible();
                    if uncap_fits {
                        candidates.push((uncap, Some((uncap, sol)), open, None));
                    } else if let Some(alone) = open.iter().map(|&f| alone[f].as_ref()).collect::<Option<Vec<_>>>() {
                        let knap = opening + all_unserved - alone.iter().map(|a| a.value).sum::<f64>();
                        let mut seen = vec![false; n];
                        let disjoint =
                            alone.iter().flat_map(|a| &a.chosen).all(|&c| !std::mem::replace(&mut seen[c], true));
                        let repaired = knapsack_repair(&open, &alone, n);
                        let exact = disjoint.then(|| (knap, repaired.clone()));
                        candidates.push((uncap.max(knap), exact, open, Some(repaired)));
                    } else {
                        candidates.push((uncap, None, open, None));
                    }
                }
            }
            if !next_combination(&mut idx, free.len()) {
                break;
            }
        }
        if candidates.is_empty() {
            continue;
        }
        // Best-bound order; ties by enumeration order (stable sort).
        candidates.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut best: Option<(f64, Solution)> = None;
        let mut bound = f64::INFINITY;
        for (lb, exact, open, fallback) in candidates {
            if best.as_ref().is_some_and(|(v, _)| lb >= *v - 1e-9 * v.abs().max(1.0)) {
                bound = bound.min(lb);
                break;
            }
            let valued = match exact {
                Some(e) => Some(e),
                None => {
                    exact_mips += 1;
                    let set = fixed_open_mip(sub, &open, lb, fallback, opts, deadline);
                    if set.best.as_ref().is_none_or(|b| set.bound < b.0 - 1e-9 * b.0.abs().max(1.0)) {
                        // Not settled: the set's bound stays in the column's bound.
                        unsettled = true;
                        bound = bound.min(set.bound);
                    }
                    set.best
                }
            };
            if let Some((v, sol)) = valued
                && best.as_ref().is_none_or(|(b, _)| v < *b - 1e-9 * b.abs().max(1.0))
            {
                best = Some((v, sol));
            }
        }
        let objective = best.as_ref().map_or(f64::INFINITY, |b| b.0);
        columns.push(Column { new: k, objective, bound: bound.min(objective), solution: best.map(|b| b.1) });
    }
    Frontier {
        columns,
        method: "enumeration".into(),
        hit_deadline: unsettled && deadline.is_some_and(|d| Instant::now() >= d),
        exact_mips,
    }
}

/// What the exact assignment for a fixed open set found.
struct SetValue {
    /// The best assignment found, with its objective in `sub`.
    best: Option<(f64, Solution)>,
    /// A lower bound on the set's objective in `sub` (its value when proven).
    bound: f64,
}

/// The exact assignment for a fixed open set: the MIP with every other
/// facility forbidden, within `opts.set_mip_seconds`; when that is not enough,
/// the LP relaxation's bound (or `bound`) stays, with the MIP's plan or
/// `fallback`.
fn fixed_open_mip(
    sub: &Instance,
    open: &[usize],
    bound: f64,
    fallback: Option<Solution>,
    opts: &SolveOptions,
    deadline: Option<Instant>,
) -> SetValue {
    let mut fixed = sub.clone();
    fixed.groups.clear();
    let mut opening = 0.0;
    for (f, fac) in fixed.facilities.iter_mut().enumerate() {
        if open.contains(&f) {
            if !fac.fixed_open {
                opening += fac.open_cost;
            }
            fac.fixed_open = true;
            fac.forbidden = false;
        } else {
            fac.forbidden = true;
            fac.fixed_open = false;
        }
    }
    let value = |sol: Solution| {
        let report = check(sub, &sol, None);
        report.is_feasible().then_some((report.evaluation.objective, sol))
    };
    if let [a, b] = open
        && let Some(assignment) = two_hub_assignment(sub, *a, *b, TWO_HUB_NODES)
        && let Some((v, sol)) = value(Solution::from_positions(open, &assignment))
    {
        return SetValue { best: Some((v, sol)), bound: v };
    }
    let left = deadline.map(|d| d.saturating_duration_since(Instant::now()).as_secs_f64());
    let limit = left.map_or(opts.set_mip_seconds, |l| l.min(opts.set_mip_seconds));
    let mut best = fallback.and_then(value);
    if limit > 0.0 {
        match mip::solve_mip(&fixed, opts.backend, Some(limit)) {
            Ok(mip::MipOutcome::Infeasible) => return SetValue { best: None, bound: f64::INFINITY },
            Ok(mip::MipOutcome::Solved { solution, proven }) => {
                if let Some((v, sol)) = value(Solution::single_source(typed(open), solution.assignment)) {
                    if proven {
                        return SetValue { best: Some((v, sol)), bound: v };
                    }
                    if best.as_ref().is_none_or(|b| v < b.0) {
                        best = Some((v, sol));
                    }
                }
            }
            Err(_) => {}
        }
    }
    let lp = mip::lp_bound(&fixed, opts.backend, Some(opts.set_mip_seconds)).ok().flatten().map(|b| b + opening);
    let mut bound = lp.map_or(bound, |l| l.max(bound));
    // The exact most demand the set can serve bounds the penalty term; with it
    // fixed, the distance term is bounded (or settled) apart.
    if let (Some(pen), Some(most)) = (sub.unserved_penalty, most_demand_served(sub, open)) {
        let all: f64 = sub.clients.iter().map(|c| c.demand).sum();
        let most = most as f64;
        bound = bound.max(opening + pen * (all - most));
        // Any plan serving less is at least this far off.
        let serving_less = opening + pen * (all - most + 1.0);
        {
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()).as_secs_f64());
            let limit = left.map_or(opts.set_mip_seconds, |l| l.min(opts.set_mip_seconds));
            if limit > 0.0
                && let Ok(mip::MipOutcome::Solved { solution, proven: true }) =
                    mip::solve_mip_serving(&fixed, opts.backend, Some(limit), Some(most))
                && let Some((v, sol)) = value(Solution::single_source(typed(open), solution.assignment))
                && v <= serving_less
            {
                return SetValue { best: Some((v, sol)), bound: v };
            }
            let r = mip::lp_bound_serving(&fixed, opts.backend, Some(opts.set_mip_seconds), Some(most));
            if let Ok(Some(lp)) = r {
                bound = bound.max((lp + opening).min(serving_less));
            }
        }
    }
    SetValue { best, bound }
}

/// The most demand one or two open facilities can serve together, exactly
/// (clients whose link costs more than leaving them unserved excluded): a
/// dynamic programme over (clients and demand at the first facility, clients
/// at the second) holding the reachable demands at the second as a bit set.
/// `None` for more than two facilities, or demands or capacities that are
/// not whole numbers.
fn most_demand_served(sub: &Instance, open: &[usize]) -> Option<u64> {
    let pen = sub.unserved_penalty?;
    if open.is_empty() || open.len() > 2 || sub.clients.iter().any(|c| c.demand.fract() != 0.0) {
        return None;
    }
    let worth = |f: usize| -> Vec<bool> {
        let mut w = vec![false; sub.n_clients()];
        sub.costs.for_each_client_of(f, |c, cost| w[c] = pen * sub.clients[c].demand - cost > 0.0);
        w
    };
    let a = open[0];
    let b = open.get(1).copied();
    let (wa, wb) = (worth(a), b.map(worth).unwrap_or_else(|| vec![false; sub.n_clients()]));
    let clients: Vec<usize> = (0..sub.n_clients()).filter(|&c| wa[c] || wb[c]).collect();
    let total: u64 = clients.iter().map(|&c| sub.clients[c].demand as u64).sum();
    let caps = |f: Option<usize>| -> Option<(usize, usize)> {
        let Some(f) = f else { return Some((0, 0)) };
        let fac = &sub.facilities[f];
        let k = fac.max_clients.map_or(clients.len(), |k| (k as usize).min(clients.len()));
        let c = match fac.capacity {
            Some(cap) if cap.is_finite() => (cap.floor() as u64).min(total) as usize,
            Some(_) => return None,
            None => total as usize,
        };
        Some((k, c))
    };
    let (ka, ca) = caps(Some(a))?;
    let (kb, cb) = caps(b)?;
    let words = cb / 64 + 1;
    let cells = (ka + 1) * (ca + 1) * (kb + 1);
    if cells.saturating_mul(words) > 20_000_000 {
        return None;
    }
    let at = |i: usize, s: usize, j: usize| ((i * (ca + 1) + s) * (kb + 1) + j) * words;
    let mut cur = vec![0u64; cells * words];
    cur[at(0, 0, 0)] = 1;
    let mut next = cur.clone();
    for &c in &clients {
        let d = sub.clients[c].demand as usize;
        next.copy_from_slice(&cur);
        for i in 0..=ka {
            for s in 0..=ca {
                for j in 0..=kb {
                    let from = at(i, s, j);
                    if cur[from..from + words].iter().all(|&w| w == 0) {
                        continue;
                    }
                    if wa[c] && i < ka && s + d <= ca {
                        let to = at(i + 1, s + d, j);
                        for w in 0..words {
                            next[to + w] |= cur[from + w];
                        }
                    }
                    if wb[c] && j < kb && d <= cb {
                        // Shift the set of demands at the second facility up by d.
                        let to = at(i, s, j + 1);
                        let (q, r) = (d / 64, d % 64);
                        for w in (q..words).rev() {
                            let mut v = cur[from + w - q] << r;
                            if r > 0 && w > q {
                                v |= cur[from + w - q - 1] >> (64 - r);
                            }
                            next[to + w] |= v;
                        }
                        // Drop demands above the capacity.
                        let extra = words * 64 - (cb + 1);
                        if extra > 0 {
                            next[to + words - 1] &= u64::MAX >> extra;
                        }
                    }
                }
            }
        }
        std::mem::swap(&mut cur, &mut next);
    }
    let mut most = 0;
    for i in 0..=ka {
        for s in 0..=ca {
            for j in 0..=kb {
                let from = at(i, s, j);
                if let Some(w) = (0..words).rev().find(|&w| cur[from + w] != 0) {
                    let top = w * 64 + 63 - cur[from + w].leading_zeros() as usize;
                    most = most.max(s + top);
                }
            }
        }
    }
    Some(most as u64)
}

/// A feasible assignment for `open` from the hubs' own knapsacks: each
/// client goes to the first hub that chose it.
fn knapsack_repair(open: &[usize], alone: &[&HubAlone], n: usize) -> Solution {
    let mut assignment = vec![None; n];
    for (a, &f) in alone.iter().zip(open) {
        for &c in &a.chosen {
            if assignment[c].is_none() {
                assignment[c] = Some(f);
            }
        }
    }
    Solution::from_positions(open, &assignment)
}

/// The master: one column per block, new facilities in total within
/// `[lo, hi]`, least total of `value(column)`. Returns the chosen column
/// index per block and the total, or `None` when no choice meets the rows.
pub(crate) fn master(
    frontiers: &[Vec<Column>],
    lo: usize,
    hi: usize,
    value: impl Fn(&Column) -> f64,
) -> Option<(Vec<usize>, f64)> {
    let cap = hi.min(frontiers.iter().map(|f| f.iter().map(|c| c.new).max().unwrap_or(0)).sum());
    if lo > cap {
        return None;
    }
    let width = cap + 1;
    let mut best = vec![f64::INFINITY; width];
    best[0] = 0.0;
    let mut choice: Vec<Vec<usize>> = Vec::with_capacity(frontiers.len());
    for cols in frontiers {
        let mut next = vec![f64::INFINITY; width];
        let mut pick = vec![usize::MAX; width];
        for (t, &b) in best.iter().enumerate() {
            if !b.is_finite() {
                continue;
            }
            for (ci, col) in cols.iter().enumerate() {
                let v = value(col);
                let u = t + col.new;
                if u < width && v.is_finite() && b + v < next[u] {
                    next[u] = b + v;
                    pick[u] = ci;
                }
            }
        }
        best = next;
        choice.push(pick);
    }
    let (total_new, total) =
        (lo..width).map(|t| (t, best[t])).filter(|(_, v)| v.is_finite()).min_by(|a, b| a.1.total_cmp(&b.1))?;
    // Walk back through the choices.
    let mut picks = vec![0; frontiers.len()];
    let mut t = total_new;
    for b in (0..frontiers.len()).rev() {
        let ci = choice[b][t];
        picks[b] = ci;
        t -= frontiers[b][ci].new;
    }
    Some((picks, total))
}

/// One plan a block offers the [`spend_master`]: its new facilities, what it
/// charges to the budget and its objective.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SpendColumn {
    pub new: usize,
    pub spend: f64,
    pub objective: f64,
}

/// The master with the budget row: one column per block, new facilities in
/// total within `[lo, hi]`, spend within `budget`, least total objective —
/// a multiple-choice knapsack in two resources, solved exactly by dynamic
/// programming over the blocks whose states, per count of new facilities,
/// are the Pareto-minimal (spend, objective) pairs reached so far (no
/// rounding of spends). A state is dropped when even its Lagrangian bound
/// at `price` (its objective and λ·spend, the rest of the blocks at their
/// least priced column, less λ·budget) exceeds `cutoff`: no choice through
/// it reaches `cutoff`. Returns the chosen column per block and the total;
/// `None` when no choice meets the rows within `cutoff`.
pub(crate) fn spend_master(
    blocks: &[Vec<SpendColumn>],
    (lo, hi): (usize, usize),
    budget: f64,
    (price, cutoff): (f64, f64),
) -> Option<(Vec<usize>, f64)> {
    // rest[b]: Σ over blocks b.. of their least priced column.
    let mut rest = vec![0.0f64; blocks.len() + 1];
    for b in (0..blocks.len()).rev() {
        let least = blocks[b].iter().map(|c| c.objective + price * c.spend).fold(f64::INFINITY, f64::min);
        rest[b] = rest[b + 1] + least;
    }
    let slack = 1e-9 * cutoff.abs().max(1.0);
    /// A partial choice: totals, and how it was reached (state index in the
    /// previous layer, column index in the block).
    #[derive(Clone, Copy)]
    struct State {
        new: usize,
        spend: f64,
        objective: f64,
        prev: usize,
        column: usize,
    }
    let limit = budget * (1.0 + 1e-12) + 1e-9;
    let mut layers: Vec<Vec<State>> =
        vec![vec![State { new: 0, spend: 0.0, objective: 0.0, prev: usize::MAX, column: usize::MAX }]];
    for (b, cols) in blocks.iter().enumerate() {
        let last = layers.last().expect("the empty choice starts the layers");
        let mut next: Vec<State> = Vec::new();
        for (i, st) in last.iter().enumerate() {
            for (j, c) in cols.iter().enumerate() {
                let (new, spend) = (st.new + c.new, st.spend + c.spend);
                let objective = st.objective + c.objective;
                let bound = objective + price * spend + rest[b + 1] - price * budget;
                if new <= hi && spend <= limit && c.objective.is_finite() && bound <= cutoff + slack {
                    next.push(State { new, spend, objective, prev: i, column: j });
                }
            }
        }
        // Per count, by rising spend: keep only states that lower the objective.
        next.sort_by(|a, b| {
            a.new.cmp(&b.new).then(a.spend.total_cmp(&b.spend)).then(a.objective.total_cmp(&b.objective))
        });
        let mut kept: Vec<State> = Vec::with_capacity(next.len());
        for st in next {
            match kept.last() {
                Some(k) if k.new == st.new && st.objective >= k.objective => {}
                _ => kept.push(st),
            }
        }
        if kept.is_empty() {
            return None;
        }
        layers.push(kept);
    }
    let last = layers.last()?;
    let (mut at, total) = last
        .iter()
        .enumerate()
        .filter(|(_, st)| st.new >= lo)
        .map(|(i, st)| (i, st.objective))
        .min_by(|a, b| a.1.total_cmp(&b.1))?;
    let mut picks = vec![0; blocks.len()];
    for b in (0..blocks.len()).rev() {
        let st = layers[b + 1][at];
        picks[b] = st.column;
        at = st.prev;
    }
    Some((picks, total))
}

/// Prices evaluated by [`budget_lagrangian`] at most.
const BUDGET_PRICES: usize = 24;

/// A lower bound from relaxing the budget row with a price λ ≥ 0 (tenge of
/// objective per tenge spent): every block's frontier is recomputed with
/// each link and opening charged λ × its budget cost, the master chooses
/// over count, and Σ columns' bounds − λ · budget bounds the model's
/// optimum for every λ (Geoffrion, "Lagrangean relaxation for integer
/// programming", *Mathematical Programming Study* 2 (1974) 82–114). λ is
/// found by bisection on the sign of (spend − budget). Returns the best
/// bound and the number of prices tried; `None` when no price finished.
fn budget_lagrangian(
    inst: &Instance,
    subs: &[Instance],
    (lo, hi): (usize, usize),
    budget: f64,
    opts: &SolveOptions,
    deadline: Option<Instant>,
) -> Option<(f64, usize)> {
    let (mut low, mut high) = (0.0f64, budget_price_ceiling(inst, inst.clients.iter().map(|c| c.budget_cost))?);
    let mut best: Option<f64> = None;
    let mut rounds = 0;
    while rounds < BUDGET_PRICES {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let lambda = if rounds == 0 { high } else { 0.5 * (low + high) };
        rounds += 1;
        let priced: Vec<Instance> = subs.iter().map(|sub| with_budget_price(sub, lambda)).collect();
        let frontiers: Vec<Frontier> =
            priced.par_iter().map(|sub| frontier(sub, 0, hi, opts, deadline)).collect::<Result<_, _>>().ok()?;
        let columns: Vec<Vec<Column>> = frontiers.into_iter().map(|f| f.columns).collect();
        let Some((picks, _)) = master(&columns, lo, hi, |c| c.objective) else { return best.map(|b| (b, rounds)) };
        if let Some((_, value)) = master(&columns, lo, hi, |c| c.bound) {
            let lb = value - lambda * budget;
            best = Some(best.map_or(lb, |b: f64| b.max(lb)));
        }
        // Spend of the plan chosen at this price, in the blocks' own terms.
        let spend: f64 = subs
            .iter()
            .zip(&columns)
            .zip(&picks)
            .filter_map(|((sub, cols), &ci)| cols[ci].solution.as_ref().map(|sol| (sub, sol)))
            .map(|(sub, sol)| {
                sol.open.iter().map(|&f| sub.facility(f).budget_charge()).sum::<f64>()
                    + sol
                        .assignment
                        .iter()
                        .enumerate()
                        .filter(|(_, a)| a.is_some())
                        .map(|(c, _)| sub.clients[c].budget_cost)
                        .sum::<f64>()
            })
            .sum();
        if rounds == 1 {
            if spend > budget {
                // Even at the highest price the plan overspends (forced spending): no better price.
                break;
            }
            continue;
        }
        if spend > budget {
            low = lambda;
        } else {
            high = lambda;
        }
    }
    best.map(|b| (b, rounds))
}

/// A price of the budget row (objective per tenge) above which nothing
/// that spends is worth its cost: twice the most any client's service or
/// any opening can be worth, over the cheapest positive charge (clients'
/// charges from `client_charges`, openings' from the instance). `None`
/// when nothing is charged or nothing is worth anything.
pub(crate) fn budget_price_ceiling(inst: &Instance, client_charges: impl Iterator<Item = f64>) -> Option<f64> {
    let worth: f64 = inst.clients.iter().map(|c| inst.unserved_penalty.unwrap_or(0.0) * c.demand).fold(0.0, f64::max)
        + inst.facilities.iter().map(|f| f.open_cost).fold(0.0, f64::max);
    let cheapest = client_charges
        .chain(inst.facilities.iter().map(|f| f.budget_charge()))
        .filter(|&c| c > 0.0)
        .fold(f64::INFINITY, f64::min);
    (cheapest.is_finite() && worth > 0.0).then(|| 2.0 * worth / cheapest)
}

/// `sub` with every link charged `lambda` × its client's budget cost and
/// every opening `lambda` × its budget charge.
fn with_budget_price(sub: &Instance, lambda: f64) -> Instance {
    let mut priced = sub.clone();
    let mut triples = Vec::with_capacity(sub.costs.n_links());
    for c in 0..sub.n_clients() {
        let extra = lambda * sub.clients[c].budget_cost;
        sub.costs.for_each_link(c, |f, v| triples.push((c as u32, f as u32, v + extra)));
    }
    priced.costs = Costs::Sparse(SparseCosts::from_triples(sub.n_clients(), sub.n_facilities(), triples));
    for f in &mut priced.facilities {
        f.open_cost += lambda * f.budget_charge();
    }
    priced
}

/// Solves `inst` block by block when it falls apart into at least two blocks.
pub(crate) fn solve_by_blocks(
    inst: &Instance,
    opts: &SolveOptions,
    deadline: Option<Instant>,
) -> Result<Decomposed, SolveError> {
    let parts = blocks(inst);
    if parts.len() < 2 {
        return Ok(Decomposed::NotApplicable);
    }
    let fixed_total = inst.facilities.iter().filter(|f| f.fixed_open).count();
    let hi_all = [inst.p, inst.max_open].into_iter().flatten().min();
    let lo_all = [inst.p, inst.min_open].into_iter().flatten().max().unwrap_or(0);
    let max_new = hi_all.map_or(usize::MAX, |h| h.saturating_sub(fixed_total));
    let subs: Vec<Instance> = parts.iter().enumerate().map(|(i, b)| sub_instance(inst, b, i)).collect();
    // A block the general solver takes costs one solve per count of new
    // facilities. Where links cross districts a few blocks hold most of the
    // model, and those solves would re-solve it dozens of times (the
    // national model with cross-district links: 57 solves of one block,
    // the deadline hit midway, and a plan 15,000 students short of the
    // whole model's): then the whole model is solved once instead.
    let general_work: usize = subs
        .iter()
        .filter_map(|sub| {
            let top = most_new(sub).min(max_new);
            (!enumerable(sub, free_facilities(sub).len(), 0, top)).then(|| (top + 1).saturating_mul(sub.n_clients()))
        })
        .fold(0usize, |a, b| a.saturating_add(b));
    if general_work > GENERAL_WORK_FACTOR.saturating_mul(inst.n_clients()) {
        return Ok(Decomposed::NotApplicable);
    }
    // Blocks in parallel; each keeps its own deterministic solve.
    let results: Vec<Result<Frontier, SolveError>> =
        subs.par_iter().map(|sub| frontier_cached(sub, 0, max_new, opts, deadline)).collect();
    let mut frontiers = Vec::with_capacity(subs.len());
    for r in results {
        match r {
            Ok(f) => frontiers.push(f),
            Err(SolveError::Instance(_)) => return Ok(Decomposed::NotApplicable),
            Err(e) => return Err(e),
        }
    }
    let columns: Vec<Vec<Column>> = frontiers.iter().map(|f| f.columns.clone()).collect();
    let lo = lo_all.saturating_sub(fixed_total);
    let Some((picks, _)) = master(&columns, lo, max_new, |c| c.objective) else {
        return Ok(Decomposed::NotApplicable);
    };
    let bound = master(&columns, lo, max_new, |c| c.bound).map(|(_, b)| b);
    // The whole plan, in the instance's indices.
    let mut open = Vec::new();
    let mut assignment = IdxVec::from_elem(None, inst.n_clients());
    let mut flows: Option<Vec<Flow>> = None;
    for ((block, cols), &ci) in parts.iter().zip(&columns).zip(&picks) {
        let Some(sol) = &cols[ci].solution else { return Ok(Decomposed::NotApplicable) };
        open.extend(sol.open.iter().map(|&f| block.facility(f)));
        for (c, a) in sol.assignment.iter_enumerated() {
            assignment[block.client(c)] = a.map(|f| block.facility(f));
        }
        if let Some(fl) = &sol.flows {
            flows.get_or_insert_with(Vec::new).extend(fl.iter().map(|x| Flow {
                client: block.client(x.client),
                facility: block.facility(x.facility),
                share: x.share,
            }));
        }
    }
    open.sort_unstable();
    let solution = Solution { open, assignment, flows };
    let report = check(inst, &solution, None);
    let objective = report.evaluation.objective;
    let enumerated = frontiers.iter().filter(|f| f.method == "enumeration").count();
    let mips: usize = frontiers.iter().map(|f| f.exact_mips).sum();
    let general: Vec<&str> =
        frontiers.iter().filter(|f| f.method != "enumeration").map(|f| f.method.as_str()).collect();
    let mut note = format!(
        "decomposition: {} independent blocks (no allowed link joins them); {} solved by enumerating open sets ({} exact assignment MIPs), {} by the general solver; master over the count of new facilities by dynamic programming",
        parts.len(),
        enumerated,
        mips,
        general.len()
    );
    if let Some(b) = inst.budget {
        let spend: f64 = solution.open.iter().map(|&f| inst.facility(f).budget_charge()).sum::<f64>()
            + (0..inst.n_clients())
                .filter(|&c| solution.assignment[ClientIdx::new(c)].is_some())
                .map(|c| inst.clients[c].budget_cost)
                .sum::<f64>();
        if spend > b + 1e-9 * b.abs().max(1.0) {
            // Single-source links are the one-mode case of the modal
            // decomposition, which prices the budget and closes its gap.
            if inst.single_source {
                let arcs = crate::problem::ModalArcs::single_mode(inst, "link");
                // It gets half the time left; the whole model follows when it cannot prove.
                let share = deadline.map(|d| Instant::now() + d.saturating_duration_since(Instant::now()) / 2);
                if let Some(mut out) = super::modal::by_blocks_proven(inst, &arcs, opts, share)? {
                    out.modes = None;
                    out.solver = "decomposition(priced budget)".into();
                    out.notes.insert(
                        0,
                        format!("decomposition: the blocks' best plans without the budget spend {spend:.0} of {b:.0}"),
                    );
                    return Ok(Decomposed::Solved(Box::new(out)));
                }
            }
            let base = bound.unwrap_or(0.0);
            let priced = budget_lagrangian(inst, &subs, (lo, max_new), b, opts, deadline);
            let (bound, how) = match priced {
                Some((lb, rounds)) if lb > base => (
                    lb,
                    format!(
                        "; pricing the budget in every district's plans ({rounds} prices, Lagrangian relaxation of the budget row) raised that bound"
                    ),
                ),
                _ => (base, String::new()),
            };
            return Ok(Decomposed::BudgetBinds {
                bound,
                note: format!(
                    "decomposition: the blocks' best plans without the budget spend {spend:.0} of {b:.0}, so the whole model was solved; the blocks' value stays as a lower bound{how}"
                ),
            });
        }
        note.push_str(&format!("; the budget does not bind ({spend:.0} of {b:.0})"));
    }
    let hit_deadline = frontiers.iter().any(|f| f.hit_deadline);
    let integral = super::single_source::integral(inst);
    let proven = bound.is_some_and(|lb| lagrangian::proves_optimal(lb, objective, integral));
    let status = if proven {
        Status::Optimal
    } else if hit_deadline {
        Status::TimeLimit
    } else {
        Status::Feasible
    };
    let solver = if general.is_empty() {
        "decomposition(enumeration)".to_string()
    } else {
        format!("decomposition(enumeration+{})", general[0])
    };
    let out = finish(inst, solution, bound, status, solver, SolveStats::default(), vec![note])?;
    Ok(Decomposed::Solved(Box::new(out)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::task_rng;
    use crate::solve::{SolverKind, solve};
    use crate::testutil::{Shape, brute_force, random_instance};
    use proptest::prelude::*;
    use rand::Rng as _;

    /// A random uncapacitated instance whose clients and facilities are dealt
    /// into `parts` blocks with no link between them.
    fn blocky(seed: u64) -> Instance {
        let mut r = task_rng(seed, 11);
        let parts = r.random_range(2..=4);
        let facilities = r.random_range(parts..=12);
        let p_mode = r.random_bool(0.5);
        let shape = Shape {
            clients: r.random_range(parts..=14),
            facilities,
            p: p_mode.then(|| r.random_range(1..=facilities)),
            open_costs: !p_mode,
            fixed: usize::from(r.random_bool(0.3)),
            forbidden: usize::from(r.random_bool(0.2)),
            penalty: r.random_bool(0.5).then_some(60.0),
            integral: r.random_bool(0.5),
            ..Default::default()
        };
        let mut inst = random_instance(seed, &shape);
        let mut triples = Vec::new();
        for c in 0..inst.n_clients() {
            inst.costs.for_each_link(c, |f, v| {
                if c % parts == f % parts {
                    triples.push((c as u32, f as u32, v));
                }
            });
        }
        inst.costs = Costs::Sparse(SparseCosts::from_triples(inst.n_clients(), inst.n_facilities(), triples));
        if !p_mode && r.random_bool(0.5) {
            inst.max_open = Some(r.random_range(1..=facilities));
        }
        if r.random_bool(0.3) {
            inst.min_open = Some(r.random_range(0..=2));
        }
        inst
    }

    #[test]
    fn blocks_follow_links_and_groups() {
        let mut inst = blocky(3);
        let parts = blocks(&inst);
        assert!(parts.len() >= 2);
        for b in &parts {
            for &c in &b.clients {
                inst.costs.for_each_link(c.index(), |f, _| {
                    let inside = b.facilities.iter().any(|g| g.index() == f);
                    assert!(inst.facilities[f].forbidden || inside, "client {c} links outside");
                });
            }
        }
        // A group joins the blocks of its facilities.
        let first = FacilityIdx::new(0);
        let (a, b) = (parts[0].facilities[first], parts[1].facilities[first]);
        inst.groups = vec![Group { id: 1u64.into(), facilities: vec![a, b], min_open: 0, max_open: None }];
        assert_eq!(blocks(&inst).len(), parts.len() - 1);
    }

    /// A p-median instance of `clients` × `facilities` whose first
    /// `split.0` clients link only to the first `split.1` facilities and the
    /// rest only to the rest: two blocks.
    fn two_blocks(clients: usize, facilities: usize, split: (usize, usize), p: usize) -> Instance {
        let shape = Shape { clients, facilities, p: Some(p), integral: true, ..Default::default() };
        let mut inst = random_instance(7, &shape);
        let mut triples = Vec::new();
        for c in 0..inst.n_clients() {
            inst.costs.for_each_link(c, |f, v| {
                if (c < split.0) == (f < split.1) {
                    triples.push((c as u32, f as u32, v));
                }
            });
        }
        inst.costs = Costs::Sparse(SparseCosts::from_triples(inst.n_clients(), inst.n_facilities(), triples));
        inst
    }

    /// A block the general solver takes costs one solve per count of new
    /// facilities: when it holds most of the model, the decomposition
    /// steps aside for one solve of the whole model; when it is a small
    /// part, the blocks are still solved apart.
    #[test]
    fn a_block_holding_most_of_the_model_is_not_solved_count_by_count() {
        let opts = SolveOptions { threads: 1, ..Default::default() };
        // 30 of 33 clients in a block of 30 facilities, p = 10: 11 general solves of 30 clients.
        let big = two_blocks(33, 32, (30, 30), 10);
        assert_eq!(blocks(&big).len(), 2);
        let sub = sub_instance(&big, &blocks(&big)[0], 0);
        assert!(!enumerable(&sub, free_facilities(&sub).len(), 0, most_new(&sub).min(10)));
        assert!(matches!(solve_by_blocks(&big, &opts, None).unwrap(), Decomposed::NotApplicable));
        let whole = solve(&big, &opts).unwrap();
        assert!(!whole.solver.starts_with("decomposition"), "solved by {}", whole.solver);
        // 3 of 43 clients in the general block: 33 client-solves, under twice the model.
        let small = two_blocks(43, 28, (3, 25), 10);
        assert!(matches!(solve_by_blocks(&small, &opts, None).unwrap(), Decomposed::Solved(_)));
        let split = solve(&small, &opts).unwrap();
        assert!(split.solver.starts_with("decomposition"), "solved by {}", split.solver);
    }

    #[test]
    fn master_picks_the_best_columns_under_the_count() {
        let col = |new, objective| Column { new, objective, bound: objective, solution: None };
        let frontiers = vec![vec![col(0, 10.0), col(1, 4.0), col(2, 3.0)], vec![col(0, 9.0), col(1, 2.0)]];
        // Two new facilities in all: 4 + 2 beats 3 + 9 and 10 + 2.
        assert_eq!(master(&frontiers, 0, 2, |c| c.objective), Some((vec![1, 1], 6.0)));
        assert_eq!(master(&frontiers, 0, 1, |c| c.objective), Some((vec![0, 1], 12.0)));
        assert_eq!(master(&frontiers, 3, 3, |c| c.objective), Some((vec![2, 1], 5.0)));
        assert_eq!(master(&frontiers, 4, 9, |c| c.objective), None);
    }

    #[test]
    fn next_combination_visits_every_subset_once() {
        let mut idx = vec![0, 1];
        let mut seen = vec![idx.clone()];
        while next_combination(&mut idx, 5) {
            seen.push(idx.clone());
        }
        assert_eq!(seen.len(), 10);
        seen.dedup();
        assert_eq!(seen.len(), 10);
    }

    /// A random single-source instance of `n` clients and `m` facilities, all
    /// open, with `penalty` per unserved unit: an open set to value exactly.
    fn all_open(
        seed: u64,
        n: usize,
        m: usize,
        penalty: f64,
        integral: bool,
        tightness: f64,
        max_clients: Option<u32>,
    ) -> Instance {
        let shape = crate::testutil::CapShape {
            base: Shape {
                clients: n,
                facilities: m,
                density: Some(0.8),
                penalty: Some(penalty),
                integral,
                ..Default::default()
            },
            tightness: Some(tightness),
            max_clients,
            single_source: true,
            ..Default::default()
        };
        let mut inst = crate::testutil::random_cap_instance(seed, &shape);
        inst.facilities.iter_mut().for_each(|f| f.fixed_open = true);
        inst
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(crate::testutil::cases(200)))]

        /// The bit-set programme finds the most demand one or two capacitated
        /// facilities can serve, as every assignment tried says.
        #[test]
        fn most_demand_served_matches_enumeration(seed in 0u64..1_000_000) {
            let mut r = task_rng(seed, 13);
            let n = r.random_range(1..=8);
            let m = r.random_range(1..=2);
            let penalty = r.random_range(5.0..60.0);
            let tightness = r.random_range(0.3..1.2);
            let max_clients = r.random_bool(0.6).then(|| r.random_range(1..=4));
            let inst = all_open(seed, n, m, penalty, true, tightness, max_clients);
            let open: Vec<usize> = (0..m).collect();
            let most = most_demand_served(&inst, &open).unwrap();
            // Every assignment: each client to one of the open facilities or none.
            // (served demand, objective, every link worth more than leaving the client unserved)
            let plans: Vec<(f64, f64, bool)> = (0..(m + 1).pow(n as u32)).filter_map(|code| {
                let (mut x, mut load, mut count, mut served, mut worth, mut objective) = (code, vec![0.0; m], vec![0u32; m], 0.0, true, 0.0);
                for c in 0..n {
                    let f = x % (m + 1);
                    x /= m + 1;
                    if f == m {
                        objective += inst.unserved_cost(c).unwrap();
                        continue;
                    }
                    let cost = inst.costs.cost(c, f);
                    if !cost.is_finite() {
                        return None;
                    }
                    worth &= inst.unserved_penalty.unwrap() * inst.clients[c].demand - cost > 0.0;
                    objective += cost;
                    load[f] += inst.clients[c].demand;
                    count[f] += 1;
                    served += inst.clients[c].demand;
                }
                let fits = (0..m).all(|f| {
                    let fac = &inst.facilities[f];
                    fac.capacity.is_none_or(|cap| load[f] <= cap) && fac.max_clients.is_none_or(|k| count[f] <= k)
                });
                fits.then_some((served, objective, worth))
            }).collect();
            // The most demand served through links worth making.
            let best = plans.iter().filter(|p| p.2).map(|p| p.0).fold(0.0, f64::max);
            prop_assert_eq!(most as f64, best);
            // The MIP with the served-demand row finds the least objective of a plan serving it.
            let least = plans.iter().filter(|p| p.0 == best).map(|p| p.1).fold(f64::INFINITY, f64::min);
            match mip::solve_mip_serving(&inst, crate::solve::Backend::best_available(), None, Some(most as f64)).unwrap() {
                mip::MipOutcome::Solved { solution, proven } => {
                    prop_assert!(proven);
                    let v = check(&inst, &solution, None).evaluation.objective;
                    prop_assert!((v - least).abs() <= 1e-6 * least.max(1.0), "mip {} vs least {}", v, least);
                }
                mip::MipOutcome::Infeasible => prop_assert!(false, "the most-demand plan exists"),
            }
        }

        /// With two open facilities, the branch and bound's assignment keeps
        /// every limit and its objective equals the MIP's optimum.
        #[test]
        fn two_hub_assignment_meets_the_mip(seed in 0u64..1_000_000) {
            let mut r = task_rng(seed, 19);
            let n = r.random_range(1..=14);
            let (penalty, integral) = (r.random_range(5.0..60.0), r.random_bool(0.5));
            let tightness = r.random_range(0.2..1.5);
            let max_clients = r.random_bool(0.6).then(|| r.random_range(1..=5));
            let inst = all_open(seed, n, 2, penalty, integral, tightness, max_clients);
            let assignment = two_hub_assignment(&inst, 0, 1, usize::MAX).expect("no node limit, no budget");
            let report = check(&inst, &Solution::from_positions(&[0, 1], &assignment), None);
            prop_assert!(report.is_feasible(), "{:?}", report);
            let v = report.evaluation.objective;
            match mip::solve_mip(&inst, crate::solve::Backend::best_available(), None).unwrap() {
                mip::MipOutcome::Solved { solution, proven } => {
                    prop_assert!(proven);
                    let best = check(&inst, &solution, None).evaluation.objective;
                    prop_assert!((v - best).abs() <= 1e-7 * best.abs().max(1.0), "branch and bound {} vs MIP {}", v, best);
                }
                mip::MipOutcome::Infeasible => prop_assert!(false, "leaving every client unserved is a plan"),
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(crate::testutil::cases(120)))]

        /// On block-structured instances the decomposition (auto) finds the
        /// enumerated optimum, proves it, and says it decomposed.
        #[test]
        fn decomposition_meets_brute_force(seed in 0u64..1_000_000) {
            let inst = blocky(seed);
            prop_assume!(inst.validate().is_ok());
            let opts = SolveOptions { solver: SolverKind::Auto, threads: 1, seed, ..Default::default() };
            let out = solve(&inst, &opts).unwrap();
            match brute_force(&inst) {
                None => prop_assert_eq!(out.status, Status::Infeasible),
                Some((opt, _)) => {
                    prop_assert!((out.objective() - opt).abs() <= 1e-6 * opt.abs().max(1.0), "decomposition {} vs optimum {}", out.objective(), opt);
                    prop_assert_eq!(out.status, Status::Optimal);
                    if blocks(&inst).len() >= 2 {
                        prop_assert!(out.solver.starts_with("decomposition"), "{}", out.solver);
                    }
                }
            }
        }
    }
}
