//! `report.html` end to end: `hubplan plan` writes it into every plan
//! directory, `hubplan report` re-renders it; the page is parsed with an HTML
//! parser, its SVG with an XML parser, and (when a Chromium is installed)
//! rendered headless.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{fixture, hubplan, s, text};
use scraper::{Html, Selector};
use serde_json::Value;

/// Plans `scenario` into `tmp/plan` and returns the plan directory.
fn plan_into(tmp: &Path, scenario: &Path) -> PathBuf {
    let out = tmp.join("plan");
    let o = hubplan(&["plan", s(scenario), "--out", s(&out)]);
    assert!(o.status.success(), "{}", text(&o));
    out
}

/// The fixture region planned into a temporary folder.
fn fixture_plan() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = plan_into(tmp.path(), &fixture("hub").join("scenario.toml"));
    (tmp, out)
}

fn plan_json(dir: &Path) -> Value {
    serde_json::from_slice(&fs::read(dir.join("plan.json")).unwrap()).unwrap()
}

fn count(doc: &Html, selector: &str) -> usize {
    doc.select(&Selector::parse(selector).unwrap()).count()
}

fn len(v: &Value, key: &str) -> usize {
    v[key].as_array().unwrap_or_else(|| panic!("plan.json has no `{key}` array")).len()
}

/// Asserts the counts of map markers in `doc` equal the objects of `plan`.
fn assert_markers_match(doc: &Html, plan: &Value) {
    let existing = plan["hubs"].as_array().unwrap().iter().filter(|h| h["status"] == "existing").count();
    assert_eq!(count(doc, "svg#map circle.hub"), len(plan, "hubs"), "hub markers");
    assert_eq!(count(doc, "svg#map circle.hub.existing"), existing, "existing-hub markers");
    assert_eq!(count(doc, "svg#map line.link"), len(plan, "links"), "link lines");
    assert_eq!(count(doc, "svg#map circle.school.linked"), len(plan, "links"), "linked small schools");
    assert_eq!(count(doc, "svg#map circle.school.unlinked"), len(plan, "unlinked"), "unlinked small schools");
}

/// Every `<svg>…</svg>` of the page, as text.
fn svg_blocks(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<svg") {
        let end = rest[i..].find("</svg>").expect("every <svg> is closed") + i + "</svg>".len();
        out.push(&rest[i..end]);
        rest = &rest[end..];
    }
    out
}

