//! `hubplan dataset build`: the Aktobe and Kazakhstan datasets, rebuilt byte
//! for byte from the raw files in `datasets/raw/` and a seed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use geo::{ChamberlainDuquetteArea, Distance, Haversine, Point};

use super::districts::{District, DistrictIndex, DistrictKind, districts_from};
use super::output::{self, district_counts, feature_collection, json_str};
use super::project::Lcc;
use super::raw;
use super::roads::{RoadClass, RoadNode, RoadOptions, RoadStats, build_roads};
use super::schools::{Calibration, School, Targets, mark_existing_hubs, place_schools};
use super::settlements::{Settlement, SettlementReport, assemble, restrict_to_region};
use super::{BOUNDARIES_ATTRIBUTION, GEONAMES_ATTRIBUTION, KATO_ATTRIBUTION, OSM_ATTRIBUTION};
use crate::error::{ErrorCode, InputErrors, Location, Problems};
use crate::fsutil::write_atomic;
use crate::io::schools::HubStatus;

/// The seed the committed datasets are built with.
pub const DEFAULT_SEED: u64 = 2025;

/// Raw inputs, relative to the raw folder.
pub const RAW_BOUNDARIES: &str = "kz-admin-boundaries-geokz/kaz_adm2_2024.geojson";
pub const RAW_CENTRES: &str = "kz-admin-boundaries-geokz/kaz_adm1_centers_2022.geojson";
pub const RAW_PLACES: &str = "kz-osm-populated-places-hotosm/kaz_populated_places_with_adm2.csv";
pub const RAW_KATO: &str = "kz-kato-classifier-2022/kato_2022-10-17_ru.csv";
pub const RAW_GEONAMES: &str = "kz-geonames-cities500/cities500_KZ.txt";

/// Proxy-road RNG edges longer than this are dropped unless needed for connectivity.
pub const MAX_ROAD_EDGE_KM: f64 = 80.0;

/// The datasets the build writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum DatasetName {
    Aktobe,
    Kazakhstan,
}

impl DatasetName {
    pub const ALL: [DatasetName; 2] = [DatasetName::Aktobe, DatasetName::Kazakhstan];

    /// The folder name under the output folder.
    pub fn as_str(self) -> &'static str {
        match self {
            DatasetName::Aktobe => "aktobe",
            DatasetName::Kazakhstan => "kazakhstan",
        }
    }

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

    fn title(self) -> &'static str {
        match self {
            DatasetName::Aktobe => "Aktobe region",
            DatasetName::Kazakhstan => "Kazakhstan",
        }
    }
}

/// What to build and where.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildOptions {
    pub raw: PathBuf,
    pub out: PathBuf,
    pub seed: u64,
    /// Build only these datasets (all when empty).
    pub only: Vec<DatasetName>,
    /// Per dataset, a CSV file with an `id` column: those schools are marked `existing` hubs.
    pub existing_hubs: Vec<(DatasetName, PathBuf)>,
}

impl BuildOptions {
    pub fn new(raw: impl Into<PathBuf>, out: impl Into<PathBuf>, seed: u64) -> BuildOptions {
        BuildOptions { raw: raw.into(), out: out.into(), seed, only: Vec::new(), existing_hubs: Vec::new() }
    }
}

/// What one dataset build wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltDataset {
    pub name: DatasetName,
    pub dir: PathBuf,
    /// (file name, bytes).
    pub files: Vec<(String, u64)>,
    pub calibration: Calibration,
    pub roads: RoadStats,
    pub existing_hubs: usize,
}

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Input(#[from] InputErrors),
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
}

