//! `hubplan dataset build`: rebuild the real-place datasets from the raw files.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use hubplan::dataset::build::{BuildOptions, DEFAULT_SEED, DatasetName, build};

#[derive(Subcommand)]
pub enum DatasetCommand {
    /// Build datasets/aktobe and datasets/kazakhstan (schools, districts, proxy roads, README) from datasets/raw.
    Build(BuildArgs),
}

#[derive(Args)]
pub struct BuildArgs {
    /// Folder with the raw open-data files (and their SOURCES.md).
    #[arg(long, default_value = "datasets/raw")]
    pub raw: PathBuf,
    /// Output folder; each dataset goes into a subfolder.
    #[arg(long, default_value = "datasets")]
    pub out: PathBuf,
    /// Seed of every random draw; the committed datasets use the default.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Build only this dataset (repeatable; default: all).
    #[arg(long, value_enum)]
    pub only: Vec<DatasetName>,
    /// `DATASET=FILE`: mark the school ids in FILE (CSV with an `id` column) as existing hubs.
    #[arg(long, value_name = "DATASET=FILE")]
    pub existing_hubs: Vec<String>,
}

pub fn run(cmd: DatasetCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DatasetCommand::Build(a) => run_build(a),
    }
}

fn run_build(a: BuildArgs) -> anyhow::Result<ExitCode> {
    let mut opts = BuildOptions::new(&a.raw, &a.out, a.seed);
    opts.only = a.only;
    for spec in &a.existing_hubs {
        let Some((name, file)) = spec.split_once('=') else {
            bail!("--existing-hubs expects DATASET=FILE, found `{spec}`");
        };
        let Some(name) = DatasetName::parse(name) else {
            bail!("--existing-hubs: unknown dataset `{name}` (expected aktobe or kazakhstan)");
        };
        opts.existing_hubs.push((name, PathBuf::from(file)));
    }
    let start = Instant::now();
    let built = build(&opts).context("dataset build failed")?;
    for ds in &built {
        let c = &ds.calibration;
        println!(
            "{}: {} schools ({:.1}% rural), {} small (mean {:.1} students), {} hub candidates, {} roads ({:.0} km, {} component(s))",
            ds.dir.display(),
            c.schools,
            100.0 * c.rural_share(),
            c.small,
            c.mean_small,
            c.candidates,
            ds.roads.edges,
            ds.roads.total_km,
            ds.roads.components
        );
        for (f, bytes) in &ds.files {
            println!("  {f:<18} {bytes:>10} bytes");
        }
    }
    println!("built in {:.1} s", start.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}
