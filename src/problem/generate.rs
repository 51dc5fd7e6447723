//! A seeded family of capacitated location instances for benchmarks:
//! clustered clients in a 1,000 × 1,000 km square, candidate facilities in
//! groups (districts: the Voronoi cells of group centres), sparse links
//! within a radius, student-like demands, capacities, opening costs and a
//! budget. Hub planning at national scale has this shape.
//!
//! The family (every draw from [`crate::rng::task_rng`] with the seed):
//! * `groups` centres uniform in the square; each facility and client
//!   belongs to its nearest centre's group.
//! * Clients: 70% around facilities (Gaussian, σ = 15 km), 30% uniform;
//!   demand uniform in 5…150 (pupils).
//! * Facilities: uniform in the square; opening cost uniform in 200…300
//!   (millions); capacity = `tightness` × the facility's fair share of the
//!   demand assuming `open_share` of the facilities open, ×U(0.7, 1.3), rounded.
//! * Links: every facility within `radius_km` (default 150), and at least the
//!   3 nearest; cost = demand × distance (pupil-km, distances ×1.3 for roads).
//! * Groups need at least one open facility and allow at most
//!   ⌈group size / 2⌉; the budget is `budget_share` × the total opening cost
//!   of the expected number of open facilities, and never below 1.2 × the
//!   cheapest set that satisfies the groups.

use rand::Rng as _;

use super::{Client, Costs, ExtId, Facility, FacilityIdx, Group, Instance, Model, SparseCosts};
use crate::rng::task_rng;

/// The parameters of one member of the family (see the module note for how
/// each is used).
#[derive(Debug, Clone)]
pub struct InstanceFamily {
    /// Number of clients (demand points).
    pub clients: usize,
    /// Number of candidate facilities.
    pub facilities: usize,
    /// Number of groups (districts); at least one is used.
    pub groups: usize,
    /// Random seed; the same parameters give the same instance.
    pub seed: u64,
    /// Each client served by one facility only.
    pub single_source: bool,
    /// Capacity relative to a fair share of demand (1.0 = just enough).
    pub tightness: f64,
    /// Share of facilities expected to open.
    pub open_share: f64,
    /// Budget relative to the expected opening cost (`None`: no budget).
    pub budget_share: Option<f64>,
    /// Links reach every facility within this distance, km (and at least the 3 nearest).
    pub radius_km: f64,
    /// Cost per unit of demand left unserved (`None`: all must be served).
    pub unserved_penalty: Option<f64>,
}

impl Default for InstanceFamily {
    fn default() -> Self {
        InstanceFamily {
            clients: 2000,
            facilities: 200,
            groups: 20,
            seed: 1,
            single_source: true,
            tightness: 1.3,
            open_share: 0.3,
            budget_share: Some(1.0),
            radius_km: 150.0,
            unserved_penalty: None,
        }
    }
}

