//! The HTTP API and the embedded app (routes listed in the README's
//! *Workbench* section; add routes, never change them).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use geo::Simplify;
use serde_json::{Map, Value, json};

use super::AppState;
use super::error::ApiError;
use super::runs::{RunProgress, RunRecord, RunStatus, RunSummary, Work, utc_stamp};
use super::schema::{fields, key_docs};
use super::uploads::{UploadedFile, store_upload};
use super::workspace::Workspace;
use crate::hub::inputs::{read_inputs, read_schools_and_districts};
use crate::hub::verify::read_plan;
use crate::hub::write::write_plan_dir;
use crate::hub::{LoadedScenario, PlanError, StageTimes, plan_with_inputs};
use crate::io::schools::HubStatus;
use crate::report::compare::{compare, markdown};

const INDEX_HTML: &str = include_str!("app/index.html");
const APP_JS: &str = include_str!("app/app.js");
const APP_CSS: &str = include_str!("app/app.css");

/// Most runs one sweep may ask for.
pub const MAX_SWEEP_RUNS: usize = 16;

type Shared = State<Arc<AppState>>;
type ApiResult = Result<Response, ApiError>;

/// The app and the API, with the token check when a token is set.
pub fn router(state: Arc<AppState>) -> Router {
    let upload_limit = usize::try_from(state.opts.max_upload_bytes).unwrap_or(usize::MAX).saturating_add(64 * 1024);
    Router::new()
        .route("/", get(index))
        .route("/app.js", get(|| async { page(APP_JS, "text/javascript; charset=utf-8") }))
        .route("/app.css", get(|| async { page(APP_CSS, "text/css; charset=utf-8") }))
        .route("/api/keys", get(|| async { axum::Json(key_docs()).into_response() }))
        .route("/api/scenarios", get(list_scenarios))
        .route("/api/scenarios/{*name}", get(get_scenario))
        .route("/api/map", get(get_map))
        .route("/api/runs", get(list_runs).post(post_run))
        .route("/api/runs/{id}", get(get_run))
        .route("/api/runs/{id}/files/{name}", get(get_file))
        .route("/api/compare", get(get_compare))
        .route("/api/sweeps", axum::routing::post(post_sweep))
        .route("/api/uploads", axum::routing::post(post_upload).layer(DefaultBodyLimit::max(upload_limit)))
        .fallback(|| async { ApiError::not_found("no such page or API route").into_response() })
        .layer(middleware::from_fn_with_state(Arc::clone(&state), require_token))
        .with_state(state)
}

/// The page; opened with `?token=T`, its script and styles are asked for with the token too.
async fn index(Query(q): Query<HashMap<String, String>>) -> Response {
    match q.get("token") {
        Some(t) => {
            let t: String = t
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            let html = INDEX_HTML
                .replace("href=\"app.css\"", &format!("href=\"app.css?token={t}\""))
                .replace("src=\"app.js\"", &format!("src=\"app.js?token={t}\""));
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], html)
                .into_response()
        }
        None => page(INDEX_HTML, "text/html; charset=utf-8"),
    }
}

fn page(body: &'static str, kind: &'static str) -> Response {
    ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "no-cache")], body).into_response()
}

/// With a token set, every request needs `Authorization: Bearer T` or `?token=T`.
async fn require_token(State(state): Shared, req: Request, next: Next) -> Response {
    if let Some(token) = state.opts.token.as_deref() {
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|t| same(t, token));
        let query = req
            .uri()
            .query()
            .is_some_and(|q| q.split('&').any(|kv| kv.strip_prefix("token=").is_some_and(|t| same(t, token))));
        if !bearer && !query {
            return ApiError::new(
                401,
                "unauthorized",
                "this server needs its token: `Authorization: Bearer TOKEN` or `?token=TOKEN`",
            )
            .into_response();
        }
    }
    next.run(req).await
}

/// Compares without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn json_response(status: StatusCode, v: impl serde::Serialize) -> Response {
    (status, axum::Json(v)).into_response()
}

