//! The planning model as a facility-location instance.
//!
//! Symbols (as in `models/README.md`): hubs `h` are the existing hubs and
//! the candidates (facilities); small schools `s` are the clients, with
//! demand = students. A link `(s, h)` exists when the road distance
//! `d(h, s)` ≤ `links.max_road_km` (and both lie in one district when
//! `links.within_district`). Capacities: `hubs.capacity_small_schools` is the
//! facility's client-count limit, `hubs.capacity_students` its capacity in
//! students. Existing hubs are fixed open at no cost. The budget charges a
//! new hub its `hub_cost_kzt` and a linked small school its room. District
//! limits are facility groups; `hubs.max_new` is a limit on open facilities
//! (existing ones included, so it is raised by their number).
//!
//! Objectives as costs to minimise:
//! - `max-coverage`: each unlinked student costs `P`, each link
//!   `students × km`, with `P` larger than every plan's total student-km, so
//!   covering one more student always wins (lexicographic order);
//! - `min-distance`: every reachable small school must be linked; links
//!   cost `students × km`;
//! - `min-cost`: every reachable small school must be linked; a hub costs its
//!   equipment, a link its room plus `years × visits × 2 × km × cost_per_km`.
//!
//! Small schools with no hub within reach are left out of the instance and
//! reported as unlinked (`no-hub-in-reach`).

use std::collections::BTreeMap;
use std::fmt;

use super::PlanError;
use super::inputs::School;
use super::scenario::{LinkMode, ObjectiveKind, Reach, Scenario};
use crate::error::ErrorCode;
use crate::io::schools::HubStatus;
use crate::network::{DistanceTable, SchoolIdx};
use crate::problem::{
    Client, ClientIdx, Costs, ExtId, Facility, FacilityIdx, Group, IdxVec, Instance, ModalArcs, ModeOption, Model,
    SparseCosts,
};

/// Why a scenario cannot be planned as written, found before solving.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelProblem {
    /// No small school has a hub candidate within reach.
    NothingLinkable {
        /// Small schools in the data, none of them within reach.
        small_schools: usize,
        /// The link radius, road km (`links.max_road_km`).
        max_km: f64,
        /// Whether links must stay inside a district (`links.within_district`).
        within_district: bool,
    },
    /// A district has fewer hub candidates than `hubs.min_per_district`.
    TooFewCandidates {
        /// The district.
        district: String,
        /// Its existing hubs and hub candidates.
        candidates: usize,
        /// All its schools.
        schools: usize,
        /// Students that make a school without a `hub` value a candidate (`hubs.min_students`).
        min_students: u32,
        /// Hubs each district must have (`hubs.min_per_district`).
        min: usize,
    },
    /// `hubs.min_per_district` needs more new hubs than `hubs.max_new` allows.
    TooFewNewHubs {
        /// New hubs the districts need in all to reach `min` each.
        needed: usize,
        /// Hubs each district must have (`hubs.min_per_district`).
        min: usize,
        /// New hubs allowed in all (`hubs.max_new`).
        max_new: usize,
        /// Each district short of `min` existing hubs, with the new hubs it needs.
        short: Vec<(String, usize)>,
    },
    /// `hubs.force` asks for more than `hubs.max_new` or `budget.kzt` allow.
    ForcedHubs {
        /// What the forced hubs exceed.
        detail: String,
    },
}

impl fmt::Display for ModelProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        match self {
            ModelProblem::NothingLinkable { small_schools, max_km, within_district } => write!(
                f,
                "no small school can be linked: {small_schools} small schools, none within {max_km} km of a hub candidate{}",
                if *within_district { " in its district" } else { "" }
            ),
            ModelProblem::TooFewCandidates { district, candidates, schools, min_students, min } => write!(
                f,
                "district `{district}` has {candidates} hub candidate{} ({schools} school{}; a school is a candidate with `hub` = candidate or existing, or with at least {min_students} students and no `hub` value) but `hubs.min_per_district` = {min}",
                plural(*candidates),
                plural(*schools),
            ),
            ModelProblem::TooFewNewHubs { needed, min, max_new, short } => {
                let listed: Vec<String> = short.iter().take(12).map(|(d, k)| format!("`{d}` needs {k}")).collect();
                write!(
                    f,
                    "the districts need {needed} new hubs to have {min} each, but `hubs.max_new` = {max_new}: {}{}",
                    listed.join(", "),
                    if short.len() > 12 { format!(", … ({} districts in all)", short.len()) } else { String::new() }
                )
            }
            ModelProblem::ForcedHubs { detail } => write!(f, "{detail}"),
        }
    }
}

