//! Rollout tests on regions built in code: the joint plan against the
//! time-indexed MIP on random regions, a region where planning year by year
//! is strictly worse, every rollout rule binding, and the referee catching
//! hand-broken plans.

use proptest::prelude::*;
use rand::Rng as _;

use super::mip::solve_time_indexed;
use super::{
    RolloutDecision, RolloutError, RolloutModel, RolloutOptions, RolloutResult, RolloutRules, evaluate, plan_rollout,
    value, violations,
};
use crate::hub::HubModel;
use crate::hub::build_model;
use crate::hub::inputs::School;
use crate::hub::scenario::{ObjectiveKind, PerYear, Rollout, Scenario};
use crate::hub::tests::{scenario, school, table};
use crate::io::schools::HubStatus;
use crate::rng::task_rng;
use crate::solve::{Backend, SolveOptions};

fn rollout(years: usize) -> Rollout {
    Rollout {
        years: (0..years as i32).map(|i| 2025 + i).collect(),
        budget_kzt: None,
        max_new: None,
        carry_over: false,
        year_weights: None,
        stable_links: true,
    }
}

fn base_scenario(r: Rollout) -> Scenario {
    let mut sc = scenario(ObjectiveKind::MaxCoverage);
    sc.links.max_road_km = 60.0;
    sc.hubs.cost_kzt = 100e6;
    sc.small_schools.digital_room_kzt = 20e6;
    sc.small_schools.universal_room_kzt = 10e6;
    sc.rollout = Some(r);
    sc
}

fn model(sc: &Scenario, schools: &[School]) -> HubModel {
    build_model(sc, schools, &table(sc, schools)).expect("model")
}

fn options(decompose: bool, mip_max_links: usize) -> RolloutOptions {
    RolloutOptions {
        solve: SolveOptions { threads: 1, time_limit: Some(60.0), seed: 1, ..SolveOptions::default() },
        decompose,
        mip_max_links,
    }
}

fn plan(sc: &Scenario, schools: &[School], opts: &RolloutOptions) -> Result<(RolloutResult, f64), RolloutError> {
    let hm = model(sc, schools);
    let rm = RolloutModel::new(&hm, RolloutRules::from_scenario(sc).unwrap(), schools);
    let r = plan_rollout(&rm, opts)?;
    let v = value(&rm, &r.joint_totals);
    Ok((r, v))
}

/// The time-indexed MIP's optimum value, `None` when no plan meets the rules.
fn mip_value(sc: &Scenario, schools: &[School]) -> Option<(f64, f64)> {
    let hm = model(sc, schools);
    let rm = RolloutModel::new(&hm, RolloutRules::from_scenario(sc).unwrap(), schools);
    let s = solve_time_indexed(&rm, Backend::best_available(), Some(120.0), None).expect("mip")?;
    assert!(s.upper.is_some(), "the MIP finished");
    assert!(violations(&rm, &s.decision).is_empty(), "the MIP's plan keeps every rule");
    let t = evaluate(&rm, &s.decision);
    Some((value(&rm, &t), t.student_years))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
}

/// Two districts 400 km apart: in A, candidates A1 (reaches a1, a2) and A2
/// (reaches a3, whose school grows from 40 to 200 students); in B, B1
/// (reaches b1). One new hub a year, one per district.
fn growth_region() -> Vec<School> {
    use HubStatus::{Candidate as C, No as N};
    let mut a3 = school("a3", "A", 130.0, 40, true, N);
    a3.students_by_year = vec![(2025, 40), (2026, 200)];
    vec![
        school("A1", "A", 0.0, 600, false, C),
        school("A2", "A", 120.0, 600, false, C),
        school("a1", "A", 10.0, 60, true, N),
        school("a2", "A", 20.0, 50, true, N),
        a3,
        school("B1", "B", 400.0, 600, false, C),
        school("b1", "B", 410.0, 80, true, N),
    ]
}

