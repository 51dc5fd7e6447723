//! The scenario file: a planning model and its parameters, in TOML.
//!
//! Every key has a default except `data.schools` (see `models/README.md`).
//! Unknown keys are an error naming the key and the nearest known one, so a
//! typo never silently falls back to a default.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, InputErrors, Location, Problems, deserialize_all};

/// Why a scenario cannot be used: every problem of the file at once, each
/// with its key path (`hubs.max_new`), line and code.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ScenarioError(pub InputErrors);

/// A scenario with every default filled in; paths are as written in the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Title of the plan, shown in reports.
    #[serde(default = "default_name")]
    pub name: String,
    /// Input files (`[data]`).
    pub data: Data,
    /// Which schools may be hubs, how many and at what cost (`[hubs]`).
    #[serde(default)]
    pub hubs: Hubs,
    /// Which schools are small and what their rooms cost (`[small_schools]`).
    #[serde(default)]
    pub small_schools: SmallSchools,
    /// Which links are allowed and what driving them costs (`[links]`).
    #[serde(default)]
    pub links: Links,
    /// The spending limit (`[budget]`).
    #[serde(default)]
    pub budget: Budget,
    /// What the plan optimises (`[objective]`).
    #[serde(default)]
    pub objective: Objective,
    /// How it is solved (`[solver]`).
    #[serde(default)]
    pub solver: Solver,
    /// A multi-year rollout (`[rollout]`): which hubs open in which year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<Rollout>,
}

/// One value for every year, or one per year (in the order of `rollout.years`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PerYear<T> {
    /// The same value in every year (written as a single value).
    Every(T),
    /// One value per year, in the order of `rollout.years` (written as a list).
    Each(Vec<T>),
}

impl<T: Clone> PerYear<T> {
    /// The value of each of `n` years (`None` when a list has another length).
    pub fn per_year(&self, n: usize) -> Option<Vec<T>> {
        match self {
            PerYear::Every(v) => Some(vec![v.clone(); n]),
            PerYear::Each(list) if list.len() == n => Some(list.clone()),
            PerYear::Each(_) => None,
        }
    }

    fn len(&self) -> Option<usize> {
        match self {
            PerYear::Every(_) => None,
            PerYear::Each(l) => Some(l.len()),
        }
    }

    fn values(&self) -> Vec<T> {
        match self {
            PerYear::Every(v) => vec![v.clone()],
            PerYear::Each(l) => l.clone(),
        }
    }
}

/// A staged rollout over several years (see `models/README.md`, "Multi-year rollout").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rollout {
    /// Calendar years, strictly increasing, at least two.
    pub years: Vec<i32>,
    /// Each year's limit on new hubs plus rooms bought that year, KZT (none: no yearly limit).
    #[serde(default)]
    pub budget_kzt: Option<PerYear<f64>>,
    /// Each year's limit on new hubs (none: no yearly limit).
    #[serde(default)]
    pub max_new: Option<PerYear<usize>>,
    /// What a year does not spend carries to the next year (default: it is lost).
    #[serde(default)]
    pub carry_over: bool,
    /// Weight of each year's linked students in the objective (default 1 each).
    #[serde(default)]
    pub year_weights: Option<Vec<f64>>,
    /// A linked small school keeps its hub in later years (default true).
    #[serde(default = "yes")]
    pub stable_links: bool,
}

fn yes() -> bool {
    true
}

fn default_name() -> String {
    "unnamed scenario".into()
}

/// Input files, relative to the scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Data {
    /// The schools file, CSV or spreadsheet (the one required key of a scenario).
    pub schools: PathBuf,
    /// The sheet of a spreadsheet `schools` to read (none: the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schools_sheet: Option<String>,
    /// The road layer (GeoJSON lines or `.osm.pbf`); none: road km = straight-line km × `links.detour_factor`.
    #[serde(default)]
    pub roads: Option<PathBuf>,
    /// District polygons (GeoJSON, `name` property), for the maps and to place a school without a
    /// `district` value in the one containing it. None: every school must name its district.
    #[serde(default)]
    pub districts: Option<PathBuf>,
    /// A CSV whose `school_id` (or `id`) column lists schools to treat as
    /// existing hubs, whatever their `hub` column says (e.g. the `hubs.csv` of
    /// last year's plan).
    #[serde(default)]
    pub existing_hubs: Option<PathBuf>,
    /// A CSV whose `small_school_id` (or `school_id`, or `id`) column lists
    /// small schools that already have their room (e.g. the `links.csv` of
    /// earlier plans): linking them costs no room.
    #[serde(default)]
    pub equipped_schools: Option<PathBuf>,
}

/// Which schools may be hubs, how many per district and in all, their cost and capacity (`[hubs]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Hubs {
    /// At least this many hubs (existing or new) in every district.
    pub min_per_district: usize,
    /// At most this many hubs in any district (none: no limit).
    pub max_per_district: Option<usize>,
    /// At most this many new hubs in total (none: no limit).
    pub max_new: Option<usize>,
    /// Cost of equipping one new hub, KZT (a school's `hub_cost_kzt` overrides it).
    pub cost_kzt: f64,
    /// A school without a `hub` value is a candidate when it has at least this many students.
    pub min_students: u32,
    /// At most this many small schools linked to one hub (a school's `capacity_small_schools` overrides it).
    pub capacity_small_schools: Option<u32>,
    /// At most this many students in the small schools linked to one hub.
    pub capacity_students: Option<u32>,
    /// School ids that must be hubs: candidates opened as new hubs in every
    /// plan (paid for and counted against `max_new` like any new hub), or
    /// existing hubs (which are open anyway). One id may be written alone.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub force: Vec<String>,
    /// School ids that may not be hubs (candidates left closed); an
    /// existing hub cannot be forbidden. One id may be written alone.
    #[serde(deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub forbid: Vec<String>,
    /// Teacher hours a year each hub gives its linked small schools (a
    /// school's `teacher_hours_per_year` overrides it); none: no limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub teacher_hours_per_year: Option<f64>,
}

/// A list of strings, or one string standing for a list of one (so
/// `--set hubs.force=S123` works as `--set 'hubs.force=["S123"]'`).
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    match OneOrMany::deserialize(d) {
        Ok(OneOrMany::One(s)) => Ok(vec![s]),
        Ok(OneOrMany::Many(v)) => Ok(v),
        Err(_) => Err(serde::de::Error::custom("must be a school id or a list of school ids")),
    }
}

impl Default for Hubs {
    fn default() -> Self {
        Hubs {
            min_per_district: 1,
            max_per_district: None,
            max_new: None,
            cost_kzt: 250_000_000.0,
            min_students: 200,
            capacity_small_schools: None,
            capacity_students: None,
            force: Vec::new(),
            forbid: Vec::new(),
            teacher_hours_per_year: None,
        }
    }
}

/// Which schools are small (may be linked to a hub) and the rooms they get (`[small_schools]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmallSchools {
    /// A school without a `kind` value is small when it has fewer students than this.
    pub max_students: u32,
    /// Small schools with more pupils than this get a digital room, the others a universal room.
    pub digital_room_min_students: u32,
    /// Cost of equipping a digital room in a linked small school, KZT.
    pub digital_room_kzt: f64,
    /// Cost of equipping a universal room in a linked small school, KZT.
    pub universal_room_kzt: f64,
}

impl Default for SmallSchools {
    fn default() -> Self {
        SmallSchools {
            max_students: 180,
            digital_room_min_students: 80,
            digital_room_kzt: 20_000_000.0,
            universal_room_kzt: 12_000_000.0,
        }
    }
}

