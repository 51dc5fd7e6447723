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
    /// A key path and the 1-based line it is written on.
    KeyAt(String, usize),
    /// A row of a spreadsheet's sheet, numbered as the spreadsheet numbers it (1-based).
    SheetRow {
        /// The sheet's name.
        sheet: String,
        /// The row's number in the sheet.
        row: usize,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File => Ok(()),
            Location::Line(n) => write!(f, "line {n}"),
            Location::Row(n) => write!(f, "row {n} (line {})", n + 1),
            Location::Feature(n) => write!(f, "feature {n}"),
            Location::Key(k) => write!(f, "key `{k}`"),
            Location::KeyAt(k, line) => write!(f, "key `{k}` (line {line})"),
            Location::SheetRow { sheet, row } => write!(f, "sheet `{sheet}` row {row}"),
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
    /// Every code, in the order of the README's table.
    pub const ALL: [ErrorCode; 11] = [
        ErrorCode::Unreadable,
        ErrorCode::Truncated,
        ErrorCode::BadValue,
        ErrorCode::MissingField,
        ErrorCode::OutOfRange,
        ErrorCode::DuplicateId,
        ErrorCode::UnknownId,
        ErrorCode::UnknownKey,
        ErrorCode::BadGeometry,
        ErrorCode::WrongFormat,
        ErrorCode::Inconsistent,
    ];

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
    /// The file the problem is in.
    pub file: PathBuf,
    /// Where in the file (line, row, feature or key).
    pub location: Location,
    /// The column, property or key the problem is in; `None` when it concerns no single field.
    pub field: Option<String>,
    /// Stable machine-readable code of the kind of problem.
    pub code: ErrorCode,
    /// What is wrong, for a person fixing the file.
    pub message: String,
}

impl InputError {
    /// A problem at `location` of `file`, not yet tied to a field (see [`InputError::field`]).
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
    /// Starts collecting the problems of `file`.
    pub fn new(file: &Path) -> Self {
        Problems { file: file.to_path_buf(), found: Vec::new() }
    }

    /// The file being read.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Records a problem at `location` that concerns no single field.
    pub fn push(&mut self, location: Location, code: ErrorCode, message: impl Into<String>) {
        self.found.push(InputError::new(&self.file, location, code, message));
    }

    /// Records a problem in `field` (column, property or key) at `location`.
    pub fn push_field(&mut self, location: Location, field: &str, code: ErrorCode, message: impl Into<String>) {
        self.found.push(InputError::new(&self.file, location, code, message).field(field));
    }

    /// Whether no problem has been found so far.
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

/// A document tree (TOML or JSON) out of which a value can be cut.
///
/// Serde stops at the first value that does not fit; [`deserialize_all`]
/// cuts that value out and reads the rest again, so a user sees every
/// problem of a hand-edited file at once.
pub trait Tree: Clone + for<'de> serde::Deserializer<'de> {
    /// The child named by `segment`.
    fn child_mut(&mut self, segment: &Segment) -> Option<&mut Self>;
    /// Removes the child named by `segment`; false when there is none.
    fn remove_child(&mut self, segment: &Segment) -> bool;
}

pub use serde_path_to_error::Segment;

impl Tree for toml::Value {
    fn child_mut(&mut self, segment: &Segment) -> Option<&mut Self> {
        match (self, segment) {
            (toml::Value::Table(t), Segment::Map { key }) => t.get_mut(key),
            (toml::Value::Array(a), Segment::Seq { index }) => a.get_mut(*index),
            _ => None,
        }
    }

    fn remove_child(&mut self, segment: &Segment) -> bool {
        match (self, segment) {
            (toml::Value::Table(t), Segment::Map { key }) => t.remove(key).is_some(),
            (toml::Value::Array(a), Segment::Seq { index }) if *index < a.len() => {
                a.remove(*index);
                true
            }
            _ => false,
        }
    }
}

impl Tree for serde_json::Value {
    fn child_mut(&mut self, segment: &Segment) -> Option<&mut Self> {
        match (self, segment) {
            (serde_json::Value::Object(o), Segment::Map { key }) => o.get_mut(key),
            (serde_json::Value::Array(a), Segment::Seq { index }) => a.get_mut(*index),
            _ => None,
        }
    }