fn growth_scenario() -> Scenario {
    let mut r = rollout(2);
    r.max_new = Some(PerYear::Every(1));
    let mut sc = base_scenario(r);
    sc.hubs.max_per_district = Some(1);
    sc
}

#[test]
fn joint_planning_beats_year_by_year_where_enrolment_grows() {
    // Year by year: 2025 opens A1 (110 students, the most), 2026 B1 (80):
    // 110 + 190 = 300 student-years. Jointly: B1 in 2025 (80), A2 in 2026 (200):
    // 80 + 280 = 360 — A2 reaches the school that grows.
    let (sc, schools) = (growth_scenario(), growth_region());
    let (r, _) = plan(&sc, &schools, &options(true, 0)).unwrap();
    let (_, yearly) = r.yearly.as_ref().unwrap();
    assert_eq!(yearly.student_years, 300.0);
    assert_eq!(r.joint_totals.student_years, 360.0);
    assert!(r.quality.proven, "{:?}", r.quality);
    assert_eq!(r.quality.bound, Some(360.0));
    let (_, mip_sy) = mip_value(&sc, &schools).unwrap();
    assert_eq!(mip_sy, 360.0);
}

/// A random region of two or three districts (no link between them) with
/// random rollout rules.
fn random_case(seed: u64) -> (Scenario, Vec<School>) {
    let mut rng = task_rng(seed, 91);
    let n_years = rng.random_range(2..=3);
    // Sometimes districts overlap and links cross them: no decomposition.
    let across = rng.random_bool(0.2);
    let mut schools = Vec::new();
    for d in 0..rng.random_range(2..=3) {
        let name = ["A", "B", "C"][d];
        let x0 = if across { 40.0 * d as f64 } else { 500.0 * d as f64 };
        for k in 0..rng.random_range(1..=3) {
            let hub = if rng.random_bool(0.2) { HubStatus::Existing } else { HubStatus::Candidate };
            schools.push(school(&format!("{name}{k}"), name, x0 + rng.random_range(0.0..80.0), 500, false, hub));
        }
        for k in 0..rng.random_range(2..=5) {
            let mut s = school(&format!("{name}s{k}"), name, x0 + rng.random_range(0.0..80.0), 0, true, HubStatus::No);
            s.students = rng.random_range(20..=150);
            if rng.random_bool(0.4) {
                s.students_by_year = (0..n_years).map(|t| (2025 + t as i32, rng.random_range(10..=170u32))).collect();
            }
            schools.push(s);
        }
    }
    let mut r = rollout(n_years);
    if rng.random_bool(0.7) {
        r.max_new = Some(PerYear::Each((0..n_years).map(|_| rng.random_range(0..=2)).collect()));
    }
    if rng.random_bool(0.4) {
        r.budget_kzt = Some(PerYear::Each((0..n_years).map(|_| rng.random_range(50e6..300e6)).collect()));
        r.carry_over = rng.random_bool(0.5);
    }
    if rng.random_bool(0.3) {
        r.year_weights = Some((0..n_years).map(|_| f64::from(rng.random_range(0..=3u8))).collect());
    }
    r.stable_links = rng.random_bool(0.8);
    let mut sc = base_scenario(r);
    sc.links.within_district = !across;
    if rng.random_bool(0.5) {
        sc.hubs.capacity_small_schools = Some(rng.random_range(1..=3));
    }
    if rng.random_bool(0.4) {
        sc.hubs.capacity_students = Some(rng.random_range(100..=300));
    }
    if rng.random_bool(0.6) {
        sc.hubs.max_per_district = Some(rng.random_range(1..=2));
    }
    if rng.random_bool(0.3) {
        sc.hubs.max_new = Some(rng.random_range(1..=3));
    }
    if rng.random_bool(0.2) {
        sc.budget.kzt = Some(rng.random_range(100e6..500e6));
    }
    if rng.random_bool(0.2) {
        sc.hubs.min_per_district = 1;
    }
    (sc, schools)
}

