//! Service costs: what it costs to serve *all* of a client's demand from a
//! facility. Stored densely, sparsely (only allowed links), or computed on the
//! fly from planar coordinates (large TSPLIB instances).
//!
//! A link that is not allowed has cost `f64::INFINITY` inside the engine; it
//! never appears in any output.

/// Distance convention for planar (TSPLIB `EUC_2D`) instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Rounding {
    /// Unrounded Euclidean distance (Hansen & Mladenović; Resende & Werneck).
    None,
    /// Nearest integer, TSPLIB's own `nint` (⌊d + 0.5⌋).
    Nint,
    /// Rounded down (Duran-Mateluna, Ales & Elloumi 2023).
    Floor,
}

impl Rounding {
    /// The name used on the command line and in files (`none`, `nint`, `floor`).
    pub fn as_str(self) -> &'static str {
        match self {
            Rounding::None => "none",
            Rounding::Nint => "nint",
            Rounding::Floor => "floor",
        }
    }

    /// Rounds a distance by this convention.
    #[inline]
    pub fn apply(self, d: f64) -> f64 {
        match self {
            Rounding::None => d,
            Rounding::Nint => (d + 0.5).floor(),
            Rounding::Floor => d.floor(),
        }
    }
}

/// Dense client × facility matrix, client-major.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseCosts {
    n_facilities: usize,
    values: Vec<f64>,
}

impl DenseCosts {
    /// `values[c * n_facilities + f]`; `f64::INFINITY` marks a link that is not allowed.
    ///
    /// # Panics
    ///
    /// When `values.len()` is not `n_clients * n_facilities`.
    pub fn new(n_clients: usize, n_facilities: usize, values: Vec<f64>) -> Self {
        assert_eq!(values.len(), n_clients * n_facilities, "dense cost matrix has the wrong size");
        DenseCosts { n_facilities, values }
    }

    /// The costs of `client` from every facility, in facility order.
    #[inline]
    pub fn row(&self, client: usize) -> &[f64] {
        &self.values[client * self.n_facilities..(client + 1) * self.n_facilities]
    }
}

/// Sparse allowed links in compressed rows by client, with a by-facility transpose.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseCosts {
    n_facilities: usize,
    row_start: Vec<usize>,
    facility: Vec<u32>,
    cost: Vec<f64>,
    col_start: Vec<usize>,
    col_client: Vec<u32>,
    col_cost: Vec<f64>,
}

impl SparseCosts {
    /// Builds from `(client, facility, cost)` triples. A repeated pair keeps the last cost.
    pub fn from_triples(n_clients: usize, n_facilities: usize, mut triples: Vec<(u32, u32, f64)>) -> Self {
        // Stable sort keeps file order among equal pairs, so the last one wins below.
        triples.sort_by_key(|&(c, f, _)| (c, f));
        let mut dedup: Vec<(u32, u32, f64)> = Vec::with_capacity(triples.len());
        for t in triples {
            match dedup.last_mut() {
                Some(last) if last.0 == t.0 && last.1 == t.1 => *last = t,
                _ => dedup.push(t),
            }
        }
        let mut row_start = vec![0usize; n_clients + 1];
        for &(c, _, _) in &dedup {
            row_start[c as usize + 1] += 1;
        }
        for i in 0..n_clients {
            row_start[i + 1] += row_start[i];
        }
        let facility: Vec<u32> = dedup.iter().map(|t| t.1).collect();
        let cost: Vec<f64> = dedup.iter().map(|t| t.2).collect();
        let mut col_start = vec![0usize; n_facilities + 1];
        for &(_, f, _) in &dedup {
            col_start[f as usize + 1] += 1;
        }
        for i in 0..n_facilities {
            col_start[i + 1] += col_start[i];
        }
        let mut fill = col_start.clone();
        let mut col_client = vec![0u32; dedup.len()];
        let mut col_cost = vec![0f64; dedup.len()];
        for &(c, f, v) in &dedup {
            let k = fill[f as usize];
            col_client[k] = c;
            col_cost[k] = v;
            fill[f as usize] += 1;
        }
        SparseCosts { n_facilities, row_start, facility, cost, col_start, col_client, col_cost }
    }

    #[inline]
    fn row(&self, client: usize) -> (&[u32], &[f64]) {
        let (a, b) = (self.row_start[client], self.row_start[client + 1]);
        (&self.facility[a..b], &self.cost[a..b])
    }

    #[inline]
    fn col(&self, facility: usize) -> (&[u32], &[f64]) {
        let (a, b) = (self.col_start[facility], self.col_start[facility + 1]);
        (&self.col_client[a..b], &self.col_cost[a..b])
    }

    /// Number of allowed (client, facility) links after merging repeats.
    pub fn n_links(&self) -> usize {
        self.cost.len()
    }
}

/// Points in the plane; the cost is the (rounded) Euclidean distance, computed when asked.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanarCosts {
    /// Client points `[x, y]`, in the file's units.
    pub clients: Vec<[f64; 2]>,
    /// Facility points `[x, y]`, in the same units.
    pub facilities: Vec<[f64; 2]>,
    /// How distances are rounded.
    pub rounding: Rounding,
}

impl PlanarCosts {
    /// The rounded Euclidean distance from `client` to `facility`; every link is allowed.
    #[inline]
    pub fn distance(&self, client: usize, facility: usize) -> f64 {
        let a = self.clients[client];
        let b = self.facilities[facility];
        let (dx, dy) = (a[0] - b[0], a[1] - b[1]);
        self.rounding.apply((dx * dx + dy * dy).sqrt())
    }
}

