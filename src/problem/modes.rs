//! Link modes: a client may be served by a facility in one of several ways
//! (a hub teacher visits a small school, or teaches it online), each with its
//! own cost, its own budget charge and its own load on a second, per-link
//! capacity of the facility (hub teacher hours).
//!
//! The [`Instance`] a modal model travels with is its *relaxation*: its cost
//! of a link is the cheapest of the link's modes, its client budget cost the
//! least any mode charges, and it has no load capacity. Every plan of the
//! modal model is a plan of that instance costing at least as much, so any
//! bound computed on the instance is a valid bound for the modal model.
//!
//! The load capacity makes the assignment a generalised assignment problem
//! (each link's load depends on the facility: driving time), with a choice of
//! mode on top — a multiple-choice generalised assignment (see e.g. D. G.
//! Cattrysse and L. N. Van Wassenhove, "A survey of algorithms for the
//! generalized assignment problem", *European Journal of Operational
//! Research* 60 (1992) 260–272).

use super::{ClientIdx, Costs, FacilityIdx, Instance, SparseCosts};

/// One way client `c` may be served by `facility`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModeOption {
    /// The facility.
    pub facility: FacilityIdx,
    /// The mode (index into [`ModalArcs::mode_names`]).
    pub mode: usize,
    /// Its cost in the objective.
    pub cost: f64,
    /// Its load on the facility's load capacity (teacher hours a year).
    pub load: f64,
    /// What serving the client this way charges to the budget (its room).
    pub budget_cost: f64,
}

/// The modes of every client's links, and each facility's load capacity.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModalArcs {
    /// The modes' names, as plans show them.
    pub mode_names: Vec<String>,
    /// Per client: its options, by facility then mode.
    pub options: Vec<Vec<ModeOption>>,
    /// Per facility: the most load its clients may put on it; `None`: no limit.
    pub load_capacity: Vec<Option<f64>>,
}

impl ModalArcs {
    /// The arcs of a model without modes: every allowed link of `inst` is
    /// one option (mode 0, named `name`) at its cost, charging the client's
    /// budget cost, with no load; no facility has a load capacity. The modal
    /// model it makes is `inst` itself.
    pub fn single_mode(inst: &Instance, name: &str) -> ModalArcs {
        let options = (0..inst.n_clients())
            .map(|c| {
                let mut here = Vec::new();
                inst.costs.for_each_link(c, |f, cost| {
                    here.push(ModeOption {
                        facility: FacilityIdx::new(f),
                        mode: 0,
                        cost,
                        load: 0.0,
                        budget_cost: inst.clients[c].budget_cost,
                    })
                });
                here.sort_by_key(|o| o.facility);
                here
            })
            .collect();
        ModalArcs { mode_names: vec![name.to_string()], options, load_capacity: vec![None; inst.n_facilities()] }
    }

    /// The option of client `c` at facility `f` in mode `m`.
    pub fn option(&self, c: usize, f: FacilityIdx, m: usize) -> Option<&ModeOption> {
        self.options.get(c)?.iter().find(|o| o.facility == f && o.mode == m)
    }

    /// The relaxation's cost table: per link the cheapest mode.
    pub fn relaxed_costs(&self, n_facilities: usize) -> Costs {
        let mut triples = Vec::new();
        for (c, opts) in self.options.iter().enumerate() {
            let mut best: Vec<(FacilityIdx, f64)> = Vec::new();
            for o in opts {
                match best.iter_mut().find(|b| b.0 == o.facility) {
                    Some(b) => b.1 = b.1.min(o.cost),
                    None => best.push((o.facility, o.cost)),
                }
            }
            triples.extend(best.into_iter().map(|(f, v)| (c as u32, f.index() as u32, v)));
        }
        Costs::Sparse(SparseCosts::from_triples(self.options.len(), n_facilities, triples))
    }

    /// The least budget cost of client `c` over its options (its relaxed budget cost).
    pub fn least_budget_cost(&self, c: usize) -> f64 {
        self.options[c].iter().map(|o| o.budget_cost).fold(f64::INFINITY, f64::min).max(0.0)
    }

    /// Whether any facility has a load capacity.
    pub fn has_load_capacity(&self) -> bool {
        self.load_capacity.iter().any(Option::is_some)
    }

    /// The arcs of the clients and facilities of a block, in its local
    /// indices (`clients`, `facilities` ascending, as the block lists them).
    pub fn restrict(&self, clients: &[ClientIdx], facilities: &[FacilityIdx], n_facilities: usize) -> ModalArcs {
        let mut local: Vec<Option<FacilityIdx>> = vec![None; n_facilities];
        for (i, &f) in facilities.iter().enumerate() {
            local[f.index()] = Some(FacilityIdx::new(i));
        }
        ModalArcs {
            mode_names: self.mode_names.clone(),
            options: clients
                .iter()
                .map(|&c| {
                    self.options[c.index()]
                        .iter()
                        .filter_map(|o| Some(ModeOption { facility: local[o.facility.index()]?, ..*o }))
                        .collect()
                })
                .collect(),
            load_capacity: facilities.iter().map(|&f| self.load_capacity[f.index()]).collect(),
        }
    }

    /// Checks that the arcs fit `inst` (one option list per client, one
    /// capacity per facility, indices in range, finite numbers).
    pub fn fits(&self, inst: &Instance) -> Result<(), String> {
        if self.options.len() != inst.n_clients() {
            return Err(format!("{} option lists for {} clients", self.options.len(), inst.n_clients()));
        }
        if self.load_capacity.len() != inst.n_facilities() {
            return Err(format!("{} load capacities for {} facilities", self.load_capacity.len(), inst.n_facilities()));
        }
        for (c, opts) in self.options.iter().enumerate() {
            for o in opts {
                if o.facility.index() >= inst.n_facilities() || o.mode >= self.mode_names.len() {
                    return Err(format!("client {c}: option out of range"));
                }
                if !(o.cost.is_finite() && o.load.is_finite() && o.load >= 0.0 && o.budget_cost >= 0.0) {
                    return Err(format!("client {c}: option with a cost or load that is not a finite number"));
                }
            }
        }
        Ok(())
    }
}
