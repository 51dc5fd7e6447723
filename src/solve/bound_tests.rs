//! Every lower-bound oracle against an exact optimum on tiny random
//! instances: the raw Lagrangian value at *random* multipliers (not the
//! maximised or capped bound) and the LP bound never exceed the optimum.
//!
//! Weak duality makes this hold for any multipliers in the domain, so a
//! failure is a bug in a relaxation (a subproblem solved too well, a dropped
//! term, a cut that is not valid), which a test at the heuristic's own
//! multipliers can miss whenever the heuristic already finds the optimum.

use proptest::prelude::{ProptestConfig, prop_assert, prop_assume, proptest};
use rand::Rng as _;

use crate::problem::Instance;
use crate::rng::{Rng, task_rng};
use crate::solve::context::CapContext;
use crate::solve::multi_source::bound::MultiSourceLagrangian;
use crate::solve::multi_source::model::MultiSourceModel;
use crate::solve::single_source::lagrange::SingleSourceLagrangian;
use crate::solve::uncapacitated::lagrange::Lagrangian;
use crate::solve::uncapacitated::nearlist::NearLists;
use crate::solve::uncapacitated::swap::SwapContext;
use crate::solve::{Backend, SolveOptions, SolverKind, Status, mip::lp_bound, solve};
use crate::testutil::{CapShape, Shape, brute_force, random_cap_instance, random_instance};

/// Multiplier draws per instance.
const DRAWS: usize = 8;

fn base_shape(r: &mut Rng, max_facilities: usize, max_clients: usize) -> Shape {
    let facilities = r.random_range(2..max_facilities);
    let p_mode = r.random_bool(0.3);
    Shape {
        clients: r.random_range(1..max_clients),
        facilities,
        p: p_mode.then(|| r.random_range(1..=facilities)),
        open_costs: !p_mode,
        density: r.random_bool(0.3).then_some(0.8),
        fixed: usize::from(r.random_bool(0.2)),
        forbidden: usize::from(r.random_bool(0.2)),
        penalty: r.random_bool(0.3).then_some(40.0),
        integral: r.random_bool(0.5),
    }
}

fn cap_shape(seed: u64, single_source: bool) -> CapShape {
    let mut r = task_rng(seed, 41);
    CapShape {
        base: base_shape(&mut r, 7, 12),
        tightness: Some(r.random_range(0.9..2.5)),
        max_clients: (single_source && r.random_bool(0.3)).then(|| r.random_range(1..5)),
        single_source,
        budget_share: r.random_bool(0.3).then(|| r.random_range(0.2..0.8)),
        groups: if r.random_bool(0.25) { r.random_range(1..3) } else { 0 },
        client_budget_cost: if r.random_bool(0.2) { 5.0 } else { 0.0 },
    }
}

/// The exact optimum by the MIP; `None` when the model is infeasible.
fn mip_optimum(inst: &Instance) -> Option<f64> {
    let opts = SolveOptions { solver: SolverKind::Mip, backend: Backend::Microlp, threads: 1, ..Default::default() };
    let out = solve(inst, &opts).unwrap();
    if out.status == Status::Infeasible {
        return None;
    }
    assert_eq!(out.status, Status::Optimal);
    Some(out.objective())
}

/// Random multipliers in [0, 1.5 · the client's dearest finite option]; some
/// clients get exactly 0 or their cheapest option, where ties are likeliest.
fn random_lambda(rng: &mut Rng, options: impl Fn(usize) -> Vec<f64>, n: usize) -> Vec<f64> {
    (0..n)
        .map(|u| {
            let finite: Vec<f64> = options(u).into_iter().filter(|c| c.is_finite()).collect();
            let top = finite.iter().copied().fold(0.0, f64::max);
            match rng.random_range(0..6) {
                0 => 0.0,
                1 => finite.iter().copied().fold(f64::INFINITY, f64::min).min(top),
                _ => rng.random_range(0.0..=1.5 * top),
            }
        })
        .collect()
}

/// A random scaled budget multiplier; without a budget its domain is {0}.
fn random_mu(rng: &mut Rng, budgeted: bool) -> f64 {
    if !budgeted || rng.random_bool(0.3) { 0.0 } else { rng.random_range(0.0..500.0) }
}

