//! `hubplan check-plan`: re-validates a plan directory against its scenario
//! and data, independently of the solver and of the model built for it.
//!
//! It re-reads the schools, recomputes the distance table, and checks every
//! rule of `models/README.md` from `plan.json` alone: links within the radius
//! (and district), one hub per small school, hubs that may be hubs, capacities,
//! district limits, the new-hub limit, the budget, coverage of every small
//! school (linked or listed as unlinked, and under `min-distance`/`min-cost`
//! linked whenever any hub is in reach), and the totals. With link modes
//! (`[[links.modes]]`, or teacher hours) each link is checked against its own
//! mode — its name, its reach (road km and driving minutes, or the district),
//! the school's internet when the mode needs it — and each hub's teacher
//! hours, recomputed from the modes and the roads, against what it has.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use super::PlanError;
use super::inputs::{School, read_inputs};
use super::plan_doc::{PLAN_SCHEMAS_READ, PlanDoc, Reason};
use super::scenario::{LoadedScenario, ObjectiveKind, Scenario};
use super::violation::PlanViolation;
use crate::error::{ErrorCode, InputErrors, Location, Problems, deserialize_all};
use crate::io::schools::HubStatus;
use crate::network::SchoolIdx;
use crate::network::progress::Progress;

const TOL_KM: f64 = 1e-3;

/// Reads `DIR/plan.json`: every value that does not fit the schema
/// (`hubplan-plan/5`, or an older one it reads) is reported at once, with its key path (`hubs[3].lat`)
/// and code. A `hubplan-plan/1` plan reads too (its `quality` recomputed from
/// its solver figures and totals); its `schema` stays as written.
pub fn read_plan(dir: &Path) -> Result<PlanDoc, InputErrors> {
    let p = dir.join("plan.json");
    let mut problems = Problems::new(&p);
    let text = match std::fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) => {
            problems.push(Location::File, ErrorCode::Unreadable, format!("cannot read the plan: {e}"));
            return problems.fail();
        }
    };
    let value: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            let at = if e.line() > 0 { Location::Line(e.line()) } else { Location::File };
            let code = if e.is_eof() { ErrorCode::Truncated } else { ErrorCode::WrongFormat };
            let what = e.to_string();
            let what = what.split(" at line ").next().unwrap_or_default();
            problems.push(at, code, format!("not valid JSON: {what}"));
            return problems.fail();
        }
    };
    if let Some(schema) = value.get("schema").and_then(|s| s.as_str())
        && !PLAN_SCHEMAS_READ.contains(&schema)
    {
        problems.push(
            Location::Key("schema".into()),
            ErrorCode::WrongFormat,
            format!(
                "is `{schema}`; this hubplan reads `{}` and `{}`",
                PLAN_SCHEMAS_READ[..PLAN_SCHEMAS_READ.len() - 1].join("`, `"),
                PLAN_SCHEMAS_READ[PLAN_SCHEMAS_READ.len() - 1]
            ),
        );
        return problems.fail();
    }
    let doc: Option<PlanDoc> = deserialize_all(&mut problems, value, &|_| None);
    match doc {
        Some(mut doc) if problems.is_empty() => {
            doc.quality = Some(doc.quality());
            Ok(doc)
        }
        _ => problems.fail(),
    }
}

/// Every rule the plan breaks (empty: the plan is valid).
pub fn check_plan(
    loaded: &LoadedScenario,
    doc: &PlanDoc,
    cache_dir: Option<&Path>,
    progress: &dyn Progress,
) -> Result<Vec<PlanViolation>, PlanError> {
    check_plan_and_data(loaded, doc, cache_dir, progress).map(|c| c.violations)
}

/// What re-checking a plan against its inputs found.
#[derive(Debug, Clone)]
pub struct PlanCheck {
    /// Every rule the plan breaks (empty: the plan is valid).
    pub violations: Vec<PlanViolation>,
    /// What the checks of the schools' points found today (as `plan` does).
    pub warnings: Vec<super::checks::DataWarning>,
    /// How the schools file was read.
    pub schools_format: crate::io::schools::SchoolsFormat,
}

/// [`check_plan`], with what the data checks find on the inputs read again.
pub fn check_plan_and_data(
    loaded: &LoadedScenario,
    doc: &PlanDoc,
    cache_dir: Option<&Path>,
    progress: &dyn Progress,
) -> Result<PlanCheck, PlanError> {
    let inputs = read_inputs(loaded, cache_dir, progress)?;
    super::check_hub_choices(loaded, &inputs.schools)?;
    let mut found = violations_on_roads(&loaded.scenario, doc, &inputs.schools, &|s, h| {
        inputs
            .table
            .get(SchoolIdx(s as u32), SchoolIdx(h as u32))
            .map(|l| Leg { road_km: l.road_km, minutes: Some(l.minutes) })
    });
    if loaded.scenario.rollout.is_some() {
        let model = super::build_model(&loaded.scenario, &inputs.schools, &inputs.table)?;
        found.extend(rollout_violations(&loaded.scenario, doc, &inputs.schools, &model));
    }
    Ok(PlanCheck { violations: found, warnings: inputs.warnings, schools_format: inputs.schools_format })
}

