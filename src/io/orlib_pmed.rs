//! OR-Library p-median instances (`pmed1`…`pmed40`; Beasley 1985, "A note on
//! solving large p-median problems", EJOR 21).
//!
//! Format: `n m p`, then `m` lines `i j cost` of an undirected graph on
//! vertices 1…n. Every vertex is a client with demand 1 and a candidate. The
//! service cost is the shortest-path distance. When an edge appears twice the
//! **last** occurrence wins (OR-Library's own rule; pmed1's optimum 5819
//! depends on it).

use std::collections::HashMap;
use std::path::Path;

use rayon::prelude::*;

use super::tokens::{Tokens, read_text};
use crate::error::{ErrorCode, InputError};
use crate::problem::{Client, Costs, DenseCosts, Facility, Instance, Model};

/// Reads an OR-Library p-median file.
///
/// # Errors
///
/// The file cannot be read, or [`parse`] rejects it.
pub fn read(path: &Path) -> Result<Instance, InputError> {
    let text = read_text(path)?;
    parse(path, &text)
}

/// Parses the text of a p-median file already in memory (`path` only names it
/// in errors) and computes all-pairs shortest paths; vertices keep their ids
/// 1…n and pairs with no path cost `f64::INFINITY`.
///
/// # Errors
///
/// The first malformed, missing or negative number with its line, `p`
/// outside 1…n, a vertex outside 1…n, or data left after the `m` edges.
pub fn parse(path: &Path, text: &str) -> Result<Instance, InputError> {
    let mut t = Tokens::new(path, text);
    let n: usize = t.parse("the number of vertices n")?;
    let m: usize = t.parse("the number of edges m")?;
    let p: usize = t.parse("the number of medians p")?;
    if n == 0 {
        return Err(t.error(ErrorCode::OutOfRange, "the number of vertices must be at least 1"));
    }
    if p == 0 || p > n {
        return Err(t.error(ErrorCode::OutOfRange, format!("p = {p} must be between 1 and n = {n}")));
    }
    // Last occurrence wins: a map keyed by the unordered pair, overwritten in file order.
    let mut edges: HashMap<(u32, u32), f64> = HashMap::with_capacity(m);
    for k in 0..m {
        let what = format!("edge {} of {m} (i j cost)", k + 1);
        let i: usize = t.parse(&format!("a vertex number for {what}"))?;
        let j: usize = t.parse(&format!("a vertex number for {what}"))?;
        let c = t.non_negative(&format!("the cost of {what}"))?;
        for v in [i, j] {
            if v == 0 || v > n {
                return Err(t.error(ErrorCode::OutOfRange, format!("vertex {v} in {what} is outside 1…{n}")));
            }
        }
        let key = if i < j { (i as u32 - 1, j as u32 - 1) } else { (j as u32 - 1, i as u32 - 1) };
        edges.insert(key, c);
    }
    t.expect_end(&format!("the {m} edges"))?;
    let mut adj: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n];
    let mut pairs: Vec<_> = edges.into_iter().collect();
    pairs.sort_by_key(|&(k, _)| k);
    for ((a, b), c) in pairs {
        if a != b {
            adj[a as usize].push((b, c));
            adj[b as usize].push((a, c));
        }
    }
    let values = all_pairs_shortest_paths(&adj);
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let clients = (1..=n as u64).map(|i| Client::new(i, 1.0)).collect();
    let facilities = (1..=n as u64).map(|i| Facility::new(i, 0.0)).collect();
    let mut inst =
        Instance::new(name, Model::Pmedian, clients, facilities, Costs::Dense(DenseCosts::new(n, n, values)));
    inst.p = Some(p);
    Ok(inst)
}

/// Shortest-path distances from every vertex (one Dijkstra per source, in
/// parallel); unreachable pairs are `f64::INFINITY`.
pub fn all_pairs_shortest_paths(adj: &[Vec<(u32, f64)>]) -> Vec<f64> {
    let n = adj.len();
    let mut out = vec![f64::INFINITY; n * n];
    out.par_chunks_mut(n.max(1)).enumerate().for_each(|(s, row)| dijkstra_dense(adj, s, row));
    out
}

fn dijkstra_dense(adj: &[Vec<(u32, f64)>], source: usize, dist: &mut [f64]) {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    #[derive(PartialEq)]
    struct Key(f64);
    impl Eq for Key {}
    impl PartialOrd for Key {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Key {
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            self.0.total_cmp(&o.0)
        }
    }
    dist[source] = 0.0;
    let mut heap = BinaryHeap::new();
    heap.push(Reverse((Key(0.0), source as u32)));
    while let Some(Reverse((Key(d), v))) = heap.pop() {
        if d > dist[v as usize] {
            continue;
        }
        for &(w, c) in &adj[v as usize] {
            let nd = d + c;
            if nd < dist[w as usize] {
                dist[w as usize] = nd;
                heap.push(Reverse((Key(nd), w)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_duplicate_edge_wins_and_paths_are_shortest() {
        // 1-2 appears twice: the later cost 10 must be used, so 1→2 goes via 3 (4+5).
        let inst = parse(Path::new("t"), " 3 4 1\n 1 2 1\n 2 3 5\n 1 3 4\n 2 1 10\n").unwrap();
        assert_eq!(inst.costs.cost(0, 1), 9.0);
        assert_eq!(inst.costs.cost(1, 0), 9.0);
        assert_eq!(inst.costs.cost(0, 2), 4.0);
        assert_eq!(inst.costs.cost(2, 2), 0.0);
        assert_eq!(inst.p, Some(1));
    }

    #[test]
    fn errors_name_the_line_and_what_was_expected() {
        let e = parse(Path::new("pmedX.txt"), "3 2 1\n1 2 5\n1 x 4\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "pmedX.txt: line 3: expected a vertex number for edge 2 of 2 (i j cost), found `x` [E-VALUE]"
        );
        let e = parse(Path::new("f"), "3 5 1\n1 2 5\n").unwrap_err();
        assert!(e.to_string().contains("ends where a vertex number for edge 2 of 5"), "{e}");
        let e = parse(Path::new("f"), "3 1 1\n1 4 5\n").unwrap_err();
        assert!(e.to_string().contains("vertex 4"), "{e}");
        let e = parse(Path::new("f"), "3 1 7\n1 2 5\n").unwrap_err();
        assert!(e.to_string().contains("p = 7"), "{e}");
        let e = parse(Path::new("f"), "3 1 1\n1 2 5\n9 9 9\n").unwrap_err();
        assert!(e.to_string().contains("header counts"), "{e}");
    }
}
