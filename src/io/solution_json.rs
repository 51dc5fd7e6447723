//! The solution document that `hubplan solve --json` prints and
//! `hubplan check` reads back (schema `hubplan-solution/1`).
//!
//! Ids are written as the input file gave them (1-based numbers for
//! OR-Library and TSPLIB). `assignment` lists, for each client in input
//! order, its facility (for multi-source models: the one serving its largest
//! share) or `null` when unserved; `flows` lists `[client, facility, share]`
//! for multi-source models.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ReadOptions;
use super::tokens::read_text;
use crate::error::{ErrorCode, InputError, InputErrors, Location, Problems};
use crate::plan::{Flow, Solution};
use crate::problem::{ClientIdx, ExtId, FacilityIdx, IdxVec, Instance};
use crate::solve::{SolveOutcome, SolveStats};

/// The schema tag written into and accepted from solution files.
pub const SCHEMA: &str = "hubplan-solution/1";

/// The instance a solution belongs to, so `check` can re-read it the same way.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InstanceEcho {
    /// The instance's name.
    pub name: String,
    /// The instance file as given on the command line; `None` when not read from a file.
    pub file: Option<String>,
    /// The options it was read with.
    pub read: ReadOptions,
    /// The model solved ([`Model::as_str`](crate::problem::Model::as_str)).
    pub model: String,
    /// Number of clients, to catch a different file under the same name.
    pub clients: usize,
    /// Number of candidate facilities.
    pub facilities: usize,
    /// Facilities to open, for p-median models.
    pub p: Option<usize>,
}

/// The objective split into its parts, in the instance's cost units.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Terms {
    /// Sum of the opening costs of open facilities (already open ones cost nothing).
    pub opening_cost: f64,
    /// Sum of the service costs of the links used (weighted by share when split).
    pub service_cost: f64,
    /// Penalty for unserved demand; 0 when every client is served.
    pub unserved_cost: f64,
}

