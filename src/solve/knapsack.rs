//! Knapsack kernels for Lagrangian subproblems of capacitated location.
//!
//! [`knapsack_01`] is exact: depth-first branch and bound over items sorted
//! by profit/weight, bounded by the Dantzig (LP) bound and, with a limit on
//! the number of items, by the sum of the largest remaining profits
//! (E. Horowitz and S. Sahni, "Computing partitions with applications to the
//! knapsack problem", JACM 21 (1974) 277–292; S. Martello and P. Toth,
//! *Knapsack Problems*, Wiley 1990, ch. 2). When the node limit stops the
//! search, the best value found and a valid upper bound (the root bound) are
//! returned. [`knapsack_fractional`] is Dantzig's greedy, and the one loop
//! behind its variants: [`fractional_value`] (no allocation per call, for
//! bounds at every node of a search), [`fractional_taken`] (which items, in
//! part or whole) and [`knapsack_bound`] (also capped by a count of items).

/// An item: what taking it earns and what it weighs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Item {
    pub profit: f64,
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KnapsackResult {
    /// Best value found (the optimum when `proven`).
    pub value: f64,
    /// A valid upper bound on the optimum (== `value` when proven).
    pub upper_bound: f64,
    /// Indices of the chosen items, ascending.
    pub chosen: Vec<usize>,
    pub proven: bool,
}

struct Search<'a> {
    items: &'a [Item],
    order: Vec<usize>,
    /// Profits of the ordered items, largest first from each position (for the count bound).
    by_profit: Vec<f64>,
    capacity: f64,
    limit: usize,
    best: f64,
    best_set: Vec<usize>,
    current: Vec<usize>,
    nodes: usize,
    node_limit: usize,
    cut: bool,
}

impl Search<'_> {
    /// Upper bound from position `k` with `room` capacity and `slots` items left.
    fn bound(&mut self, k: usize, room: f64, slots: usize) -> f64 {
        // Dantzig: whole items by ratio, then a fraction of the next. (It ignores
        // the item limit: cutting it at `slots` items would not be a bound.)
        let mut value = 0.0;
        let mut room = room;
        for &i in &self.order[k..] {
            let it = self.items[i];
            if it.weight <= room {
                room -= it.weight;
                value += it.profit;
            } else {
                value += it.profit * room / it.weight;
                break;
            }
        }
        if slots < self.order.len() - k {
            // The `slots` largest profits among the remaining items.
            self.by_profit.clear();
            self.by_profit.extend(self.order[k..].iter().map(|&i| self.items[i].profit));
            let nth = slots.saturating_sub(1).min(self.by_profit.len() - 1);
            self.by_profit.select_nth_unstable_by(nth, |a, b| b.total_cmp(a));
            let top: f64 = self.by_profit[..slots].iter().sum();
            value = value.min(top);
        }
        value
    }

    fn dfs(&mut self, k: usize, room: f64, slots: usize, value: f64) {
        if value > self.best {
            self.best = value;
            self.best_set.clone_from(&self.current);
        }
        if k == self.order.len() || slots == 0 {
            return;
        }
        self.nodes += 1;
        if self.nodes > self.node_limit {
            self.cut = true;
            return;
        }
        if value + self.bound(k, room, slots) <= self.best + 1e-12 * self.best.abs().max(1.0) {
            return;
        }
        let i = self.order[k];
        let it = self.items[i];
        if it.weight <= room {
            self.current.push(i);
            self.dfs(k + 1, room - it.weight, slots - 1, value + it.profit);
            self.current.pop();
            if self.cut {
                return;
            }
        }
        self.dfs(k + 1, room, slots, value);
    }
}

/// Profit per unit of weight; zero-weight items first.
fn ratio_of(i: &Item) -> f64 {
    if i.weight > 0.0 { i.profit / i.weight } else { f64::INFINITY }
}

