//! Reader for the schools CSV (`id,name,district,lat,lon,students` plus
//! optional `kind,hub,hub_cost_kzt,capacity_small_schools`).
//!
//! Extra columns are allowed and ignored. Which columns are required depends on
//! the use: computing distances needs only `id,lat,lon` (and `hub` to know the
//! candidates); planning needs all six required columns.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{ErrorCode, InputErrors, Location, Problems};

/// Whether a school has an internet connection good enough for online
/// lessons (the `internet` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Internet {
    /// Connected.
    Yes,
    /// Not connected.
    No,
    /// Not known (also a missing column or an empty cell);
    /// `links.unknown_internet` decides how it counts.
    #[default]
    Unknown,
}

impl Internet {
    /// The value as written in the `internet` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Internet::Yes => "yes",
            Internet::No => "no",
            Internet::Unknown => "unknown",
        }
    }
}

/// How a school may serve as a hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HubStatus {
    /// Already an equipped hub: stays open, costs nothing.
    Existing,
    /// May be opened as a new hub.
    Candidate,
    /// Can never be a hub.
    No,
}

impl HubStatus {
    /// The value as written in the `hub` column.
    pub fn as_str(self) -> &'static str {
        match self {
            HubStatus::Existing => "existing",
            HubStatus::Candidate => "candidate",
            HubStatus::No => "no",
        }
    }
}

/// Whether a school is small (eligible for linking to a hub) or regular.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SchoolKind {
    /// Few students: may be linked to a hub for shared lessons.
    Small,
    /// Large enough to run its own lessons; never linked.
    Regular,
}

/// One row of the schools CSV after field-level validation.
#[derive(Debug, Clone, PartialEq)]
pub struct SchoolRow {
    /// 1-based data row (the header is row 0).
    pub row: usize,
    /// Unique school id.
    pub id: String,
    /// Display name; `None` when the column is absent or empty.
    pub name: Option<String>,
    /// District (raion) name; `None` when absent or empty.
    pub district: Option<String>,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Enrolled students; `None` when absent or empty.
    pub students: Option<u32>,
    /// `None`: decided by the scenario from the number of students.
    pub kind: Option<SchoolKind>,
    /// `None`: decided by the scenario from the number of students.
    pub hub: Option<HubStatus>,
    /// Cost of equipping it as a hub, KZT; `None`: the scenario's default.
    pub hub_cost_kzt: Option<f64>,
    /// Most small schools it can serve as a hub; `None`: no limit of its own.
    pub capacity_small_schools: Option<u32>,
    /// Enrolment projections from `students_<year>` columns, by year
    /// ascending; a year whose cell is empty is left out.
    pub students_by_year: Vec<(i32, u32)>,
    /// Its internet connection (`internet`: yes, no or unknown; empty: unknown).
    pub internet: Internet,
    /// Its own teacher hours a year for linked small schools as a hub; `None`: the scenario's.
    pub teacher_hours_per_year: Option<f64>,
}

/// What the schools file is read for; decides which columns are required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchoolsUse {
    /// `id,lat,lon` required (for road-distance tables).
    Distances,
    /// `id,name,district,lat,lon,students` required (for hub planning).
    Planning,
    /// As `Planning`, but a row's `district` may be empty: it is filled from
    /// district boundaries by the caller.
    PlanningDistrictsFromMap,
}

impl SchoolsUse {
    fn required(self) -> &'static [&'static str] {
        match self {
            SchoolsUse::Distances => &["id", "lat", "lon"],
            SchoolsUse::Planning | SchoolsUse::PlanningDistrictsFromMap => {
                &["id", "name", "district", "lat", "lon", "students"]
            }
        }
    }

    /// The columns whose values may not be empty.
    fn required_values(self) -> &'static [&'static str] {
        match self {
            SchoolsUse::PlanningDistrictsFromMap => &["id", "name", "lat", "lon", "students"],
            other => other.required(),
        }
    }
}

/// The columns hubplan reads; anything else in the file is ignored.
pub const KNOWN_COLUMNS: &[&str] = &[
    "id",
    "name",
    "district",
    "lat",
    "lon",
    "students",
    "kind",
    "hub",
    "hub_cost_kzt",
    "capacity_small_schools",
    "internet",
    "teacher_hours_per_year",
];

/// How a schools file was read: the text dialect of a CSV, or the sheet of
/// a workbook. Messages about its rows are placed by [`SchoolsFormat::location`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchoolsFormat {
    /// Delimited text.
    Csv(CsvDialect),
    /// One sheet of a spreadsheet workbook (`.xlsx`, `.xlsm`, `.xlsb`, `.xls`, `.ods`).
    Sheet {
        /// The sheet read.
        name: String,
        /// Every sheet of the workbook, in order.
        sheets: Vec<String>,
        /// Some text cells held numbers written with a decimal comma (`48,25`).
        decimal_comma: bool,
    },
}

