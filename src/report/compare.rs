//! Comparing two plans: what changed from plan A to plan B.
//!
//! Hubs added and dropped, small schools moved from one hub to another,
//! newly linked, newly unlinked (with B's reason) or unlinked for another
//! reason, the scenario parameters that differ, and every total before and
//! after. When either plan has link modes, also the small schools whose
//! link mode changed (and each mode's totals). [`compare`] computes it from two plan documents; [`markdown`] and
//! [`csv()`] render it.
//!
//! Rollouts add their student-years, its bound and whether it is proven,
//! and each year's linked students, new hubs and spending. A rollout and a
//! single-year plan are compared on what they share (hubs, links and totals,
//! a rollout's being those of its final year), and the comparison says so.
//!
//! ```
//! # use hubplan::hub::PlanDoc;
//! # fn demo(a: &PlanDoc, b: &PlanDoc) {
//! let c = hubplan::report::compare::compare(a, b);
//! println!("{}", hubplan::report::compare::markdown(&c, "A", "B"));
//! # }
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use super::format::{decimal, opt_decimal};
use crate::hub::PlanDoc;
use crate::hub::plan_doc::{HubRow, LinkRow, Reason, Totals, UnlinkedRow};

/// A scenario parameter with different values in A and B (JSON text; empty when absent).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParamChange {
    /// Dotted key, e.g. `budget.kzt`.
    pub key: String,
    /// Its value in A, as JSON text (empty when A does not have the key).
    pub before: String,
    /// Its value in B, as JSON text (empty when B does not have the key).
    pub after: String,
}

/// A hub that is in one plan only.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HubChange {
    /// The hub school's id.
    pub school_id: String,
    /// Its name.
    pub name: String,
    /// Its district.
    pub district: String,
    /// `existing` or `new`.
    pub status: String,
    /// Small schools linked to it in the plan that has it.
    pub linked_small_schools: usize,
}

/// A small school linked in both plans, to different hubs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Moved {
    /// The small school's id.
    pub small_school_id: String,
    /// Its students (as in B).
    pub students: u32,
    /// The id of its hub in A.
    pub from_hub: String,
    /// The hub's name in A.
    pub from_hub_name: String,
    /// Its link length in A, road km.
    pub from_km: f64,
    /// The id of its hub in B.
    pub to_hub: String,
    /// The hub's name in B.
    pub to_hub_name: String,
    /// Its link length in B, road km.
    pub to_km: f64,
}

/// A small school linked in B but not in A.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewlyLinked {
    /// The small school's id.
    pub small_school_id: String,
    /// Its students (as in B).
    pub students: u32,
    /// The id of its hub in B.
    pub hub: String,
    /// The hub's name in B.
    pub hub_name: String,
    /// Its link length in B, road km.
    pub road_km: f64,
    /// Why A left it unlinked (`None`: A does not list it as a small school).
    pub was: Option<Reason>,
}

/// A small school linked in A but not in B.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewlyUnlinked {
    /// The small school's id.
    pub small_school_id: String,
    /// Name and district from B's unlinked list (empty when B does not list it).
    pub name: String,
    /// Its district, from B's unlinked list (empty when B does not list it).
    pub district: String,
    /// Its students (as in B's unlinked list, else as in A).
    pub students: u32,
    /// Its hub in A.
    pub was_hub: String,
    /// Why B leaves it unlinked (`None`: B does not list it as a small school).
    pub reason: Option<Reason>,
    /// B's sentence, or why B has none (it is a hub in B, or not a small school there).
    pub detail: String,
}

/// A small school unlinked in both plans, for different reasons.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReasonChanged {
    /// The small school's id.
    pub small_school_id: String,
    /// Its name.
    pub name: String,
    /// Its district.
    pub district: String,
    /// Its students (as in B).
    pub students: u32,
    /// Why A leaves it unlinked.
    pub before: Reason,
    /// Why B leaves it unlinked.
    pub after: Reason,
    /// B's sentence.
    pub detail: String,
}

/// A small school linked in both plans in different link modes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModeChanged {
    /// The small school's id.
    pub small_school_id: String,
    /// Its students (as in B).
    pub students: u32,
    /// Its hub in A.
    pub from_hub: String,
    /// Its mode in A (`road` for a plan without `[[links.modes]]`).
    pub from_mode: String,
    /// Its hub in B.
    pub to_hub: String,
    /// Its mode in B.
    pub to_mode: String,
}