/// The property test's cases: random with HiGHS (`--features highs`, a CI
/// step), whose MIP settles every such region in milliseconds; a fixed draw
/// with microlp, whose branch and bound (no cuts) leaves some capacitated
/// regions with moving links unproven after minutes (seed 190179: HiGHS
/// proves 1,577 student-years in 33 ms). A fixed draw keeps the quick tests
/// reproducible; the random search runs where its oracle always finishes.
fn draw() -> proptest::test_runner::RngSeed {
    if cfg!(feature = "highs") {
        proptest::test_runner::RngSeed::Random
    } else {
        proptest::test_runner::RngSeed::Fixed(20_261_207)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, rng_seed: draw(), ..ProptestConfig::default() })]

    /// The joint plan (decomposition, the MIP where it cannot prove) equals
    /// the time-indexed MIP's optimum, is proven, and is never worse than the
    /// year-by-year plan; the decomposition alone never claims more than the
    /// optimum, its bound always holds, and where nothing couples districts
    /// beyond the new-hub rows it is proven on its own.
    #[test]
    fn joint_plan_equals_the_time_indexed_mip(seed in 0u64..1_000_000) {
        joint_plan_meets_the_mip(seed)?;
    }
}

/// Cases the property test once failed on: seed 445317 (hubs that cost more
/// than any year's budget; the relaxation opened fractions of them and
/// microlp found no plan in 120 s) and 72544 (links across districts; the
/// heuristic found no plan for one district column and the whole rollout
/// failed instead of leaving that column out).
#[test]
fn former_failures_meet_the_time_indexed_mip() {
    for seed in [445_317, 72_544] {
        joint_plan_meets_the_mip(seed).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    }
}

/// The body of [`joint_plan_equals_the_time_indexed_mip`] for one seed.
fn joint_plan_meets_the_mip(seed: u64) -> Result<(), TestCaseError> {
    let (sc, schools) = random_case(seed);
    let Ok(hm) = build_model(&sc, &schools, &table(&sc, &schools)) else { return Ok(()) };
    drop(hm);
    let oracle = mip_value(&sc, &schools);
    let auto = plan(&sc, &schools, &options(true, usize::MAX));
    let Some((best, best_sy)) = oracle else {
        prop_assert!(auto.is_err(), "the MIP proves no plan exists");
        return Ok(());
    };
    let (r, v) = auto.expect("a plan exists");
    prop_assert!(close(v, best), "joint {v} vs MIP {best}");
    prop_assert!(r.quality.proven, "{:?}", r.quality);
    if let Ok((_, y)) = &r.yearly {
        prop_assert!(r.joint_totals.student_years + 1e-9 >= y.student_years);
    }
    let decomposition = plan(&sc, &schools, &options(true, 0));
    if let Ok((d, dv)) = decomposition {
        prop_assert!(dv <= best + 1e-6 * best.abs().max(1.0), "decomposition {dv} above the optimum {best}");
        // Every result carries a bound (from the years apart when nothing else gives one).
        let Some(b) = d.quality.bound else {
            return Err(TestCaseError::fail(format!("no bound: {:?}", d.joint.notes)));
        };
        prop_assert!(b + 1e-9 >= best_sy, "bound {b} below the optimum's {best_sy} student-years");
        let rr = sc.rollout.as_ref().unwrap();
        let varying = schools.iter().any(|s| !s.students_by_year.is_empty()) && sc.hubs.capacity_students.is_some();
        let uncoupled = rr.budget_kzt.is_none() && sc.budget.kzt.is_none() && rr.stable_links && !varying;
        if uncoupled && d.joint.method == "decomposition" {
            prop_assert!(d.quality.proven, "{:?} {:?}", d.quality, d.joint.notes);
            prop_assert!(close(dv, best));
        }
    }
    Ok(())
}

