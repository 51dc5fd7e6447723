//! The joint rollout plan by district decomposition.
//!
//! **Time expansion.** Every hub candidate `h` becomes one facility per year
//! `t` ("`h` opens in year `t`"), at most one of them open (a group); an
//! existing hub is one facility, open throughout. A stable link of small
//! school `s` to the copy `(h, t)` starts in the best year `t₀ ≥ t` and is
//! worth `v = Σ_{t' ≥ t₀} (P·w_t' − d(h, s))·n_st'`. Charged as the cost
//! `P·W·dₛ − v` against an unlinked cost of `P·W·dₛ` (`W = Σ wₜ`,
//! `dₛ = maxₜ nₛₜ`, so no cost is negative), the engine's objective is a
//! constant minus the plan's value `V`. Capacities in schools hold in every
//! year exactly when they hold for the schools ever linked (links stay);
//! capacities in students hold in every year when they hold with `dₛ`
//! (a restriction) and are dropped for the bound when students change over
//! the years (a relaxation), so the plan and the bound may then differ.
//!
//! **Decomposition.** Districts share only the yearly rows (new hubs per
//! year, budgets). For every district and every vector `κ = (k₁ … k_T)` of
//! new hubs per year it could open, the district's best plan with exactly
//! `kₜ` hubs opening in year `t` is found by the single-year district solver
//! (`crate::solve::decompose::frontier`: open sets enumerated and valued
//! exactly) — a column. The master picks one column per district with
//! `Σ kₜ ≤ max_newₜ` every year and `Σ Σ kₜ ≤ hubs.max_new`, a multiple-choice
//! knapsack in `T` dimensions solved exactly by dynamic programming
//! (Dantzig & Wolfe 1960; Sinha & Zoltners 1979, as in the single-year
//! decomposition). The budgets are checked afterwards: when the chosen plan
//! keeps them it is optimal under them (the master without them is a
//! relaxation); otherwise the master's value stays as a bound.

use rayon::prelude::*;

use super::{RolloutModel, RolloutSolved, evaluate, violations};
use crate::problem::{Client, ClientIdx, Costs, ExtId, Facility, FacilityIdx, Group, IdxVec, Instance, SparseCosts};
use crate::solve::decompose::{Block, Column, blocks, frontier, sub_instance};
use crate::solve::{SolveError, SolveOptions};

/// What the decomposition made of a rollout.
#[derive(Debug)]
pub enum Joint {
    /// A plan over every district; `upper` bounds every plan's value.
    Solved(RolloutSolved),
    /// The structure does not allow it; why.
    NotApplicable(String),
    /// The best plan without the budgets breaks one: `upper` still bounds every plan.
    BudgetBinds {
        /// An upper bound on the value `V` of every plan.
        upper: f64,
        /// The note for `plan.json`: what that plan would spend each year.
        note: String,
    },
}

/// Largest number of states the master's dynamic programme may hold.
const MAX_MASTER_STATES: usize = 4_000_000;

/// The time-expanded instance.
struct Expanded {
    inst: Instance,
    /// Facility → (model facility, year index it opens in; 0 for an existing hub).
    replica: Vec<(usize, usize)>,
    /// Per client: (expanded facility, year index the link starts), by facility.
    start: Vec<Vec<(usize, usize)>>,
    /// `Σₛ P·W·dₛ`: the engine's objective is this minus the plan's value.
    constant: f64,
    /// How many leading groups are districts (the rest: one per candidate).
    district_groups: usize,
}