/// Exact 0-1 knapsack: maximise Σ profit·x subject to Σ weight·x ≤ `capacity`
/// and, if given, Σ x ≤ `max_items`. Items with profit ≤ 0 are never taken.
pub fn knapsack_01(items: &[Item], capacity: f64, max_items: Option<usize>, node_limit: usize) -> KnapsackResult {
    debug_assert!(items.iter().all(|i| i.profit.is_finite() && i.weight >= 0.0 && i.weight.is_finite()));
    let mut order: Vec<usize> =
        (0..items.len()).filter(|&i| items[i].profit > 0.0 && items[i].weight <= capacity).collect();
    // Ratio order (zero weights first), ties by profit then index.
    // Ratios computed once: cross-multiplied comparisons round differently
    // pair by pair and need not be transitive, which a sort may not be given.
    let ratio: Vec<f64> = items.iter().map(ratio_of).collect();
    order.sort_by(|&a, &b| {
        ratio[b].total_cmp(&ratio[a]).then(items[b].profit.total_cmp(&items[a].profit)).then(a.cmp(&b))
    });
    let limit = max_items.unwrap_or(usize::MAX).min(order.len());
    let mut s = Search {
        items,
        order,
        by_profit: Vec::new(),
        capacity,
        limit,
        best: 0.0,
        best_set: Vec::new(),
        current: Vec::new(),
        nodes: 0,
        node_limit,
        cut: false,
    };
    // Greedy start: items by ratio while they fit.
    let (mut room, mut value) = (capacity, 0.0);
    for &i in &s.order.clone() {
        if s.current.len() == limit {
            break;
        }
        if items[i].weight <= room {
            room -= items[i].weight;
            value += items[i].profit;
            s.current.push(i);
        }
    }
    s.best = value;
    s.best_set = std::mem::take(&mut s.current);
    let root = s.bound(0, s.capacity, s.limit);
    s.dfs(0, s.capacity, s.limit, 0.0);
    let mut chosen = s.best_set;
    chosen.sort_unstable();
    let proven = !s.cut;
    KnapsackResult { value: s.best, upper_bound: if proven { s.best } else { root.max(s.best) }, chosen, proven }
}

/// Items with profit > 0 in ratio order (zero weights first), ties by the
/// lower index; `ratio` is scratch for the ratios (computed once: see
/// [`knapsack_01`]).
fn ratio_order(items: &[Item], order: &mut Vec<usize>, ratio: &mut Vec<f64>) {
    order.clear();
    order.extend((0..items.len()).filter(|&i| items[i].profit > 0.0));
    ratio.clear();
    ratio.extend(items.iter().map(ratio_of));
    order.sort_unstable_by(|&a, &b| ratio[b].total_cmp(&ratio[a]).then(a.cmp(&b)));
}

/// The item Dantzig's greedy takes in part: its index and the room left for it.
struct Break {
    item: usize,
    room: f64,
}

/// Dantzig's greedy (G. B. Dantzig, "Discrete-variable extremum problems",
/// *Operations Research* 5 (1957) 266–288) over `order`: whole items while
/// they fit, each reported to `whole`; returns their total profit and the
/// first item that does not fit, if any. The one loop behind every
/// fractional knapsack here; the callers value the break item.
fn dantzig(items: &[Item], order: &[usize], capacity: f64, mut whole: impl FnMut(usize)) -> (f64, Option<Break>) {
    let (mut room, mut value) = (capacity, 0.0);
    for &i in order {
        let it = items[i];
        if it.weight <= room {
            room -= it.weight;
            value += it.profit;
            whole(i);
        } else {
            return (value, Some(Break { item: i, room }));
        }
    }
    (value, None)
}

/// Fractional knapsack: items may be taken in part. Returns the value and the
/// share taken of each item.
pub fn knapsack_fractional(items: &[Item], capacity: f64) -> (f64, Vec<f64>) {
    let (mut order, mut ratio) = (Vec::new(), Vec::new());
    ratio_order(items, &mut order, &mut ratio);
    let mut shares = vec![0.0; items.len()];
    let (mut value, part) = dantzig(items, &order, capacity, |i| shares[i] = 1.0);
    if let Some(Break { item, room }) = part
        && room > 0.0
    {
        shares[item] = room / items[item].weight;
        value += items[item].profit * shares[item];
    }
    (value, shares)
}

/// The smaller of two relaxations of a 0–1 knapsack within `capacity` that
/// takes at most `count` items: Dantzig's bound ([`knapsack_fractional`])
/// and the sum of the `count` largest positive profits.
pub fn knapsack_bound(items: &[Item], capacity: f64, count: usize) -> f64 {
    knapsack_fractional(items, capacity).0.min(count_bound(items.iter().map(|x| x.profit), count))
}

