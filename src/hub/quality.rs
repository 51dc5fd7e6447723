//! How good a plan is, in the planner's units: students, student-km or tenge.
//!
//! The solver minimises an internal objective (see [`super::model`]). For
//! `min-distance` and `min-cost` that objective already is student-km or
//! tenge, so its lower bound is a bound in the planner's unit. For
//! `max-coverage` it is `P × u + km`, where `u` is the number of linkable
//! students left unlinked, `km` the student-km of the links and `P`
//! (`penalty_per_student`) larger than any plan's student-km. A relative gap
//! on that sum mixes students and kilometres and says little: a gap of 12%
//! may hide a plan that is one student short of the best, or one that is
//! best in students and only loose in kilometres. So the gap is split:
//!
//! - every plan has `km < P`, so its `u = ⌊objective / P⌋`, and since the
//!   bound `LB` is at most the optimum, the optimum's `u*` is at least
//!   `⌊LB / P⌋`: no plan links more than `linkable − ⌊LB / P⌋` students, that
//!   is at most `u − ⌊LB / P⌋` more than this plan;
//! - when `⌊LB / P⌋` equals the plan's own `u`, the plan's coverage is proven
//!   maximal and `LB − P × u` bounds the student-km of every plan with that
//!   coverage (the tie-break); otherwise the tie-break has no bound.
//!
//! This is the usual reading of a lexicographic (pre-emptive) weighted
//! objective: with a weight above the range of the lower term the sum orders
//! plans as the pair (first term, second term) does (Sherali, "Equivalent
//! weights for lexicographic multi-objective programs", EJOR 1982).
//!
//! Students of small schools with no hub in reach are never linkable; they
//! are left out of both the plan's value and its bound, and counted apart.
//!
//! Only this module turns solver figures into planner figures; the terminal
//! summary, `plan.json`, the HTML report, the sweep summary and `compare` all
//! show what it computes.

use serde::{Deserialize, Serialize};

use super::plan_doc::{PlanDoc, Reason, Totals};
use super::scenario::ObjectiveKind;
use crate::report::format::{count, kzt, thousands};
use crate::solve::{SolveOutcome, Status};

/// A bound within this relative distance of the objective counts as meeting
/// it (floating-point sums of many terms); a larger distance is never
/// called proven.
pub const PROVEN_REL_TOL: f64 = 1e-9;

/// What a plan is measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Students linked to a hub (more is better).
    LinkedStudents,
    /// Students × road km of the links (less is better).
    StudentKm,
    /// Tenge: new hubs, rooms and `objective.years` of visits (less is better).
    CostKzt,
    /// A rollout's weighted student-years: students linked, summed over the years (more is better).
    StudentYears,
    /// With link modes of `value` below 1: linked students each weighted by
    /// its mode's value (more is better).
    ValuedStudents,
}

impl Measure {
    /// The name written in `plan.json` (`linked_students`, `student_km`, `cost_kzt`, `student_years`).
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::LinkedStudents => "linked_students",
            Measure::StudentKm => "student_km",
            Measure::CostKzt => "cost_kzt",
            Measure::StudentYears => "student_years",
            Measure::ValuedStudents => "valued_students",
        }
    }

    /// True when more is better (the bound is an upper bound).
    pub fn maximise(self) -> bool {
        matches!(self, Measure::LinkedStudents | Measure::StudentYears | Measure::ValuedStudents)
    }

    /// An amount of this measure for people: `1,234 students`, `1,234 student-km`, `KZT 5.31 bn`.
    pub fn amount(self, v: f64) -> String {
        match self {
            Measure::LinkedStudents => format!("{} students", thousands(v)),
            Measure::StudentKm => format!("{} student-km", thousands(v)),
            Measure::CostKzt => format!("KZT {}", kzt(v)),
            Measure::StudentYears => format!("{} student-years", thousands(v)),
            Measure::ValuedStudents => format!("{} valued students", thousands(v)),
        }
    }
}

/// The `max-coverage` tie-break: the student-km of the links, minimised
/// among the plans that link the most students.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TieBreak {
    /// Always `student_km`.
    pub measure: Measure,
    /// The plan's student-km.
    pub value: f64,
    /// A lower bound on the student-km of any plan with the plan's coverage;
    /// known only once that coverage is proven maximal.
    pub bound: Option<f64>,
    /// `value − bound`, in student-km.
    pub gap: Option<f64>,
    /// True when no plan with this coverage has fewer student-km.
    pub proven: bool,
}