/// Runs blocking work off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::internal(format!("worker failed: {e}")))?
}

fn scenario_error(ws: &Workspace, e: &crate::hub::ScenarioError) -> ApiError {
    ApiError::input("invalid-scenario", &e.0, &|p| ws.shown(p))
}

/// `PlanError` as the API reports it (input problems listed one by one).
fn plan_error(ws: &Workspace, e: PlanError) -> ApiError {
    let shown = |p: &Path| ws.shown(p);
    match e {
        PlanError::Scenario(s) => ApiError::input("invalid-scenario", &s.0, &shown),
        PlanError::Input(i) => ApiError::input("invalid-data", &i, &shown),
        PlanError::Network(crate::network::NetworkError::Input(i)) => ApiError::input("invalid-data", &i, &shown),
        PlanError::Infeasible(reasons) => infeasible("no plan meets every rule", reasons),
        PlanError::Model(problems) => {
            infeasible("the scenario cannot be planned", problems.iter().map(ToString::to_string).collect())
        }
        other => ApiError::new(500, "plan-failed", other.to_string()),
    }
}

/// 422 `infeasible`, each reason a problem.
fn infeasible(message: &str, reasons: Vec<String>) -> ApiError {
    let mut e = ApiError::new(422, "infeasible", message);
    e.body.problems = reasons
        .into_iter()
        .map(|r| super::error::Problem {
            file: String::new(),
            row: None,
            line: None,
            place: String::new(),
            feature: None,
            key: None,
            field: None,
            code: "infeasible".into(),
            message: r,
        })
        .collect();
    e
}

async fn list_scenarios(State(s): Shared) -> ApiResult {
    let out = blocking(move || {
        let list: Vec<Value> = s
            .ws
            .scenarios()
            .into_iter()
            .map(|rel| {
                let path = s.ws.root().join(&rel);
                match LoadedScenario::load(&path) {
                    Ok(l) => json!({"path": rel, "name": l.scenario.name, "rollout": l.scenario.rollout.is_some(), "valid": true}),
                    Err(e) => json!({"path": rel, "name": rel, "rollout": false, "valid": false, "error": e.to_string()}),
                }
            })
            .collect();
        Ok(list)
    })
    .await?;
    Ok(json_response(StatusCode::OK, out))
}

async fn get_scenario(State(s): Shared, axum::extract::Path(name): axum::extract::Path<String>) -> ApiResult {
    let out = blocking(move || {
        let path = s.ws.scenario_file(&name)?;
        let rel = s.ws.shown(&path);
        let text = std::fs::read_to_string(&path).map_err(|e| ApiError::internal(format!("{rel}: {e}")))?;
        let (keys, problems, title, rollout) = match LoadedScenario::parse(&text, &path, &[]) {
            Ok(loaded) => {
                let problems = match s.ws.check_data_paths(&loaded) {
                    Err(e) => vec![e.body],
                    Ok(()) => match read_schools_and_districts(&loaded) {
                        Ok(_) => Vec::new(),
                        Err(e) => vec![plan_error(&s.ws, e).body],
                    },
                };
                (fields(&loaded), problems, loaded.scenario.name.clone(), loaded.scenario.rollout.is_some())
            }
            Err(e) => {
                let placeholder = LoadedScenario::parse("[data]\nschools = \"x.csv\"\n", &path, &[])
                    .map_err(|e| ApiError::internal(e.to_string()))?;
                let mut f = fields(&placeholder);
                for k in &mut f {
                    k.value = Value::Null;
                }
                (f, vec![scenario_error(&s.ws, &e).body], rel.clone(), false)
            }
        };
        Ok(json!({"path": rel, "name": title, "rollout": rollout, "text": text, "keys": keys, "problems": problems}))
    })
    .await?;
    Ok(json_response(StatusCode::OK, out))
}