/// The problems as one sentence list, `; `-separated.
pub(crate) fn join(problems: &[ModelProblem]) -> String {
    problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// One allowed link of a client.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkInfo {
    /// The hub (one of the model's facilities).
    pub facility: FacilityIdx,
    /// Distance from the hub to the small school, road km.
    pub road_km: f64,
    /// Driving time from the hub to the small school, minutes.
    pub minutes: f64,
    /// True when the distance is the straight-line fallback (× detour factor), not a road distance.
    pub approx: bool,
}

/// The instance and how its indices map back to schools.
#[derive(Debug, Clone)]
pub struct HubModel {
    /// The facility-location instance: small schools within reach of a hub are the clients
    /// (demand = students), existing hubs and candidates the facilities.
    pub instance: Instance,
    /// Facility → its school.
    pub facility_school: IdxVec<FacilityIdx, SchoolIdx>,
    /// Client → its school.
    pub client_school: IdxVec<ClientIdx, SchoolIdx>,
    /// Small schools with no hub within reach.
    pub unreachable: Vec<SchoolIdx>,
    /// Per client: its allowed links.
    pub links: IdxVec<ClientIdx, Vec<LinkInfo>>,
    /// `max-coverage`: the cost of one unlinked student.
    pub penalty_per_student: Option<f64>,
    /// Forced new hubs (`hubs.force` candidates), with their equipment
    /// cost. They enter the instance as open facilities that cost nothing,
    /// as existing hubs do; their cost leaves the budget and, for
    /// `min-cost`, is added back by [`HubModel::objective_offset`] — an
    /// exact reduction (a must-open facility is a fixed-open one plus a
    /// constant).
    pub forced: Vec<(FacilityIdx, f64)>,
    /// With link modes or teacher hours ([`Scenario::uses_modes`]): every
    /// client's (hub, mode) options and each hub's teacher hours; the
    /// instance is then the modal model's relaxation (see
    /// [`crate::problem::modes`]).
    pub modal: Option<ModalArcs>,
    /// The modes of `modal`, in its order (empty without it).
    pub modes: Vec<LinkMode>,
    /// Of `unreachable`: small schools that a mode needing internet would
    /// reach, had they a connection.
    pub no_internet: Vec<SchoolIdx>,
}

impl HubModel {
    /// Whether facility `f` is a forced new hub.
    pub fn is_forced(&self, f: FacilityIdx) -> bool {
        self.forced.iter().any(|&(g, _)| g == f)
    }

    /// Whether facility `f` is a new hub when open (not an existing one).
    pub fn is_new(&self, f: FacilityIdx) -> bool {
        !self.instance.facility(f).fixed_open || self.is_forced(f)
    }

    /// What opening facility `f` costs the budget: a forced hub's own
    /// cost, otherwise the instance's charge (0 for an existing hub).
    pub fn hub_charge(&self, f: FacilityIdx) -> f64 {
        self.forced.iter().find(|&&(g, _)| g == f).map_or_else(|| self.instance.facility(f).budget_charge(), |p| p.1)
    }

    /// The forced hubs' total cost, KZT.
    pub fn forced_kzt(&self) -> f64 {
        self.forced.iter().map(|p| p.1).sum()
    }

    /// What the internal objective leaves out and the plan's objective
    /// includes: the forced hubs' cost under `min-cost`, else 0.
    pub fn objective_offset(&self, kind: ObjectiveKind) -> f64 {
        if kind == ObjectiveKind::MinCost { self.forced_kzt() } else { 0.0 }
    }
}

/// Problems of `hubs.force` and `hubs.forbid` against the schools, each
/// with its key: an id that is no school, a forced school that cannot be a
/// hub, a forbidden existing hub.
pub fn hub_choice_problems(sc: &Scenario, schools: &[School]) -> Vec<(&'static str, ErrorCode, String)> {
    let by_id: std::collections::HashMap<&str, &School> = schools.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut out = Vec::new();
    for id in &sc.hubs.force {
        match by_id.get(id.as_str()) {
            None => out.push(("hubs.force", ErrorCode::UnknownId, format!("`{id}` is not a school of the schools file"))),
            Some(s) if s.hub == HubStatus::No => out.push((
                "hubs.force",
                ErrorCode::Inconsistent,
                format!(
                    "school `{id}` ({}) is not a hub candidate: it has {} students, below `hubs.min_students` = {}, or its `hub` column says no",
                    s.name, s.students, sc.hubs.min_students
                ),
            )),
            Some(_) => {}
        }
    }
    for id in &sc.hubs.forbid {
        match by_id.get(id.as_str()) {
            None => {
                out.push(("hubs.forbid", ErrorCode::UnknownId, format!("`{id}` is not a school of the schools file")))
            }
            Some(s) if s.hub == HubStatus::Existing => out.push((
                "hubs.forbid",
                ErrorCode::Inconsistent,
                format!(
                    "school `{id}` ({}) is an existing hub; existing hubs stay open and cannot be forbidden",
                    s.name
                ),
            )),
            Some(_) => {}
        }
    }
    out
}

