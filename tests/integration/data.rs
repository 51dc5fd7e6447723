//! Data as planners have it (tests/fixtures/hub-locale: the line region of
//! tests/fixtures/hub with Kazakh and Russian names and district
//! boundaries): a CSV saved by Excel in a Russian or Kazakh locale, a
//! spreadsheet, latitude and longitude swapped, a school outside its
//! district, and `plan.xlsx` read back.

use std::fs;
use std::path::Path;

use calamine::{Data, DataType, Reader};

use crate::common::{fixture, hubplan, s, stderr, stdout, text};

fn scenario() -> std::path::PathBuf {
    fixture("hub-locale").join("scenario.toml")
}

/// Plans the fixture scenario with `extra` arguments into `out`; the output.
fn plan(out: &Path, extra: &[&str]) -> std::process::Output {
    let scenario = scenario();
    let mut args = vec!["plan", s(&scenario), "--out", s(out)];
    args.extend_from_slice(extra);
    hubplan(&args)
}

fn json(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(dir.join("plan.json")).unwrap()).unwrap()
}

#[test]
fn an_excel_locale_csv_plans_the_same_as_the_plain_csv() {
    // BOM, `;`, decimal commas, a thousands separator (no-break space), CRLF.
    let excel = fs::read(fixture("hub-locale").join("schools-excel.csv")).unwrap();
    assert!(excel.starts_with("\u{feff}id;name;".as_bytes()) && excel.windows(2).any(|w| w == b"\r\n"));
    assert!(String::from_utf8_lossy(&excel).contains(";57,805503;"));
    let tmp = tempfile::tempdir().unwrap();
    let (plain, from_excel) = (tmp.path().join("plain"), tmp.path().join("excel"));
    let o = plan(&plain, &[]);
    assert!(o.status.success(), "{}", text(&o));
    let o = plan(&from_excel, &["--set", "data.schools=\"schools-excel.csv\""]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        stdout(&o).contains("schools-excel.csv: read as `;`-separated, decimal commas (as Excel saves CSV"),
        "{}",
        text(&o)
    );
    for f in ["hubs.csv", "links.csv", "unlinked.csv"] {
        assert_eq!(fs::read(plain.join(f)).unwrap(), fs::read(from_excel.join(f)).unwrap(), "{f} differs");
    }
    let (a, b) = (json(&plain), json(&from_excel));
    assert_eq!(a["totals"], b["totals"]);
    assert_eq!(a["quality"], b["quality"]);
    // A2's hub cost was written `300 000 000`: its hub costs that, not the default.
    let a2_cost = |d: &serde_json::Value| {
        d["hubs"].as_array().unwrap().iter().find(|h| h["school_id"] == "A2").map(|h| h["cost_kzt"].clone())
    };
    assert_eq!(a2_cost(&a), a2_cost(&b));
}

#[test]
fn swapped_coordinates_get_the_suggestion() {
    let tmp = tempfile::tempdir().unwrap();
    let o = plan(&tmp.path().join("p"), &["--set", "data.schools=\"schools-swapped.csv\""]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let e = stderr(&o);
    assert!(
        e.contains("`lat` and `lon` look swapped: 19 of 19 schools lie outside every district of districts.geojson")
    );
    assert!(e.contains("exchange the `lat` and `lon` column headers [E-INCONSISTENT]"), "{e}");
    assert!(!e.contains("none within"), "{e}");
    // Without district boundaries the region is Kazakhstan's extent: a warning, and the plan is made.
    let no_districts = fixture("hub").join("scenario.toml");
    let swapped = fixture("hub-locale").join("schools-swapped.csv");
    let set = format!("data.schools={:?}", s(&swapped));
    let o = hubplan(&["plan", s(&no_districts), "--set", &set]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("19 of 19 schools lie outside Kazakhstan") && t.contains("are the two columns swapped?"), "{t}");
}

#[test]
fn a_school_outside_its_district_is_warned_with_its_distance() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("p");
    let o = plan(&out, &[]);
    assert!(o.status.success(), "{}", text(&o));
    // a7 names district Ақтөбе (lon 56.5–58.6) but lies at lon 59.550759, in Байғанин:
    // 0.950759° of longitude at 48° N.
    let want_km = 0.950759 * 6371.0088f64.to_radians() * 48f64.to_radians().cos();
    let plan = json(&out);
    let w = plan["warnings"].as_array().unwrap();
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0]["kind"], "outside-own-district");
    assert_eq!((w[0]["school_id"].as_str(), w[0]["lies_in"].as_str()), (Some("a7"), Some("Байғанин")));
    assert!((w[0]["km"].as_f64().unwrap() - want_km).abs() < 0.05, "{} vs {want_km}", w[0]["km"]);
    let line = format!("warning    row 9 (line 10): school `a7` lies {want_km:.1} km outside its district `Ақтөбе`");
    assert!(stdout(&o).contains(&line), "{}", text(&o));
    let report = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("Data warnings (1)") && report.contains("school `a7` lies"), "no warning in report.html");
    // check-plan runs the same checks.
    let o = hubplan(&["check-plan", s(&scenario()), s(&out)]);
    assert!(o.status.success() && stdout(&o).contains(&line), "{}", text(&o));
}

