//! `summary.csv` of a sweep directory: one row per case, for spreadsheets.

use super::format::{decimal, opt_decimal};
use crate::hub::sweep::SweepReport;

/// A number for the CSV: up to 6 decimals, no trailing zeros.
fn num(v: f64) -> String {
    decimal(v, 6)
}

fn opt(v: Option<f64>) -> String {
    opt_decimal(v, 6)
}

/// `summary.csv`: one row per case with the varied parameters (one column
/// per key, the value as written), the plan's status and figures, its
/// quality in the planner's unit (`quality_*`: measure, value, proven bound,
/// gap in the unit, relative gap, proven; `tie_break_*`: the student-km of a
/// `max-coverage` plan and its bound), the solver's internal objective, bound
/// and gap, and the error of a case that produced no plan.
pub fn summary_csv(report: &SweepReport) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = vec!["name".into()];
    header.extend(report.keys.iter().cloned());
    header.extend(
        [
            "status",
            "new_hubs",
            "existing_hubs",
            "cost_kzt",
            "budget_kzt",
            "small_schools",
            "linked_small_schools",
            "small_school_students",
            "linked_students",
            "coverage_pct",
            "mean_link_km",
            "max_link_km",
            "quality_measure",
            "quality_value",
            "quality_bound",
            "quality_gap",
            "quality_relative_gap",
            "quality_proven",
            "tie_break_student_km",
            "tie_break_bound",
            "tie_break_proven",
            "internal_objective",
            "internal_lower_bound",
            "internal_gap",
            "seconds",
            "scenario_file",
            "error",
        ]
        .map(String::from),
    );
    w.write_record(&header).expect("in-memory CSV");
    for r in &report.rows {
        let mut rec = vec![r.name.clone()];
        for k in &report.keys {
            rec.push(r.params.iter().find(|(pk, _)| pk == k).map(|(_, v)| v.clone()).unwrap_or_default());
        }
        rec.push(r.status.clone());
        match &r.figures {
            Some(f) => {
                let q = &f.quality;
                let t = q.tie_break.as_ref();
                rec.extend([
                    f.new_hubs.to_string(),
                    f.existing_hubs.to_string(),
                    num(f.cost_kzt),
                    opt(f.budget_kzt),
                    f.small_schools.to_string(),
                    f.linked_small_schools.to_string(),
                    f.small_school_students.to_string(),
                    f.linked_students.to_string(),
                    format!("{:.2}", f.coverage_pct),
                    opt(f.mean_link_km.map(|k| (k * 100.0).round() / 100.0)),
                    opt(f.max_link_km.map(|k| (k * 100.0).round() / 100.0)),
                    q.measure.as_str().to_string(),
                    num(q.value),
                    opt(q.bound),
                    opt(q.gap),
                    q.relative_gap.map(|g| format!("{g:.6}")).unwrap_or_default(),
                    q.proven.to_string(),
                    opt(t.map(|t| t.value)),
                    opt(t.and_then(|t| t.bound)),
                    t.map(|t| t.proven.to_string()).unwrap_or_default(),
                    num(f.internal_objective),
                    opt(f.internal_lower_bound),
                    f.internal_gap.map(|g| format!("{g:.6}")).unwrap_or_default(),
                ])
            }
            None => rec.extend(std::iter::repeat_n(String::new(), 23)),
        }
        rec.push(format!("{:.2}", r.seconds()));
        rec.push(r.file.display().to_string());
        rec.push(r.error.clone().unwrap_or_default());
        w.write_record(&rec).expect("in-memory CSV");
    }
    w.into_inner().expect("in-memory CSV")
}
