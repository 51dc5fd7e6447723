//! Attaching schools to the road network: the nearest point on the nearest
//! road segment, found with an rstar R-tree.
//!
//! The tree holds segments in longitude/latitude with longitude scaled by the
//! cosine of the network's highest latitude, so planar distances in the tree
//! never exceed true distances; candidates are taken nearest-first and
//! checked with true geodesic distances until no nearer one can follow.

use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Line};
use rstar::{PointDistance, RTree};
use rustc_hash::FxHashSet;

use super::geodesy::{geodesic_km, interpolate, nearest_fraction};
use super::graph::RoadGraph;

/// Kilometres per (scaled) degree can never be less than this: the WGS84
/// meridian degree is at least 110.57 km; 1 % margin for curved geodesics.
const MIN_KM_PER_SCALED_DEGREE: f64 = 110.57 * 0.99;

/// Where a point meets the road network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snap {
    /// Index into [`RoadGraph::segments`].
    pub segment: u32,
    /// Fraction along the segment from its `a` end (0..=1).
    pub t: f64,
    /// The point on the road, `[lon, lat]`.
    pub point: [f64; 2],
    /// Straight-line (geodesic) distance from the point to the road, km.
    pub access_km: f64,
}

type Item = GeomWithData<Line<[f64; 2]>, u32>;

/// An R-tree over a graph's segments.
pub struct SnapIndex<'g> {
    graph: &'g RoadGraph,
    tree: RTree<Item>,
    lon_scale: f64,
}

impl<'g> SnapIndex<'g> {
    /// Indexes every segment of `graph`.
    pub fn new(graph: &'g RoadGraph) -> Self {
        Self::over(graph, (0..graph.segments().len() as u32).collect())
    }

    /// Indexes the listed segments only (indices into [`RoadGraph::segments`]).
    fn over(graph: &'g RoadGraph, segments: Vec<u32>) -> Self {
        let lon_scale = lon_scale(graph);
        let items: Vec<Item> = segments
            .into_iter()
            .map(|i| {
                let s = graph.segments()[i as usize];
                let (a, b) = (graph.coords()[s.a as usize], graph.coords()[s.b as usize]);
                GeomWithData::new(Line::new([a[0] * lon_scale, a[1]], [b[0] * lon_scale, b[1]]), i)
            })
            .collect();
        SnapIndex { graph, tree: RTree::bulk_load(items), lon_scale }
    }

    /// The nearest point on any road to `p` (`[lon, lat]`); `None` for an empty network.
    ///
    /// Ties between equally near segments go to the lowest segment index.
    pub fn nearest(&self, p: [f64; 2]) -> Option<Snap> {
        let q = [p[0] * self.lon_scale, p[1]];
        let mut best: Option<Snap> = None;
        for item in self.tree.nearest_neighbor_iter(&q) {
            let lower_km = item.geom().distance_2(&q).sqrt() * MIN_KM_PER_SCALED_DEGREE;
            if let Some(b) = &best
                && lower_km > b.access_km
            {
                break;
            }
            let snap = snap_to(self.graph, p, item.data);
            if is_better(&snap, &best) {
                best = Some(snap);
            }
        }
        best
    }
}

/// Longitude scale of the planar index: the cosine of the network's highest
/// latitude, so scaled planar distances never exceed true ones.
fn lon_scale(graph: &RoadGraph) -> f64 {
    let max_abs_lat = graph.coords().iter().fold(0.0f64, |m, c| m.max(c[1].abs())).min(89.0);
    max_abs_lat.to_radians().cos()
}

/// The nearest point of segment `segment` to `p`.
fn snap_to(graph: &RoadGraph, p: [f64; 2], segment: u32) -> Snap {
    let seg = graph.segments()[segment as usize];
    let (a, b) = (graph.coords()[seg.a as usize], graph.coords()[seg.b as usize]);
    let t = nearest_fraction(p, a, b);
    let point = interpolate(a, b, t);
    Snap { segment, t, point, access_km: geodesic_km(p, point) }
}

/// Nearer, or as near on a lower segment index: one total order, so every
/// search below finds the same snap.
fn is_better(s: &Snap, best: &Option<Snap>) -> bool {
    match best {
        None => true,
        Some(b) => s.access_km < b.access_km || (s.access_km == b.access_km && s.segment < b.segment),
    }
}

