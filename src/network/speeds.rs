//! Which roads a car can drive, in which direction, and how fast: the rules
//! shared by the GeoJSON and OpenStreetMap readers.
//!
//! A road's speed is its `maxspeed` when one is given and readable, otherwise
//! the default for its `highway` class below. The defaults are typical rural
//! driving speeds in Kazakhstan (legal limits: 60 km/h in towns, 90 km/h
//! outside, up to 110 km/h on motorways), lowered for link ramps, service
//! roads and unpaved tracks.
//!
//! | `highway` | km/h | | `highway` | km/h |
//! | --- | --- | --- | --- | --- |
//! | motorway | 110 | | motorway_link | 60 |
//! | trunk | 90 | | trunk_link | 50 |
//! | primary | 80 | | primary_link | 50 |
//! | secondary | 70 | | secondary_link | 40 |
//! | tertiary | 60 | | tertiary_link | 35 |
//! | unclassified | 50 | | road | 40 |
//! | residential | 30 | | living_street | 15 |
//! | service | 20 | | track | 25 |
//!
//! Any other `highway` value (footway, path, cycleway, steps, construction,
//! proposed, …) is not a driving road and is skipped, as are ways tagged
//! `area=yes`, `access=no|private` (unless `motor_vehicle` or `motorcar` allows
//! it) and `motor_vehicle|motorcar=no|private`.
//!
//! `oneway`: `yes`, `true`, `1` → only in the drawing direction; `-1`,
//! `reverse` → only against it; `no`, `false`, `0`, `reversible`,
//! `alternating` → both. Without a `oneway` tag, `highway=motorway` and
//! `junction=roundabout|circular` are one-way (OSM's implied oneway).

/// Default speeds by `highway` class, km/h (see the module table).
pub const DEFAULT_SPEEDS_KMH: &[(&str, f64)] = &[
    ("motorway", 110.0),
    ("motorway_link", 60.0),
    ("trunk", 90.0),
    ("trunk_link", 50.0),
    ("primary", 80.0),
    ("primary_link", 50.0),
    ("secondary", 70.0),
    ("secondary_link", 40.0),
    ("tertiary", 60.0),
    ("tertiary_link", 35.0),
    ("unclassified", 50.0),
    ("road", 40.0),
    ("residential", 30.0),
    ("living_street", 15.0),
    ("service", 20.0),
    ("track", 25.0),
];

/// The class assumed for a GeoJSON line without a `highway` property.
pub const CLASS_WHEN_MISSING: &str = "road";

/// Speeds outside this range (km/h) are unreadable values, not speeds.
const SPEED_RANGE_KMH: (f64, f64) = (1.0, 300.0);

/// The default speed of a driving road class, or `None` if the class is not driven.
///
/// ```
/// use hubplan::network::speeds::default_speed_kmh;
/// assert_eq!(default_speed_kmh("primary"), Some(80.0));
/// assert_eq!(default_speed_kmh("footway"), None);
/// ```
pub fn default_speed_kmh(highway: &str) -> Option<f64> {
    DEFAULT_SPEEDS_KMH.iter().find(|(c, _)| *c == highway).map(|(_, v)| *v)
}

/// Which way traffic may travel along a line, relative to its vertex order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Both ways.
    Both,
    /// Only from the first vertex towards the last.
    Forward,
    /// Only from the last vertex towards the first.
    Backward,
}

impl Direction {
    /// Travel from the first vertex towards the last is allowed.
    pub fn forward(self) -> bool {
        matches!(self, Direction::Both | Direction::Forward)
    }
    /// Travel from the last vertex towards the first is allowed.
    pub fn backward(self) -> bool {
        matches!(self, Direction::Both | Direction::Backward)
    }
}

