//! The real-place datasets and the region generator: reproducibility,
//! calibration, schema, road format, determinism and bad-input messages.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::common::repo;
use hubplan::dataset::build::{BuildOptions, DEFAULT_SEED, DatasetName, build};
use hubplan::dataset::generate::{GenerateOptions, generate_region, write_region};
use hubplan::dataset::schools::{DIGITAL_ROOM_MIN_STUDENTS, HUB_MIN_STUDENTS, SMALL_MAX_STUDENTS};
use hubplan::io::schools::{HubStatus, SchoolKind, SchoolsUse, read_schools};

const FILES: [&str; 4] = ["schools.csv", "districts.geojson", "roads.geojson", "README.md"];

#[test]
#[ignore = "slow: run by .ci/run's slow step"]
fn build_reproduces_the_committed_datasets_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let built = build(&BuildOptions::new(repo().join("datasets/raw"), tmp.path(), DEFAULT_SEED)).unwrap();
    assert_eq!(built.len(), 2);
    for name in ["aktobe", "kazakhstan"] {
        for f in FILES {
            let fresh = fs::read(tmp.path().join(name).join(f)).unwrap();
            let committed = fs::read(repo().join("datasets").join(name).join(f)).unwrap();
            assert!(fresh == committed, "datasets/{name}/{f} differs from a fresh build: run `hubplan dataset build`");
        }
    }
    // A different seed changes the estimates but not the calibration totals.
    let other = tempfile::tempdir().unwrap();
    let mut opts = BuildOptions::new(repo().join("datasets/raw"), other.path(), 7);
    opts.only = vec![DatasetName::Aktobe];
    let b = build(&opts).unwrap();
    assert_eq!(b[0].calibration.schools, 404);
    assert_ne!(
        fs::read(other.path().join("aktobe/schools.csv")).unwrap(),
        fs::read(repo().join("datasets/aktobe/schools.csv")).unwrap()
    );
}

/// Counts recomputed from a schools.csv file.
struct Counts {
    schools: usize,
    rural: usize,
    small: usize,
    small_students: u64,
}

fn counts(path: &Path) -> Counts {
    let rows = read_schools(path, SchoolsUse::Planning).unwrap_or_else(|e| panic!("{e}"));
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let rural_col = rdr.headers().unwrap().iter().position(|h| h == "rural").unwrap();
    let rural = rdr.records().filter(|r| r.as_ref().unwrap().get(rural_col) == Some("yes")).count();
    let small: Vec<_> = rows.iter().filter(|r| r.kind == Some(SchoolKind::Small)).collect();
    Counts {
        schools: rows.len(),
        rural,
        small: small.len(),
        small_students: small.iter().map(|r| r.students.unwrap() as u64).sum(),
    }
}

fn within(built: f64, target: f64, what: &str) {
    assert!((built / target - 1.0).abs() <= 0.05, "{what}: built {built}, target {target} (more than 5% apart)");
}

#[test]
fn committed_datasets_are_calibrated_within_five_percent() {
    let a = counts(&repo().join("datasets/aktobe/schools.csv"));
    within(a.schools as f64, 404.0, "Aktobe schools");
    within(a.rural as f64 / a.schools as f64, 0.725, "Aktobe rural share");
    within(a.small as f64, 204.0, "Aktobe small schools");
    within(a.small_students as f64 / a.small as f64, 10_500.0 / 134.0, "Aktobe mean small-school size");
    let k = counts(&repo().join("datasets/kazakhstan/schools.csv"));
    within(k.schools as f64, 7000.0, "national schools");
    within(k.rural as f64 / k.schools as f64, 0.684, "national rural share");
    within(k.small as f64, 0.36 * 7000.0, "national small schools");
    within(k.small_students as f64 / k.small as f64, 192_000.0 / (0.36 * 7687.0), "national mean small-school size");
    // The calibration table in the README shows the same numbers.
    let readme = fs::read_to_string(repo().join("datasets/aktobe/README.md")).unwrap();
    assert!(readme.contains(&format!(
        "| schools | 404 | Aktobe region education department: 404 secondary schools | {} |",
        a.schools
    )));
}

fn geojson_collection(path: &Path) -> geojson::FeatureCollection {
    match fs::read_to_string(path).unwrap().parse::<geojson::GeoJson>().unwrap() {
        geojson::GeoJson::FeatureCollection(fc) => fc,
        _ => panic!("{} is not a FeatureCollection", path.display()),
    }
}

