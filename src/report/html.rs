//! `report.html`: one self-contained page per plan directory (inline CSS and
//! SVG, no scripts, no fonts, tiles or images from the network) that a
//! planner can open, print on A4 or put on a slide.
//!
//! ```no_run
//! let html = hubplan::report::html::render_report(std::path::Path::new("out/aktobe")).unwrap();
//! assert!(html.contains(r#"<svg id="map""#));
//! ```

use std::fmt::Write;
use std::path::{Path, PathBuf};

use super::format::{km_or_dash, kzt, share, thousands};
use super::plan::{PlanDir, load};
use super::svg::{
    self, Bar, BarGroup, COLOR_EXISTING, COLOR_LINK, COLOR_NEW, COLOR_ONLINE, ONLINE_DASH, REASONS, n1, reason_color,
    reason_label, year_color,
};
use super::{ReportError, escape};
use crate::fsutil::write_atomic;
use crate::hub::plan_doc::Reason;
use crate::hub::quality::{Measure, PlanQuality};
use crate::hub::rollout::doc::RolloutDoc;

/// The file name of the report inside a plan directory.
pub const REPORT_FILE: &str = "report.html";

/// Page style: screen, and A4 portrait print.
const CSS: &str = "\
*{box-sizing:border-box}\
html{background:#e9edf2}\
body{margin:0;font-family:'Segoe UI','Helvetica Neue',Helvetica,Arial,'Liberation Sans','DejaVu Sans',sans-serif;\
color:#1f2933;font-size:14px;line-height:1.45;-webkit-print-color-adjust:exact;print-color-adjust:exact}\
main{max-width:1180px;margin:0 auto;background:#fff;padding-bottom:20px}\
header{background:#1f3a68;color:#fff;padding:22px 32px 18px;border-bottom:5px solid #d97706}\
.kicker{text-transform:uppercase;letter-spacing:.12em;font-size:11.5px;opacity:.8}\
h1{margin:4px 0 6px;font-size:29px;font-weight:600;letter-spacing:-.01em}\
header p{margin:0;font-size:13.5px;opacity:.9}\
section{padding:6px 32px}\
h2{font-size:16px;font-weight:600;margin:18px 0 8px;color:#1f3a68;text-transform:uppercase;letter-spacing:.06em;\
border-bottom:1px solid #d5dde7;padding-bottom:5px}\
h3{font-size:14px;margin:14px 0 6px;color:#1f3a68}\
.kpis{display:grid;grid-template-columns:repeat(6,1fr);gap:10px;padding-top:18px}\
.kpi{background:#f4f7fa;border-top:3px solid #1f3a68;padding:9px 11px 10px}\
.kpi.new{border-color:#d97706}.kpi.ok{border-color:#2a8c82}.kpi.warn{border-color:#b91c1c}\
.kpi .l{font-size:11px;color:#52606d;text-transform:uppercase;letter-spacing:.05em}\
.kpi .v{font-size:24px;font-weight:600;white-space:nowrap;margin:2px 0;font-variant-numeric:tabular-nums}\
.kpi .d{font-size:12px;color:#52606d}\
.budget-bar{display:flex;height:9px;background:#dfe5ec;border-radius:2px;overflow:hidden;margin:6px 0 3px}\
.budget-bar span{display:block;height:100%}.budget-bar .hubs{background:#1f3a68}.budget-bar .rooms{background:#5f86ad}\
.budget-bar .over{background:#b91c1c}\
.note{background:#fff8eb;border-left:4px solid #d97706;padding:6px 10px;margin:8px 0;font-size:13px}\
svg{display:block;width:100%;height:auto}\
#map{border:1px solid #d5dde7}\
.cols{display:grid;grid-template-columns:5fr 6fr;gap:32px}\
table{border-collapse:collapse;width:100%;font-size:12.5px}\
th,td{padding:4px 8px;border-bottom:1px solid #e4e9ef;text-align:left;vertical-align:top}\
thead th{background:#eef2f6;font-weight:600;color:#323f4b;border-bottom:1px solid #c5cfda}\
tbody th{font-weight:normal;color:#52606d}\
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\
tr.total td{font-weight:600;border-top:2px solid #1f3a68;border-bottom:none}\
.tag{display:inline-block;padding:0 7px;border-radius:9px;font-size:11px;color:#fff;line-height:17px}\
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px;vertical-align:-1px}\
.id{color:#7b8794;font-size:11px}\
.detail{color:#52606d;font-size:11.5px}\
dl{display:grid;grid-template-columns:190px 1fr;gap:3px 14px;margin:0;font-size:13px}\
dt{color:#52606d}dd{margin:0;overflow-wrap:anywhere}\
ul.sources{font-size:12.5px;padding-left:18px;margin:4px 0}ul.sources li{margin-bottom:4px}\
.caption{font-size:12px;color:#52606d;margin:4px 0 0}\
footer{padding:10px 32px 0;color:#7b8794;font-size:11.5px;border-top:1px solid #e4e9ef;margin:14px 32px 0}\
@page{size:A4 portrait;margin:12mm}\
@media print{\
html{background:#fff}body{font-size:10pt}\
main{max-width:none;padding:0}header{padding:12px 16px}section{padding:4px 0}footer{margin:10px 0 0;padding:6px 0 0}\
.kpis{gap:6px}.kpi{padding:6px 7px}.kpi .v{font-size:17px}.kpi .l{font-size:9px}.kpi .d{font-size:9.5px}\
#map{max-height:185mm;width:auto;max-width:100%;margin:0 auto}\
.map-block{break-after:page}\
.cols,.keep,tr,.kpi,dl{break-inside:avoid}thead{display:table-header-group}h2,h3{break-after:avoid}\
}";

/// Renders the report of the plan directory `plan_dir`.
pub fn render_report(plan_dir: &Path) -> Result<String, ReportError> {
    Ok(render(&load(plan_dir)?))
}

