//! `report.html`: one self-contained page per plan directory (inline CSS and
//! SVG, no scripts, no fonts or tiles from the network) that a planner can
//! open, print on A4 or put on a slide.
//!
//! ```no_run
//! let html = hubplan::report::html::render_report(std::path::Path::new("out/aktobe")).unwrap();
//! assert!(html.contains(r#"<svg id="map""#));
//! ```

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use super::plan::{Plan, PlanLayers, districts_path, read_districts, read_layers, read_plan};
use super::svg::{self, n1};
use super::{ReportError, escape, kzt, thousands};
use crate::fsutil::write_atomic;

/// The file name of the report inside a plan directory.
pub const REPORT_FILE: &str = "report.html";

/// Plain words for an `unlinked` reason code.
pub fn reason_text(code: &str) -> &str {
    match code {
        "no-hub-in-reach" => "no hub within reach",
        "hubs-full" => "every reachable hub is full",
        "budget" => "budget exhausted",
        "district-limit" => "district hub limit reached",
        other => other,
    }
}

fn opt_km(v: Option<f64>) -> String {
    v.map_or("—".to_string(), |k| format!("{:.1}", k))
}

fn pct(part: f64, whole: f64) -> String {
    if whole > 0.0 { format!("{:.1}%", 100.0 * part / whole) } else { "—".to_string() }
}

/// Page style: screen and A4 print.
const CSS: &str = "\
*{box-sizing:border-box}\
body{margin:0;font-family:'Segoe UI','Helvetica Neue',Arial,'Liberation Sans',sans-serif;color:#1d2733;background:#eef1f5;font-size:14px;line-height:1.4}\
main{max-width:1120px;margin:0 auto;background:#fff;padding:0 0 24px}\
header{background:#1f4e79;color:#fff;padding:22px 32px 18px}\
header .kicker{text-transform:uppercase;letter-spacing:.08em;font-size:12px;opacity:.8}\
header h1{margin:4px 0 6px;font-size:28px;font-weight:600}\
header .sub{margin:0;font-size:13px;opacity:.85}\
section{padding:10px 32px}\
h2{font-size:17px;margin:18px 0 8px;color:#1f4e79;border-bottom:2px solid #e3e8ef;padding-bottom:4px}\
.kpis{display:grid;grid-template-columns:repeat(6,1fr);gap:10px;padding-top:18px}\
.kpi{background:#f5f8fb;border-left:4px solid #1f4e79;padding:8px 10px}\
.kpi.new{border-color:#e8710a}.kpi.ok{border-color:#2e8b57}.kpi.warn{border-color:#c62828}\
.kpi .v{font-size:22px;font-weight:600;white-space:nowrap}.kpi .l{font-size:11.5px;color:#556;text-transform:uppercase;letter-spacing:.03em}\
.kpi .d{font-size:12px;color:#556}\
.note{background:#fff7e6;border-left:4px solid #e8a10a;padding:6px 10px;margin:8px 0;font-size:13px}\
svg{display:block;width:100%;height:auto}\
#map{border:1px solid #d5dbe3}\
.two{display:grid;grid-template-columns:1fr 1fr;gap:28px}\
table{border-collapse:collapse;width:100%;font-size:12.5px}\
th,td{padding:4px 7px;border-bottom:1px solid #e3e8ef;text-align:left;vertical-align:top}\
th{background:#f0f4f8;font-weight:600}\
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\
tr.total td{font-weight:600;border-top:2px solid #1f4e79}\
.tag{display:inline-block;padding:0 6px;border-radius:8px;font-size:11px;color:#fff}\
.tag.existing{background:#1f4e79}.tag.new{background:#e8710a}\
dl{display:grid;grid-template-columns:180px 1fr;gap:3px 12px;margin:0;font-size:13px}dt{color:#556}dd{margin:0;word-break:break-all}\
ul.sources{font-size:13px;padding-left:18px}\
footer{padding:8px 32px;color:#778;font-size:11.5px}\
@media print{\
@page{size:A4 portrait;margin:11mm}\
body{background:#fff;font-size:10.5pt;-webkit-print-color-adjust:exact;print-color-adjust:exact}\
main{max-width:none;padding:0}header{padding:12px 16px}section{padding:4px 0}\
.kpis{grid-template-columns:repeat(3,1fr)}\
.map-block{break-after:page}.two{grid-template-columns:1fr 1fr;break-inside:avoid}\
tr{break-inside:avoid}thead{display:table-header-group}h2{break-after:avoid}\
}";