/// The rollout rules of `doc` year by year: each new hub's `year_opened`,
/// each link's `year_linked` (and the links that ended earlier,
/// `rollout.moved_links`) read back into a plan over the years and checked
/// by the rollout referee ([`super::rollout::violations`]).
pub fn rollout_violations(
    sc: &Scenario,
    doc: &PlanDoc,
    schools: &[School],
    model: &super::HubModel,
) -> Vec<PlanViolation> {
    use super::rollout::{RolloutDecision, RolloutModel, RolloutRules};
    let Some(rules) = RolloutRules::from_scenario(sc) else { return Vec::new() };
    let years = rules.years.clone();
    let rm = RolloutModel::new(model, rules, schools);
    let mut out = Vec::new();
    let mut bad = |detail: String, year: Option<i32>| {
        out.push(PlanViolation::Rollout { code: "R-YEAR", year, detail });
    };
    let facility: HashMap<&str, usize> =
        model.facility_school.iter().enumerate().map(|(f, &i)| (schools[i].id.as_str(), f)).collect();
    let client: HashMap<&str, usize> =
        model.client_school.iter().enumerate().map(|(c, &i)| (schools[i].id.as_str(), c)).collect();
    let year_index = |y: i32| years.iter().position(|&x| x == y);
    let mut d = RolloutDecision::empty(&rm);
    for h in &doc.hubs {
        let Some(&f) = facility.get(h.school_id.as_str()) else { continue };
        if model.instance.facilities[f].fixed_open {
            continue;
        }
        match h.year_opened.map(|y| (y, year_index(y))) {
            Some((_, Some(t))) => d.opened[f] = Some(t),
            Some((y, None)) => bad(format!("new hub {} opens in {y}, not a year of the rollout", h.school_id), Some(y)),
            None => bad(format!("new hub {} has no `year_opened`", h.school_id), None),
        }
    }
    let mut link = |small: &str, hub: &str, from: i32, to: Option<i32>, bad: &mut dyn FnMut(String, Option<i32>)| {
        let (Some(&c), Some(&f)) = (client.get(small), facility.get(hub)) else { return };
        let (Some(a), b) = (year_index(from), to.map(year_index)) else {
            bad(format!("small school {small} is linked in {from}, not a year of the rollout"), Some(from));
            return;
        };
        let b = match b {
            Some(Some(b)) => b,
            Some(None) => {
                bad(format!("small school {small}'s link to {hub} ends outside the rollout"), None);
                return;
            }
            None => years.len() - 1,
        };
        for t in a..=b.min(years.len() - 1) {
            d.links[c][t] = Some(f);
        }
    };
    for l in &doc.links {
        match l.year_linked {
            Some(y) => link(&l.small_school_id, &l.hub_id, y, None, &mut bad),
            None => bad(format!("small school {} has no `year_linked`", l.small_school_id), None),
        }
    }
    if let Some(r) = &doc.rollout {
        for m in &r.moved_links {
            link(&m.small_school_id, &m.hub_id, m.first_year, Some(m.last_year), &mut bad);
        }
    }
    // A link's `year_linked` is its first year; a school whose final link
    // starts later than it was first linked has its earlier links in `moved_links`.
    for l in &doc.links {
        let (Some(&c), Some(y)) = (client.get(l.small_school_id.as_str()), l.year_linked) else { continue };
        if let (Some(first), Some(t)) = (d.year_linked(c), year_index(y))
            && first < t
            && rm.rules.stable_links
        {
            bad(format!("small school {} is linked before its `year_linked` {y}", l.small_school_id), Some(y));
        }
    }
    out.extend(super::rollout::violations(&rm, &d).into_iter().map(|v| PlanViolation::Rollout {
        code: v.code,
        year: v.year,
        detail: v.detail,
    }));
    out
}

/// One hub → small school leg of the distance table: road km and, when
/// known, driving minutes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Leg {
    /// Road km (or the straight-line fallback × detour factor).
    pub road_km: f64,
    /// Driving minutes (`None`: not known, the minute limits unchecked).
    pub minutes: Option<f64>,
}

/// The rules, given the schools and a road-distance lookup `(school, hub) → km`
/// (without minutes: the limits in driving minutes and the teacher hours of
/// visits are taken from the minutes `plan.json` records; see [`violations_on_roads`]).
pub fn violations(
    sc: &Scenario,
    doc: &PlanDoc,
    schools: &[School],
    road_km: &dyn Fn(usize, usize) -> Option<f64>,
) -> Vec<PlanViolation> {
    violations_on_roads(sc, doc, schools, &|s, h| road_km(s, h).map(|km| Leg { road_km: km, minutes: None }))
}

/// Driving minutes within this of a limit pass (the tables round to a second).
const TOL_MINUTES: f64 = 1e-2;

/// Teacher hours recorded in `plan.json` within this of the recomputed pass.
const TOL_HOURS: f64 = 0.05;

/// What a link mode leaves of a link, for the totals.
#[derive(Default)]
struct ModeSum {
    schools: usize,
    students: u64,
    hours: f64,
    student_km: f64,
}

