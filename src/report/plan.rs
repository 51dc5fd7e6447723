//! The plan directory as the reports read it: `plan.json` (schema
//! `hubplan-plan/1`) and `plan.geojson`.
//!
//! The types are lenient on purpose: fields the reports do not need may be
//! missing, and unknown fields are ignored, so a report can be drawn from a
//! plan written by an older or newer hubplan.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::ReportError;

/// A hub of the plan.
#[derive(Debug, Clone, Deserialize)]
pub struct Hub {
    /// The school's id.
    pub school_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub district: String,
    #[serde(default)]
    pub lat: f64,
    #[serde(default)]
    pub lon: f64,
    /// `existing` or `new`.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub cost_kzt: f64,
    #[serde(default)]
    pub linked_small_schools: u64,
    #[serde(default)]
    pub linked_students: f64,
}

impl Hub {
    /// Whether the hub was already equipped before this plan.
    pub fn is_existing(&self) -> bool {
        self.status == "existing"
    }
}

/// A small school linked to a hub.
#[derive(Debug, Clone, Deserialize)]
pub struct Link {
    pub small_school_id: String,
    pub hub_id: String,
    #[serde(default)]
    pub road_km: f64,
    #[serde(default)]
    pub minutes: Option<f64>,
    /// Straight-line fallback rather than a road distance.
    #[serde(default)]
    pub approx: bool,
}

/// A small school left without a hub, and why.
#[derive(Debug, Clone, Deserialize)]
pub struct Unlinked {
    pub small_school_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub district: String,
    #[serde(default)]
    pub students: f64,
    /// `no-hub-in-reach`, `hubs-full`, `budget` or `district-limit`.
    #[serde(default)]
    pub reason: String,
}

/// One district's row of the plan.
#[derive(Debug, Clone, Deserialize)]
pub struct DistrictRow {
    pub district: String,
    #[serde(default)]
    pub hubs: u64,
    #[serde(default)]
    pub new_hubs: u64,
    #[serde(default)]
    pub linked_small_schools: u64,
    #[serde(default)]
    pub linked_students: f64,
    #[serde(default)]
    pub mean_km: Option<f64>,
    #[serde(default)]
    pub max_km: Option<f64>,
    #[serde(default)]
    pub cost_kzt: f64,
}

/// The plan's totals.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Totals {
    #[serde(default)]
    pub new_hubs: u64,
    #[serde(default)]
    pub cost_kzt: f64,
    /// `None`: no budget.
    #[serde(default)]
    pub budget_kzt: Option<f64>,
    #[serde(default)]
    pub linked_small_schools: u64,
    #[serde(default)]
    pub linked_students: f64,
    #[serde(default)]
    pub unlinked_small_schools: u64,
    #[serde(default)]
    pub student_km: f64,
    #[serde(default)]
    pub mean_km: Option<f64>,
    #[serde(default)]
    pub max_km: Option<f64>,
}

impl Totals {
    /// Every total by name, in the order of the contract (`None`: null).
    pub fn named(&self) -> Vec<(&'static str, Option<f64>)> {
        vec![
            ("new_hubs", Some(self.new_hubs as f64)),
            ("cost_kzt", Some(self.cost_kzt)),
            ("budget_kzt", self.budget_kzt),
            ("linked_small_schools", Some(self.linked_small_schools as f64)),
            ("linked_students", Some(self.linked_students)),
            ("unlinked_small_schools", Some(self.unlinked_small_schools as f64)),
            ("student_km", Some(self.student_km)),
            ("mean_km", self.mean_km),
            ("max_km", self.max_km),
        ]
    }
}

/// A data source and its licence.
#[derive(Debug, Clone, Deserialize)]
pub struct Source {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub license: String,
    #[serde(default)]
    pub note: String,
}

/// The input files of the plan.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Inputs {
    #[serde(default)]
    pub scenario: Option<String>,
    #[serde(default)]
    pub schools: Option<String>,
    #[serde(default)]
    pub roads: Option<String>,
    #[serde(default)]
    pub districts: Option<String>,
    /// `road` or `approx`.
    #[serde(default)]
    pub distances: Option<String>,
}