/// The room small school `s` gets when linked, and its cost: `existing`
/// at no cost when it is already equipped, else by its size.
pub fn room_of(sc: &Scenario, s: &School) -> (&'static str, f64) {
    if s.equipped { ("existing", 0.0) } else { sc.room(s.students) }
}

/// The room cost of linking small school `s`.
pub fn room_cost(sc: &Scenario, s: &School) -> f64 {
    room_of(sc, s).1
}

/// Builds the instance of a scenario.
///
/// `hubs.forbid` candidates are left out of the facilities; `hubs.force`
/// candidates are open facilities (see [`HubModel::forced`]). Ids that name
/// no candidate are ignored here: [`hub_choice_problems`] reports them.
pub fn build_model(sc: &Scenario, schools: &[School], table: &DistanceTable) -> Result<HubModel, PlanError> {
    let forbidden = |s: &School| s.hub == HubStatus::Candidate && sc.hubs.forbid.contains(&s.id);
    let forced = |s: &School| s.hub == HubStatus::Candidate && sc.hubs.force.contains(&s.id);
    let facility_school: IdxVec<FacilityIdx, SchoolIdx> = (0..schools.len())
        .filter(|&i| matches!(schools[i].hub, HubStatus::Existing | HubStatus::Candidate) && !forbidden(&schools[i]))
        .map(SchoolIdx::new)
        .collect();
    let mut facility_of: Vec<Option<FacilityIdx>> = vec![None; schools.len()];
    for (f, &i) in facility_school.iter_enumerated() {
        facility_of[i.index()] = Some(f);
    }
    let forced_hubs: Vec<(FacilityIdx, f64)> = facility_school
        .iter_enumerated()
        .filter(|&(_, &i)| forced(&schools[i]))
        .map(|(f, &i)| (f, schools[i].hub_cost_kzt))
        .collect();
    check_districts(sc, schools, &facility_school, forced_hubs.len())?;

    let mut client_school: IdxVec<ClientIdx, SchoolIdx> = IdxVec::new();
    let mut unreachable = Vec::new();
    let mut links: IdxVec<ClientIdx, Vec<LinkInfo>> = IdxVec::new();
    let modal = sc.uses_modes(schools);
    let modes = if modal { sc.links.effective_modes() } else { Vec::new() };
    // Per client with modes: its (link index, mode) options.
    let mut mode_links: Vec<Vec<(usize, usize)>> = Vec::new();
    let mut no_internet = Vec::new();
    let by_district = districts_with_facilities(schools, &facility_school);
    for (i, s) in schools.iter().enumerate() {
        if !s.small {
            continue;
        }
        let mut mine = Vec::new();
        for l in table.links_of(SchoolIdx::new(i)) {
            let h = l.hub.index();
            let Some(f) = facility_of[h] else { continue };
            if !modal && l.road_km > sc.links.max_road_km {
                continue;
            }
            if !modal && sc.links.max_minutes.is_some_and(|m| l.minutes > m) {
                continue;
            }
            if sc.links.within_district && schools[h].district != s.district {
                continue;
            }
            mine.push(LinkInfo { facility: f, road_km: l.road_km, minutes: l.minutes, approx: l.approx });
        }
        if modal {
            let (ls, options, internet_would) =
                modal_links(sc, &modes, s, schools, &facility_school, &by_district, mine);
            mine = ls;
            if mine.is_empty() {
                unreachable.push(SchoolIdx::new(i));
                if internet_would {
                    no_internet.push(SchoolIdx::new(i));
                }
                continue;
            }
            mode_links.push(options);
        }
        if mine.is_empty() {
            unreachable.push(SchoolIdx::new(i));
        } else {
            client_school.push(SchoolIdx::new(i));
            links.push(mine);
        }
    }
    if client_school.is_empty() {
        return Err(PlanError::Model(vec![ModelProblem::NothingLinkable {
            small_schools: unreachable.len(),
            max_km: sc.links.max_road_km,
            within_district: sc.links.within_district,
        }]));
    }

    let kind = sc.objective.kind;
    let visit = |km: f64| sc.objective.years * sc.links.visits_per_year * 2.0 * km * sc.links.cost_per_km_kzt;
    let mut triples = Vec::new();
    let mut arcs: Option<ModalArcs> = None;
    if modal {
        let penalty = modal_penalty(&modes, &links, &mode_links, &client_school, schools);
        let options: Vec<Vec<ModeOption>> = mode_links
            .iter()
            .enumerate()
            .map(|(c, opts)| {
                let c = ClientIdx::new(c);
                let s = &schools[client_school[c].index()];
                opts.iter()
                    .map(|&(k, m)| {
                        let (l, mode) = (&links[c][k], &modes[m]);
                        let students = f64::from(s.students);
                        let km = if mode.visits() { l.road_km } else { 0.0 };
                        let room = if mode.room { room_cost(sc, s) } else { 0.0 };
                        let cost = match kind {
                            ObjectiveKind::MaxCoverage => penalty * students * (1.0 - mode.value) + students * km,
                            ObjectiveKind::MinDistance => students * km,
                            ObjectiveKind::MinCost => {
                                room + sc.objective.years
                                    * (mode.visits_per_year * 2.0 * km * sc.links.cost_per_km_kzt
                                        + mode.yearly_cost_kzt)
                            }
                        };
                        ModeOption {
                            facility: l.facility,
                            mode: m,
                            cost,
                            load: mode.teacher_hours(l.minutes),
                            budget_cost: room,
                        }
                    })
                    .collect()
            })
            .collect();
        let a = ModalArcs {
            mode_names: modes.iter().map(|m| m.name.clone()).collect(),
            options,
            load_capacity: facility_school.iter().map(|&i| sc.teacher_hours_of(&schools[i])).collect(),
        };
        arcs = Some(a);
    }
    for (c, ls) in links.iter_enumerated().filter(|_| !modal) {
        let s = &schools[client_school[c].index()];
        for l in ls {
            let cost = match kind {
                ObjectiveKind::MaxCoverage | ObjectiveKind::MinDistance => f64::from(s.students) * l.road_km,
                ObjectiveKind::MinCost => room_cost(sc, s) + visit(l.road_km),
            };
            triples.push((c.index() as u32, l.facility.index() as u32, cost));
        }
    }
    let clients: Vec<Client> = client_school
        .iter()
        .map(|&i| {
            let s = &schools[i];
            let mut c = Client::new(ExtId::from(s.id.as_str()), f64::from(s.students));
            c.budget_cost = room_cost(sc, s);
            c
        })
        .collect();
    let facilities: Vec<Facility> = facility_school
        .iter()
        .map(|&i| {
            let s = &schools[i];
            // A forced hub enters as an existing one does (open, free); its
            // cost is accounted apart (HubModel::forced).
            let existing = s.hub == HubStatus::Existing || forced(s);
            let open_cost = match kind {
                ObjectiveKind::MinCost if !existing => s.hub_cost_kzt,
                _ => 0.0,
            };
            let mut f = Facility::new(ExtId::from(s.id.as_str()), open_cost);
            f.fixed_open = existing;
            f.budget_cost = Some(if existing { 0.0 } else { s.hub_cost_kzt });
            f.capacity = sc.hubs.capacity_students.map(f64::from);
            f.max_clients = s.capacity_small_schools.or(sc.hubs.capacity_small_schools);
            f
        })
        .collect();
    let n_existing = facilities.iter().filter(|f| f.fixed_open).count() - forced_hubs.len();
    let forced_kzt: f64 = forced_hubs.iter().map(|p| p.1).sum();
    let mut forced_problems = Vec::new();
    if let Some(k) = sc.hubs.max_new
        && forced_hubs.len() > k
    {
        forced_problems.push(ModelProblem::ForcedHubs {
            detail: format!("`hubs.force` opens {} new hubs but `hubs.max_new` = {k}", forced_hubs.len()),
        });
    }
    if let Some(b) = sc.budget.kzt
        && forced_kzt > b * (1.0 + 1e-12)
    {
        forced_problems.push(ModelProblem::ForcedHubs {
            detail: format!("the forced hubs cost {forced_kzt:.0} KZT, more than `budget.kzt` = {b:.0}"),
        });
    }
    if !forced_problems.is_empty() {
        return Err(PlanError::Model(forced_problems));
    }
    let capacitated = facilities.iter().any(|f| f.capacity.is_some() || f.max_clients.is_some());
    let model = if capacitated { Model::Sscflp } else { Model::Uflp };
    let costs = match &arcs {
        Some(a) => a.relaxed_costs(facilities.len()),
        None => Costs::Sparse(SparseCosts::from_triples(clients.len(), facilities.len(), triples)),
    };
    let mut inst = Instance::new(sc.name.clone(), model, clients, facilities, costs);
    inst.single_source = true;
    inst.budget = sc.budget.kzt.map(|b| (b - forced_kzt).max(0.0));
    // Forced hubs are open facilities and count against `max_new`.
    inst.max_open = sc.hubs.max_new.map(|k| k + n_existing);
    if let Some(a) = &arcs {
        for (c, cl) in inst.clients.iter_mut().enumerate() {
            cl.budget_cost = a.least_budget_cost(c);
        }
    }
    let penalty_per_student = match kind {
        ObjectiveKind::MaxCoverage if modal => {
            Some(modal_penalty(&modes, &links, &mode_links, &client_school, schools))
        }
        ObjectiveKind::MaxCoverage => {
            // Above any plan's total student-km: one more covered student always wins.
            let total: f64 = links
                .iter()
                .zip(client_school.iter())
                .map(|(ls, &i)| f64::from(schools[i].students) * ls.iter().map(|l| l.road_km).fold(0.0, f64::max))
                .sum();
            Some((total + 1.0).ceil())
        }
        _ => None,
    };
    inst.unserved_penalty = penalty_per_student;
    inst.groups = district_groups(sc, schools, &facility_school);
    Ok(HubModel {
        instance: inst,
        facility_school,
        client_school,
        unreachable,
        links,
        penalty_per_student,
        forced: forced_hubs,
        modal: arcs,
        modes,
        no_internet,
    })
}

