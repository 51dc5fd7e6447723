//! Scenario sweeps: one scenario (or several) planned over a grid of
//! parameter values, with the data read and the distances computed once.
//!
//! ```text
//! scenario files × --vary grid ─ expand (every case loaded and validated up front)
//!   ─ input sets (schools read once; one distance table per set, at the set's
//!     largest link radius, through the cache)
//!   ─ cases in parallel (each plan filters the shared table to its own radius)
//!   ─ DIR/<case>/ plan directories, DIR/summary.csv, then the caller's extras
//!     (index.html), all staged beside DIR and renamed into place at the end
//! ```
//!
//! A table computed at radius R holds every link of length ≤ R, and the
//! planning model keeps only the links within its scenario's
//! `links.max_road_km`, so one table at the largest radius serves every case
//! of a set and gives the same plans as separate runs.
//!
//! Threads: with a budget of `T` threads and `n` cases, `min(T, n)` cases run
//! at once and each solver gets `max(1, T / min(T, n))` threads. Both follow
//! from `T` and `n` alone, so a sweep is reproducible for a seed and `T`
//! (as far as each plan is: a plan stopped by its time limit is not).

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::inputs::{Inputs, distance_options, read_schools_and_districts};
use super::plan_doc::PlanDoc;
use super::scenario::{KNOWN_KEYS, LoadedScenario, ScenarioError, nearest_key};
use super::write::write_doc_dir;
use super::{PlanError, StageTimes, plan_with_inputs};
use crate::fsutil::{replace_dir, temp_sibling};
use crate::network::progress::Progress;
use crate::network::{DistanceTable, SchoolPoint, distance_table_cached};

/// Why a sweep could not run or could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A `--vary` argument that cannot be used.
    #[error("--vary `{arg}`: {message}")]
    Vary { arg: String, message: String },
    /// A scenario file, or a scenario with the varied values, is invalid.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The data of a scenario cannot be read (names the scenario file).
    #[error("{file}: {source}")]
    Inputs { file: String, source: PlanError },
    /// Nothing to plan.
    #[error("no scenario given")]
    Empty,
    /// The output directory exists and `force` was not given.
    #[error("{0} already exists; pass --force to replace it")]
    Exists(PathBuf),
    /// Writing the output failed (the previous output, if any, is kept).
    #[error("cannot write {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

/// One `--vary key=v1,v2,…` argument.
#[derive(Debug, Clone, PartialEq)]
pub struct Vary {
    /// A dotted scenario key (one of [`KNOWN_KEYS`]).
    pub key: String,
    /// The values, as written (TOML values; bare words are strings).
    pub values: Vec<String>,
}

impl Vary {
    /// Parses `key=v1,v2,v3`, checking the key against the scenario's keys.
    ///
    /// ```
    /// use hubplan::hub::sweep::Vary;
    /// let v = Vary::parse("budget.kzt=3e9, 4e9").unwrap();
    /// assert_eq!((v.key.as_str(), v.values.len()), ("budget.kzt", 2));
    /// assert!(Vary::parse("budget.kz=3e9").unwrap_err().to_string().contains("budget.kzt"));
    /// ```
    pub fn parse(arg: &str) -> Result<Vary, SweepError> {
        let bad = |message: String| SweepError::Vary { arg: arg.to_string(), message };
        let (key, values) = arg.split_once('=').ok_or_else(|| bad("expected KEY=VALUE1,VALUE2,…".into()))?;
        let key = key.trim();
        if !KNOWN_KEYS.contains(&key) {
            return Err(bad(format!("unknown key `{key}`; did you mean `{}`?", nearest_key(key))));
        }
        if key == "solver.threads" {
            return Err(bad("`solver.threads` is set by the sweep's --threads budget; it cannot be varied".into()));
        }
        let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
        if let Some(i) = values.iter().position(String::is_empty) {
            return Err(bad(format!("value {} of `{key}` is empty", i + 1)));
        }
        for (i, v) in values.iter().enumerate() {
            if values[..i].contains(v) {
                return Err(bad(format!("value `{v}` of `{key}` is given twice")));
            }
        }
        Ok(Vary { key: key.to_string(), values })
    }
}

