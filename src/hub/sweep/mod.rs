//! Scenario sweeps: one scenario (or several) planned over a grid of
//! parameter values, with the data read and the distances computed once.
//!
//! ```text
//! scenario files × --vary grid ─ expand (every case loaded and validated up front)
//!   ─ input sets (schools read once; one distance table per set, at the set's
//!     largest link radius, through the cache)
//!   ─ cases in parallel (each plan filters the shared table to its own radius)
//!   ─ DIR/<case>/ plan directories, DIR/summary.csv, then the caller's extras
//!     (index.html), all staged beside DIR and renamed into place at the end
//! ```
//!
//! A table computed at radius R holds every link of length ≤ R, and the
//! planning model keeps only the links within its scenario's
//! `links.max_road_km`, so one table at the largest radius serves every case
//! of a set and gives the same plans as separate runs.
//!
//! Threads: with a budget of `T` threads and `n` cases, `min(T, n)` cases run
//! at once and each solver gets `max(1, T / min(T, n))` threads. Both follow
//! from `T` and `n` alone, so a sweep is reproducible for a seed and `T`
//! (as far as each plan is: a plan stopped by its time limit is not).
//!
//! `grid.rs` makes the cases, `runner.rs` shares the inputs and runs them;
//! `summary.csv` is written by [`crate::report::sweep_summary`].

mod grid;
mod runner;

use std::io;
use std::path::PathBuf;

pub use grid::{SweepCase, Vary, expand, safe_name};
pub use runner::{
    InputSet, PlanFinisher, RowFigures, SweepFinisher, SweepOptions, SweepReport, SweepRow, ThreadPlan, run_sweep,
};

use super::PlanError;
use super::scenario::ScenarioError;

/// Why a sweep could not run or could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A `--vary` argument that cannot be used.
    #[error("--vary `{arg}`: {problem}")]
    Vary {
        /// The argument as given (`KEY=VALUE1,VALUE2,…`).
        arg: String,
        /// What is wrong with it.
        problem: VaryProblem,
    },
    /// A scenario file, or a scenario with the varied values, is invalid.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The data of a scenario cannot be read (names the scenario file).
    #[error("{}: {source}", file.display())]
    Inputs {
        /// The scenario file whose data failed.
        file: PathBuf,
        /// Why the data could not be read.
        source: PlanError,
    },
    /// Nothing to plan.
    #[error("no scenario given")]
    Empty,
    /// The output directory exists and `force` was not given.
    #[error("{} already exists; pass --force to replace it", .0.display())]
    Exists(PathBuf),
    /// Writing the output failed (the previous output, if any, is kept).
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying I/O error.
        source: io::Error,
    },
}

/// What is wrong with a `--vary` argument (or with the set of them).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VaryProblem {
    /// No `=`.
    #[error("expected KEY=VALUE1,VALUE2,…")]
    Syntax,
    /// Not a scenario key; `nearest` is the closest one.
    #[error("unknown key `{key}`; did you mean `{nearest}`?")]
    UnknownKey {
        /// The key as given.
        key: String,
        /// The known scenario key closest to it.
        nearest: &'static str,
    },
    /// The thread count belongs to the sweep's budget.
    #[error("`solver.threads` is set by the sweep's --threads budget; it cannot be varied")]
    Threads,
    /// A value between two commas is empty (`position` counts from 1).
    #[error("value {position} of `{key}` is empty")]
    EmptyValue {
        /// The varied key.
        key: String,
        /// Which value is empty, counting from 1.
        position: usize,
    },
    /// The same value twice would make two identical cases.
    #[error("value `{value}` of `{key}` is given twice")]
    ValueTwice {
        /// The varied key.
        key: String,
        /// The repeated value.
        value: String,
    },
    /// Two `--vary` arguments name the same key.
    #[error("`{key}` is varied twice")]
    KeyTwice {
        /// The key varied twice.
        key: String,
    },
    /// A varied key is also set by `--set` or another option.
    #[error("`{key}` is also set by another option")]
    AlsoSet {
        /// The key both varied and set.
        key: String,
    },
}