/// The price of one unlinked (valued) student with modes: above every
/// plan's student-km of visiting links, so one more valued student always wins.
fn modal_penalty(
    modes: &[LinkMode],
    links: &IdxVec<ClientIdx, Vec<LinkInfo>>,
    mode_links: &[Vec<(usize, usize)>],
    client_school: &IdxVec<ClientIdx, SchoolIdx>,
    schools: &[School],
) -> f64 {
    let total: f64 = mode_links
        .iter()
        .enumerate()
        .map(|(c, opts)| {
            let c = ClientIdx::new(c);
            let km =
                opts.iter().filter(|&&(_, m)| modes[m].visits()).map(|&(k, _)| links[c][k].road_km).fold(0.0, f64::max);
            f64::from(schools[client_school[c].index()].students) * km
        })
        .sum();
    (total + 1.0).ceil()
}

/// A small school's links and (link, mode) options under `modes`: road
/// modes along `road` (the table's links within the district rule) within
/// their reach, district modes to every hub of its district (with the
/// table's distance, else the straight line × detour factor, marked
/// approximate); a mode needing internet only where the school is
/// connected. Also whether a connection would have given it an option.
#[allow(clippy::too_many_arguments)]
fn modal_links(
    sc: &Scenario,
    modes: &[LinkMode],
    s: &School,
    schools: &[School],
    facility_school: &IdxVec<FacilityIdx, SchoolIdx>,
    by_district: &BTreeMap<&str, Vec<FacilityIdx>>,
    road: Vec<LinkInfo>,
) -> (Vec<LinkInfo>, Vec<(usize, usize)>, bool) {
    let connected = sc.links.connected(s.internet);
    let mut out: Vec<LinkInfo> = Vec::new();
    let mut options = Vec::new();
    let mut internet_would = false;
    let add = |out: &mut Vec<LinkInfo>, l: LinkInfo, m: usize, options: &mut Vec<(usize, usize)>| {
        let k = match out.iter().position(|x| x.facility == l.facility) {
            Some(k) => k,
            None => {
                out.push(l);
                out.len() - 1
            }
        };
        options.push((k, m));
    };
    for (m, mode) in modes.iter().enumerate() {
        let candidates: Vec<LinkInfo> = match mode.reach {
            Reach::Road => road.iter().copied().filter(|l| sc.links.road_reach(mode, l.road_km, l.minutes)).collect(),
            Reach::District => by_district
                .get(s.district.as_str())
                .into_iter()
                .flatten()
                .map(|&f| {
                    road.iter().copied().find(|l| l.facility == f).unwrap_or_else(|| {
                        let h = &schools[facility_school[f].index()];
                        let km = crate::network::geodesy::geodesic_km([s.lon, s.lat], [h.lon, h.lat])
                            * sc.links.detour_factor;
                        LinkInfo { facility: f, road_km: km, minutes: km / FALLBACK_KMH * 60.0, approx: true }
                    })
                })
                .collect(),
        };
        if mode.needs_internet() && !connected {
            internet_would |= !candidates.is_empty();
            continue;
        }
        for l in candidates {
            add(&mut out, l, m, &mut options);
        }
    }
    // Links by facility, options by (link, mode), as the arcs list them.
    let mut order: Vec<usize> = (0..out.len()).collect();
    order.sort_by_key(|&k| out[k].facility);
    let mut rank = vec![0; out.len()];
    for (r, &k) in order.iter().enumerate() {
        rank[k] = r;
    }
    let sorted: Vec<LinkInfo> = order.iter().map(|&k| out[k]).collect();
    let mut options: Vec<(usize, usize)> = options.into_iter().map(|(k, m)| (rank[k], m)).collect();
    options.sort_unstable();
    (sorted, options, internet_would)
}

