//! Lower bounds for multi-source CFLP and the branch and bound that proves
//! optimality with them.
//!
//! Relaxing "each client's shares sum to one" (multipliers λᵤ per share) and
//! the budget (μ ≥ 0) separates the problem by facility: facility `i` serves
//! the best shares of its clients with profits λᵤ − cᵤᵢ − μ·bᵤ and weights dᵤ
//! within its capacity — a continuous knapsack, solved greedily — and is worth
//! ρᵢ = fᵢ + μ·chargeᵢ − knapsack(i). The open set minimises Σ ρᵢ·yᵢ:
//!
//! * under the count and group rules when there are any ([`crate::solve::select`]);
//! * otherwise with the aggregate capacity cut Σ sᵢ·yᵢ ≥ Σ dᵤ (valid when
//!   every client must be served): all ρᵢ < 0 open, then a covering 0-1
//!   knapsack over the rest, solved as its complement packing problem. The cut
//!   makes the bound stronger than the LP relaxation with strong linking
//!   (Beasley 1988, EJOR 33, 314–325, §3).
//!
//! L(λ, μ) = Σᵤ λᵤ + Σᵤ min(0, Uᵤ − λᵤ) + min Σ ρᵢ·yᵢ − μ·B ≤ optimum for any λ
//! and μ ≥ 0 (Uᵤ: the cost of leaving u unserved). Multipliers follow the
//! subgradient method with Polyak steps (Held, Wolfe and Crowder, Math.
//! Programming 6 (1974) 62–88).
//!
//! The branch and bound fixes facilities open or closed, depth first. At each
//! node the subgradient restarts from the parent's best multipliers; a node is
//! pruned when its bound reaches the incumbent; a free facility is fixed when
//! the bound with it flipped (the selection re-solved with it forced) reaches
//! the incumbent; when at most [`ENUMERATE_FREE`] facilities are free, every
//! completion is priced exactly by a transportation problem.

use std::time::Instant;

use super::Effort;
use super::model::{MultiSourceModel, Workspace};
use super::search::ScoredOpenSet;
use crate::solve::engine::EngineOptions;
use crate::solve::knapsack::{Item, knapsack_01, knapsack_fractional};
use crate::solve::lagrangian::{Dual, Flat, RunEnd, StepFactor, SubgradientSchedule, Target, ascend, proves_optimal};
use crate::solve::select::{OpenRules, Selector};

/// With at most this many free facilities a node is finished by enumeration.
pub const ENUMERATE_FREE: usize = 10;

/// Knapsack search nodes for the covering selection before using its LP bound.
const COVER_NODES: usize = 50_000;

/// The relaxed solution at one pair of multipliers.
#[derive(Clone, Default)]
struct Relaxed {
    /// Everything except the selection's value.
    base: f64,
    /// ρ per facility.
    rho: Vec<f64>,
    open: Vec<bool>,
    /// Shares per facility in its knapsack.
    shares: Vec<Vec<(u32, f64)>>,
}

/// The multi-source engine's subgradient constants.
pub const MULTI_SOURCE_SCHEDULE: SubgradientSchedule = SubgradientSchedule {
    patience: 20,
    min_step_factor: 1e-5,
    improvement: 0.0,
    target: Target::FlooredGap,
    flat: Flat::Below(1e-18),
};

/// The subgradient state for one set of open-set rules.
pub struct MultiSourceLagrangian {
    lambda: Vec<f64>,
    /// Budget multiplier scaled by the budget.
    mu: f64,
    pub best_bound: f64,
    pub best_lambda: Vec<f64>,
    pub best_mu: f64,
    step: StepFactor,
    pub iterations: usize,
    relaxed: Relaxed,
    grad: Vec<f64>,
    /// The budget multiplier's subgradient at the latest evaluation.
    grad_mu: f64,
    selector: Selector,
}

fn budget_scale(model: &MultiSourceModel) -> f64 {
    if model.ctx.budget.is_finite() { model.ctx.budget.max(1.0) } else { 1.0 }
}