/// The schools and district outlines of a scenario, for the app's map.
async fn get_map(State(s): Shared, Query(q): Query<HashMap<String, String>>) -> ApiResult {
    let name = q.get("scenario").cloned().ok_or_else(|| ApiError::bad_request("`scenario` is required"))?;
    let out = blocking(move || {
        let path = s.ws.scenario_file(&name)?;
        let loaded = LoadedScenario::load(&path).map_err(|e| scenario_error(&s.ws, &e))?;
        s.ws.check_data_paths(&loaded)?;
        let (schools, districts, _) = read_schools_and_districts(&loaded).map_err(|e| plan_error(&s.ws, e))?;
        let schools: Vec<Value> = schools
            .iter()
            .map(|x| {
                let hub = match x.hub {
                    HubStatus::Existing => "existing",
                    HubStatus::Candidate => "candidate",
                    HubStatus::No => "no",
                };
                json!({"id": x.id, "name": x.name, "district": x.district, "lat": x.lat, "lon": x.lon,
                       "students": x.students, "small": x.small, "hub": hub})
            })
            .collect();
        let districts: Option<Vec<Value>> = districts.map(|ds| {
            ds.iter()
                .map(|d| {
                    let shape = d.shape.simplify(0.002);
                    let rings: Vec<Vec<Vec<[f64; 2]>>> = shape
                        .0
                        .iter()
                        .map(|p| {
                            std::iter::once(p.exterior())
                                .map(|r| r.0.iter().map(|c| [round4(c.x), round4(c.y)]).collect())
                                .collect()
                        })
                        .collect();
                    json!({"name": d.name, "polygons": rings})
                })
                .collect()
        });
        Ok(json!({"scenario": s.ws.shown(&path), "schools": schools, "districts": districts}))
    })
    .await?;
    Ok(json_response(StatusCode::OK, out))
}

fn round4(v: f64) -> f64 {
    (v * 1e4).round() / 1e4
}

/// A `set` value as the TOML text `--set` takes.
fn toml_literal(key: &str, v: &Value) -> Result<String, ApiError> {
    let t = toml::Value::try_from(v)
        .map_err(|e| ApiError::bad_request(format!("`set.{key}`: cannot be written as a scenario value: {e}")))?;
    Ok(t.to_string())
}

/// The scenario of a run request: its file (inside the workspace), its text
/// (the file's, or the edited text sent), and the `set` overrides; loaded
/// and checked at once, so a bad key or value is answered before queueing.
struct RunRequest {
    rel: String,
    loaded: LoadedScenario,
    text: Option<String>,
    set: Map<String, Value>,
}

fn parse_run_request(s: &AppState, body: &Value) -> Result<RunRequest, ApiError> {
    let Some(obj) = body.as_object() else { return Err(ApiError::bad_request("expected a JSON object")) };
    for k in obj.keys() {
        if !["scenario", "set", "toml"].contains(&k.as_str()) {
            return Err(ApiError::bad_request(format!("unknown field `{k}`: expected scenario, set, toml")));
        }
    }
    let name = obj.get("scenario").and_then(Value::as_str).ok_or_else(|| {
        ApiError::bad_request("`scenario` (a workspace path such as models/aktobe-2025.toml) is required")
    })?;
    let path = s.ws.scenario_file(name)?;
    let set = match obj.get("set") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(ApiError::bad_request("`set` must be an object of dotted keys")),
    };
    let edited = match obj.get("toml") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => Some(t.clone()),
        Some(_) => return Err(ApiError::bad_request("`toml` must be the scenario's text")),
    };
    let mut text = match &edited {
        Some(t) => t.clone(),
        None => std::fs::read_to_string(&path).map_err(|e| ApiError::internal(format!("{name}: {e}")))?,
    };
    let mut overrides = Vec::new();
    let mut removed = Vec::new();
    for (k, v) in &set {
        if v.is_null() {
            removed.push(k.clone());
        } else {
            overrides.push((k.clone(), toml_literal(k, v)?));
        }
    }
    if !removed.is_empty() {
        // `null` returns a key to its default: drop it from the text.
        let mut table: toml::Table = toml::from_str(&text).map_err(|_| {
            let e = LoadedScenario::parse(&text, &path, &[]).err();
            e.map_or_else(|| ApiError::bad_request("not valid TOML"), |e| scenario_error(&s.ws, &e))
        })?;
        for k in &removed {
            remove_key(&mut table, k);
        }
        text = toml::to_string(&table).map_err(|e| ApiError::internal(e.to_string()))?;
    }
    if !set.contains_key("solver.threads") && !text_sets_threads(&text) {
        overrides.push(("solver.threads".into(), s.opts.run_threads.to_string()));
    }
    let loaded = LoadedScenario::parse(&text, &path, &overrides).map_err(|e| scenario_error(&s.ws, &e))?;
    s.ws.check_data_paths(&loaded)?;
    Ok(RunRequest { rel: s.ws.shown(&path), loaded, text: edited, set })
}

