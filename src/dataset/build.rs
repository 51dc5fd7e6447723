//! `hubplan dataset build`: the Aktobe and Kazakhstan datasets, rebuilt byte
//! for byte from the raw files in `datasets/raw/` and a seed. This is the
//! pipeline (raw files → districts, settlements, schools, proxy roads →
//! files); the README it writes beside them comes from `readme.rs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::districts::{District, DistrictIndex, districts_from};
use super::internet::{InternetCalibration, assign_internet};
use super::output::{self, district_counts, feature_collection, json_str};
use super::project::Lcc;
use super::raw;
use super::readme::readme;
use super::roads::{RoadNode, RoadOptions, RoadStats, build_roads};
use super::schools::{Calibration, School, Targets, mark_existing_hubs, place_schools};
use super::settlements::{Settlement, SettlementReport, assemble, restrict_to_region};
use super::{BOUNDARIES_ATTRIBUTION, OSM_ATTRIBUTION};
use crate::error::{ErrorCode, InputErrors, Location, Problems};
use crate::fsutil::write_atomic;
use crate::io::schools::HubStatus;

/// The seed the committed datasets are built with.
pub const DEFAULT_SEED: u64 = 2025;

/// Raw inputs, relative to the raw folder.
///
/// District (second-level) boundary polygons, 2024 division (geokz / OCHA COD-AB).
pub const RAW_BOUNDARIES: &str = "kz-admin-boundaries-geokz/kaz_adm2_2024.geojson";
/// Regional (first-level) administrative centres (geokz).
pub const RAW_CENTRES: &str = "kz-admin-boundaries-geokz/kaz_adm1_centers_2022.geojson";
/// OpenStreetMap populated places with their district (HOT export CSV).
pub const RAW_PLACES: &str = "kz-osm-populated-places-hotosm/kaz_populated_places_with_adm2.csv";
/// The official KATO classifier of administrative units and settlements (17.10.2022).
pub const RAW_KATO: &str = "kz-kato-classifier-2022/kato_2022-10-17_ru.csv";
/// GeoNames `cities500` rows for Kazakhstan (populations and district seats).
pub const RAW_GEONAMES: &str = "kz-geonames-cities500/cities500_KZ.txt";

/// Proxy-road RNG edges longer than this are dropped unless needed for connectivity.
pub const MAX_ROAD_EDGE_KM: f64 = 80.0;

/// The datasets the build writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum DatasetName {
    /// The Aktobe region (region code `KZ15`) alone.
    Aktobe,
    /// The whole country.
    Kazakhstan,
}

impl DatasetName {
    /// Every dataset, in the order the build writes them.
    pub const ALL: [DatasetName; 2] = [DatasetName::Aktobe, DatasetName::Kazakhstan];

    /// The folder name under the output folder.
    pub fn as_str(self) -> &'static str {
        match self {
            DatasetName::Aktobe => "aktobe",
            DatasetName::Kazakhstan => "kazakhstan",
        }
    }

    /// The dataset with this folder name (`aktobe`, `kazakhstan`); `None` for any other name.
    pub fn parse(s: &str) -> Option<DatasetName> {
        DatasetName::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// Published totals (see the dataset README for the sources).
    pub fn targets(self) -> Targets {
        match self {
            // 404 schools, 72.5% rural, 204 small; pilot: 10,500 students in 134 small schools.
            DatasetName::Aktobe => Targets::with_totals(404, 0.725, 204, 10_500.0 / 134.0),
            // About 7,000 schools; 68.4% rural (BNS 2022/23); small schools 36% of all with
            // 192 thousand pupils (2022), i.e. 192,000 / (0.36 × 7,687) = 69.4 per small school.
            DatasetName::Kazakhstan => Targets::with_totals(7000, 0.684, 2520, 192_000.0 / (0.36 * 7687.0)),
        }
    }

    pub(super) fn title(self) -> &'static str {
        match self {
            DatasetName::Aktobe => "Aktobe region",
            DatasetName::Kazakhstan => "Kazakhstan",
        }
    }
}

