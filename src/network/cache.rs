//! On-disk cache of distance tables, so a sweep of planning scenarios over
//! the same schools and roads computes the table once.
//!
//! The key is a 128-bit XXH3 hash of everything the table depends on: the
//! hubplan version, the cache format, every school's id, coordinates and hub
//! status (not its name or students, which do not change distances), the
//! road file's format and full content, and the options except `threads`.
//! Changing any of these gives a different key, so a stale table is never
//! found; entries are never updated in place. Files are
//! `<dir>/<32 hex digits>.hpdist`, written atomically; the folder keeps the
//! [`KEEP_ENTRIES`] most recently written entries and removes older ones.
//!
//! The default folder is `$HUBPLAN_CACHE_DIR`, else `$XDG_CACHE_HOME/hubplan`,
//! else `$HOME/.cache/hubplan`, else `.hubplan-cache` in the working folder.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use xxhash_rust::xxh3::Xxh3;

use super::graph::RoadSummary;
use super::options::{DistanceOptions, SchoolPoint};
use super::roads::RoadFormat;
use super::table::{DistanceTable, Link, Method, SchoolIdx, SnapStats, Unlinked, UnlinkedReason, offsets_of};

const MAGIC: &[u8; 8] = b"HPDIST01";
/// Bumped whenever the table's content or encoding changes meaning.
const FORMAT_VERSION: u32 = 1;
/// Entries kept in a cache folder.
pub const KEEP_ENTRIES: usize = 64;
const EXT: &str = "hpdist";

/// A cache key: the hash of a table's inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CacheKey(pub u128);

impl CacheKey {
    /// 32 lowercase hex digits.
    pub fn hex(&self) -> String {
        format!("{:032x}", self.0)
    }
}

/// The default cache folder (see the module documentation).
pub fn default_dir() -> PathBuf {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(d) = env("HUBPLAN_CACHE_DIR") {
        d
    } else if let Some(d) = env("XDG_CACHE_HOME") {
        d.join("hubplan")
    } else if let Some(h) = env("HOME") {
        h.join(".cache").join("hubplan")
    } else {
        PathBuf::from(".hubplan-cache")
    }
}

/// Hashes the inputs of a table. Reads the whole road file (streamed).
///
/// # Errors
///
/// The road file cannot be read.
pub fn key_for(
    schools: &[SchoolPoint],
    roads: Option<(&Path, RoadFormat)>,
    opts: &DistanceOptions,
) -> io::Result<CacheKey> {
    let mut h = Xxh3::new();
    h.update(b"hubplan distance table\0");
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(&FORMAT_VERSION.to_le_bytes());
    h.update(&(schools.len() as u64).to_le_bytes());
    for s in schools {
        h.update(&(s.id.len() as u64).to_le_bytes());
        h.update(s.id.as_bytes());
        h.update(&s.lon.to_bits().to_le_bytes());
        h.update(&s.lat.to_bits().to_le_bytes());
        h.update(s.hub.as_str().as_bytes());
        h.update(b"\0");
    }
    match roads {
        None => h.update(b"no roads\0"),
        Some((path, format)) => {
            h.update(format.as_str().as_bytes());
            h.update(b"\0");
            let mut f = std::fs::File::open(path)?;
            let mut buf = vec![0u8; 1 << 20];
            let mut total = 0u64;
            loop {
                let n = f.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                total += n as u64;
                h.update(&buf[..n]);
            }
            h.update(&total.to_le_bytes());
        }
    }
    let mut o = opts.clone();
    o.threads = 0;
    h.update(serde_json::to_string(&o).map_err(io::Error::other)?.as_bytes());
    Ok(CacheKey(h.digest128()))
}

/// The file an entry lives in.
pub fn entry_path(dir: &Path, key: CacheKey) -> PathBuf {
    dir.join(format!("{}.{EXT}", key.hex()))
}

/// A cached table with the warnings met when its roads were read.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedTable {
    /// The table as computed.
    pub table: DistanceTable,
    /// Warnings from reading the road file, replayed on a cache hit.
    pub road_warnings: Vec<String>,
}

/// Loads an entry; `None` when absent, unreadable or written by another format.
pub fn load(dir: &Path, key: CacheKey, opts: &DistanceOptions) -> Option<CachedTable> {
    let bytes = std::fs::read(entry_path(dir, key)).ok()?;
    decode(&bytes, key, opts)
}

