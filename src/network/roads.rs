//! Reading a road layer of either format into a [`RoadGraph`].

use std::io::Read;
use std::path::Path;

use super::graph::RoadGraph;
use super::progress::Progress;
use crate::error::{ErrorCode, InputError, InputErrors, Location};

/// Road file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoadFormat {
    /// GeoJSON FeatureCollection of lines.
    GeoJson,
    /// OpenStreetMap PBF extract.
    OsmPbf,
}

impl RoadFormat {
    /// The name used on the command line and in files (`geojson`, `osm-pbf`).
    pub fn as_str(self) -> &'static str {
        match self {
            RoadFormat::GeoJson => "geojson",
            RoadFormat::OsmPbf => "osm-pbf",
        }
    }

    /// The format from the file name (`*.pbf` → OSM PBF; `*.geojson`, `*.json`
    /// → GeoJSON), else from the first bytes (`{` → GeoJSON, otherwise PBF).
    ///
    /// # Errors
    ///
    /// The name does not tell and the file cannot be opened or read.
    pub fn detect(path: &Path) -> Result<RoadFormat, InputError> {
        let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        if name.ends_with(".pbf") {
            return Ok(RoadFormat::OsmPbf);
        }
        if name.ends_with(".geojson") || name.ends_with(".json") {
            return Ok(RoadFormat::GeoJson);
        }
        let mut head = [0u8; 64];
        let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)).map_err(|e| {
            InputError::new(path, Location::File, ErrorCode::Unreadable, format!("cannot read the road file: {e}"))
        })?;
        let first =
            head[..n].iter().copied().find(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF);
        Ok(if first == Some(b'{') { RoadFormat::GeoJson } else { RoadFormat::OsmPbf })
    }
}

/// A road layer read into a graph, with the warnings met on the way.
#[derive(Debug, Clone)]
pub struct RoadsRead {
    /// The driving roads as a graph.
    pub graph: RoadGraph,
    /// Skipped features, unreadable tags and the like; reading went on.
    pub warnings: Vec<InputError>,
    /// The format the file was read as.
    pub format: RoadFormat,
    /// Peak resident memory of the process after reading (Linux only), bytes.
    pub peak_memory_bytes: Option<u64>,
}

/// Reads a GeoJSON or OSM PBF road file (format from the name or content).
///
/// # Errors
///
/// The file cannot be read or the reader of its format rejects it.
pub fn read_roads(path: &Path, progress: &dyn Progress) -> Result<RoadsRead, InputErrors> {
    match RoadFormat::detect(path)? {
        RoadFormat::GeoJson => {
            progress.begin(super::progress::Stage::ReadRoads, None);
            let r = super::geojson_roads::read_geojson(path);
            progress.end();
            r.map(|mut r| {
                r.peak_memory_bytes = peak_memory_bytes();
                r
            })
        }
        RoadFormat::OsmPbf => super::osm_pbf::read_osm_pbf(path, progress),
    }
}

/// Peak resident set size of this process (`VmHWM` on Linux), bytes.
pub fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
