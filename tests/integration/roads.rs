//! `hubplan distances` through the real binary, in a temporary folder.

use crate::common::{command, fixture, write};
use std::path::Path;
use std::process::Output;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn hubplan(dir: &Path, args: &[&str]) -> Run {
    let Output { status, stdout, stderr } = command()
        .current_dir(dir)
        .env("HUBPLAN_CACHE_DIR", dir.join("cache"))
        .args(args)
        .output()
        .expect("hubplan runs");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

fn distances(dir: &Path, schools: &Path, roads: Option<&Path>, out: &str, extra: &[&str]) -> Run {
    let mut args = vec!["distances", "--schools", schools.to_str().unwrap(), "--output", out];
    if let Some(r) = roads {
        args.extend(["--roads", r.to_str().unwrap()]);
    }
    if !extra.iter().any(|a| a.starts_with("--max")) {
        args.extend(["--max-km", "5"]);
    }
    args.extend(extra);
    hubplan(dir, &args)
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn line<'a>(text: &'a str, prefix: &str) -> &'a str {
    text.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no `{prefix}` line in:\n{text}"))
}

#[test]
fn osm_pbf_and_the_same_roads_as_geojson_give_the_same_table() {
    let dir = tempfile::tempdir().unwrap();
    let schools = fixture("roads/schools.csv");
    let pbf = distances(dir.path(), &schools, Some(&fixture("roads/pyrosm-test.osm.pbf")), "pbf.csv", &["--no-cache"]);
    let geo = distances(dir.path(), &schools, Some(&fixture("roads/pyrosm-test.geojson")), "geo.csv", &["--no-cache"]);
    assert_eq!(pbf.code, 0, "{}", pbf.stderr);
    assert_eq!(geo.code, 0, "{}", geo.stderr);
    let roads = line(&pbf.stdout, "roads");
    assert!(
        roads.starts_with("roads      887 nodes, 926 edges (1665 directed arcs), 47.7 km, 7 connected components"),
        "{roads}"
    );
    assert!(roads.contains("read osm-pbf") && roads.contains("peak memory"), "{roads}");
    let strip = |l: &str| l.split("; read").next().unwrap().to_string();
    assert_eq!(strip(roads), strip(line(&geo.stdout, "roads")));
    let table = read(dir.path(), "pbf.csv");
    assert_eq!(table, read(dir.path(), "geo.csv"));
    assert!(table.starts_with("school_id,hub_id,road_km,minutes\n"), "{table}");
    assert!(table.lines().count() > 40, "{table}");
    // Every hub links to itself at 0, and no link exceeds the radius.
    for row in table.lines().skip(1) {
        let f: Vec<&str> = row.split(',').collect();
        let km: f64 = f[2].parse().unwrap();
        assert!(km <= 5.0, "{row}");
        assert_eq!(f[0] == f[1], km == 0.0, "{row}");
    }
    // The school 14 km from any road is reported with its distance, not dropped.
    let unlinked = read(dir.path(), "pbf.unlinked.csv");
    assert!(unlinked.contains("island,far_from_road,14.3"), "{unlinked}");
    assert!(pbf.stderr.contains("school `island` has no hub: the nearest road is 14.3"), "{}", pbf.stderr);
    assert!(line(&pbf.stdout, "distances").contains("2 unreachable schools"), "{}", pbf.stdout);
    let summary: serde_json::Value = serde_json::from_str(&read(dir.path(), "pbf.summary.json")).unwrap();
    assert_eq!(summary["approx"], false);
    assert_eq!(summary["method"], "road");
    assert_eq!(summary["road"]["nodes"], 887);
}

