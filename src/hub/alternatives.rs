//! Diverse alternative plans: up to K further plans, each within a share of
//! the best plan's figure and differing from the best and from each other
//! in at least H hubs, each the best plan under those conditions.
//!
//! "Differs from plan Q in at least H hubs" means: at least H of Q's new
//! hubs are not hubs of it (existing hubs are open in every plan). The
//! conditions are no-good cuts on the hub set, and they are met by branch
//! and bound over forbidden hubs (the scheme of enumerating the k best
//! solutions by partitioning the solution space, Lawler, "A procedure for
//! computing the K best solutions to discrete optimization problems and
//! its application to the shortest path problem", *Management Science* 18
//! (1972) 401–405): a node is the scenario with a set *F* of hubs added to
//! `hubs.forbid`, solved exactly (the district decomposition re-solves only
//! the districts *F* touches); when its plan breaks the condition against
//! an earlier plan *Q*, it branches into one child per new hub of *Q* the
//! plan still opens, each forbidding one more. Every plan meeting the
//! conditions lies under some leaf, and a child is never better than its
//! parent, so the first plan popped best-first that meets every condition
//! is the best one — proven when every plan on the way was.

use std::cmp::Ordering;
use std::collections::{BTreeSet, BinaryHeap, HashMap};

use super::worth::{Variant, plan_variant};
use super::{PlanError, PlanRun};

/// What alternatives to look for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlternativeOptions {
    /// At most this many alternatives.
    pub count: usize,
    /// Each within this share of the best plan's figure (0.01 = 1%).
    pub within: f64,
    /// Each differing from the best and from every earlier alternative in
    /// at least this many hubs.
    pub min_difference: usize,
    /// Plans solved in all before the search stops.
    pub max_solves: usize,
}

impl Default for AlternativeOptions {
    fn default() -> Self {
        AlternativeOptions { count: 3, within: 0.01, min_difference: 1, max_solves: 2_000 }
    }
}

/// One alternative plan.
pub struct Alternative {
    /// Its plan (scenario, model, solve, document).
    pub variant: Variant,
    /// The hubs forbidden to reach it.
    pub forbidden: Vec<String>,
    /// Its figure in the best plan's measure.
    pub value: f64,
    /// It is proven the best plan meeting the conditions (every plan the
    /// search solved on its way was proven optimal).
    pub proven: bool,
}

/// The alternatives found, and why there are not more.
pub struct Alternatives {
    /// The plans, best first.
    pub plans: Vec<Alternative>,
    /// Why the search stopped before `count` (empty when it found them all).
    pub note: String,
    /// Plans solved.
    pub solves: usize,
}

/// A node of the search: the plan of the scenario with `forbid` added.
struct Node {
    key: (f64, f64),
    forbid: Vec<String>,
}