/// The rules, given the schools and a lookup `(school, hub) → leg` of the
/// distance table. With link modes (`[[links.modes]]`, or teacher hours) each
/// link is checked against its own mode: its reach (road km and minutes, or
/// the district), its internet connection and the teacher hours it takes of
/// its hub.
pub fn violations_on_roads(
    sc: &Scenario,
    doc: &PlanDoc,
    schools: &[School],
    leg: &dyn Fn(usize, usize) -> Option<Leg>,
) -> Vec<PlanViolation> {
    use super::scenario::{LinkMode, Reach};
    let mut v = Vec::new();
    let index: HashMap<&str, usize> = schools.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect();
    let modal = sc.uses_modes(schools) || doc.links.iter().any(|l| l.mode.is_some());
    let modes = sc.links.effective_modes();
    let mode_names: Vec<String> = modes.iter().map(|m| m.name.clone()).collect();
    // Hubs.
    let mut hub_set = HashSet::new();
    let mut new_hubs = 0usize;
    let mut hub_cost = 0.0;
    let mut per_district: BTreeMap<&str, usize> = schools.iter().map(|s| (s.district.as_str(), 0)).collect();
    for h in &doc.hubs {
        let Some(&i) = index.get(h.school_id.as_str()) else {
            v.push(PlanViolation::HubNotASchool { hub: h.school_id.clone() });
            continue;
        };
        if !hub_set.insert(i) {
            v.push(PlanViolation::HubListedTwice { hub: h.school_id.clone() });
            continue;
        }
        let s = &schools[i];
        match (s.hub, h.status.as_str()) {
            (HubStatus::Existing, "existing") => {}
            (HubStatus::Candidate, "new") => {
                new_hubs += 1;
                hub_cost += s.hub_cost_kzt;
            }
            (HubStatus::No, _) => v.push(PlanViolation::HubNotCandidate { hub: h.school_id.clone() }),
            (st, status) => v.push(PlanViolation::HubStatus {
                hub: h.school_id.clone(),
                plan: status.to_string(),
                schools: st.as_str(),
            }),
        }
        *per_district.entry(s.district.as_str()).or_default() += 1;
    }
    for (i, s) in schools.iter().enumerate() {
        if s.hub == HubStatus::Existing && !hub_set.contains(&i) {
            v.push(PlanViolation::ExistingHubMissing { hub: s.id.clone() });
        }
        if sc.hubs.force.contains(&s.id) && !hub_set.contains(&i) {
            v.push(PlanViolation::ForcedHubMissing { hub: s.id.clone() });
        }
        if sc.hubs.forbid.contains(&s.id) && hub_set.contains(&i) {
            v.push(PlanViolation::ForbiddenHub { hub: s.id.clone() });
        }
    }
    // Links.
    let mut linked: HashMap<usize, usize> = HashMap::new();
    let mut count: HashMap<usize, u32> = HashMap::new();
    let mut students: HashMap<usize, u64> = HashMap::new();
    let mut hours: HashMap<usize, f64> = HashMap::new();
    let mut by_mode: BTreeMap<&str, ModeSum> = BTreeMap::new();
    let mut valued_students = 0.0;
    let mut teacher_pay = 0.0;
    let mut room_cost = 0.0;
    let mut student_km = 0.0;
    for l in &doc.links {
        let (Some(&s), Some(&h)) = (index.get(l.small_school_id.as_str()), index.get(l.hub_id.as_str())) else {
            v.push(PlanViolation::LinkUnknownSchool { small: l.small_school_id.clone(), hub: l.hub_id.clone() });
            continue;
        };
        let school = &schools[s];
        if !school.small {
            v.push(PlanViolation::LinkNotSmall { small: l.small_school_id.clone() });
        }
        if !hub_set.contains(&h) {
            v.push(PlanViolation::LinkHubClosed { small: l.small_school_id.clone(), hub: l.hub_id.clone() });
        }
        if linked.insert(s, h).is_some() {
            v.push(PlanViolation::LinkedTwice { small: l.small_school_id.clone() });
        }
        // The link's mode: the one it names, or (without `[[links.modes]]`) the implicit road mode.
        let mode: Option<&LinkMode> = match &l.mode {
            Some(name) => modes.iter().find(|m| &m.name == name),
            None if sc.links.modes.is_empty() => modes.first(),
            None => None,
        };
        if modal && mode.is_none() {
            v.push(PlanViolation::ModeUnknown {
                small: l.small_school_id.clone(),
                hub: l.hub_id.clone(),
                mode: l.mode.clone(),
                known: mode_names.clone(),
            });
        }
        let reach = mode.map_or(Reach::Road, |m| m.reach);
        let mode_name = || mode.map_or_else(|| l.mode.clone().unwrap_or_default(), |m| m.name.clone());
        let road = leg(s, h);
        if reach == Reach::District {
            // Any distance inside the school's own district; no road needed.
            if school.district != schools[h].district {
                v.push(PlanViolation::ModeReach {
                    small: l.small_school_id.clone(),
                    hub: l.hub_id.clone(),
                    mode: mode_name(),
                    detail: format!(
                        "the hub is in district {}, the school in {}, and the mode reaches its own district only",
                        schools[h].district, school.district
                    ),
                });
            }
        } else if sc.links.within_district && school.district != schools[h].district {
            v.push(PlanViolation::LinkCrossesDistricts {
                small: l.small_school_id.clone(),
                hub: l.hub_id.clone(),
                from: school.district.clone(),
                to: schools[h].district.clone(),
            });
        }
        // The road limits of the link's mode: a mode's own `max_road_km` replaces `links.max_road_km`.
        let own_km = mode.and_then(|m| m.max_road_km);
        let max_km = own_km.unwrap_or(sc.links.max_road_km);
        let max_minutes = mode.and_then(|m| m.max_minutes).or(sc.links.max_minutes);
        let minutes = road.and_then(|r| r.minutes).unwrap_or(l.minutes);
        match road {
            None if reach == Reach::Road => v.push(PlanViolation::LinkOutOfReach {
                small: l.small_school_id.clone(),
                hub: l.hub_id.clone(),
                max_km,
            }),
            None => {}
            Some(Leg { road_km: km, .. }) => {
                if reach == Reach::Road {
                    let within = match mode {
                        Some(m) => sc.links.road_reach(m, km - TOL_KM, minutes - TOL_MINUTES),
                        None => km <= max_km + TOL_KM,
                    };
                    if !within && km > max_km + TOL_KM {
                        match own_km {
                            None => v.push(PlanViolation::LinkTooLong {
                                small: l.small_school_id.clone(),
                                hub: l.hub_id.clone(),
                                km,
                                max_km,
                            }),
                            Some(own) => v.push(PlanViolation::ModeReach {
                                small: l.small_school_id.clone(),
                                hub: l.hub_id.clone(),
                                mode: mode_name(),
                                detail: format!("{km:.1} road km, over the mode's max_road_km = {own} km"),
                            }),
                        }
                    } else if !within && let Some(m) = max_minutes {
                        let whose = if mode.and_then(|m| m.max_minutes).is_some() {
                            "the mode's max_minutes"
                        } else {
                            "links.max_minutes"
                        };
                        v.push(PlanViolation::ModeReach {
                            small: l.small_school_id.clone(),
                            hub: l.hub_id.clone(),
                            mode: mode_name(),
                            detail: format!("{minutes:.1} minutes of driving, over {whose} = {m}"),
                        });
                    }
                }
                if (km - l.road_km).abs() > TOL_KM.max(1e-6 * km) {
                    v.push(PlanViolation::LinkKm {
                        small: l.small_school_id.clone(),
                        hub: l.hub_id.clone(),
                        claimed: l.road_km,
                        roads: km,
                    });
                }
            }
        }
        let visits = mode.is_none_or(LinkMode::visits);
        let km = road.map(|r| r.road_km);
        if let Some(km) = km
            && (visits || !modal)
        {
            student_km += f64::from(school.students) * km;
        }
        *count.entry(h).or_default() += 1;
        *students.entry(h).or_default() += u64::from(school.students);
        // An equipped school (data.equipped_schools) already has its room; a
        // mode without `room` needs none.
        let room = mode.is_none_or(|m| m.room);
        room_cost += if school.equipped || !room { 0.0 } else { sc.room(school.students).1 };
        let Some(m) = mode.filter(|_| modal) else { continue };
        if m.needs_internet() && !sc.links.connected(school.internet) {
            v.push(PlanViolation::NoInternet {
                small: l.small_school_id.clone(),
                hub: l.hub_id.clone(),
                mode: m.name.clone(),
                internet: school.internet.as_str(),
            });
        }
        // Teacher time: visits drive both ways (minutes by the roads); a mode
        // without visits takes its online hours only.
        let took = m.teacher_hours(if m.visits() { minutes } else { 0.0 });
        *hours.entry(h).or_default() += took;
        if let Some(claimed) = l.teacher_hours
            && (claimed - took).abs() > TOL_HOURS.max(1e-6 * took)
        {
            v.push(PlanViolation::TeacherHoursFigure {
                of: format!("link {} → {}", l.small_school_id, l.hub_id),
                claimed,
                actual: took,
            });
        }
        let sum = by_mode.entry(m.name.as_str()).or_default();
        sum.schools += 1;
        sum.students += u64::from(school.students);
        sum.hours += took;
        if m.visits() {
            sum.student_km += f64::from(school.students) * km.unwrap_or(l.road_km);
        }
        valued_students += f64::from(school.students) * m.value;
        teacher_pay += m.yearly_cost_kzt;
    }
    // Capacities.
    for (&h, &k) in &count {
        let s = &schools[h];
        if let Some(cap) = s.capacity_small_schools.or(sc.hubs.capacity_small_schools)
            && k > cap
        {
            v.push(PlanViolation::OverSchoolCapacity { hub: s.id.clone(), linked: k, capacity: cap });
        }
        if let Some(cap) = sc.hubs.capacity_students
            && students[&h] > u64::from(cap)
        {
            v.push(PlanViolation::OverStudentCapacity { hub: s.id.clone(), students: students[&h], capacity: cap });
        }
    }
    // Teacher time of each hub: its links' hours within what it has, and the figures it records.
    if modal {
        for h in &doc.hubs {
            let Some(&i) = index.get(h.school_id.as_str()) else { continue };
            let used = hours.get(&i).copied().unwrap_or(0.0);
            let available = sc.teacher_hours_of(&schools[i]);
            if let Some(a) = available
                && used > a + 1e-6 * a.max(1.0)
            {
                v.push(PlanViolation::TeacherHours { hub: h.school_id.clone(), used, available: a });
            }
            if let Some(claimed) = h.teacher_hours
                && (claimed - used).abs() > TOL_HOURS.max(1e-6 * used)
            {
                v.push(PlanViolation::TeacherHoursFigure { of: format!("hub {}", h.school_id), claimed, actual: used });
            }
            if let (Some(claimed), Some(a)) = (h.teacher_hours_available, available)
                && (claimed - a).abs() > TOL_HOURS.max(1e-6 * a)
            {
                v.push(PlanViolation::TeacherHoursFigure {
                    of: format!("hub {} available", h.school_id),
                    claimed,
                    actual: a,
                });
            }
        }
    }
    // District limits and the new-hub limit.
    for (d, &k) in &per_district {
        if k < sc.hubs.min_per_district {
            v.push(PlanViolation::DistrictBelowMin { district: d.to_string(), hubs: k, min: sc.hubs.min_per_district });
        }
        if let Some(hi) = sc.hubs.max_per_district
            && k > hi
        {
            v.push(PlanViolation::DistrictAboveMax { district: d.to_string(), hubs: k, max: hi });
        }
    }
    if let Some(k) = sc.hubs.max_new
        && new_hubs > k
    {
        v.push(PlanViolation::TooManyNewHubs { new_hubs, max: k });
    }
    let cost = hub_cost + room_cost;
    if let Some(b) = sc.budget.kzt
        && cost > b * (1.0 + 1e-9) + 1e-6
    {
        v.push(PlanViolation::OverBudget { cost, hub_cost, room_cost, budget: b });
    }
    // Coverage: every small school linked or explained.
    let unlinked: HashMap<&str, Reason> = doc.unlinked.iter().map(|u| (u.small_school_id.as_str(), u.reason)).collect();
    for (i, s) in schools.iter().enumerate() {
        if !s.small || linked.contains_key(&i) || hub_set.contains(&i) {
            continue;
        }
        // Some mode the school may have (its internet) reaches a hub candidate.
        let reachable = schools.iter().enumerate().any(|(h, hs)| {
            matches!(hs.hub, HubStatus::Existing | HubStatus::Candidate)
                && !sc.hubs.forbid.contains(&hs.id)
                && h != i
                && modes.iter().any(|m| {
                    if modal && m.needs_internet() && !sc.links.connected(s.internet) {
                        return false;
                    }
                    match m.reach {
                        Reach::District => hs.district == s.district,
                        Reach::Road => {
                            (!sc.links.within_district || hs.district == s.district)
                                && leg(i, h).is_some_and(|r| match r.minutes {
                                    Some(min) => sc.links.road_reach(m, r.road_km - TOL_KM, min - TOL_MINUTES),
                                    None => r.road_km <= m.max_road_km.unwrap_or(sc.links.max_road_km) + TOL_KM,
                                })
                        }
                    }
                })
        });
        match unlinked.get(s.id.as_str()) {
            None => v.push(PlanViolation::Unaccounted { small: s.id.clone() }),
            Some(r @ (Reason::NoHubInReach | Reason::NoInternet)) if reachable => {
                v.push(PlanViolation::WrongReason { small: s.id.clone(), reason: r.as_str() })
            }
            _ => {}
        }
        if reachable && sc.objective.kind != ObjectiveKind::MaxCoverage {
            v.push(PlanViolation::ReachableUnlinked { small: s.id.clone(), objective: sc.objective.kind.as_str() });
        }
    }
    // Totals.
    let t = &doc.totals;
    let linked_students: u64 = linked.keys().map(|&s| u64::from(schools[s].students)).sum();
    let mut within = |total: &'static str, claimed: f64, actual: f64, tol: f64| {
        if (claimed - actual).abs() > tol.max(1e-6 * actual.abs().max(1.0)) {
            v.push(PlanViolation::Total { total, claimed, actual });
        }
    };
    within("new_hubs", t.new_hubs as f64, new_hubs as f64, 0.0);
    within("linked_small_schools", t.linked_small_schools as f64, linked.len() as f64, 0.0);
    within("linked_students", t.linked_students as f64, linked_students as f64, 0.0);
    within("cost_kzt", t.cost_kzt, cost, 0.0);
    if student_km > 0.0 {
        within("student_km", t.student_km, student_km, 0.0);
    }
    if modal {
        if let Some(claimed) = t.teacher_hours {
            within("teacher_hours", claimed, hours.values().sum(), TOL_HOURS);
        }
        if let Some(claimed) = t.valued_students {
            within("valued_students", claimed, valued_students, 0.0);
        }
        if let Some(claimed) = t.yearly_teacher_pay_kzt {
            within("yearly_teacher_pay_kzt", claimed, teacher_pay, 0.0);
        }
        let none = ModeSum::default();
        for m in &t.modes {
            let sum = by_mode.get(m.mode.as_str()).unwrap_or(&none);
            let mut check = |total: &'static str, claimed: f64, actual: f64, tol: f64| {
                if (claimed - actual).abs() > tol.max(1e-6 * actual.abs()) {
                    v.push(PlanViolation::ModeTotal { mode: m.mode.clone(), total, claimed, actual });
                }
            };
            check("linked_small_schools", m.linked_small_schools as f64, sum.schools as f64, 1e-6);
            check("linked_students", m.linked_students as f64, sum.students as f64, 1e-6);
            check("teacher_hours", m.teacher_hours, sum.hours, TOL_HOURS);
            check("student_km", m.student_km, sum.student_km, 1e-3);
        }
        for (name, sum) in &by_mode {
            if !t.modes.is_empty() && !t.modes.iter().any(|m| m.mode == *name) {
                v.push(PlanViolation::ModeTotal {
                    mode: name.to_string(),
                    total: "linked_small_schools",
                    claimed: 0.0,
                    actual: sum.schools as f64,
                });
            }
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::super::plan_doc::PLAN_SCHEMA;
    use super::*;

    /// A copy of a good plan.json with `edit` applied, read back.
    fn read_edited(edit: impl FnOnce(&mut serde_json::Value)) -> Result<PlanDoc, InputErrors> {
        let good = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plans/a/plan.json");
        let mut doc: serde_json::Value = serde_json::from_slice(&std::fs::read(good).unwrap()).unwrap();
        edit(&mut doc);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("plan.json"), serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
        read_plan(dir.path())
    }

    #[test]
    fn a_good_plan_reads() {
        assert!(read_edited(|_| {}).is_ok());
    }

    #[test]
    fn a_version_1_plan_reads_with_its_quality_recomputed() {
        // Fixture b is `hubplan-plan/1`: objective 1,003,560 = 100 unlinked
        // students × P 10,000 + 3,560 student-km, bound 1,003,000.
        let b = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plans/b");
        let doc = read_plan(&b).unwrap();
        assert_eq!(doc.schema, "hubplan-plan/1");
        assert_eq!((doc.internal_objective, doc.internal_lower_bound), (1_003_560.0, Some(1_003_000.0)));
        let q = doc.quality.expect("recomputed on reading");
        assert_eq!((q.value, q.bound, q.proven), (200.0, Some(200.0), true));
        let t = q.tie_break.unwrap();
        assert!(!t.proven);
        assert_eq!((t.value, t.bound, t.gap), (3_560.0, Some(3_000.0), Some(560.0)));
        // A version-2 plan keeps the quality it records.
        let doc = read_edited(|d| {
            d["schema"] = PLAN_SCHEMA.into();
            let mut q = serde_json::to_value(read_plan(&b).unwrap().quality).unwrap();
            q["value"] = 123.0.into();
            d["quality"] = q;
        })
        .unwrap();
        assert_eq!(doc.quality.unwrap().value, 123.0);
    }

    #[test]
    fn every_bad_value_of_a_plan_is_named_by_its_key_path() {
        let e = read_edited(|d| {
            d["hubs"][0]["lat"] = "north".into();
            d["hubs"][1]["lat"] = "south".into();
            d["links"][2]["students"] = (-4).into();
            d["unlinked"][0]["reason"] = "too-far".into();
            d["totals"].as_object_mut().unwrap().remove("cost_kzt");
        })
        .unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("5 problems"), "{text}");
        for want in [
            "plan.json: key `hubs[0].lat`: invalid type: string \"north\", expected a number [E-VALUE]",
            "plan.json: key `hubs[1].lat`: invalid type: string \"south\", expected a number [E-VALUE]",
            "plan.json: key `links[2].students`: invalid value: integer `-4`, expected a whole number ≥ 0 [E-RANGE]",
            "plan.json: key `unlinked[0].reason`: unknown variant `too-far`",
            "plan.json: key `totals.cost_kzt`: missing field `cost_kzt` [E-MISSING]",
        ] {
            assert!(text.contains(want), "{want} not in {text}");
        }
    }

    #[test]
    fn a_plan_of_another_schema_or_not_json_is_named() {
        let e = read_edited(|d| d["schema"] = "hubplan-plan/9".into()).unwrap_err().to_string();
        assert!(
            e.ends_with(
                "key `schema`: is `hubplan-plan/9`; this hubplan reads `hubplan-plan/5`, `hubplan-plan/4`, `hubplan-plan/3`, `hubplan-plan/2` and `hubplan-plan/1` [E-FORMAT]"
            ),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("plan.json"), "{\n  \"schema\": \n").unwrap();
        let e = read_plan(dir.path()).unwrap_err().to_string();
        assert!(e.contains("plan.json: line 3: not valid JSON") && e.ends_with("[E-TRUNCATED]"), "{e}");
        let e = read_plan(&dir.path().join("nowhere")).unwrap_err().to_string();
        assert!(e.contains("cannot read the plan") && e.ends_with("[E-READ]"), "{e}");
    }
}

