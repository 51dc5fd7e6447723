//! What the three engines' Lagrangian bounds share: when a bound proves an
//! objective optimal, and the relative gap between them.

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