/// The bound of a knapsack limited only in its number of items: the sum of
/// the `count` largest positive profits.
pub fn count_bound(profits: impl IntoIterator<Item = f64>, count: usize) -> f64 {
    let mut by_profit: Vec<f64> = profits.into_iter().filter(|&p| p > 0.0).collect();
    by_profit.sort_by(|x, y| y.total_cmp(x));
    by_profit.iter().take(count).sum()
}

/// Reusable buffers for [`fractional_value`], so a search that bounds at
/// every node does not allocate per call.
#[derive(Debug, Default)]
pub struct FractionalScratch {
    order: Vec<usize>,
    ratio: Vec<f64>,
}

/// Dantzig's bound ([`knapsack_fractional`]'s value) within `capacity`
/// (negative: none), with the break item valued as `profit · room / weight`
/// (rounded as [`fractional_taken`] does, not as `profit · share`), using the
/// caller's `scratch`.
pub fn fractional_value(items: &[Item], capacity: f64, scratch: &mut FractionalScratch) -> f64 {
    let FractionalScratch { order, ratio } = scratch;
    ratio_order(items, order, ratio);
    let (value, part) = dantzig(items, order, capacity.max(0.0), |_| {});
    match part {
        Some(Break { item, room }) => value + items[item].profit * room / items[item].weight,
        None => value,
    }
}

