//! `hubplan sweep`: one or more scenarios over a grid of parameter values.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use hubplan::hub::LoadedScenario;
use hubplan::hub::sweep::{SweepOptions, SweepReport, SweepRow, Vary, expand, run_sweep};
use hubplan::report::format::mkzt;
use hubplan::report::index::write_index;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::common::{Bar, shown};
use super::exit;
use super::plan::ScenarioOverrides;

#[derive(Args)]
pub struct SweepArgs {
    /// Scenario files (TOML); each is planned at every point of the grid.
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
    /// Vary a scenario key over comma-separated values, e.g. budget.kzt=3e9,4e9 (repeatable: the grid is every combination).
    #[arg(long = "vary", value_name = "KEY=V1,V2,…")]
    pub vary: Vec<String>,
    /// Write the sweep here: one plan directory per scenario, summary.csv and index.html.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace an existing output directory.
    #[arg(long)]
    pub force: bool,
    /// Threads for the whole sweep, shared between scenarios run at once and their solvers
    /// [default: the first scenario's solver.threads; 0 = one per core].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Overrides for every scenario.
    #[command(flatten)]
    pub run: ScenarioOverrides,
    /// Print timings per stage and scenario, and where the distances came from.
    #[arg(short, long)]
    pub verbose: bool,
}

fn fail(message: impl std::fmt::Display) -> anyhow::Result<ExitCode> {
    eprintln!("error: {message}");
    Ok(ExitCode::from(exit::ERROR))
}

pub fn run(a: SweepArgs) -> anyhow::Result<ExitCode> {
    let common = a.run.overrides()?;
    if let Some((k, _)) = common.iter().find(|(k, _)| k == "solver.threads") {
        return fail(format!("--set {k}: use --threads, the sweep's thread budget"));
    }
    let mut vary = Vec::new();
    for v in &a.vary {
        match Vary::parse(v) {
            Ok(v) => vary.push(v),
            Err(e) => return fail(e),
        }
    }
    if a.out.exists() && !a.force {
        return fail(format!("{} already exists; pass --force to replace it", shown(&a.out)));
    }
    let cases = match expand(&a.scenarios, &vary, &common) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let threads = match a.threads {
        Some(t) => t,
        None => cases[0].loaded.scenario.solver.threads,
    };
    let cache = a.run.cache();
    let title = sweep_title(&cases[0].loaded, cases.len());
    let index = |dir: &std::path::Path, r: &SweepReport| write_index(dir, r, &title);
    let report = |dir: &std::path::Path| {
        hubplan::report::html::write_report(dir, None).map(|_| ()).map_err(std::io::Error::other)
    };
    let opts = SweepOptions {
        cache_dir: cache.as_deref(),
        threads,
        plan_finisher: Some(&report),
        sweep_finisher: Some(&index),
    };
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(Some(cases.len() as u64), ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template("{prefix:16} {bar:40} {pos}/{len} ({elapsed}) {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        )
    } else {
        ProgressBar::hidden()
    };
    bar.set_prefix("scenarios");
    let on_done = |r: &SweepRow| {
        bar.inc(1);
        bar.set_message(r.name.clone());
    };
    let report = match run_sweep(&cases, &a.out, a.force, &opts, &Bar::new(), &on_done) {
        Ok(r) => r,
        Err(e) => {
            bar.finish_and_clear();
            return fail(e);
        }
    };
    bar.finish_and_clear();
    print_report(&report, a.verbose);
    println!(
        "written    {} ({} plans, summary.csv, index.html)",
        shown(&a.out),
        report.rows.len() - report.failed().count()
    );
    let failed: Vec<&SweepRow> = report.failed().collect();
    if failed.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for r in &failed {
        eprintln!("failed     {}: {}", r.name, one_line(r.error.as_deref().unwrap_or("")));
    }
    Ok(ExitCode::from(if failed.iter().all(|r| r.status == "infeasible") { exit::INFEASIBLE } else { exit::ERROR }))
}

fn sweep_title(first: &LoadedScenario, n: usize) -> String {
    let base = first.scenario.name.split(" [").next().unwrap_or("").to_string();
    format!("Sweep: {base} ({n} scenarios)")
}

/// A message on one line (an infeasible plan's reasons are a list).
fn one_line(s: &str) -> String {
    s.lines().map(|l| l.trim().trim_start_matches("- ")).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

/// The terminal summary: where the distances came from, one line per scenario, timings with `verbose`.
fn print_report(r: &SweepReport, verbose: bool) {
    for (i, s) in r.input_sets.iter().enumerate() {
        let source = if s.from_cache {
            format!("read from cache {}", s.cache_file.as_deref().map(shown).unwrap_or_default())
        } else {
            "computed (cache miss)".to_string()
        };
        println!(
            "distances  input set {} of {}: {} for {} scenario{} at {} km ({:.2}s)",
            i + 1,
            r.input_sets.len(),
            source,
            s.cases.len(),
            if s.cases.len() == 1 { "" } else { "s" },
            s.radius_km,
            s.distances_s
        );
        if verbose {
            if let (false, Some(f)) = (s.from_cache, &s.cache_file) {
                eprintln!("cache      stored {}", shown(f));
            }
            for w in &s.road_warnings {
                eprintln!("warning    {w}");
            }
        }
        for line in super::plan::warning_lines(&s.data_warnings) {
            println!("{line}");
        }
    }
    println!();
    println!(
        "{:<40} {:<10} {:>4} {:>10} {:>10} {:>9} {:>7}  quality gap (proven bound)",
        "scenario", "status", "new", "cost MKZT", "budget", "coverage", "seconds"
    );
    for row in &r.rows {
        match &row.figures {
            Some(f) => println!(
                "{:<40} {:<10} {:>4} {:>10} {:>10} {:>8.2}% {:>7.2}  {}",
                row.name,
                row.status,
                f.new_hubs,
                mkzt(f.cost_kzt),
                f.budget_kzt.map(mkzt).unwrap_or_else(|| "none".into()),
                f.coverage_pct,
                row.seconds(),
                f.quality.short_gap()
            ),
            None => println!("{:<40} {:<10} {}", row.name, row.status, one_line(row.error.as_deref().unwrap_or(""))),
        }
    }
    println!();
    if verbose {
        eprintln!(
            "threads    {} in all: {} scenario{} at once × {} solver thread{}",
            r.threads.total,
            r.threads.parallel_cases,
            if r.threads.parallel_cases == 1 { "" } else { "s" },
            r.threads.solver_threads,
            if r.threads.solver_threads == 1 { "" } else { "s" }
        );
        eprintln!("timings    schools read {} time(s) in {:.2}s", r.schools_reads, r.schools_s);
        for row in &r.rows {
            let t = &row.times;
            eprintln!(
                "timings    {}: model {:.2}s · solve {:.2}s · assemble {:.2}s · write {:.2}s",
                row.name, t.model_s, t.solve_s, t.assemble_s, row.write_s
            );
        }
        eprintln!("timings    sweep wall time {:.2}s", r.wall_s);
    }
}
