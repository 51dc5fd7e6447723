//! `hubplan compare` on two hand-made plans (tests/fixtures/plans, see its
//! README) with known differences: the library and the CLI report exactly
//! those, and nothing else.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use crate::common::{fixture, hubplan_in, s, text};
use hubplan::hub::plan_doc::{PLAN_SCHEMA, Reason};
use hubplan::hub::verify::read_plan;
use hubplan::report::compare::{Comparison, compare};

/// The totals the fixtures change (see tests/fixtures/plans/README.md).
const CHANGED_TOTALS: &[&str] = &[
    "budget_kzt",
    "linked_students",
    "student_km",
    "mean_km",
    "max_km",
    "yearly_visit_cost_kzt",
    "quality.linked_students",
    "quality.linked_students.bound",
    "quality.student_km",
    "quality.student_km.bound",
    "quality.student_km.gap",
    "internal_objective",
    "internal_lower_bound",
    "internal_gap",
];

fn comparison() -> Comparison {
    let a = read_plan(&fixture("plans").join("a")).expect("fixture a is a valid plan");
    let b = read_plan(&fixture("plans").join("b")).expect("fixture b is a valid plan");
    // The fixtures predate `hubplan-plan/2`: they are read as version 1, their quality recomputed.
    assert_eq!((a.schema.as_str(), b.schema.as_str()), ("hubplan-plan/1", "hubplan-plan/1"));
    assert_ne!(PLAN_SCHEMA, "hubplan-plan/1");
    compare(&a, &b)
}

#[test]
fn the_library_reports_exactly_the_known_differences() {
    let c = comparison();
    let params: Vec<(&str, &str, &str)> =
        c.parameters.iter().map(|p| (p.key.as_str(), p.before.as_str(), p.after.as_str())).collect();
    assert_eq!(params, vec![("budget.kzt", "290000000.0", "550000000.0")]);

    let ids = |v: &[hubplan::report::compare::HubChange]| -> Vec<(String, String, String)> {
        v.iter().map(|h| (h.school_id.clone(), h.name.clone(), h.district.clone())).collect()
    };
    let owned = |a: &str, b: &str, c: &str| vec![(a.to_string(), b.to_string(), c.to_string())];
    assert_eq!(ids(&c.hubs_added), owned("H3", "Hub Three", "South"));
    assert_eq!(ids(&c.hubs_dropped), owned("H2", "Hub Two", "North"));

    assert_eq!(c.moved.len(), 1, "{:?}", c.moved);
    let m = &c.moved[0];
    assert_eq!((m.small_school_id.as_str(), m.from_hub.as_str(), m.to_hub.as_str()), ("s3", "H2", "H1"));
    assert_eq!(
        (m.from_km, m.to_km, m.from_hub_name.as_str(), m.to_hub_name.as_str()),
        (15.0, 30.0, "Hub Two", "Hub One")
    );

    assert_eq!(c.newly_linked.len(), 1, "{:?}", c.newly_linked);
    let l = &c.newly_linked[0];
    assert_eq!(
        (l.small_school_id.as_str(), l.hub.as_str(), l.road_km, l.was),
        ("s4", "H3", 12.0, Some(Reason::Budget))
    );

    assert_eq!(c.newly_unlinked.len(), 1, "{:?}", c.newly_unlinked);
    let u = &c.newly_unlinked[0];
    assert_eq!(
        (u.small_school_id.as_str(), u.was_hub.as_str(), u.reason, u.name.as_str(), u.district.as_str()),
        ("s2", "H1", Some(Reason::HubsFull), "Small Two", "North")
    );
    assert!(u.detail.contains("full"), "{}", u.detail);

    // s5 is unlinked in both for the same reason; s1 stays where it was.
    assert!(c.reason_changed.is_empty(), "{:?}", c.reason_changed);

    let changed: Vec<&str> = c.changed_totals().map(|t| t.field.as_str()).collect();
    assert_eq!(changed, CHANGED_TOTALS);
    let get = |f: &str| c.totals.iter().find(|t| t.field == f).unwrap();
    assert_eq!(get("linked_students").delta(), Some(20.0));
    assert_eq!(get("student_km").delta(), Some(810.0));
    assert_eq!(get("budget_kzt").delta(), Some(260e6));
    assert_eq!(get("hubs").delta(), Some(0.0));
    // B's coverage is proven maximal by its bound; its student-km is at most 560 above the bound.
    assert_eq!(get("quality.linked_students.bound").after, Some(200.0));
    assert_eq!(get("quality.linked_students.gap").after, Some(0.0));
    assert_eq!(get("quality.student_km.bound").after, Some(3_000.0));
    assert_eq!(get("quality.student_km.gap").after, Some(560.0));
    // Every total is there, changed or not.
    for f in hubplan::report::compare::TOTAL_FIELDS {
        assert!(c.totals.iter().any(|t| t.field == *f), "{f} missing");
    }
    assert!(!c.same_plan());
}

