//! Road distances: from a road layer (GeoJSON or OpenStreetMap PBF) and a list
//! of schools to the sparse table of road km and driving minutes from each
//! hub to the schools within the link radius.
//!
//! ```text
//! roads file ─ read_roads ─> RoadGraph ─┐
//! schools ─────────────────────────────┴─ distance_table ─> DistanceTable
//!                                           (snap, bounded Dijkstra per hub)
//! ```
//!
//! Distances run **from the hub to the school** (the teacher's drive out); on
//! one-way roads the way back can differ. Without a road layer,
//! [`distance_table`] falls back to geodesic distance × a detour factor and
//! marks every link and the table as approximate.
//!
//! ```
//! use hubplan::io::schools::HubStatus;
//! use hubplan::network::{distance_table, DistanceOptions, SchoolPoint, progress::Silent};
//!
//! let schools = vec![
//!     SchoolPoint { id: "hub".into(), lon: 67.0, lat: 48.0, hub: HubStatus::Candidate },
//!     SchoolPoint { id: "small".into(), lon: 67.3, lat: 48.0, hub: HubStatus::No },
//! ];
//! let t = distance_table(&schools, None, &DistanceOptions::default(), &Silent).unwrap();
//! assert!(t.is_approx());
//! let link = t.links_of(hubplan::network::SchoolIdx(1))[0];
//! assert!((link.road_km - 1.3 * 22.4).abs() < 0.1);
//! ```

pub mod cache;
pub mod dijkstra;
mod fallback;
pub mod generate;
pub mod geodesy;
pub mod geojson_roads;
pub mod graph;
pub mod options;
pub mod osm_pbf;
pub mod progress;
mod road_links;
pub mod roads;
pub mod snap;
pub mod speeds;
pub mod table;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use graph::{GraphBuilder, NodeIdx, RoadGraph, RoadSummary};
pub use options::{DistanceOptions, Metric, OptionProblem, OptionProblems, SchoolPoint};
pub use roads::{RoadFormat, RoadsRead, read_roads};
pub use table::{DistanceTable, Link, Method, SchoolIdx, SnapStats, Unlinked, UnlinkedReason};

use crate::error::InputErrors;
use progress::{Progress, Stage};

/// Why a distance table could not be made.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// Problems in an input file.
    #[error(transparent)]
    Input(#[from] InputErrors),
    /// Options that make no sense.
    #[error("invalid distance options: {0}")]
    Options(OptionProblems),
    /// No school can serve as a hub.
    #[error("no hub: no school has `hub` = `existing` or `candidate`, so there is nothing to measure from")]
    NoHubs,
    /// The worker pool could not start.
    #[error("cannot start {threads} worker threads: {message}")]
    Threads {
        /// Worker threads asked for.
        threads: usize,
        /// The thread pool's error.
        message: String,
    },
}

/// Runs `f` on a pool of `threads` workers (0: the global pool, one per core).
fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> Result<T, NetworkError> {
    if threads == 0 {
        return Ok(f());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| NetworkError::Threads { threads, message: e.to_string() })?;
    Ok(pool.install(f))
}

/// The sparse table of distances from every hub (`existing` or `candidate`
/// school) to every school within the radius, over `roads` or, without
/// roads, by the labelled straight-line fallback.
///
/// Deterministic: the same inputs give the same table for any thread count.
///
/// # Errors
///
/// Invalid options, no school that can be a hub, or a worker pool that
/// cannot start.
pub fn distance_table(
    schools: &[SchoolPoint],
    roads: Option<&RoadGraph>,
    opts: &DistanceOptions,
    progress: &dyn Progress,
) -> Result<DistanceTable, NetworkError> {
    match roads {
        Some(g) => {
            opts.validate().map_err(NetworkError::Options)?;
            let snapped = with_threads(opts.threads, || snap_schools(schools, g, opts.snap_limit_km, progress))?;
            distance_table_snapped(schools, &snapped, opts, progress)
        }
        None => {
            let hubs = check(schools, opts)?;
            with_threads(opts.threads, || {
                let (mut links, unlinked) = fallback::approx_links(schools, &hubs, opts, progress);
                links.extend(self_links(&hubs));
                let method = Method::Approx { detour_factor: opts.detour_factor, speed_kmh: opts.fallback_speed_kmh };
                let ids = schools.iter().map(|s| s.id.clone()).collect();
                DistanceTable::new(
                    ids,
                    hubs.iter().map(|&h| SchoolIdx(h)).collect(),
                    links,
                    unlinked,
                    method,
                    opts.clone(),
                )
            })
        }
    }
}

