//! The index page of a scenario sweep (filled in by the sweep).