/// The time-expanded instance; `prices[t]` (engine units per KZT, zero for
/// none) charges what year `t` spends — a hub opening in `t`, a room bought in
/// `t` — into the costs: the Lagrangian relaxation of the budget rows.
fn expand(m: &RolloutModel, keep_student_capacity: bool, prices: &[f64]) -> Expanded {
    let base = &m.base.instance;
    let n_years = m.n_years();
    let w_all: f64 = m.rules.weights.iter().sum();
    let mut replica = Vec::new();
    let mut facilities = Vec::new();
    let mut copies: Vec<Vec<usize>> = vec![Vec::new(); base.n_facilities()];
    for (f, fac) in base.facilities.iter().enumerate() {
        if fac.forbidden {
            continue;
        }
        let years = if fac.fixed_open { 1 } else { n_years };
        for t in 0..years {
            if !fac.fixed_open && !m.can_open(f, t) {
                continue;
            }
            copies[f].push(facilities.len());
            replica.push((f, t));
            let mut x: Facility = fac.clone();
            x.id =
                if fac.fixed_open { fac.id.clone() } else { ExtId::from(format!("{}@{}", fac.id, m.rules.years[t])) };
            if !keep_student_capacity {
                x.capacity = None;
            }
            if !fac.fixed_open {
                x.open_cost += prices[t] * fac.budget_charge();
            }
            facilities.push(x);
        }
    }
    let demand: Vec<f64> = m.students.iter().map(|n| n.iter().copied().fold(0.0, f64::max)).collect();
    let per_unit = m.penalty * w_all;
    let mut triples = Vec::new();
    let mut start = vec![Vec::new(); base.n_clients()];
    for c in 0..base.n_clients() {
        for l in &m.base.links[ClientIdx::new(c)] {
            for &r in &copies[l.facility.index()] {
                // The best year to start, the room priced in the year it is bought.
                let Some((t0, priced)) = m.best_start(c, l.road_km, replica[r].1, prices) else { continue };
                let cost = (per_unit * demand[c] - priced).max(0.0);
                triples.push((c as u32, r as u32, cost));
                start[c].push((r, t0));
            }
        }
        start[c].sort_unstable();
    }
    let clients = base.clients.iter().zip(&demand).map(|(cl, &d)| Client { demand: d, ..cl.clone() }).collect();
    let costs = Costs::Sparse(SparseCosts::from_triples(base.n_clients(), facilities.len(), triples));
    let mut inst = Instance::new(format!("{} (rollout)", base.name), base.model, clients, facilities, costs);
    inst.single_source = true;
    inst.unserved_penalty = Some(per_unit);
    let mut groups: Vec<Group> = base
        .groups
        .iter()
        .map(|g| Group {
            facilities: g
                .facilities
                .iter()
                .flat_map(|&f| copies[f.index()].iter().map(|&r| FacilityIdx::new(r)))
                .collect(),
            ..g.clone()
        })
        .collect();
    let district_groups = groups.len();
    for (f, cs) in copies.iter().enumerate() {
        if cs.len() > 1 {
            groups.push(Group {
                id: ExtId::from(format!("hub {}", base.facilities[f].id)),
                facilities: cs.iter().map(|&r| FacilityIdx::new(r)).collect(),
                min_open: 0,
                max_open: Some(1),
            });
        }
    }
    inst.groups = groups;
    let constant = demand.iter().map(|d| per_unit * d).sum();
    Expanded { inst, replica, start, constant, district_groups }
}

/// One district's column for a vector of new hubs per year.
struct YearColumn {
    block: usize,
    kappa: Vec<usize>,
    column: Column,
}

/// Every vector of `n` counts with sum at most `top`, each within `caps`.
fn count_vectors(n: usize, top: usize, caps: &[usize]) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut cur = vec![0; n];
    fn rec(i: usize, left: usize, caps: &[usize], cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if i == cur.len() {
            out.push(cur.clone());
            return;
        }
        for k in 0..=left.min(caps[i]) {
            cur[i] = k;
            rec(i + 1, left - k, caps, cur, out);
        }
        cur[i] = 0;
    }
    rec(0, top, caps, &mut cur, &mut out);
    out
}

