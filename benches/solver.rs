//! Solver stages on standard instances: one swap evaluation (the inner loop
//! of the local search), a full local-search descent, and whole solves on a
//! mid-size and a large instance. Instance sizes are in the bench names.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use hubplan::io::{ReadOptions, read_instance};
use hubplan::problem::Instance;
use hubplan::solve::uncapacitated::nearlist::NearLists;
use hubplan::solve::uncapacitated::swap::{SwapContext, SwapState};
use hubplan::solve::{SolveOptions, SolverKind, solve};

fn load(file: &str, p: Option<usize>) -> Instance {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    read_instance(&path, &ReadOptions { p, ..Default::default() }).expect("benchmark instance")
}

fn swap_stages(c: &mut Criterion) {
    let mut g = c.benchmark_group("swap");
    g.sample_size(20);
    for (name, file, p) in [
        ("pmed40_n900_p90", "datasets/orlib-pmed/pmed40.txt", None),
        ("pcb3038_n3038_p100", "datasets/tsplib/pcb3038.tsp", Some(100)),
        ("pcb3038_n3038_p500", "datasets/tsplib/pcb3038.tsp", Some(500)),
    ] {
        let inst = load(file, p);
        let lists = NearLists::build(&inst, None);
        let ctx = SwapContext::new(&inst, &lists);
        // A greedy start: realistic tables for the move evaluation.
        let mut start = SwapState::new(&ctx, &[]);
        start.greedy_fill(&ctx);
        g.bench_function(format!("best_move/{name}"), |b| b.iter(|| start.best_move(&ctx)));
        g.bench_function(format!("descent_from_greedy/{name}"), |b| {
            b.iter(|| {
                let mut s = start.clone();
                s.local_search(&ctx);
                s.objective()
            })
        });
    }
    g.finish();
}

fn full_solves(c: &mut Criterion) {
    let mut g = c.benchmark_group("solve");
    g.sample_size(10);
    let opts = SolveOptions { solver: SolverKind::Heuristic, threads: 2, ..Default::default() };
    let mid = load("datasets/orlib-pmed/pmed30.txt", None);
    g.bench_function("pmed30_n600_p200", |b| b.iter(|| solve(&mid, &opts).unwrap().objective()));
    let hard = load("datasets/orlib-pmed/pmed36.txt", None);
    g.bench_function("pmed36_n800_p10_with_branch_and_bound", |b| b.iter(|| solve(&hard, &opts).unwrap().objective()));
    let large = load("datasets/tsplib/pcb3038.tsp", Some(100));
    let heuristic_only = SolveOptions { bnb_work: 0, ..opts.clone() };
    g.bench_function("pcb3038_n3038_p100_root_bound_only", |b| {
        b.iter(|| solve(&large, &heuristic_only).unwrap().objective())
    });
    g.finish();
}

criterion_group!(benches, swap_stages, full_solves);
criterion_main!(benches);
