//! Checks of the schools' points against the district boundaries (or,
//! without boundaries, against Kazakhstan's extent): latitude and longitude
//! swapped, schools outside the district they name, districts without a
//! boundary.
//!
//! `plan`, `check-plan`, sweeps and the workbench's uploads run the same
//! [`check_locations`]; what it finds is typed — an [`InputErrors`] when the
//! data cannot describe the region (the columns swapped), else
//! [`DataWarning`]s — and never printed here.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use geo::{BoundingRect, Closest, ClosestPoint, Contains, Coord, MapCoords, MultiPolygon, Point, Rect};
use serde::{Deserialize, Serialize};

use super::inputs::DistrictShape;
use crate::error::{ErrorCode, InputErrors, Problems};
use crate::io::schools::{SchoolRow, SchoolsFile, SchoolsFormat, SchoolsUse, parse_schools_bytes};

/// A rectangle of latitudes and longitudes, WGS84 degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLonBox {
    /// Southern edge.
    pub lat_min: f64,
    /// Northern edge.
    pub lat_max: f64,
    /// Western edge.
    pub lon_min: f64,
    /// Eastern edge.
    pub lon_max: f64,
}

impl LatLonBox {
    /// Whether the point lies in the box (edges included).
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        (self.lat_min..=self.lat_max).contains(&lat) && (self.lon_min..=self.lon_max).contains(&lon)
    }
}

/// Kazakhstan's extent with a margin of a few tenths of a degree: where the
/// schools of a scenario without district boundaries are expected.
pub const KAZAKHSTAN: LatLonBox = LatLonBox { lat_min: 40.3, lat_max: 55.8, lon_min: 46.2, lon_max: 87.6 };

/// Something in the data a planner should look at; the plan is still made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum DataWarning {
    /// A school's point lies outside the boundary of the district it names.
    OutsideOwnDistrict {
        /// The school's id.
        school_id: String,
        /// Its row in the schools file, as messages place it (`row 4 (line 5)`, `sheet `Schools` row 5`).
        place: String,
        /// The district it names.
        district: String,
        /// How far its point lies from that district's boundary, km.
        km: f64,
        /// The district whose boundary contains the point, if any.
        lies_in: Option<String>,
    },
    /// Schools name a district that the districts file has no boundary for.
    DistrictWithoutBoundary {
        /// The district's name as the schools file writes it.
        district: String,
        /// How many schools name it.
        schools: usize,
    },
    /// Most schools lie outside the region: outside every district boundary,
    /// or (without boundaries) outside Kazakhstan.
    OutsideRegion {
        /// Schools outside.
        outside: usize,
        /// Schools in all.
        schools: usize,
        /// What they lie outside of (`every district of districts.geojson`, `Kazakhstan`).
        region: String,
        /// Schools that would lie inside with latitude and longitude exchanged.
        swapped_inside: usize,
        /// The schools' extent, e.g. `lat 57.0–57.9, lon 48.1–49.0`.
        schools_extent: String,
        /// The region's extent.
        region_extent: String,
    },
}

impl DataWarning {
    /// A stable name of the kind of warning (`outside-own-district`, …), as
    /// written in `plan.json`'s `kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            DataWarning::OutsideOwnDistrict { .. } => "outside-own-district",
            DataWarning::DistrictWithoutBoundary { .. } => "district-without-boundary",
            DataWarning::OutsideRegion { .. } => "outside-region",
        }
    }
}

impl fmt::Display for DataWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataWarning::OutsideOwnDistrict { school_id, place, district, km, lies_in } => {
                write!(f, "{place}: school `{school_id}` lies {km:.1} km outside its district `{district}`")?;
                match lies_in {
                    Some(d) => write!(f, ", in `{d}`"),
                    None => write!(f, ", in no district"),
                }
            }
            DataWarning::DistrictWithoutBoundary { district, schools } => write!(
                f,
                "district `{district}` ({schools} school{}) has no boundary in the districts file (spelt differently there?)",
                if *schools == 1 { "" } else { "s" }
            ),
            DataWarning::OutsideRegion { outside, schools, region, swapped_inside, schools_extent, region_extent } => {
                write!(
                    f,
                    "{outside} of {schools} schools lie outside {region} (schools: {schools_extent}; {region}: {region_extent})"
                )?;
                if swapped_inside * 2 > *schools {
                    write!(
                        f,
                        "; with `lat` and `lon` exchanged {swapped_inside} would lie inside: are the two columns swapped?"
                    )
                } else {
                    write!(f, "; are the schools and the region the same place?")
                }
            }
        }
    }
}

/// The files a check names in its messages.
#[derive(Debug, Clone, Copy)]
pub struct CheckFiles<'a> {
    /// The schools file.
    pub schools: &'a Path,
    /// How it was read (places its rows).
    pub format: &'a SchoolsFormat,
    /// The districts file, when there is one.
    pub districts: Option<&'a Path>,
}

