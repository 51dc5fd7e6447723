//! The `internet` column of a built dataset: whether a school's connection
//! is good enough for a live online lesson.
//!
//! No open data say which school has which connection, so this column is an
//! ASSUMPTION, calibrated to one published national figure: before a school
//! year, the Ministry of Enlightenment counted 6,936 schools, 6,924 of them
//! connected, 5,773 (83%) at 8–200 Mbit/s and 1,151 (17%) below 8 Mbit/s
//! (vice-minister A. Iliyasov, reported by zakon.kz,
//! <https://kaz.zakon.kz/amp/bilim/6011245-mektepterde-zhogary-zhyldamdykty-internet-mselesi-li-de-bar-ministr.html>).
//! A school at 8 Mbit/s or more counts as `yes`, one below it or without a
//! connection as `no`: (1,151 + 12) / 6,936 = 16.8% `no`.
//!
//! Which schools are `no` follows the same report ("connection problems in
//! the schools of remote small settlements"): urban schools are `yes`; a
//! rural school is `no` with probability p = 1 / (1 + e^−z),
//! z = a + [`SMALL_LOGIT`]·small + [`CENTRE_LOGIT`]·district centre +
//! [`KM_LOGIT`]·min(km to the district centre, [`KM_CAP`]), the slopes an
//! ASSUMPTION and the intercept a fitted (bisection) so that the expected
//! share of `no` among all the dataset's schools is [`TARGET_NO_SHARE`]. Each
//! school draws its own uniform number from the seed and its id, so a
//! school's value does not depend on the order of the rows.

use geo::{Distance, Haversine, Point};
use rand::Rng as _;

use super::schools::School;
use super::settlements::Settlement;
use crate::io::schools::Internet;
use crate::rng::task_rng;

/// Published share of schools without a connection fit for online lessons:
/// (1,151 below 8 Mbit/s + 12 unconnected) of 6,936 schools.
pub const TARGET_NO_SHARE: f64 = (1151.0 + 12.0) / 6936.0;
/// Log-odds of `no` added for a small school (ASSUMPTION: odds × e ≈ 2.7).
pub const SMALL_LOGIT: f64 = 1.0;
/// Log-odds of `no` added for a school in its district's centre (ASSUMPTION: odds × e^−1.5 ≈ 0.22).
pub const CENTRE_LOGIT: f64 = -1.5;
/// Log-odds of `no` added per km from the district centre (ASSUMPTION: 100 km → odds × 4.5).
pub const KM_LOGIT: f64 = 0.015;
/// Distances beyond this count as this, km.
pub const KM_CAP: f64 = 150.0;

/// How the `internet` column was drawn, for the dataset README.
#[derive(Debug, Clone, PartialEq)]
pub struct InternetCalibration {
    /// The share of `no` aimed at (among all schools).
    pub target_no_share: f64,
    /// The fitted intercept a.
    pub intercept: f64,
    /// Schools.
    pub schools: usize,
    /// Schools drawn `no`.
    pub no: usize,
    /// Rural schools.
    pub rural: usize,
    /// Rural schools drawn `no`.
    pub rural_no: usize,
    /// Small schools.
    pub small: usize,
    /// Small schools drawn `no`.
    pub small_no: usize,
}

impl InternetCalibration {
    /// The built share of `no` among all schools (0 without schools).
    pub fn no_share(&self) -> f64 {
        if self.schools == 0 { 0.0 } else { self.no as f64 / self.schools as f64 }
    }
}

