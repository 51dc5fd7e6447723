//! `index.html` of a sweep directory: one self-contained page (inline CSS
//! and SVG, no scripts, nothing fetched) with the cost–coverage chart and the
//! summary table, each row linking to its plan.
//!
//! The chart plots each plan's coverage (linked small-school students, % of
//! all small-school students) against its cost (new hubs plus rooms). Plans
//! that differ only in budget are joined by a line; the cost–coverage
//! frontier (the plans no other plan beats on both cost and coverage) is
//! drawn dashed and marked in the table.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use super::format::{count, km_or_dash, mkzt};
use crate::hub::sweep::{SweepReport, SweepRow};

/// Writes `dir/index.html` for a sweep whose plan directories are in `dir`:
/// rows link to `<name>/report.html` when the plan has one, else to
/// `<name>/plan.json`.
pub fn write_index(dir: &Path, report: &SweepReport, title: &str) -> io::Result<()> {
    let href = |r: &SweepRow| {
        r.figures.as_ref()?;
        let report_html = dir.join(&r.name).join("report.html");
        Some(if report_html.is_file() { format!("{}/report.html", r.name) } else { format!("{}/plan.json", r.name) })
    };
    crate::fsutil::write_atomic(&dir.join("index.html"), render(report, title, &href).as_bytes())
}

