//! A seeded generator of rural-looking road networks for benchmarks and
//! tests: a jittered grid of local roads (tertiary, unclassified, tracks) with
//! random gaps, crossed every few rows and columns by unbroken trunk roads,
//! plus a few one-way lines; and schools scattered near its vertices.
//!
//! The same seed gives the same network, so the Rust benches and the scipy
//! peer script (fed by `examples/network_bench.rs --export`) measure the same graph.

use std::fmt::Write as _;

use rand::Rng as _;

use super::geodesy::km_per_degree;
use super::graph::{GraphBuilder, RoadGraph};
use super::options::SchoolPoint;
use super::speeds::{Direction, RoadAttrs, default_speed_kmh};
use crate::io::schools::HubStatus;
use crate::rng::task_rng;

/// Shape of a generated network.
#[derive(Debug, Clone, PartialEq)]
pub struct GenOptions {
    /// Grid vertices per side (side² nodes).
    pub side: usize,
    /// Distance between grid neighbours, km.
    pub spacing_km: f64,
    /// Share of local road segments removed (0..1).
    pub removal: f64,
    /// Every this many rows and columns is an unbroken trunk road.
    pub trunk_every: usize,
    /// Share of local lines that are one-way.
    pub oneway_share: f64,
    /// South-west corner `[lon, lat]`.
    pub origin: [f64; 2],
    /// Random seed; the same seed gives the same network.
    pub seed: u64,
}

impl GenOptions {
    /// About `side²` nodes at 1 km spacing in central Kazakhstan.
    pub fn grid(side: usize, seed: u64) -> Self {
        GenOptions {
            side,
            spacing_km: 1.0,
            removal: 0.12,
            trunk_every: 50,
            oneway_share: 0.02,
            origin: [63.0, 46.0],
            seed,
        }
    }
}

/// One generated road line.
#[derive(Debug, Clone, PartialEq)]
pub struct GenLine {
    /// Vertices `[lon, lat]`, in driving order when one-way.
    pub coords: Vec<[f64; 2]>,
    /// OSM `highway` class (`trunk`, `tertiary`, `unclassified`, `track`).
    pub highway: &'static str,
    /// Driven only from the first vertex towards the last.
    pub oneway: bool,
}

impl GenLine {
    /// Speed (the class's default, km/h) and direction, as a reader would assign them.
    pub fn attrs(&self) -> RoadAttrs {
        RoadAttrs {
            speed_kmh: default_speed_kmh(self.highway).unwrap_or(40.0),
            direction: if self.oneway { Direction::Forward } else { Direction::Both },
        }
    }
}

/// A generated network: its lines and its grid vertices.
#[derive(Debug, Clone)]
pub struct GenNetwork {
    /// The road lines.
    pub lines: Vec<GenLine>,
    /// Grid vertices, row-major.
    pub vertices: Vec<[f64; 2]>,
}

const LOCAL: [&str; 3] = ["tertiary", "unclassified", "track"];

/// Generates a network.
pub fn generate(o: &GenOptions) -> GenNetwork {
    let mut rng = task_rng(o.seed, 0);
    let (kx, ky) = km_per_degree(o.origin[1] + o.side as f64 * o.spacing_km / 111.0 / 2.0);
    let (dx, dy) = (o.spacing_km / kx, o.spacing_km / ky);
    let round7 = |v: f64| (v * 1e7).round() / 1e7;
    let mut vertices = Vec::with_capacity(o.side * o.side);
    for i in 0..o.side {
        for j in 0..o.side {
            let jx: f64 = rng.random_range(-0.3..0.3);
            let jy: f64 = rng.random_range(-0.3..0.3);
            vertices.push([round7(o.origin[0] + (j as f64 + jx) * dx), round7(o.origin[1] + (i as f64 + jy) * dy)]);
        }
    }
    let mut lines = Vec::new();
    let at = |i: usize, j: usize| vertices[i * o.side + j];
    for horizontal in [true, false] {
        for a in 0..o.side {
            let trunk = o.trunk_every > 0 && a % o.trunk_every == 0;
            let mut run: Vec<[f64; 2]> = Vec::new();
            let mut class = if trunk { "trunk" } else { LOCAL[rng.random_range(0..LOCAL.len())] };
            let mut oneway = !trunk && rng.random_bool(o.oneway_share);
            for b in 0..o.side {
                let p = if horizontal { at(a, b) } else { at(b, a) };
                let keep = b == 0 || trunk || !rng.random_bool(o.removal);
                if !keep || (run.len() >= 12 && !trunk) {
                    // Close the current line; a removed segment leaves a gap.
                    let last = run.last().copied();
                    if run.len() >= 2 {
                        lines.push(GenLine { coords: std::mem::take(&mut run), highway: class, oneway });
                    }
                    run.clear();
                    if keep && let Some(l) = last {
                        run.push(l);
                    }
                    if !trunk {
                        class = LOCAL[rng.random_range(0..LOCAL.len())];
                        oneway = rng.random_bool(o.oneway_share);
                    }
                }
                run.push(p);
            }
            if run.len() >= 2 {
                lines.push(GenLine { coords: run, highway: class, oneway });
            }
        }
    }
    GenNetwork { lines, vertices }
}

