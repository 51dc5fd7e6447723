//! OR-Library capacitated p-median instances (`pmedcap1`, split one problem
//! per file; Osman & Christofides 1994, "Capacitated clustering problems by
//! hybrid simulated annealing and tabu search", ITOR 1 (1994) 317–336).
//!
//! Format: `k best` (problem number and its optimal value — not data), then
//! `n p Q`, then `n` lines `i x y d`. Every point is a client of demand `d`
//! and a candidate median of capacity `Q`; the cost is the Euclidean distance
//! rounded **down** (the stored optima are reproduced only that way), not
//! weighted by demand.

use std::path::Path;

use super::tokens::{Tokens, read_text};
use crate::error::{ErrorCode, InputError};
use crate::problem::{Client, Costs, Facility, Instance, Model, PlanarCosts, Rounding};

/// Reads a `pmedcap` file: the instance and the optimal value the file records.
///
/// # Errors
///
/// The file cannot be read, or [`parse`] rejects it.
pub fn read(path: &Path) -> Result<(Instance, f64), InputError> {
    let text = read_text(path)?;
    parse(path, &text)
}

/// Parses the text of a `pmedcap` file already in memory (`path` only names it
/// in errors): the instance and the recorded optimal value.
///
/// # Errors
///
/// The first malformed, missing or negative number with its line, `p`
/// outside 1…n, points not numbered 1…n in order, or data left after them.
pub fn parse(path: &Path, text: &str) -> Result<(Instance, f64), InputError> {
    let mut t = Tokens::new(path, text);
    let _k: u64 = t.parse("the problem number")?;
    let best: f64 = t.parse("the recorded optimal value")?;
    let n: usize = t.parse("the number of points n")?;
    let p: usize = t.parse("the number of medians p")?;
    let q = t.non_negative("the capacity Q")?;
    if n == 0 || p == 0 || p > n {
        return Err(t.error(ErrorCode::OutOfRange, format!("need 1 ≤ p ≤ n, found n = {n}, p = {p}")));
    }
    let mut points = Vec::with_capacity(n);
    let mut clients = Vec::with_capacity(n);
    for k in 1..=n {
        let i: usize = t.parse(&format!("the number of point {k}"))?;
        if i != k {
            return Err(t.error(
                ErrorCode::Inconsistent,
                format!("points must be numbered 1…{n} in order; found {i} where {k} was expected"),
            ));
        }
        let x: f64 = t.parse(&format!("the x coordinate of point {k}"))?;
        let y: f64 = t.parse(&format!("the y coordinate of point {k}"))?;
        let d = t.non_negative(&format!("the demand of point {k}"))?;
        points.push([x, y]);
        clients.push(Client::new(k as u64, d));
    }
    t.expect_end(&format!("the {n} points"))?;
    let facilities = (1..=n as u64).map(|i| Facility { capacity: Some(q), ..Facility::new(i, 0.0) }).collect();
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let costs = Costs::Planar(PlanarCosts { clients: points.clone(), facilities: points, rounding: Rounding::Floor });
    let mut inst = Instance::new(name, Model::Cpmp, clients, facilities, costs);
    inst.p = Some(p);
    inst.single_source = true;
    Ok((inst, best))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_points_demands_and_the_recorded_optimum() {
        let (inst, best) =
            parse(Path::new("pmedcap1-01.txt"), " 1 713\n 3 1 10\n 1 0 0 4\n 2 3 4 5\n 3 0 2 1").unwrap();
        assert_eq!(best, 713.0);
        assert_eq!(inst.p, Some(1));
        assert_eq!(inst.costs.cost(0, 1), 5.0);
        assert_eq!(inst.clients[1].demand, 5.0);
        assert_eq!(inst.facilities[2].capacity, Some(10.0));
        let e = parse(Path::new("x"), " 1 713\n 2 1 10\n 1 0 0 4\n 3 3 4 5\n").unwrap_err();
        assert!(e.to_string().contains("found 3 where 2 was expected"), "{e}");
    }
}
