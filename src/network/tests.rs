//! Distance tables against independent oracles: Floyd–Warshall on an
//! explicit graph where every school and its snap point are real nodes, the
//! geodesic lower bound, one-way roads, and the reasons for unlinked schools.

use proptest::prelude::*;

use super::geodesy::geodesic_km;
use super::graph::GraphBuilder;
use super::progress::Silent;
use super::snap::SnapIndex;
use super::speeds::{Direction, RoadAttrs};
use super::*;
use crate::io::schools::HubStatus;

#[derive(Debug, Clone)]
struct Case {
    nodes: Vec<[f64; 2]>,
    /// (a, b, speed, direction 0 both / 1 forward / 2 backward)
    segments: Vec<(usize, usize, f64, u8)>,
    schools: Vec<([f64; 2], bool)>,
    metric: Metric,
    max_km: Option<f64>,
    max_minutes: Option<f64>,
}

fn case() -> impl Strategy<Value = Case> {
    (3usize..10, 1usize..7).prop_flat_map(|(n, s)| {
        let point = || (67.0f64..67.25, 48.0f64..48.2).prop_map(|(x, y)| [x, y]);
        (
            proptest::collection::vec(point(), n),
            proptest::collection::vec((0..n, 0..n, 10.0f64..100.0, 0u8..3), 1..(3 * n)),
            proptest::collection::vec((point(), any::<bool>()), s),
            prop_oneof![Just(Metric::Km), Just(Metric::Minutes)],
            proptest::option::of(3.0f64..40.0),
            proptest::option::of(5.0f64..60.0),
        )
            .prop_map(|(nodes, segments, schools, metric, max_km, max_minutes)| {
                let max_km = if max_km.is_none() && max_minutes.is_none() { Some(25.0) } else { max_km };
                Case { nodes, segments, schools, metric, max_km, max_minutes }
            })
    })
}

fn direction(d: u8) -> Direction {
    match d {
        0 => Direction::Both,
        1 => Direction::Forward,
        _ => Direction::Backward,
    }
}

fn build(c: &Case) -> (RoadGraph, Vec<SchoolPoint>, DistanceOptions) {
    let mut b = GraphBuilder::new();
    let ids: Vec<u32> = c.nodes.iter().map(|&p| b.new_node(p)).collect();
    // One road per pair of nodes: parallel roads of equal length tie exactly, and
    // float sums taken in another order (the oracle's) may then pick the other one.
    let mut seen = std::collections::HashSet::new();
    let mut segments: Vec<_> =
        c.segments.iter().copied().filter(|s| seen.insert((s.0.min(s.1), s.0.max(s.1)))).collect();
    if segments.iter().all(|s| s.0 == s.1) {
        segments.push((0, 1, 50.0, 0));
    }
    for &(x, y, speed, d) in &segments {
        b.add_segment(ids[x], ids[y], RoadAttrs { speed_kmh: speed, direction: direction(d) });
    }
    let g = b.build();
    let mut schools: Vec<SchoolPoint> = c
        .schools
        .iter()
        .enumerate()
        .map(|(i, (p, hub))| SchoolPoint {
            id: format!("s{i}"),
            lon: p[0],
            lat: p[1],
            hub: if *hub { HubStatus::Candidate } else { HubStatus::No },
        })
        .collect();
    schools[0].hub = HubStatus::Existing;
    let opts = DistanceOptions {
        metric: c.metric,
        max_km: c.max_km,
        max_minutes: c.max_minutes,
        snap_limit_km: 1000.0,
        threads: 1,
        ..DistanceOptions::default()
    };
    (g, schools, opts)
}

