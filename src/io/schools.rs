//! Reader for the schools CSV (`id,name,district,lat,lon,students` plus
//! optional `kind,hub,hub_cost_kzt,capacity_small_schools`).
//!
//! Extra columns are allowed and ignored. Which columns are required depends on
//! the use: computing distances needs only `id,lat,lon` (and `hub` to know the
//! candidates); planning needs all six required columns.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{ErrorCode, InputErrors, Location, Problems};

/// How a school may serve as a hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HubStatus {
    /// Already an equipped hub: stays open, costs nothing.
    Existing,
    /// May be opened as a new hub.
    Candidate,
    /// Can never be a hub.
    No,
}

impl HubStatus {
    /// The value as written in the `hub` column.
    pub fn as_str(self) -> &'static str {
        match self {
            HubStatus::Existing => "existing",
            HubStatus::Candidate => "candidate",
            HubStatus::No => "no",
        }
    }
}

/// Whether a school is small (eligible for linking to a hub) or regular.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SchoolKind {
    /// Few students: may be linked to a hub for shared lessons.
    Small,
    /// Large enough to run its own lessons; never linked.
    Regular,
}

/// One row of the schools CSV after field-level validation.
#[derive(Debug, Clone, PartialEq)]
pub struct SchoolRow {
    /// 1-based data row (the header is row 0).
    pub row: usize,
    /// Unique school id.
    pub id: String,
    /// Display name; `None` when the column is absent or empty.
    pub name: Option<String>,
    /// District (raion) name; `None` when absent or empty.
    pub district: Option<String>,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Enrolled students; `None` when absent or empty.
    pub students: Option<u32>,
    /// `None`: decided by the scenario from the number of students.
    pub kind: Option<SchoolKind>,
    /// `None`: decided by the scenario from the number of students.
    pub hub: Option<HubStatus>,
    /// Cost of equipping it as a hub, KZT; `None`: the scenario's default.
    pub hub_cost_kzt: Option<f64>,
    /// Most small schools it can serve as a hub; `None`: no limit of its own.
    pub capacity_small_schools: Option<u32>,
    /// Enrolment projections from `students_<year>` columns, by year
    /// ascending; a year whose cell is empty is left out.
    pub students_by_year: Vec<(i32, u32)>,
}

/// What the schools file is read for; decides which columns are required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchoolsUse {
    /// `id,lat,lon` required (for road-distance tables).
    Distances,
    /// `id,name,district,lat,lon,students` required (for hub planning).
    Planning,
    /// As `Planning`, but a row's `district` may be empty: it is filled from
    /// district boundaries by the caller.
    PlanningDistrictsFromMap,
}

impl SchoolsUse {
    fn required(self) -> &'static [&'static str] {
        match self {
            SchoolsUse::Distances => &["id", "lat", "lon"],
            SchoolsUse::Planning | SchoolsUse::PlanningDistrictsFromMap => {
                &["id", "name", "district", "lat", "lon", "students"]
            }
        }
    }

    /// The columns whose values may not be empty.
    fn required_values(self) -> &'static [&'static str] {
        match self {
            SchoolsUse::PlanningDistrictsFromMap => &["id", "name", "lat", "lon", "students"],
            other => other.required(),
        }
    }
}

/// The columns hubplan reads; anything else in the file is ignored.
pub const KNOWN_COLUMNS: &[&str] =
    &["id", "name", "district", "lat", "lon", "students", "kind", "hub", "hub_cost_kzt", "capacity_small_schools"];

/// Reads and validates a schools CSV file, reporting every problem found.
///
/// # Errors
///
/// The file cannot be read, or [`parse_schools`] rejects it.
pub fn read_schools(path: &Path, usage: SchoolsUse) -> Result<Vec<SchoolRow>, InputErrors> {
    let mut problems = Problems::new(path);
    let text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            problems.push(Location::File, ErrorCode::Unreadable, format!("cannot read the schools file: {e}"));
            return problems.fail();
        }
    };
    parse_schools(&text, usage, problems)
}