/// A plan's quality in the planner's unit (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanQuality {
    /// The unit the plan is judged in, set by the objective (`max-coverage`: linked students,
    /// `min-distance`: student-km, `min-cost`: KZT; a rollout: student-years).
    pub measure: Measure,
    /// The plan's figure in `measure`.
    pub value: f64,
    /// A proven bound on the best plan's figure: an upper bound for
    /// `linked_students`, a lower bound otherwise; `None` when unknown.
    pub bound: Option<f64>,
    /// `|bound − value|` in the unit: how much better any plan could be at most.
    pub gap: Option<f64>,
    /// `gap / value` (0.01 = 1%).
    pub relative_gap: Option<f64>,
    /// True when no plan is better in `measure`.
    pub proven: bool,
    /// `linked_students`: students of small schools with no hub in reach,
    /// which no plan can link (counted in neither value nor bound).
    pub never_linkable_students: Option<u64>,
    /// `linked_students`: the student-km tie-break.
    pub tie_break: Option<TieBreak>,
    /// `cost_kzt`: the years of visits the cost includes (`objective.years`).
    pub cost_years: Option<f64>,
}

/// What [`plan_quality`] reads: the solver's figures and the plan's own totals.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityInputs {
    /// The scenario's objective, which sets the measure.
    pub kind: ObjectiveKind,
    /// The internal objective of the plan.
    pub objective: f64,
    /// The solver's lower bound on the internal objective.
    pub lower_bound: Option<f64>,
    /// The solver reported status `optimal`.
    pub optimal: bool,
    /// `max-coverage`: the cost `P` of one unlinked student in the objective.
    pub penalty_per_student: Option<f64>,
    /// Students in all small schools.
    pub small_school_students: u64,
    /// Students of the plan's links.
    pub linked_students: u64,
    /// Students of small schools with no hub in reach.
    pub never_linkable_students: u64,
    /// The plan's student-km.
    pub student_km: f64,
    /// `objective.years`.
    pub years: f64,
    /// With link modes: the linked students weighted by their modes' values.
    pub valued_students: Option<f64>,
}

impl QualityInputs {
    /// The figures of a solver outcome and the plan assembled from it.
    pub fn from_outcome(
        kind: ObjectiveKind,
        out: &SolveOutcome,
        penalty_per_student: Option<f64>,
        totals: &Totals,
        never_linkable_students: u64,
        years: f64,
    ) -> Self {
        QualityInputs {
            kind,
            objective: out.objective(),
            lower_bound: out.lower_bound,
            optimal: out.status == Status::Optimal,
            penalty_per_student,
            small_school_students: totals.small_school_students,
            linked_students: totals.linked_students,
            never_linkable_students,
            student_km: totals.student_km,
            years,
            valued_students: totals.valued_students,
        }
    }

    /// The figures as a plan document records them (also a `hubplan-plan/1`
    /// one, which has no `quality`).
    pub fn from_doc(doc: &PlanDoc) -> Self {
        let never =
            doc.unlinked.iter().filter(|u| u.reason == Reason::NoHubInReach).map(|u| u64::from(u.students)).sum();
        QualityInputs {
            kind: doc.scenario.objective.kind,
            objective: doc.internal_objective,
            lower_bound: doc.internal_lower_bound,
            optimal: doc.status == Status::Optimal.as_str(),
            penalty_per_student: doc.penalty_per_student,
            small_school_students: doc.totals.small_school_students,
            linked_students: doc.totals.linked_students,
            never_linkable_students: never,
            student_km: doc.totals.student_km,
            years: doc.scenario.objective.years,
            valued_students: doc.totals.valued_students,
        }
    }
}

/// True when the status is `optimal` and the bound meets the objective
/// within [`PROVEN_REL_TOL`].
fn optimal_proven(i: &QualityInputs) -> bool {
    i.optimal && i.lower_bound.is_some_and(|lb| i.objective - lb <= PROVEN_REL_TOL * i.objective.abs().max(1.0))
}

