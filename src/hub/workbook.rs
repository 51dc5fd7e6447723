//! `plan.xlsx`: the plan as one workbook for planners who live in Excel —
//! sheets `summary`, `districts`, `hubs`, `links` and `unlinked` (and
//! `warnings` when the data checks found any), numbers as numbers with a
//! format, the header row frozen, columns wide enough to read.
//!
//! The workbook is built from `plan.json`'s document alone (plus the
//! schools, for the names of linked small schools); its creation date is
//! fixed, so the same plan gives the same bytes.

use std::collections::HashMap;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use super::inputs::School;
use super::plan_doc::PlanDoc;

/// A cell of a sheet.
enum Cell {
    Text(String),
    /// A number and its Excel number format.
    Number(f64, &'static str),
    Bool(bool),
    Empty,
}

/// Whole numbers with thousands grouped (tenge, students, student-km).
const WHOLE: &str = "#,##0";
/// Counts.
const COUNT: &str = "0";
/// Kilometres and minutes, to a tenth.
const TENTH: &str = "#,##0.0";
/// Degrees of latitude and longitude.
const DEGREES: &str = "0.000000";
/// Shares (relative gaps).
const SHARE: &str = "0.00%";

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn num(v: f64, format: &'static str) -> Cell {
    Cell::Number(v, format)
}

fn opt(v: Option<f64>, format: &'static str) -> Cell {
    v.map_or(Cell::Empty, |v| Cell::Number(v, format))
}

fn year(y: Option<i32>) -> Cell {
    opt(y.map(f64::from), COUNT)
}

/// One sheet: its name, header and rows.
struct Sheet {
    name: &'static str,
    header: Vec<&'static str>,
    rows: Vec<Vec<Cell>>,
}

/// How wide a cell reads, in characters (numbers roughly as Excel shows them).
fn width(c: &Cell) -> usize {
    match c {
        Cell::Text(s) => s.chars().count(),
        Cell::Number(v, f) => {
            let digits = format!("{:.0}", v.abs()).len();
            let grouped = if f.contains(',') { digits + (digits - 1) / 3 } else { digits };
            grouped + usize::from(*v < 0.0) + f.split_once('.').map_or(0, |(_, d)| d.len() + 1)
        }
        Cell::Bool(_) => 5,
        Cell::Empty => 0,
    }
}

fn write_sheet(book: &mut Workbook, sheet: &Sheet) -> Result<(), XlsxError> {
    let ws: &mut Worksheet = book.add_worksheet();
    ws.set_name(sheet.name)?;
    let bold = Format::new().set_bold();
    let mut formats: HashMap<&'static str, Format> = HashMap::new();
    let mut widths: Vec<usize> = sheet.header.iter().map(|h| h.chars().count()).collect();
    for (c, h) in sheet.header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, row) in sheet.rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let col = c as u16;
            match cell {
                Cell::Text(s) => {
                    ws.write_string(r, col, s)?;
                }
                Cell::Number(v, f) => {
                    let format = formats.entry(f).or_insert_with(|| Format::new().set_num_format(*f));
                    ws.write_number_with_format(r, col, *v, format)?;
                }
                Cell::Bool(b) => {
                    ws.write_boolean(r, col, *b)?;
                }
                Cell::Empty => {}
            }
            if let Some(w) = widths.get_mut(c) {
                *w = (*w).max(width(cell));
            }
        }
    }
    for (c, w) in widths.into_iter().enumerate() {
        ws.set_column_width(c as u16, (w + 2).clamp(8, 60) as f64)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// The `summary` sheet: one figure a row, with its unit.
fn summary(doc: &PlanDoc) -> Sheet {
    let t = &doc.totals;
    let q = doc.quality();
    let unit = |u: &str| text(u);
    let see = if doc.warnings.is_empty() { Cell::Empty } else { unit("listed in the warnings sheet") };
    let mut rows = vec![
        vec![text("scenario"), text(&doc.scenario.name), Cell::Empty],
        vec![text("objective"), text(doc.scenario.objective.kind.as_str()), Cell::Empty],
        vec![text("status"), text(&doc.status), Cell::Empty],
        vec![text("hubs"), num(t.hubs as f64, COUNT), unit("schools")],
        vec![text("new hubs"), num(t.new_hubs as f64, COUNT), unit("schools")],
        vec![text("cost"), num(t.cost_kzt, WHOLE), unit("KZT")],
        vec![text("hub cost"), num(t.hub_cost_kzt, WHOLE), unit("KZT")],
        vec![text("room cost"), num(t.room_cost_kzt, WHOLE), unit("KZT")],
        vec![text("budget"), opt(t.budget_kzt, WHOLE), unit("KZT (empty: no limit)")],
        vec![text("small schools"), num(t.small_schools as f64, COUNT), unit("schools")],
        vec![text("students in small schools"), num(t.small_school_students as f64, WHOLE), unit("students")],
        vec![text("linked small schools"), num(t.linked_small_schools as f64, COUNT), unit("schools")],
        vec![text("linked students"), num(t.linked_students as f64, WHOLE), unit("students")],
        vec![text("unlinked small schools"), num(t.unlinked_small_schools as f64, COUNT), unit("schools")],
        vec![text("student-km"), num(t.student_km, WHOLE), unit("students × km")],
        vec![text("mean link"), opt(t.mean_km, TENTH), unit("km")],
        vec![text("longest link"), opt(t.max_km, TENTH), unit("km")],
        vec![text("yearly visit cost"), num(t.yearly_visit_cost_kzt, WHOLE), unit("KZT a year")],
        vec![text("quality measure"), text(q.measure.as_str()), Cell::Empty],
        vec![text("quality value"), num(q.value, WHOLE), unit(q.measure.as_str())],
        vec![text("quality bound"), opt(q.bound, WHOLE), unit("proven bound (empty: none)")],
        vec![text("quality gap"), opt(q.gap, WHOLE), unit(q.measure.as_str())],
        vec![text("quality relative gap"), opt(q.relative_gap, SHARE), unit("share of the value")],
        vec![text("quality proven"), Cell::Bool(q.proven), Cell::Empty],
        vec![text("data warnings"), num(doc.warnings.len() as f64, COUNT), see],
        vec![text("schema"), text(&doc.schema), Cell::Empty],
    ];
    // With link modes or teacher hours: their figures, after the yearly visit cost.
    if super::write::has_modes(doc) {
        let at =
            rows.iter().position(|r| matches!(&r[0], Cell::Text(s) if s == "quality measure")).unwrap_or(rows.len());
        let mut more = vec![
            vec![text("teacher hours"), opt(t.teacher_hours, TENTH), unit("hours a year")],
            vec![text("valued students"), opt(t.valued_students, TENTH), unit("students × mode value")],
            vec![text("yearly teacher pay"), opt(t.yearly_teacher_pay_kzt, WHOLE), unit("KZT a year")],
        ];
        for m in &t.modes {
            let name = |what: &str| text(format!("{what} ({})", m.mode));
            more.extend([
                vec![name("linked small schools"), num(m.linked_small_schools as f64, COUNT), unit("schools")],
                vec![name("linked students"), num(m.linked_students as f64, WHOLE), unit("students")],
                vec![name("teacher hours"), num(m.teacher_hours, TENTH), unit("hours a year")],
                vec![name("student-km"), num(m.student_km, WHOLE), unit("students × km")],
            ]);
        }
        rows.splice(at..at, more);
    }
    Sheet { name: "summary", header: vec!["item", "value", "unit"], rows }
}

fn districts(doc: &PlanDoc) -> Sheet {
    Sheet {
        name: "districts",
        header: vec![
            "district",
            "hubs",
            "new_hubs",
            "small_schools",
            "linked_small_schools",
            "linked_students",
            "mean_km",
            "max_km",
            "cost_kzt",
        ],
        rows: doc
            .districts
            .iter()
            .map(|d| {
                vec![
                    text(&d.district),
                    num(d.hubs as f64, COUNT),
                    num(d.new_hubs as f64, COUNT),
                    num(d.small_schools as f64, COUNT),
                    num(d.linked_small_schools as f64, COUNT),
                    num(d.linked_students as f64, WHOLE),
                    opt(d.mean_km, TENTH),
                    opt(d.max_km, TENTH),
                    num(d.cost_kzt, WHOLE),
                ]
            })
            .collect(),
    }
}

fn hubs(doc: &PlanDoc) -> Sheet {
    let rollout = doc.rollout.is_some();
    let header = super::write::hubs_header(doc);
    let worth = super::write::has_worth(doc);
    let modes = super::write::has_modes(doc);
    let rows = doc
        .hubs
        .iter()
        .map(|h| {
            let mut r = vec![
                text(&h.school_id),
                text(&h.name),
                text(&h.district),
                num(h.lat, DEGREES),
                num(h.lon, DEGREES),
                text(&h.status),
                num(h.cost_kzt, WHOLE),
                num(h.linked_small_schools as f64, COUNT),
                num(h.linked_students as f64, WHOLE),
            ];
            if rollout {
                r.push(year(h.year_opened));
            }
            if worth {
                match &h.worth {
                    Some(w) => r.extend([
                        text(&w.method),
                        opt(w.regret, WHOLE),
                        opt(w.regret_min, WHOLE),
                        opt(w.regret_max, WHOLE),
                        text(w.measure.as_str()),
                        text(w.runner_up.clone().unwrap_or_default()),
                        text(w.runner_up_name.clone().unwrap_or_default()),
                    ]),
                    None => r.extend((0..7).map(|_| text(""))),
                }
            }
            if modes {
                r.extend([opt(h.teacher_hours, TENTH), opt(h.teacher_hours_available, TENTH)]);
            }
            r
        })
        .collect();
    Sheet { name: "hubs", header, rows }
}

fn links(doc: &PlanDoc, schools: &[School]) -> Sheet {
    let rollout = doc.rollout.is_some();
    let school: HashMap<&str, &School> = schools.iter().map(|s| (s.id.as_str(), s)).collect();
    let hub_name: HashMap<&str, &str> = doc.hubs.iter().map(|h| (h.school_id.as_str(), h.name.as_str())).collect();
    let mut header = vec![
        "small_school_id",
        "small_school_name",
        "district",
        "hub_id",
        "hub_name",
        "road_km",
        "minutes",
        "approx",
        "students",
        "room",
        "room_kzt",
    ];
    if rollout {
        header.push("year_linked");
    }
    let modes = super::write::has_modes(doc);
    if modes {
        header.extend(["mode", "teacher_hours"]);
    }
    let rows = doc
        .links
        .iter()
        .map(|l| {
            let s = school.get(l.small_school_id.as_str());
            let mut r = vec![
                text(&l.small_school_id),
                s.map_or(Cell::Empty, |s| text(&s.name)),
                s.map_or(Cell::Empty, |s| text(&s.district)),
                text(&l.hub_id),
                hub_name.get(l.hub_id.as_str()).map_or(Cell::Empty, |n| text(*n)),
                num(l.road_km, TENTH),
                num(l.minutes, TENTH),
                Cell::Bool(l.approx),
                num(f64::from(l.students), WHOLE),
                text(&l.room),
                num(l.room_kzt, WHOLE),
            ];
            if rollout {
                r.push(year(l.year_linked));
            }
            if modes {
                r.extend([l.mode.as_deref().map_or(Cell::Empty, text), opt(l.teacher_hours, TENTH)]);
            }
            r
        })
        .collect();
    Sheet { name: "links", header, rows }
}

fn unlinked(doc: &PlanDoc) -> Sheet {
    Sheet {
        name: "unlinked",
        header: vec!["small_school_id", "name", "district", "students", "reason", "detail"],
        rows: doc
            .unlinked
            .iter()
            .map(|u| {
                vec![
                    text(&u.small_school_id),
                    text(&u.name),
                    text(&u.district),
                    num(f64::from(u.students), WHOLE),
                    text(u.reason.as_str()),
                    text(&u.detail),
                ]
            })
            .collect(),
    }
}

fn warnings(doc: &PlanDoc) -> Sheet {
    use super::checks::DataWarning;
    Sheet {
        name: "warnings",
        header: vec!["kind", "school_id", "district", "km", "warning"],
        rows: doc
            .warnings
            .iter()
            .map(|w| {
                let (id, district, km) = match w {
                    DataWarning::OutsideOwnDistrict { school_id, district, km, .. } => {
                        (text(school_id), text(district), num(*km, TENTH))
                    }
                    DataWarning::DistrictWithoutBoundary { district, .. } => (Cell::Empty, text(district), Cell::Empty),
                    DataWarning::OutsideRegion { .. } => (Cell::Empty, Cell::Empty, Cell::Empty),
                };
                vec![text(w.kind()), id, district, km, text(w.to_string())]
            })
            .collect(),
    }
}

/// `plan.xlsx` of a plan: its bytes.
///
/// # Errors
///
/// The workbook cannot be built (a sheet too large for Excel, more than
/// 1,048,576 rows).
pub fn plan_xlsx(doc: &PlanDoc, schools: &[School]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    // A fixed creation date: the same plan gives the same bytes.
    let created = ExcelDateTime::from_ymd(2000, 1, 1)?;
    book.set_properties(&DocProperties::new().set_title(&doc.scenario.name).set_creation_datetime(&created));
    let mut sheets = vec![summary(doc), districts(doc), hubs(doc), links(doc, schools), unlinked(doc)];
    if !doc.warnings.is_empty() {
        sheets.push(warnings(doc));
    }
    for sheet in &sheets {
        write_sheet(&mut book, sheet)?;
    }
    book.save_to_buffer()
}
