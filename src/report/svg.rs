//! Inline SVG for the report: the plan map (equirectangular projection scaled
//! by the cosine of the mean latitude, so kilometres are the same length in x
//! and y at Kazakhstan's latitudes) and the link-distance histogram. Pure
//! string building; no scripts, no external resources.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;

use geo::{BoundingRect, Coord, InteriorPoint, LineString, Simplify};

use super::escape;
use super::plan::{PlanDir, SchoolStatus};
use crate::hub::plan_doc::Reason;

/// Map width in SVG units (the page scales it).
pub const MAP_WIDTH: f64 = 1000.0;
/// Boundary simplification tolerance in SVG units (0.6 units is about 0.1 mm on an A4 page).
pub const SIMPLIFY_UNITS: f64 = 0.6;
const KM_PER_DEG_LAT: f64 = 111.32;
const MARGIN: f64 = 16.0;

/// Existing hubs (navy).
pub const COLOR_EXISTING: &str = "#1f3a68";
/// New hubs (amber).
pub const COLOR_NEW: &str = "#d97706";
/// Linked small schools (teal).
pub const COLOR_LINKED: &str = "#2a8c82";
/// Link lines.
pub const COLOR_LINK: &str = "#5f86ad";
/// Link lines of a mode without visits (online only), drawn dashed.
pub const COLOR_ONLINE: &str = "#8e44ad";
/// The dashes of a link of a mode without visits.
pub const ONLINE_DASH: &str = "6 4";

/// The link modes of a plan without visits (`visits_per_year` = 0 in the
/// plan's scenario): their links are drawn dashed, the visiting ones solid.
pub fn online_modes(doc: &crate::hub::plan_doc::PlanDoc) -> HashSet<String> {
    doc.scenario.links.effective_modes().into_iter().filter(|m| !m.visits()).map(|m| m.name).collect()
}

/// Each mode of a plan's links with its count, in the scenario's order
/// (then any the scenario does not name), and whether it visits.
fn link_modes(doc: &crate::hub::plan_doc::PlanDoc) -> Vec<(String, usize, bool)> {
    let online = online_modes(doc);
    let mut out: Vec<(String, usize, bool)> =
        doc.scenario.links.modes.iter().map(|m| (m.name.clone(), 0, !online.contains(&m.name))).collect();
    for l in &doc.links {
        let Some(name) = &l.mode else { continue };
        match out.iter_mut().find(|m| &m.0 == name) {
            Some(m) => m.1 += 1,
            None => out.push((name.clone(), 1, true)),
        }
    }
    out.retain(|m| m.1 > 0);
    out
}

/// New hubs of a rollout, one colour per year of opening (cycled after six years).
pub const YEAR_COLORS: [&str; 6] = ["#e0a100", "#e8590c", "#c2255c", "#7b2cbf", "#3b5bdb", "#5c940d"];

/// The colour of the new hubs of a rollout's `i`-th year.
pub fn year_color(i: usize) -> &'static str {
    YEAR_COLORS[i % YEAR_COLORS.len()]
}

/// The colour of an unlinked small school, by reason.
pub fn reason_color(r: Reason) -> &'static str {
    match r {
        Reason::NoHubInReach => "#c62828",
        Reason::HubsFull => "#7b3fa0",
        Reason::Budget => "#d63384",
        Reason::DistrictLimit => "#a68a00",
        Reason::NewHubLimit => "#8d5524",
        Reason::NotChosen => "#7f8c8d",
        Reason::NoInternet => "#e67e22",
        Reason::TeacherTime => "#1f7a8c",
    }
}

/// Every reason, in the order the report lists them.
pub const REASONS: [Reason; 8] = [
    Reason::NoHubInReach,
    Reason::NoInternet,
    Reason::TeacherTime,
    Reason::HubsFull,
    Reason::Budget,
    Reason::DistrictLimit,
    Reason::NewHubLimit,
    Reason::NotChosen,
];

/// Plain words for a reason.
pub fn reason_label(r: Reason) -> &'static str {
    match r {
        Reason::NoHubInReach => "no hub within reach",
        Reason::HubsFull => "reachable hubs full",
        Reason::Budget => "over budget",
        Reason::DistrictLimit => "district hub limit",
        Reason::NewHubLimit => "new-hub limit",
        Reason::NotChosen => "not chosen",
        Reason::NoInternet => "no internet",
        Reason::TeacherTime => "no teacher time",
    }
}

/// A number with at most one decimal, without a trailing `.0`.
pub fn n1(v: f64) -> String {
    let s = format!("{v:.1}");
    match s.strip_suffix(".0") {
        Some("-0") => "0".to_string(),
        Some(t) => t.to_string(),
        None if s == "-0.0" => "0".to_string(),
        None => s,
    }
}