/// [`fractional_value`] that also says which items it takes, in the order
/// taken: (index, share), the break item last with a share > 0.
pub fn fractional_taken(items: &[Item], capacity: f64) -> (f64, Vec<(usize, f64)>) {
    let (mut order, mut ratio) = (Vec::new(), Vec::new());
    ratio_order(items, &mut order, &mut ratio);
    let mut taken = Vec::new();
    let (mut value, part) = dantzig(items, &order, capacity.max(0.0), |i| taken.push((i, 1.0)));
    if let Some(Break { item, room }) = part
        && room > 0.0
    {
        let it = items[item];
        value += it.profit * room / it.weight;
        taken.push((item, room / it.weight));
    }
    (value, taken)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::task_rng;
    use proptest::prelude::{ProptestConfig, prop_assert, prop_assert_eq, proptest};
    use rand::Rng as _;

    fn brute(items: &[Item], cap: f64, limit: Option<usize>) -> f64 {
        let n = items.len();
        let mut best: f64 = 0.0;
        for mask in 0u32..(1 << n) {
            let set: Vec<usize> = (0..n).filter(|&i| mask & (1 << i) != 0).collect();
            let w: f64 = set.iter().map(|&i| items[i].weight).sum();
            if w <= cap && limit.is_none_or(|l| set.len() <= l) {
                best = best.max(set.iter().map(|&i| items[i].profit).sum());
            }
        }
        best
    }

    /// The LP optimum of a 0–1 knapsack: the best of every set of whole
    /// items that fits plus any one other item in part.
    fn lp_optimum(items: &[Item], cap: f64) -> f64 {
        let n = items.len();
        let mut best: f64 = 0.0;
        for mask in 0u32..(1 << n) {
            let set: Vec<usize> = (0..n).filter(|&i| mask & (1 << i) != 0).collect();
            let w: f64 = set.iter().map(|&i| items[i].weight).sum();
            if w > cap {
                continue;
            }
            let p: f64 = set.iter().map(|&i| items[i].profit).sum();
            best = best.max(p);
            for j in (0..n).filter(|&j| mask & (1 << j) == 0 && items[j].weight > 0.0) {
                best = best.max(p + items[j].profit * ((cap - w) / items[j].weight).min(1.0));
            }
        }
        best
    }

    /// The modal search's own bound before it shared [`fractional_value`],
    /// kept as the oracle of bit-identical results.
    fn modal_fractional(items: &mut [(f64, f64)], capacity: f64) -> f64 {
        items.sort_by(|a, b| {
            let ra = if a.1 <= 0.0 { f64::INFINITY } else { a.0 / a.1 };
            let rb = if b.1 <= 0.0 { f64::INFINITY } else { b.0 / b.1 };
            rb.total_cmp(&ra)
        });
        let mut left = capacity.max(0.0);
        let mut total = 0.0;
        for &(p, w) in items.iter() {
            if w <= left {
                total += p;
                left -= w;
            } else {
                total += p * left / w;
                break;
            }
        }
        total
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(crate::testutil::cases(500)))]

        /// Exact against enumeration; with a node limit the answer brackets the optimum.
        #[test]
        fn exact_against_enumeration(seed in 0u64..1_000_000) {
            let mut r = task_rng(seed, 5);
            let n = r.random_range(0..13);
            let integral = r.random_bool(0.5);
            let items: Vec<Item> = (0..n)
                .map(|_| {
                    let w: f64 = r.random_range(0.0..20.0);
                    Item { profit: r.random_range(-5.0..30.0), weight: if integral { w.round() } else { w } }
                })
                .collect();
            let cap = r.random_range(0.0..60.0f64).round();
            let limit = r.random_bool(0.4).then(|| r.random_range(0..5));
            let opt = brute(&items, cap, limit);
            let res = knapsack_01(&items, cap, limit, usize::MAX);
            prop_assert!(res.proven);
            prop_assert!((res.value - opt).abs() < 1e-9, "value {} vs optimum {}", res.value, opt);
            let w: f64 = res.chosen.iter().map(|&i| items[i].weight).sum();
            let p: f64 = res.chosen.iter().map(|&i| items[i].profit).sum();
            prop_assert!(w <= cap + 1e-9 && limit.is_none_or(|l| res.chosen.len() <= l));
            prop_assert!((p - res.value).abs() < 1e-9);
            let cut = knapsack_01(&items, cap, limit, 2);
            prop_assert!(cut.value <= opt + 1e-9 && cut.upper_bound >= opt - 1e-9);
            let (frac, shares) = knapsack_fractional(&items, cap);
            prop_assert!(frac >= opt - 1e-9);
            let fw: f64 = shares.iter().zip(&items).map(|(s, i)| s * i.weight).sum();
            prop_assert!(fw <= cap + 1e-9);
        }

        /// Every fractional variant against the LP optimum by enumeration
        /// (whole items plus at most one in part), each with its own rounding
        /// of the break item; the count-limited bound above the 0–1 optimum.
        #[test]
        fn fractional_against_enumeration(seed in 0u64..1_000_000) {
            let mut r = task_rng(seed, 6);
            let n = r.random_range(0..11);
            let items: Vec<Item> = (0..n)
                .map(|_| Item {
                    profit: r.random_range(-5.0..30.0),
                    weight: if r.random_bool(0.15) { 0.0 } else { r.random_range(0.0..20.0) },
                })
                .collect();
            let cap = if r.random_bool(0.1) { 0.0 } else { r.random_range(0.0..60.0) };
            let lp = lp_optimum(&items, cap);
            let (value, shares) = knapsack_fractional(&items, cap);
            prop_assert!((value - lp).abs() < 1e-9 * lp.max(1.0), "{value} vs LP {lp}");
            let mut scratch = FractionalScratch::default();
            let v = fractional_value(&items, cap, &mut scratch);
            prop_assert!((v - lp).abs() < 1e-9 * lp.max(1.0), "{v} vs LP {lp}");
            let (vt, taken) = fractional_taken(&items, cap);
            prop_assert_eq!(vt.to_bits(), v.to_bits());
            for (i, share) in &taken {
                prop_assert_eq!(share.to_bits(), shares[*i].to_bits());
            }
            prop_assert_eq!(taken.len(), shares.iter().filter(|s| **s > 0.0).count());
            // Bit for bit what the modal search computed before it shared this code.
            let mut pairs: Vec<(f64, f64)> = items.iter().filter(|i| i.profit > 0.0).map(|i| (i.profit, i.weight)).collect();
            prop_assert_eq!(v.to_bits(), modal_fractional(&mut pairs, cap).to_bits());
            let count = r.random_range(0..6);
            let b = knapsack_bound(&items, cap, count);
            prop_assert!(b >= brute(&items, cap, Some(count)) - 1e-9);
            prop_assert!(b <= value);
        }
    }
}
