//! The problem: one instance type for every formulation (p-median, UFLP,
//! CFLP, single-source CFLP, capacitated p-median, hub planning).

pub mod costs;
pub mod generate;
pub mod ids;
pub mod index;
pub mod instance;
pub mod modes;

pub use costs::{Costs, DenseCosts, PlanarCosts, Rounding, SparseCosts};
pub use ids::ExtId;
pub use index::{ClientIdx, FacilityIdx, Idx, IdxVec};
pub use instance::{Client, Facility, Group, Instance, InstanceError, Model};
pub use modes::{ModalArcs, ModeOption};
