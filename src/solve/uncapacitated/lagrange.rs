//! Lagrangian lower bound for uncapacitated location (p-median and UFLP, with
//! fixed-open and forbidden facilities, open-count limits and unserved
//! penalties), by subgradient optimisation.
//!
//! Relaxing "each client is served once" with multipliers λᵤ leaves, for each
//! facility, ρᵢ = fᵢ + Σᵤ min(0, d(u,i) − λᵤ); the relaxed problem opens the
//! allowed set of facilities with the smallest ρ (exactly `p` of them for the
//! p-median), so L(λ) = Σᵤ λᵤ + Σᵤ min(0, Uᵤ − λᵤ) + Σ_{i open} ρᵢ ≤ optimum.
//! Multipliers follow Held, Wolfe & Crowder's subgradient method with Polyak
//! steps toward the best known objective, as applied to the p-median by
//! J. E. Beasley, "Lagrangean heuristics for location problems", EJOR 65
//! (1993) 383–399.
//!
//! Each evaluation touches only the facilities with d(u,i) < λᵤ, found by
//! walking the client's sorted candidate list, so an iteration costs far less
//! than a pass over the full cost matrix.

use std::time::Instant;

use rayon::prelude::*;

use super::swap::SwapContext;
use crate::solve::lagrangian::{Dual, Flat, StepFactor, SubgradientSchedule, Target, ascend, proves_optimal};

/// Subgradient state; can be resumed with a better upper bound.
pub struct Lagrangian {
    lambda: Vec<f64>,
    pub best_bound: f64,
    pub best_lambda: Vec<f64>,
    /// Facilities open in the relaxed solution at the best multipliers.
    pub best_open: Vec<usize>,
    /// ρ at the best multipliers (for reduced-cost fixing).
    pub best_rho: Vec<f64>,
    /// Exponential average of the relaxed open sets: a primal estimate whose
    /// fractional entries suggest where to branch.
    pub y_average: Vec<f64>,
    step: StepFactor,
    schedule: SubgradientSchedule,
    pub iterations: usize,
    /// Work done so far: candidate-list entries scanned plus facilities ranked
    /// (deterministic, proportional to time; used for effort limits).
    pub work: u64,
    chunks: usize,
    partial: Vec<Vec<f64>>,
    counts: Vec<u64>,
    rho: Vec<f64>,
    y: Vec<bool>,
    grad: Vec<f64>,
    /// Scratch for choosing the relaxed open set.
    free: Vec<(f64, usize)>,
    chosen: Vec<usize>,
}

/// The uncapacitated engine's subgradient constants.
pub const UNCAPACITATED_SCHEDULE: SubgradientSchedule = SubgradientSchedule {
    patience: 25,
    min_step_factor: 1e-5,
    improvement: 1e-12,
    target: Target::AboveValue { finite_only: false },
    flat: Flat::Exact,
};

impl Lagrangian {
    /// Starts from multipliers `lambda0` (for example the heuristic's service costs).
    pub fn new(ctx: &SwapContext, lambda0: Vec<f64>) -> Lagrangian {
        let n = lambda0.len();
        let m = ctx.inst.n_facilities();
        // Fixed chunking (independent of the thread count) keeps sums deterministic.
        let chunks = (n / 128).clamp(1, 16);
        Lagrangian {
            lambda: lambda0.clone(),
            best_bound: f64::NEG_INFINITY,
            best_lambda: lambda0,
            best_open: Vec::new(),
            best_rho: vec![0.0; m],
            y_average: vec![0.0; m],
            step: StepFactor::new(2.0),
            schedule: UNCAPACITATED_SCHEDULE,
            iterations: 0,
            work: 0,
            chunks,
            counts: vec![0; chunks],
            partial: vec![vec![0.0; m]; chunks],
            rho: vec![0.0; m],
            y: vec![false; m],
            grad: vec![0.0; n],
            free: Vec::with_capacity(m),
            chosen: Vec::with_capacity(m),
        }
    }

    /// Sets the starting step factor and how many non-improving iterations halve it
    /// (short settings suit warm-started nodes of a branch-and-bound tree).
    pub fn with_schedule(mut self, pi: f64, patience: usize) -> Self {
        self.step = StepFactor::new(pi);
        self.schedule.patience = patience.max(1);
        self
    }

