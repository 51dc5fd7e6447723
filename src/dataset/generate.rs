//! `hubplan generate region`: a synthetic region of any size in the dataset
//! schema (schools.csv, districts.geojson, roads.geojson), for benchmarks and
//! research. Nothing in it is a real place.
//!
//! Construction (all in a conformal plane around 48° N, 60° E, then
//! projected back to WGS84):
//! - **Outline**: a star-shaped blob, `r(θ) = R·(1 + Σₖ aₖ cos(kθ + φₖ))`
//!   for k = 2..5, with `R` chosen for about 600 km² per school (Aktobe
//!   region has about 740), capped at 1,200 km.
//! - **Districts**: seeds spread by Mitchell's best-candidate sampling
//!   (D. P. Mitchell, "Spectrally optimal sampling for distribution ray
//!   tracing", SIGGRAPH 1991: each new seed is the farthest of 10 uniform
//!   candidates from the seeds so far); district polygons are their Voronoi
//!   cells (half-plane clipping against Delaunay neighbours) intersected with
//!   the outline. A settlement's district is its nearest seed, which is the
//!   Voronoi cell it lies in.
//! - **Settlements**: a regional centre (city) at the seed nearest the
//!   middle, towns at half of the other seeds and scattered (urban
//!   population about 6,340 people per urban school, as in Aktobe), a
//!   village at every seed without a town (district centres), and rural
//!   villages, 1.3 per rural school, clustered around district centres and
//!   towns (Neyman–Scott: Gaussian offsets around a random parent, 70%) or
//!   uniform in the outline (30%); 12% of villages get a population figure.
//! - **Schools, students, small kind, candidates and roads**: the same code
//!   as the real datasets ([`super::schools`], [`super::roads`]), calibrated
//!   to Aktobe's shares (72.5% rural, 204/404 small, 78.4 students per small
//!   school).
//!
//! Neighbour queries use R-trees (rstar) and the Delaunay triangulation
//! (spade), so the work grows as O(N log N); 100,000 schools take seconds.

use std::path::{Path, PathBuf};

use geo::{BooleanOps, Contains, Coord, LineString, MultiPolygon, Point, Polygon};
use rand::Rng as _;
use rstar::RTree;
use rstar::primitives::GeomWithData;

use super::districts::{District, DistrictKind};
use super::output::{self, district_counts, feature_collection, json_str};
use super::project::Lcc;
use super::raw::Place;
use super::roads::{Road, RoadNode, RoadOptions, RoadStats, build_roads, delaunay_edges};
use super::schools::{Calibration, School, Targets, place_schools, standard_normal};
use super::settlements::{PopulationSource, Settlement};
use crate::fsutil::write_atomic;
use crate::rng::task_rng;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateOptions {
    /// Number of schools; at least 10.
    pub schools: usize,
    /// Number of districts, 1 to `schools / 4`.
    pub districts: usize,
    /// Random seed; the same options give byte-identical files.
    pub seed: u64,
}

/// Area per school used to size the region (km²).
pub const KM2_PER_SCHOOL: f64 = 600.0;
/// Largest region radius (km).
pub const MAX_RADIUS_KM: f64 = 1200.0;
/// Urban population per urban school (Aktobe: about 704 thousand people, 111 urban schools).
pub const URBAN_PEOPLE_PER_SCHOOL: f64 = 6340.0;
const ORIGIN: (f64, f64) = (60.0, 48.0);
const OUTLINE_VERTICES: usize = 256;

/// A generated region.
pub struct Region {
    /// The options it was generated with.
    pub options: GenerateOptions,
    /// The districts, partitioning the region's outline.
    pub districts: Vec<District>,
    /// The invented settlements, one school or more each.
    pub settlements: Vec<Settlement>,
    /// The schools, in output order.
    pub schools: Vec<School>,
    /// How student numbers were calibrated.
    pub calibration: Calibration,
    /// The proxy road network between settlements.
    pub roads: Vec<Road>,
    /// Counts and lengths of the road network.
    pub road_stats: RoadStats,
    /// Nominal radius of the outline, km: a disc of `schools` × [`KM2_PER_SCHOOL`],
    /// at most [`MAX_RADIUS_KM`].
    pub radius_km: f64,
}

/// Why generation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerateError {
    /// Fewer than 10 schools asked for (the number asked).
    #[error("--schools must be at least 10, found {0}")]
    TooFewSchools(usize),
    /// A number of districts outside 1…`schools / 4`.
    #[error("--districts must be between 1 and schools / 4 ({max}), found {found}")]
    Districts {
        /// Districts asked for.
        found: usize,
        /// The most allowed for this many schools.
        max: usize,
    },
}

