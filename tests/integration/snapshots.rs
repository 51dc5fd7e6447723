//! Snapshots of what people read: `solve --json` on an OR-Library
//! instance, the terminal summary of the Aktobe plan, and `compare`'s
//! report. Timings, temporary folders and the repository's location are
//! replaced by placeholders, so a snapshot changes only when the output does;
//! review a change with `cargo insta review` (or accept it with
//! `INSTA_UPDATE=always`).

use std::path::Path;

use crate::common::{fixture, hubplan, hubplan_in, repo, repo_path, s, text};

/// Insta settings that hide what differs between runs and machines: the
/// repository path, `dir` (a temporary folder) and every duration.
fn settings(dir: Option<&Path>) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    if let Some(dir) = dir {
        settings.add_filter(&regex_escape(s(dir)), "[tmp]");
    }
    settings.add_filter(&regex_escape(s(&repo())), "[repo]");
    // JSON durations: "elapsed_s": 0.0123
    settings.add_filter(r#""([a-z_]*_s|seconds)": [0-9.e+-]+"#, r#""$1": "[s]""#);
    // Terminal durations: 0.12s, 1.5 s, 12 ms
    settings.add_filter(r"\b[0-9]+(\.[0-9]+)? ?(s|ms)\b", "[t]");
    settings
}

fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[test]
fn solve_json_on_pmed1() {
    let o = hubplan(&["solve", &repo_path("datasets/orlib-pmed/pmed1.txt"), "--json", "--seed", "3", "--threads", "2"]);
    assert!(o.status.success(), "{}", text(&o));
    let mut json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    // Stage timings are [name, seconds] pairs.
    for stage in json["stats"]["stages"].as_array_mut().expect("stage timings") {
        stage[1] = "[s]".into();
    }
    let pretty = serde_json::to_string_pretty(&json).unwrap();
    settings(None).bind(|| insta::assert_snapshot!("solve_json_pmed1", pretty));
}

#[test]
fn plan_summary_of_aktobe() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("aktobe");
    let o = hubplan(&[
        "plan",
        &repo_path("models/aktobe-2025.toml"),
        "--out",
        s(&out),
        "--cache-dir",
        s(&tmp.path().join("cache")),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let summary = String::from_utf8_lossy(&o.stdout).into_owned();
    settings(Some(tmp.path())).bind(|| insta::assert_snapshot!("plan_summary_aktobe", summary));
}

#[test]
fn compare_report_of_the_fixture_plans() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (fixture("plans").join("a"), fixture("plans").join("b"));
    let o = hubplan_in(&["compare", s(&a), s(&b)], tmp.path());
    assert!(o.status.success(), "{}", text(&o));
    let report = String::from_utf8_lossy(&o.stdout).into_owned();
    settings(Some(tmp.path())).bind(|| insta::assert_snapshot!("compare_fixture_plans", report));
}