/// Draws one instance of the family.
pub fn generate_instance(p: &InstanceFamily) -> Instance {
    let mut rng = task_rng(p.seed, 0x6e6e);
    let side = 1000.0;
    let centres: Vec<[f64; 2]> =
        (0..p.groups.max(1)).map(|_| [rng.random_range(0.0..side), rng.random_range(0.0..side)]).collect();
    let nearest_centre = |x: [f64; 2]| -> usize {
        (0..centres.len())
            .min_by(|&a, &b| dist(x, centres[a]).total_cmp(&dist(x, centres[b])).then(a.cmp(&b)))
            .expect("at least one centre")
    };
    let fpts: Vec<[f64; 2]> =
        (0..p.facilities).map(|_| [rng.random_range(0.0..side), rng.random_range(0.0..side)]).collect();
    let mut cpts = Vec::with_capacity(p.clients);
    for _ in 0..p.clients {
        if rng.random_bool(0.7) && !fpts.is_empty() {
            let f = fpts[rng.random_range(0..fpts.len())];
            let (a, b) = gaussian_pair(&mut rng);
            cpts.push([(f[0] + 15.0 * a).clamp(0.0, side), (f[1] + 15.0 * b).clamp(0.0, side)]);
        } else {
            cpts.push([rng.random_range(0.0..side), rng.random_range(0.0..side)]);
        }
    }
    let demand: Vec<f64> = (0..p.clients).map(|_| rng.random_range(5..=150) as f64).collect();
    let total: f64 = demand.iter().sum();
    let fair = total / (p.open_share * p.facilities as f64).max(1.0);
    let facilities: Vec<Facility> = (0..p.facilities)
        .map(|f| Facility {
            capacity: Some((p.tightness * fair * rng.random_range(0.7..1.3)).round().max(1.0)),
            ..Facility::new(ExtId::Text(format!("F{}", f + 1)), rng.random_range(200.0..300.0f64).round())
        })
        .collect();
    let mut triples = Vec::new();
    for (c, &x) in cpts.iter().enumerate() {
        let mut by_distance: Vec<(f64, usize)> = fpts.iter().enumerate().map(|(f, &y)| (1.3 * dist(x, y), f)).collect();
        by_distance.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (k, &(d, f)) in by_distance.iter().enumerate() {
            if k < 3 || d <= p.radius_km {
                triples.push((c as u32, f as u32, (demand[c] * d).round()));
            } else {
                break;
            }
        }
    }
    let clients: Vec<Client> =
        (0..p.clients).map(|c| Client::new(ExtId::Text(format!("C{}", c + 1)), demand[c])).collect();
    let group_of: Vec<usize> = fpts.iter().map(|&y| nearest_centre(y)).collect();
    let groups: Vec<Group> = (0..centres.len())
        .filter_map(|g| {
            let members: Vec<FacilityIdx> =
                (0..p.facilities).filter(|&f| group_of[f] == g).map(FacilityIdx::new).collect();
            (!members.is_empty()).then(|| Group {
                id: ExtId::Text(format!("G{}", g + 1)),
                max_open: Some(members.len().div_ceil(2)),
                facilities: members,
                min_open: 1,
            })
        })
        .collect();
    let costs = Costs::Sparse(SparseCosts::from_triples(p.clients, p.facilities, triples));
    let model = if p.single_source { Model::Sscflp } else { Model::Cflp };
    let name = format!("gen-n{}-m{}-g{}-s{}", p.clients, p.facilities, p.groups, p.seed);
    let mut inst = Instance::new(name, model, clients, facilities, costs);
    inst.single_source = p.single_source;
    inst.unserved_penalty = p.unserved_penalty;
    if let Some(share) = p.budget_share {
        let mean_cost: f64 = inst.facilities.iter().map(|f| f.open_cost).sum::<f64>() / p.facilities.max(1) as f64;
        let cheapest: f64 = groups
            .iter()
            .map(|g| g.facilities.iter().map(|&f| inst.facility(f).open_cost).fold(f64::INFINITY, f64::min))
            .sum();
        let expected = share * mean_cost * p.open_share * p.facilities as f64;
        inst.budget = Some(expected.max(1.2 * cheapest).round());
    }
    inst.groups = groups;
    inst
}

fn dist(a: [f64; 2], b: [f64; 2]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// Two independent standard normal draws (Box–Muller).
fn gaussian_pair(rng: &mut crate::rng::Rng) -> (f64, f64) {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random_range(0.0..1.0);
    let r = (-2.0 * u1.ln()).sqrt();
    let t = std::f64::consts::TAU * u2;
    (r * t.cos(), r * t.sin())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_instance_and_it_is_valid() {
        let p = InstanceFamily { clients: 300, facilities: 40, groups: 5, ..Default::default() };
        let a = generate_instance(&p);
        assert_eq!(a, generate_instance(&p));
        assert_ne!(a, generate_instance(&InstanceFamily { seed: 2, ..p.clone() }));
        a.validate().unwrap();
        assert_eq!(a.groups.iter().map(|g| g.facilities.len()).sum::<usize>(), 40);
        assert!(
            crate::solve::presolve::infeasibility_reasons(&a).is_empty(),
            "{:?}",
            crate::solve::presolve::infeasibility_reasons(&a)
        );
    }
}
