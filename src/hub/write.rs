//! Writing a plan directory: `plan.json`, `hubs.csv`, `links.csv`,
//! `unlinked.csv`, `plan.geojson` and `plan.xlsx` (see [`super::workbook`]),
//! all or nothing.
//!
//! A rollout plan's `hubs.csv` has a last column `year_opened` (empty for an
//! existing hub) and its `links.csv` a last column `year_linked`; a
//! single-year plan's CSV files have neither, exactly as before rollouts.
//! Likewise a plan with link modes or teacher hours has `mode` and
//! `teacher_hours` columns in `links.csv` and `teacher_hours`,
//! `teacher_hours_available` in `hubs.csv`; a plan without has none of them.
//!
//! Files are written into a hidden folder beside the target, which then
//! replaces the target in one rename; an existing target is kept unless
//! `force`, and a failed run leaves it exactly as it was.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::PlanRun;
use super::inputs::School;
use super::plan_doc::PlanDoc;
use crate::fsutil::{replace_dir, temp_sibling};
use crate::report::format::decimal;

/// Why a plan directory was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The target folder already exists and `force` was not given.
    #[error("{0} already exists; pass --force to replace it")]
    Exists(PathBuf),
    /// `plan.xlsx` could not be built.
    #[error("cannot build plan.xlsx: {0}")]
    Workbook(#[from] rust_xlsxwriter::XlsxError),
    /// A file or folder could not be written, moved or removed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying I/O error.
        source: io::Error,
    },
}

/// An extra step run on the staged folder before it replaces the target
/// (e.g. rendering a report from the written files).
pub type Finisher<'a> = &'a dyn Fn(&Path) -> io::Result<()>;

/// Writes the plan directory `out`.
pub fn write_plan_dir(run: &PlanRun, out: &Path, force: bool, finish: Option<Finisher>) -> Result<(), WriteError> {
    write_doc_dir(&run.doc, &run.inputs.schools, out, force, finish)
}

/// Writes a plan directory from a plan document and its schools.
pub fn write_doc_dir(
    doc: &PlanDoc,
    schools: &[School],
    out: &Path,
    force: bool,
    finish: Option<Finisher>,
) -> Result<(), WriteError> {
    if out.exists() && !force {
        return Err(WriteError::Exists(out.to_path_buf()));
    }
    let staged = temp_sibling(out);
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WriteError::Io { path, source }
    };
    let _ = fs::remove_dir_all(&staged);
    let result = (|| {
        fs::create_dir_all(&staged).map_err(io_err(&staged))?;
        let files: Vec<(&str, Vec<u8>)> = vec![
            ("plan.json", serde_json::to_vec_pretty(doc).expect("plan serialises")),
            ("hubs.csv", hubs_csv(doc)),
            ("links.csv", links_csv(doc)),
            ("unlinked.csv", unlinked_csv(doc)),
            ("plan.geojson", plan_geojson(doc, schools)),
            ("plan.xlsx", super::workbook::plan_xlsx(doc, schools)?),
        ];
        for (name, bytes) in files {
            let p = staged.join(name);
            fs::write(&p, bytes).map_err(io_err(&p))?;
        }
        if let Some(f) = finish {
            f(&staged).map_err(io_err(&staged))?;
        }
        replace_dir(&staged, out).map_err(io_err(out))
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&staged);
    }
    result
}

fn csv_bytes(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).expect("in-memory CSV");
    for r in rows {
        w.write_record(&r).expect("in-memory CSV");
    }
    w.into_inner().expect("in-memory CSV")
}

/// A number of the plan's CSV files: to a metre, a tenge-thousandth, a second.
fn num(v: f64) -> String {
    decimal(v, 3)
}

/// A rollout year as a CSV cell (empty when there is none).
fn year(y: Option<i32>) -> String {
    y.map(|y| y.to_string()).unwrap_or_default()
}

