//! The road graph: nodes at road vertices, segments between consecutive
//! vertices of a line, and a compact forward-star (CSR) copy of the directed
//! arcs for the shortest-path hot loop.
//!
//! Nodes are renumbered along a Hilbert curve when the graph is built, so
//! nodes close on the map are close in memory; a Dijkstra search that grows a
//! disc around a hub then touches few cache lines.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::geodesy::geodesic_km;
use super::speeds::{Direction, RoadAttrs};

/// Dense index of a road node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeIdx(pub u32);

/// Two vertices are one node when they are within this many degrees of each
/// other in both longitude and latitude (about 1 cm; OpenStreetMap stores
/// coordinates to 1e-7°).
pub const NODE_TOLERANCE_DEG: f64 = 1e-7;

/// A straight piece of road between two nodes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    /// First node (a [`NodeIdx`] value).
    pub a: u32,
    /// Second node (a [`NodeIdx`] value).
    pub b: u32,
    /// Geodesic length, km.
    pub km: f64,
    /// Driving time at the road's speed, minutes.
    pub minutes: f64,
    /// Allowed travel relative to `a → b`.
    pub direction: Direction,
}

/// One directed arc of the CSR copy: head node and `[km, minutes]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Arc {
    pub head: u32,
    pub w: [f32; 2],
}

/// What a road layer holds, for the report printed after reading it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RoadSummary {
    /// Road nodes after merging coincident vertices.
    pub nodes: usize,
    /// Road segments (an undirected piece of road counts once).
    pub edges: usize,
    /// Directed arcs (a two-way segment counts twice).
    pub arcs: usize,
    /// Length of all segments, km (a two-way segment counts once).
    pub total_km: f64,
    /// Weakly connected components.
    pub components: usize,
    /// Share of `total_km` in the component with the most km (0..=1).
    pub largest_component_share: f64,
}

/// A road network ready for snapping and shortest paths.
#[derive(Debug, Clone)]
pub struct RoadGraph {
    coords: Vec<[f64; 2]>,
    segments: Vec<Segment>,
    first_out: Vec<u32>,
    arcs: Vec<Arc>,
    summary: RoadSummary,
    speed_range_kmh: (f64, f64),
}

impl RoadGraph {
    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.coords.len()
    }

    /// `[lon, lat]` of a node.
    pub fn coord(&self, n: NodeIdx) -> [f64; 2] {
        self.coords[n.0 as usize]
    }

    /// All node coordinates, indexed by [`NodeIdx`].
    pub fn coords(&self) -> &[[f64; 2]] {
        &self.coords
    }

    /// The road segments.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Nodes, edges, km and connectivity.
    pub fn summary(&self) -> &RoadSummary {
        &self.summary
    }

    /// Slowest and fastest segment speed, km/h.
    pub fn speed_range_kmh(&self) -> (f64, f64) {
        self.speed_range_kmh
    }

    /// Directed arcs leaving `n` as `(head, km, minutes)`.
    pub fn arcs_from(&self, n: NodeIdx) -> impl Iterator<Item = (NodeIdx, f64, f64)> + '_ {
        self.out(n.0).iter().map(|a| (NodeIdx(a.head), a.w[0] as f64, a.w[1] as f64))
    }

    #[inline]
    pub(crate) fn out(&self, n: u32) -> &[Arc] {
        let (s, e) = (self.first_out[n as usize] as usize, self.first_out[n as usize + 1] as usize);
        &self.arcs[s..e]
    }

    /// The CSR arrays `(first_out, head, km, minutes)`: arcs leaving node `v`
    /// are `first_out[v]..first_out[v + 1]`. Used to export the graph to other tools.
    pub fn csr(&self) -> (Vec<u32>, Vec<u32>, Vec<f32>, Vec<f32>) {
        (
            self.first_out.clone(),
            self.arcs.iter().map(|a| a.head).collect(),
            self.arcs.iter().map(|a| a.w[0]).collect(),
            self.arcs.iter().map(|a| a.w[1]).collect(),
        )
    }

    /// A petgraph copy (node weight `[lon, lat]`, edge weight `[km, minutes]`),
    /// for petgraph's algorithms and for tests against an independent oracle.
    pub fn to_petgraph(&self) -> petgraph::Graph<[f64; 2], [f64; 2]> {
        let mut g = petgraph::Graph::with_capacity(self.coords.len(), self.arcs.len());
        for &c in &self.coords {
            g.add_node(c);
        }
        for s in &self.segments {
            let (a, b) = (petgraph::graph::NodeIndex::new(s.a as usize), petgraph::graph::NodeIndex::new(s.b as usize));
            if s.direction.forward() {
                g.add_edge(a, b, [s.km, s.minutes]);
            }
            if s.direction.backward() {
                g.add_edge(b, a, [s.km, s.minutes]);
            }
        }
        g
    }
}