/// Aktobe's shares, scaled to `schools`.
pub fn targets_for(schools: usize) -> Targets {
    Targets::with_totals(schools, 0.725, ((schools as f64) * 204.0 / 404.0).round() as usize, 10_500.0 / 134.0)
}

fn stream(kind: u64, i: u64) -> u64 {
    (kind << 48) ^ i
}

struct Outline {
    coeffs: Vec<(f64, f64)>,
    radius: f64,
    polygon: Polygon<f64>,
}

impl Outline {
    fn new(radius: f64, seed: u64) -> Outline {
        let mut rng = task_rng(seed, stream(1, 0));
        let coeffs: Vec<(f64, f64)> = (2..=5)
            .map(|k| (rng.random_range(0.0..0.25 / k as f64), rng.random_range(0.0..std::f64::consts::TAU)))
            .collect();
        let r = |t: f64| {
            radius
                * (1.0 + coeffs.iter().enumerate().map(|(i, (a, p))| a * ((i as f64 + 2.0) * t + p).cos()).sum::<f64>())
        };
        let ring: Vec<Coord<f64>> = (0..=OUTLINE_VERTICES)
            .map(|k| {
                let t = std::f64::consts::TAU * (k % OUTLINE_VERTICES) as f64 / OUTLINE_VERTICES as f64;
                Coord { x: r(t) * t.cos(), y: r(t) * t.sin() }
            })
            .collect();
        Outline { polygon: Polygon::new(LineString(ring), vec![]), coeffs, radius }
    }

    fn contains(&self, x: f64, y: f64) -> bool {
        self.polygon.contains(&Point::new(x, y))
    }

    /// A uniform point inside (rejection from the bounding square).
    fn sample(&self, rng: &mut crate::rng::Rng) -> (f64, f64) {
        let max_r = self.radius * (1.0 + self.coeffs.iter().map(|(a, _)| a).sum::<f64>());
        loop {
            let (x, y) = (rng.random_range(-max_r..max_r), rng.random_range(-max_r..max_r));
            if self.contains(x, y) {
                return (x, y);
            }
        }
    }
}

/// Sutherland–Hodgman clip of a convex polygon to the half-plane closer to `s` than to `t`.
fn clip_half_plane(poly: &[(f64, f64)], s: (f64, f64), t: (f64, f64)) -> Vec<(f64, f64)> {
    let m = ((s.0 + t.0) / 2.0, (s.1 + t.1) / 2.0);
    let n = (t.0 - s.0, t.1 - s.1);
    let f = |p: (f64, f64)| (p.0 - m.0) * n.0 + (p.1 - m.1) * n.1;
    let mut out = Vec::with_capacity(poly.len() + 1);
    for k in 0..poly.len() {
        let (a, b) = (poly[k], poly[(k + 1) % poly.len()]);
        let (fa, fb) = (f(a), f(b));
        if fa <= 0.0 {
            out.push(a);
        }
        if (fa < 0.0 && fb > 0.0) || (fa > 0.0 && fb < 0.0) {
            let u = fa / (fa - fb);
            out.push((a.0 + u * (b.0 - a.0), a.1 + u * (b.1 - a.1)));
        }
    }
    out
}

/// Voronoi cells of `seeds` clipped to the outline, in planar km.
fn voronoi_cells(seeds: &[(f64, f64)], outline: &Outline) -> Vec<MultiPolygon<f64>> {
    let mut neighbours = vec![Vec::new(); seeds.len()];
    for (a, b) in delaunay_edges(seeds) {
        neighbours[a].push(b);
        neighbours[b].push(a);
    }
    let big = outline.radius * 4.0;
    let outline_mp = MultiPolygon(vec![outline.polygon.clone()]);
    seeds
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let mut cell = vec![(-big, -big), (big, -big), (big, big), (-big, big)];
            for &j in &neighbours[i] {
                cell = clip_half_plane(&cell, s, seeds[j]);
            }
            let mut ring: Vec<Coord<f64>> = cell.iter().map(|&(x, y)| Coord { x, y }).collect();
            ring.push(ring[0]);
            MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]).intersection(&outline_mp)
        })
        .collect()
}

fn to_lonlat(mp: &MultiPolygon<f64>, proj: &Lcc, ox: f64, oy: f64) -> MultiPolygon<f64> {
    let ring = |r: &LineString<f64>| {
        LineString(
            r.0.iter()
                .map(|c| {
                    let (lon, lat) = proj.inverse(c.x + ox, c.y + oy);
                    Coord { x: lon, y: lat }
                })
                .collect(),
        )
    };
    MultiPolygon(
        mp.0.iter().map(|p| Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect())).collect(),
    )
}

