//! Schools placed at settlements, with estimated students, small/regular
//! kind and hub candidacy, calibrated to published totals.
//!
//! Rules (repeated in each dataset README):
//! - **Urban schools.** `round(schools × (1 − rural_share))` schools are
//!   shared among urban settlements by population with the D'Hondt
//!   (Jefferson) method, every urban settlement getting at least one.
//!   Students: `pupils_per_inhabitant × population / schools there`, times a
//!   seeded factor in [0.75, 1.25], at least `small_max_students`.
//! - **Rural schools.** A rural settlement with a known population has
//!   `pupils = pupils_per_inhabitant × population` pupils in
//!   `max(1, round(pupils / pupils_per_rural_school))` schools (each share
//!   times a seeded factor in [0.85, 1.15]). A rural settlement without a
//!   population figure has one school whose size is drawn from a log-normal
//!   distribution, `exp(μ + σ·z)` with `z` a seeded standard normal per
//!   settlement. Settlements are then ranked by `ln(pupils) + τ·ε` (`ε` a
//!   seeded standard normal) and keep their schools until the rural target
//!   is reached: the rest get none (their children are bussed, as in the
//!   1,384 Kazakh villages without a school in 2022/23). Smaller places are
//!   likelier to lose out, but not strictly (`τ = 0` would drop exactly the
//!   smallest, and leave too few very small schools for the national mean).
//! - **Calibration.** For a given selection, μ and σ are chosen (bisection
//!   on μ for each σ on a grid, then a finer grid around the best σ) so that
//!   the number of small schools and their mean size match the targets;
//!   selection and fit are iterated to a fixed point; τ is the smallest of
//!   a fixed list that brings the fit within 1%. All draws are fixed before
//!   the search (common random numbers), so the result depends only on the
//!   seed.
//! - **Small.** A rural school with fewer than `small_max_students` students.
//!   Urban schools are never small. A small school with more than
//!   `digital_room_min_students` students gets a digital room, the others a
//!   universal room.
//! - **Hub candidates.** A school that is not small and is either in the
//!   centre of a raion (not a city administration or city district) or rural
//!   with at least `hub_min_students` students. A district with small schools
//!   but no candidate gets its largest non-small school (else its largest
//!   school) as a candidate.

use std::collections::{BTreeMap, BinaryHeap};

use rand::Rng as _;

use super::districts::{District, DistrictKind};
use super::raw::Place;
use super::settlements::Settlement;
use crate::io::schools::{HubStatus, Internet};
use crate::rng::task_rng;

/// Published totals a build is calibrated to, and the modelling constants.
#[derive(Debug, Clone, PartialEq)]
pub struct Targets {
    /// Schools in the area (published total).
    pub schools: usize,
    /// Share of them that are rural, 0..1.
    pub rural_share: f64,
    /// Small schools in the area (published total).
    pub small_schools: usize,
    /// Mean students of a small school (published).
    pub mean_small_students: f64,
    /// A rural school below this many students is small (the scenario's `small_schools.max_students`).
    pub small_max_students: u32,
    /// A small school above this many students gets a digital room.
    pub digital_room_min_students: u32,
    /// Pupils per inhabitant of a settlement ([`PUPILS_PER_INHABITANT`]).
    pub pupils_per_inhabitant: f64,
    /// Pupils per school in a rural settlement with several ([`PUPILS_PER_RURAL_SCHOOL`]).
    pub pupils_per_rural_school: f64,
    /// A rural school with at least this many students is a hub candidate (the scenario's `hubs.min_students`).
    pub hub_min_students: u32,
}

impl Targets {
    /// Shared constants; the totals are set per dataset.
    pub fn with_totals(schools: usize, rural_share: f64, small_schools: usize, mean_small_students: f64) -> Targets {
        Targets {
            schools,
            rural_share,
            small_schools,
            mean_small_students,
            small_max_students: SMALL_MAX_STUDENTS,
            digital_room_min_students: DIGITAL_ROOM_MIN_STUDENTS,
            pupils_per_inhabitant: PUPILS_PER_INHABITANT,
            pupils_per_rural_school: PUPILS_PER_RURAL_SCHOOL,
            hub_min_students: HUB_MIN_STUDENTS,
        }
    }
}

