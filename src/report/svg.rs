//! SVG drawing for the reports: the plan map (equirectangular projection with
//! cos(latitude) scaling), the link-distance histogram, the budget bar and the
//! sweep's coverage-against-cost chart. Pure string building; no scripts.

use std::collections::HashMap;
use std::fmt::Write;

use geo::{Coord, InteriorPoint, LineString, Polygon, Simplify};

use super::escape;
use super::plan::{DistrictShape, Plan, PlanLayers};

/// Map width in SVG units (the page scales it).
pub const MAP_WIDTH: f64 = 1000.0;
/// Boundary simplification tolerance in SVG units: half a unit is under 0.2 mm on an A4 page.
pub const SIMPLIFY_PX: f64 = 0.5;
const KM_PER_DEG_LAT: f64 = 111.32;

pub const COLOR_EXISTING: &str = "#1f4e79";
pub const COLOR_NEW: &str = "#e8710a";
pub const COLOR_LINKED: &str = "#2e8b57";
pub const COLOR_UNLINKED: &str = "#c62828";
pub const COLOR_LINK: &str = "#5b7fa6";

/// A number with at most one decimal, without a trailing `.0`.
pub fn n1(v: f64) -> String {
    let s = format!("{:.1}", v);
    match s.strip_suffix(".0") {
        Some(t) if t == "-0" => "0".to_string(),
        Some(t) => t.to_string(),
        None => s,
    }
}

/// Equirectangular projection onto the map's SVG units.
#[derive(Debug, Clone, Copy)]
pub struct Projection {
    lon_min: f64,
    lat_max: f64,
    cos_lat: f64,
    /// SVG units per degree of latitude.
    scale: f64,
    pub margin: f64,
    pub width: f64,
    pub height: f64,
}

impl Projection {
    /// Fits the box `[lon_min, lat_min, lon_max, lat_max]` into [`MAP_WIDTH`] with a margin.
    pub fn fit(bbox: [f64; 4], margin: f64) -> Projection {
        let [mut lon_min, mut lat_min, mut lon_max, mut lat_max] = bbox;
        // A single point or a line still gets a map of about 20 km.
        if lon_max - lon_min < 0.2 {
            let c = (lon_max + lon_min) / 2.0;
            lon_min = c - 0.1;
            lon_max = c + 0.1;
        }
        if lat_max - lat_min < 0.1 {
            let c = (lat_max + lat_min) / 2.0;
            lat_min = c - 0.05;
            lat_max = c + 0.05;
        }
        let cos_lat = ((lat_min + lat_max) / 2.0).to_radians().cos().max(0.05);
        let inner = MAP_WIDTH - 2.0 * margin;
        let mut scale = inner / ((lon_max - lon_min) * cos_lat);
        // Tall regions: cap the height at 1.3 × the width.
        let max_inner_h = 1.3 * MAP_WIDTH - 2.0 * margin;
        if (lat_max - lat_min) * scale > max_inner_h {
            scale = max_inner_h / (lat_max - lat_min);
        }
        let used_w = (lon_max - lon_min) * cos_lat * scale;
        // Centre horizontally.
        let lon_min = lon_min - ((inner - used_w) / 2.0) / (cos_lat * scale);
        let height = (lat_max - lat_min) * scale + 2.0 * margin;
        Projection { lon_min, lat_max, cos_lat, scale, margin, width: MAP_WIDTH, height }
    }

    /// `[lon, lat]` → `(x, y)` in SVG units.
    pub fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        (self.margin + (lon - self.lon_min) * self.cos_lat * self.scale, self.margin + (self.lat_max - lat) * self.scale)
    }

    /// SVG units per kilometre.
    pub fn units_per_km(&self) -> f64 {
        self.scale / KM_PER_DEG_LAT
    }
}

/// A "nice" step (1, 2 or 5 × 10ⁿ) not smaller than `raw`.
pub fn nice_step(raw: f64) -> f64 {
    if !(raw > 0.0) || !raw.is_finite() {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * p >= raw {
            return m * p;
        }
    }
    10.0 * p
}

