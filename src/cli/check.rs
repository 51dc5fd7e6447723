//! `hubplan check`: re-validate a solution from its instance alone.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use hubplan::io::read_instance;
use hubplan::io::solution_json::SolutionDoc;
use hubplan::plan::check;

use super::common::InstanceArgs;
use super::exit;

#[derive(Args)]
pub struct CheckArgs {
    /// The instance file.
    pub instance: PathBuf,
    /// The solution JSON written by `hubplan solve --json` or `--output`.
    pub solution: PathBuf,
    /// Reading options; by default those recorded in the solution file.
    #[command(flatten)]
    pub read: InstanceArgs,
}

pub fn run(a: CheckArgs) -> anyhow::Result<ExitCode> {
    let doc = SolutionDoc::read(&a.solution)?;
    let mut read = doc.instance.as_ref().map(|e| e.read.clone()).unwrap_or_else(|| a.read.read_options());
    // Explicit flags win over what the solution recorded.
    let given = a.read.read_options();
    read.format = given.format.or(read.format);
    read.model = given.model.or(read.model);
    read.p = given.p.or(read.p);
    read.capacity = given.capacity.or(read.capacity);
    if a.read.rounding != hubplan::problem::Rounding::Nint {
        read.rounding = a.read.rounding;
    }
    let inst = read_instance(&a.instance, &read)?;
    let sol = doc.to_solution(&a.solution, &inst)?;
    let claimed = (doc.status != "infeasible").then_some(doc.objective);
    let report = check(&inst, &sol, claimed);
    let e = &report.evaluation;
    println!(
        "objective {} (opening {}, service {}, unserved {}), {} open",
        e.objective, e.opening_cost, e.service_cost, e.unserved_cost, e.open_count
    );
    if report.is_feasible() {
        println!("ok: the solution satisfies every constraint and its objective matches");
        Ok(ExitCode::SUCCESS)
    } else {
        for v in &report.violations {
            println!("violation: {v}");
        }
        println!("{} violation(s)", report.violations.len());
        Ok(ExitCode::from(exit::VIOLATION))
    }
}
