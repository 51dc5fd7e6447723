//! `hubplan distances`: the sparse table of road distances from hubs to schools.
//!
//! Writes the table (`school_id,hub_id,road_km,minutes`) and two siblings:
//! `<name>.summary.json` (method, options, road and snap figures, and whether
//! the distances are approximate) and `<name>.unlinked.csv` (schools without
//! a hub, with the reason and a distance).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use hubplan::fsutil::write_atomic;
use hubplan::io::schools::{SchoolsUse, read_schools_file};
use hubplan::network::progress::Progress;
use hubplan::network::{DistanceOptions, Method, Metric, SchoolPoint, TableRun, cache, distance_table_cached};

use super::common::{Bar, shown};

#[derive(Args)]
pub struct DistancesArgs {
    /// Schools CSV or spreadsheet: `id,lat,lon` and `hub` = existing|candidate|no (other columns are ignored).
    #[arg(long)]
    pub schools: PathBuf,
    /// The sheet of a spreadsheet `--schools` to read (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Road layer: GeoJSON lines (*.geojson, *.json) or an OpenStreetMap extract (*.osm.pbf).
    /// Without it, distances are straight lines × --detour-factor, marked approximate.
    #[arg(long)]
    pub roads: Option<PathBuf>,
    /// Link radius in road km.
    #[arg(long)]
    pub max_km: Option<f64>,
    /// Link radius in driving minutes (with --max-km, both must hold).
    #[arg(long)]
    pub max_minutes: Option<f64>,
    /// What routes minimise: the shortest (km) or the fastest (minutes).
    #[arg(long, value_enum, default_value = "km")]
    pub metric: Metric,
    /// Schools farther than this from every road are reported, not linked.
    #[arg(long, default_value_t = 5.0)]
    pub snap_limit_km: f64,
    /// Speed on the straight access leg between a school and its road, km/h.
    #[arg(long, default_value_t = 20.0)]
    pub access_speed_kmh: f64,
    /// Without --roads: road km = straight-line km × this.
    #[arg(long, default_value_t = 1.3)]
    pub detour_factor: f64,
    /// Without --roads: driving speed for the minutes, km/h.
    #[arg(long, default_value_t = 50.0)]
    pub fallback_speed_kmh: f64,
    /// Worker threads (0 = one per core). The table is the same for any count.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Output CSV (written atomically), with `.summary.json` and `.unlinked.csv` beside it.
    #[arg(long)]
    pub output: PathBuf,
    /// Cache folder [default: $HUBPLAN_CACHE_DIR, $XDG_CACHE_HOME/hubplan or ~/.cache/hubplan].
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    /// Compute the table even if it is cached, and do not store it.
    #[arg(long)]
    pub no_cache: bool,
}

/// `links.csv` → `links.<what>.<ext>`.
fn sibling(output: &Path, what: &str, ext: &str) -> PathBuf {
    let stem = output.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "links".into());
    output.with_file_name(format!("{stem}.{what}.{ext}"))
}

