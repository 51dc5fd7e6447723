//! The rollout part of `plan.json` (`hubplan-plan/3`): per-year totals of
//! the joint plan and of the year-by-year plan, what joint planning gains,
//! and each district's turn — the table an akim asks for.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{RolloutDecision, RolloutModel, RolloutQuality, RolloutResult, YearTotals};
use crate::hub::inputs::School;
use crate::hub::plan_doc::PlanDoc;
use crate::hub::quality::{Measure, PlanQuality, TieBreak};
use crate::io::schools::HubStatus;
use crate::problem::{ClientIdx, FacilityIdx};

/// The `rollout` member of `plan.json`: the joint plan year by year, the
/// year-by-year comparison and each district's turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolloutDoc {
    /// Calendar years of the horizon (`rollout.years`).
    pub years: Vec<i32>,
    /// Which method made the joint plan.
    pub method: String,
    /// `P`: one weighted student-year in the internal objective.
    pub penalty_per_student_year: f64,
    /// The joint plan's quality in weighted student-years, with its bound.
    pub quality: RolloutQuality,
    /// The joint plan, year by year.
    pub per_year: Vec<YearTotals>,
    /// The same scenario planned one year at a time (`None`: planned so,
    /// a rule cannot be met; `year_by_year_note` says why).
    pub year_by_year: Option<YearByYear>,
    /// Why there is no year-by-year plan (`None` when there is one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year_by_year_note: Option<String>,
    /// Each district's hubs by year.
    pub districts: Vec<DistrictTurn>,
    /// Links that end before the final year (only when links may move).
    #[serde(default)]
    pub moved_links: Vec<MovedLink>,
}

/// The same scenario planned one year at a time, each year given the earlier ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct YearByYear {
    /// `SY`: its weighted student-years.
    pub student_years: f64,
    /// `KM`: its student-km summed over the years.
    pub student_km: f64,
    /// Its totals, year by year.
    pub per_year: Vec<YearTotals>,
    /// Student-years the joint plan gains over planning one year at a time.
    pub joint_gain_student_years: f64,
    /// Student-km the joint plan saves (negative: it uses more).
    pub joint_saving_student_km: f64,
}

/// When one district gets its hubs in the joint plan (districts with small schools or hubs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DistrictTurn {
    /// The district.
    pub district: String,
    /// Small schools in it.
    pub small_schools: usize,
    /// Existing hubs in it (open from the first year).
    pub existing_hubs: usize,
    /// The first year the district has a hub (`None`: none by the final year).
    pub first_hub_year: Option<i32>,
    /// New hubs: year and school id.
    pub new_hubs: Vec<(i32, String)>,
    /// Small schools linked by the end of each year.
    pub linked_small_schools: Vec<usize>,
}

/// A stretch of years a small school is linked to one hub, ending before the final year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MovedLink {
    /// The small school's id.
    pub small_school_id: String,
    /// The id of the hub it is linked to in those years.
    pub hub_id: String,
    /// The first year of the link.
    pub first_year: i32,
    /// The last year of the link (before the final year of the rollout).
    pub last_year: i32,
}

/// The rollout's quality as the plan's `quality` (student-years; the
/// student-km over the years as the tie-break).
pub fn plan_quality(q: &RolloutQuality) -> PlanQuality {
    PlanQuality {
        measure: Measure::StudentYears,
        value: q.student_years,
        bound: q.bound,
        gap: q.gap,
        relative_gap: q.relative_gap,
        proven: q.proven,
        never_linkable_students: None,
        tie_break: Some(TieBreak {
            measure: Measure::StudentKm,
            value: q.student_km,
            bound: q.student_km_bound,
            gap: q.student_km_bound.map(|b| (q.student_km - b).max(0.0)),
            proven: q.student_km_proven,
        }),
        cost_years: None,
    }
}

