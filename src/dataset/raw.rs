//! Readers for the raw open-data files the datasets are built from.
//!
//! Each reader validates what it needs and reports every problem with the
//! file, the row or feature, the field and a stable code (see [`crate::error`]).
//! Columns or properties a reader does not need are ignored.

use std::collections::HashMap;
use std::path::Path;

use geo::{MultiPolygon, Polygon};

use crate::error::{ErrorCode, InputErrors, Location, Problems};

/// OpenStreetMap `place=*` classes, largest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Place {
    /// `place=city`.
    City,
    /// `place=town`.
    Town,
    /// `place=village`.
    Village,
    /// `place=hamlet`.
    Hamlet,
    /// `place=isolated_dwelling`: a farmstead or a few houses.
    IsolatedDwelling,
}

impl Place {
    /// The class for an OSM tag value; `None` for other values (`suburb`, `locality`).
    pub fn parse(s: &str) -> Option<Place> {
        Some(match s {
            "city" => Place::City,
            "town" => Place::Town,
            "village" => Place::Village,
            "hamlet" => Place::Hamlet,
            "isolated_dwelling" => Place::IsolatedDwelling,
            _ => return None,
        })
    }

    /// The OSM tag value.
    pub fn as_str(self) -> &'static str {
        match self {
            Place::City => "city",
            Place::Town => "town",
            Place::Village => "village",
            Place::Hamlet => "hamlet",
            Place::IsolatedDwelling => "isolated_dwelling",
        }
    }
}

/// One OpenStreetMap settlement point (HOT export CSV).
#[derive(Debug, Clone, PartialEq)]
pub struct OsmPlace {
    /// OpenStreetMap node id.
    pub osm_id: u64,
    /// The `place` class.
    pub place: Place,
    /// `name` (empty when untagged).
    pub name: String,
    /// `name:ru` (empty when untagged).
    pub name_ru: String,
    /// `name:kk` (empty when untagged).
    pub name_kk: String,
    /// `name:en` (empty when untagged).
    pub name_en: String,
    /// The `population` tag when present and positive.
    pub population: Option<u32>,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
}

impl OsmPlace {
    /// All non-empty names of the place.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        [self.name.as_str(), self.name_ru.as_str(), self.name_kk.as_str(), self.name_en.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
    }

    /// The name shown in outputs: the OSM `name`, else `name:ru`, `name:kk`, `name:en`.
    pub fn display_name(&self) -> Option<&str> {
        self.names().next()
    }
}

/// One row of the KATO classifier (`id;parent_id;code;name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KatoEntry {
    /// The 9-digit KATO code.
    pub code: String,
    /// The Russian name with its type prefix, e.g. `с.Кобда`, `Алгинский район`.
    pub name: String,
}

/// Settlement types read from a KATO name prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KatoKind {
    /// `г.` (город): a city or town.
    City,
    /// `с.` (село): a village.
    Village,
    /// `п.` or `пос.` (посёлок): a settlement.
    Settlement,
    /// `ст.` (станция): a railway station.
    Station,
    /// `рзд` (разъезд): a railway siding.
    Siding,
    /// Any other prefix, or none (districts, regions).
    Other,
}

impl KatoEntry {
    /// The district (second-level unit) code: the first four digits and `00000`.
    pub fn district_code(&self) -> String {
        format!("{}00000", &self.code[..4])
    }

    /// The region code: the first two digits and `0000000`.
    pub fn region_code(&self) -> String {
        format!("{}0000000", &self.code[..2])
    }

    /// Whether this row is a second-level unit (raion, city administration or city district).
    pub fn is_district(&self) -> bool {
        &self.code[4..] == "00000" && &self.code[2..4] != "00"
    }

    /// The settlement type from the name prefix.
    pub fn kind(&self) -> KatoKind {
        let n = self.name.as_str();
        if n.starts_with("г.") && !n.starts_with("г.а.") {
            KatoKind::City
        } else if n.starts_with("с.") && !n.starts_with("с.о.") {
            KatoKind::Village
        } else if n.starts_with("п.") || n.starts_with("пос.") {
            KatoKind::Settlement
        } else if n.starts_with("ст.") {
            KatoKind::Station
        } else if n.starts_with("рзд") {
            KatoKind::Siding
        } else {
            KatoKind::Other
        }
    }

