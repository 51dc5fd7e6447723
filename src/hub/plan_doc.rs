//! `plan.json`: the plan a scenario produced, in the documented schema
//! `hubplan-plan/2`, and how it is assembled from a solver outcome.
//!
//! `hubplan-plan/5` added link modes and teacher time: `mode` and
//! `teacher_hours` on links, `teacher_hours` and `teacher_hours_available`
//! on hubs, `modes`, `valued_students`, `teacher_hours` and
//! `yearly_teacher_pay_kzt` in `totals`, the unlinked reasons `no-internet`
//! and `teacher-time`; all absent for a plan without modes or teacher hours,
//! so a `hubplan-plan/4` file reads unchanged.
//!
//! `hubplan-plan/4` added `warnings`: what the checks of the schools' points
//! found ([`super::checks`]), always written (empty when nothing was found);
//! a file without it reads with none. It also added `worth` on new hubs
//! (regret, its bracket and the runner-up, see [`super::worth`]) and
//! `alternatives` ([`super::alternatives`]), both absent when not computed.
//!
//! `hubplan-plan/3` added the rollout: `rollout` (per-year totals, the
//! year-by-year comparison, each district's turn), `year_opened` on hubs and
//! `year_linked` on links; all absent for a single-year plan, so a
//! `hubplan-plan/2` file reads unchanged.
//!
//! `hubplan-plan/2` added `quality` (the plan's quality in students,
//! student-km or tenge, see [`super::quality`]) and renamed the solver's
//! `objective`, `lower_bound` and `gap` to `internal_objective`,
//! `internal_lower_bound` and `internal_gap`. A `hubplan-plan/1` file still
//! reads: the old names are aliases and its quality is recomputed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::inputs::{InputPaths, School};
use super::model::HubModel;
use super::quality::{PlanQuality, QualityInputs, plan_quality};
use super::scenario::{LinkMode, Scenario};
use crate::io::schools::HubStatus;
use crate::problem::{ClientIdx, FacilityIdx, IdxVec};
use crate::solve::SolveOutcome;

/// The schema this hubplan writes, recorded in `plan.json`'s `schema` field.
pub const PLAN_SCHEMA: &str = "hubplan-plan/5";

/// The schemas this hubplan reads: the current one and `hubplan-plan/4` to `/1`.
pub const PLAN_SCHEMAS_READ: [&str; 5] =
    [PLAN_SCHEMA, "hubplan-plan/4", "hubplan-plan/3", "hubplan-plan/2", "hubplan-plan/1"];

