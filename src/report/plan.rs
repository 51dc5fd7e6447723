//! A plan directory as the report reads it: `plan.json` (the real
//! [`PlanDoc`], read with [`crate::hub::verify::read_plan`]), the small
//! schools' positions from `plan.geojson`, and the district boundaries named
//! in `plan.json` (read with [`crate::hub::inputs::read_districts`]).
//!
//! `plan.json` is the authority for what is linked and why; `plan.geojson`
//! only says where each small school is.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ReportError;
use crate::error::{ErrorCode, Location, Problems};
use crate::hub::inputs::{DistrictShape, read_districts};
use crate::hub::plan_doc::{PlanDoc, Reason};
use crate::hub::verify::read_plan;

/// What became of a small school in the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchoolStatus {
    /// Linked to a hub (index into `PlanDoc::links`).
    Linked(usize),
    /// Left without a hub, for this reason.
    Unlinked(Reason),
}

/// A small school placed on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct SmallSchool {
    /// School id (as in the schools file).
    pub id: String,
    /// School name.
    pub name: String,
    /// Students of the school.
    pub students: u32,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Linked or why not.
    pub status: SchoolStatus,
}

/// Everything the report draws from one plan directory.
#[derive(Debug, Clone)]
pub struct PlanDir {
    /// The directory.
    pub dir: PathBuf,
    /// `plan.json`.
    pub doc: PlanDoc,
    /// Every small school of `plan.json` (linked or unlinked), placed from `plan.geojson`.
    pub small_schools: Vec<SmallSchool>,
    /// District boundaries (empty when the plan has none or they cannot be read).
    pub districts: Vec<DistrictShape>,
    /// Problems that do not stop the report (e.g. boundaries not found), in sentences.
    pub notes: Vec<String>,
}

#[derive(Deserialize)]
struct Collection {
    features: Vec<Feature>,
}

#[derive(Deserialize)]
struct Feature {
    geometry: Option<Geometry>,
    #[serde(default)]
    properties: HashMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct Geometry {
    #[serde(rename = "type")]
    kind: String,
    coordinates: serde_json::Value,
}

/// A small school's point and name in `plan.geojson`.
struct Placed {
    lon: f64,
    lat: f64,
    name: Option<String>,
}

/// Small schools by id from `plan.geojson` (features with `layer` = `small_school`).
fn read_positions(path: &Path) -> Result<HashMap<String, Placed>, ReportError> {
    let text = fs::read_to_string(path).map_err(|e| ReportError::io(path, e))?;
    let mut problems = Problems::new(path);
    let fc: Collection = match serde_json::from_str(&text) {
        Ok(fc) => fc,
        Err(e) => {
            let at = if e.line() > 0 { Location::Line(e.line()) } else { Location::File };
            let what = e.to_string();
            let what = what.split(" at line ").next().unwrap_or_default();
            problems.push(at, ErrorCode::WrongFormat, format!("not a GeoJSON FeatureCollection: {what}"));
            return problems.fail().map_err(ReportError::from);
        }
    };
    let mut out = HashMap::new();
    for (i, f) in fc.features.iter().enumerate() {
        if f.properties.get("layer").and_then(|v| v.as_str()) != Some("small_school") {
            continue;
        }
        let at = Location::Feature(i);
        let Some(id) = f.properties.get("school_id").and_then(|v| v.as_str()) else {
            problems.push_field(at, "school_id", ErrorCode::MissingField, "a small school needs its `school_id` text");
            continue;
        };
        let Some(g) = f.geometry.as_ref() else {
            problems.push_field(at, "geometry", ErrorCode::MissingField, format!("small school `{id}` has no point"));
            continue;
        };
        let xy = g.coordinates.as_array().and_then(|a| Some((a.first()?.as_f64()?, a.get(1)?.as_f64()?)));
        match (g.kind.as_str(), xy) {
            ("Point", Some((lon, lat))) if lon.is_finite() && lat.is_finite() => {
                let name = f.properties.get("name").and_then(|v| v.as_str()).map(str::to_string);
                out.insert(id.to_string(), Placed { lon, lat, name });
            }
            _ => problems.push_field(
                at,
                "geometry",
                ErrorCode::BadGeometry,
                format!("small school `{id}`: expected a Point [lon, lat]"),
            ),
        }
    }
    problems.finish(out).map_err(ReportError::from)
}

/// Reads a plan directory for the report.
///
/// Errors name the file and the field; district boundaries that cannot be
/// read become a note (the report is drawn without them).
pub fn load(dir: &Path) -> Result<PlanDir, ReportError> {
    let json = dir.join("plan.json");
    if !json.is_file() {
        return Err(ReportError::io(&json, std::io::Error::from(std::io::ErrorKind::NotFound)));
    }
    let doc = read_plan(dir)?;
    let geo_path = dir.join("plan.geojson");
    let at = read_positions(&geo_path)?;
    let mut missing = Problems::new(&geo_path);
    for id in doc.links.iter().map(|l| &l.small_school_id).chain(doc.unlinked.iter().map(|u| &u.small_school_id)) {
        if !at.contains_key(id.as_str()) {
            missing.push(
                Location::File,
                ErrorCode::MissingField,
                format!("small school `{id}` of plan.json has no `small_school` point"),
            );
        }
    }
    missing.finish(())?;
    let place = |id: &str| &at[id];
    let mut small_schools = Vec::with_capacity(doc.links.len() + doc.unlinked.len());
    for (i, l) in doc.links.iter().enumerate() {
        let p = place(&l.small_school_id);
        small_schools.push(SmallSchool {
            id: l.small_school_id.clone(),
            // The names of linked schools are in plan.geojson only.
            name: p.name.clone().unwrap_or_else(|| l.small_school_id.clone()),
            students: l.students,
            lon: p.lon,
            lat: p.lat,
            status: SchoolStatus::Linked(i),
        });
    }
    for u in &doc.unlinked {
        let &Placed { lon, lat, .. } = place(&u.small_school_id);
        small_schools.push(SmallSchool {
            id: u.small_school_id.clone(),
            name: u.name.clone(),
            students: u.students,
            lon,
            lat,
            status: SchoolStatus::Unlinked(u.reason),
        });
    }
    let mut notes = Vec::new();
    let districts = match &doc.inputs.paths.districts {
        None => Vec::new(),
        Some(p) if !p.is_file() => {
            notes.push(format!("District boundaries not drawn: {} is not found.", p.display()));
            Vec::new()
        }
        Some(p) => read_districts(p).unwrap_or_else(|e| {
            notes.push(format!("District boundaries not drawn: {e}"));
            Vec::new()
        }),
    };
    Ok(PlanDir { dir: dir.to_path_buf(), doc, small_schools, districts, notes })
}