/// Valid options and at least one hub: the hubs' indices.
fn check(schools: &[SchoolPoint], opts: &DistanceOptions) -> Result<Vec<u32>, NetworkError> {
    opts.validate().map_err(NetworkError::Options)?;
    let hubs: Vec<u32> = (0..schools.len() as u32).filter(|&i| schools[i as usize].is_hub()).collect();
    if hubs.is_empty() {
        return Err(NetworkError::NoHubs);
    }
    Ok(hubs)
}

fn self_links(hubs: &[u32]) -> impl Iterator<Item = Link> + '_ {
    hubs.iter().map(|&h| Link { school: SchoolIdx(h), hub: SchoolIdx(h), road_km: 0.0, minutes: 0.0, approx: false })
}

/// Schools attached to a road graph: the nearest road point of each school,
/// however far (the snap limit is applied when a table is made, so one
/// snapping serves tables with different options).
#[derive(Debug, Clone)]
pub struct SnappedSchools<'g> {
    /// The graph the schools were snapped to.
    pub graph: &'g RoadGraph,
    /// By school index; `None` only when the graph has no segments.
    pub nearest: Vec<Option<snap::Snap>>,
}

/// Snaps every school to its nearest road point (in parallel on the current
/// pool). `radius_km` (the snap limit) bounds the part of the network that is
/// indexed, and so the memory; the result is the same for any radius
/// ([`snap::snap_points`]).
pub fn snap_schools<'g>(
    schools: &[SchoolPoint],
    graph: &'g RoadGraph,
    radius_km: f64,
    progress: &dyn Progress,
) -> SnappedSchools<'g> {
    progress.begin(Stage::Snap, Some(schools.len() as u64));
    let points: Vec<[f64; 2]> = schools.iter().map(|s| s.coord()).collect();
    let nearest = snap::snap_points(graph, &points, radius_km);
    progress.advance(schools.len() as u64);
    progress.end();
    SnappedSchools { graph, nearest }
}

/// The road table for schools already snapped with [`snap_schools`].
///
/// # Errors
///
/// Invalid options, no school that can be a hub, or a worker pool that
/// cannot start.
///
/// # Panics
///
/// When `snapped` was made for a different number of schools.
pub fn distance_table_snapped(
    schools: &[SchoolPoint],
    snapped: &SnappedSchools<'_>,
    opts: &DistanceOptions,
    progress: &dyn Progress,
) -> Result<DistanceTable, NetworkError> {
    let hubs = check(schools, opts)?;
    assert_eq!(snapped.nearest.len(), schools.len(), "snapped for another list of schools");
    with_threads(opts.threads, || road_table(schools, snapped, &hubs, opts, progress))
}

fn road_table(
    schools: &[SchoolPoint],
    snapped: &SnappedSchools<'_>,
    hubs: &[u32],
    opts: &DistanceOptions,
    progress: &dyn Progress,
) -> DistanceTable {
    let g = snapped.graph;
    let nearest = &snapped.nearest;
    let snaps: Vec<Option<snap::Snap>> =
        nearest.iter().map(|n| n.filter(|s| s.access_km <= opts.snap_limit_km)).collect();
    let snapped: Vec<f64> = snaps.iter().flatten().map(|s| s.access_km).collect();
    let stats = SnapStats {
        snapped: snapped.len(),
        mean_access_km: if snapped.is_empty() { 0.0 } else { snapped.iter().sum::<f64>() / snapped.len() as f64 },
        max_access_km: snapped.iter().fold(0.0, |m: f64, &v| m.max(v)),
    };
    let ctx = road_links::RoadContext::new(g, opts, &snaps);
    let snapped_hubs: Vec<u32> = hubs.iter().copied().filter(|&h| snaps[h as usize].is_some()).collect();
    let mut links = ctx.all_links(&snapped_hubs, progress);
    let mut linked = vec![false; schools.len()];
    for l in &links {
        linked[l.school.0 as usize] = true;
    }
    links.extend(self_links(hubs));
    let mut unlinked = Vec::new();
    let mut to_explain = Vec::new();
    for (s, p) in schools.iter().enumerate() {
        if snaps[s].is_none() {
            let road_km = nearest[s].map_or(f64::INFINITY, |n| n.access_km);
            unlinked.push(Unlinked { school: SchoolIdx(s as u32), reason: UnlinkedReason::FarFromRoad { road_km } });
        } else if !linked[s] && !p.is_hub() {
            to_explain.push(s as u32);
        }
    }
    let reasons = ctx.explain_unlinked(&snapped_hubs, &to_explain);
    unlinked.extend(to_explain.iter().zip(reasons).map(|(&s, reason)| Unlinked { school: SchoolIdx(s), reason }));
    unlinked.sort_by_key(|u| u.school);
    let ids = schools.iter().map(|s| s.id.clone()).collect();
    let hub_idx = hubs.iter().map(|&h| SchoolIdx(h)).collect();
    let mut t = DistanceTable::new(ids, hub_idx, links, unlinked, Method::Road, opts.clone());
    t.road = Some(g.summary().clone());
    t.snap = Some(stats);
    t
}

