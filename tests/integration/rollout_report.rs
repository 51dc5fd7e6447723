//! A rollout's plan directory end to end: `hubplan plan` on the Aktobe
//! rollout (models/aktobe-2025-2027.toml, about 3 s in release) writes
//! `year_opened` and `year_linked` into the CSV files as in plan.json, a
//! report with the rollout section (map markers by year, the two charts, one
//! row per district), and `compare` shows student-years; a single-year plan
//! keeps its CSV columns and report without a rollout.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::common::{fixture, hubplan, hubplan_in, repo_path, s, text};
use scraper::{Html, Selector};
use serde_json::Value;

const HUBS_HEADER: &str = "school_id,name,district,lat,lon,status,cost_kzt,linked_small_schools,linked_students";
const LINKS_HEADER: &str = "small_school_id,hub_id,road_km,minutes,approx,students,room,room_kzt";

fn plan_json(dir: &Path) -> Value {
    serde_json::from_slice(&fs::read(dir.join("plan.json")).unwrap()).unwrap()
}

/// A CSV file as its header line and its rows keyed by `key`.
fn csv_rows(path: &Path, key: &str) -> (String, BTreeMap<String, BTreeMap<String, String>>) {
    let text = fs::read_to_string(path).unwrap();
    let header = text.lines().next().unwrap_or_default().to_string();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let names: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let mut rows = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let row: BTreeMap<String, String> = names.iter().cloned().zip(rec.iter().map(str::to_string)).collect();
        assert!(rows.insert(row[key].clone(), row).is_none(), "{key} repeats in {}", path.display());
    }
    (header, rows)
}

fn select<'a>(doc: &'a Html, selector: &str) -> Vec<scraper::ElementRef<'a>> {
    doc.select(&Selector::parse(selector).unwrap()).collect()
}

fn cells(row: &scraper::ElementRef) -> Vec<String> {
    row.select(&Selector::parse("td").unwrap()).map(|c| c.text().collect::<String>().trim().to_string()).collect()
}

/// The year a CSV cell names, checked against plan.json's value.
fn year_cell(cell: &str, json: &Value, what: &str) -> Option<i64> {
    let csv = (!cell.is_empty()).then(|| cell.parse::<i64>().unwrap_or_else(|e| panic!("{what}: `{cell}`: {e}")));
    assert_eq!(csv, json.as_i64(), "{what}: the CSV says {cell:?}, plan.json {json}");
    csv
}

fn check_csvs(dir: &Path, plan: &Value, years: &[i64]) {
    let (header, hubs) = csv_rows(&dir.join("hubs.csv"), "school_id");
    assert_eq!(header, format!("{HUBS_HEADER},year_opened"));
    let hubs_json = plan["hubs"].as_array().unwrap();
    assert_eq!(hubs.len(), hubs_json.len());
    let mut new = 0;
    for h in hubs_json {
        let id = h["school_id"].as_str().unwrap();
        let year = year_cell(&hubs[id]["year_opened"], &h["year_opened"], &format!("hub {id}"));
        if h["status"] == "new" {
            new += 1;
            let y = year.unwrap_or_else(|| panic!("new hub {id} has no year_opened"));
            assert!(years.contains(&y), "hub {id} opens in {y}, not a year of {years:?}");
        } else {
            assert_eq!(year, None, "existing hub {id} has a year_opened");
        }
    }
    assert!(new > 0, "the rollout opens hubs");

    let (header, links) = csv_rows(&dir.join("links.csv"), "small_school_id");
    assert_eq!(header, format!("{LINKS_HEADER},year_linked"));
    let links_json = plan["links"].as_array().unwrap();
    assert_eq!(links.len(), links_json.len());
    for l in links_json {
        let id = l["small_school_id"].as_str().unwrap();
        assert_eq!(links[id]["hub_id"], l["hub_id"].as_str().unwrap());
        let y = year_cell(&links[id]["year_linked"], &l["year_linked"], &format!("link of {id}"))
            .unwrap_or_else(|| panic!("link of {id} has no year_linked"));
        assert!(years.contains(&y), "{id} linked in {y}, not a year of {years:?}");
    }
    // The years agree with the rollout's own totals: linked small schools by the end of each year.
    for t in plan["rollout"]["per_year"].as_array().unwrap() {
        let y = t["year"].as_i64().unwrap();
        let by = links.values().filter(|r| r["year_linked"].parse::<i64>().unwrap() <= y).count();
        assert_eq!(Some(by as u64), t["linked_small_schools"].as_u64(), "small schools linked by {y}");
    }
}

