//! Planning-model tests on regions built in code: every rule binds and
//! changes the plan, every unlinked reason occurs, the heuristic meets the
//! MIP optimum, and the independent validator catches broken plans.

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::inputs::School;
use super::plan_doc::{Assembly, PlanDoc, Reason, assemble};
use super::scenario::{Data, LoadedScenario, ObjectiveKind, Scenario, SolverChoice};
use super::verify::violations;
use super::{PlanError, build_model, solve_options, solve_plan};
use crate::io::schools::HubStatus;
use crate::network::progress::Silent;
use crate::network::{DistanceTable, SchoolIdx, distance_table};
use crate::solve::{SolverKind, Status, solve};

const LAT: f64 = 48.0;

/// A school at `x` km east of lon 57° on latitude 48°.
pub(crate) fn school(id: &str, district: &str, x_km: f64, students: u32, small: bool, hub: HubStatus) -> School {
    let lon = 57.0 + x_km / (111.32 * LAT.to_radians().cos());
    School {
        id: id.into(),
        name: format!("School {id}"),
        district: district.into(),
        lat: LAT,
        lon,
        students,
        small,
        hub,
        hub_cost_kzt: 250e6,
        capacity_small_schools: None,
        equipped: false,
        row: 0,
        students_by_year: Vec::new(),
        internet: Default::default(),
        teacher_hours_per_year: None,
    }
}

/// Three districts on a line (km): A hubs at 0 and 60, B hubs at 200 and 260, C hub at 400.
fn line_region() -> Vec<School> {
    use HubStatus::{Candidate as C, No as N};
    vec![
        school("A1", "A", 0.0, 600, false, C),
        school("A2", "A", 60.0, 500, false, C),
        school("a1", "A", 5.0, 50, true, N),
        school("a2", "A", 10.0, 60, true, N),
        school("a3", "A", 15.0, 70, true, N),
        school("a4", "A", 20.0, 85, true, N),
        school("a5", "A", 50.0, 90, true, N),
        school("a6", "A", 55.0, 40, true, N),
        school("a7", "A", 190.0, 30, true, N),
        school("B1", "B", 200.0, 700, false, C),
        school("B2", "B", 260.0, 400, false, C),
        school("b1", "B", 205.0, 45, true, N),
        school("b2", "B", 210.0, 95, true, N),
        school("b3", "B", 250.0, 65, true, N),
        school("b4", "B", 330.0, 55, true, N),
        school("C1", "C", 400.0, 900, false, C),
        school("c1", "C", 405.0, 75, true, N),
        school("c2", "C", 520.0, 35, true, N),
    ]
}

pub(crate) fn scenario(kind: ObjectiveKind) -> Scenario {
    let mut sc: Scenario = toml::from_str("[data]\nschools = \"x.csv\"\n").unwrap();
    sc.data = Data {
        schools: "x.csv".into(),
        schools_sheet: None,
        roads: None,
        districts: None,
        existing_hubs: None,
        equipped_schools: None,
    };
    sc.objective.kind = kind;
    sc.hubs.min_per_district = 0;
    sc.solver.threads = 1;
    sc.solver.time_limit_s = 60.0;
    sc
}

pub(crate) fn table(sc: &Scenario, schools: &[School]) -> DistanceTable {
    let pts = super::inputs::school_points(schools);
    let opts = crate::network::DistanceOptions { max_km: Some(sc.links.max_road_km), threads: 1, ..Default::default() };
    distance_table(&pts, None, &opts, &Silent).unwrap()
}

struct Planned {
    doc: PlanDoc,
    violations: Vec<String>,
}