/// One total in A and B (`None`: the plan has no value, e.g. no budget).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TotalChange {
    /// The field of `totals` in plan.json, a `quality.*` figure, or
    /// `internal_objective`, `internal_lower_bound`, `internal_gap`.
    pub field: String,
    /// The value in A.
    pub before: Option<f64>,
    /// The value in B.
    pub after: Option<f64>,
}

impl TotalChange {
    /// `after − before`, when both exist.
    pub fn delta(&self) -> Option<f64> {
        Some(self.after? - self.before?)
    }

    /// True when the value differs (by more than rounding noise).
    pub fn changed(&self) -> bool {
        match (self.before, self.after) {
            (Some(a), Some(b)) => (a - b).abs() > 1e-9 * a.abs().max(b.abs()).max(1.0),
            (None, None) => false,
            _ => true,
        }
    }
}

/// A rollout plan's own figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RolloutSide {
    /// Calendar years of the rollout.
    pub years: Vec<i32>,
    /// Weighted student-years of the joint plan.
    pub student_years: f64,
    /// No rollout links more student-years than this (when known).
    pub bound: Option<f64>,
    /// The student-years are proven maximal.
    pub proven: bool,
    /// Students linked by the end of each year, joint plan.
    pub linked_students: Vec<(i32, u64)>,
    /// Student-years of the same scenario planned one year at a time (when it could be).
    pub year_by_year_student_years: Option<f64>,
}

/// The rollouts of A and B (at least one of them is a rollout).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RolloutComparison {
    /// A's rollout figures (`None`: A is a single-year plan).
    pub a: Option<RolloutSide>,
    /// B's rollout figures (`None`: B is a single-year plan).
    pub b: Option<RolloutSide>,
    /// When only one plan is a rollout: what the comparison covers.
    pub note: Option<String>,
}

fn rollout_side(d: &PlanDoc) -> Option<RolloutSide> {
    let r = d.rollout.as_ref()?;
    Some(RolloutSide {
        years: r.years.clone(),
        student_years: r.quality.student_years,
        bound: r.quality.bound,
        proven: r.quality.proven,
        linked_students: r.per_year.iter().map(|y| (y.year, y.linked_students)).collect(),
        year_by_year_student_years: r.year_by_year.as_ref().map(|y| y.student_years),
    })
}

/// `2025–2027`.
fn span(years: &[i32]) -> String {
    match (years.first(), years.last()) {
        (Some(a), Some(b)) if a != b => format!("{a}–{b}"),
        (Some(a), _) => a.to_string(),
        _ => String::new(),
    }
}

fn rollout_comparison(a: &PlanDoc, b: &PlanDoc) -> Option<RolloutComparison> {
    let (ra, rb) = (rollout_side(a), rollout_side(b));
    let mixed = |r: &RolloutSide, which: &str, other: &str| {
        format!(
            "{which} is a rollout over {} and {other} a single-year plan: they are compared on what they share, \
             the hubs, links and totals, which for {which} are those of its final year, {}. Student-years and \
             the per-year figures are {which}'s alone, and the plans' quality is measured in different units.",
            span(&r.years),
            r.years.last().copied().unwrap_or_default()
        )
    };
    let note = match (&ra, &rb) {
        (None, None) => return None,
        (Some(r), None) => Some(mixed(r, "A", "B")),
        (None, Some(r)) => Some(mixed(r, "B", "A")),
        (Some(_), Some(_)) => None,
    };
    Some(RolloutComparison { a: ra, b: rb, note })
}

