//! Distances on the WGS84 ellipsoid. Every length in hubplan, of a road
//! segment, an access leg or a straight line between two schools, is a
//! geodesic from `geo` (Karney 2013, "Algorithms for geodesics", J. Geodesy
//! 87:43–55), so a road distance can never come out shorter than the straight
//! line between its ends except by floating-point rounding.
//!
//! Points are `[lon, lat]` in degrees, as in GeoJSON.

use geo::{Distance, Geodesic, InterpolatePoint, Point};

/// WGS84 semi-major axis, km.
const A_KM: f64 = 6378.137;
/// WGS84 first eccentricity squared.
const E2: f64 = 0.006_694_379_990_14;

/// Geodesic distance between two `[lon, lat]` points, km.
///
/// ```
/// use hubplan::network::geodesy::geodesic_km;
/// // One degree of latitude near Astana is about 111.2 km.
/// let d = geodesic_km([71.4, 51.0], [71.4, 52.0]);
/// assert!((d - 111.26).abs() < 0.05, "{d}");
/// ```
pub fn geodesic_km(a: [f64; 2], b: [f64; 2]) -> f64 {
    Geodesic.distance(Point::new(a[0], a[1]), Point::new(b[0], b[1])) / 1000.0
}

/// The point a fraction `t` (0..=1) of the way along the geodesic from `a` to `b`.
pub fn interpolate(a: [f64; 2], b: [f64; 2], t: f64) -> [f64; 2] {
    if t <= 0.0 {
        return a;
    }
    if t >= 1.0 {
        return b;
    }
    let p = Geodesic.point_at_ratio_between(Point::new(a[0], a[1]), Point::new(b[0], b[1]), t);
    [p.x(), p.y()]
}

/// Whether `[lon, lat]` is a valid WGS84 coordinate.
pub fn in_range(p: [f64; 2]) -> bool {
    p[0].is_finite() && p[1].is_finite() && (-180.0..=180.0).contains(&p[0]) && (-90.0..=90.0).contains(&p[1])
}

/// Kilometres per degree of longitude and of latitude at latitude `lat_deg`
/// (radii of curvature of the WGS84 ellipsoid).
pub fn km_per_degree(lat_deg: f64) -> (f64, f64) {
    let phi = lat_deg.to_radians();
    let s2 = phi.sin() * phi.sin();
    let w = (1.0 - E2 * s2).sqrt();
    let n = A_KM / w; // prime vertical
    let m = A_KM * (1.0 - E2) / (w * w * w); // meridional
    (n * phi.cos() * std::f64::consts::PI / 180.0, m * std::f64::consts::PI / 180.0)
}

/// The fraction along segment `a`–`b` of the point nearest to `p`, in a local
/// plane tangent at `p` (exact enough for segments up to tens of km).
pub fn nearest_fraction(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (kx, ky) = km_per_degree(p[1]);
    let ax = wrap_lon(a[0] - p[0]) * kx;
    let ay = (a[1] - p[1]) * ky;
    let bx = wrap_lon(b[0] - p[0]) * kx;
    let by = (b[1] - p[1]) * ky;
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    if len2 <= 0.0 { 0.0 } else { ((-ax * dx - ay * dy) / len2).clamp(0.0, 1.0) }
}

fn wrap_lon(d: f64) -> f64 {
    if d > 180.0 {
        d - 360.0
    } else if d < -180.0 {
        d + 360.0
    } else {
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_finds_the_foot_of_the_perpendicular() {
        let t = nearest_fraction([67.05, 48.01], [67.0, 48.0], [67.1, 48.0]);
        assert!((t - 0.5).abs() < 1e-3, "{t}");
        assert_eq!(nearest_fraction([66.0, 48.0], [67.0, 48.0], [67.1, 48.0]), 0.0);
        let m = interpolate([67.0, 48.0], [67.1, 48.0], 0.5);
        let l = geodesic_km([67.0, 48.0], [67.1, 48.0]);
        assert!((geodesic_km([67.0, 48.0], m) - l / 2.0).abs() < 1e-9);
    }

    #[test]
    fn degree_lengths_match_geodesics() {
        let (kx, ky) = km_per_degree(48.0);
        assert!((kx * 0.01 - geodesic_km([67.0, 48.0], [67.01, 48.0])).abs() < 1e-5);
        assert!((ky * 0.01 - geodesic_km([67.0, 47.995], [67.0, 48.005])).abs() < 1e-5);
    }
}