/// One scenario of a sweep, loaded with its varied values.
#[derive(Debug, Clone)]
pub struct SweepCase {
    /// Folder name of its plan directory: derived from the parameters,
    /// filesystem-safe and unique within the sweep.
    pub name: String,
    /// The scenario file.
    pub file: PathBuf,
    /// What distinguishes it: `("scenario", file stem)` when several files
    /// are swept, then each varied key with its value as written.
    pub params: Vec<(String, String)>,
    /// The scenario with the overrides applied (and validated).
    pub loaded: LoadedScenario,
}

/// The cases of a sweep: every scenario file × the cartesian grid of the
/// `vary` values (the first `vary` varies slowest), with the `common`
/// overrides (e.g. `solver.seed`) applied to all. Every case is loaded and
/// validated here, before any work.
pub fn expand(files: &[PathBuf], vary: &[Vary], common: &[(String, String)]) -> Result<Vec<SweepCase>, SweepError> {
    if files.is_empty() {
        return Err(SweepError::Empty);
    }
    for (i, v) in vary.iter().enumerate() {
        let arg = format!("{}={}", v.key, v.values.join(","));
        if vary[..i].iter().any(|w| w.key == v.key) {
            return Err(SweepError::Vary { arg, message: format!("`{}` is varied twice", v.key) });
        }
        if common.iter().any(|(k, _)| *k == v.key) {
            return Err(SweepError::Vary { arg, message: format!("`{}` is also set by another option", v.key) });
        }
    }
    let mut grid: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for v in vary {
        grid = grid
            .into_iter()
            .flat_map(|prefix| {
                v.values.iter().map(move |value| {
                    let mut p = prefix.clone();
                    p.push((v.key.clone(), value.clone()));
                    p
                })
            })
            .collect();
    }
    let several = files.len() > 1;
    let mut cases = Vec::new();
    let mut taken: HashMap<String, usize> = HashMap::new();
    for file in files {
        let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "scenario".into());
        for point in &grid {
            let mut overrides = common.to_vec();
            overrides.extend(point.iter().cloned());
            let mut loaded = LoadedScenario::load_with(file, &overrides)?;
            let mut params = Vec::new();
            if several {
                params.push(("scenario".to_string(), stem.clone()));
            }
            params.extend(point.iter().map(|(k, v)| (k.clone(), unquote(v).to_string())));
            if !point.is_empty() {
                let shown: Vec<String> = point.iter().map(|(k, v)| format!("{k}={}", unquote(v))).collect();
                loaded.scenario.name = format!("{} [{}]", loaded.scenario.name, shown.join(", "));
            }
            let raw = if params.is_empty() {
                stem.clone()
            } else {
                params
                    .iter()
                    .map(|(k, v)| if k == "scenario" { v.clone() } else { format!("{k}={v}") })
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let name = unique(safe_name(&raw), &mut taken);
            cases.push(SweepCase { name, file: file.clone(), params, loaded });
        }
    }
    Ok(cases)
}