fn check_report(dir: &Path, plan: &Value, years: &[i64]) {
    let html = fs::read_to_string(dir.join("report.html")).expect("plan writes report.html");
    let doc = Html::parse_document(&html);
    assert!(doc.errors.is_empty(), "HTML parse errors: {:?}", doc.errors);
    let r = &plan["rollout"];
    assert_eq!(select(&doc, "section#rollout").len(), 1, "one rollout section");
    let heading: String = select(&doc, "section#rollout h2")[0].text().collect();
    assert!(heading.contains(&format!("{}–{}", years[0], years[years.len() - 1])), "{heading}");

    // One table row per district of the rollout, with its first hub's year and its linked small schools.
    let districts = r["districts"].as_array().unwrap();
    let rows = select(&doc, "#rollout-districts-table tbody tr");
    assert_eq!(rows.len(), districts.len(), "one row per district of rollout.districts");
    let by_name: BTreeMap<String, Vec<String>> = rows.iter().map(|row| (cells(row)[0].clone(), cells(row))).collect();
    assert_eq!(by_name.len(), districts.len(), "each district once");
    for d in districts {
        let name = d["district"].as_str().unwrap();
        let c = by_name.get(name).unwrap_or_else(|| panic!("no row for district {name}"));
        assert_eq!(c[1], d["small_schools"].to_string(), "{name}: small schools");
        if d["existing_hubs"].as_u64() == Some(0) {
            let want = d["first_hub_year"].as_i64().map_or("none by".to_string(), |y| y.to_string());
            assert!(c[3].starts_with(&want), "{name}: first hub `{}`, plan.json {}", c[3], d["first_hub_year"]);
        }
        for (y, id) in
            d["new_hubs"].as_array().unwrap().iter().map(|p| (p[0].as_i64().unwrap(), p[1].as_str().unwrap()))
        {
            assert!(c[4].contains(&y.to_string()) && c[4].contains(id), "{name}: new hub {id} of {y} in `{}`", c[4]);
        }
        let linked: Vec<String> = d["linked_small_schools"].as_array().unwrap().iter().map(|n| n.to_string()).collect();
        assert_eq!(c[5..], linked[..], "{name}: linked small schools by year");
    }

    // The map colours new hubs by year, with a legend entry for each year that opens hubs.
    let hubs = plan["hubs"].as_array().unwrap();
    for y in years {
        let n = hubs.iter().filter(|h| h["status"] == "new" && h["year_opened"].as_i64() == Some(*y)).count();
        assert_eq!(select(&doc, &format!("svg#map circle.hub.new.y{y}")).len(), n, "hub markers of {y}");
        if n > 0 {
            assert!(html.contains(&format!("new hub {y} ({n})")), "legend of {y}");
        }
    }
    assert_eq!(select(&doc, "svg#map circle.hub").len(), hubs.len());

    // The charts: linked students per year for both plans, spending against what each year may spend.
    for id in ["rollout-linked", "rollout-budget"] {
        let svg = select(&doc, &format!("svg#{id}"));
        assert_eq!(svg.len(), 1, "chart #{id}");
        roxmltree::Document::parse(&svg[0].html()).unwrap_or_else(|e| panic!("#{id} is not well-formed SVG: {e}"));
        for y in years {
            assert!(svg[0].html().contains(&format!(">{y}</text>")), "#{id} labels {y}");
        }
    }
    let linked = select(&doc, "svg#rollout-linked")[0].html();
    for (plan_name, per_year) in [("joint plan", &r["per_year"]), ("year by year", &r["year_by_year"]["per_year"])] {
        for t in per_year.as_array().expect("per-year totals") {
            let want = format!("{}, {plan_name}: {} students linked", t["year"], t["linked_students"]);
            assert!(linked.contains(&want), "missing `{want}`");
        }
    }
    let budget = select(&doc, "svg#rollout-budget")[0].html();
    assert_eq!(budget.matches(r#"<g class="bar">"#).count(), 2 * years.len(), "spent and available for each year");
    assert_eq!(select(&doc, "#rollout-years-table tbody tr:not(.total)").len(), years.len());
}

#[test]
fn a_rollout_plan_writes_years_in_its_csvs_report_and_comparison() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("rollout");
    let o = hubplan(&["plan", &repo_path("models/aktobe-2025-2027.toml"), "--out", s(&out)]);
    assert!(o.status.success(), "{}", text(&o));
    let plan = plan_json(&out);
    let years: Vec<i64> =
        plan["rollout"]["years"].as_array().expect("a rollout plan").iter().map(|y| y.as_i64().unwrap()).collect();
    assert!(years.len() >= 2, "{years:?}");
    check_csvs(&out, &plan, &years);
    check_report(&out, &plan, &years);

    // compare with itself: student-years, the bound and proven, and each year's linked students.
    let o = hubplan_in(&["compare", s(&out), s(&out), "--out", s(&tmp.path().join("self"))], tmp.path());
    assert!(o.status.success(), "{}", text(&o));
    let md = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(md.contains("The plans are the same") && md.contains("## Rollout"), "{md}");
    let sy = plan["rollout"]["quality"]["student_years"].as_f64().unwrap();
    assert!(md.contains(&format!("| student-years | {sy} | {sy} | 0 |")), "{md}");
    assert!(md.contains("| student-years proven maximal |") && md.contains("| bound on student-years |"), "{md}");
    for t in plan["rollout"]["per_year"].as_array().unwrap() {
        let n = &t["linked_students"];
        assert!(md.contains(&format!("| students linked by {} | {n} | {n} | 0 |", t["year"])), "{md}");
    }

    // A single-year plan keeps its CSV columns and its report has no rollout;
    // compared with the rollout, the comparison says what it covers.
    let single = tmp.path().join("single");
    let o = hubplan(&["plan", s(&fixture("hub").join("scenario.toml")), "--out", s(&single)]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(plan_json(&single).get("rollout"), None);
    // (with the worth of each new hub, which a rollout does not have yet)
    let worth = ",worth,regret,regret_min,regret_max,regret_unit,runner_up_id,runner_up_name";
    assert_eq!(csv_rows(&single.join("hubs.csv"), "school_id").0, format!("{HUBS_HEADER}{worth}"));
    assert_eq!(csv_rows(&single.join("links.csv"), "small_school_id").0, LINKS_HEADER);
    let page = fs::read_to_string(single.join("report.html")).unwrap();
    assert!(!page.contains(r#"id="rollout"#) && !page.contains("new hub 20"), "no rollout in a single-year report");
    let o = hubplan_in(&["compare", s(&single), s(&out), "--out", s(&tmp.path().join("mixed"))], tmp.path());
    assert!(o.status.success(), "{}", text(&o));
    let md = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        md.contains("B is a rollout over") && md.contains("A a single-year plan: they are compared on what they share"),
        "{md}"
    );
    assert!(md.contains("| years | single-year plan |"), "{md}");
}