/// Every road is a LineString of ≥ 2 valid WGS84 positions with `highway`, `maxspeed` and `proxy: true`.
fn check_roads(path: &Path, attribution: Option<&str>) {
    let fc = geojson_collection(path);
    assert!(!fc.features.is_empty());
    let meta = fc.foreign_members.as_ref().and_then(|m| m.get("metadata")).expect("metadata member");
    if let Some(a) = attribution {
        assert!(meta.to_string().contains(a), "{}: metadata lacks `{a}`", path.display());
    }
    let classes = ["trunk", "primary", "secondary", "tertiary", "unclassified"];
    for (i, f) in fc.features.iter().enumerate() {
        let Some(geojson::Value::LineString(coords)) = f.geometry.as_ref().map(|g| &g.value) else {
            panic!("{}: feature {i} is not a LineString", path.display());
        };
        assert!(coords.len() >= 2, "feature {i}");
        for c in coords {
            assert!(
                c.len() == 2 && (-180.0..=180.0).contains(&c[0]) && (-90.0..=90.0).contains(&c[1]),
                "feature {i}: {c:?}"
            );
        }
        assert!(coords.windows(2).all(|w| w[0] != w[1]), "feature {i} repeats a vertex");
        let p = f.properties.as_ref().unwrap();
        assert!(classes.contains(&p["highway"].as_str().unwrap()), "feature {i}");
        assert!(p["maxspeed"].as_u64().unwrap() > 0, "feature {i}");
        assert_eq!(p["proxy"], serde_json::Value::Bool(true), "feature {i}");
    }
}

/// District names of districts.geojson cover the `district` column of schools.csv.
fn check_districts(dir: &Path) {
    let fc = geojson_collection(&dir.join("districts.geojson"));
    let names: BTreeSet<String> =
        fc.features.iter().map(|f| f.property("name").unwrap().as_str().unwrap().to_string()).collect();
    assert_eq!(names.len(), fc.features.len(), "district names are unique");
    for r in read_schools(&dir.join("schools.csv"), SchoolsUse::Planning).unwrap() {
        assert!(names.contains(r.district.as_deref().unwrap()), "{:?}", r.district);
    }
}

#[test]
fn committed_files_follow_the_planning_and_road_formats() {
    for name in ["aktobe", "kazakhstan"] {
        let dir = repo().join("datasets").join(name);
        check_roads(&dir.join("roads.geojson"), Some("OpenStreetMap contributors"));
        check_districts(&dir);
        let rows = read_schools(&dir.join("schools.csv"), SchoolsUse::Planning).unwrap();
        assert!(rows.iter().all(|r| matches!(r.hub, Some(HubStatus::Candidate) | Some(HubStatus::No))));
        let readme = fs::read_to_string(dir.join("README.md")).unwrap();
        for needle in ["DERIVED / SYNTHETIC", "ODbL", "CC BY 4.0", "GeoNames", "osm.pbf", "straight-line fallback"] {
            assert!(readme.contains(needle), "{name}/README.md lacks `{needle}`");
        }
    }
    // Aktobe: every district with small schools has a hub candidate; the 13 units are all there.
    let rows = read_schools(&repo().join("datasets/aktobe/schools.csv"), SchoolsUse::Planning).unwrap();
    let districts: BTreeSet<_> = rows.iter().map(|r| r.district.clone().unwrap()).collect();
    assert_eq!(districts.len(), 13);
    for d in &districts {
        assert!(rows.iter().any(|r| r.district.as_ref() == Some(d) && r.hub == Some(HubStatus::Candidate)), "{d}");
    }
}

#[test]
fn generator_is_deterministic_and_writes_the_same_schema() {
    let opts = GenerateOptions { schools: 600, districts: 15, seed: 11 };
    let (a, b, c) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_region(&generate_region(&opts).unwrap(), a.path()).unwrap();
    write_region(&generate_region(&opts).unwrap(), b.path()).unwrap();
    write_region(&generate_region(&GenerateOptions { seed: 12, ..opts.clone() }).unwrap(), c.path()).unwrap();
    for f in FILES {
        assert_eq!(
            fs::read(a.path().join(f)).unwrap(),
            fs::read(b.path().join(f)).unwrap(),
            "{f}: same seed, same bytes"
        );
    }
    for f in ["schools.csv", "districts.geojson", "roads.geojson"] {
        assert_ne!(
            fs::read(a.path().join(f)).unwrap(),
            fs::read(c.path().join(f)).unwrap(),
            "{f}: other seed, other bytes"
        );
    }
    let k = counts(&a.path().join("schools.csv"));
    assert_eq!(k.schools, 600);
    within(k.small as f64, 600.0 * 204.0 / 404.0, "generated small schools");
    check_roads(&a.path().join("roads.geojson"), None);
    check_districts(a.path());
}