/// `plan.json`: a finished plan — its hubs, links, unlinked small schools,
/// per-district and overall totals, quality and provenance — readable
/// without the inputs it was made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanDoc {
    /// The schema of the file, [`PLAN_SCHEMA`] when written by this hubplan.
    pub schema: String,
    /// The scenario with every default filled in.
    pub scenario: Scenario,
    /// The files the plan was made from and how distances were measured.
    pub inputs: PlanInputs,
    /// Every open hub, existing or new.
    pub hubs: Vec<HubRow>,
    /// Every linked small school with its hub.
    pub links: Vec<LinkRow>,
    /// Every small school left unlinked, with the reason, by district and id.
    pub unlinked: Vec<UnlinkedRow>,
    /// Per-district figures, by district name.
    pub districts: Vec<DistrictRow>,
    /// Figures of the whole plan.
    pub totals: Totals,
    /// The plan's quality in the planner's unit (students, student-km or
    /// tenge) with a proven bound: what a planner reads. Absent only in a
    /// `hubplan-plan/1` file, where [`read_plan`](super::verify::read_plan)
    /// recomputes it.
    #[serde(default)]
    pub quality: Option<PlanQuality>,
    /// The objective the solver minimised (see `models/README.md`); for
    /// `max-coverage` it mixes a penalty per unlinked student with student-km,
    /// so read `quality` instead.
    #[serde(alias = "objective")]
    pub internal_objective: f64,
    /// The solver's lower bound on `internal_objective`.
    #[serde(alias = "lower_bound")]
    pub internal_lower_bound: Option<f64>,
    /// `(internal_objective − internal_lower_bound) / internal_objective`.
    #[serde(alias = "gap")]
    pub internal_gap: Option<f64>,
    /// How the solve ended: `optimal` (proven), `feasible`, `infeasible` or `time_limit`.
    pub status: String,
    /// What ran, e.g. `vns+lagrangian` or `mip(microlp)`.
    pub solver: String,
    /// The seed of the solver's random choices.
    pub seed: u64,
    /// Worker threads the solver used.
    pub threads: usize,
    /// Seconds of solving (wall clock).
    pub elapsed_s: f64,
    /// `max-coverage`: the cost of one unlinked student in `internal_objective`.
    pub penalty_per_student: Option<f64>,
    /// The input data's sources and licences.
    pub sources: Vec<Source>,
    /// What the solver and the steps after it chose or did, in plain words.
    pub notes: Vec<String>,
    /// What the checks of the schools' points found: schools outside their
    /// district, districts without a boundary, schools outside the region
    /// (absent before `hubplan-plan/4`).
    #[serde(default)]
    pub warnings: Vec<super::checks::DataWarning>,
    /// A multi-year rollout: its years, the year-by-year comparison and each
    /// district's turn (absent for a single-year plan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<super::rollout::doc::RolloutDoc>,
    /// Alternative plans (`hubplan plan --alternatives K`), each written to
    /// `alternatives/<name>/` as a plan directory of its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<super::alternatives::AlternativeRow>,
}

/// The `inputs` of `plan.json`: what the plan was made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanInputs {
    /// Absolute paths of the scenario and its data files.
    #[serde(flatten)]
    pub paths: InputPaths,
    /// `road` (shortest paths on the road layer) or `approx` (straight line × detour factor).
    pub distances: String,
}

/// One open hub of a plan (a row of `hubs.csv`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HubRow {
    /// The hub school's id in the schools file.
    pub school_id: String,
    /// The school's name.
    pub name: String,
    /// Its district.
    pub district: String,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// `existing` or `new`.
    pub status: String,
    /// Equipment cost of a new hub (0 for an existing one), KZT.
    pub cost_kzt: f64,
    /// Small schools linked to it.
    pub linked_small_schools: usize,
    /// Students in those small schools.
    pub linked_students: u64,
    /// Rollout: the year a new hub opens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year_opened: Option<i32>,
    /// A new hub's worth: its regret and runner-up (`hubplan plan` computes
    /// it unless `--no-worth`; see [`super::worth`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worth: Option<super::worth::HubWorth>,
    /// With teacher hours (`hubs.teacher_hours_per_year` or `[[links.modes]]`):
    /// the hours a year its links take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teacher_hours: Option<f64>,
    /// The hours a year it has for linked small schools (`None`: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teacher_hours_available: Option<f64>,
}

/// One linked small school and its hub (a row of `links.csv`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkRow {
    /// The small school's id in the schools file.
    pub small_school_id: String,
    /// The id of the hub school it is linked to.
    pub hub_id: String,
    /// Distance from the hub to the small school, road km.
    pub road_km: f64,
    /// Driving time from the hub to the small school, minutes.
    pub minutes: f64,
    /// True when the distance is the straight-line fallback (× detour factor), not a road distance.
    pub approx: bool,
    /// Students of the small school.
    pub students: u32,
    /// `digital` or `universal`.
    pub room: String,
    /// Cost of the small school's room, KZT (0 when it is already equipped).
    pub room_kzt: f64,
    /// Rollout: the year the small school is first linked (and its room bought).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year_linked: Option<i32>,
    /// With `[[links.modes]]`: the link's mode (its `name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// With teacher hours: the hub teacher hours a year this link takes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teacher_hours: Option<f64>,
}

