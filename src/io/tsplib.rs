//! TSPLIB point sets (`EDGE_WEIGHT_TYPE : EUC_2D`, `NODE_COORD_SECTION`) read
//! as p-median instances: every node is a client of weight 1 and a candidate;
//! the cost is the Euclidean distance under the chosen [`Rounding`] (Reinelt
//! 1991, "TSPLIB — A Traveling Salesman Problem Library", ORSA J. Computing 3).

use std::path::Path;

use super::tokens::read_text;
use crate::error::{ErrorCode, InputError, Location};
use crate::problem::{Client, Costs, Facility, Instance, Model, PlanarCosts, Rounding};

/// Reads a TSPLIB `EUC_2D` file; `p` is required later by the p-median model.
///
/// # Errors
///
/// The file cannot be read, or [`parse`] rejects it.
pub fn read(path: &Path, rounding: Rounding) -> Result<Instance, InputError> {
    let text = read_text(path)?;
    parse(path, &text, rounding)
}

/// Parses the text of a TSPLIB file already in memory; `path` only names it
/// in errors. Nodes keep their TSPLIB numbers as ids.
///
/// # Errors
///
/// An edge weight type other than `EUC_2D`, a missing `DIMENSION` or
/// coordinate section, a malformed, out-of-range or repeated node line, or
/// fewer nodes than `DIMENSION`.
pub fn parse(path: &Path, text: &str, rounding: Rounding) -> Result<Instance, InputError> {
    let err = |line: usize, code, msg: String| InputError::new(path, Location::Line(line), code, msg);
    let mut name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let mut dimension: Option<usize> = None;
    let mut weight_type: Option<String> = None;
    let mut lines = text.lines().enumerate();
    let mut in_coords = false;
    for (k, raw) in lines.by_ref() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with("NODE_COORD_SECTION") {
            in_coords = true;
            break;
        }
        if line == "EOF" {
            break;
        }
        let (key, value) = match line.split_once(':') {
            Some((k, v)) => (k.trim(), v.trim()),
            None => (line, ""),
        };
        match key {
            "NAME" => name = value.to_string(),
            "DIMENSION" => {
                dimension = Some(value.parse().map_err(|_| {
                    err(k + 1, ErrorCode::BadValue, format!("DIMENSION must be a whole number, found `{value}`"))
                })?)
            }
            "EDGE_WEIGHT_TYPE" => weight_type = Some(value.to_string()),
            "TYPE" | "COMMENT" | "DISPLAY_DATA_TYPE" | "NODE_COORD_TYPE" => {}
            "EDGE_WEIGHT_SECTION" | "DISPLAY_DATA_SECTION" | "EDGE_WEIGHT_FORMAT" => {
                return Err(err(
                    k + 1,
                    ErrorCode::WrongFormat,
                    format!("`{key}` is not supported: hubplan reads EUC_2D coordinates only"),
                ));
            }
            _ => {}
        }
    }
    let dim = dimension.ok_or_else(|| {
        InputError::new(path, Location::File, ErrorCode::MissingField, "no DIMENSION line in the header")
            .field("DIMENSION")
    })?;
    match weight_type.as_deref() {
        Some("EUC_2D") => {}
        Some(other) => {
            return Err(InputError::new(
                path,
                Location::File,
                ErrorCode::WrongFormat,
                format!("EDGE_WEIGHT_TYPE `{other}` is not supported: expected EUC_2D"),
            ));
        }
        None => {
            return Err(InputError::new(
                path,
                Location::File,
                ErrorCode::MissingField,
                "no EDGE_WEIGHT_TYPE line in the header",
            ));
        }
    }
    if !in_coords {
        return Err(InputError::new(
            path,
            Location::File,
            ErrorCode::MissingField,
            "no NODE_COORD_SECTION in the file",
        ));
    }
    if dim == 0 {
        return Err(InputError::new(path, Location::File, ErrorCode::OutOfRange, "DIMENSION must be at least 1"));
    }
    let mut points: Vec<Option<[f64; 2]>> = vec![None; dim];
    let mut read = 0usize;
    let mut last_line = 0;
    for (k, raw) in lines {
        last_line = k + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if line == "EOF" {
            break;
        }
        let mut parts = line.split_whitespace();
        let (Some(i), Some(x), Some(y)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(err(k + 1, ErrorCode::BadValue, format!("expected `index x y`, found `{line}`")));
        };
        let i: usize =
            i.parse().map_err(|_| err(k + 1, ErrorCode::BadValue, format!("expected a node index, found `{i}`")))?;
        let coord = |s: &str, what: &str| -> Result<f64, InputError> {
            match s.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(err(
                    k + 1,
                    ErrorCode::BadValue,
                    format!("expected the {what} coordinate of node {i}, found `{s}`"),
                )),
            }
        };
        let (x, y) = (coord(x, "x")?, coord(y, "y")?);
        if i == 0 || i > dim {
            return Err(err(k + 1, ErrorCode::OutOfRange, format!("node index {i} is outside 1…{dim}")));
        }
        if points[i - 1].replace([x, y]).is_some() {
            return Err(err(k + 1, ErrorCode::DuplicateId, format!("node {i} is listed twice")));
        }
        read += 1;
    }
    if read < dim {
        let missing = points.iter().position(|p| p.is_none()).map(|i| i + 1).unwrap_or(0);
        return Err(InputError::new(
            path,
            Location::Line(last_line.max(1)),
            ErrorCode::Truncated,
            format!("DIMENSION is {dim} but only {read} nodes were read (node {missing} is missing)"),
        ));
    }
    let coords: Vec<[f64; 2]> = points.into_iter().map(|p| p.expect("all present")).collect();
    let clients = (1..=dim as u64).map(|i| Client::new(i, 1.0)).collect();
    let facilities = (1..=dim as u64).map(|i| Facility::new(i, 0.0)).collect();
    let costs = Costs::Planar(PlanarCosts { clients: coords.clone(), facilities: coords, rounding });
    Ok(Instance::new(name, Model::Pmedian, clients, facilities, costs))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str = "NAME : tiny\nTYPE : TSP\nDIMENSION : 3\nEDGE_WEIGHT_TYPE : EUC_2D\nNODE_COORD_SECTION\n1 0 0\n2 3.0e+00 4\n3 0 2.6\nEOF\n";

    #[test]
    fn reads_points_with_each_rounding() {
        let inst = parse(Path::new("t.tsp"), TINY, Rounding::Nint).unwrap();
        assert_eq!(inst.name, "tiny");
        assert_eq!(inst.costs.cost(0, 1), 5.0);
        assert_eq!(inst.costs.cost(0, 2), 3.0);
        let inst = parse(Path::new("t.tsp"), TINY, Rounding::Floor).unwrap();
        assert_eq!(inst.costs.cost(0, 2), 2.0);
        let inst = parse(Path::new("t.tsp"), TINY, Rounding::None).unwrap();
        assert!((inst.costs.cost(0, 2) - 2.6).abs() < 1e-12);
    }

    #[test]
    fn bad_files_are_named() {
        let e = parse(Path::new("t.tsp"), &TINY.replace("EUC_2D", "GEO"), Rounding::Nint).unwrap_err();
        assert!(e.to_string().contains("`GEO` is not supported"), "{e}");
        let e = parse(Path::new("t.tsp"), &TINY.replace("3 0 2.6\n", ""), Rounding::Nint).unwrap_err();
        assert!(e.to_string().contains("only 2 nodes were read (node 3 is missing)"), "{e}");
        let e = parse(Path::new("t.tsp"), &TINY.replace("2 3.0e+00 4", "2 abc 4"), Rounding::Nint).unwrap_err();
        assert!(e.to_string().contains("line 7: expected the x coordinate of node 2"), "{e}");
        let e = parse(Path::new("t.tsp"), "NAME: x\n", Rounding::Nint).unwrap_err();
        assert!(e.to_string().contains("DIMENSION"), "{e}");
    }
}
