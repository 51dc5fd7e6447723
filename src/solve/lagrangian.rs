//! What the three engines' Lagrangian bounds share: the subgradient driver
//! that maximises each dual, when a bound proves an objective optimal, and
//! the relative gap between them.

use std::time::Instant;

/// When a lower bound proves an objective optimal.
///
/// With integral costs the optimum is an integer, so it is proven once the
/// bound rounded up (after a safety margin for floating error) reaches it.
pub fn proves_optimal(lower_bound: f64, objective: f64, integral: bool) -> bool {
    let scale = objective.abs().max(1.0);
    if integral {
        // The margin covers rounding in the bound's sums (relative error far below 1e-9).
        (lower_bound - 1e-9 * lower_bound.abs().max(1.0)).ceil() >= objective - 1e-9 * scale
    } else {
        objective - lower_bound <= 1e-9 * scale
    }
}

/// Relative gap between an objective and a lower bound.
pub fn relative_gap(objective: f64, lower_bound: f64) -> f64 {
    if objective.abs() < 1e-12 {
        if lower_bound >= objective - 1e-12 { 0.0 } else { f64::INFINITY }
    } else {
        ((objective - lower_bound) / objective.abs()).max(0.0)
    }
}

/// How the driver aims each step: the Polyak step factor · (target − L) / ‖g‖².
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// Toward the upper bound, but at least a relative 1e-9 above L (so a
    /// bound that already meets the incumbent still moves). With
    /// `finite_only`, the run stops when there is no finite upper bound.
    AboveValue { finite_only: bool },
    /// Toward the upper bound, or 10% above L without one; the gap is
    /// floored at a relative 1e-9 of L.
    FlooredGap,
}

/// What the driver does when the subgradient vanishes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Flat {
    /// An exactly zero subgradient: the relaxed solution is feasible, so the
    /// bound is exact; the step factor is zeroed, so later runs stop at once.
    Exact,
    /// ‖g‖² below this: the run stops, the step factor is kept.
    Below(f64),
}

/// One engine's subgradient constants. They drifted apart while each engine
/// was tuned on its own benchmarks and are kept as they are, so that every
/// engine's bounds stay bit-identical.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SubgradientSchedule {
    /// Non-improving iterations before the step factor is halved.
    pub patience: usize,
    /// The method has converged once the step factor falls below this.
    pub min_step_factor: f64,
    /// Relative margin by which a value must beat the best to count as
    /// better (0: any increase).
    pub improvement: f64,
    pub target: Target,
    pub flat: Flat,
}

/// The step factor of the Polyak step and its stall counter: the state that
/// survives between runs of one dual (a run may be resumed with a better
/// upper bound).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepFactor {
    pub factor: f64,
    stall: usize,
}

impl StepFactor {
    pub fn new(factor: f64) -> StepFactor {
        StepFactor { factor, stall: 0 }
    }

    /// True once the step factor is exhausted (further iterations will not help).
    pub fn converged(&self, schedule: &SubgradientSchedule) -> bool {
        self.factor < schedule.min_step_factor
    }

    /// Fresh step length (after the upper bound improved).
    pub fn reheat(&mut self) {
        self.factor = self.factor.max(0.5);
        self.stall = 0;
    }
}

/// What one engine's dual exposes to the driver. Multipliers and the
/// subgradient live in the engine; the driver only decides step lengths.
pub trait Dual {
    /// Evaluates L at the current multipliers, leaving the subgradient for
    /// [`Dual::norm2`] and [`Dual::step`]; `None` when the relaxed problem has
    /// no solution (the rules admit no open set).
    fn evaluate(&mut self) -> Option<f64>;
    /// The best value so far.
    fn best_bound(&self) -> f64;
    /// Keeps the current multipliers (and what the engine records with them)
    /// as the best, with value `value`.
    fn keep_best(&mut self, value: f64);
    /// After each evaluation (`iteration` counts from 0 within the run): may
    /// build a primal solution from the relaxed one and return its cost.
    fn visit(&mut self, iteration: usize) -> Option<f64>;
    /// ‖g‖² of the subgradient.
    fn norm2(&self) -> f64;
    /// Moves the multipliers `step` along the subgradient and projects them
    /// onto their domain (non-negative).
    fn step(&mut self, step: f64);
    fn step_factor(&mut self) -> &mut StepFactor;
}

