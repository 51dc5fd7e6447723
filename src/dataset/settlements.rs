//! Settlements: the real places schools are put in.
//!
//! Rules (the README of each dataset repeats them):
//! - **Which points.** Every OpenStreetMap `place=city|town|village` point;
//!   a `hamlet` or `isolated_dwelling` only when the KATO classifier lists it
//!   as a main settlement (matched by name, below). Unmatched hamlets and
//!   dwellings are farms, livestock points and winter camps.
//! - **District.** Point-in-polygon against the 2024 district polygons; a
//!   point just outside every polygon (they are generalised) goes to the
//!   nearest district within 10 km; farther points are dropped.
//! - **KATO match.** A KATO main settlement (code ending in `x00`, or a city
//!   coded at okrug level) matches an OSM point in the same district whose
//!   name, `name:ru` or `name:kk` has the same normalised form
//!   ([`super::names::normalise`]); when several points match, the largest
//!   place class wins, then the larger population, then the lower OSM id.
//!   When nothing matches in the district (district codes changed between
//!   the 2022 classifier and the 2024 boundaries), a name that is unique among
//!   the region's KATO settlements may match anywhere in the region. Each OSM
//!   point matches at most one KATO entry (the first in code order).
//! - **Urban or rural.** Urban: OSM `place=city`, or a match to a KATO city
//!   (`г.`), or an OSM `town` named like a KATO city of the same region.
//!   Everything else is rural: villages, and district centres that are
//!   villages (e.g. Martuk, Kobda, Karauylkeldy).
//! - **Population.** The OSM `population` tag; else a GeoNames place within
//!   5 km with the same normalised name; else unknown.
//! - **District centre.** A GeoNames seat (`PPLA`, `PPLA2`, `PPLC`) inside the
//!   district matched to a settlement of the district (same name, within
//!   5 km); else the most populous settlement of the district (ties: larger
//!   place class, then lower id).
//! - **Regional centre.** For each regional centre point (geokz, type 1–3),
//!   the settlement within 10 km of largest place class, then nearest.

use std::collections::{BTreeMap, HashMap, HashSet};

use geo::{Distance, Haversine, Point};
use rstar::RTree;
use rstar::primitives::GeomWithData;

use super::districts::{District, DistrictIndex, Located};
use super::names::normalise;
use super::raw::{GeoName, KatoEntry, KatoKind, OsmPlace, Place, RegionCentre};

/// Points this far outside every polygon still go to the nearest district.
pub const DISTRICT_TOLERANCE_KM: f64 = 10.0;
/// A GeoNames place must be this close to lend its population or seat status.
pub const GEONAMES_MATCH_KM: f64 = 5.0;
/// A regional centre point is matched to a settlement this close.
pub const REGION_CENTRE_MATCH_KM: f64 = 10.0;

/// Where a settlement's population figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PopulationSource {
    /// The OSM `population` tag.
    Osm,
    /// A GeoNames place of the same name within [`GEONAMES_MATCH_KM`].
    GeoNames,
    /// Drawn by the region generator.
    Synthetic,
    /// No figure.
    Unknown,
}

/// One settlement that may get schools.
#[derive(Debug, Clone, PartialEq)]
pub struct Settlement {
    /// OSM node id for real places; a running number for generated ones.
    pub id: u64,
    /// Display name (OSM `name`, else `name:ru`, `name:kk`, `name:en`); empty if unnamed.
    pub name: String,
    /// OSM place class.
    pub place: Place,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Inhabitants; `None` when no source gives a figure.
    pub population: Option<u32>,
    /// Where `population` comes from.
    pub population_source: PopulationSource,
    /// A city, a KATO city (`г.`), or a town named as a city of its region.
    pub urban: bool,
    /// Index into the district list the settlements were built with.
    pub district: usize,
    /// The matched KATO code, if any.
    pub kato: Option<String>,
    /// The district's administrative centre.
    pub district_centre: bool,
    /// The region's administrative centre.
    pub regional_centre: bool,
}

/// What [`assemble`] found, for the README.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SettlementReport {
    /// OSM place points read.
    pub osm_points: usize,
    /// Points farther than [`DISTRICT_TOLERANCE_KM`] from every district (dropped).
    pub osm_outside: usize,
    /// Points outside every polygon but within the tolerance (kept, nearest district).
    pub osm_near_border: usize,
    /// Included settlements by place class.
    pub included: BTreeMap<&'static str, usize>,
    /// KATO entries that are main settlements (not sub-settlements such as winter camps).
    pub kato_main: usize,
    /// KATO settlements matched to an OSM point by name.
    pub kato_matched: usize,
    /// Of those, matched within the region rather than the district.
    pub kato_matched_in_region: usize,
    /// Included settlements with an OSM population.
    pub population_osm: usize,
    /// Included settlements with a GeoNames population.
    pub population_geonames: usize,
    /// District centres found as a GeoNames district seat.
    pub centres_from_geonames: usize,
    /// District centres taken as the district's most populous settlement.
    pub centres_by_population: usize,
    /// Regional centres matched to a settlement.
    pub regional_centres: usize,
}