/// Renders `plan_dir`'s report and writes it atomically to `out`
/// (default `plan_dir/report.html`); returns the path written.
pub fn write_report(plan_dir: &Path, out: Option<&Path>) -> Result<PathBuf, ReportError> {
    let html = render_report(plan_dir)?;
    let path = out.map_or_else(|| plan_dir.join(REPORT_FILE), Path::to_path_buf);
    write_atomic(&path, html.as_bytes()).map_err(|e| ReportError::io(&path, e))?;
    Ok(path)
}

fn kpi(out: &mut String, class: &str, label: &str, value: &str, detail_html: &str) {
    let _ = write!(
        out,
        r#"<div class="kpi {class}"><div class="l">{}</div><div class="v">{}</div><div class="d">{detail_html}</div></div>"#,
        escape(label),
        escape(value)
    );
}

/// The headline figure of the plan's quality: the proven bound in the
/// planner's unit and how far the plan can be from it.
fn quality_kpi(h: &mut String, q: &PlanQuality) {
    let (label, value) = match q.measure {
        Measure::LinkedStudents => ("Most students any plan links", q.bound.map(thousands)),
        Measure::StudentKm => ("Least student-km possible", q.bound.map(thousands)),
        Measure::CostKzt => ("Least cost possible, KZT", q.bound.map(kzt)),
        Measure::StudentYears => ("Most student-years any rollout links", q.bound.map(thousands)),
        Measure::ValuedStudents => ("Most valued students any plan links", q.bound.map(thousands)),
    };
    let class = if q.proven { "ok" } else { "" };
    let mut detail = if q.proven {
        match q.measure {
            Measure::LinkedStudents => "proven: no plan links more students".to_string(),
            Measure::StudentYears => "proven: no rollout links more student-years".to_string(),
            _ => "proven optimal: this plan".to_string(),
        }
    } else {
        match (q.gap, q.measure.maximise()) {
            (Some(g), true) => format!("proven bound: this plan is at most {} short", q.measure.amount(g)),
            (Some(g), false) => format!("proven bound: this plan is at most {} above it", q.measure.amount(g)),
            (None, _) => "no bound known".to_string(),
        }
    };
    if let Some(r) = q.relative_gap.filter(|_| !q.proven) {
        detail.push_str(&format!(" ({:.2}%)", 100.0 * r));
    }
    if let Some(t) = &q.tie_break {
        detail.push_str(&match (t.proven, t.bound) {
            (true, _) => " · student-km proven least".to_string(),
            (false, Some(b)) => format!(" · student-km ≥ {}", thousands(b)),
            (false, None) => String::new(),
        });
    }
    kpi(h, class, label, &value.unwrap_or_else(|| "–".into()), &escape(&detail));
}

/// The budget-use bar: hubs and rooms as shares of the budget (or of the cost without one).
fn budget_bar(hubs: f64, rooms: f64, budget: Option<f64>) -> String {
    let whole = budget.filter(|b| *b > 0.0).unwrap_or(hubs + rooms).max(hubs + rooms).max(1.0);
    let over = budget.map_or(0.0, |b| (hubs + rooms - b).max(0.0));
    let w = |v: f64| format!("{:.2}%", 100.0 * v / whole);
    format!(
        r#"<div class="budget-bar" role="img" aria-label="budget use"><span class="hubs" style="width:{}" title="hubs"></span><span class="rooms" style="width:{}" title="rooms"></span><span class="over" style="width:{}"></span></div>"#,
        w(hubs),
        w(rooms - over),
        w(over)
    )
}