/// Renders the report of the plan directory `plan_dir`.
pub fn render_report(plan_dir: &Path) -> Result<String, ReportError> {
    let plan = read_plan(plan_dir)?;
    let layers = read_layers(plan_dir)?;
    let mut notes = Vec::new();
    let districts = match districts_path(&plan, plan_dir) {
        Some(p) => match read_districts(&p) {
            Ok(d) => d,
            Err(e) => {
                notes.push(format!("District boundaries not drawn: {e}"));
                Vec::new()
            }
        },
        None => Vec::new(),
    };
    Ok(render(&plan, &layers, &districts, &notes))
}

/// Renders and writes `plan_dir/report.html` atomically; returns its path.
pub fn write_report(plan_dir: &Path) -> Result<PathBuf, ReportError> {
    let html = render_report(plan_dir)?;
    let path = plan_dir.join(REPORT_FILE);
    write_atomic(&path, html.as_bytes()).map_err(|e| ReportError::io(&path, e))?;
    Ok(path)
}

fn kpi(out: &mut String, class: &str, value: &str, label: &str, detail: &str) {
    let _ = write!(
        out,
        r#"<div class="kpi {class}"><div class="l">{}</div><div class="v">{}</div><div class="d">{}</div></div>"#,
        escape(label),
        escape(value),
        escape(detail)
    );
}