/// FNV-1a of a school id: a stream number that depends on the id alone.
fn id_stream(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

fn logistic(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Fills every school's `internet` (see the module documentation).
///
/// ```
/// # use hubplan::dataset::internet::assign_internet;
/// # use hubplan::dataset::schools::{School, StudentsFrom};
/// # use hubplan::dataset::raw::Place;
/// # use hubplan::io::schools::{HubStatus, Internet};
/// let school = |id: &str, rural: bool| School { id: id.into(), name: String::new(), district: 0, lon: 57.0,
///     lat: 50.0, students: 60, small: rural, hub: HubStatus::No, rural, settlement_id: 1,
///     settlement: String::new(), place: Place::Village, district_centre: false,
///     students_from: StudentsFrom::Population, internet: Internet::Unknown };
/// let mut schools: Vec<School> = (0..200).map(|i| school(&format!("s{i}"), i % 2 == 0)).collect();
/// let cal = assign_internet(&mut schools, &[], 2025);
/// assert!(schools.iter().all(|s| s.internet != Internet::Unknown));
/// assert!(schools.iter().filter(|s| !s.rural).all(|s| s.internet == Internet::Yes));
/// assert_eq!(cal.no, schools.iter().filter(|s| s.internet == Internet::No).count());
/// ```
pub fn assign_internet(schools: &mut [School], settlements: &[Settlement], seed: u64) -> InternetCalibration {
    // The district centre is the first centre settlement of the district, as the README's tables take it.
    let centre = |d: usize| settlements.iter().find(|s| s.district == d && s.district_centre);
    let base: Vec<Option<f64>> = schools
        .iter()
        .map(|s| {
            if !s.rural {
                return None;
            }
            let km = centre(s.district)
                .map_or(0.0, |c| Haversine.distance(Point::new(s.lon, s.lat), Point::new(c.lon, c.lat)) / 1000.0);
            let mut z = KM_LOGIT * km.min(KM_CAP);
            if s.small {
                z += SMALL_LOGIT;
            }
            if s.district_centre {
                z += CENTRE_LOGIT;
            }
            Some(z)
        })
        .collect();
    let target = TARGET_NO_SHARE * schools.len() as f64;
    let expected = |a: f64| base.iter().flatten().map(|z| logistic(a + z)).sum::<f64>();
    let (mut lo, mut hi) = (-30.0f64, 30.0f64);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if expected(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let a = 0.5 * (lo + hi);
    for (s, z) in schools.iter_mut().zip(&base) {
        s.internet = match z {
            None => Internet::Yes,
            Some(z) => {
                let u: f64 = task_rng(seed, id_stream(&s.id) ^ 0x1A7E_12E7).random();
                if u < logistic(a + z) { Internet::No } else { Internet::Yes }
            }
        };
    }
    let no = |f: &dyn Fn(&School) -> bool| schools.iter().filter(|s| f(s) && s.internet == Internet::No).count();
    InternetCalibration {
        target_no_share: TARGET_NO_SHARE,
        intercept: a,
        schools: schools.len(),
        no: no(&|_| true),
        rural: schools.iter().filter(|s| s.rural).count(),
        rural_no: no(&|s| s.rural),
        small: schools.iter().filter(|s| s.small).count(),
        small_no: no(&|s| s.small),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::raw::Place;
    use crate::dataset::schools::StudentsFrom;
    use crate::io::schools::HubStatus;

    fn school(id: &str, rural: bool, small: bool, lon: f64) -> School {
        School {
            id: id.into(),
            name: String::new(),
            district: 0,
            lon,
            lat: 50.0,
            students: if small { 50 } else { 400 },
            small,
            hub: HubStatus::No,
            rural,
            settlement_id: 1,
            settlement: String::new(),
            place: Place::Village,
            district_centre: false,
            students_from: StudentsFrom::Distribution,
            internet: Internet::Unknown,
        }
    }

    fn region() -> Vec<School> {
        (0..3000).map(|i| school(&format!("x{i}"), i % 10 < 7, i % 10 < 4, 57.0 + (i % 50) as f64 * 0.05)).collect()
    }

    #[test]
    fn the_expected_share_matches_the_published_figure_and_small_remote_schools_lack_it_more() {
        let mut schools = region();
        let cal = assign_internet(&mut schools, &[], 7);
        // 3,000 draws: the built share is within a few standard errors of the target.
        assert!((cal.no_share() - TARGET_NO_SHARE).abs() < 0.03, "{cal:?}");
        assert_eq!(schools.iter().filter(|s| !s.rural && s.internet == Internet::No).count(), 0);
        let share = |f: &dyn Fn(&School) -> bool| {
            let n = schools.iter().filter(|s| f(s)).count() as f64;
            schools.iter().filter(|s| f(s) && s.internet == Internet::No).count() as f64 / n
        };
        assert!(share(&|s| s.small) > share(&|s| s.rural && !s.small), "{cal:?}");
    }

    #[test]
    fn a_schools_value_depends_on_its_id_and_the_seed_not_on_the_row_order() {
        let mut a = region();
        assign_internet(&mut a, &[], 7);
        let mut b = region();
        b.reverse();
        assign_internet(&mut b, &[], 7);
        b.reverse();
        let values = |v: &[School]| v.iter().map(|s| s.internet).collect::<Vec<_>>();
        assert_eq!(values(&a), values(&b));
        let mut c = region();
        assign_internet(&mut c, &[], 8);
        assert_ne!(values(&a), values(&c));
    }
}
