//! Reader for OpenStreetMap `.osm.pbf` extracts, streaming and memory-bounded.
//!
//! Two passes over the file, each decoding blobs in parallel and keeping
//! nothing of a blob once it is read:
//! 1. ways with a driving `highway` tag (rules in [`speeds`](super::speeds)):
//!    their node ids, speed and direction;
//! 2. nodes: only the coordinates of nodes those ways use, looked up in the
//!    sorted list of needed ids (node-id compaction).
//!
//! Memory therefore grows with the size of the driving road network, not with
//! the file: buildings, shops, footpaths and their nodes are decoded and
//! dropped. Ways cut at the border of an extract (nodes missing from the file)
//! are split at the missing nodes and the count is reported.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use osmpbf::{BlobDecode, BlobReader};
use rayon::prelude::*;

use super::graph::GraphBuilder;
use super::progress::{Progress, Stage};
use super::roads::{RoadFormat, RoadsRead, peak_memory_bytes};
use super::speeds::{Classified, RoadAttrs, WayTags, classify};
use crate::error::{ErrorCode, InputError, InputErrors, Location};

/// One driving way from pass 1.
struct WayRec {
    id: i64,
    refs: Vec<i64>,
    attrs: RoadAttrs,
}

#[derive(Default)]
struct WayPass {
    ways: Vec<WayRec>,
    not_driving: usize,
    notes: BTreeMap<String, usize>,
}

/// Reads the driving roads of an OSM PBF extract.
///
/// # Errors
///
/// The file cannot be read, is not a PBF file, is damaged or cut short, or
/// holds no driving road (the warnings are then included).
pub fn read_osm_pbf(path: &Path, progress: &dyn Progress) -> Result<RoadsRead, InputErrors> {
    let fail =
        |code: ErrorCode, msg: String| -> InputErrors { InputError::new(path, Location::File, code, msg).into() };
    progress.begin(Stage::ReadRoads, None);

    // Pass 1: driving ways.
    let pass1: Vec<(usize, WayPass)> = decode_blobs(path, progress, |block| {
        let mut out = WayPass::default();
        for group in block.groups() {
            for way in group.ways() {
                let mut tags = WayTags::default();
                for (k, v) in way.tags() {
                    tags.set(k, v);
                }
                if tags.highway.is_none() {
                    continue;
                }
                match classify(&tags, None) {
                    Classified::Road { attrs, notes } => {
                        for n in notes {
                            // Count by the kind of note, not by its value.
                            let kind = n.split('=').next().unwrap_or("tag").to_string();
                            *out.notes.entry(kind).or_default() += 1;
                        }
                        out.ways.push(WayRec { id: way.id(), refs: way.refs().collect(), attrs });
                    }
                    Classified::NotDriving(_) => out.not_driving += 1,
                }
            }
        }
        out
    })
    .map_err(|(code, msg)| fail(code, msg))?;

    let mut ways: Vec<WayRec> = Vec::new();
    let mut not_driving = 0usize;
    let mut notes: BTreeMap<String, usize> = BTreeMap::new();
    for (_, p) in pass1 {
        ways.extend(p.ways);
        not_driving += p.not_driving;
        for (k, v) in p.notes {
            *notes.entry(k).or_default() += v;
        }
    }
    ways.sort_unstable_by_key(|w| w.id);
    let mut needed: Vec<i64> = ways.iter().flat_map(|w| w.refs.iter().copied()).collect();
    needed.par_sort_unstable();
    needed.dedup();
    needed.shrink_to_fit();

    // Pass 2: coordinates of the needed nodes, as 1e-7 degree integers.
    const MISSING: [i32; 2] = [i32::MIN, i32::MIN];
    let coords = Mutex::new(vec![MISSING; needed.len()]);
    decode_blobs(path, progress, |block| {
        let mut found: Vec<(u32, [i32; 2])> = Vec::new();
        let mut look = |id: i64, lon: i32, lat: i32| {
            if let Ok(i) = needed.binary_search(&id) {
                found.push((i as u32, [lon, lat]));
            }
        };
        for group in block.groups() {
            for n in group.dense_nodes() {
                look(n.id(), n.decimicro_lon(), n.decimicro_lat());
            }
            for n in group.nodes() {
                look(n.id(), n.decimicro_lon(), n.decimicro_lat());
            }
        }
        if !found.is_empty() {
            let mut c = coords.lock().unwrap_or_else(|e| e.into_inner());
            for (i, p) in found {
                c[i as usize] = p;
            }
        }
    })
    .map_err(|(code, msg)| fail(code, msg))?;
    let coords = coords.into_inner().unwrap_or_else(|e| e.into_inner());

    let mut warnings = Vec::new();
    let mut builder = GraphBuilder::with_capacity(0, 0);
    let mut node_of = vec![u32::MAX; needed.len()];
    let mut bad_coords = 0usize;
    for (i, c) in coords.iter().enumerate() {
        if *c == MISSING {
            continue;
        }
        let p = [c[0] as f64 / 1e7, c[1] as f64 / 1e7];
        if super::geodesy::in_range(p) {
            node_of[i] = builder.new_node(p);
        } else {
            bad_coords += 1;
        }
    }
    let mut missing_refs = 0usize;
    for w in &ways {
        let mut prev: Option<u32> = None;
        for r in &w.refs {
            let n = needed.binary_search(r).ok().map(|i| node_of[i]).filter(|&n| n != u32::MAX);
            match (prev, n) {
                (Some(a), Some(b)) => builder.add_segment(a, b, w.attrs),
                (_, None) => missing_refs += 1,
                _ => {}
            }
            prev = n;
        }
    }
    drop((coords, needed, node_of));
    let way_count = ways.len();
    drop(ways);
    let graph = builder.build();
    progress.end();

    let warn = |code: ErrorCode, msg: String| InputError::new(path, Location::File, code, msg);
    if missing_refs > 0 {
        warnings.push(warn(
            ErrorCode::UnknownId,
            format!(
                "{missing_refs} node references of driving ways are not in the file (ways cut at the extract's border); the ways were split there"
            ),
        ));
    }
    if bad_coords > 0 {
        warnings.push(warn(
            ErrorCode::OutOfRange,
            format!("{bad_coords} nodes have coordinates out of range and were dropped"),
        ));
    }
    for (kind, n) in &notes {
        warnings.push(warn(
            ErrorCode::BadValue,
            format!("{n} driving ways have an unreadable `{kind}` value; defaults were used"),
        ));
    }
    if graph.node_count() == 0 {
        let mut errs = vec![warn(
            ErrorCode::BadGeometry,
            format!(
                "no driving roads found: {way_count} driving ways with usable nodes, {not_driving} other highway ways"
            ),
        )];
        errs.extend(warnings);
        return Err(InputErrors(errs));
    }
    Ok(RoadsRead { graph, warnings, format: RoadFormat::OsmPbf, peak_memory_bytes: peak_memory_bytes() })
}

