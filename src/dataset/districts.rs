//! Districts: second-level boundary polygons with a unique display name, a
//! kind, and a point-in-polygon index.

use std::collections::{BTreeMap, HashMap};

use geo::{BoundingRect, Closest, ClosestPoint, Contains, Distance, Haversine, MultiPolygon, Point};
use rstar::{AABB, RTree, RTreeObject};

use super::raw::{Boundary, KatoEntry};

/// What kind of second-level unit a district is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DistrictKind {
    /// A rural district (raion / аудан).
    Raion,
    /// A city of regional significance with the land it administers (Г.А.).
    CityAdmin,
    /// An urban district of Astana, Almaty or Shymkent.
    CityDistrict,
}

impl DistrictKind {
    /// The value of the `kind` property in `districts.geojson`.
    pub fn as_str(self) -> &'static str {
        match self {
            DistrictKind::Raion => "raion",
            DistrictKind::CityAdmin => "city_admin",
            DistrictKind::CityDistrict => "city_district",
        }
    }
}

/// Units whose 2024 KATO code is not in the 2022 classifier edition: their
/// kind is set here from the official names (new raions of 2022, city
/// administrations of Alatau (2024) and Satpaev).
const KIND_OVERRIDES: &[(&str, DistrictKind)] = &[
    ("101010000", DistrictKind::Raion),     // Zhanasemey raion (Abai region)
    ("104500000", DistrictKind::Raion),     // Makanshy raion (Abai region)
    ("191800000", DistrictKind::CityAdmin), // Alatau city (Almaty region)
    ("622010000", DistrictKind::CityAdmin), // Satpaev city (Ulytau region)
];

/// Regions that are cities of republican significance: Astana, Almaty, Shymkent.
const CITY_REGIONS: &[&str] = &["KZ71", "KZ75", "KZ79"];

/// One district, ready to use.
#[derive(Debug, Clone, PartialEq)]
pub struct District {
    /// Unique display name, the `district` column of `schools.csv`: the
    /// English name; ` city` is appended for a city administration; a name
    /// used twice in the country gets its region in brackets.
    pub name: String,
    /// 9-digit KATO code of the unit; districts are sorted by it.
    pub kato: String,
    /// OCHA P-code of the unit (`KZ…`).
    pub pcode: String,
    /// English name from the boundaries file.
    pub name_en: String,
    /// Russian name.
    pub name_ru: String,
    /// Kazakh name.
    pub name_kk: String,
    /// OCHA P-code of the region (oblast) it lies in.
    pub region_pcode: String,
    /// Region name without the ` (city)` suffix.
    pub region: String,
    /// Raion, city administration or city district.
    pub kind: DistrictKind,
    /// Boundary polygons, `[lon, lat]` WGS84 degrees.
    pub geometry: MultiPolygon<f64>,
}

/// Builds districts from the boundaries, typing each unit from the KATO
/// classifier (`… район` raion, `… Г.А.` city administration) and naming it.
pub fn districts_from(boundaries: &[Boundary], kato: &[KatoEntry]) -> Vec<District> {
    let kato_names: HashMap<&str, &str> =
        kato.iter().filter(|k| k.is_district()).map(|k| (k.code.as_str(), k.name.as_str())).collect();
    let mut name_count: HashMap<&str, usize> = HashMap::new();
    for b in boundaries {
        *name_count.entry(b.name_en.as_str()).or_default() += 1;
    }
    let mut out: Vec<District> = boundaries
        .iter()
        .map(|b| {
            let kind = if CITY_REGIONS.contains(&b.region_pcode.as_str()) {
                DistrictKind::CityDistrict
            } else if let Some((_, k)) = KIND_OVERRIDES.iter().find(|(c, _)| *c == b.kato) {
                *k
            } else if kato_names.get(b.kato.as_str()).is_some_and(|n| n.contains("Г.А.") || n.contains("г.а.")) {
                DistrictKind::CityAdmin
            } else {
                DistrictKind::Raion
            };
            let region = b.region_en.trim_end_matches(" (city)").to_string();
            let mut name = b.name_en.clone();
            if kind == DistrictKind::CityAdmin {
                name.push_str(" city");
            }
            if name_count[b.name_en.as_str()] > 1 {
                name = format!("{name} ({region})");
            }
            District {
                name,
                kato: b.kato.clone(),
                pcode: b.pcode.clone(),
                name_en: b.name_en.clone(),
                name_ru: b.name_ru.clone(),
                name_kk: b.name_kk.clone(),
                region_pcode: b.region_pcode.clone(),
                region,
                kind,
                geometry: b.geometry.clone(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.kato.cmp(&b.kato));
    out
}

struct Env {
    idx: usize,
    env: AABB<[f64; 2]>,
}

impl RTreeObject for Env {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.env
    }
}

/// Where a point fell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Located {
    /// Inside this district's polygon.
    Inside(usize),
    /// Outside every polygon, within the tolerance of this district (km away).
    Near(usize, f64),
    /// Farther than the tolerance from every district.
    Outside,
}

impl Located {
    /// The district a point is assigned to (inside or near); `None` when outside.
    pub fn district(self) -> Option<usize> {
        match self {
            Located::Inside(d) | Located::Near(d, _) => Some(d),
            Located::Outside => None,
        }
    }
}

/// Point-in-polygon lookup over district polygons, with an R-tree of their bounding boxes.
pub struct DistrictIndex<'a> {
    districts: &'a [District],
    tree: RTree<Env>,
}

