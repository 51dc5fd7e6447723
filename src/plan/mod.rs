//! A solution to an instance, and the independent checker that recomputes its
//! objective and feasibility from the instance alone.

pub mod check;

pub use check::{Evaluation, Violation, check, check_modal};

use crate::problem::{ClientIdx, FacilityIdx, IdxVec};

/// A share of a client's demand served by a facility (multi-source models).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Flow {
    /// The client, in [`Instance::clients`](crate::problem::Instance::clients).
    pub client: ClientIdx,
    /// The facility, in [`Instance::facilities`](crate::problem::Instance::facilities).
    pub facility: FacilityIdx,
    /// Fraction of the client's demand, in (0, 1].
    pub share: f64,
}

/// Which facilities are open and who serves each client.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Solution {
    /// Open facilities, ascending.
    pub open: Vec<FacilityIdx>,
    /// For each client: its facility (single-source) or the facility serving
    /// its largest share (multi-source); `None` when unserved.
    pub assignment: IdxVec<ClientIdx, Option<FacilityIdx>>,
    /// Multi-source only: every positive share.
    pub flows: Option<Vec<Flow>>,
}

impl Solution {
    /// A single-source solution; `open` is sorted and deduplicated.
    pub fn single_source(mut open: Vec<FacilityIdx>, assignment: IdxVec<ClientIdx, Option<FacilityIdx>>) -> Self {
        open.sort_unstable();
        open.dedup();
        Solution { open, assignment, flows: None }
    }

    /// [`Solution::single_source`] from an engine's plain positions (the
    /// engines keep raw integers in their own state).
    pub fn from_positions(open: &[usize], assignment: &[Option<usize>]) -> Self {
        Solution::single_source(
            open.iter().map(|&f| FacilityIdx::new(f)).collect(),
            assignment.iter().map(|a| a.map(FacilityIdx::new)).collect(),
        )
    }

    /// The open facilities as plain positions, ascending.
    pub fn open_positions(&self) -> Vec<usize> {
        self.open.iter().map(|f| f.index()).collect()
    }

    /// The assignment as plain positions (client order).
    pub fn assignment_positions(&self) -> Vec<Option<usize>> {
        self.assignment.iter().map(|a| a.map(FacilityIdx::index)).collect()
    }

    /// The facility serving client `c` (its largest share, multi-source).
    pub fn facility_of(&self, c: ClientIdx) -> Option<FacilityIdx> {
        self.assignment.get(c).copied().flatten()
    }

    /// Clients left unserved.
    pub fn unserved(&self) -> Vec<ClientIdx> {
        match &self.flows {
            None => self.assignment.iter_enumerated().filter(|(_, a)| a.is_none()).map(|(c, _)| c).collect(),
            Some(flows) => {
                let mut served: IdxVec<ClientIdx, f64> = IdxVec::from_elem(0.0, self.assignment.len());
                for f in flows {
                    served[f.client] += f.share;
                }
                served.iter_enumerated().filter(|(_, s)| **s < 1.0 - 1e-9).map(|(c, _)| c).collect()
            }
        }
    }
}