#[derive(Debug, Clone, Copy)]
struct PendingSegment {
    a: u32,
    b: u32,
    speed_kmh: f64,
    direction: Direction,
}

/// Builds a [`RoadGraph`] from lines, merging vertices closer than
/// [`NODE_TOLERANCE_DEG`] (or from nodes the caller has already identified).
#[derive(Debug, Default)]
pub struct GraphBuilder {
    coords: Vec<[f64; 2]>,
    /// Spatial hash of nodes for merging: cell → first node, chained by `next`.
    cells: FxHashMap<(i64, i64), u32>,
    next: Vec<u32>,
    pending: Vec<PendingSegment>,
}

/// Cells of the merge hash are this many tolerances wide, so most lookups
/// need only the vertex's own cell.
const CELL_TOLERANCES: f64 = 64.0;
const NONE: u32 = u32::MAX;

impl GraphBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Pre-sizes for about `nodes` nodes and `segments` segments.
    pub fn with_capacity(nodes: usize, segments: usize) -> Self {
        GraphBuilder {
            coords: Vec::with_capacity(nodes),
            cells: FxHashMap::with_capacity_and_hasher(nodes, Default::default()),
            next: Vec::with_capacity(nodes),
            pending: Vec::with_capacity(segments),
        }
    }

    /// Number of nodes so far.
    pub fn node_count(&self) -> usize {
        self.coords.len()
    }

    /// The node at `p` (`[lon, lat]`), merging with an existing node within
    /// the tolerance. `p` must be a valid coordinate.
    pub fn node_at(&mut self, p: [f64; 2]) -> u32 {
        let cell_deg = NODE_TOLERANCE_DEG * CELL_TOLERANCES;
        let fx = p[0] / cell_deg;
        let fy = p[1] / cell_deg;
        let (cx, cy) = (fx.floor() as i64, fy.floor() as i64);
        // Neighbouring cells matter only when p is within the tolerance of a cell border.
        let near = 1.0 / CELL_TOLERANCES;
        let (rx, ry) = (fx - cx as f64, fy - cy as f64);
        let xs: &[i64] = if rx < near {
            &[0, -1]
        } else if rx > 1.0 - near {
            &[0, 1]
        } else {
            &[0]
        };
        let ys: &[i64] = if ry < near {
            &[0, -1]
        } else if ry > 1.0 - near {
            &[0, 1]
        } else {
            &[0]
        };
        for &dx in xs {
            for &dy in ys {
                let mut n = self.cells.get(&(cx + dx, cy + dy)).copied().unwrap_or(NONE);
                while n != NONE {
                    let q = self.coords[n as usize];
                    if (q[0] - p[0]).abs() <= NODE_TOLERANCE_DEG && (q[1] - p[1]).abs() <= NODE_TOLERANCE_DEG {
                        return n;
                    }
                    n = self.next[n as usize];
                }
            }
        }
        let id = self.coords.len() as u32;
        self.coords.push(p);
        let head = self.cells.entry((cx, cy)).or_insert(NONE);
        self.next.push(*head);
        *head = id;
        id
    }

    /// A new node at `p` without merging (the caller knows node identity,
    /// as with OpenStreetMap node ids).
    pub fn new_node(&mut self, p: [f64; 2]) -> u32 {
        let id = self.coords.len() as u32;
        self.coords.push(p);
        self.next.push(NONE);
        id
    }

    /// Adds one segment between existing nodes; a segment from a node to
    /// itself is ignored.
    pub fn add_segment(&mut self, a: u32, b: u32, attrs: RoadAttrs) {
        if a != b {
            self.pending.push(PendingSegment { a, b, speed_kmh: attrs.speed_kmh, direction: attrs.direction });
        }
    }

    /// Adds a line through `points`, merging shared vertices.
    pub fn add_line(&mut self, points: &[[f64; 2]], attrs: RoadAttrs) {
        let mut prev: Option<u32> = None;
        for &p in points {
            let n = self.node_at(p);
            if let Some(a) = prev {
                self.add_segment(a, n, attrs);
            }
            prev = Some(n);
        }
    }

    /// Finishes the graph: Hilbert renumbering, geodesic lengths, CSR arcs and the summary.
    pub fn build(self) -> RoadGraph {
        let GraphBuilder { coords: old_coords, pending, cells, next } = self;
        drop((cells, next));
        // Keep only nodes that carry a segment.
        let mut used = vec![false; old_coords.len()];
        for s in &pending {
            used[s.a as usize] = true;
            used[s.b as usize] = true;
        }
        let order = hilbert_order(&old_coords, &used);
        drop(used);
        let mut new_id = vec![NONE; old_coords.len()];
        for (i, &old) in order.iter().enumerate() {
            new_id[old as usize] = i as u32;
        }
        let coords: Vec<[f64; 2]> = order.iter().map(|&o| old_coords[o as usize]).collect();
        // Each temporary is dropped as soon as it is spent: on a country's
        // network they are hundreds of megabytes each.
        drop((order, old_coords));
        let speed_range_kmh =
            pending.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), s| (lo.min(s.speed_kmh), hi.max(s.speed_kmh)));
        let segments: Vec<Segment> = pending
            .par_iter()
            .map(|s| {
                let (a, b) = (new_id[s.a as usize], new_id[s.b as usize]);
                // Lengths and times are kept at f32 precision (1e-7 relative, 0.1 mm per km), the
                // precision of the CSR arcs, so a partial segment and a whole arc never disagree.
                let km = geodesic_km(coords[a as usize], coords[b as usize]);
                let minutes = (km / s.speed_kmh * 60.0) as f32 as f64;
                Segment { a, b, km: km as f32 as f64, minutes, direction: s.direction }
            })
            .collect();
        drop((pending, new_id));
        let (first_out, arcs) = build_csr(coords.len(), &segments);
        let summary = summarise(coords.len(), &segments, arcs.len());
        RoadGraph { coords, segments, first_out, arcs, summary, speed_range_kmh }
    }
}

