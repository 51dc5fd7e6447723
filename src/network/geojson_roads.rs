//! Reader for road layers as a GeoJSON `FeatureCollection` of `LineString` and
//! `MultiLineString` features in WGS84 longitude/latitude.
//!
//! Optional properties, as OpenStreetMap tags: `highway` (road class, see
//! [`speeds`](super::speeds); a line without one is taken as `road`),
//! `maxspeed` (km/h, number or text), `oneway` (`yes`/`true`/`1`/`-1`, or a
//! JSON boolean), and `junction`, `access`, `motor_vehicle`, `motorcar`,
//! `area` as in OSM. Other properties are ignored.
//!
//! Features are parsed in parallel straight into typed coordinates (no
//! intermediate JSON tree), which is what makes a million segments load in
//! about a second. Problems are collected per feature: a coordinate out of
//! range is an error; a feature that is not a line (Polygon, Point, …), has
//! an empty or null geometry, or is not a driving road is skipped with a
//! warning that names it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use rayon::prelude::*;
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::geodesy::in_range;
use super::graph::GraphBuilder;
use super::roads::{RoadFormat, RoadsRead};
use super::speeds::{CLASS_WHEN_MISSING, Classified, RoadAttrs, WayTags, classify};
use crate::error::{ErrorCode, InputError, InputErrors, Location, Problems};

/// Reads a GeoJSON road layer from a file.
///
/// # Errors
///
/// The file cannot be read, or [`parse_geojson`] rejects it.
pub fn read_geojson(path: &Path) -> Result<RoadsRead, InputErrors> {
    match std::fs::read(path) {
        Ok(bytes) => parse_geojson(&bytes, path),
        Err(e) => {
            Err(InputError::new(path, Location::File, ErrorCode::Unreadable, format!("cannot read the road file: {e}"))
                .into())
        }
    }
}

#[derive(Deserialize)]
struct TopLevel<'a> {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(borrow)]
    features: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct RawFeature<'a> {
    #[serde(borrow)]
    geometry: Option<&'a RawValue>,
    properties: Option<Props>,
}

#[derive(Deserialize)]
struct RawGeometry<'a> {
    #[serde(rename = "type")]
    kind: String,
    #[serde(borrow)]
    coordinates: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
struct Props {
    highway: Option<Scalar>,
    maxspeed: Option<Scalar>,
    oneway: Option<Scalar>,
    junction: Option<Scalar>,
    access: Option<Scalar>,
    motor_vehicle: Option<Scalar>,
    motorcar: Option<Scalar>,
    area: Option<Scalar>,
}

/// A property value of any JSON scalar type, as text (`true` → `yes`); `null` is absent.
struct Scalar(Option<String>);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(Some(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(Some(if v { "yes" } else { "no" }.into())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A GeoJSON position `[lon, lat, …]` (extra dimensions are ignored).
struct Position([f64; 2]);

impl<'de> Deserialize<'de> for Position {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Position;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a position [longitude, latitude]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Position, A::Error> {
                let lon: f64 = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let lat: f64 = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(1, &self))?;
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(Position([lon, lat]))
            }
        }
        d.deserialize_seq(V)
    }
}

