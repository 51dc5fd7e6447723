//! Lagrangian relaxation for capacitated location, single- and multi-source,
//! with budgets, groups and penalties.
//!
//! Relaxing "each client is served once" (multipliers λᵤ) and the budget
//! (multiplier μ ≥ 0) separates the problem by facility: facility `i`
//! chooses the clients worth serving — a knapsack over its allowed clients
//! with profits λᵤ − cᵤᵢ − μ·bᵤ, weights dᵤ, its capacity and client limit
//! (0-1 for single-source, fractional for multi-source) — and is worth
//! ρᵢ = fᵢ + μ·bᵢ − knapsack(i). The open set then minimises Σ ρᵢ under the
//! structural rules (exact, see [`crate::solve::select`]), and
//!
//! L(λ, μ) = Σᵤ λᵤ + Σᵤ min(0, Uᵤ − λᵤ) + Σ_{i open} ρᵢ − μ·B ≤ optimum.
//!
//! With 0-1 knapsacks the bound is stronger than the LP relaxation (the
//! subproblem lacks the integrality property). The multipliers follow the
//! subgradient method with Polyak steps; when no client is charged to the
//! budget the knapsacks do not depend on μ, and μ is instead chosen exactly
//! at every iteration (the open-set part is concave and piecewise linear in
//! μ, so bisection finds its maximum). Keeping the budget as a constraint in
//! the open-set subproblem (a knapsack over facilities with group counts, by
//! dynamic programming) was tried and gave no measurable gain on the
//! generated family (7,916,481 against 7,916,544 on seed 1) at five times the
//! cost per iteration, so it is not done. References: J. E. Beasley, "An
//! algorithm for solving large capacitated warehouse location problems",
//! EJOR 33 (1988) 314–325 (the CFLP relaxation); K. Holmberg, M. Rönnqvist,
//! D. Yuan, EJOR 113 (1999) 544–559 (single sourcing); L. A. N. Lorena and
//! E. L. F. Senne, Computers & OR 31 (2004) 863–876 (capacitated p-median).

use std::time::Instant;

use rayon::prelude::*;

use crate::solve::context::CapContext;
use crate::solve::knapsack::{Item, knapsack_01, knapsack_fractional};
use crate::solve::lagrangian::{Dual, Flat, StepFactor, SubgradientSchedule, Target, ascend};
use crate::solve::select::{OpenRules, Selector};

/// Knapsack search nodes per facility and iteration before settling for the
/// LP bound (the relaxation stays valid: an upper bound on the knapsack is used).
const KNAPSACK_NODES: usize = 20_000;

/// The budget's scale for its multiplier (1 when there is no budget).
fn budget_scale(ctx: &CapContext) -> f64 {
    if ctx.budget.is_finite() { ctx.budget.max(1.0) } else { 1.0 }
}

/// One facility's part of the relaxed solution.
#[derive(Clone, Default)]
pub struct Pick {
    /// Upper bound on the knapsack value (what the bound uses).
    pub value: f64,
    /// Chosen clients and their shares (1 for single-source).
    pub clients: Vec<(u32, f64)>,
}

/// The capacitated (single-source) engine's subgradient constants.
pub const SINGLE_SOURCE_SCHEDULE: SubgradientSchedule = SubgradientSchedule {
    patience: 30,
    min_step_factor: 1e-4,
    improvement: 1e-12,
    target: Target::AboveValue { finite_only: true },
    flat: Flat::Exact,
};

pub struct SingleSourceLagrangian {
    lambda: Vec<f64>,
    /// Multiplier of the budget row scaled by the budget (Σ spend / B ≤ 1), so
    /// that its subgradient is on the clients' scale; μ = mu / B.
    mu: f64,
    pub best_bound: f64,
    pub best_lambda: Vec<f64>,
    pub best_mu: f64,
    step: StepFactor,
    pub iterations: usize,
    /// The relaxed solution of the latest evaluation.
    pub open: Vec<bool>,
    pub picks: Vec<Pick>,
    pub rho: Vec<f64>,
    grad: Vec<f64>,
    grad_mu: f64,
    selector: Selector,
    /// The open-set rules (the model's, or a restriction to one open set).
    rules: OpenRules,
}