/// Below this many students a rural school counts as small (assumption: about 16 pupils per grade over 11 grades).
pub const SMALL_MAX_STUDENTS: u32 = 180;
/// Small schools with more pupils than this get a digital room (Aktobe pilot rule).
pub const DIGITAL_ROOM_MIN_STUDENTS: u32 = 80;
/// Pupils per inhabitant: about 3.8 million pupils for 20 million people (Kazakhstan, mid-2020s).
pub const PUPILS_PER_INHABITANT: f64 = 0.19;
/// Pupils per school in a rural settlement large enough for several schools.
pub const PUPILS_PER_RURAL_SCHOOL: f64 = 800.0;
/// Rural schools with at least this many students are hub candidates.
pub const HUB_MIN_STUDENTS: u32 = 200;

const MIN_STUDENTS: f64 = 5.0;
const MAX_STUDENTS: f64 = 3000.0;
const MAX_URBAN_STUDENTS: f64 = 4000.0;
/// Weight of an urban settlement without a population figure.
const DEFAULT_URBAN_POPULATION: f64 = 5000.0;

/// Where a school's student number comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StudentsFrom {
    /// Pupils per inhabitant × the settlement's population.
    Population,
    /// Drawn from the calibrated log-normal (no population figure).
    Distribution,
}

impl StudentsFrom {
    /// The value of the `students_from` column.
    pub fn as_str(self) -> &'static str {
        match self {
            StudentsFrom::Population => "population",
            StudentsFrom::Distribution => "distribution",
        }
    }
}

/// One placed school.
#[derive(Debug, Clone, PartialEq)]
pub struct School {
    /// `{prefix}{settlement id}-{n}`, n counting the settlement's schools from 1.
    pub id: String,
    /// `{settlement} school` or `{settlement} school {n}`.
    pub name: String,
    /// Index into the district list.
    pub district: usize,
    /// Longitude, WGS84 degrees (the settlement's point for its first school).
    pub lon: f64,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Estimated students.
    pub students: u32,
    /// Rural and below `small_max_students`: may be linked to a hub.
    pub small: bool,
    /// Hub status: candidate by the rules above, existing when marked.
    pub hub: HubStatus,
    /// In a rural settlement.
    pub rural: bool,
    /// Id of its settlement.
    pub settlement_id: u64,
    /// Name of its settlement (empty if unnamed).
    pub settlement: String,
    /// OSM place class of its settlement.
    pub place: Place,
    /// Its settlement is the district's administrative centre.
    pub district_centre: bool,
    /// Where its student number comes from.
    pub students_from: StudentsFrom,
    /// Whether its connection is fit for online lessons (drawn by [`super::internet::assign_internet`]).
    pub internet: Internet,
}

/// Target against built numbers, and the fitted distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// What was aimed at.
    pub targets: Targets,
    /// Fitted log-normal location μ (of ln students).
    pub mu: f64,
    /// Fitted log-normal scale σ.
    pub sigma: f64,
    /// Selection noise: settlements keep schools by `ln(pupils) + tau·ε`.
    pub tau: f64,
    /// Schools built.
    pub schools: usize,
    /// Urban schools built.
    pub urban: usize,
    /// Rural schools built.
    pub rural: usize,
    /// Small schools built.
    pub small: usize,
    /// Mean students of a small school built; 0 when there are none.
    pub mean_small: f64,
    /// Students in all small schools.
    pub small_students: u64,
    /// Small schools that get a digital room.
    pub digital_rooms: usize,
    /// Small schools that get a universal room.
    pub universal_rooms: usize,
    /// Hub candidates.
    pub candidates: usize,
    /// Candidates added because their district had small schools but none.
    pub candidate_fallbacks: usize,
    /// Rural settlements considered.
    pub rural_settlements: usize,
    /// Rural settlements left without a school by the selection.
    pub rural_settlements_without_school: usize,
    /// Schools whose students come from a population figure.
    pub students_from_population: usize,
    /// Schools whose students were drawn from the distribution.
    pub students_from_distribution: usize,
}

impl Calibration {
    /// Rural schools / all schools built; 0 when there are none.
    pub fn rural_share(&self) -> f64 {
        if self.schools == 0 { 0.0 } else { self.rural as f64 / self.schools as f64 }
    }
}

