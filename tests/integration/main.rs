//! The integration tests, one binary: the real `hubplan` binary and the
//! library's public API over the fixtures and the committed datasets.
//!
//! Tests that take more than about 30 seconds are `#[ignore]`d with the
//! reason "slow: run by .ci/run's slow step"; run them with
//! `cargo test --release -- --ignored`.

mod common;

mod cli;
mod compare;
mod data;
mod datasets;
mod link_modes;
mod plan;
mod report;
mod roads;
mod rollout_report;
#[cfg(feature = "serve")]
mod serve;
mod snapshots;
mod sweep;
#[cfg(feature = "serve")]
mod workbench;