/// The raw inputs, read and validated.
pub struct RawInputs {
    pub boundaries: Vec<raw::Boundary>,
    pub centres: Vec<raw::RegionCentre>,
    pub places: Vec<raw::OsmPlace>,
    pub kato: Vec<raw::KatoEntry>,
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
    pub name: DatasetName,
    pub districts: Vec<District>,
    pub settlements: Vec<Settlement>,
    pub schools: Vec<School>,
    pub calibration: Calibration,
    pub roads: Vec<super::roads::Road>,
    pub road_stats: RoadStats,
    pub report: SettlementReport,
    pub existing_hubs: usize,
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

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn diff(built: f64, target: f64) -> String {
    if target == 0.0 { "—".into() } else { format!("{:+.1}%", 100.0 * (built / target - 1.0)) }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Straight-line km from each small school to the nearest hub candidate of its district.
fn small_to_candidate_km(ds: &Dataset) -> BTreeMap<usize, Vec<f64>> {
    let mut out: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    for s in ds.schools.iter().filter(|s| s.small) {
        let p = Point::new(s.lon, s.lat);
        let best = ds
            .schools
            .iter()
            .filter(|c| c.district == s.district && c.hub != HubStatus::No)
            .map(|c| Haversine.distance(p, Point::new(c.lon, c.lat)) / 1000.0)
            .fold(f64::INFINITY, f64::min);
        if best.is_finite() {
            out.entry(s.district).or_default().push(best);
        }
    }
    for v in out.values_mut() {
        v.sort_by(f64::total_cmp);
    }
    out
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn readme(ds: &Dataset, centres: &[String], files: &[(String, u64)], seed: u64) -> String {
    let c = &ds.calibration;
    let t = &c.targets;
    let name = ds.name.as_str();
    let mut r = String::new();
    let _ = writeln!(r, "# {}: schools, districts and proxy roads (derived, partly synthetic)\n", ds.name.title());
    let _ = writeln!(
        r,
        "> **DERIVED / SYNTHETIC DATA.** No open list of schools and no open road layer exist for Kazakhstan. \
         The schools in `schools.csv` are *placed* at real settlements (OpenStreetMap places joined to the official \
         KATO classifier) with *estimated* student numbers calibrated to published totals; `roads.geojson` is a \
         *proxy* network drawn over the settlements. Only the settlements and the district boundaries are real. Do \
         not read any row as a fact about a real school or road.\n"
    );
    let _ = writeln!(
        r,
        "Generated by `hubplan dataset build --raw datasets/raw --out datasets --seed {seed}`; do not edit by hand.\n"
    );
    let _ = writeln!(r, "## Files\n\n| file | content | bytes |\n| --- | --- | ---: |");
    let contents = [
        ("schools.csv", format!("{} schools in the planning schema (issue 5) plus provenance columns", c.schools)),
        (
            "districts.geojson",
            format!("{} district polygons; `name` = the `district` column of schools.csv", ds.districts.len()),
        ),
        (
            "roads.geojson",
            format!("{} proxy road LineStrings (`highway`, `maxspeed`, `proxy: true`, `detour`)", ds.road_stats.edges),
        ),
        ("README.md", "this file".to_string()),
    ];
    for (f, what) in contents {
        let bytes = files.iter().find(|(n, _)| n == f).map(|(_, b)| thousands(*b)).unwrap_or_else(|| "—".into());
        let _ = writeln!(r, "| `{f}` | {what} | {bytes} |");
    }
    let _ = writeln!(
        r,
        "\nCoordinates are WGS84 longitude/latitude (EPSG:4326): 6 decimals in schools.csv and districts.geojson, \
         5 decimals (about 1 m) in roads.geojson. The build is byte-for-byte reproducible from `datasets/raw/` and \
         the seed (a test re-runs it into a temporary folder and compares).\n"
    );

    let _ = writeln!(r, "## Licences and attribution\n");
    let _ = writeln!(
        r,
        "- `schools.csv` and `roads.geojson` are derived from OpenStreetMap and are released under the **Open Database \
         License (ODbL 1.0)**, share-alike: {OSM_ATTRIBUTION}. Anyone redistributing them (or a database made from \
         them) must keep this attribution and offer the result under ODbL.\n\
         - `districts.geojson`: boundaries **CC BY 4.0**, {BOUNDARIES_ATTRIBUTION}. (The HDX COD-AB licence could not \
         be verified offline; check it before public redistribution.)\n\
         - Populations of some towns: {GEONAMES_ATTRIBUTION}.\n\
         - Settlement list (names only): {KATO_ATTRIBUTION}; official state classifier, licence not verified.\n\
         - The GeoJSON files carry the same attribution in their top-level `metadata` member. CSV has no place for \
         metadata: every row of schools.csv says `synthetic = yes` and names its OSM settlement (`settlement_id` = OSM node id).\n\
         - Raw files and their SOURCES.md: `datasets/raw/`.\n"
    );

    let _ = writeln!(r, "## Calibration: target vs built\n");
    let _ = writeln!(
        r,
        "| quantity | target | source of the target | built | built − target |\n| --- | ---: | --- | ---: | ---: |"
    );
    let (src_schools, src_rural, src_small, src_mean) = match ds.name {
        DatasetName::Aktobe => (
            "Aktobe region education department: 404 secondary schools",
            "same: 72.5% rural",
            "same: 204 small schools",
            "pilot 2023–2024: 134 small schools, 10.5 thousand students",
        ),
        DatasetName::Kazakhstan => (
            "about 7,000 (issue 6); BNS counts 7,687 schools of all kinds in 2022/23",
            "BNS 2022/23: 68.4% of schools are rural",
            "Ministry, Aug 2022: small schools are 36% of all schools",
            "Ministry, Aug 2022: 192 thousand pupils in small schools (÷ 0.36 × 7,687)",
        ),
    };
    let _ = writeln!(
        r,
        "| schools | {} | {src_schools} | {} | {} |",
        t.schools,
        c.schools,
        diff(c.schools as f64, t.schools as f64)
    );
    let _ = writeln!(
        r,
        "| rural share | {} | {src_rural} | {} | {} |",
        pct(t.rural_share),
        pct(c.rural_share()),
        diff(c.rural_share(), t.rural_share)
    );
    let _ = writeln!(
        r,
        "| small schools (rural, < {} students) | {} | {src_small} | {} | {} |",
        t.small_max_students,
        t.small_schools,
        c.small,
        diff(c.small as f64, t.small_schools as f64)
    );
    let _ = writeln!(
        r,
        "| mean students per small school | {:.1} | {src_mean} | {:.1} | {} |",
        t.mean_small_students,
        c.mean_small,
        diff(c.mean_small, t.mean_small_students)
    );
    let _ = writeln!(
        r,
        "| small schools with a digital room (> {} students) | not published | pilot rule | {} | — |",
        t.digital_room_min_students, c.digital_rooms
    );
    let _ = writeln!(
        r,
        "| small schools with a universal room (≤ {} students) | not published | pilot rule | {} | — |",
        t.digital_room_min_students, c.universal_rooms
    );
    let _ = writeln!(r, "| students in small schools | — | | {} | — |", thousands(c.small_students));
    let _ = writeln!(r, "| hub candidates | — | rule below | {} | — |", c.candidates);
    let _ = writeln!(
        r,
        "\nFitted size distribution of rural schools without a population figure: log-normal with μ = {:.4}, σ = {:.4} \
         (median {:.0} students); selection noise τ = {:.2}. Student numbers from population: {} schools; from the \
         distribution: {}. Rural settlements: {}, of which {} get no school.\n",
        c.mu,
        c.sigma,
        c.mu.exp(),
        c.tau,
        c.students_from_population,
        c.students_from_distribution,
        c.rural_settlements,
        c.rural_settlements_without_school
    );

    let rep = &ds.report;
    let included: Vec<String> = rep.included.iter().map(|(k, v)| format!("{v} {k}")).collect();
    let _ = writeln!(r, "## How the data were derived\n");
    let _ = writeln!(
        r,
        "Country-wide inputs: {} OpenStreetMap places ({} assigned to the nearest district within 10 km of the \
         generalised polygons, {} dropped as outside), {} KATO main settlements of which {} matched an OSM place \
         by name ({} of them region-wide), {} places with an OSM population and {} with a GeoNames population; \
         district centres from GeoNames seats: {}, by largest population: {}; regional centres: {}. \
         Settlements in this dataset: {} ({}).\n",
        rep.osm_points,
        rep.osm_near_border,
        rep.osm_outside,
        rep.kato_main,
        rep.kato_matched,
        rep.kato_matched_in_region,
        rep.population_osm,
        rep.population_geonames,
        rep.centres_from_geonames,
        rep.centres_by_population,
        rep.regional_centres,
        ds.settlements.len(),
        included.join(", ")
    );
    let _ = writeln!(
        r,
        "1. **Settlements.** Every OSM `place=city|town|village` point; a `hamlet` or `isolated_dwelling` only when the \
         KATO classifier lists it as a main settlement. District by point-in-polygon (geo), nearest district within \
         10 km for points just outside the generalised polygons.\n\
         2. **KATO ↔ OSM matching.** Names are normalised (lower case; Kazakh letters ә ғ қ ң ө ұ ү һ і folded to \
         а г к н о у у х и; ё→е, й→и; the prefixes `г.`, `с.`, `п.`, `ст.`, `рзд.` and the words село/аул/ауылы/\
         поселок/станция/разъезд dropped; only letters and digits kept) and compared within the district \
         (`name`, `name:ru`, `name:kk`); several candidates: larger place class, then larger population, then lower \
         OSM id. With no candidate in the district, a name unique in the region's KATO list may match region-wide.\n\
         3. **Urban or rural.** Urban: OSM `city`, a KATO city (`г.`), or an OSM `town` named like a KATO city of \
         the region. All other settlements are rural, including district centres that are villages.\n\
         4. **Urban schools.** {urban} schools ({urban_share} of {total}) are shared among urban settlements by \
         population with the D'Hondt method, at least one each. Students = {ppi} × population ÷ schools there × \
         a seeded factor in [0.75, 1.25], at least {small_max}. Several schools in one place are scattered in a disc \
         of radius 0.02·√population km (0.5–12 km) around the settlement point.\n\
         5. **Rural schools.** With a known population: {ppi} × population pupils in max(1, round(pupils ÷ {prs})) \
         schools (× a seeded factor in [0.85, 1.15] each). Without: one school of exp(μ + σ·z) students, z a seeded \
         standard normal per settlement. Settlements are ranked by ln(pupils) + τ·ε (ε a seeded standard normal: \
         smaller places are likelier to have no school, but not strictly) and keep their schools until {rural} \
         rural schools are placed; the rest get none (Kazakhstan had 1,384 villages without a school in 2022/23). \
         μ and σ are fitted (bisection on μ per σ on a grid) so that the small-school count and mean size match \
         the targets; τ is the smallest of 0, 0.25, 0.5, … that lets the fit come within 1%, with selection and \
         fit iterated to a fixed point. All draws are made before the fit, so the result depends only on the seed.\n\
         6. **Small schools.** Rural schools with fewer than {small_max} students (`kind = small`); urban schools are \
         `regular`. A small school with more than {digital} students gets a digital room, the others a universal room.\n\
         7. **Hub candidates** (`hub = candidate`, else `no`): schools that are not small and either stand in the \
         centre of a raion (not of a city administration or city district) or are rural with at least {hubmin} \
         students. A district with small schools but no candidate gets its largest non-small school as a candidate \
         ({fallbacks} such districts here).\n\
         8. **Existing hubs.** Which schools the 135 hubs opened in 2022–2024 are is not public, so no school is \
         `existing` here. A scenario marks them with `data.existing_hubs` (a CSV of school ids): \
         `models/kazakhstan-2025.toml` reads `datasets/kazakhstan/existing-hubs-simulated.csv`, hubplan's own plans \
         for 2022, 2023 and 2024 in turn (17, 63 and 55 hubs; written by `models/simulate-existing-hubs.sh`) — \
         **simulated, not the real hub schools**. `hubplan dataset build --existing-hubs {name}=FILE` (a CSV with \
         an `id` column) instead writes `existing` into schools.csv.{existing_note}\n",
        urban = c.urban,
        urban_share = pct(1.0 - t.rural_share),
        total = t.schools,
        ppi = t.pupils_per_inhabitant,
        small_max = t.small_max_students,
        prs = t.pupils_per_rural_school,
        rural = c.rural,
        digital = t.digital_room_min_students,
        hubmin = t.hub_min_students,
        fallbacks = c.candidate_fallbacks,
        existing_note = if ds.existing_hubs > 0 {
            format!(" This build marked {} schools `existing` (simulated, not official).", ds.existing_hubs)
        } else {
            String::new()
        },
    );
    let _ = writeln!(
        r,
        "Constants: {ppi} pupils per inhabitant (about 3.8 million pupils for 20 million people); {prs} pupils per \
         rural school where a village needs several; a small school is below {small_max} students (Kazakh law defines \
         small schools by combined classes, not by a number: {small_max} is about 16 pupils per grade over 11 \
         grades). These are modelling assumptions, stated so they can be changed.\n",
        ppi = t.pupils_per_inhabitant,
        prs = t.pupils_per_rural_school,
        small_max = t.small_max_students
    );

    // Districts.
    let km = small_to_candidate_km(ds);
    match ds.name {
        DatasetName::Aktobe => {
            let _ = writeln!(r, "## Districts\n");
            let _ = writeln!(
                r,
                "Distances are straight lines from each small school to the nearest hub candidate of its district, \
                 and to the district centre (roads are longer: about ×1.2–1.3).\n"
            );
            let _ = writeln!(
                r,
                "| district | kind | centre | area km² | schools | small | candidates | median km | 90th pct km | max km | to centre: median km | to centre: max km |\n\
                 | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
            );
            for (i, d) in ds.districts.iter().enumerate() {
                let n = ds.schools.iter().filter(|s| s.district == i).count();
                let small = ds.schools.iter().filter(|s| s.district == i && s.small).count();
                let cand = ds.schools.iter().filter(|s| s.district == i && s.hub != HubStatus::No).count();
                let v = km.get(&i).cloned().unwrap_or_default();
                let centre = ds.settlements.iter().find(|s| s.district == i && s.district_centre);
                let mut to_centre: Vec<f64> = match centre {
                    Some(c) => ds
                        .schools
                        .iter()
                        .filter(|s| s.district == i && s.small)
                        .map(|s| Haversine.distance(Point::new(s.lon, s.lat), Point::new(c.lon, c.lat)) / 1000.0)
                        .collect(),
                    None => Vec::new(),
                };
                to_centre.sort_by(f64::total_cmp);
                let _ = writeln!(
                    r,
                    "| {} | {} | {} | {} | {n} | {small} | {cand} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} |",
                    d.name,
                    d.kind.as_str(),
                    centres[i],
                    thousands((d.geometry.chamberlain_duquette_unsigned_area() / 1e6).round() as u64),
                    quantile(&v, 0.5),
                    quantile(&v, 0.9),
                    v.last().copied().unwrap_or(0.0),
                    quantile(&to_centre, 0.5),
                    to_centre.last().copied().unwrap_or(0.0)
                );
            }
            let all: Vec<f64> = {
                let mut a: Vec<f64> = km.values().flatten().copied().collect();
                a.sort_by(f64::total_cmp);
                a
            };
            let _ = writeln!(
                r,
                "\nAll small schools: median {:.0} km, 75th percentile {:.0} km, 90th percentile {:.0} km, max {:.0} km \
                 (straight line to the nearest candidate of the same district). This is the evidence for the link \
                 radius in `models/aktobe-2025.toml`.\n",
                quantile(&all, 0.5),
                quantile(&all, 0.75),
                quantile(&all, 0.9),
                all.last().copied().unwrap_or(0.0)
            );
        }
        DatasetName::Kazakhstan => {
            let _ = writeln!(r, "## Regions\n");
            let _ = writeln!(
                r,
                "| region | districts | raions | schools | rural | small | candidates | small → nearest candidate, median km |\n\
                 | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
            );
            let mut regions: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            for (i, d) in ds.districts.iter().enumerate() {
                regions.entry(d.region.as_str()).or_default().push(i);
            }
            for (reg, ds_idx) in &regions {
                let inr = |s: &&School| ds_idx.contains(&s.district);
                let n = ds.schools.iter().filter(inr).count();
                let rural = ds.schools.iter().filter(inr).filter(|s| s.rural).count();
                let small = ds.schools.iter().filter(inr).filter(|s| s.small).count();
                let cand = ds.schools.iter().filter(inr).filter(|s| s.hub != HubStatus::No).count();
                let raions = ds_idx.iter().filter(|&&i| ds.districts[i].kind == DistrictKind::Raion).count();
                let mut v: Vec<f64> = ds_idx.iter().filter_map(|i| km.get(i)).flatten().copied().collect();
                v.sort_by(f64::total_cmp);
                let _ = writeln!(
                    r,
                    "| {reg} | {} | {raions} | {n} | {rural} | {small} | {cand} | {:.0} |",
                    ds_idx.len(),
                    quantile(&v, 0.5)
                );
            }
            let raions = ds.districts.iter().filter(|d| d.kind == DistrictKind::Raion).count();
            let _ = writeln!(
                r,
                "\n{} second-level units: {raions} raions (rural districts, the programme's \"one hub per rural \
                 district\"), {} city administrations, {} urban districts of Astana, Almaty and Shymkent.\n",
                ds.districts.len(),
                ds.districts.iter().filter(|d| d.kind == DistrictKind::CityAdmin).count(),
                ds.districts.iter().filter(|d| d.kind == DistrictKind::CityDistrict).count()
            );
        }
    }

    // Roads.
    let s = &ds.road_stats;
    let _ = writeln!(r, "## Proxy roads (`roads.geojson`)\n");
    let _ = writeln!(
        r,
        "**Not a real road layer.** Built over the {} settlements of this dataset: Delaunay triangulation → relative \
         neighbourhood graph (Toussaint 1980; {} of {} Delaunay edges) ∪ Euclidean minimum spanning tree ({} edges, \
         keeps the network connected); RNG edges over {MAX_ROAD_EDGE_KM} km ({} edges) or with their midpoint outside \
         the districts ({} edges: seas, borders) dropped unless in the tree. Classes: `trunk` between neighbouring \
         regional centres, `primary` from each district centre to its regional centre, `secondary` between \
         neighbouring district centres (shortest paths over the proxy graph), `tertiary` for other tree edges, \
         `unclassified` for the rest. Each edge bends by a seeded curvature factor (`detour` property). All roads \
         are two-way (no `oneway`). Connected components: {}.\n",
        s.nodes, s.rng_edges, s.delaunay_edges, s.mst_edges, s.dropped_long, s.dropped_outside, s.components
    );
    let _ = writeln!(r, "| highway | maxspeed km/h | detour range | edges | km |\n| --- | ---: | --- | ---: | ---: |");
    for class in RoadClass::ALL {
        let (n, k) = s.by_class.get(&class).copied().unwrap_or((0, 0.0));
        let (lo, hi) = class.detour_range();
        let _ = writeln!(
            r,
            "| {} | {} | {lo:.2}–{hi:.2} | {n} | {} |",
            class.as_str(),
            class.maxspeed_kmh(),
            thousands(k.round() as u64)
        );
    }
    let _ = writeln!(r, "| **all** | | | {} | {} |\n", s.edges, thousands(s.total_km.round() as u64));
    let _ = writeln!(
        r,
        "### Using real roads instead\n\n\
         1. Download an OpenStreetMap extract of Kazakhstan as `.osm.pbf` (for example Geofabrik's \
         `asia/kazakhstan-latest.osm.pbf`, about 0.3 GB); optionally cut the region out with \
         `osmium extract --polygon districts.geojson kazakhstan-latest.osm.pbf -o {name}.osm.pbf`.\n\
         2. Point the scenario at it: in `models/{name}-2025.toml` set `[data] roads = \"../datasets/{name}/{name}.osm.pbf\"` \
         (paths are relative to the TOML). The road-network module reads `.osm.pbf` directly: ways with a driveable \
         `highway` tag, with the same speed and `oneway` rules as GeoJSON. OSM data is ODbL: keep the attribution.\n\
         3. Or remove the `roads` key: hubplan then uses the straight-line fallback (great-circle distance × 1.3), \
         labelled `approx` in every output. The schools and districts need no roads at all.\n"
    );

    let _ = writeln!(r, "## Columns of `schools.csv`\n");
    let _ = writeln!(
        r,
        "| column | meaning |\n| --- | --- |\n\
         | `id` | `osm<node id>-<k>`: the k-th school of an OSM settlement |\n\
         | `name` | synthetic: settlement name + `school` (+ number) |\n\
         | `district` | district name, = `name` in districts.geojson |\n\
         | `lat`, `lon` | WGS84, 6 decimals |\n\
         | `students` | estimated (see `students_from`) |\n\
         | `kind` | `small` or `regular` |\n\
         | `hub` | `candidate` or `no` (`existing` only when `--existing-hubs` is given) |\n\
         | `hub_cost_kzt`, `capacity_small_schools` | empty: the scenario's defaults apply |\n\
         | `rural`, `district_centre` | `yes`/`no` |\n\
         | `settlement`, `settlement_id`, `place` | the OSM settlement: name, node id, `place` tag |\n\
         | `students_from` | `population` (settlement population) or `distribution` (fitted log-normal) |\n\
         | `synthetic` | always `yes`: these are not real school records |\n"
    );
    r
}