fn render(plan: &Plan, layers: &PlanLayers, districts: &[super::plan::DistrictShape], notes: &[String]) -> String {
    let t = &plan.totals;
    let name = if plan.name().is_empty() { "Hub-school plan" } else { plan.name() };
    let small_total = plan.small_schools().max(layers.small_schools.len());
    let students_total = t.linked_students + plan.unlinked.iter().map(|u| u.students).sum::<f64>();
    let existing = plan.hubs.iter().filter(|h| h.is_existing()).count();
    let new = plan.hubs.len() - existing;
    let approx = plan.inputs.distances.as_deref() == Some("approx") || plan.links.iter().any(|l| l.approx);

    let mut h = String::with_capacity(512 * 1024);
    let _ = write!(
        h,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="generator" content="hubplan {}"><title>{} — hub-school plan</title><style>{CSS}</style></head><body><main>"#,
        env!("CARGO_PKG_VERSION"),
        escape(name)
    );
    let status = if plan.status.is_empty() { "unknown".to_string() } else { plan.status.clone() };
    let gap = plan.gap.map_or("no bound".to_string(), |g| format!("gap {:.2}%", g * 100.0));
    let _ = write!(
        h,
        r#"<header><div class="kicker">Hub-school network plan</div><h1>{}</h1><p class="sub">{} hubs ({} new, {} existing) · {} of {} small schools linked · plan {} ({}) · {} distances</p></header>"#,
        escape(name),
        plan.hubs.len(),
        new,
        existing,
        thousands(t.linked_small_schools as f64),
        thousands(small_total as f64),
        escape(&status),
        escape(&gap),
        if approx { "straight-line (approximate)" } else { "road" }
    );

    // Key figures.
    h.push_str(r#"<section class="kpis" id="totals">"#);
    kpi(&mut h, "new", &thousands(t.new_hubs as f64), "new hubs", &format!("{} hubs in all, {existing} existing", plan.hubs.len()));
    kpi(
        &mut h,
        "ok",
        &format!("{} / {}", thousands(t.linked_small_schools as f64), thousands(small_total as f64)),
        "small schools linked",
        &pct(t.linked_small_schools as f64, small_total as f64),
    );
    kpi(&mut h, "ok", &thousands(t.linked_students), "students reached", &format!("{} of their students", pct(t.linked_students, students_total)));
    let budget_detail = match t.budget_kzt {
        Some(b) => format!("{} of {} budget", pct(t.cost_kzt, b), kzt(b)),
        None => "no budget limit".to_string(),
    };
    kpi(&mut h, "", &format!("{} KZT", kzt(t.cost_kzt)), "capital cost", &budget_detail);
    kpi(&mut h, "", &format!("{} km", opt_km(t.mean_km)), "mean link", &format!("longest {} km", opt_km(t.max_km)));
    let unl_class = if t.unlinked_small_schools > 0 { "warn" } else { "ok" };
    kpi(&mut h, unl_class, &thousands(t.unlinked_small_schools as f64), "unlinked small schools", "reasons below");
    h.push_str("</section>");

    if approx {
        notes_html(&mut h, &["Distances are straight lines × a detour factor (no road layer): they are approximate, not road distances.".to_string()]);
    }
    notes_html(&mut h, notes);

    // Map.
    let (map, _counts) = svg::plan_map(plan, layers, districts);
    let _ = write!(h, r#"<section class="map-block"><h2>Map</h2>{map}</section>"#);

    // Budget and histogram.
    let limit = plan.scenario_f64("links.max_road_km");
    let km: Vec<f64> = plan.links.iter().map(|l| l.road_km).collect();
    h.push_str(r#"<section class="two"><div><h2>Budget and totals</h2>"#);
    h.push_str(&svg::budget_bar(t.cost_kzt, t.budget_kzt));
    h.push_str(r#"<table id="totals-table"><tbody>"#);
    let rows: Vec<(&str, String)> = vec![
        ("Capital cost", format!("{} KZT", thousands(t.cost_kzt))),
        ("Budget", t.budget_kzt.map_or("none".to_string(), |b| format!("{} KZT", thousands(b)))),
        ("Budget left", t.budget_kzt.map_or("—".to_string(), |b| format!("{} KZT", thousands(b - t.cost_kzt)))),
        ("New hubs", thousands(t.new_hubs as f64)),
        ("Linked small schools", thousands(t.linked_small_schools as f64)),
        ("Linked students", thousands(t.linked_students)),
        ("Unlinked small schools", thousands(t.unlinked_small_schools as f64)),
        ("Student-km (one way)", thousands(t.student_km)),
        ("Mean / longest link", format!("{} / {} km", opt_km(t.mean_km), opt_km(t.max_km))),
    ];
    for (k, v) in rows {
        let _ = write!(h, r#"<tr><th>{}</th><td class="n">{}</td></tr>"#, escape(k), escape(&v));
    }
    h.push_str("</tbody></table></div>");
    let _ = write!(
        h,
        r#"<div><h2>Link distances</h2>{}<p style="font-size:12px;color:#556;margin:4px 0 0">{} links{}</p></div></section>"#,
        svg::histogram(&km, limit),
        thousands(km.len() as f64),
        limit.map_or(String::new(), |l| format!("; links are allowed up to {} km by road", n1(l)))
    );

    // Districts.
    h.push_str(r#"<section><h2>By district</h2><table id="districts-table"><thead><tr><th>District</th><th class="n">Hubs</th><th class="n">New</th><th class="n">Linked small schools</th><th class="n">Linked students</th><th class="n">Mean km</th><th class="n">Max km</th><th class="n">Cost, KZT</th></tr></thead><tbody>"#);
    for d in &plan.districts {
        let _ = write!(
            h,
            r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
            escape(&d.district),
            d.hubs,
            d.new_hubs,
            thousands(d.linked_small_schools as f64),
            thousands(d.linked_students),
            opt_km(d.mean_km),
            opt_km(d.max_km),
            thousands(d.cost_kzt)
        );
    }
    let _ = write!(
        h,
        r#"<tr class="total"><td>Total</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr></tbody></table></section>"#,
        plan.hubs.len(),
        t.new_hubs,
        thousands(t.linked_small_schools as f64),
        thousands(t.linked_students),
        opt_km(t.mean_km),
        opt_km(t.max_km),
        thousands(t.cost_kzt)
    );

    // Hubs.
    h.push_str(r#"<section><h2>Hubs</h2><table id="hubs-table"><thead><tr><th>Hub school</th><th>District</th><th>Status</th><th class="n">Linked small schools</th><th class="n">Linked students</th><th class="n">Cost, KZT</th></tr></thead><tbody>"#);
    let mut hubs: Vec<_> = plan.hubs.iter().collect();
    hubs.sort_by(|a, b| a.district.cmp(&b.district).then(a.name.cmp(&b.name)));
    for hub in hubs {
        let status = if hub.is_existing() { "existing" } else { "new" };
        let _ = write!(
            h,
            r#"<tr><td>{} <small style="color:#889">{}</small></td><td>{}</td><td><span class="tag {status}">{status}</span></td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
            escape(&hub.name),
            escape(&hub.school_id),
            escape(&hub.district),
            hub.linked_small_schools,
            thousands(hub.linked_students),
            thousands(hub.cost_kzt)
        );
    }
    h.push_str("</tbody></table></section>");

    // Unlinked.
    let _ = write!(h, r#"<section><h2>Unlinked small schools ({})</h2>"#, plan.unlinked.len());
    if plan.unlinked.is_empty() {
        h.push_str("<p>Every small school is linked to a hub.</p>");
    } else {
        let mut by_reason: BTreeMap<&str, (usize, f64)> = BTreeMap::new();
        for u in &plan.unlinked {
            let e = by_reason.entry(u.reason.as_str()).or_default();
            e.0 += 1;
            e.1 += u.students;
        }
        h.push_str(r#"<table id="reasons-table"><thead><tr><th>Reason</th><th class="n">Small schools</th><th class="n">Students</th></tr></thead><tbody>"#);
        for (r, (n, st)) in &by_reason {
            let _ = write!(h, r#"<tr><td>{}</td><td class="n">{n}</td><td class="n">{}</td></tr>"#, escape(reason_text(r)), thousands(*st));
        }
        h.push_str("</tbody></table><p></p>");
        h.push_str(r#"<table id="unlinked-table"><thead><tr><th>Small school</th><th>District</th><th class="n">Students</th><th>Reason</th></tr></thead><tbody>"#);
        let mut rows: Vec<_> = plan.unlinked.iter().collect();
        rows.sort_by(|a, b| a.district.cmp(&b.district).then(b.students.total_cmp(&a.students)).then(a.name.cmp(&b.name)));
        for u in rows {
            let _ = write!(
                h,
                r#"<tr><td>{} <small style="color:#889">{}</small></td><td>{}</td><td class="n">{}</td><td>{}</td></tr>"#,
                escape(&u.name),
                escape(&u.small_school_id),
                escape(&u.district),
                thousands(u.students),
                escape(reason_text(&u.reason))
            );
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("</section>");

    // Provenance.
    h.push_str(r#"<section id="provenance"><h2>Provenance</h2><dl>"#);
    let mut dl = |k: &str, v: String| {
        let _ = write!(h, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(&v));
    };
    dl("Scenario", name.to_string());
    if let Some(p) = &plan.inputs.scenario {
        dl("Scenario file", p.clone());
    }
    if let Some(p) = &plan.inputs.schools {
        dl("Schools", p.clone());
    }
    dl("Roads", plan.inputs.roads.clone().unwrap_or_else(|| "none (straight-line fallback)".to_string()));
    if let Some(p) = &plan.inputs.districts {
        dl("District boundaries", p.clone());
    }
    if let Some(kind) = plan.scenario_value("objective.kind").and_then(|v| v.as_str()) {
        dl("Objective", kind.to_string());
    }
    dl("Solver", if plan.solver.is_empty() { "—".to_string() } else { plan.solver.clone() });
    dl("Seed", plan.seed.map_or("—".to_string(), |s| s.to_string()));
    dl("Status", status.clone());
    dl("Objective value", plan.objective.map_or("—".to_string(), |v| format!("{v}")));
    dl("Lower bound", plan.lower_bound.map_or("none".to_string(), |v| format!("{v}")));
    dl("Gap", plan.gap.map_or("—".to_string(), |g| format!("{:.4}%", g * 100.0)));
    dl("Solve time", plan.elapsed_s.map_or("—".to_string(), |s| format!("{s:.2} s")));
    h.push_str("</dl>");
    if !plan.sources.is_empty() {
        h.push_str(r#"<h3 style="font-size:14px;margin:12px 0 4px">Data sources and licences</h3><ul class="sources">"#);
        for s in &plan.sources {
            let _ = write!(h, "<li><b>{}</b> — {}", escape(&s.name), escape(&s.license));
            if !s.note.is_empty() {
                let _ = write!(h, ". {}", escape(&s.note));
            }
            h.push_str("</li>");
        }
        h.push_str("</ul>");
    }
    h.push_str("</section>");
    let _ = write!(
        h,
        "<footer>Generated by hubplan {} from plan.json and plan.geojson. Map: equirectangular projection scaled by cos(latitude); boundaries simplified for display.</footer></main></body></html>\n",
        env!("CARGO_PKG_VERSION")
    );
    h
}

fn notes_html(h: &mut String, notes: &[String]) {
    if notes.is_empty() {
        return;
    }
    h.push_str("<section>");
    for n in notes {
        let _ = write!(h, r#"<div class="note">{}</div>"#, escape(n));
    }
    h.push_str("</section>");
}