/// Removes dotted `key` from `table`, if it is there.
fn remove_key(table: &mut toml::Table, key: &str) {
    match key.split_once('.') {
        None => {
            table.remove(key);
        }
        Some((head, rest)) => {
            if let Some(t) = table.get_mut(head).and_then(toml::Value::as_table_mut) {
                remove_key(t, rest);
            }
        }
    }
}

/// A scenario whose `[solver]` sets `threads` to something other than 0 keeps it.
fn text_sets_threads(text: &str) -> bool {
    toml::from_str::<toml::Table>(text)
        .ok()
        .and_then(|t| t.get("solver")?.get("threads")?.as_integer())
        .is_some_and(|n| n > 0)
}

fn plan_work(ws: Workspace, loaded: LoadedScenario) -> Work {
    Box::new(move |p| {
        let t = std::time::Instant::now();
        let inputs = read_inputs(&loaded, Some(&ws.cache_dir()), p).map_err(|e| plan_error(&ws, e))?;
        let times = StageTimes { inputs_s: t.elapsed().as_secs_f64(), ..StageTimes::default() };
        p.phase("solving", 0.5);
        let mut run = plan_with_inputs(loaded, inputs, times).map_err(|e| plan_error(&ws, e))?;
        // Each new hub's worth, as `hubplan plan` computes it.
        if run.loaded.scenario.rollout.is_none() {
            crate::hub::worth::add_worth(&mut run, p).map_err(|e| plan_error(&ws, e))?;
        }
        p.phase("writing", 0.96);
        let report =
            |dir: &Path| crate::report::html::write_report(dir, None).map(|_| ()).map_err(std::io::Error::other);
        write_plan_dir(&run, &p.dir().join("plan"), true, Some(&report))
            .map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(summary(&run.doc))
    })
}

fn summary(doc: &crate::hub::PlanDoc) -> RunSummary {
    let t = &doc.totals;
    RunSummary {
        name: doc.scenario.name.clone(),
        hubs: t.hubs,
        new_hubs: t.new_hubs,
        linked_students: t.linked_students,
        small_school_students: t.small_school_students,
        linked_small_schools: t.linked_small_schools,
        small_schools: t.small_schools,
        cost_kzt: t.cost_kzt,
        budget_kzt: t.budget_kzt,
        quality: doc.quality().sentence(),
        status: doc.status.clone(),
    }
}

fn submit(s: &AppState, req: RunRequest, sweep: Option<String>) -> Result<RunRecord, ApiError> {
    let record = RunRecord {
        id: s.runs.new_id(),
        scenario: req.rel,
        set: req.set,
        edited: req.text.is_some(),
        sweep,
        status: RunStatus::Queued,
        progress: RunProgress { phase: "queued".into(), fraction: 0.0 },
        error: None,
        created: utc_stamp(SystemTime::now(), false),
        elapsed_s: None,
        summary: None,
        files: Vec::new(),
    };
    if let Some(text) = &req.text {
        let dir = s.runs.run_dir(&record.id);
        std::fs::create_dir_all(&dir)
            .and_then(|_| std::fs::write(dir.join("scenario.toml"), text))
            .map_err(|e| ApiError::internal(format!("cannot keep the edited scenario: {e}")))?;
    }
    s.runs.submit(record, plan_work(s.ws.clone(), req.loaded))
}