/// `gap / value`, or 0 for no gap on a zero value (`None`: undefined).
fn relative(gap: f64, value: f64) -> Option<f64> {
    if value.abs() > 0.0 {
        Some(gap / value.abs())
    } else if gap == 0.0 {
        Some(0.0)
    } else {
        None
    }
}

/// The plan's quality in the planner's unit.
pub fn plan_quality(i: &QualityInputs) -> PlanQuality {
    match i.kind {
        ObjectiveKind::MaxCoverage => max_coverage(i),
        ObjectiveKind::MinDistance => minimised(i, Measure::StudentKm, None),
        ObjectiveKind::MinCost => minimised(i, Measure::CostKzt, Some(i.years)),
    }
}

/// `min-distance` and `min-cost`: the objective is the measure.
fn minimised(i: &QualityInputs, measure: Measure, cost_years: Option<f64>) -> PlanQuality {
    let value = i.objective;
    let proven = optimal_proven(i);
    let bound = if proven { Some(value) } else { i.lower_bound.map(|lb| lb.min(value)) };
    let gap = bound.map(|b| value - b);
    PlanQuality {
        measure,
        value,
        bound,
        gap,
        relative_gap: gap.and_then(|g| relative(g, value)),
        proven,
        never_linkable_students: None,
        tie_break: None,
        cost_years,
    }
}

/// `max-coverage` with modes worth less than a student: the measure is the
/// valued students `V`. The objective is `P·(T − V) + K` (K the plan's
/// student-km, below P), so a bound `lb` allows at most
/// `V + (objective − lb)/P + 1` valued students (the 1 covers the best
/// plan's own student-km); proven only when the solver proved the plan.
fn valued_coverage(i: &QualityInputs, v: f64, p: f64) -> PlanQuality {
    let proven = optimal_proven(i);
    let more = if proven { Some(0.0) } else { i.lower_bound.map(|lb| (i.objective - lb.min(i.objective)) / p + 1.0) };
    PlanQuality {
        measure: Measure::ValuedStudents,
        value: v,
        bound: more.map(|m| v + m),
        gap: more,
        relative_gap: more.and_then(|m| relative(m, v)),
        proven,
        never_linkable_students: Some(i.never_linkable_students),
        tie_break: Some(TieBreak {
            measure: Measure::StudentKm,
            value: i.student_km,
            bound: proven.then_some(i.student_km),
            gap: proven.then_some(0.0),
            proven,
        }),
        cost_years: None,
    }
}

/// `max-coverage`: the students term and the student-km tie-break.
fn max_coverage(i: &QualityInputs) -> PlanQuality {
    if let (Some(v), Some(p)) = (i.valued_students, i.penalty_per_student.filter(|p| *p > 0.0))
        && (v - i.linked_students as f64).abs() > 1e-9
    {
        return valued_coverage(i, v, p);
    }
    let linkable = i.small_school_students.saturating_sub(i.never_linkable_students);
    let linked = i.linked_students;
    let km = i.student_km;
    let p = i.penalty_per_student.filter(|p| *p > 0.0);
    // The plan's unlinked linkable students: ⌊objective / P⌋ (its km < P);
    // without a penalty, from the totals.
    let unlinked = match p {
        Some(p) => (i.objective.max(0.0) / p).floor() as u64,
        None => linkable.saturating_sub(linked),
    };
    let both_proven = optimal_proven(i);
    // The fewest unlinked students any plan can have, by the bound: a bound
    // a hair above its true value would claim one student too many, so the
    // floor is taken a tolerance below it (and never above the objective).
    let safe_lb = i.lower_bound.map(|lb| {
        let lb = lb.min(i.objective);
        lb - PROVEN_REL_TOL * lb.abs().max(1.0)
    });
    let least_unlinked = match (safe_lb, p) {
        _ if both_proven => unlinked,
        (Some(lb), Some(p)) if lb > 0.0 => ((lb / p).floor() as u64).min(unlinked),
        _ => 0,
    };
    let coverage_proven = least_unlinked == unlinked;
    let km_bound = if both_proven {
        Some(km)
    } else if coverage_proven {
        // The bound itself (not the safe one): no step here to fall off.
        match (i.lower_bound, p) {
            (Some(lb), Some(p)) => Some((lb.min(i.objective) - p * unlinked as f64).clamp(0.0, km.max(0.0))),
            _ => None,
        }
    } else {
        None
    };
    // At most this many more students: each student the bound leaves
    // possible is one the optimum may link beyond this plan.
    let more = (unlinked - least_unlinked) as f64;
    PlanQuality {
        measure: Measure::LinkedStudents,
        value: linked as f64,
        bound: Some(linked as f64 + more),
        gap: Some(more),
        relative_gap: relative(more, linked as f64),
        proven: coverage_proven,
        never_linkable_students: Some(i.never_linkable_students),
        tie_break: Some(TieBreak {
            measure: Measure::StudentKm,
            value: km,
            bound: km_bound,
            gap: km_bound.map(|b| km - b),
            proven: both_proven,
        }),
        cost_years: None,
    }
}