/// A standard normal draw (Box–Muller).
pub fn standard_normal(rng: &mut crate::rng::Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Stream numbers so that each settlement's draws depend on (seed, settlement id, purpose) only.
fn stream(id: u64, purpose: u64) -> u64 {
    id.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ purpose
}

/// A rural settlement as the calibration sees it.
struct RuralUnit {
    settlement: usize,
    /// Known-population schools: their fixed sizes.
    sizes: Vec<f64>,
    /// Unknown population: the latent normal draw of its size.
    z: Option<f64>,
    /// Seeded normal draw of the selection noise.
    eps: f64,
    id: u64,
}

fn lognormal_students(mu: f64, sigma: f64, z: f64) -> f64 {
    (mu + sigma * z).exp().round().clamp(MIN_STUDENTS, MAX_STUDENTS)
}

/// The rural settlements that keep schools: ranked by `ln(pupils) + τ·ε`,
/// largest first, until `target` schools are placed. Returns (unit, schools kept).
fn select(units: &[RuralUnit], mu: f64, sigma: f64, tau: f64, target: usize) -> Vec<(usize, usize)> {
    let key = |u: &RuralUnit| {
        let ln = match u.z {
            Some(z) => mu + sigma * z,
            None => u.sizes.iter().sum::<f64>().max(1.0).ln(),
        };
        ln + tau * u.eps
    };
    let mut order: Vec<(f64, u64, usize)> = units.iter().enumerate().map(|(i, u)| (key(u), u.id, i)).collect();
    order.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut out = Vec::new();
    let mut placed = 0;
    for (_, _, i) in order {
        if placed >= target {
            break;
        }
        let n = units[i].z.map_or(units[i].sizes.len(), |_| 1).min(target - placed);
        placed += n;
        out.push((i, n));
    }
    out
}

/// A fixed selection, prepared for fast evaluation: the known-population
/// small schools summed once, the latent draws of the others sorted.
struct Prepared {
    known_n: usize,
    known_sum: f64,
    z: Vec<f64>,
}

fn prepare(units: &[RuralUnit], sel: &[(usize, usize)], small_max: f64) -> Prepared {
    let mut p = Prepared { known_n: 0, known_sum: 0.0, z: Vec::new() };
    for &(i, k) in sel {
        let u = &units[i];
        match u.z {
            Some(z) => p.z.push(z),
            None => {
                for &s in u.sizes[..k].iter().filter(|&&s| s < small_max) {
                    p.known_n += 1;
                    p.known_sum += s;
                }
            }
        }
    }
    p.z.sort_by(f64::total_cmp);
    p
}

/// Number of latent schools that come out small: `round(exp(μ + σz)) < small_max` ⇔ `z < (ln(small_max − ½) − μ) / σ`.
fn small_latent(p: &Prepared, mu: f64, sigma: f64, small_max: f64) -> usize {
    let z_star = ((small_max - 0.5).ln() - mu) / sigma;
    p.z.partition_point(|&z| z < z_star)
}

/// Small-school count and mean for a prepared selection.
fn small_stats(p: &Prepared, mu: f64, sigma: f64, small_max: f64) -> (usize, f64) {
    let k = small_latent(p, mu, sigma, small_max);
    let sum: f64 = p.z[..k].iter().map(|&z| lognormal_students(mu, sigma, z)).sum::<f64>() + p.known_sum;
    let n = k + p.known_n;
    (n, if n == 0 { 0.0 } else { sum / n as f64 })
}

/// Fits μ and σ for a fixed selection; returns (μ, σ, relative error).
fn fit(units: &[RuralUnit], sel: &[(usize, usize)], t: &Targets) -> (f64, f64, f64) {
    let small_max = t.small_max_students as f64;
    let p = prepare(units, sel, small_max);
    let error = |mu: f64, sigma: f64| {
        let (n, mean) = small_stats(&p, mu, sigma, small_max);
        let e1 = (n as f64 - t.small_schools as f64).abs() / (t.small_schools.max(1) as f64);
        let e2 = (mean - t.mean_small_students).abs() / t.mean_small_students;
        e1.max(e2)
    };
    let fit_mu = |sigma: f64| {
        let (mut lo, mut hi) = (MIN_STUDENTS.ln() - 3.0 * sigma, MAX_STUDENTS.ln() + 3.0 * sigma);
        for _ in 0..50 {
            let mid = 0.5 * (lo + hi);
            if small_latent(&p, mid, sigma, small_max) + p.known_n > t.small_schools { lo = mid } else { hi = mid }
        }
        let (elo, ehi) = (error(lo, sigma), error(hi, sigma));
        if elo <= ehi { (lo, elo) } else { (hi, ehi) }
    };
    let mut best = (f64::INFINITY, 0.0, 0.0);
    let consider = |sigma: f64, best: &mut (f64, f64, f64)| {
        let (mu, e) = fit_mu(sigma);
        if e < best.0 - 1e-12 {
            *best = (e, mu, sigma);
        }
    };
    for k in 0..=38 {
        consider(0.10 + 0.05 * k as f64, &mut best);
    }
    let centre = best.2;
    for k in -10..=10 {
        let s = centre + 0.005 * k as f64;
        if s > 0.01 {
            consider(s, &mut best);
        }
    }
    (best.1, best.2, best.0)
}

/// Selection noise levels tried, smallest first; the first that calibrates within 1% is used.
const TAUS: [f64; 13] = [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0, 6.0];

/// Fits (μ, σ, τ) and returns them with the final selection.
fn calibrate(units: &[RuralUnit], t: &Targets, rural_target: usize) -> (f64, f64, f64, Vec<(usize, usize)>) {
    type Fitted = (f64, f64, f64, f64, Vec<(usize, usize)>);
    let mut best: Option<Fitted> = None;
    for tau in TAUS {
        let (mut mu, mut sigma) = ((t.mean_small_students).ln(), 0.8);
        let mut sel = select(units, mu, sigma, tau, rural_target);
        let mut err = f64::INFINITY;
        // Selection and fit depend on each other: iterate to a fixed point.
        for _ in 0..6 {
            let (m, s, e) = fit(units, &sel, t);
            let next = select(units, m, s, tau, rural_target);
            (mu, sigma, err) = (m, s, e);
            if next == sel {
                break;
            }
            sel = next;
            let (_, _, e2) = fit(units, &sel, t);
            err = e2;
        }
        let (m, s, e) = fit(units, &sel, t);
        (mu, sigma, err) = if e <= err { (m, s, e) } else { (mu, sigma, err) };
        if best.as_ref().is_none_or(|b| err < b.0 - 1e-12) {
            best = Some((err, mu, sigma, tau, sel));
        }
        if err < 0.01 {
            break;
        }
    }
    let (_, mu, sigma, tau, sel) = best.expect("TAUS is not empty");
    (mu, sigma, tau, sel)
}

/// D'Hondt (Jefferson) apportionment of `seats` among `weights`, each getting at least one.
/// Ties go to the lower index. Returns zero seats for all if `seats < weights.len()`
/// except the `seats` heaviest.
pub fn dhondt(weights: &[f64], seats: usize) -> Vec<usize> {
    let n = weights.len();
    let mut out = vec![0usize; n];
    if n == 0 {
        return out;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| weights[b].total_cmp(&weights[a]).then(a.cmp(&b)));
    if seats < n {
        for &i in order.iter().take(seats) {
            out[i] = 1;
        }
        return out;
    }
    #[derive(PartialEq)]
    struct Q(f64, std::cmp::Reverse<usize>);
    impl Eq for Q {}
    impl PartialOrd for Q {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Q {
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            self.0.total_cmp(&o.0).then(self.1.cmp(&o.1))
        }
    }
    let mut heap: BinaryHeap<Q> = (0..n).map(|i| Q(weights[i] / 2.0, std::cmp::Reverse(i))).collect();
    out.iter_mut().for_each(|s| *s = 1);
    for _ in n..seats {
        let Q(_, std::cmp::Reverse(i)) = heap.pop().expect("heap holds every settlement");
        out[i] += 1;
        heap.push(Q(weights[i] / (out[i] + 1) as f64, std::cmp::Reverse(i)));
    }
    out
}

/// Places schools at settlements and calibrates student numbers (see the module docs).
///
/// `id_prefix` starts every school id (`osm` for real places, `syn` for generated ones).
pub fn place_schools(
    settlements: &[Settlement],
    districts: &[District],
    t: &Targets,
    seed: u64,
    id_prefix: &str,
) -> (Vec<School>, Calibration) {
    let urban_target = ((t.schools as f64) * (1.0 - t.rural_share)).round() as usize;
    let rural_target = t.schools.saturating_sub(urban_target);
    let mut schools: Vec<School> = Vec::new();

    // Urban.
    let urban: Vec<usize> = (0..settlements.len()).filter(|&i| settlements[i].urban).collect();
    let weights: Vec<f64> =
        urban.iter().map(|&i| settlements[i].population.map(f64::from).unwrap_or(DEFAULT_URBAN_POPULATION)).collect();
    let seats = dhondt(&weights, urban_target);
    for (k, &i) in urban.iter().enumerate() {
        let s = &settlements[i];
        let mut rng = task_rng(seed, stream(s.id, 1));
        let share = t.pupils_per_inhabitant * weights[k] / seats[k].max(1) as f64;
        let sizes: Vec<f64> = (0..seats[k])
            .map(|_| {
                (share * rng.random_range(0.75..1.25)).round().clamp(t.small_max_students as f64, MAX_URBAN_STUDENTS)
            })
            .collect();
        push_schools(&mut schools, s, &sizes, StudentsFrom::Population, seed, id_prefix, true);
    }

    // Rural units with their fixed draws.
    let rural: Vec<usize> = (0..settlements.len()).filter(|&i| !settlements[i].urban).collect();
    let units: Vec<RuralUnit> = rural
        .iter()
        .map(|&i| {
            let s = &settlements[i];
            let mut rng = task_rng(seed, stream(s.id, 2));
            let eps = standard_normal(&mut rng);
            match s.population {
                Some(p) => {
                    let pupils = t.pupils_per_inhabitant * p as f64;
                    let n = ((pupils / t.pupils_per_rural_school).round() as usize).max(1);
                    let sizes = (0..n)
                        .map(|_| {
                            (pupils / n as f64 * rng.random_range(0.85..1.15)).round().clamp(MIN_STUDENTS, MAX_STUDENTS)
                        })
                        .collect();
                    RuralUnit { settlement: i, sizes, z: None, eps, id: s.id }
                }
                None => {
                    RuralUnit { settlement: i, sizes: Vec::new(), z: Some(standard_normal(&mut rng)), eps, id: s.id }
                }
            }
        })
        .collect();
    let (mu, sigma, tau, sel) = calibrate(&units, t, rural_target);
    let mut kept: Vec<(usize, Vec<f64>, bool)> = sel
        .iter()
        .map(|&(i, k)| {
            let u = &units[i];
            match u.z {
                Some(z) => (u.settlement, vec![lognormal_students(mu, sigma, z)], false),
                None => (u.settlement, u.sizes[..k].to_vec(), true),
            }
        })
        .collect();
    let rural_with_school = kept.len();
    kept.sort_by_key(|(i, _, _)| *i);
    for (i, sizes, from_population) in &kept {
        let from = if *from_population { StudentsFrom::Population } else { StudentsFrom::Distribution };
        push_schools(&mut schools, &settlements[*i], sizes, from, seed, id_prefix, false);
    }

    // Kinds.
    for s in schools.iter_mut() {
        s.small = s.rural && s.students < t.small_max_students;
    }
    // Hub candidates.
    for s in schools.iter_mut() {
        let raion_centre = s.district_centre && districts[s.district].kind == DistrictKind::Raion;
        s.hub = if !s.small && (raion_centre || (s.rural && s.students >= t.hub_min_students)) {
            HubStatus::Candidate
        } else {
            HubStatus::No
        };
    }
    let mut by_district: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, s) in schools.iter().enumerate() {
        by_district.entry(s.district).or_default().push(i);
    }
    let mut fallbacks = 0;
    for members in by_district.values() {
        let has_small = members.iter().any(|&i| schools[i].small);
        let has_candidate = members.iter().any(|&i| schools[i].hub == HubStatus::Candidate);
        if has_small && !has_candidate {
            let pick = members
                .iter()
                .copied()
                .max_by_key(|&i| (!schools[i].small, schools[i].students, std::cmp::Reverse(schools[i].id.clone())))
                .expect("district has schools");
            schools[pick].hub = HubStatus::Candidate;
            fallbacks += 1;
        }
    }
    // Stable: the schools of one settlement stay in their numbering order (1, 2, …, 10).
    schools.sort_by_key(|s| (s.district, s.settlement_id));

    let small: Vec<&School> = schools.iter().filter(|s| s.small).collect();
    let small_students: u64 = small.iter().map(|s| s.students as u64).sum();
    let cal = Calibration {
        targets: t.clone(),
        mu,
        sigma,
        tau,
        schools: schools.len(),
        urban: schools.iter().filter(|s| !s.rural).count(),
        rural: schools.iter().filter(|s| s.rural).count(),
        small: small.len(),
        mean_small: if small.is_empty() { 0.0 } else { small_students as f64 / small.len() as f64 },
        small_students,
        digital_rooms: small.iter().filter(|s| s.students > t.digital_room_min_students).count(),
        universal_rooms: small.iter().filter(|s| s.students <= t.digital_room_min_students).count(),
        candidates: schools.iter().filter(|s| s.hub == HubStatus::Candidate).count(),
        candidate_fallbacks: fallbacks,
        rural_settlements: rural.len(),
        rural_settlements_without_school: rural.len() - rural_with_school,
        students_from_population: schools.iter().filter(|s| s.students_from == StudentsFrom::Population).count(),
        students_from_distribution: schools.iter().filter(|s| s.students_from == StudentsFrom::Distribution).count(),
    };
    (schools, cal)
}