/// check-plan on plans with link modes and teacher hours: a plan made today
/// (one road mode), its links then given modes and hours by hand.
#[cfg(test)]
mod mode_tests {
    use super::super::plan_doc::{Assembly, ModeTotal, assemble};
    use super::super::scenario::{LinkMode, Reach};
    use super::super::tests::{scenario, school, table};
    use super::*;
    use crate::io::schools::Internet;
    use crate::network::DistanceTable;

    /// One district A: hub H at 0 km, small schools near (5 km, online),
    /// mid (10 km, offline) and far (40 km, online, beyond the 30 km roads);
    /// district B: a hub candidate at 60 km.
    fn region() -> Vec<School> {
        use HubStatus::{Candidate as C, No as N};
        let mut s = vec![
            school("H", "A", 0.0, 600, false, C),
            school("near", "A", 5.0, 40, true, N),
            school("mid", "A", 10.0, 30, true, N),
            school("far", "A", 40.0, 20, true, N),
            school("G", "B", 60.0, 500, false, C),
        ];
        s[1].internet = Internet::Yes;
        s[2].internet = Internet::No;
        s[3].internet = Internet::Yes;
        s
    }

    fn visits() -> LinkMode {
        LinkMode {
            name: "visits".into(),
            reach: Reach::Road,
            requires_internet: None,
            visits_per_year: 12.0,
            hours_on_site: 3.0,
            online_hours_per_year: 0.0,
            value: 1.0,
            room: true,
            yearly_cost_kzt: 100_000.0,
            max_road_km: None,
            max_minutes: None,
        }
    }

