//! Proxy roads over settlements, for when no real road layer is at hand.
//!
//! Construction, in a conformal plane ([`super::project::Lcc`]):
//! 1. the Delaunay triangulation of the settlements (spade);
//! 2. its **relative neighbourhood graph** (RNG; G. T. Toussaint, "The
//!    relative neighbourhood graph of a finite planar set", *Pattern
//!    Recognition* 12 (1980) 261–268): an edge `pq` stays when no third point
//!    `r` is closer to both `p` and `q` than they are to each other. It is a
//!    sparse (about 1.2–1.4 edges per node), planar, road-like graph that
//!    contains the Euclidean minimum spanning tree;
//! 3. RNG edges longer than `max_edge_km`, or whose midpoint falls outside
//!    the area (a sea, a border), are dropped unless they are in the
//!    **minimum spanning tree** (Kruskal over the Delaunay edges), which keeps
//!    the network connected;
//! 4. road classes: `trunk` along the shortest proxy path between regional
//!    centres that are RNG neighbours, `primary` from each district centre to
//!    its regional centre, `secondary` between district centres that are RNG
//!    neighbours, `tertiary` for the other spanning-tree edges, and
//!    `unclassified` for the rest; each edge keeps the highest class of any
//!    path through it;
//! 5. a seeded **curvature factor** per edge (trunk 1.02–1.08, primary
//!    1.03–1.12, secondary 1.05–1.18, tertiary 1.08–1.25, unclassified
//!    1.10–1.35): the straight segment gets 1–6 interior vertices offset
//!    sideways along `sin(πt) + c·sin(2πt)` with the amplitude solved so that
//!    the line is that factor longer than the straight segment.
//!
//! Every edge is two-way. Edge ends are the settlement coordinates exactly,
//! so edges meeting at a settlement share a vertex.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use geo::{Distance, Haversine, Point};
use rand::Rng as _;
use rstar::RTree;
use rstar::primitives::GeomWithData;
use spade::{DelaunayTriangulation, HasPosition, Point2, Triangulation};

use super::project::Lcc;
use crate::rng::task_rng;

/// OSM `highway` classes used by proxy roads, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RoadClass {
    /// Between neighbouring regional centres.
    Trunk,
    /// From a district centre to its regional centre.
    Primary,
    /// Between neighbouring district centres.
    Secondary,
    /// Other spanning-tree edges.
    Tertiary,
    /// Every other edge.
    Unclassified,
}

impl RoadClass {
    /// Every class, best first.
    pub const ALL: [RoadClass; 5] =
        [RoadClass::Trunk, RoadClass::Primary, RoadClass::Secondary, RoadClass::Tertiary, RoadClass::Unclassified];

    /// The OSM `highway` value.
    pub fn as_str(self) -> &'static str {
        match self {
            RoadClass::Trunk => "trunk",
            RoadClass::Primary => "primary",
            RoadClass::Secondary => "secondary",
            RoadClass::Tertiary => "tertiary",
            RoadClass::Unclassified => "unclassified",
        }
    }

    /// Speed written as `maxspeed` (km/h): typical travel speeds on Kazakh
    /// roads of the class, below the legal limits (90–110 km/h outside towns).
    pub fn maxspeed_kmh(self) -> u32 {
        match self {
            RoadClass::Trunk => 100,
            RoadClass::Primary => 90,
            RoadClass::Secondary => 80,
            RoadClass::Tertiary => 60,
            RoadClass::Unclassified => 50,
        }
    }

    /// Range of the curvature factor (road length / straight length).
    pub fn detour_range(self) -> (f64, f64) {
        match self {
            RoadClass::Trunk => (1.02, 1.08),
            RoadClass::Primary => (1.03, 1.12),
            RoadClass::Secondary => (1.05, 1.18),
            RoadClass::Tertiary => (1.08, 1.25),
            RoadClass::Unclassified => (1.10, 1.35),
        }
    }
}

/// A place the road network must reach.
#[derive(Debug, Clone, PartialEq)]
pub struct RoadNode {
    /// Stable id (settlement id); edges are written in id order.
    pub id: u64,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Seat of a district: joined to its regional centre by a primary road.
    pub district_centre: bool,
    /// Seat of a region: joined to neighbouring regional centres by trunk roads.
    pub regional_centre: bool,
    /// Region group: district centres link to the regional centre of the same group.
    pub group: usize,
}

