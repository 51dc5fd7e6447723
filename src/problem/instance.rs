//! The one instance type every formulation and solver works on.

use super::costs::Costs;
use super::ids::ExtId;
use super::index::{ClientIdx, FacilityIdx};

/// A client (a demand point: a small school, a customer, a vertex).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Client {
    /// Its id as the input gave it (a small school's id, a 1-based number for OR-Library).
    pub id: ExtId,
    /// Units of demand (students, goods); used against capacities.
    pub demand: f64,
    /// Charged to the budget when the client is served (a small school's
    /// classroom equipment); 0 for most models.
    pub budget_cost: f64,
}

impl Client {
    /// A client with `demand` units of demand and no budget cost.
    pub fn new(id: impl Into<ExtId>, demand: f64) -> Self {
        Client { id: id.into(), demand, budget_cost: 0.0 }
    }
}

/// A candidate facility (a hub school, a warehouse, a median).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Facility {
    /// Its id as the input gave it (a hub school's id, a 1-based number for OR-Library).
    pub id: ExtId,
    /// Cost of opening it, in the objective; ignored for facilities that are already open.
    pub open_cost: f64,
    /// Demand it can serve; `None` means unlimited.
    pub capacity: Option<f64>,
    /// Most clients it can serve (a hub supports at most so many small schools); `None`: no limit.
    pub max_clients: Option<u32>,
    /// What opening it costs against the budget, when that differs from
    /// `open_cost` (a coverage objective spends money without minimising it).
    pub budget_cost: Option<f64>,
    /// Already open (an existing hub): stays open and costs nothing.
    pub fixed_open: bool,
    /// May never be opened.
    pub forbidden: bool,
}

impl Facility {
    /// A candidate with an opening cost and no other rules.
    pub fn new(id: impl Into<ExtId>, open_cost: f64) -> Self {
        Facility { id: id.into(), open_cost, ..Default::default() }
    }

    /// What opening it charges to the budget (nothing if already open).
    pub fn budget_charge(&self) -> f64 {
        if self.fixed_open { 0.0 } else { self.budget_cost.unwrap_or(self.open_cost) }
    }

    /// True when a capacity of either kind limits it.
    pub fn has_capacity(&self) -> bool {
        self.capacity.is_some() || self.max_clients.is_some()
    }
}

/// A group of facilities with its own limits on how many may be open
/// (a district: "at least one and at most one hub").
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Its id (a district's name).
    pub id: ExtId,
    /// Its facilities, in [`Instance::facilities`].
    pub facilities: Vec<FacilityIdx>,
    /// At least this many of them open (fixed-open ones included).
    pub min_open: usize,
    /// At most this many of them open; `None`: no limit.
    pub max_open: Option<usize>,
}

/// Which formulation an instance is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Model {
    /// p-median: open exactly `p` facilities, minimise total service cost.
    Pmedian,
    /// Uncapacitated facility location: opening costs plus service costs.
    Uflp,
    /// Capacitated facility location, demand may be split (multi-source).
    Cflp,
    /// Single-source capacitated facility location.
    Sscflp,
    /// Capacitated p-median (single-source, exactly `p` facilities, no opening costs).
    Cpmp,
}

impl Model {
    /// The name used on the command line and in files (`pmedian`, `uflp`, `cflp`, `sscflp`, `cpmp`).
    pub fn as_str(self) -> &'static str {
        match self {
            Model::Pmedian => "pmedian",
            Model::Uflp => "uflp",
            Model::Cflp => "cflp",
            Model::Sscflp => "sscflp",
            Model::Cpmp => "cpmp",
        }
    }

    /// True for the formulations that open exactly `p` facilities (p-median, capacitated p-median).
    pub fn needs_p(self) -> bool {
        matches!(self, Model::Pmedian | Model::Cpmp)
    }

    /// True for the formulations with capacities (CFLP, SSCFLP, capacitated p-median).
    pub fn is_capacitated(self) -> bool {
        matches!(self, Model::Cflp | Model::Sscflp | Model::Cpmp)
    }
}

/// A facility-location instance: clients, candidate facilities, service costs
/// and the constraints of the chosen formulation.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// Its name (a scenario's name, or the benchmark file's).
    pub name: String,
    /// The formulation it is read as.
    pub model: Model,
    /// The demand points, in input order; solutions refer to them by index.
    pub clients: Vec<Client>,
    /// The candidate facilities, in input order; solutions refer to them by index.
    pub facilities: Vec<Facility>,
    /// The cost of serving each client from each allowed facility (e.g. students × km).
    pub costs: Costs,
    /// Exactly this many facilities open (fixed-open ones included).
    pub p: Option<usize>,
    /// With capacities: each client is served by exactly one facility.
    pub single_source: bool,
    /// Limit on the total opening cost of facilities that are not already open.
    pub budget: Option<f64>,
    /// At least this many facilities open (fixed-open ones included); `None`: no minimum.
    pub min_open: Option<usize>,
    /// At most this many facilities open (fixed-open ones included); `None`: no limit.
    pub max_open: Option<usize>,
    /// Facility groups with their own limits on open facilities (districts).
    pub groups: Vec<Group>,
    /// Cost per unit of demand of leaving a client unserved; `None` means every
    /// client must be served.
    pub unserved_penalty: Option<f64>,
}

