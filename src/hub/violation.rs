//! The rules a plan can break, as `hubplan check-plan` reports them: one
//! variant per rule of `models/README.md`, each with a stable code
//! (`V-…`, listed in the README) so scripts can tell them apart.

use std::fmt;

/// One way a plan breaks its scenario's rules (found by [`super::verify`]).
#[derive(Debug, Clone, PartialEq)]
pub enum PlanViolation {
    /// A hub that is no school of the schools file.
    HubNotASchool {
        /// The hub's school id, as written in the plan.
        hub: String,
    },
    /// A hub listed twice.
    HubListedTwice {
        /// The hub's school id, as written in the plan.
        hub: String,
    },
    /// A hub that may not be a hub (`hub` = no, or too few students).
    HubNotCandidate {
        /// The hub's school id, as written in the plan.
        hub: String,
    },
    /// A hub whose status (`existing`/`new`) contradicts the schools file.
    HubStatus {
        /// The hub's school id, as written in the plan.
        hub: String,
        /// The status the plan gives it (`existing` or `new`).
        plan: String,
        /// Its hub status by the schools file and the scenario (`existing`, `candidate`).
        schools: &'static str,
    },
    /// An existing hub left out of the plan's hubs.
    ExistingHubMissing {
        /// The existing hub's school id.
        hub: String,
    },
    /// A school of `hubs.force` that is not a hub of the plan.
    ForcedHubMissing {
        /// The forced school's id.
        hub: String,
    },
    /// A school of `hubs.forbid` that is a hub of the plan.
    ForbiddenHub {
        /// The forbidden school's id.
        hub: String,
    },
    /// A link naming a school that does not exist.
    LinkUnknownSchool {
        /// The small school's id, as written in the plan.
        small: String,
        /// The hub's id, as written in the plan.
        hub: String,
    },
    /// A link from a school that is not small.
    LinkNotSmall {
        /// The linked school's id.
        small: String,
    },
    /// A link to a hub the plan does not open.
    LinkHubClosed {
        /// The small school's id, as written in the plan.
        small: String,
        /// The id of the hub it is linked to.
        hub: String,
    },
    /// A small school linked more than once.
    LinkedTwice {
        /// The small school's id, as written in the plan.
        small: String,
    },
    /// A link across districts under `links.within_district`.
    LinkCrossesDistricts {
        /// The small school's id, as written in the plan.
        small: String,
        /// The id of the hub it is linked to.
        hub: String,
        /// The small school's district.
        from: String,
        /// The hub's district.
        to: String,
    },
    /// A link with no road distance within `links.max_road_km`.
    LinkOutOfReach {
        /// The small school's id, as written in the plan.
        small: String,
        /// The id of the hub it is linked to.
        hub: String,
        /// The link radius, road km (`links.max_road_km`).
        max_km: f64,
    },
    /// A link longer than `links.max_road_km`.
    LinkTooLong {
        /// The small school's id, as written in the plan.
        small: String,
        /// The id of the hub it is linked to.
        hub: String,
        /// The link's length by the roads, km.
        km: f64,
        /// The link radius, road km (`links.max_road_km`).
        max_km: f64,
    },
    /// A link whose stated km differ from the roads'.
    LinkKm {
        /// The small school's id, as written in the plan.
        small: String,
        /// The id of the hub it is linked to.
        hub: String,
        /// The `road_km` the plan states.
        claimed: f64,
        /// The distance the roads give, km.
        roads: f64,
    },
    /// A hub with more small schools than its capacity.
    OverSchoolCapacity {
        /// The hub's school id, as written in the plan.
        hub: String,
        /// Small schools the plan links to it.
        linked: u32,
        /// Its limit on small schools (its own `capacity_small_schools`, else the scenario's).
        capacity: u32,
    },
    /// A hub with more linked students than `hubs.capacity_students`.
    OverStudentCapacity {
        /// The hub's school id, as written in the plan.
        hub: String,
        /// Students of the small schools the plan links to it.
        students: u64,
        /// The limit, students (`hubs.capacity_students`).
        capacity: u32,
    },
    /// A district with fewer hubs than `hubs.min_per_district`.
    DistrictBelowMin {
        /// The district.
        district: String,
        /// Hubs the plan opens in it, existing and new.
        hubs: usize,
        /// `hubs.min_per_district`.
        min: usize,
    },
    /// A district with more hubs than `hubs.max_per_district`.
    DistrictAboveMax {
        /// The district.
        district: String,
        /// Hubs the plan opens in it, existing and new.
        hubs: usize,
        /// `hubs.max_per_district`.
        max: usize,
    },
    /// More new hubs than `hubs.max_new`.
    TooManyNewHubs {
        /// New hubs in the plan.
        new_hubs: usize,
        /// `hubs.max_new`.
        max: usize,
    },
    /// New hubs and rooms cost more than `budget.kzt`.
    OverBudget {
        /// New hubs plus rooms, KZT, recomputed from the schools file and the scenario.
        cost: f64,
        /// Of that, the new hubs, KZT.
        hub_cost: f64,
        /// Of that, the rooms, KZT.
        room_cost: f64,
        /// `budget.kzt`, KZT.
        budget: f64,
    },
    /// A small school neither linked nor listed as unlinked.
    Unaccounted {
        /// The small school's id.
        small: String,
    },
    /// A small school listed as `no-hub-in-reach` (or `no-internet`) with a
    /// hub candidate in reach of a mode it may have.
    WrongReason {
        /// The small school's id.
        small: String,
        /// The reason the plan gives (`no-hub-in-reach`, `no-internet`).
        reason: &'static str,
    },
    /// A small school in reach left unlinked under an objective that links all.
    ReachableUnlinked {
        /// The small school's id.
        small: String,
        /// The scenario's objective (`min-distance` or `min-cost`).
        objective: &'static str,
    },
    /// A total of `plan.json` that its hubs and links do not give.
    Total {
        /// The field of `totals`, e.g. `linked_students`.
        total: &'static str,
        /// Its value in `plan.json`.
        claimed: f64,
        /// The value the hubs and links give.
        actual: f64,
    },
    /// A link whose `mode` is none of the scenario's modes, or a link
    /// without `mode` in a plan with `[[links.modes]]`.
    ModeUnknown {
        /// The small school's id, as written in the plan.
        small: String,
        /// The id of the hub it is linked to.
        hub: String,
        /// The mode the link names (`None`: it names none).
        mode: Option<String>,
        /// The modes of the scenario.
        known: Vec<String>,
    },
    /// A link beyond its mode's reach: road km or driving minutes over the
    /// mode's limits, or (district reach) a hub outside the school's district.
    ModeReach {
        /// The small school's id, as written in the plan.
        small: String,
        /// The id of the hub it is linked to.
        hub: String,
        /// The link's mode.
        mode: String,
        /// What is beyond reach, in a few words.
        detail: String,
    },
    /// A link in a mode that needs an internet connection, to a small
    /// school without one (`links.unknown_internet` deciding `unknown`).
    NoInternet {
        /// The small school's id, as written in the plan.
        small: String,
        /// The id of the hub it is linked to.
        hub: String,
        /// The link's mode.
        mode: String,
        /// The school's `internet` value (`no`, `unknown`).
        internet: &'static str,
    },
    /// A hub whose links take more teacher hours a year than it has.
    TeacherHours {
        /// The hub's school id.
        hub: String,
        /// The hours a year its links take, recomputed from the modes and the roads.
        used: f64,
        /// The hours it has (its `teacher_hours_per_year`, else `hubs.teacher_hours_per_year`).
        available: f64,
    },
    /// A teacher-hours figure of `plan.json` (a link's, a hub's) that the
    /// modes and the roads do not give.
    TeacherHoursFigure {
        /// Whose figure: `link a1 → A1`, `hub A1`, `hub A1 available`.
        of: String,
        /// The figure in `plan.json`.
        claimed: f64,
        /// The figure recomputed.
        actual: f64,
    },
    /// A per-mode total (`totals.modes`) that the plan's links do not give.
    ModeTotal {
        /// The mode.
        mode: String,
        /// The field, e.g. `linked_students`.
        total: &'static str,
        /// Its value in `plan.json`.
        claimed: f64,
        /// The value the links give.
        actual: f64,
    },
    /// A rollout rule broken in a year (codes `R-…`, see [`super::rollout::violations`]).
    Rollout {
        /// The rule's stable code (`R-…`).
        code: &'static str,
        /// The year it is broken in; `None` when the breach belongs to no one year of the rollout.
        year: Option<i32>,
        /// What is wrong, in a sentence.
        detail: String,
    },
}

