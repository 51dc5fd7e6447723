//! Input errors: every problem found in a file is reported with the file, the
//! place (line, row, feature or key), the field, and a stable code.
//!
//! Readers collect all problems they can find before giving up, so a user fixes
//! a file in one pass instead of one error at a time.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where in a file a problem was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The file as a whole (unreadable, empty, wrong kind).
    File,
    /// A 1-based line of a text file.
    Line(usize),
    /// A 1-based data row of a CSV file (the header is row 0, so row 1 is line 2).
    Row(usize),
    /// A 0-based feature index of a GeoJSON FeatureCollection.
    Feature(usize),
    /// A key path in a TOML or JSON document, such as `hubs.max_new`.
    Key(String),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File => Ok(()),
            Location::Line(n) => write!(f, "line {n}"),
            Location::Row(n) => write!(f, "row {n} (line {})", n + 1),
            Location::Feature(n) => write!(f, "feature {n}"),
            Location::Key(k) => write!(f, "key `{k}`"),
        }
    }
}

/// Stable machine-readable codes for input problems (documented in the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The file could not be opened or read.
    Unreadable,
    /// The file ended before all expected data was read.
    Truncated,
    /// A token or field could not be parsed as the expected type.
    BadValue,
    /// A required field or column is missing.
    MissingField,
    /// A value lies outside its allowed range.
    OutOfRange,
    /// An identifier appears twice.
    DuplicateId,
    /// An identifier refers to nothing that exists.
    UnknownId,
    /// A key that hubplan does not know (possible typo).
    UnknownKey,
    /// A geometry of an unsupported type or an empty geometry.
    BadGeometry,
    /// The file is not of the expected format at all.
    WrongFormat,
    /// Values are individually valid but contradict each other.
    Inconsistent,
}

impl ErrorCode {
    /// The stable code string, e.g. `E-VALUE`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unreadable => "E-READ",
            ErrorCode::Truncated => "E-TRUNCATED",
            ErrorCode::BadValue => "E-VALUE",
            ErrorCode::MissingField => "E-MISSING",
            ErrorCode::OutOfRange => "E-RANGE",
            ErrorCode::DuplicateId => "E-DUPLICATE",
            ErrorCode::UnknownId => "E-UNKNOWN-ID",
            ErrorCode::UnknownKey => "E-UNKNOWN-KEY",
            ErrorCode::BadGeometry => "E-GEOMETRY",
            ErrorCode::WrongFormat => "E-FORMAT",
            ErrorCode::Inconsistent => "E-INCONSISTENT",
        }
    }
}

/// One problem in one input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub file: PathBuf,
    pub location: Location,
    pub field: Option<String>,
    pub code: ErrorCode,
    pub message: String,
}

impl InputError {
    pub fn new(file: &Path, location: Location, code: ErrorCode, message: impl Into<String>) -> Self {
        InputError { file: file.to_path_buf(), location, field: None, code, message: message.into() }
    }

    /// Names the field (column, property or key) the problem is in.
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.location != Location::File {
            write!(f, ": {}", self.location)?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {} [{}]", self.message, self.code.as_str())
    }
}

impl std::error::Error for InputError {}

/// All the problems found in one or more input files, in the order found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputErrors(pub Vec<InputError>);

/// At most this many problems are listed in an error message; the rest are counted.
const MAX_LISTED: usize = 20;

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        if n == 1 {
            return write!(f, "{}", self.0[0]);
        }
        write!(f, "{n} problems in the input:")?;
        for e in self.0.iter().take(MAX_LISTED) {
            write!(f, "\n  - {e}")?;
        }
        if n > MAX_LISTED {
            write!(f, "\n  … and {} more", n - MAX_LISTED)?;
        }
        Ok(())
    }
}

impl std::error::Error for InputErrors {}

impl From<InputError> for InputErrors {
    fn from(e: InputError) -> Self {
        InputErrors(vec![e])
    }
}

/// Collects problems while a file is read, then turns them into a result.
#[derive(Debug)]
pub struct Problems {
    file: PathBuf,
    found: Vec<InputError>,
}

impl Problems {
    pub fn new(file: &Path) -> Self {
        Problems { file: file.to_path_buf(), found: Vec::new() }
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    pub fn push(&mut self, location: Location, code: ErrorCode, message: impl Into<String>) {
        self.found.push(InputError::new(&self.file, location, code, message));
    }

    pub fn push_field(&mut self, location: Location, field: &str, code: ErrorCode, message: impl Into<String>) {
        self.found.push(InputError::new(&self.file, location, code, message).field(field));
    }

    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// Returns `value` when nothing was found, otherwise all problems found.
    pub fn finish<T>(self, value: T) -> Result<T, InputErrors> {
        if self.found.is_empty() { Ok(value) } else { Err(InputErrors(self.found)) }
    }

    /// Ends reading now with the problems found so far.
    pub fn fail<T>(self) -> Result<T, InputErrors> {
        debug_assert!(!self.found.is_empty());
        Err(InputErrors(self.found))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_place_field_and_code() {
        let e =
            InputError::new(Path::new("s.csv"), Location::Row(3), ErrorCode::BadValue, "expected a number, found `x`")
                .field("lat");
        assert_eq!(e.to_string(), "s.csv: row 3 (line 4): field `lat`: expected a number, found `x` [E-VALUE]");
    }

    #[test]
    fn many_problems_are_listed_and_counted() {
        let mut p = Problems::new(Path::new("f"));
        for i in 0..25 {
            p.push(Location::Line(i + 1), ErrorCode::BadValue, "bad");
        }
        let text = p.fail::<()>().unwrap_err().to_string();
        assert!(text.starts_with("25 problems"));
        assert!(text.contains("and 5 more"));
    }
}
