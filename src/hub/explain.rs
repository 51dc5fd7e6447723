//! `hubplan explain`: why one school has its place in a plan, in the
//! planner's units, each number from a plan solved again rather than
//! estimated.
//!
//! - a **hub**: its worth (regret and runner-up, [`super::worth`]), the
//!   small schools it serves, and which of its limits bind;
//! - a **candidate** that is not a hub: the best plan with it forced
//!   (`hubs.force`), and what changes — the measure, the cost, the hubs it
//!   replaces, the links that move;
//! - an **unlinked** small school: its reason, and the changes of one
//!   scenario key that could link it (the hubs' capacity, the budget, the
//!   district or new-hub limit, the radius), each planned, with what it
//!   does to the rest of the plan;
//! - a **linked** small school: its hub, and for every other hub within
//!   reach that is nearer, why the school is not linked there.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::plan_doc::{PlanDoc, Reason};
use super::quality::Measure;
use super::scenario::Scenario;
use super::worth::{HubWorth, Variant, plan_variant, plan_variant_on, regret_between, worth_of};
use super::{PlanError, PlanRun};
use crate::io::schools::HubStatus;
use crate::network::SchoolIdx;
use crate::problem::ClientIdx;

/// A school, as explanations name it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchoolRef {
    /// Its id in the schools file.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its district.
    pub district: String,
}

/// One limit of a hub, and whether it binds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Limit {
    /// The scenario key (or schools column) that sets it.
    pub key: String,
    /// What the hub uses of it.
    pub used: f64,
    /// The limit.
    pub limit: f64,
    /// True when a small school within reach and unlinked does not fit in
    /// what is left.
    pub binds: bool,
}

/// What changes between the plan and another plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanChange {
    /// The unit of `delta`.
    pub measure: Measure,
    /// The other plan's figure minus the plan's (signed; for linked students
    /// negative is a loss, for tenge and student-km positive is).
    pub delta: f64,
    /// Total cost (hubs and rooms) of the other plan minus the plan's, KZT.
    pub cost_delta_kzt: f64,
    /// Both plans proven optimal, so `delta` is exact.
    pub exact: bool,
    /// Hubs of the plan that the other plan does not open.
    pub hubs_dropped: Vec<SchoolRef>,
    /// Hubs the other plan opens that the plan does not.
    pub hubs_added: Vec<SchoolRef>,
    /// Small schools whose hub differs: `(small school, hub in the plan, hub in the other)`.
    pub links_moved: Vec<(String, Option<String>, Option<String>)>,
}

/// A change of one scenario key tried for an unlinked small school.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyChange {
    /// The key, as `--set` takes it.
    pub key: String,
    /// Its value in the plan's scenario (`none`: no limit).
    pub from: String,
    /// The value tried.
    pub to: String,
    /// Whether the best plan under the change links the school.
    pub links_it: bool,
    /// That plan against the plan; `None` when no plan meets the rules.
    pub change: Option<PlanChange>,
    /// The outcome in a sentence.
    pub detail: String,
}

/// A nearer hub a linked small school is not linked to, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearerHub {
    /// The hub (or candidate).
    pub hub: SchoolRef,
    /// Road km from it to the small school.
    pub road_km: f64,
    /// Whether it is a hub of the plan.
    pub open: bool,
    /// Why the school is not linked there.
    pub why_not: String,
}