/// What one feature contributes.
enum Outcome {
    Lines { lines: Vec<Vec<[f64; 2]>>, attrs: RoadAttrs, notes: Vec<(String, String)> },
    Skipped { field: Option<&'static str>, message: String },
    NotDriving(String),
    Errors(Vec<(Option<&'static str>, ErrorCode, String)>),
}

fn parse_feature(raw: &RawValue) -> Outcome {
    let feature: RawFeature = match serde_json::from_str(raw.get()) {
        Ok(f) => f,
        Err(e) => return Outcome::Errors(vec![(None, ErrorCode::BadValue, format!("not a GeoJSON feature: {e}"))]),
    };
    let Some(geometry) = feature.geometry.filter(|g| g.get().trim() != "null") else {
        return Outcome::Skipped { field: Some("geometry"), message: "the geometry is null; feature skipped".into() };
    };
    let geometry: RawGeometry = match serde_json::from_str(geometry.get()) {
        Ok(g) => g,
        Err(e) => {
            return Outcome::Errors(vec![(
                Some("geometry"),
                ErrorCode::BadGeometry,
                format!("unreadable geometry: {e}"),
            )]);
        }
    };
    let Some(coordinates) = geometry.coordinates else {
        return Outcome::Skipped {
            field: Some("geometry"),
            message: format!("the {} has no coordinates; feature skipped", geometry.kind),
        };
    };
    let parsed = match geometry.kind.as_str() {
        "LineString" => serde_json::from_str::<Vec<Position>>(coordinates.get()).map(|l| vec![l]),
        "MultiLineString" => serde_json::from_str::<Vec<Vec<Position>>>(coordinates.get()),
        other => {
            return Outcome::Skipped {
                field: Some("geometry"),
                message: format!(
                    "the geometry is a {other}; only LineString and MultiLineString are roads; feature skipped"
                ),
            };
        }
    };
    let parts = match parsed {
        Ok(p) => p,
        Err(e) => {
            return Outcome::Errors(vec![(
                Some("geometry"),
                ErrorCode::BadGeometry,
                format!("unreadable {} coordinates: {e}", geometry.kind),
            )]);
        }
    };
    let mut errors = Vec::new();
    for (pi, part) in parts.iter().enumerate() {
        if let Some((vi, p)) = part.iter().enumerate().find(|(_, p)| !in_range(p.0)) {
            let place = if parts.len() > 1 { format!("line {pi}, position {vi}") } else { format!("position {vi}") };
            errors.push((
                Some("geometry"),
                ErrorCode::OutOfRange,
                format!(
                    "{place} [{}, {}] is not a WGS84 longitude/latitude (expected lon in -180..180, lat in -90..90; projected coordinates?)",
                    p.0[0], p.0[1]
                ),
            ));
        }
    }
    if !errors.is_empty() {
        return Outcome::Errors(errors);
    }
    let lines: Vec<Vec<[f64; 2]>> =
        parts.into_iter().filter(|p| p.len() >= 2).map(|p| p.into_iter().map(|q| q.0).collect()).collect();
    if lines.is_empty() {
        return Outcome::Skipped {
            field: Some("geometry"),
            message: format!("the {} is empty (fewer than two positions); feature skipped", geometry.kind),
        };
    }
    let props = feature.properties.unwrap_or_default();
    let s = |v: &Option<Scalar>| v.as_ref().and_then(|s| s.0.clone());
    let owned = [
        s(&props.highway),
        s(&props.maxspeed),
        s(&props.oneway),
        s(&props.junction),
        s(&props.access),
        s(&props.motor_vehicle),
        s(&props.motorcar),
        s(&props.area),
    ];
    let tags = WayTags {
        highway: owned[0].as_deref(),
        maxspeed: owned[1].as_deref(),
        oneway: owned[2].as_deref(),
        junction: owned[3].as_deref(),
        access: owned[4].as_deref(),
        motor_vehicle: owned[5].as_deref(),
        motorcar: owned[6].as_deref(),
        area: owned[7].as_deref(),
    };
    match classify(&tags, Some(CLASS_WHEN_MISSING)) {
        Classified::Road { attrs, notes } => {
            let notes =
                notes.into_iter().map(|n| (n.split('=').next().unwrap_or("properties").to_string(), n)).collect();
            Outcome::Lines { lines, attrs, notes }
        }
        Classified::NotDriving(reason) => Outcome::NotDriving(reason),
    }
}

/// Parses GeoJSON bytes; `file` names the source in messages. Features that
/// are not driving roads are skipped with a warning.
///
/// # Errors
///
/// Not UTF-8 or not a GeoJSON FeatureCollection, every malformed feature
/// (bad geometry, coordinates out of range) with its index, or no driving road
/// at all (the warnings are then included).
pub fn parse_geojson(bytes: &[u8], file: &Path) -> Result<RoadsRead, InputErrors> {
    let mut problems = Problems::new(file);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.strip_prefix('\u{feff}').unwrap_or(t),
        Err(e) => {
            problems.push(Location::File, ErrorCode::WrongFormat, format!("not a GeoJSON file (not UTF-8 text: {e})"));
            return problems.fail();
        }
    };
    let top: TopLevel = match serde_json::from_str(text) {
        Ok(t) => t,
        Err(e) => {
            let code = if e.is_eof() { ErrorCode::Truncated } else { ErrorCode::WrongFormat };
            let what = if e.is_eof() { "the GeoJSON ends too early" } else { "not valid GeoJSON" };
            problems.push(Location::Line(e.line()), code, format!("{what}: {e}"));
            return problems.fail();
        }
    };
    let features = match (top.kind.as_deref(), top.features) {
        (Some("FeatureCollection"), Some(f)) => f,
        (kind, _) => {
            problems.push(
                Location::File,
                ErrorCode::WrongFormat,
                format!(
                    "expected a GeoJSON FeatureCollection of road lines, found {}",
                    kind.map(|k| format!("type `{k}`")).unwrap_or_else(|| "no `type`".into())
                ),
            );
            return problems.fail();
        }
    };
    let outcomes: Vec<Outcome> = features.par_iter().map(|f| parse_feature(f)).collect();
    let mut warnings = Vec::new();
    let mut not_driving: BTreeMap<String, usize> = BTreeMap::new();
    let positions: usize = outcomes
        .iter()
        .map(|o| if let Outcome::Lines { lines, .. } = o { lines.iter().map(|l| l.len()).sum() } else { 0 })
        .sum();
    let mut builder = GraphBuilder::with_capacity(positions / 2 + 16, positions);
    for (i, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Outcome::Lines { lines, attrs, notes } => {
                for (field, note) in notes {
                    warnings.push(InputError::new(file, Location::Feature(i), ErrorCode::BadValue, note).field(field));
                }
                if problems.is_empty() {
                    for line in &lines {
                        builder.add_line(line, attrs);
                    }
                }
            }
            Outcome::Skipped { field, message } => {
                let mut w = InputError::new(file, Location::Feature(i), ErrorCode::BadGeometry, message);
                if let Some(f) = field {
                    w = w.field(f);
                }
                warnings.push(w);
            }
            Outcome::NotDriving(reason) => *not_driving.entry(reason).or_default() += 1,
            Outcome::Errors(errs) => {
                for (field, code, message) in errs {
                    match field {
                        Some(f) => problems.push_field(Location::Feature(i), f, code, message),
                        None => problems.push(Location::Feature(i), code, message),
                    }
                }
            }
        }
    }
    if !not_driving.is_empty() {
        let total: usize = not_driving.values().sum();
        let detail: Vec<String> = not_driving.iter().map(|(r, n)| format!("{r}: {n}")).collect();
        warnings.push(InputError::new(
            file,
            Location::File,
            ErrorCode::BadValue,
            format!("{total} features are not driving roads and were skipped ({})", detail.join("; ")),
        ));
    }
    if !problems.is_empty() {
        return problems.fail();
    }
    let graph = builder.build();
    if graph.node_count() == 0 {
        problems.push(
            Location::File,
            ErrorCode::BadGeometry,
            format!("no driving road lines were found among {} features", features.len()),
        );
        let mut all = problems.fail::<RoadsRead>().unwrap_err();
        all.0.extend(warnings);
        return Err(all);
    }
    Ok(RoadsRead { graph, warnings, format: RoadFormat::GeoJson, peak_memory_bytes: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RoadsRead, InputErrors> {
        parse_geojson(text.as_bytes(), Path::new("roads.geojson"))
    }

    #[test]
    fn reads_lines_and_multilines_with_properties() {
        let r = parse(
            r#"{"type":"FeatureCollection","features":[
              {"type":"Feature","properties":{"highway":"primary","maxspeed":"90","name":"A"},
               "geometry":{"type":"LineString","coordinates":[[67.0,48.0],[67.1,48.0,250.0]]}},
              {"type":"Feature","properties":{"oneway":true,"maxspeed":40},
               "geometry":{"type":"MultiLineString","coordinates":[[[67.1,48.0],[67.1,48.1]],[[67.1,48.1],[67.2,48.1]]]}}
            ]}"#,
        )
        .unwrap();
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        let s = r.graph.summary();
        assert_eq!((s.nodes, s.edges, s.arcs, s.components), (4, 3, 4, 1));
        let speeds: Vec<f64> =
            r.graph.segments().iter().map(|s| (s.km / s.minutes * 60.0 * 1e3).round() / 1e3).collect();
        assert_eq!(speeds, vec![90.0, 40.0, 40.0]);
    }

    #[test]
    fn polygons_empty_and_null_geometries_are_skipped_with_warnings() {
        let r = parse(
            r#"{"type":"FeatureCollection","features":[
              {"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[67,48],[67.1,48],[67,48.1],[67,48]]]}},
              {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[]}},
              {"type":"Feature","properties":{},"geometry":null},
              {"type":"Feature","properties":{"highway":"footway"},"geometry":{"type":"LineString","coordinates":[[67,48],[67.1,48]]}},
              {"type":"Feature","properties":{"maxspeed":"fast"},"geometry":{"type":"LineString","coordinates":[[67,48],[67.1,48]]}}
            ]}"#,
        )
        .unwrap();
        let text: Vec<String> = r.warnings.iter().map(|w| w.to_string()).collect();
        assert!(text[0].contains("feature 0: field `geometry`: the geometry is a Polygon"), "{text:?}");
        assert!(text[1].contains("feature 1") && text[1].contains("empty"), "{text:?}");
        assert!(text[2].contains("feature 2") && text[2].contains("null"), "{text:?}");
        assert!(text.iter().any(|t| t.contains("feature 4: field `maxspeed`")), "{text:?}");
        assert!(text.iter().any(|t| t.contains("1 features are not driving roads")), "{text:?}");
        assert_eq!(r.graph.summary().edges, 1);
    }

    #[test]
    fn out_of_range_coordinates_are_errors_naming_the_feature() {
        let err = parse(
            r#"{"type":"FeatureCollection","features":[
              {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[67,48],[67.1,48]]}},
              {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[7458000.0,6100000.0],[67.1,48]]}},
              {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[67,"x"],[67.1,48]]}}
            ]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("feature 1: field `geometry`: position 0 [7458000, 6100000] is not a WGS84"), "{err}");
        assert!(err.contains("[E-RANGE]"), "{err}");
        assert!(err.contains("feature 2: field `geometry`: unreadable LineString coordinates"), "{err}");
    }

    #[test]
    fn wrong_or_truncated_documents_are_refused() {
        let e = parse(r#"{"type":"Feature","geometry":null}"#).unwrap_err().to_string();
        assert!(e.contains("expected a GeoJSON FeatureCollection"), "{e}");
        let e = parse(r#"{"type":"FeatureCollection","features":[{"type":"Feat"#).unwrap_err().to_string();
        assert!(e.contains("E-TRUNCATED"), "{e}");
        let e = parse(r#"{"type":"FeatureCollection","features":[]}"#).unwrap_err().to_string();
        assert!(e.contains("no driving road lines"), "{e}");
    }
}
