//! `hubplan solve`: solve one instance and print or write the result.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use hubplan::fsutil::write_atomic;
use hubplan::io::solution_json::{InstanceEcho, SolutionDoc};
use hubplan::io::{Format, read_instance};
use hubplan::solve::{Status, solve};

use super::common::{InstanceArgs, SolverArgs, shown};
use super::exit;

#[derive(Args)]
pub struct SolveArgs {
    /// The instance file.
    pub file: PathBuf,
    #[command(flatten)]
    pub instance: InstanceArgs,
    #[command(flatten)]
    pub solver: SolverArgs,
    /// Print the result as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Also write the JSON result to this file (written atomically).
    #[arg(long)]
    pub output: Option<PathBuf>,
}

pub fn run(a: SolveArgs) -> anyhow::Result<ExitCode> {
    let mut read = a.instance.read_options();
    read.format = read.format.or_else(|| Format::detect(&a.file));
    let inst = read_instance(&a.file, &read)?;
    let out = solve(&inst, &a.solver.options())?;
    let echo = InstanceEcho {
        name: inst.name.clone(),
        file: Some(shown(&a.file)),
        read,
        model: inst.model.as_str().into(),
        clients: inst.n_clients(),
        facilities: inst.n_facilities(),
        p: inst.p,
    };
    let doc = SolutionDoc::from_outcome(&inst, &out, Some(echo));
    let json = serde_json::to_string_pretty(&doc)?;
    if let Some(path) = &a.output {
        write_atomic(path, json.as_bytes()).with_context(|| format!("cannot write {}", shown(path)))?;
    }
    if a.json {
        println!("{json}");
    } else {
        println!(
            "instance   {} ({} model, {} clients, {} facilities{})",
            inst.name,
            inst.model.as_str(),
            inst.n_clients(),
            inst.n_facilities(),
            inst.p.map(|p| format!(", p = {p}")).unwrap_or_default()
        );
        println!("status     {}", out.status.as_str());
        if out.status == Status::Infeasible {
            for r in &out.reasons {
                println!("  - {r}");
            }
        } else {
            println!("objective  {}", fmt_num(out.objective()));
            match (out.lower_bound, out.gap()) {
                (Some(lb), Some(g)) => println!("bound      {}  (gap {:.4}%)", fmt_num(lb), 100.0 * g),
                _ => println!("bound      none"),
            }
            println!("open       {} facilities", out.solution.open.len());
        }
        println!("solver     {} (seed {}, {} threads) in {:.3} s", out.solver, out.seed, out.threads, out.elapsed_s);
        for n in &out.notes {
            println!("note       {n}");
        }
    }
    Ok(if out.status == Status::Infeasible { ExitCode::from(exit::INFEASIBLE) } else { ExitCode::SUCCESS })
}

/// A number without a trailing `.0` for whole values.
pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{v:.0}") } else { format!("{v:.3}") }
}
