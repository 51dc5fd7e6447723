//! `hubplan plan` and `hubplan check-plan` end to end on the fixture region
//! (tests/fixtures/hub): outputs, validation, atomic writes, clear errors.

use crate::common::{fixture, hubplan, s, text};
use std::fs;
use std::path::Path;

/// A copy of the fixture folder with the scenario text replaced.
fn scenario_dir(scenario: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(fixture("hub").join("schools.csv"), dir.path().join("schools.csv")).unwrap();
    fs::write(dir.path().join("scenario.toml"), scenario).unwrap();
    dir
}

#[test]
fn plan_writes_every_output_and_check_plan_accepts_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("plan");
    let scenario = fixture("hub").join("scenario.toml");
    let o = hubplan(&["plan", s(&scenario), "--out", s(&out)]);
    assert!(o.status.success(), "{}", text(&o));
    let summary = text(&o);
    assert!(
        summary.contains("district") && summary.contains("total") && summary.contains("quality    linked"),
        "{summary}"
    );
    for f in ["plan.json", "hubs.csv", "links.csv", "unlinked.csv", "plan.geojson", "plan.xlsx"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let plan: serde_json::Value = serde_json::from_slice(&fs::read(out.join("plan.json")).unwrap()).unwrap();
    assert_eq!(plan["schema"], "hubplan-plan/5");
    let q = &plan["quality"];
    assert_eq!(q["measure"], "linked_students");
    assert_eq!(q["value"].as_f64(), plan["totals"]["linked_students"].as_f64());
    assert!(q["bound"].as_f64().unwrap() >= q["value"].as_f64().unwrap(), "{q}");
    assert_eq!(q["tie_break"]["value"].as_f64(), plan["totals"]["student_km"].as_f64());
    assert_eq!(plan["scenario"]["links"]["max_road_km"], 100.0);
    assert_eq!(plan["scenario"]["objective"]["kind"], "max-coverage", "defaults are filled in");
    assert_eq!(plan["inputs"]["distances"], "approx");
    // B2 is an existing hub: kept, at no cost.
    let b2 = plan["hubs"].as_array().unwrap().iter().find(|h| h["school_id"] == "B2").expect("existing hub kept");
    assert_eq!((b2["status"].as_str(), b2["cost_kzt"].as_f64()), (Some("existing"), Some(0.0)));
    // c2 is 156 km from C1: no hub in reach.
    let c2 = plan["unlinked"].as_array().unwrap().iter().find(|u| u["small_school_id"] == "c2").unwrap();
    assert_eq!(c2["reason"], "no-hub-in-reach");
    // The CSVs agree with plan.json.
    let links = fs::read_to_string(out.join("links.csv")).unwrap();
    assert!(links.starts_with("small_school_id,hub_id,road_km,minutes,approx"));
    assert_eq!(links.lines().count() - 1, plan["links"].as_array().unwrap().len());
    let gj: serde_json::Value = serde_json::from_slice(&fs::read(out.join("plan.geojson")).unwrap()).unwrap();
    let layers = |l: &str| gj["features"].as_array().unwrap().iter().filter(|f| f["properties"]["layer"] == l).count();
    assert_eq!(layers("hub"), plan["hubs"].as_array().unwrap().len());
    assert_eq!(layers("link"), plan["links"].as_array().unwrap().len());
    let o = hubplan(&["check-plan", s(&scenario), s(&out)]);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn check_plan_rejects_a_broken_plan() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("plan");
    let scenario = fixture("hub").join("scenario.toml");
    assert!(hubplan(&["plan", s(&scenario), "--out", s(&out)]).status.success());
    let path = out.join("plan.json");
    let mut plan: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    // Send the first link to the hub of another district, far away.
    let far = plan["hubs"].as_array().unwrap().iter().find(|h| h["district"] == "C").unwrap()["school_id"].clone();
    plan["links"][0]["hub_id"] = far;
    fs::write(&path, serde_json::to_vec(&plan).unwrap()).unwrap();
    let o = hubplan(&["check-plan", s(&scenario), s(&out)]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("max_road_km") || text(&o).contains("crosses districts"), "{}", text(&o));
    assert!(text(&o).contains("crosses districts (") && text(&o).contains("[V-LINK-DISTRICT]"), "{}", text(&o));
}