/// Whether the covering selection applies: every client must be served and
/// no count or group rule constrains the open set.
fn cover_applies(model: &MultiSourceModel, rules: &OpenRules) -> bool {
    model.ctx.must_serve && rules.min_open == 0 && rules.max_open >= rules.len() && rules.group_min.is_empty()
}

/// min Σ ρ·y under `rules` (with the capacity cut when it applies); writes the
/// set to `open`. `None` when no set satisfies the rules.
fn select(
    model: &MultiSourceModel,
    rules: &OpenRules,
    rho: &[f64],
    selector: &mut Selector,
    open: &mut [bool],
) -> Option<f64> {
    if !cover_applies(model, rules) {
        return selector.select_open(rho, rules, open).ok();
    }
    let ctx = &model.ctx;
    let m = rho.len();
    let mut value = 0.0;
    let mut have = 0.0;
    let mut candidates = Vec::new();
    for f in 0..m {
        open[f] = rules.fixed[f] || (!rules.forbidden[f] && rho[f] < 0.0);
        if open[f] {
            value += rho[f];
            have += ctx.capacity[f];
        } else if !rules.forbidden[f] {
            candidates.push(f);
        }
    }
    let need = model.must_demand - have;
    if need <= 1e-9 * model.must_demand.max(1.0) {
        return Some(value);
    }
    // Cover `need` at least cost: keep closed the most valuable set whose capacity can be spared.
    let caps: Vec<f64> = candidates.iter().map(|&f| ctx.capacity[f].min(need)).collect();
    let total: f64 = caps.iter().sum();
    if total < need - 1e-9 * model.must_demand.max(1.0) {
        return None;
    }
    let items: Vec<Item> = candidates.iter().zip(&caps).map(|(&f, &w)| Item { profit: rho[f], weight: w }).collect();
    let spare = (total - need).max(0.0);
    let r = knapsack_01(&items, spare, None, COVER_NODES);
    let mut closed = vec![false; candidates.len()];
    for &k in &r.chosen {
        closed[k] = true;
    }
    for (k, &f) in candidates.iter().enumerate() {
        if !closed[k] {
            open[f] = true;
        }
    }
    let sum: f64 = candidates.iter().map(|&f| rho[f]).sum();
    Some(value + sum - r.upper_bound)
}

impl MultiSourceLagrangian {
    /// Starts from multipliers priced on `open` (each client's cheapest open
    /// link), or on each client's cheapest link.
    pub fn new(model: &MultiSourceModel, open: Option<&[bool]>) -> MultiSourceLagrangian {
        let ctx = &model.ctx;
        let (n, m) = (ctx.n_clients(), ctx.n_facilities());
        let lambda: Vec<f64> = (0..n)
            .map(|u| {
                let (fs, cs) = ctx.client_links.of(u);
                let best = fs
                    .iter()
                    .zip(cs)
                    .find(|(f, _)| open.is_none_or(|o| o[**f as usize]))
                    .map_or(ctx.unserved[u], |(_, &c)| c);
                best.min(ctx.unserved[u])
            })
            .collect();
        MultiSourceLagrangian {
            best_lambda: lambda.clone(),
            lambda,
            mu: 0.0,
            best_bound: f64::NEG_INFINITY,
            best_mu: 0.0,
            step: StepFactor::new(2.0),
            iterations: 0,
            relaxed: Relaxed { open: vec![false; m], rho: vec![0.0; m], shares: vec![Vec::new(); m], base: 0.0 },
            grad: vec![0.0; n],
            grad_mu: 0.0,
            selector: Selector::default(),
        }
    }

