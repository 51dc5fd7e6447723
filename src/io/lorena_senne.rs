//! Capacitated p-median instances of Lorena & Senne (`SJC1`…`SJC4b`,
//! `p3038_600`…`p3038_1000`; L. A. N. Lorena and E. L. F. Senne, "A column
//! generation approach to capacitated p-median problems", Computers &
//! Operations Research 31 (2004) 863–876).
//!
//! Format: a header line `n p`, then `n` lines `x y capacity demand`, one per
//! point in id order (1…n). Every point is a client of demand `demand` and a
//! candidate median of capacity `capacity` (its own, not one for the file).
//! The cost is the Euclidean distance **not rounded** (the published values
//! are reproduced only that way), not weighted by demand. Values are
//! whitespace-separated; the SJC files use CRLF line ends and integers, the
//! p3038 files LF and coordinates with decimals. Blank lines are skipped;
//! unlike the OR-Library readers this one is line-oriented, so a point line
//! with a value missing is reported on its own line.

use std::path::Path;

use super::tokens::read_text;
use crate::error::{ErrorCode, InputError, Location};
use crate::problem::{Client, Costs, Facility, Instance, Model, PlanarCosts, Rounding};

/// The fields of a point line, in file order.
const POINT_FIELDS: [&str; 4] = ["x", "y", "capacity", "demand"];

/// Reads a Lorena & Senne file as a capacitated p-median instance.
///
/// # Errors
///
/// The file cannot be read, or [`parse`] rejects it.
pub fn read(path: &Path) -> Result<Instance, InputError> {
    let text = read_text(path)?;
    parse(path, &text)
}