impl PlanViolation {
    /// The stable code, e.g. `V-LINK-TOO-LONG`.
    pub fn code(&self) -> &'static str {
        match self {
            PlanViolation::HubNotASchool { .. } => "V-HUB-UNKNOWN",
            PlanViolation::HubListedTwice { .. } => "V-HUB-TWICE",
            PlanViolation::HubNotCandidate { .. } => "V-HUB-NOT-CANDIDATE",
            PlanViolation::HubStatus { .. } => "V-HUB-STATUS",
            PlanViolation::ExistingHubMissing { .. } => "V-EXISTING-HUB-MISSING",
            PlanViolation::ForcedHubMissing { .. } => "V-FORCED-HUB-MISSING",
            PlanViolation::ForbiddenHub { .. } => "V-FORBIDDEN-HUB",
            PlanViolation::LinkUnknownSchool { .. } => "V-LINK-UNKNOWN",
            PlanViolation::LinkNotSmall { .. } => "V-LINK-NOT-SMALL",
            PlanViolation::LinkHubClosed { .. } => "V-LINK-HUB-CLOSED",
            PlanViolation::LinkedTwice { .. } => "V-LINKED-TWICE",
            PlanViolation::LinkCrossesDistricts { .. } => "V-LINK-DISTRICT",
            PlanViolation::LinkOutOfReach { .. } => "V-LINK-NO-ROAD",
            PlanViolation::LinkTooLong { .. } => "V-LINK-TOO-LONG",
            PlanViolation::LinkKm { .. } => "V-LINK-KM",
            PlanViolation::OverSchoolCapacity { .. } => "V-CAPACITY-SCHOOLS",
            PlanViolation::OverStudentCapacity { .. } => "V-CAPACITY-STUDENTS",
            PlanViolation::DistrictBelowMin { .. } => "V-DISTRICT-MIN",
            PlanViolation::DistrictAboveMax { .. } => "V-DISTRICT-MAX",
            PlanViolation::TooManyNewHubs { .. } => "V-MAX-NEW",
            PlanViolation::OverBudget { .. } => "V-BUDGET",
            PlanViolation::Unaccounted { .. } => "V-UNACCOUNTED",
            PlanViolation::WrongReason { .. } => "V-REASON",
            PlanViolation::ReachableUnlinked { .. } => "V-UNLINKED",
            PlanViolation::Total { .. } => "V-TOTAL",
            PlanViolation::ModeUnknown { .. } => "V-MODE-UNKNOWN",
            PlanViolation::ModeReach { .. } => "V-MODE-REACH",
            PlanViolation::NoInternet { .. } => "V-NO-INTERNET",
            PlanViolation::TeacherHours { .. } => "V-TEACHER-HOURS",
            PlanViolation::TeacherHoursFigure { .. } => "V-TEACHER-HOURS-FIGURE",
            PlanViolation::ModeTotal { .. } => "V-MODE-TOTAL",
            PlanViolation::Rollout { code, .. } => code,
        }
    }
}