    /// A main-level settlement: the code ends in `x00` (not `000`), or a city
    /// coded at the okrug level (ends in `000` with a `г.` prefix).
    ///
    /// Sub-settlements (livestock points, winter camps, sidings written one
    /// level lower) end in anything else.
    pub fn is_main_settlement(&self) -> bool {
        let tail = &self.code[6..];
        if self.is_district() || &self.code[2..] == "0000000" {
            return false;
        }
        if tail == "000" {
            return self.kind() == KatoKind::City;
        }
        tail.ends_with("00")
    }
}

/// One GeoNames `cities500` row (only the fields used).
#[derive(Debug, Clone, PartialEq)]
pub struct GeoName {
    /// GeoNames id.
    pub geonameid: u64,
    /// Name in local script (often Russian or Kazakh).
    pub name: String,
    /// The name in plain ASCII.
    pub asciiname: String,
    /// Other names and spellings, any language.
    pub alternatenames: Vec<String>,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// GeoNames feature code: `PPLA` seat of a region, `PPLA2` seat of a district, `PPL` other, ….
    pub feature_code: String,
    /// Inhabitants; `None` when 0 or missing.
    pub population: Option<u32>,
}

impl GeoName {
    /// The name, the ASCII name and every alternate name, in that order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str())
            .chain(std::iter::once(self.asciiname.as_str()))
            .chain(self.alternatenames.iter().map(|s| s.as_str()))
    }
}

/// One second-level boundary polygon (geokz / OCHA COD-AB).
#[derive(Debug, Clone, PartialEq)]
pub struct Boundary {
    /// `KATO`: 9-digit KATO code of the unit.
    pub kato: String,
    /// `ADM2_PCODE`: OCHA P-code of the unit.
    pub pcode: String,
    /// `ADM2_EN`: English name.
    pub name_en: String,
    /// `ADM2_RU`: Russian name (empty when missing).
    pub name_ru: String,
    /// `ADM2_KK`: Kazakh name (empty when missing).
    pub name_kk: String,
    /// `ADM1_PCODE`: OCHA P-code of the region.
    pub region_pcode: String,
    /// `ADM1_EN`: English name of the region.
    pub region_en: String,
    /// The polygons, `[lon, lat]` WGS84 degrees.
    pub geometry: MultiPolygon<f64>,
}

/// One regional (first-level) administrative centre.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionCentre {
    /// `KATO`: 9-digit KATO code of the centre.
    pub kato: String,
    /// `NAME_EN`: English name.
    pub name_en: String,
    /// `ADM1_PCODE`: OCHA P-code of its region.
    pub region_pcode: String,
    /// `TYPE_CNT1`: 1 capital, 2 city of republican significance, 3 regional centre, 4 other.
    pub kind: u8,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
}

fn read_bytes(path: &Path, what: &str) -> Result<Vec<u8>, InputErrors> {
    std::fs::read(path).map_err(|e| {
        let mut p = Problems::new(path);
        p.push(Location::File, ErrorCode::Unreadable, format!("cannot read the {what}: {e}"));
        p.fail::<()>().unwrap_err()
    })
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes)
}

/// Finds required columns in a CSV header; reports each missing one.
fn columns(
    headers: &csv::StringRecord,
    required: &[&'static str],
    problems: &mut Problems,
) -> HashMap<&'static str, usize> {
    let mut found = HashMap::new();
    for req in required {
        match headers.iter().position(|h| h == *req) {
            Some(i) => {
                found.insert(*req, i);
            }
            None => problems.push_field(
                Location::Line(1),
                req,
                ErrorCode::MissingField,
                format!("required column `{req}` is missing from the header"),
            ),
        }
    }
    found
}

fn parse_coord(s: &str, field: &str, at: Location, min: f64, max: f64, problems: &mut Problems) -> Option<f64> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (min..=max).contains(&v) => Some(v),
        Ok(v) => {
            problems.push_field(
                at,
                field,
                ErrorCode::OutOfRange,
                format!("{v} is out of range: expected between {min} and {max}"),
            );
            None
        }
        Err(_) => {
            problems.push_field(at, field, ErrorCode::BadValue, format!("expected a number, found `{s}`"));
            None
        }
    }
}

/// Reads the OpenStreetMap settlements CSV (`kaz_populated_places_with_adm2.csv`).
///
/// Required columns: `osm_id, place, name, name_ru, name_kk, name_en,
/// population_osm, lon, lat`. The `adm*` columns of the file are not used:
/// districts are assigned again by point-in-polygon.
///
/// # Errors
///
/// The file cannot be read, or [`parse_osm_places`] rejects it.
pub fn read_osm_places(path: &Path) -> Result<Vec<OsmPlace>, InputErrors> {
    let bytes = read_bytes(path, "OpenStreetMap places file")?;
    parse_osm_places(&bytes, Problems::new(path))
}

