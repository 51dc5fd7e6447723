//! Road distances from every hub to the schools within the link radius.
//!
//! A school snapped at fraction `t` of segment `a → b` is reached through `a`
//! (if the segment may be driven from `a` to `b`) after `t` of the segment, or
//! through `b` (if it may be driven from `b` to `a`) after `1 − t`, plus its
//! straight access leg. A hub starts its search the same way from its own
//! snap point. Two schools on the same segment also get the direct route along
//! it. Distances run from the hub to the school: on one-way roads the way
//! back may be longer.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::dijkstra::Search;
use super::graph::RoadGraph;
use super::options::{DistanceOptions, Metric};
use super::progress::{Progress, Stage};
use super::snap::Snap;
use super::table::{Link, SchoolIdx, UnlinkedReason};

/// A school's entry from one end of its segment: node and the extra `[km, minutes]`.
#[derive(Debug, Clone, Copy)]
struct Attach {
    school: u32,
    extra: [f64; 2],
}

/// Snapped schools laid out for fast lookup during searches.
pub(crate) struct RoadContext<'g> {
    graph: &'g RoadGraph,
    opts: &'g DistanceOptions,
    snaps: &'g [Option<Snap>],
    /// Attachments by node (CSR).
    att_first: Vec<u32>,
    att: Vec<Attach>,
    /// Schools snapped to each segment that holds more than zero.
    on_segment: FxHashMap<u32, Vec<u32>>,
    bound: f64,
}

fn access(opts: &DistanceOptions, km: f64) -> [f64; 2] {
    [km, km / opts.access_speed_kmh * 60.0]
}

fn add(a: [f64; 2], b: [f64; 2]) -> [f64; 2] {
    [a[0] + b[0], a[1] + b[1]]
}

impl<'g> RoadContext<'g> {
    pub fn new(graph: &'g RoadGraph, opts: &'g DistanceOptions, snaps: &'g [Option<Snap>]) -> Self {
        let n = graph.node_count();
        let mut entries: Vec<(u32, Attach)> = Vec::new();
        let mut on_segment: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
        for (s, snap) in snaps.iter().enumerate() {
            let Some(snap) = snap else { continue };
            let seg = graph.segments()[snap.segment as usize];
            let acc = access(opts, snap.access_km);
            // A snap point on a segment's end is that node: no direction applies.
            if seg.direction.forward() || snap.t == 0.0 {
                entries.push((
                    seg.a,
                    Attach { school: s as u32, extra: add([snap.t * seg.km, snap.t * seg.minutes], acc) },
                ));
            }
            if seg.direction.backward() || snap.t == 1.0 {
                let u = 1.0 - snap.t;
                entries.push((seg.b, Attach { school: s as u32, extra: add([u * seg.km, u * seg.minutes], acc) }));
            }
            on_segment.entry(snap.segment).or_default().push(s as u32);
        }
        entries.sort_by_key(|(v, a)| (*v, a.school));
        let mut att_first = vec![0u32; n + 1];
        for (v, _) in &entries {
            att_first[*v as usize + 1] += 1;
        }
        for v in 0..n {
            att_first[v + 1] += att_first[v];
        }
        let att = entries.into_iter().map(|(_, a)| a).collect();
        let (slow, fast) = graph.speed_range_kmh();
        let speeds = (slow.min(opts.access_speed_kmh), fast.max(opts.access_speed_kmh));
        let bound = opts.search_bound(speeds);
        RoadContext { graph, opts, snaps, att_first, att, on_segment, bound }
    }

    fn primary(&self) -> usize {
        usize::from(self.opts.metric == Metric::Minutes)
    }

    /// Where a search from school `h` starts: the ends of its segment it can drive to.
    fn sources(&self, h: u32) -> Vec<(u32, [f64; 2])> {
        let Some(snap) = self.snaps[h as usize] else { return Vec::new() };
        let seg = self.graph.segments()[snap.segment as usize];
        let acc = access(self.opts, snap.access_km);
        let mut out = Vec::with_capacity(2);
        if seg.direction.forward() || snap.t == 1.0 {
            let u = 1.0 - snap.t;
            out.push((seg.b, add([u * seg.km, u * seg.minutes], acc)));
        }
        if seg.direction.backward() || snap.t == 0.0 {
            out.push((seg.a, add([snap.t * seg.km, snap.t * seg.minutes], acc)));
        }
        out
    }

    /// Offers every school reached by the finished `search` to `best`.
    fn collect(&self, search: &Search, best: &mut Best) {
        let p = self.primary();
        for &v in search.touched() {
            let lv = search.label(v);
            let (s, e) = (self.att_first[v as usize] as usize, self.att_first[v as usize + 1] as usize);
            for a in &self.att[s..e] {
                best.offer(a.school, add(lv, a.extra), p);
            }
        }
    }