#[test]
fn a_plan_compared_with_itself_has_no_differences() {
    let a = read_plan(&fixture("plans").join("a")).unwrap();
    let c = compare(&a, &a);
    assert!(c.same_plan() && c.parameters.is_empty(), "{c:?}");
    let md = hubplan::report::compare::markdown(&c, "a", "a");
    assert!(md.contains("The plans are the same"), "{md}");
}

/// The CSV rows other than totals, as (change, id).
fn csv_changes(path: &Path) -> (BTreeSet<(String, String)>, BTreeSet<String>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().clone();
    assert_eq!(headers.iter().collect::<Vec<_>>()[..3], ["change", "id", "name"]);
    let mut changes = BTreeSet::new();
    let mut totals = BTreeSet::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        if &rec[0] == "total" {
            if !rec[7].is_empty() && rec[7].parse::<f64>().unwrap() != 0.0 {
                totals.insert(rec[1].to_string());
            }
        } else {
            changes.insert((rec[0].to_string(), rec[1].to_string()));
        }
    }
    (changes, totals)
}

#[test]
fn the_cli_prints_markdown_and_writes_markdown_and_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (fixture("plans").join("a"), fixture("plans").join("b"));
    let o = hubplan_in(&["compare", s(&a), s(&b)], tmp.path());
    assert!(o.status.success(), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout).to_string();
    let md = fs::read_to_string(tmp.path().join("compare.md")).expect("compare.md in the working folder");
    assert_eq!(stdout, md, "the printed report is the written one");
    for heading in [
        "Scenario parameters that differ (1)",
        "Hubs added in B (1)",
        "Hubs dropped from A (1)",
        "Small schools moved to another hub (1)",
        "Newly linked in B (1)",
        "Newly unlinked in B (1)",
        "Unlinked in both, for another reason (0)",
        "Totals (14 of 25 changed)",
    ] {
        assert!(md.contains(&format!("## {heading}")), "missing `{heading}` in\n{md}");
    }
    assert!(md.contains("| H3 | Hub Three | South | new | 1 |"), "{md}");
    assert!(md.contains("| s3 | 70 | H2 (Hub Two) | 15.0 | H1 (Hub One) | 30.0 |"), "{md}");

    let (changes, totals) = csv_changes(&tmp.path().join("compare.csv"));
    let want: BTreeSet<(String, String)> = [
        ("parameter", "budget.kzt"),
        ("hub-added", "H3"),
        ("hub-dropped", "H2"),
        ("moved", "s3"),
        ("newly-linked", "s4"),
        ("newly-unlinked", "s2"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(changes, want);
    assert_eq!(totals, CHANGED_TOTALS.iter().map(|s| s.to_string()).collect());
}

#[test]
fn the_cli_never_overwrites_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (fixture("plans").join("a"), fixture("plans").join("b"));
    let prefix = tmp.path().join("ab");
    fs::write(tmp.path().join("ab.csv"), "mine").unwrap();
    let o = hubplan_in(&["compare", s(&a), s(&b), "--out", s(&prefix), "-q"], tmp.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("ab.csv") && text(&o).contains("--force"), "{}", text(&o));
    assert_eq!(fs::read_to_string(tmp.path().join("ab.csv")).unwrap(), "mine");
    assert!(!tmp.path().join("ab.md").exists(), "nothing is written when one file is in the way");
    let o = hubplan_in(&["compare", s(&a), s(&b), "--out", s(&prefix), "-q", "--force"], tmp.path());
    assert!(o.status.success(), "{}", text(&o));
    assert!(o.stdout.is_empty(), "-q prints nothing on stdout");
    assert!(fs::read_to_string(tmp.path().join("ab.csv")).unwrap().starts_with("change,"));
    assert!(tmp.path().join("ab.md").is_file());
    let leftovers: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn a_broken_plan_is_named_with_its_file_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let a = fixture("plans").join("a");
    // No plan.json at all.
    let o = hubplan_in(&["compare", s(&a), s(tmp.path())], tmp.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("plan.json"), "{}", text(&o));
    // A field of the wrong type.
    let bad = tmp.path().join("bad");
    fs::create_dir(&bad).unwrap();
    let plan = fs::read_to_string(a.join("plan.json")).unwrap();
    let broken = plan.replace("\"unlinked_small_schools\": 2,", "\"unlinked_small_schools\": \"two\",");
    assert_ne!(plan, broken);
    fs::write(bad.join("plan.json"), broken).unwrap();
    let o = hubplan_in(&["compare", s(&a), s(&bad)], tmp.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("bad/plan.json: key `totals.unlinked_small_schools`") && t.contains("[E-VALUE]"), "{t}");
    assert!(!t.contains("panicked"), "{t}");
    assert!(!tmp.path().join("compare.md").exists());
}