/// Why a small school is not linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// No existing hub or candidate within the link radius (in its district).
    NoHubInReach,
    /// Every open hub within reach is at capacity, and no other can open.
    HubsFull,
    /// Linking it (its room, or a new hub for it) would exceed the budget.
    Budget,
    /// The hub that could take it cannot open: its district has its maximum of hubs.
    DistrictLimit,
    /// The hub that could take it cannot open: `hubs.max_new` hubs are already new.
    NewHubLimit,
    /// Nothing blocks it; the objective left it out (only without `max-coverage`).
    NotChosen,
    /// Beyond every visiting mode's reach, and without the connection an
    /// online mode needs.
    NoInternet,
    /// The hubs that could take it have no teacher hours left for it.
    TeacherTime,
}

impl Reason {
    /// The code written in `plan.json` and `unlinked.csv` (`no-hub-in-reach`, `hubs-full`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NoHubInReach => "no-hub-in-reach",
            Reason::HubsFull => "hubs-full",
            Reason::Budget => "budget",
            Reason::DistrictLimit => "district-limit",
            Reason::NewHubLimit => "new-hub-limit",
            Reason::NotChosen => "not-chosen",
            Reason::NoInternet => "no-internet",
            Reason::TeacherTime => "teacher-time",
        }
    }
}

/// One small school the plan leaves unlinked, and why (a row of `unlinked.csv`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnlinkedRow {
    /// The small school's id in the schools file.
    pub small_school_id: String,
    /// Its name.
    pub name: String,
    /// Its district.
    pub district: String,
    /// Its students.
    pub students: u32,
    /// Why it is not linked.
    pub reason: Reason,
    /// The reason in a sentence.
    pub detail: String,
}

/// One district's figures in a plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DistrictRow {
    /// The district.
    pub district: String,
    /// Open hubs in it, existing and new.
    pub hubs: usize,
    /// Of those, new hubs.
    pub new_hubs: usize,
    /// Small schools in it.
    pub small_schools: usize,
    /// Of those, linked to a hub.
    pub linked_small_schools: usize,
    /// Students in the linked small schools.
    pub linked_students: u64,
    /// Mean link length of its linked small schools, road km (`None` when none is linked).
    pub mean_km: Option<f64>,
    /// Longest link of its linked small schools, road km (`None` when none is linked).
    pub max_km: Option<f64>,
    /// New hubs plus rooms of linked small schools, KZT.
    pub cost_kzt: f64,
}

/// The figures of a whole plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Open hubs, existing and new.
    pub hubs: usize,
    /// Of those, new hubs.
    pub new_hubs: usize,
    /// New hubs plus rooms of linked small schools, KZT.
    pub cost_kzt: f64,
    /// Equipment of the new hubs, KZT.
    pub hub_cost_kzt: f64,
    /// Rooms of the linked small schools, KZT.
    pub room_cost_kzt: f64,
    /// The scenario's budget (`budget.kzt`), KZT; `None` without a limit.
    pub budget_kzt: Option<f64>,
    /// Small schools in the data, reachable or not.
    pub small_schools: usize,
    /// Students in all those small schools.
    pub small_school_students: u64,
    /// Small schools linked to a hub.
    pub linked_small_schools: usize,
    /// Students in the linked small schools.
    pub linked_students: u64,
    /// Small schools left unlinked (`small_schools − linked_small_schools`).
    pub unlinked_small_schools: usize,
    /// Sum over links of students × road km.
    pub student_km: f64,
    /// Mean link length, km (per link).
    pub mean_km: Option<f64>,
    /// Longest link, road km (`None` when nothing is linked).
    pub max_km: Option<f64>,
    /// Yearly visit cost: visits × 2 × km × cost per km, KZT.
    pub yearly_visit_cost_kzt: f64,
    /// With `[[links.modes]]`: the links of each mode, in the scenario's order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modes: Vec<ModeTotal>,
    /// With `[[links.modes]]`: the linked students each weighted by its
    /// mode's `value` (what `max-coverage` maximises).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valued_students: Option<f64>,
    /// With teacher hours: the hours a year all links take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teacher_hours: Option<f64>,
    /// With `[[links.modes]]`: teacher remuneration a year (`yearly_cost_kzt` per link), KZT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yearly_teacher_pay_kzt: Option<f64>,
}

