//! The Aktobe 2025–2027 rollout (`models/aktobe-2025-2027.toml`, distances
//! read once): the joint plan by district decomposition (proven optimal)
//! against planning one year at a time with the single-year engine, in the
//! same run.

use criterion::{Criterion, criterion_group, criterion_main};
use hubplan::hub::inputs::read_inputs;
use hubplan::hub::model::build_model;
use hubplan::hub::rollout::{RolloutModel, RolloutRules, joint, yearly};
use hubplan::hub::scenario::LoadedScenario;
use hubplan::hub::solve_options;
use hubplan::network::progress::Silent;

fn rollout(c: &mut Criterion) {
    let loaded = LoadedScenario::load(std::path::Path::new("models/aktobe-2025-2027.toml")).expect("scenario");
    let sc = &loaded.scenario;
    let inputs = read_inputs(&loaded, None, &Silent).expect("inputs");
    let model = build_model(sc, &inputs.schools, &inputs.table).expect("model");
    let rm = RolloutModel::new(&model, RolloutRules::from_scenario(sc).expect("a rollout"), &inputs.schools);
    let mut opts = solve_options(sc);
    opts.time_limit = None;
    let mut g = c.benchmark_group("rollout");
    g.sample_size(10);
    g.bench_function("joint_decomposed_aktobe_2025_2027", |b| {
        b.iter(|| match joint::solve_joint(&rm, &opts, None).expect("solves") {
            joint::Joint::Solved(s) => s.upper,
            _ => panic!("the Aktobe rollout decomposes"),
        })
    });
    g.bench_function("year_by_year_aktobe_2025_2027", |b| {
        b.iter(|| yearly::plan_year_by_year(&rm, &opts).expect("plans").opened.len())
    });
    g.finish();
}

criterion_group!(benches, rollout);
criterion_main!(benches);