    fn online() -> LinkMode {
        LinkMode {
            name: "online".into(),
            reach: Reach::District,
            visits_per_year: 0.0,
            hours_on_site: 0.0,
            online_hours_per_year: 60.0,
            value: 0.8,
            yearly_cost_kzt: 50_000.0,
            ..visits()
        }
    }

    struct Case {
        schools: Vec<School>,
        plain_sc: Scenario,
        plain: PlanDoc,
        sc: Scenario,
        doc: PlanDoc,
        table: DistanceTable,
    }

    impl Case {
        fn check(&self, doc: &PlanDoc, sc: &Scenario) -> Vec<String> {
            let t = &self.table;
            violations_on_roads(sc, doc, &self.schools, &|s, h| {
                t.get(SchoolIdx(s as u32), SchoolIdx(h as u32))
                    .map(|l| Leg { road_km: l.road_km, minutes: Some(l.minutes) })
            })
            .iter()
            .map(|v| format!("{v} [{}]", v.code()))
            .collect()
        }

        fn minutes(&self, small: &str) -> f64 {
            self.doc.links.iter().find(|l| l.small_school_id == small).unwrap().minutes
        }
    }

    /// The plan of [`region`] today, and the same plan with modes: near and
    /// mid visited, far taught online; 1,000 teacher hours a hub.
    fn case() -> Case {
        let schools = region();
        let mut plain_sc = scenario(ObjectiveKind::MaxCoverage);
        plain_sc.links.max_road_km = 30.0;
        plain_sc.hubs.force = vec!["H".into()];
        plain_sc.hubs.max_new = Some(1);
        let table = table(&plain_sc, &schools);
        let model = super::super::build_model(&plain_sc, &schools, &table).unwrap();
        let solved = super::super::solve_plan(&model, &plain_sc, &schools).unwrap();
        let a = Assembly {
            sc: &plain_sc,
            schools: &schools,
            model: &model,
            paths: super::super::inputs::InputPaths {
                scenario: "s.toml".into(),
                schools: "x.csv".into(),
                schools_sheet: None,
                roads: None,
                districts: None,
                existing_hubs: None,
                equipped_schools: None,
            },
            approx: true,
            sources: Vec::new(),
            warnings: Vec::new(),
        };
        let plain = assemble(&a, &solved.decision, &solved.outcome, Vec::new());
        let mut linked: Vec<&str> = plain.links.iter().map(|l| l.small_school_id.as_str()).collect();
        linked.sort();
        assert_eq!((plain.hubs.len(), linked), (1, vec!["mid", "near"]));
        let mut sc = plain_sc.clone();
        sc.links.modes = vec![visits(), online()];
        sc.hubs.teacher_hours_per_year = Some(1000.0);
        let mut doc = plain.clone();
        let mut far = doc.links[0].clone();
        far.small_school_id = "far".into();
        far.students = 20;
        far.road_km = 52.0;
        far.minutes = 62.4;
        let (room, room_kzt) = sc.room(20);
        far.room = room.into();
        far.room_kzt = room_kzt;
        doc.links.push(far);
        doc.unlinked.retain(|u| u.small_school_id != "far");
        let mut totals = vec![
            ModeTotal { mode: "visits".into(), ..ModeTotal::default() },
            ModeTotal { mode: "online".into(), ..ModeTotal::default() },
        ];
        let mut used = 0.0;
        for l in &mut doc.links {
            let (mode, t) =
                if l.small_school_id == "far" { (online(), &mut totals[1]) } else { (visits(), &mut totals[0]) };
            let hours = mode.teacher_hours(if mode.visits() { l.minutes } else { 0.0 });
            l.mode = Some(mode.name.clone());
            l.teacher_hours = Some(hours);
            used += hours;
            t.linked_small_schools += 1;
            t.linked_students += u64::from(l.students);
            t.teacher_hours += hours;
            if mode.visits() {
                t.student_km += f64::from(l.students) * l.road_km;
            }
        }
        doc.hubs[0].teacher_hours = Some(used);
        doc.hubs[0].teacher_hours_available = Some(1000.0);
        doc.totals.linked_small_schools = 3;
        doc.totals.linked_students += 20;
        doc.totals.cost_kzt += room_kzt;
        doc.totals.teacher_hours = Some(used);
        doc.totals.valued_students = Some(70.0 + 20.0 * 0.8);
        doc.totals.yearly_teacher_pay_kzt = Some(250_000.0);
        doc.totals.modes = totals;
        // `mid` is offline: it goes with visits.
        Case { schools, plain_sc, plain, sc, doc, table }
    }

