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
//! (one [`problem::Instance`]) → [`solve`](mod@solve) (MIP, heuristics,
//! bounds) → [`plan`](mod@plan) (solution and independent checker). [`hub`]
//! runs that chain for a planning scenario and writes a plan directory;
//! [`report`] renders plan directories (HTML report, comparison, sweep
//! index) from their files alone; [`dataset`] builds the committed datasets
//! from raw open data.
//!
//! ## In memory
//!
//! The entry points are re-exported here: read an instance
//! ([`read_instance`]) or build one ([`Instance::new`]), [`solve`](fn@solve) it, and
//! [`check`](fn@check) the result independently; for hub planning, load a scenario
//! ([`LoadedScenario::load`]) and [`plan`](fn@plan) it, or, without files, parse
//! one ([`LoadedScenario::parse`]) and [`plan_in_memory`] school rows held in
//! memory. A p-median with two of three
//! sites open, solved and refereed:
//!
//! ```
//! use hubplan::{check, solve, Client, Costs, DenseCosts, Facility, Instance, Model, SolveOptions, Status};
//!
//! // Three villages on a line at km 0, 1 and 10; any village may host a hub.
//! let km = [0.0_f64, 1.0, 10.0];
//! let distances: Vec<f64> = km.iter().flat_map(|a| km.iter().map(move |b| (a - b).abs())).collect();
//! let clients = (0..3).map(|i| Client::new(format!("v{i}"), 1.0)).collect();
//! let sites = (0..3).map(|i| Facility::new(format!("v{i}"), 0.0)).collect();
//! let costs = Costs::Dense(DenseCosts::new(3, 3, distances));
//! let mut instance = Instance::new("line", Model::Pmedian, clients, sites, costs);
//! instance.p = Some(2);
//!
//! let outcome = solve(&instance, &SolveOptions { threads: 1, ..SolveOptions::default() }).unwrap();
//! assert_eq!(outcome.status, Status::Optimal);
//! assert_eq!(outcome.objective(), 1.0); // one of the two near villages walks 1 km
//!
//! let report = check(&instance, &outcome.solution, Some(outcome.objective()));
//! assert!(report.is_feasible());
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]
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
#[cfg(feature = "serve")]
pub mod serve;
pub mod solve;
#[cfg(test)]
mod testutil;

pub use hub::{LoadedScenario, PlanError, PlanOptions, PlanRun, Scenario, plan, plan_in_memory};
pub use io::{ReadOptions, read_instance};
pub use plan::check::CheckReport;
pub use plan::{Solution, check};
pub use problem::{Client, Costs, DenseCosts, Facility, Instance, Model};
pub use solve::{SolveError, SolveOptions, SolveOutcome, Status, solve};