/// Which hub–small-school links are allowed, and how distances and visits are costed (`[links]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Links {
    /// Longest allowed link, road km from the hub to the small school.
    pub max_road_km: f64,
    /// Links only inside a district.
    pub within_district: bool,
    /// Cost of one km driven, KZT (for `min-cost`).
    pub cost_per_km_kzt: f64,
    /// Visits per year from the hub to each linked school (each a round trip).
    pub visits_per_year: f64,
    /// Without a road layer: road km = straight-line km × this.
    pub detour_factor: f64,
    /// A school farther than this from every road is reported, not linked.
    pub snap_limit_km: f64,
    /// Longest allowed link in driving minutes (none: no limit), for the
    /// road reach of every mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_minutes: Option<f64>,
    /// How a school whose `internet` value is `unknown` (or missing) counts
    /// for modes that need a connection.
    #[serde(skip_serializing_if = "UnknownInternet::is_default")]
    pub unknown_internet: UnknownInternet,
    /// The ways a hub serves a small school (`[[links.modes]]`); empty: one
    /// road mode built from the keys above, exactly today's model.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub modes: Vec<LinkMode>,
}

/// How `unknown` in the schools' `internet` column counts (`links.unknown_internet`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnknownInternet {
    /// As a school without a connection (the default: a plan never counts on a line nobody checked).
    #[default]
    No,
    /// As a school with a connection.
    Yes,
}

/// Where a link mode may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reach {
    /// Within `links.max_road_km` (or the mode's own) and `links.max_minutes` of driving.
    Road,
    /// Any hub of the school's own district, with no road needed (online teaching).
    District,
}

/// One way a hub serves a small school (`[[links.modes]]`): teacher visits,
/// online lessons, or both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkMode {
    /// Its name, as written on links (`visits`, `online`).
    pub name: String,
    /// `road` or `district`.
    pub reach: Reach,
    /// Whether the small school needs an internet connection (default:
    /// false for road reach, true for district reach).
    #[serde(default)]
    pub requires_internet: Option<bool>,
    /// Teacher visits per year (each a round trip from the hub).
    #[serde(default)]
    pub visits_per_year: f64,
    /// Teacher hours spent at the school per visit.
    #[serde(default)]
    pub hours_on_site: f64,
    /// Teacher hours of online lessons per year.
    #[serde(default)]
    pub online_hours_per_year: f64,
    /// What a linked student counts for in `max-coverage` (0 < value ≤ 1).
    #[serde(default = "one")]
    pub value: f64,
    /// Whether the link needs the small school's digital or universal room.
    #[serde(default = "yes")]
    pub room: bool,
    /// Teacher remuneration per linked school and year, KZT.
    #[serde(default)]
    pub yearly_cost_kzt: f64,
    /// This mode's own road reach, km (default `links.max_road_km`).
    #[serde(default)]
    pub max_road_km: Option<f64>,
    /// This mode's own reach in driving minutes (default `links.max_minutes`).
    #[serde(default)]
    pub max_minutes: Option<f64>,
}

fn one() -> f64 {
    1.0
}

impl UnknownInternet {
    /// Whether it is the default (`no`), which plans do not write.
    pub fn is_default(&self) -> bool {
        *self == UnknownInternet::No
    }
}

impl Links {
    /// The modes a plan uses: `[[links.modes]]`, or without it one road mode
    /// named `road` built from `max_road_km`, `max_minutes` and
    /// `visits_per_year` (teacher time then counts the driving only).
    pub fn effective_modes(&self) -> Vec<LinkMode> {
        if !self.modes.is_empty() {
            return self.modes.clone();
        }
        vec![LinkMode {
            name: "road".into(),
            reach: Reach::Road,
            requires_internet: Some(false),
            visits_per_year: self.visits_per_year,
            hours_on_site: 0.0,
            online_hours_per_year: 0.0,
            value: 1.0,
            room: true,
            yearly_cost_kzt: 0.0,
            max_road_km: None,
            max_minutes: None,
        }]
    }

    /// Whether school connectivity `net` counts as connected.
    pub fn connected(&self, net: crate::io::schools::Internet) -> bool {
        use crate::io::schools::Internet;
        match net {
            Internet::Yes => true,
            Internet::No => false,
            Internet::Unknown => self.unknown_internet == UnknownInternet::Yes,
        }
    }

    /// Whether a link of `mode` may reach a small school from a hub at
    /// `road_km` and `minutes` (road reach; district reach needs only the district).
    pub fn road_reach(&self, mode: &LinkMode, road_km: f64, minutes: f64) -> bool {
        road_km <= mode.max_road_km.unwrap_or(self.max_road_km)
            && mode.max_minutes.or(self.max_minutes).is_none_or(|m| minutes <= m)
    }
}

impl Scenario {
    /// Whether plans use the link-mode model (`[[links.modes]]`, or teacher
    /// hours on hubs); otherwise a link is a road within reach, as before.
    pub fn uses_modes(&self, schools: &[super::inputs::School]) -> bool {
        !self.links.modes.is_empty()
            || self.hubs.teacher_hours_per_year.is_some()
            || schools.iter().any(|s| s.teacher_hours_per_year.is_some())
    }

    /// Teacher hours a year hub school `s` has for linked small schools
    /// (its own column, else `hubs.teacher_hours_per_year`); `None`: no limit.
    pub fn teacher_hours_of(&self, s: &super::inputs::School) -> Option<f64> {
        s.teacher_hours_per_year.or(self.hubs.teacher_hours_per_year)
    }
}

impl LinkMode {
    /// Whether the small school needs a connection for this mode.
    pub fn needs_internet(&self) -> bool {
        self.requires_internet.unwrap_or(self.reach == Reach::District)
    }

    /// Whether teachers drive to the school (it then adds student-km and fuel).
    pub fn visits(&self) -> bool {
        self.visits_per_year > 0.0
    }

    /// Teacher hours a year one link in this mode takes of its hub, at
    /// `minutes` of driving each way.
    pub fn teacher_hours(&self, minutes: f64) -> f64 {
        self.visits_per_year * (2.0 * minutes / 60.0 + self.hours_on_site) + self.online_hours_per_year
    }
}

impl Default for Links {
    fn default() -> Self {
        Links {
            max_road_km: 100.0,
            within_district: true,
            cost_per_km_kzt: 60.0,
            visits_per_year: 18.0,
            detour_factor: 1.3,
            snap_limit_km: 5.0,
            max_minutes: None,
            unknown_internet: UnknownInternet::No,
            modes: Vec::new(),
        }
    }
}

/// The spending limit of a plan (`[budget]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Budget {
    /// Limit on new hubs plus rooms for newly linked small schools, KZT (none: no limit).
    pub kzt: Option<f64>,
}

/// What the plan optimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObjectiveKind {
    /// Most students in linked small schools; ties: fewest student-km.
    MaxCoverage,
    /// Every reachable small school linked; fewest student-km.
    MinDistance,
    /// Every reachable small school linked; least capital plus visit cost.
    MinCost,
}

impl ObjectiveKind {
    /// The name used in scenario files and plans (`max-coverage`, `min-distance`, `min-cost`).
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectiveKind::MaxCoverage => "max-coverage",
            ObjectiveKind::MinDistance => "min-distance",
            ObjectiveKind::MinCost => "min-cost",
        }
    }
}

/// What the plan optimises (`[objective]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Objective {
    /// The objective (default `max-coverage`).
    pub kind: ObjectiveKind,
    /// Years of visit costs counted by `min-cost`.
    pub years: f64,
}

impl Default for Objective {
    fn default() -> Self {
        Objective { kind: ObjectiveKind::MaxCoverage, years: 5.0 }
    }
}

/// Which solver runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SolverChoice {
    /// Heuristic with proven bounds; on small models the exact MIP closes what the bound leaves
    /// open (the default).
    Auto,
    /// Heuristic with Lagrangian bounds only.
    Heuristic,
    /// The exact MIP only.
    Mip,
}

/// How the plan is solved (`[solver]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Solver {
    /// Which solver runs (default `auto`).
    pub kind: SolverChoice,
    /// Wall-clock limit of the solve, seconds (default 60).
    pub time_limit_s: f64,
    /// Seed of every random choice (same seed and threads → same plan).
    pub seed: u64,
    /// Worker threads; 0 = one per core.
    pub threads: usize,
    /// With `auto`: solve districts that share no link separately and combine them exactly.
    pub decompose: bool,
}