fn build_csr(n: usize, segments: &[Segment]) -> (Vec<u32>, Vec<Arc>) {
    let mut degree = vec![0u32; n + 1];
    for s in segments {
        if s.direction.forward() {
            degree[s.a as usize] += 1;
        }
        if s.direction.backward() {
            degree[s.b as usize] += 1;
        }
    }
    let mut first_out = vec![0u32; n + 1];
    for v in 0..n {
        first_out[v + 1] = first_out[v] + degree[v];
    }
    let mut fill: Vec<u32> = first_out[..n].to_vec();
    let mut arcs = vec![Arc { head: 0, w: [0.0, 0.0] }; first_out[n] as usize];
    for s in segments {
        let w = [s.km as f32, s.minutes as f32];
        if s.direction.forward() {
            arcs[fill[s.a as usize] as usize] = Arc { head: s.b, w };
            fill[s.a as usize] += 1;
        }
        if s.direction.backward() {
            arcs[fill[s.b as usize] as usize] = Arc { head: s.a, w };
            fill[s.b as usize] += 1;
        }
    }
    (first_out, arcs)
}

fn summarise(n: usize, segments: &[Segment], arcs: usize) -> RoadSummary {
    let mut uf = petgraph::unionfind::UnionFind::<u32>::new(n);
    for s in segments {
        uf.union(s.a, s.b);
    }
    let mut km_by_root: FxHashMap<u32, f64> = FxHashMap::default();
    let mut total_km = 0.0;
    for s in segments {
        total_km += s.km;
        *km_by_root.entry(uf.find_mut(s.a)).or_default() += s.km;
    }
    let largest = km_by_root.values().fold(0.0f64, |m, &v| m.max(v));
    RoadSummary {
        nodes: n,
        edges: segments.len(),
        arcs,
        total_km,
        components: km_by_root.len(),
        largest_component_share: if total_km > 0.0 { largest / total_km } else { 0.0 },
    }
}