/// A region to make each rule bind: district A with candidates A1 (near
/// a1, a2, a3) and A2 (near a4), district B with B1 (near b1, b2).
fn rules_region() -> Vec<School> {
    use HubStatus::{Candidate as C, No as N};
    let mut v = vec![
        school("A1", "A", 0.0, 600, false, C),
        school("A2", "A", 150.0, 600, false, C),
        school("a1", "A", 10.0, 100, true, N),
        school("a2", "A", 20.0, 90, true, N),
        school("a3", "A", 30.0, 30, true, N),
        school("a4", "A", 160.0, 70, true, N),
        school("B1", "B", 500.0, 600, false, C),
        school("b1", "B", 510.0, 60, true, N),
        school("b2", "B", 520.0, 50, true, N),
    ];
    // KZT 100 million per hub; rooms: 20 million above 80 students, else 10.
    v.iter_mut().for_each(|s| s.hub_cost_kzt = 100e6);
    v
}

fn solved(sc: &Scenario) -> RolloutResult {
    let schools = rules_region();
    let (r, _) = plan(sc, &schools, &options(true, usize::MAX)).unwrap();
    assert!(r.quality.proven);
    let hm = model(sc, &schools);
    let rm = RolloutModel::new(&hm, RolloutRules::from_scenario(sc).unwrap(), &schools);
    assert!(violations(&rm, &r.joint.decision).is_empty());
    r
}

fn linked_per_year(r: &RolloutResult) -> Vec<u64> {
    r.joint_totals.years.iter().map(|y| y.linked_students).collect()
}

#[test]
fn each_rollout_rule_binds_and_changes_the_plan() {
    let free = base_scenario(rollout(2));
    // Unconstrained: every hub in 2025, everything linked both years.
    assert_eq!(linked_per_year(&solved(&free)), vec![400, 400]);

    // Yearly new-hub limit: one hub in 2025 (A1: 220 students), two in 2026.
    let mut sc = free.clone();
    sc.rollout.as_mut().unwrap().max_new = Some(PerYear::Each(vec![1, 2]));
    assert_eq!(linked_per_year(&solved(&sc)), vec![220, 400]);

    // Yearly budget: 2025 affords one hub and its three rooms (100 + 3 × 20 ≤ 170 million).
    let mut sc = free.clone();
    sc.rollout.as_mut().unwrap().budget_kzt = Some(PerYear::Each(vec![170e6, 1e9]));
    let r = solved(&sc);
    assert_eq!(linked_per_year(&r), vec![220, 400]);
    assert!(r.joint_totals.years[0].spend_kzt <= 170e6);

    // Carry-over: 2025's 90 million buys no hub; lost, 2026's 320 million buys
    // two hubs and their rooms (A1 150 + B1 120; all three need 380); carried,
    // 2026 has 410 and links everything.
    let mut sc = free.clone();
    sc.rollout.as_mut().unwrap().budget_kzt = Some(PerYear::Each(vec![90e6, 320e6]));
    let lost = solved(&sc);
    sc.rollout.as_mut().unwrap().carry_over = true;
    let carried = solved(&sc);
    assert!(carried.joint_totals.student_years > lost.joint_totals.student_years);
    assert_eq!(carried.joint_totals.years[1].linked_students, 400);

    // Horizon new-hub limit (`hubs.max_new`): two hubs over both years.
    let mut sc = free.clone();
    sc.hubs.max_new = Some(2);
    let r = solved(&sc);
    assert_eq!(r.joint_totals.new_hubs, 2);
    assert_eq!(linked_per_year(&r), vec![330, 330]);

    // Horizon budget (`budget.kzt`): one hub and its rooms.
    let mut sc = free.clone();
    sc.budget.kzt = Some(170e6);
    assert_eq!(linked_per_year(&solved(&sc)), vec![220, 220]);

    // District minimum by the final year: with one hub in all, B must get it.
    let mut sc = free.clone();
    sc.hubs.max_new = Some(2);
    sc.hubs.min_per_district = 1;
    let r = solved(&sc);
    assert_eq!(linked_per_year(&r), vec![330, 330]);
    sc.hubs.max_per_district = Some(1);
    let hm = model(&sc, &rules_region());
    let rm = RolloutModel::new(&hm, RolloutRules::from_scenario(&sc).unwrap(), &rules_region());
    let r = solved(&sc);
    let b1 = hm.facility_school.iter().position(|&i| rules_region()[i.index()].id == "B1").unwrap();
    assert!(r.joint.decision.is_open(&rm, b1, 1), "B gets its hub");

    // Year weights: with 2025 worth nothing and one hub a year, the
    // bigger hub may wait; with 2026 worth nothing, it opens first.
    let mut sc = free.clone();
    sc.rollout.as_mut().unwrap().max_new = Some(PerYear::Every(1));
    sc.rollout.as_mut().unwrap().year_weights = Some(vec![1.0, 0.0]);
    let r = solved(&sc);
    assert_eq!(r.joint_totals.years[0].linked_students, 220);
}

