//! What every engine shares: the record of where a run spent its time.

use std::time::Instant;

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