/// Plans with `solver`, then validates independently against `check_sc`.
fn plan_with(sc: &Scenario, schools: &[School], solver: SolverChoice, check_sc: &Scenario) -> Option<Planned> {
    let mut sc = sc.clone();
    sc.solver.kind = solver;
    let t = table(&sc, schools);
    let model = build_model(&sc, schools, &t).ok()?;
    let solved = match solve_plan(&model, &sc, schools) {
        Err(PlanError::Infeasible(_)) => return None,
        r => r.unwrap(),
    };
    let a = Assembly {
        sc: &sc,
        schools,
        model: &model,
        paths: super::inputs::InputPaths {
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
    let doc = assemble(&a, &solved.decision, &solved.outcome, Vec::new());
    let tc = table(check_sc, schools);
    let v = violations(check_sc, &doc, schools, &|s, h| {
        tc.get(SchoolIdx(s as u32), SchoolIdx(h as u32)).map(|l| l.road_km)
    })
    .iter()
    .map(ToString::to_string)
    .collect();
    Some(Planned { doc, violations: v })
}

fn plan(sc: &Scenario, schools: &[School]) -> Planned {
    plan_with(sc, schools, SolverChoice::Heuristic, sc).expect("feasible")
}

/// The rule binds: the plan without it breaks it, the plan with it keeps it
/// (checked independently), and the two plans differ.
fn assert_binds(schools: &[School], tight: &Scenario, loose: &Scenario, rule_text: &str) {
    let with = plan(tight, schools);
    assert!(with.violations.is_empty(), "plan under the rule breaks it: {:?}", with.violations);
    let without = plan_with(loose, schools, SolverChoice::Heuristic, tight).unwrap();
    assert!(
        without.violations.iter().any(|v| v.contains(rule_text)),
        "the rule `{rule_text}` does not bind: plan without it has violations {:?}",
        without.violations
    );
    assert_ne!((&with.doc.hubs, &with.doc.links), (&without.doc.hubs, &without.doc.links));
}

#[test]
fn hub_capacity_in_small_schools_binds() {
    let loose = scenario(ObjectiveKind::MinDistance);
    let mut tight = loose.clone();
    tight.hubs.capacity_small_schools = Some(3);
    assert_binds(&line_region(), &tight, &loose, "over its capacity of 3");
}

#[test]
fn hub_capacity_in_students_binds() {
    let loose = scenario(ObjectiveKind::MinDistance);
    let mut tight = loose.clone();
    tight.hubs.capacity_students = Some(200);
    assert_binds(&line_region(), &tight, &loose, "over hubs.capacity_students");
}

#[test]
fn link_radius_binds() {
    let loose = scenario(ObjectiveKind::MaxCoverage);
    let mut tight = loose.clone();
    tight.links.max_road_km = 20.0;
    assert_binds(&line_region(), &tight, &loose, "max_road_km");
}

#[test]
fn within_district_binds() {
    let mut loose = scenario(ObjectiveKind::MinDistance);
    loose.links.within_district = false;
    let tight = scenario(ObjectiveKind::MinDistance);
    assert_binds(&line_region(), &tight, &loose, "crosses districts");
}

#[test]
fn min_per_district_binds() {
    let loose = scenario(ObjectiveKind::MinCost);
    let mut tight = loose.clone();
    tight.hubs.min_per_district = 2;
    let mut schools = line_region();
    schools.push(school("C2", "C", 460.0, 300, false, HubStatus::Candidate));
    assert_binds(&schools, &tight, &loose, "below hubs.min_per_district");
}

#[test]
fn max_per_district_binds() {
    let loose = scenario(ObjectiveKind::MinDistance);
    let mut tight = loose.clone();
    tight.hubs.max_per_district = Some(1);
    assert_binds(&line_region(), &tight, &loose, "over hubs.max_per_district");
}

#[test]
fn max_new_binds() {
    let loose = scenario(ObjectiveKind::MinDistance);
    let mut tight = loose.clone();
    tight.hubs.max_new = Some(3);
    assert_binds(&line_region(), &tight, &loose, "over hubs.max_new");
}

#[test]
fn budget_binds() {
    let loose = scenario(ObjectiveKind::MaxCoverage);
    let mut tight = loose.clone();
    tight.budget.kzt = Some(600e6);
    assert_binds(&line_region(), &tight, &loose, "over budget.kzt");
    let p = plan(&tight, &line_region());
    assert!(p.doc.totals.cost_kzt <= 600e6 && p.doc.totals.linked_small_schools > 0);
}

#[test]
fn existing_hubs_stay_open_and_cost_nothing() {
    let mut schools = line_region();
    schools[0].hub = HubStatus::Existing; // A1
    let mut sc = scenario(ObjectiveKind::MinCost);
    sc.hubs.min_per_district = 1;
    let p = plan(&sc, &schools);
    assert!(p.violations.is_empty(), "{:?}", p.violations);
    let a1 = p.doc.hubs.iter().find(|h| h.school_id == "A1").expect("existing hub listed");
    assert_eq!((a1.status.as_str(), a1.cost_kzt), ("existing", 0.0));
    assert_eq!(p.doc.totals.new_hubs, p.doc.hubs.len() - 1);
}

fn reasons(p: &Planned) -> Vec<Reason> {
    p.doc.unlinked.iter().map(|u| u.reason).collect()
}

#[test]
fn unlinked_reason_no_hub_in_reach() {
    let p = plan(&scenario(ObjectiveKind::MaxCoverage), &line_region());
    let c2 = p.doc.unlinked.iter().find(|u| u.small_school_id == "c2").expect("c2 is 156 km from C1");
    assert_eq!(c2.reason, Reason::NoHubInReach);
    // a7 reaches only B1, in another district.
    assert!(p.doc.unlinked.iter().any(|u| u.small_school_id == "a7" && u.reason == Reason::NoHubInReach));
}

#[test]
fn unlinked_reason_hubs_full() {
    let mut sc = scenario(ObjectiveKind::MaxCoverage);
    sc.hubs.capacity_small_schools = Some(1);
    sc.hubs.max_per_district = Some(1);
    let p = plan(&sc, &line_region());
    assert!(p.violations.is_empty(), "{:?}", p.violations);
    assert!(reasons(&p).contains(&Reason::HubsFull), "{:?}", p.doc.unlinked);
}

#[test]
fn unlinked_reason_district_limit() {
    let mut sc = scenario(ObjectiveKind::MaxCoverage);
    sc.hubs.max_per_district = Some(1);
    sc.links.max_road_km = 35.0;
    let p = plan(&sc, &line_region());
    assert!(p.violations.is_empty(), "{:?}", p.violations);
    assert!(reasons(&p).contains(&Reason::DistrictLimit), "{:?}", p.doc.unlinked);
}

#[test]
fn unlinked_reason_new_hub_limit() {
    let mut sc = scenario(ObjectiveKind::MaxCoverage);
    sc.hubs.max_new = Some(1);
    let p = plan(&sc, &line_region());
    assert!(p.violations.is_empty(), "{:?}", p.violations);
    assert!(reasons(&p).contains(&Reason::NewHubLimit), "{:?}", p.doc.unlinked);
}

#[test]
fn unlinked_reason_budget() {
    let mut sc = scenario(ObjectiveKind::MaxCoverage);
    sc.budget.kzt = Some(250e6 + 3.0 * 20e6);
    let p = plan(&sc, &line_region());
    assert!(p.violations.is_empty(), "{:?}", p.violations);
    assert!(reasons(&p).contains(&Reason::Budget), "{:?}", p.doc.unlinked);
    assert!(p.doc.totals.linked_small_schools >= 3);
}

#[test]
fn max_coverage_prefers_students_over_distance() {
    // One hub, capacity one school: the bigger school wins even though it is farther.
    let schools = vec![
        school("H", "A", 0.0, 500, false, HubStatus::Candidate),
        school("near", "A", 5.0, 20, true, HubStatus::No),
        school("far", "A", 60.0, 70, true, HubStatus::No),
    ];
    let mut sc = scenario(ObjectiveKind::MaxCoverage);
    sc.hubs.capacity_small_schools = Some(1);
    let p = plan(&sc, &schools);
    assert_eq!(p.doc.links.len(), 1);
    assert_eq!(p.doc.links[0].small_school_id, "far");
}

#[test]
fn the_validator_rejects_hand_broken_plans() {
    let mut sc = scenario(ObjectiveKind::MinDistance);
    sc.hubs.capacity_small_schools = Some(3);
    sc.hubs.min_per_district = 1;
    sc.budget.kzt = Some(5e9);
    let schools = line_region();
    let good = plan(&sc, &schools);
    assert!(good.violations.is_empty(), "{:?}", good.violations);
    let t = table(&sc, &schools);
    let check = |doc: &PlanDoc, sc: &Scenario| {
        violations(sc, doc, &schools, &|s, h| t.get(SchoolIdx(s as u32), SchoolIdx(h as u32)).map(|l| l.road_km))
            .iter()
            .map(|v| format!("{v} [{}]", v.code()))
            .collect::<Vec<_>>()
    };
    // A link over the radius.
    let mut tight = sc.clone();
    tight.links.max_road_km = 10.0;
    assert!(check(&good.doc, &tight).iter().any(|v| v.contains("max_road_km")));
    // A hub over capacity: move every link of district A to one hub.
    let mut bad = good.doc.clone();
    let a_hub = bad.hubs.iter().find(|h| h.district == "A").unwrap().school_id.clone();
    for l in bad.links.iter_mut().filter(|l| l.small_school_id.starts_with('a')) {
        l.hub_id = a_hub.clone();
        let s = schools.iter().position(|s| s.id == l.small_school_id).unwrap();
        let h = schools.iter().position(|s| s.id == a_hub).unwrap();
        l.road_km = t.get(SchoolIdx(s as u32), SchoolIdx(h as u32)).map_or(1e9, |x| x.road_km);
    }
    assert!(check(&bad, &sc).iter().any(|v| v.contains("over its capacity") && v.ends_with("[V-CAPACITY-SCHOOLS]")));
    // Budget exceeded.
    let mut poor = sc.clone();
    poor.budget.kzt = Some(good.doc.totals.cost_kzt - 1e6);
    assert!(check(&good.doc, &poor).iter().any(|v| v.contains("over budget.kzt") && v.ends_with("[V-BUDGET]")));
    // A district without its hub.
    let mut bad = good.doc.clone();
    let c_hub = bad.hubs.iter().position(|h| h.district == "C").unwrap();
    let id = bad.hubs.remove(c_hub).school_id;
    bad.links.retain(|l| l.hub_id != id);
    let v = check(&bad, &sc);
    assert!(v.iter().any(|v| v.contains("district C has 0 hub(s)") && v.ends_with("[V-DISTRICT-MIN]")), "{v:?}");
    // A claimed total that the links do not give.
    let mut bad = good.doc.clone();
    bad.totals.linked_students += 1;
    assert!(check(&bad, &sc).iter().any(|v| v.contains("totals.linked_students") && v.ends_with("[V-TOTAL]")));
}

#[test]
fn a_district_without_candidates_is_a_clear_error() {
    let mut schools = line_region();
    schools.push(school("d1", "D", 700.0, 40, true, HubStatus::No));
    let mut sc = scenario(ObjectiveKind::MaxCoverage);
    sc.hubs.min_per_district = 1;
    let t = table(&sc, &schools);
    let e = build_model(&sc, &schools, &t).unwrap_err().to_string();
    assert!(e.contains("district `D` has 0 hub candidates"), "{e}");
}

#[test]
fn a_budget_below_the_district_minimum_is_infeasible_with_the_shortfall() {
    let mut sc = scenario(ObjectiveKind::MaxCoverage);
    sc.hubs.min_per_district = 1;
    sc.budget.kzt = Some(500e6);
    let schools = line_region();
    let model = build_model(&sc, &schools, &table(&sc, &schools)).unwrap();
    let out = solve(&model.instance, &solve_options(&sc)).unwrap();
    assert_eq!(out.status, Status::Infeasible);
    let why = out.reasons.join(" ");
    assert!(why.contains("budget"), "{why}");
}

/// A random region: `d` districts, candidates and small schools placed at random.
fn random_region(seed: u64) -> (Vec<School>, Scenario) {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut schools = Vec::new();
    let d = rng.random_range(1..=3);
    for k in 0..d {
        let base = 300.0 * k as f64;
        let district = format!("D{k}");
        for j in 0..rng.random_range(2..=4) {
            let x = base + rng.random_range(0.0..120.0);
            let hub = if rng.random_bool(0.15) { HubStatus::Existing } else { HubStatus::Candidate };
            let mut s = school(&format!("H{k}-{j}"), &district, x, 400, false, hub);
            s.hub_cost_kzt = rng.random_range(150e6..300e6f64).round();
            schools.push(s);
        }
        for j in 0..rng.random_range(4..=9) {
            let x = base + rng.random_range(-20.0..140.0);
            schools.push(school(&format!("s{k}-{j}"), &district, x, rng.random_range(10..170), true, HubStatus::No));
        }
    }
    let kind = [ObjectiveKind::MaxCoverage, ObjectiveKind::MinDistance, ObjectiveKind::MinCost][rng.random_range(0..3)];
    let mut sc = scenario(kind);
    sc.links.max_road_km = rng.random_range(60.0..160.0);
    if rng.random_bool(0.6) {
        sc.hubs.capacity_small_schools = Some(rng.random_range(2..6));
    }
    if rng.random_bool(0.4) {
        sc.hubs.capacity_students = Some(rng.random_range(150..500));
    }
    if rng.random_bool(0.5) {
        sc.hubs.max_per_district = Some(rng.random_range(1..3));
    }
    sc.hubs.min_per_district = rng.random_range(0..2);
    if rng.random_bool(0.4) {
        sc.hubs.max_new = Some(rng.random_range(1..5));
    }
    if rng.random_bool(0.5) {
        sc.budget.kzt = Some(rng.random_range(300e6..1500e6f64).round());
    }
    (schools, sc)
}

proptest! {
    // A random RNG seed each run. The four regions where the search used to
    // end 0.3–1.9% above the MIP optimum (tests below) now meet it, and
    // 2,576 further random regions (PROPTEST_RNG_SEED 11…88, up to 1,000
    // cases each) met it too. `PROPTEST_RNG_SEED` replays a run, and
    // `PROPTEST_CASES` explores further.
    #![proptest_config(ProptestConfig {
        cases: crate::testutil::cases(96),
        failure_persistence: None,
        rng_seed: std::env::var("PROPTEST_RNG_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(proptest::test_runner::RngSeed::Random, proptest::test_runner::RngSeed::Fixed),
        ..ProptestConfig::default()
    })]

    /// On regions small enough for the MIP, the heuristic's plan is optimal
    /// (same objective as the exact MIP) and independently valid.
    #[test]
    fn heuristic_meets_the_mip_optimum(seed in 0u64..1_000_000) {
        let (schools, sc) = random_region(seed);
        let t = table(&sc, &schools);
        let Ok(model) = build_model(&sc, &schools, &t) else { return Ok(()) };
        let mut mopts = solve_options(&sc);
        mopts.solver = SolverKind::Mip;
        let mut hsc = sc.clone();
        hsc.solver.kind = SolverChoice::Heuristic;
        let h = solve_plan(&model, &hsc, &schools);
        let m = solve(&model.instance, &mopts).unwrap();
        let h_infeasible = matches!(h, Err(PlanError::Infeasible(_)));
        prop_assert_eq!(h_infeasible, m.status == Status::Infeasible, "heuristic {:?} vs MIP {:?}", h.as_ref().map(|h| h.outcome.status), m.status);
        if m.status == Status::Optimal {
            let (a, b) = (h.unwrap().outcome.objective(), m.objective());
            prop_assert!((a - b).abs() <= 1e-6 * b.abs().max(1.0), "heuristic {} vs MIP optimum {} ({:?})", a, b, sc.objective.kind);
            let p = plan_with(&sc, &schools, SolverChoice::Heuristic, &sc).unwrap();
            prop_assert!(p.violations.is_empty(), "{:?}", p.violations);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::testutil::cases(64)))]

    /// On multi-district regions (links stay inside districts) `auto`
    /// decomposes by district and finds the MIP optimum under every rule —
    /// capacities, district limits, `max_new`, a budget that may bind across
    /// districts — and never claims a proof the MIP contradicts.
    #[test]
    fn decomposition_meets_the_mip_optimum(seed in 0u64..1_000_000) {
        let (schools, sc) = random_region(seed);
        let t = table(&sc, &schools);
        let Ok(model) = build_model(&sc, &schools, &t) else { return Ok(()) };
        let mut mopts = solve_options(&sc);
        mopts.solver = SolverKind::Mip;
        let m = solve(&model.instance, &mopts).unwrap();
        let mut dopts = solve_options(&sc);
        dopts.solver = SolverKind::Auto;
        let d = solve(&model.instance, &dopts).unwrap();
        prop_assert_eq!(d.status == Status::Infeasible, m.status == Status::Infeasible);
        if m.status == Status::Optimal {
            let (a, b) = (d.objective(), m.objective());
            prop_assert!(a >= b - 1e-6 * b.abs().max(1.0), "decomposition {} below the MIP optimum {}", a, b);
            prop_assert!(d.lower_bound.unwrap() <= b + 1e-6 * b.abs().max(1.0));
            prop_assert_eq!(d.status, Status::Optimal, "not proven: {} vs {}", a, b);
            prop_assert!((a - b).abs() <= 1e-6 * b.abs().max(1.0), "decomposition {} vs MIP optimum {} ({:?})", a, b, sc.objective.kind);
        }
    }
}