fn unquote(v: &str) -> &str {
    let t = v.trim();
    for q in ['"', '\''] {
        if let Some(inner) = t.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    t
}

/// Longest folder name kept whole; longer ones are cut and given a hash.
const MAX_NAME: usize = 96;

/// A folder name from `raw`: letters, digits and `._=,+-` kept, anything
/// else (path separators, spaces, quotes, non-ASCII) replaced by `_`; never
/// hidden, never empty, at most [`MAX_NAME`] bytes.
pub fn safe_name(raw: &str) -> String {
    let mut s: String =
        raw.chars().map(|c| if c.is_ascii_alphanumeric() || "._=,+-".contains(c) { c } else { '_' }).collect();
    if s.is_empty() || s.starts_with('.') {
        s.insert(0, '_');
    }
    if s.len() > MAX_NAME {
        let hash = xxhash_rust::xxh3::xxh3_64(raw.as_bytes());
        s.truncate(MAX_NAME - 17);
        s = format!("{s}-{hash:016x}");
    }
    s
}

/// `name`, or `name-2`, `name-3`… if taken (compared without case, for
/// case-insensitive file systems).
fn unique(name: String, taken: &mut HashMap<String, usize>) -> String {
    let mut candidate = name.clone();
    let mut n = 1;
    while taken.contains_key(&candidate.to_lowercase()) {
        n += 1;
        candidate = format!("{name}-{n}");
    }
    taken.insert(candidate.to_lowercase(), n);
    candidate
}

/// An extra step on the staged plan directory of a case (e.g. a report).
pub type PlanFinisher<'a> = &'a (dyn Fn(&Path) -> io::Result<()> + Sync);

/// An extra step on the staged sweep directory, after `summary.csv` (e.g. `index.html`).
pub type SweepFinisher<'a> = &'a dyn Fn(&Path, &SweepReport) -> io::Result<()>;

/// Options of a sweep that are not part of the scenarios.
#[derive(Clone, Copy, Default)]
pub struct SweepOptions<'a> {
    /// Where distance tables are cached (`None`: no cache).
    pub cache_dir: Option<&'a Path>,
    /// Thread budget for the whole sweep (0: one per core).
    pub threads: usize,
    /// Run on each plan directory before it is moved into place.
    pub plan_finisher: Option<PlanFinisher<'a>>,
    /// Run on the sweep directory before it is moved into place.
    pub sweep_finisher: Option<SweepFinisher<'a>>,
}

/// How the thread budget is shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ThreadPlan {
    /// The budget.
    pub total: usize,
    /// Cases planned at once.
    pub parallel_cases: usize,
    /// Solver threads of each case.
    pub solver_threads: usize,
}

impl ThreadPlan {
    /// The split of `total` threads (0: one per core) over `cases` cases.
    ///
    /// ```
    /// use hubplan::hub::sweep::ThreadPlan;
    /// let t = ThreadPlan::new(8, 3);
    /// assert_eq!((t.parallel_cases, t.solver_threads), (3, 2));
    /// assert!(t.parallel_cases * t.solver_threads <= 8);
    /// ```
    pub fn new(total: usize, cases: usize) -> Self {
        let total = if total == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { total };
        let parallel_cases = total.min(cases).max(1);
        ThreadPlan { total, parallel_cases, solver_threads: (total / parallel_cases).max(1) }
    }
}

/// One distinct set of inputs: the schools read once and one distance table.
#[derive(Debug, Clone)]
pub struct InputSet {
    /// Indices of the cases planned on it.
    pub cases: Vec<usize>,
    /// The schools file.
    pub schools_file: PathBuf,
    /// The radius the table was computed at: the largest of its cases, km.
    pub radius_km: f64,
    /// True when the table came from the cache.
    pub from_cache: bool,
    /// The cache entry read or written.
    pub cache_file: Option<PathBuf>,
    /// Seconds for the distance table (computing it, or reading the cache).
    pub distances_s: f64,
    /// Warnings from reading the roads.
    pub road_warnings: Vec<String>,
}

/// The figures of one plan that a sweep summarises.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RowFigures {
    pub new_hubs: usize,
    pub existing_hubs: usize,
    pub cost_kzt: f64,
    pub budget_kzt: Option<f64>,
    pub small_schools: usize,
    pub linked_small_schools: usize,
    pub small_school_students: u64,
    pub linked_students: u64,
    /// Linked students as a share of all small-school students, %.
    pub coverage_pct: f64,
    pub mean_link_km: Option<f64>,
    pub max_link_km: Option<f64>,
    pub objective: f64,
    pub lower_bound: Option<f64>,
    pub gap: Option<f64>,
}

