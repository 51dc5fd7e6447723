//! The sparse distance table: one row per (school, hub) pair within the link
//! radius, with road km and driving minutes from the hub to the school.

use std::io::{self, Write};

use super::graph::RoadSummary;
use super::options::DistanceOptions;

/// Dense index of a school: its position in the slice given to
/// [`distance_table`](super::distance_table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct SchoolIdx(pub u32);

impl SchoolIdx {
    /// The school at position `i` of the schools.
    ///
    /// # Panics
    /// When `i` does not fit in 32 bits.
    pub fn new(i: usize) -> Self {
        SchoolIdx(u32::try_from(i).expect("school index beyond u32"))
    }

    /// Its position in the schools.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One allowed link: `school` can be served from `hub`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Link {
    /// The school served.
    pub school: SchoolIdx,
    /// The hub serving it.
    pub hub: SchoolIdx,
    /// Distance from the hub to the school, km (access legs included).
    pub road_km: f64,
    /// Driving time from the hub to the school, minutes.
    pub minutes: f64,
    /// True when the distance is the straight-line fallback, not a road distance.
    pub approx: bool,
}

/// Why a school has no link to any hub but itself.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum UnlinkedReason {
    /// The nearest road is farther than the snap limit (`road_km` is infinite
    /// when there is no road at all).
    FarFromRoad {
        /// Distance to the nearest road, km.
        road_km: f64,
    },
    /// On a road, but no hub can reach that road at any distance (a separate
    /// component, or cut off by one-way roads).
    CutOff {
        /// Distance from the school to its road, km.
        snap_km: f64,
    },
    /// Reachable, but the nearest hub is beyond the link radius.
    NoHubInRange {
        /// Road distance from the nearest hub, km.
        nearest_km: f64,
        /// Driving time from that hub, minutes.
        nearest_minutes: f64,
    },
}

impl UnlinkedReason {
    /// Stable short name: `far_from_road`, `cut_off`, `no_hub_in_range`.
    pub fn as_str(&self) -> &'static str {
        match self {
            UnlinkedReason::FarFromRoad { .. } => "far_from_road",
            UnlinkedReason::CutOff { .. } => "cut_off",
            UnlinkedReason::NoHubInRange { .. } => "no_hub_in_range",
        }
    }

    /// The distance that explains the reason, km.
    pub fn distance_km(&self) -> f64 {
        match *self {
            UnlinkedReason::FarFromRoad { road_km } => road_km,
            UnlinkedReason::CutOff { snap_km } => snap_km,
            UnlinkedReason::NoHubInRange { nearest_km, .. } => nearest_km,
        }
    }

    /// One sentence for people.
    pub fn describe(&self, opts: &DistanceOptions) -> String {
        match *self {
            UnlinkedReason::FarFromRoad { road_km } if road_km.is_finite() => {
                format!("the nearest road is {road_km:.2} km away, beyond the snap limit of {} km", opts.snap_limit_km)
            }
            UnlinkedReason::FarFromRoad { .. } => "there is no road".into(),
            UnlinkedReason::CutOff { snap_km } => {
                format!("its road ({snap_km:.2} km away) is not connected to any hub's road")
            }
            UnlinkedReason::NoHubInRange { nearest_km, nearest_minutes } => format!(
                "the nearest hub is {nearest_km:.1} km / {nearest_minutes:.0} min away, beyond {}",
                opts.bounds_text()
            ),
        }
    }
}

/// A school left without links, with the reason.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Unlinked {
    /// The school without links.
    pub school: SchoolIdx,
    /// Why it has none.
    #[serde(flatten)]
    pub reason: UnlinkedReason,
}

/// How the distances were obtained.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Method {
    /// Shortest paths on the road graph.
    Road,
    /// No road layer: geodesic distance × `detour_factor`, driven at `speed_kmh`.
    Approx {
        /// Road km per straight-line km.
        detour_factor: f64,
        /// Assumed driving speed, km/h.
        speed_kmh: f64,
    },
}

impl Method {
    /// True for the straight-line fallback.
    pub fn is_approx(&self) -> bool {
        matches!(self, Method::Approx { .. })
    }
}

/// How far schools are from their roads.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct SnapStats {
    /// Schools within the snap limit of a road.
    pub snapped: usize,
    /// Mean distance from a snapped school to its road, km; 0 when none snapped.
    pub mean_access_km: f64,
    /// Largest distance from a snapped school to its road, km.
    pub max_access_km: f64,
}