    /// True once the step factor is exhausted (further iterations will not help).
    pub fn converged(&self) -> bool {
        self.step.converged(&self.schedule)
    }

    /// Gives the method fresh step length (after the upper bound improved).
    pub fn reheat(&mut self) {
        self.step.reheat();
    }

    /// Runs up to `max_iterations` subgradient steps toward `upper_bound`;
    /// stops early when the bound proves `upper_bound` optimal, when the
    /// step factor is exhausted, or at `deadline`. Returns the best bound.
    pub fn run(
        &mut self,
        ctx: &SwapContext,
        upper_bound: f64,
        integral: bool,
        max_iterations: usize,
        deadline: Option<Instant>,
    ) -> f64 {
        let mut upper_bound = upper_bound;
        let schedule = self.schedule;
        ascend(&mut Run { lag: self, ctx }, &schedule, &mut upper_bound, integral, max_iterations, deadline);
        self.best_bound
    }

    /// L(λ) at `lambda`, before any maximisation or cap: what the bound's
    /// validity rests on (every such value is at most the optimum).
    #[cfg(test)]
    pub(crate) fn value_at(&mut self, ctx: &SwapContext, lambda: &[f64]) -> f64 {
        self.lambda.copy_from_slice(lambda);
        self.evaluate(ctx)
    }

    /// L(λ) at the current multipliers; fills `y` and the subgradient.
    fn evaluate(&mut self, ctx: &SwapContext) -> f64 {
        let n = self.lambda.len();
        let m = self.rho.len();
        let lists = ctx.lists;
        let costs = &ctx.inst.costs;
        let lambda = &self.lambda;
        let per = n.div_ceil(self.chunks);
        self.partial.par_iter_mut().zip(self.counts.par_iter_mut()).enumerate().for_each(|(k, (part, count))| {
            part.fill(0.0);
            *count = 0;
            for u in k * per..((k + 1) * per).min(n) {
                let l = lambda[u];
                *count += lists.for_each_below(costs, u, l, |f, d| part[f] += d - l) as u64;
            }
        });
        for f in 0..m {
            let mut r = ctx.open_cost[f];
            for part in &self.partial {
                r += part[f];
            }
            self.rho[f] = r;
        }
        // Pass 2 walks about as far as pass 1; ranking touches every facility.
        self.work += 2 * self.counts.iter().sum::<u64>() + n as u64 + 2 * m as u64;
        let chosen = self.choose_open(ctx);
        let mut value: f64 = chosen;
        for u in 0..n {
            value += self.lambda[u] + (ctx.unserved[u] - self.lambda[u]).min(0.0);
        }
        // Subgradient: 1 − (number of chosen facilities cheaper than λᵤ, the unserved option included).
        let lambda = &self.lambda;
        let y = &self.y;
        let chosen = &self.chosen;
        // With few open facilities, looking each one up beats walking the list.
        let lookup = chosen.len() <= 16;
        self.grad.par_iter_mut().enumerate().for_each(|(u, g)| {
            let l = lambda[u];
            let mut served = if ctx.unserved[u] < l { 1.0 } else { 0.0 };
            if lookup {
                for &f in chosen {
                    if costs.cost(u, f) < l {
                        served += 1.0;
                    }
                }
                *g = 1.0 - served;
                return;
            }
            lists.for_each_below(costs, u, l, |f, _| {
                if y[f] {
                    served += 1.0;
                }
            });
            *g = 1.0 - served;
        });
        value
    }