/// All-pairs `[km, minutes]` by Floyd–Warshall on an explicit graph: road
/// nodes, every school's snap point splitting its segment, every school as a
/// node joined to its snap point by its access leg.
fn oracle(g: &RoadGraph, schools: &[SchoolPoint], opts: &DistanceOptions) -> Vec<Vec<[f64; 2]>> {
    let p = usize::from(opts.metric == Metric::Minutes);
    let index = SnapIndex::new(g);
    let snaps: Vec<_> = schools.iter().map(|s| index.nearest(s.coord()).unwrap()).collect();
    let n = g.node_count();
    let school_node = |i: usize| n + 2 * i;
    let snap_node = |i: usize| n + 2 * i + 1;
    let total = n + 2 * schools.len();
    let mut d = vec![vec![[f64::INFINITY; 2]; total]; total];
    // Lexicographic: the primary metric, ties to the other one.
    let better = move |x: [f64; 2], y: [f64; 2]| x[p] < y[p] || (x[p] == y[p] && x[1 - p] < y[1 - p]);
    let edge = |d: &mut Vec<Vec<[f64; 2]>>, a: usize, b: usize, w: [f64; 2]| {
        if better(w, d[a][b]) {
            d[a][b] = w;
        }
    };
    for (si, seg) in g.segments().iter().enumerate() {
        // Points along the segment: its ends and the snap points on it, by fraction.
        let mut pts: Vec<(f64, usize)> = vec![(0.0, seg.a as usize), (1.0, seg.b as usize)];
        for (i, s) in snaps.iter().enumerate() {
            if s.segment as usize == si {
                pts.push((s.t, snap_node(i)));
            }
        }
        pts.sort_by(|x, y| x.0.total_cmp(&y.0));
        for w in pts.windows(2) {
            let f = w[1].0 - w[0].0;
            let c = [f * seg.km, f * seg.minutes];
            if f == 0.0 {
                // Two names for one point: no direction to respect.
                edge(&mut d, w[0].1, w[1].1, c);
                edge(&mut d, w[1].1, w[0].1, c);
            }
            if seg.direction.forward() {
                edge(&mut d, w[0].1, w[1].1, c);
            }
            if seg.direction.backward() {
                edge(&mut d, w[1].1, w[0].1, c);
            }
        }
    }
    for (i, s) in snaps.iter().enumerate() {
        let c = [s.access_km, s.access_km / opts.access_speed_kmh * 60.0];
        edge(&mut d, school_node(i), snap_node(i), c);
        edge(&mut d, snap_node(i), school_node(i), c);
    }
    for (v, row) in d.iter_mut().enumerate() {
        row[v] = [0.0, 0.0];
    }
    for k in 0..total {
        for i in 0..total {
            let dik = d[i][k];
            if dik[p].is_infinite() {
                continue;
            }
            for j in 0..total {
                let c = [dik[0] + d[k][j][0], dik[1] + d[k][j][1]];
                if better(c, d[i][j]) {
                    d[i][j] = c;
                }
            }
        }
    }
    (0..schools.len()).map(|h| (0..schools.len()).map(|s| d[school_node(h)][school_node(s)]).collect()).collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-5 * a.abs().max(b.abs()) + 1e-9
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_entry_equals_floyd_warshall(c in case()) {
        let (g, schools, opts) = build(&c);
        let t = distance_table(&schools, Some(&g), &opts, &Silent).unwrap();
        let all = oracle(&g, &schools, &opts);
        let p = usize::from(opts.metric == Metric::Minutes);
        for (h, hub) in schools.iter().enumerate() {
            if !hub.is_hub() {
                continue;
            }
            for s in 0..schools.len() {
                let want = if s == h { [0.0, 0.0] } else { all[h][s] };
                let got = t.get(SchoolIdx(s as u32), SchoolIdx(h as u32));
                // Pairs within float noise of the radius may go either way.
                let edge = [opts.max_km, opts.max_minutes].iter().zip(want).any(|(m, v)| m.is_some_and(|m| close(m, v)));
                if edge {
                    continue;
                }
                match got {
                    Some(l) => {
                        prop_assert!(opts.within(want[0], want[1]), "extra link {h}->{s}: {l:?}, oracle {want:?}");
                        prop_assert!(close([l.road_km, l.minutes][p], want[p]), "primary {h}->{s}: {l:?} vs {want:?}");
                        prop_assert!(close(l.road_km, want[0]) && close(l.minutes, want[1]), "{h}->{s}: {l:?} vs {want:?}");
                    }
                    None => prop_assert!(!opts.within(want[0], want[1]), "missing link {h}->{s}: oracle {want:?}"),
                }
            }
        }
    }

    #[test]
    fn road_distance_is_never_below_the_geodesic(c in case()) {
        let (g, schools, mut opts) = build(&c);
        opts.max_km = None;
        opts.max_minutes = Some(1e6);
        let t = distance_table(&schools, Some(&g), &opts, &Silent).unwrap();
        for l in t.links() {
            let straight = geodesic_km(schools[l.hub.0 as usize].coord(), schools[l.school.0 as usize].coord());
            prop_assert!(l.road_km >= straight * (1.0 - 1e-6) - 1e-9, "{l:?} < {straight}");
        }
    }

    #[test]
    fn thread_count_does_not_change_the_table(c in case()) {
        let (g, schools, opts) = build(&c);
        let one = distance_table(&schools, Some(&g), &opts, &Silent).unwrap();
        let two = distance_table(&schools, Some(&g), &DistanceOptions { threads: 2, ..opts }, &Silent).unwrap();
        prop_assert_eq!(one.links(), two.links());
        prop_assert_eq!(one.unlinked, two.unlinked);
    }
}