    fn remove_child(&mut self, segment: &Segment) -> bool {
        match (self, segment) {
            (serde_json::Value::Object(o), Segment::Map { key }) => o.remove(key).is_some(),
            (serde_json::Value::Array(a), Segment::Seq { index }) if *index < a.len() => {
                a.remove(*index);
                true
            }
            _ => false,
        }
    }
}

/// Elements cut out of arrays so far, by the array's key path (in the
/// document's original indices), to report later elements at their original
/// index.
#[derive(Default)]
struct Cuts(Vec<(String, usize)>);

impl Cuts {
    /// `path` (indices of the pruned document) in the original document's
    /// indices, as a key path such as `hubs[3].lat`.
    fn original(&self, path: &[Segment]) -> String {
        let mut key = String::new();
        for seg in path {
            match seg {
                Segment::Seq { index } => {
                    let mut removed: Vec<usize> = self.0.iter().filter(|(k, _)| *k == key).map(|&(_, i)| i).collect();
                    removed.sort_unstable();
                    let mut i = *index;
                    for r in removed {
                        if r <= i {
                            i += 1;
                        }
                    }
                    key.push_str(&format!("[{i}]"));
                }
                Segment::Map { key: k } => {
                    if !key.is_empty() {
                        key.push('.');
                    }
                    key.push_str(k);
                }
                Segment::Enum { variant } => {
                    if !key.is_empty() {
                        key.push('.');
                    }
                    key.push_str(variant);
                }
                Segment::Unknown => key.push_str(".?"),
            }
        }
        key
    }
}

/// The code of a serde error message, and the message in the user's words.
fn serde_problem(message: &str) -> (ErrorCode, String) {
    let code = if message.starts_with("missing field") {
        ErrorCode::MissingField
    } else if message.starts_with("unknown field") {
        ErrorCode::UnknownKey
    } else if message.starts_with("invalid value: integer") {
        ErrorCode::OutOfRange
    } else {
        ErrorCode::BadValue
    };
    let mut text = message.lines().next().unwrap_or("").trim().to_string();
    for (rust, words) in [
        ("expected u32", "expected a whole number ≥ 0"),
        ("expected u64", "expected a whole number ≥ 0"),
        ("expected usize", "expected a whole number ≥ 0"),
        ("expected f64", "expected a number"),
    ] {
        if let Some(stem) = text.strip_suffix(rust) {
            text = format!("{stem}{words}");
        }
    }
    (code, text)
}

/// Deserialises a `T` from `doc`, pushing every value that does not fit onto
/// `problems` with its key path (and its line, from `line_of`), not only the
/// first: each bad value (or the array element holding it) is cut out and
/// the rest is read again.
///
/// Returns the value read from what was left, or `None` when the document
/// could not be read on (the root itself is bad, or a required key of it is
/// missing). With problems pushed, a returned value has defaults (or fewer
/// array elements) where the bad values were.
pub fn deserialize_all<T, V>(problems: &mut Problems, mut doc: V, line_of: &dyn Fn(&str) -> Option<usize>) -> Option<T>
where
    T: serde::de::DeserializeOwned,
    V: Tree,
{
    let mut cuts = Cuts::default();
    let mut cut_keys: Vec<String> = Vec::new();
    // Each round cuts one value out, so this bounds the rounds by the problems listed.
    for _ in 0..=MAX_LISTED {
        let err = match serde_path_to_error::deserialize::<_, T>(doc.clone()) {
            Ok(value) => return Some(value),
            Err(e) => e,
        };
        let path: Vec<Segment> = err.path().iter().cloned().collect();
        let (code, message) = serde_problem(&err.inner().to_string());
        let key = cuts.original(&path);
        // A missing key is reported at its own path; its parent is cut out to read on.
        let missing = if code == ErrorCode::MissingField { message.split('`').nth(1) } else { None };
        match missing {
            Some(field) => {
                let full = if key.is_empty() { field.to_string() } else { format!("{key}.{field}") };
                // A key cut out for a bad value is not missing as well.
                if !cut_keys.contains(&full) {
                    problems.push(location_of(&full, line_of), code, message.clone());
                }
            }
            None => problems.push(location_of(&key, line_of), code, message),
        }
        // Cut the deepest array element on the path, else the value itself.
        let at = path.iter().rposition(|s| matches!(s, Segment::Seq { .. })).or(path.len().checked_sub(1))?;
        let mut node = &mut doc;
        for seg in &path[..at] {
            node = node.child_mut(seg)?;
        }
        if !node.remove_child(&path[at]) {
            return None;
        }
        if let Segment::Seq { index } = path[at] {
            let array = cuts.original(&path[..at]);
            let original = cuts.original(&path[..=at]);
            let i = original.rsplit('[').next().and_then(|s| s.trim_end_matches(']').parse().ok()).unwrap_or(index);
            cuts.0.push((array, i));
        } else {
            cut_keys.push(key);
        }
    }
    None
}

fn location_of(key: &str, line_of: &dyn Fn(&str) -> Option<usize>) -> Location {
    match (key, line_of(key)) {
        ("", _) => Location::File,
        (k, Some(line)) => Location::KeyAt(k.to_string(), line),
        (k, None) => Location::Key(k.to_string()),
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

    /// `(variant, code)` of every `Type::Variant … => "CODE"` arm in `source`.
    fn code_arms(source: &str, ty: &str) -> Vec<(String, String)> {
        source
            .lines()
            .filter_map(|l| {
                let (lhs, rhs) = l.trim().split_once("=>")?;
                let variant = lhs.trim().strip_prefix(&format!("{ty}::"))?;
                let variant = variant.split([' ', '{', '(']).next()?.to_string();
                let code = rhs.trim().trim_end_matches(',').strip_prefix('"')?.strip_suffix('"')?.to_string();
                Some((variant, code))
            })
            .collect()
    }

    fn sources(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                sources(&p, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push((p.clone(), std::fs::read_to_string(&p).unwrap()));
            }
        }
    }

    #[test]
    fn every_code_is_emitted_and_in_the_readme_and_the_readme_lists_no_other() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        sources(&root.join("src"), &mut files);
        let registries =
            [("ErrorCode", root.join("src/error.rs")), ("PlanViolation", root.join("src/hub/violation.rs"))];
        let mut codes = Vec::new();
        for (ty, registry) in &registries {
            let arms = code_arms(&std::fs::read_to_string(registry).unwrap(), ty);
            assert!(arms.len() > 5, "no codes found for {ty}");
            for (variant, code) in arms {
                // Produced: named outside the file that defines it.
                let used = format!("{ty}::{variant}");
                let producers: Vec<_> =
                    files.iter().filter(|(p, text)| p != registry && text.contains(&used)).map(|(p, _)| p).collect();
                assert!(!producers.is_empty(), "{code} ({used}) is emitted nowhere");
                codes.push(code);
            }
        }
        let all: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(all, codes.iter().filter(|c| c.starts_with("E-")).map(String::as_str).collect::<Vec<_>>());
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
        let documented: Vec<String> = readme
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .filter(|c| c.starts_with("E-") || c.starts_with("V-"))
            .map(str::to_string)
            .collect();
        assert_eq!(documented, codes, "the README's code tables and the codes emitted differ");
    }
}