/// Parses schools CSV bytes; `problems` names the file in messages.
///
/// # Errors
///
/// Every problem found, each with its row and column: a missing required
/// column or value, a malformed number, coordinates out of range, a duplicate
/// id, an unknown `kind` or `hub` value, or a header without rows.
pub fn parse_schools(bytes: &[u8], usage: SchoolsUse, mut problems: Problems) -> Result<Vec<SchoolRow>, InputErrors> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(bytes);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            problems.push(Location::Line(1), ErrorCode::WrongFormat, format!("cannot read the CSV header: {e}"));
            return problems.fail();
        }
    };
    let mut column: HashMap<&str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if let Some(known) = KNOWN_COLUMNS.iter().find(|k| **k == h) {
            column.entry(known).or_insert(i);
        }
    }
    // `students_<year>` columns: enrolment projections for a rollout.
    let mut year_columns: Vec<(i32, usize, String)> = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        if let Some(rest) = h.strip_prefix("students_") {
            // Other `students_…` columns (`students_from`) are not projections.
            if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            match rest.parse::<i32>() {
                Ok(y) if (1900..=2200).contains(&y) => year_columns.push((y, i, h.to_string())),
                _ => problems.push_field(
                    Location::Line(1),
                    h,
                    ErrorCode::BadValue,
                    format!(
                        "a `students_<year>` column needs a calendar year (1900–2200) after `students_`, found `{rest}`"
                    ),
                ),
            }
        }
    }
    year_columns.sort();
    for w in year_columns.windows(2) {
        if w[0].0 == w[1].0 {
            problems.push_field(Location::Line(1), &w[1].2, ErrorCode::DuplicateId, "this year's column appears twice");
        }
    }
    for req in usage.required() {
        if !column.contains_key(req) {
            problems.push_field(
                Location::Line(1),
                req,
                ErrorCode::MissingField,
                format!(
                    "required column `{req}` is missing from the header (found: {})",
                    headers.iter().collect::<Vec<_>>().join(",")
                ),
            );
        }
    }
    if !problems.is_empty() {
        return problems.fail();
    }
    let required = usage.required_values();
    let mut rows = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 1;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(Location::Row(row), ErrorCode::WrongFormat, format!("unreadable CSV row: {e}"));
                continue;
            }
        };
        let get =
            |name: &str| -> Option<&str> { column.get(name).and_then(|&c| record.get(c)).filter(|s| !s.is_empty()) };
        let mut ok = true;
        let mut need = |name: &str, problems: &mut Problems| -> Option<String> {
            match get(name) {
                Some(v) => Some(v.to_string()),
                None => {
                    if required.contains(&name) {
                        problems.push_field(Location::Row(row), name, ErrorCode::MissingField, "value is empty");
                        ok = false;
                    }
                    None
                }
            }
        };
        let id = need("id", &mut problems);
        let name = need("name", &mut problems);
        let district = need("district", &mut problems);
        let lat_s = need("lat", &mut problems);
        let lon_s = need("lon", &mut problems);
        let students_s = need("students", &mut problems);
        let lat = lat_s.and_then(|s| parse_number(&s, "lat", row, -90.0, 90.0, &mut problems));
        let lon = lon_s.and_then(|s| parse_number(&s, "lon", row, -180.0, 180.0, &mut problems));
        let students = students_s.and_then(|s| parse_count(&s, "students", row, &mut problems));
        let kind = get("kind").and_then(|s| match s.to_ascii_lowercase().as_str() {
            "small" => Some(SchoolKind::Small),
            "regular" => Some(SchoolKind::Regular),
            other => {
                problems.push_field(
                    Location::Row(row),
                    "kind",
                    ErrorCode::BadValue,
                    format!("expected `small` or `regular`, found `{other}`"),
                );
                None
            }
        });
        let hub = get("hub").and_then(|s| match s.to_ascii_lowercase().as_str() {
            "existing" => Some(HubStatus::Existing),
            "candidate" => Some(HubStatus::Candidate),
            "no" => Some(HubStatus::No),
            other => {
                problems.push_field(
                    Location::Row(row),
                    "hub",
                    ErrorCode::BadValue,
                    format!("expected `existing`, `candidate` or `no`, found `{other}`"),
                );
                None
            }
        });
        let hub_cost_kzt =
            get("hub_cost_kzt").and_then(|s| parse_number(s, "hub_cost_kzt", row, 0.0, f64::MAX, &mut problems));
        let capacity_small_schools =
            get("capacity_small_schools").and_then(|s| parse_count(s, "capacity_small_schools", row, &mut problems));
        let mut students_by_year = Vec::new();
        for (y, c, name) in &year_columns {
            if let Some(v) = record.get(*c).filter(|v| !v.is_empty())
                && let Some(n) = parse_count(v, name, row, &mut problems)
            {
                students_by_year.push((*y, n));
            }
        }
        if let Some(id) = &id
            && let Some(first) = seen.insert(id.clone(), row)
        {
            problems.push_field(
                Location::Row(row),
                "id",
                ErrorCode::DuplicateId,
                format!("school id `{id}` already used on row {first}"),
            );
        }
        if let (true, Some(id), Some(lat), Some(lon)) = (ok, id, lat, lon) {
            rows.push(SchoolRow {
                row,
                id,
                name,
                district,
                lat,
                lon,
                students,
                kind,
                hub,
                hub_cost_kzt,
                capacity_small_schools,
                students_by_year,
            });
        }
    }
    if rows.is_empty() && problems.is_empty() {
        problems.push(Location::File, ErrorCode::Truncated, "the schools file has a header but no rows");
    }
    problems.finish(rows)
}