/// The master: one column per block, per-year sums within `caps`, total
/// within `total`; least total `value`. Picks per block and the total.
fn master(
    blocks: &[Vec<YearColumn>],
    caps: &[usize],
    total: usize,
    value: impl Fn(&Column) -> f64,
) -> Result<Option<(Vec<usize>, f64)>, String> {
    let n = caps.len();
    // Caps no larger than what the blocks can use.
    let caps: Vec<usize> = (0..n)
        .map(|t| caps[t].min(blocks.iter().map(|b| b.iter().map(|c| c.kappa[t]).max().unwrap_or(0)).sum()))
        .collect();
    let mut radix = vec![1usize; n];
    let mut states: usize = 1;
    for t in 0..n {
        radix[t] = states;
        states = states.saturating_mul(caps[t] + 1);
    }
    if states > MAX_MASTER_STATES || blocks.iter().any(|b| b.len() > 255) {
        return Err(format!("the master would hold {states} states (at most {MAX_MASTER_STATES})"));
    }
    let decode = |s: usize, t: usize| (s / radix[t]) % (caps[t] + 1);
    let sum_of = |s: usize| (0..n).map(|t| decode(s, t)).sum::<usize>();
    let mut best = vec![f64::INFINITY; states];
    best[0] = 0.0;
    let mut choice: Vec<Vec<u8>> = Vec::with_capacity(blocks.len());
    for cols in blocks {
        let mut next = vec![f64::INFINITY; states];
        let mut pick = vec![u8::MAX; states];
        for (s, &b) in best.iter().enumerate() {
            if !b.is_finite() {
                continue;
            }
            let used = sum_of(s);
            'col: for (ci, col) in cols.iter().enumerate() {
                let v = value(&col.column);
                if !v.is_finite() || used + col.kappa.iter().sum::<usize>() > total {
                    continue;
                }
                let mut u = s;
                for t in 0..n {
                    if decode(s, t) + col.kappa[t] > caps[t] {
                        continue 'col;
                    }
                    u += col.kappa[t] * radix[t];
                }
                if b + v < next[u] {
                    next[u] = b + v;
                    pick[u] = ci as u8;
                }
            }
        }
        best = next;
        choice.push(pick);
    }
    let Some((end, total_value)) =
        best.iter().copied().enumerate().filter(|(_, v)| v.is_finite()).min_by(|a, b| a.1.total_cmp(&b.1))
    else {
        return Ok(None);
    };
    let mut picks = vec![0; blocks.len()];
    let mut s = end;
    for b in (0..blocks.len()).rev() {
        let ci = choice[b][s] as usize;
        picks[b] = ci;
        for t in 0..n {
            s -= blocks[b][ci].kappa[t] * radix[t];
        }
    }
    Ok(Some((picks, total_value)))
}

/// The decomposition of one expanded instance: the plan (a decision) and the
/// master's bound on the engine objective.
struct Decomposition {
    decision: super::RolloutDecision,
    /// Every district plan the master chose from, as a part of a rollout.
    columns: Vec<PlanPart>,
    /// Engine objective of the plan and the master's lower bound on it.
    lower: f64,
    constant: f64,
    note: String,
}

