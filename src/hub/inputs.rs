//! Reading a scenario's data: the schools (with kind and hub status resolved
//! by the scenario's rules), the district boundaries, and the distance table.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use geo::{Contains, MultiPolygon, Point};

use super::PlanError;
use super::checks::{CheckFiles, DataWarning, check_locations};
use super::scenario::LoadedScenario;
use crate::error::{ErrorCode, InputError, InputErrors, Location, Problems};
use crate::io::schools::{CsvDialect, HubStatus, SchoolKind, SchoolsFormat, SchoolsUse, read_schools_file};
use crate::network::progress::Progress;
use crate::network::{DistanceOptions, DistanceTable, Metric, SchoolPoint, distance_table_cached};

/// A school as the planning model sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct School {
    /// School id from the schools file (unique).
    pub id: String,
    /// Display name (the id when the file gives none).
    pub name: String,
    /// District name: the file's `district` value, else the district boundary containing the school.
    pub district: String,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Enrolled students (0 when the file gives none).
    pub students: u32,
    /// Eligible to be linked to a hub.
    pub small: bool,
    /// Whether it is an existing hub, a hub candidate or neither, after the scenario's rules
    /// (`data.existing_hubs`, `hubs.min_students`) are applied.
    pub hub: HubStatus,
    /// Cost of making it a hub, KZT.
    pub hub_cost_kzt: f64,
    /// Its own limit on linked small schools, if it has one.
    pub capacity_small_schools: Option<u32>,
    /// Already has its room (listed in `data.equipped_schools`): linking it costs no room.
    pub equipped: bool,
    /// Its row in the schools file: a CSV data row (the header is row 0), or
    /// the sheet's own row number ([`SchoolsFormat::location`] places it).
    pub row: usize,
    /// Enrolment projections (`students_<year>` columns), year ascending.
    pub students_by_year: Vec<(i32, u32)>,
    /// Its internet connection (the `internet` column).
    pub internet: crate::io::schools::Internet,
    /// Its own teacher hours a year for linked small schools, when it is a
    /// hub (the `teacher_hours_per_year` column; overrides the scenario's).
    pub teacher_hours_per_year: Option<f64>,
}

/// Schools are indexed by their [`SchoolIdx`](crate::network::SchoolIdx).
impl std::ops::Index<crate::network::SchoolIdx> for [School] {
    type Output = School;
    fn index(&self, i: crate::network::SchoolIdx) -> &School {
        &self[i.index()]
    }
}

impl School {
    /// Students in `year`: its projection, else `students`.
    pub fn students_in(&self, year: i32) -> u32 {
        self.students_by_year.iter().find(|(y, _)| *y == year).map_or(self.students, |p| p.1)
    }
}

/// A district boundary.
#[derive(Debug, Clone)]
pub struct DistrictShape {
    /// District name, as used in the schools file's `district` column.
    pub name: String,
    /// The boundary, WGS84 lon/lat.
    pub shape: MultiPolygon<f64>,
}

/// Absolute paths of everything a plan was made from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InputPaths {
    /// The scenario file.
    pub scenario: PathBuf,
    /// The schools file (`data.schools`), CSV or spreadsheet.
    pub schools: PathBuf,
    /// The sheet read of a spreadsheet schools file (`data.schools_sheet`); `None`: the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schools_sheet: Option<String>,
    /// The road layer (`data.roads`); `None`: distances are straight lines × `links.detour_factor`.
    pub roads: Option<PathBuf>,
    /// The district boundaries (`data.districts`); `None` when the scenario names none.
    pub districts: Option<PathBuf>,
    /// The existing-hubs list (`data.existing_hubs`); `None` when the scenario names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing_hubs: Option<PathBuf>,
    /// The equipped-schools list (`data.equipped_schools`); `None` when the scenario names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equipped_schools: Option<PathBuf>,
}