fn render(p: &PlanDir) -> String {
    let doc = &p.doc;
    let sc = &doc.scenario;
    let t = &doc.totals;
    let existing = doc.hubs.iter().filter(|h| h.status == "existing").count();
    let approx = doc.inputs.distances == "approx";
    let dist_word = if approx { "straight-line × detour" } else { "road" };
    let mut h = String::with_capacity(512 * 1024);
    let _ = write!(
        h,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="generator" content="hubplan {}"><title>{} – hub-school plan</title><style>{CSS}</style></head><body><main>"#,
        env!("CARGO_PKG_VERSION"),
        escape(&sc.name)
    );
    let quality = doc.quality();
    let gap = quality.short_gap();
    let _ = write!(
        h,
        r#"<header id="title"><div class="kicker">Hub-school network plan</div><h1>{}</h1><p>Objective {} · links up to {} km by {}{} · {} districts · plan {} ({})</p></header>"#,
        escape(&sc.name),
        escape(sc.objective.kind.as_str()),
        n1(sc.links.max_road_km),
        dist_word,
        if sc.links.within_district { ", within the district" } else { "" },
        doc.districts.len(),
        escape(&doc.status),
        escape(&gap)
    );

    // Headline figures.
    h.push_str(r#"<section class="kpis" id="totals">"#);
    kpi(
        &mut h,
        "new",
        "New hubs",
        &thousands(t.new_hubs as f64),
        &format!("{} hubs in all · {existing} existing", t.hubs),
    );
    kpi(
        &mut h,
        "",
        "Existing hubs",
        &thousands(existing as f64),
        &if existing == 0 {
            "none in this plan".to_string()
        } else {
            format!("serve {} of the linked students", share(existing_students(p) as f64, t.linked_students as f64))
        },
    );
    kpi(
        &mut h,
        "ok",
        "Small schools linked",
        &format!("{} / {}", thousands(t.linked_small_schools as f64), thousands(t.small_schools as f64)),
        &format!("coverage {}", share(t.linked_small_schools as f64, t.small_schools as f64)),
    );
    kpi(
        &mut h,
        "ok",
        "Students reached",
        &thousands(t.linked_students as f64),
        &format!(
            "{} of {} in small schools",
            share(t.linked_students as f64, t.small_school_students as f64),
            thousands(t.small_school_students as f64)
        ),
    );
    quality_kpi(&mut h, &quality);
    let budget_text = match t.budget_kzt {
        Some(b) => format!("{} of the KZT {} budget", share(t.cost_kzt, b), kzt(b)),
        None => "no budget limit".to_string(),
    };
    kpi(
        &mut h,
        if t.budget_kzt.is_some_and(|b| t.cost_kzt > b + 1e-6) { "warn" } else { "" },
        "Total cost, KZT",
        &kzt(t.cost_kzt),
        &format!("{}{}", budget_bar(t.hub_cost_kzt, t.room_cost_kzt, t.budget_kzt), escape(&budget_text)),
    );
    kpi(
        &mut h,
        "",
        "Mean link, km",
        &km_or_dash(t.mean_km),
        &format!("longest {} km · {} links", km_or_dash(t.max_km), thousands(doc.links.len() as f64)),
    );
    h.push_str("</section>");

    let mut notes = p.notes.clone();
    if approx {
        notes.insert(
            0,
            format!(
                "Distances are approximate: straight lines × a detour factor of {} (no road layer), not road distances.",
                sc.links.detour_factor
            ),
        );
    }
    if !notes.is_empty() {
        h.push_str("<section>");
        for n in &notes {
            let _ = write!(h, r#"<div class="note">{}</div>"#, escape(n));
        }
        h.push_str("</section>");
    }

    // Map.
    let (map, _) = svg::plan_map(p);
    let online = svg::online_modes(doc);
    let dashed = if doc.links.iter().any(|l| l.mode.as_ref().is_some_and(|m| online.contains(m))) {
        " Dashed lines are the links of a mode without visits (online lessons only); solid lines are visited."
    } else {
        ""
    };
    let _ = write!(
        h,
        r#"<section class="map-block" id="map-section"><h2>Map</h2>{map}<p class="caption">Hubs are sized by the students of their linked small schools. Lines join each linked small school to its hub (straight, not the road).{dashed} Equirectangular projection scaled by cos of the mean latitude; boundaries simplified for display.</p></section>"#
    );

    if let Some(r) = &doc.rollout {
        rollout_section(&mut h, p, r);
    }

    // Cost and distances.
    h.push_str(r#"<section class="cols" id="cost"><div><h2>Cost and budget</h2><table><tbody>"#);
    let budget_left = t.budget_kzt.map(|b| b - t.cost_kzt);
    let rows: Vec<(String, String)> = vec![
        (format!("New hubs ({} × equipment)", t.new_hubs), thousands(t.hub_cost_kzt)),
        (
            format!("Rooms in {} linked small schools", thousands(t.linked_small_schools as f64)),
            thousands(t.room_cost_kzt),
        ),
        ("Total capital cost".into(), thousands(t.cost_kzt)),
        ("Budget".into(), t.budget_kzt.map_or("none".into(), thousands)),
        ("Budget left".into(), budget_left.map_or("–".into(), thousands)),
        ("Hub visits per year (fuel and wear)".into(), thousands(t.yearly_visit_cost_kzt)),
    ];
    let mut rows = rows;
    if let Some(pay) = t.yearly_teacher_pay_kzt {
        rows.push(("Hub teachers' pay per year".into(), thousands(pay)));
    }
    for (k, v) in rows {
        let _ = write!(h, r#"<tr><th>{}</th><td class="n">{}</td></tr>"#, escape(&k), escape(&v));
    }
    let _ = write!(
        h,
        r#"</tbody></table><div class="caption">All amounts in KZT. Budget use (hubs, then rooms):{}{}</div></div>"#,
        budget_bar(t.hub_cost_kzt, t.room_cost_kzt, t.budget_kzt),
        escape(&budget_text)
    );
    let km: Vec<f64> = doc.links.iter().map(|l| l.road_km).collect();
    let _ = write!(
        h,
        r#"<div><h2>Link distances</h2>{}<p class="caption">{} links · mean {} km · longest {} km · {} student-km one way</p></div></section>"#,
        svg::histogram(&km, Some(sc.links.max_road_km)),
        thousands(km.len() as f64),
        km_or_dash(t.mean_km),
        km_or_dash(t.max_km),
        thousands(t.student_km)
    );

    modes_section(&mut h, p);
    districts_table(&mut h, p);
    hubs_table(&mut h, p);
    worth_section(&mut h, p);
    alternatives_section(&mut h, p);
    unlinked_section(&mut h, p);
    provenance(&mut h, p);
    let _ = writeln!(
        h,
        "<footer>Generated by hubplan {} from the plan directory (plan.json, plan.geojson). Self-contained: no scripts, fonts or map tiles are loaded.</footer></main></body></html>",
        env!("CARGO_PKG_VERSION"),
    );
    h
}

/// `2025–2027`.
fn year_span(years: &[i32]) -> String {
    match (years.first(), years.last()) {
        (Some(a), Some(b)) if a != b => format!("{a}–{b}"),
        (Some(a), _) => a.to_string(),
        _ => String::new(),
    }
}

/// A year with the dot of its colour on the map.
fn year_dot(r: &RolloutDoc, y: i32) -> String {
    match r.years.iter().position(|x| *x == y) {
        Some(i) => format!(r#"<span class="dot" style="background:{}"></span>{y}"#, year_color(i)),
        None => y.to_string(),
    }
}

/// The rollout: what joint planning gains, linked students and spending
/// year by year (charts and a table), and the year each district gets its hub.
fn rollout_section(h: &mut String, p: &PlanDir, r: &RolloutDoc) {
    let doc = &p.doc;
    let span = year_span(&r.years);
    let last = r.years.last().copied().unwrap_or_default();
    let q = &r.quality;
    let yb = r.year_by_year.as_ref();
    let yb_years: &[crate::hub::rollout::YearTotals] = yb.map_or(&[], |y| &y.per_year);
    let _ = write!(h, r#"<section id="rollout"><h2>Rollout {}</h2>"#, escape(&span));
    let bound = if q.proven {
        "proven maximal: no rollout links more".to_string()
    } else {
        match q.bound {
            Some(b) => {
                format!("at most {} short of the bound {}", thousands((b - q.student_years).max(0.0)), thousands(b))
            }
            None => "no bound known".to_string(),
        }
    };
    let joint = format!(
        "Planned jointly over {} years ({}), the rollout links {} student-years ({bound}).",
        r.years.len(),
        r.method,
        thousands(q.student_years)
    );
    let yearly = match yb {
        Some(yb) => {
            let km = if yb.joint_saving_student_km >= 0.0 {
                format!("saves {} student-km", thousands(yb.joint_saving_student_km))
            } else {
                format!("uses {} more student-km", thousands(-yb.joint_saving_student_km))
            };
            format!(
                "Planned one year at a time, the same rules link {} student-years: joint planning gains {} student-years and {km}.",
                thousands(yb.student_years),
                thousands(yb.joint_gain_student_years),
            )
        }
        None => format!(
            "Planned one year at a time, the rules cannot all be met{}.",
            r.year_by_year_note.as_deref().map_or(String::new(), |n| format!(": {n}"))
        ),
    };
    let text = format!(
        "{joint} {yearly} Hubs, links and totals elsewhere in this report are those of {last}; hub markers on the map are coloured by the year the hub opens."
    );
    let _ = write!(h, "<p>{}</p>", escape(&text));
    if !r.moved_links.is_empty() {
        let _ = write!(
            h,
            r#"<div class="note">{}</div>"#,
            escape(&format!(
                "{} small school(s) change hub during the rollout (a link that ends before {last}).",
                r.moved_links.len()
            ))
        );
    }

    // Charts: linked students, joint and year by year; spending against what each year may spend.
    const YBY: &str = "#9fb3c8";
    const AVAILABLE: &str = "#d5dde7";
    let linked: Vec<BarGroup> = r
        .per_year
        .iter()
        .map(|y| {
            let other = yb_years.iter().find(|x| x.year == y.year);
            let mut bars = vec![Bar {
                segments: vec![(
                    y.linked_students as f64,
                    COLOR_EXISTING,
                    format!("{}, joint plan: {} students linked", y.year, y.linked_students),
                )],
                label: thousands(y.linked_students as f64),
            }];
            if let Some(o) = other {
                bars.push(Bar {
                    segments: vec![(
                        o.linked_students as f64,
                        YBY,
                        format!("{}, year by year: {} students linked", o.year, o.linked_students),
                    )],
                    label: thousands(o.linked_students as f64),
                });
            }
            BarGroup { label: y.year.to_string(), bars }
        })
        .collect();
    let linked_svg = svg::grouped_bars(
        "rollout-linked",
        "Students linked each year, joint plan and year-by-year plan",
        "students linked",
        &linked,
        &if yb.is_some() {
            vec![(COLOR_EXISTING, "joint plan".into()), (YBY, "year by year".into())]
        } else {
            vec![(COLOR_EXISTING, "joint plan".into())]
        },
        &thousands,
    );
    let any_limit = r.per_year.iter().any(|y| y.available_kzt.is_some());
    let budget: Vec<BarGroup> = r
        .per_year
        .iter()
        .map(|y| {
            let mut bars = vec![Bar {
                segments: vec![
                    (y.hub_cost_kzt, COLOR_EXISTING, format!("{}: new hubs KZT {}", y.year, kzt(y.hub_cost_kzt))),
                    (y.room_cost_kzt, COLOR_LINK, format!("{}: rooms KZT {}", y.year, kzt(y.room_cost_kzt))),
                ],
                label: kzt(y.spend_kzt),
            }];
            if let Some(a) = y.available_kzt {
                bars.push(Bar {
                    segments: vec![(a, AVAILABLE, format!("{}: may spend KZT {}", y.year, kzt(a)))],
                    label: kzt(a),
                });
            }
            BarGroup { label: y.year.to_string(), bars }
        })
        .collect();
    let mut legend = vec![(COLOR_EXISTING, "new hubs".to_string()), (COLOR_LINK, "rooms".to_string())];
    if any_limit {
        legend.push((AVAILABLE, "available".to_string()));
    }
    let budget_svg = svg::grouped_bars(
        "rollout-budget",
        "Spending each year against the budget available",
        "KZT",
        &budget,
        &legend,
        &kzt,
    );
    let _ = write!(
        h,
        r#"<div class="cols" style="grid-template-columns:1fr 1fr"><div class="keep"><h3>Students linked each year</h3>{linked_svg}<p class="caption">{}</p></div><div class="keep"><h3>Budget used each year</h3>{budget_svg}<p class="caption">{}</p></div></div>"#,
        if yb.is_some() {
            "Students of the small schools linked in each year: the joint plan against the same scenario planned one year at a time."
        } else {
            "Students of the small schools linked in each year by the joint plan."
        },
        if any_limit {
            "New hubs and rooms bought each year beside what the year may spend (its budget, plus what earlier years left when unspent budget carries over)."
        } else {
            "New hubs and rooms bought each year; the scenario sets no yearly budget."
        }
    );

    // Year by year, in figures.
    h.push_str(r#"<table id="rollout-years-table"><thead><tr><th>Year</th><th class="n">New hubs</th><th class="n">Open hubs</th><th class="n">Small schools linked</th><th class="n">Students linked</th><th class="n">Student-km</th><th class="n">Spent, KZT m</th><th class="n">Available, KZT m</th><th class="n">Year by year: new hubs</th><th class="n">Year by year: students linked</th></tr></thead><tbody>"#);
    for y in &r.per_year {
        let o = yb_years.iter().find(|x| x.year == y.year);
        let _ = write!(
            h,
            r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{} <span class="id">+{}</span></td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
            year_dot(r, y.year),
            y.new_hubs,
            y.open_hubs,
            thousands(y.linked_small_schools as f64),
            thousands(y.newly_linked_small_schools as f64),
            thousands(y.linked_students as f64),
            thousands(y.student_km),
            thousands(y.spend_kzt / 1e6),
            y.available_kzt.map_or("–".into(), |a| thousands(a / 1e6)),
            o.map_or("–".into(), |o| o.new_hubs.to_string()),
            o.map_or("–".into(), |o| thousands(o.linked_students as f64)),
        );
    }
    let _ = write!(
        h,
        r#"<tr class="total"><td>Total</td><td class="n">{}</td><td></td><td></td><td class="n">{} student-years</td><td class="n">{}</td><td class="n">{}</td><td></td><td class="n">{}</td><td class="n">{}</td></tr></tbody></table>"#,
        r.per_year.iter().map(|y| y.new_hubs).sum::<usize>(),
        thousands(q.student_years),
        thousands(q.student_km),
        thousands(r.per_year.iter().map(|y| y.spend_kzt).sum::<f64>() / 1e6),
        yb.map_or("–".into(), |y| y.per_year.iter().map(|y| y.new_hubs).sum::<usize>().to_string()),
        yb.map_or("–".into(), |y| format!("{} student-years", thousands(y.student_years))),
    );
    let _ = write!(
        h,
        r#"<p class="caption">Small schools linked by the end of each year (<span class="id">+</span> newly that year). Student-years weigh each year's linked students by the year's weight.</p>"#
    );

    // Each district's turn.
    let name_of =
        |id: &str| doc.hubs.iter().find(|x| x.school_id == id).map_or_else(|| id.to_string(), |x| x.name.clone());
    h.push_str(r#"<h3>The year each district gets its hub</h3><table id="rollout-districts-table"><thead><tr><th>District</th><th class="n">Small schools</th><th class="n">Existing hubs</th><th>First hub</th><th>New hubs</th>"#);
    for y in &r.years {
        let _ = write!(h, r#"<th class="n">Linked by {y}</th>"#);
    }
    h.push_str("</tr></thead><tbody>");
    let mut rows: Vec<_> = r.districts.iter().collect();
    rows.sort_by_key(|d| (d.first_hub_year.is_none(), d.existing_hubs == 0, d.first_hub_year, d.district.as_str()));
    for d in rows {
        let first = match d.first_hub_year {
            _ if d.existing_hubs > 0 => "has one already".to_string(),
            Some(y) => year_dot(r, y),
            None => escape(&format!("none by {last}")),
        };
        let new_hubs = if d.new_hubs.is_empty() {
            "–".to_string()
        } else {
            d.new_hubs
                .iter()
                .map(|(y, id)| {
                    format!(r#"{} {} <span class="id">{}</span>"#, year_dot(r, *y), escape(&name_of(id)), escape(id))
                })
                .collect::<Vec<_>>()
                .join("<br>")
        };
        let _ = write!(
            h,
            r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td><td>{first}</td><td>{new_hubs}</td>"#,
            escape(&d.district),
            d.small_schools,
            d.existing_hubs,
        );
        for n in &d.linked_small_schools {
            let _ = write!(h, r#"<td class="n">{n}</td>"#);
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table>");
    let _ = write!(
        h,
        r#"<p class="caption">Districts in the order they get their first hub; "Linked by" counts the district's small schools linked by the end of each year.</p></section>"#
    );
}

fn existing_students(p: &PlanDir) -> u64 {
    p.doc.hubs.iter().filter(|h| h.status == "existing").map(|h| h.linked_students).sum()
}

fn districts_table(h: &mut String, p: &PlanDir) {
    let (doc, t) = (&p.doc, &p.doc.totals);
    h.push_str(r#"<section id="districts"><h2>By district</h2><table id="districts-table"><thead><tr><th>District</th><th class="n">Hubs</th><th class="n">New</th><th class="n">Small schools linked</th><th class="n">Coverage</th><th class="n">Students linked</th><th class="n">Mean km</th><th class="n">Max km</th><th class="n">Cost, KZT m</th></tr></thead><tbody>"#);
    let mut quiet = 0;
    for d in &doc.districts {
        if d.small_schools == 0 && d.hubs == 0 {
            quiet += 1;
            continue;
        }
        let _ = write!(
            h,
            r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{} / {}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
            escape(&d.district),
            d.hubs,
            d.new_hubs,
            d.linked_small_schools,
            d.small_schools,
            share(d.linked_small_schools as f64, d.small_schools as f64),
            thousands(d.linked_students as f64),
            km_or_dash(d.mean_km),
            km_or_dash(d.max_km),
            thousands(d.cost_kzt / 1e6)
        );
    }
    let _ = write!(
        h,
        r#"<tr class="total"><td>Total</td><td class="n">{}</td><td class="n">{}</td><td class="n">{} / {}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr></tbody></table>"#,
        t.hubs,
        t.new_hubs,
        thousands(t.linked_small_schools as f64),
        thousands(t.small_schools as f64),
        share(t.linked_small_schools as f64, t.small_schools as f64),
        thousands(t.linked_students as f64),
        km_or_dash(t.mean_km),
        km_or_dash(t.max_km),
        thousands(t.cost_kzt / 1e6)
    );
    if quiet > 0 {
        let _ = write!(
            h,
            r#"<p class="caption">{quiet} district(s) with neither small schools nor hubs are not listed.</p>"#
        );
    }
    h.push_str("</section>");
}

/// The links of each mode (`totals.modes`): schools, students, teacher hours
/// and student-km, with how each mode serves (visits or online only).
fn modes_section(h: &mut String, p: &PlanDir) {
    let doc = &p.doc;
    let t = &doc.totals;
    if t.modes.is_empty() {
        return;
    }
    let modes = doc.scenario.links.effective_modes();
    h.push_str(r#"<section id="modes"><h2>Link modes</h2><table id="modes-table"><thead><tr><th>Mode</th><th>How</th><th class="n">Small schools</th><th class="n">Students</th><th class="n">Teacher hours a year</th><th class="n">Student-km</th></tr></thead><tbody>"#);
    for m in &t.modes {
        let spec = modes.iter().find(|x| x.name == m.mode);
        let visits = spec.is_none_or(|x| x.visits());
        let how = match spec {
            Some(x) if x.visits() => format!(
                "{} visits a year{}",
                n1(x.visits_per_year),
                if x.online_hours_per_year > 0.0 { " and online lessons" } else { "" }
            ),
            Some(x) => format!(
                "online only{}",
                if x.reach == crate::hub::scenario::Reach::District { ", within the district" } else { "" }
            ),
            None => "not a mode of the scenario".into(),
        };
        let line = if visits {
            format!(
                r#"<svg width="28" height="8" style="display:inline-block;width:28px;height:8px;vertical-align:middle;margin-right:6px" aria-hidden="true"><line x1="1" y1="4" x2="27" y2="4" stroke="{COLOR_LINK}" stroke-width="2"/></svg>"#
            )
        } else {
            format!(
                r#"<svg width="28" height="8" style="display:inline-block;width:28px;height:8px;vertical-align:middle;margin-right:6px" aria-hidden="true"><line x1="1" y1="4" x2="27" y2="4" stroke="{COLOR_ONLINE}" stroke-width="2" stroke-dasharray="{ONLINE_DASH}"/></svg>"#
            )
        };
        let _ = write!(
            h,
            r#"<tr><td>{line}{}</td><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
            escape(&m.mode),
            escape(&how),
            thousands(m.linked_small_schools as f64),
            thousands(m.linked_students as f64),
            thousands(m.teacher_hours),
            thousands(m.student_km)
        );
    }
    let hours: f64 = t.teacher_hours.unwrap_or_else(|| t.modes.iter().map(|m| m.teacher_hours).sum());
    let _ = write!(
        h,
        r#"<tr class="total"><td>Total</td><td></td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr></tbody></table>"#,
        thousands(t.modes.iter().map(|m| m.linked_small_schools).sum::<usize>() as f64),
        thousands(t.modes.iter().map(|m| m.linked_students).sum::<u64>() as f64),
        thousands(hours),
        thousands(t.modes.iter().map(|m| m.student_km).sum::<f64>())
    );
    let mut caption = "Teacher hours: visits × (the drive both ways + hours on site) + online lessons, a year. Links of a mode without visits are dashed on the map and add no student-km.".to_string();
    if let Some(v) = t.valued_students {
        caption.push_str(&format!(" Students weighted by their mode's value: {}.", thousands(v)));
    }
    let _ = write!(h, r#"<p class="caption">{}</p></section>"#, escape(&caption));
}

/// A hub's teacher time: a bar of the hours used against those available
/// (red when over), and the figures.
fn teacher_bar(used: Option<f64>, available: Option<f64>) -> String {
    let used = used.unwrap_or(0.0);
    let Some(a) = available else {
        return format!(r#"{} <span class="id">no limit</span>"#, thousands(used));
    };
    let share = if a > 0.0 {
        used / a
    } else if used > 0.0 {
        2.0
    } else {
        0.0
    };
    let color = if share > 1.0 + 1e-9 { "#b91c1c" } else { "#2a8c82" };
    format!(
        r#"<div class="teacher-bar" role="img" aria-label="teacher hours used {} of {}" title="{} of {} teacher hours a year" style="display:inline-block;width:90px;height:9px;background:#dfe5ec;border-radius:2px;overflow:hidden;vertical-align:middle;margin-right:6px"><span style="display:block;height:100%;width:{:.1}%;background:{color}"></span></div>{} / {}"#,
        thousands(used),
        thousands(a),
        thousands(used),
        thousands(a),
        100.0 * share.clamp(0.0, 1.0),
        thousands(used),
        thousands(a)
    )
}

fn hubs_table(h: &mut String, p: &PlanDir) {
    let doc = &p.doc;
    let hours = doc.hubs.iter().any(|x| x.teacher_hours.is_some() || x.teacher_hours_available.is_some());
    h.push_str(r#"<section id="hubs"><h2>Hubs</h2><table id="hubs-table"><thead><tr><th>Hub school</th><th>District</th><th>Status</th><th class="n">Small schools</th><th class="n">Students</th><th class="n">Cost, KZT m</th>"#);
    if hours {
        h.push_str(r#"<th class="n">Teacher hours a year, used / available</th>"#);
    }
    h.push_str("</tr></thead><tbody>");
    let mut hubs: Vec<_> = doc.hubs.iter().collect();
    hubs.sort_by(|a, b| a.district.cmp(&b.district).then(a.name.cmp(&b.name)));
    for hub in hubs {
        let mut color = if hub.status == "existing" { COLOR_EXISTING } else { COLOR_NEW };
        let mut status = hub.status.clone();
        // A rollout: the year a new hub opens, in its colour on the map.
        if let Some(r) = &doc.rollout
            && hub.status != "existing"
            && let Some(y) = hub.year_opened
        {
            status = format!("{status} {y}");
            if let Some(i) = r.years.iter().position(|x| *x == y) {
                color = year_color(i);
            }
        }
        let _ = write!(
            h,
            r#"<tr><td>{} <span class="id">{}</span></td><td>{}</td><td><span class="tag" style="background:{color}">{}</span></td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td>"#,
            escape(&hub.name),
            escape(&hub.school_id),
            escape(&hub.district),
            escape(&status),
            hub.linked_small_schools,
            thousands(hub.linked_students as f64),
            thousands(hub.cost_kzt / 1e6)
        );
        if hours {
            let _ = write!(h, r#"<td class="n">{}</td>"#, teacher_bar(hub.teacher_hours, hub.teacher_hours_available));
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table></section>");
}

/// "Why these hubs": each new hub's regret (what the best plan without it
/// loses) and runner-up, the hubs with the most at stake first.
fn worth_section(h: &mut String, p: &PlanDir) {
    let doc = &p.doc;
    let rows = crate::hub::worth::by_stake(&doc.hubs);
    if rows.is_empty() {
        return;
    }
    let exact = rows.iter().filter(|(_, w)| w.method == "exact").count();
    let unit = rows[0].1.measure;
    let _ = write!(
        h,
        r#"<section id="worth"><h2>Why these hubs</h2><p class="caption">For each new hub, the best plan with that hub forbidden, solved again: its <strong>regret</strong> is what that plan loses ({}), its <strong>runner-up</strong> the school that plan opens instead. {exact} of {} exact (both plans proven optimal); the others are bracketed by the plans' bounds.</p><table id="worth-table"><thead><tr><th>Hub school</th><th>District</th><th class="n">Regret</th><th>Runner-up</th><th>How</th></tr></thead><tbody>"#,
        if unit.maximise() { "students fewer" } else { "more, in the plan's unit" },
        rows.len()
    );
    for (hub, w) in rows {
        let regret = w.regret_text();
        let runner = match (&w.runner_up, &w.runner_up_name) {
            (Some(id), Some(name)) => format!(r#"{} <span class="id">{}</span>"#, escape(name), escape(id)),
            (Some(id), None) => escape(id).to_string(),
            _ => "—".into(),
        };
        let _ = write!(
            h,
            r#"<tr><td>{} <span class="id">{}</span></td><td>{}</td><td class="n">{}</td><td>{}</td><td>{}</td></tr>"#,
            escape(&hub.name),
            escape(&hub.school_id),
            escape(&hub.district),
            escape(&regret),
            runner,
            escape(&w.detail)
        );
    }
    h.push_str("</tbody></table></section>");
}

/// The alternative plans written beside this one, against it.
fn alternatives_section(h: &mut String, p: &PlanDir) {
    let doc = &p.doc;
    if doc.alternatives.is_empty() {
        return;
    }
    let m = doc.quality().measure;
    h.push_str(r#"<section id="alternatives"><h2>Alternative plans</h2><p class="caption">Each is the best plan within the stated share of this one that differs from it and from the alternatives before it in the stated number of hubs; each is a plan directory of its own under <code>alternatives/</code>.</p><table id="alternatives-table"><thead><tr><th>Plan</th><th class="n">Figure</th><th class="n">Against this plan</th><th class="n">Cost, KZT m</th><th>Opens</th><th>Drops</th><th>Proof</th></tr></thead><tbody>"#);
    for r in &doc.alternatives {
        let _ = write!(
            h,
            r#"<tr><td><a href="alternatives/{0}/report.html">{0}</a></td><td class="n">{1}</td><td class="n">{2}{3}</td><td class="n">{4}</td><td>{5}</td><td>{6}</td><td>{7}</td></tr>"#,
            escape(&r.name),
            escape(&m.amount(r.value)),
            if r.delta < 0.0 { "−" } else { "+" },
            thousands(r.delta.abs()),
            thousands(r.cost_kzt / 1e6),
            escape(&r.hubs_added.join(", ")),
            escape(&r.hubs_dropped.join(", ")),
            if r.proven { "proven best of its kind" } else { "not proven" }
        );
    }
    h.push_str("</tbody></table></section>");
}

fn unlinked_section(h: &mut String, p: &PlanDir) {
    let doc = &p.doc;
    let _ = write!(
        h,
        r#"<section id="unlinked"><h2>Small schools not linked ({})</h2>"#,
        thousands(doc.unlinked.len() as f64)
    );
    if doc.unlinked.is_empty() {
        h.push_str("<p>Every small school is linked to a hub.</p></section>");
        return;
    }
    h.push_str(r#"<table id="reasons-table" class="keep"><thead><tr><th>Reason</th><th class="n">Small schools</th><th class="n">Students</th><th>Meaning</th></tr></thead><tbody>"#);
    for r in REASONS {
        let rows: Vec<_> = doc.unlinked.iter().filter(|u| u.reason == r).collect();
        if rows.is_empty() {
            continue;
        }
        let students: u64 = rows.iter().map(|u| u64::from(u.students)).sum();
        let _ = write!(
            h,
            r#"<tr><td><span class="dot" style="background:{}"></span>{}</td><td class="n">{}</td><td class="n">{}</td><td class="detail">{}</td></tr>"#,
            reason_color(r),
            escape(reason_label(r)),
            thousands(rows.len() as f64),
            thousands(students as f64),
            escape(reason_meaning(r))
        );
    }
    h.push_str("</tbody></table>");
    h.push_str(r#"<h3>Every unlinked small school</h3><table id="unlinked-table"><thead><tr><th>Small school</th><th>District</th><th class="n">Students</th><th>Reason</th></tr></thead><tbody>"#);
    let mut rows: Vec<_> = doc.unlinked.iter().collect();
    rows.sort_by(|a, b| a.district.cmp(&b.district).then(b.students.cmp(&a.students)).then(a.name.cmp(&b.name)));
    for u in rows {
        let _ = write!(
            h,
            r#"<tr><td>{} <span class="id">{}</span></td><td>{}</td><td class="n">{}</td><td><span class="dot" style="background:{}"></span>{}<br><span class="detail">{}</span></td></tr>"#,
            escape(&u.name),
            escape(&u.small_school_id),
            escape(&u.district),
            u.students,
            reason_color(u.reason),
            escape(reason_label(u.reason)),
            escape(&u.detail)
        );
    }
    h.push_str("</tbody></table></section>");
}

fn reason_meaning(r: Reason) -> &'static str {
    use Reason::*;
    match r {
        NoHubInReach => "no existing hub or hub candidate within the link limit",
        HubsFull => "every open hub within reach is at capacity and no other can open",
        Budget => "its room, or a new hub for it, would exceed the budget",
        DistrictLimit => "the hub that could take it cannot open: its district has its maximum of hubs",
        NewHubLimit => "the hub that could take it cannot open: the limit on new hubs is reached",
        NotChosen => "nothing blocks it; the objective left it out",
        NoInternet => "beyond every visiting mode's reach, and no connection for online lessons",
        TeacherTime => "the hubs that could take it have no teacher hours left",
    }
}

fn provenance(h: &mut String, p: &PlanDir) {
    let doc = &p.doc;
    let sc = &doc.scenario;
    let paths = &doc.inputs.paths;
    h.push_str(r#"<section id="provenance" class="cols"><div><h2>Scenario rules</h2><dl>"#);
    let dl = |h: &mut String, k: &str, v: String| {
        let _ = write!(h, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(&v));
    };
    dl(h, "Objective", sc.objective.kind.as_str().to_string());
    dl(
        h,
        "Links",
        format!(
            "up to {} km by {}{}",
            n1(sc.links.max_road_km),
            if doc.inputs.distances == "approx" { "straight line × detour" } else { "road" },
            if sc.links.within_district { ", within the district" } else { "" }
        ),
    );
    let per_district = match sc.hubs.max_per_district {
        Some(m) if m == sc.hubs.min_per_district => format!("exactly {m}"),
        Some(m) => format!("{} to {m}", sc.hubs.min_per_district),
        None => format!("at least {}", sc.hubs.min_per_district),
    };
    dl(h, "Hubs per district", per_district);
    dl(h, "New hubs at most", sc.hubs.max_new.map_or("no limit".into(), |m| m.to_string()));
    dl(h, "Hub equipment", format!("KZT {}", thousands(sc.hubs.cost_kzt)));
    let cap = match (sc.hubs.capacity_small_schools, sc.hubs.capacity_students) {
        (None, None) => "no limit".to_string(),
        (a, b) => [a.map(|a| format!("{a} small schools")), b.map(|b| format!("{b} students"))]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", "),
    };
    dl(h, "Hub capacity", cap);
    dl(
        h,
        "Small school",
        format!(
            "under {} students; digital room (KZT {}) from {} students, else universal room (KZT {})",
            sc.small_schools.max_students,
            thousands(sc.small_schools.digital_room_kzt),
            sc.small_schools.digital_room_min_students,
            thousands(sc.small_schools.universal_room_kzt)
        ),
    );
    dl(h, "Budget", sc.budget.kzt.map_or("no limit".into(), |b| format!("KZT {}", thousands(b))));
    h.push_str("</dl></div><div><h2>Provenance</h2><dl>");
    dl(h, "Scenario file", paths.scenario.display().to_string());
    dl(h, "Schools", paths.schools.display().to_string());
    dl(h, "Roads", paths.roads.as_ref().map_or("none (straight-line fallback)".into(), |r| r.display().to_string()));
    dl(h, "Districts", paths.districts.as_ref().map_or("none".into(), |d| d.display().to_string()));
    dl(
        h,
        "Distances",
        if doc.inputs.distances == "approx" {
            "approx (straight line × detour)".into()
        } else {
            doc.inputs.distances.clone()
        },
    );
    dl(h, "Solver", doc.solver.clone());
    dl(h, "Status", doc.status.clone());
    let quality = doc.quality();
    dl(h, "Quality", quality.sentence());
    if let Some(n) = quality.never_linkable_sentence() {
        dl(h, "Never linkable", n);
    }
    dl(
        h,
        "Internal objective",
        format!(
            "{:.6e} · bound {} · gap {} (the solver's own sum; Quality above is in planner units)",
            doc.internal_objective,
            doc.internal_lower_bound.map_or("none".into(), |b| format!("{b:.6e}")),
            doc.internal_gap.map_or("–".into(), |g| format!("{:.4}%", 100.0 * g))
        ),
    );
    dl(h, "Seed · threads · time", format!("{} · {} · {:.1} s", doc.seed, doc.threads, doc.elapsed_s));
    dl(h, "hubplan version", env!("CARGO_PKG_VERSION").to_string());
    h.push_str("</dl></div></section>");
    if !doc.sources.is_empty() || !doc.notes.is_empty() || !doc.warnings.is_empty() {
        h.push_str(r#"<section id="sources">"#);
        if !doc.sources.is_empty() {
            h.push_str(r#"<h3>Data sources and licences</h3><ul class="sources">"#);
            for s in &doc.sources {
                let _ = write!(h, "<li><b>{}</b> · {}", escape(&s.name), escape(&s.license));
                if !s.note.is_empty() {
                    let _ = write!(h, r#"<br><span class="detail">{}</span>"#, escape(&s.note));
                }
                h.push_str("</li>");
            }
            h.push_str("</ul>");
        }
        if !doc.notes.is_empty() {
            h.push_str(r#"<h3>Solver notes</h3><ul class="sources">"#);
            for n in &doc.notes {
                let _ = write!(h, "<li>{}</li>", escape(n));
            }
            h.push_str("</ul>");
        }
        if !doc.warnings.is_empty() {
            // The first of them; plan.json and plan.xlsx list every one.
            const SHOWN: usize = 50;
            let n = doc.warnings.len();
            let _ = write!(h, r#"<h3 id="warnings">Data warnings ({n})</h3><ul class="sources">"#);
            for w in doc.warnings.iter().take(SHOWN) {
                let _ = write!(h, "<li>{}</li>", escape(&w.to_string()));
            }
            if n > SHOWN {
                let _ = write!(h, "<li>… and {} more, listed in plan.json and plan.xlsx</li>", n - SHOWN);
            }
            h.push_str("</ul>");
        }
        h.push_str("</section>");
    }
}