/// Equirectangular projection onto the map's SVG units.
#[derive(Debug, Clone, Copy)]
pub struct Projection {
    lon0: f64,
    lat_max: f64,
    cos_lat: f64,
    /// SVG units per degree of latitude.
    scale: f64,
    /// Width of the map, SVG units.
    pub width: f64,
    /// Height of the map, SVG units.
    pub height: f64,
}

impl Projection {
    /// Fits the box `[lon_min, lat_min, lon_max, lat_max]` into [`MAP_WIDTH`]
    /// with a margin; tall regions are capped at 1.15 × the width and centred.
    pub fn fit(bbox: [f64; 4], margin: f64) -> Projection {
        let [mut lon_min, mut lat_min, mut lon_max, mut lat_max] = bbox;
        // A single point or a line still gets a map of about 20 km.
        if lon_max - lon_min < 0.2 {
            let c = (lon_max + lon_min) / 2.0;
            (lon_min, lon_max) = (c - 0.1, c + 0.1);
        }
        if lat_max - lat_min < 0.1 {
            let c = (lat_max + lat_min) / 2.0;
            (lat_min, lat_max) = (c - 0.05, c + 0.05);
        }
        let cos_lat = ((lat_min + lat_max) / 2.0).to_radians().cos().max(0.05);
        let inner = MAP_WIDTH - 2.0 * margin;
        let mut scale = inner / ((lon_max - lon_min) * cos_lat);
        let max_inner_h = 1.15 * MAP_WIDTH - 2.0 * margin;
        if (lat_max - lat_min) * scale > max_inner_h {
            scale = max_inner_h / (lat_max - lat_min);
        }
        let used_w = (lon_max - lon_min) * cos_lat * scale;
        let lon0 = lon_min - (margin + (inner - used_w) / 2.0) / (cos_lat * scale);
        let height = (lat_max - lat_min) * scale + 2.0 * margin;
        Projection { lon0, lat_max: lat_max + margin / scale, cos_lat, scale, width: MAP_WIDTH, height }
    }

    /// `(lon, lat)` → `(x, y)` in SVG units.
    pub fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        ((lon - self.lon0) * self.cos_lat * self.scale, (self.lat_max - lat) * self.scale)
    }

    /// SVG units per kilometre.
    pub fn units_per_km(&self) -> f64 {
        self.scale / KM_PER_DEG_LAT
    }
}

/// A "nice" step (1, 2 or 5 × 10ⁿ) not smaller than `raw`.
pub fn nice_step(raw: f64) -> f64 {
    if raw.is_nan() || raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * p).find(|v| *v >= raw * (1.0 - 1e-12)).unwrap_or(10.0 * p)
}

fn extend(b: &mut [f64; 4], lon: f64, lat: f64) {
    b[0] = b[0].min(lon);
    b[1] = b[1].min(lat);
    b[2] = b[2].max(lon);
    b[3] = b[3].max(lat);
}

/// The map's box: every hub and small school, and the boundaries of the plan's districts.
fn map_bbox(p: &PlanDir) -> [f64; 4] {
    let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for h in &p.doc.hubs {
        extend(&mut b, h.lon, h.lat);
    }
    for s in &p.small_schools {
        extend(&mut b, s.lon, s.lat);
    }
    let names: HashSet<&str> = p.doc.districts.iter().map(|d| d.district.as_str()).collect();
    let no_points = !b[0].is_finite();
    for d in &p.districts {
        if (no_points || names.contains(d.name.as_str()))
            && let Some(r) = d.shape.bounding_rect()
        {
            extend(&mut b, r.min().x, r.min().y);
            extend(&mut b, r.max().x, r.max().y);
        }
    }
    if b[0].is_finite() { b } else { [0.0, 0.0, 1.0, 1.0] }
}

/// Where to put a district name near `at`: there, or just below or above, whichever is clear of hub markers.
fn label_spot(at: (f64, f64), hubs: &[(f64, f64)]) -> (f64, f64) {
    let clear =
        |(x, y): (f64, f64)| hubs.iter().all(|&(hx, hy)| (hx - x).abs() > 40.0 || (hy - (y - 4.0)).abs() > 20.0);
    [(0.0, 0.0), (0.0, 26.0), (0.0, -22.0), (0.0, 40.0), (0.0, -36.0)]
        .into_iter()
        .map(|(dx, dy)| (at.0 + dx, at.1 + dy))
        .find(|&p| clear(p))
        .unwrap_or(at)
}

/// What the map drew (for the page and the tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MapCounts {
    /// Hub markers.
    pub hubs: usize,
    /// Link lines.
    pub links: usize,
    /// Small-school markers.
    pub small_schools: usize,
    /// District outlines.
    pub districts: usize,
}