fn decompose(
    m: &RolloutModel,
    exp: &Expanded,
    opts: &SolveOptions,
) -> Result<Result<Decomposition, String>, SolveError> {
    let parts = blocks(&exp.inst);
    if parts.len() < 2 {
        return Ok(Err("the rollout is one block (links join every district): decomposition does not apply".into()));
    }
    let n_years = m.n_years();
    let total = m.rules.total_max_new.unwrap_or(usize::MAX);
    let caps: Vec<usize> = m.rules.max_new.iter().map(|k| k.unwrap_or(usize::MAX).min(total)).collect();
    let deadline = opts.time_limit.map(|t| std::time::Instant::now() + std::time::Duration::from_secs_f64(t));
    // Per block: its sub-instance and the count vectors it may open.
    let subs: Vec<Instance> = parts.iter().enumerate().map(|(i, b)| sub_instance(&exp.inst, b, i)).collect();
    let mut jobs: Vec<(usize, Vec<usize>)> = Vec::new();
    for (b, part) in parts.iter().enumerate() {
        let mut free_base: Vec<usize> = part
            .facilities
            .iter()
            .map(|&r| exp.replica[r.index()].0)
            .filter(|&f| !m.base.instance.facilities[f].fixed_open)
            .collect();
        free_base.dedup();
        let mut top = free_base.len().min(total);
        let districts: Vec<usize> = part.groups.iter().copied().filter(|&g| g < exp.district_groups).collect();
        if !districts.is_empty() {
            let room: usize = districts
                .iter()
                .map(|&g| {
                    let grp = &exp.inst.groups[g];
                    let fixed = grp.facilities.iter().filter(|&&r| exp.inst.facility(r).fixed_open).count();
                    grp.max_open.map_or(usize::MAX, |mx| mx.saturating_sub(fixed))
                })
                .fold(0usize, |a, r| a.saturating_add(r));
            top = top.min(room);
        }
        for kappa in count_vectors(n_years, top, &caps) {
            jobs.push((b, kappa));
        }
    }
    let results: Vec<Result<Option<YearColumn>, SolveError>> = jobs
        .par_iter()
        .map(|(b, kappa)| {
            let mut sub = subs[*b].clone();
            let k: usize = kappa.iter().sum();
            for (t, &kt) in kappa.iter().enumerate() {
                let of_year: Vec<usize> = (0..sub.n_facilities())
                    .filter(|&r| {
                        !sub.facilities[r].fixed_open
                            && exp.replica[parts[*b].facilities[FacilityIdx::new(r)].index()].1 == t
                    })
                    .collect();
                if of_year.is_empty() {
                    if kt > 0 {
                        return Ok(None);
                    }
                    continue;
                }
                sub.groups.push(Group {
                    id: ExtId::from(format!("year {}", m.rules.years[t])),
                    facilities: of_year.into_iter().map(FacilityIdx::new).collect(),
                    min_open: kt,
                    max_open: Some(kt),
                });
            }
            if sub.n_clients() == 0 {
                // No small school: any feasible opening is worth nothing; only k = 0 is kept.
                return Ok((k == 0).then(|| YearColumn {
                    block: *b,
                    kappa: kappa.clone(),
                    column: Column {
                        new: 0,
                        objective: 0.0,
                        bound: 0.0,
                        solution: Some(crate::plan::Solution::single_source(
                            (0..sub.n_facilities())
                                .filter(|&r| sub.facilities[r].fixed_open)
                                .map(FacilityIdx::new)
                                .collect(),
                            IdxVec::new(),
                        )),
                    },
                }));
            }
            let fr = match frontier(&sub, k, k, opts, deadline) {
                Ok(fr) => fr,
                Err(SolveError::Instance(_)) => return Ok(None),
                Err(e) => return Err(e),
            };
            Ok(fr.columns.into_iter().find(|c| c.new == k).map(|column| YearColumn {
                block: *b,
                kappa: kappa.clone(),
                column,
            }))
        })
        .collect();
    let mut per_block: Vec<Vec<YearColumn>> = (0..parts.len()).map(|_| Vec::new()).collect();
    for ((b, _), r) in jobs.iter().zip(results) {
        if let Some(col) = r? {
            per_block[*b].push(col);
        }
    }
    if let Some(b) = per_block.iter().position(Vec::is_empty) {
        return Ok(Err(format!("block {b} has no plan that meets its district rules")));
    }
    let picked = match master(&per_block, &caps, total, |c| c.objective) {
        Ok(p) => p,
        Err(why) => return Ok(Err(why)),
    };
    let Some((picks, _)) = picked else {
        return Ok(Err("no choice of district plans meets the yearly limits on new hubs".into()));
    };
    let lower = match master(&per_block, &caps, total, |c| c.bound) {
        Ok(b) => b.map_or(0.0, |x| x.1),
        Err(why) => return Ok(Err(why)),
    };
    let mut d = super::RolloutDecision::empty(m);
    for (cols, &ci) in per_block.iter().zip(&picks) {
        let Some(part) = plan_part(m, exp, &parts, &cols[ci]) else {
            return Ok(Err("a chosen district plan has no solution".into()));
        };
        part.apply(&mut d, n_years);
    }
    let columns: Vec<PlanPart> = per_block.iter().flatten().filter_map(|c| plan_part(m, exp, &parts, c)).collect();
    let enumerated = per_block.iter().flatten().count();
    let note = format!(
        "rollout decomposition: {} independent blocks, {} district plans (one per block and vector of new hubs per year), master over the new hubs per year by dynamic programming",
        parts.len(),
        enumerated
    );
    Ok(Ok(Decomposition { decision: d, columns, lower, constant: exp.constant, note }))
}

/// One district plan (a column) as a part of a rollout: its block, new hubs
/// per year, the hubs it opens and the links it starts, with the value `V`
/// and the spend per year of that part alone (both add up over blocks).
#[derive(Debug, Clone)]
struct PlanPart {
    block: usize,
    kappa: Vec<usize>,
    /// (hub, year index it opens).
    opens: Vec<(usize, usize)>,
    /// (small school, hub, year index the link starts).
    links: Vec<(usize, usize, usize)>,
    value: f64,
    spend: Vec<f64>,
}

impl PlanPart {
    fn apply(&self, d: &mut super::RolloutDecision, n_years: usize) {
        for &(f, t) in &self.opens {
            d.opened[f] = Some(t);
        }
        for &(c, f, t0) in &self.links {
            for t in t0..n_years {
                d.links[c][t] = Some(f);
            }
        }
    }
}