/// A rollout's figures as totals: whether its student-years are proven, the
/// year-by-year plan's student-years, and each year's linked students, new
/// hubs and spending (`rollout.<year>.*`), over the years of either plan.
fn rollout_totals(a: &PlanDoc, b: &PlanDoc) -> Vec<TotalChange> {
    let (ra, rb) = (a.rollout.as_ref(), b.rollout.as_ref());
    if ra.is_none() && rb.is_none() {
        return Vec::new();
    }
    let pair = |field: String, f: &dyn Fn(&crate::hub::rollout::doc::RolloutDoc) -> Option<f64>| TotalChange {
        field,
        before: ra.and_then(f),
        after: rb.and_then(f),
    };
    let mut out = vec![
        pair("rollout.proven".into(), &|r| Some(if r.quality.proven { 1.0 } else { 0.0 })),
        pair("rollout.year_by_year.student_years".into(), &|r| r.year_by_year.as_ref().map(|y| y.student_years)),
        pair("rollout.joint_gain_student_years".into(), &|r| {
            r.year_by_year.as_ref().map(|y| y.joint_gain_student_years)
        }),
    ];
    let mut years: Vec<i32> = ra.iter().chain(rb.iter()).flat_map(|r| r.years.iter().copied()).collect();
    years.sort_unstable();
    years.dedup();
    for y in years {
        let at = |r: &crate::hub::rollout::doc::RolloutDoc| r.per_year.iter().find(|t| t.year == y).cloned();
        out.push(pair(format!("rollout.{y}.linked_students"), &|r| at(r).map(|t| t.linked_students as f64)));
        out.push(pair(format!("rollout.{y}.new_hubs"), &|r| at(r).map(|t| t.new_hubs as f64)));
        out.push(pair(format!("rollout.{y}.spend_kzt"), &|r| at(r).map(|t| t.spend_kzt)));
    }
    out
}

/// What changed from plan A to plan B. Lists are sorted by id.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Scenario parameters whose values differ, by dotted key.
    pub parameters: Vec<ParamChange>,
    /// Hubs open in B but not in A.
    pub hubs_added: Vec<HubChange>,
    /// Hubs open in A but not in B.
    pub hubs_dropped: Vec<HubChange>,
    /// Small schools linked in both plans, to different hubs.
    pub moved: Vec<Moved>,
    /// Small schools linked in B but not in A.
    pub newly_linked: Vec<NewlyLinked>,
    /// Small schools linked in A but not in B.
    pub newly_unlinked: Vec<NewlyUnlinked>,
    /// Small schools unlinked in both plans, for different reasons.
    pub reason_changed: Vec<ReasonChanged>,
    /// Whether either plan has link modes (its links name their mode).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub uses_modes: bool,
    /// Small schools linked in both plans in different modes (with modes only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mode_changed: Vec<ModeChanged>,
    /// Every total (all of `totals`, then the plan's quality in its own
    /// unit, then the rollout's figures when either plan is a rollout, then
    /// the solver's internal objective, lower bound and gap), changed or not.
    pub totals: Vec<TotalChange>,
    /// Set when either plan is a rollout.
    pub rollout: Option<RolloutComparison>,
}

impl Comparison {
    /// The totals that changed.
    pub fn changed_totals(&self) -> impl Iterator<Item = &TotalChange> {
        self.totals.iter().filter(|t| t.changed())
    }

    /// True when the plans (not necessarily their scenarios) are the same.
    pub fn same_plan(&self) -> bool {
        self.hubs_added.is_empty()
            && self.hubs_dropped.is_empty()
            && self.moved.is_empty()
            && self.newly_linked.is_empty()
            && self.newly_unlinked.is_empty()
            && self.reason_changed.is_empty()
            && self.mode_changed.is_empty()
            && self.changed_totals().next().is_none()
    }
}

/// The fields of [`Totals`] in their order in plan.json.
pub const TOTAL_FIELDS: &[&str] = &[
    "hubs",
    "new_hubs",
    "cost_kzt",
    "hub_cost_kzt",
    "room_cost_kzt",
    "budget_kzt",
    "small_schools",
    "small_school_students",
    "linked_small_schools",
    "linked_students",
    "unlinked_small_schools",
    "student_km",
    "mean_km",
    "max_km",
    "yearly_visit_cost_kzt",
];