fn push_schools(
    out: &mut Vec<School>,
    s: &Settlement,
    sizes: &[f64],
    from: StudentsFrom,
    seed: u64,
    id_prefix: &str,
    urban: bool,
) {
    let mut rng = task_rng(seed, stream(s.id, 3));
    let radius_km = (0.02 * (s.population.unwrap_or(1000) as f64).sqrt()).clamp(0.5, 12.0);
    let base = if s.name.is_empty() {
        format!("Unnamed {} {}", s.place.as_str().replace('_', " "), s.id)
    } else {
        s.name.clone()
    };
    for (k, &size) in sizes.iter().enumerate() {
        let (lon, lat) = if k == 0 {
            (s.lon, s.lat)
        } else {
            let r = radius_km * rng.random::<f64>().sqrt();
            let a = rng.random::<f64>() * std::f64::consts::TAU;
            let dlat = r * a.sin() / 110.57;
            let dlon = r * a.cos() / (111.32 * s.lat.to_radians().cos());
            (s.lon + dlon, s.lat + dlat)
        };
        let name = if sizes.len() == 1 { format!("{base} school") } else { format!("{base} school {}", k + 1) };
        out.push(School {
            id: format!("{id_prefix}{}-{}", s.id, k + 1),
            name,
            district: s.district,
            lon,
            lat,
            students: size as u32,
            small: false,
            hub: HubStatus::No,
            rural: !urban,
            settlement_id: s.id,
            settlement: s.name.clone(),
            place: s.place,
            district_centre: s.district_centre,
            students_from: from,
            internet: Internet::Unknown,
        });
    }
}