/// Why a school has its place in a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "role", rename_all = "kebab-case")]
pub enum Explanation {
    /// A hub of the plan.
    Hub {
        /// The hub school.
        school: SchoolRef,
        /// `existing` or `new`.
        status: String,
        /// A new hub's worth.
        worth: Option<HubWorth>,
        /// The small schools it serves, nearest first: `(id, students, road km)`.
        serves: Vec<(String, u32, f64)>,
        /// Its limits.
        limits: Vec<Limit>,
    },
    /// A hub candidate the plan does not open.
    Candidate {
        /// The candidate.
        school: SchoolRef,
        /// The best plan with it forced, against the plan; `None` when no
        /// plan meets the rules with it.
        if_forced: Option<PlanChange>,
        /// The answer in a sentence.
        detail: String,
    },
    /// A small school the plan leaves unlinked.
    Unlinked {
        /// The small school.
        school: SchoolRef,
        /// Its reason (as in `unlinked.csv`).
        reason: String,
        /// The reason's sentence.
        detail: String,
        /// The changes tried, the one that fits its reason first.
        changes: Vec<KeyChange>,
    },
    /// A linked small school.
    Linked {
        /// The small school.
        school: SchoolRef,
        /// Its hub.
        hub: SchoolRef,
        /// Road km to it.
        road_km: f64,
        /// Hubs and candidates within reach that are nearer.
        nearer: Vec<NearerHub>,
    },
    /// A school that is neither a hub candidate nor small.
    Other {
        /// The school.
        school: SchoolRef,
        /// Why it has no part in the plan.
        detail: String,
    },
}

/// Why `explain` cannot answer.
#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    /// The id names no school of the scenario's schools file.
    #[error("`{0}` is not a school of the schools file")]
    UnknownSchool(String),
    /// Planning a variant failed for a reason other than infeasibility.
    #[error(transparent)]
    Plan(#[from] PlanError),
}

fn school_ref(run: &PlanRun, id: &str) -> SchoolRef {
    match run.inputs.schools.iter().find(|s| s.id == id) {
        Some(s) => SchoolRef { id: s.id.clone(), name: s.name.clone(), district: s.district.clone() },
        None => SchoolRef { id: id.into(), name: id.into(), district: String::new() },
    }
}

/// The change from `doc` (quality proven or not) to `other`.
pub fn plan_change(run: &PlanRun, doc: &PlanDoc, other: &PlanDoc) -> PlanChange {
    let (q, qo) = (doc.quality(), other.quality());
    let (regret, _, _) = regret_between(&q, &qo);
    let delta = if q.measure.maximise() { -regret } else { regret };
    let hubs: BTreeSet<&str> = doc.hubs.iter().map(|h| h.school_id.as_str()).collect();
    let other_hubs: BTreeSet<&str> = other.hubs.iter().map(|h| h.school_id.as_str()).collect();
    let link_of = |d: &PlanDoc| -> BTreeMap<String, String> {
        d.links.iter().map(|l| (l.small_school_id.clone(), l.hub_id.clone())).collect()
    };
    let (a, b) = (link_of(doc), link_of(other));
    let smalls: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let links_moved = smalls
        .into_iter()
        .filter(|s| a.get(*s) != b.get(*s))
        .map(|s| (s.clone(), a.get(s).cloned(), b.get(s).cloned()))
        .collect();
    PlanChange {
        measure: q.measure,
        delta,
        cost_delta_kzt: other.totals.cost_kzt - doc.totals.cost_kzt,
        exact: q.proven && qo.proven,
        hubs_dropped: hubs.difference(&other_hubs).map(|id| school_ref(run, id)).collect(),
        hubs_added: other_hubs.difference(&hubs).map(|id| school_ref(run, id)).collect(),
        links_moved,
    }
}

/// Plans a scenario from scratch, distances included (for a change of
/// `links.max_road_km`, whose links the run's distance table does not hold).
pub type Replan<'a> = &'a dyn Fn(Scenario) -> Result<PlanDoc, PlanError>;

/// Explains school `id` in `run`'s plan; an unlinked school out of every
/// hub's reach gets only an estimate of the radius it needs.
pub fn explain(run: &PlanRun, id: &str) -> Result<Explanation, ExplainError> {
    explain_with(run, id, None)
}