fn parse_number(s: &str, field: &str, row: usize, min: f64, max: f64, problems: &mut Problems) -> Option<f64> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= min && v <= max => Some(v),
        Ok(v) => {
            let range = if max == f64::MAX { format!("at least {min}") } else { format!("between {min} and {max}") };
            problems.push_field(
                Location::Row(row),
                field,
                ErrorCode::OutOfRange,
                format!("{v} is out of range: expected {range}"),
            );
            None
        }
        Err(_) => {
            problems.push_field(
                Location::Row(row),
                field,
                ErrorCode::BadValue,
                format!("expected a number, found `{s}`"),
            );
            None
        }
    }
}

fn parse_count(s: &str, field: &str, row: usize, problems: &mut Problems) -> Option<u32> {
    match s.parse::<u32>() {
        Ok(v) => Some(v),
        Err(_) => {
            // Accept integral floats such as `120.0` written by spreadsheets.
            match s.parse::<f64>() {
                Ok(v) if v >= 0.0 && v.fract() == 0.0 && v <= u32::MAX as f64 => Some(v as u32),
                _ => {
                    problems.push_field(
                        Location::Row(row),
                        field,
                        ErrorCode::BadValue,
                        format!("expected a whole number ≥ 0, found `{s}`"),
                    );
                    None
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn students_by_year_columns_are_read_and_checked() {
        let text = "id,name,district,lat,lon,students,students_2026,students_2025,students_from\n\
                    a,A,D,48,57,100,90,95,census\n\
                    b,B,D,48,57,50,,55,x\n\
                    c,C,D,48,57,50,many,55,x\n";
        let e = parse_schools(text.as_bytes(), SchoolsUse::Planning, Problems::new(Path::new("s.csv"))).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("row 3") && msg.contains("students_2026"), "{msg}");
        let ok = text.lines().take(3).collect::<Vec<_>>().join("\n");
        let rows = parse_schools(ok.as_bytes(), SchoolsUse::Planning, Problems::new(Path::new("s.csv"))).unwrap();
        assert_eq!(rows[0].students_by_year, vec![(2025, 95), (2026, 90)]);
        assert_eq!(rows[1].students_by_year, vec![(2025, 55)]);
        let bad = "id,name,district,lat,lon,students,students_99999\na,A,D,48,57,100,90\n";
        let e = parse_schools(bad.as_bytes(), SchoolsUse::Planning, Problems::new(Path::new("s.csv"))).unwrap_err();
        assert!(e.to_string().contains("students_99999"), "{e}");
    }

    fn parse(text: &str, usage: SchoolsUse) -> Result<Vec<SchoolRow>, InputErrors> {
        parse_schools(text.as_bytes(), usage, Problems::new(Path::new("schools.csv")))
    }

    #[test]
    fn reads_full_planning_schema_with_extra_columns() {
        let rows = parse(
            "\u{feff}id,name,district,lat,lon,students,kind,hub,hub_cost_kzt,capacity_small_schools,note\n\
             s1,School 1,Alga,50.2,57.1,420,regular,candidate,250000000,12,x\n\
             s2,School 2,Alga,50.3,57.2,35,small,no,,,\n",
            SchoolsUse::Planning,
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].hub, Some(HubStatus::Candidate));
        assert_eq!(rows[0].capacity_small_schools, Some(12));
        assert_eq!(rows[1].kind, Some(SchoolKind::Small));
        assert_eq!(rows[1].hub_cost_kzt, None);
    }

    #[test]
    fn distances_need_only_id_and_coordinates() {
        let rows = parse("id,lat,lon,hub\na,50,57,existing\n", SchoolsUse::Distances).unwrap();
        assert_eq!(rows[0].hub, Some(HubStatus::Existing));
        let err = parse("id,lat,lon,hub\na,50,57,existing\n", SchoolsUse::Planning).unwrap_err();
        assert!(err.to_string().contains("`name`"), "{err}");
    }

    #[test]
    fn every_bad_field_is_reported_with_row_and_field() {
        let err = parse(
            "id,name,district,lat,lon,students,hub\n\
             a,A,D,95,57,10,candidate\n\
             b,B,D,50,,10,maybe\n\
             a,C,D,50,57,ten,no\n",
            SchoolsUse::Planning,
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("row 1 (line 2): field `lat`"), "{text}");
        assert!(text.contains("row 2 (line 3): field `lon`: value is empty"), "{text}");
        assert!(text.contains("field `hub`: expected `existing`"), "{text}");
        assert!(text.contains("school id `a` already used on row 1"), "{text}");
        assert!(text.contains("field `students`: expected a whole number"), "{text}");
    }

    #[test]
    fn header_only_is_an_error() {
        let err = parse("id,lat,lon\n", SchoolsUse::Distances).unwrap_err();
        assert!(err.to_string().contains("no rows"));
    }
}
