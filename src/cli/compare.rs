//! `hubplan compare`: what changed from one plan directory to another.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use hubplan::fsutil::write_atomic;
use hubplan::hub::plan_doc::{PLAN_SCHEMAS_READ, PlanDoc};
use hubplan::hub::verify::read_plan;
use hubplan::report::compare::{compare, csv, markdown};

use super::common::shown;
use super::exit;

#[derive(Args)]
pub struct CompareArgs {
    /// The plan directory before (with plan.json).
    pub a: PathBuf,
    /// The plan directory after.
    pub b: PathBuf,
    /// Write PREFIX.md and PREFIX.csv (a directory: DIR/compare.md and DIR/compare.csv) [default: ./compare].
    #[arg(long, value_name = "PREFIX")]
    pub out: Option<PathBuf>,
    /// Replace existing output files.
    #[arg(long)]
    pub force: bool,
    /// Do not print the markdown report.
    #[arg(short, long)]
    pub quiet: bool,
}

/// The two files a prefix names.
fn outputs(prefix: Option<&Path>) -> (PathBuf, PathBuf) {
    let prefix = match prefix {
        None => PathBuf::from("compare"),
        Some(p) if p.is_dir() => p.join("compare"),
        Some(p) if p.extension().is_some_and(|e| e == "md" || e == "csv") => p.with_extension(""),
        Some(p) => p.to_path_buf(),
    };
    let with = |ext: &str| {
        let mut s = prefix.clone().into_os_string();
        s.push(ext);
        PathBuf::from(s)
    };
    (with(".md"), with(".csv"))
}

fn load(dir: &Path) -> Result<PlanDoc, String> {
    let doc = read_plan(dir).map_err(|e| e.to_string())?;
    if !PLAN_SCHEMAS_READ.contains(&doc.schema.as_str()) {
        return Err(format!(
            "{}: field `schema` is `{}`, expected one of `{}`",
            shown(&dir.join("plan.json")),
            doc.schema,
            PLAN_SCHEMAS_READ.join("`, `")
        ));
    }
    Ok(doc)
}

pub fn run(a: CompareArgs) -> anyhow::Result<ExitCode> {
    let (md_path, csv_path) = outputs(a.out.as_deref());
    if !a.force {
        for p in [&md_path, &csv_path] {
            if p.exists() {
                eprintln!("error: {} already exists; pass --force to replace it", shown(p));
                return Ok(ExitCode::from(exit::ERROR));
            }
        }
    }
    let (da, db) = match (load(&a.a), load(&a.b)) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(exit::ERROR));
        }
    };
    let c = compare(&da, &db);
    let label = |dir: &Path, doc: &PlanDoc| format!("{} ({})", shown(dir), doc.scenario.name);
    let md = markdown(&c, &label(&a.a, &da), &label(&a.b, &db));
    for (p, bytes) in [(&md_path, md.as_bytes().to_vec()), (&csv_path, csv(&c))] {
        if let Err(e) = write_atomic(p, &bytes) {
            eprintln!("error: cannot write {}: {e}", shown(p));
            return Ok(ExitCode::from(exit::ERROR));
        }
    }
    if !a.quiet {
        print!("{md}");
    }
    eprintln!("written    {} and {}", shown(&md_path), shown(&csv_path));
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_name_both_files() {
        assert_eq!(outputs(None), (PathBuf::from("compare.md"), PathBuf::from("compare.csv")));
        assert_eq!(outputs(Some(Path::new("x/b.md"))), (PathBuf::from("x/b.md"), PathBuf::from("x/b.csv")));
        assert_eq!(outputs(Some(Path::new("x/b.v2"))), (PathBuf::from("x/b.v2.md"), PathBuf::from("x/b.v2.csv")));
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(outputs(Some(dir.path())).0, dir.path().join("compare.md"));
    }
}