/// [`explain`], with `replan` to plan a longer radius for a school out of
/// every hub's reach (the CLI reads the data and computes the distances again).
pub fn explain_with(run: &PlanRun, id: &str, replan: Option<Replan>) -> Result<Explanation, ExplainError> {
    let schools = &run.inputs.schools;
    let i = schools.iter().position(|s| s.id == id).ok_or_else(|| ExplainError::UnknownSchool(id.into()))?;
    let s = &schools[i];
    let doc = &run.doc;
    let me = school_ref(run, id);
    if let Some(pos) = doc.hubs.iter().position(|h| h.school_id == id) {
        return Ok(explain_hub(run, pos, me)?);
    }
    if let Some(l) = doc.links.iter().find(|l| l.small_school_id == id) {
        return Ok(explain_linked(run, i, l.hub_id.as_str(), l.road_km, me));
    }
    if let Some(u) = doc.unlinked.iter().find(|u| u.small_school_id == id) {
        return Ok(explain_unlinked(run, u.reason, &u.detail, i, me, replan)?);
    }
    if s.hub == HubStatus::Candidate {
        let sc = &run.loaded.scenario;
        if sc.hubs.forbid.contains(&s.id) {
            return Ok(Explanation::Candidate {
                school: me,
                if_forced: None,
                detail: "in `hubs.forbid`: the scenario keeps it closed".into(),
            });
        }
        let mut forced = sc.clone();
        forced.hubs.force.push(s.id.clone());
        return Ok(match variant(run, forced)? {
            Some(v) => {
                let change = plan_change(run, doc, &v.doc);
                let detail = change_sentence(&change, "forced to be a hub");
                Explanation::Candidate { school: me, if_forced: Some(change), detail }
            }
            None => Explanation::Candidate {
                school: me,
                if_forced: None,
                detail: "no plan meets the rules with it as a hub".into(),
            },
        });
    }
    let detail = if s.small {
        "a small school outside the plan's model (it is a hub itself or not reachable by any rule)".to_string()
    } else {
        format!(
            "a regular school: not small (at least `small_schools.max_students` = {} students, or its `kind`) and not a hub candidate",
            run.loaded.scenario.small_schools.max_students
        )
    };
    Ok(Explanation::Other { school: me, detail })
}