    /// A copy restarting from this one's best multipliers (for a child node).
    fn child(&self) -> MultiSourceLagrangian {
        MultiSourceLagrangian {
            lambda: self.best_lambda.clone(),
            mu: self.best_mu,
            best_bound: f64::NEG_INFINITY,
            best_lambda: self.best_lambda.clone(),
            best_mu: self.best_mu,
            step: StepFactor::new(1.0),
            iterations: 0,
            relaxed: self.relaxed.clone(),
            grad: self.grad.clone(),
            grad_mu: 0.0,
            selector: Selector::default(),
        }
    }

    /// L(λ, μ) at `lambda` and the scaled budget multiplier `mu` under the
    /// model's own rules, before any maximisation or cap; `None` when no open
    /// set satisfies the rules.
    #[cfg(test)]
    pub(crate) fn value_at(&mut self, model: &MultiSourceModel, lambda: &[f64], mu: f64) -> Option<f64> {
        self.lambda.copy_from_slice(lambda);
        self.mu = mu;
        self.evaluate(model, &model.ctx.rules).map(|v| v.0)
    }

    /// L at the current multipliers; fills the relaxed solution and the subgradient.
    fn evaluate(&mut self, model: &MultiSourceModel, rules: &OpenRules) -> Option<(f64, f64)> {
        let ctx = &model.ctx;
        let (n, m) = (ctx.n_clients(), ctx.n_facilities());
        let scale = budget_scale(model);
        let mu = self.mu / scale;
        let mut items = Vec::new();
        let mut who = Vec::new();
        for f in 0..m {
            let shares = &mut self.relaxed.shares[f];
            shares.clear();
            let mut knap = 0.0;
            if !rules.forbidden[f] {
                items.clear();
                who.clear();
                let (us, cs) = ctx.facility_links.of(f);
                for (&u, &c) in us.iter().zip(cs) {
                    let profit = self.lambda[u as usize] - c - mu * ctx.client_charge[u as usize];
                    if profit > 0.0 {
                        items.push(Item { profit, weight: ctx.demand[u as usize] });
                        who.push(u);
                    }
                }
                if !items.is_empty() {
                    let (v, s) = knapsack_fractional(&items, ctx.capacity[f]);
                    knap = v;
                    shares.extend(s.iter().enumerate().filter(|x| *x.1 > 0.0).map(|(k, &x)| (who[k], x)));
                }
            }
            self.relaxed.rho[f] = ctx.open_cost[f] + mu * ctx.charge[f] - knap;
        }
        let mut base = if ctx.budget.is_finite() { -mu * ctx.budget } else { 0.0 };
        for u in 0..n {
            let l = self.lambda[u];
            base += l + (ctx.unserved[u] - l).min(0.0);
            self.grad[u] = if ctx.unserved[u] < l { 0.0 } else { 1.0 };
        }
        self.relaxed.base = base;
        let chosen = select(model, rules, &self.relaxed.rho, &mut self.selector, &mut self.relaxed.open)?;
        let mut spend = 0.0;
        for f in 0..m {
            if self.relaxed.open[f] {
                spend += ctx.charge[f];
                for &(u, s) in &self.relaxed.shares[f] {
                    self.grad[u as usize] -= s;
                    spend += s * ctx.client_charge[u as usize];
                }
            }
        }
        let grad_mu = if ctx.budget.is_finite() { (spend - ctx.budget) / scale } else { 0.0 };
        Some((base + chosen, grad_mu))
    }

    /// Subgradient steps toward `upper_bound`; `visit(open)` may price a
    /// relaxed open set and return the incumbent cost. Returns the best bound
    /// (−∞ when the rules admit no open set).
    pub fn run(
        &mut self,
        model: &MultiSourceModel,
        rules: &OpenRules,
        upper_bound: &mut f64,
        max_iterations: usize,
        deadline: Option<Instant>,
        visit: &mut dyn FnMut(&[bool]) -> f64,
    ) -> f64 {
        let mut run = Run { lag: self, model, rules, visit };
        if ascend(&mut run, &MULTI_SOURCE_SCHEDULE, upper_bound, false, max_iterations, deadline) == RunEnd::Infeasible
        {
            self.best_bound = f64::INFINITY;
        }
        self.best_bound
    }

