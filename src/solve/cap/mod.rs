//! Capacitated location: single-source (SSCFLP, capacitated p-median, hub
//! planning) and multi-source (CFLP), with budgets, groups and penalties.

pub mod ctx;
pub mod search;
pub mod state;

use std::time::Instant;

use ctx::CapContext;
use search::{construct, vns, Scored, VnsSettings};
use state::NONE;

use crate::problem::Instance;
use crate::solve::uncap::Stages;

/// Effort settings of the capacitated heuristic.
#[derive(Debug, Clone)]
pub struct CapOptions {
    pub seed: u64,
    pub deadline: Option<Instant>,
    pub tasks: usize,
    pub max_stall_rounds: usize,
}

impl Default for CapOptions {
    fn default() -> Self {
        CapOptions { seed: 1, deadline: None, tasks: 8, max_stall_rounds: 40 }
    }
}

pub struct CapResult {
    pub open: Vec<usize>,
    pub assignment: Vec<Option<usize>>,
    pub objective: f64,
    pub lower_bound: Option<f64>,
    pub proven: bool,
    pub hit_deadline: bool,
    pub rounds: u64,
    pub lagrange_iterations: usize,
    pub solver: String,
    pub stages: Vec<(String, f64)>,
}

/// The single-source pipeline: construction, then VNS over facility moves.
pub fn solve_single_source(inst: &Instance, opts: &CapOptions) -> CapResult {
    let mut stages = Stages::start();
    let ctx = CapContext::new(inst);
    let start = Scored::new(&ctx, construct(&ctx));
    stages.mark("construction");
    let settings = VnsSettings {
        seed: opts.seed,
        tasks: opts.tasks,
        kmax: start.state.open_count.clamp(1, 6),
        max_stall_rounds: opts.max_stall_rounds,
        deadline: opts.deadline,
    };
    let (best, rounds, hit_deadline) = vns(&ctx, start, &settings, 0, &|_| false);
    stages.mark("vns");
    let s = &best.state;
    CapResult {
        open: (0..s.open.len()).filter(|&f| s.open[f]).collect(),
        assignment: s.assign.iter().map(|&a| (a != NONE).then_some(a as usize)).collect(),
        objective: best.objective,
        lower_bound: None,
        proven: false,
        hit_deadline,
        rounds,
        lagrange_iterations: 0,
        solver: "cap-vns".into(),
        stages: stages.done,
    }
}

#[cfg(test)]
mod tests {
    use crate::rng::task_rng;
    use crate::solve::{solve, Backend, SolveOptions, SolverKind, Status};
    use crate::testutil::{random_cap_instance, CapShape, Shape};
    use rand::Rng as _;

    pub fn cap_shape(seed: u64) -> CapShape {
        let mut r = task_rng(seed, 11);
        let facilities = r.random_range(2..7);
        let p_mode = r.random_bool(0.3);
        CapShape {
            base: Shape {
                clients: r.random_range(2..13),
                facilities,
                p: p_mode.then(|| r.random_range(1..=facilities)),
                open_costs: !p_mode,
                density: r.random_bool(0.3).then_some(0.8),
                fixed: usize::from(r.random_bool(0.2)),
                forbidden: usize::from(r.random_bool(0.2)),
                penalty: r.random_bool(0.4).then_some(40.0),
                integral: true,
            },
            tightness: r.random_bool(0.85).then(|| r.random_range(0.9..2.5)),
            max_clients: r.random_bool(0.3).then(|| r.random_range(1..5)),
            single_source: true,
            budget_share: r.random_bool(0.3).then(|| r.random_range(0.2..0.8)),
            groups: if r.random_bool(0.3) { r.random_range(1..3) } else { 0 },
            client_budget_cost: if r.random_bool(0.2) { 5.0 } else { 0.0 },
        }
    }

    /// The heuristic never beats the exact optimum (that would be a checker or
    /// model bug) and finds it on nearly every tiny instance.
    #[test]
    fn heuristic_against_mip_on_tiny_instances() {
        let (mut same, mut total, mut infeasible_agree) = (0, 0, 0);
        for seed in 0..300u64 {
            let inst = random_cap_instance(seed, &cap_shape(seed));
            if inst.validate().is_err() {
                continue;
            }
            let mip = solve(&inst, &SolveOptions { solver: SolverKind::Mip, backend: Backend::Microlp, threads: 1, ..Default::default() }).unwrap();
            let heu = solve(&inst, &SolveOptions { solver: SolverKind::Heuristic, threads: 1, seed, ..Default::default() }).unwrap();
            if mip.status == Status::Infeasible {
                assert_eq!(heu.status, Status::Infeasible, "seed {seed}: heuristic found {} on an infeasible model", heu.objective());
                infeasible_agree += 1;
                continue;
            }
            assert_eq!(mip.status, Status::Optimal);
            total += 1;
            assert!(heu.status != Status::Infeasible, "seed {seed}: heuristic found nothing, MIP {}", mip.objective());
            assert!(heu.objective() >= mip.objective() - 1e-6, "seed {seed}: heuristic {} below optimum {}", heu.objective(), mip.objective());
            if heu.objective() <= mip.objective() + 1e-6 {
                same += 1;
            } else {
                eprintln!("seed {seed}: heuristic {} vs optimum {}", heu.objective(), mip.objective());
            }
        }
        eprintln!("optimum found on {same}/{total}; {infeasible_agree} infeasible agreed");
        assert!(same as f64 >= 0.97 * total as f64, "optimum found on only {same}/{total}");
    }
}
