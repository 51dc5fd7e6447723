//! Test helpers: small random instances and a brute-force oracle that shares
//! no code with the solvers (it enumerates every open set).

use rand::Rng as _;

use crate::problem::{Client, Costs, DenseCosts, ExtId, Facility, Instance, Model, SparseCosts};
use crate::rng::task_rng;

/// What a random instance should contain.
#[derive(Debug, Clone, Default)]
pub struct Shape {
    pub clients: usize,
    pub facilities: usize,
    pub p: Option<usize>,
    pub open_costs: bool,
    /// Probability that a link is allowed (`None`: dense, all allowed).
    pub density: Option<f64>,
    pub fixed: usize,
    pub forbidden: usize,
    pub penalty: Option<f64>,
    /// Whole-number costs (otherwise reals).
    pub integral: bool,
}

/// A random uncapacitated instance with planar-looking costs.
pub fn random_instance(seed: u64, shape: &Shape) -> Instance {
    let mut rng = task_rng(seed, 0);
    let (n, m) = (shape.clients, shape.facilities);
    let pts = |rng: &mut crate::rng::Rng, k: usize| -> Vec<(f64, f64)> {
        (0..k).map(|_| (rng.random_range(0.0..100.0), rng.random_range(0.0..100.0))).collect()
    };
    let cp = pts(&mut rng, n);
    let fp = pts(&mut rng, m);
    let mut triples = Vec::new();
    let mut dense = Vec::with_capacity(n * m);
    for (c, a) in cp.iter().enumerate() {
        for (f, b) in fp.iter().enumerate() {
            let mut d = ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt() * rng.random_range(1.0..1.5);
            if shape.integral {
                d = d.round();
            }
            let allowed = shape.density.is_none_or(|p| rng.random_bool(p));
            dense.push(if allowed { d } else { f64::INFINITY });
            if allowed {
                triples.push((c as u32, f as u32, d));
            }
        }
    }
    let costs = if shape.density.is_some() {
        Costs::Sparse(SparseCosts::from_triples(n, m, triples))
    } else {
        Costs::Dense(DenseCosts::new(n, m, dense))
    };
    let clients = (0..n).map(|c| Client::new(c as u64 + 1, 1.0)).collect();
    let mut facilities: Vec<Facility> = (0..m)
        .map(|f| Facility {
            id: ExtId::Num(f as u64 + 1),
            open_cost: if shape.open_costs {
                let v = rng.random_range(20.0..200.0);
                if shape.integral { f64::round(v) } else { v }
            } else {
                0.0
            },
            ..Default::default()
        })
        .collect();
    for f in facilities.iter_mut().take(shape.fixed) {
        f.fixed_open = true;
    }
    for f in facilities.iter_mut().rev().take(shape.forbidden) {
        if !f.fixed_open {
            f.forbidden = true;
        }
    }
    let model = if shape.p.is_some() && !shape.open_costs { Model::Pmedian } else { Model::Uflp };
    let mut inst = Instance::new(format!("random-{seed}"), model, clients, facilities, costs);
    inst.p = shape.p;
    inst.unserved_penalty = shape.penalty;
    inst
}

/// Objective of an open set with every client at its cheapest open facility
/// (or unserved, when allowed and cheaper); `None` if some client cannot be served.
pub fn open_set_value(inst: &Instance, open: &[usize]) -> Option<f64> {
    let mut total: f64 =
        open.iter().filter(|&&f| !inst.facilities[f].fixed_open).map(|&f| inst.facilities[f].open_cost).sum();
    for c in 0..inst.n_clients() {
        let mut best = inst.unserved_cost(c).unwrap_or(f64::INFINITY);
        for &f in open {
            best = best.min(inst.costs.cost(c, f));
        }
        if !best.is_finite() {
            return None;
        }
        total += best;
    }
    Some(total)
}

/// The optimum by enumerating every allowed open set (uncapacitated models;
/// `p`, fixed-open, forbidden and min/max open honoured). Tiny instances only.
pub fn brute_force(inst: &Instance) -> Option<(f64, Vec<usize>)> {
    let m = inst.n_facilities();
    assert!(m <= 16, "brute force is for tiny instances");
    let mut best: Option<(f64, Vec<usize>)> = None;
    for mask in 0u32..(1 << m) {
        let open: Vec<usize> = (0..m).filter(|&f| mask & (1 << f) != 0).collect();
        if open.iter().any(|&f| inst.facilities[f].forbidden)
            || inst.facilities.iter().enumerate().any(|(f, x)| x.fixed_open && mask & (1 << f) == 0)
        {
            continue;
        }
        let k = open.len();
        if inst.p.is_some_and(|p| k != p)
            || inst.min_open.is_some_and(|lo| k < lo)
            || inst.max_open.is_some_and(|hi| k > hi)
        {
            continue;
        }
        if let Some(v) = open_set_value(inst, &open)
            && best.as_ref().is_none_or(|b| v < b.0 - 1e-9)
        {
            best = Some((v, open));
        }
    }
    best
}

/// Property-test case count: `default`, or `PROPTEST_CASES` when set (for long local runs).
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// What a random capacitated instance should contain (on top of [`Shape`]).
#[derive(Debug, Clone, Default)]
pub struct CapShape {
    pub base: Shape,
    /// Capacity as a multiple of the average load per facility (`None`: uncapacitated).
    pub tightness: Option<f64>,
    pub max_clients: Option<u32>,
    pub single_source: bool,
    /// Budget as a share of the total opening cost (`None`: no budget).
    pub budget_share: Option<f64>,
    /// Number of groups (facilities dealt round-robin), each needing at least one open.
    pub groups: usize,
    pub client_budget_cost: f64,
}

/// A random capacitated instance: integer demands 1..=9 and the extras of `shape`.
pub fn random_cap_instance(seed: u64, shape: &CapShape) -> Instance {
    let mut inst = random_instance(seed, &shape.base);
    let mut rng = task_rng(seed, 1);
    for c in &mut inst.clients {
        c.demand = rng.random_range(1..=9) as f64;
        c.budget_cost = shape.client_budget_cost;
    }
    let total: f64 = inst.clients.iter().map(|c| c.demand).sum();
    let m = inst.n_facilities();
    if let Some(t) = shape.tightness {
        for f in &mut inst.facilities {
            f.capacity = Some((t * total / m as f64 * rng.random_range(0.7..1.3)).round().max(1.0));
        }
    }
    for f in &mut inst.facilities {
        f.max_clients = shape.max_clients;
    }
    if let Some(share) = shape.budget_share {
        let opening: f64 = inst.facilities.iter().map(|f| f.open_cost).sum();
        inst.budget = Some((share * opening).round());
    }
    if shape.groups > 0 {
        inst.groups = (0..shape.groups)
            .map(|g| crate::problem::Group {
                id: ExtId::Num(g as u64 + 1),
                facilities: (0..m).filter(|f| f % shape.groups == g).map(crate::problem::FacilityIdx::new).collect(),
                min_open: 1,
                max_open: Some(2),
            })
            .collect();
    }
    inst.single_source = shape.single_source;
    inst.model = if !inst.is_capacitated() {
        Model::Uflp
    } else if shape.single_source {
        if inst.p.is_some() { Model::Cpmp } else { Model::Sscflp }
    } else {
        Model::Cflp
    };
    inst
}
