//! Attaching schools to the road network: the nearest point on the nearest
//! road segment, found with an rstar R-tree.
//!
//! The tree holds segments in longitude/latitude with longitude scaled by the
//! cosine of the network's highest latitude, so planar distances in the tree
//! never exceed true distances; candidates are taken nearest-first and
//! checked with true geodesic distances until no nearer one can follow.

use rstar::primitives::{GeomWithData, Line};
use rstar::{PointDistance, RTree};

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
        let max_abs_lat = graph.coords().iter().fold(0.0f64, |m, c| m.max(c[1].abs())).min(89.0);
        let lon_scale = max_abs_lat.to_radians().cos();
        let items: Vec<Item> = graph
            .segments()
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (a, b) = (graph.coords()[s.a as usize], graph.coords()[s.b as usize]);
                GeomWithData::new(Line::new([a[0] * lon_scale, a[1]], [b[0] * lon_scale, b[1]]), i as u32)
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
            let seg = self.graph.segments()[item.data as usize];
            let (a, b) = (self.graph.coords()[seg.a as usize], self.graph.coords()[seg.b as usize]);
            let t = nearest_fraction(p, a, b);
            let point = interpolate(a, b, t);
            let access_km = geodesic_km(p, point);
            let better = match &best {
                None => true,
                Some(b) => access_km < b.access_km || (access_km == b.access_km && item.data < b.segment),
            };
            if better {
                best = Some(Snap { segment: item.data, t, point, access_km });
            }
        }
        best
    }
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
}