/// The page. `href` gives each row's link (`None`: no link).
pub fn render(report: &SweepReport, title: &str, href: &dyn Fn(&SweepRow) -> Option<String>) -> String {
    let frontier = frontier(&report.rows);
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        esc(title),
        esc(title)
    );
    let planned = report.rows.iter().filter(|r| r.figures.is_some()).count();
    let computed = report.input_sets.iter().filter(|s| !s.from_cache).count();
    let _ = writeln!(
        h,
        "<p class=\"meta\">{} scenarios ({} planned{}) · varied: {} · {} input set{}, distances computed {} time{} \
         ({} from cache) · {} threads: {} plans at once × {} solver thread{}</p>",
        report.rows.len(),
        planned,
        if planned < report.rows.len() { format!(", {} failed", report.rows.len() - planned) } else { String::new() },
        if report.keys.is_empty() { "nothing".to_string() } else { esc(&report.keys.join(", ")) },
        report.input_sets.len(),
        plural(report.input_sets.len()),
        computed,
        plural(computed),
        report.input_sets.len() - computed,
        report.threads.total,
        report.threads.parallel_cases,
        report.threads.solver_threads,
        plural(report.threads.solver_threads),
    );
    h.push_str("<h2>Cost and coverage</h2>\n");
    h.push_str(&chart(&report.rows, &frontier));
    h.push_str("<h2>Scenarios</h2>\n");
    h.push_str("<div class=\"wide\">\n");
    h.push_str(&table(report, &frontier, href));
    h.push_str("</div>\n");
    h.push_str(
        "<p class=\"meta\">Coverage: students of linked small schools as a share of all small-school students. \
         Cost: new hubs plus rooms of linked small schools. Gap: how far the plan's objective can be from the best \
         possible, by its lower bound. Each plan's folder holds its report (report.html), plan.json, CSVs and GeoJSON; summary.csv has these \
         rows for spreadsheets.</p>\n</body>\n</html>\n",
    );
    h
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.5em auto;max-width:1200px;\
padding:0 1em;color:#222}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}.meta{color:#555;font-size:.9em}\
table{border-collapse:collapse;font-size:.85em}th,td{border-bottom:1px solid #ddd;padding:.25em .5em;text-align:right}\
th{background:#f3f3f3;position:sticky;top:0}td.l,th.l{text-align:left}tr.failed td{color:#a00}\
tr.front td:first-child{font-weight:bold}.wide{overflow-x:auto}svg{max-width:100%;height:auto}.axis{stroke:#444}.grid{stroke:#e4e4e4}\
svg text{font-size:12px;fill:#333}";

const COLORS: &[&str] = &["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Escapes text for HTML and SVG (element content and quoted attributes).
fn esc(s: &str) -> String {
    super::escape(s)
}

/// Indices of the rows on the cost–coverage frontier: no other plan costs
/// less (or the same) and covers more (or the same), with one strictly better.
fn frontier(rows: &[SweepRow]) -> Vec<bool> {
    let pts: Vec<Option<(f64, f64)>> =
        rows.iter().map(|r| r.figures.as_ref().map(|f| (f.cost_kzt, f.coverage_pct))).collect();
    pts.iter()
        .map(|p| {
            let Some((c, v)) = *p else { return false };
            !pts.iter().flatten().any(|&(c2, v2)| c2 <= c && v2 >= v && (c2 < c || v2 > v))
        })
        .collect()
}

/// About `n` round tick values covering `[lo, hi]`: (first, step, count).
fn ticks(lo: f64, hi: f64, n: usize) -> (f64, f64, usize) {
    let (lo, hi) = if hi - lo < 1e-9 * hi.abs().max(1.0) { (lo - 1.0, hi + 1.0) } else { (lo, hi) };
    let raw = (hi - lo) / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * mag).find(|&s| s >= raw).unwrap_or(10.0 * mag);
    let first = (lo / step).floor() * step;
    let last = (hi / step).ceil() * step;
    (first, step, ((last - first) / step).round() as usize + 1)
}

/// A tick value with as many decimals as the step needs (0.25 → 2).
fn tick_label(v: f64, step: f64) -> String {
    let decimals = (0..=6).find(|&d| (step * 10f64.powi(d)).fract().abs() < 1e-6).unwrap_or(6) as usize;
    format!("{v:.decimals$}")
}

/// The series a row belongs to: its parameters other than the budget.
fn series_key(r: &SweepRow) -> String {
    r.params.iter().filter(|(k, _)| k != "budget.kzt").map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
}

/// The cost–coverage chart as inline SVG.
fn chart(rows: &[SweepRow], frontier: &[bool]) -> String {
    let pts: Vec<(usize, f64, f64)> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.figures.as_ref().map(|f| (i, f.cost_kzt, f.coverage_pct)))
        .collect();
    if pts.is_empty() {
        return "<p>No scenario produced a plan, so there is nothing to chart.</p>\n".into();
    }
    let billions = pts.iter().any(|p| p.1 >= 1e9);
    let unit = if billions { 1e9 } else { 1e6 };
    let (w, ht) = (760.0, 440.0);
    let (ml, mr, mt, mb) = (70.0, 230.0, 20.0, 55.0);
    let (pw, ph) = (w - ml - mr, ht - mt - mb);
    let xs: Vec<f64> = pts.iter().map(|p| p.1 / unit).collect();
    let ys: Vec<f64> = pts.iter().map(|p| p.2).collect();
    let fold = |v: &[f64], f: fn(f64, f64) -> f64, init: f64| v.iter().copied().fold(init, f);
    let (x0, xstep, xn) = ticks(fold(&xs, f64::min, f64::INFINITY), fold(&xs, f64::max, f64::NEG_INFINITY), 6);
    let (y0, ystep, yn) = ticks(fold(&ys, f64::min, f64::INFINITY), fold(&ys, f64::max, f64::NEG_INFINITY), 6);
    let (x1, y1) = (x0 + xstep * (xn - 1) as f64, y0 + ystep * (yn - 1) as f64);
    let sx = |v: f64| ml + (v - x0) / (x1 - x0) * pw;
    let sy = |v: f64| mt + ph - (v - y0) / (y1 - y0) * ph;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {ht}\" width=\"{w}\" height=\"{ht}\" \
         role=\"img\" aria-label=\"coverage against cost\">"
    );
    // Grid, ticks and labels.
    for i in 0..xn {
        let v = x0 + xstep * i as f64;
        let x = sx(v);
        let _ = writeln!(
            s,
            "<line class=\"grid\" x1=\"{x:.1}\" y1=\"{mt}\" x2=\"{x:.1}\" y2=\"{:.1}\"/>\
             <line class=\"axis\" x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            mt + ph,
            mt + ph,
            mt + ph + 5.0,
            mt + ph + 18.0,
            tick_label(v, xstep)
        );
    }
    for i in 0..yn {
        let v = y0 + ystep * i as f64;
        let y = sy(v);
        let _ = writeln!(
            s,
            "<line class=\"grid\" x1=\"{ml}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/>\
             <line class=\"axis\" x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{ml}\" y2=\"{y:.1}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            ml + pw,
            ml - 5.0,
            ml - 8.0,
            y + 4.0,
            tick_label(v, ystep)
        );
    }
    let _ = writeln!(
        s,
        "<line class=\"axis\" x1=\"{ml}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\"/>\
         <line class=\"axis\" x1=\"{ml}\" y1=\"{mt}\" x2=\"{ml}\" y2=\"{:.1}\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">cost, KZT {}</text>\
         <text transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\">coverage, % of small-school students</text>",
        mt + ph,
        ml + pw,
        mt + ph,
        mt + ph,
        ml + pw / 2.0,
        ht - 12.0,
        if billions { "billion" } else { "million" },
        mt + ph / 2.0
    );
    // Series: plans that differ only in budget, joined in cost order.
    let mut series: Vec<(String, Vec<usize>)> = Vec::new();
    for (k, p) in pts.iter().enumerate() {
        let key = series_key(&rows[p.0]);
        match series.iter_mut().find(|(s, _)| *s == key) {
            Some((_, v)) => v.push(k),
            None => series.push((key, vec![k])),
        }
    }
    let legend_x = ml + pw + 20.0;
    let mut legend_y = mt + 10.0;
    for (si, (key, members)) in series.iter().enumerate() {
        let color = COLORS[si % COLORS.len()];
        let mut order = members.clone();
        order.sort_by(|&a, &b| pts[a].1.total_cmp(&pts[b].1).then(pts[a].2.total_cmp(&pts[b].2)));
        if order.len() > 1 {
            let d: Vec<String> = order.iter().map(|&k| format!("{:.1},{:.1}", sx(xs[k]), sy(ys[k]))).collect();
            let _ = writeln!(
                s,
                "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"{}\"/>",
                d.join(" ")
            );
        }
        for &k in &order {
            let r = &rows[pts[k].0];
            let f = r.figures.as_ref().expect("charted rows have figures");
            let _ = writeln!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{}\" fill=\"{color}\"{}><title>#{} {}: cost KZT {} million, \
                 coverage {:.2}% ({} of {} students)</title></circle>\
                 <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                sx(xs[k]),
                sy(ys[k]),
                if frontier[pts[k].0] { 5 } else { 4 },
                if frontier[pts[k].0] { " stroke=\"#000\" stroke-width=\"1.5\"" } else { "" },
                pts[k].0 + 1,
                esc(&r.name),
                mkzt(f.cost_kzt),
                f.coverage_pct,
                f.linked_students,
                f.small_school_students,
                sx(xs[k]) + 7.0,
                sy(ys[k]) - 5.0,
                pts[k].0 + 1
            );
        }
        if series.len() > 1 || !key.is_empty() {
            let label = if key.is_empty() { "all" } else { key.as_str() };
            let _ = writeln!(
                s,
                "<circle cx=\"{legend_x:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{color}\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                legend_y,
                legend_x + 10.0,
                legend_y + 4.0,
                esc(label)
            );
            legend_y += 18.0;
        }
    }
    // The frontier, as a staircase: coverage holds until a costlier plan covers more.
    let mut front: Vec<usize> = (0..pts.len()).filter(|&k| frontier[pts[k].0]).collect();
    front.sort_by(|&a, &b| pts[a].1.total_cmp(&pts[b].1));
    if front.len() > 1 {
        let mut d = format!("M{:.1},{:.1}", sx(xs[front[0]]), sy(ys[front[0]]));
        for w2 in front.windows(2) {
            let _ = write!(d, " H{:.1} V{:.1}", sx(xs[w2[1]]), sy(ys[w2[1]]));
        }
        let _ =
            writeln!(s, "<path d=\"{d}\" fill=\"none\" stroke=\"#000\" stroke-dasharray=\"4 3\" stroke-width=\"1\"/>");
    }
    let _ = writeln!(
        s,
        "<line x1=\"{:.1}\" y1=\"{legend_y:.1}\" x2=\"{:.1}\" y2=\"{legend_y:.1}\" stroke=\"#000\" \
         stroke-dasharray=\"4 3\"/><text x=\"{:.1}\" y=\"{:.1}\">frontier (ringed points)</text>",
        legend_x - 4.0,
        legend_x + 6.0,
        legend_x + 10.0,
        legend_y + 4.0
    );
    s.push_str("</svg>\n");
    s
}

/// The summary table.
fn table(report: &SweepReport, frontier: &[bool], href: &dyn Fn(&SweepRow) -> Option<String>) -> String {
    let mut s = String::from("<table>\n<thead><tr><th>#</th><th class=\"l\">scenario</th>");
    for k in &report.keys {
        let _ = write!(s, "<th class=\"l\">{}</th>", esc(k));
    }
    s.push_str(
        "<th class=\"l\">status</th><th>new hubs</th><th>existing hubs</th><th>cost, MKZT</th><th>budget, MKZT</th>\
         <th>linked schools</th><th>linked students</th><th>coverage, %</th><th>mean km</th><th>max km</th>\
         <th title=\"how much better any plan could be, by the solver's proven bound, in the plan's own unit\">quality gap</th><th>seconds</th><th class=\"l\">frontier</th></tr></thead>\n<tbody>\n",
    );
    for (i, r) in report.rows.iter().enumerate() {
        let class = if r.figures.is_none() {
            " class=\"failed\""
        } else if frontier[i] {
            " class=\"front\""
        } else {
            ""
        };
        let name = match href(r) {
            Some(link) => format!("<a href=\"{}\">{}</a>", esc(&link), esc(&r.name)),
            None => esc(&r.name),
        };
        let _ = write!(s, "<tr{class}><td>{}</td><td class=\"l\">{name}</td>", i + 1);
        for k in &report.keys {
            let v = r.params.iter().find(|(pk, _)| pk == k).map(|(_, v)| v.as_str()).unwrap_or("");
            let _ = write!(s, "<td class=\"l\">{}</td>", esc(v));
        }
        let _ = write!(s, "<td class=\"l\">{}</td>", esc(&r.status));
        match &r.figures {
            Some(f) => {
                let _ = write!(
                    s,
                    "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} / {}</td><td>{} / {}</td><td>{:.1}</td>\
                     <td>{}</td><td>{}</td><td>{}</td>",
                    f.new_hubs,
                    f.existing_hubs,
                    mkzt(f.cost_kzt),
                    f.budget_kzt.map(mkzt).unwrap_or_else(|| "none".into()),
                    f.linked_small_schools,
                    f.small_schools,
                    count(f.linked_students),
                    count(f.small_school_students),
                    f.coverage_pct,
                    km_or_dash(f.mean_link_km),
                    km_or_dash(f.max_link_km),
                    esc(&f.quality.short_gap())
                );
            }
            None => {
                let _ = write!(s, "<td class=\"l\" colspan=\"10\">{}</td>", esc(r.error.as_deref().unwrap_or("")));
            }
        }
        let _ = writeln!(
            s,
            "<td>{:.1}</td><td class=\"l\">{}</td></tr>",
            r.seconds(),
            if frontier[i] { "yes" } else { "" }
        );
    }
    s.push_str("</tbody>\n</table>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::sweep::{RowFigures, ThreadPlan};

    /// A sweep of one run varying `budget.kzt`.
    fn one_row_report(r: SweepRow) -> SweepReport {
        SweepReport {
            rows: vec![r],
            keys: vec!["budget.kzt".into()],
            input_sets: vec![],
            schools_reads: 1,
            schools_s: 0.0,
            threads: ThreadPlan::new(1, 1),
            wall_s: 0.0,
        }
    }

    fn row(name: &str, budget: &str, cost: f64, cov: f64) -> SweepRow {
        SweepRow {
            name: name.into(),
            file: "s.toml".into(),
            params: vec![("budget.kzt".into(), budget.into())],
            status: "optimal".into(),
            figures: Some(RowFigures {
                new_hubs: 1,
                existing_hubs: 0,
                cost_kzt: cost,
                budget_kzt: None,
                small_schools: 10,
                linked_small_schools: 5,
                small_school_students: 1000,
                linked_students: (cov * 10.0) as u64,
                coverage_pct: cov,
                mean_link_km: Some(10.0),
                max_link_km: Some(20.0),
                quality: crate::hub::plan_quality(&crate::hub::quality::QualityInputs {
                    kind: crate::hub::ObjectiveKind::MaxCoverage,
                    // P = 10 per unlinked student, 1 student-km; no bound.
                    objective: 10.0 * (1000 - (cov * 10.0) as u64) as f64 + 1.0,
                    lower_bound: None,
                    optimal: false,
                    penalty_per_student: Some(10.0),
                    small_school_students: 1000,
                    linked_students: (cov * 10.0) as u64,
                    never_linkable_students: 0,
                    student_km: 1.0,
                    years: 10.0,
                    valued_students: None,
                }),
                internal_objective: 10.0 * (1000 - (cov * 10.0) as u64) as f64 + 1.0,
                internal_lower_bound: None,
                internal_gap: None,
            }),
            error: None,
            times: Default::default(),
            write_s: 0.0,
        }
    }

    #[test]
    fn frontier_keeps_only_undominated_plans() {
        let rows = vec![row("a", "1", 1e9, 50.0), row("b", "2", 2e9, 40.0), row("c", "3", 3e9, 70.0)];
        assert_eq!(frontier(&rows), vec![true, false, true]);
    }

    #[test]
    fn ticks_cover_the_range_with_round_steps() {
        for (lo, hi) in [(0.0, 100.0), (83.2, 97.9), (1.2e3, 5.3e3), (5.0, 5.0), (0.001, 0.0042)] {
            let (first, step, n) = ticks(lo, hi, 6);
            assert!(first <= lo && first + step * (n - 1) as f64 >= hi - 1e-9, "{lo} {hi}: {first} {step} {n}");
            assert!((3..=13).contains(&n), "{lo} {hi}: {n}");
            let m = step / 10f64.powf(step.log10().floor());
            assert!([1.0, 2.0, 2.5, 5.0, 10.0].iter().any(|x| (x - m).abs() < 1e-9), "{step}");
        }
    }

    #[test]
    fn tick_labels_show_the_step() {
        assert_eq!(tick_label(4.25, 0.25), "4.25");
        assert_eq!(tick_label(40.0, 10.0), "40");
        assert_eq!(tick_label(0.5, 0.5), "0.5");
    }

    #[test]
    fn text_is_escaped() {
        let mut r = row("x", "1", 1e9, 50.0);
        r.name = "<b>&\"".into();
        let report = one_row_report(r);
        let page = render(&report, "T <script>", &|r| Some(format!("{}/plan.json", r.name)));
        assert!(!page.contains("<b>") && !page.contains("<script>"), "{page}");
        assert!(page.contains("&lt;b&gt;&amp;&quot;/plan.json"));
    }

    #[test]
    fn digits_are_grouped_as_in_the_plan_report() {
        let mut r = row("x", "1", 1e9, 50.0);
        if let Some(f) = r.figures.as_mut() {
            f.small_school_students = 15_970;
        }
        let report = one_row_report(r);
        let page = render(&report, "T", &|_| None);
        assert!(page.contains("15,970") && !page.contains('\u{2009}'), "{page}");
    }

    #[test]
    fn the_table_and_the_csv_give_the_gap_in_the_plans_unit() {
        let mut r = row("x", "1", 1e9, 50.0);
        if let Some(f) = r.figures.as_mut() {
            // A bound proving at least 480 of the 500 unlinked students stay unlinked.
            f.quality = crate::hub::plan_quality(&crate::hub::quality::QualityInputs {
                kind: crate::hub::ObjectiveKind::MaxCoverage,
                objective: 5_001.0,
                lower_bound: Some(4_800.5),
                optimal: false,
                penalty_per_student: Some(10.0),
                small_school_students: 1000,
                linked_students: 500,
                never_linkable_students: 0,
                student_km: 1.0,
                years: 10.0,
                valued_students: None,
            });
            f.internal_lower_bound = Some(4_800.5);
            f.internal_gap = Some((5_001.0 - 4_800.5) / 5_001.0);
        }
        let report = one_row_report(r);
        let page = render(&report, "T", &|_| None);
        assert!(page.contains("quality gap</th>") && page.contains("<td>≤ 20 students (4.00%)</td>"), "{page}");
        let csv = String::from_utf8(crate::report::sweep_summary::summary_csv(&report)).unwrap();
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let row: Vec<&str> = lines.next().unwrap().split(',').collect();
        let col = |name: &str| row[header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("{name}"))];
        assert_eq!(
            (col("quality_measure"), col("quality_value"), col("quality_bound"), col("quality_gap")),
            ("linked_students", "500", "520", "20")
        );
        assert_eq!((col("quality_relative_gap"), col("quality_proven")), ("0.040000", "false"));
        assert_eq!((col("tie_break_student_km"), col("tie_break_bound")), ("1", ""));
        assert_eq!(col("internal_gap"), "0.040092");
    }
}