/// Two districts, each worth one new hub, and a budget for only one: the
/// decomposition's columns chosen without the budget break it, so the budget
/// is priced and its gap closed exactly, and the plan is the MIP's.
#[test]
fn a_budget_that_binds_across_districts_is_kept_exactly() {
    let mut sc = scenario(ObjectiveKind::MaxCoverage);
    sc.budget.kzt = Some(300e6);
    let schools: Vec<School> = line_region().into_iter().filter(|s| s.district != "C").collect();
    let model = build_model(&sc, &schools, &table(&sc, &schools)).unwrap();
    let out = solve(&model.instance, &solve_options(&sc)).unwrap();
    let mut mopts = solve_options(&sc);
    mopts.solver = SolverKind::Mip;
    let m = solve(&model.instance, &mopts).unwrap();
    assert_eq!(out.status, Status::Optimal);
    assert!(
        (out.objective() - m.objective()).abs() <= 1e-6 * m.objective(),
        "{} vs {}",
        out.objective(),
        m.objective()
    );
    assert!(out.notes.iter().any(|n| n.contains("the blocks' best plans break the budget")), "{:?}", out.notes);
    assert_eq!(out.solver, "decomposition(priced budget)");
    assert_eq!(out.solution.open.len(), 1);
}

/// When `hubs.max_new` cannot give every district its minimum, the error
/// names the districts that need a new hub.
#[test]
fn too_few_new_hubs_for_the_district_minimum_names_the_districts() {
    let mut sc = scenario(ObjectiveKind::MaxCoverage);
    sc.hubs.min_per_district = 1;
    sc.hubs.max_new = Some(2);
    let schools = line_region();
    let e = build_model(&sc, &schools, &table(&sc, &schools)).unwrap_err().to_string();
    assert!(e.contains("need 3 new hubs") && e.contains("`A` needs 1") && e.contains("`C` needs 1"), "{e}");
}

