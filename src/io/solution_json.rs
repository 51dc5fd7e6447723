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
use crate::problem::{ExtId, Instance};
use crate::solve::{SolveOutcome, SolveStats};

pub const SCHEMA: &str = "hubplan-solution/1";

/// The instance a solution belongs to, so `check` can re-read it the same way.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InstanceEcho {
    pub name: String,
    pub file: Option<String>,
    pub read: ReadOptions,
    pub model: String,
    pub clients: usize,
    pub facilities: usize,
    pub p: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Terms {
    pub opening_cost: f64,
    pub service_cost: f64,
    pub unserved_cost: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SolutionDoc {
    pub schema: String,
    pub objective: f64,
    pub lower_bound: Option<f64>,
    pub gap: Option<f64>,
    pub status: String,
    pub open: Vec<ExtId>,
    pub assignment: Vec<Option<ExtId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flows: Option<Vec<(ExtId, ExtId, f64)>>,
    #[serde(default)]
    pub unserved: Vec<ExtId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// With status `infeasible`: proven (presolve, MIP) or merely not found by the search.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infeasibility_proven: Option<bool>,
    #[serde(default)]
    pub terms: Option<Terms>,
    pub elapsed_s: f64,
    pub solver: String,
    pub seed: u64,
    pub threads: usize,
    #[serde(default)]
    pub instance: Option<InstanceEcho>,
    #[serde(default)]
    pub stats: Option<SolveStats>,
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
            open: sol.open.iter().map(|&f| fid(f)).collect(),
            assignment: sol.assignment.iter().map(|a| a.map(fid)).collect(),
            flows: sol
                .flows
                .as_ref()
                .map(|fl| fl.iter().map(|x| (inst.clients[x.client].id.clone(), fid(x.facility), x.share)).collect()),
            unserved: sol.unserved().into_iter().map(|c| inst.clients[c].id.clone()).collect(),
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
    pub fn read(path: &Path) -> Result<SolutionDoc, InputErrors> {
        let text = read_text(path)?;
        serde_json::from_str(&text).map_err(|e| {
            let loc = if e.line() > 0 { Location::Line(e.line()) } else { Location::File };
            InputError::new(path, loc, ErrorCode::WrongFormat, format!("not a hubplan solution: {e}")).into()
        })
    }

    /// Resolves ids against `inst` into a [`Solution`], reporting unknown ids.
    pub fn to_solution(&self, path: &Path, inst: &Instance) -> Result<Solution, InputErrors> {
        let mut problems = Problems::new(path);
        let fac: HashMap<&ExtId, usize> = inst.facilities.iter().enumerate().map(|(i, f)| (&f.id, i)).collect();
        let cli: HashMap<&ExtId, usize> = inst.clients.iter().enumerate().map(|(i, c)| (&c.id, i)).collect();
        let find = |id: &ExtId, key: String, problems: &mut Problems| -> Option<usize> {
            let found = fac.get(id).copied();
            if found.is_none() {
                problems.push(Location::Key(key), ErrorCode::UnknownId, format!("no facility `{id}` in the instance"));
            }
            found
        };
        let open: Vec<usize> =
            self.open.iter().enumerate().filter_map(|(k, id)| find(id, format!("open[{k}]"), &mut problems)).collect();
        if self.assignment.len() != inst.n_clients() {
            problems.push(
                Location::Key("assignment".into()),
                ErrorCode::Inconsistent,
                format!("{} entries for {} clients", self.assignment.len(), inst.n_clients()),
            );
        }
        let assignment: Vec<Option<usize>> = self
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
