//! The open-set subproblem of every Lagrangian relaxation: choose facilities
//! minimising Σ vᵢ·yᵢ under the structural rules — fixed-open and forbidden
//! facilities, exactly `p` or between `min_open` and `max_open` open, and
//! disjoint groups (districts) with their own minimum and maximum.
//!
//! With disjoint groups these rules form a partition matroid with lower
//! bounds, so a greedy choice is exact: first the cheapest facilities that
//! bring each group to its minimum, then further facilities in order of value
//! (skipping full groups) while the count is below the required minimum or the
//! value is negative and the count below the maximum. (Exchange argument: any
//! feasible set can swap a group's forced member for a cheaper one of the same
//! group, and beyond the minimums the rules are a matroid, where greedy is optimal.)

use crate::problem::Instance;

/// The structural rules on which facilities may be open together.
#[derive(Debug, Clone)]
pub struct OpenRules {
    pub fixed: Vec<bool>,
    pub forbidden: Vec<bool>,
    /// Smallest and largest number open (both `p` when `p` is set).
    pub min_open: usize,
    pub max_open: usize,
    /// Group of each facility (`u32::MAX`: none).
    pub group_of: Vec<u32>,
    pub group_min: Vec<usize>,
    pub group_max: Vec<usize>,
    /// False when groups overlap: then only their limits are ignored here
    /// (the selection is a relaxation) and callers must check groups themselves.
    pub groups_exact: bool,
}

pub const NO_GROUP: u32 = u32::MAX;

impl OpenRules {
    pub fn from_instance(inst: &Instance) -> OpenRules {
        let m = inst.n_facilities();
        let fixed: Vec<bool> = inst.facilities.iter().map(|f| f.fixed_open).collect();
        let forbidden: Vec<bool> = inst.facilities.iter().map(|f| f.forbidden).collect();
        let (min_open, max_open) = match inst.p {
            Some(p) => (p, p),
            None => (inst.min_open.unwrap_or(0), inst.max_open.unwrap_or(m).min(m)),
        };
        let mut group_of = vec![NO_GROUP; m];
        let mut groups_exact = true;
        for (g, group) in inst.groups.iter().enumerate() {
            for f in group.facilities.iter().map(|f| f.index()) {
                if group_of[f] != NO_GROUP && group_of[f] != g as u32 {
                    groups_exact = false;
                }
                group_of[f] = g as u32;
            }
        }
        let (group_min, group_max) = if groups_exact {
            (
                inst.groups.iter().map(|g| g.min_open).collect(),
                inst.groups.iter().map(|g| g.max_open.unwrap_or(m)).collect(),
            )
        } else {
            group_of.fill(NO_GROUP);
            (Vec::new(), Vec::new())
        };
        OpenRules { fixed, forbidden, min_open, max_open, group_of, group_min, group_max, groups_exact }
    }

    /// Number of facilities.
    pub fn len(&self) -> usize {
        self.fixed.len()
    }

    /// Whether `open` satisfies every rule (groups included).
    pub fn admits(&self, open: &[bool]) -> bool {
        let k = open.iter().filter(|&&o| o).count();
        if k < self.min_open || k > self.max_open {
            return false;
        }
        let mut per_group = vec![0usize; self.group_min.len()];
        for f in 0..open.len() {
            if open[f] && self.forbidden[f] || !open[f] && self.fixed[f] {
                return false;
            }
            if open[f] && self.group_of[f] != NO_GROUP {
                per_group[self.group_of[f] as usize] += 1;
            }
        }
        per_group.iter().enumerate().all(|(g, &c)| c >= self.group_min[g] && c <= self.group_max[g])
    }
}

/// Scratch space for [`Selector::select_open`], reused across calls.
#[derive(Default)]
pub struct Selector {
    order: Vec<(f64, u32)>,
    group_count: Vec<usize>,
}

/// Why no open set satisfies the rules.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectError {
    /// A group has fewer allowed facilities than its minimum.
    GroupShort { group: usize, allowed: usize, min: usize },
    /// Fixed facilities plus group minimums exceed the largest allowed count.
    TooManyRequired { required: usize, max_open: usize },
    /// Not enough allowed facilities (within group maxima) to reach the minimum count.
    TooFewAllowed { available: usize, min_open: usize },
    /// More fixed facilities in a group than its maximum.
    GroupOverfull { group: usize, fixed: usize, max: usize },
}