/// Marks the schools with the given ids as existing hubs (for the simulated
/// 2022–2024 hubs). Returns the ids that match no school, if any, and then
/// changes nothing.
///
/// # Errors
///
/// The ids that match no school.
///
/// ```
/// # use hubplan::dataset::schools::{mark_existing_hubs, School, StudentsFrom};
/// # use hubplan::dataset::raw::Place;
/// # use hubplan::io::schools::HubStatus;
/// # let school = |id: &str| School { id: id.into(), name: String::new(), district: 0, lon: 57.0, lat: 50.0,
/// #     students: 300, small: false, hub: HubStatus::Candidate, rural: true, settlement_id: 1,
/// #     settlement: String::new(), place: Place::Village, district_centre: false,
/// #     students_from: StudentsFrom::Population, internet: hubplan::io::schools::Internet::Unknown };
/// let mut schools = vec![school("a"), school("b")];
/// mark_existing_hubs(&mut schools, &["b".to_string()]).unwrap();
/// assert_eq!(schools[1].hub, HubStatus::Existing);
/// assert_eq!(mark_existing_hubs(&mut schools, &["zz".to_string()]).unwrap_err(), vec!["zz".to_string()]);
/// ```
pub fn mark_existing_hubs(schools: &mut [School], ids: &[String]) -> Result<usize, Vec<String>> {
    let known: std::collections::HashMap<&str, usize> =
        schools.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect();
    let unknown: Vec<String> = ids.iter().filter(|id| !known.contains_key(id.as_str())).cloned().collect();
    if !unknown.is_empty() {
        return Err(unknown);
    }
    let idx: Vec<usize> = ids.iter().map(|id| known[id.as_str()]).collect();
    for &i in &idx {
        schools[i].hub = HubStatus::Existing;
    }
    Ok(idx.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dhondt_gives_everyone_one_and_is_proportional() {
        assert_eq!(dhondt(&[570_000.0, 35_000.0, 2_000.0], 20), vec![18, 1, 1]);
        assert_eq!(dhondt(&[100.0, 100.0], 3), vec![2, 1]);
        assert_eq!(dhondt(&[1.0, 5.0, 3.0], 2), vec![0, 1, 1]);
        assert_eq!(dhondt(&[], 4), Vec::<usize>::new());
        let s = dhondt(&[6.0, 3.0, 1.0], 10);
        assert_eq!(s.iter().sum::<usize>(), 10);
    }

    #[test]
    fn box_muller_has_unit_moments() {
        let mut rng = task_rng(1, 1);
        let xs: Vec<f64> = (0..20_000).map(|_| standard_normal(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!(mean.abs() < 0.03 && (var - 1.0).abs() < 0.05, "{mean} {var}");
    }
}
