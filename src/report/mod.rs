//! Reports for people and spreadsheets: comparing two plans, and the index
//! page of a sweep.

pub mod compare;
pub mod index;