/// One link mode's figures in a plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModeTotal {
    /// The mode's name.
    pub mode: String,
    /// Small schools linked in this mode.
    pub linked_small_schools: usize,
    /// Their students.
    pub linked_students: u64,
    /// Teacher hours a year these links take.
    pub teacher_hours: f64,
    /// Students × road km of these links (0 for a mode without visits).
    pub student_km: f64,
}

/// Where one input file came from, and under which licence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// The file's role and name, e.g. `schools: schools.csv`.
    pub name: String,
    /// Its licence (SPDX id where known, `not stated` otherwise).
    pub license: String,
    /// Description and attribution, from the file's metadata or the README beside it.
    pub note: String,
}

/// The open hubs and each small school's hub, as a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Per facility of the model: whether it is open.
    pub open: IdxVec<FacilityIdx, bool>,
    /// Per client: its hub, if linked.
    pub assignment: IdxVec<ClientIdx, Option<FacilityIdx>>,
    /// With link modes: per client, its mode (index into the model's modes).
    pub modes: Option<Vec<Option<usize>>>,
}

impl PlanDoc {
    /// The plan's quality: as recorded, or recomputed from the solver's
    /// figures and the totals (a `hubplan-plan/1` file has none recorded).
    pub fn quality(&self) -> PlanQuality {
        self.quality.clone().unwrap_or_else(|| plan_quality(&QualityInputs::from_doc(self)))
    }
}

impl Decision {
    /// The open hubs and assignment of a solver outcome on `model`.
    pub fn from_outcome(model: &HubModel, out: &SolveOutcome) -> Self {
        let mut open = IdxVec::from_elem(false, model.facility_school.len());
        for &f in &out.solution.open {
            open[f] = true;
        }
        Decision { open, assignment: out.solution.assignment.clone(), modes: out.modes.clone() }
    }
}

/// Loads of the open hubs and the budget spent, for insertion and reasons.
pub(super) struct Usage {
    count: Vec<u32>,
    students: Vec<f64>,
    district_open: BTreeMap<String, usize>,
    new_open: usize,
    spent: f64,
}

pub(super) fn usage(model: &HubModel, schools: &[School], d: &Decision) -> Usage {
    let inst = &model.instance;
    let m = inst.n_facilities();
    let mut u =
        Usage { count: vec![0; m], students: vec![0.0; m], district_open: BTreeMap::new(), new_open: 0, spent: 0.0 };
    for (f, _) in d.open.iter_enumerated().filter(|(_, open)| **open) {
        *u.district_open.entry(schools[model.facility_school[f]].district.clone()).or_default() += 1;
        if model.is_new(f) {
            u.new_open += 1;
        }
        u.spent += inst.facility(f).budget_charge();
    }
    for (c, a) in d.assignment.iter_enumerated() {
        if let Some(f) = *a {
            u.count[f.index()] += 1;
            u.students[f.index()] += inst.client(c).demand;
            u.spent += inst.client(c).budget_cost;
        }
    }
    u
}

const EPS: f64 = 1e-6;

/// What blocks linking client `c` to facility `f` (`None`: nothing does).
pub(super) fn blocker(
    model: &HubModel,
    sc: &Scenario,
    schools: &[School],
    d: &Decision,
    u: &Usage,
    c: usize,
    f: usize,
) -> Option<Reason> {
    let inst = &model.instance;
    let fac = &inst.facilities[f];
    let full = fac.max_clients.is_some_and(|k| u.count[f] + 1 > k)
        || fac.capacity.is_some_and(|cap| u.students[f] + inst.clients[c].demand > cap + EPS);
    if full {
        return Some(Reason::HubsFull);
    }
    let mut extra = inst.clients[c].budget_cost;
    if !d.open[FacilityIdx::new(f)] {
        let district = &schools[model.facility_school[FacilityIdx::new(f)]].district;
        if let Some(hi) = sc.hubs.max_per_district
            && u.district_open.get(district).copied().unwrap_or(0) + 1 > hi
        {
            return Some(Reason::DistrictLimit);
        }
        if sc.hubs.max_new.is_some_and(|k| u.new_open + 1 > k) {
            return Some(Reason::NewHubLimit);
        }
        extra += fac.budget_charge();
    }
    if inst.budget.is_some_and(|b| u.spent + extra > b + EPS) {
        return Some(Reason::Budget);
    }
    None
}