    #[test]
    fn a_modal_plan_within_every_rule_is_accepted() {
        let c = case();
        assert!(c.check(&c.plain, &c.plain_sc).is_empty(), "{:?}", c.check(&c.plain, &c.plain_sc));
        // far is 40 km from H, beyond links.max_road_km = 30: an online link in its district is fine.
        assert!(c.check(&c.doc, &c.sc).is_empty(), "{:?}", c.check(&c.doc, &c.sc));
        // Teacher hours alone (no [[links.modes]]): links without a mode are the road mode.
        let mut sc = c.plain_sc.clone();
        sc.hubs.teacher_hours_per_year = Some(1e4);
        let mut doc = c.plain.clone();
        let mut used = 0.0;
        for l in &mut doc.links {
            let h = sc.links.visits_per_year * 2.0 * l.minutes / 60.0;
            l.teacher_hours = Some(h);
            used += h;
        }
        doc.hubs[0].teacher_hours = Some(used);
        assert!(c.check(&doc, &sc).is_empty(), "{:?}", c.check(&doc, &sc));
        doc.hubs[0].teacher_hours = Some(used + 1.0);
        let v = c.check(&doc, &sc);
        assert!(
            v.len() == 1 && v[0].starts_with("hub H: plan.json says") && v[0].ends_with("[V-TEACHER-HOURS-FIGURE]"),
            "{v:?}"
        );
    }

