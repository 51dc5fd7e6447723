//! `hubplan sweep` end to end on the fixture region (tests/fixtures/hub):
//! the grid, the shared distance table, summary.csv, index.html, atomic
//! output and clear errors.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{fixture, hubplan_cached, s, text};
use hubplan::hub::verify::read_plan;

fn scenario() -> PathBuf {
    fixture("hub/scenario.toml")
}

const BUDGETS: [&str; 2] = ["5e8", "1.5e9"];
const RADII: [&str; 2] = ["60", "150"];

fn sweep_2x2(out: &Path, cache: &Path, extra: &[&str]) -> Output {
    let sc = scenario();
    let mut args = vec![
        "sweep",
        s(&sc),
        "--vary",
        "budget.kzt=5e8,1.5e9",
        "--vary",
        "links.max_road_km=60,150",
        "--out",
        s(out),
        "-v",
    ];
    args.extend_from_slice(extra);
    hubplan_cached(&args, cache)
}

fn summary(out: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(out.join("summary.csv")).unwrap();
    let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records().map(|rec| headers.iter().cloned().zip(rec.unwrap().iter().map(String::from)).collect()).collect()
}

#[test]
fn a_2x2_sweep_writes_four_plans_a_summary_and_an_index_with_one_distance_computation() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, cache) = (tmp.path().join("sweep"), tmp.path().join("cache"));
    let o = sweep_2x2(&out, &cache, &[]);
    assert!(o.status.success(), "{}", text(&o));
    let log = text(&o);

    // Distances: one input set, computed once, at the largest radius.
    let distance_lines: Vec<&str> = log.lines().filter(|l| l.starts_with("distances")).collect();
    assert_eq!(distance_lines.len(), 1, "{log}");
    assert!(distance_lines[0].contains("computed") && distance_lines[0].contains("for 4 scenarios at 150 km"), "{log}");
    assert!(log.contains("timings") && log.contains("solve"), "-v prints timings: {log}");

    // Four plan directories and four summary rows with the varied values.
    let rows = summary(&out);
    assert_eq!(rows.len(), 4);
    let mut seen = Vec::new();
    for row in &rows {
        let (b, r) = (row["budget.kzt"].clone(), row["links.max_road_km"].clone());
        assert!(BUDGETS.contains(&b.as_str()) && RADII.contains(&r.as_str()), "{row:?}");
        seen.push((b.clone(), r.clone()));
        let dir = out.join(&row["name"]);
        let doc = read_plan(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        assert_eq!(doc.scenario.budget.kzt, Some(b.parse::<f64>().unwrap()));
        assert_eq!(doc.scenario.links.max_road_km, r.parse::<f64>().unwrap());
        assert_eq!(row["linked_students"], doc.totals.linked_students.to_string());
        assert_eq!(row["status"], doc.status);
        for f in ["hubs.csv", "links.csv", "unlinked.csv", "plan.geojson"] {
            assert!(dir.join(f).is_file(), "{f} missing in {}", dir.display());
        }
        assert!(doc.links.iter().all(|l| l.road_km <= doc.scenario.links.max_road_km), "links within the radius");
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 4, "every grid point once");

    // Coverage does not fall as the budget grows, at each radius.
    for r in RADII {
        let cov = |b: &str| -> f64 {
            let row = rows.iter().find(|x| x["budget.kzt"] == b && x["links.max_road_km"] == r).unwrap();
            row["coverage_pct"].parse().unwrap()
        };
        assert!(cov("1.5e9") >= cov("5e8"), "radius {r}: {} < {}", cov("1.5e9"), cov("5e8"));
    }
    let linked = |b: &str, r: &str| -> u64 {
        rows.iter().find(|x| x["budget.kzt"] == b && x["links.max_road_km"] == r).unwrap()["linked_students"]
            .parse()
            .unwrap()
    };
    assert!(linked("1.5e9", "150") > linked("5e8", "150"), "a larger budget links more students here");

    // index.html: a table row linking to each plan, and the chart.
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    let doc = scraper::Html::parse_document(&html);
    let sel = |q: &str| scraper::Selector::parse(q).unwrap();
    let hrefs: Vec<String> =
        doc.select(&sel("table tbody tr td a")).filter_map(|a| a.value().attr("href").map(String::from)).collect();
    assert_eq!(hrefs.len(), 4, "{hrefs:?}");
    for row in &rows {
        let href = hrefs.iter().find(|h| h.starts_with(&format!("{}/", row["name"]))).expect("row linked");
        assert!(out.join(href).is_file(), "{href} does not exist");
        // Every plan directory of a sweep gets its report, and the index links to it.
        assert!(href.ends_with("/report.html"), "{href}");
    }
    assert_eq!(doc.select(&sel("svg circle title")).count(), 4, "one point per plan");
    let svg_text: String = doc.select(&sel("svg text")).flat_map(|t| t.text()).collect::<Vec<_>>().join(" ");
    assert!(svg_text.contains("cost, KZT") && svg_text.contains("coverage"), "axis labels: {svg_text}");
    assert!(!html.contains("src=") && !html.contains("<link") && !html.contains("url("), "nothing fetched");
    assert!(!html.contains("<script"), "no scripts");

    // Nothing left beside the output.
    let names: Vec<String> =
        fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
}