#[test]
fn an_existing_output_is_kept_without_force_and_after_a_failed_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("plan");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("mine.txt"), "keep me").unwrap();
    let scenario = fixture("hub").join("scenario.toml");
    let o = hubplan(&["plan", s(&scenario), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("--force"), "{}", text(&o));
    assert_eq!(fs::read_to_string(out.join("mine.txt")).unwrap(), "keep me");
    // An infeasible run with --force fails and leaves the folder as it was.
    let o = hubplan(&["plan", s(&scenario), "--out", s(&out), "--force", "--set", "budget.kzt=1e8"]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert_eq!(fs::read_to_string(out.join("mine.txt")).unwrap(), "keep me");
    assert_eq!(fs::read_dir(&out).unwrap().count(), 1);
    // With --force a good run replaces it.
    let o = hubplan(&["plan", s(&scenario), "--out", s(&out), "--force"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!out.join("mine.txt").exists() && out.join("plan.json").exists());
    let leftovers: Vec<_> = fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary folders left: {leftovers:?}");
}

#[test]
fn an_infeasible_budget_says_how_far_it_falls_short() {
    let scenario = fixture("hub").join("scenario.toml");
    let o = hubplan(&["plan", s(&scenario), "--set", "budget.kzt=1e8"]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(text(&o).contains("budget"), "{}", text(&o));
}

#[test]
fn bad_scenarios_get_clear_errors() {
    let base = fs::read_to_string(fixture("hub").join("scenario.toml")).unwrap();
    let cases: Vec<(String, &[&str])> = vec![
        (base.replace("max_per_district", "max_per_distrct"), &["max_per_distrct", "hubs.max_per_district"]),
        (base.replace("schools.csv", "missing.csv"), &["missing.csv"]),
        (base.replace("kzt = 1_500_000_000", "kzt = -5"), &["budget.kzt", "-5"]),
        (base.replace("[links]", "[links]\nwithin_district = \"yes\""), &["within_district"]),
        (base.replace("threads = 1", "threads = 1\nkind = \"fast\""), &["fast"]),
    ];
    for (scenario, expect) in cases {
        let dir = scenario_dir(&scenario);
        let o = hubplan(&["plan", s(&dir.path().join("scenario.toml"))]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        let t = text(&o);
        assert!(!t.contains("panicked"), "{t}");
        for e in expect {
            assert!(t.contains(e), "`{e}` not in: {t}");
        }
    }
}

#[test]
fn a_district_without_candidates_is_named() {
    let dir = scenario_dir(&fs::read_to_string(fixture("hub").join("scenario.toml")).unwrap());
    let mut csv = fs::read_to_string(dir.path().join("schools.csv")).unwrap();
    csv.push_str("d1,School d1,D,48.0,70.0,40,small,no,\n");
    fs::write(dir.path().join("schools.csv"), csv).unwrap();
    let o = hubplan(&["plan", s(&dir.path().join("scenario.toml"))]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("district `D` has 0 hub candidates"), "{}", text(&o));
}

#[test]
fn the_same_seed_gives_the_same_plan() {
    let scenario = fixture("hub").join("scenario.toml");
    let run = |threads: &str| {
        let o = hubplan(&["plan", s(&scenario), "--json", "--threads", threads, "--seed", "7"]);
        assert!(o.status.success(), "{}", text(&o));
        let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        for k in ["elapsed_s", "threads"] {
            v[k] = serde_json::Value::Null;
        }
        v["scenario"]["solver"]["threads"] = serde_json::Value::Null;
        v
    };
    assert_eq!(run("1"), run("2"));
}

#[test]
fn an_existing_hubs_list_marks_schools_as_existing_and_bad_ids_are_named() {
    let base = fs::read_to_string(fixture("hub").join("scenario.toml")).unwrap();
    let with_list =
        base.replace("schools = \"schools.csv\"", "schools = \"schools.csv\"\nexisting_hubs = \"last-year.csv\"");
    let dir = scenario_dir(&with_list);
    // Last year's hubs.csv names A2 (a candidate in schools.csv) by `school_id`.
    fs::write(dir.path().join("last-year.csv"), "school_id,status\nA2,new\n").unwrap();
    let out = dir.path().join("plan");
    let o = hubplan(&["plan", s(&dir.path().join("scenario.toml")), "--out", s(&out)]);
    assert!(o.status.success(), "{}", text(&o));
    let plan: serde_json::Value = serde_json::from_slice(&fs::read(out.join("plan.json")).unwrap()).unwrap();
    let a2 = plan["hubs"].as_array().unwrap().iter().find(|h| h["school_id"] == "A2").expect("listed hub kept open");
    assert_eq!((a2["status"].as_str(), a2["cost_kzt"].as_f64()), (Some("existing"), Some(0.0)));
    let check = hubplan(&["check-plan", s(&dir.path().join("scenario.toml")), s(&out)]);
    assert!(check.status.success(), "{}", text(&check));

    // An id that is not a school: named with file, row and field; nothing written.
    fs::write(dir.path().join("last-year.csv"), "id\nA2\nZ9\n").unwrap();
    let out2 = dir.path().join("plan2");
    let o = hubplan(&["plan", s(&dir.path().join("scenario.toml")), "--out", s(&out2)]);
    assert!(!o.status.success());
    let msg = text(&o);
    assert!(msg.contains("last-year.csv") && msg.contains("row 2") && msg.contains("Z9"), "{msg}");
    assert!(!out2.exists());
}

#[test]
fn equipped_schools_cost_no_room_and_the_budget_goes_further() {
    let base = fs::read_to_string(fixture("hub").join("scenario.toml")).unwrap();
    let dir = scenario_dir(&base);
    let first = dir.path().join("first");
    let o = hubplan(&["plan", s(&dir.path().join("scenario.toml")), "--out", s(&first)]);
    assert!(o.status.success(), "{}", text(&o));
    let plan1: serde_json::Value = serde_json::from_slice(&fs::read(first.join("plan.json")).unwrap()).unwrap();
    assert!(plan1["totals"]["room_cost_kzt"].as_f64().unwrap() > 0.0);

    // Last plan's links.csv (column small_school_id) as the list of equipped schools.
    let with_list =
        base.replace("schools = \"schools.csv\"", "schools = \"schools.csv\"\nequipped_schools = \"first/links.csv\"");
    fs::write(dir.path().join("scenario.toml"), with_list).unwrap();
    let second = dir.path().join("second");
    let o = hubplan(&["plan", s(&dir.path().join("scenario.toml")), "--out", s(&second)]);
    assert!(o.status.success(), "{}", text(&o));
    let plan2: serde_json::Value = serde_json::from_slice(&fs::read(second.join("plan.json")).unwrap()).unwrap();
    let equipped: Vec<&str> =
        plan1["links"].as_array().unwrap().iter().map(|l| l["small_school_id"].as_str().unwrap()).collect();
    let mut rooms = 0.0;
    for l in plan2["links"].as_array().unwrap() {
        let id = l["small_school_id"].as_str().unwrap();
        if equipped.contains(&id) {
            assert_eq!((l["room"].as_str(), l["room_kzt"].as_f64()), (Some("existing"), Some(0.0)), "{id}");
        }
        rooms += l["room_kzt"].as_f64().unwrap();
    }
    assert_eq!(plan2["totals"]["room_cost_kzt"].as_f64(), Some(rooms));
    assert!(rooms < plan1["totals"]["room_cost_kzt"].as_f64().unwrap());
    // The freed budget links at least as many students.
    assert!(plan2["totals"]["linked_students"].as_u64() >= plan1["totals"]["linked_students"].as_u64());
    let check = hubplan(&["check-plan", s(&dir.path().join("scenario.toml")), s(&second)]);
    assert!(check.status.success(), "{}", text(&check));
}

#[test]
fn the_aktobe_scenario_runs_without_roads_on_the_straight_line_fallback() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = aktobe_scenario_copy(dir.path(), "aktobe-no-roads.toml", |l| {
        (!l.trim_start().starts_with("roads")).then(|| l.to_string())
    });
    let out = dir.path().join("plan");
    let o = hubplan(&["plan", s(&scenario), "--out", s(&out)]);
    assert!(o.status.success(), "{}", text(&o));
    let plan: serde_json::Value = serde_json::from_slice(&fs::read(out.join("plan.json")).unwrap()).unwrap();
    assert_eq!(plan["inputs"]["distances"], "approx");
    assert!(plan["links"].as_array().unwrap().iter().all(|l| l["approx"] == true));
    // One hub in each of Aktobe's 13 districts (min_per_district = 1).
    assert_eq!(plan["totals"]["hubs"], 13);
    let check = hubplan(&["check-plan", s(&scenario), s(&out)]);
    assert!(check.status.success(), "{}", text(&check));
}

/// A budget that binds across districts (4 of the 5.3 bn KZT) was where the
/// Lagrangian bound was weakest (about 24% short here): the decomposition
/// prices the budget and closes its gap exactly, so the plan is proven, and
/// it passes `check-plan` against the 4 bn scenario.
#[test]
#[ignore = "slow: run by .ci/run's slow step"]
fn a_binding_budget_gets_a_tight_bound_from_the_lp_relaxation() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = aktobe_scenario_copy(dir.path(), "aktobe-4bn.toml", |l| {
        Some(if l.starts_with("kzt = ") { "kzt = 4_000_000_000".to_string() } else { l.to_string() })
    });
    assert!(fs::read_to_string(&scenario).unwrap().contains("kzt = 4_000_000_000"));
    let out = dir.path().join("plan");
    let cache = dir.path().join("cache");
    let o = hubplan(&["plan", s(&scenario), "--out", s(&out), "--cache-dir", s(&cache)]);
    assert!(o.status.success(), "{}", text(&o));
    let plan: serde_json::Value = serde_json::from_slice(&fs::read(out.join("plan.json")).unwrap()).unwrap();
    assert!(plan["totals"]["cost_kzt"].as_f64().unwrap() <= 4e9);
    let (obj, lb) = (plan["internal_objective"].as_f64().unwrap(), plan["internal_lower_bound"].as_f64().unwrap());
    assert!(lb <= obj);
    assert!((obj - lb) / obj < 1e-9, "gap {} with bound {lb} and objective {obj}", (obj - lb) / obj);
    assert_eq!(plan["status"].as_str(), Some("optimal"));
    assert_eq!(plan["solver"].as_str(), Some("decomposition(priced budget)"));
    let check = hubplan(&["check-plan", s(&scenario), s(&out), "--cache-dir", s(&cache)]);
    assert!(check.status.success(), "{}", text(&check));
}

/// `models/aktobe-2025.toml` written to `dir/name` with each line passed
/// through `edit` (`None` drops it) and the dataset paths made absolute, so
/// the copy runs from anywhere.
fn aktobe_scenario_copy(dir: &Path, name: &str, edit: impl Fn(&str) -> Option<String>) -> std::path::PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let toml = fs::read_to_string(repo.join("models/aktobe-2025.toml")).unwrap();
    let datasets = repo.join("datasets");
    let text: String = toml
        .lines()
        .filter_map(edit)
        .map(|l| l.replace("\"../datasets", &format!("\"{}", datasets.display())))
        .collect::<Vec<_>>()
        .join("\n");
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}