impl RowFigures {
    /// The figures of a plan.
    pub fn of(doc: &PlanDoc) -> Self {
        let t = &doc.totals;
        RowFigures {
            new_hubs: t.new_hubs,
            existing_hubs: t.hubs.saturating_sub(t.new_hubs),
            cost_kzt: t.cost_kzt,
            budget_kzt: t.budget_kzt,
            small_schools: t.small_schools,
            linked_small_schools: t.linked_small_schools,
            small_school_students: t.small_school_students,
            linked_students: t.linked_students,
            coverage_pct: if t.small_school_students == 0 {
                0.0
            } else {
                100.0 * t.linked_students as f64 / t.small_school_students as f64
            },
            mean_link_km: t.mean_km,
            max_link_km: t.max_km,
            objective: doc.objective,
            lower_bound: doc.lower_bound,
            gap: doc.gap,
        }
    }
}

/// One case's line of the summary.
#[derive(Debug, Clone)]
pub struct SweepRow {
    pub name: String,
    pub file: PathBuf,
    pub params: Vec<(String, String)>,
    /// The plan's status (`optimal`, `feasible`, …), or `infeasible` / `error`.
    pub status: String,
    /// The figures, when a plan was made.
    pub figures: Option<RowFigures>,
    /// Why no plan was made.
    pub error: Option<String>,
    /// Model, solve and assembly time.
    pub times: StageTimes,
    /// Seconds writing the plan directory.
    pub write_s: f64,
}

impl SweepRow {
    /// Seconds planning this case (model, solve, assembly).
    pub fn seconds(&self) -> f64 {
        self.times.model_s + self.times.solve_s + self.times.assemble_s
    }
}

/// What a sweep did.
#[derive(Debug, Clone)]
pub struct SweepReport {
    /// One row per case, in case order.
    pub rows: Vec<SweepRow>,
    /// The varied keys, in `--vary` order (with `scenario` first when several files were swept).
    pub keys: Vec<String>,
    pub input_sets: Vec<InputSet>,
    /// Times the schools (and districts) were read: once per distinct set of school rules.
    pub schools_reads: usize,
    /// Seconds reading schools and districts, all reads together.
    pub schools_s: f64,
    pub threads: ThreadPlan,
    /// Wall-clock seconds of the whole sweep.
    pub wall_s: f64,
}

impl SweepReport {
    /// Cases that produced no plan.
    pub fn failed(&self) -> impl Iterator<Item = &SweepRow> {
        self.rows.iter().filter(|r| r.figures.is_none())
    }
}

/// A distance table shared by the cases of an input set.
struct SharedTable {
    table: DistanceTable,
    from_cache: bool,
    cache_file: Option<PathBuf>,
    road_warnings: Vec<String>,
}

/// What the cases share: schools read once per distinct schools rule, one
/// table per input set, and which of each a case uses.
struct Shared {
    schools: Vec<super::inputs::SchoolsRead>,
    tables: Vec<SharedTable>,
    /// Per case: index into `schools`.
    schools_of_case: Vec<usize>,
    /// Per case: index into `tables`.
    table_of_case: Vec<usize>,
    /// Seconds reading schools and districts, all reads together.
    schools_s: f64,
}

/// What makes two cases read different schools: the files, and the rules
/// that give each school its kind, hub status and hub cost.
fn schools_key(loaded: &LoadedScenario) -> String {
    let s = &loaded.scenario;
    let p = super::inputs::input_paths(loaded);
    format!(
        "{:?}|{:?}|{:?}|{}|{}|{}",
        p.schools,
        p.roads,
        p.districts,
        s.hubs.min_students,
        s.small_schools.max_students,
        s.hubs.cost_kzt.to_bits()
    )
}

