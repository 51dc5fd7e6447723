//! A solution to an instance, and the independent checker that recomputes its
//! objective and feasibility from the instance alone.

pub mod check;

pub use check::{Evaluation, Violation, check, check_modal};

/// A share of a client's demand served by a facility (multi-source models).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Flow {
    /// Client index into [`Instance::clients`](crate::problem::Instance::clients).
    pub client: usize,
    /// Facility index into [`Instance::facilities`](crate::problem::Instance::facilities).
    pub facility: usize,
    /// Fraction of the client's demand, in (0, 1].
    pub share: f64,
}

/// Which facilities are open and who serves each client.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Solution {
    /// Open facility indices, ascending.
    pub open: Vec<usize>,
    /// For each client: its facility (single-source) or the facility serving
    /// its largest share (multi-source); `None` when unserved.
    pub assignment: Vec<Option<usize>>,
    /// Multi-source only: every positive share.
    pub flows: Option<Vec<Flow>>,
}

impl Solution {
    /// A single-source solution; `open` is sorted and deduplicated.
    pub fn single_source(mut open: Vec<usize>, assignment: Vec<Option<usize>>) -> Self {
        open.sort_unstable();
        open.dedup();
        Solution { open, assignment, flows: None }
    }

    /// Clients left unserved.
    pub fn unserved(&self) -> Vec<usize> {
        match &self.flows {
            None => self.assignment.iter().enumerate().filter(|(_, a)| a.is_none()).map(|(c, _)| c).collect(),
            Some(flows) => {
                let mut served = vec![0.0; self.assignment.len()];
                for f in flows {
                    served[f.client] += f.share;
                }
                served.iter().enumerate().filter(|(_, s)| **s < 1.0 - 1e-9).map(|(c, _)| c).collect()
            }
        }
    }
}