impl PlanQuality {
    /// One sentence for the terminal and the report, e.g. `linked 140,564
    /// students · proven upper bound 140,700 · at most 136 more (0.10%)`.
    pub fn sentence(&self) -> String {
        let m = self.measure;
        let pct = |r: Option<f64>| r.map(|r| format!(" ({:.2}%)", 100.0 * r)).unwrap_or_default();
        let mut s = match m {
            Measure::LinkedStudents if self.proven => {
                format!("linked {} · proven maximal: no plan links more students", m.amount(self.value))
            }
            Measure::StudentYears if self.proven => {
                format!("linked {} · proven maximal: no rollout links more", m.amount(self.value))
            }
            Measure::StudentYears => match self.bound {
                Some(b) => format!(
                    "linked {} · proven upper bound {} · at most {} more{}",
                    m.amount(self.value),
                    thousands(b),
                    thousands(self.gap.unwrap_or(0.0)),
                    pct(self.relative_gap)
                ),
                None => format!("linked {} · no upper bound known", m.amount(self.value)),
            },
            Measure::LinkedStudents => format!(
                "linked {} · proven upper bound {} · at most {} more{}",
                m.amount(self.value),
                thousands(self.bound.unwrap_or(self.value)),
                thousands(self.gap.unwrap_or(0.0)),
                pct(self.relative_gap)
            ),
            _ => {
                let what = match (m, self.cost_years) {
                    (Measure::CostKzt, Some(y)) => {
                        format!("cost {} (hubs, rooms, {y} years of visits)", m.amount(self.value))
                    }
                    (Measure::CostKzt, None) => format!("cost {}", m.amount(self.value)),
                    _ => m.amount(self.value),
                };
                let fewer = if m == Measure::StudentKm { "fewer" } else { "less" };
                match (self.proven, self.bound) {
                    (true, _) => format!("{what} · proven optimal: no plan has {fewer}"),
                    (false, Some(b)) => format!(
                        "{what} · proven lower bound {} · at most {} {fewer}{}",
                        m.amount(b),
                        m.amount(self.gap.unwrap_or(0.0)),
                        pct(self.relative_gap)
                    ),
                    (false, None) => format!("{what} · no lower bound known"),
                }
            }
        };
        if let Some(t) = &self.tie_break {
            s.push_str(" · ");
            s.push_str(&t.sentence(self.proven));
        }
        s
    }

    /// The gap for a table cell: `proven`, `≤ 136 students (0.10%)`, `–`.
    pub fn short_gap(&self) -> String {
        if self.proven && self.tie_break.as_ref().is_none_or(|t| t.proven) {
            return "proven optimal".into();
        }
        match self.gap {
            _ if self.proven => match self.tie_break.as_ref().and_then(|t| t.gap.map(|g| (g, t))) {
                Some((g, t)) => format!("coverage proven; ≤ {}", t.measure.amount(g)),
                None => "coverage proven".into(),
            },
            Some(g) => format!(
                "≤ {}{}",
                self.measure.amount(g),
                self.relative_gap.map(|r| format!(" ({:.2}%)", 100.0 * r)).unwrap_or_default()
            ),
            None => "no bound".into(),
        }
    }

    /// A sentence on the students no plan can link, when there are any.
    pub fn never_linkable_sentence(&self) -> Option<String> {
        self.never_linkable_students.filter(|n| *n > 0).map(|n| {
            format!(
                "{} students in small schools with no hub in reach can never be linked (not in the bound)",
                count(n)
            )
        })
    }
}