/// Parameters of the proxy network.
#[derive(Debug, Clone, PartialEq)]
pub struct RoadOptions {
    /// RNG edges longer than this are dropped unless in the spanning tree.
    pub max_edge_km: f64,
    /// Random seed of the curvature factors.
    pub seed: u64,
}

/// One proxy road: a polyline between two settlements.
#[derive(Debug, Clone, PartialEq)]
pub struct Road {
    /// Node id of one end (the smaller id).
    pub from: u64,
    /// Node id of the other end.
    pub to: u64,
    /// OSM `highway` class.
    pub class: RoadClass,
    /// (lon, lat) vertices, ends exactly at the two settlements.
    pub coords: Vec<(f64, f64)>,
    /// Curvature factor: road length / straight length, ≥ 1.
    pub detour: f64,
    /// Great-circle length of the polyline, km.
    pub length_km: f64,
}

/// Counts for the README.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoadStats {
    /// Settlements the network joins.
    pub nodes: usize,
    /// Roads kept.
    pub edges: usize,
    /// Connected components (1 unless the settlements are split).
    pub components: usize,
    /// Edges of the Delaunay triangulation.
    pub delaunay_edges: usize,
    /// Edges of the relative neighbourhood graph.
    pub rng_edges: usize,
    /// Edges of the minimum spanning tree (always kept).
    pub mst_edges: usize,
    /// RNG edges dropped for being longer than `max_edge_km`.
    pub dropped_long: usize,
    /// RNG edges dropped because their midpoint lies outside the area.
    pub dropped_outside: usize,
    /// Per class: number of roads and their length, km.
    pub by_class: BTreeMap<RoadClass, (usize, f64)>,
    /// Length of all roads, km.
    pub total_km: f64,
}

#[derive(Clone, Copy)]
struct V {
    p: Point2<f64>,
    idx: usize,
}

impl HasPosition for V {
    type Scalar = f64;
    fn position(&self) -> Point2<f64> {
        self.p
    }
}

/// Delaunay edges of planar points (duplicates collapsed onto the lowest index), as sorted index pairs.
pub fn delaunay_edges(xy: &[(f64, f64)]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..xy.len()).collect();
    order.sort_by(|&a, &b| xy[a].0.total_cmp(&xy[b].0).then(xy[a].1.total_cmp(&xy[b].1)).then(a.cmp(&b)));
    let mut unique: Vec<V> = Vec::new();
    for (k, &i) in order.iter().enumerate() {
        if k > 0 && xy[order[k - 1]] == xy[i] {
            continue;
        }
        unique.push(V { p: Point2::new(xy[i].0, xy[i].1), idx: i });
    }
    if unique.len() < 2 {
        return Vec::new();
    }
    if unique.len() == 2 {
        let (a, b) = (unique[0].idx.min(unique[1].idx), unique[0].idx.max(unique[1].idx));
        return vec![(a, b)];
    }
    let Ok(dt) = DelaunayTriangulation::<V>::bulk_load(unique) else {
        return Vec::new();
    };
    let mut edges: Vec<(usize, usize)> = dt
        .undirected_edges()
        .map(|e| {
            let [a, b] = e.vertices();
            let (a, b) = (a.data().idx, b.data().idx);
            (a.min(b), a.max(b))
        })
        .collect();
    edges.sort_unstable();
    edges.dedup();
    edges
}

fn d2(a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)
}

/// Keeps the edges of the relative neighbourhood graph (Toussaint 1980).
pub fn relative_neighbourhood(xy: &[(f64, f64)], edges: &[(usize, usize)]) -> Vec<bool> {
    let tree: RTree<GeomWithData<[f64; 2], usize>> =
        RTree::bulk_load(xy.iter().enumerate().map(|(i, p)| GeomWithData::new([p.0, p.1], i)).collect());
    edges
        .iter()
        .map(|&(a, b)| {
            let dab = d2(xy[a], xy[b]);
            !tree.locate_within_distance([xy[a].0, xy[a].1], dab).any(|r| {
                let r = r.data;
                r != a && r != b && d2(xy[a], xy[r]) < dab && d2(xy[b], xy[r]) < dab
            })
        })
        .collect()
}

/// Union-find with path halving.
struct Dsu(Vec<usize>);

impl Dsu {
    fn new(n: usize) -> Dsu {
        Dsu((0..n).collect())
    }
    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] != x {
            self.0[x] = self.0[self.0[x]];
            x = self.0[x];
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        self.0[ra.max(rb)] = ra.min(rb);
        true
    }
}