/// Why a run of the driver ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd {
    Iterations,
    Converged,
    Proven,
    Deadline,
    /// The relaxed problem had no solution.
    Infeasible,
    Flat,
    /// No finite target to step toward.
    NoTarget,
}

/// Maximises a Lagrangian dual by the subgradient method: Polyak steps toward
/// `upper_bound` scaled by a step factor that halves after `patience`
/// non-improving iterations, multipliers projected onto their domain, the best
/// point kept. Stops after `max_iterations`, at `deadline`, when the step
/// factor is exhausted or when the best bound proves `upper_bound` optimal;
/// `upper_bound` is lowered by whatever [`Dual::visit`] finds.
///
/// The method is M. Held and R. M. Karp, "The traveling-salesman problem and
/// minimum spanning trees: part II", Math. Programming 1 (1971) 6–25, and
/// M. Held, P. Wolfe and H. P. Crowder, "Validation of subgradient
/// optimization", Math. Programming 6 (1974) 62–88 (the step rule and
/// halving); M. L. Fisher, "The Lagrangian relaxation method for solving
/// integer programming problems", Management Science 27 (1981) 1–18 surveys
/// its use in location.
pub fn ascend(
    dual: &mut dyn Dual,
    schedule: &SubgradientSchedule,
    upper_bound: &mut f64,
    integral: bool,
    max_iterations: usize,
    deadline: Option<Instant>,
) -> RunEnd {
    for iteration in 0..max_iterations {
        if dual.step_factor().converged(schedule) {
            return RunEnd::Converged;
        }
        if proves_optimal(dual.best_bound(), *upper_bound, integral) {
            return RunEnd::Proven;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return RunEnd::Deadline;
        }
        let Some(value) = dual.evaluate() else { return RunEnd::Infeasible };
        let margin = if schedule.improvement == 0.0 { 0.0 } else { schedule.improvement * value.abs().max(1.0) };
        if value > dual.best_bound() + margin {
            dual.keep_best(value);
            dual.step_factor().stall = 0;
        } else {
            let s = dual.step_factor();
            s.stall += 1;
            if s.stall >= schedule.patience {
                s.factor *= 0.5;
                s.stall = 0;
            }
        }
        if let Some(ub) = dual.visit(iteration) {
            *upper_bound = upper_bound.min(ub);
        }
        let norm2 = dual.norm2();
        match schedule.flat {
            Flat::Exact if norm2 == 0.0 => {
                dual.step_factor().factor = 0.0;
                return RunEnd::Flat;
            }
            Flat::Below(tiny) if norm2 < tiny => return RunEnd::Flat,
            _ => {}
        }
        let pi = dual.step_factor().factor;
        let step = match schedule.target {
            Target::AboveValue { finite_only } => {
                let target = upper_bound.max(value + 1e-9 * value.abs().max(1.0));
                if finite_only && !target.is_finite() {
                    return RunEnd::NoTarget;
                }
                pi * (target - value) / norm2
            }
            Target::FlooredGap => {
                let target = if upper_bound.is_finite() { *upper_bound } else { value.abs().max(1.0) * 1.1 + value };
                pi * (target - value).max(1e-9 * value.abs().max(1.0)) / norm2
            }
        };
        dual.step(step);
    }
    RunEnd::Iterations
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integral_proof_needs_the_bound_past_the_next_integer() {
        assert!(proves_optimal(5818.2, 5819.0, true));
        assert!(proves_optimal(5819.0, 5819.0, true));
        assert!(!proves_optimal(5818.0000000001, 5819.0, true));
        assert!(proves_optimal(1213063.9999999, 1213064.0, true));
        assert!(!proves_optimal(1213063.0, 1213064.0, true));
        assert!(!proves_optimal(5818.2, 5819.0, false));
        assert!(proves_optimal(5819.0, 5819.0, false));
    }

    #[test]
    fn gap_is_relative_and_never_negative() {
        assert!((relative_gap(100.0, 99.0) - 0.01).abs() < 1e-12);
        assert_eq!(relative_gap(100.0, 101.0), 0.0);
        assert_eq!(relative_gap(0.0, 0.0), 0.0);
    }
}
