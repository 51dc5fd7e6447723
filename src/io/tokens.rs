//! A whitespace token stream with line numbers, for the OR-Library formats
//! (where line breaks carry no meaning).

use std::path::Path;
use std::str::FromStr;

use crate::error::{ErrorCode, InputError, Location};

/// Tokens of a text in order, remembering the line of the last one for errors.
pub struct Tokens<'a> {
    file: &'a Path,
    lines: std::str::Lines<'a>,
    current: std::str::SplitWhitespace<'a>,
    line: usize,
}

impl<'a> Tokens<'a> {
    /// Tokens of `text`; `file` names it in errors.
    pub fn new(file: &'a Path, text: &'a str) -> Self {
        Tokens { file, lines: text.lines(), current: "".split_whitespace(), line: 0 }
    }

    /// The next token with its line, or `None` at the end of the text.
    pub fn next_token(&mut self) -> Option<&'a str> {
        loop {
            if let Some(t) = self.current.next() {
                return Some(t);
            }
            let l = self.lines.next()?;
            self.line += 1;
            self.current = l.split_whitespace();
        }
    }

    /// The next token, which must be present; `what` says what was expected.
    pub fn expect(&mut self, what: &str) -> Result<&'a str, InputError> {
        self.next_token().ok_or_else(|| {
            InputError::new(
                self.file,
                Location::Line(self.line.max(1)),
                ErrorCode::Truncated,
                format!("the file ends where {what} was expected"),
            )
        })
    }

    /// Parses the next token as `T`.
    pub fn parse<T: FromStr>(&mut self, what: &str) -> Result<T, InputError> {
        let t = self.expect(what)?;
        t.parse::<T>().map_err(|_| {
            InputError::new(
                self.file,
                Location::Line(self.line),
                ErrorCode::BadValue,
                format!("expected {what}, found `{t}`"),
            )
        })
    }

    /// Parses the next token as a finite, non-negative real number.
    pub fn non_negative(&mut self, what: &str) -> Result<f64, InputError> {
        let v: f64 = self.parse(what)?;
        if !(v.is_finite() && v >= 0.0) {
            return Err(self.error(ErrorCode::OutOfRange, format!("{what} must be a finite number ≥ 0, found {v}")));
        }
        Ok(v)
    }

    /// An error at the current line.
    pub fn error(&self, code: ErrorCode, message: impl Into<String>) -> InputError {
        InputError::new(self.file, Location::Line(self.line.max(1)), code, message)
    }

    /// Fails if any token is left (trailing data usually means a wrong header).
    pub fn expect_end(&mut self, what: &str) -> Result<(), InputError> {
        match self.next_token() {
            None => Ok(()),
            Some(t) => Err(self.error(
                ErrorCode::Inconsistent,
                format!("unexpected `{t}` after {what}: the header counts may be wrong"),
            )),
        }
    }
}

/// Reads a whole file as UTF-8 text with a clear error.
pub fn read_text(path: &Path) -> Result<String, InputError> {
    let bytes = std::fs::read(path).map_err(|e| {
        InputError::new(path, Location::File, ErrorCode::Unreadable, format!("cannot read the file: {e}"))
    })?;
    String::from_utf8(bytes).map_err(|e| {
        InputError::new(
            path,
            Location::File,
            ErrorCode::WrongFormat,
            format!("not a text file (invalid UTF-8 at byte {})", e.utf8_error().valid_up_to()),
        )
    })
}