/// Kruskal's minimum spanning forest over `edges` (flags per edge).
pub fn minimum_spanning_forest(xy: &[(f64, f64)], edges: &[(usize, usize)]) -> Vec<bool> {
    let mut order: Vec<usize> = (0..edges.len()).collect();
    order.sort_by(|&i, &j| {
        d2(xy[edges[i].0], xy[edges[i].1]).total_cmp(&d2(xy[edges[j].0], xy[edges[j].1])).then(edges[i].cmp(&edges[j]))
    });
    let mut dsu = Dsu::new(xy.len());
    let mut in_tree = vec![false; edges.len()];
    for i in order {
        if dsu.union(edges[i].0, edges[i].1) {
            in_tree[i] = true;
        }
    }
    in_tree
}

/// Adjacency of an undirected graph: per node, (neighbour, edge index, length).
struct Graph {
    adj: Vec<Vec<(usize, usize, f64)>>,
}

impl Graph {
    fn new(n: usize, edges: &[(usize, usize)], len: &[f64]) -> Graph {
        let mut adj = vec![Vec::new(); n];
        for (e, &(a, b)) in edges.iter().enumerate() {
            adj[a].push((b, e, len[e]));
            adj[b].push((a, e, len[e]));
        }
        Graph { adj }
    }

    /// Dijkstra from `source`; stops once every node in `targets` is settled
    /// (all nodes when `targets` is empty). Returns the predecessor edge of each node.
    fn shortest_paths(&self, source: usize, targets: &[usize]) -> Vec<Option<(usize, usize)>> {
        let n = self.adj.len();
        let mut dist = vec![f64::INFINITY; n];
        let mut pred: Vec<Option<(usize, usize)>> = vec![None; n];
        let mut done = vec![false; n];
        let mut is_target = vec![false; n];
        let mut left = 0;
        for &t in targets {
            if !is_target[t] {
                is_target[t] = true;
                left += 1;
            }
        }
        dist[source] = 0.0;
        let mut heap = BinaryHeap::new();
        heap.push((Reverse(OrdF(0.0)), source));
        while let Some((Reverse(OrdF(d)), u)) = heap.pop() {
            if done[u] {
                continue;
            }
            done[u] = true;
            if is_target[u] {
                left -= 1;
                if left == 0 {
                    break;
                }
            }
            for &(v, e, w) in &self.adj[u] {
                let nd = d + w;
                if nd < dist[v] {
                    dist[v] = nd;
                    pred[v] = Some((u, e));
                    heap.push((Reverse(OrdF(nd)), v));
                }
            }
        }
        pred
    }
}

#[derive(PartialEq, PartialOrd, Clone, Copy)]
struct OrdF(f64);
impl Eq for OrdF {}
#[allow(clippy::derive_ord_xor_partial_ord)]
impl Ord for OrdF {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&o.0)
    }
}

fn upgrade_path(pred: &[Option<(usize, usize)>], mut node: usize, class: RoadClass, classes: &mut [RoadClass]) {
    while let Some((prev, e)) = pred[node] {
        if class < classes[e] {
            classes[e] = class;
        }
        node = prev;
    }
}

/// Pairs of points (indices into `subset`) adjacent in the RNG of the subset.
fn rng_pairs(xy: &[(f64, f64)], subset: &[usize]) -> Vec<(usize, usize)> {
    let sub_xy: Vec<(f64, f64)> = subset.iter().map(|&i| xy[i]).collect();
    let edges = delaunay_edges(&sub_xy);
    let keep = relative_neighbourhood(&sub_xy, &edges);
    edges.iter().zip(keep).filter(|(_, k)| *k).map(|(&(a, b), _)| (subset[a], subset[b])).collect()
}

