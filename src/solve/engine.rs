//! The contract every engine keeps: one set of options in, one outcome out,
//! so that [`crate::solve::solve`] treats the uncapacitated, single-source
//! and multi-source engines alike. What differs between them (bound
//! iterations, node limits, candidate lists) is the engine's own `Effort`.

use std::time::Instant;

use crate::plan::Solution;
use crate::solve::SolveStats;

/// Restarts per VNS round: fixed, not the thread count, so that a run's
/// result depends on the seed alone.
pub const VNS_TASKS: usize = 8;

/// What an engine is asked to do: the settings all engines share, and the
/// engine's own effort knobs `E`.
#[derive(Debug, Clone)]
pub struct EngineOptions<E> {
    pub seed: u64,
    pub deadline: Option<Instant>,
    /// Restarts per VNS round (fixed, so results do not depend on the thread count).
    pub tasks: usize,
    /// Stop the VNS after this many rounds in a row without improvement.
    pub max_stall_rounds: usize,
    pub effort: E,
}

impl<E: Default> Default for EngineOptions<E> {
    fn default() -> Self {
        EngineOptions { seed: 1, deadline: None, tasks: VNS_TASKS, max_stall_rounds: 40, effort: E::default() }
    }
}

impl EngineOptions<()> {
    /// The shared settings with one engine's effort knobs.
    pub fn with_effort<E>(&self, effort: E) -> EngineOptions<E> {
        EngineOptions {
            seed: self.seed,
            deadline: self.deadline,
            tasks: self.tasks,
            max_stall_rounds: self.max_stall_rounds,
            effort,
        }
    }
}

/// What an engine found, before the checker has seen it.
#[derive(Debug, Clone)]
pub struct EngineOutcome {
    pub solution: Solution,
    /// The engine's own objective of `solution` (infinite when it found none).
    pub objective: f64,
    pub lower_bound: Option<f64>,
    /// The bound proves `objective` optimal.
    pub proven: bool,
    pub hit_deadline: bool,
    /// Whether the LP relaxation can raise the engine's bound: false where
    /// the Lagrangian bound already equals it, or where the solution leaves
    /// must-serve demand unserved (no bound is reported then).
    pub lp_may_tighten: bool,
    pub stats: SolveStats,
    /// What ran, e.g. `vns+lagrangian`.
    pub solver: String,
}

/// Wall-clock time per stage, for `-v` logs.
pub struct Stages {
    last: Instant,
    pub done: Vec<(String, f64)>,
}

impl Stages {
    pub fn start() -> Stages {
        Stages { last: Instant::now(), done: Vec::new() }
    }

    /// Records the time since the previous mark under `name`.
    pub fn mark(&mut self, name: &str) {
        let now = Instant::now();
        self.done.push((name.to_string(), now.duration_since(self.last).as_secs_f64()));
        self.last = now;
    }
}