impl SingleSourceLagrangian {
    /// Starts from multipliers `lambda0` (for example each client's cost in a
    /// known solution).
    pub fn new(ctx: &CapContext, lambda0: Vec<f64>) -> SingleSourceLagrangian {
        let (n, m) = (ctx.n_clients(), ctx.n_facilities());
        SingleSourceLagrangian {
            lambda: lambda0.clone(),
            mu: 0.0,
            best_bound: f64::NEG_INFINITY,
            best_lambda: lambda0,
            best_mu: 0.0,
            step: StepFactor::new(2.0),
            iterations: 0,
            open: vec![false; m],
            picks: vec![Pick::default(); m],
            rho: vec![0.0; m],
            grad: vec![0.0; n],
            grad_mu: 0.0,
            selector: Selector::default(),
            rules: ctx.rules.clone(),
        }
    }

    /// Fixes the open set to `open` (everything else closed): the relaxation of
    /// the assignment alone, whose picks guide the repair of that open set.
    pub fn restricted_to(mut self, open: &[bool]) -> Self {
        for f in 0..open.len() {
            self.rules.fixed[f] = open[f];
            self.rules.forbidden[f] = !open[f];
        }
        let k = open.iter().filter(|&&o| o).count();
        self.rules.min_open = k;
        self.rules.max_open = k;
        self.rules.group_min.iter_mut().for_each(|g| *g = 0);
        self.rules.group_max.iter_mut().for_each(|g| *g = usize::MAX);
        self
    }