fn totals_map(t: &Totals) -> serde_json::Map<String, Value> {
    match serde_json::to_value(t) {
        Ok(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    }
}

fn hub_change(h: &HubRow) -> HubChange {
    HubChange {
        school_id: h.school_id.clone(),
        name: h.name.clone(),
        district: h.district.clone(),
        status: h.status.clone(),
        linked_small_schools: h.linked_small_schools,
    }
}

fn name_of(hubs: &BTreeMap<&str, &HubRow>, id: &str) -> String {
    hubs.get(id).map(|h| h.name.clone()).unwrap_or_default()
}

/// `id (name)`, or the id alone when the name is unknown or the same.
fn named(id: &str, name: &str) -> String {
    if name.is_empty() || name == id { id.to_string() } else { format!("{id} ({name})") }
}

/// Flattens JSON objects to dotted keys.
fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, x, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

/// What changed from `a` to `b`.
pub fn compare(a: &PlanDoc, b: &PlanDoc) -> Comparison {
    // Scenario parameters.
    let (mut pa, mut pb) = (BTreeMap::new(), BTreeMap::new());
    flatten("", &serde_json::to_value(&a.scenario).unwrap_or(Value::Null), &mut pa);
    flatten("", &serde_json::to_value(&b.scenario).unwrap_or(Value::Null), &mut pb);
    let mut keys: Vec<&String> = pa.keys().chain(pb.keys()).collect();
    keys.sort();
    keys.dedup();
    let parameters = keys
        .into_iter()
        .filter(|k| pa.get(*k) != pb.get(*k))
        .map(|k| ParamChange {
            key: k.clone(),
            before: pa.get(k).cloned().unwrap_or_default(),
            after: pb.get(k).cloned().unwrap_or_default(),
        })
        .collect();

    // Hubs.
    let hubs_a: BTreeMap<&str, &HubRow> = a.hubs.iter().map(|h| (h.school_id.as_str(), h)).collect();
    let hubs_b: BTreeMap<&str, &HubRow> = b.hubs.iter().map(|h| (h.school_id.as_str(), h)).collect();
    let hubs_added = hubs_b.iter().filter(|(id, _)| !hubs_a.contains_key(*id)).map(|(_, h)| hub_change(h)).collect();
    let hubs_dropped = hubs_a.iter().filter(|(id, _)| !hubs_b.contains_key(*id)).map(|(_, h)| hub_change(h)).collect();

    // Small schools.
    let links_a: BTreeMap<&str, &LinkRow> = a.links.iter().map(|l| (l.small_school_id.as_str(), l)).collect();
    let links_b: BTreeMap<&str, &LinkRow> = b.links.iter().map(|l| (l.small_school_id.as_str(), l)).collect();
    let unl_a: HashMap<&str, &UnlinkedRow> = a.unlinked.iter().map(|u| (u.small_school_id.as_str(), u)).collect();
    let unl_b: BTreeMap<&str, &UnlinkedRow> = b.unlinked.iter().map(|u| (u.small_school_id.as_str(), u)).collect();
    let mut moved = Vec::new();
    let mut newly_unlinked = Vec::new();
    for (id, la) in &links_a {
        match links_b.get(id) {
            Some(lb) if lb.hub_id != la.hub_id => moved.push(Moved {
                small_school_id: id.to_string(),
                students: lb.students,
                from_hub: la.hub_id.clone(),
                from_hub_name: name_of(&hubs_a, &la.hub_id),
                from_km: la.road_km,
                to_hub: lb.hub_id.clone(),
                to_hub_name: name_of(&hubs_b, &lb.hub_id),
                to_km: lb.road_km,
            }),
            Some(_) => {}
            None => {
                let u = unl_b.get(id);
                newly_unlinked.push(NewlyUnlinked {
                    small_school_id: id.to_string(),
                    name: u.map(|u| u.name.clone()).unwrap_or_default(),
                    district: u.map(|u| u.district.clone()).unwrap_or_default(),
                    students: u.map_or(la.students, |u| u.students),
                    was_hub: la.hub_id.clone(),
                    reason: u.map(|u| u.reason),
                    detail: match u {
                        Some(u) => u.detail.clone(),
                        None if hubs_b.contains_key(id) => "it is a hub in B".into(),
                        None => "B does not list it as a small school".into(),
                    },
                });
            }
        }
    }
    let newly_linked = links_b
        .iter()
        .filter(|(id, _)| !links_a.contains_key(*id))
        .map(|(id, lb)| NewlyLinked {
            small_school_id: id.to_string(),
            students: lb.students,
            hub: lb.hub_id.clone(),
            hub_name: name_of(&hubs_b, &lb.hub_id),
            road_km: lb.road_km,
            was: unl_a.get(id).map(|u| u.reason),
        })
        .collect();
    let reason_changed = unl_b
        .iter()
        .filter_map(|(id, ub)| {
            let ua = unl_a.get(id)?;
            (ua.reason != ub.reason).then(|| ReasonChanged {
                small_school_id: id.to_string(),
                name: ub.name.clone(),
                district: ub.district.clone(),
                students: ub.students,
                before: ua.reason,
                after: ub.reason,
                detail: ub.detail.clone(),
            })
        })
        .collect();

    // Link modes: a plan without `[[links.modes]]` links by its one road mode.
    let uses_modes = [a, b].iter().any(|d| d.links.iter().any(|l| l.mode.is_some()));
    let mode_of = |d: &PlanDoc, l: &LinkRow| {
        l.mode.clone().unwrap_or_else(|| if d.scenario.links.modes.is_empty() { "road".into() } else { "-".into() })
    };
    let mode_changed = if uses_modes {
        links_a
            .iter()
            .filter_map(|(id, la)| {
                let lb = links_b.get(id)?;
                let (ma, mb) = (mode_of(a, la), mode_of(b, lb));
                (ma != mb).then(|| ModeChanged {
                    small_school_id: id.to_string(),
                    students: lb.students,
                    from_hub: la.hub_id.clone(),
                    from_mode: ma,
                    to_hub: lb.hub_id.clone(),
                    to_mode: mb,
                })
            })
            .collect()
    } else {
        Vec::new()
    };

    // Totals.
    let (ta, tb) = (totals_map(&a.totals), totals_map(&b.totals));
    let mut totals: Vec<TotalChange> = TOTAL_FIELDS
        .iter()
        .map(|f| TotalChange {
            field: f.to_string(),
            before: ta.get(*f).and_then(Value::as_f64),
            after: tb.get(*f).and_then(Value::as_f64),
        })
        .collect();
    // Fields added to Totals after this list was written still show.
    // (Figures only: each mode's totals follow as `modes.<mode>.<field>`.)
    let figure = |k: &String| [&ta, &tb].iter().all(|t| t.get(k).is_none_or(|v| v.is_number() || v.is_null()));
    let mut extra: Vec<&String> =
        ta.keys().chain(tb.keys()).filter(|k| !TOTAL_FIELDS.contains(&k.as_str()) && figure(k)).collect();
    extra.sort();
    extra.dedup();
    for f in extra {
        totals.push(TotalChange {
            field: f.clone(),
            before: ta.get(f).and_then(Value::as_f64),
            after: tb.get(f).and_then(Value::as_f64),
        });
    }
    totals.extend(mode_totals(a, b));
    // Quality in the planner's units, then the solver's internal figures.
    let (qa, qb) = (quality_fields(a), quality_fields(b));
    let mut keys: Vec<&String> = qa.iter().map(|(k, _)| k).collect();
    keys.extend(qb.iter().map(|(k, _)| k).filter(|k| !qa.iter().any(|(ka, _)| ka == *k)));
    let get = |q: &[(String, Option<f64>)], k: &str| q.iter().find(|(f, _)| f == k).and_then(|(_, v)| *v);
    for k in keys {
        totals.push(TotalChange { field: k.clone(), before: get(&qa, k), after: get(&qb, k) });
    }
    totals.extend(rollout_totals(a, b));
    totals.push(TotalChange {
        field: "internal_objective".into(),
        before: Some(a.internal_objective),
        after: Some(b.internal_objective),
    });
    totals.push(TotalChange {
        field: "internal_lower_bound".into(),
        before: a.internal_lower_bound,
        after: b.internal_lower_bound,
    });
    totals.push(TotalChange { field: "internal_gap".into(), before: a.internal_gap, after: b.internal_gap });

    Comparison {
        parameters,
        hubs_added,
        hubs_dropped,
        moved,
        newly_linked,
        newly_unlinked,
        reason_changed,
        uses_modes,
        mode_changed,
        totals,
        rollout: rollout_comparison(a, b),
    }
}

/// Each link mode's totals (`modes.<mode>.linked_small_schools`, `…linked_students`,
/// `…teacher_hours`, `…student_km`), over the modes of either plan (A's order first).
fn mode_totals(a: &PlanDoc, b: &PlanDoc) -> Vec<TotalChange> {
    let mut names: Vec<&str> = a.totals.modes.iter().map(|m| m.mode.as_str()).collect();
    for m in &b.totals.modes {
        if !names.contains(&m.mode.as_str()) {
            names.push(&m.mode);
        }
    }
    let mut out = Vec::new();
    for name in names {
        let of = |d: &PlanDoc| d.totals.modes.iter().find(|m| m.mode == name).cloned();
        let (ma, mb) = (of(a), of(b));
        let value = |m: &crate::hub::plan_doc::ModeTotal, field: &str| match field {
            "linked_small_schools" => m.linked_small_schools as f64,
            "linked_students" => m.linked_students as f64,
            "teacher_hours" => m.teacher_hours,
            _ => m.student_km,
        };
        for field in ["linked_small_schools", "linked_students", "teacher_hours", "student_km"] {
            out.push(TotalChange {
                field: format!("modes.{name}.{field}"),
                before: ma.as_ref().map(|m| value(m, field)),
                after: mb.as_ref().map(|m| value(m, field)),
            });
        }
    }
    out
}

/// A plan's quality as comparable figures, named by measure so that plans of
/// different objectives do not mix: `quality.linked_students`,
/// `quality.linked_students.bound`, `.gap`, `.relative_gap`, and for
/// `max-coverage` the tie-break `quality.student_km`, `quality.student_km.bound`, `.gap`.
fn quality_fields(d: &PlanDoc) -> Vec<(String, Option<f64>)> {
    let q = d.quality();
    let m = format!("quality.{}", q.measure.as_str());
    let mut v = vec![
        (m.clone(), Some(q.value)),
        (format!("{m}.bound"), q.bound),
        (format!("{m}.gap"), q.gap),
        (format!("{m}.relative_gap"), q.relative_gap),
    ];
    if let Some(t) = &q.tie_break {
        let m = format!("quality.{}", t.measure.as_str());
        v.extend([(m.clone(), Some(t.value)), (format!("{m}.bound"), t.bound), (format!("{m}.gap"), t.gap)]);
    }
    v
}

/// A number for people and spreadsheets: integers plain, others to at most 6 decimals.
fn num(v: f64) -> String {
    decimal(v, 6)
}

fn opt(v: Option<f64>) -> String {
    opt_decimal(v, 6)
}

fn signed(v: Option<f64>) -> String {
    match v {
        Some(d) if d > 0.0 => format!("+{}", num(d)),
        Some(d) => num(d),
        None => String::new(),
    }
}

/// A markdown table cell: no line breaks, pipes escaped.
fn cell(s: &str) -> String {
    s.replace(['\n', '\r'], " ").replace('|', "\\|")
}

fn reason(r: Option<Reason>) -> &'static str {
    r.map_or("-", Reason::as_str)
}