/// The cost of serving each client (all of its demand) from each allowed facility.
#[derive(Debug, Clone, PartialEq)]
pub enum Costs {
    /// A full matrix; suits small and mid-sized instances.
    Dense(DenseCosts),
    /// Only the allowed links; suits instances where each client has few candidates.
    Sparse(SparseCosts),
    /// Computed from coordinates when asked; suits large TSPLIB point sets.
    Planar(PlanarCosts),
}

impl Costs {
    /// Number of candidate facilities (columns).
    pub fn n_facilities(&self) -> usize {
        match self {
            Costs::Dense(d) => d.n_facilities,
            Costs::Sparse(s) => s.n_facilities,
            Costs::Planar(p) => p.facilities.len(),
        }
    }

    /// Number of clients (rows).
    pub fn n_clients(&self) -> usize {
        match self {
            Costs::Dense(d) => d.values.len().checked_div(d.n_facilities).unwrap_or(0),
            Costs::Sparse(s) => s.row_start.len() - 1,
            Costs::Planar(p) => p.clients.len(),
        }
    }

    /// Cost of serving `client` from `facility`; `f64::INFINITY` if the link is not allowed.
    #[inline]
    pub fn cost(&self, client: usize, facility: usize) -> f64 {
        match self {
            Costs::Dense(d) => d.values[client * d.n_facilities + facility],
            Costs::Sparse(s) => {
                let (fs, cs) = s.row(client);
                match fs.binary_search(&(facility as u32)) {
                    Ok(k) => cs[k],
                    Err(_) => f64::INFINITY,
                }
            }
            Costs::Planar(p) => p.distance(client, facility),
        }
    }

    /// Calls `f(facility, cost)` for every allowed link of `client`.
    #[inline]
    pub fn for_each_link(&self, client: usize, mut f: impl FnMut(usize, f64)) {
        match self {
            Costs::Dense(d) => {
                for (j, &v) in d.row(client).iter().enumerate() {
                    if v.is_finite() {
                        f(j, v);
                    }
                }
            }
            Costs::Sparse(s) => {
                let (fs, cs) = s.row(client);
                for (&j, &v) in fs.iter().zip(cs) {
                    f(j as usize, v);
                }
            }
            Costs::Planar(p) => {
                for j in 0..p.facilities.len() {
                    f(j, p.distance(client, j));
                }
            }
        }
    }

    /// Calls `f(client, cost)` for every client allowed to use `facility`.
    #[inline]
    pub fn for_each_client_of(&self, facility: usize, mut f: impl FnMut(usize, f64)) {
        match self {
            Costs::Dense(d) => {
                let n = self.n_clients();
                for c in 0..n {
                    let v = d.values[c * d.n_facilities + facility];
                    if v.is_finite() {
                        f(c, v);
                    }
                }
            }
            Costs::Sparse(s) => {
                let (cl, cs) = s.col(facility);
                for (&c, &v) in cl.iter().zip(cs) {
                    f(c as usize, v);
                }
            }
            Costs::Planar(p) => {
                for c in 0..p.clients.len() {
                    f(c, p.distance(c, facility));
                }
            }
        }
    }

    /// Number of allowed links (client, facility) pairs.
    pub fn n_links(&self) -> usize {
        match self {
            Costs::Dense(d) => d.values.iter().filter(|v| v.is_finite()).count(),
            Costs::Sparse(s) => s.n_links(),
            Costs::Planar(p) => p.clients.len() * p.facilities.len(),
        }
    }

    /// True when every allowed cost is a whole number (then optimality can be
    /// proven by rounding the lower bound up).
    pub fn all_integral(&self) -> bool {
        match self {
            Costs::Dense(d) => d.values.iter().all(|v| !v.is_finite() || v.fract() == 0.0),
            Costs::Sparse(s) => s.cost.iter().all(|v| v.fract() == 0.0),
            Costs::Planar(p) => p.rounding != Rounding::None,
        }
    }

    /// A short name of the storage kind, for logs and reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Costs::Dense(_) => "dense",
            Costs::Sparse(_) => "sparse",
            Costs::Planar(_) => "planar",
        }
    }

    /// Smallest and largest allowed cost, or `None` when no link is allowed.
    pub fn finite_range(&self) -> Option<(f64, f64)> {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        let n = self.n_clients();
        for c in 0..n {
            self.for_each_link(c, |_, v| {
                lo = lo.min(v);
                hi = hi.max(v);
            });
        }
        (lo <= hi).then_some((lo, hi))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_last_duplicate_wins_and_transpose_matches() {
        let s = SparseCosts::from_triples(2, 3, vec![(0, 2, 5.0), (1, 0, 1.0), (0, 2, 7.0), (0, 0, 3.0)]);
        let c = Costs::Sparse(s);
        assert_eq!(c.cost(0, 2), 7.0);
        assert_eq!(c.cost(0, 1), f64::INFINITY);
        assert_eq!(c.n_links(), 3);
        let mut col = Vec::new();
        c.for_each_client_of(0, |cl, v| col.push((cl, v)));
        assert_eq!(col, vec![(0, 3.0), (1, 1.0)]);
    }

    #[test]
    fn rounding_conventions() {
        assert_eq!(Rounding::Nint.apply(2.5), 3.0);
        assert_eq!(Rounding::Nint.apply(2.49), 2.0);
        assert_eq!(Rounding::Floor.apply(2.99), 2.0);
        assert_eq!(Rounding::None.apply(2.99), 2.99);
        let p = PlanarCosts { clients: vec![[0.0, 0.0]], facilities: vec![[3.0, 4.0]], rounding: Rounding::None };
        assert_eq!(p.distance(0, 0), 5.0);
    }
}
