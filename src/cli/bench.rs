//! `hubplan bench`: run a folder of benchmark instances against the known
//! optimal values found there (`pmedopt.txt`, `capopt.txt`, `uncapopt.txt`, `pmedcapopt.txt`),
//! or, without known values, report the gap to hubplan's own bound.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use hubplan::fsutil::write_atomic;
use hubplan::io::{ReadOptions, known_values, read_instance};
use hubplan::problem::{Model, Rounding};
use hubplan::solve::{Status, solve};
use indicatif::{ProgressBar, ProgressStyle};

use super::common::{SolverArgs, shown};
use super::exit;

#[derive(Args)]
pub struct BenchArgs {
    /// Folder with instances and (optionally) a known-values file.
    #[arg(long)]
    pub suite: PathBuf,
    /// Known-values file (default: every pmedopt.txt, uncapopt.txt, capopt.txt, pmedcapopt.txt in the folder).
    #[arg(long)]
    pub known: Option<PathBuf>,
    /// Model for --known or for folders without known values.
    #[arg(long, value_enum)]
    pub model: Option<Model>,
    /// p values for folders without known values (TSPLIB), e.g. 10,100,500.
    #[arg(long, value_delimiter = ',')]
    pub p: Vec<usize>,
    /// Distance convention for TSPLIB instances.
    #[arg(long, value_enum, default_value = "nint")]
    pub rounding: Rounding,
    /// Only these instances (comma-separated names).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Where to write the CSV table (default: bench-<folder>.csv).
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Exit with code 3 unless every instance with a known value reaches it.
    #[arg(long)]
    pub require_optimal: bool,
    #[command(flatten)]
    pub solver: SolverArgs,
}

struct Job {
    name: String,
    file: PathBuf,
    model: Model,
    p: Option<usize>,
    known: Option<f64>,
}

#[derive(Debug)]
struct Row {
    name: String,
    model: Model,
    n: usize,
    m: usize,
    p: Option<usize>,
    objective: f64,
    known: Option<f64>,
    lower_bound: Option<f64>,
    status: Status,
    seconds: f64,
}

impl Row {
    fn gap_to_known(&self) -> Option<f64> {
        self.known.map(|k| 100.0 * (self.objective - k) / k.abs().max(1e-12))
    }
    fn reaches_known(&self) -> Option<bool> {
        self.known.map(|k| self.status != Status::Infeasible && self.objective <= k + 1e-6 * k.abs().max(1.0))
    }
    fn gap_to_bound(&self) -> Option<f64> {
        self.lower_bound.map(|lb| 100.0 * (self.objective - lb).max(0.0) / self.objective.abs().max(1e-12))
    }
}

fn instance_file(dir: &Path, name: &str) -> Option<PathBuf> {
    [format!("{name}.txt"), name.to_string(), format!("{name}.tsp"), format!("{name}.json")]
        .into_iter()
        .map(|f| dir.join(f))
        .find(|p| p.is_file())
}

fn jobs(a: &BenchArgs) -> anyhow::Result<Vec<Job>> {
    let mut known_files: Vec<(PathBuf, Model)> = Vec::new();
    if let Some(k) = &a.known {
        let model = a.model.context("--known needs --model to say how to read the instances")?;
        known_files.push((k.clone(), model));
    } else {
        for (file, model) in [
            ("pmedopt.txt", Model::Pmedian),
            ("uncapopt.txt", Model::Uflp),
            ("capopt.txt", Model::Cflp),
            ("pmedcapopt.txt", Model::Cpmp),
        ] {
            let p = a.suite.join(file);
            if p.is_file() && a.model.is_none_or(|m| m == model) {
                known_files.push((p, model));
            }
        }
    }
    let mut out = Vec::new();
    for (file, model) in &known_files {
        for (name, value) in known_values::read(file)? {
            let Some(path) = instance_file(&a.suite, &name) else {
                bail!("{} lists `{name}`, but no instance file for it is in {}", shown(file), shown(&a.suite));
            };
            out.push(Job { name, file: path, model: *model, p: None, known: Some(value) });
        }
    }
    if known_files.is_empty() {
        let model = a.model.unwrap_or(Model::Pmedian);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&a.suite)
            .with_context(|| format!("cannot list {}", shown(&a.suite)))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| hubplan::io::Format::detect(p).is_some() && !is_known_values_file(p))
            .collect();
        files.sort();
        if model.needs_p() && a.p.is_empty() {
            bail!(
                "{} has no known-values file: give --p (e.g. --p 10,100,500) for the {} model",
                shown(&a.suite),
                model.as_str()
            );
        }
        for f in files {
            let name = f.file_stem().unwrap_or_default().to_string_lossy().into_owned();
            if a.p.is_empty() {
                out.push(Job { name: name.clone(), file: f.clone(), model, p: None, known: None });
            }
            for &p in &a.p {
                out.push(Job { name: format!("{name}-p{p}"), file: f.clone(), model, p: Some(p), known: None });
            }
        }
    }
    if !a.only.is_empty() {
        out.retain(|j| a.only.iter().any(|o| *o == j.name || j.name.starts_with(&format!("{o}-p"))));
    }
    // Natural order: pmed2 before pmed10.
    out.sort_by(|x, y| (x.model.as_str(), natural_key(&x.name)).cmp(&(y.model.as_str(), natural_key(&y.name))));
    if out.is_empty() {
        bail!("no instances to run in {}", shown(&a.suite));
    }
    Ok(out)
}

/// `pmedopt.txt`, `capopt.txt` and the like hold values, not instances.
fn is_known_values_file(p: &Path) -> bool {
    p.file_name().is_some_and(|n| n.to_string_lossy().ends_with("opt.txt"))
}

