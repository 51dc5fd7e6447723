//! The run history and the run queue.
//!
//! Every run is a folder `RUNS/<id>/` with `run.json` (its request, status,
//! progress, error and summary) and, once done, `plan/` (the plan directory,
//! written atomically by [`crate::hub::write::write_plan_dir`]). The folders
//! are read back at start, so a restarted server keeps its history; a run
//! that was queued or running when the server stopped is marked failed.
//!
//! Runs wait in one queue served by a fixed number of worker threads. Each
//! job runs under `catch_unwind`: a failing or panicking run marks that run
//! failed, and the worker goes on with the next.

use std::collections::BTreeMap;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::{ApiError, ErrorBody};
use crate::fsutil::write_atomic;
use crate::network::progress::{Progress, Stage};

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Waiting for a worker.
    Queued,
    /// Being planned.
    Running,
    /// Planned; its files are written.
    Done,
    /// No plan: see `error`.
    Failed,
}

/// Progress of a run: a phase and the share of the work done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunProgress {
    /// `queued`, `reading data`, `reading roads`, `snapping schools`,
    /// `road distances`, `solving`, `writing`, `done`, `failed`.
    pub phase: String,
    /// 0 to 1.
    pub fraction: f64,
}

/// The headline figures of a finished run (for the history and the sweep chart).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The scenario's title.
    pub name: String,
    /// Open hubs.
    pub hubs: usize,
    /// New hubs.
    pub new_hubs: usize,
    /// Students in linked small schools.
    pub linked_students: u64,
    /// Students in all small schools.
    pub small_school_students: u64,
    /// Linked small schools.
    pub linked_small_schools: usize,
    /// Small schools.
    pub small_schools: usize,
    /// New hubs plus rooms, KZT.
    pub cost_kzt: f64,
    /// The budget, KZT (none: no limit).
    pub budget_kzt: Option<f64>,
    /// The plan's quality in the planner's unit, one sentence.
    pub quality: String,
    /// The solver's status (`optimal`, `feasible`, …).
    pub status: String,
}

/// One run as kept in `run.json` and listed by `GET /api/runs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The run's id (also its folder name).
    pub id: String,
    /// The scenario file, relative to the workspace.
    pub scenario: String,
    /// The keys set on top of it.
    #[serde(default)]
    pub set: Map<String, Value>,
    /// The scenario's text was sent with the request (edited in the app); kept as `scenario.toml`.
    #[serde(default)]
    pub edited: bool,
    /// The sweep this run belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<String>,
    /// Where it is.
    pub status: RunStatus,
    /// How far it is.
    pub progress: RunProgress,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
    /// When it was asked for (UTC, RFC 3339).
    pub created: String,
    /// Seconds from start to end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_s: Option<f64>,
    /// Headline figures, when done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<RunSummary>,
    /// The files of its plan directory, when done.
    #[serde(default)]
    pub files: Vec<String>,
}

/// The work of one run: plans into the given folder and reports progress.
pub type Work = Box<dyn FnOnce(&RunReporter) -> Result<RunSummary, ApiError> + Send>;

struct Job {
    id: String,
    work: Work,
}

/// The run history and its queue.
pub struct RunStore {
    dir: PathBuf,
    records: Mutex<BTreeMap<String, RunRecord>>,
    seq: AtomicU64,
    queue: Mutex<Sender<Job>>,
}

/// Reports a run's progress into its record.
pub struct RunReporter {
    store: Arc<RunStore>,
    id: String,
    stage: Mutex<(f64, f64, Option<u64>, u64)>,
}

impl RunReporter {
    /// Sets the phase and the share done.
    pub fn phase(&self, phase: &str, fraction: f64) {
        self.store.update(&self.id, |r| r.progress = RunProgress { phase: phase.into(), fraction }, false);
    }

    /// The run's folder.
    pub fn dir(&self) -> PathBuf {
        self.store.run_dir(&self.id)
    }
}

/// Distance stages fill 5–45% of a run's progress bar.
impl Progress for RunReporter {
    fn begin(&self, stage: Stage, total: Option<u64>) {
        let (lo, hi) = match stage {
            Stage::ReadRoads => (0.05, 0.15),
            Stage::Snap => (0.15, 0.2),
            Stage::Distances => (0.2, 0.45),
            Stage::HubWorth => (0.8, 0.95),
        };
        *self.stage.lock().unwrap_or_else(|e| e.into_inner()) = (lo, hi, total, 0);
        self.phase(stage.as_str(), lo);
    }

    fn advance(&self, n: u64) {
        let f = {
            let mut s = self.stage.lock().unwrap_or_else(|e| e.into_inner());
            s.3 += n;
            match s.2 {
                Some(t) if t > 0 => s.0 + (s.1 - s.0) * (s.3 as f64 / t as f64).min(1.0),
                _ => return,
            }
        };
        self.store.update(&self.id, |r| r.progress.fraction = f, false);
    }
}