fn tolerance(opt: f64) -> f64 {
    1e-6 * opt.abs().max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::testutil::cases(48), failure_persistence: None, ..ProptestConfig::default() })]

    /// Uncapacitated: L(λ) ≤ optimum (brute force) for random λ ≥ 0, and so is the LP bound.
    #[test]
    fn uncapacitated_dual_never_exceeds_the_optimum(seed in 0u64..100_000) {
        let mut r = task_rng(seed, 40);
        let inst = random_instance(seed, &base_shape(&mut r, 9, 20));
        prop_assume!(inst.validate().is_ok());
        let Some((opt, _)) = brute_force(&inst) else { return Ok(()) };
        let lists = NearLists::build(&inst, None);
        let ctx = SwapContext::new(&inst, &lists);
        let n = inst.n_clients();
        let options = |u: usize| {
            let mut v: Vec<f64> = (0..inst.n_facilities()).map(|f| inst.costs.cost(u, f)).collect();
            v.push(ctx.unserved[u]);
            v
        };
        let mut lag = Lagrangian::new(&ctx, vec![0.0; n]);
        for _ in 0..DRAWS {
            let lambda = random_lambda(&mut r, options, n);
            let value = lag.value_at(&ctx, &lambda);
            prop_assert!(value <= opt + tolerance(opt), "L(λ) = {value} above the optimum {opt} at λ = {lambda:?}");
        }
        if let Some(lp) = lp_bound(&inst, Backend::Microlp, None).unwrap() {
            prop_assert!(lp <= opt + tolerance(opt), "LP bound {lp} above the optimum {opt}");
        }
    }

    /// Single-source capacitated: L(λ, μ) ≤ MIP optimum for random λ, μ ≥ 0, and so is the LP bound.
    #[test]
    fn single_source_dual_never_exceeds_the_optimum(seed in 0u64..100_000) {
        let inst = random_cap_instance(seed, &cap_shape(seed, true));
        prop_assume!(inst.validate().is_ok());
        let Some(opt) = mip_optimum(&inst) else { return Ok(()) };
        let ctx = CapContext::new(&inst);
        let n = ctx.n_clients();
        let mut r = task_rng(seed, 42);
        let options = |u: usize| {
            let mut v = ctx.client_links.of(u).1.to_vec();
            v.push(ctx.unserved[u]);
            v
        };
        let mut lag = SingleSourceLagrangian::new(&ctx, vec![0.0; n]);
        for _ in 0..DRAWS {
            let lambda = random_lambda(&mut r, options, n);
            let mu = random_mu(&mut r, inst.budget.is_some());
            if let Some(value) = lag.value_at(&ctx, &lambda, mu) {
                prop_assert!(value <= opt + tolerance(opt), "L = {value} above the optimum {opt} at λ = {lambda:?}, μ = {mu}");
            }
        }
        if let Some(lp) = lp_bound(&inst, Backend::Microlp, None).unwrap() {
            prop_assert!(lp <= opt + tolerance(opt), "LP bound {lp} above the optimum {opt}");
        }
    }

    /// Multi-source capacitated (with the aggregate capacity cut when it
    /// applies): L(λ, μ) ≤ MIP optimum for random λ, μ ≥ 0, and so is the LP bound.
    #[test]
    fn multi_source_dual_never_exceeds_the_optimum(seed in 0u64..100_000) {
        let inst = random_cap_instance(seed, &cap_shape(seed, false));
        prop_assume!(inst.validate().is_ok());
        let Some(opt) = mip_optimum(&inst) else { return Ok(()) };
        let model = MultiSourceModel::new(&inst);
        let n = model.ctx.n_clients();
        let mut r = task_rng(seed, 43);
        let options = |u: usize| {
            let mut v = model.ctx.client_links.of(u).1.to_vec();
            v.push(model.ctx.unserved[u]);
            v
        };
        let mut lag = MultiSourceLagrangian::new(&model, None);
        for _ in 0..DRAWS {
            let lambda = random_lambda(&mut r, options, n);
            let mu = random_mu(&mut r, inst.budget.is_some());
            if let Some(value) = lag.value_at(&model, &lambda, mu) {
                prop_assert!(value <= opt + tolerance(opt), "L = {value} above the optimum {opt} at λ = {lambda:?}, μ = {mu}");
            }
        }
        if let Some(lp) = lp_bound(&inst, Backend::Microlp, None).unwrap() {
            prop_assert!(lp <= opt + tolerance(opt), "LP bound {lp} above the optimum {opt}");
        }
    }
}
