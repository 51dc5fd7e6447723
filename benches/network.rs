//! Road-network stages on a generated grid-like network of about one million
//! nodes (`side` 1000): building the graph from GeoJSON, snapping 20,000
//! schools, and the bounded distance table from 2,000 hub candidates within
//! 120 km. The side-by-side run against scipy is `benches/peers/scipy_dijkstra.py`.

use criterion::{Criterion, criterion_group, criterion_main};
use hubplan::network::generate::{GenOptions, generate};
use hubplan::network::geojson_roads::parse_geojson;
use hubplan::network::progress::Silent;
use hubplan::network::{DistanceOptions, distance_table_snapped, snap_schools};

const SIDE: usize = 1000;
const HUBS: usize = 2000;
const SCHOOLS: usize = 20_000;
const SEED: u64 = 2024;

fn network(c: &mut Criterion) {
    let net = generate(&GenOptions::grid(SIDE, SEED));
    let geojson = net.to_geojson();
    let path = std::path::Path::new("generated.geojson");
    let graph = parse_geojson(geojson.as_bytes(), path).expect("generated GeoJSON reads").graph;
    let nodes = graph.summary().nodes;
    let mut g = c.benchmark_group("network");
    g.sample_size(10);
    g.bench_function(format!("build_geojson_{nodes}_nodes"), |b| {
        b.iter(|| parse_geojson(geojson.as_bytes(), path).expect("reads").graph.summary().arcs)
    });
    let schools = net.schools(SCHOOLS, HUBS, SEED);
    g.bench_function(format!("snap_{SCHOOLS}_schools"), |b| {
        b.iter(|| snap_schools(&schools, &graph, DistanceOptions::default().snap_limit_km, &Silent).nearest.len())
    });
    let snapped = snap_schools(&schools, &graph, DistanceOptions::default().snap_limit_km, &Silent);
    let opts = DistanceOptions { max_km: Some(120.0), ..DistanceOptions::default() };
    g.bench_function(format!("table_{HUBS}_hubs_{SCHOOLS}_schools_120km"), |b| {
        b.iter(|| distance_table_snapped(&schools, &snapped, &opts, &Silent).expect("table").links().len())
    });
    g.finish();
}

criterion_group!(benches, network);
criterion_main!(benches);
