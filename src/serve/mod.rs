//! `hubplan serve`: the planner workbench, an HTTP server with its web app
//! embedded (no CDN, no map tiles, nothing fetched from the network).
//!
//! ```text
//! browser ─ /            the app (app/index.html, app.js, app.css, embedded)
//!         ─ /api/…       JSON API (api.rs), every path checked against the workspace (workspace.rs)
//!              POST /api/runs ─ validated at once ─ queue ─ worker threads (runs.rs)
//!                   each run: catch_unwind(read inputs → plan → write_plan_dir) into
//!                   WORKSPACE/.hubplan/runs/<id>/plan/, its state in run.json beside it
//! ```
//!
//! The workspace is a folder holding `models/*.toml` and the data they name
//! (the repository itself is one). Runs, uploads and the distance cache live
//! inside it: `.hubplan/runs/<id>/`, `uploads/<id>/`, `.hubplan/cache/`, so a
//! restarted server shows its history. No path outside the workspace is ever
//! read or written: request paths with `..`, absolute paths and symbolic
//! links are refused with 400, and so is a scenario whose data files resolve
//! outside it.
//!
//! The API is documented in the README (section *Workbench*); error bodies
//! are `{"error": {"code", "message", "problems": [...]}}` ([`ApiError`]).

mod api;
mod error;
mod schema;
mod uploads;
mod workspace;

pub mod runs;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

pub use api::router;
pub use error::{ApiError, ErrorBody, Problem};
pub use runs::{RunRecord, RunStatus, RunStore};
pub use schema::{KeyDoc, key_docs};
pub use workspace::Workspace;

/// Default upload limit: 500 MB.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 500 * 1024 * 1024;

/// How the workbench is served.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The workspace folder (scenarios under `models/`, runs and uploads kept inside).
    pub workspace: PathBuf,
    /// Address to listen on (default 127.0.0.1).
    pub host: IpAddr,
    /// Port (0: any free port; the bound address is reported).
    pub port: u16,
    /// When set, every request must carry it (`Authorization: Bearer T` or `?token=T`).
    pub token: Option<String>,
    /// Largest upload accepted, bytes.
    pub max_upload_bytes: u64,
    /// Runs planned at once (default: one per two cores, at least one).
    pub workers: usize,
    /// Solver threads of a run that does not set `solver.threads` (default 2: a core pair).
    pub run_threads: usize,
}

impl ServeOptions {
    /// Options for `workspace` with every default.
    pub fn new(workspace: impl Into<PathBuf>) -> Self {
        ServeOptions {
            workspace: workspace.into(),
            host: IpAddr::from([127, 0, 0, 1]),
            port: 8080,
            token: None,
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            workers: default_workers(),
            run_threads: 2,
        }
    }
}

/// One run at a time per pair of cores.
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map(|n| n.get() / 2).unwrap_or(1).max(1)
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A host other than loopback without a token would expose the workspace to the network.
    #[error(
        "refusing to listen on {0} without --token: a non-loopback address is reachable from the network, so every request must carry a token"
    )]
    TokenRequired(IpAddr),
    /// The workspace folder cannot be used.
    #[error("workspace {path}: {source}")]
    Workspace {
        /// The folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The server stopped with an I/O error.
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

/// Shared state of the handlers.
pub struct AppState {
    /// The workspace.
    pub ws: Workspace,
    /// The runs, their queue and workers.
    pub runs: Arc<RunStore>,
    /// The options the server was started with.
    pub opts: ServeOptions,
}

/// Checks the options, opens the workspace and its run history, and binds
/// the address; returns the state and the listener (not yet serving).
pub async fn bind(opts: ServeOptions) -> Result<(Arc<AppState>, tokio::net::TcpListener), ServeError> {
    if !opts.host.is_loopback() && opts.token.as_deref().is_none_or(str::is_empty) {
        return Err(ServeError::TokenRequired(opts.host));
    }
    let ws = Workspace::open(&opts.workspace)
        .map_err(|source| ServeError::Workspace { path: opts.workspace.clone(), source })?;
    let runs = RunStore::open(ws.runs_dir(), opts.workers)
        .map_err(|source| ServeError::Workspace { path: ws.runs_dir(), source })?;
    let addr = SocketAddr::new(opts.host, opts.port);
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| ServeError::Bind { addr, source })?;
    Ok((Arc::new(AppState { ws, runs, opts }), listener))
}

/// Serves until the process ends; `on_ready` gets the bound address first
/// (the CLI prints it).
pub fn serve(opts: ServeOptions, on_ready: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(async move {
        let (state, listener) = bind(opts).await?;
        on_ready(listener.local_addr()?);
        axum::serve(listener, router(state)).await?;
        Ok(())
    })
}