fn natural_key(s: &str) -> (String, u64, String) {
    let digits_at = s.find(|c: char| c.is_ascii_digit()).unwrap_or(s.len());
    let rest = &s[digits_at..];
    let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    (s[..digits_at].to_string(), rest[..end].parse().unwrap_or(0), rest[end..].to_string())
}

pub fn run(a: BenchArgs) -> anyhow::Result<ExitCode> {
    let jobs = jobs(&a)?;
    let bar = ProgressBar::new(jobs.len() as u64);
    bar.set_style(ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} [{elapsed}]").expect("valid template"));
    let opts = a.solver.options();
    let mut rows = Vec::new();
    for job in &jobs {
        bar.set_message(job.name.clone());
        let read = ReadOptions { format: None, model: Some(job.model), p: job.p, rounding: a.rounding, capacity: None };
        let inst = read_instance(&job.file, &read)?;
        let out = solve(&inst, &opts).with_context(|| format!("solving {}", job.name))?;
        rows.push(Row {
            name: job.name.clone(),
            model: job.model,
            n: inst.n_clients(),
            m: inst.n_facilities(),
            p: inst.p,
            objective: out.objective(),
            known: job.known,
            lower_bound: out.lower_bound,
            status: out.status,
            seconds: out.elapsed_s,
        });
        bar.inc(1);
    }
    bar.finish_and_clear();
    print_table(&rows);
    let csv_path = a.csv.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "bench-{}.csv",
            a.suite.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "suite".into())
        ))
    });
    write_atomic(&csv_path, to_csv(&rows)?.as_bytes()).with_context(|| format!("cannot write {}", shown(&csv_path)))?;
    println!("table written to {}", shown(&csv_path));
    let missed = rows.iter().filter(|r| r.reaches_known() == Some(false)).count();
    Ok(if a.require_optimal && missed > 0 { ExitCode::from(exit::VIOLATION) } else { ExitCode::SUCCESS })
}

fn opt_num(v: Option<f64>, digits: usize) -> String {
    v.map(|x| format!("{x:.digits$}")).unwrap_or_else(|| "-".into())
}

fn print_table(rows: &[Row]) {
    println!(
        "{:<12} {:>7} {:>6} {:>5} {:>16} {:>16} {:>9} {:>16} {:>9} {:>10} {:>8}",
        "instance", "model", "n", "p", "objective", "known", "gap%", "lower_bound", "bgap%", "status", "seconds"
    );
    for r in rows {
        let infeasible = r.status == Status::Infeasible;
        println!(
            "{:<12} {:>7} {:>6} {:>5} {:>16} {:>16} {:>9} {:>16} {:>9} {:>10} {:>8.3}",
            r.name,
            r.model.as_str(),
            r.n,
            r.p.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
            if infeasible { "-".to_string() } else { format!("{:.3}", r.objective) },
            opt_num(r.known, 3),
            opt_num(r.gap_to_known(), 4),
            opt_num(r.lower_bound, 3),
            opt_num(r.gap_to_bound(), 4),
            r.status.as_str(),
            r.seconds
        );
    }
    let k = rows.iter().filter(|r| r.known.is_some()).count();
    let reached = rows.iter().filter(|r| r.reaches_known() == Some(true)).count();
    let proven = rows.iter().filter(|r| r.status == Status::Optimal).count();
    let infeasible = rows.iter().filter(|r| r.status == Status::Infeasible).count();
    let mut secs: Vec<f64> = rows.iter().map(|r| r.seconds).collect();
    secs.sort_by(f64::total_cmp);
    let median = if secs.is_empty() {
        0.0
    } else if secs.len() % 2 == 1 {
        secs[secs.len() / 2]
    } else {
        0.5 * (secs[secs.len() / 2 - 1] + secs[secs.len() / 2])
    };
    let total: f64 = secs.iter().sum();
    let gaps: Vec<f64> =
        rows.iter().filter(|r| r.status != Status::Infeasible).filter_map(|r| r.gap_to_bound()).collect();
    let mean_bgap = gaps.iter().sum::<f64>() / gaps.len().max(1) as f64;
    let max_bgap = gaps.iter().cloned().fold(0.0, f64::max);
    println!(
        "summary: {} instances; {}{} proven optimal;{} mean gap to bound {:.4}% (max {:.4}%); median {:.3} s, total {:.2} s",
        rows.len(),
        if k > 0 { format!("{reached}/{k} reach the known optimum; ") } else { String::new() },
        proven,
        if infeasible > 0 { format!(" {infeasible} infeasible;") } else { String::new() },
        mean_bgap,
        max_bgap,
        median,
        total
    );
}

fn to_csv(rows: &[Row]) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "instance",
        "model",
        "n",
        "m",
        "p",
        "objective",
        "known",
        "gap_to_known_pct",
        "reaches_known",
        "lower_bound",
        "gap_to_bound_pct",
        "proven_optimal",
        "status",
        "seconds",
    ])?;
    for r in rows {
        w.write_record([
            r.name.clone(),
            r.model.as_str().into(),
            r.n.to_string(),
            r.m.to_string(),
            r.p.map(|p| p.to_string()).unwrap_or_default(),
            format!("{}", r.objective),
            r.known.map(|k| k.to_string()).unwrap_or_default(),
            r.gap_to_known().map(|g| format!("{g:.6}")).unwrap_or_default(),
            r.reaches_known().map(|b| b.to_string()).unwrap_or_default(),
            r.lower_bound.map(|b| b.to_string()).unwrap_or_default(),
            r.gap_to_bound().map(|g| format!("{g:.6}")).unwrap_or_default(),
            (r.status == Status::Optimal).to_string(),
            r.status.as_str().into(),
            format!("{:.4}", r.seconds),
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}
