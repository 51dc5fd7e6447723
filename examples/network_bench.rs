//! Times graph building and distance tables on a generated ~1M-node road
//! network, and exports the same graph for the scipy peer
//! (`benches/peers/scipy_dijkstra.py`, which runs this first).
//!
//! ```sh
//! cargo run --release --example network_bench -- --threads 2 --repeat 5 --export benches/peers/out
//! ```
//!
//! Prints one JSON object with medians; with `--export DIR` also writes the
//! CSR arrays, the hub nodes and the schools' attachments as raw
//! little-endian files plus `meta.json`.

use std::path::PathBuf;
use std::time::Instant;

use hubplan::network::generate::{GenOptions, generate};
use hubplan::network::geojson_roads::parse_geojson;
use hubplan::network::progress::Silent;
use hubplan::network::{DistanceOptions, distance_table_snapped, snap_schools};

struct Args {
    side: usize,
    hubs: usize,
    schools: usize,
    max_km: f64,
    threads: usize,
    repeat: usize,
    export: Option<PathBuf>,
    seed: u64,
}

fn args() -> Args {
    let mut a = Args {
        side: 1000,
        hubs: 2000,
        schools: 20_000,
        max_km: 120.0,
        threads: 2,
        repeat: 5,
        export: None,
        seed: 2024,
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < v.len() {
        let val = v.get(i + 1).cloned().unwrap_or_default();
        match v[i].as_str() {
            "--side" => a.side = val.parse().expect("--side N"),
            "--hubs" => a.hubs = val.parse().expect("--hubs N"),
            "--schools" => a.schools = val.parse().expect("--schools N"),
            "--max-km" => a.max_km = val.parse().expect("--max-km KM"),
            "--threads" => a.threads = val.parse().expect("--threads N"),
            "--repeat" => a.repeat = val.parse().expect("--repeat N"),
            "--seed" => a.seed = val.parse().expect("--seed N"),
            "--export" => a.export = Some(PathBuf::from(val)),
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    a
}

/// User + system CPU seconds of this process so far (Linux), to compare
/// variants on a busy machine where wall time is noisy.
fn cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 (utime, stime, in 1/100 s) are the 12th and 13th after the command name.
    let tick = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn write_raw<T: Copy>(path: &std::path::Path, data: &[T], to_bytes: impl Fn(T) -> Vec<u8>) {
    let mut out = Vec::with_capacity(std::mem::size_of_val(data));
    for &x in data {
        out.extend(to_bytes(x));
    }
    std::fs::write(path, out).expect("write export");
}

fn main() {
    let a = args();
    let net = generate(&GenOptions::grid(a.side, a.seed));
    let geojson = net.to_geojson();
    let segments = net.segment_count();
    eprintln!("network: {} lines, {segments} segments, GeoJSON {:.0} MB", net.lines.len(), geojson.len() as f64 / 1e6);

    let pool = rayon::ThreadPoolBuilder::new().num_threads(a.threads).build().expect("pool");
    let mut build_s = Vec::new();
    let mut graph = None;
    for _ in 0..a.repeat {
        let t = Instant::now();
        let r = pool.install(|| parse_geojson(geojson.as_bytes(), std::path::Path::new("generated.geojson")));
        build_s.push(t.elapsed().as_secs_f64());
        graph = Some(r.expect("generated GeoJSON reads").graph);
    }
    drop(geojson);
    let graph = graph.expect("at least one repeat");
    let summary = graph.summary().clone();
    eprintln!("graph: {summary:?}");

    let schools = net.schools(a.schools, a.hubs, a.seed);
    let t = Instant::now();
    let snapped = pool.install(|| snap_schools(&schools, &graph, DistanceOptions::default().snap_limit_km, &Silent));
    let snap_s = t.elapsed().as_secs_f64();
    let opts = DistanceOptions { max_km: Some(a.max_km), threads: a.threads, ..DistanceOptions::default() };
    let mut table_s = Vec::new();
    let cpu0 = cpu_s();
    let mut pairs = 0;
    let mut checksum = 0.0;
    for _ in 0..a.repeat {
        let t = Instant::now();
        let table = distance_table_snapped(&schools, &snapped, &opts, &Silent).expect("table");
        table_s.push(t.elapsed().as_secs_f64());
        pairs = table.links().iter().filter(|l| l.school != l.hub).count();
        checksum = table.links().iter().map(|l| l.road_km).sum::<f64>();
    }
    let table_cpu_s = (cpu_s() - cpu0) / a.repeat as f64;
    let result = serde_json::json!({
        "table_cpu_s_per_run": table_cpu_s,
        "nodes": summary.nodes,
        "segments": summary.edges,
        "arcs": summary.arcs,
        "hubs": a.hubs,
        "schools": a.schools,
        "max_km": a.max_km,
        "threads": a.threads,
        "repeat": a.repeat,
        "geojson_build_median_s": median(build_s.clone()),
        "geojson_build_segments_per_s": segments as f64 / median(build_s),
        "snap_s": snap_s,
        "table_median_s": median(table_s.clone()),
        "table_all_s": table_s,
        "pairs_without_self": pairs,
        "road_km_checksum": checksum,
    });
    println!("{result}");

    if let Some(dir) = a.export {
        std::fs::create_dir_all(&dir).expect("export dir");
        let (first_out, head, km, _minutes) = graph.csr();
        write_raw(&dir.join("indptr.u32"), &first_out, |x| x.to_le_bytes().to_vec());
        write_raw(&dir.join("indices.u32"), &head, |x| x.to_le_bytes().to_vec());
        write_raw(&dir.join("km.f32"), &km, |x| x.to_le_bytes().to_vec());
        // Hubs: each hub's snap node (hubs sit on vertices, so a node with no access leg).
        // Schools: the two nodes they are reached from and the extra km from each.
        let mut sources = Vec::new();
        let mut att = Vec::new();
        for (i, s) in snapped.nearest.iter().enumerate() {
            let s = s.expect("snapped");
            let seg = graph.segments()[s.segment as usize];
            let inf = f64::INFINITY;
            let ea = if seg.direction.forward() || s.t == 0.0 { s.t * seg.km + s.access_km } else { inf };
            let eb = if seg.direction.backward() || s.t == 1.0 { (1.0 - s.t) * seg.km + s.access_km } else { inf };
            if i < a.hubs {
                assert_eq!(s.access_km, 0.0, "hub {i} is on a vertex");
                sources.push(if s.t == 0.0 { seg.a } else { seg.b });
            }
            att.push((seg.a, ea, seg.b, eb));
        }
        write_raw(&dir.join("sources.u32"), &sources, |x| x.to_le_bytes().to_vec());
        write_raw(&dir.join("school_a.u32"), &att.iter().map(|x| x.0).collect::<Vec<_>>(), |x| {
            x.to_le_bytes().to_vec()
        });
        write_raw(&dir.join("school_ea.f64"), &att.iter().map(|x| x.1).collect::<Vec<_>>(), |x| {
            x.to_le_bytes().to_vec()
        });
        write_raw(&dir.join("school_b.u32"), &att.iter().map(|x| x.2).collect::<Vec<_>>(), |x| {
            x.to_le_bytes().to_vec()
        });
        write_raw(&dir.join("school_eb.f64"), &att.iter().map(|x| x.3).collect::<Vec<_>>(), |x| {
            x.to_le_bytes().to_vec()
        });
        std::fs::write(dir.join("meta.json"), serde_json::to_string_pretty(&result).expect("json")).expect("meta");
        eprintln!("exported to {}", dir.display());
    }
}
