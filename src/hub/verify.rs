//! `hubplan check-plan`: re-validates a plan directory against its scenario
//! and data, independently of the solver and of the model built for it.
//!
//! It re-reads the schools, recomputes the distance table, and checks every
//! rule of `models/README.md` from `plan.json` alone: links within the radius
//! (and district), one hub per small school, hubs that may be hubs, capacities,
//! district limits, the new-hub limit, the budget, coverage of every small
//! school (linked or listed as unlinked, and under `min-distance`/`min-cost`
//! linked whenever any hub is in reach), and the totals.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use super::PlanError;
use super::inputs::{School, read_inputs};
use super::plan_doc::{PLAN_SCHEMA, PLAN_SCHEMAS_READ, PlanDoc, Reason};
use super::scenario::{LoadedScenario, ObjectiveKind, Scenario};
use super::violation::PlanViolation;
use crate::error::{ErrorCode, InputErrors, Location, Problems, deserialize_all};
use crate::io::schools::HubStatus;
use crate::network::SchoolIdx;
use crate::network::progress::Progress;

const TOL_KM: f64 = 1e-3;

/// Reads `DIR/plan.json`: every value that does not fit the schema
/// `hubplan-plan/2` is reported at once, with its key path (`hubs[3].lat`)
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
                "is `{schema}`; this hubplan reads `{PLAN_SCHEMA}`, `{}` and `{}`",
                PLAN_SCHEMAS_READ[1], PLAN_SCHEMAS_READ[2]
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
    let inputs = read_inputs(loaded, cache_dir, progress)?;
    super::check_hub_choices(loaded, &inputs.schools)?;
    let mut found = violations(&loaded.scenario, doc, &inputs.schools, &|s, h| {
        inputs.table.get(SchoolIdx(s as u32), SchoolIdx(h as u32)).map(|l| l.road_km)
    });
    if loaded.scenario.rollout.is_some() {
        let model = super::build_model(&loaded.scenario, &inputs.schools, &inputs.table)?;
        found.extend(rollout_violations(&loaded.scenario, doc, &inputs.schools, &model));
    }
    Ok(found)
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

/// The rules, given the schools and a road-distance lookup `(school, hub) → km`.
pub fn violations(
    sc: &Scenario,
    doc: &PlanDoc,
    schools: &[School],
    road_km: &dyn Fn(usize, usize) -> Option<f64>,
) -> Vec<PlanViolation> {
    let mut v = Vec::new();
    let index: HashMap<&str, usize> = schools.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect();
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
        if sc.links.within_district && school.district != schools[h].district {
            v.push(PlanViolation::LinkCrossesDistricts {
                small: l.small_school_id.clone(),
                hub: l.hub_id.clone(),
                from: school.district.clone(),
                to: schools[h].district.clone(),
            });
        }
        match road_km(s, h) {
            None => v.push(PlanViolation::LinkOutOfReach {
                small: l.small_school_id.clone(),
                hub: l.hub_id.clone(),
                max_km: sc.links.max_road_km,
            }),
            Some(km) => {
                if km > sc.links.max_road_km + TOL_KM {
                    v.push(PlanViolation::LinkTooLong {
                        small: l.small_school_id.clone(),
                        hub: l.hub_id.clone(),
                        km,
                        max_km: sc.links.max_road_km,
                    });
                }
                if (km - l.road_km).abs() > TOL_KM.max(1e-6 * km) {
                    v.push(PlanViolation::LinkKm {
                        small: l.small_school_id.clone(),
                        hub: l.hub_id.clone(),
                        claimed: l.road_km,
                        roads: km,
                    });
                }
                student_km += f64::from(school.students) * km;
            }
        }
        *count.entry(h).or_default() += 1;
        *students.entry(h).or_default() += u64::from(school.students);
        // An equipped school (data.equipped_schools) already has its room.
        room_cost += if school.equipped { 0.0 } else { sc.room(school.students).1 };
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
        let reachable = schools.iter().enumerate().any(|(h, hs)| {
            matches!(hs.hub, HubStatus::Existing | HubStatus::Candidate)
                && !sc.hubs.forbid.contains(&hs.id)
                && h != i
                && (!sc.links.within_district || hs.district == s.district)
                && road_km(i, h).is_some_and(|km| km <= sc.links.max_road_km + TOL_KM)
        });
        match unlinked.get(s.id.as_str()) {
            None => v.push(PlanViolation::Unaccounted { small: s.id.clone() }),
            Some(Reason::NoHubInReach) if reachable => v.push(PlanViolation::WrongReason { small: s.id.clone() }),
            _ => {}
        }
        if reachable && sc.objective.kind != ObjectiveKind::MaxCoverage {
            v.push(PlanViolation::ReachableUnlinked { small: s.id.clone(), objective: sc.objective.kind.as_str() });
        }
    }
    // Totals.
    let t = &doc.totals;
    let linked_students: u64 = linked.keys().map(|&s| u64::from(schools[s].students)).sum();
    let mut mismatch = |total: &'static str, claimed: f64, actual: f64| {
        if (claimed - actual).abs() > 1e-6 * actual.abs().max(1.0) {
            v.push(PlanViolation::Total { total, claimed, actual });
        }
    };
    mismatch("new_hubs", t.new_hubs as f64, new_hubs as f64);
    mismatch("linked_small_schools", t.linked_small_schools as f64, linked.len() as f64);
    mismatch("linked_students", t.linked_students as f64, linked_students as f64);
    mismatch("cost_kzt", t.cost_kzt, cost);
    if student_km > 0.0 {
        mismatch("student_km", t.student_km, student_km);
    }
    v
}

#[cfg(test)]
mod tests {
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
                "key `schema`: is `hubplan-plan/9`; this hubplan reads `hubplan-plan/3`, `hubplan-plan/2` and `hubplan-plan/1` [E-FORMAT]"
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