impl Default for Solver {
    fn default() -> Self {
        Solver { kind: SolverChoice::Auto, time_limit_s: 60.0, seed: 1, threads: 0, decompose: true }
    }
}

/// Every key a scenario may hold, dotted (for unknown-key suggestions and `--vary`).
pub const KNOWN_KEYS: &[&str] = &[
    "name",
    "data.schools",
    "data.schools_sheet",
    "data.roads",
    "data.districts",
    "data.existing_hubs",
    "data.equipped_schools",
    "hubs.min_per_district",
    "hubs.max_per_district",
    "hubs.max_new",
    "hubs.cost_kzt",
    "hubs.min_students",
    "hubs.capacity_small_schools",
    "hubs.capacity_students",
    "hubs.force",
    "hubs.forbid",
    "hubs.teacher_hours_per_year",
    "small_schools.max_students",
    "small_schools.digital_room_min_students",
    "small_schools.digital_room_kzt",
    "small_schools.universal_room_kzt",
    "links.max_road_km",
    "links.within_district",
    "links.cost_per_km_kzt",
    "links.visits_per_year",
    "links.detour_factor",
    "links.snap_limit_km",
    "links.max_minutes",
    "links.unknown_internet",
    "links.modes",
    "budget.kzt",
    "objective.kind",
    "objective.years",
    "solver.kind",
    "solver.time_limit_s",
    "solver.seed",
    "solver.threads",
    "solver.decompose",
    "rollout.years",
    "rollout.budget_kzt",
    "rollout.max_new",
    "rollout.carry_over",
    "rollout.year_weights",
    "rollout.stable_links",
];

/// Every key of one `[[links.modes]]` table. Mode keys are not in
/// [`KNOWN_KEYS`] (a mode is a table of a list, not a scenario key): they are
/// reported as `links.modes[i].key`, with `i` counting the file's
/// `[[links.modes]]` tables from 1, as a reader counts them.
pub const MODE_KEYS: &[&str] = &[
    "name",
    "reach",
    "requires_internet",
    "visits_per_year",
    "hours_on_site",
    "online_hours_per_year",
    "value",
    "room",
    "yearly_cost_kzt",
    "max_road_km",
    "max_minutes",
];

/// A scenario as loaded: the parameters and where its file lives.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedScenario {
    /// The parameters, every default filled in.
    pub scenario: Scenario,
    /// The scenario file.
    pub file: PathBuf,
}

impl LoadedScenario {
    /// Reads a scenario file.
    pub fn load(path: &Path) -> Result<Self, ScenarioError> {
        Self::load_with(path, &[])
    }

    /// Reads a scenario file and applies `key=value` overrides (dotted keys, TOML values).
    ///
    /// Reports every problem at once: unknown keys (with the nearest known
    /// one), values of the wrong type, a missing `data.schools`, values out of
    /// range and keys that contradict each other.
    pub fn load_with(path: &Path, overrides: &[(String, String)]) -> Result<Self, ScenarioError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text, path, overrides),
            Err(e) => {
                let mut problems = Problems::new(path);
                problems.push(Location::File, ErrorCode::Unreadable, format!("cannot read the scenario: {e}"));
                problems.fail().map_err(ScenarioError)
            }
        }
    }

    /// A scenario from its TOML `text`, with `key=value` overrides, checked
    /// as [`LoadedScenario::load_with`] checks a file; `path` names it in
    /// problems and anchors its relative data paths (a scenario held in
    /// memory may name any path, e.g. `scenario.toml`).
    pub fn parse(text: &str, path: &Path, overrides: &[(String, String)]) -> Result<Self, ScenarioError> {
        let mut problems = Problems::new(path);
        let mut value: toml::Table = match toml::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                let at = e.span().map_or(Location::File, |s| Location::Line(text[..s.start].matches('\n').count() + 1));
                problems.push(at, ErrorCode::WrongFormat, format!("not valid TOML: {}", one_line(e.message())));
                return problems.fail().map_err(ScenarioError);
            }
        };
        check_keys(&mut value, "", text, &mut problems);
        for (k, v) in overrides {
            set_key(&mut value, k, v, &mut problems);
        }
        // Keys set on the command line are not on a line of the file.
        let line_of = |key: &str| {
            if overrides.iter().any(|(k, _)| k == key) { None } else { key_line(text, key) }
        };
        let has_schools = value.get("data").and_then(|d| d.as_table()).is_some_and(|d| d.contains_key("schools"));
        if !has_schools {
            problems.push(
                Location::Key("data.schools".into()),
                ErrorCode::MissingField,
                "the schools file is required: add `schools = \"FILE.csv\"` under `[data]`",
            );
            // Read on with a stand-in, to report the other problems too.
            if let Some(data) = value.entry("data").or_insert_with(|| toml::Table::new().into()).as_table_mut() {
                data.insert("schools".into(), "?".into());
            }
        }
        let scenario: Option<Scenario> = deserialize_all(&mut problems, toml::Value::Table(value), &line_of);
        if let Some(sc) = &scenario {
            sc.check_values(&mut problems, &line_of);
        }
        match scenario {
            Some(scenario) if problems.is_empty() => Ok(LoadedScenario { scenario, file: path.to_path_buf() }),
            _ => problems.fail().map_err(ScenarioError),
        }
    }

    /// A path from the scenario, resolved against the scenario file's folder.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            return p.to_path_buf();
        }
        match self.file.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.join(p),
            _ => p.to_path_buf(),
        }
    }
}

fn one_line(s: &str) -> String {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

/// Reports and removes unknown keys, naming the nearest known one and the line.
fn check_keys(table: &mut toml::Table, prefix: &str, text: &str, problems: &mut Problems) {
    let mut unknown = Vec::new();
    for (k, v) in table.iter_mut() {
        let dotted = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        let is_section = KNOWN_KEYS.iter().any(|known| known.starts_with(&format!("{dotted}.")));
        let at = key_line(text, &dotted).map_or(Location::Key(dotted.clone()), |l| Location::KeyAt(dotted.clone(), l));
        if dotted == "links.modes" {
            if !check_modes(v, text, problems) {
                unknown.push(k.clone());
            }
        } else if is_section {
            match v {
                toml::Value::Table(t) => check_keys(t, &dotted, text, problems),
                _ => {
                    problems.push(at, ErrorCode::BadValue, format!("must be a section ([{dotted}]), not a value"));
                    unknown.push(k.clone());
                }
            }
        } else if !KNOWN_KEYS.contains(&dotted.as_str()) {
            problems.push(at, ErrorCode::UnknownKey, format!("unknown key; did you mean `{}`?", nearest_key(&dotted)));
            unknown.push(k.clone());
        }
    }
    for k in unknown {
        table.remove(&k);
    }
}

/// The 1-based line on which dotted `key` is written (as `key =` in its
/// section, as `section.key =`, or as the `[section]` header).
fn key_line(text: &str, key: &str) -> Option<usize> {
    let (section, leaf) = key.rsplit_once('.').unwrap_or(("", key));
    let assigns = |line: &str, k: &str| line.strip_prefix(k).is_some_and(|rest| rest.trim_start().starts_with('='));
    let mut current = String::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        // `[section]`, or `[[links.modes]]` (an array of tables: its first header).
        if let Some(header) =
            line.strip_prefix('[').map(|l| l.trim_start_matches('[')).and_then(|l| l.split(']').next())
        {
            current = header.trim().to_string();
            if current == key {
                return Some(i + 1);
            }
        } else if (current == section && assigns(line, leaf))
            || (current.is_empty() && assigns(line, key))
            || (!current.is_empty() && key.strip_prefix(&format!("{current}.")).is_some_and(|k| assigns(line, k)))
        {
            return Some(i + 1);
        }
    }
    None
}

