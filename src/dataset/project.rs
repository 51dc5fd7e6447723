//! A Lambert conformal conic projection (spherical form) to kilometres, so
//! that planar geometry (Delaunay triangulation, neighbourhood graphs,
//! Voronoi cells) can be done on settlements spread over a whole country.
//!
//! Formulas: J. P. Snyder, *Map Projections — A Working Manual*, USGS
//! Professional Paper 1395 (1987), equations 15-1 to 15-5 and their inverses.
//! Conformal: small shapes and angles are kept, so neighbourhood graphs built
//! in the plane match those on the sphere closely; scale errors stay within
//! about 1% between the standard parallels chosen by [`Lcc::for_extent`].

/// Mean Earth radius in km (IUGG), as used by `geo`'s haversine.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// A Lambert conformal conic projection with two standard parallels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lcc {
    n: f64,
    rf: f64,
    rho0: f64,
    lon0: f64,
}

fn t(lat: f64) -> f64 {
    (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan()
}

impl Lcc {
    /// A projection with origin (`lon0`, `lat0`) and standard parallels `lat1`, `lat2` (degrees).
    pub fn new(lon0: f64, lat0: f64, lat1: f64, lat2: f64) -> Lcc {
        let (p0, p1, p2) = (lat0.to_radians(), lat1.to_radians(), lat2.to_radians());
        let n = if (p1 - p2).abs() < 1e-9 { p1.sin() } else { (p1.cos() / p2.cos()).ln() / (t(p2) / t(p1)).ln() };
        let f = p1.cos() * t(p1).powf(n) / n;
        let rf = EARTH_RADIUS_KM * f;
        Lcc { n, rf, rho0: rf / t(p0).powf(n), lon0: lon0.to_radians() }
    }

    /// A projection suited to points between `min_lat` and `max_lat`
    /// (standard parallels at one sixth and five sixths of the range, a
    /// classic rule of thumb; at least 1° apart), centred on `centre_lon`.
    pub fn for_extent(min_lat: f64, max_lat: f64, centre_lon: f64) -> Lcc {
        let mid = (min_lat + max_lat) / 2.0;
        let half = ((max_lat - min_lat) / 3.0).max(1.0);
        Lcc::new(centre_lon, mid, mid - half, mid + half)
    }

    /// Longitude and latitude (degrees) to planar x, y (km).
    pub fn forward(&self, lon: f64, lat: f64) -> (f64, f64) {
        let rho = self.rf / t(lat.to_radians()).powf(self.n);
        let theta = self.n * (lon.to_radians() - self.lon0);
        (rho * theta.sin(), self.rho0 - rho * theta.cos())
    }

    /// Planar x, y (km) back to longitude and latitude (degrees).
    pub fn inverse(&self, x: f64, y: f64) -> (f64, f64) {
        let dy = self.rho0 - y;
        let rho = self.n.signum() * (x * x + dy * dy).sqrt();
        let theta = if self.n > 0.0 { x.atan2(dy) } else { (-x).atan2(-dy) };
        let lat = 2.0 * (self.rf / rho).powf(1.0 / self.n).atan() - std::f64::consts::FRAC_PI_2;
        let lon = theta / self.n + self.lon0;
        (lon.to_degrees(), lat.to_degrees())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Distance, Haversine, Point};

    #[test]
    fn round_trip_and_distances_match_the_sphere() {
        let p = Lcc::for_extent(40.0, 56.0, 67.0);
        for &(lon, lat) in &[(57.2, 50.3), (46.5, 47.0), (87.0, 49.0), (67.0, 40.6)] {
            let (x, y) = p.forward(lon, lat);
            let (lon2, lat2) = p.inverse(x, y);
            assert!((lon - lon2).abs() < 1e-9 && (lat - lat2).abs() < 1e-9, "{lon},{lat} -> {lon2},{lat2}");
        }
        // Aktobe to Kandyagash, about 100 km: planar and great-circle lengths agree within 2%.
        let (a, b) = ((57.2299, 50.2836), (57.4225, 49.4718));
        let (ax, ay) = p.forward(a.0, a.1);
        let (bx, by) = p.forward(b.0, b.1);
        let planar = ((ax - bx).powi(2) + (ay - by).powi(2)).sqrt();
        let sphere = Haversine.distance(Point::new(a.0, a.1), Point::new(b.0, b.1)) / 1000.0;
        assert!((planar / sphere - 1.0).abs() < 0.02, "planar {planar} sphere {sphere}");
    }
}