fn extend(b: &mut [f64; 4], lon: f64, lat: f64) {
    b[0] = b[0].min(lon);
    b[1] = b[1].min(lat);
    b[2] = b[2].max(lon);
    b[3] = b[3].max(lat);
}

const EMPTY_BOX: [f64; 4] = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];

/// The map's box: every school and hub, and every district boundary that holds one of the plan's districts.
fn map_bbox(plan: &Plan, layers: &PlanLayers, districts: &[DistrictShape]) -> [f64; 4] {
    let mut b = EMPTY_BOX;
    for h in &plan.hubs {
        extend(&mut b, h.lon, h.lat);
    }
    for s in &layers.small_schools {
        extend(&mut b, s.lon, s.lat);
    }
    let mut names: std::collections::HashSet<&str> = plan.hubs.iter().map(|h| h.district.as_str()).collect();
    names.extend(layers.small_schools.iter().map(|s| s.district.as_str()));
    names.extend(plan.districts.iter().map(|d| d.district.as_str()));
    let no_points = !b[0].is_finite();
    for d in districts {
        if no_points || names.contains(d.name.as_str()) {
            for ring in d.polygons.iter().flatten() {
                for p in ring {
                    extend(&mut b, p[0], p[1]);
                }
            }
        }
    }
    if !b[0].is_finite() { [0.0, 0.0, 1.0, 1.0] } else { b }
}

/// Counts of what the map drew (for the page and the tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct MapCounts {
    pub hubs: usize,
    pub links: usize,
    pub small_schools: usize,
    pub districts: usize,
}

fn ring_path(out: &mut String, ring: &[[f64; 2]], proj: &Projection) {
    let line: LineString<f64> = ring
        .iter()
        .map(|p| {
            let (x, y) = proj.xy(p[0], p[1]);
            Coord { x, y }
        })
        .collect();
    let simple = line.simplify(SIMPLIFY_PX);
    let pts: Vec<&Coord<f64>> = simple.0.iter().collect();
    if pts.len() < 4 {
        return; // collapsed to nothing at this scale
    }
    let mut last = (String::new(), String::new());
    for (i, c) in pts.iter().enumerate() {
        let (x, y) = (n1(c.x), n1(c.y));
        if i > 0 && (x.clone(), y.clone()) == last {
            continue;
        }
        out.push(if i == 0 { 'M' } else { 'L' });
        let _ = write!(out, "{x} {y}");
        last = (x, y);
    }
    out.push('Z');
}