/// The known key closest to `key` by edit distance.
pub fn nearest_key(key: &str) -> &'static str {
    const SECTIONS: &[&str] = &["data", "hubs", "small_schools", "links", "budget", "objective", "solver", "rollout"];
    KNOWN_KEYS.iter().chain(SECTIONS).copied().min_by_key(|k| edit_distance(k, key)).unwrap_or("name")
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Sets dotted `key` to `value` (parsed as a TOML value; bare words become strings).
fn set_key(table: &mut toml::Table, key: &str, value: &str, problems: &mut Problems) {
    if key == "links.modes" || key.starts_with("links.modes[") || key.starts_with("links.modes.") {
        problems.push(
            Location::Key(key.into()),
            ErrorCode::BadValue,
            format!(
                "`--set {key}=…` is not supported: link modes are tables; write them as `[[links.modes]]` sections in the scenario file (models/README.md, *Link modes and teacher time*)"
            ),
        );
        return;
    }
    if !KNOWN_KEYS.contains(&key) {
        problems.push(
            Location::Key(key.into()),
            ErrorCode::UnknownKey,
            format!("`--set {key}=…`: unknown key; did you mean `{}`?", nearest_key(key)),
        );
        return;
    }
    let parsed: toml::Value = match toml::from_str::<toml::Table>(&format!("v = {value}")) {
        Ok(mut t) => t.remove("v").unwrap_or(toml::Value::String(value.into())),
        Err(_) => toml::Value::String(value.into()),
    };
    let parts: Vec<&str> = key.split('.').collect();
    let mut t = table;
    for part in &parts[..parts.len() - 1] {
        let entry = t.entry(part.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let Some(section) = entry.as_table_mut() else {
            problems.push(Location::Key(part.to_string()), ErrorCode::BadValue, "must be a section");
            return;
        };
        t = section;
    }
    t.insert(parts[parts.len() - 1].to_string(), parsed);
}

/// The key path of field `field` of the `n`-th mode (1-based): `links.modes[2].reach`.
fn mode_key(n: usize, field: &str) -> String {
    format!("links.modes[{n}].{field}")
}

/// The 1-based line of `field` in the `n`-th `[[links.modes]]` table (1-based),
/// or of that table's header when `field` is not written there; for modes
/// written inline (`modes = [{ … }]`) the line of `modes`.
fn mode_line(text: &str, n: usize, field: &str) -> Option<usize> {
    let assigns = |line: &str| line.strip_prefix(field).is_some_and(|rest| rest.trim_start().starts_with('='));
    let mut seen = 0;
    let mut header = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('[') {
            let name: String = line.chars().filter(|c| !c.is_whitespace()).collect();
            if name.starts_with("[[links.modes]]") {
                seen += 1;
                if seen == n {
                    header = Some(i + 1);
                    continue;
                }
            }
            if header.is_some() {
                break;
            }
        } else if header.is_some() && assigns(line) {
            return Some(i + 1);
        }
    }
    header.or_else(|| key_line(text, "links.modes"))
}

/// The mode key closest to `key` by edit distance.
fn nearest_mode_key(key: &str) -> &'static str {
    MODE_KEYS.iter().copied().min_by_key(|k| edit_distance(k, key)).unwrap_or("name")
}

/// What a TOML value is, in the user's words.
fn toml_kind(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) | toml::Value::Float(_) => "a number",
        toml::Value::Boolean(_) => "true or false",
        toml::Value::Datetime(_) => "a date",
        toml::Value::Array(_) => "a list",
        toml::Value::Table(_) => "a table",
    }
}

/// Checks `links.modes` as written, before it is read into [`LinkMode`]s:
/// an array of tables, each with known keys (unknown ones reported with the
/// nearest mode key and removed), a `name` and a `reach`, values of the
/// right type and in range, names unique. Every problem names its key as
/// `links.modes[i].key` (`i` from 1, see [`MODE_KEYS`]). Modes with a
/// problem are removed, so reading the rest cannot fail on them; returns
/// false when `links.modes` itself is unusable (then removed by the caller).
fn check_modes(v: &mut toml::Value, text: &str, problems: &mut Problems) -> bool {
    let Some(modes) = v.as_array_mut() else {
        let at = key_line(text, "links.modes")
            .map_or(Location::Key("links.modes".into()), |l| Location::KeyAt("links.modes".into(), l));
        problems.push(
            at,
            ErrorCode::BadValue,
            format!(
                "must be a list of tables, one `[[links.modes]]` section per mode (with two brackets), not {}",
                toml_kind(v)
            ),
        );
        return false;
    };
    let mut bad_modes = Vec::new();
    let mut names: Vec<(String, usize)> = Vec::new();
    for (i, mode) in modes.iter_mut().enumerate() {
        let n = i + 1;
        let mut bad = |field: &str, code: ErrorCode, message: String| {
            let key = if field.is_empty() { format!("links.modes[{n}]") } else { mode_key(n, field) };
            let at = mode_line(text, n, field).map_or(Location::Key(key.clone()), |l| Location::KeyAt(key, l));
            problems.push(at, code, message);
        };
        let Some(table) = mode.as_table_mut() else {
            bad("", ErrorCode::BadValue, format!("a mode must be a table of keys, not {}", toml_kind(mode)));
            bad_modes.push(i);
            continue;
        };
        let unknown: Vec<String> = table.keys().filter(|k| !MODE_KEYS.contains(&k.as_str())).cloned().collect();
        for k in unknown {
            bad(
                &k,
                ErrorCode::UnknownKey,
                format!("unknown key; did you mean `{}`?", mode_key(n, nearest_mode_key(&k))),
            );
            table.remove(&k);
        }
        let mut ok = true;
        match table.get("name") {
            None => {
                bad(
                    "name",
                    ErrorCode::MissingField,
                    "every mode needs a `name` (written on its links, e.g. `\"visits\"`)".into(),
                );
                ok = false;
            }
            Some(toml::Value::String(name)) if name.trim().is_empty() => {
                bad(
                    "name",
                    ErrorCode::BadValue,
                    "is empty; name the mode (written on its links, e.g. `\"visits\"`)".into(),
                );
                ok = false;
            }
            Some(toml::Value::String(_)) => {}
            Some(other) => {
                bad("name", ErrorCode::BadValue, format!("must be a string, found {}", toml_kind(other)));
                ok = false;
            }
        }
        const REACH: &str = "`road` (within `links.max_road_km` and `links.max_minutes` of driving, or the mode's own) or `district` (any hub of the school's district, no road needed)";
        match table.get("reach") {
            None => {
                bad("reach", ErrorCode::MissingField, format!("every mode needs a `reach`: {REACH}"));
                ok = false;
            }
            Some(toml::Value::String(r)) if r == "road" || r == "district" => {}
            Some(toml::Value::String(r)) => {
                bad("reach", ErrorCode::BadValue, format!("`{r}` is not a reach; choose {REACH}"));
                ok = false;
            }
            Some(other) => {
                bad("reach", ErrorCode::BadValue, format!("must be {REACH}, found {}", toml_kind(other)));
                ok = false;
            }
        }
        for (field, value) in table.iter() {
            let fits = match field.as_str() {
                "name" | "reach" => true,
                "requires_internet" | "room" => value.is_bool(),
                _ => value.is_integer() || value.is_float(),
            };
            if !fits {
                let want =
                    if matches!(field.as_str(), "requires_internet" | "room") { "true or false" } else { "a number" };
                bad(field, ErrorCode::BadValue, format!("expected {want}, found {}", toml_kind(value)));
                ok = false;
            }
        }
        if !ok {
            bad_modes.push(i);
            continue;
        }
        match toml::Value::Table(table.clone()).try_into::<LinkMode>() {
            Ok(m) => {
                let found = m.problems();
                if !found.is_empty() {
                    bad_modes.push(i);
                }
                for (field, code, message) in found {
                    bad(field, code, message);
                }
                match names.iter().find(|(name, _)| *name == m.name) {
                    Some((_, first)) => bad(
                        "name",
                        ErrorCode::DuplicateId,
                        format!("`{}` is already the name of mode {first}; each mode needs its own name", m.name),
                    ),
                    None => names.push((m.name.clone(), n)),
                }
            }
            Err(e) => {
                bad("", ErrorCode::BadValue, one_line(e.message()));
                bad_modes.push(i);
            }
        }
    }
    bad_modes.dedup();
    for i in bad_modes.into_iter().rev() {
        modes.remove(i);
    }
    true
}