/// Parses OpenStreetMap settlements CSV bytes; `problems` names the file.
///
/// # Errors
///
/// Every problem found, each with its row and field: a missing column, an
/// unreadable row, a malformed id, place class or coordinate.
pub fn parse_osm_places(bytes: &[u8], mut problems: Problems) -> Result<Vec<OsmPlace>, InputErrors> {
    let mut reader = csv::ReaderBuilder::new().from_reader(strip_bom(bytes));
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            problems.push(Location::Line(1), ErrorCode::WrongFormat, format!("cannot read the CSV header: {e}"));
            return problems.fail();
        }
    };
    let col = columns(
        &headers,
        &["osm_id", "place", "name", "name_ru", "name_kk", "name_en", "population_osm", "lon", "lat"],
        &mut problems,
    );
    if !problems.is_empty() {
        return problems.fail();
    }
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let row = i + 1;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                problems.push(Location::Row(row), ErrorCode::WrongFormat, format!("unreadable CSV row: {e}"));
                continue;
            }
        };
        let get = |c: &str| rec.get(col[c]).unwrap_or("").trim();
        let osm_id = match get("osm_id").parse::<u64>() {
            Ok(v) => Some(v),
            Err(_) => {
                problems.push_field(
                    Location::Row(row),
                    "osm_id",
                    ErrorCode::BadValue,
                    format!("expected a whole number, found `{}`", get("osm_id")),
                );
                None
            }
        };
        let place = Place::parse(get("place"));
        if place.is_none() {
            problems.push_field(
                Location::Row(row),
                "place",
                ErrorCode::BadValue,
                format!("expected city, town, village, hamlet or isolated_dwelling, found `{}`", get("place")),
            );
        }
        let population = match get("population_osm") {
            "" => None,
            s => match s.parse::<u32>() {
                Ok(0) => None,
                Ok(v) => Some(v),
                Err(_) => {
                    problems.push_field(
                        Location::Row(row),
                        "population_osm",
                        ErrorCode::BadValue,
                        format!("expected a whole number, found `{s}`"),
                    );
                    None
                }
            },
        };
        let lon = parse_coord(get("lon"), "lon", Location::Row(row), -180.0, 180.0, &mut problems);
        let lat = parse_coord(get("lat"), "lat", Location::Row(row), -90.0, 90.0, &mut problems);
        if let (Some(osm_id), Some(place), Some(lon), Some(lat)) = (osm_id, place, lon, lat) {
            out.push(OsmPlace {
                osm_id,
                place,
                name: get("name").to_string(),
                name_ru: get("name_ru").to_string(),
                name_kk: get("name_kk").to_string(),
                name_en: get("name_en").to_string(),
                population,
                lon,
                lat,
            });
        }
    }
    problems.finish(out)
}

/// Reads the KATO classifier as published (`id;parent_id;code;name`, `;`-separated, UTF-8 with BOM).
///
/// # Errors
///
/// The file cannot be read, or [`parse_kato`] rejects it.
pub fn read_kato(path: &Path) -> Result<Vec<KatoEntry>, InputErrors> {
    let bytes = read_bytes(path, "KATO classifier")?;
    parse_kato(&bytes, Problems::new(path))
}

/// Parses KATO classifier bytes; `problems` names the file.
///
/// # Errors
///
/// Every problem found, each with its row and field: an unreadable row, a
/// code that is not 9 digits, an empty name.
pub fn parse_kato(bytes: &[u8], mut problems: Problems) -> Result<Vec<KatoEntry>, InputErrors> {
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').flexible(true).from_reader(strip_bom(bytes));
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            problems.push(Location::Line(1), ErrorCode::WrongFormat, format!("cannot read the CSV header: {e}"));
            return problems.fail();
        }
    };
    let col = columns(&headers, &["code", "name"], &mut problems);
    if !problems.is_empty() {
        return problems.fail();
    }
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let row = i + 1;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                problems.push(Location::Row(row), ErrorCode::WrongFormat, format!("unreadable CSV row: {e}"));
                continue;
            }
        };
        let code = rec.get(col["code"]).unwrap_or("").trim();
        let name = rec.get(col["name"]).unwrap_or("").trim();
        if code.len() != 9 || !code.bytes().all(|b| b.is_ascii_digit()) {
            problems.push_field(
                Location::Row(row),
                "code",
                ErrorCode::BadValue,
                format!("expected a 9-digit KATO code, found `{code}`"),
            );
            continue;
        }
        if name.is_empty() {
            problems.push_field(Location::Row(row), "name", ErrorCode::MissingField, "value is empty");
            continue;
        }
        out.push(KatoEntry { code: code.to_string(), name: name.to_string() });
    }
    problems.finish(out)
}

