//! `hubplan report`: re-renders the HTML report of a plan directory.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use hubplan::report::html::write_report;

use super::common::shown;
use super::exit;

#[derive(Args)]
pub struct ReportArgs {
    /// The plan directory (plan.json, plan.geojson), as written by `hubplan plan --out`.
    pub plan_dir: PathBuf,
    /// Write the report here instead of PLAN_DIR/report.html.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(a: ReportArgs) -> anyhow::Result<ExitCode> {
    match write_report(&a.plan_dir, a.out.as_deref()) {
        Ok(path) => {
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            println!("written    {} ({:.0} kB)", shown(&path), size as f64 / 1024.0);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(exit::ERROR))
        }
    }
}