/// Found by the property test at 400 cases: the search opens {0,1,3,4}
/// where the optimum opens {1,2,3,4}; reaching it needs a facility swap
/// followed by exchanging served and unserved schools at a full hub, a
/// compound move the greedy re-linking after a swap does not make. The swap
/// priced by an exact re-linking of the schools it affects
/// ([`crate::solve::single_source::relink`]) finds it.
#[test]
fn heuristic_meets_the_mip_optimum_on_region_187535() {
    assert_heuristic_meets_mip(187535);
}

/// The other regions where the scan found the heuristic above the optimum,
/// all max-coverage under a binding budget with small-school capacities:
/// reaching the optimum needs a hub swap whose greedy re-linking looks worse
/// than its exact one (and a swap the budget only allows once weaker links
/// are given up).
#[test]
fn heuristic_meets_the_mip_optimum_on_region_3904080() {
    assert_heuristic_meets_mip(3904080);
}

/// Three hubs differ from the optimum's: no single or double swap improves,
/// the triple one (tried when the region is small enough to re-link whole) does.
#[test]
fn heuristic_meets_the_mip_optimum_on_region_8821779() {
    assert_heuristic_meets_mip(8821779);
}

#[test]
fn heuristic_meets_the_mip_optimum_on_region_20890335() {
    assert_heuristic_meets_mip(20890335);
}

/// Found by the property test in CI: reaching the optimum needs a third hub
/// paid for by giving up weaker links (the budget pays for each linked
/// school's room), the open-with-eviction move.
#[test]
fn heuristic_meets_the_mip_optimum_on_region_316950() {
    assert_heuristic_meets_mip(316950);
}

fn assert_heuristic_meets_mip(seed: u64) {
    assert_heuristic_within_mip(seed, 1e-6);
}

/// The heuristic's plan on random region `seed` is at most `max_gap`
/// (relative) above the MIP optimum.
fn assert_heuristic_within_mip(seed: u64, max_gap: f64) {
    let (schools, sc) = random_region(seed);
    let model = build_model(&sc, &schools, &table(&sc, &schools)).unwrap();
    let mut mopts = solve_options(&sc);
    mopts.solver = SolverKind::Mip;
    let m = solve(&model.instance, &mopts).unwrap();
    assert_eq!(m.status, Status::Optimal);
    let mut hsc = sc.clone();
    hsc.solver.kind = SolverChoice::Heuristic;
    let h = solve_plan(&model, &hsc, &schools).unwrap().outcome;
    let gap = (h.objective() - m.objective()) / m.objective().abs().max(1.0);
    eprintln!("region {seed}: heuristic {} vs MIP optimum {}: gap {:.4}%", h.objective(), m.objective(), 100.0 * gap);
    assert!(
        (-1e-6..=max_gap).contains(&gap),
        "heuristic {} vs MIP optimum {}: gap {:.4}%, allowed 0 to {:.4}%",
        h.objective(),
        m.objective(),
        100.0 * gap,
        100.0 * max_gap
    );
}