fn parse_json(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("the body is not valid JSON: {e}")))
}

async fn post_run(State(s): Shared, body: Bytes) -> ApiResult {
    let body = parse_json(&body)?;
    let record = blocking(move || {
        let req = parse_run_request(&s, &body)?;
        submit(&s, req, None)
    })
    .await?;
    Ok(json_response(StatusCode::ACCEPTED, json!({"id": record.id, "status": record.status, "run": record})))
}

/// `POST /api/sweeps`: `{"scenario", "set", "vary": {"KEY": [V1, V2, …], …}}` (one or two keys):
/// one run per point of the grid, all tagged with the sweep's id.
async fn post_sweep(State(s): Shared, body: Bytes) -> ApiResult {
    let body = parse_json(&body)?;
    let out = blocking(move || {
        let mut base = body.as_object().cloned().ok_or_else(|| ApiError::bad_request("expected a JSON object"))?;
        let vary = match base.remove("vary") {
            Some(Value::Object(v)) => v,
            _ => return Err(ApiError::bad_request("`vary` must be an object: {\"KEY\": [V1, V2, …]}")),
        };
        if vary.is_empty() || vary.len() > 2 {
            return Err(ApiError::bad_request("a sweep varies one or two keys"));
        }
        let mut grid: Vec<Map<String, Value>> = vec![Map::new()];
        for (k, vs) in &vary {
            let Some(vs) = vs.as_array().filter(|v| !v.is_empty()) else {
                return Err(ApiError::bad_request(format!("`vary.{k}` must be a non-empty list of values")));
            };
            grid = grid
                .into_iter()
                .flat_map(|point| {
                    vs.iter().map(move |v| {
                        let mut p = point.clone();
                        p.insert(k.clone(), v.clone());
                        p
                    })
                })
                .collect();
        }
        if grid.len() > MAX_SWEEP_RUNS {
            return Err(ApiError::bad_request(format!(
                "{} runs: a workbench sweep has at most {MAX_SWEEP_RUNS} (use `hubplan sweep` for more)",
                grid.len()
            )));
        }
        // Every point is checked before any is queued.
        let mut requests = Vec::new();
        for point in &grid {
            let mut b = base.clone();
            let mut set = b.get("set").and_then(Value::as_object).cloned().unwrap_or_default();
            set.extend(point.clone());
            b.insert("set".into(), Value::Object(set));
            requests.push(parse_run_request(&s, &Value::Object(b))?);
        }
        let sweep = format!("sweep-{}", s.runs.new_id());
        let ids: Vec<String> =
            requests.into_iter().map(|r| submit(&s, r, Some(sweep.clone())).map(|r| r.id)).collect::<Result<_, _>>()?;
        Ok(json!({"id": sweep, "runs": ids, "vary": vary}))
    })
    .await?;
    Ok(json_response(StatusCode::ACCEPTED, out))
}

async fn list_runs(State(s): Shared) -> ApiResult {
    Ok(json_response(StatusCode::OK, s.runs.list()))
}

fn known_run(s: &AppState, id: &str) -> Result<RunRecord, ApiError> {
    s.runs.get(id).ok_or_else(|| ApiError::not_found(format!("no run `{id}`")))
}

async fn get_run(State(s): Shared, axum::extract::Path(id): axum::extract::Path<String>) -> ApiResult {
    let record = known_run(&s, &id)?;
    let plan_file = s.runs.run_dir(&id).join("plan").join("plan.json");
    let mut v = serde_json::to_value(&record).map_err(|e| ApiError::internal(e.to_string()))?;
    if record.status == RunStatus::Done {
        let bytes = tokio::fs::read(&plan_file).await.map_err(|e| ApiError::internal(format!("plan.json: {e}")))?;
        let plan: Value = serde_json::from_slice(&bytes).map_err(|e| ApiError::internal(format!("plan.json: {e}")))?;
        v["plan"] = plan;
    } else {
        v["plan"] = Value::Null;
    }
    Ok(json_response(StatusCode::OK, v))
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "json" => "application/json",
        "geojson" => "application/geo+json",
        "csv" => "text/csv; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "md" => "text/markdown; charset=utf-8",
        _ => "application/octet-stream",
    }
}