impl TieBreak {
    fn sentence(&self, coverage_proven: bool) -> String {
        let v = self.measure.amount(self.value);
        match (self.proven, self.bound) {
            (true, _) => format!("{v}, proven least for that coverage"),
            (false, Some(b)) => format!(
                "{v}, at least {} for that coverage (at most {} fewer{})",
                thousands(b),
                thousands(self.value - b),
                relative(self.value - b, self.value).map(|r| format!(", {:.2}%", 100.0 * r)).unwrap_or_default()
            ),
            (false, None) if coverage_proven => format!("{v} (no bound known)"),
            (false, None) => format!("{v} (bounded once coverage is proven)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A max-coverage outcome: 1,000 small-school students, 100 of them
    /// with no hub in reach, `linked` linked with `km` student-km, P = 10,000.
    fn cov(linked: u64, km: f64, lb: Option<f64>, optimal: bool) -> QualityInputs {
        let p = 10_000.0;
        let unlinked = 900 - linked;
        QualityInputs {
            kind: ObjectiveKind::MaxCoverage,
            objective: p * unlinked as f64 + km,
            lower_bound: lb,
            optimal,
            penalty_per_student: Some(p),
            small_school_students: 1_000,
            linked_students: linked,
            never_linkable_students: 100,
            student_km: km,
            valued_students: None,
            years: 10.0,
        }
    }

    #[test]
    fn max_coverage_bound_counts_students_not_penalties() {
        // 20 unlinked; the bound proves at least 17 unlinked in any plan.
        let q = plan_quality(&cov(880, 5_000.0, Some(170_000.0 + 1_234.0), false));
        assert_eq!(q.measure, Measure::LinkedStudents);
        assert_eq!((q.value, q.bound, q.gap), (880.0, Some(883.0), Some(3.0)));
        assert!(!q.proven);
        assert!((q.relative_gap.unwrap() - 3.0 / 880.0).abs() < 1e-15);
        assert_eq!(q.never_linkable_students, Some(100));
        let t = q.tie_break.as_ref().unwrap();
        assert_eq!((t.value, t.bound, t.proven), (5_000.0, None, false));
        // The internal gap is 14%, the student gap 0.34%.
        let i = cov(880, 5_000.0, Some(171_234.0), false);
        assert!((i.objective - 171_234.0) / i.objective > 0.14);
        assert_eq!(
            q.sentence(),
            "linked 880 students · proven upper bound 883 · at most 3 more (0.34%) · 5,000 student-km (bounded once coverage is proven)"
        );
    }

    #[test]
    fn coverage_is_proven_when_the_floor_of_the_bound_meets_the_plan() {
        // 20 unlinked, bound 200,000 + 4,000: coverage proven, km ≥ 4,000.
        let q = plan_quality(&cov(880, 5_000.0, Some(204_000.0), false));
        assert!(q.proven);
        assert_eq!((q.bound, q.gap), (Some(880.0), Some(0.0)));
        let t = q.tie_break.as_ref().unwrap();
        assert!(!t.proven);
        assert_eq!(t.bound, Some(4_000.0));
        assert!(
            q.sentence().starts_with(
                "linked 880 students · proven maximal: no plan links more students · 5,000 student-km, at least 4,000"
            ),
            "{}",
            q.sentence()
        );
        assert_eq!(q.short_gap(), "coverage proven; ≤ 1,000 student-km");
    }

    #[test]
    fn a_bound_on_an_exact_multiple_of_the_penalty_is_not_rounded_up() {
        // The bound sits exactly at 20 unlinked students with 0 km: the
        // tolerance takes the floor to 19, so nothing is claimed from a hair.
        let q = plan_quality(&cov(880, 5_000.0, Some(200_000.0), false));
        assert!(!q.proven);
        assert_eq!(q.bound, Some(881.0));
        // A bound a rounding error above a multiple does not count either way.
        let q = plan_quality(&cov(880, 5_000.0, Some(200_000.0 * (1.0 + 1e-13)), false));
        assert_eq!(q.bound, Some(881.0));
        // A bound above the objective (rounding) is capped at it.
        let q = plan_quality(&cov(880, 5_000.0, Some(1e12), false));
        assert!(q.proven);
        assert!(q.tie_break.unwrap().bound.unwrap() <= 5_000.0);
    }

    #[test]
    fn optimal_status_needs_a_bound_that_meets_the_objective() {
        let i = cov(880, 5_000.0, Some(205_000.0), true);
        let q = plan_quality(&i);
        assert!(q.proven && q.tie_break.as_ref().unwrap().proven);
        assert_eq!(q.tie_break.as_ref().unwrap().bound, Some(5_000.0));
        assert_eq!(q.short_gap(), "proven optimal");
        // Within 1e-9 relative: still proven.
        let q = plan_quality(&cov(880, 5_000.0, Some(205_000.0 * (1.0 - 5e-10)), true));
        assert!(q.tie_break.unwrap().proven);
        // Further away, `optimal` alone proves nothing.
        let q = plan_quality(&cov(880, 5_000.0, Some(205_000.0 * (1.0 - 1e-6)), true));
        assert!(q.proven, "the floor still proves coverage");
        assert!(!q.tie_break.as_ref().unwrap().proven);
        let q = plan_quality(&cov(880, 5_000.0, None, true));
        assert!(!q.proven && !q.tie_break.unwrap().proven);
    }

    #[test]
    fn full_coverage_is_proven_without_a_bound() {
        let q = plan_quality(&cov(900, 7_000.0, None, false));
        assert!(q.proven);
        assert_eq!((q.value, q.bound), (900.0, Some(900.0)));
        let t = q.tie_break.unwrap();
        assert_eq!((t.bound, t.proven), (None, false));
    }

    #[test]
    fn no_bound_gives_the_linkable_students_as_the_bound() {
        let q = plan_quality(&cov(880, 5_000.0, None, false));
        assert_eq!((q.bound, q.gap, q.proven), (Some(900.0), Some(20.0), false));
    }

    fn min_kind(kind: ObjectiveKind, obj: f64, lb: Option<f64>, optimal: bool) -> PlanQuality {
        plan_quality(&QualityInputs {
            kind,
            objective: obj,
            lower_bound: lb,
            optimal,
            penalty_per_student: None,
            small_school_students: 1_000,
            linked_students: 900,
            never_linkable_students: 100,
            student_km: 4_321.0,
            years: 10.0,
            valued_students: None,
        })
    }

    #[test]
    fn min_distance_is_in_student_km() {
        let q = min_kind(ObjectiveKind::MinDistance, 10_000.0, Some(9_000.0), false);
        assert_eq!(q.measure, Measure::StudentKm);
        assert_eq!(
            (q.value, q.bound, q.gap, q.relative_gap, q.proven),
            (10_000.0, Some(9_000.0), Some(1_000.0), Some(0.1), false)
        );
        assert_eq!(q.tie_break, None);
        assert_eq!(
            q.sentence(),
            "10,000 student-km · proven lower bound 9,000 student-km · at most 1,000 student-km fewer (10.00%)"
        );
        let q = min_kind(ObjectiveKind::MinDistance, 10_000.0, Some(10_000.0), true);
        assert!(q.proven);
        assert_eq!(q.sentence(), "10,000 student-km · proven optimal: no plan has fewer");
        let q = min_kind(ObjectiveKind::MinDistance, 10_000.0, None, false);
        assert_eq!((q.bound, q.gap, q.proven), (None, None, false));
        assert_eq!(q.short_gap(), "no bound");
    }

    #[test]
    fn min_cost_is_in_tenge() {
        let q = min_kind(ObjectiveKind::MinCost, 5.0e9, Some(4.9e9), false);
        assert_eq!(q.measure, Measure::CostKzt);
        assert_eq!(q.cost_years, Some(10.0));
        assert!((q.gap.unwrap() - 1e8).abs() < 1.0);
        assert!(!q.proven);
        assert_eq!(
            q.sentence(),
            "cost KZT 5.00 bn (hubs, rooms, 10 years of visits) · proven lower bound KZT 4.90 bn · at most KZT 100 m less (2.00%)"
        );
        // Status optimal with a bound 1e-6 below: not proven.
        let q = min_kind(ObjectiveKind::MinCost, 5.0e9, Some(5.0e9 * (1.0 - 1e-6)), true);
        assert!(!q.proven);
        let q = min_kind(ObjectiveKind::MinCost, 5.0e9, Some(5.0e9 * (1.0 - 1e-10)), true);
        assert!(q.proven && q.gap == Some(0.0));
    }
}
