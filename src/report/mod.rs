//! Human outputs: the self-contained HTML report of a plan directory with its
//! SVG map and charts ([`html`]), the comparison of two plans ([`compare`])
//! and the index page of a sweep ([`index`]).
//!
//! Everything here reads the plan directory (`plan.json` as the
//! [`crate::hub::plan_doc::PlanDoc`] it is, the points of `plan.geojson` and the
//! district boundaries named in `plan.json`), never the solver's types, so a
//! report can be rebuilt from a plan directory alone ([`plan::load`]).

pub mod compare;
pub mod html;
pub mod index;
pub mod plan;
pub mod svg;

use std::path::PathBuf;

/// Errors while reading a plan directory or writing a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// `plan.json` or `plan.geojson` is not as written by `hubplan plan`
    /// (every problem, with the file, key or feature, field and code).
    #[error(transparent)]
    Input(#[from] crate::error::InputErrors),
}

impl ReportError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ReportError::Io { path: path.into(), source }
    }
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A whole number with comma thousands separators: `1234567` → `1,234,567`.
pub fn thousands(value: f64) -> String {
    if !value.is_finite() {
        return "—".to_string();
    }
    let neg = value < 0.0;
    let digits = format!("{:.0}", value.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if neg && digits != "0" { format!("−{out}") } else { out }
}

/// Tenge in a planner's unit: `5313000000` → `5.31 bn`, `250000000` → `250 m`.
pub fn kzt(value: f64) -> String {
    let a = value.abs();
    if a >= 1e9 {
        format!("{:.2} bn", value / 1e9)
    } else if a >= 1e6 {
        format!("{:.0} m", value / 1e6)
    } else {
        thousands(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">O'Neil & co</a>"#),
            "&lt;a href=&quot;x&quot;&gt;O&#39;Neil &amp; co&lt;/a&gt;"
        );
    }

    #[test]
    fn formats_numbers() {
        assert_eq!(thousands(1234567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(-1000.0), "−1,000");
        assert_eq!(kzt(5_313_000_000.0), "5.31 bn");
        assert_eq!(kzt(250_000_000.0), "250 m");
    }
}