/// Generates a region (see the module docs).
///
/// # Errors
///
/// Fewer than 10 schools, or a number of districts outside 1…`schools / 4`.
pub fn generate_region(opts: &GenerateOptions) -> Result<Region, GenerateError> {
    let n = opts.schools;
    if n < 10 {
        return Err(GenerateError::TooFewSchools(n));
    }
    let max_d = n / 4;
    if opts.districts == 0 || opts.districts > max_d {
        return Err(GenerateError::Districts { found: opts.districts, max: max_d });
    }
    let seed = opts.seed;
    let proj = Lcc::new(ORIGIN.0, ORIGIN.1, ORIGIN.1 - 3.0, ORIGIN.1 + 3.0);
    let (ox, oy) = proj.forward(ORIGIN.0, ORIGIN.1);
    let radius = (n as f64 * KM2_PER_SCHOOL / std::f64::consts::PI).sqrt().min(MAX_RADIUS_KM);
    let outline = Outline::new(radius, seed);

    // District seeds by best-candidate sampling.
    let mut rng = task_rng(seed, stream(2, 0));
    let mut tree: RTree<GeomWithData<[f64; 2], usize>> = RTree::new();
    let mut seeds: Vec<(f64, f64)> = Vec::with_capacity(opts.districts);
    for i in 0..opts.districts {
        let mut best = outline.sample(&mut rng);
        let mut best_d = -1.0;
        for _ in 0..10 {
            let c = outline.sample(&mut rng);
            let d = tree.nearest_neighbor(&[c.0, c.1]).map_or(f64::INFINITY, |p| {
                let q = p.geom();
                (q[0] - c.0).powi(2) + (q[1] - c.1).powi(2)
            });
            if d > best_d {
                best_d = d;
                best = c;
            }
        }
        tree.insert(GeomWithData::new([best.0, best.1], i));
        seeds.push(best);
    }
    let cells = voronoi_cells(&seeds, &outline);
    let width = opts.districts.to_string().len().max(2);
    let districts: Vec<District> = cells
        .iter()
        .enumerate()
        .map(|(i, cell)| District {
            name: format!("District {:0width$}", i + 1),
            kato: format!("SYN{:06}", i + 1),
            pcode: format!("SYN{:06}", i + 1),
            name_en: format!("District {:0width$}", i + 1),
            name_ru: String::new(),
            name_kk: String::new(),
            region_pcode: "SYN".into(),
            region: "Synthetic region".into(),
            kind: DistrictKind::Raion,
            geometry: to_lonlat(cell, &proj, ox, oy),
        })
        .collect();

    let regional = (0..seeds.len())
        .min_by(|&a, &b| (seeds[a].0.hypot(seeds[a].1)).total_cmp(&seeds[b].0.hypot(seeds[b].1)))
        .expect("at least one district");
    // The regional centre's district is a city administration (its city schools are not hub candidates),
    // unless it is the only district.
    let mut districts = districts;
    if districts.len() > 1 {
        districts[regional].kind = DistrictKind::CityAdmin;
        districts[regional].name.push_str(" city");
    }

    // Settlements, in planar coordinates first.
    struct Draft {
        x: f64,
        y: f64,
        place: Place,
        population: Option<u32>,
        urban: bool,
        district_centre: bool,
        regional_centre: bool,
    }
    let targets = targets_for(n);
    let urban_schools = ((n as f64) * (1.0 - targets.rural_share)).round() as usize;
    let rural_schools = n - urban_schools;
    let urban_pop = urban_schools as f64 * URBAN_PEOPLE_PER_SCHOOL;
    let city_pop = (0.8 * urban_pop).min(600_000.0);
    let town_pop_total = urban_pop - city_pop;
    let mut drafts: Vec<Draft> = Vec::new();
    drafts.push(Draft {
        x: seeds[regional].0,
        y: seeds[regional].1,
        place: Place::City,
        population: Some(city_pop.round() as u32),
        urban: true,
        district_centre: true,
        regional_centre: true,
    });
    let n_towns = ((opts.districts.saturating_sub(1)) / 2).max((town_pop_total / 30_000.0).ceil() as usize).max(1);
    let mut rng = task_rng(seed, stream(3, 0));
    let raw_pops: Vec<f64> = (0..n_towns).map(|_| (15_000f64.ln() + 0.8 * standard_normal(&mut rng)).exp()).collect();
    let scale = town_pop_total / raw_pops.iter().sum::<f64>();
    let other_seeds: Vec<usize> = (0..seeds.len()).filter(|&i| i != regional).collect();
    let towns_at_seeds = other_seeds.len().div_ceil(2).min(n_towns);
    let mut seed_has_town = vec![false; seeds.len()];
    seed_has_town[regional] = true;
    for (k, pop) in raw_pops.iter().enumerate() {
        let (x, y, centre) = if k < towns_at_seeds {
            let s = other_seeds[k * other_seeds.len() / towns_at_seeds.max(1)];
            seed_has_town[s] = true;
            (seeds[s].0, seeds[s].1, true)
        } else {
            let p = outline.sample(&mut rng);
            (p.0, p.1, false)
        };
        drafts.push(Draft {
            x,
            y,
            place: Place::Town,
            population: Some((pop * scale).round().max(500.0) as u32),
            urban: true,
            district_centre: centre,
            regional_centre: false,
        });
    }
    for (i, s) in seeds.iter().enumerate() {
        if !seed_has_town[i] {
            let pop = (6_000f64.ln() + 0.5 * standard_normal(&mut rng)).exp();
            drafts.push(Draft {
                x: s.0,
                y: s.1,
                place: Place::Village,
                population: Some(pop.round() as u32),
                urban: false,
                district_centre: true,
                regional_centre: false,
            });
        }
    }
    let parents: Vec<(f64, f64)> = drafts.iter().map(|d| (d.x, d.y)).collect();
    let spread = (std::f64::consts::PI * radius * radius / opts.districts as f64).sqrt() * 0.35;
    let villages = ((rural_schools as f64) * 1.3).round() as usize;
    for _ in 0..villages {
        let mut p = outline.sample(&mut rng);
        if rng.random::<f64>() < 0.7 {
            let c = parents[rng.random_range(0..parents.len())];
            for _ in 0..10 {
                let q = (c.0 + spread * standard_normal(&mut rng), c.1 + spread * standard_normal(&mut rng));
                if outline.contains(q.0, q.1) {
                    p = q;
                    break;
                }
            }
        }
        let population = (rng.random::<f64>() < 0.12)
            .then(|| (900f64.ln() + 0.9 * standard_normal(&mut rng)).exp().round().max(20.0) as u32);
        drafts.push(Draft {
            x: p.0,
            y: p.1,
            place: Place::Village,
            population,
            urban: false,
            district_centre: false,
            regional_centre: false,
        });
    }
    let seed_tree: RTree<GeomWithData<[f64; 2], usize>> =
        RTree::bulk_load(seeds.iter().enumerate().map(|(i, s)| GeomWithData::new([s.0, s.1], i)).collect());
    let settlements: Vec<Settlement> = drafts
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let district = seed_tree.nearest_neighbor(&[d.x, d.y]).map(|g| g.data).unwrap_or(0);
            let (lon, lat) = proj.inverse(d.x + ox, d.y + oy);
            let id = i as u64 + 1;
            let label = match d.place {
                Place::City => "City",
                Place::Town => "Town",
                _ => "Village",
            };
            Settlement {
                id,
                name: format!("{label} {id}"),
                place: d.place,
                lon,
                lat,
                population: d.population,
                population_source: if d.population.is_some() {
                    PopulationSource::Synthetic
                } else {
                    PopulationSource::Unknown
                },
                urban: d.urban,
                district,
                kato: None,
                district_centre: d.district_centre,
                regional_centre: d.regional_centre,
            }
        })
        .collect();

    let (mut schools, calibration) = place_schools(&settlements, &districts, &targets, seed, "syn");
    super::internet::assign_internet(&mut schools, &settlements, seed);
    let nodes: Vec<RoadNode> = settlements
        .iter()
        .map(|s| RoadNode {
            id: s.id,
            lon: s.lon,
            lat: s.lat,
            district_centre: s.district_centre,
            regional_centre: s.regional_centre,
            group: 0,
        })
        .collect();
    let inside = |lon: f64, lat: f64| {
        let (x, y) = proj.forward(lon, lat);
        outline.contains(x - ox, y - oy)
    };
    let (roads, road_stats) = build_roads(&nodes, &proj, &inside, &RoadOptions { max_edge_km: 80.0, seed });
    Ok(Region {
        options: opts.clone(),
        districts,
        settlements,
        schools,
        calibration,
        roads,
        road_stats,
        radius_km: radius,
    })
}