/// What was found about a CSV file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvDialect {
    /// The field separator: `,`, `;`, tab or `|`, whichever splits the header into known columns.
    pub delimiter: u8,
    /// Numbers were written with a decimal comma (read only in files not separated by commas).
    pub decimal_comma: bool,
    /// The file starts with a UTF-8 byte-order mark (as Excel's "CSV UTF-8" writes).
    pub bom: bool,
    /// The file is not UTF-8 and was read as Windows-1251 (Excel's plain "CSV" in a Russian or Kazakh locale).
    pub windows_1251: bool,
}

impl Default for CsvDialect {
    fn default() -> Self {
        CsvDialect { delimiter: b',', decimal_comma: false, bom: false, windows_1251: false }
    }
}

impl SchoolsFormat {
    /// Where data row `row` of a [`SchoolRow`] read in this format is: a CSV
    /// data row, or a sheet row as the spreadsheet numbers it.
    pub fn location(&self, row: usize) -> Location {
        match self {
            SchoolsFormat::Csv(_) => Location::Row(row),
            SchoolsFormat::Sheet { name, .. } => Location::SheetRow { sheet: name.clone(), row },
        }
    }

    /// One line on how the file was read, when that is not plain
    /// comma-separated UTF-8 (`None` then): the separator, decimal commas,
    /// the encoding, or the sheet.
    pub fn note(&self) -> Option<String> {
        match self {
            SchoolsFormat::Csv(d) => {
                let mut found = Vec::new();
                if d.delimiter != b',' {
                    let sep = match d.delimiter {
                        b'\t' => "tab".to_string(),
                        c => format!("`{}`", c as char),
                    };
                    found.push(format!("{sep}-separated"));
                }
                if d.decimal_comma {
                    found.push("decimal commas".into());
                }
                if d.windows_1251 {
                    found.push("Windows-1251 text (not UTF-8)".into());
                }
                if found.is_empty() {
                    return None;
                }
                let excel = d.delimiter == b';' || d.windows_1251;
                Some(format!(
                    "read as {}{}",
                    found.join(", "),
                    if excel { " (as Excel saves CSV in a Russian or Kazakh locale)" } else { "" }
                ))
            }
            SchoolsFormat::Sheet { name, sheets, decimal_comma } => {
                let others = if sheets.len() > 1 {
                    let all: Vec<String> = sheets.iter().map(|s| format!("`{s}`")).collect();
                    format!(
                        " of {} ({}; another one with `--sheet` or `data.schools_sheet`)",
                        sheets.len(),
                        all.join(", ")
                    )
                } else {
                    String::new()
                };
                let commas = if *decimal_comma { "; numbers in text cells read with decimal commas" } else { "" };
                Some(format!("read sheet `{name}`{others}{commas}"))
            }
        }
    }
}

/// A schools file read: its rows and how it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct SchoolsFile {
    /// The rows, in file order.
    pub rows: Vec<SchoolRow>,
    /// How the file was read (places its rows in messages).
    pub format: SchoolsFormat,
}

/// Reads and validates a schools file (CSV, or the first sheet of a
/// spreadsheet), reporting every problem found.
///
/// # Errors
///
/// The file cannot be read, or [`parse_schools_bytes`] rejects it.
pub fn read_schools(path: &Path, usage: SchoolsUse) -> Result<Vec<SchoolRow>, InputErrors> {
    read_schools_file(path, None, usage).map(|f| f.rows)
}

/// The file extensions of the spreadsheets hubplan reads.
pub const SHEET_EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xlsb", "xls", "ods"];

/// Reads and validates a schools file: a CSV (separator, decimal comma and
/// encoding found from the text), or sheet `sheet` (default: the first) of
/// a spreadsheet workbook.
///
/// # Errors
///
/// The file cannot be read, a spreadsheet's extension on a file that is no
/// workbook, or [`parse_schools_bytes`] rejects it.
pub fn read_schools_file(path: &Path, sheet: Option<&str>, usage: SchoolsUse) -> Result<SchoolsFile, InputErrors> {
    let mut problems = Problems::new(path);
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            problems.push(Location::File, ErrorCode::Unreadable, format!("cannot read the schools file: {e}"));
            return problems.fail();
        }
    };
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    if SHEET_EXTENSIONS.contains(&ext.as_str()) && !is_workbook(&bytes) {
        problems.push(
            Location::File,
            ErrorCode::WrongFormat,
            format!("named `.{ext}` but is not a spreadsheet workbook (a CSV renamed? name it `.csv`)"),
        );
        return problems.fail();
    }
    parse_schools_bytes(&bytes, sheet, usage, problems)
}

