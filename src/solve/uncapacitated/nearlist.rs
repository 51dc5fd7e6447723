//! Per-client candidate lists: the allowed, non-forbidden facilities of each
//! client sorted by service cost (ties by facility index).
//!
//! On large instances the lists are cut to the `k` nearest facilities to
//! bound memory; every user of a cut list falls back to an exact scan of the
//! client's links when it needs a facility beyond the list, so results are
//! exact either way — the cut only decides how often the slow path runs.

use rayon::prelude::*;

use crate::problem::{Costs, Instance};

/// Sorted candidate lists in compressed rows.
pub struct NearLists {
    start: Vec<usize>,
    facility: Vec<u32>,
    cost: Vec<f64>,
    /// True where the row holds every allowed, non-excluded facility of the client.
    complete: Vec<bool>,
    /// Facilities left out of every row (forbidden, or filtered away).
    excluded: Vec<bool>,
}

/// Lists are kept whole while `n × m` stays under this many entries (≈ 200 MB).
pub(crate) const FULL_LIST_ENTRIES: usize = 16_000_000;

impl NearLists {
    /// Builds lists of at most `k` entries per client (all when `k` is `None`:
    /// then the length is chosen from `FULL_LIST_ENTRIES`, about 200 MB of entries).
    pub fn build(inst: &Instance, k: Option<usize>) -> NearLists {
        let (n, m) = (inst.n_clients(), inst.n_facilities());
        let k = k.unwrap_or_else(|| {
            if n * m <= FULL_LIST_ENTRIES { m } else { (FULL_LIST_ENTRIES / n.max(1)).max(32).min(m) }
        });
        let forbidden: Vec<bool> = inst.facilities.iter().map(|f| f.forbidden).collect();
        let excluded = forbidden.clone();
        let rows: Vec<(Vec<u32>, Vec<f64>, bool)> = (0..n)
            .into_par_iter()
            .map(|c| {
                let mut links: Vec<(f64, u32)> = Vec::new();
                inst.costs.for_each_link(c, |f, v| {
                    if !forbidden[f] {
                        links.push((v, f as u32));
                    }
                });
                let total = links.len();
                let cmp = |a: &(f64, u32), b: &(f64, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
                if total > k {
                    links.select_nth_unstable_by(k - 1, cmp);
                    links.truncate(k);
                }
                links.sort_unstable_by(cmp);
                (links.iter().map(|l| l.1).collect(), links.iter().map(|l| l.0).collect(), total <= k)
            })
            .collect();
        let mut start = Vec::with_capacity(n + 1);
        start.push(0);
        let total: usize = rows.iter().map(|r| r.0.len()).sum();
        let mut facility = Vec::with_capacity(total);
        let mut cost = Vec::with_capacity(total);
        let mut complete = Vec::with_capacity(n);
        for (f, c, full) in rows {
            facility.extend_from_slice(&f);
            cost.extend_from_slice(&c);
            complete.push(full);
            start.push(facility.len());
        }
        NearLists { start, facility, cost, complete, excluded }
    }

    /// The candidate facilities of `client`, nearest first.
    #[inline]
    pub(crate) fn row(&self, client: usize) -> (&[u32], &[f64]) {
        let (a, b) = (self.start[client], self.start[client + 1]);
        (&self.facility[a..b], &self.cost[a..b])
    }

    /// True if the row holds all candidates of the client.
    #[inline]
    pub(crate) fn is_complete(&self, client: usize) -> bool {
        self.complete[client]
    }

    /// Calls `visit(facility, cost)` for every candidate of `client` cheaper
    /// than `limit`, nearest first while in the list; past a cut list the rest
    /// come from an exact scan of the client's links (in facility order).
    /// Returns how many candidates were visited.
    #[inline]
    pub(crate) fn for_each_below(
        &self,
        costs: &Costs,
        client: usize,
        limit: f64,
        mut visit: impl FnMut(usize, f64),
    ) -> usize {
        let (fs, ds) = self.row(client);
        let mut k = 0;
        for (&f, &d) in fs.iter().zip(ds) {
            if d >= limit {
                return k;
            }
            visit(f as usize, d);
            k += 1;
        }
        if self.complete[client] {
            return k;
        }
        // The row is cut and every entry in it is below the limit: the rest lie beyond it.
        let (last_f, reach) = (fs.last().map_or(0, |&f| f as usize), ds.last().copied().unwrap_or(f64::NEG_INFINITY));
        costs.for_each_link(client, |f, d| {
            let in_list = d < reach || (d == reach && f <= last_f);
            if !in_list && d < limit && !self.excluded[f] {
                visit(f, d);
                k += 1;
            }
        });
        k
    }

    /// The same lists keeping only facilities with `keep[f]` (order kept, so
    /// rows stay sorted; a complete row stays complete for the kept facilities).
    pub(crate) fn filtered(&self, keep: &[bool]) -> NearLists {
        let n = self.complete.len();
        let mut start = Vec::with_capacity(n + 1);
        start.push(0);
        let mut facility = Vec::new();
        let mut cost = Vec::new();
        for c in 0..n {
            let (fs, ds) = self.row(c);
            for (&f, &d) in fs.iter().zip(ds) {
                if keep[f as usize] {
                    facility.push(f);
                    cost.push(d);
                }
            }
            start.push(facility.len());
        }
        let excluded = self.excluded.iter().zip(keep).map(|(&e, &k)| e || !k).collect();
        NearLists { start, facility, cost, complete: self.complete.clone(), excluded }
    }

    pub(crate) fn n_entries(&self) -> usize {
        self.facility.len()
    }
}