/// Stores an entry atomically and prunes the folder to [`KEEP_ENTRIES`].
///
/// # Errors
///
/// The folder cannot be created or the entry cannot be written.
pub fn store(dir: &Path, key: CacheKey, entry: &CachedTable) -> io::Result<PathBuf> {
    let path = entry_path(dir, key);
    crate::fsutil::write_atomic(&path, &encode(key, entry))?;
    prune(dir, KEEP_ENTRIES);
    Ok(path)
}

fn prune(dir: &Path, keep: usize) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<(std::time::SystemTime, PathBuf)> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == EXT))
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .collect();
    if entries.len() <= keep {
        return;
    }
    entries.sort();
    for (_, p) in &entries[..entries.len() - keep] {
        let _ = std::fs::remove_file(p);
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Meta {
    school_ids: Vec<String>,
    road_warnings: Vec<String>,
}

struct W(Vec<u8>);

impl W {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn f64(&mut self, v: f64) {
        self.0.extend_from_slice(&v.to_bits().to_le_bytes());
    }
}

struct R<'a>(&'a [u8]);

impl R<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| u32::from_le_bytes(b.try_into().unwrap_or_default()))
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8).map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
    }
    fn f64(&mut self) -> Option<f64> {
        self.u64().map(f64::from_bits)
    }
    fn len(&mut self, item_bytes: usize) -> Option<usize> {
        let n = self.u64()? as usize;
        // A count that cannot fit in what is left is a damaged file.
        (n.checked_mul(item_bytes)? <= self.0.len()).then_some(n)
    }
}

fn encode(key: CacheKey, e: &CachedTable) -> Vec<u8> {
    let t = &e.table;
    let mut w = W(Vec::with_capacity(64 + t.links.len() * 25));
    w.0.extend_from_slice(MAGIC);
    w.0.extend_from_slice(&key.0.to_le_bytes());
    let meta = serde_json::to_vec(&Meta { school_ids: t.school_ids.clone(), road_warnings: e.road_warnings.clone() })
        .unwrap_or_default();
    w.u64(meta.len() as u64);
    w.0.extend_from_slice(&meta);
    w.u64(t.hubs.len() as u64);
    for h in &t.hubs {
        w.u32(h.0);
    }
    w.u64(t.links.len() as u64);
    for l in &t.links {
        w.u32(l.school.0);
        w.u32(l.hub.0);
        w.f64(l.road_km);
        w.f64(l.minutes);
        w.u8(u8::from(l.approx));
    }
    w.u64(t.unlinked.len() as u64);
    for u in &t.unlinked {
        w.u32(u.school.0);
        let (tag, a, b) = match u.reason {
            UnlinkedReason::FarFromRoad { road_km } => (0, road_km, 0.0),
            UnlinkedReason::CutOff { snap_km } => (1, snap_km, 0.0),
            UnlinkedReason::NoHubInRange { nearest_km, nearest_minutes } => (2, nearest_km, nearest_minutes),
        };
        w.u8(tag);
        w.f64(a);
        w.f64(b);
    }
    match &t.road {
        Some(r) => {
            w.u8(1);
            w.u64(r.nodes as u64);
            w.u64(r.edges as u64);
            w.u64(r.arcs as u64);
            w.f64(r.total_km);
            w.u64(r.components as u64);
            w.f64(r.largest_component_share);
        }
        None => w.u8(0),
    }
    match &t.snap {
        Some(s) => {
            w.u8(1);
            w.u64(s.snapped as u64);
            w.f64(s.mean_access_km);
            w.f64(s.max_access_km);
        }
        None => w.u8(0),
    }
    w.0
}