/// Checks the schools' points (`rows`, as read) against `districts`, or
/// without them against [`KAZAKHSTAN`].
///
/// With district boundaries: when most schools lie outside every district
/// but most would lie inside with latitude and longitude exchanged, the
/// columns are swapped — an error, since no plan on such points means
/// anything; when most lie outside and exchanging does not help, one
/// [`DataWarning::OutsideRegion`]; otherwise each school outside the
/// district it names is a [`DataWarning::OutsideOwnDistrict`] with its
/// distance, and each district name without a boundary a
/// [`DataWarning::DistrictWithoutBoundary`]. Without boundaries, most
/// schools outside Kazakhstan is a warning (suggesting the swap when
/// exchanging would bring them in): the data may be of another country.
///
/// # Errors
///
/// The latitude and longitude columns swapped (`E-INCONSISTENT`, naming
/// both extents).
pub fn check_locations(
    rows: &[SchoolRow],
    districts: Option<&[DistrictShape]>,
    files: &CheckFiles,
) -> Result<Vec<DataWarning>, InputErrors> {
    let n = rows.len();
    if n == 0 {
        return Ok(Vec::new());
    }
    let schools_extent = extent(rows.iter().map(|r| (r.lat, r.lon)));
    let Some(shapes) = districts.filter(|d| !d.is_empty()) else {
        let outside = rows.iter().filter(|r| !KAZAKHSTAN.contains(r.lat, r.lon)).count();
        if outside * 2 <= n {
            return Ok(Vec::new());
        }
        let swapped_inside = rows.iter().filter(|r| KAZAKHSTAN.contains(r.lon, r.lat)).count();
        let k = KAZAKHSTAN;
        return Ok(vec![DataWarning::OutsideRegion {
            outside,
            schools: n,
            region: "Kazakhstan".into(),
            swapped_inside,
            schools_extent,
            region_extent: format!("lat {}–{}, lon {}–{}", k.lat_min, k.lat_max, k.lon_min, k.lon_max),
        }]);
    };
    let index = ShapeIndex::new(shapes);
    let found: Vec<Option<usize>> = rows.iter().map(|r| index.containing(r.lat, r.lon)).collect();
    let outside = found.iter().filter(|f| f.is_none()).count();
    let districts_name = files.districts.map_or("the districts file".to_string(), file_name);
    if outside * 2 > n {
        let swapped_inside = rows.iter().filter(|r| index.containing(r.lon, r.lat).is_some()).count();
        let region_extent = extent(
            shapes
                .iter()
                .flat_map(|d| d.shape.bounding_rect())
                .flat_map(|b| [(b.min().y, b.min().x), (b.max().y, b.max().x)]),
        );
        if swapped_inside * 2 > n {
            let mut problems = Problems::new(files.schools);
            problems.push_field(
                crate::error::Location::File,
                "lat",
                ErrorCode::Inconsistent,
                format!(
                    "`lat` and `lon` look swapped: {outside} of {n} schools lie outside every district of \
                     {districts_name}, but with the two exchanged {swapped_inside} lie inside one (schools: \
                     {schools_extent}; districts: {region_extent}); exchange the `lat` and `lon` column headers"
                ),
            );
            return problems.fail();
        }
        return Ok(vec![DataWarning::OutsideRegion {
            outside,
            schools: n,
            region: format!("every district of {districts_name}"),
            swapped_inside,
            schools_extent,
            region_extent,
        }]);
    }
    let by_name: BTreeMap<&str, usize> = shapes.iter().enumerate().map(|(i, d)| (d.name.as_str(), i)).collect();
    let mut warnings = Vec::new();
    let mut without: BTreeMap<&str, usize> = BTreeMap::new();
    for (r, &f) in rows.iter().zip(&found) {
        let Some(district) = r.district.as_deref() else { continue };
        let Some(&own) = by_name.get(district) else {
            *without.entry(district).or_default() += 1;
            continue;
        };
        if f == Some(own) || shapes[own].shape.contains(&Point::new(r.lon, r.lat)) {
            continue;
        }
        warnings.push(DataWarning::OutsideOwnDistrict {
            school_id: r.id.clone(),
            place: files.format.location(r.row).to_string(),
            district: district.to_string(),
            km: km_outside(&shapes[own].shape, r.lat, r.lon),
            lies_in: f.map(|i| shapes[i].name.clone()),
        });
    }
    warnings.extend(
        without
            .into_iter()
            .map(|(d, schools)| DataWarning::DistrictWithoutBoundary { district: d.to_string(), schools }),
    );
    Ok(warnings)
}

