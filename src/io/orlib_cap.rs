//! OR-Library capacitated warehouse location instances (`cap41`…`cap134`,
//! `capa`/`capb`/`capc`; Beasley 1988, "An algorithm for solving large
//! capacitated warehouse location problems", EJOR 33).
//!
//! Format (a token stream; line breaks carry no meaning): `m n`, then `m`
//! pairs `capacity fixed_cost`, then for each customer its demand followed by
//! `m` costs of serving *all* of that customer's demand from each warehouse.
//! The large sets write the word `capacity` instead of a number; the value is
//! then supplied by the caller (`--capacity`).

use std::path::Path;

use super::tokens::{Tokens, read_text};
use crate::error::{ErrorCode, InputError};
use crate::problem::{Client, Costs, DenseCosts, Facility, Instance, Model};

/// Reads an OR-Library capacitated warehouse file as a CFLP instance.
/// `capacity` replaces the literal word `capacity` where the file has it.
///
/// # Errors
///
/// The file cannot be read, or [`parse`] rejects it.
pub fn read(path: &Path, capacity: Option<f64>) -> Result<Instance, InputError> {
    let text = read_text(path)?;
    parse(path, &text, capacity)
}

/// Parses the text of a capacitated warehouse file already in memory; `path`
/// only names it in errors. Warehouses and customers get the ids 1…m and 1…n.
///
/// # Errors
///
/// The first malformed, missing or negative number with its line, the word
/// `capacity` when `capacity` is `None`, or data left after the customers.
pub fn parse(path: &Path, text: &str, capacity: Option<f64>) -> Result<Instance, InputError> {
    let mut t = Tokens::new(path, text);
    let m: usize = t.parse("the number of warehouses m")?;
    let n: usize = t.parse("the number of customers n")?;
    if m == 0 || n == 0 {
        return Err(t.error(ErrorCode::OutOfRange, "there must be at least one warehouse and one customer"));
    }
    let mut facilities = Vec::with_capacity(m);
    for i in 1..=m {
        let cap_token = t.expect(&format!("the capacity of warehouse {i}"))?;
        let cap = if cap_token.eq_ignore_ascii_case("capacity") {
            capacity.ok_or_else(|| {
                t.error(
                    ErrorCode::MissingField,
                    "the file writes the word `capacity` instead of a number (OR-Library sets A, B, C): give the value with --capacity",
                )
            })?
        } else {
            let v: f64 = cap_token.parse().map_err(|_| {
                t.error(ErrorCode::BadValue, format!("expected the capacity of warehouse {i}, found `{cap_token}`"))
            })?;
            if !(v.is_finite() && v >= 0.0) {
                return Err(
                    t.error(ErrorCode::OutOfRange, format!("the capacity of warehouse {i} must be ≥ 0, found {v}"))
                );
            }
            v
        };
        let fixed = t.non_negative(&format!("the fixed cost of warehouse {i}"))?;
        facilities.push(Facility { capacity: Some(cap), ..Facility::new(i as u64, fixed) });
    }
    let mut clients = Vec::with_capacity(n);
    let mut values = Vec::with_capacity(n * m);
    for j in 1..=n {
        let demand = t.non_negative(&format!("the demand of customer {j}"))?;
        clients.push(Client::new(j as u64, demand));
        for i in 1..=m {
            values.push(t.non_negative(&format!("the cost of serving customer {j} from warehouse {i}"))?);
        }
    }
    t.expect_end(&format!("the {n} customers"))?;
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(Instance::new(name, Model::Cflp, clients, facilities, Costs::Dense(DenseCosts::new(n, m, values))))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str = " 2 3\n 10 7.\n 20 0\n 4\n 1. 2.\n 5 3.5 6\n 6\n 7 8.25\n";

    #[test]
    fn reads_wrapped_customer_lines() {
        let inst = parse(Path::new("cap"), TINY, None).unwrap();
        assert_eq!(inst.n_facilities(), 2);
        assert_eq!(inst.n_clients(), 3);
        assert_eq!(inst.facilities[0].open_cost, 7.0);
        assert_eq!(inst.facilities[1].capacity, Some(20.0));
        assert_eq!(inst.clients[1].demand, 5.0);
        assert_eq!(inst.costs.cost(1, 0), 3.5);
        assert_eq!(inst.costs.cost(2, 1), 8.25);
    }

    #[test]
    fn literal_capacity_needs_a_value() {
        let text = " 1 1\n capacity 5.\n 3 9.\n";
        let e = parse(Path::new("capa.txt"), text, None).unwrap_err();
        assert!(e.to_string().contains("--capacity"), "{e}");
        let inst = parse(Path::new("capa.txt"), text, Some(8000.0)).unwrap();
        assert_eq!(inst.facilities[0].capacity, Some(8000.0));
    }

    #[test]
    fn truncated_and_bad_numbers_are_named() {
        let e = parse(Path::new("cap.txt"), " 2 3\n 10 7.\n 20 0\n 4\n 1. 2.\n 5 3.5\n", None).unwrap_err();
        assert!(e.to_string().contains("ends where the cost of serving customer 2 from warehouse 2"), "{e}");
        let e = parse(Path::new("cap.txt"), " 2 1\n 10 7.\n 20 -1\n", None).unwrap_err();
        assert!(e.to_string().contains("line 3") && e.to_string().contains("fixed cost of warehouse 2"), "{e}");
    }
}