/// Reads GeoNames `cities500` rows (tab-separated, 19 columns, no header).
///
/// # Errors
///
/// The file cannot be read, or [`parse_geonames`] rejects it.
pub fn read_geonames(path: &Path) -> Result<Vec<GeoName>, InputErrors> {
    let bytes = read_bytes(path, "GeoNames file")?;
    parse_geonames(&bytes, Problems::new(path))
}

/// Parses GeoNames bytes; `problems` names the file. Rows are numbered as lines.
///
/// # Errors
///
/// Not UTF-8, or every malformed row with its line: too few columns, a
/// malformed id or coordinate.
pub fn parse_geonames(bytes: &[u8], mut problems: Problems) -> Result<Vec<GeoName>, InputErrors> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            problems.push(Location::File, ErrorCode::WrongFormat, format!("not UTF-8 text: {e}"));
            return problems.fail();
        }
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let ln = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 15 {
            problems.push(
                Location::Line(ln),
                ErrorCode::WrongFormat,
                format!("expected 19 tab-separated GeoNames columns, found {}", f.len()),
            );
            continue;
        }
        let id = f[0].parse::<u64>().ok();
        if id.is_none() {
            problems.push_field(Location::Line(ln), "geonameid", ErrorCode::BadValue, format!("found `{}`", f[0]));
        }
        let lat = parse_coord(f[4], "latitude", Location::Line(ln), -90.0, 90.0, &mut problems);
        let lon = parse_coord(f[5], "longitude", Location::Line(ln), -180.0, 180.0, &mut problems);
        let population = match f[14].trim() {
            "" => None,
            s => match s.parse::<u64>() {
                Ok(0) => None,
                Ok(v) => Some(v.min(u32::MAX as u64) as u32),
                Err(_) => {
                    problems.push_field(
                        Location::Line(ln),
                        "population",
                        ErrorCode::BadValue,
                        format!("expected a whole number, found `{s}`"),
                    );
                    None
                }
            },
        };
        if let (Some(geonameid), Some(lat), Some(lon)) = (id, lat, lon) {
            out.push(GeoName {
                geonameid,
                name: f[1].to_string(),
                asciiname: f[2].to_string(),
                alternatenames: f[3].split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
                lat,
                lon,
                feature_code: f[7].to_string(),
                population,
            });
        }
    }
    problems.finish(out)
}

fn read_feature_collection(path: &Path, what: &str) -> Result<(geojson::FeatureCollection, Problems), InputErrors> {
    let bytes = read_bytes(path, what)?;
    let mut problems = Problems::new(path);
    let text = String::from_utf8_lossy(&bytes);
    match text.parse::<geojson::GeoJson>() {
        Ok(geojson::GeoJson::FeatureCollection(fc)) => Ok((fc, problems)),
        Ok(_) => {
            problems.push(Location::File, ErrorCode::WrongFormat, "expected a GeoJSON FeatureCollection");
            problems.fail()
        }
        Err(e) => {
            problems.push(Location::File, ErrorCode::WrongFormat, format!("not valid GeoJSON: {e}"));
            problems.fail()
        }
    }
}

fn string_property(
    f: &geojson::Feature,
    key: &str,
    i: usize,
    required: bool,
    problems: &mut Problems,
) -> Option<String> {
    match f.property(key) {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(serde_json::Value::Null) | None => {
            if required {
                problems.push_field(Location::Feature(i), key, ErrorCode::MissingField, "property is missing");
            }
            None
        }
        Some(other) => {
            problems.push_field(
                Location::Feature(i),
                key,
                ErrorCode::BadValue,
                format!("expected a string, found {other}"),
            );
            None
        }
    }
}

fn rings_valid(mp: &MultiPolygon<f64>) -> bool {
    mp.0.iter().all(|p| {
        p.exterior().0.len() >= 4
            && p.exterior().0.iter().chain(p.interiors().iter().flat_map(|r| r.0.iter())).all(|c| {
                c.x.is_finite() && c.y.is_finite() && (-180.0..=180.0).contains(&c.x) && (-90.0..=90.0).contains(&c.y)
            })
    })
}

