//! Arguments shared by several subcommands.

use std::path::{Path, PathBuf};

use std::io::IsTerminal;
use std::sync::Mutex;

use clap::Args;
use hubplan::io::{Format, ReadOptions};
use hubplan::network::progress::{Progress, Stage};
use hubplan::problem::{Model, Rounding};
use hubplan::solve::{Backend, SolveOptions, SolverKind};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How to read an instance file.
#[derive(Args, Clone, Debug)]
pub struct InstanceArgs {
    /// Input format (default: from the file name: *.tsp, *.json, pmed*, cap*).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Formulation (default: p-median for orlib-pmed and tsplib, cflp for orlib-cap, inferred for json).
    #[arg(long, value_enum)]
    pub model: Option<Model>,
    /// Number of facilities to open (p-median; overrides the file's p).
    #[arg(long)]
    pub p: Option<usize>,
    /// Distance convention for TSPLIB coordinates.
    #[arg(long, value_enum, default_value = "nint")]
    pub rounding: Rounding,
    /// Capacity for OR-Library files that write the word `capacity` (sets A, B, C).
    #[arg(long)]
    pub capacity: Option<f64>,
}

impl InstanceArgs {
    pub fn read_options(&self) -> ReadOptions {
        ReadOptions {
            format: self.format,
            model: self.model,
            p: self.p,
            rounding: self.rounding,
            capacity: self.capacity,
        }
    }
}

/// Solver settings.
#[derive(Args, Clone, Debug)]
pub struct SolverArgs {
    /// Method: heuristic with bounds, exact MIP, or auto.
    #[arg(long, value_enum, default_value = "auto")]
    pub solver: SolverKind,
    /// Wall-clock limit in seconds (runs are otherwise deterministic for a seed).
    #[arg(long)]
    pub time_limit: Option<f64>,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads (0 = one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// VNS rounds without improvement before the heuristic stops.
    #[arg(long, default_value_t = 40)]
    pub stall_rounds: usize,
    /// Branch-and-bound effort, in candidate-list entries scanned (0: bound at the root only).
    #[arg(long, default_value_t = 4_000_000_000)]
    pub bnb_work: u64,
    /// With `--solver auto`: do not split the instance into blocks that share no allowed link.
    #[arg(long)]
    pub no_decompose: bool,
}

impl SolverArgs {
    pub fn options(&self) -> SolveOptions {
        SolveOptions {
            solver: self.solver,
            time_limit: self.time_limit,
            seed: self.seed,
            threads: self.threads,
            backend: Backend::best_available(),
            max_stall_rounds: self.stall_rounds,
            bnb_work: self.bnb_work,
            decompose: !self.no_decompose,
            ..SolveOptions::default()
        }
    }
}

/// `path` for messages.
pub fn shown(path: &Path) -> String {
    path.display().to_string()
}

/// Adds `suffix` to a file name: `a/b.csv` + `x` → `a/b.x.csv`.
#[allow(dead_code)]
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = path.extension().map(|s| format!(".{}", s.to_string_lossy())).unwrap_or_default();
    path.with_file_name(format!("{stem}.{suffix}{ext}"))
}

/// Draws an indicatif bar on a terminal; silent otherwise.
pub struct Bar {
    bar: Mutex<Option<ProgressBar>>,
    visible: bool,
}

impl Bar {
    pub fn new() -> Self {
        Bar { bar: Mutex::new(None), visible: std::io::stderr().is_terminal() }
    }
}

impl Progress for Bar {
    fn begin(&self, stage: Stage, total: Option<u64>) {
        if !self.visible {
            return;
        }
        let bar = match total {
            Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()).with_style(
                ProgressStyle::with_template("{msg:16} {bar:40} {pos}/{len} ({eta})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            ),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
                ProgressStyle::with_template("{msg:16} {spinner} {pos} blocks")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        bar.set_message(stage.as_str());
        if let Some(old) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).replace(bar) {
            old.finish_and_clear();
        }
    }

    fn advance(&self, n: u64) {
        if let Some(b) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            b.inc(n);
        }
    }

    fn end(&self) {
        if let Some(b) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).take() {
            b.finish_and_clear();
        }
    }
}