/// `plan.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct Plan {
    #[serde(default)]
    pub schema: String,
    /// The scenario echo, defaults filled (kept as JSON: the reports only read a few keys).
    #[serde(default)]
    pub scenario: Value,
    #[serde(default)]
    pub inputs: Inputs,
    #[serde(default)]
    pub hubs: Vec<Hub>,
    #[serde(default)]
    pub links: Vec<Link>,
    #[serde(default)]
    pub unlinked: Vec<Unlinked>,
    #[serde(default)]
    pub districts: Vec<DistrictRow>,
    #[serde(default)]
    pub totals: Totals,
    #[serde(default)]
    pub objective: Option<f64>,
    #[serde(default)]
    pub lower_bound: Option<f64>,
    #[serde(default)]
    pub gap: Option<f64>,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub solver: String,
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    pub elapsed_s: Option<f64>,
    #[serde(default)]
    pub sources: Vec<Source>,
}

impl Plan {
    /// A scenario value by dotted key, such as `links.max_road_km`.
    pub fn scenario_value(&self, key: &str) -> Option<&Value> {
        key.split('.').try_fold(&self.scenario, |v, k| v.get(k))
    }

    /// A numeric scenario value by dotted key.
    pub fn scenario_f64(&self, key: &str) -> Option<f64> {
        self.scenario_value(key).and_then(Value::as_f64)
    }

    /// The scenario's name (empty when missing).
    pub fn name(&self) -> &str {
        self.scenario_value("name").and_then(Value::as_str).unwrap_or("")
    }

    /// Small schools the plan knows of: linked plus unlinked.
    pub fn small_schools(&self) -> usize {
        self.links.len() + self.unlinked.len()
    }
}

/// Reads `DIR/plan.json`.
pub fn read_plan(dir: &Path) -> Result<Plan, ReportError> {
    let path = dir.join("plan.json");
    let text = fs::read_to_string(&path).map_err(|e| ReportError::io(&path, e))?;
    let plan: Plan = serde_json::from_str(&text).map_err(|e| ReportError::format(&path, e.to_string()))?;
    if !plan.schema.is_empty() && !plan.schema.starts_with("hubplan-plan/") {
        return Err(ReportError::format(&path, format!("schema `{}` is not hubplan-plan/1", plan.schema)));
    }
    Ok(plan)
}

/// A small school as `plan.geojson` places it.
#[derive(Debug, Clone)]
pub struct SmallSchool {
    pub school_id: String,
    pub name: String,
    pub district: String,
    pub students: f64,
    pub lon: f64,
    pub lat: f64,
    pub linked: bool,
    pub hub_id: Option<String>,
    pub road_km: Option<f64>,
    pub reason: Option<String>,
}

/// A link line as `plan.geojson` draws it.
#[derive(Debug, Clone)]
pub struct LinkLine {
    pub small_school_id: String,
    pub hub_id: String,
    pub road_km: f64,
    pub approx: bool,
    /// `[lon, lat]` points, small school first.
    pub points: Vec<[f64; 2]>,
}

/// The map layers of `plan.geojson`.
#[derive(Debug, Clone, Default)]
pub struct PlanLayers {
    pub small_schools: Vec<SmallSchool>,
    pub links: Vec<LinkLine>,
    /// Hub points by id (`[lon, lat]`), used when `plan.json` lacks coordinates.
    pub hub_points: Vec<(String, [f64; 2])>,
}