    /// Reduced-cost fixing at the best multipliers: facilities that must be
    /// open (`.0`) or closed (`.1`) in any solution better than `upper_bound`,
    /// because forcing them the other way lifts the bound to `upper_bound`.
    pub fn reduced_cost_fixing(&self, ctx: &SwapContext, upper_bound: f64, integral: bool) -> (Vec<usize>, Vec<usize>) {
        let m = self.best_rho.len();
        let (mut must_open, mut must_close) = (Vec::new(), Vec::new());
        if self.best_bound == f64::NEG_INFINITY {
            return (must_open, must_close);
        }
        let lb = self.best_bound;
        let rho = &self.best_rho;
        let mut is_chosen = vec![false; m];
        for &f in &self.best_open {
            is_chosen[f] = true;
        }
        let free: Vec<usize> = (0..m).filter(|&f| !ctx.fixed[f] && !ctx.forbidden[f]).collect();
        let cuts = |v: f64| proves_optimal(v, upper_bound, integral);
        match ctx.p {
            Some(_) => {
                let last = free.iter().filter(|&&f| is_chosen[f]).map(|&f| rho[f]).fold(f64::NEG_INFINITY, f64::max);
                let next = free.iter().filter(|&&f| !is_chosen[f]).map(|&f| rho[f]).fold(f64::INFINITY, f64::min);
                for &f in &free {
                    if is_chosen[f] {
                        if next == f64::INFINITY || cuts(lb - rho[f] + next) {
                            must_open.push(f);
                        }
                    } else if last == f64::NEG_INFINITY || cuts(lb + rho[f] - last) {
                        must_close.push(f);
                    }
                }
            }
            None => {
                let k = self.best_open.len();
                for &f in &free {
                    if is_chosen[f] && k > ctx.min_open && cuts(lb - rho[f].min(0.0)) {
                        must_open.push(f);
                    } else if !is_chosen[f] && k < ctx.max_open && cuts(lb + rho[f].max(0.0)) {
                        must_close.push(f);
                    }
                }
            }
        }
        (must_open, must_close)
    }

    /// Opens the facilities of the relaxed problem: all fixed ones, then the
    /// allowed ones with the smallest ρ (exactly `p`, or every negative ρ within
    /// the open-count limits). Returns Σ ρ over the open set.
    fn choose_open(&mut self, ctx: &SwapContext) -> f64 {
        let m = self.rho.len();
        self.y.fill(false);
        self.chosen.clear();
        let mut total = 0.0;
        let mut count = 0;
        for f in 0..m {
            if ctx.fixed[f] {
                self.y[f] = true;
                self.chosen.push(f);
                total += self.rho[f];
                count += 1;
            }
        }
        let free = &mut self.free;
        free.clear();
        free.extend((0..m).filter(|&f| !ctx.fixed[f] && !ctx.forbidden[f]).map(|f| (self.rho[f], f)));
        let cmp = |a: &(f64, usize), b: &(f64, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
        let (lo, hi) = match ctx.p {
            Some(p) => (p, p),
            None => (ctx.min_open, ctx.max_open),
        };
        let want_min = lo.saturating_sub(count).min(free.len());
        let want_max = hi.saturating_sub(count).min(free.len());
        if want_max == 0 {
            free.clear();
        } else if want_max < free.len() {
            free.select_nth_unstable_by(want_max, cmp);
            free.truncate(want_max);
        }
        free.sort_unstable_by(cmp);
        for (k, &(r, f)) in free.iter().enumerate() {
            if k >= want_min && r >= 0.0 {
                break;
            }
            self.y[f] = true;
            self.chosen.push(f);
            total += r;
        }
        total
    }
}

/// One run of the driver over the uncapacitated dual.
struct Run<'r, 'c> {
    lag: &'r mut Lagrangian,
    ctx: &'r SwapContext<'c>,
}

impl Dual for Run<'_, '_> {
    fn evaluate(&mut self) -> Option<f64> {
        let lag = &mut *self.lag;
        let value = lag.evaluate(self.ctx);
        lag.iterations += 1;
        let w = if lag.iterations == 1 { 1.0 } else { 0.1 };
        for (a, &y) in lag.y_average.iter_mut().zip(&lag.y) {
            *a += w * (if y { 1.0 } else { 0.0 } - *a);
        }
        Some(value)
    }

    fn best_bound(&self) -> f64 {
        self.lag.best_bound
    }

    fn keep_best(&mut self, value: f64) {
        let lag = &mut *self.lag;
        lag.best_bound = value;
        lag.best_lambda.clone_from(&lag.lambda);
        lag.best_open = (0..lag.y.len()).filter(|&f| lag.y[f]).collect();
        lag.best_rho.clone_from(&lag.rho);
    }

    fn visit(&mut self, _iteration: usize) -> Option<f64> {
        None
    }

    fn norm2(&self) -> f64 {
        self.lag.grad.iter().map(|g| g * g).sum()
    }

    fn step(&mut self, step: f64) {
        let lag = &mut *self.lag;
        for (l, g) in lag.lambda.iter_mut().zip(&lag.grad) {
            *l = (*l + step * g).max(0.0);
        }
    }

    fn step_factor(&mut self) -> &mut StepFactor {
        &mut self.lag.step
    }
}