async fn get_file(
    State(s): Shared,
    axum::extract::Path((id, name)): axum::extract::Path<(String, String)>,
) -> ApiResult {
    let record = known_run(&s, &id)?;
    if name.contains('/') || name.contains('\\') || name.starts_with('.') || name.contains("..") {
        return Err(ApiError::outside(format!("`{name}` is not a file name")));
    }
    if record.status != RunStatus::Done {
        return Err(ApiError::new(409, "not-ready", format!("run `{id}` is {:?}, it has no files yet", record.status)));
    }
    if !record.files.contains(&name) {
        return Err(ApiError::not_found(format!(
            "run `{id}` has no file `{name}` (it has {})",
            record.files.join(", ")
        )));
    }
    let path: PathBuf = s.runs.run_dir(&id).join("plan").join(&name);
    let bytes = tokio::fs::read(&path).await.map_err(|e| ApiError::internal(format!("{name}: {e}")))?;
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(&name)));
    if !name.ends_with(".html") {
        let disposition = format!("attachment; filename=\"{id}-{name}\"");
        if let Ok(v) = HeaderValue::from_str(&disposition) {
            headers.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    Ok((headers, Body::from(bytes)).into_response())
}

async fn get_compare(State(s): Shared, Query(q): Query<HashMap<String, String>>) -> ApiResult {
    let (Some(a), Some(b)) = (q.get("a").cloned(), q.get("b").cloned()) else {
        return Err(ApiError::bad_request("`a` and `b` (run ids) are required"));
    };
    let out = blocking(move || {
        let mut docs = Vec::new();
        for id in [&a, &b] {
            let r = known_run(&s, id)?;
            if r.status != RunStatus::Done {
                return Err(ApiError::new(409, "not-ready", format!("run `{id}` is not done")));
            }
            let doc = read_plan(&s.runs.run_dir(id).join("plan"))
                .map_err(|e| ApiError::input("invalid-data", &e, &|p| s.ws.shown(p)))?;
            docs.push(doc);
        }
        let c = compare(&docs[0], &docs[1]);
        let md = markdown(&c, &format!("run {a}"), &format!("run {b}"));
        Ok(json!({"a": a, "b": b, "comparison": c, "markdown": md}))
    })
    .await?;
    Ok(json_response(StatusCode::OK, out))
}

async fn post_upload(
    State(s): Shared,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult {
    let limit = s.opts.max_upload_bytes;
    let too_large = || {
        ApiError::new(
            413,
            "too-large",
            format!("the upload is larger than this server's limit of {limit} bytes (--max-upload-mb)"),
        )
    };
    if let Some(len) = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        && len > limit + 64 * 1024
    {
        return Err(too_large());
    }
    let mut multipart = multipart.map_err(|e| ApiError::bad_request(format!("expected multipart/form-data: {e}")))?;
    let mut files = Vec::new();
    let mut name = None;
    let mut total: u64 = 0;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(e) => return Err(ApiError::bad_request(format!("bad multipart body: {}", e.body_text()))),
        };
        let field_name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().unwrap_or("").to_string();
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(e) => return Err(ApiError::bad_request(format!("bad multipart body: {}", e.body_text()))),
        };
        total += bytes.len() as u64;
        if total > limit {
            return Err(too_large());
        }
        if field_name == "name" {
            name = Some(String::from_utf8_lossy(&bytes).into_owned());
        } else {
            files.push(UploadedFile { field: field_name, file_name, bytes: bytes.to_vec() });
        }
    }
    let reply = blocking(move || store_upload(&s.ws, name, files)).await?;
    Ok(json_response(StatusCode::CREATED, reply))
}