/// What to build and where.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildOptions {
    /// Folder with the raw open-data files (the `RAW_*` paths are relative to it).
    pub raw: PathBuf,
    /// Output folder; each dataset is written to a subfolder named after it.
    pub out: PathBuf,
    /// Seed of every random draw (school placement, student numbers, proxy roads).
    pub seed: u64,
    /// Build only these datasets (all when empty).
    pub only: Vec<DatasetName>,
    /// Per dataset, a CSV file with an `id` column: those schools are marked `existing` hubs.
    pub existing_hubs: Vec<(DatasetName, PathBuf)>,
}

impl BuildOptions {
    /// Builds every dataset from `raw` into `out` with `seed`, marking no existing hubs.
    pub fn new(raw: impl Into<PathBuf>, out: impl Into<PathBuf>, seed: u64) -> BuildOptions {
        BuildOptions { raw: raw.into(), out: out.into(), seed, only: Vec::new(), existing_hubs: Vec::new() }
    }
}

/// What one dataset build wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltDataset {
    /// Which dataset.
    pub name: DatasetName,
    /// The folder it was written to (`out/<name>`).
    pub dir: PathBuf,
    /// (file name, bytes).
    pub files: Vec<(String, u64)>,
    /// How the synthetic schools and student numbers were fitted to the published totals.
    pub calibration: Calibration,
    /// Size and shape of the proxy road network.
    pub roads: RoadStats,
    /// Schools marked `existing` hubs from the existing-hubs file (0 without one).
    pub existing_hubs: usize,
}

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A raw file or an existing-hubs file is missing, unreadable or invalid.
    #[error(transparent)]
    Input(#[from] InputErrors),
    /// An output file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
}

/// The raw inputs, read and validated.
pub struct RawInputs {
    /// District boundary polygons ([`RAW_BOUNDARIES`]).
    pub boundaries: Vec<raw::Boundary>,
    /// Regional administrative centres ([`RAW_CENTRES`]).
    pub centres: Vec<raw::RegionCentre>,
    /// OpenStreetMap settlement points ([`RAW_PLACES`]).
    pub places: Vec<raw::OsmPlace>,
    /// KATO classifier rows ([`RAW_KATO`]).
    pub kato: Vec<raw::KatoEntry>,
    /// GeoNames rows ([`RAW_GEONAMES`]).
    pub geonames: Vec<raw::GeoName>,
}

/// Reads every raw file, reporting the problems of all of them together.
pub fn read_raw(dir: &Path) -> Result<RawInputs, InputErrors> {
    let mut errors = Vec::new();
    fn take<T>(r: Result<T, InputErrors>, errors: &mut Vec<crate::error::InputError>) -> Option<T> {
        r.map_err(|e| errors.extend(e.0)).ok()
    }
    let boundaries = take(raw::read_boundaries(&dir.join(RAW_BOUNDARIES)), &mut errors);
    let centres = take(raw::read_region_centres(&dir.join(RAW_CENTRES)), &mut errors);
    let places = take(raw::read_osm_places(&dir.join(RAW_PLACES)), &mut errors);
    let kato = take(raw::read_kato(&dir.join(RAW_KATO)), &mut errors);
    let geonames = take(raw::read_geonames(&dir.join(RAW_GEONAMES)), &mut errors);
    match (boundaries, centres, places, kato, geonames) {
        (Some(boundaries), Some(centres), Some(places), Some(kato), Some(geonames)) if errors.is_empty() => {
            Ok(RawInputs { boundaries, centres, places, kato, geonames })
        }
        _ => Err(InputErrors(errors)),
    }
}

/// Reads school ids (column `id`) from an existing-hubs CSV file.
pub fn read_hub_ids(path: &Path) -> Result<Vec<String>, InputErrors> {
    let mut problems = Problems::new(path);
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            problems.push(Location::File, ErrorCode::Unreadable, format!("cannot read the existing-hubs file: {e}"));
            return problems.fail();
        }
    };
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(bytes.as_slice());
    let col = match reader.headers() {
        Ok(h) => h.iter().position(|c| c == "id"),
        Err(e) => {
            problems.push(Location::Line(1), ErrorCode::WrongFormat, format!("cannot read the CSV header: {e}"));
            return problems.fail();
        }
    };
    let Some(col) = col else {
        problems.push_field(Location::Line(1), "id", ErrorCode::MissingField, "required column `id` is missing");
        return problems.fail();
    };
    let mut ids = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        match rec {
            Ok(r) => match r.get(col) {
                Some(id) if !id.is_empty() => ids.push(id.to_string()),
                _ => problems.push_field(Location::Row(i + 1), "id", ErrorCode::MissingField, "value is empty"),
            },
            Err(e) => problems.push(Location::Row(i + 1), ErrorCode::WrongFormat, format!("unreadable CSV row: {e}")),
        }
    }
    problems.finish(ids)
}