#[test]
fn generate_cli_writes_a_region() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hubplan"))
        .args(["generate", "region", "--schools", "200", "--districts", "5", "--seed", "3", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(read_schools(&dir.path().join("schools.csv"), SchoolsUse::Planning).unwrap().len(), 200);
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_hubplan"))
        .args(["generate", "region", "--schools", "200", "--districts", "500", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--districts must be between 1 and"));
}

/// A copy of the raw folder with one file replaced.
fn raw_with(file: &str, edit: impl FnOnce(String) -> String) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let src = repo().join("datasets/raw");
    let mut edit = Some(edit);
    for entry in walk(&src) {
        let rel = entry.strip_prefix(&src).unwrap();
        let dst = tmp.path().join(rel);
        fs::create_dir_all(dst.parent().unwrap()).unwrap();
        if rel == Path::new(file) {
            let f = edit.take().expect("one file is edited");
            fs::write(&dst, f(fs::read_to_string(&entry).unwrap())).unwrap();
        } else {
            fs::copy(&entry, &dst).unwrap();
        }
    }
    tmp
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

#[test]
fn bad_raw_input_names_file_row_and_field() {
    let places = "kz-osm-populated-places-hotosm/kaz_populated_places_with_adm2.csv";
    let raw = raw_with(places, |text| {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines[3] = lines[3].replace(",59.", ",north59.");
        lines.join("\n") + "\n"
    });
    let out = tempfile::tempdir().unwrap();
    let err = build(&BuildOptions::new(raw.path(), out.path(), 1)).unwrap_err().to_string();
    assert!(
        err.contains("kaz_populated_places_with_adm2.csv: row 3 (line 4): field `lon`: expected a number"),
        "{err}"
    );
    assert!(err.contains("[E-VALUE]"), "{err}");
    assert!(fs::read_dir(out.path()).unwrap().next().is_none(), "nothing is written on bad input");

    let raw =
        raw_with("kz-admin-boundaries-geokz/kaz_adm2_2024.geojson", |text| text.replacen("\"KATO\":", "\"KAT0\":", 1));
    let err = build(&BuildOptions::new(raw.path(), out.path(), 1)).unwrap_err().to_string();
    assert!(err.contains("kaz_adm2_2024.geojson: feature 0: field `KATO`: property is missing [E-MISSING]"), "{err}");

    let missing = tempfile::tempdir().unwrap();
    let err = build(&BuildOptions::new(missing.path(), out.path(), 1)).unwrap_err().to_string();
    assert!(err.contains("5 problems") && err.contains("[E-READ]"), "{err}");
}

#[test]
fn existing_hubs_are_marked_and_unknown_ids_refused() {
    let out = tempfile::tempdir().unwrap();
    let ids = out.path().join("hubs.csv");
    let rows = read_schools(&repo().join("datasets/aktobe/schools.csv"), SchoolsUse::Planning).unwrap();
    let picks: Vec<&str> =
        rows.iter().filter(|r| r.hub == Some(HubStatus::Candidate)).take(2).map(|r| r.id.as_str()).collect();
    fs::write(&ids, format!("id,year\n{},2022\n{},2023\n", picks[0], picks[1])).unwrap();
    let mut opts = BuildOptions::new(repo().join("datasets/raw"), out.path().join("d"), DEFAULT_SEED);
    opts.only = vec![DatasetName::Aktobe];
    opts.existing_hubs = vec![(DatasetName::Aktobe, ids.clone())];
    let b = build(&opts).unwrap();
    assert_eq!(b[0].existing_hubs, 2);
    let marked = read_schools(&out.path().join("d/aktobe/schools.csv"), SchoolsUse::Planning).unwrap();
    assert_eq!(marked.iter().filter(|r| r.hub == Some(HubStatus::Existing)).count(), 2);
    fs::write(&ids, "id\nosm1-1\n").unwrap();
    let err = build(&opts).unwrap_err().to_string();
    assert!(err.contains("hubs.csv") && err.contains("no school `osm1-1`") && err.contains("[E-UNKNOWN-ID]"), "{err}");
}

#[test]
fn scenarios_load_and_point_at_existing_data() {
    for name in ["aktobe-2025", "kazakhstan-2025", "aktobe-2025-2027", "kazakhstan-2025-2027", "kazakhstan-2022-2024"] {
        let path = repo().join("models").join(format!("{name}.toml"));
        // The planner's own loader: unknown keys and bad values are errors.
        let loaded = hubplan::hub::scenario::LoadedScenario::load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let d = &loaded.scenario.data;
        let mut files = vec![d.schools.clone()];
        files.extend(d.roads.iter().cloned());
        files.extend(d.districts.iter().cloned());
        files.extend(d.existing_hubs.iter().cloned());
        assert!(d.roads.is_some() && d.districts.is_some(), "{name}: roads and districts");
        for f in files {
            assert!(loaded.resolve(&f).exists(), "{name}: {} does not exist", f.display());
        }
        let doc: toml::Table = fs::read_to_string(&path).unwrap().parse().unwrap();
        // The small-school and candidate thresholds agree with the dataset rules.
        assert_eq!(doc["small_schools"]["max_students"].as_integer(), Some(SMALL_MAX_STUDENTS as i64));
        assert_eq!(doc["hubs"]["min_students"].as_integer(), Some(HUB_MIN_STUDENTS as i64));
        assert_eq!(
            doc["small_schools"]["digital_room_min_students"].as_integer(),
            Some(DIGITAL_ROOM_MIN_STUDENTS as i64)
        );
    }
}