impl Selector {
    /// Chooses the open set minimising Σ values·y under `rules`; writes it to
    /// `open` and returns its value.
    pub fn select_open(&mut self, values: &[f64], rules: &OpenRules, open: &mut [bool]) -> Result<f64, SelectError> {
        let m = values.len();
        open.fill(false);
        self.group_count.clear();
        self.group_count.resize(rules.group_min.len(), 0);
        let mut total = 0.0;
        let mut count = 0;
        for f in 0..m {
            if rules.fixed[f] {
                open[f] = true;
                total += values[f];
                count += 1;
                if rules.group_of[f] != NO_GROUP {
                    self.group_count[rules.group_of[f] as usize] += 1;
                }
            }
        }
        for (g, &c) in self.group_count.iter().enumerate() {
            if c > rules.group_max[g] {
                return Err(SelectError::GroupOverfull { group: g, fixed: c, max: rules.group_max[g] });
            }
        }
        self.order.clear();
        self.order.extend((0..m).filter(|&f| !rules.fixed[f] && !rules.forbidden[f]).map(|f| (values[f], f as u32)));
        self.order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        // Group minimums first: the cheapest members of each short group.
        if !rules.group_min.is_empty() {
            for &(v, f) in &self.order {
                let g = rules.group_of[f as usize];
                if g != NO_GROUP && self.group_count[g as usize] < rules.group_min[g as usize] {
                    open[f as usize] = true;
                    total += v;
                    count += 1;
                    self.group_count[g as usize] += 1;
                }
            }
            for (g, &c) in self.group_count.iter().enumerate() {
                if c < rules.group_min[g] {
                    return Err(SelectError::GroupShort { group: g, allowed: c, min: rules.group_min[g] });
                }
            }
        }
        if count > rules.max_open {
            return Err(SelectError::TooManyRequired { required: count, max_open: rules.max_open });
        }
        for &(v, f) in &self.order {
            if count >= rules.max_open || (count >= rules.min_open && v >= 0.0) {
                break;
            }
            let f = f as usize;
            if open[f] {
                continue;
            }
            let g = rules.group_of[f];
            if g != NO_GROUP {
                if self.group_count[g as usize] >= rules.group_max[g as usize] {
                    continue;
                }
                self.group_count[g as usize] += 1;
            }
            open[f] = true;
            total += v;
            count += 1;
        }
        if count < rules.min_open {
            return Err(SelectError::TooFewAllowed { available: count, min_open: rules.min_open });
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::task_rng;
    use proptest::prelude::{ProptestConfig, prop_assert, prop_assert_eq, proptest};
    use rand::Rng as _;

    fn brute(values: &[f64], rules: &OpenRules) -> Option<f64> {
        let m = values.len();
        let mut best: Option<f64> = None;
        for mask in 0u32..(1 << m) {
            let open: Vec<bool> = (0..m).map(|f| mask & (1 << f) != 0).collect();
            if rules.admits(&open) {
                let v: f64 = (0..m).filter(|&f| open[f]).map(|f| values[f]).sum();
                best = Some(best.map_or(v, |b: f64| b.min(v)));
            }
        }
        best
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(crate::testutil::cases(400)))]

        /// The greedy choice equals enumeration of every admissible set.
        #[test]
        fn greedy_selection_is_optimal(seed in 0u64..1_000_000) {
            let mut r = task_rng(seed, 0);
            let m = r.random_range(1..11);
            let values: Vec<f64> = (0..m).map(|_| r.random_range(-10.0..10.0f64).round()).collect();
            let n_groups = r.random_range(0..4);
            let group_of: Vec<u32> = (0..m).map(|_| if n_groups > 0 && r.random_bool(0.8) { r.random_range(0..n_groups) } else { NO_GROUP }).collect();
            let group_min: Vec<usize> = (0..n_groups).map(|_| r.random_range(0..3)).collect();
            let group_max: Vec<usize> = group_min.iter().map(|&lo| lo + r.random_range(0..3)).collect();
            let fixed: Vec<bool> = (0..m).map(|_| r.random_bool(0.15)).collect();
            let forbidden: Vec<bool> = (0..m).map(|f| !fixed[f] && r.random_bool(0.15)).collect();
            let min_open = r.random_range(0..4);
            let max_open = min_open + r.random_range(0..m);
            let rules = OpenRules { fixed, forbidden, min_open, max_open, group_of, group_min, group_max, groups_exact: true };
            let mut open = vec![false; m];
            let got = Selector::default().select_open(&values, &rules, &mut open);
            match brute(&values, &rules) {
                None => prop_assert!(got.is_err(), "greedy found {:?} where nothing is admissible", got),
                Some(best) => {
                    let v = got.unwrap();
                    prop_assert!(rules.admits(&open));
                    prop_assert_eq!(v, best);
                }
            }
        }
    }
}