#[test]
fn enrolment_projections_change_the_plan() {
    // Without projections A1's schools (220 students) beat B1's (110) in 2025.
    let mut sc = base_scenario(rollout(2));
    sc.rollout.as_mut().unwrap().max_new = Some(PerYear::Every(1));
    sc.hubs.max_per_district = Some(1);
    let r = solved(&sc);
    assert_eq!(r.joint_totals.years[0].linked_students, 220);
    // B's schools triple by 2025's projection: B1 first.
    let mut schools = rules_region();
    for s in schools.iter_mut().filter(|s| s.district == "B" && s.small) {
        s.students_by_year = vec![(2025, 3 * s.students), (2026, 3 * s.students)];
    }
    let (r, _) = plan(&sc, &schools, &options(true, usize::MAX)).unwrap();
    assert_eq!(r.joint_totals.years[0].linked_students, 330);
}

#[test]
fn stable_links_bind_where_a_closer_hub_opens_later() {
    // s is near E (existing) and nearer N (new, in 2026 at the earliest):
    // with stable links it stays with E; when links may move it moves to N.
    use HubStatus::{Candidate as C, Existing as E, No as N};
    let schools = vec![
        school("E", "A", 0.0, 600, false, E),
        school("N", "A", 44.0, 600, false, C),
        school("s", "A", 40.0, 100, true, N),
    ];
    let mut r = rollout(2);
    r.max_new = Some(PerYear::Each(vec![0, 1]));
    let sc = base_scenario(r);
    let hm = model(&sc, &schools);
    let rm = RolloutModel::new(&hm, RolloutRules::from_scenario(&sc).unwrap(), &schools);
    let km = |id: &str| {
        let f = hm.facility_school.iter().position(|&i| schools[i.index()].id == id).unwrap();
        rm.link_km(0, f).unwrap()
    };
    let (far, near) = (km("E"), km("N"));
    assert!(near < far);
    let (stable, _) = plan(&sc, &schools, &options(true, usize::MAX)).unwrap();
    assert!(stable.quality.proven);
    assert!(close(stable.joint_totals.student_km, 2.0 * 100.0 * far), "{}", stable.joint_totals.student_km);
    let mut sc2 = sc.clone();
    sc2.rollout.as_mut().unwrap().stable_links = false;
    let (moving, _) = plan(&sc2, &schools, &options(true, usize::MAX)).unwrap();
    assert!(moving.quality.proven);
    assert!(close(moving.joint_totals.student_km, 100.0 * (far + near)), "{}", moving.joint_totals.student_km);
}

