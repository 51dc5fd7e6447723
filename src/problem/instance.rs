//! The one instance type every formulation and solver works on.

use super::costs::Costs;
use super::ids::ExtId;

/// A client (a demand point: a small school, a customer, a vertex).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Client {
    pub id: ExtId,
    /// Units of demand (students, goods); used against capacities.
    pub demand: f64,
    /// Charged to the budget when the client is served (a small school's
    /// classroom equipment); 0 for most models.
    pub budget_cost: f64,
}

impl Client {
    pub fn new(id: impl Into<ExtId>, demand: f64) -> Self {
        Client { id: id.into(), demand, budget_cost: 0.0 }
    }
}

/// A candidate facility (a hub school, a warehouse, a median).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Facility {
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
    pub id: ExtId,
    /// Indices into [`Instance::facilities`].
    pub facilities: Vec<usize>,
    pub min_open: usize,
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
    pub fn as_str(self) -> &'static str {
        match self {
            Model::Pmedian => "pmedian",
            Model::Uflp => "uflp",
            Model::Cflp => "cflp",
            Model::Sscflp => "sscflp",
            Model::Cpmp => "cpmp",
        }
    }

    pub fn needs_p(self) -> bool {
        matches!(self, Model::Pmedian | Model::Cpmp)
    }

    pub fn is_capacitated(self) -> bool {
        matches!(self, Model::Cflp | Model::Sscflp | Model::Cpmp)
    }
}

/// A facility-location instance: clients, candidate facilities, service costs
/// and the constraints of the chosen formulation.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub name: String,
    pub model: Model,
    pub clients: Vec<Client>,
    pub facilities: Vec<Facility>,
    pub costs: Costs,
    /// Exactly this many facilities open (fixed-open ones included).
    pub p: Option<usize>,
    /// With capacities: each client is served by exactly one facility.
    pub single_source: bool,
    /// Limit on the total opening cost of facilities that are not already open.
    pub budget: Option<f64>,
    pub min_open: Option<usize>,
    pub max_open: Option<usize>,
    pub groups: Vec<Group>,
    /// Cost per unit of demand of leaving a client unserved; `None` means every
    /// client must be served.
    pub unserved_penalty: Option<f64>,
}

/// Why an instance is not well-formed (a data error, not an infeasible model).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InstanceError(pub String);

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

    pub fn n_clients(&self) -> usize {
        self.clients.len()
    }

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

    /// Checks that the instance is well-formed: sizes agree, values are
    /// finite and non-negative, references are in range.
    pub fn validate(&self) -> Result<(), InstanceError> {
        let (n, m) = (self.n_clients(), self.n_facilities());
        let err = |s: String| Err(InstanceError(s));
        if n == 0 {
            return err("the instance has no clients".into());
        }
        if m == 0 {
            return err("the instance has no candidate facilities".into());
        }
        if self.costs.n_clients() != n || self.costs.n_facilities() != m {
            return err(format!(
                "the cost table is {}×{} but there are {n} clients and {m} facilities",
                self.costs.n_clients(),
                self.costs.n_facilities()
            ));
        }
        for c in &self.clients {
            if !(c.demand.is_finite() && c.demand >= 0.0) {
                return err(format!("client {}: demand must be a finite number ≥ 0, found {}", c.id, c.demand));
            }
            if !(c.budget_cost.is_finite() && c.budget_cost >= 0.0) {
                return err(format!(
                    "client {}: budget cost must be a finite number ≥ 0, found {}",
                    c.id, c.budget_cost
                ));
            }
        }
        for f in &self.facilities {
            if !(f.open_cost.is_finite() && f.open_cost >= 0.0) {
                return err(format!(
                    "facility {}: opening cost must be a finite number ≥ 0, found {}",
                    f.id, f.open_cost
                ));
            }
            if let Some(cap) = f.capacity
                && !(cap.is_finite() && cap >= 0.0)
            {
                return err(format!("facility {}: capacity must be a finite number ≥ 0, found {cap}", f.id));
            }
            if let Some(b) = f.budget_cost
                && !(b.is_finite() && b >= 0.0)
            {
                return err(format!("facility {}: budget cost must be a finite number ≥ 0, found {b}", f.id));
            }
            if f.fixed_open && f.forbidden {
                return err(format!("facility {} is both fixed open and forbidden", f.id));
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
        if let Some((c, j, v)) = bad {
            return err(format!(
                "cost from client {} to facility {} must be ≥ 0, found {v}",
                self.clients[c].id, self.facilities[j].id
            ));
        }
        if let Some(p) = self.p
            && p == 0
        {
            return err("p must be at least 1".into());
        }
        if let Some(b) = self.budget
            && !(b.is_finite() && b >= 0.0)
        {
            return err(format!("the budget must be a finite number ≥ 0, found {b}"));
        }
        if let Some(pen) = self.unserved_penalty
            && !(pen.is_finite() && pen >= 0.0)
        {
            return err(format!("the unserved penalty must be a finite number ≥ 0, found {pen}"));
        }
        if !self.single_source
            && let Some(f) = self.facilities.iter().find(|f| f.max_clients.is_some())
        {
            return err(format!(
                "facility {} limits its number of clients, which needs single-source assignment (a split client has no count)",
                f.id
            ));
        }
        if let (Some(lo), Some(hi)) = (self.min_open, self.max_open)
            && lo > hi
        {
            return err(format!("min_open {lo} is greater than max_open {hi}"));
        }
        for g in &self.groups {
            if let Some(&f) = g.facilities.iter().find(|&&f| f >= m) {
                return err(format!("group {} refers to facility index {f}, but there are only {m}", g.id));
            }
            if let Some(hi) = g.max_open
                && g.min_open > hi
            {
                return err(format!("group {}: min_open {} is greater than max_open {hi}", g.id, g.min_open));
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
                    return Err(InstanceError(format!(
                        "the {} model needs p (the number of facilities to open): give --p N",
                        model.as_str()
                    )));
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
                return Err(InstanceError(format!(
                    "the {} model needs facility capacities, and this instance has none",
                    model.as_str()
                )));
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