/// Reads each distinct set of schools once and computes one distance table
/// per input set (same schools and hubs, roads, snap limit and detour
/// factor) at the largest radius of its cases.
fn read_shared(
    cases: &[SweepCase],
    threads: usize,
    cache_dir: Option<&Path>,
    progress: &dyn Progress,
) -> Result<(Vec<InputSet>, Shared), SweepError> {
    let mut schools_index: BTreeMap<String, usize> = BTreeMap::new();
    let mut schools: Vec<super::inputs::SchoolsRead> = Vec::new();
    let mut schools_s = 0.0;
    let mut schools_of_case = Vec::with_capacity(cases.len());
    let mut set_index: BTreeMap<String, usize> = BTreeMap::new();
    // Per input set: the cases and the largest radius.
    let mut sets: Vec<(Vec<usize>, f64)> = Vec::new();
    let mut table_of_case = Vec::with_capacity(cases.len());
    for (i, c) in cases.iter().enumerate() {
        let key = schools_key(&c.loaded);
        let r = match schools_index.get(&key) {
            Some(&r) => r,
            None => {
                let t = Instant::now();
                let read = read_schools_and_districts(&c.loaded)
                    .map_err(|source| SweepError::Inputs { file: c.file.display().to_string(), source })?;
                schools_s += t.elapsed().as_secs_f64();
                schools.push(read);
                schools_index.insert(key, schools.len() - 1);
                schools.len() - 1
            }
        };
        schools_of_case.push(r);
        let s = &c.loaded.scenario;
        let (list, _, paths) = &schools[r];
        let hubs: Vec<&str> = list.iter().map(|x| x.hub.as_str()).collect();
        let ids: Vec<&str> = list.iter().map(|x| x.id.as_str()).collect();
        let table_key = format!(
            "{:?}|{:?}|{}|{}|{}|{}",
            paths.schools,
            paths.roads,
            ids.join(","),
            hubs.join(","),
            s.links.snap_limit_km.to_bits(),
            s.links.detour_factor.to_bits()
        );
        let n = sets.len();
        let set = *set_index.entry(table_key).or_insert(n);
        if set == n {
            sets.push((Vec::new(), 0.0));
        }
        sets[set].0.push(i);
        sets[set].1 = sets[set].1.max(s.links.max_road_km);
        table_of_case.push(set);
    }
    let mut infos = Vec::new();
    let mut tables = Vec::new();
    for (members, radius) in sets {
        let first = &cases[members[0]];
        let (list, _, paths) = &schools[schools_of_case[members[0]]];
        let mut opts = distance_options(&first.loaded);
        opts.max_km = Some(radius);
        opts.threads = threads;
        let points: Vec<SchoolPoint> =
            list.iter().map(|s| SchoolPoint { id: s.id.clone(), lon: s.lon, lat: s.lat, hub: s.hub }).collect();
        let t = Instant::now();
        let run = distance_table_cached(&points, paths.roads.as_deref(), &opts, cache_dir, progress).map_err(|e| {
            SweepError::Inputs { file: first.file.display().to_string(), source: PlanError::Network(e) }
        })?;
        infos.push(InputSet {
            cases: members,
            schools_file: paths.schools.clone(),
            radius_km: radius,
            from_cache: run.from_cache,
            cache_file: run.cache_file.clone(),
            distances_s: t.elapsed().as_secs_f64(),
            road_warnings: run.road_warnings.clone(),
        });
        tables.push(SharedTable {
            table: run.table,
            from_cache: run.from_cache,
            cache_file: run.cache_file,
            road_warnings: run.road_warnings,
        });
    }
    Ok((infos, Shared { schools, tables, schools_of_case, table_of_case, schools_s }))
}

/// Plans one case on its shared inputs and writes its plan directory into `dir`.
fn run_case(
    case: &SweepCase,
    (schools, districts, paths): &super::inputs::SchoolsRead,
    shared: &SharedTable,
    solver_threads: usize,
    dir: &Path,
    finisher: Option<PlanFinisher>,
) -> Result<SweepRow, SweepError> {
    let mut loaded = case.loaded.clone();
    loaded.scenario.solver.threads = solver_threads;
    let inputs = Inputs {
        schools: schools.clone(),
        districts: districts.clone(),
        paths: super::inputs::InputPaths {
            scenario: std::path::absolute(&case.file).unwrap_or_else(|_| case.file.clone()),
            ..paths.clone()
        },
        table: shared.table.clone(),
        table_from_cache: shared.from_cache,
        cache_file: shared.cache_file.clone(),
        road_warnings: shared.road_warnings.clone(),
    };
    let mut row = SweepRow {
        name: case.name.clone(),
        file: case.file.clone(),
        params: case.params.clone(),
        status: String::new(),
        figures: None,
        error: None,
        times: StageTimes::default(),
        write_s: 0.0,
    };
    match plan_with_inputs(loaded, inputs, StageTimes::default()) {
        Ok(run) => {
            row.status = run.doc.status.clone();
            row.figures = Some(RowFigures::of(&run.doc));
            row.times = run.times.clone();
            let t = Instant::now();
            let fin = finisher.map(|f| f as &dyn Fn(&Path) -> io::Result<()>);
            write_doc_dir(&run.doc, &run.inputs.schools, &dir.join(&case.name), false, fin).map_err(|e| match e {
                super::write::WriteError::Io { path, source } => SweepError::Io { path, source },
                super::write::WriteError::Exists(path) => {
                    SweepError::Io { path, source: io::Error::from(io::ErrorKind::AlreadyExists) }
                }
            })?;
            row.write_s = t.elapsed().as_secs_f64();
        }
        Err(e) => {
            row.status = if matches!(e, PlanError::Infeasible(_)) { "infeasible" } else { "error" }.into();
            row.error = Some(e.to_string());
        }
    }
    Ok(row)
}