fn line(points: &[[f64; 2]], direction: Direction) -> GraphBuilder {
    let mut b = GraphBuilder::new();
    b.add_line(points, RoadAttrs { speed_kmh: 60.0, direction });
    b
}

fn school(id: &str, p: [f64; 2], hub: bool) -> SchoolPoint {
    SchoolPoint { id: id.into(), lon: p[0], lat: p[1], hub: if hub { HubStatus::Candidate } else { HubStatus::No } }
}

#[test]
fn one_way_roads_are_driven_one_way() {
    // A one-way road east, and a two-way road back that is three times longer.
    let mut b = line(&[[67.0, 48.0], [67.1, 48.0]], Direction::Forward);
    b.add_line(
        &[[67.1, 48.0], [67.1, 48.1], [67.0, 48.1], [67.0, 48.0]],
        RoadAttrs { speed_kmh: 60.0, direction: Direction::Both },
    );
    let g = b.build();
    let schools = vec![school("w", [67.0, 48.0], true), school("e", [67.1, 48.0], true)];
    let opts = DistanceOptions { max_km: Some(100.0), ..DistanceOptions::default() };
    let t = distance_table(&schools, Some(&g), &opts, &Silent).unwrap();
    let east = t.get(SchoolIdx(1), SchoolIdx(0)).unwrap().road_km;
    let west = t.get(SchoolIdx(0), SchoolIdx(1)).unwrap().road_km;
    let direct = geodesic_km([67.0, 48.0], [67.1, 48.0]);
    assert!((east - direct).abs() < 1e-5, "{east} vs {direct}");
    assert!(west > 2.5 * direct, "west {west} must take the long way round");
    // Without the way back, the east school cannot reach the west one at all.
    let g = line(&[[67.0, 48.0], [67.1, 48.0]], Direction::Forward).build();
    let t = distance_table(&schools, Some(&g), &opts, &Silent).unwrap();
    assert!(t.get(SchoolIdx(1), SchoolIdx(0)).is_some());
    assert!(t.get(SchoolIdx(0), SchoolIdx(1)).is_none());
}

