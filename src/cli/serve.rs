//! `hubplan serve`: the planner workbench (the library's `serve` module does the work).

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use hubplan::serve::{ServeError, ServeOptions, default_workers, serve};

use super::exit;

#[derive(Args)]
pub struct ServeArgs {
    /// The workspace: a folder with models/*.toml and their data; runs and uploads are kept inside it.
    #[arg(long, default_value = ".")]
    pub workspace: PathBuf,
    /// Address to listen on; any address but loopback needs --token.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port (0: any free port; the address is printed).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Every request must carry this token (`Authorization: Bearer T` or `?token=T`) [env: HUBPLAN_TOKEN].
    #[arg(long)]
    pub token: Option<String>,
    /// Largest upload accepted, MB.
    #[arg(long, default_value_t = 500)]
    pub max_upload_mb: u64,
    /// Runs planned at once [default: one per two cores].
    #[arg(long)]
    pub workers: Option<usize>,
    /// Solver threads of a run whose scenario does not set `solver.threads`.
    #[arg(long, default_value_t = 2)]
    pub run_threads: usize,
}

pub fn run(a: ServeArgs) -> anyhow::Result<ExitCode> {
    let token = a.token.or_else(|| std::env::var("HUBPLAN_TOKEN").ok()).filter(|t| !t.is_empty());
    let with_token = token.is_some();
    let opts = ServeOptions {
        workspace: a.workspace,
        host: a.host,
        port: a.port,
        token,
        max_upload_bytes: a.max_upload_mb.saturating_mul(1024 * 1024),
        workers: a.workers.unwrap_or_else(default_workers).max(1),
        run_threads: a.run_threads.max(1),
    };
    let workspace = opts.workspace.clone();
    let result = serve(opts, |addr| {
        println!("hubplan workbench on http://{addr}/{}", if with_token { "?token=…" } else { "" });
        println!("workspace  {}", workspace.display());
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
    });
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e @ ServeError::TokenRequired(_)) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(exit::USAGE))
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(exit::ERROR))
        }
    }
}
