//! hubplan's own instance format (JSON, schema `hubplan-instance/1`).
//!
//! ```json
//! {
//!   "schema": "hubplan-instance/1",
//!   "name": "example",
//!   "facilities": [{"id": "F1", "open_cost": 100, "capacity": 50, "fixed_open": false, "forbidden": false}],
//!   "clients": [{"id": "C1", "demand": 10}],
//!   "costs": {"dense": [[12.5]]},
//!   "p": 1
//! }
//! ```
//! `costs.dense[c][f]` is the cost of serving *all* of client `c` from
//! facility `f` (rows in client order, `null` = link not allowed);
//! `costs.sparse` lists `[client_id, facility_id, cost]` triples and every
//! pair not listed is not allowed. Optional constraint fields: `single_source`,
//! `budget`, `min_open`, `max_open`, `groups` (`[{"id", "facilities": [ids],
//! "min_open", "max_open"}]`), `unserved_penalty` (per unit of demand).
//! Facilities may also have `max_clients` (a limit on the number of clients)
//! and `budget_cost` (what opening charges to the budget, if not `open_cost`);
//! clients may have `budget_cost` (charged to the budget when served).

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::tokens::read_text;
use crate::error::{ErrorCode, InputError, InputErrors, Location, Problems};
use crate::problem::{Client, Costs, DenseCosts, ExtId, Facility, FacilityIdx, Group, Instance, Model, SparseCosts};

/// The schema tag written into and accepted from instance files.
pub const SCHEMA: &str = "hubplan-instance/1";

/// An instance file exactly as written, ids not yet resolved: what
/// [`to_raw`] produces and [`resolve`] validates. Unknown keys are rejected.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInstance {
    /// Must be [`SCHEMA`] when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// `None`: the file stem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `None`: inferred from the other fields: capacities make it CFLP
    /// (multi-source), SSCFLP or, with `p` and no opening costs, CPMP; without
    /// capacities, `p` and no opening costs make it p-median, otherwise UFLP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<Model>,
    /// Candidate facilities, in index order.
    pub facilities: Vec<RawFacility>,
    /// Clients, in index order (the row order of dense costs).
    pub clients: Vec<RawClient>,
    /// Service costs; a pair without a cost may not be linked.
    pub costs: RawCosts,
    /// Number of facilities to open (p-median models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<usize>,
    /// With capacities: each client is served by one facility only; default true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub single_source: Option<bool>,
    /// Limit on what opening facilities and serving clients charge to the budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<f64>,
    /// Fewest facilities open in total, already open ones included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_open: Option<usize>,
    /// Most facilities open in total, already open ones included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_open: Option<usize>,
    /// Groups of facilities with their own open counts (districts).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<RawGroup>,
    /// Cost per unit of demand left unserved; `None`: every client must be served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unserved_penalty: Option<f64>,
}

/// A candidate facility as written in the file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFacility {
    /// Unique among facilities; referred to by sparse costs and groups.
    pub id: ExtId,
    /// Objective cost of opening it; default 0.
    #[serde(default)]
    pub open_cost: f64,
    /// Units of demand it can serve; `None`: unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<f64>,
    /// Most clients it can serve; `None`: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_clients: Option<u32>,
    /// Charge to the budget when opened; `None`: `open_cost`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_cost: Option<f64>,
    /// Already open: stays open and costs nothing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fixed_open: bool,
    /// May never be opened.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forbidden: bool,
}

fn one() -> f64 {
    1.0
}

/// A client as written in the file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClient {
    /// Unique among clients; referred to by sparse costs.
    pub id: ExtId,
    /// Units of demand; default 1.
    #[serde(default = "one")]
    pub demand: f64,
    /// Charge to the budget when served; default 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub budget_cost: f64,
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

/// Service costs: the cost of serving all of a client's demand from a facility.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RawCosts {
    /// `dense[client][facility]`, rows in client order; `null`: link not allowed.
    Dense(Vec<Vec<Option<f64>>>),
    /// `[client_id, facility_id, cost]` triples; pairs not listed are not allowed.
    Sparse(Vec<(ExtId, ExtId, f64)>),
}

/// A group of facilities (a district) with its own limits on how many are open.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    /// Names the group in messages.
    pub id: ExtId,
    /// Ids of its member facilities.
    pub facilities: Vec<ExtId>,
    /// Fewest members open; default 0.
    #[serde(default)]
    pub min_open: usize,
    /// Most members open; `None`: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_open: Option<usize>,
}

/// Reads an instance JSON file.
///
/// # Errors
///
/// The file cannot be read, or [`parse`] rejects it.
pub fn read(path: &Path) -> Result<Instance, InputErrors> {
    let text = read_text(path)?;
    parse(path, &text)
}

/// Parses instance JSON already in memory; `path` only names it in errors.
///
/// # Errors
///
/// Invalid JSON or unknown keys (with the line), or whatever [`resolve`] reports.
pub fn parse(path: &Path, text: &str) -> Result<Instance, InputErrors> {
    let raw: RawInstance = serde_json::from_str(text).map_err(|e| {
        let loc = if e.line() > 0 { Location::Line(e.line()) } else { Location::File };
        let code = if e.is_eof() { ErrorCode::Truncated } else { ErrorCode::WrongFormat };
        InputError::new(path, loc, code, format!("not a valid hubplan instance: {e}"))
    })?;
    resolve(path, raw)
}

