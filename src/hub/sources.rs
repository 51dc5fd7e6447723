//! Where a plan's data came from, and under which licence: read from the
//! GeoJSON files' `metadata` member and from the README beside the schools file.

use std::path::Path;

use super::inputs::InputPaths;
use super::plan_doc::Source;

/// The sources of a plan's input files.
pub fn sources(paths: &InputPaths) -> Vec<Source> {
    let mut out = vec![csv_source("schools", &paths.schools)];
    if let Some(p) = &paths.roads {
        out.push(geojson_source("roads", p));
    } else {
        out.push(Source {
            name: "roads".into(),
            license: "-".into(),
            note: "no road layer: straight-line distance × detour factor (approx)".into(),
        });
    }
    if let Some(p) = &paths.districts {
        out.push(geojson_source("districts", p));
    }
    out
}

fn file_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

const LICENCES: &[(&str, &str)] =
    &[("ODbL", "ODbL-1.0"), ("CC BY 4.0", "CC-BY-4.0"), ("CC-BY-4.0", "CC-BY-4.0"), ("CC0", "CC0-1.0")];

/// A CSV file: the README beside it, the first line that names the file and a licence.
fn csv_source(role: &str, path: &Path) -> Source {
    let name = file_name(path);
    let readme = path.parent().map(|d| d.join("README.md"));
    let text = readme.as_deref().and_then(|r| std::fs::read_to_string(r).ok()).unwrap_or_default();
    for line in text.lines().filter(|l| l.contains(&name)) {
        if let Some((_, lic)) = LICENCES.iter().find(|(k, _)| line.contains(k)) {
            return Source { name: format!("{role}: {name}"), license: (*lic).into(), note: clean(line) };
        }
    }
    Source { name: format!("{role}: {name}"), license: "not stated".into(), note: path.display().to_string() }
}

/// A GeoJSON file with a `metadata` member (`license`, `attribution`, `description`).
fn geojson_source(role: &str, path: &Path) -> Source {
    let name = format!("{role}: {}", file_name(path));
    // Only the head of the file is needed: metadata comes first in hubplan's files.
    let head = read_head(path, 64 * 1024);
    let meta = head.find("\"metadata\"").and_then(|i| {
        let rest = &head[i..];
        let start = rest.find('{')?;
        let mut depth = 0usize;
        for (j, ch) in rest[start..].char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return serde_json::from_str::<serde_json::Value>(&rest[start..start + j + 1]).ok();
                    }
                }
                _ => {}
            }
        }
        None
    });
    match meta {
        Some(m) => {
            let license = m.get("license").and_then(|v| v.as_str()).unwrap_or("not stated").to_string();
            let attribution = match m.get("attribution") {
                Some(serde_json::Value::Array(a)) => a.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join("; "),
                Some(serde_json::Value::String(s)) => s.clone(),
                _ => String::new(),
            };
            let desc = m.get("description").and_then(|v| v.as_str()).unwrap_or("");
            let note = [desc, &attribution].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(" — ");
            Source { name, license, note }
        }
        None => Source { name, license: "not stated".into(), note: path.display().to_string() },
    }
}

fn read_head(path: &Path, n: usize) -> String {
    use std::io::Read;
    let mut buf = Vec::new();
    if let Ok(f) = std::fs::File::open(path) {
        let _ = f.take(n as u64).read_to_end(&mut buf);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn clean(line: &str) -> String {
    line.trim_start_matches(['-', ' ', '*']).replace("**", "").replace('`', "")
}