/// Builds the proxy road network over `nodes` (see the module docs).
///
/// `inside(lon, lat)` says whether a point is within the area roads may cross.
pub fn build_roads(
    nodes: &[RoadNode],
    proj: &Lcc,
    inside: &dyn Fn(f64, f64) -> bool,
    opts: &RoadOptions,
) -> (Vec<Road>, RoadStats) {
    let xy: Vec<(f64, f64)> = nodes.iter().map(|n| proj.forward(n.lon, n.lat)).collect();
    let all = delaunay_edges(&xy);
    let rng = relative_neighbourhood(&xy, &all);
    let mst = minimum_spanning_forest(&xy, &all);
    let mut stats = RoadStats {
        nodes: nodes.len(),
        delaunay_edges: all.len(),
        rng_edges: rng.iter().filter(|k| **k).count(),
        mst_edges: mst.iter().filter(|k| **k).count(),
        ..Default::default()
    };
    let mut edges = Vec::new();
    let mut in_tree = Vec::new();
    for (k, &(a, b)) in all.iter().enumerate() {
        if mst[k] {
            edges.push((a, b));
            in_tree.push(true);
            continue;
        }
        if !rng[k] {
            continue;
        }
        let len = d2(xy[a], xy[b]).sqrt();
        if len > opts.max_edge_km {
            stats.dropped_long += 1;
            continue;
        }
        let (mx, my) = proj.inverse((xy[a].0 + xy[b].0) / 2.0, (xy[a].1 + xy[b].1) / 2.0);
        if !inside(mx, my) {
            stats.dropped_outside += 1;
            continue;
        }
        edges.push((a, b));
        in_tree.push(false);
    }
    let len: Vec<f64> = edges.iter().map(|&(a, b)| d2(xy[a], xy[b]).sqrt()).collect();
    let mut classes: Vec<RoadClass> =
        in_tree.iter().map(|&t| if t { RoadClass::Tertiary } else { RoadClass::Unclassified }).collect();
    let graph = Graph::new(nodes.len(), &edges, &len);

    // Secondary: district centres that are RNG neighbours.
    let centres: Vec<usize> = (0..nodes.len()).filter(|&i| nodes[i].district_centre).collect();
    let mut by_source: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (a, b) in rng_pairs(&xy, &centres) {
        by_source.entry(a).or_default().push(b);
    }
    for (a, targets) in &by_source {
        let pred = graph.shortest_paths(*a, targets);
        for &b in targets {
            upgrade_path(&pred, b, RoadClass::Secondary, &mut classes);
        }
    }
    // Primary: each district centre to its group's regional centre.
    let regional: Vec<usize> = (0..nodes.len()).filter(|&i| nodes[i].regional_centre).collect();
    for &r in &regional {
        let targets: Vec<usize> = centres.iter().copied().filter(|&c| nodes[c].group == nodes[r].group).collect();
        let pred = graph.shortest_paths(r, &targets);
        for &c in &targets {
            upgrade_path(&pred, c, RoadClass::Primary, &mut classes);
        }
    }
    // Trunk: regional centres that are RNG neighbours.
    let mut by_source: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (a, b) in rng_pairs(&xy, &regional) {
        by_source.entry(a).or_default().push(b);
    }
    for (a, targets) in &by_source {
        let pred = graph.shortest_paths(*a, targets);
        for &b in targets {
            upgrade_path(&pred, b, RoadClass::Trunk, &mut classes);
        }
    }

    // Components.
    let mut dsu = Dsu::new(nodes.len());
    for &(a, b) in &edges {
        dsu.union(a, b);
    }
    let mut roots: Vec<usize> = (0..nodes.len()).map(|i| dsu.find(i)).collect();
    roots.sort_unstable();
    roots.dedup();
    stats.components = roots.len();

    // Geometry.
    let mut roads = Vec::with_capacity(edges.len());
    for (e, &(a, b)) in edges.iter().enumerate() {
        let (a, b) = if nodes[a].id <= nodes[b].id { (a, b) } else { (b, a) };
        let (na, nb) = (&nodes[a], &nodes[b]);
        let mut rng = task_rng(opts.seed, na.id.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ nb.id.rotate_left(17));
        let (lo, hi) = classes[e].detour_range();
        let detour = rng.random_range(lo..hi);
        let wiggle = rng.random_range(-0.5..0.5);
        let side = if rng.random::<bool>() { 1.0 } else { -1.0 };
        let planar = curve(xy[a], xy[b], detour, wiggle * side, side);
        let mut coords = Vec::with_capacity(planar.len());
        coords.push((na.lon, na.lat));
        for &(x, y) in &planar[1..planar.len() - 1] {
            coords.push(proj.inverse(x, y));
        }
        coords.push((nb.lon, nb.lat));
        let length_km = coords
            .windows(2)
            .map(|w| Haversine.distance(Point::new(w[0].0, w[0].1), Point::new(w[1].0, w[1].1)) / 1000.0)
            .sum::<f64>();
        roads.push(Road { from: na.id, to: nb.id, class: classes[e], coords, detour, length_km });
    }
    roads.sort_by_key(|r| (r.from, r.to));
    stats.edges = roads.len();
    for r in &roads {
        let entry = stats.by_class.entry(r.class).or_default();
        entry.0 += 1;
        entry.1 += r.length_km;
        stats.total_km += r.length_km;
    }
    (roads, stats)
}

