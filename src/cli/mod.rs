//! Command-line parsing and dispatch. Every subcommand lives in its own module;
//! the library does the work and never prints.

mod bench;
mod check;
mod common;
mod compare;
mod dataset;
mod distances;
mod explain;
mod generate;
mod plan;
mod report;
#[cfg(feature = "serve")]
mod serve;
mod solve;
mod sweep;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit codes (documented in the README).
pub mod exit {
    /// Input or run error (bad file, unreadable data, internal failure).
    pub const ERROR: u8 = 1;
    /// Usage error (clap's own code; `serve` refusing a non-loopback host without a token).
    #[allow(dead_code)]
    pub const USAGE: u8 = 2;
    /// `check`: the solution breaks a rule or its objective does not match.
    pub const VIOLATION: u8 = 3;
    /// The model is infeasible.
    pub const INFEASIBLE: u8 = 4;
}

#[derive(Parser)]
#[command(
    name = "hubplan",
    version,
    about = "Plans networks of rural hub schools: facility location solved fast, with proven bounds"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Solve a facility-location instance (OR-Library, TSPLIB or hubplan JSON).
    Solve(solve::SolveArgs),
    /// Check a solution against its instance, independently of any solver.
    Check(check::CheckArgs),
    /// Run every instance of a benchmark folder against its known optimal values.
    Bench(bench::BenchArgs),
    /// Build the real-place datasets (Aktobe, Kazakhstan) from the raw open data.
    #[command(subcommand)]
    Dataset(dataset::DatasetCommand),
    /// Generate synthetic data in the dataset schema (for benchmarks and research).
    #[command(subcommand)]
    Generate(generate::GenerateCommand),
    /// Road distances from hubs to schools: the sparse table of allowed links.
    Distances(distances::DistancesArgs),
    /// Plan hub schools for a scenario: which schools become hubs, which small schools link to which hub.
    Plan(plan::PlanArgs),
    /// Re-validate a plan directory against its scenario and data, independently of the solver.
    CheckPlan(plan::CheckPlanArgs),
    /// Why one school has its place in a plan: a hub's worth, what forcing a candidate would change, what would link an unlinked school.
    Explain(explain::ExplainArgs),
    /// Re-render the HTML report (report.html) of a plan directory from its files alone.
    Report(report::ReportArgs),
    /// Plan scenarios over a grid of parameter values (--vary), sharing the data and distances.
    Sweep(sweep::SweepArgs),
    /// Compare two plan directories: hubs added and dropped, schools moved, linked, unlinked, totals.
    Compare(compare::CompareArgs),
    /// The planner workbench: a local web app to open, edit, run, compare and sweep scenarios.
    #[cfg(feature = "serve")]
    Serve(serve::ServeArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Solve(a) => solve::run(a),
        Command::Check(a) => check::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Dataset(c) => dataset::run(c),
        Command::Generate(c) => generate::run(c),
        Command::Distances(a) => distances::run(a),
        Command::Plan(a) => plan::run(a),
        Command::CheckPlan(a) => plan::run_check(a),
        Command::Explain(a) => explain::run(a),
        Command::Report(a) => report::run(a),
        Command::Sweep(a) => sweep::run(a),
        Command::Compare(a) => compare::run(a),
        #[cfg(feature = "serve")]
        Command::Serve(a) => serve::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::ERROR)
        }
    }
}