/// Writes `schools.csv`, `districts.geojson`, `roads.geojson` and `README.md` into `dir`.
/// Returns (path, bytes) of each file.
///
/// # Errors
///
/// A file cannot be written (each is written atomically).
pub fn write_region(region: &Region, dir: &Path) -> std::io::Result<Vec<(PathBuf, u64)>> {
    let o = &region.options;
    let mut files = Vec::new();
    let mut put = |name: &str, bytes: &[u8]| -> std::io::Result<()> {
        let path = dir.join(name);
        write_atomic(&path, bytes)?;
        files.push((path, bytes.len() as u64));
        Ok(())
    };
    put("schools.csv", &output::schools_csv(&region.schools, &region.districts))?;
    let centres: Vec<String> = (0..region.districts.len())
        .map(|d| {
            region
                .settlements
                .iter()
                .find(|s| s.district == d && s.district_centre)
                .map(|s| s.name.clone())
                .unwrap_or_default()
        })
        .collect();
    let counts = district_counts(&region.schools, &region.districts, &centres);
    let meta = |what: &str| {
        format!(
            "{{\"name\":{},\"description\":{},\"synthetic\":true,\"proxy\":true,\"license\":\"CC0-1.0\",\"built_by\":{}}}",
            json_str(&format!("hubplan synthetic region {what}")),
            json_str("SYNTHETIC: generated by hubplan; no real place, school or road."),
            json_str(&format!(
                "hubplan generate region --schools {} --districts {} --seed {}",
                o.schools, o.districts, o.seed
            ))
        )
    };
    put(
        "districts.geojson",
        &feature_collection(&meta("districts"), &output::district_features(&region.districts, &counts, 6)),
    )?;
    put("roads.geojson", &feature_collection(&meta("roads"), &output::road_features(&region.roads, 5)))?;
    let c = &region.calibration;
    let t = &c.targets;
    let s = &region.road_stats;
    let readme = format!(
        "# Synthetic region: {} schools in {} districts (seed {})\n\n\
         > **SYNTHETIC.** Generated by `hubplan generate region --schools {} --districts {} --seed {}`. No real \
         place, school or road; no third-party data (CC0-1.0). Same schema as `datasets/aktobe/`: `schools.csv` \
         (planning schema), `districts.geojson` (`name` = the `district` column), `roads.geojson` (proxy \
         roads: `highway`, `maxspeed`, `proxy: true`).\n\n\
         Region radius about {:.0} km around 48° N, 60° E; {} settlements.\n\n\
         | quantity | target (Aktobe shares) | built |\n| --- | ---: | ---: |\n\
         | schools | {} | {} |\n| rural share | {:.1}% | {:.1}% |\n| small schools | {} | {} |\n\
         | mean students per small school | {:.1} | {:.1} |\n| hub candidates | — | {} |\n\
         | small schools with a digital room (> {} students) | — | {} |\n\n\
         Proxy roads: {} edges, {:.0} km, {} connected component(s). How everything is drawn: \
         `src/dataset/generate.rs`, `src/dataset/schools.rs`, `src/dataset/roads.rs`.\n",
        o.schools,
        o.districts,
        o.seed,
        o.schools,
        o.districts,
        o.seed,
        region.radius_km,
        region.settlements.len(),
        t.schools,
        c.schools,
        100.0 * t.rural_share,
        100.0 * c.rural_share(),
        t.small_schools,
        c.small,
        t.mean_small_students,
        c.mean_small,
        c.candidates,
        t.digital_room_min_students,
        c.digital_rooms,
        s.edges,
        s.total_km,
        s.components
    );
    put("README.md", readme.as_bytes())?;
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_plane_clip_keeps_the_near_side() {
        let sq = vec![(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)];
        let c = clip_half_plane(&sq, (0.5, 1.0), (1.5, 1.0));
        assert!(c.iter().all(|p| p.0 <= 1.0 + 1e-12));
        assert_eq!(c.len(), 4);
    }

    #[test]
    fn small_region_is_consistent() {
        let r = generate_region(&GenerateOptions { schools: 300, districts: 6, seed: 5 }).unwrap();
        assert_eq!(r.schools.len(), 300);
        assert_eq!(r.districts.len(), 6);
        assert_eq!(r.road_stats.components, 1);
        // Every settlement lies in its district's polygon.
        for s in &r.settlements {
            assert!(r.districts[s.district].geometry.contains(&Point::new(s.lon, s.lat)), "{}", s.name);
        }
        assert!(matches!(
            generate_region(&GenerateOptions { schools: 100, districts: 40, seed: 1 }),
            Err(GenerateError::Districts { .. })
        ));
    }
}