fn decode(bytes: &[u8], key: CacheKey, opts: &DistanceOptions) -> Option<CachedTable> {
    let mut r = R(bytes);
    if r.take(8)? != MAGIC || u128::from_le_bytes(r.take(16)?.try_into().ok()?) != key.0 {
        return None;
    }
    let n = r.len(1)?;
    let meta: Meta = serde_json::from_slice(r.take(n)?).ok()?;
    let schools = meta.school_ids.len() as u32;
    let n = r.len(4)?;
    let hubs = (0..n).map(|_| r.u32().map(SchoolIdx)).collect::<Option<Vec<_>>>()?;
    let n = r.len(25)?;
    let mut links = Vec::with_capacity(n);
    for _ in 0..n {
        let (school, hub) = (r.u32()?, r.u32()?);
        if school >= schools || hub >= schools {
            return None;
        }
        let (road_km, minutes, approx) = (r.f64()?, r.f64()?, r.u8()? != 0);
        links.push(Link { school: SchoolIdx(school), hub: SchoolIdx(hub), road_km, minutes, approx });
    }
    let n = r.len(21)?;
    let mut unlinked = Vec::with_capacity(n);
    for _ in 0..n {
        let school = r.u32()?;
        let (tag, a, b) = (r.u8()?, r.f64()?, r.f64()?);
        let reason = match tag {
            0 => UnlinkedReason::FarFromRoad { road_km: a },
            1 => UnlinkedReason::CutOff { snap_km: a },
            2 => UnlinkedReason::NoHubInRange { nearest_km: a, nearest_minutes: b },
            _ => return None,
        };
        unlinked.push(Unlinked { school: SchoolIdx(school), reason });
    }
    let road = match r.u8()? {
        1 => Some(RoadSummary {
            nodes: r.u64()? as usize,
            edges: r.u64()? as usize,
            arcs: r.u64()? as usize,
            total_km: r.f64()?,
            components: r.u64()? as usize,
            largest_component_share: r.f64()?,
        }),
        _ => None,
    };
    let snap = match r.u8()? {
        1 => Some(SnapStats { snapped: r.u64()? as usize, mean_access_km: r.f64()?, max_access_km: r.f64()? }),
        _ => None,
    };
    if !r.0.is_empty() {
        return None;
    }
    let method = if road.is_some() {
        Method::Road
    } else {
        Method::Approx { detour_factor: opts.detour_factor, speed_kmh: opts.fallback_speed_kmh }
    };
    // Links were stored in table order.
    let offsets = offsets_of(&links, meta.school_ids.len());
    let table = DistanceTable {
        school_ids: meta.school_ids,
        hubs,
        links,
        offsets,
        unlinked,
        method,
        options: opts.clone(),
        road,
        snap,
    };
    Some(CachedTable { table, road_warnings: meta.road_warnings })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::schools::HubStatus;

    fn schools() -> Vec<SchoolPoint> {
        vec![
            SchoolPoint { id: "a".into(), lon: 67.0, lat: 48.0, hub: HubStatus::Candidate },
            SchoolPoint { id: "b".into(), lon: 67.1, lat: 48.0, hub: HubStatus::No },
        ]
    }

    #[test]
    fn key_changes_with_every_input_but_threads() {
        let dir = tempfile::tempdir().unwrap();
        let roads = dir.path().join("r.geojson");
        std::fs::write(&roads, "{}").unwrap();
        let opts = DistanceOptions::default();
        let k = |s: &[SchoolPoint], o: &DistanceOptions| key_for(s, Some((&roads, RoadFormat::GeoJson)), o).unwrap();
        let base = k(&schools(), &opts);
        assert_eq!(base, k(&schools(), &DistanceOptions { threads: 7, ..opts.clone() }));
        assert_ne!(base, k(&schools(), &DistanceOptions { max_km: Some(100.0), ..opts.clone() }));
        let mut moved = schools();
        moved[1].lat += 1e-9;
        assert_ne!(base, k(&moved, &opts));
        std::fs::write(&roads, "{ }").unwrap();
        assert_ne!(base, k(&schools(), &opts));
        assert_ne!(base, key_for(&schools(), None, &opts).unwrap());
    }

    #[test]
    fn entries_round_trip_and_damaged_files_are_misses() {
        let dir = tempfile::tempdir().unwrap();
        let opts = DistanceOptions::default();
        let mut table = DistanceTable::new(
            vec!["a".into(), "b".into()],
            vec![SchoolIdx(0)],
            vec![
                Link { school: SchoolIdx(1), hub: SchoolIdx(0), road_km: 7.123456789, minutes: 9.5, approx: false },
                Link { school: SchoolIdx(0), hub: SchoolIdx(0), road_km: 0.0, minutes: 0.0, approx: false },
            ],
            vec![],
            Method::Road,
            opts.clone(),
        );
        table.road = Some(RoadSummary {
            nodes: 2,
            edges: 1,
            arcs: 2,
            total_km: 7.5,
            components: 1,
            largest_component_share: 1.0,
        });
        table.snap = Some(SnapStats { snapped: 2, mean_access_km: 0.1, max_access_km: 0.2 });
        let entry = CachedTable { table, road_warnings: vec!["w".into()] };
        let key = CacheKey(42);
        let path = store(dir.path(), key, &entry).unwrap();
        assert_eq!(load(dir.path(), key, &opts), Some(entry));
        assert_eq!(load(dir.path(), CacheKey(43), &opts), None);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        assert_eq!(load(dir.path(), key, &opts), None);
    }
}