    /// A fingerprint of the relaxed solution (open set and picks), to avoid
    /// repairing the same relaxed solution twice.
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for f in 0..self.open.len() {
            if self.open[f] {
                f.hash(&mut h);
                for &(u, s) in &self.picks[f].clients {
                    u.hash(&mut h);
                    s.to_bits().hash(&mut h);
                }
            }
        }
        h.finish()
    }

    pub fn reheat(&mut self) {
        self.step.reheat();
    }

    /// Runs subgradient steps toward `upper_bound`; after each evaluation
    /// `visit(self)` may build a primal solution from the relaxed one.
    /// Returns the best bound.
    pub fn run(
        &mut self,
        ctx: &CapContext,
        upper_bound: &mut f64,
        integral: bool,
        max_iterations: usize,
        deadline: Option<Instant>,
        visit: &mut dyn FnMut(&SingleSourceLagrangian, usize) -> Option<f64>,
    ) -> f64 {
        let mut run = Run { lag: self, ctx, visit };
        ascend(&mut run, &SINGLE_SOURCE_SCHEDULE, upper_bound, integral, max_iterations, deadline);
        self.best_bound
    }

    /// L(λ, μ) at `lambda` and the scaled budget multiplier `mu`, before any
    /// maximisation or cap (μ is still chosen exactly when the knapsacks do
    /// not depend on it); `None` when no open set satisfies the rules.
    #[cfg(test)]
    pub(crate) fn value_at(&mut self, ctx: &CapContext, lambda: &[f64], mu: f64) -> Option<f64> {
        self.lambda.copy_from_slice(lambda);
        self.mu = mu;
        self.evaluate(ctx)
    }

    /// L(λ, μ) at the current multipliers, with the relaxed solution and the
    /// subgradient; `None` when no open set satisfies the rules.
    fn evaluate(&mut self, ctx: &CapContext) -> Option<f64> {
        let (n, m) = (ctx.n_clients(), ctx.n_facilities());
        let scale = budget_scale(ctx);
        let (lambda, mu, rules) = (&self.lambda, self.mu / scale, &self.rules);
        self.picks.par_iter_mut().enumerate().for_each(|(f, pick)| {
            pick.clients.clear();
            pick.value = 0.0;
            if rules.forbidden[f] {
                return;
            }
            let (us, cs) = ctx.facility_links.of(f);
            let mut items = Vec::new();
            let mut who = Vec::new();
            for (&u, &c) in us.iter().zip(cs) {
                let profit = lambda[u as usize] - c - mu * ctx.client_charge[u as usize];
                if profit > 0.0 {
                    items.push(Item { profit, weight: ctx.demand[u as usize] });
                    who.push(u);
                }
            }
            if items.is_empty() {
                return;
            }
            let limit = (ctx.max_clients[f] != u32::MAX).then_some(ctx.max_clients[f] as usize);
            if ctx.single_source || limit.is_some() {
                let r = knapsack_01(&items, ctx.capacity[f], limit, KNAPSACK_NODES);
                pick.value = r.upper_bound;
                pick.clients.extend(r.chosen.iter().map(|&k| (who[k], 1.0)));
            } else {
                let (value, shares) = knapsack_fractional(&items, ctx.capacity[f]);
                pick.value = value;
                pick.clients.extend(shares.iter().enumerate().filter(|s| *s.1 > 0.0).map(|(k, &s)| (who[k], s)));
            }
        });
        let budgeted = ctx.budget.is_finite();
        let exact_mu = budgeted && ctx.client_charge.iter().all(|&b| b == 0.0);
        let (chosen, mu) = if exact_mu {
            // The knapsacks do not depend on μ: choose the best μ for these λ exactly.
            let mu = self.best_budget_multiplier(ctx, mu)?;
            self.mu = mu * scale;
            for f in 0..m {
                self.rho[f] = ctx.open_cost[f] + mu * ctx.charge[f] - self.picks[f].value;
            }
            (self.selector.select_open(&self.rho, &self.rules, &mut self.open).ok()?, mu)
        } else {
            for f in 0..m {
                self.rho[f] = ctx.open_cost[f] + mu * ctx.charge[f] - self.picks[f].value;
            }
            (self.selector.select_open(&self.rho, &self.rules, &mut self.open).ok()?, mu)
        };
        let mut value = chosen - if budgeted { mu * ctx.budget } else { 0.0 };
        for u in 0..n {
            let l = self.lambda[u];
            value += l + (ctx.unserved[u] - l).min(0.0);
            self.grad[u] = 1.0 - if ctx.unserved[u] < l { 1.0 } else { 0.0 };
        }
        let mut spend = 0.0;
        for f in 0..m {
            if self.open[f] {
                spend += ctx.charge[f];
                for &(u, share) in &self.picks[f].clients {
                    self.grad[u as usize] -= share;
                    spend += share * ctx.client_charge[u as usize];
                }
            }
        }
        // With μ chosen exactly it takes no subgradient step.
        self.grad_mu = if exact_mu { 0.0 } else { (spend - ctx.budget) / scale };
        Some(value)
    }

    /// The budget multiplier maximising L(λ, ·) for the current knapsack
    /// values (valid when no client is charged to the budget, so that the
    /// knapsacks do not depend on μ). The open-set part
    /// g(μ) = min_y Σ (aᵢ + μ·bᵢ) yᵢ − μ·B is concave and piecewise linear with
    /// subgradient spend(y) − B: bisection brackets the breakpoint where the
    /// spend crosses the budget, and the two pieces around it meet at the
    /// maximum. `warm` (the previous μ) seeds the bracket. `None` when no open
    /// set satisfies the rules.
    fn best_budget_multiplier(&mut self, ctx: &CapContext, warm: f64) -> Option<f64> {
        let m = ctx.n_facilities();
        let base: Vec<f64> = (0..m).map(|f| ctx.open_cost[f] - self.picks[f].value).collect();
        let mut values = vec![0.0; m];
        let budget = ctx.budget;
        // g(μ) and spend(y(μ)) − B at one μ.
        let mut at = |mu: f64, sel: &mut Selector, open: &mut Vec<bool>| -> Option<(f64, f64)> {
            for f in 0..m {
                values[f] = base[f] + mu * ctx.charge[f];
            }
            let v = sel.select_open(&values, &self.rules, open).ok()?;
            let spend: f64 = (0..m).filter(|&f| open[f]).map(|f| ctx.charge[f]).sum();
            Some((v - mu * budget, spend - budget))
        };
        let mut open = vec![false; m];
        let sel = &mut self.selector;
        let (g0, s0) = at(0.0, sel, &mut open)?;
        if s0 <= 0.0 {
            return Some(0.0);
        }
        // Bracket: lo over budget, hi within it.
        let (mut lo, mut glo, mut slo) = (0.0, g0, s0);
        let charge_scale = ctx.charge.iter().cloned().filter(|&b| b > 0.0).fold(f64::INFINITY, f64::min);
        let spread = base.iter().map(|b| b.abs()).fold(0.0, f64::max);
        let mut hi = if warm > 0.0 { warm * 1.5 } else { (spread / charge_scale.max(1e-12)).max(1e-9) };
        let (mut ghi, mut shi);
        let mut tries = 0;
        loop {
            let (g, s) = at(hi, sel, &mut open)?;
            if s <= 0.0 {
                (ghi, shi) = (g, s);
                break;
            }
            (lo, glo, slo) = (hi, g, s);
            hi *= 2.0;
            tries += 1;
            if tries > 80 || !hi.is_finite() {
                // The budget binds whatever μ is: the bound grows without limit here.
                return Some(lo);
            }
        }
        for _ in 0..60 {
            if hi - lo <= 1e-12 * hi.max(1e-300) {
                break;
            }
            let mid = 0.5 * (lo + hi);
            let (g, s) = at(mid, sel, &mut open)?;
            if s > 0.0 {
                (lo, glo, slo) = (mid, g, s);
            } else {
                (hi, ghi, shi) = (mid, g, s);
            }
        }
        // Lines g(μ) = glo + slo (μ − lo) and ghi + shi (μ − hi) cross at μ*.
        let star = if slo - shi > 0.0 { (ghi - glo + slo * lo - shi * hi) / (slo - shi) } else { lo };
        let star = star.clamp(lo, hi);
        let (gs, _) = at(star, sel, &mut open)?;
        [(glo, lo), (ghi, hi), (gs, star)].into_iter().max_by(|a, b| a.0.total_cmp(&b.0)).map(|x| x.1)
    }
}