#[test]
fn report_is_valid_self_contained_html() {
    let (_tmp, dir) = fixture_plan();
    let html = fs::read_to_string(dir.join("report.html")).expect("plan writes report.html");
    let doc = Html::parse_document(&html);
    assert!(doc.errors.is_empty(), "HTML parse errors: {:?}", doc.errors);
    let plan = plan_json(&dir);

    // Title and sections.
    let title: String = doc.select(&Selector::parse("h1").unwrap()).next().expect("h1").text().collect();
    assert_eq!(title, plan["scenario"]["name"].as_str().unwrap());
    for id in ["title", "totals", "map", "histogram", "cost", "districts-table", "hubs-table", "unlinked", "provenance"]
    {
        assert_eq!(count(&doc, &format!("#{id}")), 1, "section #{id}");
    }
    let listed = plan["districts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["small_schools"].as_u64() > Some(0) || d["hubs"].as_u64() > Some(0))
        .count();
    assert!(listed > 0);
    assert_eq!(count(&doc, "#districts-table tbody tr"), listed + 1, "a row per district with schools, and a total");
    assert_eq!(count(&doc, "#hubs-table tbody tr"), len(&plan, "hubs"));
    assert_eq!(count(&doc, "#unlinked-table tbody tr"), len(&plan, "unlinked"));
    let provenance: String = doc.select(&Selector::parse("#provenance").unwrap()).next().unwrap().text().collect();
    for want in [
        plan["solver"].as_str().unwrap().to_string(),
        plan["status"].as_str().unwrap().to_string(),
        format!("{} · {}", plan["seed"], plan["threads"]),
        plan["inputs"]["scenario"].as_str().unwrap().to_string(),
        env!("CARGO_PKG_VERSION").to_string(),
    ] {
        assert!(provenance.contains(&want), "provenance lacks {want:?}: {provenance}");
    }
    // The headline figures are plan.json's.
    let totals: String = doc.select(&Selector::parse("#totals").unwrap()).next().unwrap().text().collect();
    let t = &plan["totals"];
    assert!(totals.contains(&format!("{} / {}", t["linked_small_schools"], t["small_schools"])), "{totals}");

    // Self-contained: nothing to fetch, no scripts.
    for tag in ["script", "link", "img", "iframe", "object", "embed", "image", "use"] {
        assert_eq!(count(&doc, tag), 0, "<{tag}> in the report");
    }
    let all = Selector::parse("*").unwrap();
    for el in doc.select(&all) {
        for (name, value) in el.value().attrs() {
            let v = value.trim().to_ascii_lowercase();
            if matches!(name, "src" | "href" | "xlink:href" | "action" | "poster" | "data" | "srcset") {
                assert!(
                    !(v.starts_with("http:") || v.starts_with("https:") || v.starts_with("//")),
                    "external reference {name}={value}"
                );
            }
            assert!(!v.contains("url("), "CSS url() in {name}={value}");
        }
    }
    let style: String = doc.select(&Selector::parse("style").unwrap()).flat_map(|e| e.text()).collect();
    assert!(!style.contains("url(") && !style.contains("@import"), "the CSS loads nothing");
    assert!(style.contains("@page{size:A4"), "A4 print CSS");

    // Every SVG is well-formed XML in the SVG namespace.
    let svgs = svg_blocks(&html);
    assert_eq!(svgs.len(), count(&doc, "svg"), "no nested or unclosed <svg>");
    assert!(svgs.len() >= 2, "map and histogram");
    for block in svgs {
        let x = roxmltree::Document::parse(block).unwrap_or_else(|e| panic!("SVG not well-formed: {e}"));
        assert_eq!(x.root_element().tag_name().namespace(), Some("http://www.w3.org/2000/svg"));
    }
}

#[test]
fn map_draws_one_marker_per_hub_and_one_line_per_link() {
    let (_tmp, dir) = fixture_plan();
    let plan = plan_json(&dir);
    assert!(len(&plan, "hubs") >= 3 && len(&plan, "links") >= 5 && len(&plan, "unlinked") >= 1, "a telling fixture");
    let doc = Html::parse_document(&fs::read_to_string(dir.join("report.html")).unwrap());
    assert_markers_match(&doc, &plan);
    // Each unlinked school is coloured by its reason, and the legend counts them.
    let legend: String = doc.select(&Selector::parse("#legend").unwrap()).next().unwrap().text().collect();
    for u in plan["unlinked"].as_array().unwrap() {
        let reason = u["reason"].as_str().unwrap();
        let n = plan["unlinked"].as_array().unwrap().iter().filter(|x| x["reason"] == reason).count();
        assert_eq!(count(&doc, &format!("svg#map circle.school.unlinked.{reason}")), n, "{reason}");
        assert!(legend.contains(&format!("({n})")), "{legend}");
    }
    // The histogram has every link in a bar.
    let in_bars: usize = doc
        .select(&Selector::parse("svg#histogram rect.bar title").unwrap())
        .map(|t| {
            let t: String = t.text().collect();
            t.rsplit(": ").next().unwrap().trim_end_matches(" links").parse::<usize>().unwrap()
        })
        .sum();
    assert_eq!(in_bars, len(&plan, "links"));
}

/// A scenario over the fixture schools with district polygons (three boxes
/// along the line of schools) and names that need escaping.
fn districts_scenario(dir: &Path) -> PathBuf {
    let schools = fs::read_to_string(fixture("hub").join("schools.csv")).unwrap();
    let schools = schools
        .replace("School B2,", "\"School <b>B2</b> & \"\"Sons\"\"\",")
        .replace("School a1,", "School <script>a1</script>,");
    fs::write(dir.join("schools.csv"), schools).unwrap();
    let boxes = [("A", 56.5, 59.62), ("B", 59.62, 61.9), ("C", 61.9, 64.5)];
    let features: Vec<Value> = boxes
        .iter()
        .map(|(name, w, e)| {
            serde_json::json!({"type": "Feature", "properties": {"name": name}, "geometry": {"type": "Polygon",
                "coordinates": [[[w, 47.4], [e, 47.4], [e, 48.6], [w, 48.6], [w, 47.4]]]}})
        })
        .collect();
    let fc = serde_json::json!({"type": "FeatureCollection", "features": features});
    fs::write(dir.join("districts.geojson"), fc.to_string()).unwrap();
    let scenario = fs::read_to_string(fixture("hub").join("scenario.toml"))
        .unwrap()
        .replace("schools = \"schools.csv\"", "schools = \"schools.csv\"\ndistricts = \"districts.geojson\"");
    assert!(scenario.contains("districts.geojson"));
    let p = dir.join("scenario.toml");
    fs::write(&p, scenario).unwrap();
    p
}

#[test]
fn districts_are_drawn_and_every_text_is_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = plan_into(tmp.path(), &districts_scenario(tmp.path()));
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    let doc = Html::parse_document(&html);
    assert!(doc.errors.is_empty(), "{:?}", doc.errors);
    assert_eq!(count(&doc, "svg#map path.district"), 3);
    let labels: Vec<String> =
        doc.select(&Selector::parse("svg#map text.dlabel").unwrap()).map(|t| t.text().collect()).collect();
    assert_eq!(labels, ["A", "B", "C"]);
    // Names with markup stay text.
    assert_eq!(count(&doc, "script"), 0);
    assert_eq!(count(&doc, "b"), count(&doc, "ul.sources b"), "no <b> from a school name");
    let page: String = doc.root_element().text().collect();
    assert!(page.contains("School <b>B2</b> & \"Sons\""), "the hub's name is shown as written");
    assert!(page.contains("School <script>a1</script>"), "the small school's name is shown as written");
    assert_markers_match(&doc, &plan_json(&dir));
    for block in svg_blocks(&html) {
        roxmltree::Document::parse(block).unwrap_or_else(|e| panic!("SVG not well-formed: {e}"));
    }
}

