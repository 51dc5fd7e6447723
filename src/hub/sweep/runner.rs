//! Running a sweep: the thread budget, the inputs shared between cases, the
//! cases in parallel, and the staged output directory.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use super::{SweepCase, SweepError};
use crate::fsutil::{replace_dir, temp_sibling};
use crate::hub::inputs::{Inputs, SchoolsData, distance_options, read_schools_data};
use crate::hub::plan_doc::PlanDoc;
use crate::hub::quality::PlanQuality;
use crate::hub::scenario::LoadedScenario;
use crate::hub::write::write_doc_dir;
use crate::hub::{PlanError, StageTimes, plan_with_inputs};
use crate::network::progress::Progress;
use crate::network::{DistanceTable, distance_table_cached};
use crate::report::sweep_summary::summary_csv;

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
    /// What the checks of the schools' points found (also in each case's `plan.json`).
    pub data_warnings: Vec<crate::hub::checks::DataWarning>,
}

/// The figures of one plan that a sweep summarises.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RowFigures {
    /// New hubs the plan opens.
    pub new_hubs: usize,
    /// Existing hubs (kept open).
    pub existing_hubs: usize,
    /// New hubs plus rooms of linked small schools, KZT.
    pub cost_kzt: f64,
    /// The scenario's budget, KZT; `None` without a limit.
    pub budget_kzt: Option<f64>,
    /// Small schools in the data.
    pub small_schools: usize,
    /// Of those, linked to a hub.
    pub linked_small_schools: usize,
    /// Students in all small schools.
    pub small_school_students: u64,
    /// Students in the linked small schools.
    pub linked_students: u64,
    /// Linked students as a share of all small-school students, %.
    pub coverage_pct: f64,
    /// Mean link length, road km (`None` when nothing is linked).
    pub mean_link_km: Option<f64>,
    /// Longest link, road km (`None` when nothing is linked).
    pub max_link_km: Option<f64>,
    /// The plan's quality in the planner's unit (students, student-km or tenge).
    pub quality: PlanQuality,
    /// The solver's own objective, bound and relative gap (see `PlanDoc`).
    pub internal_objective: f64,
    /// The solver's lower bound on `internal_objective`, when it has one.
    pub internal_lower_bound: Option<f64>,
    /// `(internal_objective − internal_lower_bound) / internal_objective`, when a bound is known.
    pub internal_gap: Option<f64>,
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
            quality: doc.quality(),
            internal_objective: doc.internal_objective,
            internal_lower_bound: doc.internal_lower_bound,
            internal_gap: doc.internal_gap,
        }
    }
}

/// One case's line of the summary.
#[derive(Debug, Clone)]
pub struct SweepRow {
    /// The case's name, also the folder name of its plan directory.
    pub name: String,
    /// The case's scenario file.
    pub file: PathBuf,
    /// What distinguishes the case, as in [`SweepCase::params`].
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
    /// The distinct input sets (schools and distance table) the cases shared.
    pub input_sets: Vec<InputSet>,
    /// Times the schools (and districts) were read: once per distinct set of school rules.
    pub schools_reads: usize,
    /// Seconds reading schools and districts, all reads together.
    pub schools_s: f64,
    /// How the thread budget was shared between cases.
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
    schools: Vec<SchoolsData>,
    tables: Vec<SharedTable>,
    /// Per case: index into `schools`.
    schools_of_case: Vec<usize>,
    /// Per case: index into `tables`.
    table_of_case: Vec<usize>,
    /// Seconds reading schools and districts, all reads together.
    schools_s: f64,
}

/// What makes two cases read different schools: the files (the existing
/// hubs and equipped schools lists too), and the rules that give each school
/// its kind, hub status and hub cost.
fn schools_key(loaded: &LoadedScenario) -> String {
    let s = &loaded.scenario;
    let p = crate::hub::inputs::input_paths(loaded);
    format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}|{}|{}",
        p.schools,
        p.schools_sheet,
        p.roads,
        p.districts,
        p.existing_hubs,
        p.equipped_schools,
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
    let mut schools: Vec<SchoolsData> = Vec::new();
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
                let read = read_schools_data(&c.loaded)
                    .map_err(|source| SweepError::Inputs { file: c.file.clone(), source })?;
                schools_s += t.elapsed().as_secs_f64();
                schools.push(read);
                schools_index.insert(key, schools.len() - 1);
                schools.len() - 1
            }
        };
        schools_of_case.push(r);
        let s = &c.loaded.scenario;
        let SchoolsData { schools: list, paths, .. } = &schools[r];
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
        let SchoolsData { schools: list, paths, warnings: data_warnings, .. } = &schools[schools_of_case[members[0]]];
        let mut opts = distance_options(&first.loaded);
        opts.max_km = Some(radius);
        opts.threads = threads;
        let points = crate::hub::inputs::school_points(list);
        let t = Instant::now();
        let run = distance_table_cached(&points, paths.roads.as_deref(), &opts, cache_dir, progress)
            .map_err(|e| SweepError::Inputs { file: first.file.clone(), source: PlanError::Network(e) })?;
        infos.push(InputSet {
            cases: members,
            schools_file: paths.schools.clone(),
            radius_km: radius,
            from_cache: run.from_cache,
            cache_file: run.cache_file.clone(),
            distances_s: t.elapsed().as_secs_f64(),
            road_warnings: run.road_warnings.clone(),
            data_warnings: data_warnings.clone(),
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
    read: &SchoolsData,
    shared: &SharedTable,
    solver_threads: usize,
    dir: &Path,
    finisher: Option<PlanFinisher>,
) -> Result<SweepRow, SweepError> {
    let mut loaded = case.loaded.clone();
    loaded.scenario.solver.threads = solver_threads;
    let inputs = Inputs {
        schools: read.schools.clone(),
        districts: read.districts.clone(),
        paths: crate::hub::inputs::InputPaths {
            scenario: std::path::absolute(&case.file).unwrap_or_else(|_| case.file.clone()),
            ..read.paths.clone()
        },
        table: shared.table.clone(),
        table_from_cache: shared.from_cache,
        cache_file: shared.cache_file.clone(),
        road_warnings: shared.road_warnings.clone(),
        schools_format: read.format.clone(),
        warnings: read.warnings.clone(),
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
                crate::hub::write::WriteError::Io { path, source } => SweepError::Io { path, source },
                crate::hub::write::WriteError::Exists(path) => {
                    SweepError::Io { path, source: io::Error::from(io::ErrorKind::AlreadyExists) }
                }
                crate::hub::write::WriteError::Workbook(e) => {
                    SweepError::Io { path: dir.join(&case.name).join("plan.xlsx"), source: io::Error::other(e) }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_with_other_existing_hubs_or_equipped_schools_read_their_own_schools() {
        let base = "[data]\nschools = \"s.csv\"\n";
        let load = |extra: &[(&str, &str)]| {
            let set: Vec<(String, String)> = extra.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            LoadedScenario::parse(base, "m/s.toml".as_ref(), &set).unwrap()
        };
        let plain = schools_key(&load(&[]));
        assert_eq!(plain, schools_key(&load(&[])));
        assert_ne!(plain, schools_key(&load(&[("data.existing_hubs", "\"hubs.csv\"")])));
        assert_ne!(plain, schools_key(&load(&[("data.equipped_schools", "\"links.csv\"")])));
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