/// Runs a sweep and writes `out`: one plan directory per case that could be
/// planned, `summary.csv` (one row per case, failed ones with their error),
/// and whatever `opts.sweep_finisher` adds. Everything is written into a
/// hidden folder beside `out` that replaces `out` at the end; an existing
/// `out` is kept unless `force`, and a failed sweep leaves it as it was.
///
/// `on_done` is called (from worker threads) as each case finishes.
pub fn run_sweep(
    cases: &[SweepCase],
    out: &Path,
    force: bool,
    opts: &SweepOptions,
    progress: &dyn Progress,
    on_done: &(dyn Fn(&SweepRow) + Sync),
) -> Result<SweepReport, SweepError> {
    let start = Instant::now();
    if cases.is_empty() {
        return Err(SweepError::Empty);
    }
    if out.exists() && !force {
        return Err(SweepError::Exists(out.to_path_buf()));
    }
    let threads = ThreadPlan::new(opts.threads, cases.len());
    let (input_sets, shared) = read_shared(cases, threads.total, opts.cache_dir, progress)?;
    let staged = temp_sibling(out);
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SweepError::Io { path, source }
    };
    let _ = fs::remove_dir_all(&staged);
    let result = (|| {
        fs::create_dir_all(&staged).map_err(io_err(&staged))?;
        let plan_finisher = opts.plan_finisher;
        let rows = run_parallel(cases.len(), threads.parallel_cases, |i| {
            let schools = &shared.schools[shared.schools_of_case[i]];
            let table = &shared.tables[shared.table_of_case[i]];
            let row = run_case(&cases[i], schools, table, threads.solver_threads, &staged, plan_finisher)?;
            on_done(&row);
            Ok(row)
        })?;
        let keys = varied_keys(cases);
        let mut report = SweepReport {
            rows,
            keys,
            input_sets,
            schools_reads: shared.schools.len(),
            schools_s: shared.schools_s,
            threads,
            wall_s: 0.0,
        };
        let p = staged.join("summary.csv");
        fs::write(&p, summary_csv(&report)).map_err(io_err(&p))?;
        if let Some(f) = opts.sweep_finisher {
            f(&staged, &report).map_err(io_err(&staged))?;
        }
        replace_dir(&staged, out).map_err(io_err(out))?;
        report.wall_s = start.elapsed().as_secs_f64();
        Ok(report)
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&staged);
    }
    result
}

/// Runs `task(0..n)` on `workers` threads, each taking the next index when
/// it is free, and returns the results in index order (the first error, by
/// index, if any).
///
/// Plain scoped threads, not a rayon pool: each solver starts its own pool,
/// and a rayon worker waiting on another pool keeps taking tasks from its
/// own, which would start more cases at once than `workers` and break the
/// thread budget.
fn run_parallel<T: Send>(
    n: usize,
    workers: usize,
    task: impl Fn(usize) -> Result<T, SweepError> + Sync,
) -> Result<Vec<T>, SweepError> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let slots: Mutex<Vec<Option<Result<T, SweepError>>>> = Mutex::new((0..n).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers.clamp(1, n.max(1)) {
            scope.spawn(|| {
                while !failed.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let r = task(i);
                    if r.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    slots.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
                }
            });
        }
    });
    let slots = slots.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut out = Vec::with_capacity(n);
    // Indices are taken in order and every taken task completes, so the
    // slots filled are a prefix; a failure among them is returned here.
    for slot in slots.into_iter().map_while(|s| s) {
        out.push(slot?);
    }
    debug_assert_eq!(out.len(), n, "a slot is empty only after a failure");
    Ok(out)
}