impl LinkMode {
    /// Every value of this mode out of range, and every pair of its keys that
    /// contradict each other, as (field, code, message).
    pub fn problems(&self) -> Vec<(&'static str, ErrorCode, String)> {
        let mut out = Vec::new();
        for (field, v) in [
            ("visits_per_year", self.visits_per_year),
            ("hours_on_site", self.hours_on_site),
            ("online_hours_per_year", self.online_hours_per_year),
            ("yearly_cost_kzt", self.yearly_cost_kzt),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                out.push((field, ErrorCode::OutOfRange, format!("must be a number ≥ 0, found {v}")));
            }
        }
        if !(self.value.is_finite() && self.value > 0.0 && self.value <= 1.0) {
            let v = self.value;
            out.push((
                "value",
                ErrorCode::OutOfRange,
                format!("must be above 0 and at most 1 (what a linked student counts for), found {v}"),
            ));
        }
        for (field, v) in [("max_road_km", self.max_road_km), ("max_minutes", self.max_minutes)] {
            if let Some(v) = v
                && !(v.is_finite() && v > 0.0)
            {
                out.push((field, ErrorCode::OutOfRange, format!("must be a positive number, found {v}")));
            }
        }
        if self.reach == Reach::District {
            if self.visits_per_year > 0.0 {
                out.push((
                    "visits_per_year",
                    ErrorCode::Inconsistent,
                    format!(
                        "a `district` mode needs no road, so its links have no driving distance or time to visit over; for {} visits a year use a mode with `reach = \"road\"` (and a larger `max_road_km` if the schools are far)",
                        self.visits_per_year
                    ),
                ));
            }
            for (field, set) in
                [("max_road_km", self.max_road_km.is_some()), ("max_minutes", self.max_minutes.is_some())]
            {
                if set {
                    out.push((
                        field,
                        ErrorCode::Inconsistent,
                        "a `district` mode reaches every hub of the school's district, with no road, so a road limit would be ignored; remove it or use `reach = \"road\"`".into(),
                    ));
                }
            }
        }
        out
    }
}

impl Rollout {
    /// Pushes every rollout value out of range, naming the key and the year.
    fn check_values(&self, objective: ObjectiveKind, bad: &mut dyn FnMut(&str, ErrorCode, String)) {
        let n = self.years.len();
        if n < 2 {
            bad("rollout.years", ErrorCode::OutOfRange, format!("needs at least two years, found {n}"));
        }
        for w in self.years.windows(2) {
            if w[1] <= w[0] {
                bad(
                    "rollout.years",
                    ErrorCode::Inconsistent,
                    format!("must be strictly increasing, but {} follows {}", w[1], w[0]),
                );
            }
        }
        let year = |i: usize| self.years.get(i).map_or(String::new(), |y| format!(" (year {y})"));
        let lengths: [(&str, Option<usize>); 3] = [
            ("rollout.budget_kzt", self.budget_kzt.as_ref().and_then(PerYear::len)),
            ("rollout.max_new", self.max_new.as_ref().and_then(PerYear::len)),
            ("rollout.year_weights", self.year_weights.as_ref().map(Vec::len)),
        ];
        for (key, len) in lengths {
            if let Some(len) = len
                && len != n
            {
                bad(
                    key,
                    ErrorCode::Inconsistent,
                    format!("has {len} value{} but `rollout.years` has {n} years", if len == 1 { "" } else { "s" }),
                );
            }
        }
        if let Some(b) = &self.budget_kzt {
            for (i, v) in b.values().into_iter().enumerate() {
                if !(v.is_finite() && v >= 0.0) {
                    bad("rollout.budget_kzt", ErrorCode::OutOfRange, format!("must be ≥ 0, found {v}{}", year(i)));
                }
            }
        }
        if let Some(w) = &self.year_weights {
            for (i, &v) in w.iter().enumerate() {
                if !(v.is_finite() && v >= 0.0) {
                    bad("rollout.year_weights", ErrorCode::OutOfRange, format!("must be ≥ 0, found {v}{}", year(i)));
                }
            }
        }
        if objective != ObjectiveKind::MaxCoverage {
            bad(
                "objective.kind",
                ErrorCode::Inconsistent,
                format!(
                    "a rollout plans `max-coverage` (student-years linked, then student-km); `{}` has no agreed meaning over several years (which year's schools must all be linked?), so it is refused",
                    objective.as_str()
                ),
            );
        }
    }
}

impl Scenario {
    /// Pushes every value out of its range and every pair of keys that
    /// contradict each other (`line_of` gives the line a key is written on).
    fn check_values(&self, problems: &mut Problems, line_of: &dyn Fn(&str) -> Option<usize>) {
        let mut bad = |key: &str, code: ErrorCode, message: String| {
            let at = line_of(key).map_or(Location::Key(key.into()), |l| Location::KeyAt(key.into(), l));
            problems.push(at, code, message);
        };
        let mut non_negative = |key: &str, v: f64| {
            if !(v.is_finite() && v >= 0.0) {
                bad(key, ErrorCode::OutOfRange, format!("must be a number ≥ 0, found {v}"));
            }
        };
        non_negative("hubs.cost_kzt", self.hubs.cost_kzt);
        non_negative("small_schools.digital_room_kzt", self.small_schools.digital_room_kzt);
        non_negative("small_schools.universal_room_kzt", self.small_schools.universal_room_kzt);
        non_negative("links.cost_per_km_kzt", self.links.cost_per_km_kzt);
        non_negative("links.visits_per_year", self.links.visits_per_year);
        non_negative("objective.years", self.objective.years);
        non_negative("links.snap_limit_km", self.links.snap_limit_km);
        if let Some(b) = self.budget.kzt {
            non_negative("budget.kzt", b);
        }
        if !(self.links.max_road_km.is_finite() && self.links.max_road_km > 0.0) {
            let found = self.links.max_road_km;
            bad("links.max_road_km", ErrorCode::OutOfRange, format!("must be a positive number, found {found}"));
        }
        if !(self.links.detour_factor.is_finite() && self.links.detour_factor >= 1.0) {
            let found = self.links.detour_factor;
            bad("links.detour_factor", ErrorCode::OutOfRange, format!("must be at least 1, found {found}"));
        }
        if !(self.solver.time_limit_s.is_finite() && self.solver.time_limit_s > 0.0) {
            let found = self.solver.time_limit_s;
            bad("solver.time_limit_s", ErrorCode::OutOfRange, format!("must be a positive number, found {found}"));
        }
        if let Some(hi) = self.hubs.max_per_district
            && hi < self.hubs.min_per_district
        {
            bad(
                "hubs.max_per_district",
                ErrorCode::Inconsistent,
                format!("{hi} is below `hubs.min_per_district` = {}", self.hubs.min_per_district),
            );
        }
        if self.data.schools.as_os_str().is_empty() {
            bad("data.schools", ErrorCode::MissingField, "is empty; name the schools file".into());
        }
        for (key, ids) in [("hubs.force", &self.hubs.force), ("hubs.forbid", &self.hubs.forbid)] {
            let mut seen = std::collections::BTreeSet::new();
            for id in ids {
                if !seen.insert(id) {
                    bad(key, ErrorCode::DuplicateId, format!("lists school `{id}` twice"));
                }
            }
        }
        for id in self.hubs.force.iter().filter(|id| self.hubs.forbid.contains(id)) {
            bad("hubs.forbid", ErrorCode::Inconsistent, format!("school `{id}` is also in `hubs.force`"));
        }
        if self.rollout.is_some() && !self.hubs.force.is_empty() {
            bad(
                "hubs.force",
                ErrorCode::Inconsistent,
                "forcing hubs is not available with `[rollout]` yet (a forced hub's opening year would have to be chosen); `hubs.forbid` is".into(),
            );
        }
        if let Some(m) = self.links.max_minutes
            && !(m.is_finite() && m > 0.0)
        {
            bad("links.max_minutes", ErrorCode::OutOfRange, format!("must be a positive number, found {m}"));
        }
        if let Some(h) = self.hubs.teacher_hours_per_year
            && !(h.is_finite() && h >= 0.0)
        {
            bad("hubs.teacher_hours_per_year", ErrorCode::OutOfRange, format!("must be a number ≥ 0, found {h}"));
        }
        if self.rollout.is_some() {
            if !self.links.modes.is_empty() {
                bad(
                    "links.modes",
                    ErrorCode::Inconsistent,
                    "link modes are not available with `[rollout]` yet (a rollout plans road links only); plan each year with modes alone, or remove `[[links.modes]]`".into(),
                );
            }
            if self.hubs.teacher_hours_per_year.is_some() {
                bad(
                    "hubs.teacher_hours_per_year",
                    ErrorCode::Inconsistent,
                    "teacher hours are not available with `[rollout]` yet (a rollout does not count teacher time); remove the key or the `[rollout]` section".into(),
                );
            }
        }
        if let Some(r) = &self.rollout {
            r.check_values(self.objective.kind, &mut bad);
        }
    }