/// Why an instance is not well-formed (a data error, not an infeasible
/// model). Ids are the clients' and facilities' external ids; amounts are
/// printed as found.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InstanceError {
    /// There are no clients to serve.
    #[error("the instance has no clients")]
    NoClients,
    /// There are no candidate facilities.
    #[error("the instance has no candidate facilities")]
    NoFacilities,
    /// The cost table's shape differs from the client and facility counts.
    #[error("the cost table is {rows}×{columns} but there are {clients} clients and {facilities} facilities")]
    CostTableShape {
        /// Clients in the cost table.
        rows: usize,
        /// Facilities in the cost table.
        columns: usize,
        /// Clients in the instance.
        clients: usize,
        /// Facilities in the instance.
        facilities: usize,
    },
    /// An amount that must be a finite number ≥ 0 is not.
    #[error("{owner}: {what} must be a finite number ≥ 0, found {value}")]
    NotNonNegative {
        /// Whose amount: `client ID`, `facility ID` or `the instance`.
        owner: String,
        /// Which amount (demand, opening cost, capacity, budget cost, budget, unserved penalty).
        what: &'static str,
        /// The value found.
        value: f64,
    },
    /// A facility is both fixed open and forbidden.
    #[error("facility {facility} is both fixed open and forbidden")]
    FixedAndForbidden {
        /// The facility's id.
        facility: String,
    },
    /// A link's cost is negative or not a number.
    #[error("cost from client {client} to facility {facility} must be ≥ 0, found {value}")]
    LinkCost {
        /// The client's id.
        client: String,
        /// The facility's id.
        facility: String,
        /// The cost found.
        value: f64,
    },
    /// `p` is zero.
    #[error("p must be at least 1")]
    PZero,
    /// A facility limits its clients' count in a multi-source model.
    #[error(
        "facility {facility} limits its number of clients, which needs single-source assignment (a split client has no count)"
    )]
    ClientLimitNeedsSingleSource {
        /// The facility's id.
        facility: String,
    },
    /// A lower limit on open facilities is above its upper limit.
    #[error("{owner}min_open {min} is greater than max_open {max}")]
    MinAboveMax {
        /// Empty for the instance's own limits, `group ID: ` for a group's.
        owner: String,
        /// The lower limit.
        min: usize,
        /// The upper limit.
        max: usize,
    },
    /// A group names a facility index that does not exist.
    #[error("group {group} refers to facility index {index}, but there are only {facilities}")]
    GroupFacilityOutOfRange {
        /// The group's id.
        group: String,
        /// The index found.
        index: usize,
        /// The number of facilities.
        facilities: usize,
    },
    /// The model needs `p` and none was given.
    #[error("the {model} model needs p (the number of facilities to open): give --p N")]
    NeedsP {
        /// The model's name.
        model: &'static str,
    },
    /// The model needs capacities and the instance has none.
    #[error("the {model} model needs facility capacities, and this instance has none")]
    NeedsCapacities {
        /// The model's name.
        model: &'static str,
    },
}

impl Instance {
    /// An uncapacitated instance with no constraints beyond `p` (if given).
    pub fn new(
        name: impl Into<String>,
        model: Model,
        clients: Vec<Client>,
        facilities: Vec<Facility>,
        costs: Costs,
    ) -> Self {
        Instance {
            name: name.into(),
            model,
            clients,
            facilities,
            costs,
            p: None,
            single_source: true,
            budget: None,
            min_open: None,
            max_open: None,
            groups: Vec::new(),
            unserved_penalty: None,
        }
    }

    /// Number of clients.
    pub fn n_clients(&self) -> usize {
        self.clients.len()
    }

    /// Number of candidate facilities.
    pub fn n_facilities(&self) -> usize {
        self.facilities.len()
    }

    /// True when any facility has a capacity (in demand or in clients).
    pub fn is_capacitated(&self) -> bool {
        self.facilities.iter().any(|f| f.has_capacity())
    }

    /// True when only `p`, fixed-open and forbidden facilities constrain the
    /// choice: the fast uncapacitated engine applies.
    pub fn is_uncapacitated_core(&self) -> bool {
        !self.is_capacitated()
            && self.budget.is_none()
            && self.min_open.is_none()
            && self.max_open.is_none()
            && self.groups.is_empty()
    }

    /// Total cost of leaving `client` unserved, if that is allowed.
    pub fn unserved_cost(&self, client: usize) -> Option<f64> {
        self.unserved_penalty.map(|p| p * self.clients[client].demand)
    }

