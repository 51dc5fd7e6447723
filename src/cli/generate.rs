//! `hubplan generate region`: write a synthetic region in the dataset schema.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};
use hubplan::dataset::generate::{GenerateOptions, generate_region, write_region};

#[derive(Subcommand)]
pub enum GenerateCommand {
    /// A synthetic region: clustered settlements, Voronoi districts, schools, hub candidates, proxy roads.
    Region(RegionArgs),
}

#[derive(Args)]
pub struct RegionArgs {
    /// Number of schools.
    #[arg(long)]
    pub schools: usize,
    /// Number of districts (default: one per 31 schools, as in Aktobe region).
    #[arg(long)]
    pub districts: Option<usize>,
    /// Seed of every random draw.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output folder (created; files in it are overwritten).
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(cmd: GenerateCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        GenerateCommand::Region(a) => {
            let start = Instant::now();
            let districts = a.districts.unwrap_or_else(|| (a.schools / 31).max(1));
            let region = generate_region(&GenerateOptions { schools: a.schools, districts, seed: a.seed })?;
            let generated = start.elapsed().as_secs_f64();
            let files = write_region(&region, &a.out).with_context(|| format!("cannot write {}", a.out.display()))?;
            let c = &region.calibration;
            println!(
                "{} schools ({:.1}% rural, {} small, mean {:.1}), {} districts, {} hub candidates, {} roads ({} component(s))",
                c.schools,
                100.0 * c.rural_share(),
                c.small,
                c.mean_small,
                region.districts.len(),
                c.candidates,
                region.road_stats.edges,
                region.road_stats.components
            );
            for (p, bytes) in &files {
                println!("  {:<40} {bytes:>12} bytes", p.display());
            }
            println!("generated in {generated:.1} s, written in {:.1} s", start.elapsed().as_secs_f64() - generated);
            Ok(ExitCode::SUCCESS)
        }
    }
}