/// More points than this beyond the search radius get a full index rather
/// than a scan of every segment each.
const MAX_SCANNED: usize = 32;

/// Snaps every point to its nearest road point: the same result as
/// [`SnapIndex::nearest`] over the whole network, with far less memory.
///
/// An R-tree over a country's tens of millions of segments takes gigabytes,
/// yet schools need only the roads around them. So the tree holds only the
/// segments that can lie within `radius_km` of some point (found through a
/// grid of marked cells); a point whose nearest road in that tree is within
/// the radius has its true nearest road. The few points farther than that
/// from every indexed road are settled by a parallel scan of all segments
/// (a cheap planar bound skips most), or, when there are many, by a full
/// index. `radius_km` (the snap limit is a good choice) changes the memory
/// and time, never the result.
pub fn snap_points(graph: &RoadGraph, points: &[[f64; 2]], radius_km: f64) -> Vec<Option<Snap>> {
    if graph.segments().is_empty() {
        return vec![None; points.len()];
    }
    let near = SnapIndex::over(graph, segments_near(graph, points, radius_km));
    let mut out: Vec<Option<Snap>> = points.par_iter().map(|&p| near.nearest(p)).collect();
    drop(near);
    let far: Vec<usize> = (0..points.len()).filter(|&i| out[i].is_none_or(|s| s.access_km > radius_km)).collect();
    if far.len() > MAX_SCANNED {
        let full = SnapIndex::new(graph);
        let snaps: Vec<Option<Snap>> = far.par_iter().map(|&i| full.nearest(points[i])).collect();
        for (&i, s) in far.iter().zip(snaps) {
            out[i] = s;
        }
    } else {
        for i in far {
            out[i] = scan_nearest(graph, points[i]);
        }
    }
    out
}

/// Indices of the segments whose planar envelope comes within `radius_km`
/// (with margin) of some point, in increasing order.
fn segments_near(graph: &RoadGraph, points: &[[f64; 2]], radius_km: f64) -> Vec<u32> {
    let scale = lon_scale(graph);
    // Planar scaled distance × MIN_KM_PER_SCALED_DEGREE never exceeds the
    // true distance; 2 % and ~0.5 km more cover geodesics bowing away from
    // the straight lon/lat segment.
    let r = (radius_km.max(0.0) / MIN_KM_PER_SCALED_DEGREE) * 1.02 + 0.005;
    let cell = r;
    let key = |x: f64, y: f64| ((x / cell).floor() as i64, (y / cell).floor() as i64);
    let mut marked: FxHashSet<(i64, i64)> = FxHashSet::default();
    for p in points {
        let (x, y) = (p[0] * scale, p[1]);
        let (x0, y0) = key(x - r, y - r);
        let (x1, y1) = key(x + r, y + r);
        for cx in x0..=x1 {
            for cy in y0..=y1 {
                marked.insert((cx, cy));
            }
        }
    }
    let coords = graph.coords();
    graph
        .segments()
        .par_iter()
        .enumerate()
        .filter(|(_, s)| {
            let (a, b) = (coords[s.a as usize], coords[s.b as usize]);
            let (x0, y0) = key(a[0].min(b[0]) * scale, a[1].min(b[1]));
            let (x1, y1) = key(a[0].max(b[0]) * scale, a[1].max(b[1]));
            // A segment over many cells (a long road) is kept without looking.
            if (x1 - x0 + 1).saturating_mul(y1 - y0 + 1) > 64 {
                return true;
            }
            (x0..=x1).any(|cx| (y0..=y1).any(|cy| marked.contains(&(cx, cy))))
        })
        .map(|(i, _)| i as u32)
        .collect()
}

