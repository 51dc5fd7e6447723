//! The API's errors: a status, a stable code, a message and, for input
//! errors, every problem with its file, place, field and code.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::error::{InputError, InputErrors, Location};

/// One problem of an input (scenario key, CSV row, GeoJSON feature), as the JSON error lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// The file it was found in, as named to the user (workspace-relative where possible).
    pub file: String,
    /// The CSV data row (1-based; the header is row 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    /// The line of the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The place in words, as the command line prints it (`row 3 (line 4)`, `key `hubs.max_new``).
    #[serde(default)]
    pub place: String,
    /// The GeoJSON feature index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature: Option<usize>,
    /// The scenario key (`hubs.max_new`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The column or property.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The input error code (`E-VALUE`, …; see the README).
    pub code: String,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    /// A problem from a library input error; `shown` renders its file.
    pub fn from_input(e: &InputError, shown: &dyn Fn(&std::path::Path) -> String) -> Self {
        let mut p = Problem {
            file: shown(&e.file),
            row: None,
            line: None,
            place: e.location.to_string(),
            feature: None,
            key: None,
            field: e.field.clone(),
            code: e.code.as_str().to_string(),
            message: e.message.clone(),
        };
        match &e.location {
            Location::File => {}
            Location::Line(l) => p.line = Some(*l),
            Location::Row(r) => {
                p.row = Some(*r);
                p.line = Some(r + 1);
            }
            Location::Feature(f) => p.feature = Some(*f),
            Location::Key(k) => p.key = Some(k.clone()),
            Location::KeyAt(k, l) => {
                p.key = Some(k.clone());
                p.line = Some(*l);
            }
            // Places added later (a spreadsheet's sheet row) are named in `place`.
            #[allow(unreachable_patterns)]
            _ => {}
        }
        p
    }
}

/// The `error` object of an error body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A stable code: `bad-request`, `path-outside-workspace`, `not-found`,
    /// `invalid-scenario`, `invalid-data`, `infeasible`, `too-large`, `unauthorized`,
    /// `not-ready`, `unsupported`, `plan-failed`, `internal`.
    pub code: String,
    /// What went wrong, in one sentence.
    pub message: String,
    /// Every problem of the input, when the error is about an input.
    #[serde(default)]
    pub problems: Vec<Problem>,
}

/// An API error: an HTTP status and its body `{"error": ErrorBody}`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} ({})", body.message, body.code)]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: ErrorBody,
}

impl ApiError {
    /// An error without problems.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        ApiError { status, body: ErrorBody { code: code.into(), message: message.into(), problems: Vec::new() } }
    }

    /// 400 `bad-request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "bad-request", message)
    }

    /// 400 `path-outside-workspace`.
    pub fn outside(message: impl Into<String>) -> Self {
        Self::new(400, "path-outside-workspace", message)
    }

    /// 404 `not-found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "not-found", message)
    }

    /// 500 `internal`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "internal", message)
    }

    /// An input error with every problem listed (422 with `code`).
    pub fn input(code: &str, errors: &InputErrors, shown: &dyn Fn(&std::path::Path) -> String) -> Self {
        let problems: Vec<Problem> = errors.0.iter().map(|e| Problem::from_input(e, shown)).collect();
        let n = problems.len();
        let message = match n {
            1 => errors.0[0].to_string(),
            _ => format!("{n} problems in the input"),
        };
        ApiError { status: 422, body: ErrorBody { code: code.into(), message, problems } }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(serde_json::json!({ "error": self.body }))).into_response()
    }
}