impl RunStore {
    /// Reads the history under `dir` (creating it) and starts `workers` worker threads.
    pub fn open(dir: PathBuf, workers: usize) -> io::Result<Arc<Self>> {
        std::fs::create_dir_all(&dir)?;
        let mut records = BTreeMap::new();
        for e in std::fs::read_dir(&dir)?.flatten() {
            let Ok(text) = std::fs::read_to_string(e.path().join("run.json")) else { continue };
            let Ok(mut r) = serde_json::from_str::<RunRecord>(&text) else { continue };
            if matches!(r.status, RunStatus::Queued | RunStatus::Running) {
                r.status = RunStatus::Failed;
                r.progress = RunProgress { phase: "failed".into(), fraction: 0.0 };
                r.error = Some(ErrorBody {
                    code: "interrupted".into(),
                    message: "the server stopped before this run finished".into(),
                    problems: Vec::new(),
                });
                let _ = write_atomic(&e.path().join("run.json"), &to_json(&r));
            }
            records.insert(r.id.clone(), r);
        }
        let (tx, rx) = channel::<Job>();
        let store =
            Arc::new(RunStore { dir, records: Mutex::new(records), seq: AtomicU64::new(0), queue: Mutex::new(tx) });
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..workers.max(1) {
            let (store, rx) = (Arc::downgrade(&store), Arc::clone(&rx));
            std::thread::Builder::new().name(format!("hubplan-run-{i}")).spawn(move || worker(store, rx))?;
        }
        Ok(store)
    }

    /// The folder of run `id`.
    pub fn run_dir(&self, id: &str) -> PathBuf {
        self.dir.join(id)
    }

    /// A new, unused run id: `YYYYMMDD-HHMMSS-N`.
    pub fn new_id(&self) -> String {
        loop {
            let n = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
            let id = format!("{}-{n}", utc_stamp(SystemTime::now(), true));
            if !self.lock().contains_key(&id) && !self.run_dir(&id).exists() {
                return id;
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, RunRecord>> {
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every run, newest first.
    pub fn list(&self) -> Vec<RunRecord> {
        let mut v: Vec<RunRecord> = self.lock().values().cloned().collect();
        v.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| natural(&b.id).cmp(&natural(&a.id))));
        v
    }

    /// One run.
    pub fn get(&self, id: &str) -> Option<RunRecord> {
        self.lock().get(id).cloned()
    }

    /// Records `record` (its folder and `run.json` first) and queues `work` for it.
    pub fn submit(self: &Arc<Self>, mut record: RunRecord, work: Work) -> Result<RunRecord, ApiError> {
        record.status = RunStatus::Queued;
        record.progress = RunProgress { phase: "queued".into(), fraction: 0.0 };
        let dir = self.run_dir(&record.id);
        std::fs::create_dir_all(&dir).map_err(|e| ApiError::internal(format!("cannot create the run folder: {e}")))?;
        write_atomic(&dir.join("run.json"), &to_json(&record))
            .map_err(|e| ApiError::internal(format!("cannot write run.json: {e}")))?;
        self.lock().insert(record.id.clone(), record.clone());
        let job = Job { id: record.id.clone(), work };
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(job)
            .map_err(|_| ApiError::internal("run queue closed"))?;
        Ok(record)
    }

    /// Changes a record; `persist` writes its `run.json`.
    fn update(&self, id: &str, f: impl FnOnce(&mut RunRecord), persist: bool) {
        let snapshot = {
            let mut records = self.lock();
            let Some(r) = records.get_mut(id) else { return };
            f(r);
            r.clone()
        };
        if persist {
            let _ = write_atomic(&self.run_dir(id).join("run.json"), &to_json(&snapshot));
        }
    }

    fn run(self: &Arc<Self>, job: Job) {
        let Job { id, work } = job;
        self.update(
            &id,
            |r| {
                r.status = RunStatus::Running;
                r.progress = RunProgress { phase: "reading data".into(), fraction: 0.02 };
            },
            true,
        );
        let reporter = RunReporter { store: Arc::clone(self), id: id.clone(), stage: Mutex::new((0.0, 0.0, None, 0)) };
        let t = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| work(&reporter))).unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown cause".into());
            Err(ApiError::internal(format!("the run panicked: {what}")))
        });
        let elapsed = t.elapsed().as_secs_f64();
        let files = list_files(&self.run_dir(&id).join("plan"));
        self.update(
            &id,
            |r| {
                r.elapsed_s = Some(elapsed);
                match result {
                    Ok(summary) => {
                        r.status = RunStatus::Done;
                        r.progress = RunProgress { phase: "done".into(), fraction: 1.0 };
                        r.summary = Some(summary);
                        r.files = files;
                    }
                    Err(e) => {
                        r.status = RunStatus::Failed;
                        r.progress = RunProgress { phase: "failed".into(), fraction: r.progress.fraction };
                        r.error = Some(e.body);
                    }
                }
            },
            true,
        );
    }
}

