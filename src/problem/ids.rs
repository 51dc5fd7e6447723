//! External identifiers, as written in input files.

use std::fmt;

/// A client's or facility's identifier as the input file gave it: a number
/// (OR-Library and TSPLIB use 1-based numbers) or a text id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum ExtId {
    /// A number, written back as a JSON number.
    Num(u64),
    /// Any other id, written back as a JSON string.
    Text(String),
}

impl fmt::Display for ExtId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExtId::Num(n) => write!(f, "{n}"),
            ExtId::Text(s) => f.write_str(s),
        }
    }
}

impl Default for ExtId {
    fn default() -> Self {
        ExtId::Num(0)
    }
}

impl From<u64> for ExtId {
    fn from(n: u64) -> Self {
        ExtId::Num(n)
    }
}

impl From<&str> for ExtId {
    fn from(s: &str) -> Self {
        ExtId::Text(s.to_string())
    }
}

impl From<String> for ExtId {
    fn from(s: String) -> Self {
        ExtId::Text(s)
    }
}