/// Whether `bytes` look like a spreadsheet workbook: a zip archive
/// (`.xlsx`, `.xlsm`, `.xlsb`, `.ods`) or an OLE compound file (`.xls`).
pub fn is_workbook(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
}

/// Parses a schools file held in memory (an upload): a workbook when its
/// bytes are one (see [`is_workbook`]; sheet `sheet`, default the first),
/// else CSV text. `problems` names the file in messages.
///
/// # Errors
///
/// Every problem found, as [`parse_schools`] lists them; a `sheet` named for
/// a CSV, a sheet the workbook does not have, an unreadable workbook.
pub fn parse_schools_bytes(
    bytes: &[u8],
    sheet: Option<&str>,
    usage: SchoolsUse,
    mut problems: Problems,
) -> Result<SchoolsFile, InputErrors> {
    if is_workbook(bytes) {
        return parse_schools_sheet(bytes, sheet, usage, problems);
    }
    if let Some(sheet) = sheet {
        problems.push(
            Location::File,
            ErrorCode::Inconsistent,
            format!("sheet `{sheet}` is asked for, but this is a CSV file, not a spreadsheet"),
        );
        return problems.fail();
    }
    parse_schools_csv(bytes, usage, problems)
}

/// Parses schools CSV bytes (or, when they are a workbook, its first
/// sheet); `problems` names the file in messages.
///
/// # Errors
///
/// Every problem found, each with its row and column: a missing required
/// column or value, a malformed number, coordinates out of range, a duplicate
/// id, an unknown `kind` or `hub` value, or a header without rows.
pub fn parse_schools(bytes: &[u8], usage: SchoolsUse, problems: Problems) -> Result<Vec<SchoolRow>, InputErrors> {
    parse_schools_bytes(bytes, None, usage, problems).map(|f| f.rows)
}

/// The cells of a file, before the schools' rules: the header and every
/// data row with its number, as text.
struct Table {
    header: Vec<String>,
    /// Where the header is (line 1, or its sheet row).
    header_at: Location,
    /// Data rows: the row's number and its cells, or why it cannot be read.
    records: Vec<(usize, Result<Vec<String>, String>)>,
    /// Said after a missing column (the other sheets of a workbook).
    missing_hint: String,
}

/// The text of CSV bytes: UTF-8 (without its byte-order mark), else Windows-1251.
fn csv_text(bytes: &[u8]) -> (String, CsvDialect) {
    let mut dialect = CsvDialect::default();
    let body = match bytes.strip_prefix("\u{feff}".as_bytes()) {
        Some(rest) => {
            dialect.bom = true;
            rest
        }
        None => bytes,
    };
    let text = match std::str::from_utf8(body) {
        Ok(t) => t.to_string(),
        Err(_) => {
            dialect.windows_1251 = true;
            encoding_rs::WINDOWS_1251.decode_without_bom_handling(body).0.into_owned()
        }
    };
    (text, dialect)
}

/// The separator that splits the header line into the most known columns
/// (then the most fields); a comma when none splits it.
fn sniff_delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    let mut best = (b',', 0usize, 0usize);
    for delim in [b',', b';', b'\t', b'|'] {
        let fields: Vec<&str> = header.split(delim as char).map(|f| f.trim().trim_matches('"').trim()).collect();
        let known = fields.iter().filter(|f| KNOWN_COLUMNS.contains(f)).count();
        let n = fields.len() - 1;
        if (known, n) > (best.1, best.2) {
            best = (delim, known, n);
        }
    }
    best.0
}

/// Parses CSV bytes: UTF-8 or Windows-1251, separated by `,`, `;`, tab or
/// `|` (whichever splits the header into known columns), numbers with a
/// decimal point, or a decimal comma in a file not separated by commas.
///
/// # Errors
///
/// As [`parse_schools`].
pub fn parse_schools_csv(bytes: &[u8], usage: SchoolsUse, mut problems: Problems) -> Result<SchoolsFile, InputErrors> {
    let (text, mut dialect) = csv_text(bytes);
    dialect.delimiter = sniff_delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .delimiter(dialect.delimiter)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = match reader.headers() {
        Ok(h) => h.iter().map(str::to_string).collect(),
        Err(e) => {
            problems.push(Location::Line(1), ErrorCode::WrongFormat, format!("cannot read the CSV header: {e}"));
            return problems.fail();
        }
    };
    let records = reader
        .records()
        .enumerate()
        .map(|(i, r)| (i + 1, r.map(|r| r.iter().map(str::to_string).collect()).map_err(|e| e.to_string())))
        .collect();
    let table = Table { header, header_at: Location::Line(1), records, missing_hint: String::new() };
    let numbers = Numbers::new(dialect.delimiter != b',');
    let rows = parse_table(table, usage, &numbers, &SchoolsFormat::Csv(dialect), &mut problems);
    dialect.decimal_comma = numbers.used.get();
    problems.finish(SchoolsFile { rows, format: SchoolsFormat::Csv(dialect) })
}