/// A planar polyline from `a` to `b` whose length is `detour` times the straight distance.
fn curve(a: (f64, f64), b: (f64, f64), detour: f64, c: f64, side: f64) -> Vec<(f64, f64)> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let l = (dx * dx + dy * dy).sqrt();
    if l < 1e-9 {
        return vec![a, b];
    }
    let m = ((l / 12.0).round() as usize).clamp(1, 6);
    let (nx, ny) = (-dy / l * side, dx / l * side);
    let points = |amp: f64| -> Vec<(f64, f64)> {
        (0..=m + 1)
            .map(|k| {
                let t = k as f64 / (m + 1) as f64;
                let off = amp * ((std::f64::consts::PI * t).sin() + c * (2.0 * std::f64::consts::PI * t).sin());
                (a.0 + dx * t + nx * off, a.1 + dy * t + ny * off)
            })
            .collect()
    };
    let length = |pts: &[(f64, f64)]| pts.windows(2).map(|w| d2(w[0], w[1]).sqrt()).sum::<f64>();
    let (mut lo, mut hi) = (0.0, l);
    while length(&points(hi)) < detour * l {
        hi *= 2.0;
    }
    for _ in 0..50 {
        let mid = 0.5 * (lo + hi);
        if length(&points(mid)) < detour * l { lo = mid } else { hi = mid }
    }
    points(0.5 * (lo + hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(n: usize) -> Vec<(f64, f64)> {
        let mut rng = task_rng(3, 0);
        (0..n).map(|_| (rng.random_range(0.0..100.0), rng.random_range(0.0..100.0))).collect()
    }

    #[test]
    fn rng_matches_brute_force_and_contains_the_mst() {
        let xy = grid(150);
        let del = delaunay_edges(&xy);
        let keep = relative_neighbourhood(&xy, &del);
        let mut fast: Vec<(usize, usize)> = del.iter().zip(&keep).filter(|(_, k)| **k).map(|(e, _)| *e).collect();
        fast.sort_unstable();
        let mut brute = Vec::new();
        for a in 0..xy.len() {
            for b in a + 1..xy.len() {
                let dab = d2(xy[a], xy[b]);
                if !(0..xy.len()).any(|r| r != a && r != b && d2(xy[a], xy[r]) < dab && d2(xy[b], xy[r]) < dab) {
                    brute.push((a, b));
                }
            }
        }
        assert_eq!(fast, brute);
        let mst = minimum_spanning_forest(&xy, &del);
        assert_eq!(mst.iter().filter(|m| **m).count(), xy.len() - 1);
        assert!(mst.iter().zip(&keep).all(|(m, k)| !m || *k), "the MST is a subgraph of the RNG");
    }

    #[test]
    fn curve_has_the_requested_detour_and_ends() {
        for &(detour, c) in &[(1.02, 0.0), (1.3, 0.4), (1.15, -0.5)] {
            let pts = curve((0.0, 0.0), (40.0, 10.0), detour, c, 1.0);
            let l: f64 = pts.windows(2).map(|w| d2(w[0], w[1]).sqrt()).sum();
            assert!((l / d2((0.0, 0.0), (40.0, 10.0)).sqrt() - detour).abs() < 1e-6);
            assert_eq!(pts[0], (0.0, 0.0));
            assert!(d2(*pts.last().unwrap(), (40.0, 10.0)) < 1e-18);
        }
    }

    #[test]
    fn network_is_connected_and_classed() {
        let proj = Lcc::for_extent(49.0, 51.0, 57.0);
        let xy = grid(200);
        let nodes: Vec<RoadNode> = xy
            .iter()
            .enumerate()
            .map(|(i, &(x, y))| {
                let (lon, lat) = proj.inverse(x * 3.0, y * 3.0);
                RoadNode {
                    id: i as u64 + 10,
                    lon,
                    lat,
                    district_centre: i % 20 == 0,
                    regional_centre: i == 0,
                    group: 0,
                }
            })
            .collect();
        let (roads, stats) = build_roads(&nodes, &proj, &|_, _| true, &RoadOptions { max_edge_km: 60.0, seed: 1 });
        assert_eq!(stats.components, 1);
        assert!(roads.iter().any(|r| r.class == RoadClass::Primary));
        assert!(roads.iter().any(|r| r.class == RoadClass::Secondary));
        assert!(roads.iter().all(|r| r.from < r.to && r.coords.len() >= 3));
        assert!(roads.len() >= nodes.len() - 1 && roads.len() < 2 * nodes.len());
    }
}