/// The outcome of [`distance_table_cached`].
#[derive(Debug, Clone)]
pub struct TableRun {
    /// The distance table.
    pub table: DistanceTable,
    /// True when the table came from the cache (the road file was not parsed).
    pub from_cache: bool,
    /// The cache entry read or written, if any.
    pub cache_file: Option<PathBuf>,
    /// Warnings from reading the road file (kept with the cache entry).
    pub road_warnings: Vec<String>,
    /// How the road file was read, when it was read in this run.
    pub read: Option<ReadInfo>,
}

/// Facts about reading a road file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReadInfo {
    /// The format the file was read as.
    pub format: RoadFormat,
    /// Wall-clock time spent reading and building the graph, seconds.
    pub seconds: f64,
    /// Peak resident memory of the process after reading (Linux only), bytes.
    pub peak_memory_bytes: Option<u64>,
}

/// Like [`distance_table`], reading the road file itself, and going through
/// the on-disk cache in `cache_dir` (see [`cache`]) when one is given: a hit
/// skips reading the roads entirely; a miss computes and stores the table.
/// A cache entry that cannot be written is skipped silently (`cache_file` is
/// then `None`).
///
/// # Errors
///
/// Invalid options, an unreadable or malformed road file, no school that can
/// be a hub, or a worker pool that cannot start.
pub fn distance_table_cached(
    schools: &[SchoolPoint],
    roads: Option<&Path>,
    opts: &DistanceOptions,
    cache_dir: Option<&Path>,
    progress: &dyn Progress,
) -> Result<TableRun, NetworkError> {
    opts.validate().map_err(NetworkError::Options)?;
    let format = roads.map(RoadFormat::detect).transpose().map_err(InputErrors::from)?;
    let key = match cache_dir {
        Some(_) => {
            let r = roads.zip(format);
            Some(cache::key_for(schools, r, opts).map_err(|e| {
                let path = roads.unwrap_or(Path::new("."));
                InputErrors::from(crate::error::InputError::new(
                    path,
                    crate::error::Location::File,
                    crate::error::ErrorCode::Unreadable,
                    format!("cannot read the road file: {e}"),
                ))
            })?)
        }
        None => None,
    };
    if let (Some(dir), Some(key)) = (cache_dir, key)
        && let Some(hit) = cache::load(dir, key, opts)
    {
        return Ok(TableRun {
            table: hit.table,
            from_cache: true,
            cache_file: Some(cache::entry_path(dir, key)),
            road_warnings: hit.road_warnings,
            read: None,
        });
    }
    let mut read = None;
    let mut road_warnings = Vec::new();
    let graph = match roads {
        Some(path) => {
            let start = std::time::Instant::now();
            let r = read_roads(path, progress)?;
            read = Some(ReadInfo {
                format: r.format,
                seconds: start.elapsed().as_secs_f64(),
                peak_memory_bytes: r.peak_memory_bytes,
            });
            road_warnings = r.warnings.iter().map(|w| w.to_string()).collect();
            Some(r.graph)
        }
        None => None,
    };
    let table = distance_table(schools, graph.as_ref(), opts, progress)?;
    drop(graph);
    let mut cache_file = None;
    if let (Some(dir), Some(key)) = (cache_dir, key) {
        let entry = cache::CachedTable { table, road_warnings };
        // A cache that cannot be written costs time later, not correctness now.
        cache_file = cache::store(dir, key, &entry).ok();
        return Ok(TableRun {
            table: entry.table,
            from_cache: false,
            cache_file,
            road_warnings: entry.road_warnings,
            read,
        });
    }
    Ok(TableRun { table, from_cache: false, cache_file, road_warnings, read })
}
