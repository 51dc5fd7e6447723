//! Deterministic writers: the same data always gives the same bytes (fixed
//! decimals, sorted rows and features, one feature per line, no maps with
//! random iteration order).

use std::fmt::Write as _;

use geo::MultiPolygon;

use super::districts::District;
use super::roads::Road;
use super::schools::School;
use crate::io::schools::HubStatus;

/// Columns of the written `schools.csv`: the planning schema first, then provenance.
pub const SCHOOL_COLUMNS: &[&str] = &[
    "id",
    "name",
    "district",
    "lat",
    "lon",
    "students",
    "kind",
    "hub",
    "hub_cost_kzt",
    "capacity_small_schools",
    "internet",
    "rural",
    "district_centre",
    "settlement",
    "settlement_id",
    "place",
    "students_from",
    "synthetic",
];

/// A coordinate with `decimals` places, never `-0.000…`.
pub fn coord(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.starts_with('-') && s[1..].bytes().all(|b| b == b'0' || b == b'.') { s[1..].to_string() } else { s }
}

/// A JSON string literal.
pub fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("strings always serialise")
}

/// The schools as CSV bytes (UTF-8, header row, `\n` line ends).
pub fn schools_csv(schools: &[School], districts: &[District]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    w.write_record(SCHOOL_COLUMNS).expect("writing to memory");
    for s in schools {
        let students = s.students.to_string();
        let lat = coord(s.lat, 6);
        let lon = coord(s.lon, 6);
        let settlement_id = s.settlement_id.to_string();
        w.write_record([
            s.id.as_str(),
            s.name.as_str(),
            districts[s.district].name.as_str(),
            lat.as_str(),
            lon.as_str(),
            students.as_str(),
            if s.small { "small" } else { "regular" },
            s.hub.as_str(),
            "",
            "",
            s.internet.as_str(),
            if s.rural { "yes" } else { "no" },
            if s.district_centre { "yes" } else { "no" },
            s.settlement.as_str(),
            settlement_id.as_str(),
            s.place.as_str(),
            s.students_from.as_str(),
            "yes",
        ])
        .expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// Per-district counts written into `districts.geojson`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DistrictCounts {
    /// Schools in the district.
    pub schools: usize,
    /// Small schools among them.
    pub small_schools: usize,
    /// Hub candidates among them.
    pub candidates: usize,
    /// Name of the district's administrative centre.
    pub centre: String,
}

/// Counts per district index.
pub fn district_counts(schools: &[School], districts: &[District], centres: &[String]) -> Vec<DistrictCounts> {
    let mut out: Vec<DistrictCounts> =
        (0..districts.len()).map(|i| DistrictCounts { centre: centres[i].clone(), ..Default::default() }).collect();
    for s in schools {
        let c = &mut out[s.district];
        c.schools += 1;
        c.small_schools += s.small as usize;
        c.candidates += (s.hub == HubStatus::Candidate) as usize;
    }
    out
}

fn ring_json(out: &mut String, ring: &geo::LineString<f64>, decimals: usize) {
    out.push('[');
    for (k, c) in ring.0.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        let _ = write!(out, "[{},{}]", coord(c.x, decimals), coord(c.y, decimals));
    }
    out.push(']');
}

/// A MultiPolygon (written as a Polygon when it has one part) as GeoJSON geometry.
pub fn polygon_geometry(mp: &MultiPolygon<f64>, decimals: usize) -> String {
    let mut out = String::new();
    let poly = |out: &mut String, p: &geo::Polygon<f64>| {
        out.push('[');
        ring_json(out, p.exterior(), decimals);
        for r in p.interiors() {
            out.push(',');
            ring_json(out, r, decimals);
        }
        out.push(']');
    };
    if mp.0.len() == 1 {
        out.push_str("{\"type\":\"Polygon\",\"coordinates\":");
        poly(&mut out, &mp.0[0]);
    } else {
        out.push_str("{\"type\":\"MultiPolygon\",\"coordinates\":[");
        for (k, p) in mp.0.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            poly(&mut out, p);
        }
        out.push(']');
    }
    out.push('}');
    out
}