/// Appends one ring as `M…L…Z`, simplified in map units; rings that collapse at this scale are left out.
fn ring_path(out: &mut String, ring: &LineString<f64>, proj: &Projection) {
    let projected: LineString<f64> = ring
        .coords()
        .map(|c| {
            let (x, y) = proj.xy(c.x, c.y);
            Coord { x, y }
        })
        .collect();
    let simple = projected.simplify(SIMPLIFY_UNITS);
    let Some(r) = simple.bounding_rect() else { return };
    let outside = r.max().x < 0.0 || r.max().y < 0.0 || r.min().x > proj.width || r.min().y > proj.height;
    if simple.0.len() < 4 || (r.width() < 1.0 && r.height() < 1.0) || outside {
        return;
    }
    let mut last = String::new();
    for (i, c) in simple.0.iter().take(simple.0.len() - 1).enumerate() {
        let pt = format!("{} {}", n1(c.x), n1(c.y));
        if pt != last {
            out.push(if i == 0 { 'M' } else { 'L' });
            out.push_str(&pt);
            last = pt;
        }
    }
    out.push('Z');
}

fn school_title(p: &PlanDir, i: usize) -> String {
    let s = &p.small_schools[i];
    let what = match s.status {
        SchoolStatus::Linked(l) => {
            let l = &p.doc.links[l];
            format!("linked to {}, {} km", l.hub_id, n1(l.road_km))
        }
        SchoolStatus::Unlinked(r) => format!("not linked: {}", reason_label(r)),
    };
    format!("{} ({} students): {what}", s.name, s.students)
}