/// Reads the second-level boundaries (`kaz_adm2_2024.geojson`): Polygon or
/// MultiPolygon features with `KATO, ADM2_PCODE, ADM2_EN, ADM2_RU, ADM2_KK,
/// ADM1_PCODE, ADM1_EN`.
///
/// # Errors
///
/// The file cannot be read or is not a FeatureCollection, or every feature
/// with a missing property or unusable geometry.
pub fn read_boundaries(path: &Path) -> Result<Vec<Boundary>, InputErrors> {
    let (fc, mut problems) = read_feature_collection(path, "boundaries file")?;
    let mut out = Vec::new();
    for (i, f) in fc.features.iter().enumerate() {
        let kato = string_property(f, "KATO", i, true, &mut problems);
        let pcode = string_property(f, "ADM2_PCODE", i, true, &mut problems);
        let name_en = string_property(f, "ADM2_EN", i, true, &mut problems);
        let name_ru = string_property(f, "ADM2_RU", i, false, &mut problems).unwrap_or_default();
        let name_kk = string_property(f, "ADM2_KK", i, false, &mut problems).unwrap_or_default();
        let region_pcode = string_property(f, "ADM1_PCODE", i, true, &mut problems);
        let region_en = string_property(f, "ADM1_EN", i, true, &mut problems);
        let geometry = match f.geometry.as_ref().map(|g| &g.value) {
            Some(v @ geojson::Value::Polygon(_)) => {
                Polygon::<f64>::try_from(v.clone()).ok().map(|p| MultiPolygon(vec![p]))
            }
            Some(v @ geojson::Value::MultiPolygon(_)) => MultiPolygon::<f64>::try_from(v.clone()).ok(),
            Some(_) => {
                problems.push_field(
                    Location::Feature(i),
                    "geometry",
                    ErrorCode::BadGeometry,
                    "expected a Polygon or MultiPolygon",
                );
                None
            }
            None => {
                problems.push_field(
                    Location::Feature(i),
                    "geometry",
                    ErrorCode::BadGeometry,
                    "the feature has no geometry",
                );
                None
            }
        };
        let geometry = match geometry {
            Some(g) if !g.0.is_empty() && rings_valid(&g) => Some(g),
            Some(_) => {
                problems.push_field(
                    Location::Feature(i),
                    "geometry",
                    ErrorCode::BadGeometry,
                    "empty polygon, a ring with fewer than 4 positions, or a coordinate outside WGS84 range",
                );
                None
            }
            None => None,
        };
        if let Some(k) = &kato
            && (k.len() != 9 || !k.bytes().all(|b| b.is_ascii_digit()))
        {
            problems.push_field(
                Location::Feature(i),
                "KATO",
                ErrorCode::BadValue,
                format!("expected a 9-digit code, found `{k}`"),
            );
            continue;
        }
        if let (Some(kato), Some(pcode), Some(name_en), Some(region_pcode), Some(region_en), Some(geometry)) =
            (kato, pcode, name_en, region_pcode, region_en, geometry)
        {
            out.push(Boundary { kato, pcode, name_en, name_ru, name_kk, region_pcode, region_en, geometry });
        }
    }
    problems.finish(out)
}