/// Adds the rollout to a plan document assembled from the final year.
pub fn add_rollout(doc: &mut PlanDoc, m: &RolloutModel, schools: &[School], r: &RolloutResult) {
    let years = &m.rules.years;
    let d = &r.joint.decision;
    let base = m.base;
    let year_of_hub: BTreeMap<&str, i32> = (0..d.opened.len())
        .filter_map(|f| d.opened[f].map(|t| (schools[base.facility_school[FacilityIdx::new(f)]].id.as_str(), years[t])))
        .collect();
    for h in &mut doc.hubs {
        h.year_opened = year_of_hub.get(h.school_id.as_str()).copied();
    }
    let year_of_link: BTreeMap<&str, i32> = (0..d.links.len())
        .filter_map(|c| {
            d.year_linked(c).map(|t| (schools[base.client_school[ClientIdx::new(c)]].id.as_str(), years[t]))
        })
        .collect();
    for l in &mut doc.links {
        l.year_linked = year_of_link.get(l.small_school_id.as_str()).copied();
    }
    let jt = &r.joint_totals;
    doc.quality = Some(plan_quality(&r.quality));
    doc.status = if r.quality.proven { "optimal" } else { "feasible" }.into();
    doc.solver = r.joint.method.clone();
    // Internal objective: P × unlinked weighted student-years + student-km.
    let all: f64 = m.students.iter().map(|n| n.iter().zip(&m.rules.weights).map(|(n, w)| n * w).sum::<f64>()).sum();
    let v = super::value(m, jt);
    doc.internal_objective = m.penalty * all - v;
    doc.internal_lower_bound = r.joint.upper.map(|u| (m.penalty * all - u).min(doc.internal_objective));
    doc.internal_gap = doc
        .internal_lower_bound
        .filter(|_| doc.internal_objective > 0.0)
        .map(|lb| ((doc.internal_objective - lb) / doc.internal_objective).max(0.0));
    doc.penalty_per_student = Some(m.penalty);
    doc.rollout = Some(RolloutDoc {
        years: years.clone(),
        method: r.joint.method.clone(),
        penalty_per_student_year: m.penalty,
        quality: r.quality.clone(),
        per_year: jt.years.clone(),
        year_by_year: r.yearly.as_ref().ok().map(|(_, yb)| YearByYear {
            student_years: yb.student_years,
            student_km: yb.student_km,
            per_year: yb.years.clone(),
            joint_gain_student_years: jt.student_years - yb.student_years,
            joint_saving_student_km: yb.student_km - jt.student_km,
        }),
        year_by_year_note: r.yearly.as_ref().err().cloned(),
        districts: district_turns(m, schools, d),
        moved_links: moved_links(m, schools, d),
    });
}

fn district_turns(m: &RolloutModel, schools: &[School], d: &RolloutDecision) -> Vec<DistrictTurn> {
    let base = m.base;
    let years = &m.rules.years;
    let mut rows: BTreeMap<&str, DistrictTurn> = BTreeMap::new();
    for s in schools {
        let r = rows.entry(s.district.as_str()).or_insert_with(|| DistrictTurn {
            district: s.district.clone(),
            small_schools: 0,
            existing_hubs: 0,
            first_hub_year: None,
            new_hubs: Vec::new(),
            linked_small_schools: vec![0; years.len()],
        });
        if s.small {
            r.small_schools += 1;
        }
    }
    for (f, &i) in base.facility_school.iter().enumerate() {
        let s = &schools[i];
        let r = rows.get_mut(s.district.as_str()).expect("row");
        let first = if s.hub == HubStatus::Existing {
            r.existing_hubs += 1;
            Some(years[0])
        } else if let Some(t) = d.opened[f] {
            r.new_hubs.push((years[t], s.id.clone()));
            Some(years[t])
        } else {
            None
        };
        r.first_hub_year = match (r.first_hub_year, first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    for (c, &i) in base.client_school.iter().enumerate() {
        let r = rows.get_mut(schools[i].district.as_str()).expect("row");
        for t in 0..years.len() {
            if d.links[c][t].is_some() {
                r.linked_small_schools[t] += 1;
            }
        }
    }
    let mut out: Vec<DistrictTurn> =
        rows.into_values().filter(|r| r.small_schools > 0 || r.existing_hubs > 0 || !r.new_hubs.is_empty()).collect();
    for r in &mut out {
        r.new_hubs.sort();
    }
    out
}

fn moved_links(m: &RolloutModel, schools: &[School], d: &RolloutDecision) -> Vec<MovedLink> {
    let base = m.base;
    let years = &m.rules.years;
    let last = years.len() - 1;
    let mut out = Vec::new();
    for (c, l) in d.links.iter().enumerate() {
        let mut t = 0;
        while t < years.len() {
            let Some(f) = l[t] else {
                t += 1;
                continue;
            };
            let mut e = t;
            while e + 1 < years.len() && l[e + 1] == Some(f) {
                e += 1;
            }
            if e < last {
                out.push(MovedLink {
                    small_school_id: schools[base.client_school[ClientIdx::new(c)]].id.clone(),
                    hub_id: schools[base.facility_school[FacilityIdx::new(f)]].id.clone(),
                    first_year: years[t],
                    last_year: years[e],
                });
            }
            t = e + 1;
        }
    }
    out
}