/// The columns of a plan's hubs (`hubs.csv` and the `hubs` sheet of
/// `plan.xlsx`): `year_opened` for a rollout, the worth columns when the
/// plan has them (`hubplan plan` without `--no-worth`).
pub fn hubs_header(doc: &PlanDoc) -> Vec<&'static str> {
    let mut header = vec![
        "school_id",
        "name",
        "district",
        "lat",
        "lon",
        "status",
        "cost_kzt",
        "linked_small_schools",
        "linked_students",
    ];
    if doc.rollout.is_some() {
        header.push("year_opened");
    }
    if has_worth(doc) {
        header.extend(["worth", "regret", "regret_min", "regret_max", "regret_unit", "runner_up_id", "runner_up_name"]);
    }
    if has_modes(doc) {
        header.extend(["teacher_hours", "teacher_hours_available"]);
    }
    header
}

/// Whether the plan uses link modes or teacher hours (its links or hubs
/// carry a mode or hours, or its totals per-mode figures): its tables then
/// have the `mode` and teacher-hours columns.
pub fn has_modes(doc: &PlanDoc) -> bool {
    let t = &doc.totals;
    !t.modes.is_empty()
        || t.teacher_hours.is_some()
        || doc.links.iter().any(|l| l.mode.is_some() || l.teacher_hours.is_some())
        || doc.hubs.iter().any(|h| h.teacher_hours.is_some() || h.teacher_hours_available.is_some())
}

/// The columns of a plan's links in `links.csv`: `year_linked` for a
/// rollout, `mode` and `teacher_hours` with link modes.
pub fn links_header(doc: &PlanDoc) -> Vec<&'static str> {
    let mut header = vec!["small_school_id", "hub_id", "road_km", "minutes", "approx", "students", "room", "room_kzt"];
    if doc.rollout.is_some() {
        header.push("year_linked");
    }
    if has_modes(doc) {
        header.extend(["mode", "teacher_hours"]);
    }
    header
}

/// Whether the plan's hubs carry their worth.
pub fn has_worth(doc: &PlanDoc) -> bool {
    doc.hubs.iter().any(|h| h.worth.is_some())
}

/// `hubs.csv`: one row per open hub (with `year_opened` for a rollout), UTF-8 with a header.
pub fn hubs_csv(doc: &PlanDoc) -> Vec<u8> {
    let rollout = doc.rollout.is_some();
    let header = hubs_header(doc);
    let worth = has_worth(doc);
    let modes = has_modes(doc);
    let opt = |v: Option<f64>| v.map(num).unwrap_or_default();
    csv_bytes(
        &header,
        doc.hubs.iter().map(|h| {
            let mut r = vec![
                h.school_id.clone(),
                h.name.clone(),
                h.district.clone(),
                h.lat.to_string(),
                h.lon.to_string(),
                h.status.clone(),
                num(h.cost_kzt),
                h.linked_small_schools.to_string(),
                h.linked_students.to_string(),
            ];
            if rollout {
                r.push(year(h.year_opened));
            }
            if worth {
                match &h.worth {
                    Some(w) => r.extend([
                        w.method.clone(),
                        opt(w.regret),
                        opt(w.regret_min),
                        opt(w.regret_max),
                        w.measure.as_str().to_string(),
                        w.runner_up.clone().unwrap_or_default(),
                        w.runner_up_name.clone().unwrap_or_default(),
                    ]),
                    None => r.extend(std::iter::repeat_n(String::new(), 7)),
                }
            }
            if modes {
                r.extend([opt(h.teacher_hours), opt(h.teacher_hours_available)]);
            }
            r
        }),
    )
}

