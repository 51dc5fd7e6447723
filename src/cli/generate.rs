//! `hubplan generate`: synthetic data — a region in the dataset schema
//! (`region`), or a capacitated location instance in hubplan's JSON (`instance`).

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
    /// A capacitated location instance (hubplan JSON): clustered clients, grouped
    /// candidates, sparse links, capacities and a budget (see `problem::generate`).
    Instance(InstanceArgs),
}

#[derive(Args)]
pub struct InstanceArgs {
    #[arg(long, default_value_t = 2000)]
    pub clients: usize,
    #[arg(long, default_value_t = 200)]
    pub facilities: usize,
    #[arg(long, default_value_t = 20)]
    pub groups: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Split demand between facilities (multi-source) instead of single-source.
    #[arg(long)]
    pub multi_source: bool,
    /// Capacity relative to a fair share of demand.
    #[arg(long, default_value_t = 1.3)]
    pub tightness: f64,
    /// Budget relative to the expected opening cost; 0 for no budget.
    #[arg(long, default_value_t = 1.0)]
    pub budget_share: f64,
    /// Link radius in km.
    #[arg(long, default_value_t = 150.0)]
    pub radius_km: f64,
    /// Cost per unit of demand left unserved (default: every client must be served).
    #[arg(long)]
    pub unserved_penalty: Option<f64>,
    /// Output JSON file (written atomically).
    #[arg(long)]
    pub out: PathBuf,
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
        GenerateCommand::Instance(a) => {
            use hubplan::problem::generate::{InstanceFamily, generate_instance};
            let family = InstanceFamily {
                clients: a.clients,
                facilities: a.facilities,
                groups: a.groups,
                seed: a.seed,
                single_source: !a.multi_source,
                tightness: a.tightness,
                budget_share: (a.budget_share > 0.0).then_some(a.budget_share),
                radius_km: a.radius_km,
                unserved_penalty: a.unserved_penalty,
                ..Default::default()
            };
            let inst = generate_instance(&family);
            let json = serde_json::to_string(&hubplan::io::instance_json::to_raw(&inst))?;
            hubplan::fsutil::write_atomic(&a.out, json.as_bytes())
                .with_context(|| format!("cannot write {}", a.out.display()))?;
            println!(
                "{}: {} clients, {} facilities, {} groups, {} links, budget {} -> {}",
                inst.name,
                inst.n_clients(),
                inst.n_facilities(),
                inst.groups.len(),
                inst.costs.n_links(),
                inst.budget.map(|b| b.to_string()).unwrap_or_else(|| "none".into()),
                a.out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
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