#[test]
fn sweep_plans_equal_separate_plans_and_repeat_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let out = tmp.path().join("sweep");
    assert!(sweep_2x2(&out, &cache, &["--threads", "2"]).status.success());
    // Again, into another folder: the table comes from the cache, the plans are the same.
    let again = tmp.path().join("again");
    let o = sweep_2x2(&again, &cache, &["--threads", "2"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("read from cache"), "{}", text(&o));
    let strip = |rows: Vec<BTreeMap<String, String>>| -> Vec<BTreeMap<String, String>> {
        rows.into_iter()
            .map(|mut r| {
                r.remove("seconds");
                r
            })
            .collect()
    };
    assert_eq!(strip(summary(&out)), strip(summary(&again)));
    for row in summary(&out) {
        let mut a = read_plan(&out.join(&row["name"])).unwrap();
        let mut b = read_plan(&again.join(&row["name"])).unwrap();
        a.elapsed_s = 0.0;
        b.elapsed_s = 0.0;
        assert_eq!(a, b, "{} differs between runs", row["name"]);
    }
    // The shared table (computed at 150 km) gives the plan a separate run at 60 km gives.
    let single = tmp.path().join("single");
    let o = hubplan_cached(
        &[
            "plan",
            s(&scenario()),
            "--set",
            "budget.kzt=1.5e9",
            "--set",
            "links.max_road_km=60",
            "--no-worth",
            "--out",
            s(&single),
        ],
        &cache,
    );
    assert!(o.status.success(), "{}", text(&o));
    let one = read_plan(&single).unwrap();
    let swept = read_plan(&out.join("budget.kzt=1.5e9,links.max_road_km=60")).unwrap();
    assert_eq!(one.hubs, swept.hubs);
    assert_eq!(one.links, swept.links);
    assert_eq!(one.unlinked, swept.unlinked);
    assert_eq!(one.totals, swept.totals);
    assert_eq!(one.internal_objective, swept.internal_objective);
}

#[test]
fn an_unknown_vary_key_fails_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let cache = tmp.path().join("cache");
    let o = hubplan_cached(
        &["sweep", s(&scenario()), "--vary", "budget.kzt=1e9,2e9", "--vary", "links.max_km=50,80", "--out", s(&out)],
        &cache,
    );
    assert!(!o.status.success());
    assert_ne!(o.status.code(), Some(0));
    let t = text(&o);
    assert!(t.contains("links.max_km") && t.contains("links.max_road_km"), "names the key and a suggestion: {t}");
    assert!(!t.contains("panicked"), "{t}");
    assert!(!out.exists() && !cache.exists(), "nothing computed or written");
    // A bad value is caught up front too, naming the key.
    let o = hubplan_cached(&["sweep", s(&scenario()), "--vary", "budget.kzt=1e9,-5", "--out", s(&out)], &cache);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("budget.kzt") && text(&o).contains("scenario.toml"), "{}", text(&o));
    assert!(!out.exists() && !cache.exists());
}

#[test]
fn an_existing_output_is_kept_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let cache = tmp.path().join("cache");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("mine.txt"), "keep me").unwrap();
    let sc = scenario();
    let args = ["sweep", s(&sc), "--vary", "budget.kzt=1e9,1.5e9", "--out", s(&out)];
    let o = hubplan_cached(&args, &cache);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("--force"), "{}", text(&o));
    assert_eq!(fs::read_to_string(out.join("mine.txt")).unwrap(), "keep me");
    let mut forced = args.to_vec();
    forced.push("--force");
    let o = hubplan_cached(&forced, &cache);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!out.join("mine.txt").exists());
    assert_eq!(summary(&out).len(), 2);
    assert!(out.join("budget.kzt=1e9/plan.json").is_file());
}

#[test]
fn a_case_that_cannot_be_planned_is_a_failed_row_and_a_non_zero_exit() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let cache = tmp.path().join("cache");
    // At 1 km no small school is near a hub candidate.
    let o = hubplan_cached(&["sweep", s(&scenario()), "--vary", "links.max_road_km=1,100", "--out", s(&out)], &cache);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("links.max_road_km=1"), "{}", text(&o));
    let rows = summary(&out);
    assert_eq!(rows.len(), 2);
    let bad = rows.iter().find(|r| r["links.max_road_km"] == "1").unwrap();
    assert_eq!(bad["status"], "error");
    assert!(bad["error"].contains("no small school can be linked"), "{bad:?}");
    assert!(!out.join(&bad["name"]).exists(), "no plan directory for a failed case");
    let good = rows.iter().find(|r| r["links.max_road_km"] == "100").unwrap();
    assert!(out.join(&good["name"]).join("plan.json").is_file());
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("no small school can be linked"), "the failure is shown");
}
