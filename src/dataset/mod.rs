//! Real-place datasets and synthetic regions.
//!
//! No open list of schools and no open road layer exist for Kazakhstan, so
//! the datasets here are **derived**: schools are placed at real settlements
//! (OpenStreetMap places joined to the official KATO classifier), their
//! student numbers are estimated and calibrated to published totals, and
//! roads are a proxy network over the settlements. Every file says so.
//!
//! - [`raw`]: readers for the raw open-data files.
//! - [`names`]: settlement-name normalisation for joining KATO to OSM.
//! - [`districts`]: district polygons, kinds, names, point-in-polygon.
//! - [`settlements`]: which places get schools, urban/rural, centres.
//! - [`schools`]: school placement, calibrated students, hub candidates.
//! - [`internet`]: the seeded `internet` column, calibrated to a published share.
//! - [`roads`]: proxy road network (RNG + MST, classes, curvature).
//! - [`project`]: Lambert conformal conic projection.
//! - [`output`]: byte-for-byte reproducible CSV and GeoJSON writers.
//! - [`build`]: `hubplan dataset build`, the Aktobe and Kazakhstan datasets.
//! - [`generate`]: `hubplan generate region`, synthetic regions at any size.

pub mod build;
pub mod districts;
pub mod generate;
pub mod internet;
pub mod names;
pub mod output;
pub mod project;
pub mod raw;
mod readme;
pub mod roads;
pub mod schools;
pub mod settlements;

/// Attribution for OpenStreetMap-derived data (ODbL 1.0, share-alike).
pub const OSM_ATTRIBUTION: &str = "© OpenStreetMap contributors, https://www.openstreetmap.org/copyright (ODbL 1.0)";
/// Attribution for the boundary polygons (CC BY 4.0).
pub const BOUNDARIES_ATTRIBUTION: &str = "Rodionov, A. geokz: Offers Various Kazakhstani Maps as Data Frames and 'sf' Objects, R package 1.0.2, https://github.com/arodionoff/geokz/ (CC BY 4.0); upstream OCHA / HDX COD-AB Kazakhstan (cod-ab-kaz)";
/// Attribution for GeoNames (CC BY 4.0).
pub const GEONAMES_ATTRIBUTION: &str = "GeoNames (www.geonames.org), CC BY 4.0";
/// Credit for the official classifier.
pub const KATO_ATTRIBUTION: &str =
    "Bureau of National Statistics of the Republic of Kazakhstan, KATO classifier (17.10.2022)";