/// Decodes every data blob of the file in parallel, returning `f`'s results
/// in file order. Errors are `(code, message)`: a file that is not PBF at all,
/// or one that ends in the middle of a blob.
fn decode_blobs<T: Send>(
    path: &Path,
    progress: &dyn Progress,
    f: impl Fn(&osmpbf::PrimitiveBlock) -> T + Sync,
) -> Result<Vec<(usize, T)>, (ErrorCode, String)> {
    let reader =
        BlobReader::from_path(path).map_err(|e| (ErrorCode::Unreadable, format!("cannot read the road file: {e}")))?;
    let first_error: Mutex<Option<(usize, String)>> = Mutex::new(None);
    let blobs = std::sync::atomic::AtomicUsize::new(0);
    let mut out: Vec<(usize, T)> = reader
        .enumerate()
        .par_bridge()
        .filter_map(|(i, blob)| {
            blobs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let decoded = blob.and_then(|b| match b.decode()? {
                BlobDecode::OsmData(block) => Ok(Some(f(&block))),
                BlobDecode::OsmHeader(_) | BlobDecode::Unknown(_) => Ok(None),
            });
            progress.advance(1);
            match decoded {
                Ok(v) => v.map(|v| (i, v)),
                Err(e) => {
                    let mut fe = first_error.lock().unwrap_or_else(|e| e.into_inner());
                    if fe.as_ref().is_none_or(|(j, _)| i < *j) {
                        *fe = Some((i, e.to_string()));
                    }
                    None
                }
            }
        })
        .collect();
    if let Some((i, msg)) = first_error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(if i == 0 {
            (ErrorCode::WrongFormat, format!("not an OpenStreetMap PBF file ({msg})"))
        } else {
            (ErrorCode::Truncated, format!("the PBF file is damaged or cut short at block {i} ({msg})"))
        });
    }
    if blobs.into_inner() == 0 {
        return Err((ErrorCode::Truncated, "the PBF file is empty".into()));
    }
    out.sort_unstable_by_key(|(i, _)| *i);
    Ok(out)
}