    #[test]
    fn an_online_link_to_a_school_without_internet_is_rejected() {
        let c = case();
        let mut doc = c.doc.clone();
        let mid = doc.links.iter_mut().find(|l| l.small_school_id == "mid").unwrap();
        mid.mode = Some("online".into());
        let v = c.check(&doc, &c.sc);
        assert!(
            v.iter().any(|v| v
                == "link mid → H (online) needs an internet connection, and the school's internet is `no` [V-NO-INTERNET]"),
            "{v:?}"
        );
        // Its hours and the per-mode totals no longer match what the plan records.
        assert!(
            v.iter().any(|v| v.starts_with("link mid → H: plan.json says") && v.ends_with("[V-TEACHER-HOURS-FIGURE]"))
        );
        assert!(
            v.iter()
                .any(|v| v.starts_with("totals.modes[online].linked_small_schools is 1,")
                    && v.ends_with("[V-MODE-TOTAL]"))
        );
        // `unknown` counts as no connection unless links.unknown_internet = "yes".
        let mut schools = c.schools.clone();
        schools[3].internet = Internet::Unknown;
        let c2 = Case { schools, ..case() };
        assert!(
            c2.check(&c2.doc, &c2.sc).iter().any(|v| v.contains("link far → H (online)") && v.contains("`unknown`"))
        );
        let mut sc = c2.sc.clone();
        sc.links.unknown_internet = super::super::scenario::UnknownInternet::Yes;
        assert!(c2.check(&c2.doc, &sc).is_empty());
    }