impl fmt::Display for PlanViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanViolation::HubNotASchool { hub } => write!(f, "hub {hub} is not a school of the schools file"),
            PlanViolation::HubListedTwice { hub } => write!(f, "hub {hub} is listed twice"),
            PlanViolation::HubNotCandidate { hub } => write!(f, "hub {hub} is not a hub candidate"),
            PlanViolation::HubStatus { hub, plan, schools } => {
                write!(f, "hub {hub} has status `{plan}` but the schools file says {schools}")
            }
            PlanViolation::ExistingHubMissing { hub } => {
                write!(f, "existing hub {hub} is missing from the plan's hubs")
            }
            PlanViolation::ForcedHubMissing { hub } => {
                write!(f, "school {hub} is in `hubs.force` but is not a hub of the plan")
            }
            PlanViolation::ForbiddenHub { hub } => write!(f, "hub {hub} is in `hubs.forbid`"),
            PlanViolation::LinkUnknownSchool { small, hub } => {
                write!(f, "link {small} → {hub} names a school that does not exist")
            }
            PlanViolation::LinkNotSmall { small } => write!(f, "link from {small}: it is not a small school"),
            PlanViolation::LinkHubClosed { small, hub } => {
                write!(f, "link {small} → {hub}: the hub is not open in this plan")
            }
            PlanViolation::LinkedTwice { small } => write!(f, "small school {small} is linked more than once"),
            PlanViolation::LinkCrossesDistricts { small, hub, from, to } => {
                write!(f, "link {small} → {hub} crosses districts ({from} → {to}) but links.within_district = true")
            }
            PlanViolation::LinkOutOfReach { small, hub, max_km } => write!(
                f,
                "link {small} → {hub} is longer than links.max_road_km = {max_km} km (no road distance within the radius)"
            ),
            PlanViolation::LinkTooLong { small, hub, km, max_km } => {
                write!(f, "link {small} → {hub} is {km:.1} km, over links.max_road_km = {max_km} km")
            }
            PlanViolation::LinkKm { small, hub, claimed, roads } => {
                write!(f, "link {small} → {hub} says {claimed:.3} km, the roads give {roads:.3} km")
            }
            PlanViolation::OverSchoolCapacity { hub, linked, capacity } => {
                write!(f, "hub {hub} has {linked} small schools linked, over its capacity of {capacity}")
            }
            PlanViolation::OverStudentCapacity { hub, students, capacity } => {
                write!(f, "hub {hub} has {students} linked students, over hubs.capacity_students = {capacity}")
            }
            PlanViolation::DistrictBelowMin { district, hubs, min } => {
                write!(f, "district {district} has {hubs} hub(s), below hubs.min_per_district = {min}")
            }
            PlanViolation::DistrictAboveMax { district, hubs, max } => {
                write!(f, "district {district} has {hubs} hubs, over hubs.max_per_district = {max}")
            }
            PlanViolation::TooManyNewHubs { new_hubs, max } => {
                write!(f, "{new_hubs} new hubs, over hubs.max_new = {max}")
            }
            PlanViolation::OverBudget { cost, hub_cost, room_cost, budget } => write!(
                f,
                "the plan costs KZT {cost:.0} (hubs {hub_cost:.0} + rooms {room_cost:.0}), over budget.kzt = {budget:.0} by {:.0}",
                cost - budget
            ),
            PlanViolation::Unaccounted { small } => {
                write!(f, "small school {small} is neither linked nor listed as unlinked")
            }
            PlanViolation::WrongReason { small, reason } => {
                write!(f, "small school {small} is listed as {reason} but a hub candidate is in reach")
            }
            PlanViolation::ReachableUnlinked { small, objective } => {
                write!(f, "small school {small} is in reach of a hub but unlinked, and objective {objective} links all")
            }
            PlanViolation::Total { total, claimed, actual } => {
                write!(f, "totals.{total} is {claimed}, the plan's links and hubs give {actual}")
            }
            PlanViolation::ModeUnknown { small, hub, mode: Some(mode), known } => {
                write!(f, "link {small} → {hub} has mode `{mode}`, not one of the scenario's ({})", known.join(", "))
            }
            PlanViolation::ModeUnknown { small, hub, mode: None, known } => {
                write!(f, "link {small} → {hub} has no mode; the scenario's modes are {}", known.join(", "))
            }
            PlanViolation::ModeReach { small, hub, mode, detail } => {
                write!(f, "link {small} → {hub} ({mode}) is beyond the mode's reach: {detail}")
            }
            PlanViolation::NoInternet { small, hub, mode, internet } => write!(
                f,
                "link {small} → {hub} ({mode}) needs an internet connection, and the school's internet is `{internet}`"
            ),
            PlanViolation::TeacherHours { hub, used, available } => write!(
                f,
                "hub {hub}'s links take {used:.1} teacher hours a year, over the {available:.1} it has (by {:.1})",
                used - available
            ),
            PlanViolation::TeacherHoursFigure { of, claimed, actual } => {
                write!(f, "{of}: plan.json says {claimed} teacher hours a year, the modes and roads give {actual:.3}")
            }
            PlanViolation::ModeTotal { mode, total, claimed, actual } => {
                write!(f, "totals.modes[{mode}].{total} is {claimed}, the plan's links give {actual}")
            }
            PlanViolation::Rollout { year: Some(y), detail, .. } => write!(f, "rollout, {y}: {detail}"),
            PlanViolation::Rollout { year: None, detail, .. } => write!(f, "rollout: {detail}"),
        }
    }
}