#[test]
fn report_command_rerenders_the_same_page_atomically() {
    let (tmp, dir) = fixture_plan();
    let first = fs::read(dir.join("report.html")).unwrap();
    fs::remove_file(dir.join("report.html")).unwrap();
    let o = hubplan(&["report", s(&dir)]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(fs::read(dir.join("report.html")).unwrap(), first, "re-rendered from the directory alone, identically");
    let other = tmp.path().join("elsewhere").join("aktobe.html");
    let o = hubplan(&["report", s(&dir), "--out", s(&other)]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(fs::read(&other).unwrap(), first);
    let leftovers: Vec<_> = fs::read_dir(other.parent().unwrap())
        .unwrap()
        .chain(fs::read_dir(&dir).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn report_errors_name_the_file_and_the_field() {
    let (tmp, dir) = fixture_plan();
    let fail = |dir: &Path| {
        let o = hubplan(&["report", s(dir)]);
        assert_eq!(o.status.code(), Some(1), "a clear error, not a panic: {}", text(&o));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let missing = tmp.path().join("no-such-plan");
    let e = fail(&missing);
    assert!(e.contains("no-such-plan") && e.contains("plan.json"), "{e}");

    // plan.json without its hubs.
    let broken = tmp.path().join("broken");
    fs::create_dir(&broken).unwrap();
    fs::copy(dir.join("plan.geojson"), broken.join("plan.geojson")).unwrap();
    let mut plan = plan_json(&dir);
    plan.as_object_mut().unwrap().remove("hubs");
    fs::write(broken.join("plan.json"), plan.to_string()).unwrap();
    let e = fail(&broken);
    assert!(e.contains("plan.json") && e.contains("`hubs`"), "{e}");

    // A schema this hubplan does not read.
    let mut plan = plan_json(&dir);
    plan["schema"] = "hubplan-plan/9".into();
    fs::write(broken.join("plan.json"), plan.to_string()).unwrap();
    let e = fail(&broken);
    assert!(e.contains("plan.json") && e.contains("`schema`") && e.contains("hubplan-plan/9"), "{e}");

    // plan.geojson that lacks a linked small school.
    let plan = plan_json(&dir);
    fs::write(broken.join("plan.json"), plan.to_string()).unwrap();
    let id = plan["links"][0]["small_school_id"].as_str().unwrap().to_string();
    let mut geo: Value = serde_json::from_slice(&fs::read(dir.join("plan.geojson")).unwrap()).unwrap();
    geo["features"].as_array_mut().unwrap().retain(|f| f["properties"]["school_id"] != id.as_str());
    fs::write(broken.join("plan.geojson"), geo.to_string()).unwrap();
    let e = fail(&broken);
    assert!(e.contains("plan.geojson") && e.contains(&format!("`{id}`")), "{e}");
    assert!(!broken.join("report.html").exists(), "no report from a broken plan");
}

/// The first Chromium-family browser on PATH.
fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"].into_iter().find(|b| {
        Command::new(b).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
    })
}

/// Runs a headless browser with `args` on `page`, killing it after two minutes.
fn headless(browser: &str, profile: &Path, args: &[String], page: &Path) -> Output {
    let mut child = Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts the browser");
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{browser} did not finish within two minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}

/// Skips, saying so, without a browser on a developer's machine; fails in
/// CI (the `CI` environment variable set), where `.ci/run` installs one, so
/// a missing browser cannot pass unnoticed.
#[test]
fn report_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        let missing = "no chromium, chromium-browser or google-chrome on PATH";
        assert!(std::env::var_os("CI").is_none(), "CI is set but {missing}: the report was not rendered");
        eprintln!("SKIPPED report_renders_in_headless_chromium: {missing}");
        return;
    };
    let (tmp, dir) = fixture_plan();
    let page = dir.join("report.html");
    let png = tmp.path().join("report.png");
    let profile = tmp.path().join("profile");
    let o = headless(
        browser,
        &profile,
        &[format!("--screenshot={}", png.display()), "--window-size=1240,1754".into()],
        &page,
    );
    assert!(o.status.success(), "{}", text(&o));
    let bytes = fs::read(&png).expect("the screenshot is written");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let (w, h) =
        (u32::from_be_bytes(bytes[16..20].try_into().unwrap()), u32::from_be_bytes(bytes[20..24].try_into().unwrap()));
    assert_eq!((w, h), (1240, 1754));
    // A blank page of this size compresses to a few kB; the map and tables take far more.
    assert!(bytes.len() > 40_000, "screenshot of {} bytes looks empty", bytes.len());

    let o = headless(browser, &profile, &["--dump-dom".into()], &page);
    assert!(o.status.success(), "{}", text(&o));
    let dom = Html::parse_document(&String::from_utf8_lossy(&o.stdout));
    assert_markers_match(&dom, &plan_json(&dir));
}

#[test]
fn the_report_states_the_plans_quality_beside_the_internal_gap() {
    let (_tmp, dir) = fixture_plan();
    let plan = hubplan::hub::verify::read_plan(&dir).unwrap();
    let q = plan.quality.as_ref().expect("a new plan records its quality");
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    let doc = Html::parse_document(&html);
    let page: String = doc.root_element().text().collect();
    assert!(page.contains(&q.sentence()), "the quality sentence `{}` is not in the page", q.sentence());
    assert!(page.contains("Most students any plan links"), "headline figure missing");
    let quality = page.find("Quality").expect("a Quality row");
    let internal = page.find("Internal objective").expect("an Internal objective row");
    assert!(quality < internal, "the planner's gap comes first");
    assert!(!page.contains("Objective value"), "the internal objective is no longer shown on its own");
}