/// The plan map as one `<svg id="map">`, with its legend and scale bar.
pub fn plan_map(plan: &Plan, layers: &PlanLayers, districts: &[DistrictShape]) -> (String, MapCounts) {
    let proj = Projection::fit(map_bbox(plan, layers, districts), 24.0);
    let legend_h = 44.0;
    let (w, h) = (proj.width, proj.height);
    let mut counts = MapCounts::default();
    let mut s = String::with_capacity(256 * 1024);
    let _ = write!(
        s,
        r#"<svg id="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" aria-label="Map of hubs, small schools and links">"#,
        n1(w),
        n1(h + legend_h)
    );
    let many = layers.small_schools.len() > 1500;
    let school_r = if many { 1.6 } else { 2.6 };
    let link_w = if many { 0.4 } else { 0.8 };
    let _ = write!(
        s,
        "<style>.district{{fill:#f4f1e8;stroke:#8c8c8c;stroke-width:0.7;stroke-linejoin:round}}\
         .dlabel{{font-size:11px;fill:#8a8170;text-anchor:middle;font-style:italic}}\
         .link{{stroke:{COLOR_LINK};stroke-width:{link_w};stroke-opacity:0.7;fill:none}}\
         .link.approx{{stroke-dasharray:3 2}}\
         .school{{stroke:#fff;stroke-width:0.4}}.school.linked{{fill:{COLOR_LINKED}}}.school.unlinked{{fill:{COLOR_UNLINKED}}}\
         .hub{{stroke:#fff;stroke-width:1.2;fill-opacity:0.92}}.hub.existing{{fill:{COLOR_EXISTING}}}.hub.new{{fill:{COLOR_NEW}}}\
         .hlabel{{font-size:10px;fill:#222;paint-order:stroke;stroke:#fff;stroke-width:2.5px;stroke-linejoin:round}}\
         .legend{{font-size:12px;fill:#333}}</style>"
    );
    let _ = write!(s, r##"<rect x="0" y="0" width="{}" height="{}" fill="#fbfdff"/>"##, n1(w), n1(h));

    // District boundaries, simplified in map units so the tolerance follows the map's scale.
    s.push_str(r#"<g id="districts">"#);
    let label_districts = districts.len() <= 30;
    let mut labels = String::new();
    for d in districts {
        let mut path = String::new();
        for poly in &d.polygons {
            for ring in poly {
                ring_path(&mut path, ring, &proj);
            }
        }
        if path.is_empty() {
            continue;
        }
        counts.districts += 1;
        let _ = write!(s, r#"<path class="district" d="{path}"><title>{}</title></path>"#, escape(&d.name));
        if label_districts {
            // Label the largest polygon at an interior point.
            let biggest = d.polygons.iter().max_by_key(|p| p.first().map_or(0, |r| r.len()));
            if let Some(outer) = biggest.and_then(|p| p.first()) {
                let poly = Polygon::new(outer.iter().map(|p| Coord { x: p[0], y: p[1] }).collect(), vec![]);
                if let Some(pt) = poly.interior_point() {
                    let (x, y) = proj.xy(pt.x(), pt.y());
                    let _ = write!(labels, r#"<text class="dlabel" x="{}" y="{}">{}</text>"#, n1(x), n1(y), escape(&d.name));
                }
            }
        }
    }
    s.push_str("</g>");
    s.push_str(r#"<g id="district-labels">"#);
    s.push_str(&labels);
    s.push_str("</g>");

    // Links: one per link of plan.json; the geometry from plan.geojson, else a straight line.
    let hub_at: HashMap<&str, (f64, f64)> = plan
        .hubs
        .iter()
        .map(|h| (h.school_id.as_str(), (h.lon, h.lat)))
        .chain(layers.hub_points.iter().map(|(id, p)| (id.as_str(), (p[0], p[1]))))
        .filter(|(_, (lon, lat))| *lon != 0.0 || *lat != 0.0)
        .collect();
    let school_at: HashMap<&str, (f64, f64)> =
        layers.small_schools.iter().map(|s| (s.school_id.as_str(), (s.lon, s.lat))).collect();
    let line_of: HashMap<&str, &Vec<[f64; 2]>> =
        layers.links.iter().map(|l| (l.small_school_id.as_str(), &l.points)).collect();
    s.push_str(r#"<g id="links">"#);
    for l in &plan.links {
        let pts: Vec<[f64; 2]> = match line_of.get(l.small_school_id.as_str()) {
            Some(p) => p.to_vec(),
            None => match (school_at.get(l.small_school_id.as_str()), hub_at.get(l.hub_id.as_str())) {
                (Some(a), Some(b)) => vec![[a.0, a.1], [b.0, b.1]],
                _ => continue,
            },
        };
        let mut d = String::new();
        for (i, p) in pts.iter().enumerate() {
            let (x, y) = proj.xy(p[0], p[1]);
            let _ = write!(d, "{}{} {}", if i == 0 { 'M' } else { 'L' }, n1(x), n1(y));
        }
        let class = if l.approx { "link approx" } else { "link" };
        let _ = write!(s, r#"<path class="{class}" d="{d}"/>"#);
        counts.links += 1;
    }
    s.push_str("</g>");

    // Small schools.
    s.push_str(r#"<g id="small-schools">"#);
    let titled = layers.small_schools.len() <= 2000;
    for sc in &layers.small_schools {
        let (x, y) = proj.xy(sc.lon, sc.lat);
        let class = if sc.linked { "school linked" } else { "school unlinked" };
        let _ = write!(s, r#"<circle class="{class}" cx="{}" cy="{}" r="{school_r}""#, n1(x), n1(y));
        if titled {
            let what = match (&sc.reason, sc.road_km) {
                (Some(r), _) if !sc.linked => format!("unlinked: {r}"),
                (_, Some(km)) => format!("{} km to hub", n1(km)),
                _ => String::new(),
            };
            let _ = write!(s, "><title>{} ({} students) {}</title></circle>", escape(&sc.name), sc.students, escape(&what));
        } else {
            s.push_str("/>");
        }
        counts.small_schools += 1;
    }
    s.push_str("</g>");

    // Hubs, sized by linked students (area ∝ students), largest first so small ones stay visible.
    let max_students = plan.hubs.iter().map(|h| h.linked_students).fold(0.0, f64::max).max(1.0);
    let radius = |st: f64| (if many { 3.0 } else { 4.5 }) + (if many { 6.0 } else { 11.0 }) * (st.max(0.0) / max_students).sqrt();
    let mut order: Vec<usize> = (0..plan.hubs.len()).collect();
    order.sort_by(|&a, &b| plan.hubs[b].linked_students.total_cmp(&plan.hubs[a].linked_students).then(a.cmp(&b)));
    s.push_str(r#"<g id="hubs">"#);
    let mut hub_labels = String::new();
    let label_hubs = plan.hubs.len() <= 40;
    for &i in &order {
        let hub = &plan.hubs[i];
        let Some(&(lon, lat)) = hub_at.get(hub.school_id.as_str()) else { continue };
        let (x, y) = proj.xy(lon, lat);
        let r = radius(hub.linked_students);
        let class = if hub.is_existing() { "hub existing" } else { "hub new" };
        let _ = write!(
            s,
            r#"<circle class="{class}" id="hub-{}" cx="{}" cy="{}" r="{}"><title>{} — {} hub, {} small schools, {} students</title></circle>"#,
            escape(&hub.school_id),
            n1(x),
            n1(y),
            n1(r),
            escape(&hub.name),
            escape(&hub.status),
            hub.linked_small_schools,
            hub.linked_students
        );
        if label_hubs {
            let _ = write!(hub_labels, r#"<text class="hlabel" x="{}" y="{}">{}</text>"#, n1(x + r + 2.0), n1(y + 3.5), escape(&hub.name));
        }
        counts.hubs += 1;
    }
    s.push_str("</g>");
    s.push_str(r#"<g id="hub-labels">"#);
    s.push_str(&hub_labels);
    s.push_str("</g>");

    // Scale bar (bottom left), about a fifth of the map width.
    let upk = proj.units_per_km();
    let km = nice_step(MAP_WIDTH / 5.0 / upk);
    let len = km * upk;
    let (sx, sy) = (proj.margin, h - 10.0);
    let _ = write!(
        s,
        r##"<g id="scale-bar"><rect x="{}" y="{}" width="{}" height="5" fill="#333"/><rect x="{}" y="{}" width="{}" height="5" fill="#fff" stroke="#333" stroke-width="0.8"/><text class="legend" x="{}" y="{}">0</text><text class="legend" x="{}" y="{}" text-anchor="middle">{} km</text></g>"##,
        n1(sx),
        n1(sy - 5.0),
        n1(len / 2.0),
        n1(sx + len / 2.0),
        n1(sy - 5.0),
        n1(len / 2.0),
        n1(sx - 3.0),
        n1(sy - 8.0),
        n1(sx + len),
        n1(sy - 8.0),
        n1(km)
    );

    // Legend band under the map.
    let ly = h + 26.0;
    let _ = write!(s, r##"<g id="legend" class="legend"><rect x="0" y="{}" width="{}" height="{legend_h}" fill="#fff"/>"##, n1(h), n1(w));
    let mut x = 24.0;
    let mut item = |s: &mut String, mark: String, label: &str, width: f64| {
        s.push_str(&mark.replace("{x}", &n1(x)).replace("{cx}", &n1(x + 7.0)));
        let _ = write!(s, r#"<text x="{}" y="{}">{}</text>"#, n1(x + 20.0), n1(ly + 4.0), label);
        x += width;
    };
    item(&mut s, format!(r#"<circle class="hub existing" cx="{{cx}}" cy="{}" r="7"/>"#, n1(ly)), "existing hub", 125.0);
    item(&mut s, format!(r#"<circle class="hub new" cx="{{cx}}" cy="{}" r="7"/>"#, n1(ly)), "new hub (size: linked students)", 245.0);
    item(&mut s, format!(r#"<circle class="school linked" cx="{{cx}}" cy="{}" r="3.5"/>"#, n1(ly)), "linked small school", 165.0);
    item(&mut s, format!(r#"<circle class="school unlinked" cx="{{cx}}" cy="{}" r="3.5"/>"#, n1(ly)), "unlinked small school", 180.0);
    item(
        &mut s,
        format!(r#"<path d="M{{x}} {}l14 0" style="stroke:{COLOR_LINK};stroke-width:1.6"/>"#, n1(ly)),
        "link (to its hub)",
        150.0,
    );
    s.push_str("</g></svg>");
    (s, counts)
}

/// A histogram of link road distances as `<svg id="histogram">`, with the link limit drawn when known.
pub fn histogram(values_km: &[f64], limit_km: Option<f64>) -> String {
    let (w, h) = (520.0, 230.0);
    let (left, right, top, bottom) = (46.0, 14.0, 14.0, 40.0);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg id="histogram" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" aria-label="Links by road distance">"#
    );
    s.push_str("<style>.ax{font-size:11px;fill:#444}.bar{fill:#5b7fa6}.grid{stroke:#e3e3e3;stroke-width:1}</style>");
    if values_km.is_empty() {
        let _ = write!(s, r#"<text class="ax" x="{}" y="{}" text-anchor="middle">no links</text></svg>"#, w / 2.0, h / 2.0);
        return s;
    }
    let max_v = values_km.iter().copied().fold(0.0, f64::max);
    let top_km = limit_km.filter(|l| *l >= max_v && *l < max_v * 3.0 + 1.0).unwrap_or(max_v).max(1.0);
    let step = nice_step(top_km / 14.0);
    let bins = ((top_km / step).ceil() as usize).max(1);
    let mut counts = vec![0usize; bins];
    for &v in values_km {
        counts[((v / step).floor() as usize).min(bins - 1)] += 1;
    }
    let cmax = *counts.iter().max().unwrap_or(&1) as f64;
    let ystep = nice_step(cmax / 4.0);
    let ytop = (cmax / ystep).ceil() * ystep;
    let pw = w - left - right;
    let ph = h - top - bottom;
    let xkm = |km: f64| left + km / (bins as f64 * step) * pw;
    let ycount = |c: f64| top + ph - c / ytop * ph;
    let mut y = 0.0;
    while y <= ytop + 1e-9 {
        let _ = write!(
            s,
            r#"<line class="grid" x1="{left}" x2="{}" y1="{yy}" y2="{yy}"/><text class="ax" x="{}" y="{}" text-anchor="end">{}</text>"#,
            n1(w - right),
            n1(left - 5.0),
            n1(ycount(y) + 4.0),
            y,
            yy = n1(ycount(y))
        );
        y += ystep;
    }
    for (i, &c) in counts.iter().enumerate() {
        let x0 = xkm(i as f64 * step);
        let bw = pw / bins as f64;
        let _ = write!(
            s,
            r#"<rect class="bar" x="{}" y="{}" width="{}" height="{}"><title>{}–{} km: {c} links</title></rect>"#,
            n1(x0 + 1.0),
            n1(ycount(c as f64)),
            n1((bw - 2.0).max(1.0)),
            n1(ph - (ycount(c as f64) - top)),
            i as f64 * step,
            (i + 1) as f64 * step
        );
    }
    let label_every = bins.div_ceil(8);
    for i in (0..=bins).step_by(label_every) {
        let km = i as f64 * step;
        let _ = write!(s, r#"<text class="ax" x="{}" y="{}" text-anchor="middle">{}</text>"#, n1(xkm(km)), n1(top + ph + 15.0), km);
    }
    if let Some(l) = limit_km.filter(|l| *l <= bins as f64 * step) {
        let _ = write!(
            s,
            r##"<line x1="{x}" x2="{x}" y1="{top}" y2="{}" stroke="#c62828" stroke-dasharray="4 3" stroke-width="1.5"/><text class="ax" x="{}" y="{}" text-anchor="end" fill="#c62828">limit {} km</text>"##,
            n1(top + ph),
            n1(xkm(l) - 4.0),
            n1(top + 10.0),
            n1(l),
            x = n1(xkm(l))
        );
    }
    let _ = write!(
        s,
        r#"<line x1="{left}" x2="{}" y1="{b}" y2="{b}" stroke="#444"/><text class="ax" x="{}" y="{}" text-anchor="middle">road distance from small school to hub, km</text></svg>"#,
        n1(w - right),
        n1(left + pw / 2.0),
        n1(h - 6.0),
        b = n1(top + ph)
    );
    s
}

/// The budget bar: what the plan spends against the budget, as `<svg id="budget">`.
pub fn budget_bar(cost_kzt: f64, budget_kzt: Option<f64>) -> String {
    let (w, h) = (520.0, 34.0);
    let mut s = format!(r#"<svg id="budget" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" aria-label="Budget use">"#);
    let Some(budget) = budget_kzt.filter(|b| *b > 0.0) else {
        s.push_str(r##"<text x="0" y="20" font-size="13" fill="#444">no budget limit in this scenario</text></svg>"##);
        return s;
    };
    let share = cost_kzt / budget;
    let fill = if share > 1.0 + 1e-9 { COLOR_UNLINKED } else { COLOR_EXISTING };
    let _ = write!(
        s,
        r##"<rect x="0" y="4" width="{w}" height="18" rx="3" fill="#e8edf3"/><rect x="0" y="4" width="{}" height="18" rx="3" fill="{fill}"/><text x="6" y="17.5" font-size="12" fill="#fff">{:.1}% of the budget</text></svg>"##,
        n1((share.min(1.0) * w).max(0.0)),
        share * 100.0
    );
    s
}

/// One point of the sweep chart.
#[derive(Debug, Clone)]
pub struct FrontierPoint {
    pub label: String,
    pub cost_kzt: f64,
    pub coverage: f64,
    pub on_frontier: bool,
}

/// Coverage against cost for a sweep, as `<svg id="frontier">`: every scenario a dot, the
/// non-dominated ones (no other scenario covers more for less) joined by a line.
pub fn frontier_chart(points: &[FrontierPoint], coverage_label: &str) -> String {
    let (w, h) = (760.0, 360.0);
    let (left, right, top, bottom) = (64.0, 20.0, 16.0, 46.0);
    let mut s = format!(
        r#"<svg id="frontier" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" aria-label="Coverage against cost"><style>.ax{{font-size:11px;fill:#444}}.grid{{stroke:#e3e3e3}}.pt{{fill:#1f4e79;fill-opacity:0.55}}.pt.front{{fill:#e8710a;fill-opacity:1}}</style>"#
    );
    if points.is_empty() {
        s.push_str("</svg>");
        return s;
    }
    let xmax = nice_ceil(points.iter().map(|p| p.cost_kzt).fold(0.0, f64::max).max(1.0));
    let ymax = nice_ceil(points.iter().map(|p| p.coverage).fold(0.0, f64::max).max(1.0));
    let (pw, ph) = (w - left - right, h - top - bottom);
    let px = |v: f64| left + v / xmax * pw;
    let py = |v: f64| top + ph - v / ymax * ph;
    for i in 0..=5 {
        let xv = xmax * i as f64 / 5.0;
        let yv = ymax * i as f64 / 5.0;
        let _ = write!(
            s,
            r#"<line class="grid" x1="{}" x2="{}" y1="{top}" y2="{}"/><text class="ax" x="{}" y="{}" text-anchor="middle">{}</text><line class="grid" x1="{left}" x2="{}" y1="{}" y2="{}"/><text class="ax" x="{}" y="{}" text-anchor="end">{}</text>"#,
            n1(px(xv)),
            n1(px(xv)),
            n1(top + ph),
            n1(px(xv)),
            n1(top + ph + 15.0),
            super::kzt(xv),
            n1(w - right),
            n1(py(yv)),
            n1(py(yv)),
            n1(left - 5.0),
            n1(py(yv) + 4.0),
            super::thousands(yv)
        );
    }
    let mut front: Vec<&FrontierPoint> = points.iter().filter(|p| p.on_frontier).collect();
    front.sort_by(|a, b| a.cost_kzt.total_cmp(&b.cost_kzt));
    if front.len() > 1 {
        let d: Vec<String> = front
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{}{} {}", if i == 0 { 'M' } else { 'L' }, n1(px(p.cost_kzt)), n1(py(p.coverage))))
            .collect();
        let _ = write!(s, r##"<path d="{}" fill="none" stroke="#e8710a" stroke-width="2"/>"##, d.join(""));
    }
    for p in points {
        let _ = write!(
            s,
            r#"<circle class="{}" cx="{}" cy="{}" r="5"><title>{}: {} at {} KZT</title></circle>"#,
            if p.on_frontier { "pt front" } else { "pt" },
            n1(px(p.cost_kzt)),
            n1(py(p.coverage)),
            escape(&p.label),
            super::thousands(p.coverage),
            super::kzt(p.cost_kzt)
        );
    }
    let _ = write!(
        s,
        r##"<line x1="{left}" x2="{}" y1="{b}" y2="{b}" stroke="#444"/><line x1="{left}" x2="{left}" y1="{top}" y2="{b}" stroke="#444"/><text class="ax" x="{}" y="{}" text-anchor="middle">cost of the plan, KZT</text><text class="ax" transform="translate(14 {}) rotate(-90)" text-anchor="middle">{}</text></svg>"##,
        n1(w - right),
        n1(left + pw / 2.0),
        n1(h - 8.0),
        n1(top + ph / 2.0),
        escape(coverage_label),
        b = n1(top + ph)
    );
    s
}

fn nice_ceil(v: f64) -> f64 {
    let step = nice_step(v / 5.0);
    (v / step).ceil() * step
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(7.0), 10.0);
        assert_eq!(nice_step(1.5), 2.0);
        assert_eq!(nice_step(30.0), 50.0);
        assert_eq!(nice_step(200.0), 200.0);
        assert_eq!(n1(3.04), "3");
        assert_eq!(n1(-0.01), "0");
        assert_eq!(n1(12.25), "12.2");
    }

    #[test]
    fn projection_keeps_distances_isotropic() {
        // At 50°N a degree of longitude is cos(50°) of a degree of latitude.
        let p = Projection::fit([56.0, 49.0, 60.0, 51.0], 0.0);
        let (x0, y0) = p.xy(57.0, 50.0);
        let (x1, _) = p.xy(58.0, 50.0);
        let (_, y1) = p.xy(57.0, 49.0);
        let ratio = (x1 - x0) / (y1 - y0);
        assert!((ratio - 50f64.to_radians().cos()).abs() < 1e-9, "{ratio}");
        assert!((p.units_per_km() * 111.32 - (y1 - y0)).abs() < 1e-9);
    }

    #[test]
    fn histogram_puts_every_link_in_a_bar() {
        let svg = histogram(&[1.0, 2.0, 55.0, 99.9, 100.0], Some(100.0));
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), 10);
        let total: usize = svg
            .match_indices(" links</title>")
            .map(|(i, _)| svg[..i].rsplit(": ").next().unwrap().parse::<usize>().unwrap())
            .sum();
        assert_eq!(total, 5);
        assert!(svg.contains("limit 100 km"));
    }
}