    /// The room a small school of `students` pupils gets, and its cost.
    pub fn room(&self, students: u32) -> (&'static str, f64) {
        if students > self.small_schools.digital_room_min_students {
            ("digital", self.small_schools.digital_room_kzt)
        } else {
            ("universal", self.small_schools.universal_room_kzt)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<LoadedScenario, ScenarioError> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.toml");
        std::fs::write(&p, text).unwrap();
        LoadedScenario::load(&p)
    }

    #[test]
    fn defaults_fill_everything_but_the_schools() {
        let s = load_text("[data]\nschools = \"s.csv\"\n").unwrap().scenario;
        assert_eq!(s.hubs, Hubs::default());
        assert_eq!(s.objective.kind, ObjectiveKind::MaxCoverage);
        let e = load_text("name = \"x\"\n").unwrap_err().to_string();
        assert!(e.contains("data"), "{e}");
    }

    #[test]
    fn unknown_keys_name_the_nearest_known_one_and_the_line() {
        let e = load_text("[data]\nschools = \"s.csv\"\n[hubs]\ncapacity_student = 5\n").unwrap_err().to_string();
        assert!(e.contains("`hubs.capacity_student`") && e.contains("`hubs.capacity_students`"), "{e}");
        assert!(e.contains("line 4"), "{e}");
        let e = load_text("[data]\nschools = \"s.csv\"\n[budjet]\nkzt = 5\n").unwrap_err().to_string();
        assert!(e.contains("budjet") && e.contains("`budget`"), "{e}");
    }

    #[test]
    fn bad_rollouts_name_the_key_and_the_year() {
        let base = "[data]\nschools = \"s.csv\"\n[rollout]\n";
        let e = load_text(&format!("{base}years = [2026, 2025]\n")).unwrap_err().to_string();
        assert!(e.contains("rollout.years") && e.contains("2025 follows 2026") && e.contains("line 4"), "{e}");
        let e = load_text(&format!("{base}years = [2025]\n")).unwrap_err().to_string();
        assert!(e.contains("rollout.years") && e.contains("at least two"), "{e}");
        let e = load_text(&format!("{base}years = [2025, 2026, 2027]\nmax_new = [3, 4]\n")).unwrap_err().to_string();
        assert!(e.contains("rollout.max_new") && e.contains("2 values") && e.contains("3 years"), "{e}");
        let e = load_text(&format!("{base}years = [2025, 2026]\nbudget_kzt = [1e9, -5]\n")).unwrap_err().to_string();
        assert!(e.contains("rollout.budget_kzt") && e.contains("(year 2026)"), "{e}");
        let e = load_text(&format!("{base}years = [2025, 2026]\nyear_weights = [1, 2, 3]\n")).unwrap_err().to_string();
        assert!(e.contains("rollout.year_weights") && e.contains("3 values"), "{e}");
        let e = load_text(&format!("{base}years = [2025, 2026]\n[objective]\nkind = \"min-cost\"\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("objective.kind") && e.contains("min-cost") && e.contains("refused"), "{e}");
        let e = load_text(&format!("{base}years = [2025, 2026]\nstable_link = true\n")).unwrap_err().to_string();
        assert!(e.contains("rollout.stable_links"), "{e}");
        let ok = load_text(&format!("{base}years = [2025, 2026]\nmax_new = 3\nbudget_kzt = [1e9, 2e9]\n")).unwrap();
        let r = ok.scenario.rollout.unwrap();
        assert_eq!(r.max_new.unwrap().per_year(2), Some(vec![3, 3]));
        assert!(r.stable_links && !r.carry_over);
    }

    #[test]
    fn bad_values_are_named() {
        let e = load_text("[data]\nschools = \"s.csv\"\n[budget]\nkzt = -1\n").unwrap_err().to_string();
        assert!(e.contains("budget.kzt"), "{e}");
        let e =
            load_text("[data]\nschools = \"s.csv\"\n[objective]\nkind = \"max-covrage\"\n").unwrap_err().to_string();
        assert!(e.contains("max-covrage"), "{e}");
        let e = load_text("[data]\nschools = \"s.csv\"\n[hubs]\nmin_per_district = 2\nmax_per_district = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("max_per_district"), "{e}");
    }

    #[test]
    fn messages_carry_the_file_key_line_and_code() {
        let e = load_text("[data]\nschools = \"s.csv\"\n[hubs]\nmax_nwe = 5\n").unwrap_err().to_string();
        assert!(
            e.ends_with(
                "s.toml: key `hubs.max_nwe` (line 4): unknown key; did you mean `hubs.max_new`? [E-UNKNOWN-KEY]"
            ),
            "{e}"
        );
        let e = load_text("[data]\nschools = \"s.csv\"\n[links]\nmax_road_km = -3\n").unwrap_err().to_string();
        assert!(e.ends_with("key `links.max_road_km` (line 4): must be a positive number, found -3 [E-RANGE]"), "{e}");
        let e = load_text("[data]\nschools = \"s.csv\"\n[hubs]\nmin_students = \"many\"\n").unwrap_err().to_string();
        assert!(e.contains("key `hubs.min_students` (line 4): invalid type: string \"many\""), "{e}");
        assert!(e.contains("expected a whole number ≥ 0 [E-VALUE]"), "{e}");
        let e = load_text("name = \"x\"\n").unwrap_err().to_string();
        assert!(e.contains("key `data.schools`: the schools file is required") && e.ends_with("[E-MISSING]"), "{e}");
        let e = load_text("[data]\nschools = \"s.csv\"\n[hubs]\nmin_students = -1\n").unwrap_err().to_string();
        assert!(e.contains("key `hubs.min_students` (line 4)") && e.ends_with("[E-RANGE]"), "{e}");
        let e = load_text("[data\nschools = 1\n").unwrap_err().to_string();
        assert!(e.contains("line 1: not valid TOML") && e.ends_with("[E-FORMAT]"), "{e}");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let text = "name = \"x\"\n\
                    [hubs]\n\
                    max_nwe = 5\n\
                    min_students = \"many\"\n\
                    min_per_district = 3\n\
                    max_per_district = 2\n\
                    [links]\n\
                    max_road_km = 0\n\
                    within_district = \"yes\"\n\
                    [objective]\n\
                    kind = \"max-covrage\"\n\
                    [budjet]\n\
                    kzt = 1\n";
        let ScenarioError(errors) = load_text(text).unwrap_err();
        let found: Vec<(String, &str)> = errors
            .0
            .iter()
            .map(|e| {
                let key = match &e.location {
                    Location::Key(k) | Location::KeyAt(k, _) => k.clone(),
                    other => panic!("no key: {other:?}"),
                };
                (key, e.code.as_str())
            })
            .collect();
        let want = [
            ("budjet", "E-UNKNOWN-KEY"),
            ("hubs.max_nwe", "E-UNKNOWN-KEY"),
            ("data.schools", "E-MISSING"),
            ("hubs.min_students", "E-VALUE"),
            ("links.within_district", "E-VALUE"),
            ("objective.kind", "E-VALUE"),
            ("links.max_road_km", "E-RANGE"),
            ("hubs.max_per_district", "E-INCONSISTENT"),
        ];
        for (key, code) in want {
            assert!(found.contains(&(key.to_string(), code)), "{key} {code} not in {found:?}");
        }
        assert_eq!(found.len(), want.len(), "{found:?}");
        let text = errors.to_string();
        assert!(text.starts_with("8 problems in the input:"), "{text}");
        assert!(text.contains("key `budjet` (line 12): unknown key; did you mean `budget`?"), "{text}");
        assert!(text.contains("unknown variant `max-covrage`"), "{text}");
    }

    const TWO_MODES: &str = "[data]\nschools = \"s.csv\"\n\
        [hubs]\nteacher_hours_per_year = 1440\n\
        [links]\nmax_road_km = 60\nmax_minutes = 75\n\
        [[links.modes]]\nname = \"visits\"\nreach = \"road\"\nvisits_per_year = 18\nhours_on_site = 4\nonline_hours_per_year = 36\nyearly_cost_kzt = 300000\n\
        [[links.modes]]\nname = \"online\"\nreach = \"district\"\nonline_hours_per_year = 72\n";

    /// `TWO_MODES` with `line` added to the second mode (written last).
    fn second_mode_with(line: &str) -> String {
        format!("{TWO_MODES}{line}\n")
    }

    #[test]
    fn a_good_two_mode_scenario_reads_with_its_defaults() {
        let s = load_text(TWO_MODES).unwrap().scenario;
        assert_eq!(s.links.modes.len(), 2);
        let (visits, online) = (&s.links.modes[0], &s.links.modes[1]);
        assert_eq!((visits.name.as_str(), visits.reach, online.reach), ("visits", Reach::Road, Reach::District));
        assert_eq!((visits.visits_per_year, visits.hours_on_site, visits.online_hours_per_year), (18.0, 4.0, 36.0));
        // Defaults: value 1, a room, no own reach, no pay; internet by reach.
        for m in [visits, online] {
            assert_eq!((m.value, m.room, m.max_road_km, m.max_minutes), (1.0, true, None, None));
            assert_eq!(m.requires_internet, None);
        }
        assert_eq!(online.yearly_cost_kzt, 0.0);
        assert!(!visits.needs_internet() && online.needs_internet());
        assert!(visits.visits() && !online.visits());
        // 18 round trips of 2 × 45 min plus 4 h on site, and 36 h online.
        assert!((visits.teacher_hours(45.0) - (18.0 * (1.5 + 4.0) + 36.0)).abs() < 1e-9);
        assert_eq!(s.links.max_minutes, Some(75.0));
        assert_eq!(s.links.unknown_internet, UnknownInternet::No);
        assert_eq!(s.hubs.teacher_hours_per_year, Some(1440.0));
        assert_eq!(s.links.effective_modes(), s.links.modes);
        // Without modes: one road mode from the links keys, today's model.
        let plain = load_text("[data]\nschools = \"s.csv\"\n").unwrap().scenario;
        let road = plain.links.effective_modes();
        assert_eq!(road.len(), 1);
        assert_eq!((road[0].reach, road[0].visits_per_year, road[0].needs_internet()), (Reach::Road, 18.0, false));
        assert!(!plain.uses_modes(&[]) && s.uses_modes(&[]));
        // An explicit `requires_internet` wins over the reach's default.
        let s = load_text(&second_mode_with("requires_internet = false")).unwrap().scenario;
        assert!(!s.links.modes[1].needs_internet());
    }

    #[test]
    fn an_unknown_mode_key_names_the_mode_its_line_and_the_nearest_mode_key() {
        let text = TWO_MODES.replace("visits_per_year = 18", "vists_per_year = 18");
        let e = load_text(&text).unwrap_err().to_string();
        assert!(
            e.contains(
                "key `links.modes[1].vists_per_year` (line 11): unknown key; did you mean `links.modes[1].visits_per_year`? [E-UNKNOWN-KEY]"
            ),
            "{e}"
        );
        let e = load_text(&second_mode_with("houres_on_site = 2")).unwrap_err().to_string();
        assert!(e.contains("key `links.modes[2].houres_on_site` (line 19)"), "{e}");
        assert!(e.contains("`links.modes[2].hours_on_site`?") && e.ends_with("[E-UNKNOWN-KEY]"), "{e}");
    }

    #[test]
    fn links_modes_must_be_a_list_of_tables() {
        let base = "[data]\nschools = \"s.csv\"\n";
        let e = load_text(&format!("{base}[links]\nmodes = 3\n")).unwrap_err().to_string();
        assert!(e.contains("key `links.modes` (line 4): must be a list of tables") && e.ends_with("[E-VALUE]"), "{e}");
        let e =
            load_text(&format!("{base}[links.modes]\nname = \"visits\"\nreach = \"road\"\n")).unwrap_err().to_string();
        assert!(e.contains("key `links.modes`") && e.contains("not a table") && e.ends_with("[E-VALUE]"), "{e}");
        let e = load_text(&format!("{base}[links]\nmodes = [1]\n")).unwrap_err().to_string();
        assert!(e.contains("key `links.modes[1]`") && e.contains("must be a table") && e.ends_with("[E-VALUE]"), "{e}");
        // Inline tables are tables.
        let ok =
            load_text(&format!("{base}[links]\nmodes = [{{ name = \"v\", reach = \"road\", visits_per_year = 9 }}]\n"))
                .unwrap();
        assert_eq!(ok.scenario.links.modes[0].visits_per_year, 9.0);
    }

    #[test]
    fn a_mode_without_name_or_reach_is_missing_them() {
        let e = load_text(&TWO_MODES.replace("reach = \"district\"\n", "")).unwrap_err().to_string();
        assert!(e.contains("key `links.modes[2].reach` (line 15): every mode needs a `reach`"), "{e}");
        assert!(e.contains("`road`") && e.contains("`district`") && e.ends_with("[E-MISSING]"), "{e}");
        let e = load_text(&TWO_MODES.replace("name = \"visits\"\n", "")).unwrap_err().to_string();
        assert!(
            e.contains("key `links.modes[1].name` (line 8): every mode needs a `name`") && e.ends_with("[E-MISSING]"),
            "{e}"
        );
    }

    #[test]
    fn a_reach_or_a_type_that_does_not_fit_names_the_mode_key_and_the_choices() {
        let e = load_text(&TWO_MODES.replace("reach = \"district\"", "reach = \"online\"")).unwrap_err().to_string();
        assert!(e.contains("key `links.modes[2].reach` (line 17): `online` is not a reach; choose `road`"), "{e}");
        assert!(e.contains("or `district`") && e.ends_with("[E-VALUE]"), "{e}");
        let e = load_text(&second_mode_with("hours_on_site = \"many\"")).unwrap_err().to_string();
        assert!(e.contains("`links.modes[2].hours_on_site`") && e.contains("expected a number, found a string"), "{e}");
        let e = load_text(&second_mode_with("room = \"yes\"")).unwrap_err().to_string();
        assert!(
            e.contains("`links.modes[2].room`") && e.contains("expected true or false") && e.ends_with("[E-VALUE]"),
            "{e}"
        );
    }

    #[test]
    fn mode_values_out_of_range_name_the_mode_key() {
        let cases = [
            ("hours_on_site = -2", "links.modes[1].hours_on_site", "must be a number ≥ 0, found -2"),
            ("visits_per_year = -1", "links.modes[1].visits_per_year", "must be a number ≥ 0, found -1"),
            ("online_hours_per_year = -36", "links.modes[1].online_hours_per_year", "found -36"),
            ("yearly_cost_kzt = -5", "links.modes[1].yearly_cost_kzt", "found -5"),
            ("value = 0", "links.modes[1].value", "must be above 0 and at most 1"),
            ("value = 1.5", "links.modes[1].value", "found 1.5"),
            ("max_road_km = 0", "links.modes[1].max_road_km", "must be a positive number, found 0"),
            ("max_minutes = -10", "links.modes[1].max_minutes", "must be a positive number, found -10"),
        ];
        for (line, key, message) in cases {
            let field = line.split(' ').next().unwrap();
            // Replace the field when the first mode has it, else add it there.
            let in_first_mode = ["visits_per_year", "hours_on_site", "online_hours_per_year", "yearly_cost_kzt"];
            let text = if in_first_mode.contains(&field) {
                let old = TWO_MODES.lines().find(|l| l.starts_with(&format!("{field} ="))).unwrap();
                TWO_MODES.replacen(old, line, 1)
            } else {
                TWO_MODES.replacen("hours_on_site = 4", &format!("hours_on_site = 4\n{line}"), 1)
            };
            let e = load_text(&text).unwrap_err().to_string();
            assert!(e.contains(&format!("key `{key}` (line ")) && e.contains(message), "{line}: {e}");
            assert!(e.ends_with("[E-RANGE]"), "{line}: {e}");
        }
        let base = "[data]\nschools = \"s.csv\"\n";
        let e = load_text(&format!("{base}[links]\nmax_minutes = 0\n")).unwrap_err().to_string();
        assert!(e.ends_with("key `links.max_minutes` (line 4): must be a positive number, found 0 [E-RANGE]"), "{e}");
        let e = load_text(&format!("{base}[hubs]\nteacher_hours_per_year = -40\n")).unwrap_err().to_string();
        assert!(
            e.ends_with("key `hubs.teacher_hours_per_year` (line 4): must be a number ≥ 0, found -40 [E-RANGE]"),
            "{e}"
        );
        assert!(load_text(&format!("{base}[hubs]\nteacher_hours_per_year = 0\n")).is_ok());
    }

    #[test]
    fn two_modes_of_one_name_are_a_duplicate() {
        let e = load_text(&TWO_MODES.replace("name = \"online\"", "name = \"visits\"")).unwrap_err().to_string();
        assert!(e.contains("key `links.modes[2].name` (line 16): `visits` is already the name of mode 1"), "{e}");
        assert!(e.ends_with("[E-DUPLICATE]"), "{e}");
    }

    #[test]
    fn a_district_mode_cannot_visit_or_have_a_road_limit() {
        let e = load_text(&second_mode_with("visits_per_year = 4")).unwrap_err().to_string();
        assert!(e.contains("key `links.modes[2].visits_per_year` (line 19): a `district` mode needs no road"), "{e}");
        assert!(e.contains("`reach = \"road\"`") && e.ends_with("[E-INCONSISTENT]"), "{e}");
        let e = load_text(&second_mode_with("max_road_km = 80")).unwrap_err().to_string();
        assert!(e.contains("key `links.modes[2].max_road_km`") && e.ends_with("[E-INCONSISTENT]"), "{e}");
        // Not over-policed: a district mode without internet, a mode that teaches nothing.
        assert!(load_text(&second_mode_with("requires_internet = false")).is_ok());
        assert!(load_text(&TWO_MODES.replace("online_hours_per_year = 72", "online_hours_per_year = 0")).is_ok());
    }

    #[test]
    fn every_mode_problem_is_reported_at_once_with_its_original_index() {
        let text = TWO_MODES
            .replace("reach = \"road\"", "reach = \"roads\"")
            .replace("online_hours_per_year = 72", "online_hours_per_year = -1\nvalu = 1");
        let ScenarioError(errors) = load_text(&text).unwrap_err();
        let found: Vec<(String, &str)> = errors
            .0
            .iter()
            .map(|e| match &e.location {
                Location::Key(k) | Location::KeyAt(k, _) => (k.clone(), e.code.as_str()),
                other => panic!("no key: {other:?}"),
            })
            .collect();
        let want = [
            ("links.modes[1].reach", "E-VALUE"),
            ("links.modes[2].valu", "E-UNKNOWN-KEY"),
            ("links.modes[2].online_hours_per_year", "E-RANGE"),
        ];
        assert_eq!(found.len(), want.len(), "{found:?}");
        for (key, code) in want {
            assert!(found.contains(&(key.to_string(), code)), "{key} {code} not in {found:?}");
        }
    }

    #[test]
    fn modes_and_teacher_hours_are_not_available_with_a_rollout_yet() {
        let e = load_text(&format!("{TWO_MODES}[rollout]\nyears = [2025, 2026]\n")).unwrap_err().to_string();
        assert!(e.contains("key `links.modes` (line 8): link modes are not available with `[rollout]` yet"), "{e}");
        assert!(
            e.contains(
                "key `hubs.teacher_hours_per_year` (line 4): teacher hours are not available with `[rollout]` yet"
            ),
            "{e}"
        );
        assert!(e.contains("[E-INCONSISTENT]"), "{e}");
    }

    #[test]
    fn every_scenario_in_models_reads_and_the_mode_scenarios_keep_their_base_rules() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        assert!(files.len() >= 7, "{files:?}");
        for f in &files {
            LoadedScenario::load(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        }
        for region in ["aktobe", "kazakhstan"] {
            let base = LoadedScenario::load(&dir.join(format!("{region}-2025.toml"))).unwrap().scenario;
            let modes = LoadedScenario::load(&dir.join(format!("{region}-2025-modes.toml"))).unwrap().scenario;
            let names: Vec<&str> = modes.links.modes.iter().map(|m| m.name.as_str()).collect();
            assert_eq!(names, ["visits", "online"], "{region}");
            assert!(!modes.links.modes[0].needs_internet() && modes.links.modes[1].needs_internet());
            assert!(modes.hubs.teacher_hours_per_year.is_some_and(|h| h > 0.0));
            // The same rules otherwise.
            let mut same = modes.clone();
            same.name = base.name.clone();
            same.links.modes.clear();
            same.hubs.teacher_hours_per_year = None;
            assert_eq!(same, base, "{region}");
        }
    }

    #[test]
    fn modes_cannot_be_set_on_the_command_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.toml");
        std::fs::write(&p, "[data]\nschools = \"s.csv\"\n").unwrap();
        for key in ["links.modes", "links.modes[1].visits_per_year"] {
            let e = LoadedScenario::load_with(&p, &[(key.into(), "[]".into())]).unwrap_err().to_string();
            assert!(e.contains(&format!("key `{key}`: `--set {key}=…` is not supported")), "{e}");
            assert!(e.contains("`[[links.modes]]` sections in the scenario file") && e.ends_with("[E-VALUE]"), "{e}");
        }
    }

    #[test]
    fn overrides_set_dotted_keys_and_reject_unknown_ones() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.toml");
        std::fs::write(&p, "[data]\nschools = \"s.csv\"\n").unwrap();
        let s = LoadedScenario::load_with(
            &p,
            &[("budget.kzt".into(), "2e9".into()), ("objective.kind".into(), "min-cost".into())],
        )
        .unwrap();
        assert_eq!(s.scenario.budget.kzt, Some(2e9));
        assert_eq!(s.scenario.objective.kind, ObjectiveKind::MinCost);
        let e = LoadedScenario::load_with(&p, &[("budget.kz".into(), "1".into())]).unwrap_err().to_string();
        assert!(e.contains("key `budget.kz`: `--set budget.kz=…`: unknown key; did you mean `budget.kzt`?"), "{e}");
        let e = LoadedScenario::load_with(&p, &[("budget.kzt".into(), "-1".into())]).unwrap_err().to_string();
        assert!(e.ends_with("key `budget.kzt`: must be a number ≥ 0, found -1 [E-RANGE]"), "{e}");
        assert_eq!(s.resolve(Path::new("a.csv")), dir.path().join("a.csv"));
    }
}