/// A FeatureCollection with a top-level `metadata` member (a foreign member,
/// RFC 7946 §6.1) and one feature per line.
pub fn feature_collection(metadata_json: &str, features: &[String]) -> Vec<u8> {
    let mut out = String::with_capacity(features.iter().map(|f| f.len() + 2).sum::<usize>() + metadata_json.len() + 64);
    out.push_str("{\"type\":\"FeatureCollection\",\n\"metadata\":");
    out.push_str(metadata_json);
    out.push_str(",\n\"features\":[\n");
    for (k, f) in features.iter().enumerate() {
        out.push_str(f);
        if k + 1 < features.len() {
            out.push(',');
        }
        out.push('\n');
    }
    out.push_str("]}\n");
    out.into_bytes()
}

/// District features: `name` (the `district` column of schools.csv) and provenance properties.
pub fn district_features(districts: &[District], counts: &[DistrictCounts], decimals: usize) -> Vec<String> {
    districts
        .iter()
        .zip(counts)
        .map(|(d, c)| {
            format!(
                "{{\"type\":\"Feature\",\"properties\":{{\"name\":{},\"kato\":{},\"pcode\":{},\"name_en\":{},\"name_ru\":{},\"name_kk\":{},\"region\":{},\"kind\":{},\"centre\":{},\"schools\":{},\"small_schools\":{},\"hub_candidates\":{}}},\"geometry\":{}}}",
                json_str(&d.name),
                json_str(&d.kato),
                json_str(&d.pcode),
                json_str(&d.name_en),
                json_str(&d.name_ru),
                json_str(&d.name_kk),
                json_str(&d.region),
                json_str(d.kind.as_str()),
                json_str(&c.centre),
                c.schools,
                c.small_schools,
                c.candidates,
                polygon_geometry(&d.geometry, decimals)
            )
        })
        .collect()
}

/// Road features (`highway`, `maxspeed`, `proxy: true`, `detour`), coordinates with `decimals` places.
/// Consecutive vertices equal after rounding are written once; a road left with one vertex is skipped.
pub fn road_features(roads: &[Road], decimals: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(roads.len());
    for r in roads {
        let mut pts: Vec<(String, String)> = Vec::with_capacity(r.coords.len());
        for &(lon, lat) in &r.coords {
            let p = (coord(lon, decimals), coord(lat, decimals));
            if pts.last() != Some(&p) {
                pts.push(p);
            }
        }
        if pts.len() < 2 {
            continue;
        }
        let mut f = format!(
            "{{\"type\":\"Feature\",\"properties\":{{\"highway\":\"{}\",\"maxspeed\":{},\"proxy\":true,\"detour\":{:.3}}},\"geometry\":{{\"type\":\"LineString\",\"coordinates\":[",
            r.class.as_str(),
            r.class.maxspeed_kmh(),
            r.detour
        );
        for (k, (x, y)) in pts.iter().enumerate() {
            if k > 0 {
                f.push(',');
            }
            let _ = write!(f, "[{x},{y}]");
        }
        f.push_str("]}}");
        out.push(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_are_fixed_and_never_negative_zero() {
        assert_eq!(coord(57.1234567, 6), "57.123457");
        assert_eq!(coord(-0.0000001, 6), "0.000000");
        assert_eq!(coord(-1.5, 2), "-1.50");
    }

    #[test]
    fn feature_collection_is_valid_geojson() {
        let bytes =
            feature_collection("{\"a\":1}", &["{\"type\":\"Feature\",\"properties\":{},\"geometry\":null}".into()]);
        let g: geojson::GeoJson = String::from_utf8(bytes).unwrap().parse().unwrap();
        match g {
            geojson::GeoJson::FeatureCollection(fc) => {
                assert_eq!(fc.features.len(), 1);
                assert!(fc.foreign_members.unwrap().contains_key("metadata"));
            }
            _ => panic!("not a collection"),
        }
    }
}