impl GenNetwork {
    /// The network as a graph (same result as writing and reading its GeoJSON).
    pub fn graph(&self) -> RoadGraph {
        let segs: usize = self.lines.iter().map(|l| l.coords.len() - 1).sum();
        let mut b = GraphBuilder::with_capacity(self.vertices.len(), segs);
        for l in &self.lines {
            b.add_line(&l.coords, l.attrs());
        }
        b.build()
    }

    /// Number of segments.
    pub fn segment_count(&self) -> usize {
        self.lines.iter().map(|l| l.coords.len() - 1).sum()
    }

    /// The network as a GeoJSON FeatureCollection (coordinates to 1e-7°).
    pub fn to_geojson(&self) -> String {
        let mut s = String::with_capacity(self.segment_count() * 28 + 64);
        s.push_str("{\"type\":\"FeatureCollection\",\"features\":[\n");
        for (i, l) in self.lines.iter().enumerate() {
            if i > 0 {
                s.push_str(",\n");
            }
            let _ = write!(s, "{{\"type\":\"Feature\",\"properties\":{{\"highway\":\"{}\"", l.highway);
            if l.oneway {
                s.push_str(",\"oneway\":\"yes\"");
            }
            s.push_str("},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[");
            for (k, c) in l.coords.iter().enumerate() {
                if k > 0 {
                    s.push(',');
                }
                let _ = write!(s, "[{:.7},{:.7}]", c[0], c[1]);
            }
            s.push_str("]}}");
        }
        s.push_str("\n]}\n");
        s
    }

    /// `count` schools near random grid vertices (within about 300 m), the
    /// first `hubs` of them hub candidates placed exactly on a vertex (so a
    /// hub's search starts at a road node, as a node-based solver's would).
    pub fn schools(&self, count: usize, hubs: usize, seed: u64) -> Vec<SchoolPoint> {
        let mut rng = task_rng(seed, 1);
        (0..count)
            .map(|i| {
                let v = self.vertices[rng.random_range(0..self.vertices.len())];
                let off = [rng.random_range(-0.004..0.004), rng.random_range(-0.0027..0.0027)];
                let k = if i < hubs { 0.0 } else { 1.0 };
                SchoolPoint {
                    id: format!("s{i}"),
                    lon: v[0] + k * off[0],
                    lat: v[1] + k * off[1],
                    hub: if i < hubs { HubStatus::Candidate } else { HubStatus::No },
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_network_and_geojson_round_trips() {
        let o = GenOptions { trunk_every: 5, ..GenOptions::grid(20, 3) };
        let a = generate(&o);
        assert_eq!(a.lines, generate(&o).lines);
        assert_ne!(a.lines, generate(&GenOptions { seed: 4, ..o.clone() }).lines);
        let g = a.graph();
        let r =
            crate::network::geojson_roads::parse_geojson(a.to_geojson().as_bytes(), std::path::Path::new("g")).unwrap();
        assert_eq!(r.graph.summary(), g.summary());
        assert_eq!(g.summary().edges, a.segment_count());
        assert!(g.summary().largest_component_share > 0.9, "{:?}", g.summary());
    }
}