/// The quality a plan reports in the planner's unit holds against the exact
/// optimum of an independent MIP re-solve: the heuristic plan's bound on
/// linked students is at least the optimum's, its lower bounds on student-km
/// or tenge at most the optimum's, and what it calls proven is what the MIP
/// finds. Seeds 8821779 and 187535 are regions where the heuristic used
/// to end above the optimum (see above).
#[test]
fn reported_quality_bounds_hold_against_the_mip_optimum() {
    let mut kinds = std::collections::BTreeSet::new();
    for seed in (0..30).chain([8_821_779, 187_535]) {
        let (schools, sc) = random_region(seed);
        let (Some(h), Some(m)) =
            (plan_with(&sc, &schools, SolverChoice::Heuristic, &sc), plan_with(&sc, &schools, SolverChoice::Mip, &sc))
        else {
            continue;
        };
        kinds.insert(sc.objective.kind.as_str());
        let (hq, mq) = (h.doc.quality(), m.doc.quality());
        assert_eq!(m.doc.status, "optimal", "seed {seed}");
        assert!(mq.proven && mq.gap == Some(0.0), "seed {seed}: the MIP plan is proven: {mq:?}");
        let tol = 1e-6 * mq.value.abs().max(1.0);
        let bound = hq.bound.unwrap_or(if hq.measure.maximise() { f64::INFINITY } else { f64::NEG_INFINITY });
        if hq.measure.maximise() {
            assert!(bound >= mq.value, "seed {seed}: bound {bound} below the optimum {}", mq.value);
            assert!(hq.value <= mq.value, "seed {seed}");
            if hq.proven {
                assert_eq!(hq.value, mq.value, "seed {seed}: coverage claimed maximal");
                let (ht, mt) = (hq.tie_break.as_ref().unwrap(), mq.tie_break.as_ref().unwrap());
                assert!(mt.proven, "seed {seed}");
                if let Some(b) = ht.bound {
                    assert!(b <= mt.value + tol, "seed {seed}: km bound {b} above the optimum's {}", mt.value);
                }
                if ht.proven {
                    assert!((ht.value - mt.value).abs() <= tol, "seed {seed}");
                }
            }
        } else {
            assert!(bound <= mq.value + tol, "seed {seed}: bound {bound} above the optimum {}", mq.value);
            assert!(hq.value >= mq.value - tol, "seed {seed}");
            if hq.proven {
                assert!((hq.value - mq.value).abs() <= tol, "seed {seed}: claimed optimal");
            }
        }
    }
    assert_eq!(kinds.len(), 3, "every objective kind is tried: {kinds:?}");
}

/// A plan held in memory equals the plan of the same rows and scenario read
/// from files (no road layer: straight lines in both).
#[test]
fn a_plan_in_memory_equals_the_plan_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "id,name,district,lat,lon,students\n\
               H1,Hub one,D,50.00,57.00,600\n\
               H2,Hub two,D,50.30,57.40,400\n\
               a,Village a,D,50.05,57.05,60\n\
               b,Village b,D,50.10,57.10,45\n\
               c,Village c,D,50.32,57.45,70\n\
               e,Village e,E,50.60,57.20,90\n\
               E1,Hub E,E,50.62,57.25,300\n";
    std::fs::write(dir.path().join("schools.csv"), csv).unwrap();
    let toml =
        "[data]\nschools = \"schools.csv\"\n[hubs]\nmin_per_district = 0\nmax_new = 2\n[links]\nmax_road_km = 40\n";
    let file = dir.path().join("s.toml");
    std::fs::write(&file, toml).unwrap();
    let from_files = crate::hub::plan(LoadedScenario::load(&file).unwrap(), &Default::default(), &Silent).unwrap();
    let loaded = LoadedScenario::parse(toml, &file, &[]).unwrap();
    let rows = crate::io::schools::parse_schools(
        csv.as_bytes(),
        crate::io::schools::SchoolsUse::Planning,
        crate::error::Problems::new(std::path::Path::new("schools.csv")),
    )
    .unwrap();
    let in_memory = crate::hub::plan_in_memory(loaded, rows).unwrap();
    let hubs = |d: &PlanDoc| d.hubs.iter().map(|h| h.school_id.clone()).collect::<Vec<_>>();
    assert_eq!(hubs(&in_memory.doc), hubs(&from_files.doc));
    assert_eq!(in_memory.doc.hubs.len(), 2, "two new hubs, one per district with small schools");
    assert_eq!(in_memory.doc.totals.linked_students, from_files.doc.totals.linked_students);
    assert_eq!(in_memory.doc.totals.student_km, from_files.doc.totals.student_km);
    assert_eq!(in_memory.doc.links.len(), from_files.doc.links.len());
}

/// Bad rows held in memory are errors naming the row and field, every one at
/// once, never a panic.
#[test]
fn bad_rows_in_memory_name_the_row_and_field() {
    let loaded = LoadedScenario::parse("[data]\nschools = \"x.csv\"\n", std::path::Path::new("s.toml"), &[]).unwrap();
    let row = |r: usize, id: &str, district: Option<&str>, lat: f64| crate::io::schools::SchoolRow {
        row: r,
        id: id.into(),
        name: None,
        district: district.map(Into::into),
        lat,
        lon: 57.0,
        students: Some(50),
        kind: None,
        hub: None,
        hub_cost_kzt: None,
        capacity_small_schools: None,
        students_by_year: Vec::new(),
        internet: Default::default(),
        teacher_hours_per_year: None,
    };
    let rows = vec![row(1, "a", Some("D"), 50.0), row(2, "a", Some("D"), 50.1), row(3, "b", Some("D"), 95.0)];
    let e = crate::hub::plan_in_memory(loaded.clone(), rows).err().expect("bad rows").to_string();
    assert!(e.contains("row 2") && e.contains("listed twice"), "{e}");
    assert!(e.contains("row 3") && e.contains("lat") && e.contains("95 is out of range"), "{e}");
    let e = crate::hub::plan_in_memory(loaded, vec![row(1, "a", None, 50.0)]).err().expect("no district").to_string();
    assert!(e.contains("row 1") && e.contains("district"), "{e}");
}

#[test]
fn forcing_a_hub_binds() {
    let mut loose = scenario(ObjectiveKind::MaxCoverage);
    loose.budget.kzt = Some(600e6);
    let plain = plan(&loose, &line_region());
    let closed =
        ["A1", "A2", "B1", "B2", "C1"].into_iter().find(|id| !plain.doc.hubs.iter().any(|h| h.school_id == *id));
    let closed = closed.expect("the fixture leaves a candidate closed").to_string();
    let mut tight = loose.clone();
    tight.hubs.force = vec![closed.clone()];
    assert_binds(&line_region(), &tight, &loose, "is in `hubs.force`");
    let forced = plan(&tight, &line_region());
    let h = forced.doc.hubs.iter().find(|h| h.school_id == closed).expect("forced hub open");
    assert_eq!((h.status.as_str(), h.cost_kzt), ("new", 250e6));
}

#[test]
fn forbidding_a_hub_binds() {
    let loose = scenario(ObjectiveKind::MaxCoverage);
    let plain = plan(&loose, &line_region());
    let open = plain.doc.hubs[0].school_id.clone();
    let mut tight = loose.clone();
    tight.hubs.forbid = vec![open.clone()];
    assert_binds(&line_region(), &tight, &loose, "is in `hubs.forbid`");
}

#[test]
fn a_forced_hub_is_paid_from_the_budget_and_counted_in_min_cost() {
    // Budget for two hubs and their rooms: forcing a poor hub leaves one more.
    let mut sc = scenario(ObjectiveKind::MaxCoverage);
    sc.budget.kzt = Some(560e6);
    sc.hubs.force = vec!["A2".into()];
    let p = plan(&sc, &line_region());
    assert!(p.violations.is_empty(), "{:?}", p.violations);
    assert!(p.doc.totals.cost_kzt <= 560e6 && p.doc.hubs.iter().any(|h| h.school_id == "A2"));
    assert_eq!(p.doc.totals.new_hubs, p.doc.hubs.len());

    // min-cost: the plan's figure includes the forced hub, and is the MIP's optimum.
    let mut sc = scenario(ObjectiveKind::MinCost);
    sc.hubs.force = vec!["A2".into()];
    let heur = plan(&sc, &line_region());
    let mip = plan_with(&sc, &line_region(), SolverChoice::Mip, &sc).unwrap();
    assert!(heur.violations.is_empty() && mip.violations.is_empty());
    let t = &heur.doc.totals;
    let cost = t.hub_cost_kzt + t.room_cost_kzt + sc.objective.years * t.yearly_visit_cost_kzt;
    let q = heur.doc.quality();
    assert!((q.value - cost).abs() <= 1e-6 * cost, "{} vs {cost}", q.value);
    assert!((q.value - mip.doc.quality().value).abs() <= 1e-6 * cost);
    assert!(q.proven);
}