/// Everything known about one built dataset, before writing.
pub struct Dataset {
    /// Which dataset.
    pub name: DatasetName,
    /// Its districts (only the Aktobe region's for [`DatasetName::Aktobe`]).
    pub districts: Vec<District>,
    /// The settlements that may get schools, within those districts.
    pub settlements: Vec<Settlement>,
    /// The placed synthetic schools.
    pub schools: Vec<School>,
    /// How the schools and student numbers were fitted to the published totals.
    pub calibration: Calibration,
    /// The proxy road network over the settlements.
    pub roads: Vec<super::roads::Road>,
    /// Size and shape of that road network.
    pub road_stats: RoadStats,
    /// How the country's settlement list was assembled from the raw files (for the README).
    pub report: SettlementReport,
    /// Schools marked `existing` hubs from the existing-hubs file (0 without one).
    pub existing_hubs: usize,
    /// How the `internet` column was drawn.
    pub internet: InternetCalibration,
}

/// Builds one dataset in memory.
pub fn make_dataset(
    name: DatasetName,
    inputs: &RawInputs,
    districts_all: &[District],
    settlements_all: &[Settlement],
    report: &SettlementReport,
    seed: u64,
    existing: Option<(&Path, Vec<String>)>,
) -> Result<Dataset, InputErrors> {
    let _ = inputs;
    let (districts, settlements) = match name {
        DatasetName::Aktobe => restrict_to_region(districts_all, settlements_all, "KZ15"),
        DatasetName::Kazakhstan => (districts_all.to_vec(), settlements_all.to_vec()),
    };
    let targets = name.targets();
    let (mut schools, mut calibration) = place_schools(&settlements, &districts, &targets, seed, "osm");
    let internet = assign_internet(&mut schools, &settlements, seed);
    let mut existing_hubs = 0;
    if let Some((path, ids)) = existing {
        match mark_existing_hubs(&mut schools, &ids) {
            Ok(n) => existing_hubs = n,
            Err(unknown) => {
                let mut p = Problems::new(path);
                for id in unknown {
                    p.push_field(
                        Location::File,
                        "id",
                        ErrorCode::UnknownId,
                        format!("no school `{id}` in the {} dataset", name.as_str()),
                    );
                }
                return p.fail();
            }
        }
        calibration.candidates = schools.iter().filter(|s| s.hub == HubStatus::Candidate).count();
    }
    let (roads, road_stats) = proxy_roads(&districts, &settlements, seed);
    Ok(Dataset {
        name,
        districts,
        settlements,
        schools,
        calibration,
        roads,
        road_stats,
        report: report.clone(),
        existing_hubs,
        internet,
    })
}

fn proxy_roads(districts: &[District], settlements: &[Settlement], seed: u64) -> (Vec<super::roads::Road>, RoadStats) {
    let mut regions: BTreeMap<&str, usize> = BTreeMap::new();
    for d in districts {
        let n = regions.len();
        regions.entry(d.region_pcode.as_str()).or_insert(n);
    }
    let nodes: Vec<RoadNode> = settlements
        .iter()
        .map(|s| RoadNode {
            id: s.id,
            lon: s.lon,
            lat: s.lat,
            district_centre: s.district_centre,
            regional_centre: s.regional_centre,
            group: regions[districts[s.district].region_pcode.as_str()],
        })
        .collect();
    let (min_lat, max_lat) = nodes.iter().fold((90.0f64, -90.0f64), |(a, b), n| (a.min(n.lat), b.max(n.lat)));
    let (min_lon, max_lon) = nodes.iter().fold((180.0f64, -180.0f64), |(a, b), n| (a.min(n.lon), b.max(n.lon)));
    let proj = Lcc::for_extent(min_lat, max_lat, (min_lon + max_lon) / 2.0);
    let index = DistrictIndex::new(districts);
    let inside = |lon: f64, lat: f64| index.locate(lon, lat, 5.0).district().is_some();
    build_roads(&nodes, &proj, &inside, &RoadOptions { max_edge_km: MAX_ROAD_EDGE_KM, seed })
}