/// Why client `c` (unlinked) could not be linked, with a sentence.
fn reason_for(
    model: &HubModel,
    sc: &Scenario,
    schools: &[School],
    d: &Decision,
    u: &Usage,
    c: usize,
) -> (Reason, String) {
    let mut open_full = Vec::new();
    let mut closed: Vec<(Reason, String)> = Vec::new();
    let mut budget_blocked = Vec::new();
    let mut out_of_hours = Vec::new();
    let hours_left = teacher_hours_left(model, d);
    for l in &model.links[ClientIdx::new(c)] {
        let f = l.facility.index();
        let name = &schools[model.facility_school[l.facility]].id;
        match blocker(model, sc, schools, d, u, c, f) {
            Some(Reason::HubsFull) if d.open[l.facility] => open_full.push(format!("{name} ({:.0} km)", l.road_km)),
            Some(Reason::HubsFull) => closed.push((Reason::HubsFull, name.clone())),
            Some(Reason::Budget) => budget_blocked.push(name.clone()),
            Some(r) => closed.push((r, name.clone())),
            None if d.open[l.facility]
                && let Some(a) = &model.modal
                && let Some(left) = hours_left[f]
                && a.options[c].iter().filter(|o| o.facility == l.facility).all(|o| o.load > left + 1e-9) =>
            {
                let need = a.options[c]
                    .iter()
                    .filter(|o| o.facility == l.facility)
                    .map(|o| o.load)
                    .fold(f64::INFINITY, f64::min);
                out_of_hours.push(format!("{name} ({left:.0} h left, {need:.0} h needed)"));
            }
            None => return (Reason::NotChosen, "a hub within reach could take it; the objective left it out".into()),
        }
    }
    if !out_of_hours.is_empty() && budget_blocked.is_empty() && open_full.is_empty() {
        return (
            Reason::TeacherTime,
            format!("the open hubs within reach have no teacher hours left for it: {}", out_of_hours.join(", ")),
        );
    }
    if !budget_blocked.is_empty() {
        let left = inst_budget_left(model, u);
        return (
            Reason::Budget,
            format!(
                "linking it to {} would exceed the budget (KZT {:.0} left)",
                budget_blocked.join(", "),
                left.max(0.0)
            ),
        );
    }
    if !open_full.is_empty() {
        return (Reason::HubsFull, format!("every open hub within reach is full: {}", open_full.join(", ")));
    }
    let first = closed.iter().map(|(r, _)| *r).min_by_key(|r| match r {
        Reason::DistrictLimit => 0,
        Reason::NewHubLimit => 1,
        _ => 2,
    });
    match first {
        Some(Reason::DistrictLimit) => {
            let district = &schools[model.client_school[ClientIdx::new(c)]].district;
            (
                Reason::DistrictLimit,
                format!(
                    "its reachable candidates are closed and district {district} already has its maximum of {} hub(s)",
                    sc.hubs.max_per_district.unwrap_or(0)
                ),
            )
        }
        Some(Reason::NewHubLimit) => (
            Reason::NewHubLimit,
            format!("its reachable candidates are closed and all {} new hubs are used", sc.hubs.max_new.unwrap_or(0)),
        ),
        _ => (Reason::HubsFull, "every hub within reach is full".into()),
    }
}

