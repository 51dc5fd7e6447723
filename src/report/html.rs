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
use super::svg::{self, COLOR_EXISTING, COLOR_NEW, REASONS, n1, reason_color, reason_label};
use super::{ReportError, escape};
use crate::fsutil::write_atomic;
use crate::hub::plan_doc::Reason;
use crate::hub::quality::{Measure, PlanQuality};

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
    let _ = write!(
        h,
        r#"<section class="map-block" id="map-section"><h2>Map</h2>{map}<p class="caption">Hubs are sized by the students of their linked small schools. Lines join each linked small school to its hub (straight, not the road). Equirectangular projection scaled by cos of the mean latitude; boundaries simplified for display.</p></section>"#
    );

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

    districts_table(&mut h, p);
    hubs_table(&mut h, p);
    unlinked_section(&mut h, p);
    provenance(&mut h, p);
    let _ = writeln!(
        h,
        "<footer>Generated by hubplan {} from the plan directory (plan.json, plan.geojson). Self-contained: no scripts, fonts or map tiles are loaded.</footer></main></body></html>",
        env!("CARGO_PKG_VERSION"),
    );
    h
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

fn hubs_table(h: &mut String, p: &PlanDir) {
    let doc = &p.doc;
    h.push_str(r#"<section id="hubs"><h2>Hubs</h2><table id="hubs-table"><thead><tr><th>Hub school</th><th>District</th><th>Status</th><th class="n">Small schools</th><th class="n">Students</th><th class="n">Cost, KZT m</th></tr></thead><tbody>"#);
    let mut hubs: Vec<_> = doc.hubs.iter().collect();
    hubs.sort_by(|a, b| a.district.cmp(&b.district).then(a.name.cmp(&b.name)));
    for hub in hubs {
        let color = if hub.status == "existing" { COLOR_EXISTING } else { COLOR_NEW };
        let _ = write!(
            h,
            r#"<tr><td>{} <span class="id">{}</span></td><td>{}</td><td><span class="tag" style="background:{color}">{}</span></td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
            escape(&hub.name),
            escape(&hub.school_id),
            escape(&hub.district),
            escape(&hub.status),
            hub.linked_small_schools,
            thousands(hub.linked_students as f64),
            thousands(hub.cost_kzt / 1e6)
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
    if !doc.sources.is_empty() || !doc.notes.is_empty() {
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
        h.push_str("</section>");
    }
}