/// A solution as written to and read from JSON, with facilities and clients
/// named by their input ids.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SolutionDoc {
    /// [`SCHEMA`].
    pub schema: String,
    /// Objective value of the solution, in the instance's cost units.
    pub objective: f64,
    /// Proven lower bound on the optimum; `None` when none was computed.
    pub lower_bound: Option<f64>,
    /// Relative gap `(objective − lower_bound) / |objective|` (0.01 = 1%);
    /// `None` without a lower bound.
    pub gap: Option<f64>,
    /// `optimal`, `feasible`, `infeasible` or `time_limit`.
    pub status: String,
    /// Ids of the open facilities.
    pub open: Vec<ExtId>,
    /// For each client in input order: its facility, `null` when unserved.
    pub assignment: Vec<Option<ExtId>>,
    /// Multi-source models: `[client, facility, share]` with share in (0, 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flows: Option<Vec<(ExtId, ExtId, f64)>>,
    /// Ids of clients left unserved (with an unserved penalty, or when infeasible).
    #[serde(default)]
    pub unserved: Vec<ExtId>,
    /// Plain-language reasons when the model is infeasible.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// With status `infeasible`: proven (presolve, MIP) or merely not found by the search.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infeasibility_proven: Option<bool>,
    /// The objective's parts; `None` in documents written by hand.
    #[serde(default)]
    pub terms: Option<Terms>,
    /// Wall-clock solve time, seconds.
    pub elapsed_s: f64,
    /// What ran, e.g. `vns+lagrangian` or `mip(microlp)`.
    pub solver: String,
    /// Random seed of the run; the same seed and thread count give the same solution.
    pub seed: u64,
    /// Worker threads used.
    pub threads: usize,
    /// The instance it belongs to, so `check` can re-read it the same way.
    #[serde(default)]
    pub instance: Option<InstanceEcho>,
    /// Solver counters.
    #[serde(default)]
    pub stats: Option<SolveStats>,
    /// Notes on choices the solver made (for `--solver auto`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl SolutionDoc {
    /// The document for a solver outcome.
    pub fn from_outcome(inst: &Instance, out: &SolveOutcome, echo: Option<InstanceEcho>) -> SolutionDoc {
        let fid = |f: usize| inst.facilities[f].id.clone();
        let sol = &out.solution;
        SolutionDoc {
            schema: SCHEMA.into(),
            objective: out.evaluation.objective,
            lower_bound: out.lower_bound,
            gap: out.gap(),
            status: out.status.as_str().into(),
            open: sol.open.iter().map(|&f| fid(f.index())).collect(),
            assignment: sol.assignment.iter().map(|a| a.map(|f| fid(f.index()))).collect(),
            flows: sol.flows.as_ref().map(|fl| {
                fl.iter().map(|x| (inst.client(x.client).id.clone(), fid(x.facility.index()), x.share)).collect()
            }),
            unserved: sol.unserved().into_iter().map(|c| inst.client(c).id.clone()).collect(),
            reasons: out.reasons.clone(),
            infeasibility_proven: (out.status == crate::solve::Status::Infeasible).then_some(out.infeasibility_proven),
            terms: Some(Terms {
                opening_cost: out.evaluation.opening_cost,
                service_cost: out.evaluation.service_cost,
                unserved_cost: out.evaluation.unserved_cost,
            }),
            elapsed_s: out.elapsed_s,
            solver: out.solver.clone(),
            seed: out.seed,
            threads: out.threads,
            instance: echo,
            stats: Some(out.stats.clone()),
            notes: out.notes.clone(),
        }
    }

    /// Reads a solution document (no instance needed yet).
    ///
    /// # Errors
    ///
    /// The file cannot be read or is not a solution document.
    pub fn read(path: &Path) -> Result<SolutionDoc, InputErrors> {
        let text = read_text(path)?;
        serde_json::from_str(&text).map_err(|e| {
            let loc = if e.line() > 0 { Location::Line(e.line()) } else { Location::File };
            InputError::new(path, loc, ErrorCode::WrongFormat, format!("not a hubplan solution: {e}")).into()
        })
    }

    /// Resolves ids against `inst` into a [`Solution`], reporting unknown ids.
    ///
    /// # Errors
    ///
    /// Every unknown client or facility id with its key, and an assignment
    /// whose length is not the number of clients.
    pub fn to_solution(&self, path: &Path, inst: &Instance) -> Result<Solution, InputErrors> {
        let mut problems = Problems::new(path);
        let fac: HashMap<&ExtId, FacilityIdx> =
            inst.facilities.iter().enumerate().map(|(i, f)| (&f.id, FacilityIdx::new(i))).collect();
        let cli: HashMap<&ExtId, ClientIdx> =
            inst.clients.iter().enumerate().map(|(i, c)| (&c.id, ClientIdx::new(i))).collect();
        let find = |id: &ExtId, key: String, problems: &mut Problems| -> Option<FacilityIdx> {
            let found = fac.get(id).copied();
            if found.is_none() {
                problems.push(Location::Key(key), ErrorCode::UnknownId, format!("no facility `{id}` in the instance"));
            }
            found
        };
        let open: Vec<FacilityIdx> =
            self.open.iter().enumerate().filter_map(|(k, id)| find(id, format!("open[{k}]"), &mut problems)).collect();
        if self.assignment.len() != inst.n_clients() {
            problems.push(
                Location::Key("assignment".into()),
                ErrorCode::Inconsistent,
                format!("{} entries for {} clients", self.assignment.len(), inst.n_clients()),
            );
        }
        let assignment: IdxVec<ClientIdx, Option<FacilityIdx>> = self
            .assignment
            .iter()
            .enumerate()
            .map(|(k, a)| a.as_ref().and_then(|id| find(id, format!("assignment[{k}]"), &mut problems)))
            .collect();
        let flows = self.flows.as_ref().map(|fl| {
            fl.iter()
                .enumerate()
                .filter_map(|(k, (c, f, share))| {
                    let ci = cli.get(c).copied();
                    if ci.is_none() {
                        problems.push(
                            Location::Key(format!("flows[{k}]")),
                            ErrorCode::UnknownId,
                            format!("no client `{c}` in the instance"),
                        );
                    }
                    let fi = find(f, format!("flows[{k}]"), &mut problems);
                    Some(Flow { client: ci?, facility: fi?, share: *share })
                })
                .collect::<Vec<_>>()
        });
        let mut sol = Solution { open, assignment, flows: None };
        sol.open.sort_unstable();
        sol.flows = flows;
        problems.finish(sol)
    }
}