/// Reads an OSM `oneway` value; `None` when the value is not understood.
///
/// ```
/// use hubplan::network::speeds::{parse_oneway, Direction};
/// assert_eq!(parse_oneway("yes"), Some(Direction::Forward));
/// assert_eq!(parse_oneway("-1"), Some(Direction::Backward));
/// assert_eq!(parse_oneway("no"), Some(Direction::Both));
/// assert_eq!(parse_oneway("maybe"), None);
/// ```
pub fn parse_oneway(s: &str) -> Option<Direction> {
    match s.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" | "1" => Some(Direction::Forward),
        "-1" | "reverse" => Some(Direction::Backward),
        "no" | "false" | "0" | "reversible" | "alternating" => Some(Direction::Both),
        _ => None,
    }
}

/// A `maxspeed` value read as km/h.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaxSpeed {
    /// An explicit speed in km/h.
    Kmh(f64),
    /// A value that means "use the class default" (`none`, `signals`, `variable`).
    ClassDefault,
    /// Not understood.
    Unreadable,
}

/// Reads an OSM `maxspeed` value: `60`, `60 km/h`, `40 mph`, `10 knots`,
/// `RU:rural`-style zone codes, `walk`, `none`, or several values separated
/// by `;` (the lowest counts).
///
/// ```
/// use hubplan::network::speeds::{parse_maxspeed, MaxSpeed};
/// assert_eq!(parse_maxspeed("90"), MaxSpeed::Kmh(90.0));
/// assert_eq!(parse_maxspeed("KZ:rural"), MaxSpeed::Kmh(90.0));
/// assert!(matches!(parse_maxspeed("30 mph"), MaxSpeed::Kmh(v) if (v - 48.28).abs() < 0.01));
/// assert_eq!(parse_maxspeed("fast"), MaxSpeed::Unreadable);
/// ```
pub fn parse_maxspeed(s: &str) -> MaxSpeed {
    let s = s.trim().to_ascii_lowercase();
    if s.contains(';') {
        let mut best: Option<f64> = None;
        for part in s.split(';') {
            match parse_maxspeed(part) {
                MaxSpeed::Kmh(v) => best = Some(best.map_or(v, |b: f64| b.min(v))),
                MaxSpeed::ClassDefault => {}
                MaxSpeed::Unreadable => return MaxSpeed::Unreadable,
            }
        }
        return best.map_or(MaxSpeed::ClassDefault, MaxSpeed::Kmh);
    }
    match s.as_str() {
        "none" | "signals" | "variable" | "unposted" | "implicit" => return MaxSpeed::ClassDefault,
        "walk" => return MaxSpeed::Kmh(5.0),
        _ => {}
    }
    if let Some((_, zone)) = s.split_once(':') {
        let kmh = match zone.trim() {
            "urban" => 60.0,
            "rural" => 90.0,
            "motorway" => 110.0,
            "trunk" => 90.0,
            "living_street" => 20.0,
            "school" => 40.0,
            "walk" => 5.0,
            _ => return MaxSpeed::Unreadable,
        };
        return MaxSpeed::Kmh(kmh);
    }
    let (number, factor) = if let Some(n) = s.strip_suffix("mph") {
        (n, 1.609_344)
    } else if let Some(n) = s.strip_suffix("knots") {
        (n, 1.852)
    } else if let Some(n) = s.strip_suffix("km/h").or_else(|| s.strip_suffix("kmh")).or_else(|| s.strip_suffix("kph")) {
        (n, 1.0)
    } else {
        (s.as_str(), 1.0)
    };
    match number.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v * factor >= SPEED_RANGE_KMH.0 && v * factor <= SPEED_RANGE_KMH.1 => {
            MaxSpeed::Kmh(v * factor)
        }
        _ => MaxSpeed::Unreadable,
    }
}