/// The nearest road point of `p` by looking at every segment (in parallel);
/// the planar bound of the index skips the exact computation for most.
fn scan_nearest(graph: &RoadGraph, p: [f64; 2]) -> Option<Snap> {
    let scale = lon_scale(graph);
    let q = [p[0] * scale, p[1]];
    let coords = graph.coords();
    graph
        .segments()
        .par_iter()
        .enumerate()
        .fold(
            || None,
            |best: Option<Snap>, (i, s)| {
                let (a, b) = (coords[s.a as usize], coords[s.b as usize]);
                let line = Line::new([a[0] * scale, a[1]], [b[0] * scale, b[1]]);
                let lower_km = line.distance_2(&q).sqrt() * MIN_KM_PER_SCALED_DEGREE;
                if best.is_some_and(|b| lower_km > b.access_km) {
                    return best;
                }
                let snap = snap_to(graph, p, i as u32);
                if is_better(&snap, &best) { Some(snap) } else { best }
            },
        )
        .reduce(
            || None,
            |x, y| match (x, y) {
                (Some(x), y) if !is_better(&x, &y) => y,
                (None, y) => y,
                (x, _) => x,
            },
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::graph::GraphBuilder;
    use crate::network::speeds::{Direction, RoadAttrs};

    #[test]
    fn snaps_to_the_nearest_point_of_the_nearest_segment() {
        let mut b = GraphBuilder::new();
        let r = RoadAttrs { speed_kmh: 60.0, direction: Direction::Both };
        b.add_line(&[[67.0, 48.0], [67.2, 48.0]], r);
        b.add_line(&[[67.0, 48.05], [67.2, 48.05]], r);
        let g = b.build();
        let idx = SnapIndex::new(&g);
        let s = idx.nearest([67.1, 48.01]).unwrap();
        let seg = g.segments()[s.segment as usize];
        assert!((g.coords()[seg.a as usize][1] - 48.0).abs() < 1e-12);
        assert!((s.point[0] - 67.1).abs() < 1e-4, "{:?}", s.point);
        assert!((s.access_km - geodesic_km([67.1, 48.01], [67.1, 48.0])).abs() < 0.01);
        // Beyond the end of a line: its end vertex.
        let s = idx.nearest([67.3, 48.0]).unwrap();
        assert!(s.t == 0.0 || s.t == 1.0);
        assert!((s.access_km - geodesic_km([67.3, 48.0], [67.2, 48.0])).abs() < 1e-9);
    }

    /// The memory-saving snap gives exactly the full index's answer for any
    /// radius: near points through the reduced tree, a few far ones by the
    /// scan, many far ones by the full index.
    #[test]
    fn snap_points_equals_the_full_index_for_any_radius() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut b = GraphBuilder::new();
        let r = RoadAttrs { speed_kmh: 60.0, direction: Direction::Both };
        // Random roads of 2–6 vertices around (60°E, 50°N), some long.
        for _ in 0..400 {
            let mut p = [rng.random_range(58.0..62.0), rng.random_range(48.0..52.0)];
            let mut line = vec![p];
            let step = if rng.random_bool(0.1) { 1.0 } else { 0.05 };
            for _ in 0..rng.random_range(1..6) {
                p = [p[0] + rng.random_range(-step..step), p[1] + rng.random_range(-step..step)];
                line.push(p);
            }
            b.add_line(&line, r);
        }
        let g = b.build();
        let full = SnapIndex::new(&g);
        // Points inside the network and far outside it.
        let points: Vec<[f64; 2]> = (0..300)
            .map(|i| {
                if i % 5 == 0 {
                    [rng.random_range(50.0..70.0), rng.random_range(40.0..60.0)]
                } else {
                    [rng.random_range(58.0..62.0), rng.random_range(48.0..52.0)]
                }
            })
            .collect();
        let expect: Vec<Option<Snap>> = points.iter().map(|&p| full.nearest(p)).collect();
        for radius in [0.0, 0.5, 2.0, 10.0, 1000.0] {
            assert_eq!(snap_points(&g, &points, radius), expect, "radius {radius} km (many far points)");
        }
        // Few far points: the scan path.
        let few: Vec<[f64; 2]> = points
            .iter()
            .copied()
            .filter(|p| (58.0..62.0).contains(&p[0]))
            .take(40)
            .chain([[66.0, 44.0], [55.0, 57.0]])
            .collect();
        let expect: Vec<Option<Snap>> = few.iter().map(|&p| full.nearest(p)).collect();
        for radius in [1.0, 5.0] {
            assert_eq!(snap_points(&g, &few, radius), expect, "radius {radius} km (few far points)");
        }
        assert_eq!(snap_points(&GraphBuilder::new().build(), &few, 5.0), vec![None; few.len()]);
    }
}