/// A column's plan as a [`PlanPart`] (`None` when it has no plan).
fn plan_part(m: &RolloutModel, exp: &Expanded, parts: &[Block], col: &YearColumn) -> Option<PlanPart> {
    let sol = col.column.solution.as_ref()?;
    let part = &parts[col.block];
    let inst = &m.base.instance;
    let mut out = PlanPart {
        block: col.block,
        kappa: col.kappa.clone(),
        opens: Vec::new(),
        links: Vec::new(),
        value: 0.0,
        spend: vec![0.0; m.n_years()],
    };
    for &r in &sol.open {
        let (f, t) = exp.replica[part.facility(r).index()];
        if !inst.facilities[f].fixed_open {
            out.opens.push((f, t));
            out.spend[t] += inst.facilities[f].budget_charge();
        }
    }
    for (lc, a) in sol.assignment.iter().enumerate() {
        let Some(r) = a.map(|r| part.facility(r).index()) else { continue };
        let c = part.clients[ClientIdx::new(lc)].index();
        let (f, _) = exp.replica[r];
        let t0 = exp.start[c].binary_search_by_key(&r, |p| p.0).map(|i| exp.start[c][i].1).unwrap_or(0);
        out.links.push((c, f, t0));
        out.value += m.link_value_from(c, m.link_km(c, f)?, t0);
        out.spend[t0] += inst.clients[c].budget_cost;
    }
    Some(out)
}

/// The budget rows of the rollout: the years each row adds up and its cap.
/// Without `carry_over` one row per year with a budget; with it, what the
/// years since the last year without a budget spend together stays within
/// what they were given (unspent money carries on, see [`super::evaluate`]);
/// `budget.kzt` one row over every year.
fn budget_rows(m: &RolloutModel) -> Vec<(Vec<usize>, f64)> {
    let mut rows = Vec::new();
    let mut since = 0;
    let mut given = 0.0;
    for (t, b) in m.rules.budget.iter().enumerate() {
        match b {
            None => {
                since = t + 1;
                given = 0.0;
            }
            Some(b) if m.rules.carry_over => {
                given += b;
                rows.push(((since..=t).collect(), given));
            }
            Some(b) => rows.push((vec![t], *b)),
        }
    }
    if let Some(total) = m.rules.total_budget {
        rows.push(((0..m.n_years()).collect(), total));
    }
    rows
}

/// Each budget row's spend minus its cap in the totals of a plan.
fn row_excess(rows: &[(Vec<usize>, f64)], tot: &super::RolloutTotals) -> Vec<f64> {
    rows.iter().map(|(years, cap)| years.iter().map(|&t| tot.years[t].spend_kzt).sum::<f64>() - cap).collect()
}

/// What one priced decomposition gave: its plan (when it meets every rule)
/// and the Lagrangian bound on every plan's value under the budgets.
struct Priced {
    feasible: Option<super::RolloutDecision>,
    /// Upper bound on `V` (`None` when the plan's expansion is a restriction).
    upper: Option<f64>,
    /// Each row's spend minus its cap at the priced plan.
    excess: Vec<f64>,
    /// The district plans it chose from.
    columns: Vec<PlanPart>,
}

/// The decomposition with `multipliers` (one per budget row, engine units per
/// KZT) charged into the costs: for any multipliers `μ ≥ 0`, the priced
/// master's bound minus `Σ μ_r · cap_r` bounds the engine objective of every
/// plan within the budgets (Lagrangian relaxation of the budget rows;
/// Geoffrion 1974), and the priced plan, when it keeps the budgets, is a plan.
fn priced(
    m: &RolloutModel,
    rows: &[(Vec<usize>, f64)],
    multipliers: &[f64],
    bound_holds: bool,
    opts: &SolveOptions,
) -> Result<Option<Priced>, SolveError> {
    let mut prices = vec![0.0; m.n_years()];
    for ((years, _), &mu) in rows.iter().zip(multipliers) {
        for &t in years {
            prices[t] += mu;
        }
    }
    let Ok(d) = decompose(m, &expand(m, true, &prices), opts)? else { return Ok(None) };
    let tot = evaluate(m, &d.decision);
    let excess = row_excess(rows, &tot);
    let relief: f64 = rows.iter().zip(multipliers).map(|((_, cap), mu)| mu * cap).sum();
    let upper = bound_holds.then_some(d.constant - (d.lower - relief));
    let feasible = violations(m, &d.decision).is_empty().then_some(d.decision);
    Ok(Some(Priced { feasible, upper, excess, columns: d.columns }))
}