/// The tags of one way (or properties of one GeoJSON feature) that decide
/// whether and how it is driven.
#[derive(Debug, Clone, Copy, Default)]
pub struct WayTags<'a> {
    /// Road class (`primary`, `track`, …); ways without it are not roads.
    pub highway: Option<&'a str>,
    /// Posted speed limit (`60`, `40 mph`, `RU:rural`).
    pub maxspeed: Option<&'a str>,
    /// One-way restriction (`yes`, `-1`, `no`).
    pub oneway: Option<&'a str>,
    /// `roundabout` or `circular` imply one-way.
    pub junction: Option<&'a str>,
    /// General access: `no` or `private` exclude the way unless
    /// `motor_vehicle` or `motorcar` allows it.
    pub access: Option<&'a str>,
    /// Access for motor vehicles: `no` or `private` exclude the way.
    pub motor_vehicle: Option<&'a str>,
    /// Access for cars: `no` or `private` exclude the way.
    pub motorcar: Option<&'a str>,
    /// `yes` marks an area (a square), not a road.
    pub area: Option<&'a str>,
}

impl<'a> WayTags<'a> {
    /// Records `key=value` if the key is one of the tags read here.
    pub fn set(&mut self, key: &str, value: &'a str) {
        match key {
            "highway" => self.highway = Some(value),
            "maxspeed" => self.maxspeed = Some(value),
            "oneway" => self.oneway = Some(value),
            "junction" => self.junction = Some(value),
            "access" => self.access = Some(value),
            "motor_vehicle" => self.motor_vehicle = Some(value),
            "motorcar" => self.motorcar = Some(value),
            "area" => self.area = Some(value),
            _ => {}
        }
    }
}

/// How a driving road is travelled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoadAttrs {
    /// Driving speed, km/h.
    pub speed_kmh: f64,
    /// Allowed travel relative to the way's vertex order.
    pub direction: Direction,
}

/// The outcome of reading a way's tags.
#[derive(Debug, Clone, PartialEq)]
pub enum Classified {
    /// A driving road; `notes` lists tag values that were not understood and
    /// replaced by defaults.
    Road {
        /// Speed and direction.
        attrs: RoadAttrs,
        /// Tag values not understood and replaced by defaults.
        notes: Vec<String>,
    },
    /// Not a road for cars; the reason names the tag.
    NotDriving(String),
}