    #[test]
    fn a_hub_over_its_teacher_hours_is_rejected() {
        let c = case();
        let used = c.doc.hubs[0].teacher_hours.unwrap();
        let mut sc = c.sc.clone();
        sc.hubs.teacher_hours_per_year = Some(used - 10.0);
        let v = c.check(&c.doc, &sc);
        assert!(
            v.contains(&format!(
                "hub H's links take {used:.1} teacher hours a year, over the {:.1} it has (by 10.0) [V-TEACHER-HOURS]",
                used - 10.0
            )),
            "{v:?}"
        );
        // A school's own teacher_hours_per_year overrides the scenario's.
        let mut schools = c.schools.clone();
        schools[0].teacher_hours_per_year = Some(used + 1.0);
        let c2 = Case { schools, ..case() };
        assert!(!c2.check(&c2.doc, &sc).iter().any(|v| v.ends_with("[V-TEACHER-HOURS]")));
    }

    #[test]
    fn a_road_link_beyond_its_minutes_is_rejected() {
        let c = case();
        let mid = c.minutes("mid");
        assert!(mid > c.minutes("near"));
        // The mode's own limit.
        let mut sc = c.sc.clone();
        sc.links.modes[0].max_minutes = Some((mid - 1.0).floor());
        let v = c.check(&c.doc, &sc);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].starts_with("link mid → H (visits) is beyond the mode's reach: ")
                && v[0].contains("over the mode's max_minutes")
        );
        assert!(v[0].ends_with("[V-MODE-REACH]"));
        // links.max_minutes, on a plan without modes too.
        let mut sc = c.plain_sc.clone();
        sc.links.max_minutes = Some((mid - 1.0).floor());
        let v = c.check(&c.plain, &sc);
        assert!(
            v.len() == 1 && v[0].contains("link mid → H (road)") && v[0].contains("over links.max_minutes"),
            "{v:?}"
        );
        // The mode's own km, and the district reach of an online mode.
        let mut sc = c.sc.clone();
        sc.links.modes[0].max_road_km = Some(8.0);
        let v = c.check(&c.doc, &sc);
        assert!(v.len() == 1 && v[0].contains("over the mode's max_road_km = 8 km"), "{v:?}");
        let mut schools = c.schools.clone();
        schools[3].district = "B".into();
        let c2 = Case { schools, ..case() };
        let v = c2.check(&c2.doc, &c2.sc);
        assert!(
            v.iter().any(|v| v.contains("link far → H (online) is beyond") && v.contains("own district only")),
            "{v:?}"
        );
        // A visiting link to far would be too long for the roads.
        let mut doc = c.doc.clone();
        doc.links.last_mut().unwrap().mode = Some("visits".into());
        assert!(c.check(&doc, &c.sc).iter().any(|v| v.ends_with("[V-LINK-NO-ROAD]")));
    }

    #[test]
    fn a_link_of_an_unknown_mode_or_none_is_rejected() {
        let c = case();
        let mut doc = c.doc.clone();
        doc.links[0].mode = Some("boat".into());
        doc.links[1].mode = None;
        let v = c.check(&doc, &c.sc);
        let (a, b) = (&doc.links[0], &doc.links[1]);
        for want in [
            format!(
                "link {} → H has mode `boat`, not one of the scenario's (visits, online) [V-MODE-UNKNOWN]",
                a.small_school_id
            ),
            format!(
                "link {} → H has no mode; the scenario's modes are visits, online [V-MODE-UNKNOWN]",
                b.small_school_id
            ),
        ] {
            assert!(v.contains(&want), "{want} not in {v:?}");
        }
        // Without modes a link naming one is out of place too.
        let mut doc = c.plain.clone();
        doc.links[0].mode = Some("online".into());
        assert!(
            c.check(&doc, &c.plain_sc)
                .iter()
                .any(|v| v.contains("has mode `online`, not one of the scenario's (road)"))
        );
    }

    #[test]
    fn a_school_online_reachable_is_no_longer_out_of_reach() {
        let c = case();
        // far unlinked as no-hub-in-reach, though the online mode reaches it.
        let mut doc = c.plain.clone();
        for l in &mut doc.links {
            l.mode = Some("visits".into());
        }
        let v = c.check(&doc, &c.sc);
        assert!(
            v.iter().any(
                |v| v == "small school far is listed as no-hub-in-reach but a hub candidate is in reach [V-REASON]"
            ),
            "{v:?}"
        );
        assert!(c.check(&doc, &c.plain_sc).iter().all(|v| !v.ends_with("[V-REASON]")));
    }
}