/// Turns the raw document into a validated instance with dense indices.
///
/// # Errors
///
/// Every problem found, each with its key: a wrong schema tag, duplicate or
/// unknown ids, a dense matrix of the wrong shape, negative sparse costs; then
/// whatever [`Instance::validate`] rejects (bad demands, capacities, counts).
pub fn resolve(path: &Path, raw: RawInstance) -> Result<Instance, InputErrors> {
    let mut problems = Problems::new(path);
    if let Some(s) = &raw.schema
        && s != SCHEMA
    {
        problems.push(
            Location::Key("schema".into()),
            ErrorCode::WrongFormat,
            format!("unsupported schema `{s}`: expected `{SCHEMA}`"),
        );
    }
    let mut fac_index: HashMap<&ExtId, usize> = HashMap::new();
    for (k, f) in raw.facilities.iter().enumerate() {
        if fac_index.insert(&f.id, k).is_some() {
            problems.push(
                Location::Key(format!("facilities[{k}].id")),
                ErrorCode::DuplicateId,
                format!("facility id `{}` is used twice", f.id),
            );
        }
    }
    let mut cli_index: HashMap<&ExtId, usize> = HashMap::new();
    for (k, c) in raw.clients.iter().enumerate() {
        if cli_index.insert(&c.id, k).is_some() {
            problems.push(
                Location::Key(format!("clients[{k}].id")),
                ErrorCode::DuplicateId,
                format!("client id `{}` is used twice", c.id),
            );
        }
    }
    let (n, m) = (raw.clients.len(), raw.facilities.len());
    let costs = match &raw.costs {
        RawCosts::Dense(rows) => {
            if rows.len() != n {
                problems.push(
                    Location::Key("costs.dense".into()),
                    ErrorCode::Inconsistent,
                    format!("{} rows for {n} clients", rows.len()),
                );
            }
            let mut values = Vec::with_capacity(n * m);
            for (c, row) in rows.iter().enumerate() {
                if row.len() != m {
                    problems.push(
                        Location::Key(format!("costs.dense[{c}]")),
                        ErrorCode::Inconsistent,
                        format!("{} costs for {m} facilities", row.len()),
                    );
                }
                values.extend(row.iter().map(|v| v.unwrap_or(f64::INFINITY)));
            }
            if values.len() == n * m { Some(Costs::Dense(DenseCosts::new(n, m, values))) } else { None }
        }
        RawCosts::Sparse(triples) => {
            let mut out = Vec::with_capacity(triples.len());
            for (k, (c, f, v)) in triples.iter().enumerate() {
                let (ci, fi) = (cli_index.get(c), fac_index.get(f));
                if ci.is_none() {
                    problems.push(
                        Location::Key(format!("costs.sparse[{k}]")),
                        ErrorCode::UnknownId,
                        format!("no client with id `{c}`"),
                    );
                }
                if fi.is_none() {
                    problems.push(
                        Location::Key(format!("costs.sparse[{k}]")),
                        ErrorCode::UnknownId,
                        format!("no facility with id `{f}`"),
                    );
                }
                if !(v.is_finite() && *v >= 0.0) {
                    problems.push(
                        Location::Key(format!("costs.sparse[{k}]")),
                        ErrorCode::OutOfRange,
                        format!("cost must be ≥ 0, found {v}"),
                    );
                }
                if let (Some(&ci), Some(&fi)) = (ci, fi) {
                    out.push((ci as u32, fi as u32, *v));
                }
            }
            Some(Costs::Sparse(SparseCosts::from_triples(n, m, out)))
        }
    };
    let mut groups = Vec::new();
    for (k, g) in raw.groups.iter().enumerate() {
        let mut facilities = Vec::new();
        for id in &g.facilities {
            match fac_index.get(id) {
                Some(&i) => facilities.push(FacilityIdx::new(i)),
                None => problems.push(
                    Location::Key(format!("groups[{k}].facilities")),
                    ErrorCode::UnknownId,
                    format!("no facility with id `{id}`"),
                ),
            }
        }
        groups.push(Group { id: g.id.clone(), facilities, min_open: g.min_open, max_open: g.max_open });
    }
    let Some(costs) = costs else { return problems.fail() };
    if !problems.is_empty() {
        return problems.fail();
    }
    let clients: Vec<Client> =
        raw.clients.into_iter().map(|c| Client { id: c.id, demand: c.demand, budget_cost: c.budget_cost }).collect();
    let facilities: Vec<Facility> = raw
        .facilities
        .into_iter()
        .map(|f| Facility {
            id: f.id,
            open_cost: f.open_cost,
            capacity: f.capacity,
            max_clients: f.max_clients,
            budget_cost: f.budget_cost,
            fixed_open: f.fixed_open,
            forbidden: f.forbidden,
        })
        .collect();
    let capacitated = facilities.iter().any(|f| f.has_capacity());
    let single_source = raw.single_source.unwrap_or(true);
    let no_open_costs = facilities.iter().all(|f| f.open_cost == 0.0);
    let model = raw.model.unwrap_or(match (capacitated, single_source, raw.p.is_some() && no_open_costs) {
        (false, _, true) => Model::Pmedian,
        (false, _, false) => Model::Uflp,
        (true, false, _) => Model::Cflp,
        (true, true, true) => Model::Cpmp,
        (true, true, false) => Model::Sscflp,
    });
    let name =
        raw.name.unwrap_or_else(|| path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default());
    let mut inst = Instance::new(name, model, clients, facilities, costs);
    inst.p = raw.p;
    inst.single_source = single_source;
    inst.budget = raw.budget;
    inst.min_open = raw.min_open;
    inst.max_open = raw.max_open;
    inst.groups = groups;
    inst.unserved_penalty = raw.unserved_penalty;
    inst.validate().map_err(|e| InputError::new(path, Location::File, ErrorCode::Inconsistent, e.to_string()))?;
    Ok(inst)
}