/// Decides whether a way is driven, at what speed and in which direction.
///
/// `missing_class` is the class assumed when there is no `highway` tag
/// (GeoJSON layers often have none); `None` means such ways are not roads.
pub fn classify(tags: &WayTags<'_>, missing_class: Option<&str>) -> Classified {
    let class = match tags.highway.or(missing_class) {
        Some(c) => c.trim(),
        None => return Classified::NotDriving("no `highway` tag".into()),
    };
    let Some(class_kmh) = default_speed_kmh(class) else {
        return Classified::NotDriving(format!("highway=`{class}` is not a driving road class"));
    };
    if tags.area.is_some_and(|a| a.eq_ignore_ascii_case("yes")) {
        return Classified::NotDriving("area=yes".into());
    }
    let denied = |v: Option<&str>| v.is_some_and(|v| matches!(v.trim(), "no" | "private"));
    let allowed =
        |v: Option<&str>| v.is_some_and(|v| matches!(v.trim(), "yes" | "designated" | "permissive" | "destination"));
    if denied(tags.motor_vehicle) || denied(tags.motorcar) {
        return Classified::NotDriving("motor vehicles not allowed".into());
    }
    if denied(tags.access) && !allowed(tags.motor_vehicle) && !allowed(tags.motorcar) {
        return Classified::NotDriving(format!("access=`{}`", tags.access.unwrap_or_default().trim()));
    }
    let mut notes = Vec::new();
    let speed_kmh = match tags.maxspeed.map(parse_maxspeed) {
        Some(MaxSpeed::Kmh(v)) => v,
        Some(MaxSpeed::ClassDefault) | None => class_kmh,
        Some(MaxSpeed::Unreadable) => {
            notes.push(format!(
                "maxspeed=`{}` is not a speed; the {class} default of {class_kmh} km/h is used",
                tags.maxspeed.unwrap_or_default()
            ));
            class_kmh
        }
    };
    let implied_oneway =
        class == "motorway" || tags.junction.is_some_and(|j| matches!(j.trim(), "roundabout" | "circular"));
    let direction = match tags.oneway {
        Some(v) => match parse_oneway(v) {
            Some(d) => d,
            None => {
                notes.push(format!("oneway=`{v}` is not understood; the road is taken as two-way"));
                Direction::Both
            }
        },
        None if implied_oneway => Direction::Forward,
        None => Direction::Both,
    };
    Classified::Road { attrs: RoadAttrs { speed_kmh, direction }, notes }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags<'a>(pairs: &[(&'a str, &'a str)]) -> WayTags<'a> {
        let mut t = WayTags::default();
        for (k, v) in pairs {
            t.set(k, v);
        }
        t
    }

    fn road(c: Classified) -> RoadAttrs {
        match c {
            Classified::Road { attrs, .. } => attrs,
            other => panic!("expected a road, got {other:?}"),
        }
    }

    #[test]
    fn class_default_and_maxspeed() {
        assert_eq!(road(classify(&tags(&[("highway", "secondary")]), None)).speed_kmh, 70.0);
        assert_eq!(road(classify(&tags(&[("highway", "secondary"), ("maxspeed", "50")]), None)).speed_kmh, 50.0);
        assert_eq!(road(classify(&tags(&[("highway", "track"), ("maxspeed", "none")]), None)).speed_kmh, 25.0);
        assert_eq!(parse_maxspeed("60;90"), MaxSpeed::Kmh(60.0));
        assert_eq!(parse_maxspeed("0"), MaxSpeed::Unreadable);
        assert_eq!(parse_maxspeed("50 km/h"), MaxSpeed::Kmh(50.0));
    }

    #[test]
    fn unreadable_values_fall_back_with_a_note() {
        match classify(&tags(&[("highway", "primary"), ("maxspeed", "fast"), ("oneway", "sometimes")]), None) {
            Classified::Road { attrs, notes } => {
                assert_eq!(attrs.speed_kmh, 80.0);
                assert_eq!(attrs.direction, Direction::Both);
                assert_eq!(notes.len(), 2);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn oneway_rules() {
        let d = |p: &[(&str, &str)]| road(classify(&tags(p), None)).direction;
        assert_eq!(d(&[("highway", "primary"), ("oneway", "true")]), Direction::Forward);
        assert_eq!(d(&[("highway", "primary"), ("oneway", "1")]), Direction::Forward);
        assert_eq!(d(&[("highway", "primary"), ("oneway", "-1")]), Direction::Backward);
        assert_eq!(d(&[("highway", "motorway")]), Direction::Forward);
        assert_eq!(d(&[("highway", "motorway"), ("oneway", "no")]), Direction::Both);
        assert_eq!(d(&[("highway", "tertiary"), ("junction", "roundabout")]), Direction::Forward);
        assert_eq!(d(&[("highway", "tertiary")]), Direction::Both);
    }

    #[test]
    fn non_driving_ways_are_refused() {
        for p in [
            &[("highway", "footway")][..],
            &[("highway", "service"), ("access", "private")],
            &[("highway", "primary"), ("motor_vehicle", "no")],
            &[("highway", "service"), ("area", "yes")],
        ] {
            assert!(matches!(classify(&tags(p), None), Classified::NotDriving(_)), "{p:?}");
        }
        assert!(matches!(classify(&tags(&[]), None), Classified::NotDriving(_)));
        assert_eq!(road(classify(&tags(&[]), Some(CLASS_WHEN_MISSING))).speed_kmh, 40.0);
        let ok = tags(&[("highway", "service"), ("access", "private"), ("motorcar", "yes")]);
        assert!(matches!(classify(&ok, None), Classified::Road { .. }));
    }
}