/// Indices of the used nodes, sorted along a Hilbert curve over their bounding box.
fn hilbert_order(coords: &[[f64; 2]], used: &[bool]) -> Vec<u32> {
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for (c, _) in coords.iter().zip(used).filter(|(_, u)| **u) {
        for k in 0..2 {
            lo[k] = lo[k].min(c[k]);
            hi[k] = hi[k].max(c[k]);
        }
    }
    let scale = |v: f64, k: usize| -> u32 {
        let span = hi[k] - lo[k];
        if span <= 0.0 { 0 } else { (((v - lo[k]) / span) * 65535.0).round() as u32 }
    };
    let mut keyed: Vec<(u64, u32)> = (0..coords.len() as u32)
        .filter(|&i| used[i as usize])
        .map(|i| {
            let c = coords[i as usize];
            (hilbert_d(scale(c[0], 0), scale(c[1], 1)), i)
        })
        .collect();
    keyed.par_sort_unstable();
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// Position of cell `(x, y)` on the Hilbert curve filling a 2¹⁶ × 2¹⁶ grid.
fn hilbert_d(mut x: u32, mut y: u32) -> u64 {
    let n: u32 = 1 << 16;
    let mut d: u64 = 0;
    let mut s = n / 2;
    while s > 0 {
        let rx = u32::from(x & s > 0);
        let ry = u32::from(y & s > 0);
        d += u64::from(s) * u64::from(s) * u64::from((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = n - 1 - x;
                y = n - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROAD: RoadAttrs = RoadAttrs { speed_kmh: 60.0, direction: Direction::Both };

    #[test]
    fn shared_vertices_within_tolerance_become_one_node() {
        let mut b = GraphBuilder::new();
        b.add_line(&[[67.0, 48.0], [67.01, 48.0]], ROAD);
        // Same end vertex written with floating-point noise, and one just across a cell border.
        b.add_line(&[[67.01 + 3e-12, 48.0 - 2e-12], [67.01, 48.01]], ROAD);
        b.add_line(&[[67.01, 48.01 + 0.6e-7], [67.02, 48.01]], ROAD);
        // 1 m away: a different node.
        b.add_line(&[[67.02, 48.01 + 1e-5], [67.03, 48.01]], ROAD);
        let g = b.build();
        assert_eq!(g.node_count(), 6);
        assert_eq!(g.summary().edges, 4);
        assert_eq!(g.summary().components, 2);
        assert_eq!(g.summary().arcs, 8);
    }

    #[test]
    fn oneway_segments_have_one_arc() {
        let mut b = GraphBuilder::new();
        b.add_line(
            &[[67.0, 48.0], [67.01, 48.0], [67.02, 48.0]],
            RoadAttrs { speed_kmh: 30.0, direction: Direction::Forward },
        );
        let g = b.build();
        assert_eq!(g.summary().arcs, 2);
        let total: f64 = g.segments().iter().map(|s| s.minutes).sum();
        assert!((total - g.summary().total_km / 30.0 * 60.0).abs() < 1e-9);
        let first = g.segments()[0];
        assert_eq!(g.arcs_from(NodeIdx(first.b)).filter(|(h, _, _)| h.0 == first.a).count(), 0);
    }

    #[test]
    fn hilbert_curve_visits_every_cell_once() {
        let mut seen = std::collections::HashSet::new();
        for x in 0..8u32 {
            for y in 0..8u32 {
                assert!(seen.insert(hilbert_d(x << 13, y << 13)));
            }
        }
    }
}