    /// Facility ids as written in the input, for output.
    pub fn facility_id(&self, f: usize) -> &ExtId {
        &self.facilities[f].id
    }

    /// Facility `f`.
    pub fn facility(&self, f: FacilityIdx) -> &Facility {
        &self.facilities[f.index()]
    }

    /// Client `c`.
    pub fn client(&self, c: ClientIdx) -> &Client {
        &self.clients[c.index()]
    }

    /// Checks that the instance is well-formed: sizes agree, values are
    /// finite and non-negative, references are in range.
    pub fn validate(&self) -> Result<(), InstanceError> {
        let (n, m) = (self.n_clients(), self.n_facilities());
        let non_negative = |owner: &dyn Fn() -> String, what: &'static str, value: f64| {
            if value.is_finite() && value >= 0.0 {
                Ok(())
            } else {
                Err(InstanceError::NotNonNegative { owner: owner(), what, value })
            }
        };
        if n == 0 {
            return Err(InstanceError::NoClients);
        }
        if m == 0 {
            return Err(InstanceError::NoFacilities);
        }
        if self.costs.n_clients() != n || self.costs.n_facilities() != m {
            return Err(InstanceError::CostTableShape {
                rows: self.costs.n_clients(),
                columns: self.costs.n_facilities(),
                clients: n,
                facilities: m,
            });
        }
        for c in &self.clients {
            let owner = || format!("client {}", c.id);
            non_negative(&owner, "demand", c.demand)?;
            non_negative(&owner, "budget cost", c.budget_cost)?;
        }
        for f in &self.facilities {
            let owner = || format!("facility {}", f.id);
            non_negative(&owner, "opening cost", f.open_cost)?;
            if let Some(cap) = f.capacity {
                non_negative(&owner, "capacity", cap)?;
            }
            if let Some(b) = f.budget_cost {
                non_negative(&owner, "budget cost", b)?;
            }
            if f.fixed_open && f.forbidden {
                return Err(InstanceError::FixedAndForbidden { facility: f.id.to_string() });
            }
        }
        let mut bad = None;
        for c in 0..n {
            self.costs.for_each_link(c, |j, v| {
                if bad.is_none() && (v.is_nan() || v < 0.0) {
                    bad = Some((c, j, v));
                }
            });
        }
        if let Some((c, j, value)) = bad {
            return Err(InstanceError::LinkCost {
                client: self.clients[c].id.to_string(),
                facility: self.facilities[j].id.to_string(),
                value,
            });
        }
        if self.p == Some(0) {
            return Err(InstanceError::PZero);
        }
        let instance = || "the instance".to_string();
        if let Some(b) = self.budget {
            non_negative(&instance, "the budget", b)?;
        }
        if let Some(pen) = self.unserved_penalty {
            non_negative(&instance, "the unserved penalty", pen)?;
        }
        if !self.single_source
            && let Some(f) = self.facilities.iter().find(|f| f.max_clients.is_some())
        {
            return Err(InstanceError::ClientLimitNeedsSingleSource { facility: f.id.to_string() });
        }
        if let (Some(min), Some(max)) = (self.min_open, self.max_open)
            && min > max
        {
            return Err(InstanceError::MinAboveMax { owner: String::new(), min, max });
        }
        for g in &self.groups {
            if let Some(&index) = g.facilities.iter().find(|&&f| f.index() >= m) {
                return Err(InstanceError::GroupFacilityOutOfRange {
                    group: g.id.to_string(),
                    index: index.index(),
                    facilities: m,
                });
            }
            if let Some(max) = g.max_open
                && g.min_open > max
            {
                return Err(InstanceError::MinAboveMax { owner: format!("group {}: ", g.id), min: g.min_open, max });
            }
        }
        Ok(())
    }

    /// Reinterprets the instance under `model`: p-median and capacitated
    /// p-median ignore opening costs, uncapacitated models ignore capacities.
    pub fn with_model(mut self, model: Model, p: Option<usize>) -> Result<Self, InstanceError> {
        if p.is_some() {
            self.p = p;
        }
        match model {
            Model::Pmedian | Model::Cpmp => {
                if self.p.is_none() {
                    return Err(InstanceError::NeedsP { model: model.as_str() });
                }
                for f in &mut self.facilities {
                    f.open_cost = 0.0;
                }
            }
            // With these models a `p` (from the file or the caller) stays a constraint.
            Model::Uflp | Model::Cflp | Model::Sscflp => {}
        }
        if model.is_capacitated() {
            if !self.is_capacitated() {
                return Err(InstanceError::NeedsCapacities { model: model.as_str() });
            }
            self.single_source = model != Model::Cflp;
        } else {
            for f in &mut self.facilities {
                f.capacity = None;
                f.max_clients = None;
            }
        }
        self.model = model;
        self.validate()?;
        Ok(self)
    }
}