/// The parameter keys of the cases, in first-seen order.
fn varied_keys(cases: &[SweepCase]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for c in cases {
        for (k, _) in &c.params {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    keys
}

/// A number for the CSV: up to 6 decimals, no trailing zeros.
fn num(v: f64) -> String {
    let r = (v * 1e6).round() / 1e6;
    if r == r.trunc() && r.abs() < 1e15 { format!("{}", r as i64) } else { format!("{r}") }
}

fn opt(v: Option<f64>) -> String {
    v.map(num).unwrap_or_default()
}

/// `summary.csv`: one row per case with the varied parameters (one column
/// per key, the value as written), the plan's status and figures, and the
/// error of a case that produced no plan.
pub fn summary_csv(report: &SweepReport) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = vec!["name".into()];
    header.extend(report.keys.iter().cloned());
    header.extend(
        [
            "status",
            "new_hubs",
            "existing_hubs",
            "cost_kzt",
            "budget_kzt",
            "small_schools",
            "linked_small_schools",
            "small_school_students",
            "linked_students",
            "coverage_pct",
            "mean_link_km",
            "max_link_km",
            "objective",
            "lower_bound",
            "gap",
            "seconds",
            "scenario_file",
            "error",
        ]
        .map(String::from),
    );
    w.write_record(&header).expect("in-memory CSV");
    for r in &report.rows {
        let mut rec = vec![r.name.clone()];
        for k in &report.keys {
            rec.push(r.params.iter().find(|(pk, _)| pk == k).map(|(_, v)| v.clone()).unwrap_or_default());
        }
        rec.push(r.status.clone());
        match &r.figures {
            Some(f) => rec.extend([
                f.new_hubs.to_string(),
                f.existing_hubs.to_string(),
                num(f.cost_kzt),
                opt(f.budget_kzt),
                f.small_schools.to_string(),
                f.linked_small_schools.to_string(),
                f.small_school_students.to_string(),
                f.linked_students.to_string(),
                format!("{:.2}", f.coverage_pct),
                opt(f.mean_link_km.map(|k| (k * 100.0).round() / 100.0)),
                opt(f.max_link_km.map(|k| (k * 100.0).round() / 100.0)),
                num(f.objective),
                opt(f.lower_bound),
                f.gap.map(|g| format!("{g:.6}")).unwrap_or_default(),
            ]),
            None => rec.extend(std::iter::repeat_n(String::new(), 14)),
        }
        rec.push(format!("{:.2}", r.seconds()));
        rec.push(r.file.display().to_string());
        rec.push(r.error.clone().unwrap_or_default());
        w.write_record(&rec).expect("in-memory CSV");
    }
    w.into_inner().expect("in-memory CSV")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario_file(dir: &Path) -> PathBuf {
        let p = dir.join("s.toml");
        fs::write(&p, "[data]\nschools = \"s.csv\"\n").unwrap();
        p
    }

    #[test]
    fn vary_rejects_unknown_duplicate_and_empty() {
        let e = Vary::parse("links.max_road_kms=1,2").unwrap_err().to_string();
        assert!(e.contains("links.max_road_kms") && e.contains("`links.max_road_km`"), "{e}");
        assert!(Vary::parse("budget.kzt").unwrap_err().to_string().contains("KEY=VALUE"));
        assert!(Vary::parse("budget.kzt=1,,2").unwrap_err().to_string().contains("empty"));
        assert!(Vary::parse("budget.kzt=1,1").unwrap_err().to_string().contains("twice"));
        assert!(Vary::parse("solver.threads=1,2").is_err());
    }

    #[test]
    fn expand_makes_the_cartesian_grid_with_unique_safe_names() {
        let dir = tempfile::tempdir().unwrap();
        let f = scenario_file(dir.path());
        let vary = [Vary::parse("budget.kzt=3e9,4e9").unwrap(), Vary::parse("links.max_road_km=80,100,120").unwrap()];
        let cases = expand(std::slice::from_ref(&f), &vary, &[]).unwrap();
        assert_eq!(cases.len(), 6);
        assert_eq!(cases[0].name, "budget.kzt=3e9,links.max_road_km=80");
        assert_eq!(cases[5].name, "budget.kzt=4e9,links.max_road_km=120");
        assert_eq!(cases[4].loaded.scenario.budget.kzt, Some(4e9));
        assert_eq!(cases[4].loaded.scenario.links.max_road_km, 100.0);
        let names: std::collections::HashSet<_> = cases.iter().map(|c| c.name.clone()).collect();
        assert_eq!(names.len(), 6);
        // A bad value fails up front, naming the key.
        let bad = [Vary::parse("budget.kzt=-1,2").unwrap()];
        let e = expand(std::slice::from_ref(&f), &bad, &[]).unwrap_err().to_string();
        assert!(e.contains("budget.kzt"), "{e}");
        // A key set twice is refused.
        let seed = [Vary::parse("solver.seed=1,2").unwrap()];
        assert!(expand(std::slice::from_ref(&f), &seed, &[("solver.seed".into(), "3".into())]).is_err());
    }

    #[test]
    fn several_files_get_a_scenario_parameter_and_distinct_names() {
        let dir = tempfile::tempdir().unwrap();
        let f = scenario_file(dir.path());
        let sub = dir.path().join("sub");
        fs::create_dir(&sub).unwrap();
        let g = scenario_file(&sub);
        let cases = expand(&[f, g], &[], &[]).unwrap();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].params, vec![("scenario".to_string(), "s".to_string())]);
        assert_eq!((cases[0].name.as_str(), cases[1].name.as_str()), ("s", "s-2"));
    }

    #[test]
    fn safe_names_keep_to_portable_characters() {
        assert_eq!(safe_name("objective.kind=min-cost"), "objective.kind=min-cost");
        assert_eq!(safe_name("data.schools=../x y/s.csv"), "data.schools=.._x_y_s.csv");
        assert_eq!(safe_name(".hidden"), "_.hidden");
        let long = safe_name(&"k=v,".repeat(60));
        assert!(long.len() <= MAX_NAME, "{}", long.len());
        assert_ne!(long, safe_name(&"k=v,".repeat(61)), "cut names stay distinct");
    }

    #[test]
    fn run_parallel_keeps_to_its_workers_even_when_tasks_start_pools() {
        use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        let (running, peak) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let out = run_parallel(8, 2, |i| {
            peak.fetch_max(running.fetch_add(1, SeqCst) + 1, SeqCst);
            // As a solver does: its own pool, waited on.
            let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
            pool.install(|| std::thread::sleep(std::time::Duration::from_millis(20)));
            running.fetch_sub(1, SeqCst);
            Ok(i * 10)
        })
        .unwrap();
        assert_eq!(out, (0..8).map(|i| i * 10).collect::<Vec<_>>());
        assert!(peak.load(SeqCst) <= 2, "{} cases ran at once", peak.load(SeqCst));
        let err = run_parallel(5, 2, |i| if i == 1 { Err(SweepError::Empty) } else { Ok(i) });
        assert!(matches!(err, Err(SweepError::Empty)));
    }

    #[test]
    fn thread_plan_never_exceeds_the_budget() {
        for total in 1..=16 {
            for cases in 1..=20 {
                let t = ThreadPlan::new(total, cases);
                assert!(t.parallel_cases * t.solver_threads <= total, "{total} {cases}: {t:?}");
                assert!(t.parallel_cases >= 1 && t.solver_threads >= 1);
                assert!(t.parallel_cases <= cases);
            }
        }
    }
}