/// A cell of a sheet as text: whole numbers without a fraction, others in
/// the shortest form that reads back to the same number.
fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::String(s) => s.trim().to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => format!("date {d}"),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => e.to_string(),
        Data::Empty => String::new(),
    }
}

/// Parses sheet `sheet` (default: the first) of a workbook; rows are
/// numbered as the spreadsheet numbers them, the header being the first
/// row with a value. Text cells may hold numbers with a decimal comma.
///
/// # Errors
///
/// As [`parse_schools`], and a workbook calamine cannot read, a sheet it
/// does not have, or an empty sheet.
pub fn parse_schools_sheet(
    bytes: &[u8],
    sheet: Option<&str>,
    usage: SchoolsUse,
    mut problems: Problems,
) -> Result<SchoolsFile, InputErrors> {
    use calamine::Reader;
    let mut book = match calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)) {
        Ok(b) => b,
        Err(e) => {
            problems.push(
                Location::File,
                ErrorCode::WrongFormat,
                format!("not a spreadsheet hubplan can read (.xlsx, .xlsm, .xlsb, .xls, .ods): {e}"),
            );
            return problems.fail();
        }
    };
    let sheets = book.sheet_names();
    let name = match (sheet, sheets.first()) {
        (Some(s), _) if sheets.iter().any(|n| n == s) => s.to_string(),
        (Some(s), _) => {
            let all: Vec<String> = sheets.iter().map(|n| format!("`{n}`")).collect();
            problems.push(
                Location::File,
                ErrorCode::UnknownId,
                format!("the workbook has no sheet `{s}`; its sheets: {}", all.join(", ")),
            );
            return problems.fail();
        }
        (None, Some(first)) => first.clone(),
        (None, None) => {
            problems.push(Location::File, ErrorCode::Truncated, "the workbook has no sheet");
            return problems.fail();
        }
    };
    let range = match book.worksheet_range(&name) {
        Ok(r) => r,
        Err(e) => {
            problems.push(Location::File, ErrorCode::WrongFormat, format!("cannot read sheet `{name}`: {e}"));
            return problems.fail();
        }
    };
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let mut rows = range
        .rows()
        .enumerate()
        .map(|(i, cells)| (first_row + i + 1, cells.iter().map(cell_text).collect::<Vec<_>>()))
        .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()));
    let Some((header_row, header)) = rows.next() else {
        problems.push(Location::File, ErrorCode::Truncated, format!("sheet `{name}` is empty"));
        return problems.fail();
    };
    let format = SchoolsFormat::Sheet { name: name.clone(), sheets: sheets.clone(), decimal_comma: false };
    let others: Vec<String> = sheets.iter().filter(|s| **s != name).map(|s| format!("`{s}`")).collect();
    let missing_hint = if sheet.is_none() && !others.is_empty() {
        format!(
            "; the first sheet was read, the workbook also has {} (name one with `--sheet` or `data.schools_sheet`)",
            others.join(", ")
        )
    } else {
        String::new()
    };
    let table = Table {
        header,
        header_at: format.location(header_row),
        records: rows.map(|(r, cells)| (r, Ok(cells))).collect(),
        missing_hint,
    };
    let numbers = Numbers::new(true);
    let rows = parse_table(table, usage, &numbers, &format, &mut problems);
    let format = SchoolsFormat::Sheet { name, sheets, decimal_comma: numbers.used.get() };
    problems.finish(SchoolsFile { rows, format })
}

/// How numbers are written: with a decimal comma allowed or not, and
/// whether one was met.
struct Numbers {
    decimal_comma: bool,
    used: std::cell::Cell<bool>,
}

impl Numbers {
    fn new(decimal_comma: bool) -> Self {
        Numbers { decimal_comma, used: std::cell::Cell::new(false) }
    }

    /// `s` with a decimal comma made a point (and spaces between thousands
    /// dropped), where decimal commas are allowed.
    fn normal<'a>(&self, s: &'a str) -> std::borrow::Cow<'a, str> {
        if !self.decimal_comma || !s.contains(',') && !s.contains([' ', '\u{a0}', '\u{202f}']) {
            return s.into();
        }
        let t: String = s.chars().filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}')).collect();
        if t.matches(',').count() == 1 && !t.contains('.') {
            self.used.set(true);
            t.replace(',', ".").into()
        } else {
            t.into()
        }
    }
}