/// Most priced decompositions tried when the budgets bind.
const PRICING_ROUNDS: usize = 24;

/// The best plan within the budgets that pricing them finds, and the best
/// Lagrangian bound: a projected subgradient search over the rows'
/// multipliers with Polyak's step towards `target`, the value of a plan
/// known to keep the budgets (Held, Wolfe & Crowder 1974; Polyak 1969),
/// halved when the bound stalls for two rounds.
fn price_budgets(
    m: &RolloutModel,
    unpriced: &Decomposition,
    bound_holds: bool,
    target: Option<f64>,
    opts: &SolveOptions,
) -> Result<(Option<super::RolloutDecision>, Option<f64>, usize), SolveError> {
    let rows = budget_rows(m);
    let tot = evaluate(m, &unpriced.decision);
    let mut excess = row_excess(&rows, &tot);
    let mut mu: Vec<f64> = vec![0.0; rows.len()];
    let mut theta = 1.0;
    // The value of a tenge in the plan without budgets: the multipliers' scale.
    let scale = (super::value(m, &tot) / tot.spend_kzt.max(1.0)).max(0.0);
    let mut best: Option<(f64, super::RolloutDecision)> = None;
    // Before any bound: the plan without budgets bounds every plan.
    let mut upper: Option<f64> = bound_holds.then_some(unpriced.constant - unpriced.lower);
    let mut last = upper.unwrap_or_else(|| super::value(m, &tot));
    let mut since_better = 0;
    let mut best_mu: (Vec<f64>, Vec<f64>, f64) = (mu.clone(), excess.clone(), f64::INFINITY);
    let mut pool = ColumnPool::default();
    pool.add(&unpriced.columns);
    let deadline = opts.time_limit.map(|t| std::time::Instant::now() + std::time::Duration::from_secs_f64(t / 2.0));
    let mut rounds = 0;
    while rounds < PRICING_ROUNDS && deadline.is_none_or(|d| std::time::Instant::now() < d) {
        // The value to aim at: the best plan known, else 2% below the bound.
        let aim = best.as_ref().map(|b| b.0).or(target).unwrap_or(last - 0.02 * last.abs());
        let norm: f64 = excess.iter().zip(&mu).map(|(g, &u)| if u > 0.0 || *g > 0.0 { g * g } else { 0.0 }).sum();
        if norm <= 0.0 {
            break;
        }
        let step = theta * (last - aim).max(1e-6 * last.abs()) / norm;
        for (r, g) in excess.iter().enumerate() {
            // A relaxation this coarse (a price moves whole hubs between years) zigzags under
            // Polyak's step alone: no multiplier moves by more than half its scale a round.
            let most = 0.5 * mu[r].max(scale);
            mu[r] = (mu[r] + (step * g).clamp(-most, most)).max(0.0);
        }
        rounds += 1;
        let Some(p) = priced(m, &rows, &mu, bound_holds, opts)? else { break };
        pool.add(&p.columns);
        let mut better = false;
        if let Some(u) = p.upper {
            last = u;
            if upper.is_none_or(|b| u < b) {
                upper = Some(u);
                better = true;
                best_mu = (mu.clone(), p.excess.clone(), u);
            }
        }
        if let Some(d) = p.feasible {
            let v = super::value(m, &evaluate(m, &d));
            if best.as_ref().is_none_or(|(b, _)| v > *b) {
                best = Some((v, d));
                better = true;
            }
        }
        if let (Some((v, _)), Some(u)) = (&best, upper)
            && u - v <= 1e-9 * u.abs().max(1.0)
        {
            break;
        }
        since_better = if better { 0 } else { since_better + 1 };
        excess = p.excess;
        if since_better >= 2 {
            // Shorter steps, from the best multipliers so far.
            theta /= 2.0;
            since_better = 0;
            if best_mu.2.is_finite() {
                (mu, excess, last) = best_mu.clone();
            }
        }
    }
    // Every district plan met on the way, recombined under every row.
    let proven = |v: f64| upper.is_some_and(|u| u - v <= 1e-9 * u.abs().max(1.0));
    if !best.as_ref().is_some_and(|(v, _)| proven(*v))
        && let Some(d) = pool.recombine(m, &rows, opts)
        && violations(m, &d).is_empty()
    {
        let v = super::value(m, &evaluate(m, &d));
        if best.as_ref().is_none_or(|(b, _)| v > *b) {
            best = Some((v, d));
        }
    }
    Ok((best.map(|b| b.1), upper, rounds))
}