/// Per facility: teacher hours a year left after the plan's links (`None`: no limit).
fn teacher_hours_left(model: &HubModel, d: &Decision) -> Vec<Option<f64>> {
    let Some(a) = &model.modal else { return vec![None; d.open.len()] };
    let mut left = a.load_capacity.clone();
    if let Some(ms) = &d.modes {
        for (c, (&f, &m)) in d.assignment.iter().zip(ms).enumerate() {
            if let (Some(f), Some(m)) = (f.map(FacilityIdx::index), m)
                && let (Some(o), Some(l)) = (a.option(c, FacilityIdx::new(f), m), left[f].as_mut())
            {
                *l -= o.load;
            }
        }
    }
    left
}

fn inst_budget_left(model: &HubModel, u: &Usage) -> f64 {
    model.instance.budget.map_or(f64::INFINITY, |b| b - u.spent)
}

/// Everything needed to assemble a plan document.
pub struct Assembly<'a> {
    /// The scenario planned.
    pub sc: &'a Scenario,
    /// Every school of the scenario's data.
    pub schools: &'a [School],
    /// The model solved.
    pub model: &'a HubModel,
    /// Absolute paths of the input files.
    pub paths: InputPaths,
    /// Whether distances are the straight-line fallback (no road layer).
    pub approx: bool,
    /// The input data's sources and licences.
    pub sources: Vec<Source>,
    /// What the checks of the schools' points found.
    pub warnings: Vec<super::checks::DataWarning>,
}

