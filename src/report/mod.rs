//! Human outputs: the self-contained HTML report of a plan directory with its
//! SVG map and charts ([`html`]), the comparison of two plans ([`compare`]),
//! the index page and `summary.csv` of a sweep ([`index`],
//! [`sweep_summary`]), and the number formats they all share ([`format`](mod@format)).
//!
//! Everything here reads the plan directory (`plan.json` as the
//! [`crate::hub::plan_doc::PlanDoc`] it is, the points of `plan.geojson` and the
//! district boundaries named in `plan.json`), never the solver's types, so a
//! report can be rebuilt from a plan directory alone ([`plan::load`]).

pub mod compare;
pub mod format;
pub mod html;
pub mod index;
pub mod plan;
pub mod svg;
pub mod sweep_summary;

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
}
