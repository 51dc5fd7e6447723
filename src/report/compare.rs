//! Comparison of two plan directories.
