//! Files of known optimal values (`pmedopt.txt`, `capopt.txt`,
//! `uncapopt.txt`): lines `name value`, an optional header line.

use std::collections::BTreeMap;
use std::path::Path;

use super::tokens::read_text;
use crate::error::{ErrorCode, InputError, Location};

/// Reads `name value` lines into a map; lines whose second token is not a
/// number (headers) are skipped, other malformed lines are errors.
///
/// # Errors
///
/// The file cannot be read, or a line has fewer than two tokens.
pub fn read(path: &Path) -> Result<BTreeMap<String, f64>, InputError> {
    let text = read_text(path)?;
    let mut out = BTreeMap::new();
    for (k, line) in text.lines().enumerate() {
        let mut parts = line.split_whitespace();
        let (Some(name), Some(value)) = (parts.next(), parts.next()) else {
            if line.trim().is_empty() {
                continue;
            }
            return Err(InputError::new(
                path,
                Location::Line(k + 1),
                ErrorCode::BadValue,
                format!("expected `name value`, found `{}`", line.trim()),
            ));
        };
        match value.parse::<f64>() {
            Ok(v) => {
                out.insert(name.to_string(), v);
            }
            Err(_) if k == 0 => {} // header
            Err(_) => {
                return Err(InputError::new(
                    path,
                    Location::Line(k + 1),
                    ErrorCode::BadValue,
                    format!("expected a number after `{name}`, found `{value}`"),
                ));
            }
        }
    }
    Ok(out)
}
