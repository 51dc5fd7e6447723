//! Planning a generated region of 10,000 schools (`hubplan generate region
//! --schools 10000 --seed 1`: 322 districts, about 5,000 small schools and
//! 2,650 hub candidates, proxy roads): reading the inputs with the road
//! distance table (no cache), building the model, and the heuristic solve
//! with a work limit (stall rounds, not wall time) so each sample does the
//! same work, against `auto`, which decomposes the region by district and
//! proves its plan optimal.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use hubplan::dataset::generate::{GenerateOptions, generate_region, write_region};
use hubplan::hub::inputs::read_inputs;
use hubplan::hub::model::build_model;
use hubplan::hub::scenario::LoadedScenario;
use hubplan::hub::solve_options;
use hubplan::network::progress::Silent;
use hubplan::solve::{SolverKind, solve};

const SCHOOLS: usize = 10_000;

fn write_scenario(dir: &Path) -> LoadedScenario {
    let region = generate_region(&GenerateOptions { schools: SCHOOLS, districts: SCHOOLS / 31, seed: 1 })
        .expect("region generates");
    write_region(&region, dir).expect("region written");
    let file = dir.join("scenario.toml");
    std::fs::write(
        &file,
        "name = \"generated region, 10,000 schools\"\n\
         [data]\nschools = \"schools.csv\"\nroads = \"roads.geojson\"\ndistricts = \"districts.geojson\"\n\
         [hubs]\nmin_per_district = 1\nmax_per_district = 1\ncapacity_small_schools = 11\ncapacity_students = 900\n\
         [links]\nmax_road_km = 100\n",
    )
    .expect("scenario written");
    LoadedScenario::load(&file).expect("scenario loads")
}

fn plan(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let loaded = write_scenario(dir.path());
    let mut g = c.benchmark_group("plan");
    g.sample_size(10);
    g.bench_function("inputs_and_distances_10000_schools", |b| {
        b.iter(|| read_inputs(&loaded, None, &Silent).expect("inputs").table.links().len())
    });
    let inputs = read_inputs(&loaded, None, &Silent).expect("inputs");
    let sc = &loaded.scenario;
    g.bench_function("build_model_10000_schools", |b| {
        b.iter(|| build_model(sc, &inputs.schools, &inputs.table).expect("model").instance.n_clients())
    });
    let model = build_model(sc, &inputs.schools, &inputs.table).expect("model");
    let mut opts = solve_options(sc);
    opts.solver = SolverKind::Heuristic;
    opts.time_limit = None;
    opts.max_stall_rounds = 5;
    g.bench_function("solve_heuristic_10000_schools", |b| {
        b.iter(|| solve(&model.instance, &opts).expect("solves").objective())
    });
    let mut auto = solve_options(sc);
    auto.solver = SolverKind::Auto;
    auto.time_limit = None;
    g.bench_function("solve_decomposed_10000_schools", |b| {
        b.iter(|| {
            let out = solve(&model.instance, &auto).expect("solves");
            assert_eq!(out.status, hubplan::solve::Status::Optimal);
            out.objective()
        })
    });
    g.finish();
}

criterion_group!(benches, plan);
criterion_main!(benches);