impl PartialEq for Node {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Node {}
impl PartialOrd for Node {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Node {
    /// The heap pops the best key (smallest), then the smallest forbidden list.
    fn cmp(&self, o: &Self) -> Ordering {
        o.key.0.total_cmp(&self.key.0).then(o.key.1.total_cmp(&self.key.1)).then_with(|| o.forbid.cmp(&self.forbid))
    }
}

/// A solved node: its new hubs, figure and proof, or no plan.
struct Solved {
    variant: Option<Variant>,
    new_hubs: BTreeSet<String>,
    /// The figure in the planner's unit.
    value: f64,
    /// The order of plans, smaller first: the figure (negated when more is
    /// better), then for `max-coverage` the student-km tie-break. (Not the
    /// internal objective: a school whose only hub is forbidden leaves the
    /// model, so that objective is not comparable between nodes.)
    key: (f64, f64),
    proven: bool,
}

/// Finds the alternatives of `run`'s plan (single-year plans only).
pub fn alternatives(run: &PlanRun, o: &AlternativeOptions) -> Result<Alternatives, PlanError> {
    assert!(o.min_difference >= 1, "alternatives differ from the best plan in at least one hub");
    let sc = &run.loaded.scenario;
    let q = run.doc.quality();
    let maximise = q.measure.maximise();
    let key_of = |doc: &super::PlanDoc, value: f64| {
        if maximise { (-value, doc.totals.student_km) } else { (value, 0.0) }
    };
    let limit = if maximise { q.value * (1.0 - o.within) } else { q.value * (1.0 + o.within) };
    let within = |v: f64| if maximise { v >= limit - 1e-9 } else { v <= limit + 1e-9 };
    let new_of = |doc: &super::PlanDoc| -> BTreeSet<String> {
        doc.hubs.iter().filter(|h| h.status == "new").map(|h| h.school_id.clone()).collect()
    };
    let mut earlier: Vec<BTreeSet<String>> = vec![new_of(&run.doc)];
    let mut solved: HashMap<Vec<String>, Solved> = HashMap::new();
    let root = Solved {
        variant: None,
        new_hubs: earlier[0].clone(),
        value: q.value,
        key: key_of(&run.doc, q.value),
        proven: q.proven,
    };
    solved.insert(Vec::new(), root);
    let mut solves = 0usize;
    let mut plans = Vec::new();
    let mut note = String::new();
    'next: while plans.len() < o.count {
        let mut heap = BinaryHeap::new();
        heap.push(Node { key: solved[&Vec::new()].key, forbid: Vec::new() });
        let mut seen: BTreeSet<Vec<String>> = BTreeSet::new();
        let mut path_proven = true;
        while let Some(node) = heap.pop() {
            let s = &solved[&node.forbid];
            path_proven &= s.proven;
            if !within(s.value) {
                note = format!(
                    "no further plan within {:.2}% of the best differs from {} by at least {} hub(s)",
                    100.0 * o.within,
                    if plans.is_empty() { "it".to_string() } else { "it and the alternatives found".into() },
                    o.min_difference
                );
                break 'next;
            }
            let broken = earlier.iter().find(|e| e.difference(&s.new_hubs).count() < o.min_difference);
            let Some(q_hubs) = broken else {
                let s = solved.remove(&node.forbid).expect("solved node");
                let Some(variant) = s.variant else { unreachable!("the root plan meets no condition against itself") };
                earlier.push(s.new_hubs.clone());
                // Keep the accepted node findable (a later search may reach it again).
                solved.insert(
                    node.forbid.clone(),
                    Solved { variant: None, new_hubs: s.new_hubs, value: s.value, key: s.key, proven: s.proven },
                );
                plans.push(Alternative { variant, forbidden: node.forbid, value: s.value, proven: path_proven });
                continue 'next;
            };
            let branch: Vec<String> = q_hubs.intersection(&s.new_hubs).cloned().collect();
            for h in branch {
                let mut f = node.forbid.clone();
                f.push(h);
                f.sort();
                if !seen.insert(f.clone()) {
                    continue;
                }
                if !solved.contains_key(&f) {
                    if solves >= o.max_solves {
                        note = format!("the search stopped after {solves} plans (the limit)");
                        break 'next;
                    }
                    solves += 1;
                    let mut v = sc.clone();
                    v.hubs.forbid.extend(f.iter().cloned());
                    let entry = match plan_variant(run, v) {
                        Ok(var) => {
                            let qv = var.doc.quality();
                            Solved {
                                new_hubs: new_of(&var.doc),
                                value: qv.value,
                                key: key_of(&var.doc, qv.value),
                                proven: qv.proven,
                                variant: Some(var),
                            }
                        }
                        Err(PlanError::Infeasible(_) | PlanError::Model(_)) => Solved {
                            variant: None,
                            new_hubs: BTreeSet::new(),
                            value: f64::NAN,
                            key: (f64::NAN, 0.0),
                            proven: true,
                        },
                        Err(e) => return Err(e),
                    };
                    solved.insert(f.clone(), entry);
                }
                let s = &solved[&f];
                if !s.value.is_nan() {
                    // Best-first order is only sound when every plan in the heap is proven.
                    path_proven &= s.proven;
                    heap.push(Node { key: s.key, forbid: f });
                }
            }
        }
        if note.is_empty() {
            note = format!(
                "no further plan meets the rules and differs from the earlier ones by at least {} hub(s)",
                o.min_difference
            );
        }
        break;
    }
    Ok(Alternatives { plans, note, solves })
}

/// One alternative as the best plan's `plan.json` lists it (`alternatives`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AlternativeRow {
    /// Its directory under `alternatives/` (`alt-1`, …).
    pub name: String,
    /// Its figure in the best plan's measure.
    pub value: f64,
    /// Its figure minus the best plan's (negative: fewer students, for `max-coverage`).
    pub delta: f64,
    /// Its total cost, KZT.
    pub cost_kzt: f64,
    /// Proven the best plan meeting the conditions.
    pub proven: bool,
    /// New hubs it opens that the best plan does not.
    pub hubs_added: Vec<String>,
    /// New hubs of the best plan it does not open.
    pub hubs_dropped: Vec<String>,
}

/// The rows of `found` against the best plan `best`.
pub fn rows(best: &super::PlanDoc, found: &Alternatives) -> Vec<AlternativeRow> {
    let q = best.quality();
    let hubs = |d: &super::PlanDoc| -> BTreeSet<String> { d.hubs.iter().map(|h| h.school_id.clone()).collect() };
    let b = hubs(best);
    found
        .plans
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let h = hubs(&a.variant.doc);
            AlternativeRow {
                name: format!("alt-{}", i + 1),
                value: a.value,
                delta: a.value - q.value,
                cost_kzt: a.variant.doc.totals.cost_kzt,
                proven: a.proven,
                hubs_added: h.difference(&b).cloned().collect(),
                hubs_dropped: b.difference(&h).cloned().collect(),
            }
        })
        .collect()
}