/// The schools' rules on a table's cells: required columns and values,
/// numbers in range, known `kind` and `hub` values, unique ids.
fn parse_table(
    table: Table,
    usage: SchoolsUse,
    numbers: &Numbers,
    format: &SchoolsFormat,
    problems: &mut Problems,
) -> Vec<SchoolRow> {
    let Table { header: headers, header_at, records, missing_hint } = table;
    let mut column: HashMap<&str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if let Some(known) = KNOWN_COLUMNS.iter().find(|k| **k == h) {
            column.entry(known).or_insert(i);
        }
    }
    // `students_<year>` columns: enrolment projections for a rollout.
    let mut year_columns: Vec<(i32, usize, String)> = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        if let Some(rest) = h.strip_prefix("students_") {
            // Other `students_…` columns (`students_from`) are not projections.
            if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            match rest.parse::<i32>() {
                Ok(y) if (1900..=2200).contains(&y) => year_columns.push((y, i, h.to_string())),
                _ => problems.push_field(
                    header_at.clone(),
                    h,
                    ErrorCode::BadValue,
                    format!(
                        "a `students_<year>` column needs a calendar year (1900–2200) after `students_`, found `{rest}`"
                    ),
                ),
            }
        }
    }
    year_columns.sort();
    for w in year_columns.windows(2) {
        if w[0].0 == w[1].0 {
            problems.push_field(header_at.clone(), &w[1].2, ErrorCode::DuplicateId, "this year's column appears twice");
        }
    }
    for req in usage.required() {
        if !column.contains_key(req) {
            problems.push_field(
                header_at.clone(),
                req,
                ErrorCode::MissingField,
                format!(
                    "required column `{req}` is missing from the header (found: {}){missing_hint}",
                    headers.join(",")
                ),
            );
        }
    }
    if !problems.is_empty() {
        return Vec::new();
    }
    let required = usage.required_values();
    let mut rows = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (row, record) in records {
        let at = format.location(row);
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(at, ErrorCode::WrongFormat, format!("unreadable CSV row: {e}"));
                continue;
            }
        };
        let get = |name: &str| -> Option<&str> {
            column.get(name).and_then(|&c| record.get(c)).map(String::as_str).filter(|s| !s.is_empty())
        };
        let mut ok = true;
        let mut need = |name: &str, problems: &mut Problems| -> Option<String> {
            match get(name) {
                Some(v) => Some(v.to_string()),
                None => {
                    if required.contains(&name) {
                        problems.push_field(at.clone(), name, ErrorCode::MissingField, "value is empty");
                        ok = false;
                    }
                    None
                }
            }
        };
        let id = need("id", problems);
        let name = need("name", problems);
        let district = need("district", problems);
        let lat_s = need("lat", problems);
        let lon_s = need("lon", problems);
        let students_s = need("students", problems);
        let cell = Cell { at: &at, numbers };
        let lat = lat_s.and_then(|s| cell.number(&s, "lat", -90.0, 90.0, problems));
        let lon = lon_s.and_then(|s| cell.number(&s, "lon", -180.0, 180.0, problems));
        let students = students_s.and_then(|s| cell.count(&s, "students", problems));
        let kind = get("kind").and_then(|s| match s.to_ascii_lowercase().as_str() {
            "small" => Some(SchoolKind::Small),
            "regular" => Some(SchoolKind::Regular),
            other => {
                problems.push_field(
                    at.clone(),
                    "kind",
                    ErrorCode::BadValue,
                    format!("expected `small` or `regular`, found `{other}`"),
                );
                None
            }
        });
        let hub = get("hub").and_then(|s| match s.to_ascii_lowercase().as_str() {
            "existing" => Some(HubStatus::Existing),
            "candidate" => Some(HubStatus::Candidate),
            "no" => Some(HubStatus::No),
            other => {
                problems.push_field(
                    at.clone(),
                    "hub",
                    ErrorCode::BadValue,
                    format!("expected `existing`, `candidate` or `no`, found `{other}`"),
                );
                None
            }
        });
        let hub_cost_kzt = get("hub_cost_kzt").and_then(|s| cell.number(s, "hub_cost_kzt", 0.0, f64::MAX, problems));
        let capacity_small_schools =
            get("capacity_small_schools").and_then(|s| cell.count(s, "capacity_small_schools", problems));
        let internet = get("internet").map_or(Internet::Unknown, |s| match s.to_ascii_lowercase().as_str() {
            "yes" => Internet::Yes,
            "no" => Internet::No,
            "unknown" => Internet::Unknown,
            other => {
                problems.push_field(
                    at.clone(),
                    "internet",
                    ErrorCode::BadValue,
                    format!("expected `yes`, `no` or `unknown`, found `{other}`"),
                );
                Internet::Unknown
            }
        });
        let teacher_hours_per_year = get("teacher_hours_per_year")
            .and_then(|s| cell.number(s, "teacher_hours_per_year", 0.0, f64::MAX, problems));
        let mut students_by_year = Vec::new();
        for (y, c, name) in &year_columns {
            if let Some(v) = record.get(*c).filter(|v| !v.is_empty())
                && let Some(n) = cell.count(v, name, problems)
            {
                students_by_year.push((*y, n));
            }
        }
        if let Some(id) = &id
            && let Some(first) = seen.insert(id.clone(), row)
        {
            let first = match format.location(first) {
                Location::SheetRow { row, .. } => format!("sheet row {row}"),
                _ => format!("row {first}"),
            };
            problems.push_field(
                at.clone(),
                "id",
                ErrorCode::DuplicateId,
                format!("school id `{id}` already used on {first}"),
            );
        }
        if let (true, Some(id), Some(lat), Some(lon)) = (ok, id, lat, lon) {
            rows.push(SchoolRow {
                row,
                id,
                name,
                district,
                lat,
                lon,
                students,
                kind,
                hub,
                hub_cost_kzt,
                capacity_small_schools,
                students_by_year,
                internet,
                teacher_hours_per_year,
            });
        }
    }
    if rows.is_empty() && problems.is_empty() {
        problems.push(Location::File, ErrorCode::Truncated, "the schools file has a header but no rows");
    }
    rows
}