pub fn run(a: DistancesArgs) -> anyhow::Result<ExitCode> {
    let start = Instant::now();
    if a.threads > 0 {
        // Reading roads uses the global pool; ignore the error if it already exists.
        let _ = rayon::ThreadPoolBuilder::new().num_threads(a.threads).build_global();
    }
    let opts = DistanceOptions {
        metric: a.metric,
        max_km: a.max_km,
        max_minutes: a.max_minutes,
        snap_limit_km: a.snap_limit_km,
        access_speed_kmh: a.access_speed_kmh,
        detour_factor: a.detour_factor,
        fallback_speed_kmh: a.fallback_speed_kmh,
        threads: a.threads,
    };
    // Name the options as the user typed them.
    opts.validate().map_err(|e| {
        let mut msg = e.to_string();
        for name in
            ["max_km", "max_minutes", "detour_factor", "snap_limit_km", "access_speed_kmh", "fallback_speed_kmh"]
        {
            msg = msg.replace(name, &format!("--{}", name.replace('_', "-")));
        }
        anyhow::anyhow!("{msg}")
    })?;
    let file = read_schools_file(&a.schools, a.sheet.as_deref(), SchoolsUse::Distances)?;
    if let Some(note) = file.format.note() {
        eprintln!("schools    {}: {note}", shown(&a.schools));
    }
    let rows = file.rows;
    let schools: Vec<SchoolPoint> = rows.iter().map(SchoolPoint::from).collect();
    let cache_dir = if a.no_cache { None } else { Some(a.cache_dir.clone().unwrap_or_else(cache::default_dir)) };
    let bar = Bar::new();
    let run = distance_table_cached(&schools, a.roads.as_deref(), &opts, cache_dir.as_deref(), &bar)?;
    bar.end();
    let TableRun { table, from_cache, cache_file, road_warnings, read } = &run;

    for w in road_warnings.iter().take(20) {
        eprintln!("warning: {w}");
    }
    if road_warnings.len() > 20 {
        eprintln!("warning: … and {} more warnings about the road file", road_warnings.len() - 20);
    }

    let mut csv = Vec::new();
    table.write_csv(&mut csv)?;
    write_atomic(&a.output, &csv).with_context(|| format!("cannot write {}", shown(&a.output)))?;
    let unlinked_path = sibling(&a.output, "unlinked", "csv");
    let mut un = Vec::new();
    table.write_unlinked_csv(&mut un)?;
    write_atomic(&unlinked_path, &un).with_context(|| format!("cannot write {}", shown(&unlinked_path)))?;
    let summary_path = sibling(&a.output, "summary", "json");
    let summary = summary_json(&a, &run);
    write_atomic(&summary_path, serde_json::to_string_pretty(&summary)?.as_bytes())
        .with_context(|| format!("cannot write {}", shown(&summary_path)))?;

    if let Some(r) = &table.road {
        let mut line = format!(
            "roads      {} nodes, {} edges ({} directed arcs), {:.1} km, {} connected components, {:.1}% of km in the largest",
            r.nodes,
            r.edges,
            r.arcs,
            r.total_km,
            r.components,
            100.0 * r.largest_component_share
        );
        if let Some(info) = read {
            line.push_str(&format!("; read {} in {:.2} s", info.format.as_str(), info.seconds));
            if let Some(m) = info.peak_memory_bytes {
                line.push_str(&format!(", peak memory {:.0} MiB", m as f64 / (1024.0 * 1024.0)));
            }
        }
        println!("{line}");
    }
    if let Some(s) = &table.snap {
        println!(
            "snapping   {} of {} schools within {} km of a road (mean {:.2} km, max {:.2} km)",
            s.snapped,
            table.school_ids.len(),
            opts.snap_limit_km,
            s.mean_access_km,
            s.max_access_km
        );
    }
    for u in table.unlinked.iter().take(10) {
        eprintln!("warning: school `{}` has no hub: {}", table.id(u.school), u.reason.describe(&opts));
    }
    if table.unlinked.len() > 10 {
        eprintln!(
            "warning: … and {} more schools without a hub (all in {})",
            table.unlinked.len() - 10,
            shown(&unlinked_path)
        );
    }
    let method = match table.method {
        Method::Road => format!("road {}", opts.metric.as_str()),
        Method::Approx { detour_factor, speed_kmh } => {
            format!("APPROXIMATE: no road layer, straight line × {detour_factor} at {speed_kmh} km/h")
        }
    };
    println!(
        "distances  {} pairs from {} hubs to {} schools, {} unreachable schools, {:.2} s ({method}, within {}, hub → school{})",
        table.links().len(),
        table.hubs.len(),
        table.school_ids.len(),
        table.unlinked.len(),
        start.elapsed().as_secs_f64(),
        opts.bounds_text(),
        if *from_cache { ", from cache" } else { "" }
    );
    if table.is_approx() {
        eprintln!(
            "warning: no --roads given: every distance in {} is approximate (straight line × {}), see {}",
            shown(&a.output),
            opts.detour_factor,
            shown(&summary_path)
        );
    }
    println!(
        "output     {} (+ {}, {}){}",
        shown(&a.output),
        shown(&summary_path),
        shown(&unlinked_path),
        cache_file.as_ref().map(|c| format!("; cache {}", shown(c))).unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}

fn summary_json(a: &DistancesArgs, run: &TableRun) -> serde_json::Value {
    let t = &run.table;
    let (method, note) = match t.method {
        Method::Road => ("road", "shortest paths on the road layer, access legs included".to_string()),
        Method::Approx { detour_factor, speed_kmh } => (
            "approx",
            format!(
                "APPROXIMATE: no road layer; road_km = geodesic straight-line km × {detour_factor}, minutes at {speed_kmh} km/h"
            ),
        ),
    };
    let unlinked: Vec<serde_json::Value> = t
        .unlinked
        .iter()
        .map(|u| {
            let d = u.reason.distance_km();
            serde_json::json!({
                "school_id": t.id(u.school),
                "reason": u.reason.as_str(),
                "distance_km": if d.is_finite() { Some(d) } else { None },
                "explanation": u.reason.describe(&t.options),
            })
        })
        .collect();
    // The table does not depend on the thread count, so neither does its summary.
    let mut options = serde_json::to_value(&t.options).unwrap_or_default();
    if let Some(o) = options.as_object_mut() {
        o.remove("threads");
    }
    serde_json::json!({
        "schema": "hubplan.distances/1",
        "table": shown(&a.output),
        "columns": ["school_id", "hub_id", "road_km", "minutes"],
        "direction": "hub_to_school",
        "method": method,
        "approx": t.is_approx(),
        "note": note,
        "inputs": {
            "schools": shown(&a.schools),
            "roads": a.roads.as_deref().map(shown),
        },
        "options": options,
        "counts": {
            "schools": t.school_ids.len(),
            "hubs": t.hubs.len(),
            "pairs": t.links().len(),
            "unlinked": t.unlinked.len(),
        },
        "road": t.road,
        "snap": t.snap,
        "road_warnings": run.road_warnings,
        "unlinked": unlinked,
    })
}
