//! Multi-source CFLP stages on OR-Library cap131 (n = 50 clients, m = 50
//! facilities) and capa (n = 1000, m = 100, capacity 8000): one exact
//! assignment of the optimal open set by the transportation solver (the
//! inner step of every move evaluation), and whole solves.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use hubplan::io::{ReadOptions, read_instance};
use hubplan::problem::{Instance, Model};
use hubplan::solve::multi_source::model::{MultiSourceModel, Workspace};
use hubplan::solve::{SolveOptions, SolverKind, solve};

fn load(file: &str, capacity: Option<f64>) -> Instance {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    read_instance(&path, &ReadOptions { model: Some(Model::Cflp), capacity, ..Default::default() })
        .expect("benchmark instance")
}

fn cflp(c: &mut Criterion) {
    let mut g = c.benchmark_group("cflp");
    g.sample_size(10);
    let opts = SolveOptions { solver: SolverKind::Heuristic, threads: 1, ..Default::default() };
    for (name, file, capacity) in [
        ("cap131_n50_m50", "datasets/orlib-cap/cap131.txt", None),
        ("capa8000_n1000_m100", "datasets/orlib-capabc/capa.txt", Some(8000.0)),
    ] {
        let inst = load(file, capacity);
        // A good open set (time-limited on capa, whose full solve takes minutes).
        let setup = SolveOptions { time_limit: Some(20.0), ..opts.clone() };
        let best = solve(&inst, &setup).unwrap();
        let model = MultiSourceModel::new(&inst);
        let mut open = vec![false; inst.n_facilities()];
        for &f in &best.solution.open {
            open[f.index()] = true;
        }
        let mut ws = Workspace::default();
        g.bench_function(format!("transport_of_best_open_set/{name}"), |b| b.iter(|| model.cost(&open, &mut ws)));
        if name.starts_with("cap131") {
            g.bench_function(format!("full_solve_1_thread/{name}"), |b| {
                b.iter(|| solve(&inst, &opts).unwrap().objective())
            });
        }
    }
    g.finish();
}

criterion_group!(benches, cflp);
criterion_main!(benches);