/// A schools file read and checked: its rows, how it was read, and what
/// the checks of its points found.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedSchools {
    /// The rows and how the file was read.
    pub file: SchoolsFile,
    /// What [`check_locations`] found.
    pub warnings: Vec<DataWarning>,
}

/// Reads a schools file held in memory — an upload: CSV in any dialect
/// [`parse_schools_bytes`] reads, or sheet `sheet` (default: the first) of
/// a workbook — and checks its points against `districts` (the boundaries
/// and the name of their file), or against Kazakhstan without them. `name`
/// names the file in messages. What `plan` and `check-plan` do with a
/// scenario's files, for bytes.
///
/// # Errors
///
/// Every problem of the file (each with its row or sheet row, field and
/// code), or the latitude and longitude columns swapped.
pub fn read_and_check(
    bytes: &[u8],
    name: &Path,
    sheet: Option<&str>,
    districts: Option<(&Path, &[DistrictShape])>,
) -> Result<CheckedSchools, InputErrors> {
    let usage = if districts.is_some() { SchoolsUse::PlanningDistrictsFromMap } else { SchoolsUse::Planning };
    let file = parse_schools_bytes(bytes, sheet, usage, Problems::new(name))?;
    let files = CheckFiles { schools: name, format: &file.format, districts: districts.map(|d| d.0) };
    let warnings = check_locations(&file.rows, districts.map(|d| d.1), &files)?;
    Ok(CheckedSchools { file, warnings })
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// `lat a–b, lon c–d` of points `(lat, lon)`, to a tenth of a degree.
fn extent(points: impl Iterator<Item = (f64, f64)>) -> String {
    let (mut la, mut lb, mut oa, mut ob) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for (lat, lon) in points {
        la = la.min(lat);
        lb = lb.max(lat);
        oa = oa.min(lon);
        ob = ob.max(lon);
    }
    format!("lat {la:.1}–{lb:.1}, lon {oa:.1}–{ob:.1}")
}

/// The district boundaries with their bounding boxes, to find the one
/// containing a point without testing every polygon.
struct ShapeIndex<'a> {
    shapes: &'a [DistrictShape],
    boxes: Vec<Option<Rect<f64>>>,
}

impl<'a> ShapeIndex<'a> {
    fn new(shapes: &'a [DistrictShape]) -> Self {
        ShapeIndex { shapes, boxes: shapes.iter().map(|d| d.shape.bounding_rect()).collect() }
    }

    /// The first district (in file order) whose boundary contains the point.
    fn containing(&self, lat: f64, lon: f64) -> Option<usize> {
        let p = Point::new(lon, lat);
        (0..self.shapes.len()).find(|&i| {
            self.boxes[i].is_some_and(|b| b.min().x <= lon && lon <= b.max().x && b.min().y <= lat && lat <= b.max().y)
                && self.shapes[i].shape.contains(&p)
        })
    }
}

