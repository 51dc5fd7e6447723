//! What a distance table is computed from: school points and options.

use crate::io::schools::{HubStatus, SchoolRow};

/// A school as the distance code sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct SchoolPoint {
    /// School id, as in the schools file.
    pub id: String,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// `Existing` and `Candidate` schools are hubs (sources of the searches).
    pub hub: HubStatus,
}

impl SchoolPoint {
    /// True for `existing` and `candidate` schools.
    pub fn is_hub(&self) -> bool {
        matches!(self.hub, HubStatus::Existing | HubStatus::Candidate)
    }
    /// `[lon, lat]`.
    pub fn coord(&self) -> [f64; 2] {
        [self.lon, self.lat]
    }
}

impl From<&SchoolRow> for SchoolPoint {
    /// A row without a `hub` value is not a hub.
    fn from(r: &SchoolRow) -> Self {
        SchoolPoint { id: r.id.clone(), lon: r.lon, lat: r.lat, hub: r.hub.unwrap_or(HubStatus::No) }
    }
}

/// The metric shortest paths minimise; the other is measured along the chosen route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Shortest road distance.
    Km,
    /// Fastest route.
    Minutes,
}

impl Metric {
    /// The name used on the command line and in files (`km`, `minutes`).
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Km => "km",
            Metric::Minutes => "minutes",
        }
    }
}

/// Options of a distance table. `threads` does not change the result.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DistanceOptions {
    /// What the routes minimise.
    pub metric: Metric,
    /// Link radius in road km (a link longer than this is left out).
    pub max_km: Option<f64>,
    /// Link radius in driving minutes.
    pub max_minutes: Option<f64>,
    /// A school farther than this from every road is reported, not linked.
    pub snap_limit_km: f64,
    /// Speed on the straight-line access leg from a school to its road, km/h.
    pub access_speed_kmh: f64,
    /// Without roads: road km = geodesic km × this.
    pub detour_factor: f64,
    /// Without roads: driving speed for the minutes, km/h.
    pub fallback_speed_kmh: f64,
    /// Worker threads; 0 = one per core.
    pub threads: usize,
}

impl Default for DistanceOptions {
    fn default() -> Self {
        DistanceOptions {
            metric: Metric::Km,
            max_km: Some(120.0),
            max_minutes: None,
            snap_limit_km: 5.0,
            access_speed_kmh: 20.0,
            detour_factor: 1.3,
            fallback_speed_kmh: 50.0,
            threads: 0,
        }
    }
}

impl DistanceOptions {
    /// Every option problem, as sentences naming the option.
    ///
    /// # Errors
    ///
    /// All problems in one message, joined by `; `: no link radius, a radius
    /// or speed that is not positive, a negative snap limit, a detour factor
    /// below 1.
    pub fn validate(&self) -> Result<(), OptionProblems> {
        let mut bad = Vec::new();
        let positive = |option: &'static str, value: f64, bad: &mut Vec<OptionProblem>| {
            if !(value.is_finite() && value > 0.0) {
                bad.push(OptionProblem::NotPositive { option, value });
            }
        };
        if self.max_km.is_none() && self.max_minutes.is_none() {
            bad.push(OptionProblem::NoRadius);
        }
        if let Some(v) = self.max_km {
            positive("max_km", v, &mut bad);
        }
        if let Some(v) = self.max_minutes {
            positive("max_minutes", v, &mut bad);
        }
        if !(self.snap_limit_km.is_finite() && self.snap_limit_km >= 0.0) {
            bad.push(OptionProblem::Negative { option: "snap_limit_km", value: self.snap_limit_km });
        }
        positive("access_speed_kmh", self.access_speed_kmh, &mut bad);
        positive("fallback_speed_kmh", self.fallback_speed_kmh, &mut bad);
        if !(self.detour_factor.is_finite() && self.detour_factor >= 1.0) {
            bad.push(OptionProblem::DetourBelowOne { value: self.detour_factor });
        }
        if bad.is_empty() { Ok(()) } else { Err(OptionProblems(bad)) }
    }

    /// Whether a `[km, minutes]` pair lies within the radius.
    #[inline]
    pub fn within(&self, km: f64, minutes: f64) -> bool {
        self.max_km.is_none_or(|m| km <= m) && self.max_minutes.is_none_or(|m| minutes <= m)
    }

    /// The radius as text, e.g. `120 km` or `120 km and 90 min`.
    pub fn bounds_text(&self) -> String {
        match (self.max_km, self.max_minutes) {
            (Some(k), Some(m)) => format!("{k} km and {m} min"),
            (Some(k), None) => format!("{k} km"),
            (None, Some(m)) => format!("{m} min"),
            (None, None) => "no limit".into(),
        }
    }

    /// The bound on the primary metric a search may stop at without losing a
    /// link: the primary radius, tightened by the other radius through the
    /// fastest (or slowest) speed on the network.
    pub(crate) fn search_bound(&self, speed_range_kmh: (f64, f64)) -> f64 {
        let (slowest, fastest) = speed_range_kmh;
        match self.metric {
            // km ≤ minutes × fastest / 60
            Metric::Km => {
                let by_time = self.max_minutes.map(|m| m * fastest / 60.0);
                min_opt(self.max_km, by_time)
            }
            // minutes ≥ km × 60 / fastest, so the time radius alone bounds the search;
            // a km radius bounds it through the slowest speed: minutes ≤ km × 60 / slowest.
            Metric::Minutes => {
                let by_km = self.max_km.map(|k| k * 60.0 / slowest);
                min_opt(self.max_minutes, by_km)
            }
        }
    }
}

fn min_opt(a: Option<f64>, b: Option<f64>) -> f64 {
    match (a, b) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => f64::INFINITY,
    }
}

/// One distance option out of its range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptionProblem {
    /// Neither `max_km` nor `max_minutes` is given.
    #[error("give a link radius: max_km or max_minutes (or both)")]
    NoRadius,
    /// An option that must be a positive number is not.
    #[error("{option} must be a positive number, got {value}")]
    NotPositive {
        /// The option's name.
        option: &'static str,
        /// The value given.
        value: f64,
    },
    /// An option that must be 0 or more is negative (or not a number).
    #[error("{option} must be 0 or more, got {value}")]
    Negative {
        /// The option's name.
        option: &'static str,
        /// The value given.
        value: f64,
    },
    /// The detour factor is below 1 (a road is never shorter than the straight line).
    #[error("detour_factor must be at least 1, got {value}")]
    DetourBelowOne {
        /// The value given.
        value: f64,
    },
}

/// Every problem found in one set of distance options, printed `; `-separated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", .0.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
pub struct OptionProblems(pub Vec<OptionProblem>);