/// Builds the datasets and writes them under `opts.out`.
pub fn build(opts: &BuildOptions) -> Result<Vec<BuiltDataset>, BuildError> {
    let inputs = read_raw(&opts.raw)?;
    let mut existing: BTreeMap<DatasetName, (PathBuf, Vec<String>)> = BTreeMap::new();
    for (name, path) in &opts.existing_hubs {
        existing.insert(*name, (path.clone(), read_hub_ids(path)?));
    }
    let districts = districts_from(&inputs.boundaries, &inputs.kato);
    let (settlements, report) = assemble(&inputs.places, &inputs.kato, &inputs.geonames, &inputs.centres, &districts);
    let mut built = Vec::new();
    for name in DatasetName::ALL {
        if !opts.only.is_empty() && !opts.only.contains(&name) {
            continue;
        }
        let ex = existing.get(&name).map(|(p, ids)| (p.as_path(), ids.clone()));
        let ds = make_dataset(name, &inputs, &districts, &settlements, &report, opts.seed, ex)?;
        built.push(write_dataset(&ds, &opts.out, opts.seed)?);
    }
    Ok(built)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<u64, BuildError> {
    write_atomic(path, bytes).map_err(|source| BuildError::Write { path: path.to_path_buf(), source })?;
    Ok(bytes.len() as u64)
}

/// The `metadata` member of a GeoJSON file.
fn metadata(ds: &Dataset, what: &str, license: &str, attribution: &[&str], seed: u64) -> String {
    let attr: Vec<String> = attribution.iter().map(|a| json_str(a)).collect();
    format!(
        "{{\"name\":{},\"description\":{},\"license\":{},\"attribution\":[{}],\"derived\":true,\"built_by\":{}}}",
        json_str(&format!("hubplan {} {what}", ds.name.as_str())),
        json_str(match what {
            "roads" =>
                "PROXY ROADS, SYNTHETIC: not a real road layer. A relative-neighbourhood graph joined with a minimum spanning tree over OpenStreetMap settlements, with road classes, speeds and a seeded curvature factor per edge. Replace with an OpenStreetMap extract (.osm.pbf) for real road distances.",
            _ =>
                "District polygons (2024 division) with the district names used in schools.csv and derived counts of the synthetic schools.",
        }),
        json_str(license),
        attr.join(","),
        json_str(&format!("hubplan dataset build --seed {seed}")),
    )
}

fn write_dataset(ds: &Dataset, out: &Path, seed: u64) -> Result<BuiltDataset, BuildError> {
    let dir = out.join(ds.name.as_str());
    let mut files = Vec::new();
    let csv = output::schools_csv(&ds.schools, &ds.districts);
    files.push(("schools.csv".to_string(), write_file(&dir.join("schools.csv"), &csv)?));
    let centres: Vec<String> = (0..ds.districts.len())
        .map(|d| {
            ds.settlements
                .iter()
                .find(|s| s.district == d && s.district_centre)
                .map(|s| s.name.clone())
                .unwrap_or_default()
        })
        .collect();
    let counts = district_counts(&ds.schools, &ds.districts, &centres);
    let districts = feature_collection(
        &metadata(ds, "districts", "CC-BY-4.0", &[BOUNDARIES_ATTRIBUTION, OSM_ATTRIBUTION], seed),
        &output::district_features(&ds.districts, &counts, 6),
    );
    files.push(("districts.geojson".to_string(), write_file(&dir.join("districts.geojson"), &districts)?));
    let roads = feature_collection(
        &metadata(ds, "roads", "ODbL-1.0", &[OSM_ATTRIBUTION], seed),
        &output::road_features(&ds.roads, 5),
    );
    files.push(("roads.geojson".to_string(), write_file(&dir.join("roads.geojson"), &roads)?));
    let readme = readme(ds, &centres, &files, seed);
    files.push(("README.md".to_string(), write_file(&dir.join("README.md"), readme.as_bytes())?));
    Ok(BuiltDataset {
        name: ds.name,
        dir,
        files,
        calibration: ds.calibration.clone(),
        roads: ds.road_stats.clone(),
        existing_hubs: ds.existing_hubs,
    })
}