/// The data of one scenario, ready for the model.
pub struct Inputs {
    /// Every school of the schools file, in file order, with kind and hub status resolved.
    pub schools: Vec<School>,
    /// The district boundaries, when the scenario names a districts file.
    pub districts: Option<Vec<DistrictShape>>,
    /// Absolute paths of the files read.
    pub paths: InputPaths,
    /// Road km and minutes from every existing hub and hub candidate to the schools within the
    /// link radius.
    pub table: DistanceTable,
    /// The table came from the on-disk cache.
    pub table_from_cache: bool,
    /// The cache entry read or written; `None` without a cache folder or when it could not be written.
    pub cache_file: Option<PathBuf>,
    /// Warnings from reading the road file (replayed from the cache on a hit).
    pub road_warnings: Vec<String>,
    /// How the schools file was read (its CSV dialect or its sheet).
    pub schools_format: SchoolsFormat,
    /// What the checks of the schools' points found (see [`check_locations`]).
    pub warnings: Vec<DataWarning>,
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The paths a scenario names, resolved against its file.
pub fn input_paths(loaded: &LoadedScenario) -> InputPaths {
    let d = &loaded.scenario.data;
    InputPaths {
        scenario: absolute(&loaded.file),
        schools: absolute(&loaded.resolve(&d.schools)),
        schools_sheet: d.schools_sheet.clone(),
        roads: d.roads.as_ref().map(|p| absolute(&loaded.resolve(p))),
        districts: d.districts.as_ref().map(|p| absolute(&loaded.resolve(p))),
        existing_hubs: d.existing_hubs.as_ref().map(|p| absolute(&loaded.resolve(p))),
        equipped_schools: d.equipped_schools.as_ref().map(|p| absolute(&loaded.resolve(p))),
    }
}

/// Schools, district boundaries (if given) and the resolved input paths.
pub type SchoolsRead = (Vec<School>, Option<Vec<DistrictShape>>, InputPaths);

/// The schools of a scenario read, checked and resolved, with what was
/// found on the way.
#[derive(Debug, Clone)]
pub struct SchoolsData {
    /// Every school, in file order, with kind and hub status resolved.
    pub schools: Vec<School>,
    /// The district boundaries, when the scenario names a districts file.
    pub districts: Option<Vec<DistrictShape>>,
    /// Absolute paths of the files read.
    pub paths: InputPaths,
    /// How the schools file was read.
    pub format: SchoolsFormat,
    /// What the checks of the schools' points found.
    pub warnings: Vec<DataWarning>,
}

/// Reads the schools and districts of a scenario (no distances yet).
pub fn read_schools_and_districts(loaded: &LoadedScenario) -> Result<SchoolsRead, PlanError> {
    read_schools_data(loaded).map(|d| (d.schools, d.districts, d.paths))
}

/// Reads the schools (CSV or spreadsheet, sheet `data.schools_sheet`) and
/// districts of a scenario, checks the schools' points against the
/// districts ([`check_locations`]) and resolves them by the scenario's rules.
pub fn read_schools_data(loaded: &LoadedScenario) -> Result<SchoolsData, PlanError> {
    let paths = input_paths(loaded);
    let s = &loaded.scenario;
    let districts = paths.districts.as_deref().map(read_districts).transpose()?;
    let usage = if districts.is_some() { SchoolsUse::PlanningDistrictsFromMap } else { SchoolsUse::Planning };
    let file = read_schools_file(&paths.schools, paths.schools_sheet.as_deref(), usage)?;
    let files = CheckFiles { schools: &paths.schools, format: &file.format, districts: paths.districts.as_deref() };
    let warnings = check_locations(&file.rows, districts.as_deref(), &files)?;
    let rows = file.rows;
    let existing = match &paths.existing_hubs {
        Some(f) => Some(read_id_list(f, &rows, "the existing-hubs list", &["school_id", "id"])?),
        None => None,
    };
    let equipped = match &paths.equipped_schools {
        Some(f) => read_id_list(f, &rows, "the equipped-schools list", &["small_school_id", "school_id", "id"])?,
        None => Default::default(),
    };
    let schools = resolve_schools(s, rows, districts.as_deref(), existing.as_ref(), &equipped, &paths, &file.format)?;
    Ok(SchoolsData { schools, districts, paths, format: file.format, warnings })
}

/// The inputs of a plan held in memory: `rows` (as [`parse_schools`]
/// gives them, or built by the caller) resolved by the scenario's rules,
/// districts from each row's `district`, and straight-line distances ×
/// `links.detour_factor` (the scenario's data files are not read). Rows are
/// checked as the schools file would be: ids present and unique,
/// coordinates on the globe, a district on every row.
///
/// [`parse_schools`]: crate::io::schools::parse_schools
pub fn inputs_in_memory(
    loaded: &LoadedScenario,
    rows: Vec<crate::io::schools::SchoolRow>,
    progress: &dyn Progress,
) -> Result<Inputs, PlanError> {
    let paths = InputPaths {
        scenario: loaded.file.clone(),
        schools: PathBuf::from("schools (in memory)"),
        schools_sheet: None,
        roads: None,
        districts: None,
        existing_hubs: None,
        equipped_schools: None,
    };
    let mut problems = Problems::new(&paths.schools);
    let mut seen = std::collections::HashSet::new();
    for r in &rows {
        let at = Location::Row(r.row);
        if r.id.trim().is_empty() {
            problems.push_field(at.clone(), "id", ErrorCode::MissingField, "empty school id");
        } else if !seen.insert(r.id.as_str()) {
            problems.push_field(at.clone(), "id", ErrorCode::DuplicateId, format!("school `{}` is listed twice", r.id));
        }
        for (field, v, max) in [("lat", r.lat, 90.0), ("lon", r.lon, 180.0)] {
            if !(v.is_finite() && (-max..=max).contains(&v)) {
                let msg = format!("{v} is out of range: expected between {} and {max}", -max);
                problems.push_field(at.clone(), field, ErrorCode::OutOfRange, msg);
            }
        }
    }
    problems.finish(())?;
    let format = SchoolsFormat::Csv(CsvDialect::default());
    let files = CheckFiles { schools: &paths.schools, format: &format, districts: None };
    let warnings = check_locations(&rows, None, &files)?;
    let schools = resolve_schools(&loaded.scenario, rows, None, None, &Default::default(), &paths, &format)?;
    let points = school_points(&schools);
    let table = crate::network::distance_table(&points, None, &distance_options(loaded), progress)?;
    Ok(Inputs {
        schools,
        districts: None,
        paths,
        table,
        table_from_cache: false,
        cache_file: None,
        road_warnings: Vec::new(),
        schools_format: format,
        warnings,
    })
}

/// The schools as the model sees them, from the rows read: each row's
/// district (its own, else the boundary its point lies in), hub status
/// (listed in `existing`, its `hub` value, else `hubs.min_students`), kind
/// (its `kind`, else `small_schools.max_students`), hub cost and room.
/// Problems name `paths.schools` and the row, placed by `format`.
fn resolve_schools(
    s: &super::Scenario,
    rows: Vec<crate::io::schools::SchoolRow>,
    districts: Option<&[DistrictShape]>,
    existing: Option<&std::collections::HashSet<String>>,
    equipped: &std::collections::HashSet<String>,
    paths: &InputPaths,
    format: &SchoolsFormat,
) -> Result<Vec<School>, PlanError> {
    let mut schools = Vec::with_capacity(rows.len());
    let mut problems = Vec::new();
    if let Some(rollout) = &s.rollout {
        let mut years: Vec<i32> = rows.iter().flat_map(|r| r.students_by_year.iter().map(|p| p.0)).collect();
        years.sort_unstable();
        years.dedup();
        for y in years.into_iter().filter(|y| !rollout.years.contains(y)) {
            problems.push(
                InputError::new(
                    &paths.schools,
                    Location::Line(1),
                    ErrorCode::Inconsistent,
                    format!("column `students_{y}`: {y} is not one of `rollout.years` {:?}", rollout.years),
                )
                .field(format!("students_{y}")),
            );
        }
    }
    for r in rows {
        let students = r.students.unwrap_or(0);
        let district = match (r.district, districts) {
            (Some(d), _) => d,
            (None, Some(shapes)) => {
                let p = Point::new(r.lon, r.lat);
                match shapes.iter().find(|d| d.shape.contains(&p)) {
                    Some(d) => d.name.clone(),
                    None => {
                        problems.push(
                            InputError::new(
                                &paths.schools,
                                format.location(r.row),
                                ErrorCode::MissingField,
                                format!(
                                    "school `{}` has no district and its point ({}, {}) lies in no district of {}",
                                    r.id,
                                    r.lat,
                                    r.lon,
                                    paths.districts.as_deref().unwrap_or(Path::new("")).display()
                                ),
                            )
                            .field("district"),
                        );
                        continue;
                    }
                }
            }
            (None, None) => {
                problems.push(
                    InputError::new(
                        &paths.schools,
                        format.location(r.row),
                        ErrorCode::MissingField,
                        format!("school `{}` has no district, and there are no district boundaries", r.id),
                    )
                    .field("district"),
                );
                continue;
            }
        };
        let listed = existing.is_some_and(|ids| ids.contains(r.id.as_str()));
        let has_room = equipped.contains(r.id.as_str());
        let hub = if listed {
            HubStatus::Existing
        } else {
            r.hub.unwrap_or(if students >= s.hubs.min_students { HubStatus::Candidate } else { HubStatus::No })
        };
        let small = match r.kind {
            Some(SchoolKind::Small) => true,
            Some(SchoolKind::Regular) => false,
            None => students < s.small_schools.max_students,
        } && hub != HubStatus::Existing;
        schools.push(School {
            name: r.name.unwrap_or_else(|| r.id.clone()),
            id: r.id,
            district,
            lat: r.lat,
            lon: r.lon,
            students,
            small,
            hub,
            hub_cost_kzt: r.hub_cost_kzt.unwrap_or(s.hubs.cost_kzt),
            capacity_small_schools: r.capacity_small_schools,
            equipped: has_room,
            row: r.row,
            students_by_year: r.students_by_year,
            internet: r.internet,
            teacher_hours_per_year: r.teacher_hours_per_year,
        });
    }
    if !problems.is_empty() {
        return Err(PlanError::Input(InputErrors(problems)));
    }
    Ok(schools)
}

/// Reads a list of school ids: a CSV whose first column named in `columns`
/// (in that order of preference) names schools of `rows` (`what` names the
/// list in messages). Unknown and repeated ids are errors.
fn read_id_list(
    file: &Path,
    rows: &[crate::io::schools::SchoolRow],
    what: &str,
    columns: &[&str],
) -> Result<std::collections::HashSet<String>, PlanError> {
    let fail = |loc: Location, code: ErrorCode, msg: String, field: Option<&str>| {
        let mut e = InputError::new(file, loc, code, msg);
        if let Some(f) = field {
            e = e.field(f);
        }
        PlanError::Input(InputErrors(vec![e]))
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(file)
        .map_err(|e| fail(Location::File, ErrorCode::Unreadable, format!("cannot read {what}: {e}"), None))?;
    let headers = reader
        .headers()
        .map_err(|e| fail(Location::File, ErrorCode::Unreadable, format!("cannot read the header: {e}"), None))?
        .clone();
    let col = columns.iter().find_map(|c| headers.iter().position(|h| h.trim() == *c));
    let Some(col) = col else {
        let names: Vec<String> = columns.iter().map(|c| format!("`{c}`")).collect();
        return Err(fail(
            Location::Line(1),
            ErrorCode::MissingField,
            format!("the header of {what} has no {} column", names.join(" or ")),
            Some(columns[0]),
        ));
    };
    let known: std::collections::HashSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut ids = std::collections::HashSet::new();
    let mut problems = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let row = i + 1;
        let rec = rec.map_err(|e| fail(Location::Row(row), ErrorCode::BadValue, e.to_string(), None))?;
        let id = rec.get(col).unwrap_or("").trim();
        let field = &headers[col];
        if id.is_empty() {
            problems.push(
                InputError::new(file, Location::Row(row), ErrorCode::MissingField, "empty school id").field(field),
            );
        } else if !known.contains(id) {
            problems.push(
                InputError::new(
                    file,
                    Location::Row(row),
                    ErrorCode::UnknownId,
                    format!("no school `{id}` in the schools file"),
                )
                .field(field),
            );
        } else if !ids.insert(id.to_string()) {
            problems.push(
                InputError::new(
                    file,
                    Location::Row(row),
                    ErrorCode::DuplicateId,
                    format!("school `{id}` is listed twice"),
                )
                .field(field),
            );
        }
    }
    if !problems.is_empty() {
        return Err(PlanError::Input(InputErrors(problems)));
    }
    Ok(ids)
}

/// Reads the schools, the districts and the distance table of a scenario.
///
/// With `cache_dir`, the distance table goes through the on-disk cache.
pub fn read_inputs(
    loaded: &LoadedScenario,
    cache_dir: Option<&Path>,
    progress: &dyn Progress,
) -> Result<Inputs, PlanError> {
    let SchoolsData { schools, districts, paths, format, warnings } = read_schools_data(loaded)?;
    let points = school_points(&schools);
    let run = distance_table_cached(&points, paths.roads.as_deref(), &distance_options(loaded), cache_dir, progress)?;
    Ok(Inputs {
        schools,
        districts,
        paths,
        table: run.table,
        table_from_cache: run.from_cache,
        cache_file: run.cache_file,
        road_warnings: run.road_warnings,
        schools_format: format,
        warnings,
    })
}

/// The points the distance table is computed between: every school, with
/// its hub status.
pub fn school_points(schools: &[School]) -> Vec<SchoolPoint> {
    schools.iter().map(|s| SchoolPoint { id: s.id.clone(), lon: s.lon, lat: s.lat, hub: s.hub }).collect()
}

/// The distance-table options a scenario implies.
pub fn distance_options(loaded: &LoadedScenario) -> DistanceOptions {
    let s = &loaded.scenario;
    DistanceOptions {
        metric: Metric::Km,
        // The longest reach of any road mode (links.max_road_km without modes).
        max_km: Some(
            s.links
                .modes
                .iter()
                .filter(|m| m.reach == super::scenario::Reach::Road)
                .filter_map(|m| m.max_road_km)
                .fold(s.links.max_road_km, f64::max),
        ),
        max_minutes: None,
        snap_limit_km: s.links.snap_limit_km,
        detour_factor: s.links.detour_factor,
        threads: s.solver.threads,
        ..DistanceOptions::default()
    }
}

/// Reads district boundaries: a GeoJSON FeatureCollection of Polygon or
/// MultiPolygon features, each with a `name` property. Every bad feature is
/// reported at once.
pub fn read_districts(path: &Path) -> Result<Vec<DistrictShape>, InputErrors> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_districts(&text, path),
        Err(e) => {
            let mut problems = Problems::new(path);
            problems.push(Location::File, ErrorCode::Unreadable, format!("cannot read the districts file: {e}"));
            problems.fail()
        }
    }
}