impl<'a> DistrictIndex<'a> {
    /// Indexes the districts' bounding boxes.
    pub fn new(districts: &'a [District]) -> Self {
        let envs = districts
            .iter()
            .enumerate()
            .filter_map(|(idx, d)| {
                let r = d.geometry.bounding_rect()?;
                Some(Env { idx, env: AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]) })
            })
            .collect();
        DistrictIndex { districts, tree: RTree::bulk_load(envs) }
    }

    /// The district containing (`lon`, `lat`); else the nearest one within
    /// `tolerance_km` (the polygons are generalised, so places on a coast or a
    /// border can fall just outside); ties go to the lowest index.
    pub fn locate(&self, lon: f64, lat: f64, tolerance_km: f64) -> Located {
        let p = Point::new(lon, lat);
        let mut inside: Vec<usize> = self
            .tree
            .locate_in_envelope_intersecting(&AABB::from_point([lon, lat]))
            .map(|e| e.idx)
            .filter(|&i| self.districts[i].geometry.contains(&p))
            .collect();
        inside.sort_unstable();
        if let Some(&i) = inside.first() {
            return Located::Inside(i);
        }
        // About 1 degree of latitude is 111 km; longitude degrees are shorter, so this box is generous.
        let pad = tolerance_km / 60.0;
        let search = AABB::from_corners([lon - pad, lat - pad], [lon + pad, lat + pad]);
        let mut best: Option<(f64, usize)> = None;
        let mut near: Vec<usize> = self.tree.locate_in_envelope_intersecting(&search).map(|e| e.idx).collect();
        near.sort_unstable();
        for i in near {
            let km = match self.districts[i].geometry.closest_point(&p) {
                Closest::Intersection(_) => 0.0,
                Closest::SinglePoint(q) => Haversine.distance(p, q) / 1000.0,
                Closest::Indeterminate => continue,
            };
            if km <= tolerance_km && best.is_none_or(|(b, _)| km < b) {
                best = Some((km, i));
            }
        }
        match best {
            Some((km, i)) => Located::Near(i, km),
            None => Located::Outside,
        }
    }

    /// Whether a point lies inside any district (no tolerance).
    pub fn covers(&self, lon: f64, lat: f64) -> bool {
        let p = Point::new(lon, lat);
        self.tree
            .locate_in_envelope_intersecting(&AABB::from_point([lon, lat]))
            .any(|e| self.districts[e.idx].geometry.contains(&p))
    }
}

/// District names by KATO code, for messages and tables.
pub fn names_by_kato(districts: &[District]) -> BTreeMap<&str, &str> {
    districts.iter().map(|d| (d.kato.as_str(), d.name.as_str())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn boundary(kato: &str, name: &str, region: &str, x0: f64) -> Boundary {
        Boundary {
            kato: kato.into(),
            pcode: format!("KZ{}", &kato[..6]),
            name_en: name.into(),
            name_ru: String::new(),
            name_kk: String::new(),
            region_pcode: region.into(),
            region_en: "Aktobe".into(),
            geometry: MultiPolygon(vec![
                polygon![(x: x0, y: 50.0), (x: x0 + 1.0, y: 50.0), (x: x0 + 1.0, y: 51.0), (x: x0, y: 51.0)],
            ]),
        }
    }

    #[test]
    fn kinds_names_and_lookup() {
        let b = vec![
            boundary("153200000", "Alga", "KZ15", 57.0),
            boundary("151000000", "Aktobe", "KZ15", 58.0),
            boundary("751110000", "Alga", "KZ75", 60.0),
        ];
        let kato = vec![
            KatoEntry { code: "151000000".into(), name: "Актобе Г.А.".into() },
            KatoEntry { code: "153200000".into(), name: "Алгинский район".into() },
        ];
        let d = districts_from(&b, &kato);
        let names: Vec<&str> = d.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["Aktobe city", "Alga (Aktobe)", "Alga (Aktobe)"]);
        assert_eq!(d[0].kind, DistrictKind::CityAdmin);
        assert_eq!(d[1].kind, DistrictKind::Raion);
        assert_eq!(d[2].kind, DistrictKind::CityDistrict);
        let idx = DistrictIndex::new(&d);
        assert_eq!(idx.locate(57.5, 50.5, 10.0), Located::Inside(1));
        match idx.locate(56.95, 50.5, 10.0) {
            Located::Near(1, km) => assert!(km > 3.0 && km < 4.0, "{km}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(idx.locate(50.0, 50.5, 10.0), Located::Outside);
        assert!(idx.covers(58.5, 50.5) && !idx.covers(59.5, 50.5));
    }
}