/// Driving speed for a district link without a road distance, km/h (the
/// distance table's straight-line fallback speed).
const FALLBACK_KMH: f64 = 50.0;

/// Every district (of any school) and its hub facilities.
fn districts_with_facilities<'a>(
    schools: &'a [School],
    facility_school: &IdxVec<FacilityIdx, SchoolIdx>,
) -> BTreeMap<&'a str, Vec<FacilityIdx>> {
    let mut m: BTreeMap<&str, Vec<FacilityIdx>> = schools.iter().map(|s| (s.district.as_str(), Vec::new())).collect();
    for (f, &i) in facility_school.iter_enumerated() {
        m.get_mut(schools[i].district.as_str()).expect("every school's district is listed").push(f);
    }
    m
}

fn district_groups(sc: &Scenario, schools: &[School], facility_school: &IdxVec<FacilityIdx, SchoolIdx>) -> Vec<Group> {
    if sc.hubs.min_per_district == 0 && sc.hubs.max_per_district.is_none() {
        return Vec::new();
    }
    districts_with_facilities(schools, facility_school)
        .into_iter()
        .filter(|(_, fs)| !fs.is_empty())
        .map(|(d, fs)| Group {
            id: ExtId::from(d),
            facilities: fs,
            min_open: sc.hubs.min_per_district,
            max_open: sc.hubs.max_per_district,
        })
        .collect()
}