/// Mean Earth radius, km (IUGG).
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// How far the point lies from `shape`, km: the nearest point of the
/// boundary in an equirectangular projection centred on the point (exact
/// enough at the few tens of km that matter here).
fn km_outside(shape: &MultiPolygon<f64>, lat: f64, lon: f64) -> f64 {
    let per_degree = EARTH_RADIUS_KM.to_radians();
    let cos = lat.to_radians().cos();
    let local = shape.map_coords(|c| Coord { x: (c.x - lon) * cos * per_degree, y: (c.y - lat) * per_degree });
    match local.closest_point(&Point::new(0.0, 0.0)) {
        Closest::SinglePoint(p) | Closest::Intersection(p) => p.x().hypot(p.y()),
        Closest::Indeterminate => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::schools::CsvDialect;
    use geo::polygon;

    /// Two districts side by side: West (lon 56–57) and East (lon 57–58), lat 48–49.
    fn shapes() -> Vec<DistrictShape> {
        let square = |x0: f64| {
            MultiPolygon(vec![
                polygon![(x: x0, y: 48.0), (x: x0 + 1.0, y: 48.0), (x: x0 + 1.0, y: 49.0), (x: x0, y: 49.0)],
            ])
        };
        vec![
            DistrictShape { name: "West".into(), shape: square(56.0) },
            DistrictShape { name: "East".into(), shape: square(57.0) },
        ]
    }

    fn row(i: usize, district: &str, lat: f64, lon: f64) -> SchoolRow {
        SchoolRow {
            row: i,
            id: format!("s{i}"),
            name: None,
            district: Some(district.into()),
            lat,
            lon,
            students: Some(50),
            kind: None,
            hub: None,
            hub_cost_kzt: None,
            capacity_small_schools: None,
            students_by_year: Vec::new(),
            internet: Default::default(),
            teacher_hours_per_year: None,
        }
    }

    fn check(rows: &[SchoolRow], districts: Option<&[DistrictShape]>) -> Result<Vec<DataWarning>, InputErrors> {
        let format = SchoolsFormat::Csv(CsvDialect::default());
        let files = CheckFiles { schools: Path::new("schools.csv"), format: &format, districts: None };
        check_locations(rows, districts, &files)
    }

    #[test]
    fn a_school_outside_its_district_is_named_with_its_distance() {
        let d = shapes();
        // s3 names West but lies at lon 57.5 (East), 0.5° of longitude east of West's edge.
        let rows = [row(1, "West", 48.5, 56.5), row(2, "East", 48.5, 57.5), row(3, "West", 48.5, 57.5)];
        let w = check(&rows, Some(&d)).unwrap();
        assert_eq!(w.len(), 1, "{w:?}");
        let DataWarning::OutsideOwnDistrict { school_id, km, lies_in, place, .. } = &w[0] else { panic!("{w:?}") };
        assert_eq!((school_id.as_str(), lies_in.as_deref(), place.as_str()), ("s3", Some("East"), "row 3 (line 4)"));
        // 0.5° of longitude at 48.5° N.
        let want = 0.5 * EARTH_RADIUS_KM.to_radians() * 48.5f64.to_radians().cos();
        assert!((km - want).abs() < 0.01, "{km} vs {want}");
        assert!(w[0].to_string().contains("lies 36.8 km outside its district `West`, in `East`"), "{}", w[0]);
    }

    #[test]
    fn swapped_coordinates_are_an_error_that_says_so() {
        let d = shapes();
        let rows: Vec<SchoolRow> = (1..=5).map(|i| row(i, "West", 56.1 + 0.1 * i as f64, 48.5)).collect();
        let e = check(&rows, Some(&d)).unwrap_err().to_string();
        assert!(e.contains("`lat` and `lon` look swapped: 5 of 5 schools lie outside every district"), "{e}");
        assert!(e.contains("with the two exchanged 5 lie inside one") && e.ends_with("[E-INCONSISTENT]"), "{e}");
        // Far away but not swapped: one warning, not one per school.
        let far: Vec<SchoolRow> = (1..=5).map(|i| row(i, "West", 10.0, 10.0 + i as f64)).collect();
        let w = check(&far, Some(&d)).unwrap();
        assert!(matches!(&w[..], [DataWarning::OutsideRegion { outside: 5, swapped_inside: 0, .. }]), "{w:?}");
        assert!(w[0].to_string().contains("same place"), "{}", w[0]);
    }

    #[test]
    fn without_boundaries_kazakhstan_is_the_region() {
        let inside = [row(1, "D", 48.0, 57.0), row(2, "D", 50.0, 70.0)];
        assert_eq!(check(&inside, None).unwrap(), Vec::new());
        let swapped = [row(1, "D", 57.0, 48.0), row(2, "D", 70.0, 50.0)];
        let w = check(&swapped, None).unwrap();
        assert!(w[0].to_string().contains("2 of 2 schools lie outside Kazakhstan"), "{}", w[0]);
        assert!(w[0].to_string().contains("are the two columns swapped?"), "{}", w[0]);
    }

    #[test]
    fn an_upload_is_read_and_checked_in_one_call() {
        let d = shapes();
        let districts = Some((Path::new("d.geojson"), &d[..]));
        let csv =
            "\u{feff}id;name;district;lat;lon;students\r\nw;Мектеп;West;48,5;56,5;40\r\nx;Школа;West;48,5;57,5;30\r\n";
        let c = read_and_check(csv.as_bytes(), Path::new("upload.csv"), None, districts).unwrap();
        assert_eq!(c.file.rows.len(), 2);
        assert!(c.file.format.note().unwrap().contains("`;`-separated, decimal commas"));
        assert!(matches!(&c.warnings[..], [DataWarning::OutsideOwnDistrict { school_id, .. }] if school_id == "x"));
        let swapped = "id,name,district,lat,lon,students\nw,A,West,56.5,48.5,40\nx,B,East,57.5,48.5,30\n";
        let e = read_and_check(swapped.as_bytes(), Path::new("upload.csv"), None, districts).unwrap_err();
        assert!(e.to_string().starts_with("upload.csv: field `lat`: `lat` and `lon` look swapped"), "{e}");
        let e = read_and_check(b"id,lat\n", Path::new("upload.csv"), None, None).unwrap_err();
        assert!(e.to_string().contains("required column `name` is missing"), "{e}");
    }

    #[test]
    fn district_names_without_a_boundary_are_counted() {
        let d = shapes();
        let rows = [row(1, "West", 48.5, 56.5), row(2, "Wset", 48.5, 56.6), row(3, "Wset", 48.5, 56.7)];
        let w = check(&rows, Some(&d)).unwrap();
        assert_eq!(w, vec![DataWarning::DistrictWithoutBoundary { district: "Wset".into(), schools: 2 }]);
    }
}