/// A cell being read: where it is and how its numbers are written.
struct Cell<'a> {
    at: &'a Location,
    numbers: &'a Numbers,
}

impl Cell<'_> {
    fn number(&self, s: &str, field: &str, min: f64, max: f64, problems: &mut Problems) -> Option<f64> {
        parse_number(&self.numbers.normal(s), s, field, self.at, min, max, self.numbers.decimal_comma, problems)
    }

    fn count(&self, s: &str, field: &str, problems: &mut Problems) -> Option<u32> {
        parse_count(&self.numbers.normal(s), s, field, self.at, problems)
    }
}

/// `text` (`s` as written) as a number in `[min, max]`.
#[allow(clippy::too_many_arguments)]
fn parse_number(
    text: &str,
    s: &str,
    field: &str,
    at: &Location,
    min: f64,
    max: f64,
    decimal_comma: bool,
    problems: &mut Problems,
) -> Option<f64> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= min && v <= max => Some(v),
        Ok(v) => {
            let range = if max == f64::MAX { format!("at least {min}") } else { format!("between {min} and {max}") };
            problems.push_field(
                at.clone(),
                field,
                ErrorCode::OutOfRange,
                format!("{v} is out of range: expected {range}"),
            );
            None
        }
        Err(_) => {
            let hint = if !decimal_comma && s.contains(',') {
                " (a decimal comma? hubplan reads decimal commas in `;`- or tab-separated files and spreadsheets, not in comma-separated ones)"
            } else {
                ""
            };
            problems.push_field(
                at.clone(),
                field,
                ErrorCode::BadValue,
                format!("expected a number, found `{s}`{hint}"),
            );
            None
        }
    }
}