#[test]
fn the_table_does_not_depend_on_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let schools = fixture("roads/schools.csv");
    let roads = fixture("roads/pyrosm-test.geojson");
    for (t, out) in [("1", "one.csv"), ("2", "two.csv")] {
        let r = distances(
            dir.path(),
            &schools,
            Some(&roads),
            out,
            &["--no-cache", "--threads", t, "--metric", "minutes", "--max-minutes", "12"],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    assert_eq!(read(dir.path(), "one.csv"), read(dir.path(), "two.csv"));
    assert_eq!(
        read(dir.path(), "one.summary.json").replace("one.csv", ""),
        read(dir.path(), "two.summary.json").replace("two.csv", "")
    );
}

#[test]
fn without_roads_the_fallback_is_labelled_approximate() {
    let dir = tempfile::tempdir().unwrap();
    let r = distances(dir.path(), &fixture("roads/schools.csv"), None, "links.csv", &["--detour-factor", "1.4"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(line(&r.stdout, "distances").contains("APPROXIMATE: no road layer, straight line × 1.4"), "{}", r.stdout);
    assert!(r.stderr.contains("every distance in links.csv is approximate"), "{}", r.stderr);
    let summary: serde_json::Value = serde_json::from_str(&read(dir.path(), "links.summary.json")).unwrap();
    assert_eq!(summary["approx"], true);
    assert_eq!(summary["method"], "approx");
    assert!(summary["note"].as_str().unwrap().starts_with("APPROXIMATE"));
    assert!(read(dir.path(), "links.csv").starts_with("school_id,hub_id,road_km,minutes\n"));
}

#[test]
fn the_cache_is_used_until_an_input_changes() {
    let dir = tempfile::tempdir().unwrap();
    let roads = dir.path().join("roads.geojson");
    std::fs::copy(fixture("roads/pyrosm-test.geojson"), &roads).unwrap();
    let schools = fixture("roads/schools.csv");
    let first = distances(dir.path(), &schools, Some(&roads), "a.csv", &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(!first.stdout.contains("from cache"), "{}", first.stdout);
    let second = distances(dir.path(), &schools, Some(&roads), "b.csv", &[]);
    assert!(second.stdout.contains("from cache"), "{}", second.stdout);
    assert!(second.stderr.contains("not driving roads"), "road warnings are kept with the entry: {}", second.stderr);
    assert_eq!(read(dir.path(), "a.csv"), read(dir.path(), "b.csv"));
    assert_eq!(read(dir.path(), "a.unlinked.csv"), read(dir.path(), "b.unlinked.csv"));
    // Another radius is another table.
    let other = distances(dir.path(), &schools, Some(&roads), "c.csv", &["--max-km", "2"]);
    assert!(!other.stdout.contains("from cache"), "{}", other.stdout);
    // A changed road file invalidates the entry: drop the first road.
    let text = std::fs::read_to_string(&roads).unwrap();
    let cut = text.find("{\"type\":\"Feature\"").unwrap();
    let end = text[cut..].find("},{\"type\":\"Feature\"").unwrap() + cut + 2;
    std::fs::write(&roads, format!("{}{}", &text[..cut], &text[end..])).unwrap();
    let changed = distances(dir.path(), &schools, Some(&roads), "d.csv", &[]);
    assert_eq!(changed.code, 0, "{}", changed.stderr);
    assert!(!changed.stdout.contains("from cache"), "{}", changed.stdout);
    assert_ne!(line(&changed.stdout, "roads"), line(&first.stdout, "roads"));
}

#[test]
fn one_way_roads_are_respected() {
    let dir = tempfile::tempdir().unwrap();
    let roads = dir.path().join("oneway.geojson");
    std::fs::write(
        &roads,
        r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"highway":"primary","oneway":"yes"},
           "geometry":{"type":"LineString","coordinates":[[67.0,48.0],[67.05,48.0],[67.1,48.0]]}}]}"#,
    )
    .unwrap();
    let schools = dir.path().join("s.csv");
    std::fs::write(&schools, "id,lat,lon,hub\nwest,48.0,67.0,candidate\neast,48.0,67.1,candidate\n").unwrap();
    let r = distances(dir.path(), &schools, Some(&roads), "l.csv", &["--max-km", "50"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let table = read(dir.path(), "l.csv");
    assert!(table.contains("east,west,7.4"), "west drives east: {table}");
    assert!(!table.contains("west,east,"), "east cannot drive west: {table}");
    assert!(read(dir.path(), "l.unlinked.csv").lines().count() == 1);
}

#[test]
fn bad_road_files_get_clear_messages_naming_the_feature() {
    let dir = tempfile::tempdir().unwrap();
    let schools = fixture("roads/schools.csv");
    // A Polygon and an empty geometry next to a good line: warnings, and the run goes on.
    let mixed = write(
        dir.path(),
        "mixed.geojson",
        r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[26.93,60.52],[26.94,60.52],[26.93,60.53],[26.93,60.52]]]}},
          {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[]}},
          {"type":"Feature","properties":{"highway":"primary"},"geometry":{"type":"LineString","coordinates":[[26.93,60.52],[26.97,60.54]]}}]}"#,
    );
    let r = distances(dir.path(), &schools, Some(&mixed), "m.csv", &["--no-cache"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("mixed.geojson: feature 0: field `geometry`: the geometry is a Polygon"), "{}", r.stderr);
    assert!(r.stderr.contains("mixed.geojson: feature 1: field `geometry`: the LineString is empty"), "{}", r.stderr);
    // A coordinate out of range (projected metres): an error naming the feature, exit 1.
    let projected = write(
        dir.path(),
        "projected.geojson",
        r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[26.93,60.52],[26.97,60.54]]}},
          {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[2996000.5,8500000.0],[2997000.0,8501000.0]]}}]}"#,
    );
    let r = distances(dir.path(), &schools, Some(&projected), "p.csv", &["--no-cache"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr
            .contains("projected.geojson: feature 1: field `geometry`: position 0 [2996000.5, 8500000] is not a WGS84"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("[E-RANGE]"), "{}", r.stderr);
    assert!(!dir.path().join("p.csv").exists());
    // Only non-roads: an error that says so.
    let polygons = write(
        dir.path(),
        "polygons.geojson",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[26.93,60.52]}}]}"#,
    );
    let r = distances(dir.path(), &schools, Some(&polygons), "x.csv", &["--no-cache"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no driving road lines were found among 1 features"), "{}", r.stderr);
    assert!(r.stderr.contains("feature 0: field `geometry`: the geometry is a Point"), "{}", r.stderr);
}

#[test]
fn truncated_and_non_pbf_files_are_refused_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let schools = fixture("roads/schools.csv");
    let bytes = std::fs::read(fixture("roads/pyrosm-test.osm.pbf")).unwrap();
    let cut = dir.path().join("cut.osm.pbf");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let r = distances(dir.path(), &schools, Some(&cut), "c.csv", &["--no-cache"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("cut.osm.pbf: the PBF file is damaged or cut short"), "{}", r.stderr);
    assert!(r.stderr.contains("[E-TRUNCATED]"), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);

    let text = write(dir.path(), "notes.osm.pbf", "this is a text file, not OpenStreetMap data\n");
    let r = distances(dir.path(), &schools, Some(&text), "t.csv", &["--no-cache"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("notes.osm.pbf: not an OpenStreetMap PBF file"), "{}", r.stderr);
    assert!(r.stderr.contains("[E-FORMAT]"), "{}", r.stderr);

    let empty = write(dir.path(), "empty.osm.pbf", "");
    let r = distances(dir.path(), &schools, Some(&empty), "e.csv", &["--no-cache"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("empty.osm.pbf: the PBF file is empty"), "{}", r.stderr);

    let trunc_json = write(dir.path(), "cut.geojson", r#"{"type":"FeatureCollection","features":[{"type":"Feature","#);
    let r = distances(dir.path(), &schools, Some(&trunc_json), "j.csv", &["--no-cache"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("the GeoJSON ends too early") && r.stderr.contains("[E-TRUNCATED]"), "{}", r.stderr);
}

#[test]
fn bad_schools_and_options_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let roads = fixture("roads/pyrosm-test.geojson");
    let schools = write(dir.path(), "s.csv", "id,lat,lon,hub\na,60.52,26.93,candidate\nb,,,no\nc,60.53,x,no\n");
    let r = distances(dir.path(), &schools, Some(&roads), "o.csv", &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("s.csv: row 2 (line 3): field `lat`: value is empty"), "{}", r.stderr);
    assert!(r.stderr.contains("row 2 (line 3): field `lon`: value is empty"), "{}", r.stderr);
    assert!(r.stderr.contains("row 3 (line 4): field `lon`: expected a number, found `x`"), "{}", r.stderr);

    let no_hubs = write(dir.path(), "n.csv", "id,lat,lon\na,60.52,26.93\n");
    let r = distances(dir.path(), &no_hubs, Some(&roads), "o.csv", &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no school has `hub` = `existing` or `candidate`"), "{}", r.stderr);

    let r = distances(
        dir.path(),
        &fixture("roads/schools.csv"),
        Some(&roads),
        "o.csv",
        &["--max-minutes=-3", "--detour-factor", "0.9"],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("--max-minutes must be a positive number")
            && r.stderr.contains("--detour-factor must be at least 1"),
        "{}",
        r.stderr
    );
}