fn worker(store: std::sync::Weak<RunStore>, rx: Arc<Mutex<Receiver<Job>>>) {
    loop {
        let job = match rx.lock().unwrap_or_else(|e| e.into_inner()).recv() {
            Ok(j) => j,
            Err(_) => return,
        };
        let Some(store) = store.upgrade() else { return };
        store.run(job);
    }
}

/// The files of a plan directory, sorted (none when it does not exist).
pub fn list_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn to_json(r: &RunRecord) -> Vec<u8> {
    serde_json::to_vec_pretty(r).expect("run record serialises")
}

/// The number after the last `-` of an id, for ordering ids of the same second.
fn natural(id: &str) -> u64 {
    id.rsplit('-').next().and_then(|n| n.parse().ok()).unwrap_or(0)
}

/// UTC time as `2026-12-07T09:15:30Z`, or compact (`20261207-091530`) for ids.
pub fn utc_stamp(t: SystemTime, compact: bool) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (h, m, s) = (rem / 3600, rem / 60 % 60, rem % 60);
    // Howard Hinnant's civil-from-days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    if compact {
        format!("{y:04}{mo:02}{d:02}-{h:02}{m:02}{s:02}")
    } else {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}Z")
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn record(store: &RunStore) -> RunRecord {
        RunRecord {
            id: store.new_id(),
            scenario: "models/x.toml".into(),
            set: Map::new(),
            edited: false,
            sweep: None,
            status: RunStatus::Queued,
            progress: RunProgress { phase: "queued".into(), fraction: 0.0 },
            error: None,
            created: utc_stamp(SystemTime::now(), false),
            elapsed_s: None,
            summary: None,
            files: Vec::new(),
        }
    }

    fn summary() -> RunSummary {
        RunSummary {
            name: "x".into(),
            hubs: 1,
            new_hubs: 1,
            linked_students: 5,
            small_school_students: 10,
            linked_small_schools: 1,
            small_schools: 2,
            cost_kzt: 1.0,
            budget_kzt: None,
            quality: "q".into(),
            status: "optimal".into(),
        }
    }

    fn wait(store: &RunStore, id: &str) -> RunRecord {
        for _ in 0..500 {
            let r = store.get(id).unwrap();
            if matches!(r.status, RunStatus::Done | RunStatus::Failed) {
                return r;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("run {id} did not finish");
    }

    #[test]
    fn a_panicking_run_fails_alone_and_the_history_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::open(dir.path().to_path_buf(), 1).unwrap();
        let bad = store.submit(record(&store), Box::new(|_| panic!("solver exploded"))).unwrap();
        let good = store
            .submit(
                record(&store),
                Box::new(|p| {
                    p.phase("solving", 0.5);
                    Ok(summary())
                }),
            )
            .unwrap();
        let failing = store.submit(record(&store), Box::new(|_| Err(ApiError::bad_request("no")))).unwrap();
        let bad = wait(&store, &bad.id);
        assert_eq!(bad.status, RunStatus::Failed);
        let e = bad.error.unwrap();
        assert!(e.message.contains("panicked: solver exploded"), "{}", e.message);
        let good = wait(&store, &good.id);
        assert_eq!((good.status, good.progress.fraction), (RunStatus::Done, 1.0));
        assert_eq!(good.summary.unwrap().linked_students, 5);
        assert_eq!(wait(&store, &failing.id).error.unwrap().code, "bad-request");
        assert_eq!(store.list().len(), 3);
        // Newest first.
        assert_eq!(store.list()[0].id, failing.id);

        // A run still queued when the server stops is failed on restart; finished runs are kept.
        let mut stuck = record(&store);
        stuck.status = RunStatus::Running;
        std::fs::create_dir_all(store.run_dir(&stuck.id)).unwrap();
        std::fs::write(store.run_dir(&stuck.id).join("run.json"), to_json(&stuck)).unwrap();
        drop(store);
        let again = RunStore::open(dir.path().to_path_buf(), 1).unwrap();
        assert_eq!(again.get(&good.id).unwrap().status, RunStatus::Done);
        let stuck = again.get(&stuck.id).unwrap();
        assert_eq!((stuck.status, stuck.error.unwrap().code.as_str()), (RunStatus::Failed, "interrupted"));
    }

    #[test]
    fn stamps_are_utc_calendar_dates() {
        let t = UNIX_EPOCH + Duration::from_secs(1_765_098_930);
        assert_eq!(utc_stamp(t, false), "2025-12-07T09:15:30Z");
        assert_eq!(utc_stamp(t, true), "20251207-091530");
        assert_eq!(utc_stamp(UNIX_EPOCH + Duration::from_secs(951_782_400), false), "2000-02-29T00:00:00Z");
    }
}