    /// Offers the schools on hub `h`'s own segment, reached directly along it.
    fn collect_same_segment(&self, h: u32, best: &mut Best) {
        let Some(hs) = self.snaps[h as usize] else { return };
        let seg = self.graph.segments()[hs.segment as usize];
        let acc_h = access(self.opts, hs.access_km);
        for &s in self.on_segment.get(&hs.segment).map(Vec::as_slice).unwrap_or(&[]) {
            let Some(ss) = self.snaps[s as usize] else { continue };
            let dt = ss.t - hs.t;
            let allowed = if dt > 0.0 { seg.direction.forward() } else { dt == 0.0 || seg.direction.backward() };
            if allowed {
                let along = [dt.abs() * seg.km, dt.abs() * seg.minutes];
                best.offer(s, add(add(along, acc_h), access(self.opts, ss.access_km)), self.primary());
            }
        }
    }

    /// Links from hub `h` to every school within the radius (itself excluded).
    fn hub_links(&self, h: u32, search: &mut Search, best: &mut Best) -> Vec<Link> {
        let sources = self.sources(h);
        search.run(self.graph, self.primary() == 1, &sources, self.bound);
        self.collect(search, best);
        self.collect_same_segment(h, best);
        let mut out = Vec::new();
        for &s in &best.seen {
            let [km, minutes] = best.lab[s as usize];
            if s != h && self.opts.within(km, minutes) {
                out.push(Link { school: SchoolIdx(s), hub: SchoolIdx(h), road_km: km, minutes, approx: false });
            }
        }
        best.clear();
        out
    }

    /// Links from every hub in `hubs`, in parallel unless `threads == 1`.
    pub fn all_links(&self, hubs: &[u32], progress: &dyn Progress) -> Vec<Link> {
        progress.begin(Stage::Distances, Some(hubs.len() as u64));
        let n = self.graph.node_count();
        let schools = self.snaps.len();
        let per_hub: Vec<Vec<Link>> = if self.opts.threads == 1 {
            let (mut search, mut best) = (Search::new(n), Best::new(schools));
            hubs.iter()
                .map(|&h| {
                    let l = self.hub_links(h, &mut search, &mut best);
                    progress.advance(1);
                    l
                })
                .collect()
        } else {
            hubs.par_iter()
                .map_init(
                    || (Search::new(n), Best::new(schools)),
                    |(search, best), &h| {
                        let l = self.hub_links(h, search, best);
                        progress.advance(1);
                        l
                    },
                )
                .collect()
        };
        progress.end();
        per_hub.into_iter().flatten().collect()
    }

    /// Why each of `schools` (snapped, without links) has none: one
    /// unbounded search from all hubs at once finds the nearest hub, if any.
    pub fn explain_unlinked(&self, hubs: &[u32], schools: &[u32]) -> Vec<UnlinkedReason> {
        if schools.is_empty() {
            return Vec::new();
        }
        let mut search = Search::new(self.graph.node_count());
        let sources: Vec<(u32, [f64; 2])> = hubs.iter().flat_map(|&h| self.sources(h)).collect();
        search.run(self.graph, self.primary() == 1, &sources, f64::INFINITY);
        let mut best = Best::new(self.snaps.len());
        self.collect(&search, &mut best);
        for &h in hubs {
            self.collect_same_segment(h, &mut best);
        }
        schools
            .iter()
            .map(|&s| {
                let [km, minutes] = best.lab.get(s as usize).copied().unwrap_or([f64::INFINITY; 2]);
                if km.is_finite() {
                    UnlinkedReason::NoHubInRange { nearest_km: km, nearest_minutes: minutes }
                } else {
                    UnlinkedReason::CutOff { snap_km: self.snaps[s as usize].map_or(f64::NAN, |x| x.access_km) }
                }
            })
            .collect()
    }
}

/// The best label per school found by one search.
pub(crate) struct Best {
    lab: Vec<[f64; 2]>,
    seen: Vec<u32>,
}

impl Best {
    fn new(schools: usize) -> Self {
        Best { lab: vec![[f64::INFINITY; 2]; schools], seen: Vec::new() }
    }

    #[inline]
    fn offer(&mut self, s: u32, l: [f64; 2], p: usize) {
        let cur = &mut self.lab[s as usize];
        if l[p] < cur[p] || (l[p] == cur[p] && l[1 - p] < cur[1 - p]) {
            if cur[p] == f64::INFINITY {
                self.seen.push(s);
            }
            *cur = l;
        }
    }

    fn clear(&mut self) {
        for &s in &self.seen {
            self.lab[s as usize] = [f64::INFINITY; 2];
        }
        self.seen.clear();
    }
}