fn prop_str(props: &serde_json::Map<String, Value>, key: &str) -> Option<String> {
    match props.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn prop_f64(props: &serde_json::Map<String, Value>, key: &str) -> Option<f64> {
    props.get(key).and_then(Value::as_f64)
}

/// Reads `DIR/plan.geojson` (its `layer` property says what each feature is).
pub fn read_layers(dir: &Path) -> Result<PlanLayers, ReportError> {
    let path = dir.join("plan.geojson");
    let text = fs::read_to_string(&path).map_err(|e| ReportError::io(&path, e))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| ReportError::format(&path, e.to_string()))?;
    let features = doc
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| ReportError::format(&path, "not a FeatureCollection"))?;
    let mut layers = PlanLayers::default();
    let empty = serde_json::Map::new();
    for (i, f) in features.iter().enumerate() {
        let props = f.get("properties").and_then(Value::as_object).unwrap_or(&empty);
        let geometry = f.get("geometry").unwrap_or(&Value::Null);
        let kind = geometry.get("type").and_then(Value::as_str).unwrap_or("");
        let coords = geometry.get("coordinates");
        let bad = |what: &str| ReportError::format(&path, format!("feature {i}: {what}"));
        match props.get("layer").and_then(Value::as_str).unwrap_or("") {
            "small_school" => {
                let p = point(coords).filter(|_| kind == "Point").ok_or_else(|| bad("small_school is not a Point"))?;
                let status = prop_str(props, "status").unwrap_or_default();
                layers.small_schools.push(SmallSchool {
                    school_id: prop_str(props, "school_id").ok_or_else(|| bad("no school_id"))?,
                    name: prop_str(props, "name").unwrap_or_default(),
                    district: prop_str(props, "district").unwrap_or_default(),
                    students: prop_f64(props, "students").unwrap_or(0.0),
                    lon: p[0],
                    lat: p[1],
                    linked: status == "linked",
                    hub_id: prop_str(props, "hub_id"),
                    road_km: prop_f64(props, "road_km"),
                    reason: prop_str(props, "reason"),
                });
            }
            "link" => {
                let points: Vec<[f64; 2]> = coords
                    .and_then(Value::as_array)
                    .filter(|_| kind == "LineString")
                    .map(|a| a.iter().filter_map(|c| point(Some(c))).collect())
                    .ok_or_else(|| bad("link is not a LineString"))?;
                if points.len() < 2 {
                    return Err(bad("link has fewer than two points"));
                }
                layers.links.push(LinkLine {
                    small_school_id: prop_str(props, "small_school_id").unwrap_or_default(),
                    hub_id: prop_str(props, "hub_id").unwrap_or_default(),
                    road_km: prop_f64(props, "road_km").unwrap_or(0.0),
                    approx: props.get("approx").and_then(Value::as_bool).unwrap_or(false),
                    points,
                });
            }
            "hub" => {
                if let (Some(id), Some(p)) = (prop_str(props, "school_id"), point(coords)) {
                    layers.hub_points.push((id, p));
                }
            }
            _ => {}
        }
    }
    Ok(layers)
}

fn point(c: Option<&Value>) -> Option<[f64; 2]> {
    let a = c?.as_array()?;
    let lon = a.first()?.as_f64()?;
    let lat = a.get(1)?.as_f64()?;
    (lon.is_finite() && lat.is_finite()).then_some([lon, lat])
}

/// A district boundary: its name and outer/inner rings of `[lon, lat]` points.
#[derive(Debug, Clone)]
pub struct DistrictShape {
    pub name: String,
    /// Polygons, each a list of rings (the first the exterior).
    pub polygons: Vec<Vec<Vec<[f64; 2]>>>,
}

/// Reads district polygons (GeoJSON Polygon or MultiPolygon features with a `name`).
pub fn read_districts(path: &Path) -> Result<Vec<DistrictShape>, ReportError> {
    let text = fs::read_to_string(path).map_err(|e| ReportError::io(path, e))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| ReportError::format(path, e.to_string()))?;
    let features = doc
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| ReportError::format(path, "not a FeatureCollection"))?;
    let ring = |v: &Value| -> Vec<[f64; 2]> {
        v.as_array().map(|a| a.iter().filter_map(|c| point(Some(c))).collect()).unwrap_or_default()
    };
    let polygon = |v: &Value| -> Vec<Vec<[f64; 2]>> {
        v.as_array().map(|rings| rings.iter().map(ring).filter(|r| r.len() >= 3).collect()).unwrap_or_default()
    };
    let mut out = Vec::new();
    for f in features {
        let name = f.pointer("/properties/name").and_then(Value::as_str).unwrap_or("").to_string();
        let Some(geometry) = f.get("geometry") else { continue };
        let coords = geometry.get("coordinates").unwrap_or(&Value::Null);
        let polygons = match geometry.get("type").and_then(Value::as_str) {
            Some("Polygon") => vec![polygon(coords)],
            Some("MultiPolygon") => coords.as_array().map(|ps| ps.iter().map(polygon).collect()).unwrap_or_default(),
            _ => continue,
        };
        let polygons: Vec<_> = polygons.into_iter().filter(|p| !p.is_empty()).collect();
        if !polygons.is_empty() {
            out.push(DistrictShape { name, polygons });
        }
    }
    Ok(out)
}

/// The district file of a plan: `inputs.districts`, resolved against the plan directory when relative.
pub fn districts_path(plan: &Plan, dir: &Path) -> Option<PathBuf> {
    let p = PathBuf::from(plan.inputs.districts.as_deref()?);
    Some(if p.is_absolute() { p } else { dir.join(p) })
}