#[test]
fn the_referee_rejects_hand_broken_rollouts() {
    let sc = {
        let mut sc = base_scenario(rollout(2));
        sc.rollout.as_mut().unwrap().budget_kzt = Some(PerYear::Every(250e6));
        sc.hubs.min_per_district = 1;
        sc
    };
    let schools = rules_region();
    let (r, _) = plan(&sc, &schools, &options(true, usize::MAX)).unwrap();
    let hm = model(&sc, &schools);
    let rm = RolloutModel::new(&hm, RolloutRules::from_scenario(&sc).unwrap(), &schools);
    let good = r.joint.decision.clone();
    assert!(violations(&rm, &good).is_empty());
    let codes = |d: &RolloutDecision| violations(&rm, d).into_iter().map(|v| v.code).collect::<Vec<_>>();
    let linked = (0..good.links.len()).find(|&c| good.links[c][0].is_some()).expect("a school linked in 2025");
    // A hub that closes: its school unlinked in 2026.
    let mut d = good.clone();
    d.links[linked][1] = None;
    assert!(codes(&d).contains(&"R-UNLINKED-LATER"));
    // A link that moves under stable links.
    let mut d = good.clone();
    let other =
        (0..hm.instance.n_facilities()).find(|&f| Some(f) != good.links[linked][0] && rm.link_km(linked, f).is_some());
    if let Some(f) = other {
        d.links[linked][1] = Some(f);
        assert!(codes(&d).contains(&"R-LINK-MOVED"));
    }
    // A link to a hub before it opens.
    let mut d = good.clone();
    let f = good.links[linked][0].unwrap();
    d.opened[f] = Some(1);
    assert!(codes(&d).contains(&"R-HUB-NOT-OPEN"));
    // A year over its budget: every hub opens in 2025.
    let mut d = good.clone();
    for o in d.opened.iter_mut().filter(|o| o.is_some()) {
        *o = Some(0);
    }
    for c in 0..d.links.len() {
        if let Some(f) = d.links[c][1] {
            d.links[c] = vec![Some(f); 2];
        }
    }
    assert!(codes(&d).contains(&"R-BUDGET-YEAR"), "{:?}", codes(&d));
    // A district without its hub in the final year.
    let mut d = RolloutDecision::empty(&rm);
    d.opened[0] = Some(0);
    assert!(codes(&d).contains(&"R-DISTRICT-MIN"));
}

#[test]
fn a_projection_for_a_year_outside_the_rollout_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("schools.csv"),
        "id,name,district,lat,lon,students,hub,students_2025,students_2030\n\
         H,Hub,D,48,57,600,candidate,600,600\n\
         s,Small,D,48,57.1,60,no,60,55\n",
    )
    .unwrap();
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, "[data]\nschools = \"schools.csv\"\n[rollout]\nyears = [2025, 2026]\n").unwrap();
    let loaded = crate::hub::LoadedScenario::load(&scenario).unwrap();
    let e = crate::hub::plan(loaded, &Default::default(), &crate::network::progress::Silent).err().unwrap().to_string();
    assert!(e.contains("students_2030") && e.contains("rollout.years") && e.contains("schools.csv"), "{e}");
}

/// Budgets that bind, without the MIP to fall back on: the decomposition
/// prices them into the district plans and recombines what it met, so the
/// plan keeps every budget, equals the time-indexed MIP's optimum on this
/// small region, and its Lagrangian bound is not below that optimum.
#[test]
fn binding_budgets_are_priced_into_the_district_plans() {
    for (budgets, carry) in [(vec![170e6, 1e9], false), (vec![125e6, 320e6], false), (vec![125e6, 250e6], true)] {
        let mut sc = base_scenario(rollout(2));
        sc.rollout.as_mut().unwrap().budget_kzt = Some(PerYear::Each(budgets.clone()));
        sc.rollout.as_mut().unwrap().carry_over = carry;
        let (best, best_sy) = mip_value(&sc, &rules_region()).expect("a plan exists");
        let (r, v) = plan(&sc, &rules_region(), &options(true, 0)).expect("the priced decomposition finds a plan");
        assert!(r.joint.method.starts_with("decomposition, budgets priced"), "{budgets:?}: {}", r.joint.method);
        assert!(close(v, best), "{budgets:?} carry {carry}: priced {v} vs MIP {best}");
        let bound = r.quality.bound.expect("a bound");
        assert!(bound + 1e-9 >= best_sy, "{budgets:?}: bound {bound} below the optimum's {best_sy}");
    }
}