    /// The relaxed solution at the best multipliers (re-evaluated).
    fn at_best(&mut self, model: &MultiSourceModel, rules: &OpenRules) -> Option<f64> {
        self.lambda.clone_from(&self.best_lambda);
        self.mu = self.best_mu;
        self.evaluate(model, rules).map(|v| v.0)
    }
}

/// One run of the driver over the multi-source dual under one node's rules.
struct Run<'r, 'c> {
    lag: &'r mut MultiSourceLagrangian,
    model: &'r MultiSourceModel<'c>,
    rules: &'r OpenRules,
    visit: &'r mut dyn FnMut(&[bool]) -> f64,
}

impl Dual for Run<'_, '_> {
    fn evaluate(&mut self) -> Option<f64> {
        let (value, grad_mu) = self.lag.evaluate(self.model, self.rules)?;
        self.lag.grad_mu = grad_mu;
        self.lag.iterations += 1;
        Some(value)
    }

    fn best_bound(&self) -> f64 {
        self.lag.best_bound
    }

    fn keep_best(&mut self, value: f64) {
        let lag = &mut *self.lag;
        lag.best_bound = value;
        lag.best_lambda.clone_from(&lag.lambda);
        lag.best_mu = lag.mu;
    }

    fn visit(&mut self, iteration: usize) -> Option<f64> {
        (iteration < 30 || iteration.is_multiple_of(5)).then(|| (self.visit)(&self.lag.relaxed.open))
    }

    fn norm2(&self) -> f64 {
        let mut norm2: f64 = self.lag.grad.iter().map(|g| g * g).sum();
        if self.model.ctx.budget.is_finite() {
            norm2 += self.lag.grad_mu * self.lag.grad_mu;
        }
        norm2
    }

    fn step(&mut self, step: f64) {
        let lag = &mut *self.lag;
        for (l, g) in lag.lambda.iter_mut().zip(&lag.grad) {
            *l = (*l + step * g).max(0.0);
        }
        if self.model.ctx.budget.is_finite() {
            lag.mu = (lag.mu + step * lag.grad_mu).max(0.0);
        }
    }

    fn step_factor(&mut self) -> &mut StepFactor {
        &mut self.lag.step
    }
}

/// What the branch and bound established.
pub struct BranchResult {
    /// A valid lower bound on the optimum (the incumbent's cost when exhausted).
    pub lower_bound: f64,
    /// Every node was pruned or enumerated: the incumbent is optimal.
    pub exhausted: bool,
    pub nodes: usize,
    pub iterations: usize,
}

struct Node {
    rules: OpenRules,
    lag: MultiSourceLagrangian,
    /// The parent's bound (a bound for this node too).
    parent_bound: f64,
}

