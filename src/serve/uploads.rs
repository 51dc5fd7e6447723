//! Uploaded data sets: schools (CSV), optional roads (GeoJSON or `.osm.pbf`)
//! and districts (GeoJSON), validated in memory before anything is written,
//! then kept as `uploads/<id>/` with a `scenario.toml` naming them (every
//! other key at its default), so the app opens them like any scenario.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use super::error::ApiError;
use super::runs::utc_stamp;
use super::workspace::Workspace;
use crate::error::InputErrors;
use crate::fsutil::{replace_dir, temp_sibling};

/// One file of an upload, as received.
pub struct UploadedFile {
    /// The form field: `schools`, `roads` or `districts`.
    pub field: String,
    /// The file name the browser sent.
    pub file_name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// What `POST /api/uploads` answers.
#[derive(Debug, Clone, Serialize)]
pub struct UploadReply {
    /// The data set's id.
    pub id: String,
    /// The scenario that names it, relative to the workspace (`uploads/<id>/scenario.toml`).
    pub scenario: String,
    /// Rows of the schools file.
    pub schools: usize,
    /// The files kept.
    pub files: Vec<String>,
    /// How the schools file was read (its delimiter and decimal mark, or the sheet), when notable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schools_format: Option<String>,
    /// What the checks of the schools' points found (a school outside its district, …).
    pub warnings: Vec<String>,
}

static SEQ: AtomicU64 = AtomicU64::new(0);

fn lower_ext(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// Validates the files and keeps them as a new data set.
pub fn store_upload(ws: &Workspace, name: Option<String>, files: Vec<UploadedFile>) -> Result<UploadReply, ApiError> {
    let shown = |p: &Path| p.display().to_string();
    let mut schools = None;
    let mut roads = None;
    let mut districts = None;
    for f in files {
        let slot = match f.field.as_str() {
            "schools" => &mut schools,
            "roads" => &mut roads,
            "districts" => &mut districts,
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown upload field `{other}`: expected schools, roads or districts"
                )));
            }
        };
        if slot.is_some() {
            return Err(ApiError::bad_request(format!("field `{}` given twice", f.field)));
        }
        *slot = Some(f);
    }
    let Some(schools) = schools else {
        return Err(ApiError::bad_request("a schools file is required (field `schools`, CSV)"));
    };
    let mut kept: Vec<(String, Vec<u8>)> = Vec::new();
    let mut all = InputErrors(Vec::new());

    // Districts first: with boundaries, a school may leave its district empty.
    let mut shapes = None;
    if let Some(d) = districts {
        let file = "districts.geojson";
        match std::str::from_utf8(&d.bytes) {
            Ok(text) => match crate::hub::inputs::parse_districts(text, Path::new(file)) {
                Ok(s) => shapes = Some(s),
                Err(e) => all.0.extend(e.0),
            },
            Err(_) => {
                return Err(ApiError::new(415, "unsupported", "the districts file is not GeoJSON text (UTF-8)"));
            }
        }
        kept.push((file.into(), d.bytes));
    }
    let name_l = lower_ext(&schools.file_name);
    let spreadsheet = [".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"].iter().find(|e| name_l.ends_with(*e)).copied().or(
        if schools.bytes.starts_with(b"PK\x03\x04") {
            Some(".xlsx")
        } else if schools.bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
            Some(".xls")
        } else {
            None
        },
    );
    let schools_file = format!("schools{}", spreadsheet.unwrap_or(".csv"));
    // The same reading and checks as `plan`: any CSV dialect or a workbook's
    // first sheet, then the schools' points against the boundaries.
    let district_arg = shapes.as_deref().map(|s| (Path::new("districts.geojson"), s));
    let (rows, schools_format, warnings) =
        match crate::hub::checks::read_and_check(&schools.bytes, Path::new(&schools_file), None, district_arg) {
            Ok(c) => (c.file.rows.len(), c.file.format.note(), c.warnings.iter().map(ToString::to_string).collect()),
            Err(e) => {
                all.0.extend(e.0);
                (0, None, Vec::new())
            }
        };
    kept.push((schools_file.clone(), schools.bytes));
    if let Some(r) = roads {
        let n = lower_ext(&r.file_name);
        if n.ends_with(".osm.pbf") || n.ends_with(".pbf") {
            // The OSM blob header names its type in its first bytes.
            if !r.bytes.windows(9).take(64).any(|w| w == b"OSMHeader") {
                return Err(ApiError::new(
                    415,
                    "unsupported",
                    "the roads file is not an OpenStreetMap .osm.pbf extract",
                ));
            }
            kept.push(("roads.osm.pbf".into(), r.bytes));
        } else {
            if let Err(e) = crate::network::geojson_roads::parse_geojson(&r.bytes, Path::new("roads.geojson")) {
                all.0.extend(e.0);
            }
            kept.push(("roads.geojson".into(), r.bytes));
        }
    }
    if !all.0.is_empty() {
        return Err(ApiError::input("invalid-data", &all, &shown));
    }

    let id = format!("{}-{}", utc_stamp(std::time::SystemTime::now(), true), SEQ.fetch_add(1, Ordering::Relaxed) + 1);
    let title = name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| format!("Uploaded data {id}"));
    let mut toml = String::new();
    toml.push_str(&format!("name = {}\n\n[data]\n", toml::Value::String(title.trim().to_string())));
    toml.push_str(&format!("schools = \"{schools_file}\"\n"));
    for (f, _) in &kept {
        match f.as_str() {
            "roads.geojson" | "roads.osm.pbf" => toml.push_str(&format!("roads = \"{f}\"\n")),
            "districts.geojson" => toml.push_str("districts = \"districts.geojson\"\n"),
            _ => {}
        }
    }
    kept.push(("scenario.toml".into(), toml.into_bytes()));

    let target = ws.uploads_dir().join(&id);
    let staged = temp_sibling(&target);
    let io = |e: std::io::Error| ApiError::internal(format!("cannot keep the upload: {e}"));
    let result = (|| {
        std::fs::create_dir_all(&staged)?;
        for (f, bytes) in &kept {
            std::fs::write(staged.join(f), bytes)?;
        }
        replace_dir(&staged, &target)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&staged);
        return Err(io(e));
    }
    Ok(UploadReply {
        scenario: format!("uploads/{id}/scenario.toml"),
        id,
        schools: rows,
        files: kept.into_iter().map(|(f, _)| f).collect(),
        schools_format,
        warnings,
    })
}