/// The plan map as one `<svg id="map">` with its scale bar and legend.
///
/// Hubs are `circle.hub` (with `existing` or `new`), link lines `line.link`,
/// small schools `circle.school` (with `linked` or `unlinked`), districts
/// `path.district`; the legend uses other classes, so each class counts the
/// plan's own objects.
pub fn plan_map(p: &PlanDir) -> (String, MapCounts) {
    let doc = &p.doc;
    let proj = Projection::fit(map_bbox(p), MARGIN);
    let (w, h) = (proj.width, proj.height);
    let many = p.small_schools.len() > 1200;
    let mut counts = MapCounts::default();
    let mut s = String::with_capacity(256 * 1024);

    // Legend entries first: the band's height depends on how many there are.
    let mut reasons: BTreeMap<usize, (Reason, usize)> = BTreeMap::new();
    for sc in &p.small_schools {
        if let SchoolStatus::Unlinked(r) = sc.status {
            let k = REASONS.iter().position(|x| *x == r).unwrap_or(0);
            reasons.entry(k).or_insert((r, 0)).1 += 1;
        }
    }
    let existing = doc.hubs.iter().filter(|x| x.status == "existing").count();
    let mut items: Vec<(String, String)> = Vec::new();
    let swatch = |fill: &str, r: f64| format!(r##"<circle cx="0" cy="0" r="{r}" fill="{fill}" stroke="#fff"/>"##);
    if existing > 0 {
        items.push((swatch(COLOR_EXISTING, 7.0), format!("existing hub ({existing})")));
    }
    // A rollout: new hubs by the year they open.
    let years: &[i32] = doc.rollout.as_ref().map_or(&[], |r| &r.years);
    let year_index = |y: Option<i32>| y.and_then(|y| years.iter().position(|x| *x == y));
    let new_hubs = doc.hubs.len() - existing;
    let mut undated = new_hubs;
    for (i, y) in years.iter().enumerate() {
        let n = doc.hubs.iter().filter(|x| x.status != "existing" && x.year_opened == Some(*y)).count();
        if n > 0 {
            items.push((swatch(year_color(i), 7.0), format!("new hub {y} ({n})")));
            undated -= n;
        }
    }
    if years.is_empty() || undated > 0 {
        items.push((swatch(COLOR_NEW, 7.0), format!("new hub ({undated})")));
    }
    // With link modes: one entry per mode, visiting solid, online only dashed.
    let modes = link_modes(doc);
    let online = online_modes(doc);
    let is_online = |l: &crate::hub::plan_doc::LinkRow| l.mode.as_ref().is_some_and(|m| online.contains(m));
    if modes.is_empty() {
        items.push((
            format!(r#"<line x1="-9" y1="0" x2="9" y2="0" stroke="{COLOR_LINK}" stroke-width="2"/>"#),
            format!("link to hub ({})", doc.links.len()),
        ));
    }
    for (name, n, visits) in &modes {
        let mark = if *visits {
            format!(r#"<line class="key-link" x1="-9" y1="0" x2="9" y2="0" stroke="{COLOR_LINK}" stroke-width="2"/>"#)
        } else {
            format!(
                r#"<line class="key-link online" x1="-9" y1="0" x2="9" y2="0" stroke="{COLOR_ONLINE}" stroke-width="2" stroke-dasharray="{ONLINE_DASH}"/>"#
            )
        };
        let how = if *visits { "visits" } else { "online only" };
        items.push((mark, format!("{name} link: {how} ({n})")));
    }
    items.push((swatch(COLOR_LINKED, 4.0), format!("linked small school ({})", doc.links.len())));
    for (r, n) in reasons.values() {
        items.push((swatch(reason_color(*r), 4.0), format!("unlinked: {} ({n})", reason_label(*r))));
    }
    let mut legend = String::new();
    let (mut x, mut row) = (MARGIN + 9.0, 0usize);
    for (mark, label) in &items {
        let width = 32.0 + 7.4 * label.chars().count() as f64;
        if x + width > w - MARGIN && x > MARGIN + 9.0 {
            x = MARGIN + 9.0;
            row += 1;
        }
        let y = h + 22.0 + 26.0 * row as f64;
        let _ = write!(
            legend,
            r#"<g transform="translate({} {})">{mark}<text x="14" y="4.5">{}</text></g>"#,
            n1(x),
            n1(y),
            escape(label)
        );
        x += width;
    }
    let legend_h = 26.0 * (row + 1) as f64 + 16.0;

    let _ = write!(
        s,
        r#"<svg id="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" aria-label="Map of hubs, small schools and links">"#,
        n1(w),
        n1(h + legend_h)
    );
    let (school_r, link_w) = if many { (2.0, 0.6) } else { (3.2, 1.0) };
    let _ = write!(
        s,
        "<style>\
         .district{{fill:#f2efe8;stroke:#b2aa9c;stroke-width:0.7;stroke-linejoin:round}}\
         .dlabel{{font-size:13px;fill:#6b6358;text-anchor:middle;letter-spacing:.03em;paint-order:stroke;stroke:#f7f5f0;stroke-width:3px;stroke-linejoin:round;stroke-opacity:.85}}\
         .link{{stroke:{COLOR_LINK};stroke-width:{link_w};stroke-opacity:.8}}\
         .link.approx{{stroke-dasharray:4 3}}\
         .link.online{{stroke:{COLOR_ONLINE};stroke-dasharray:{ONLINE_DASH}}}\
         .school{{stroke:#fff;stroke-width:.5}}\
         .hub{{stroke:#fff;stroke-width:1.4}}.hub.existing{{fill:{COLOR_EXISTING}}}.hub.new{{fill:{COLOR_NEW}}}\
         .key text,.scale text{{font-size:14px;fill:#374151}}\
         "
    );
    for (i, y) in years.iter().enumerate() {
        let _ = write!(s, ".hub.new.y{y}{{fill:{}}}", year_color(i));
    }
    // With link modes dashes mean online lessons: visiting links stay solid
    // even when their distances are approximate (the page says so above the map).
    if !modes.is_empty() {
        s.push_str(".link.visits{stroke-dasharray:none}");
    }
    s.push_str("</style>");
    let _ = write!(s, r##"<rect width="{}" height="{}" fill="#f7f9fb"/>"##, n1(w), n1(h));

    // District boundaries.
    let hub_xy: Vec<(f64, f64)> = doc.hubs.iter().map(|x| proj.xy(x.lon, x.lat)).collect();
    s.push_str(r#"<g id="districts">"#);
    let mut labels = String::new();
    let label_districts = p.districts.len() <= 40;
    for d in &p.districts {
        let mut path = String::new();
        for poly in &d.shape.0 {
            ring_path(&mut path, poly.exterior(), &proj);
            for hole in poly.interiors() {
                ring_path(&mut path, hole, &proj);
            }
        }
        if path.is_empty() {
            continue;
        }
        counts.districts += 1;
        let _ = write!(s, r#"<path class="district" d="{path}"><title>{}</title></path>"#, escape(&d.name));
        if label_districts && let Some(pt) = d.shape.interior_point() {
            let (x, y) = label_spot(proj.xy(pt.x(), pt.y()), &hub_xy);
            let _ = write!(labels, r#"<text class="dlabel" x="{}" y="{}">{}</text>"#, n1(x), n1(y), escape(&d.name));
        }
    }
    s.push_str("</g>");

    // Links: straight lines from each small school to its hub.
    let hub_at: std::collections::HashMap<&str, (f64, f64)> =
        doc.hubs.iter().map(|x| (x.school_id.as_str(), proj.xy(x.lon, x.lat))).collect();
    s.push_str(r#"<g id="links">"#);
    for sc in &p.small_schools {
        let SchoolStatus::Linked(i) = sc.status else { continue };
        let l = &doc.links[i];
        let Some(&(hx, hy)) = hub_at.get(l.hub_id.as_str()) else { continue };
        let (x, y) = proj.xy(sc.lon, sc.lat);
        let class = match (is_online(l), l.approx, modes.is_empty()) {
            (true, _, _) => "link online",
            (false, true, true) => "link approx",
            (false, false, true) => "link",
            (false, true, false) => "link visits approx",
            (false, false, false) => "link visits",
        };
        let _ = write!(s, r#"<line class="{class}" x1="{}" y1="{}" x2="{}" y2="{}"/>"#, n1(x), n1(y), n1(hx), n1(hy));
        counts.links += 1;
    }
    s.push_str("</g>");

    // Small schools: linked first, unlinked on top.
    s.push_str(r#"<g id="small-schools">"#);
    let mut order: Vec<usize> = (0..p.small_schools.len()).collect();
    order.sort_by_key(|&i| matches!(p.small_schools[i].status, SchoolStatus::Unlinked(_)));
    for i in order {
        let sc = &p.small_schools[i];
        let (x, y) = proj.xy(sc.lon, sc.lat);
        let (class, fill) = match sc.status {
            SchoolStatus::Linked(_) => ("school linked".to_string(), COLOR_LINKED),
            SchoolStatus::Unlinked(r) => (format!("school unlinked {}", r.as_str()), reason_color(r)),
        };
        let _ = write!(
            s,
            r#"<circle class="{class}" fill="{fill}" cx="{}" cy="{}" r="{school_r}"><title>{}</title></circle>"#,
            n1(x),
            n1(y),
            escape(&school_title(p, i))
        );
        counts.small_schools += 1;
    }
    s.push_str("</g>");

    // Hubs: area grows with linked students; the largest drawn first so small ones stay visible.
    let max_students = doc.hubs.iter().map(|x| x.linked_students).max().unwrap_or(0).max(1) as f64;
    // Many hubs on a country map: smaller markers, so neighbours stay apart.
    let (r0, r1) = if many || doc.hubs.len() > 30 { (2.0, 4.5) } else { (5.5, 10.0) };
    let mut order: Vec<usize> = (0..doc.hubs.len()).collect();
    order.sort_by(|&a, &b| doc.hubs[b].linked_students.cmp(&doc.hubs[a].linked_students).then(a.cmp(&b)));
    s.push_str(r#"<g id="hubs">"#);
    for i in order {
        let hub = &doc.hubs[i];
        let (x, y) = proj.xy(hub.lon, hub.lat);
        let r = r0 + r1 * (hub.linked_students as f64 / max_students).sqrt();
        let (class, opens) = match (hub.status.as_str(), year_index(hub.year_opened)) {
            ("existing", _) => ("hub existing".to_string(), String::new()),
            (_, Some(i)) => (format!("hub new y{}", years[i]), format!(", opens {}", years[i])),
            _ => ("hub new".to_string(), String::new()),
        };
        let _ = write!(
            s,
            r#"<circle class="{class}" cx="{}" cy="{}" r="{}"><title>{} ({}), {} hub{opens}: {} small schools, {} students</title></circle>"#,
            n1(x),
            n1(y),
            n1(r),
            escape(&hub.name),
            escape(&hub.district),
            escape(&hub.status),
            hub.linked_small_schools,
            hub.linked_students
        );
        counts.hubs += 1;
    }
    s.push_str("</g>");
    // District names on top, with a halo.
    let _ = write!(s, r#"<g id="district-labels">{labels}</g>"#);

    // Scale bar, bottom left, about a sixth of the map's width.
    let upk = proj.units_per_km();
    let km = nice_step(MAP_WIDTH / 6.0 / upk);
    let len = km * upk;
    let (sx, sy) = (MARGIN + 6.0, h - MARGIN - 4.0);
    let _ = write!(
        s,
        r##"<g class="scale" id="scale-bar"><rect x="{}" y="{}" width="{}" height="30" fill="#fff" fill-opacity=".85"/><rect x="{sx}" y="{}" width="{}" height="5" fill="#374151"/><rect x="{}" y="{}" width="{}" height="5" fill="#fff" stroke="#374151" stroke-width=".8"/><text x="{sx}" y="{}">0</text><text x="{}" y="{}" text-anchor="end">{} km</text></g>"##,
        n1(sx - 6.0),
        n1(sy - 22.0),
        n1(len + 12.0),
        n1(sy - 5.0),
        n1(len / 2.0),
        n1(sx + len / 2.0),
        n1(sy - 5.0),
        n1(len / 2.0),
        n1(sy - 9.0),
        n1(sx + len),
        n1(sy - 9.0),
        n1(km)
    );

    // Legend band under the map.
    let _ = write!(
        s,
        r##"<g class="key" id="legend"><rect y="{}" width="{}" height="{}" fill="#fff"/>{legend}</g></svg>"##,
        n1(h),
        n1(w),
        n1(legend_h)
    );
    (s, counts)
}

/// A histogram of link road distances as `<svg id="histogram">`, with the
/// link limit and the mean marked; each bar is a `rect.bar`.
pub fn histogram(values_km: &[f64], limit_km: Option<f64>) -> String {
    let (w, h) = (560.0, 250.0);
    let (left, right, top, bottom) = (44.0, 12.0, 18.0, 42.0);
    let mut s = format!(
        r#"<svg id="histogram" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" aria-label="Links by road distance"><style>.ax{{font-size:12px;fill:#4b5563}}.bar{{fill:{COLOR_LINK}}}.grid{{stroke:#e5e7eb}}</style>"#
    );
    if values_km.is_empty() {
        let _ =
            write!(s, r#"<text class="ax" x="{}" y="{}" text-anchor="middle">no links</text></svg>"#, w / 2.0, h / 2.0);
        return s;
    }
    let max_v = values_km.iter().copied().fold(0.0, f64::max);
    let top_km = limit_km.filter(|l| *l >= max_v && *l < 3.0 * max_v + 1.0).unwrap_or(max_v).max(1.0);
    let step = nice_step(top_km / 12.0);
    let bins = ((top_km / step).ceil() as usize).max(1);
    let mut counts = vec![0usize; bins];
    for &v in values_km {
        counts[((v / step).floor().max(0.0) as usize).min(bins - 1)] += 1;
    }
    let cmax = counts.iter().copied().max().unwrap_or(1) as f64;
    let ystep = nice_step(cmax / 4.0).max(1.0);
    let ytop = (cmax / ystep).ceil() * ystep;
    let (pw, ph) = (w - left - right, h - top - bottom);
    let xkm = |km: f64| left + km / (bins as f64 * step) * pw;
    let ycount = |c: f64| top + ph - c / ytop * ph;
    let mut y = 0.0;
    while y <= ytop + 1e-9 {
        let _ = write!(
            s,
            r#"<line class="grid" x1="{left}" x2="{}" y1="{yy}" y2="{yy}"/><text class="ax" x="{}" y="{}" text-anchor="end">{y}</text>"#,
            n1(w - right),
            n1(left - 6.0),
            n1(ycount(y) + 4.0),
            yy = n1(ycount(y))
        );
        y += ystep;
    }
    let bw = pw / bins as f64;
    for (i, &c) in counts.iter().enumerate() {
        let _ = write!(
            s,
            r#"<rect class="bar" x="{}" y="{}" width="{}" height="{}"><title>{}–{} km: {c} links</title></rect>"#,
            n1(xkm(i as f64 * step) + 1.0),
            n1(ycount(c as f64)),
            n1((bw - 2.0).max(1.0)),
            n1(top + ph - ycount(c as f64)),
            i as f64 * step,
            (i + 1) as f64 * step
        );
    }
    let every = bins.div_ceil(8);
    for i in (0..=bins).step_by(every) {
        let km = i as f64 * step;
        let _ = write!(
            s,
            r#"<text class="ax" x="{}" y="{}" text-anchor="middle">{km}</text>"#,
            n1(xkm(km)),
            n1(top + ph + 16.0)
        );
    }
    let mean = values_km.iter().sum::<f64>() / values_km.len() as f64;
    let _ = write!(
        s,
        r##"<line x1="{x}" x2="{x}" y1="{top}" y2="{}" stroke="#1f3a68" stroke-width="1.5"/><text class="ax" x="{}" y="{}" fill="#1f3a68">mean {} km</text>"##,
        n1(top + ph),
        n1(xkm(mean) + 4.0),
        n1(top - 5.0),
        n1(mean),
        x = n1(xkm(mean))
    );
    if let Some(l) = limit_km.filter(|l| *l <= bins as f64 * step) {
        let _ = write!(
            s,
            r##"<line x1="{x}" x2="{x}" y1="{top}" y2="{}" stroke="#b91c1c" stroke-dasharray="5 3" stroke-width="1.5"/><text class="ax" x="{}" y="{}" text-anchor="end" fill="#b91c1c">limit {} km</text>"##,
            n1(top + ph),
            n1(xkm(l) - 4.0),
            n1(top - 5.0),
            n1(l),
            x = n1(xkm(l))
        );
    }
    let _ = write!(
        s,
        r##"<line x1="{left}" x2="{}" y1="{b}" y2="{b}" stroke="#4b5563"/><text class="ax" x="{}" y="{}" text-anchor="middle">road distance from small school to its hub, km</text></svg>"##,
        n1(w - right),
        n1(left + pw / 2.0),
        n1(h - 6.0),
        b = n1(top + ph)
    );
    s
}

/// One bar of a [`grouped_bars`] chart: segments stacked from the axis up
/// (value, colour, what it is), and the label written above it.
#[derive(Debug, Clone)]
pub struct Bar {
    /// The stacked segments, bottom first: (value, fill colour, what it is, shown as its tooltip).
    pub segments: Vec<(f64, &'static str, String)>,
    /// The text written above the bar.
    pub label: String,
}

/// Bars side by side under one x-axis label (e.g. a year).
#[derive(Debug, Clone)]
pub struct BarGroup {
    /// The x-axis label under the group (e.g. a year).
    pub label: String,
    /// Its bars, left to right.
    pub bars: Vec<Bar>,
}

/// A grouped (and optionally stacked) bar chart as `<svg id="{id}">`: a
/// legend on top, the y-axis with grid lines labelled by `tick` and titled
/// `y_title`, each group's label under it. Each bar is a `g.bar` of
/// `rect.seg` segments with a `<title>`.
pub fn grouped_bars(
    id: &str,
    aria: &str,
    y_title: &str,
    groups: &[BarGroup],
    legend: &[(&str, String)],
    tick: &dyn Fn(f64) -> String,
) -> String {
    let (w, h) = (560.0, 270.0);
    let (left, right, top, bottom) = (72.0, 12.0, 44.0, 30.0);
    let mut s = format!(
        r#"<svg id="{}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" aria-label="{}"><style>.ax{{font-size:12px;fill:#4b5563}}.val{{font-size:11px;fill:#1f2933}}.grid{{stroke:#e5e7eb}}</style>"#,
        escape(id),
        escape(aria)
    );
    // Legend, left to right on the first line.
    let mut x = left;
    for (color, label) in legend {
        let _ = write!(
            s,
            r#"<rect x="{}" y="6" width="12" height="12" fill="{color}"/><text class="ax" x="{}" y="16.5">{}</text>"#,
            n1(x),
            n1(x + 17.0),
            escape(label)
        );
        x += 30.0 + 6.6 * label.chars().count() as f64;
    }
    if groups.is_empty() {
        let _ =
            write!(s, r#"<text class="ax" x="{}" y="{}" text-anchor="middle">no years</text></svg>"#, w / 2.0, h / 2.0);
        return s;
    }
    let vmax = groups
        .iter()
        .flat_map(|g| &g.bars)
        .map(|b| b.segments.iter().map(|x| x.0.max(0.0)).sum::<f64>())
        .fold(0.0, f64::max);
    let ystep = nice_step(vmax.max(1.0) / 4.0);
    let ytop = ((vmax / ystep).ceil() * ystep).max(ystep);
    let (pw, ph) = (w - left - right, h - top - bottom);
    let yv = |v: f64| top + ph - v / ytop * ph;
    let mut v = 0.0;
    while v <= ytop + 1e-9 * ytop {
        let _ = write!(
            s,
            r#"<line class="grid" x1="{left}" x2="{}" y1="{yy}" y2="{yy}"/><text class="ax" x="{}" y="{}" text-anchor="end">{}</text>"#,
            n1(w - right),
            n1(left - 6.0),
            n1(yv(v) + 4.0),
            escape(&tick(v)),
            yy = n1(yv(v))
        );
        v += ystep;
    }
    let _ = write!(
        s,
        r#"<text class="ax" transform="translate(13 {}) rotate(-90)" text-anchor="middle">{}</text>"#,
        n1(top + ph / 2.0),
        escape(y_title)
    );
    let gw = pw / groups.len() as f64;
    for (gi, g) in groups.iter().enumerate() {
        let inner = gw * 0.7;
        let nb = g.bars.len().max(1) as f64;
        let bw = ((inner - 4.0 * (nb - 1.0)) / nb).min(70.0);
        let used = bw * nb + 4.0 * (nb - 1.0);
        let x0 = left + gw * gi as f64 + (gw - used) / 2.0;
        for (bi, b) in g.bars.iter().enumerate() {
            let bx = x0 + bi as f64 * (bw + 4.0);
            let _ = write!(s, r#"<g class="bar">"#);
            let mut base = 0.0;
            for (value, color, what) in &b.segments {
                let value = value.max(0.0);
                let _ = write!(
                    s,
                    r#"<rect class="seg" x="{}" y="{}" width="{}" height="{}" fill="{color}"><title>{}</title></rect>"#,
                    n1(bx),
                    n1(yv(base + value)),
                    n1(bw),
                    n1(yv(base) - yv(base + value)),
                    escape(what)
                );
                base += value;
            }
            let _ = write!(
                s,
                r#"<text class="val" x="{}" y="{}" text-anchor="middle">{}</text></g>"#,
                n1(bx + bw / 2.0),
                n1(yv(base) - 4.0),
                escape(&b.label)
            );
        }
        let _ = write!(
            s,
            r#"<text class="ax" x="{}" y="{}" text-anchor="middle">{}</text>"#,
            n1(left + gw * (gi as f64 + 0.5)),
            n1(top + ph + 18.0),
            escape(&g.label)
        );
    }
    let _ = write!(
        s,
        r##"<line x1="{left}" x2="{}" y1="{b}" y2="{b}" stroke="#4b5563"/></svg>"##,
        n1(w - right),
        b = n1(top + ph)
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps_and_numbers() {
        assert_eq!(nice_step(7.0), 10.0);
        assert_eq!(nice_step(1.5), 2.0);
        assert_eq!(nice_step(30.0), 50.0);
        assert_eq!(nice_step(200.0), 200.0);
        assert_eq!(nice_step(0.0), 1.0);
        assert_eq!(n1(3.04), "3");
        assert_eq!(n1(-0.01), "0");
        assert_eq!(n1(12.26), "12.3");
    }

    #[test]
    fn projection_keeps_kilometres_isotropic() {
        // At 50°N a degree of longitude is cos(50°) of a degree of latitude.
        let p = Projection::fit([56.0, 49.0, 60.0, 51.0], 0.0);
        let (x0, y0) = p.xy(57.0, 50.0);
        let (x1, _) = p.xy(58.0, 50.0);
        let (_, y1) = p.xy(57.0, 49.0);
        let ratio = (x1 - x0) / (y1 - y0);
        assert!((ratio - 50f64.to_radians().cos()).abs() < 1e-9, "{ratio}");
        assert!((p.units_per_km() * KM_PER_DEG_LAT - (y1 - y0)).abs() < 1e-9);
        // The box fills the width and starts at the top.
        let (xa, ya) = p.xy(56.0, 51.0);
        let (xb, yb) = p.xy(60.0, 49.0);
        assert!(xa.abs() < 1e-9 && ya.abs() < 1e-9 && (xb - MAP_WIDTH).abs() < 1e-9, "{xa} {ya} {xb}");
        assert!((yb - p.height).abs() < 1e-9);
    }

    #[test]
    fn tall_regions_are_capped_and_centred() {
        let p = Projection::fit([60.0, 40.0, 60.5, 50.0], 10.0);
        assert!(p.height <= 1.15 * MAP_WIDTH + 1e-9, "{}", p.height);
        let (x0, _) = p.xy(60.0, 45.0);
        let (x1, _) = p.xy(60.5, 45.0);
        assert!(((x0 + x1) / 2.0 - MAP_WIDTH / 2.0).abs() < 1e-6, "{x0} {x1}");
    }

    #[test]
    fn histogram_puts_every_link_in_a_bar() {
        let values = [1.0, 2.0, 55.0, 99.9, 100.0, 0.0];
        let svg = histogram(&values, Some(100.0));
        let bars = svg.matches(r#"<rect class="bar""#).count();
        assert!(bars >= 5, "{bars}");
        let total: usize = svg
            .match_indices(" links</title>")
            .map(|(i, _)| svg[..i].rsplit(": ").next().unwrap().parse::<usize>().unwrap())
            .sum();
        assert_eq!(total, values.len());
        assert!(svg.contains("limit 100 km"));
        roxmltree::Document::parse(&svg).expect("well-formed SVG");
    }

    #[test]
    fn simplified_rings_are_small_and_closed() {
        // A circle of 20,000 vertices, 50 km across, at map scale.
        let proj = Projection::fit([56.0, 49.0, 60.0, 51.0], 0.0);
        let ring: LineString<f64> = (0..=20_000)
            .map(|i| {
                let a = i as f64 / 20_000.0 * std::f64::consts::TAU;
                Coord { x: 58.0 + 0.35 * a.cos(), y: 50.0 + 0.22 * a.sin() }
            })
            .collect();
        let mut d = String::new();
        ring_path(&mut d, &ring, &proj);
        assert!(d.starts_with('M') && d.ends_with('Z'), "{d}");
        assert!(d.len() < 2_000, "{} bytes", d.len());
        assert!(d.matches('L').count() >= 12, "{d}");
        // A ring far outside the map is left out.
        let far: LineString<f64> = ring.coords().map(|c| Coord { x: c.x + 20.0, y: c.y }).collect();
        let mut d = String::new();
        ring_path(&mut d, &far, &proj);
        assert!(d.is_empty(), "{d}");
    }

    #[test]
    fn grouped_bars_stack_segments_and_escape_labels() {
        let groups: Vec<BarGroup> = [2025, 2026]
            .iter()
            .map(|y| BarGroup {
                label: y.to_string(),
                bars: vec![
                    Bar {
                        segments: vec![(300.0, COLOR_EXISTING, "hubs".into()), (100.0, COLOR_LINK, "rooms".into())],
                        label: "400".into(),
                    },
                    Bar { segments: vec![(500.0, "#cbd5e1", "available <all>".into())], label: "500".into() },
                ],
            })
            .collect();
        let svg = grouped_bars("chart", "A & B", "KZT", &groups, &[(COLOR_EXISTING, "hubs & rooms".into())], &|v| {
            format!("{v}")
        });
        roxmltree::Document::parse(&svg).expect("well-formed SVG");
        assert_eq!(svg.matches(r#"<g class="bar">"#).count(), 4);
        assert_eq!(svg.matches(r#"<rect class="seg""#).count(), 6);
        assert!(
            svg.contains(">2026</text>") && svg.contains("available &lt;all&gt;") && svg.contains("hubs &amp; rooms")
        );
        // The tallest bar (500) reaches the top grid line or stays under it.
        assert!(svg.contains(">500</text>"), "{svg}");
    }
}