/// What makes two district plans the same: block, hubs opened, links started.
type PartKey = (usize, Vec<(usize, usize)>, Vec<(usize, usize, usize)>);

/// The district plans met while pricing the budgets, each once.
#[derive(Default)]
struct ColumnPool {
    parts: Vec<PlanPart>,
    /// (block, hubs opened, links started) of each plan in `parts`.
    seen: std::collections::HashSet<PartKey>,
}

impl ColumnPool {
    fn add(&mut self, parts: &[PlanPart]) {
        for p in parts {
            if self.seen.insert((p.block, p.opens.clone(), p.links.clone())) {
                self.parts.push(p.clone());
            }
        }
    }

    /// The best choice of one plan per block under the yearly limits on new
    /// hubs and the budget rows: a multiple-choice knapsack over the pool,
    /// solved as a MIP (the restricted master of column generation; its
    /// optimum is a plan, not a bound, since the pool holds only some of each
    /// district's plans). `None` when it finds no choice in its time.
    fn recombine(
        &self,
        m: &RolloutModel,
        rows: &[(Vec<usize>, f64)],
        opts: &SolveOptions,
    ) -> Option<super::RolloutDecision> {
        use good_lp::{Expression, ProblemVariables, constraint, variable};
        let n_years = m.n_years();
        let blocks = self.parts.iter().map(|p| p.block + 1).max().unwrap_or(0);
        let mut vars = ProblemVariables::new();
        let x: Vec<_> = self.parts.iter().map(|_| vars.add(variable().binary())).collect();
        let mut objective = Expression::default();
        let mut one = vec![Expression::default(); blocks];
        let mut new_in = vec![Expression::default(); n_years];
        let mut new_all = Expression::default();
        let mut spent = vec![Expression::default(); rows.len()];
        for (p, &v) in self.parts.iter().zip(&x) {
            // In weighted student-years (and a fraction for the km): small numbers for the solver.
            objective += (p.value / m.penalty) * v;
            one[p.block] += v;
            for (t, &k) in p.kappa.iter().enumerate() {
                new_in[t] += (k as f64) * v;
                new_all += (k as f64) * v;
            }
            for (r, (years, _)) in rows.iter().enumerate() {
                let s: f64 = years.iter().map(|&t| p.spend[t]).sum();
                spent[r] += s * v;
            }
        }
        let mut constraints = Vec::new();
        for e in one.into_iter() {
            constraints.push(constraint!(e == 1.0));
        }
        for (t, e) in new_in.into_iter().enumerate() {
            if let Some(k) = m.rules.max_new[t] {
                constraints.push(constraint!(e <= k as f64));
            }
        }
        if let Some(k) = m.rules.total_max_new {
            constraints.push(constraint!(new_all <= k as f64));
        }
        for (e, (_, cap)) in spent.into_iter().zip(rows) {
            constraints.push(constraint!(e <= *cap));
        }
        let limit = opts.time_limit.map_or(20.0, |t| (t / 4.0).min(20.0));
        let problem = vars.maximise(objective);
        let read = |get: &dyn Fn(good_lp::Variable) -> f64| -> Vec<bool> { x.iter().map(|&v| get(v) > 0.5).collect() };
        let (chosen, _) =
            crate::solve::mip::solve_exact(problem, constraints, opts.backend, Some(limit), read).ok()??;
        let mut d = super::RolloutDecision::empty(m);
        for (p, &on) in self.parts.iter().zip(&chosen) {
            if on {
                p.apply(&mut d, n_years);
            }
        }
        Some(d)
    }
}