/// Writes an instance in hubplan's JSON format (sparse costs unless every link
/// is allowed and the matrix is small).
pub fn to_raw(inst: &Instance) -> RawInstance {
    let (n, m) = (inst.n_clients(), inst.n_facilities());
    let dense = !matches!(inst.costs, Costs::Sparse(_)) && n * m <= 4_000_000;
    let costs = if dense {
        RawCosts::Dense(
            (0..n).map(|c| (0..m).map(|f| Some(inst.costs.cost(c, f)).filter(|v| v.is_finite())).collect()).collect(),
        )
    } else {
        let mut triples = Vec::new();
        for c in 0..n {
            inst.costs
                .for_each_link(c, |f, v| triples.push((inst.clients[c].id.clone(), inst.facilities[f].id.clone(), v)));
        }
        RawCosts::Sparse(triples)
    };
    RawInstance {
        schema: Some(SCHEMA.to_string()),
        name: Some(inst.name.clone()),
        model: Some(inst.model),
        facilities: inst
            .facilities
            .iter()
            .map(|f| RawFacility {
                id: f.id.clone(),
                open_cost: f.open_cost,
                capacity: f.capacity,
                max_clients: f.max_clients,
                budget_cost: f.budget_cost,
                fixed_open: f.fixed_open,
                forbidden: f.forbidden,
            })
            .collect(),
        clients: inst
            .clients
            .iter()
            .map(|c| RawClient { id: c.id.clone(), demand: c.demand, budget_cost: c.budget_cost })
            .collect(),
        costs,
        p: inst.p,
        single_source: inst.is_capacitated().then_some(inst.single_source),
        budget: inst.budget,
        min_open: inst.min_open,
        max_open: inst.max_open,
        groups: inst
            .groups
            .iter()
            .map(|g| RawGroup {
                id: g.id.clone(),
                facilities: g.facilities.iter().map(|&f| inst.facility(f).id.clone()).collect(),
                min_open: g.min_open,
                max_open: g.max_open,
            })
            .collect(),
        unserved_penalty: inst.unserved_penalty,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_and_sparse_round_trip() {
        let text = r#"{"schema":"hubplan-instance/1","facilities":[{"id":1,"open_cost":5},{"id":"B","open_cost":2,"fixed_open":true}],
            "clients":[{"id":"x","demand":2},{"id":"y"}],"costs":{"dense":[[1,null],[3,4]]}}"#;
        let inst = parse(Path::new("i.json"), text).unwrap();
        assert_eq!(inst.model, Model::Uflp);
        assert_eq!(inst.costs.cost(0, 1), f64::INFINITY);
        assert_eq!(inst.clients[1].demand, 1.0);
        assert!(inst.facilities[1].fixed_open);
        let again = serde_json::to_string(&to_raw(&inst)).unwrap();
        let back = parse(Path::new("i.json"), &again).unwrap();
        assert_eq!(back, inst);
    }

    #[test]
    fn sparse_with_groups_and_unknown_ids() {
        let text = r#"{"facilities":[{"id":"a"},{"id":"b"}],"clients":[{"id":1}],"p":1,
            "costs":{"sparse":[[1,"a",3],[1,"z",2],[7,"b",1]]},"groups":[{"id":"g","facilities":["a","q"],"min_open":1}]}"#;
        let e = parse(Path::new("i.json"), text).unwrap_err().to_string();
        assert!(e.contains("costs.sparse[1]`: no facility with id `z`"), "{e}");
        assert!(e.contains("costs.sparse[2]`: no client with id `7`"), "{e}");
        assert!(e.contains("groups[0].facilities`: no facility with id `q`"), "{e}");
    }

    #[test]
    fn typos_and_syntax_errors_name_the_line() {
        let e = parse(Path::new("i.json"), "{\"facilities\":[],\n\"clients\":[],\"cost\":{}}").unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("unknown field `cost`"), "{e}");
        let e = parse(Path::new("i.json"), "{\"facilities\":[").unwrap_err().to_string();
        assert!(e.contains("E-TRUNCATED"), "{e}");
    }
}