/// Parses the text of a Lorena & Senne file already in memory (`path` only
/// names it in errors). Points get the ids 1…n as clients and as facilities.
///
/// # Errors
///
/// The first problem found, with its line and field: a header that is not
/// `n p` with 1 ≤ p ≤ n, a point line without exactly the four values
/// `x y capacity demand`, a value that is not a number (coordinates must be
/// finite, capacity and demand finite and ≥ 0), fewer than `n` point lines,
/// or data after them.
pub fn parse(path: &Path, text: &str) -> Result<Instance, InputError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let err = |line: usize, code, field: &str, msg: String| {
        InputError::new(path, Location::Line(line), code, msg).field(field)
    };
    // Non-blank lines with their 1-based numbers.
    let mut lines = text.lines().enumerate().map(|(k, l)| (k + 1, l)).filter(|(_, l)| !l.trim().is_empty());

    let Some((hl, header)) = lines.next() else {
        return Err(
            InputError::new(path, Location::File, ErrorCode::Truncated, "the file is empty: expected `n p`").field("n")
        );
    };
    let mut h = header.split_whitespace();
    let mut count = |field: &str, what: &str| -> Result<usize, InputError> {
        let Some(s) = h.next() else {
            return Err(err(hl, ErrorCode::MissingField, field, format!("the header `n p` has no {what}")));
        };
        s.parse().map_err(|_| err(hl, ErrorCode::BadValue, field, format!("expected {what}, found `{s}`")))
    };
    let n = count("n", "the number of points n")?;
    let p = count("p", "the number of medians p")?;
    if let Some(extra) = h.next() {
        return Err(err(
            hl,
            ErrorCode::WrongFormat,
            "p",
            format!("unexpected `{extra}` after `n p` in the header: not a Lorena & Senne file?"),
        ));
    }
    if n == 0 || p == 0 || p > n {
        let field = if n == 0 { "n" } else { "p" };
        return Err(err(hl, ErrorCode::OutOfRange, field, format!("need 1 ≤ p ≤ n, found n = {n}, p = {p}")));
    }

    let mut points = Vec::with_capacity(n);
    let mut clients = Vec::with_capacity(n);
    let mut facilities = Vec::with_capacity(n);
    let mut last_line = hl;
    for k in 1..=n {
        let Some((line, raw)) = lines.next() else {
            return Err(InputError::new(
                path,
                Location::Line(last_line),
                ErrorCode::Truncated,
                format!("the header says n = {n} but the file ends after {} points (point {k} is missing)", k - 1),
            ));
        };
        last_line = line;
        let mut values = [0.0; 4];
        let mut parts = raw.split_whitespace();
        for (slot, field) in values.iter_mut().zip(POINT_FIELDS) {
            let what = format!("the {field} of point {k}");
            let Some(s) = parts.next() else {
                return Err(err(
                    line,
                    ErrorCode::MissingField,
                    field,
                    format!("{what} is missing: expected `x y capacity demand`, found `{}`", raw.trim()),
                ));
            };
            let v: f64 = match s.parse::<f64>() {
                Ok(v) if v.is_finite() => v,
                _ => return Err(err(line, ErrorCode::BadValue, field, format!("expected {what}, found `{s}`"))),
            };
            if (field == "capacity" || field == "demand") && v < 0.0 {
                return Err(err(line, ErrorCode::OutOfRange, field, format!("{what} must be ≥ 0, found {v}")));
            }
            *slot = v;
        }
        if let Some(extra) = parts.next() {
            return Err(err(
                line,
                ErrorCode::WrongFormat,
                "demand",
                format!("unexpected `{extra}` after the demand of point {k}: expected `x y capacity demand`"),
            ));
        }
        let [x, y, capacity, demand] = values;
        points.push([x, y]);
        clients.push(Client::new(k as u64, demand));
        facilities.push(Facility { capacity: Some(capacity), ..Facility::new(k as u64, 0.0) });
    }
    if let Some((line, raw)) = lines.next() {
        return Err(InputError::new(
            path,
            Location::Line(line),
            ErrorCode::Inconsistent,
            format!("unexpected `{}` after the {n} points: the header count n may be wrong", raw.trim()),
        ));
    }

    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let costs = Costs::Planar(PlanarCosts { clients: points.clone(), facilities: points, rounding: Rounding::None });
    let mut inst = Instance::new(name, Model::Cpmp, clients, facilities, costs);
    inst.p = Some(p);
    inst.single_source = true;
    Ok(inst)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three points (CRLF, as the SJC files), p = 2.
    const TINY: &str = "3 2\r\n  0  0  10  4\r\n  3  4  12  5\r\n  0  2.5  11  1\r\n";

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("SJC0.dat");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn lorena_senne_reads_points_capacities_and_demands() {
        let (_dir, path) = write(TINY);
        let inst = read(&path).unwrap();
        assert_eq!(inst.name, "SJC0");
        assert_eq!(inst.model, Model::Cpmp);
        assert_eq!(inst.n_clients(), 3);
        assert_eq!(inst.n_facilities(), 3);
        assert_eq!(inst.p, Some(2));
        assert!(inst.single_source);
        assert_eq!(inst.facilities[1].capacity, Some(12.0));
        assert_eq!(inst.facilities[2].capacity, Some(11.0));
        assert_eq!(inst.clients[1].demand, 5.0);
        assert_eq!(inst.clients[2].demand, 1.0);
        assert_eq!(inst.costs.cost(0, 1), 5.0);
        // Not rounded: the distance from (3, 4) to (0, 2.5) is √11.25.
        assert!((inst.costs.cost(1, 2) - 11.25f64.sqrt()).abs() < 1e-12);
        assert_eq!(inst.costs.cost(2, 2), 0.0);
        inst.validate().unwrap();
        // LF line ends and blank lines read the same.
        let (_dir2, lf) = write(&format!("\n{}\n\n", TINY.replace("\r\n", "\n")));
        assert_eq!(read(&lf).unwrap().costs, inst.costs);
    }

    #[test]
    fn lorena_senne_errors_name_the_line_and_the_field() {
        let bad = |text: &str| {
            let (_dir, path) = write(text);
            read(&path).unwrap_err()
        };
        let e = bad(&TINY.replace("  3  4  12  5", "  3  4  twelve  5"));
        assert_eq!(
            (e.location.clone(), e.code, e.field.as_deref()),
            (Location::Line(3), ErrorCode::BadValue, Some("capacity"))
        );
        assert!(
            e.to_string().contains("line 3: field `capacity`: expected the capacity of point 2, found `twelve`"),
            "{e}"
        );
        assert!(e.to_string().contains("SJC0.dat"), "{e}");
        let e = bad(&TINY.replace("  0  2.5  11  1", "  0  2.5  11"));
        assert_eq!(
            (e.location.clone(), e.code, e.field.as_deref()),
            (Location::Line(4), ErrorCode::MissingField, Some("demand"))
        );
        let e = bad(&TINY.replace("  0  0  10  4", "  0  0  10  -4"));
        assert_eq!(
            (e.location.clone(), e.code, e.field.as_deref()),
            (Location::Line(2), ErrorCode::OutOfRange, Some("demand"))
        );
        let e = bad(&TINY.replace("  3  4  12  5", "  3  4  12  5  7"));
        assert_eq!((e.location.clone(), e.code), (Location::Line(3), ErrorCode::WrongFormat));
        let e = bad(&TINY.replace("3 2", "3 4"));
        assert_eq!(
            (e.location.clone(), e.code, e.field.as_deref()),
            (Location::Line(1), ErrorCode::OutOfRange, Some("p"))
        );
        let e = bad(&TINY.replace("3 2", "3"));
        assert_eq!(
            (e.location.clone(), e.code, e.field.as_deref()),
            (Location::Line(1), ErrorCode::MissingField, Some("p"))
        );
        let e = bad(&TINY.replace("3 2", "4 2"));
        assert_eq!((e.location.clone(), e.code), (Location::Line(4), ErrorCode::Truncated));
        assert!(e.to_string().contains("point 4 is missing"), "{e}");
        let e = bad(&TINY.replace("3 2", "2 2"));
        assert_eq!((e.location.clone(), e.code), (Location::Line(4), ErrorCode::Inconsistent));
        let e = bad("");
        assert_eq!((e.location.clone(), e.code), (Location::File, ErrorCode::Truncated));
    }

    #[test]
    fn lorena_senne_is_detected_from_its_file_names() {
        use super::super::Format;
        for name in ["SJC1.dat", "SJC3a.dat", "sjc4b.dat", "p3038_600.dat", "dir/p3038_1000.dat"] {
            assert_eq!(Format::detect(Path::new(name)), Some(Format::LorenaSenne), "{name}");
        }
        assert_eq!(Format::detect(Path::new("p12")), Some(Format::Holmberg));
        assert_eq!(Format::detect(Path::new("SJC1.txt")), None);
        assert_eq!(Format::LorenaSenne.as_str(), "lorena-senne");
        assert_eq!(Format::LorenaSenne.default_model(), Some(Model::Cpmp));
    }

    /// The real SJC1 (in `../shared/benchmarks` next to the repository when present).
    #[test]
    fn lorena_senne_reads_sjc1() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/benchmarks/extra/lorena-senne-cpmp/SJC1.dat");
        if !path.is_file() {
            return;
        }
        let inst = read(&path).unwrap();
        assert_eq!(inst.n_clients(), 100);
        assert_eq!(inst.n_facilities(), 100);
        assert_eq!(inst.p, Some(10));
        let capacity: f64 = inst.facilities.iter().map(|f| f.capacity.unwrap()).sum();
        let demand: f64 = inst.clients.iter().map(|c| c.demand).sum();
        assert_eq!(demand, 5807.0);
        assert!(capacity >= demand, "capacity {capacity} < demand {demand}");
        // Even p medians suffice: 10 × 720 ≥ 5807.
        assert!(inst.facilities.iter().all(|f| f.capacity == Some(720.0)));
        // Point 1 (409154, 435528) to point 2 (409151, 435683): √(3² + 155²).
        assert!((inst.costs.cost(0, 1) - (9.0f64 + 155.0 * 155.0).sqrt()).abs() < 1e-9);
        // It reads through the dispatcher as well, detected from its name.
        let via = super::super::read_instance(&path, &Default::default()).unwrap();
        assert_eq!((via.model, via.p, via.single_source), (Model::Cpmp, Some(10), true));
    }
}