/// Reads the regional centres (`kaz_adm1_centers_2022.geojson`): Point
/// features with `KATO, NAME_EN, ADM1_PCODE, TYPE_CNT1`.
///
/// # Errors
///
/// The file cannot be read or is not a FeatureCollection, or every feature
/// with a missing property or a geometry that is not a point.
pub fn read_region_centres(path: &Path) -> Result<Vec<RegionCentre>, InputErrors> {
    let (fc, mut problems) = read_feature_collection(path, "regional centres file")?;
    let mut out = Vec::new();
    for (i, f) in fc.features.iter().enumerate() {
        let kato = string_property(f, "KATO", i, true, &mut problems);
        let name_en = string_property(f, "NAME_EN", i, true, &mut problems);
        let region_pcode = string_property(f, "ADM1_PCODE", i, true, &mut problems);
        let kind = match f.property("TYPE_CNT1").and_then(|v| v.as_u64()) {
            Some(k) if k <= 9 => Some(k as u8),
            _ => {
                problems.push_field(
                    Location::Feature(i),
                    "TYPE_CNT1",
                    ErrorCode::BadValue,
                    "expected a small whole number",
                );
                None
            }
        };
        let point = match f.geometry.as_ref().map(|g| &g.value) {
            Some(geojson::Value::Point(c))
                if c.len() >= 2 && (-180.0..=180.0).contains(&c[0]) && (-90.0..=90.0).contains(&c[1]) =>
            {
                Some((c[0], c[1]))
            }
            _ => {
                problems.push_field(
                    Location::Feature(i),
                    "geometry",
                    ErrorCode::BadGeometry,
                    "expected a Point with WGS84 longitude and latitude",
                );
                None
            }
        };
        if let (Some(kato), Some(name_en), Some(region_pcode), Some(kind), Some((lon, lat))) =
            (kato, name_en, region_pcode, kind, point)
        {
            out.push(RegionCentre { kato, name_en, region_pcode, kind, lon, lat });
        }
    }
    problems.finish(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn osm(text: &str) -> Result<Vec<OsmPlace>, InputErrors> {
        parse_osm_places(text.as_bytes(), Problems::new(Path::new("places.csv")))
    }

    const HEADER: &str = "osm_type,osm_id,place,name,name_ru,name_kk,name_en,population_osm,lon,lat\n";

    #[test]
    fn osm_rows_are_read_and_zero_population_is_unknown() {
        let rows = osm(&format!(
            "{HEADER}nodes,1,town,Алға,Алга,Алға,Alga,22798,57.33,49.89\nnodes,2,hamlet,,,,,0,57.0,49.0\n"
        ))
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].population, Some(22798));
        assert_eq!(rows[0].display_name(), Some("Алға"));
        assert_eq!(rows[1].population, None);
        assert_eq!(rows[1].display_name(), None);
    }

    #[test]
    fn bad_osm_rows_name_row_and_field() {
        let err = osm(&format!(
            "{HEADER}nodes,x,town,A,,,,,57,49\nnodes,2,metropolis,B,,,,,57,49\nnodes,3,village,C,,,,12a,200,49\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("places.csv: row 1 (line 2): field `osm_id`"), "{err}");
        assert!(err.contains("row 2 (line 3): field `place`: expected city"), "{err}");
        assert!(err.contains("row 3 (line 4): field `population_osm`"), "{err}");
        assert!(err.contains("row 3 (line 4): field `lon`: 200 is out of range"), "{err}");
        let err = osm("osm_id,place,lon\n1,town,5\n").unwrap_err().to_string();
        assert!(err.contains("required column `lat`"), "{err}");
    }

    #[test]
    fn kato_main_settlements_and_codes() {
        let rows = parse_kato(
            "\u{feff}id;parent_id;code;name\n1;0;150000000;Актюбинская область\n2;1;153200000;Алгинский район\n\
             3;2;153220100;г.Алга\n4;2;153233000;Бескоспинский с.о.\n5;4;153233100;с.Есет батыра Кокиулы\n\
             6;5;153233102;точка Кусем\n7;1;151010000;г.Актобе\n"
                .as_bytes(),
            Problems::new(Path::new("kato.csv")),
        )
        .unwrap();
        let main: Vec<&str> = rows.iter().filter(|r| r.is_main_settlement()).map(|r| r.name.as_str()).collect();
        assert_eq!(main, ["г.Алга", "с.Есет батыра Кокиулы", "г.Актобе"]);
        assert!(rows[1].is_district());
        assert_eq!(rows[2].district_code(), "153200000");
        assert_eq!(rows[2].kind(), KatoKind::City);
        let err = parse_kato("id;parent_id;code;name\n1;0;15;X\n".as_bytes(), Problems::new(Path::new("kato.csv")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("kato.csv: row 1 (line 2): field `code`: expected a 9-digit KATO code"), "{err}");
    }

    #[test]
    fn geonames_bad_line_is_named() {
        let good = "608867\tMartuk\tMartuk\tMartok,Мартук\t50.74746\t56.50611\tP\tPPLA2\tKZ\t\t04\t\t\t\t7756\t\t200\tAsia/Aqtobe\t2020-01-01\n";
        let rows = parse_geonames(good.as_bytes(), Problems::new(Path::new("g.txt"))).unwrap();
        assert_eq!(rows[0].population, Some(7756));
        assert!(rows[0].names().any(|n| n == "Мартук"));
        let bad = good.replace("50.74746", "north");
        let err = parse_geonames(bad.as_bytes(), Problems::new(Path::new("g.txt"))).unwrap_err().to_string();
        assert!(err.contains("g.txt: line 1: field `latitude`: expected a number"), "{err}");
    }
}
