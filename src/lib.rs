//! # hubplan
//!
//! Plans networks of rural hub schools: which schools become hubs, which small
//! schools link to which hub, within what road distance, at what cost. Under
//! the hood it is a facility-location engine: p-median, uncapacitated and
//! capacitated facility location, solved exactly (MIP) or by fast parallel
//! heuristics whose quality is proven by Lagrangian lower bounds.
//!
//! Data flows one way:
//! [`io`] (read and validate) → [`network`] (road distances) → [`problem`]
//! (one [`problem::Instance`]) → [`solve`] (MIP, heuristics, bounds) →
//! [`plan`] (solution and independent checker) → `report` (outputs).

#![forbid(unsafe_code)]
// Numeric kernels index several parallel arrays by the same position.
#![allow(clippy::needless_range_loop)]

pub mod dataset;
pub mod error;
pub mod fsutil;
pub mod hub;
pub mod io;
pub mod network;
pub mod plan;
pub mod problem;
pub mod report;
pub mod rng;
pub mod solve;
#[cfg(test)]
pub mod testutil;