/// Depth-first branch and bound from the root relaxation `root`; improves `inc` in place.
pub fn branch_and_bound(
    model: &MultiSourceModel,
    root: &MultiSourceLagrangian,
    inc: &mut ScoredOpenSet,
    opts: &EngineOptions<Effort>,
) -> BranchResult {
    let ctx = &model.ctx;
    let m = model.n_facilities();
    let mut ws = Workspace::default();
    let mut stack = vec![Node { rules: ctx.rules.clone(), lag: root.child(), parent_bound: root.best_bound }];
    let (mut nodes, mut iterations) = (0usize, 0usize);
    let mut open_bounds: Vec<f64> = Vec::new();
    while let Some(mut node) = stack.pop() {
        if proves_optimal(node.parent_bound, inc.cost, false) {
            continue;
        }
        if nodes >= opts.effort.max_nodes || opts.deadline.is_some_and(|d| Instant::now() >= d) {
            open_bounds.push(node.parent_bound);
            open_bounds.extend(stack.iter().map(|n| n.parent_bound));
            break;
        }
        nodes += 1;
        let free: Vec<usize> = (0..m).filter(|&f| !node.rules.fixed[f] && !node.rules.forbidden[f]).collect();
        if free.len() <= ENUMERATE_FREE {
            enumerate(model, &node.rules, &free, inc, &mut ws);
            continue;
        }
        let mut ub = inc.cost;
        let iters = if nodes == 1 { opts.effort.root_iterations / 2 } else { opts.effort.node_iterations };
        let mut visit = |open: &[bool]| {
            if model.admissible(open) {
                let c = model.cost(open, &mut ws);
                if c < inc.cost {
                    *inc = ScoredOpenSet { open: open.to_vec(), cost: c };
                }
            }
            inc.cost
        };
        let before = node.lag.iterations;
        let bound = node.lag.run(model, &node.rules, &mut ub, iters, opts.deadline, &mut visit).max(node.parent_bound);
        iterations += node.lag.iterations - before;
        if proves_optimal(bound, inc.cost, false) {
            continue;
        }
        // Fix free facilities whose flip alone lifts the bound to the incumbent.
        if node.lag.at_best(model, &node.rules).is_none() {
            continue;
        }
        let relaxed = node.lag.relaxed.clone();
        let mut rules = node.rules.clone();
        let mut scratch = vec![false; m];
        let mut selector = Selector::default();
        // Each test is against the node's own rules, so every fixing is valid on its own.
        for &f in &free {
            let was = relaxed.open[f];
            let mut flipped = node.rules.clone();
            if was {
                flipped.forbidden[f] = true;
            } else {
                flipped.fixed[f] = true;
            }
            let lifted = select(model, &flipped, &relaxed.rho, &mut selector, &mut scratch)
                .map_or(f64::INFINITY, |v| relaxed.base + v);
            if proves_optimal(lifted, inc.cost, false) {
                if was {
                    rules.fixed[f] = true;
                } else {
                    rules.forbidden[f] = true;
                }
            }
        }
        let free: Vec<usize> = (0..m).filter(|&f| !rules.fixed[f] && !rules.forbidden[f]).collect();
        if free.len() <= ENUMERATE_FREE {
            enumerate(model, &rules, &free, inc, &mut ws);
            continue;
        }
        // Branch on the free facility the relaxation is least sure of.
        let f = *free
            .iter()
            .min_by(|&&a, &&b| relaxed.rho[a].abs().total_cmp(&relaxed.rho[b].abs()).then(a.cmp(&b)))
            .unwrap();
        let first_open = inc.open[f];
        for open_it in [!first_open, first_open] {
            let mut r = rules.clone();
            if open_it {
                r.fixed[f] = true;
            } else {
                r.forbidden[f] = true;
            }
            stack.push(Node { rules: r, lag: node.lag.child(), parent_bound: bound });
        }
    }
    let exhausted = open_bounds.is_empty();
    let lower_bound = if exhausted { inc.cost } else { open_bounds.iter().copied().fold(inc.cost, f64::min) };
    BranchResult { lower_bound, exhausted, nodes, iterations }
}

/// Prices every admissible completion of the free facilities exactly.
fn enumerate(model: &MultiSourceModel, rules: &OpenRules, free: &[usize], inc: &mut ScoredOpenSet, ws: &mut Workspace) {
    let m = model.n_facilities();
    let mut open: Vec<bool> = (0..m).map(|f| rules.fixed[f]).collect();
    let base_cap: f64 = (0..m).filter(|&f| open[f]).map(|f| model.ctx.capacity[f]).sum();
    for mask in 0u32..(1u32 << free.len()) {
        let mut cap = base_cap;
        for (k, &f) in free.iter().enumerate() {
            open[f] = mask & (1 << k) != 0;
            if open[f] {
                cap += model.ctx.capacity[f];
            }
        }
        if cap < model.must_demand * (1.0 - 1e-12) || !model.admissible(&open) {
            continue;
        }
        let c = model.cost(&open, ws);
        if c < inc.cost {
            *inc = ScoredOpenSet { open: open.clone(), cost: c };
        }
    }
}