/// `sc` as a scenario loaded from `s.toml`, for planning in memory.
pub(crate) fn loaded(sc: &Scenario) -> LoadedScenario {
    LoadedScenario { scenario: sc.clone(), file: "s.toml".into() }
}

/// `schools` as the rows of a schools file.
pub(crate) fn rows_of(schools: &[School]) -> Vec<crate::io::schools::SchoolRow> {
    schools
        .iter()
        .enumerate()
        .map(|(i, s)| crate::io::schools::SchoolRow {
            row: i + 1,
            id: s.id.clone(),
            name: Some(s.name.clone()),
            district: Some(s.district.clone()),
            lat: s.lat,
            lon: s.lon,
            students: Some(s.students),
            kind: Some(if s.small {
                crate::io::schools::SchoolKind::Small
            } else {
                crate::io::schools::SchoolKind::Regular
            }),
            hub: Some(s.hub),
            hub_cost_kzt: Some(s.hub_cost_kzt),
            capacity_small_schools: s.capacity_small_schools,
            students_by_year: Vec::new(),
            internet: s.internet,
            teacher_hours_per_year: s.teacher_hours_per_year,
        })
        .collect()
}

/// Plans `schools` in memory under scenario `toml` (with overrides).
fn plan_text(toml_text: &str, set: &[(&str, &str)], schools: &[School]) -> Result<super::PlanRun, PlanError> {
    let set: Vec<(String, String)> = set.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let loaded = LoadedScenario::parse(toml_text, "s.toml".as_ref(), &set).map_err(PlanError::Scenario)?;
    super::plan_in_memory(loaded, rows_of(schools))
}

#[test]
fn bad_forced_and_forbidden_ids_are_named_with_their_key() {
    let text = "[data]\nschools = \"x.csv\"\n[hubs]\nmin_per_district = 0\n";
    let mut schools = line_region();
    schools[0].hub = HubStatus::Existing;
    let err = |set: &[(&str, &str)]| plan_text(text, set, &schools).err().expect("an error").to_string();
    let e = err(&[("hubs.force", "NOPE")]);
    assert!(e.contains("hubs.force") && e.contains("`NOPE` is not a school"), "{e}");
    let e = err(&[("hubs.force", "a1")]);
    assert!(e.contains("hubs.force") && e.contains("not a hub candidate"), "{e}");
    let e = err(&[("hubs.forbid", "A1")]);
    assert!(e.contains("hubs.forbid") && e.contains("existing hub"), "{e}");
    let e = err(&[("hubs.force", "[\"A2\"]"), ("hubs.forbid", "[\"A2\", \"B1\"]")]);
    assert!(e.contains("hubs.forbid") && e.contains("also in `hubs.force`"), "{e}");
    let e = err(&[("hubs.forbid", "[\"B1\", \"B1\"]")]);
    assert!(e.contains("lists school `B1` twice"), "{e}");
    let e = err(&[("hubs.force", "[\"A2\", \"B2\"]"), ("hubs.max_new", "1")]);
    assert!(e.contains("`hubs.force` opens 2 new hubs"), "{e}");
    // A single id and a list of one plan alike.
    let one = plan_text(text, &[("hubs.force", "A2")], &schools).unwrap();
    let list = plan_text(text, &[("hubs.force", "[\"A2\"]")], &schools).unwrap();
    assert_eq!(one.doc.hubs, list.doc.hubs);
    assert!(one.doc.hubs.iter().any(|h| h.school_id == "A2"));
}

/// The MIP's proven optimum of scenario `sc` on `run`'s inputs, in the
/// planner's unit (`None`: no plan meets the rules).
fn mip_optimum(run: &super::PlanRun, sc: &Scenario) -> Option<f64> {
    mip_plan(run, sc, &run.inputs.schools).map(|d| d.quality().value)
}

/// The MIP's proven optimal plan of scenario `sc` on `run`'s distances and `schools`.
fn mip_plan(run: &super::PlanRun, sc: &Scenario, schools: &[School]) -> Option<PlanDoc> {
    let mut sc = sc.clone();
    sc.solver.kind = SolverChoice::Mip;
    let model = build_model(&sc, schools, &run.inputs.table).ok()?;
    let solved = match solve_plan(&model, &sc, schools) {
        Err(PlanError::Infeasible(_)) => return None,
        r => r.unwrap(),
    };
    let a = Assembly {
        sc: &sc,
        schools,
        model: &model,
        paths: run.inputs.paths.clone(),
        approx: true,
        sources: Vec::new(),
        warnings: Vec::new(),
    };
    let doc = assemble(&a, &solved.decision, &solved.outcome, Vec::new());
    assert!(doc.quality().proven, "the MIP oracle did not prove its plan");
    Some(doc)
}

proptest! {
    // A fixed draw (`PROPTEST_RNG_SEED` draws others): the oracle is
    // microlp, which on some random regions cannot prove the whole MIP in
    // its minute (seed 267741, drawn on 2026-12-07).
    #![proptest_config(ProptestConfig {
        cases: crate::testutil::cases(48),
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(
            std::env::var("PROPTEST_RNG_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(20_261_207),
        ),
        ..ProptestConfig::default()
    })]

    /// Every new hub's regret equals the MIP optimum of the scenario minus
    /// the MIP optimum with that hub forbidden (or lies within its bracket
    /// when labelled `bounded`); `none` exactly when the MIP finds no plan.
    #[test]
    fn regrets_equal_a_mip_re_solve_with_the_hub_forbidden(seed in 0u64..1_000_000) {
        let (schools, sc) = random_region(seed);
        let Ok(mut run) = super::plan_in_memory(loaded(&sc), rows_of(&schools)) else { return Ok(()) };
        super::worth::add_worth(&mut run, &Silent).unwrap();
        let Some(best) = mip_optimum(&run, &sc) else { return Ok(()) };
        let more = sc.objective.kind == ObjectiveKind::MaxCoverage;
        for h in run.doc.hubs.iter().filter(|h| h.status == "new") {
            let w = h.worth.as_ref().expect("every new hub valued");
            let mut without = sc.clone();
            without.hubs.forbid.push(h.school_id.clone());
            match mip_optimum(&run, &without) {
                None => prop_assert_eq!(w.method.as_str(), "none", "{}: {}", h.school_id, w.detail),
                Some(v) => {
                    let truth = if more { best - v } else { v - best };
                    let tol = 1e-6 * best.abs().max(v.abs()).max(1.0);
                    match w.method.as_str() {
                        "exact" => prop_assert!((w.regret.unwrap() - truth).abs() <= tol, "{}: regret {:?} vs MIP {} ({:?})", h.school_id, w.regret, truth, sc.objective.kind),
                        "bounded" => {
                            prop_assert!(w.regret_min.is_none_or(|lo| lo <= truth + tol), "{}: {:?} above {}", h.school_id, w.regret_min, truth);
                            prop_assert!(w.regret_max.is_none_or(|hi| hi >= truth - tol), "{}: {:?} below {}", h.school_id, w.regret_max, truth);
                        }
                        m => prop_assert!(false, "{}: method {} but the MIP plans without it ({})", h.school_id, m, w.detail),
                    }
                    if let Some(r) = &w.runner_up {
                        prop_assert!(!run.doc.hubs.iter().any(|x| &x.school_id == r), "runner-up {} is already a hub", r);
                    }
                }
            }
        }
    }
}