fn section(out: &mut String, title: &str, header: &[&str], rows: Vec<Vec<String>>) {
    let _ = writeln!(out, "\n## {title}\n");
    if rows.is_empty() {
        out.push_str("none\n");
        return;
    }
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", " --- |".repeat(header.len()));
    for r in rows {
        let cells: Vec<String> = r.iter().map(|c| cell(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
}

/// The comparison as markdown; `a` and `b` name the plans (e.g. their folders).
pub fn markdown(c: &Comparison, a: &str, b: &str) -> String {
    let mut s = format!("# Plan comparison\n\n- A: {}\n- B: {}\n", cell(a), cell(b));
    if let Some(note) = c.rollout.as_ref().and_then(|r| r.note.as_ref()) {
        let _ = writeln!(s, "\n{note}");
    }
    if c.same_plan() {
        s.push_str("\nThe plans are the same: same hubs, same links, same totals.\n");
    }
    section(
        &mut s,
        &format!("Scenario parameters that differ ({})", c.parameters.len()),
        &["parameter", "A", "B"],
        c.parameters.iter().map(|p| vec![format!("`{}`", p.key), p.before.clone(), p.after.clone()]).collect(),
    );
    let hub_rows = |hs: &[HubChange]| -> Vec<Vec<String>> {
        hs.iter()
            .map(|h| {
                vec![
                    h.school_id.clone(),
                    h.name.clone(),
                    h.district.clone(),
                    h.status.clone(),
                    h.linked_small_schools.to_string(),
                ]
            })
            .collect()
    };
    let hub_header = ["hub", "name", "district", "status", "linked small schools"];
    section(&mut s, &format!("Hubs added in B ({})", c.hubs_added.len()), &hub_header, hub_rows(&c.hubs_added));
    section(&mut s, &format!("Hubs dropped from A ({})", c.hubs_dropped.len()), &hub_header, hub_rows(&c.hubs_dropped));
    section(
        &mut s,
        &format!("Small schools moved to another hub ({})", c.moved.len()),
        &["small school", "students", "hub in A", "km in A", "hub in B", "km in B"],
        c.moved
            .iter()
            .map(|m| {
                vec![
                    m.small_school_id.clone(),
                    m.students.to_string(),
                    named(&m.from_hub, &m.from_hub_name),
                    format!("{:.1}", m.from_km),
                    named(&m.to_hub, &m.to_hub_name),
                    format!("{:.1}", m.to_km),
                ]
            })
            .collect(),
    );
    section(
        &mut s,
        &format!("Newly linked in B ({})", c.newly_linked.len()),
        &["small school", "students", "hub", "km", "unlinked in A because"],
        c.newly_linked
            .iter()
            .map(|l| {
                vec![
                    l.small_school_id.clone(),
                    l.students.to_string(),
                    named(&l.hub, &l.hub_name),
                    format!("{:.1}", l.road_km),
                    reason(l.was).into(),
                ]
            })
            .collect(),
    );
    section(
        &mut s,
        &format!("Newly unlinked in B ({})", c.newly_unlinked.len()),
        &["small school", "name", "district", "students", "hub in A", "reason", "detail"],
        c.newly_unlinked
            .iter()
            .map(|u| {
                vec![
                    u.small_school_id.clone(),
                    u.name.clone(),
                    u.district.clone(),
                    u.students.to_string(),
                    u.was_hub.clone(),
                    reason(u.reason).into(),
                    u.detail.clone(),
                ]
            })
            .collect(),
    );
    section(
        &mut s,
        &format!("Unlinked in both, for another reason ({})", c.reason_changed.len()),
        &["small school", "name", "district", "students", "reason in A", "reason in B", "detail"],
        c.reason_changed
            .iter()
            .map(|r| {
                vec![
                    r.small_school_id.clone(),
                    r.name.clone(),
                    r.district.clone(),
                    r.students.to_string(),
                    r.before.as_str().into(),
                    r.after.as_str().into(),
                    r.detail.clone(),
                ]
            })
            .collect(),
    );
    if c.uses_modes {
        section(
            &mut s,
            &format!("Small schools whose link mode changed ({})", c.mode_changed.len()),
            &["small school", "students", "mode in A", "mode in B", "hub in A", "hub in B"],
            c.mode_changed
                .iter()
                .map(|m| {
                    vec![
                        m.small_school_id.clone(),
                        m.students.to_string(),
                        m.from_mode.clone(),
                        m.to_mode.clone(),
                        m.from_hub.clone(),
                        m.to_hub.clone(),
                    ]
                })
                .collect(),
        );
    }
    if let Some(r) = &c.rollout {
        rollout_section(&mut s, r);
    }
    let changed = c.changed_totals().count();
    section(
        &mut s,
        &format!("Totals ({changed} of {} changed)", c.totals.len()),
        &["total", "A", "B", "change"],
        c.totals
            .iter()
            .map(|t| vec![format!("`{}`", t.field), opt(t.before), opt(t.after), signed(t.delta())])
            .collect(),
    );
    s
}

/// The rollouts side by side: student-years, bound, proven, and linked students year by year.
fn rollout_section(s: &mut String, r: &RolloutComparison) {
    let (a, b) = (r.a.as_ref(), r.b.as_ref());
    let side = |x: Option<&RolloutSide>, f: &dyn Fn(&RolloutSide) -> Option<f64>| x.and_then(f);
    let row = |label: String, f: &dyn Fn(&RolloutSide) -> Option<f64>| {
        let (va, vb) = (side(a, f), side(b, f));
        let delta = match (va, vb) {
            (Some(x), Some(y)) => signed(Some(y - x)),
            _ => String::new(),
        };
        vec![label, opt(va), opt(vb), delta]
    };
    let text = |x: Option<&RolloutSide>, f: &dyn Fn(&RolloutSide) -> String| x.map_or("single-year plan".into(), f);
    let mut rows = vec![
        vec!["years".into(), text(a, &|r| span(&r.years)), text(b, &|r| span(&r.years)), String::new()],
        row("student-years".into(), &|r| Some(r.student_years)),
        row("bound on student-years".into(), &|r| r.bound),
        vec![
            "student-years proven maximal".into(),
            a.map_or(String::new(), |r| if r.proven { "yes" } else { "no" }.into()),
            b.map_or(String::new(), |r| if r.proven { "yes" } else { "no" }.into()),
            String::new(),
        ],
        row("student-years planned year by year".into(), &|r| r.year_by_year_student_years),
    ];
    let mut years: Vec<i32> = a.iter().chain(b.iter()).flat_map(|r| r.years.iter().copied()).collect();
    years.sort_unstable();
    years.dedup();
    for y in years {
        rows.push(row(format!("students linked by {y}"), &|r| {
            r.linked_students.iter().find(|(t, _)| *t == y).map(|(_, n)| *n as f64)
        }));
    }
    section(s, "Rollout", &["", "A", "B", "change"], rows);
}

/// The comparison as CSV, one change a row:
/// `change,id,name,district,students,before,after,delta,detail`, where
/// `change` is `parameter`, `hub-added`, `hub-dropped`, `moved`,
/// `newly-linked`, `newly-unlinked`, `reason-changed`, `mode-changed` (with
/// link modes: `before` and `after` the modes, `detail` the hubs) or `total` (every
/// total, changed or not); comparing a rollout with a single-year plan adds
/// one `note` row first, its sentence in `detail`.
pub fn csv(c: &Comparison) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut row = |r: [String; 9]| w.write_record(&r).expect("in-memory CSV");
    row(["change", "id", "name", "district", "students", "before", "after", "delta", "detail"].map(String::from));
    let e = String::new;
    if let Some(note) = c.rollout.as_ref().and_then(|r| r.note.as_ref()) {
        row(["note".into(), e(), e(), e(), e(), e(), e(), e(), note.clone()]);
    }
    for p in &c.parameters {
        row(["parameter".into(), p.key.clone(), e(), e(), e(), p.before.clone(), p.after.clone(), e(), e()]);
    }
    for (kind, hs) in [("hub-added", &c.hubs_added), ("hub-dropped", &c.hubs_dropped)] {
        for h in hs {
            let (before, after) = if kind == "hub-added" { (e(), h.status.clone()) } else { (h.status.clone(), e()) };
            row([
                kind.into(),
                h.school_id.clone(),
                h.name.clone(),
                h.district.clone(),
                e(),
                before,
                after,
                e(),
                format!("{} linked small schools", h.linked_small_schools),
            ]);
        }
    }
    for m in &c.moved {
        row([
            "moved".into(),
            m.small_school_id.clone(),
            e(),
            e(),
            m.students.to_string(),
            m.from_hub.clone(),
            m.to_hub.clone(),
            num(m.to_km - m.from_km),
            format!("{:.1} km -> {:.1} km", m.from_km, m.to_km),
        ]);
    }
    for l in &c.newly_linked {
        row([
            "newly-linked".into(),
            l.small_school_id.clone(),
            e(),
            e(),
            l.students.to_string(),
            reason(l.was).into(),
            l.hub.clone(),
            e(),
            format!("{:.1} km", l.road_km),
        ]);
    }
    for u in &c.newly_unlinked {
        row([
            "newly-unlinked".into(),
            u.small_school_id.clone(),
            u.name.clone(),
            u.district.clone(),
            u.students.to_string(),
            u.was_hub.clone(),
            reason(u.reason).into(),
            e(),
            u.detail.clone(),
        ]);
    }
    for r in &c.reason_changed {
        row([
            "reason-changed".into(),
            r.small_school_id.clone(),
            r.name.clone(),
            r.district.clone(),
            r.students.to_string(),
            r.before.as_str().into(),
            r.after.as_str().into(),
            e(),
            r.detail.clone(),
        ]);
    }
    for m in &c.mode_changed {
        row([
            "mode-changed".into(),
            m.small_school_id.clone(),
            e(),
            e(),
            m.students.to_string(),
            m.from_mode.clone(),
            m.to_mode.clone(),
            e(),
            format!("hub {} -> {}", m.from_hub, m.to_hub),
        ]);
    }
    for t in &c.totals {
        row(["total".into(), t.field.clone(), e(), e(), e(), opt(t.before), opt(t.after), signed(t.delta()), e()]);
    }
    w.into_inner().expect("in-memory CSV")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_fields_are_every_field_of_totals_in_order() {
        let v = serde_json::to_value(Totals::default()).unwrap();
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut listed = TOTAL_FIELDS.to_vec();
        keys.sort();
        listed.sort();
        assert_eq!(keys, listed, "update TOTAL_FIELDS when Totals changes");
    }

    #[test]
    fn a_total_changes_when_it_moves_or_appears() {
        let t = |b, a| TotalChange { field: "x".into(), before: b, after: a };
        assert!(!t(Some(1.0), Some(1.0)).changed());
        assert!(t(Some(1.0), Some(2.0)).changed());
        assert!(t(None, Some(2.0)).changed());
        assert_eq!(t(Some(1.5), Some(4.0)).delta(), Some(2.5));
        assert_eq!(t(None, Some(4.0)).delta(), None);
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }
}