#[test]
fn unlinked_schools_are_reported_with_reason_and_distance() {
    let mut b = line(&[[67.0, 48.0], [67.5, 48.0]], Direction::Both);
    b.add_line(&[[68.0, 49.0], [68.1, 49.0]], RoadAttrs { speed_kmh: 60.0, direction: Direction::Both });
    let g = b.build();
    let schools = vec![
        school("hub", [67.0, 48.0], true),
        school("near", [67.1, 48.0], false),
        school("far_along", [67.5, 48.0], false),
        school("off_road", [67.2, 48.3], false),
        school("island", [68.05, 49.0], false),
    ];
    let opts = DistanceOptions { max_km: Some(20.0), ..DistanceOptions::default() };
    let t = distance_table(&schools, Some(&g), &opts, &Silent).unwrap();
    assert!(t.get(SchoolIdx(1), SchoolIdx(0)).is_some());
    let reasons: Vec<(u32, &str, f64)> =
        t.unlinked.iter().map(|u| (u.school.0, u.reason.as_str(), u.reason.distance_km())).collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert_eq!((reasons[0].0, reasons[0].1), (2, "no_hub_in_range"));
    assert!((reasons[0].2 - geodesic_km([67.0, 48.0], [67.5, 48.0])).abs() < 1e-5);
    assert_eq!((reasons[1].0, reasons[1].1), (3, "far_from_road"));
    assert!((reasons[1].2 - geodesic_km([67.2, 48.3], [67.2, 48.0])).abs() < 0.05, "{reasons:?}");
    assert_eq!((reasons[2].0, reasons[2].1), (4, "cut_off"));
    let stats = t.snap.unwrap();
    assert_eq!(stats.snapped, 4);
}

#[test]
fn fallback_is_labelled_and_scaled_by_the_detour_factor() {
    let schools =
        vec![school("h", [67.0, 48.0], true), school("a", [67.5, 48.0], false), school("b", [69.0, 48.0], false)];
    let opts = DistanceOptions { max_km: Some(60.0), detour_factor: 1.5, ..DistanceOptions::default() };
    let t = distance_table(&schools, None, &opts, &Silent).unwrap();
    assert!(t.is_approx());
    let l = t.get(SchoolIdx(1), SchoolIdx(0)).unwrap();
    assert!(l.approx);
    assert!((l.road_km - 1.5 * geodesic_km([67.0, 48.0], [67.5, 48.0])).abs() < 1e-9);
    assert!((l.minutes - l.road_km / 50.0 * 60.0).abs() < 1e-9);
    assert_eq!(t.unlinked.len(), 1);
    assert_eq!(t.unlinked[0].reason.as_str(), "no_hub_in_range");
}

#[test]
fn bad_options_and_missing_hubs_are_refused() {
    let schools = vec![school("a", [67.0, 48.0], false)];
    let e = distance_table(&schools, None, &DistanceOptions::default(), &Silent).unwrap_err();
    assert!(matches!(e, NetworkError::NoHubs));
    let schools = vec![school("a", [67.0, 48.0], true)];
    let bad = DistanceOptions { max_km: None, max_minutes: None, detour_factor: 0.5, ..DistanceOptions::default() };
    let e = distance_table(&schools, None, &bad, &Silent).unwrap_err().to_string();
    assert!(e.contains("link radius") && e.contains("detour_factor"), "{e}");
}

#[test]
fn exact_ties_in_km_go_to_the_faster_road() {
    // The same road twice (a duplicated way), once slow and once fast.
    let mut b = GraphBuilder::new();
    b.add_line(&[[67.0, 48.0], [67.1, 48.0]], RoadAttrs { speed_kmh: 20.0, direction: Direction::Both });
    b.add_line(&[[67.1, 48.0], [67.0, 48.0]], RoadAttrs { speed_kmh: 80.0, direction: Direction::Both });
    b.add_line(&[[67.1, 48.0], [67.2, 48.0]], RoadAttrs { speed_kmh: 60.0, direction: Direction::Both });
    let g = b.build();
    let schools = vec![school("h", [67.0, 48.0], true), school("s", [67.2, 48.0], false)];
    let t = distance_table(&schools, Some(&g), &DistanceOptions::default(), &Silent).unwrap();
    let l = t.get(SchoolIdx(1), SchoolIdx(0)).unwrap();
    let leg = geodesic_km([67.0, 48.0], [67.1, 48.0]);
    assert!((l.minutes - (leg / 80.0 + geodesic_km([67.1, 48.0], [67.2, 48.0]) / 60.0) * 60.0).abs() < 1e-4, "{l:?}");
}