/// [`read_districts`] on text held in memory; `path` names it in problems.
pub fn parse_districts(text: &str, path: &Path) -> Result<Vec<DistrictShape>, InputErrors> {
    let mut problems = Problems::new(path);
    let fc = match text.parse::<geojson::GeoJson>() {
        Ok(geojson::GeoJson::FeatureCollection(fc)) => fc,
        Ok(_) => {
            problems.push(Location::File, ErrorCode::WrongFormat, "expected a GeoJSON FeatureCollection");
            return problems.fail();
        }
        Err(e) => {
            problems.push(Location::File, ErrorCode::WrongFormat, format!("not valid GeoJSON: {e}"));
            return problems.fail();
        }
    };
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, f) in fc.features.iter().enumerate() {
        let at = Location::Feature(i);
        let name = match f.property("name") {
            Some(serde_json::Value::String(n)) => n.clone(),
            Some(v) if !v.is_null() => {
                problems.push_field(
                    at,
                    "name",
                    ErrorCode::BadValue,
                    format!("expected the district's name as text, found {v}"),
                );
                continue;
            }
            _ => {
                problems.push_field(at, "name", ErrorCode::MissingField, "a district needs its name");
                continue;
            }
        };
        let Some(geom) = f.geometry.as_ref() else {
            problems.push_field(at, "geometry", ErrorCode::MissingField, format!("district `{name}` has no geometry"));
            continue;
        };
        let shape = match geo::Geometry::<f64>::try_from(geom.clone()) {
            Ok(geo::Geometry::Polygon(p)) => MultiPolygon(vec![p]),
            Ok(geo::Geometry::MultiPolygon(mp)) => mp,
            Ok(_) => {
                let kind = geom.value.type_name();
                let message = format!("district `{name}` is a {kind}; expected a Polygon or MultiPolygon");
                problems.push_field(at, "geometry", ErrorCode::BadGeometry, message);
                continue;
            }
            Err(e) => {
                let message = format!("district `{name}`: unreadable geometry: {e}");
                problems.push_field(at, "geometry", ErrorCode::BadGeometry, message);
                continue;
            }
        };
        if !seen.insert(name.clone()) {
            problems.push_field(at, "name", ErrorCode::DuplicateId, format!("district `{name}` appears twice"));
            continue;
        }
        out.push(DistrictShape { name, shape });
    }
    problems.finish(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_district_feature_is_reported_with_its_field_and_code() {
        let square = r#"{"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"#;
        let features = [
            format!(r#"{{"type": "Feature", "properties": {{"name": "A"}}, "geometry": {square}}}"#),
            format!(r#"{{"type": "Feature", "properties": {{}}, "geometry": {square}}}"#),
            format!(r#"{{"type": "Feature", "properties": {{"name": 7}}, "geometry": {square}}}"#),
            r#"{"type": "Feature", "properties": {"name": "B"}, "geometry": null}"#.to_string(),
            r#"{"type": "Feature", "properties": {"name": "C"}, "geometry": {"type": "Point", "coordinates": [0, 0]}}"#
                .to_string(),
            format!(r#"{{"type": "Feature", "properties": {{"name": "A"}}, "geometry": {square}}}"#),
        ];
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.geojson");
        std::fs::write(&p, format!(r#"{{"type": "FeatureCollection", "features": [{}]}}"#, features.join(",")))
            .unwrap();
        let text = read_districts(&p).unwrap_err().to_string();
        assert!(text.starts_with("5 problems"), "{text}");
        for want in [
            "d.geojson: feature 1: field `name`: a district needs its name [E-MISSING]",
            "d.geojson: feature 2: field `name`: expected the district's name as text, found 7 [E-VALUE]",
            "d.geojson: feature 3: field `geometry`: district `B` has no geometry [E-MISSING]",
            "d.geojson: feature 4: field `geometry`: district `C` is a Point; expected a Polygon or MultiPolygon [E-GEOMETRY]",
            "d.geojson: feature 5: field `name`: district `A` appears twice [E-DUPLICATE]",
        ] {
            assert!(text.contains(want), "{want} not in {text}");
        }
        std::fs::write(&p, r#"{"type": "Point", "coordinates": [0, 0]}"#).unwrap();
        let text = read_districts(&p).unwrap_err().to_string();
        assert!(text.ends_with("d.geojson: expected a GeoJSON FeatureCollection [E-FORMAT]"), "{text}");
    }
}