/// `links.csv`: one row per linked small school (with `year_linked` for a rollout), UTF-8 with a header.
pub fn links_csv(doc: &PlanDoc) -> Vec<u8> {
    let rollout = doc.rollout.is_some();
    let modes = has_modes(doc);
    let header = links_header(doc);
    csv_bytes(
        &header,
        doc.links.iter().map(|l| {
            let mut r = vec![
                l.small_school_id.clone(),
                l.hub_id.clone(),
                num(l.road_km),
                num(l.minutes),
                l.approx.to_string(),
                l.students.to_string(),
                l.room.clone(),
                num(l.room_kzt),
            ];
            if rollout {
                r.push(year(l.year_linked));
            }
            if modes {
                r.extend([l.mode.clone().unwrap_or_default(), l.teacher_hours.map(num).unwrap_or_default()]);
            }
            r
        }),
    )
}

/// `unlinked.csv`: one row per unlinked small school with its reason, UTF-8 with a header.
pub fn unlinked_csv(doc: &PlanDoc) -> Vec<u8> {
    csv_bytes(
        &["small_school_id", "name", "district", "students", "reason", "detail"],
        doc.unlinked.iter().map(|u| {
            vec![
                u.small_school_id.clone(),
                u.name.clone(),
                u.district.clone(),
                u.students.to_string(),
                u.reason.as_str().into(),
                u.detail.clone(),
            ]
        }),
    )
}

fn point(lon: f64, lat: f64) -> Value {
    json!({"type": "Point", "coordinates": [lon, lat]})
}

/// Hubs, small schools and link lines, one FeatureCollection (WGS84).
pub fn plan_geojson(doc: &PlanDoc, schools: &[School]) -> Vec<u8> {
    let by_id: HashMap<&str, &School> = schools.iter().map(|s| (s.id.as_str(), s)).collect();
    let modes = doc.links.iter().any(|l| l.mode.is_some());
    let mut features = Vec::new();
    for h in &doc.hubs {
        let mut props = serde_json::to_value(h).expect("hub serialises");
        props["layer"] = json!("hub");
        features.push(json!({"type": "Feature", "geometry": point(h.lon, h.lat), "properties": props}));
    }
    let link_of: HashMap<&str, usize> =
        doc.links.iter().enumerate().map(|(i, l)| (l.small_school_id.as_str(), i)).collect();
    let unlinked_of: HashMap<&str, usize> =
        doc.unlinked.iter().enumerate().map(|(i, u)| (u.small_school_id.as_str(), i)).collect();
    for s in schools.iter().filter(|s| s.small) {
        let (status, hub_id, road_km, reason, mode) = if let Some(&i) = link_of.get(s.id.as_str()) {
            let l = &doc.links[i];
            ("linked", json!(l.hub_id), json!(l.road_km), Value::Null, json!(l.mode))
        } else if let Some(&i) = unlinked_of.get(s.id.as_str()) {
            ("unlinked", Value::Null, Value::Null, json!(doc.unlinked[i].reason.as_str()), Value::Null)
        } else {
            // A small school that is itself a hub.
            continue;
        };
        let mut feature = json!({"type": "Feature", "geometry": point(s.lon, s.lat), "properties": {
            "layer": "small_school", "school_id": s.id, "name": s.name, "district": s.district,
            "students": s.students, "status": status, "hub_id": hub_id, "road_km": road_km, "reason": reason,
        }});
        // With link modes: each small school's (null when unlinked), as on its link.
        if modes {
            feature["properties"]["mode"] = mode;
        }
        features.push(feature);
    }
    for l in &doc.links {
        let (Some(s), Some(h)) = (by_id.get(l.small_school_id.as_str()), by_id.get(l.hub_id.as_str())) else {
            continue;
        };
        let mut props = serde_json::to_value(l).expect("link serialises");
        props["layer"] = json!("link");
        features.push(json!({"type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[s.lon, s.lat], [h.lon, h.lat]]},
            "properties": props}));
    }
    let fc = json!({"type": "FeatureCollection", "name": doc.scenario.name, "features": features});
    serde_json::to_vec(&fc).expect("geojson serialises")
}