/// The line region with hubs of two small schools each, and a budget for four hubs.
fn explained_run() -> super::PlanRun {
    let mut sc = scenario(ObjectiveKind::MaxCoverage);
    sc.budget.kzt = Some(1300e6);
    sc.hubs.capacity_small_schools = Some(2);
    super::plan_in_memory(loaded(&sc), rows_of(&line_region())).unwrap()
}

#[test]
fn explain_a_hub_gives_the_mip_regret_and_what_it_serves() {
    use super::explain::{Explanation, explain};
    let run = explained_run();
    let sc = run.loaded.scenario.clone();
    let best = mip_optimum(&run, &sc).unwrap();
    for h in &run.doc.hubs {
        let Explanation::Hub { worth, serves, limits, .. } = explain(&run, &h.school_id).unwrap() else {
            panic!("{} is a hub", h.school_id)
        };
        let mut without = sc.clone();
        without.hubs.forbid.push(h.school_id.clone());
        let truth = mip_optimum(&run, &without).map(|v| best - v);
        let w = worth.expect("a new hub is valued");
        assert_eq!(w.regret, truth, "{}", h.school_id);
        assert_eq!(serves.len(), run.doc.links.iter().filter(|l| l.hub_id == h.school_id).count());
        let count = limits.iter().find(|l| l.key == "hubs.capacity_small_schools").unwrap();
        assert_eq!((count.used, count.limit), (serves.len() as f64, 2.0));
    }
}

#[test]
fn explain_a_candidate_gives_the_mip_plan_with_it_forced() {
    use super::explain::{Explanation, explain};
    let run = explained_run();
    let sc = run.loaded.scenario.clone();
    let best = mip_optimum(&run, &sc).unwrap();
    let closed: Vec<&str> = ["A1", "A2", "B1", "B2", "C1"]
        .into_iter()
        .filter(|id| !run.doc.hubs.iter().any(|h| h.school_id == *id))
        .collect();
    assert!(!closed.is_empty());
    for id in closed {
        let Explanation::Candidate { if_forced, .. } = explain(&run, id).unwrap() else {
            panic!("{id} is a candidate")
        };
        let mut forced = sc.clone();
        forced.hubs.force.push(id.into());
        let truth = mip_plan(&run, &forced, &run.inputs.schools).expect("a plan with it forced");
        let c = if_forced.expect("a plan with it forced");
        assert!((c.delta - (truth.quality().value - best)).abs() < 1e-6, "{id}: {} vs MIP", c.delta);
        assert!(c.exact);
        assert!(c.hubs_added.iter().any(|h| h.id == id));
        assert_eq!(c.hubs_dropped.len() + run.doc.hubs.len(), truth.hubs.len() + c.hubs_added.len() - 1 + 1);
    }
}

#[test]
fn explain_an_unlinked_school_finds_a_change_that_links_it_in_the_mip_too() {
    use super::explain::{Explanation, explain};
    let run = explained_run();
    let sc = run.loaded.scenario.clone();
    let best = mip_optimum(&run, &sc).unwrap();
    let full = run.doc.unlinked.iter().find(|u| u.reason == Reason::HubsFull).expect("a school left out of a full hub");
    let Explanation::Unlinked { reason, changes, .. } = explain(&run, &full.small_school_id).unwrap() else {
        panic!("unlinked")
    };
    assert_eq!(reason, "hubs-full");
    let linking = changes.iter().find(|c| c.links_it).expect("some change links it");
    // The same change, planned by the MIP: it links the school too, with the same figure.
    let mut v = sc.clone();
    let mut schools = run.inputs.schools.clone();
    match linking.key.as_str() {
        "hubs.capacity_small_schools" => v.hubs.capacity_small_schools = Some(linking.to.parse().unwrap()),
        "budget.kzt" => v.budget.kzt = Some(linking.to.parse().unwrap()),
        k => {
            let hub = k.strip_prefix("capacity_small_schools of hub ").expect("a known change");
            let h = schools.iter().position(|s| s.id == hub).unwrap();
            schools[h].capacity_small_schools = Some(linking.to.parse().unwrap());
        }
    }
    let truth = mip_plan(&run, &v, &schools).unwrap();
    assert!(truth.links.iter().any(|l| l.small_school_id == full.small_school_id), "{linking:?}");
    let c = linking.change.as_ref().unwrap();
    assert!((c.delta - (truth.quality().value - best)).abs() < 1e-6);
    // A school out of every hub's reach: without a way to replan, only the
    // radius it needs; with one, that radius planned (distances included).
    let far = run.doc.unlinked.iter().find(|u| u.reason == Reason::NoHubInReach).unwrap();
    let Explanation::Unlinked { changes, detail, .. } = explain(&run, &far.small_school_id).unwrap() else { panic!() };
    assert!(changes.is_empty() && detail.contains("links.max_road_km="), "{detail}");
    let replan = |v: Scenario| super::plan_in_memory(loaded(&v), rows_of(&line_region())).map(|r| r.doc);
    let e = super::explain::explain_with(&run, &far.small_school_id, Some(&replan)).unwrap();
    let Explanation::Unlinked { changes, .. } = e else { panic!() };
    assert_eq!(changes.len(), 1);
    let c = &changes[0];
    assert_eq!(c.key, "links.max_road_km");
    let mut v = sc.clone();
    v.links.max_road_km = c.to.parse().unwrap();
    let run_v = super::plan_in_memory(loaded(&v), rows_of(&line_region())).unwrap();
    let truth = mip_plan(&run_v, &v, &run_v.inputs.schools).unwrap();
    // What it claims is what the MIP finds with that radius (here the budget
    // goes to other schools, so the radius alone does not link it).
    assert_eq!(truth.links.iter().any(|l| l.small_school_id == far.small_school_id), c.links_it);
    assert!((c.change.as_ref().unwrap().delta - (truth.quality().value - best)).abs() < 1e-6);
    // Without the budget a radius does link c2 (C1 has room), and the MIP agrees.
    let far = "c2".to_string();
    let mut open = sc.clone();
    open.budget.kzt = None;
    let free = super::plan_in_memory(loaded(&open), rows_of(&line_region())).unwrap();
    let e = super::explain::explain_with(&free, &far, Some(&replan)).unwrap();
    let Explanation::Unlinked { changes, reason, .. } = e else { panic!() };
    assert_eq!(reason, "no-hub-in-reach");
    let c = &changes[0];
    assert!(c.links_it, "{c:?}");
    let mut v = open.clone();
    v.links.max_road_km = c.to.parse().unwrap();
    let run_v = super::plan_in_memory(loaded(&v), rows_of(&line_region())).unwrap();
    let truth = mip_plan(&run_v, &v, &run_v.inputs.schools).unwrap();
    assert!(truth.links.iter().any(|l| l.small_school_id == far));
    let base = mip_optimum(&free, &open).unwrap();
    assert!((c.change.as_ref().unwrap().delta - (truth.quality().value - base)).abs() < 1e-6);
}

