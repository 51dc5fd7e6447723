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
use crate::hub::inputs::{DistrictShape, read_districts};
use crate::hub::plan_doc::{PLAN_SCHEMA, PlanDoc, Reason};
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
    let fc: Collection = serde_json::from_str(&text)
        .map_err(|e| ReportError::format(path, format!("not a GeoJSON FeatureCollection: {e}")))?;
    let mut out = HashMap::new();
    for (i, f) in fc.features.iter().enumerate() {
        if f.properties.get("layer").and_then(|v| v.as_str()) != Some("small_school") {
            continue;
        }
        let bad = |field: &str, what: &str| ReportError::format(path, format!("feature {i}: `{field}` {what}"));
        let id = f.properties.get("school_id").and_then(|v| v.as_str()).ok_or_else(|| bad("school_id", "missing"))?;
        let g = f.geometry.as_ref().ok_or_else(|| bad("geometry", "missing"))?;
        let xy = g.coordinates.as_array().and_then(|a| Some((a.first()?.as_f64()?, a.get(1)?.as_f64()?)));
        match (g.kind.as_str(), xy) {
            ("Point", Some((lon, lat))) if lon.is_finite() && lat.is_finite() => {
                let name = f.properties.get("name").and_then(|v| v.as_str()).map(str::to_string);
                out.insert(id.to_string(), Placed { lon, lat, name });
            }
            _ => return Err(bad("geometry", "is not a Point [lon, lat]")),
        }
    }
    Ok(out)
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
    let doc = read_plan(dir).map_err(|e| ReportError::format(&json, e.to_string()))?;
    if doc.schema != PLAN_SCHEMA {
        return Err(ReportError::format(
            &json,
            format!("field `schema` is `{}`; this hubplan reads `{PLAN_SCHEMA}`", doc.schema),
        ));
    }
    let geo_path = dir.join("plan.geojson");
    let at = read_positions(&geo_path)?;
    let place = |id: &str| {
        at.get(id).ok_or_else(|| {
            ReportError::format(&geo_path, format!("small school `{id}` of plan.json has no small_school point"))
        })
    };
    let mut small_schools = Vec::with_capacity(doc.links.len() + doc.unlinked.len());
    for (i, l) in doc.links.iter().enumerate() {
        let p = place(&l.small_school_id)?;
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
        let &Placed { lon, lat, .. } = place(&u.small_school_id)?;
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