/// A district that cannot meet `min_per_district` is a scenario error, with why.
fn check_districts(
    sc: &Scenario,
    schools: &[School],
    facility_school: &IdxVec<FacilityIdx, SchoolIdx>,
    n_forced: usize,
) -> Result<(), PlanError> {
    let min = sc.hubs.min_per_district;
    if min == 0 {
        return Ok(());
    }
    let mut bad = Vec::new();
    for (d, fs) in districts_with_facilities(schools, facility_school) {
        if fs.len() < min {
            let n = schools.iter().filter(|s| s.district == d).count();
            bad.push(ModelProblem::TooFewCandidates {
                district: d.to_string(),
                candidates: fs.len(),
                schools: n,
                min_students: sc.hubs.min_students,
                min,
            });
        }
    }
    if let Some(k) = sc.hubs.max_new {
        let existing_by: BTreeMap<&str, usize> = facility_school
            .iter()
            .filter(|&&i| schools[i].hub == HubStatus::Existing || sc.hubs.force.contains(&schools[i].id))
            .fold(BTreeMap::new(), |mut m, &i| {
                *m.entry(schools[i].district.as_str()).or_default() += 1;
                m
            });
        let short: Vec<(String, usize)> = districts_with_facilities(schools, facility_school)
            .keys()
            .map(|d| (d.to_string(), min.saturating_sub(existing_by.get(d).copied().unwrap_or(0))))
            .filter(|(_, k)| *k > 0)
            .collect();
        let needed: usize = short.iter().map(|(_, k)| k).sum();
        if needed + n_forced > k {
            bad.push(ModelProblem::TooFewNewHubs { needed: needed + n_forced, min, max_new: k, short });
        }
    }
    if bad.is_empty() { Ok(()) } else { Err(PlanError::Model(bad)) }
}