/// `text` (`s` as written) as a whole number ≥ 0.
fn parse_count(text: &str, s: &str, field: &str, at: &Location, problems: &mut Problems) -> Option<u32> {
    match text.parse::<u32>() {
        Ok(v) => Some(v),
        Err(_) => {
            // Accept integral floats such as `120.0` written by spreadsheets.
            match text.parse::<f64>() {
                Ok(v) if v >= 0.0 && v.fract() == 0.0 && v <= u32::MAX as f64 => Some(v as u32),
                _ => {
                    problems.push_field(
                        at.clone(),
                        field,
                        ErrorCode::BadValue,
                        format!("expected a whole number ≥ 0, found `{s}`"),
                    );
                    None
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn students_by_year_columns_are_read_and_checked() {
        let text = "id,name,district,lat,lon,students,students_2026,students_2025,students_from\n\
                    a,A,D,48,57,100,90,95,census\n\
                    b,B,D,48,57,50,,55,x\n\
                    c,C,D,48,57,50,many,55,x\n";
        let e = parse_schools(text.as_bytes(), SchoolsUse::Planning, Problems::new(Path::new("s.csv"))).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("row 3") && msg.contains("students_2026"), "{msg}");
        let ok = text.lines().take(3).collect::<Vec<_>>().join("\n");
        let rows = parse_schools(ok.as_bytes(), SchoolsUse::Planning, Problems::new(Path::new("s.csv"))).unwrap();
        assert_eq!(rows[0].students_by_year, vec![(2025, 95), (2026, 90)]);
        assert_eq!(rows[1].students_by_year, vec![(2025, 55)]);
        let bad = "id,name,district,lat,lon,students,students_99999\na,A,D,48,57,100,90\n";
        let e = parse_schools(bad.as_bytes(), SchoolsUse::Planning, Problems::new(Path::new("s.csv"))).unwrap_err();
        assert!(e.to_string().contains("students_99999"), "{e}");
    }

    fn parse(text: &str, usage: SchoolsUse) -> Result<Vec<SchoolRow>, InputErrors> {
        parse_schools(text.as_bytes(), usage, Problems::new(Path::new("schools.csv")))
    }

    #[test]
    fn reads_full_planning_schema_with_extra_columns() {
        let rows = parse(
            "\u{feff}id,name,district,lat,lon,students,kind,hub,hub_cost_kzt,capacity_small_schools,note\n\
             s1,School 1,Alga,50.2,57.1,420,regular,candidate,250000000,12,x\n\
             s2,School 2,Alga,50.3,57.2,35,small,no,,,\n",
            SchoolsUse::Planning,
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].hub, Some(HubStatus::Candidate));
        assert_eq!(rows[0].capacity_small_schools, Some(12));
        assert_eq!(rows[1].kind, Some(SchoolKind::Small));
        assert_eq!(rows[1].hub_cost_kzt, None);
    }

    #[test]
    fn internet_and_teacher_hours_are_read_in_any_case() {
        let rows = parse(
            "id,name,district,lat,lon,students,internet,teacher_hours_per_year\n\
             a,A,D,50,57,300,YES,1440\n\
             b,B,D,50,57,40,No,\n\
             c,C,D,50,57,40,Unknown,0\n\
             d,D,D,50,57,40,,\n",
            SchoolsUse::Planning,
        )
        .unwrap();
        let internet: Vec<Internet> = rows.iter().map(|r| r.internet).collect();
        assert_eq!(internet, [Internet::Yes, Internet::No, Internet::Unknown, Internet::Unknown]);
        let hours: Vec<Option<f64>> = rows.iter().map(|r| r.teacher_hours_per_year).collect();
        assert_eq!(hours, [Some(1440.0), None, Some(0.0), None]);
        // Without the columns: unknown, and no hours of its own.
        let rows = parse("id,name,district,lat,lon,students\na,A,D,50,57,300\n", SchoolsUse::Planning).unwrap();
        assert_eq!((rows[0].internet, rows[0].teacher_hours_per_year), (Internet::Unknown, None));
    }

    #[test]
    fn a_bad_internet_or_negative_teacher_hours_names_the_row_and_field() {
        let err = parse(
            "id,name,district,lat,lon,students,internet,teacher_hours_per_year\n\
             a,A,D,50,57,300,yes,1440\n\
             b,B,D,50,57,40,satellite,\n\
             c,C,D,50,57,40,no,-12\n\
             d,D,D,50,57,40,no,lots\n",
            SchoolsUse::Planning,
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(
                "row 2 (line 3): field `internet`: expected `yes`, `no` or `unknown`, found `satellite` [E-VALUE]"
            ),
            "{text}"
        );
        assert!(text.contains("row 3 (line 4): field `teacher_hours_per_year`: -12 is out of range"), "{text}");
        assert!(text.contains("[E-RANGE]"), "{text}");
        assert!(text.contains("row 4 (line 5): field `teacher_hours_per_year`"), "{text}");
        assert_eq!(err.0.len(), 3, "{text}");
    }

    #[test]
    fn distances_need_only_id_and_coordinates() {
        let rows = parse("id,lat,lon,hub\na,50,57,existing\n", SchoolsUse::Distances).unwrap();
        assert_eq!(rows[0].hub, Some(HubStatus::Existing));
        let err = parse("id,lat,lon,hub\na,50,57,existing\n", SchoolsUse::Planning).unwrap_err();
        assert!(err.to_string().contains("`name`"), "{err}");
    }

    #[test]
    fn every_bad_field_is_reported_with_row_and_field() {
        let err = parse(
            "id,name,district,lat,lon,students,hub\n\
             a,A,D,95,57,10,candidate\n\
             b,B,D,50,,10,maybe\n\
             a,C,D,50,57,ten,no\n",
            SchoolsUse::Planning,
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("row 1 (line 2): field `lat`"), "{text}");
        assert!(text.contains("row 2 (line 3): field `lon`: value is empty"), "{text}");
        assert!(text.contains("field `hub`: expected `existing`"), "{text}");
        assert!(text.contains("school id `a` already used on row 1"), "{text}");
        assert!(text.contains("field `students`: expected a whole number"), "{text}");
    }

    #[test]
    fn excel_locale_text_reads_like_plain_csv() {
        let plain = "id,name,district,lat,lon,students,hub_cost_kzt\n\
                     a,\"Школа №1, Ақтөбе\",Алға,50.25,57.125,420,250000000\n\
                     b,Ауыл,Алға,50.5,57.75,35,\n";
        let want = parse(plain, SchoolsUse::Planning).unwrap();
        let excel = "\u{feff}id;name;district;lat;lon;students;hub_cost_kzt\r\n\
                     a;Школа №1, Ақтөбе;Алға;50,25;57,125;420;250\u{a0}000\u{a0}000\r\n\
                     b;Ауыл;Алға;50,5;57,75;35;\r\n";
        let file = parse_schools_bytes(excel.as_bytes(), None, SchoolsUse::Planning, Problems::new(Path::new("s.csv")))
            .unwrap();
        assert_eq!(file.rows, want);
        let SchoolsFormat::Csv(d) = file.format else { panic!() };
        assert_eq!((d.delimiter, d.decimal_comma, d.bom, d.windows_1251), (b';', true, true, false));
        // Tab-separated, decimal points: found too, and said in one line.
        let tabs = "id\tname\tdistrict\tlat\tlon\tstudents\thub_cost_kzt\n\
                    a\tШкола №1, Ақтөбе\tАлға\t50.25\t57.125\t420\t250000000\n\
                    b\tАуыл\tАлға\t50.5\t57.75\t35\t\n";
        let file = parse_schools_bytes(tabs.as_bytes(), None, SchoolsUse::Planning, Problems::new(Path::new("s.tsv")))
            .unwrap();
        assert_eq!(file.rows, want);
        assert_eq!(file.format.note().as_deref(), Some("read as tab-separated"));
        // Plain comma-separated UTF-8 gets no note.
        let file = parse_schools_bytes(plain.as_bytes(), None, SchoolsUse::Planning, Problems::new(Path::new("s.csv")))
            .unwrap();
        assert_eq!(file.format.note(), None);
    }

    #[test]
    fn windows_1251_text_is_decoded() {
        let utf8 = "id;name;district;lat;lon;students\r\nx;Школа;Мартук;50,1;57,2;30\r\n";
        let (cp1251, _, bad) = encoding_rs::WINDOWS_1251.encode(utf8);
        assert!(!bad && std::str::from_utf8(&cp1251).is_err());
        let file = parse_schools_bytes(&cp1251, None, SchoolsUse::Planning, Problems::new(Path::new("s.csv"))).unwrap();
        assert_eq!(file.rows[0].name.as_deref(), Some("Школа"));
        assert_eq!(file.rows[0].district.as_deref(), Some("Мартук"));
        assert_eq!((file.rows[0].lat, file.rows[0].lon), (50.1, 57.2));
        assert!(file.format.note().unwrap().contains("Windows-1251"), "{:?}", file.format.note());
    }

    #[test]
    fn a_decimal_comma_in_a_comma_separated_file_is_explained() {
        let e = parse("id,name,district,lat,lon,students\na,A,D,\"50,1\",57,30\n", SchoolsUse::Planning).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("row 1 (line 2): field `lat`: expected a number, found `50,1` (a decimal comma?"),
            "{text}"
        );
        assert!(text.ends_with("[E-VALUE]"), "{text}");
    }

    #[test]
    fn a_sheet_named_for_a_csv_or_missing_from_a_workbook_is_an_error() {
        let csv = "id,lat,lon\na,50,57\n";
        let e =
            parse_schools_bytes(csv.as_bytes(), Some("S"), SchoolsUse::Distances, Problems::new(Path::new("s.csv")))
                .unwrap_err();
        assert!(e.to_string().contains("sheet `S` is asked for, but this is a CSV file"), "{e}");
        let mut book = rust_xlsxwriter::Workbook::new();
        let ws = book.add_worksheet().set_name("Мектептер").unwrap();
        for (c, v) in ["id", "lat", "lon"].iter().enumerate() {
            ws.write_string(0, c as u16, *v).unwrap();
        }
        ws.write_string(1, 0, "a").unwrap();
        ws.write_number(1, 1, 50.5).unwrap();
        ws.write_string(1, 2, "57,25").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let file =
            parse_schools_bytes(&bytes, None, SchoolsUse::Distances, Problems::new(Path::new("s.xlsx"))).unwrap();
        assert_eq!((file.rows[0].row, file.rows[0].lat, file.rows[0].lon), (2, 50.5, 57.25));
        assert_eq!(file.format.location(2).to_string(), "sheet `Мектептер` row 2");
        let e = parse_schools_bytes(&bytes, Some("x"), SchoolsUse::Distances, Problems::new(Path::new("s.xlsx")))
            .unwrap_err();
        assert!(
            e.to_string().ends_with("the workbook has no sheet `x`; its sheets: `Мектептер` [E-UNKNOWN-ID]"),
            "{e}"
        );
    }

    #[test]
    fn header_only_is_an_error() {
        let err = parse("id,lat,lon\n", SchoolsUse::Distances).unwrap_err();
        assert!(err.to_string().contains("no rows"));
    }
}