/// The sparse school → hub table.
///
/// Links are grouped by school (in input order); within a school, nearest hub
/// first by the table's metric, ties by hub index. Every hub has a link to
/// itself at distance 0.
#[derive(Debug, Clone, PartialEq)]
pub struct DistanceTable {
    /// External school ids, indexed by [`SchoolIdx`].
    pub school_ids: Vec<String>,
    /// The schools that served as hubs (sources), in index order.
    pub hubs: Vec<SchoolIdx>,
    pub(crate) links: Vec<Link>,
    /// `links_of(s)` is `links[offsets[s]..offsets[s + 1]]`.
    pub(crate) offsets: Vec<u32>,
    /// Schools without any link except to themselves, in index order.
    pub unlinked: Vec<Unlinked>,
    /// Road shortest paths or the straight-line fallback.
    pub method: Method,
    /// The options the table was computed with.
    pub options: DistanceOptions,
    /// The road layer, when there was one.
    pub road: Option<RoadSummary>,
    /// How far schools are from their roads; `None` without roads.
    pub snap: Option<SnapStats>,
}

impl DistanceTable {
    /// Builds a table from links in any order (sorted here).
    pub(crate) fn new(
        school_ids: Vec<String>,
        hubs: Vec<SchoolIdx>,
        mut links: Vec<Link>,
        unlinked: Vec<Unlinked>,
        method: Method,
        options: DistanceOptions,
    ) -> Self {
        let minutes = options.metric == super::options::Metric::Minutes;
        links.sort_unstable_by(|x, y| {
            let (kx, ky) = if minutes { (x.minutes, y.minutes) } else { (x.road_km, y.road_km) };
            x.school.cmp(&y.school).then(kx.total_cmp(&ky)).then(x.hub.cmp(&y.hub))
        });
        let offsets = offsets_of(&links, school_ids.len());
        DistanceTable { school_ids, hubs, links, offsets, unlinked, method, options, road: None, snap: None }
    }

    /// All links, grouped by school.
    pub fn links(&self) -> &[Link] {
        &self.links
    }

    /// The links of one school, nearest hub first.
    pub fn links_of(&self, school: SchoolIdx) -> &[Link] {
        let s = school.0 as usize;
        &self.links[self.offsets[s] as usize..self.offsets[s + 1] as usize]
    }

    /// The link from `hub` to `school`, if within the radius.
    pub fn get(&self, school: SchoolIdx, hub: SchoolIdx) -> Option<&Link> {
        self.links_of(school).iter().find(|l| l.hub == hub)
    }

    /// True when the distances are the straight-line fallback.
    pub fn is_approx(&self) -> bool {
        self.method.is_approx()
    }

    /// The external id of a school.
    pub fn id(&self, s: SchoolIdx) -> &str {
        &self.school_ids[s.0 as usize]
    }

    /// Writes `school_id,hub_id,road_km,minutes` (km to the metre, minutes to
    /// 1/100). Whether the numbers are road distances or the approximate
    /// fallback is said by [`DistanceTable::method`], not in the CSV, so the
    /// columns stay the same for every method.
    ///
    /// # Errors
    ///
    /// Writing to `w` fails.
    pub fn write_csv<W: Write>(&self, w: W) -> io::Result<()> {
        let mut w = io::BufWriter::new(w);
        writeln!(w, "school_id,hub_id,road_km,minutes")?;
        for l in &self.links {
            writeln!(
                w,
                "{},{},{:.3},{:.2}",
                csv_field(self.id(l.school)),
                csv_field(self.id(l.hub)),
                l.road_km,
                l.minutes
            )?;
        }
        w.flush()
    }

    /// Writes `school_id,reason,distance_km,explanation` for unlinked schools.
    ///
    /// # Errors
    ///
    /// Writing to `w` fails.
    pub fn write_unlinked_csv<W: Write>(&self, w: W) -> io::Result<()> {
        let mut w = io::BufWriter::new(w);
        writeln!(w, "school_id,reason,distance_km,explanation")?;
        for u in &self.unlinked {
            let d = u.reason.distance_km();
            let d = if d.is_finite() { format!("{d:.3}") } else { String::new() };
            writeln!(
                w,
                "{},{},{},{}",
                csv_field(self.id(u.school)),
                u.reason.as_str(),
                d,
                csv_field(&u.reason.describe(&self.options))
            )?;
        }
        w.flush()
    }
}

pub(crate) fn offsets_of(links: &[Link], schools: usize) -> Vec<u32> {
    let mut offsets = vec![0u32; schools + 1];
    for l in links {
        offsets[l.school.0 as usize + 1] += 1;
    }
    for i in 0..schools {
        offsets[i + 1] += offsets[i];
    }
    offsets
}

/// Quotes a CSV field when it needs it.
fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        std::borrow::Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}
