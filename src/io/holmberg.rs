//! Single-source capacitated facility location instances of Holmberg,
//! Rönnqvist & Yuan ("An exact algorithm for the capacitated facility
//! location problems with single sourcing", EJOR 113 (1999) 544–559).
//!
//! Format: `m n`, `m` lines `capacity fixed_cost`, the `n` demands, then the
//! costs **facility-major** (`m` blocks of `n` numbers, the cost of serving
//! all of a customer's demand). Many copies end with NUL padding and some
//! with trailing fragments (p47): exactly 2 + 2m + n + m·n numbers are read
//! and the rest ignored.

use std::path::Path;

use super::tokens::Tokens;
use crate::error::{ErrorCode, InputError, Location};
use crate::problem::{Client, Costs, DenseCosts, Facility, Instance, Model};

/// Reads a Holmberg file as a single-source CFLP instance.
///
/// # Errors
///
/// The file cannot be read, or [`parse`] rejects it.
pub fn read(path: &Path) -> Result<Instance, InputError> {
    let bytes = std::fs::read(path).map_err(|e| {
        InputError::new(path, Location::File, ErrorCode::Unreadable, format!("cannot read the file: {e}"))
    })?;
    // NUL padding from DOS-era copies counts as white space.
    let text: String = String::from_utf8_lossy(&bytes).replace('\0', " ");
    parse(path, &text)
}

/// Parses the text of a Holmberg file already in memory; `path` only names it
/// in errors. Facilities and customers get the ids 1…m and 1…n.
///
/// # Errors
///
/// The first malformed, missing or negative number, with its line; data after
/// the costs is ignored (see the module note).
pub fn parse(path: &Path, text: &str) -> Result<Instance, InputError> {
    let mut t = Tokens::new(path, text);
    let m: usize = t.parse("the number of facilities m")?;
    let n: usize = t.parse("the number of customers n")?;
    if m == 0 || n == 0 {
        return Err(t.error(ErrorCode::OutOfRange, "there must be at least one facility and one customer"));
    }
    let mut facilities = Vec::with_capacity(m);
    for i in 1..=m {
        let cap = t.non_negative(&format!("the capacity of facility {i}"))?;
        let fixed = t.non_negative(&format!("the fixed cost of facility {i}"))?;
        facilities.push(Facility { capacity: Some(cap), ..Facility::new(i as u64, fixed) });
    }
    let mut clients = Vec::with_capacity(n);
    for j in 1..=n {
        clients.push(Client::new(j as u64, t.non_negative(&format!("the demand of customer {j}"))?));
    }
    let mut values = vec![0.0; n * m];
    for i in 0..m {
        for j in 0..n {
            values[j * m + i] =
                t.non_negative(&format!("the cost of serving customer {} from facility {}", j + 1, i + 1))?;
        }
    }
    // Anything after the data (padding fragments) is ignored by design.
    let name = path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let mut inst = Instance::new(name, Model::Sscflp, clients, facilities, Costs::Dense(DenseCosts::new(n, m, values)));
    inst.single_source = true;
    Ok(inst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_are_facility_major_and_trailing_data_is_ignored() {
        let inst =
            parse(Path::new("p0"), "2 3\n10 5.\n20 6.\n1. 2. 3.\n 11. 12. 13.\n 21. 22. 23.\n 39. 336.").unwrap();
        assert_eq!(inst.costs.cost(0, 1), 21.0);
        assert_eq!(inst.costs.cost(2, 0), 13.0);
        assert_eq!(inst.facilities[1].open_cost, 6.0);
        let e = parse(Path::new("p0"), "2 3\n10 5.\n20 6.\n1. 2. 3.\n 11. 12.").unwrap_err();
        assert!(e.to_string().contains("customer 3 from facility 1"), "{e}");
    }
}
