//! The fallback when there is no road layer: geodesic ("great-circle", on
//! the WGS84 ellipsoid) distance × a detour factor, driven at a fixed speed.
//! Every link it makes is marked `approx`, and the table's method says so.
//!
//! The default factor 1.3 is the usual ratio of road to straight-line
//! distance on rural networks (circuity studies report 1.2–1.4); set it from
//! local data when a sample of real road distances is at hand.

use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::GeomWithData;

use super::geodesy::geodesic_km;
use super::options::{DistanceOptions, SchoolPoint};
use super::progress::{Progress, Stage};
use super::table::{Link, SchoolIdx, Unlinked, UnlinkedReason};

/// Smallest radius of curvature of the WGS84 ellipsoid, km: turning a
/// geodesic radius into an angle with it can only widen the search.
const MIN_RADIUS_KM: f64 = 6335.4;

fn unit_vector(p: [f64; 2]) -> [f64; 3] {
    let (lon, lat) = (p[0].to_radians(), p[1].to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// Approximate links from every hub to every school within the radius.
pub(crate) fn approx_links(
    schools: &[SchoolPoint],
    hubs: &[u32],
    opts: &DistanceOptions,
    progress: &dyn Progress,
) -> (Vec<Link>, Vec<Unlinked>) {
    let tree = RTree::bulk_load(
        hubs.iter().map(|&h| GeomWithData::new(unit_vector(schools[h as usize].coord()), h)).collect::<Vec<_>>(),
    );
    let by_km = opts.max_km.map(|k| k / opts.detour_factor);
    let by_time = opts.max_minutes.map(|m| m / 60.0 * opts.fallback_speed_kmh / opts.detour_factor);
    let radius_km = match (by_km, by_time) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => f64::INFINITY,
    };
    let angle = (radius_km / MIN_RADIUS_KM).min(std::f64::consts::PI);
    let chord = 2.0 * (angle / 2.0).sin() + 1e-9;
    progress.begin(Stage::Distances, Some(schools.len() as u64));
    let one = |s: usize| -> (Vec<Link>, Option<Unlinked>) {
        let p = schools[s].coord();
        let mut links = Vec::new();
        for item in tree.locate_within_distance(unit_vector(p), chord * chord) {
            let h = item.data;
            if h as usize == s {
                continue;
            }
            let km = geodesic_km(schools[h as usize].coord(), p) * opts.detour_factor;
            let minutes = km / opts.fallback_speed_kmh * 60.0;
            if opts.within(km, minutes) {
                links.push(Link { school: SchoolIdx(s as u32), hub: SchoolIdx(h), road_km: km, minutes, approx: true });
            }
        }
        let unlinked = if links.is_empty() && !schools[s].is_hub() {
            tree.nearest_neighbor_iter(&unit_vector(p)).find(|i| i.data as usize != s).map(|i| {
                let km = geodesic_km(schools[i.data as usize].coord(), p) * opts.detour_factor;
                Unlinked {
                    school: SchoolIdx(s as u32),
                    reason: UnlinkedReason::NoHubInRange {
                        nearest_km: km,
                        nearest_minutes: km / opts.fallback_speed_kmh * 60.0,
                    },
                }
            })
        } else {
            None
        };
        progress.advance(1);
        (links, unlinked)
    };
    let per_school: Vec<(Vec<Link>, Option<Unlinked>)> = if opts.threads == 1 {
        (0..schools.len()).map(one).collect()
    } else {
        (0..schools.len()).into_par_iter().map(one).collect()
    };
    progress.end();
    let mut links = Vec::new();
    let mut unlinked = Vec::new();
    for (l, u) in per_school {
        links.extend(l);
        unlinked.extend(u);
    }
    (links, unlinked)
}