/// Builds `plan.json` from a decision and the solver's outcome.
pub fn assemble(a: &Assembly, d: &Decision, out: &SolveOutcome, notes: Vec<String>) -> PlanDoc {
    let (sc, schools, model) = (a.sc, a.schools, a.model);
    let inst = &model.instance;
    let u = usage(model, schools, d);
    let mut hubs = Vec::new();
    let mut hub_row: Vec<Option<usize>> = vec![None; inst.n_facilities()];
    for f in 0..inst.n_facilities() {
        if !d.open[FacilityIdx::new(f)] {
            continue;
        }
        let s = &schools[model.facility_school[FacilityIdx::new(f)]];
        let existing = s.hub == HubStatus::Existing;
        hub_row[f] = Some(hubs.len());
        hubs.push(HubRow {
            school_id: s.id.clone(),
            name: s.name.clone(),
            district: s.district.clone(),
            lat: s.lat,
            lon: s.lon,
            status: if existing { "existing" } else { "new" }.into(),
            cost_kzt: model.hub_charge(FacilityIdx::new(f)),
            linked_small_schools: 0,
            linked_students: 0,
            year_opened: None,
            worth: None,
            teacher_hours: model.modal.as_ref().map(|_| 0.0),
            teacher_hours_available: model.modal.as_ref().and_then(|a| a.load_capacity[f]),
        });
    }
    let mut links = Vec::new();
    let mut unlinked = Vec::new();
    for (c, a) in d.assignment.iter().enumerate() {
        let s = &schools[model.client_school[ClientIdx::new(c)]];
        match a.map(FacilityIdx::index) {
            Some(f) => {
                let l = model.links[ClientIdx::new(c)]
                    .iter()
                    .find(|l| l.facility.index() == f)
                    .expect("assigned along an allowed link");
                let h = &mut hubs[hub_row[f].expect("a linked hub is open")];
                h.linked_small_schools += 1;
                h.linked_students += u64::from(s.students);
                let (mut room, mut room_kzt) = super::model::room_of(sc, s);
                // With modes: the link's mode, its teacher hours, and no room for a mode without one.
                let modal = model.modal.as_ref().zip(d.modes.as_ref()).and_then(|(a, ms)| {
                    let m = ms[c]?;
                    let o = a.option(c, FacilityIdx::new(f), m)?;
                    Some((&model.modes[m], o.load))
                });
                if let Some((mode, hours)) = modal {
                    *h.teacher_hours.get_or_insert(0.0) += hours;
                    if !mode.room {
                        (room, room_kzt) = ("none", 0.0);
                    }
                }
                links.push(LinkRow {
                    small_school_id: s.id.clone(),
                    hub_id: h.school_id.clone(),
                    road_km: l.road_km,
                    minutes: l.minutes,
                    approx: l.approx,
                    students: s.students,
                    room: room.into(),
                    room_kzt,
                    year_linked: None,
                    mode: modal.map(|(m, _)| m.name.clone()),
                    teacher_hours: modal.map(|(_, h)| h),
                });
            }
            None => {
                let (reason, detail) = reason_for(model, sc, schools, d, &u, c);
                unlinked.push(UnlinkedRow {
                    small_school_id: s.id.clone(),
                    name: s.name.clone(),
                    district: s.district.clone(),
                    students: s.students,
                    reason,
                    detail,
                });
            }
        }
    }
    for &i in &model.unreachable {
        let s = &schools[i];
        if model.no_internet.contains(&i) {
            unlinked.push(UnlinkedRow {
                small_school_id: s.id.clone(),
                name: s.name.clone(),
                district: s.district.clone(),
                students: s.students,
                reason: Reason::NoInternet,
                detail: format!(
                    "beyond the reach of every visiting mode, and no connection for online lessons (internet: {})",
                    s.internet.as_str()
                ),
            });
            continue;
        }
        unlinked.push(UnlinkedRow {
            small_school_id: s.id.clone(),
            name: s.name.clone(),
            district: s.district.clone(),
            students: s.students,
            reason: Reason::NoHubInReach,
            detail: format!(
                "no hub candidate within {} km{}",
                sc.links.max_road_km,
                if sc.links.within_district { " in its district" } else { "" }
            ),
        });
    }
    unlinked.sort_by(|a, b| a.district.cmp(&b.district).then(a.small_school_id.cmp(&b.small_school_id)));
    let by_id: BTreeMap<&str, &School> = schools.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut totals = totals(sc, schools, &hubs, &links, unlinked.len());
    if model.modal.is_some() {
        mode_totals(&mut totals, &model.modes, sc, &links);
    }
    let districts = district_rows(schools, &hubs, &links, &by_id);
    let objective = out.objective();
    let gap = out.lower_bound.filter(|_| objective > 0.0).map(|lb| ((objective - lb) / objective).max(0.0));
    let never_linkable: u64 = model.unreachable.iter().map(|&i| u64::from(schools[i].students)).sum();
    let quality = plan_quality(&QualityInputs::from_outcome(
        sc.objective.kind,
        out,
        model.penalty_per_student,
        &totals,
        never_linkable,
        sc.objective.years,
    ));
    PlanDoc {
        schema: PLAN_SCHEMA.into(),
        scenario: sc.clone(),
        inputs: PlanInputs { paths: a.paths.clone(), distances: if a.approx { "approx" } else { "road" }.into() },
        hubs,
        links,
        unlinked,
        districts,
        totals,
        quality: Some(quality),
        internal_objective: objective,
        internal_lower_bound: out.lower_bound,
        internal_gap: if objective == 0.0 && out.lower_bound.is_some() { Some(0.0) } else { gap },
        status: out.status.as_str().into(),
        solver: out.solver.clone(),
        seed: out.seed,
        threads: out.threads,
        elapsed_s: out.elapsed_s,
        penalty_per_student: model.penalty_per_student,
        sources: a.sources.clone(),
        notes,
        warnings: a.warnings.clone(),
        rollout: None,
        alternatives: Vec::new(),
    }
}