/// One run of the driver over the single-source dual.
struct Run<'r, 'c> {
    lag: &'r mut SingleSourceLagrangian,
    ctx: &'r CapContext<'c>,
    visit: &'r mut dyn FnMut(&SingleSourceLagrangian, usize) -> Option<f64>,
}

impl Dual for Run<'_, '_> {
    fn evaluate(&mut self) -> Option<f64> {
        let value = self.lag.evaluate(self.ctx)?;
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

    fn visit(&mut self, _iteration: usize) -> Option<f64> {
        (self.visit)(self.lag, self.lag.iterations)
    }

    fn norm2(&self) -> f64 {
        let mut norm2: f64 = self.lag.grad.iter().map(|g| g * g).sum();
        if self.ctx.budget.is_finite() {
            norm2 += self.lag.grad_mu * self.lag.grad_mu;
        }
        norm2
    }

    fn step(&mut self, step: f64) {
        let lag = &mut *self.lag;
        for (l, g) in lag.lambda.iter_mut().zip(&lag.grad) {
            *l = (*l + step * g).max(0.0);
        }
        if self.ctx.budget.is_finite() {
            lag.mu = (lag.mu + step * lag.grad_mu).max(0.0);
        }
    }

    fn step_factor(&mut self) -> &mut StepFactor {
        &mut self.lag.step
    }
}