/// Plans a variant; `None` when no plan meets its rules.
fn variant(run: &PlanRun, sc: Scenario) -> Result<Option<Variant>, PlanError> {
    match plan_variant(run, sc) {
        Ok(v) => Ok(Some(v)),
        Err(PlanError::Infeasible(_) | PlanError::Model(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

fn change_sentence(c: &PlanChange, what: &str) -> String {
    let m = c.measure;
    let figure = if c.delta.abs() < 1e-9 {
        format!("the same {}", m.as_str().replace('_', " "))
    } else {
        format!("{}{}", if c.delta > 0.0 { "+" } else { "−" }, m.amount(c.delta.abs()))
    };
    if c.delta.abs() < 1e-9 && c.cost_delta_kzt.abs() < 0.5 && c.links_moved.is_empty() && c.hubs_added.is_empty() {
        return format!("{what}: the plan does not change");
    }
    let names = |v: &[SchoolRef]| v.iter().map(|s| format!("{} ({})", s.name, s.id)).collect::<Vec<_>>().join(", ");
    let cost = c.cost_delta_kzt / 1e6;
    let mut t = format!("{what}: {figure}, cost {}{:.1} KZT m", if cost < 0.0 { "−" } else { "+" }, cost.abs());
    if !c.hubs_dropped.is_empty() {
        t.push_str(&format!("; replaces {}", names(&c.hubs_dropped)));
    }
    if !c.hubs_added.is_empty() {
        t.push_str(&format!("; opens {}", names(&c.hubs_added)));
    }
    t.push_str(&format!("; {} link(s) move", c.links_moved.len()));
    t.push_str(if c.exact { " (both plans proven optimal)" } else { " (a plan is not proven optimal)" });
    t
}

fn explain_hub(run: &PlanRun, pos: usize, me: SchoolRef) -> Result<Explanation, PlanError> {
    let doc = &run.doc;
    let h = &doc.hubs[pos];
    let worth = match (&h.worth, h.status.as_str()) {
        (Some(w), _) => Some(w.clone()),
        (None, "new") if run.loaded.scenario.rollout.is_none() => {
            Some(worth_of(run, h, &doc.quality(), run.loaded.scenario.solver.time_limit_s)?)
        }
        _ => None,
    };
    let mut serves: Vec<(String, u32, f64)> = doc
        .links
        .iter()
        .filter(|l| l.hub_id == h.school_id)
        .map(|l| (l.small_school_id.clone(), l.students, l.road_km))
        .collect();
    serves.sort_by(|a, b| a.2.total_cmp(&b.2).then(a.0.cmp(&b.0)));
    // Unlinked small schools that could use this hub: its clients in the model.
    let m = &run.model;
    let f = m
        .facility_school
        .iter_enumerated()
        .find(|&(_, &i)| run.inputs.schools[i.index()].id == h.school_id)
        .map(|p| p.0);
    let waiting: Vec<u32> = match f {
        Some(f) => (0..m.client_school.len())
            .filter(|&c| m.links[ClientIdx::new(c)].iter().any(|l| l.facility == f))
            .map(|c| &run.inputs.schools[m.client_school[ClientIdx::new(c)].index()])
            .filter(|s| doc.unlinked.iter().any(|u| u.small_school_id == s.id))
            .map(|s| s.students)
            .collect(),
        None => Vec::new(),
    };
    let smallest = waiting.iter().copied().min();
    let mut limits = Vec::new();
    if let Some(k) = f.and_then(|f| m.instance.facility(f).max_clients) {
        limits.push(Limit {
            key: "hubs.capacity_small_schools".into(),
            used: serves.len() as f64,
            limit: f64::from(k),
            binds: smallest.is_some() && serves.len() as u32 >= k,
        });
    }
    if let Some(cap) = run.loaded.scenario.hubs.capacity_students {
        let used: u32 = serves.iter().map(|x| x.1).sum();
        limits.push(Limit {
            key: "hubs.capacity_students".into(),
            used: f64::from(used),
            limit: f64::from(cap),
            binds: smallest.is_some_and(|n| used + n > cap),
        });
    }
    Ok(Explanation::Hub { school: me, status: h.status.clone(), worth, serves, limits })
}

fn explain_linked(run: &PlanRun, i: usize, hub_id: &str, road_km: f64, me: SchoolRef) -> Explanation {
    let doc = &run.doc;
    let sc = &run.loaded.scenario;
    let schools = &run.inputs.schools;
    let s = &schools[i];
    let mut nearer = Vec::new();
    let count = |id: &str| doc.links.iter().filter(|l| l.hub_id == id).count();
    let students = |id: &str| doc.links.iter().filter(|l| l.hub_id == id).map(|l| u64::from(l.students)).sum::<u64>();
    for (h, hs) in schools.iter().enumerate() {
        if hs.id == hub_id || h == i || !matches!(hs.hub, HubStatus::Existing | HubStatus::Candidate) {
            continue;
        }
        if sc.links.within_district && hs.district != s.district {
            continue;
        }
        let Some(l) = run.inputs.table.get(SchoolIdx(i as u32), SchoolIdx(h as u32)) else { continue };
        if l.road_km > sc.links.max_road_km || l.road_km >= road_km {
            continue;
        }
        let open = doc.hubs.iter().any(|x| x.school_id == hs.id);
        let why_not = if sc.hubs.forbid.contains(&hs.id) {
            "in `hubs.forbid`".to_string()
        } else if !open {
            "not a hub of the plan".to_string()
        } else {
            let k = hs.capacity_small_schools.or(sc.hubs.capacity_small_schools);
            let n = count(&hs.id);
            let st = students(&hs.id);
            if k.is_some_and(|k| n as u32 >= k) {
                format!("full: {n} of {} small schools", k.unwrap_or(0))
            } else if sc.hubs.capacity_students.is_some_and(|c| st + u64::from(s.students) > u64::from(c)) {
                format!(
                    "full: {st} students, {} more would pass `hubs.capacity_students` = {}",
                    s.students,
                    sc.hubs.capacity_students.unwrap_or(0)
                )
            } else {
                "has room: the plan is not proven optimal in its tie-break, or linking it there would push a school out"
                    .into()
            }
        };
        nearer.push(NearerHub {
            hub: SchoolRef { id: hs.id.clone(), name: hs.name.clone(), district: hs.district.clone() },
            road_km: l.road_km,
            open,
            why_not,
        });
    }
    nearer.sort_by(|a, b| a.road_km.total_cmp(&b.road_km).then(a.hub.id.cmp(&b.hub.id)));
    Explanation::Linked { school: me, hub: school_ref(run, hub_id), road_km, nearer }
}

fn explain_unlinked(
    run: &PlanRun,
    reason: Reason,
    detail: &str,
    i: usize,
    me: SchoolRef,
    replan: Option<Replan>,
) -> Result<Explanation, PlanError> {
    let sc = &run.loaded.scenario;
    let s = &run.inputs.schools[i];
    // Ladders of one change each, tried step by step until a plan links
    // the school: (the reason it answers, key, from, steps of (to, scenario, schools)).
    type Step = (String, Scenario, Option<Vec<super::School>>);
    let mut ladders: Vec<(Reason, String, String, Vec<Step>)> = Vec::new();
    let scen = |edit: &dyn Fn(&mut Scenario)| {
        let mut v = sc.clone();
        edit(&mut v);
        v
    };
    // The nearest open hub in reach that is full by its count: its own
    // capacity (the schools file's `capacity_small_schools`) raised.
    if let Some((h, k)) = nearest_full_hub(run, i) {
        let steps = (1..=LADDER)
            .map(|j| {
                let mut schools = run.inputs.schools.clone();
                schools[h].capacity_small_schools = Some(k + j);
                ((k + j).to_string(), sc.clone(), Some(schools))
            })
            .collect();
        let key = format!("capacity_small_schools of hub {}", run.inputs.schools[h].id);
        ladders.push((Reason::HubsFull, key, k.to_string(), steps));
    }
    if let Some(k) = sc.hubs.capacity_small_schools {
        let steps = (1..=LADDER)
            .map(|j| ((k + j).to_string(), scen(&|v| v.hubs.capacity_small_schools = Some(k + j)), None))
            .collect();
        ladders.push((Reason::HubsFull, "hubs.capacity_small_schools".into(), k.to_string(), steps));
    }
    if let Some(c) = sc.hubs.capacity_students {
        let steps = (1..=LADDER)
            .map(|j| {
                let to = c + j * s.students.max(1);
                (to.to_string(), scen(&|v| v.hubs.capacity_students = Some(to)), None)
            })
            .collect();
        ladders.push((Reason::HubsFull, "hubs.capacity_students".into(), c.to_string(), steps));
    }
    if let Some(b) = sc.budget.kzt {
        let room = super::model::room_cost(sc, s).max(1.0);
        let hub = sc.hubs.cost_kzt;
        let steps = [room, room + hub, room + 2.0 * hub]
            .into_iter()
            .map(|x| (format!("{:.0}", b + x), scen(&|v| v.budget.kzt = Some(b + x)), None))
            .collect();
        ladders.push((Reason::Budget, "budget.kzt".into(), format!("{b:.0}"), steps));
    }
    if let Some(k) = sc.hubs.max_per_district {
        let steps = vec![((k + 1).to_string(), scen(&|v| v.hubs.max_per_district = Some(k + 1)), None)];
        ladders.push((Reason::DistrictLimit, "hubs.max_per_district".into(), k.to_string(), steps));
    }
    if let Some(k) = sc.hubs.max_new {
        let steps = vec![((k + 1).to_string(), scen(&|v| v.hubs.max_new = Some(k + 1)), None)];
        ladders.push((Reason::NewHubLimit, "hubs.max_new".into(), k.to_string(), steps));
    }
    // The changes that fit the reason first, then the others; none of them
    // can link a school no hub reaches.
    ladders.sort_by_key(|t| t.0 != reason);
    if reason == Reason::NoHubInReach {
        ladders.clear();
    }
    let mut changes = Vec::new();
    for (_, key, from, steps) in ladders {
        let mut last = None;
        for (to, v, schools) in steps {
            let out = match plan_variant_on(run, v, schools) {
                Ok(v) => Some(v),
                Err(PlanError::Infeasible(_) | PlanError::Model(_)) => None,
                Err(e) => return Err(e),
            };
            let (links_it, change, text) = match out {
                None => (false, None, "no plan meets the rules".to_string()),
                Some(v) => {
                    let linked = v.doc.links.iter().any(|l| l.small_school_id == s.id);
                    let c = plan_change(run, &run.doc, &v.doc);
                    let t = change_sentence(&c, if linked { "links it" } else { "does not link it" });
                    (linked, Some(c), t)
                }
            };
            last = Some(KeyChange { key: key.clone(), from: from.clone(), to, links_it, change, detail: text });
            if links_it {
                break;
            }
        }
        changes.extend(last);
    }
    let mut detail = detail.to_string();
    if reason == Reason::NoHubInReach {
        use geo::{Distance, Haversine, Point};
        let here = Point::new(s.lon, s.lat);
        let nearest = run
            .inputs
            .schools
            .iter()
            .filter(|h| matches!(h.hub, HubStatus::Existing | HubStatus::Candidate) && !sc.hubs.forbid.contains(&h.id))
            .filter(|h| h.id != s.id && (!sc.links.within_district || h.district == s.district))
            .map(|h| (Haversine.distance(here, Point::new(h.lon, h.lat)) / 1000.0, h))
            .min_by(|a, b| a.0.total_cmp(&b.0));
        if let (Some((km, _)), Some(replan)) = (nearest, replan) {
            // The straight line × detour is an estimate of the road: up to
            // three radii, each planned with its own distances.
            let est = km * sc.links.detour_factor;
            for f in [1.0, 1.15, 1.3] {
                let r = (est * f).ceil().max(sc.links.max_road_km + 1.0);
                let mut v = sc.clone();
                v.links.max_road_km = r;
                let (links_it, change, text) = match replan(v) {
                    Ok(doc) => {
                        let linked = doc.links.iter().any(|l| l.small_school_id == s.id);
                        let c = plan_change(run, &run.doc, &doc);
                        let t = change_sentence(&c, if linked { "links it" } else { "does not link it" });
                        (linked, Some(c), t)
                    }
                    Err(PlanError::Infeasible(_) | PlanError::Model(_)) => {
                        (false, None, "no plan meets the rules".to_string())
                    }
                    Err(e) => return Err(e),
                };
                let done = links_it;
                changes.push(KeyChange {
                    key: "links.max_road_km".into(),
                    from: sc.links.max_road_km.to_string(),
                    to: r.to_string(),
                    links_it,
                    change,
                    detail: text,
                });
                if done {
                    break;
                }
            }
            if let Some(last) = changes.pop() {
                changes.clear();
                changes.push(last);
            }
        }
        match nearest {
            Some((km, h)) => detail.push_str(&format!(
                "; the nearest hub candidate is {} ({}), {km:.1} km in a straight line (about {:.0} road km at `links.detour_factor` {}): a radius (`links.max_road_km`, now {} km) that reaches it could link it — re-plan with `--set links.max_road_km={}` to see what it does to the plan",
                h.name,
                h.id,
                km * sc.links.detour_factor,
                sc.links.detour_factor,
                sc.links.max_road_km,
                (km * sc.links.detour_factor).ceil()
            )),
            None => detail.push_str("; no hub candidate can serve it (none in its district)"),
        }
    }
    Ok(Explanation::Unlinked { school: me, reason: reason.as_str().into(), detail, changes })
}

/// Steps of a change tried before giving up on it.
const LADDER: u32 = 5;

/// The nearest hub of the plan within reach of small school `i` that is
/// full by its count of small schools, with that count.
fn nearest_full_hub(run: &PlanRun, i: usize) -> Option<(usize, u32)> {
    let m = &run.model;
    let c = m.client_school.iter_enumerated().find(|&(_, &x)| x.index() == i)?.0;
    let mut links = m.links[c].clone();
    links.sort_by(|a, b| a.road_km.total_cmp(&b.road_km));
    links.into_iter().find_map(|l| {
        let h = m.facility_school[l.facility].index();
        let id = &run.inputs.schools[h].id;
        let k = m.instance.facility(l.facility).max_clients?;
        let n = run.doc.links.iter().filter(|x| &x.hub_id == id).count() as u32;
        (run.doc.hubs.iter().any(|x| &x.school_id == id) && n >= k).then_some((h, k))
    })
}