/// The value of row `item` in the `summary` sheet.
fn summary_value(sheet: &calamine::Range<Data>, item: &str) -> Data {
    sheet.rows().find(|r| r[0] == Data::String(item.into())).map(|r| r[1].clone()).expect(item)
}

/// Column `name` of a sheet whose first row is its header.
fn column(sheet: &calamine::Range<Data>, name: &str) -> Vec<Data> {
    let mut rows = sheet.rows();
    let header = rows.next().unwrap();
    let c = header.iter().position(|h| *h == Data::String(name.into())).expect(name);
    rows.map(|r| r[c].clone()).collect()
}

#[test]
fn plan_xlsx_reads_back_with_the_totals_of_plan_json_and_names_intact() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("p");
    let o = plan(&out, &[]);
    assert!(o.status.success(), "{}", text(&o));
    let doc = json(&out);
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(out.join("plan.xlsx")).unwrap();
    assert_eq!(book.sheet_names(), ["summary", "districts", "hubs", "links", "unlinked", "warnings"]);
    let summary = book.worksheet_range("summary").unwrap();
    let t = &doc["totals"];
    for (item, key) in [
        ("hubs", "hubs"),
        ("new hubs", "new_hubs"),
        ("cost", "cost_kzt"),
        ("linked small schools", "linked_small_schools"),
        ("linked students", "linked_students"),
        ("unlinked small schools", "unlinked_small_schools"),
        ("student-km", "student_km"),
    ] {
        // Numbers as numbers, equal to plan.json's (to the 15 significant digits Excel keeps).
        let (Data::Float(v), Some(want)) = (summary_value(&summary, item), t[key].as_f64()) else { panic!("{item}") };
        assert!((v - want).abs() <= 1e-12 * want.abs(), "{item}: {v} vs {want}");
    }
    assert_eq!(summary_value(&summary, "scenario"), Data::String(doc["scenario"]["name"].as_str().unwrap().into()));
    let names = |rows: &serde_json::Value, key: &str| -> Vec<Data> {
        rows.as_array().unwrap().iter().map(|r| Data::String(r[key].as_str().unwrap().into())).collect()
    };
    let hubs = book.worksheet_range("hubs").unwrap();
    assert_eq!(column(&hubs, "name"), names(&doc["hubs"], "name"));
    assert!(column(&hubs, "name").contains(&Data::String("Қарғалы орта мектебі".into())));
    assert_eq!(column(&hubs, "linked_students"), {
        doc["hubs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| Data::Float(h["linked_students"].as_f64().unwrap()))
            .collect::<Vec<_>>()
    });
    let districts = book.worksheet_range("districts").unwrap();
    assert_eq!(column(&districts, "district"), names(&doc["districts"], "district"));
    let unlinked = book.worksheet_range("unlinked").unwrap();
    assert_eq!(column(&unlinked, "name"), names(&doc["unlinked"], "name"));
    let links = book.worksheet_range("links").unwrap();
    let linked: Vec<Data> = column(&links, "small_school_name");
    assert_eq!(linked.len(), doc["links"].as_array().unwrap().len());
    let csv = fs::read_to_string(fixture("hub-locale").join("schools.csv")).unwrap();
    for name in &linked {
        let Data::String(n) = name else { panic!("{name:?}") };
        assert!(csv.contains(n.as_str()), "{n} is no school name of the fixture");
    }
    assert!(linked.contains(&Data::String("Школа села Ёлкино".into())), "{linked:?}");
    let total_km: f64 = column(&links, "road_km").iter().map(|d| d.as_f64().unwrap()).sum();
    let json_km: f64 = doc["links"].as_array().unwrap().iter().map(|l| l["road_km"].as_f64().unwrap()).sum();
    assert!((total_km - json_km).abs() < 1e-9);
    // The same plan gives the same workbook.
    let again = tmp.path().join("q");
    assert!(plan(&again, &[]).status.success());
    assert_eq!(fs::read(out.join("plan.xlsx")).unwrap(), fs::read(again.join("plan.xlsx")).unwrap());
}

