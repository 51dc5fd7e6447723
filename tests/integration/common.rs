//! What every integration test needs: the real `hubplan` binary with a
//! shared distance cache, its output as text, and paths into the repository.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A repository path as a command-line argument.
pub fn repo_path(p: &str) -> String {
    repo().join(p).to_string_lossy().into_owned()
}

/// A file or folder under `tests/fixtures`.
pub fn fixture(rel: &str) -> PathBuf {
    repo().join("tests/fixtures").join(rel)
}

/// The `hubplan` binary, caching distance tables in one folder shared by
/// the tests (a test that checks the cache sets its own).
pub fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hubplan"));
    c.env("HUBPLAN_CACHE_DIR", std::env::temp_dir().join("hubplan-test-cache"));
    c
}

/// Runs `hubplan args`.
pub fn hubplan(args: &[&str]) -> Output {
    command().args(args).output().expect("runs hubplan")
}

/// Runs `hubplan args` in `cwd`.
pub fn hubplan_in(args: &[&str], cwd: &Path) -> Output {
    command().args(args).current_dir(cwd).output().expect("runs hubplan")
}

/// Runs `hubplan args` with its distance cache in `cache`.
pub fn hubplan_cached(args: &[&str], cache: &Path) -> Output {
    command().args(args).env("HUBPLAN_CACHE_DIR", cache).output().expect("runs hubplan")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Standard output then standard error, for assertion messages.
pub fn text(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

/// A path as a command-line argument.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("test paths are UTF-8")
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("writes a test file");
    p
}