#[test]
fn explain_a_linked_school_lists_the_nearer_hubs_from_the_distances() {
    use super::explain::{Explanation, explain};
    let run = explained_run();
    let sc = &run.loaded.scenario;
    let schools = &run.inputs.schools;
    let mut saw_full = false;
    for l in &run.doc.links {
        let Explanation::Linked { nearer, road_km, .. } = explain(&run, &l.small_school_id).unwrap() else {
            panic!("linked")
        };
        assert_eq!(road_km, l.road_km);
        let i = schools.iter().position(|s| s.id == l.small_school_id).unwrap();
        // Independently: every hub or candidate of its district within reach and nearer than its hub.
        let mut expect: Vec<(String, f64)> = schools
            .iter()
            .enumerate()
            .filter(|(h, s)| *h != i && s.id != l.hub_id && s.hub != HubStatus::No && s.district == schools[i].district)
            .filter_map(|(h, s)| {
                run.inputs.table.get(SchoolIdx(i as u32), SchoolIdx(h as u32)).map(|x| (s.id.clone(), x.road_km))
            })
            .filter(|(_, km)| *km <= sc.links.max_road_km && *km < l.road_km)
            .collect();
        expect.sort_by(|a, b| a.1.total_cmp(&b.1));
        let got: Vec<(String, f64)> = nearer.iter().map(|n| (n.hub.id.clone(), n.road_km)).collect();
        assert_eq!(got, expect);
        for n in nearer.iter().filter(|n| n.open) {
            let linked = run.doc.links.iter().filter(|x| x.hub_id == n.hub.id).count();
            assert!(n.why_not.starts_with("full") == (linked >= 2), "{}: {} with {linked} linked", n.hub.id, n.why_not);
            saw_full |= linked >= 2;
        }
    }
    assert!(saw_full, "the fixture has a school passed over by a full nearer hub");
}

/// The best plan (students, then student-km; or the figure to minimise) of
/// every exact set of new hubs, by the MIP: each set forced, the other
/// candidates forbidden.
fn every_hub_set_by_mip(run: &super::PlanRun, cands: &[&str]) -> Vec<(BTreeSet<String>, (f64, f64))> {
    let sc = &run.loaded.scenario;
    let more = sc.objective.kind == ObjectiveKind::MaxCoverage;
    let mut out = Vec::new();
    for mask in 0u32..(1 << cands.len()) {
        let set: BTreeSet<String> =
            (0..cands.len()).filter(|b| mask & (1 << b) != 0).map(|b| cands[b].to_string()).collect();
        let mut v = sc.clone();
        v.hubs.force = set.iter().cloned().collect();
        v.hubs.forbid = cands.iter().map(|c| c.to_string()).filter(|c| !set.contains(c)).collect();
        if let Some(doc) = mip_plan(run, &v, &run.inputs.schools) {
            let q = doc.quality().value;
            out.push((set, if more { (-q, doc.totals.student_km) } else { (q, 0.0) }));
        }
    }
    out
}

#[test]
fn alternatives_are_the_best_plans_meeting_the_conditions_by_enumeration() {
    use super::alternatives::{AlternativeOptions, alternatives};
    let cands = ["A1", "A2", "B1", "B2", "C1"];
    for (budget, h) in [(1300e6, 1), (1300e6, 2), (800e6, 1)] {
        let mut sc = scenario(ObjectiveKind::MaxCoverage);
        sc.budget.kzt = Some(budget);
        sc.hubs.capacity_small_schools = Some(2);
        let run = super::plan_in_memory(loaded(&sc), rows_of(&line_region())).unwrap();
        let all = every_hub_set_by_mip(&run, &cands);
        let o = AlternativeOptions { count: 3, within: 0.5, min_difference: h, ..Default::default() };
        let found = alternatives(&run, &o).unwrap();
        let hubs_of = |d: &PlanDoc| -> BTreeSet<String> { d.hubs.iter().map(|x| x.school_id.clone()).collect() };
        let mut earlier = vec![hubs_of(&run.doc)];
        let q = run.doc.quality().value;
        for a in &found.plans {
            // The oracle's best set meeting the conditions against the plans chosen so far.
            let ok = |s: &BTreeSet<String>| earlier.iter().all(|e| e.difference(s).count() >= h);
            let best = all.iter().filter(|(s, k)| ok(s) && -k.0 >= q * 0.5 - 1e-9).map(|x| x.1).fold(
                None,
                |b: Option<(f64, f64)>, k| {
                    Some(b.map_or(k, |b| if k.0 < b.0 || (k.0 == b.0 && k.1 < b.1) { k } else { b }))
                },
            );
            let got = hubs_of(&a.variant.doc);
            assert!(ok(&got), "budget {budget}, H {h}: {got:?} too close to {earlier:?}");
            let key = (-a.value, a.variant.doc.totals.student_km);
            let best = best.expect("the oracle finds one too");
            assert!(
                (key.0 - best.0).abs() < 1e-6 && (key.1 - best.1).abs() < 1e-6 * best.1.max(1.0),
                "budget {budget}, H {h}: {key:?} vs {best:?}"
            );
            assert!(a.proven);
            earlier.push(got);
        }
        // Fewer than asked only when the oracle has no further set either.
        if found.plans.len() < 3 {
            let ok = |s: &BTreeSet<String>| earlier.iter().all(|e| e.difference(s).count() >= h);
            assert!(
                !all.iter().any(|(s, k)| ok(s) && -k.0 >= q * 0.5 - 1e-9),
                "budget {budget}, H {h}: {}",
                found.note
            );
        }
        assert!(!found.plans.is_empty());
    }
}