/// The fixture's schools CSV as a workbook: a `Notes` sheet first, then
/// `Schools` with two empty rows above its header, numbers as numbers.
fn schools_workbook(path: &Path, broken_row: Option<usize>) {
    let csv = fs::read_to_string(fixture("hub-locale").join("schools.csv")).unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet().set_name("Notes").unwrap().write_string(0, 0, "Мектептер тізімі — 2025").unwrap();
    let ws = book.add_worksheet().set_name("Schools").unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    for (c, h) in header.iter().enumerate() {
        ws.write_string(2, c as u16, h).unwrap();
    }
    for (i, rec) in reader.records().enumerate() {
        let row = 3 + i as u32;
        for (c, v) in rec.unwrap().iter().enumerate() {
            match v.parse::<f64>() {
                Ok(x) => ws.write_number(row, c as u16, x).unwrap(),
                Err(_) => ws.write_string(row, c as u16, v).unwrap(),
            };
        }
        if broken_row == Some(i) {
            ws.write_string(row, 3, "north").unwrap();
        }
    }
    book.save(path).unwrap();
}

#[test]
fn a_spreadsheet_of_schools_plans_like_the_csv_and_errors_name_sheet_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for f in ["scenario.toml", "districts.geojson", "schools.csv"] {
        fs::copy(fixture("hub-locale").join(f), dir.join(f)).unwrap();
    }
    schools_workbook(&dir.join("schools.xlsx"), None);
    let scenario = dir.join("scenario.toml");
    let run = |out: &str, extra: &[&str]| {
        let out = dir.join(out);
        let mut args = vec!["plan", s(&scenario), "--out", s(&out), "--set", "data.schools=\"schools.xlsx\""];
        args.extend_from_slice(extra);
        hubplan(&args)
    };
    // The first sheet holds no schools: the error says which sheet was read and which exist.
    let o = run("first", &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let e = stderr(&o);
    assert!(e.contains("sheet `Notes` row 1: field `id`: required column `id` is missing"), "{e}");
    assert!(e.contains("the workbook also has `Schools` (name one with `--sheet`"), "{e}");
    let o = run("sheet", &["--sheet", "Schools"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(stdout(&o).contains("schools.xlsx: read sheet `Schools` of 2 (`Notes`, `Schools`"), "{}", text(&o));
    let o = hubplan(&["plan", s(&scenario), "--out", s(&dir.join("csv"))]);
    assert!(o.status.success(), "{}", text(&o));
    for f in ["hubs.csv", "links.csv", "unlinked.csv"] {
        assert_eq!(fs::read(dir.join("sheet").join(f)).unwrap(), fs::read(dir.join("csv").join(f)).unwrap(), "{f}");
    }
    // A bad cell is placed at its sheet row (data row 5 is sheet row 8: two empty rows, the header).
    schools_workbook(&dir.join("schools.xlsx"), Some(4));
    let o = run("bad", &["--sheet", "Schools"]);
    assert!(
        stderr(&o).contains("sheet `Schools` row 8: field `lat`: expected a number, found `north`"),
        "{}",
        text(&o)
    );
    let o = run("missing", &["--sheet", "Shools"]);
    assert!(stderr(&o).contains("the workbook has no sheet `Shools`; its sheets: `Notes`, `Schools`"), "{}", text(&o));
}