fn place_rank(p: Place) -> u8 {
    p as u8
}

/// Builds the settlement list of the whole country (see the module docs for the rules).
pub fn assemble(
    osm: &[OsmPlace],
    kato: &[KatoEntry],
    geonames: &[GeoName],
    region_centres: &[RegionCentre],
    districts: &[District],
) -> (Vec<Settlement>, SettlementReport) {
    let index = DistrictIndex::new(districts);
    let mut report = SettlementReport { osm_points: osm.len(), ..Default::default() };

    // District of every OSM point.
    let located: Vec<Option<usize>> = osm
        .iter()
        .map(|p| match index.locate(p.lon, p.lat, DISTRICT_TOLERANCE_KM) {
            Located::Inside(d) => Some(d),
            Located::Near(d, _) => {
                report.osm_near_border += 1;
                Some(d)
            }
            Located::Outside => {
                report.osm_outside += 1;
                None
            }
        })
        .collect();

    // KATO main settlements, and name indexes of OSM points by district and by region.
    let main: Vec<&KatoEntry> = kato.iter().filter(|k| k.is_main_settlement()).collect();
    report.kato_main = main.len();
    let mut region_name_count: HashMap<(String, String), usize> = HashMap::new();
    for k in &main {
        *region_name_count.entry((k.code[..2].to_string(), normalise(&k.name))).or_default() += 1;
    }
    let mut by_district: HashMap<(&str, String), Vec<usize>> = HashMap::new();
    let mut by_region: HashMap<(&str, String), Vec<usize>> = HashMap::new();
    for (i, p) in osm.iter().enumerate() {
        let Some(d) = located[i] else { continue };
        let kato_d = districts[d].kato.as_str();
        let names: HashSet<String> = [&p.name, &p.name_ru, &p.name_kk]
            .into_iter()
            .filter(|n| !n.is_empty())
            .map(|n| normalise(n))
            .filter(|n| !n.is_empty())
            .collect();
        for n in names {
            by_district.entry((kato_d, n.clone())).or_default().push(i);
            by_region.entry((&kato_d[..2], n)).or_default().push(i);
        }
    }
    let better = |a: usize, b: usize| {
        let (pa, pb) = (&osm[a], &osm[b]);
        (place_rank(pa.place), std::cmp::Reverse(pa.population.unwrap_or(0)), pa.osm_id)
            < (place_rank(pb.place), std::cmp::Reverse(pb.population.unwrap_or(0)), pb.osm_id)
    };
    let mut matched: HashMap<usize, &KatoEntry> = HashMap::new();
    let mut sorted_main = main.clone();
    sorted_main.sort_by(|a, b| a.code.cmp(&b.code));
    for k in &sorted_main {
        let norm = normalise(&k.name);
        if norm.is_empty() {
            continue;
        }
        let district_code = k.district_code();
        let pick = |cands: Option<&Vec<usize>>, matched: &HashMap<usize, &KatoEntry>| {
            cands.and_then(|c| {
                c.iter().copied().filter(|i| !matched.contains_key(i)).reduce(|a, b| if better(b, a) { b } else { a })
            })
        };
        if let Some(i) = pick(by_district.get(&(district_code.as_str(), norm.clone())), &matched) {
            matched.insert(i, k);
            report.kato_matched += 1;
        } else if region_name_count.get(&(k.code[..2].to_string(), norm.clone())) == Some(&1)
            && let Some(i) = pick(by_region.get(&(&k.code[..2], norm.clone())), &matched)
        {
            matched.insert(i, k);
            report.kato_matched += 1;
            report.kato_matched_in_region += 1;
        }
    }
    // Normalised KATO city names per region, for towns the classifier lists as cities.
    let region_cities: HashSet<(String, String)> = main
        .iter()
        .filter(|k| k.kind() == KatoKind::City)
        .map(|k| (k.code[..2].to_string(), normalise(&k.name)))
        .collect();

    // GeoNames index for populations and district seats.
    let gn_tree: RTree<GeomWithData<[f64; 2], usize>> =
        RTree::bulk_load(geonames.iter().enumerate().map(|(i, g)| GeomWithData::new([g.lon, g.lat], i)).collect());
    let gn_names: Vec<HashSet<String>> =
        geonames.iter().map(|g| g.names().map(normalise).filter(|n| !n.is_empty()).collect()).collect();
    let geonames_near = |lon: f64, lat: f64, names: &HashSet<String>| -> Vec<usize> {
        let p = Point::new(lon, lat);
        let mut hits: Vec<usize> = gn_tree
            .locate_within_distance([lon, lat], 0.1 * 0.1)
            .map(|g| g.data)
            .filter(|&j| {
                Haversine.distance(p, Point::new(geonames[j].lon, geonames[j].lat)) / 1000.0 <= GEONAMES_MATCH_KM
                    && !gn_names[j].is_disjoint(names)
            })
            .collect();
        hits.sort_unstable();
        hits
    };

    let mut out = Vec::new();
    for (i, p) in osm.iter().enumerate() {
        let Some(d) = located[i] else { continue };
        let kato_match = matched.get(&i);
        let included = matches!(p.place, Place::City | Place::Town | Place::Village) || kato_match.is_some();
        if !included {
            continue;
        }
        let norms: HashSet<String> = p.names().map(normalise).filter(|n| !n.is_empty()).collect();
        let region2 = districts[d].kato[..2].to_string();
        let urban = p.place == Place::City
            || kato_match.is_some_and(|k| k.kind() == KatoKind::City)
            || (p.place == Place::Town && norms.iter().any(|n| region_cities.contains(&(region2.clone(), n.clone()))));
        let (population, population_source) = match p.population {
            Some(v) => {
                report.population_osm += 1;
                (Some(v), PopulationSource::Osm)
            }
            None => match geonames_near(p.lon, p.lat, &norms).into_iter().find_map(|j| geonames[j].population) {
                Some(v) => {
                    report.population_geonames += 1;
                    (Some(v), PopulationSource::GeoNames)
                }
                None => (None, PopulationSource::Unknown),
            },
        };
        *report.included.entry(p.place.as_str()).or_default() += 1;
        out.push(Settlement {
            id: p.osm_id,
            name: p.display_name().unwrap_or("").to_string(),
            place: p.place,
            lon: p.lon,
            lat: p.lat,
            population,
            population_source,
            urban,
            district: d,
            kato: kato_match.map(|k| k.code.clone()),
            district_centre: false,
            regional_centre: false,
        });
    }
    out.sort_by_key(|s| (s.district, s.id));

    // District centres.
    let osm_pos: HashMap<u64, usize> = osm.iter().enumerate().map(|(k, p)| (p.osm_id, k)).collect();
    let mut by_d: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, s) in out.iter().enumerate() {
        by_d.entry(s.district).or_default().push(i);
    }
    for (d, members) in &by_d {
        let mut seat: Option<(u32, usize)> = None;
        for &i in members {
            let s = &out[i];
            let osm_norms: HashSet<String> = match osm_pos.get(&s.id) {
                Some(&k) => osm[k].names().map(normalise).collect(),
                None => std::iter::once(normalise(&s.name)).collect(),
            };
            for j in geonames_near(s.lon, s.lat, &osm_norms) {
                let g = &geonames[j];
                if matches!(g.feature_code.as_str(), "PPLA" | "PPLA2" | "PPLC")
                    && index.locate(g.lon, g.lat, DISTRICT_TOLERANCE_KM).district() == Some(*d)
                {
                    let pop = s.population.unwrap_or(0);
                    if seat.is_none_or(|(bp, bi)| {
                        (pop, std::cmp::Reverse(out[i].id)) > (bp, std::cmp::Reverse(out[bi].id))
                    }) {
                        seat = Some((pop, i));
                    }
                }
            }
        }
        let centre = match seat {
            Some((_, i)) => {
                report.centres_from_geonames += 1;
                i
            }
            None => {
                report.centres_by_population += 1;
                *members
                    .iter()
                    .min_by_key(|&&i| {
                        let s = &out[i];
                        (std::cmp::Reverse(s.population.unwrap_or(0)), place_rank(s.place), s.id)
                    })
                    .expect("a district listed here has members")
            }
        };
        out[centre].district_centre = true;
    }

    // Regional centres.
    for c in region_centres.iter().filter(|c| (1..=3).contains(&c.kind)) {
        let p = Point::new(c.lon, c.lat);
        let best = out
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let km = Haversine.distance(p, Point::new(s.lon, s.lat)) / 1000.0;
                (km <= REGION_CENTRE_MATCH_KM).then_some((place_rank(s.place), km, i))
            })
            .min_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        if let Some((_, _, i)) = best {
            out[i].regional_centre = true;
            report.regional_centres += 1;
        }
    }
    (out, report)
}

/// Keeps the districts of one region (by ADM1 P-code) and the settlements in
/// them, renumbering district indices.
pub fn restrict_to_region(
    districts: &[District],
    settlements: &[Settlement],
    region_pcode: &str,
) -> (Vec<District>, Vec<Settlement>) {
    let mut new_index = vec![usize::MAX; districts.len()];
    let mut kept = Vec::new();
    for (i, d) in districts.iter().enumerate() {
        if d.region_pcode == region_pcode {
            new_index[i] = kept.len();
            kept.push(d.clone());
        }
    }
    let s = settlements
        .iter()
        .filter(|s| new_index[s.district] != usize::MAX)
        .map(|s| Settlement { district: new_index[s.district], ..s.clone() })
        .collect();
    (kept, s)
}