/// The joint plan by decomposition (see the module doc).
///
/// `target`: the value of a plan known to keep every rule (the year-by-year
/// plan's), which steers the pricing of binding budgets.
pub fn solve_joint(m: &RolloutModel, opts: &SolveOptions, target: Option<f64>) -> Result<Joint, SolveError> {
    let student_capacity = m.base.instance.facilities.iter().any(|f| f.capacity.is_some());
    let split = student_capacity && m.students_vary();
    let none = vec![0.0; m.n_years()];
    let plan = match decompose(m, &expand(m, true, &none), opts)? {
        Ok(d) => d,
        Err(why) => return Ok(Joint::NotApplicable(why)),
    };
    let mut notes = vec![plan.note.clone()];
    // An upper bound on the value V of every plan (stable links).
    let mut upper = if split {
        match decompose(m, &expand(m, false, &none), opts)? {
            Ok(relaxed) => {
                notes.push("students change over the years: the bound drops the capacity in students (a relaxation), the plan keeps each school's largest enrolment against it (a restriction)".into());
                Some(relaxed.constant - relaxed.lower)
            }
            Err(_) => None,
        }
    } else {
        Some(plan.constant - plan.lower)
    };
    if !m.rules.stable_links {
        notes.push("links may move (`stable_links = false`): the decomposition plans stable links, a restriction, so its bound does not hold and is dropped".into());
        upper = None;
    }
    let broken = violations(m, &plan.decision);
    if broken.iter().any(|v| v.code == "R-BUDGET-YEAR" || v.code == "R-BUDGET-TOTAL") {
        let tot = evaluate(m, &plan.decision);
        let spends: Vec<String> = tot.years.iter().map(|y| format!("{} KZT {:.0}", y.year, y.spend_kzt)).collect();
        let over = format!(
            "rollout decomposition: the best plan without the budgets spends {}, over a budget",
            spends.join(", ")
        );
        let bound_holds = upper.is_some() && !split;
        let (found, priced_upper, rounds) = price_budgets(m, &plan, bound_holds, target, opts)?;
        let upper = match (upper, priced_upper) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, _) => a,
        };
        let how = format!(
            "{over}; the budgets were priced into every district's plans ({rounds} prices, Lagrangian relaxation of the budget rows): {}",
            match (&found, bound_holds) {
                (Some(_), true) =>
                    "the best priced plan within the budgets is kept, the best priced bound bounds every plan",
                (Some(_), false) =>
                    "the best priced plan within the budgets is kept; the bound is the plan's without budgets",
                (None, _) => "no priced plan kept every budget",
            }
        );
        return Ok(match (found, upper) {
            (Some(decision), upper) => {
                notes.push(how);
                Joint::Solved(RolloutSolved { decision, upper, method: "decomposition, budgets priced".into(), notes })
            }
            (None, Some(u)) => Joint::BudgetBinds { upper: u, note: how },
            (None, None) => Joint::NotApplicable("the budgets bind and no bound holds".into()),
        });
    }
    if !broken.is_empty() {
        return Ok(Joint::NotApplicable(format!(
            "the decomposition's plan breaks a rule ({}); not used",
            broken.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
        )));
    }
    Ok(Joint::Solved(RolloutSolved { decision: plan.decision, upper, method: "decomposition".into(), notes }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_vectors_respect_sum_and_caps() {
        let v = count_vectors(3, 2, &[1, 2, 2]);
        assert!(v.iter().all(|k| k.iter().sum::<usize>() <= 2 && k[0] <= 1));
        // (0,0,0), 3 with one hub, and the pairs: (1,1,0) (1,0,1) (0,2,0) (0,1,1) (0,0,2).
        assert_eq!(v.len(), 1 + 3 + 5);
    }

    #[test]
    fn master_meets_yearly_caps_and_total() {
        let col = |kappa: Vec<usize>, objective: f64| YearColumn {
            block: 0,
            kappa,
            column: Column { new: 0, objective, bound: objective, solution: None },
        };
        let blocks = vec![
            vec![col(vec![0, 0], 10.0), col(vec![1, 0], 4.0), col(vec![0, 1], 6.0)],
            vec![col(vec![0, 0], 9.0), col(vec![1, 0], 2.0), col(vec![0, 1], 3.0)],
        ];
        // One new hub a year: block 0 in year 1 (4) and block 1 in year 2 (3), or 6 + 2.
        let (picks, v) = master(&blocks, &[1, 1], 2, |c| c.objective).unwrap().unwrap();
        assert_eq!(v, 7.0);
        assert_eq!(picks, vec![1, 2]);
        // One new hub in all: the best single opening (block 1 in year 1: 10 + 2).
        let (_, v) = master(&blocks, &[1, 1], 1, |c| c.objective).unwrap().unwrap();
        assert_eq!(v, 12.0);
    }
}