/// The figures that depend on the links' modes: student-km and visit cost
/// of visiting links only, per-mode totals, valued students, teacher hours
/// and pay.
fn mode_totals(t: &mut Totals, modes: &[LinkMode], sc: &Scenario, links: &[LinkRow]) {
    let mode_of = |l: &LinkRow| l.mode.as_ref().and_then(|n| modes.iter().find(|m| &m.name == n));
    let km = |l: &LinkRow| if mode_of(l).is_some_and(LinkMode::visits) { l.road_km } else { 0.0 };
    t.student_km = links.iter().map(|l| f64::from(l.students) * km(l)).sum();
    t.yearly_visit_cost_kzt = links
        .iter()
        .filter_map(|l| mode_of(l).map(|m| m.visits_per_year * 2.0 * km(l) * sc.links.cost_per_km_kzt))
        .sum();
    t.modes = modes
        .iter()
        .map(|m| {
            let mine: Vec<&LinkRow> = links.iter().filter(|l| l.mode.as_deref() == Some(m.name.as_str())).collect();
            ModeTotal {
                mode: m.name.clone(),
                linked_small_schools: mine.len(),
                linked_students: mine.iter().map(|l| u64::from(l.students)).sum(),
                teacher_hours: mine.iter().filter_map(|l| l.teacher_hours).fold(0.0, |a, b| a + b),
                student_km: mine.iter().map(|l| f64::from(l.students) * km(l)).fold(0.0, |a, b| a + b),
            }
        })
        .collect();
    t.valued_students = Some(links.iter().map(|l| f64::from(l.students) * mode_of(l).map_or(1.0, |m| m.value)).sum());
    t.teacher_hours = Some(links.iter().filter_map(|l| l.teacher_hours).sum());
    t.yearly_teacher_pay_kzt = Some(links.iter().filter_map(mode_of).map(|m| m.yearly_cost_kzt).sum());
}

fn totals(sc: &Scenario, schools: &[School], hubs: &[HubRow], links: &[LinkRow], n_unlinked: usize) -> Totals {
    let hub_cost: f64 = hubs.iter().map(|h| h.cost_kzt).sum();
    let room_cost: f64 = links.iter().map(|l| l.room_kzt).sum();
    let km: Vec<f64> = links.iter().map(|l| l.road_km).collect();
    Totals {
        hubs: hubs.len(),
        new_hubs: hubs.iter().filter(|h| h.status == "new").count(),
        cost_kzt: hub_cost + room_cost,
        hub_cost_kzt: hub_cost,
        room_cost_kzt: room_cost,
        budget_kzt: sc.budget.kzt,
        small_schools: schools.iter().filter(|s| s.small).count(),
        small_school_students: schools.iter().filter(|s| s.small).map(|s| u64::from(s.students)).sum(),
        linked_small_schools: links.len(),
        linked_students: links.iter().map(|l| u64::from(l.students)).sum(),
        unlinked_small_schools: n_unlinked,
        student_km: links.iter().map(|l| f64::from(l.students) * l.road_km).sum(),
        mean_km: (!km.is_empty()).then(|| km.iter().sum::<f64>() / km.len() as f64),
        max_km: km.iter().copied().reduce(f64::max),
        yearly_visit_cost_kzt: km.iter().map(|k| sc.links.visits_per_year * 2.0 * k * sc.links.cost_per_km_kzt).sum(),
        ..Totals::default()
    }
}

fn district_rows(
    schools: &[School],
    hubs: &[HubRow],
    links: &[LinkRow],
    by_id: &BTreeMap<&str, &School>,
) -> Vec<DistrictRow> {
    let mut rows: BTreeMap<&str, (DistrictRow, Vec<f64>)> = BTreeMap::new();
    for s in schools {
        let r = rows
            .entry(s.district.as_str())
            .or_insert_with(|| (DistrictRow { district: s.district.clone(), ..DistrictRow::default() }, Vec::new()));
        if s.small {
            r.0.small_schools += 1;
        }
    }
    for h in hubs {
        let r = &mut rows.get_mut(h.district.as_str()).expect("hub district").0;
        r.hubs += 1;
        r.new_hubs += usize::from(h.status == "new");
        r.cost_kzt += h.cost_kzt;
    }
    for l in links {
        let s = by_id[l.small_school_id.as_str()];
        let (r, km) = rows.get_mut(s.district.as_str()).expect("school district");
        r.linked_small_schools += 1;
        r.linked_students += u64::from(l.students);
        r.cost_kzt += l.room_kzt;
        km.push(l.road_km);
    }
    rows.into_values()
        .map(|(mut r, km)| {
            r.mean_km = (!km.is_empty()).then(|| km.iter().sum::<f64>() / km.len() as f64);
            r.max_km = km.iter().copied().reduce(f64::max);
            r
        })
        .collect()
}
