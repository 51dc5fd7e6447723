//! Solving a modal model: facility location where each link is served in one
//! of several modes with its own cost and its own load on the facility's
//! load capacity (hub teacher hours; see [`ModalArcs`]).
//!
//! - **By blocks**, when allowed links fall apart into blocks (districts):
//!   every block's frontier — its best plan for each number of new
//!   facilities — comes from enumerating its open sets, each valued by the
//!   exact modal assignment (a small MIP over (client, facility, mode)
//!   options with the open set fixed, started from a greedy assignment and
//!   skipped when a lower bound shows it cannot win), and a master chooses
//!   one column per block under the count rows exactly (the Dantzig–Wolfe
//!   reading of [`super::decompose`]).
//! - **Whole**, otherwise (or when the blocks' best plans break the budget):
//!   the relaxation (cheapest mode per link, no load capacity) is solved by
//!   the general engine, its open set gets the greedy modal assignment, and
//!   the modal MIP (microlp or HiGHS) starts from that plan when the model
//!   is small enough or `--solver mip` asks for it. The relaxation's bound
//!   is a valid bound of the modal model.
//!
//! Every result passes [`check_modal`] before it is returned.

use std::time::Instant;

use rayon::prelude::*;

use super::decompose::{Column, SpendColumn, blocks, master, most_new, next_combination, spend_master, sub_instance};
use super::mip::{ModalMipOutcome, modal_lp_bound, solve_modal_mip};
use super::modal_assign::assign_exactly;
use super::{
    SolveError, SolveOptions, SolveOutcome, SolveStats, SolverKind, Status, dispatch, in_pool, infeasible, presolve,
    status_of,
};
use crate::plan::{Solution, check_modal};
use crate::problem::{IdxVec, Instance, ModalArcs};

/// Open sets a block may enumerate; a larger block is solved by the modal MIP per count.
const MAX_OPEN_SETS: usize = 20_000;

/// Nodes [`assign_exactly`] may visit on one open set before the MIP takes
/// it over (a count, so the result does not depend on the machine).
const ASSIGN_NODES: usize = 1_000_000;

/// Options (client × facility × mode) up to which `auto` runs the whole modal MIP.
const AUTO_MIP_OPTIONS: usize = 6_000;

/// Solves the modal model of `inst` (its relaxation) and `arcs`.
pub fn solve_modal(inst: &Instance, arcs: &ModalArcs, opts: &SolveOptions) -> Result<SolveOutcome, SolveError> {
    inst.validate()?;
    arcs.fits(inst).map_err(SolveError::Modal)?;
    in_pool(opts, |deadline| modal_dispatch(inst, arcs, opts, deadline))
}

/// The modal decomposition alone (district blocks, the budget priced and
/// its gap closed), kept only when it proves its plan optimal.
pub(crate) fn by_blocks_proven(
    inst: &Instance,
    arcs: &ModalArcs,
    opts: &SolveOptions,
    deadline: Option<Instant>,
) -> Result<Option<SolveOutcome>, SolveError> {
    Ok(match by_blocks(inst, arcs, opts, deadline)? {
        Blocks::Solved(out) if out.status == Status::Optimal => Some(*out),
        _ => None,
    })
}

fn modal_dispatch(
    inst: &Instance,
    arcs: &ModalArcs,
    opts: &SolveOptions,
    deadline: Option<Instant>,
) -> Result<SolveOutcome, SolveError> {
    let reasons = presolve::infeasibility_reasons(inst);
    if !reasons.is_empty() {
        return Ok(infeasible(inst, reasons, "presolve"));
    }
    let mut block_bound = None;
    if opts.solver == SolverKind::Auto && opts.decompose {
        match by_blocks(inst, arcs, opts, deadline)? {
            Blocks::Solved(out) => return Ok(*out),
            Blocks::Priced(out) => {
                // The priced plan stands unless the whole MIP (small models) does better.
                let n_options: usize = arcs.options.iter().map(Vec::len).sum();
                if n_options > AUTO_MIP_OPTIONS {
                    return Ok(*out);
                }
                let start = Plan {
                    solution: out.solution.clone(),
                    modes: out.modes.clone().unwrap_or_default(),
                    objective: out.objective(),
                };
                // The whole MIP gets a third of the time left: the priced plan is at hand.
                let share = deadline.map(|d| Instant::now() + d.saturating_duration_since(Instant::now()) / 3);
                let note = (out.lower_bound.unwrap_or(0.0), out.notes.join("; "));
                let whole = whole(inst, arcs, opts, share, Some(note), Some(start))?;
                return Ok(if whole.status != Status::Infeasible && whole.objective() <= out.objective() {
                    whole
                } else {
                    *out
                });
            }
            Blocks::BudgetBinds(b, note) => block_bound = Some((b, note)),
            Blocks::NotApplicable => {}
        }
    }
    whole(inst, arcs, opts, deadline, block_bound, None)
}

/// A plan of the modal model: open set, assignment and modes.
#[derive(Debug, Clone)]
struct Plan {
    solution: Solution,
    modes: Vec<Option<usize>>,
    objective: f64,
}

fn value(inst: &Instance, arcs: &ModalArcs, solution: Solution, modes: Vec<Option<usize>>) -> Option<Plan> {
    let r = check_modal(inst, arcs, &solution, &modes, None);
    r.is_feasible().then_some(Plan { objective: r.evaluation.objective, solution, modes })
}

/// The greedy modal assignment to the open facilities `open`: clients by
/// falling best profit (penalty − cost; clients that must be served
/// first), each to its most profitable option that still fits the
/// facility's client limit, capacity, load capacity and `budget` (what is
/// left for clients).
fn greedy(
    inst: &Instance,
    arcs: &ModalArcs,
    open: &[usize],
    budget: Option<f64>,
) -> (Vec<Option<usize>>, Vec<Option<usize>>) {
    let n = inst.n_clients();
    let m = inst.n_facilities();
    let mut is_open = vec![false; m];
    open.iter().for_each(|&f| is_open[f] = true);
    let profit = |c: usize, cost: f64| inst.unserved_cost(c).map_or(f64::INFINITY, |u| u - cost);
    let best = |c: usize| {
        arcs.options[c]
            .iter()
            .filter(|o| is_open[o.facility.index()])
            .map(|o| profit(c, o.cost))
            .fold(f64::NEG_INFINITY, f64::max)
    };
    let mut order: Vec<(f64, usize)> = (0..n).map(|c| (best(c), c)).filter(|p| p.0 > 0.0).collect();
    // Must-serve clients (infinite profit) first, by fewest options.
    order.sort_by(|a, b| {
        b.0.total_cmp(&a.0).then_with(|| arcs.options[a.1].len().cmp(&arcs.options[b.1].len())).then(a.1.cmp(&b.1))
    });
    let mut count = vec![0u32; m];
    let mut demand = vec![0.0f64; m];
    let mut load = vec![0.0f64; m];
    let mut spent = 0.0;
    let mut assignment = vec![None; n];
    let mut modes = vec![None; n];
    for &(_, c) in &order {
        let d = inst.clients[c].demand;
        let mut pick: Option<(f64, f64, usize)> = None; // (profit, load, option index)
        for (k, o) in arcs.options[c].iter().enumerate() {
            let f = o.facility.index();
            let fac = &inst.facilities[f];
            let fits = is_open[f]
                && fac.max_clients.is_none_or(|mx| count[f] < mx)
                && fac.capacity.is_none_or(|cap| demand[f] + d <= cap + 1e-9)
                && arcs.load_capacity[f].is_none_or(|cap| load[f] + o.load <= cap + 1e-9 * cap.max(1.0))
                && budget.is_none_or(|b| spent + o.budget_cost <= b + 1e-9 * b.max(1.0));
            let p = profit(c, o.cost);
            if fits && p > 0.0 && pick.is_none_or(|(bp, bl, _)| p > bp || (p == bp && o.load < bl)) {
                pick = Some((p, o.load, k));
            }
        }
        if let Some((_, _, k)) = pick {
            let o = arcs.options[c][k];
            let f = o.facility.index();
            count[f] += 1;
            demand[f] += d;
            load[f] += o.load;
            spent += o.budget_cost;
            assignment[c] = Some(f);
            modes[c] = Some(o.mode);
        }
    }
    (assignment, modes)
}

/// `sub` with exactly the facilities `open` open (others forbidden), no
/// group or count rows, and `budget`.
fn fixed(sub: &Instance, open: &[usize], budget: Option<f64>) -> Instance {
    let mut f = sub.clone();
    for (i, fac) in f.facilities.iter_mut().enumerate() {
        let o = open.binary_search(&i).is_ok();
        fac.fixed_open = o;
        fac.forbidden = !o;
    }
    f.groups.clear();
    f.p = None;
    f.min_open = None;
    f.max_open = None;
    f.budget = budget;
    f
}

/// The best modal assignment to the open set `open` of `sub` whose links
/// spend at most `cap` (no limit: `None`):
/// greedy; then, unless the greedy plan meets `lower` or the set's LP
/// relaxation (which also ends the search when it cannot beat `cutoff`),
/// the MIP. Returns the plan (if any), a lower bound on the set's
/// objective, and the MIPs run.
#[allow(clippy::too_many_arguments)]
fn set_value(
    sub: &Instance,
    arcs: &ModalArcs,
    open: &[usize],
    lower: f64,
    cutoff: Option<f64>,
    opts: &SolveOptions,
    deadline: Option<Instant>,
    cap: Option<f64>,
) -> (Option<Plan>, f64, usize) {
    let (assignment, modes) = greedy(sub, arcs, open, cap);
    if deadline.is_some_and(|d| Instant::now() >= d) {
        // Out of time: the greedy plan, with the bound at hand.
        let plan = value(sub, arcs, Solution::from_positions(open, &assignment), modes);
        return (plan, lower, 0);
    }
    // A small set is settled by search, with a node count (no clock).
    if let Some((a, m)) = assign_exactly(sub, arcs, open, cap, (&assignment, &modes), ASSIGN_NODES) {
        let plan = value(sub, arcs, Solution::from_positions(open, &a), m);
        let v = plan.as_ref().map_or(f64::INFINITY, |p| p.objective);
        return (plan, v, 0);
    }
    let start = value(sub, arcs, Solution::from_positions(open, &assignment), modes);
    if let Some(v) = start.as_ref().map(|p| p.objective)
        && v <= lower + 1e-9 * lower.abs().max(1.0)
    {
        return (start, v, 0);
    }
    let opening = opening_of(sub, open);
    let fx = fixed(sub, open, cap);
    // The set's LP relaxation first: it may show that the set cannot beat
    // `cutoff` (the best plan of its column so far), or that the greedy
    // plan is already optimal; only then is the MIP spared.
    let lp = match modal_lp_bound(&fx, arcs, opts.backend, Some(opts.set_mip_seconds)) {
        Ok(Some(lp)) => Some(lower.max(lp + opening)),
        _ => None,
    };
    if let Some(lp) = lp {
        let tol = 1e-9 * lp.abs().max(1.0);
        if cutoff.is_some_and(|c| lp >= c - tol) {
            return (start, lp, 0);
        }
        if let Some(v) = start.as_ref().map(|p| p.objective)
            && v <= lp + tol
        {
            return (start, v, 0);
        }
    }
    let lower = lp.unwrap_or(lower);
    let left = deadline.map(|d| d.saturating_duration_since(Instant::now()).as_secs_f64());
    let limit = left.map_or(opts.set_mip_seconds, |l| l.min(opts.set_mip_seconds));
    if limit <= 0.0 {
        return (start, lower, 0);
    }
    let hint = start.as_ref().map(|p| (&p.solution, p.modes.as_slice()));
    match solve_modal_mip(&fx, arcs, opts.backend, Some(limit), hint) {
        Ok(ModalMipOutcome::Solved { solution, modes, proven }) => {
            let plan = value(sub, arcs, Solution::from_positions(open, &solution.assignment_positions()), modes);
            let best = match (plan, start) {
                (Some(a), Some(b)) => Some(if a.objective <= b.objective { a } else { b }),
                (a, b) => a.or(b),
            };
            let bound = match (&best, proven) {
                (Some(p), true) => p.objective,
                // Not proven in its time: the LP relaxation of the set's MIP bounds it.
                _ => lower,
            };
            (best, bound, 1)
        }
        Ok(ModalMipOutcome::Infeasible) => (None, f64::INFINITY, 1),
        Err(_) => (start, lower.max(opening), 1),
    }
}

/// A lower bound on the objective of open set `open` of `sub`: the larger of
/// (i) every client at its cheapest open option or unserved, ignoring every
/// capacity, and (ii) with a penalty, only as many clients served as the
/// open facilities' client limits allow, each at its best profit.
fn set_lower_bound(sub: &Instance, arcs: &ModalArcs, open: &[usize], opening: f64) -> f64 {
    let n = sub.n_clients();
    let mut is_open = vec![false; sub.n_facilities()];
    open.iter().for_each(|&f| is_open[f] = true);
    let mut uncap = opening;
    let mut profits = Vec::new();
    let mut all_unserved = 0.0;
    for c in 0..n {
        let cheapest = arcs.options[c]
            .iter()
            .filter(|o| is_open[o.facility.index()])
            .map(|o| o.cost)
            .fold(f64::INFINITY, f64::min);
        let unserved = sub.unserved_cost(c).unwrap_or(f64::INFINITY);
        uncap += cheapest.min(unserved);
        all_unserved += unserved;
        if unserved > cheapest {
            profits.push(unserved - cheapest);
        }
    }
    let limit: Option<usize> =
        open.iter().map(|&f| sub.facilities[f].max_clients.map(|k| k as usize)).sum::<Option<usize>>();
    match (sub.unserved_penalty, limit) {
        (Some(_), Some(k)) if k < profits.len() => {
            profits.sort_by(|a, b| b.total_cmp(a));
            uncap.max(opening + all_unserved - profits.iter().take(k).sum::<f64>())
        }
        _ => uncap,
    }
}

/// A block's frontier with each column's modes.
#[derive(Clone)]
pub(crate) struct ModalFrontier {
    columns: Vec<Column>,
    modes: Vec<Vec<Option<usize>>>,
    sets: usize,
    mips: usize,
    unsettled: bool,
}

fn groups_ok(sub: &Instance, open: &[usize]) -> bool {
    sub.groups.iter().all(|g| {
        let k = g.facilities.iter().filter(|f| open.binary_search(&f.index()).is_ok()).count();
        k >= g.min_open && g.max_open.is_none_or(|mx| k <= mx)
    })
}

/// Every open set of block `sub` that its groups allow, by number of new
/// facilities (0 up to `max_new`, capped by what the block can open), each
/// sorted; `None` past [`MAX_OPEN_SETS`].
fn open_sets(sub: &Instance, max_new: usize) -> Option<Vec<Vec<Vec<usize>>>> {
    let free: Vec<usize> =
        (0..sub.n_facilities()).filter(|&f| !sub.facilities[f].fixed_open && !sub.facilities[f].forbidden).collect();
    let fixed_open: Vec<usize> = (0..sub.n_facilities()).filter(|&f| sub.facilities[f].fixed_open).collect();
    let top = most_new(sub).min(max_new).min(free.len());
    let mut sets = 0usize;
    let mut by_new = Vec::with_capacity(top + 1);
    for k in 0..=top {
        let mut here = Vec::new();
        let mut idx: Vec<usize> = (0..k).collect();
        loop {
            let mut open = fixed_open.clone();
            open.extend(idx.iter().map(|&i| free[i]));
            open.sort_unstable();
            if groups_ok(sub, &open) {
                sets += 1;
                if sets > MAX_OPEN_SETS {
                    return None;
                }
                here.push(open);
            }
            if !next_combination(&mut idx, free.len()) {
                break;
            }
        }
        by_new.push(here);
    }
    Some(by_new)
}

/// What opening the new facilities of `open` costs in the objective.
fn opening_of(sub: &Instance, open: &[usize]) -> f64 {
    open.iter().filter(|&&f| !sub.facilities[f].fixed_open).map(|&f| sub.facilities[f].open_cost).sum()
}

/// [`frontier`], through `opts.frontier_cache` when there is one (a
/// frontier computed past the deadline is not kept).
fn frontier_cached(
    sub: &Instance,
    arcs: &ModalArcs,
    max_new: usize,
    opts: &SolveOptions,
    deadline: Option<Instant>,
) -> Option<ModalFrontier> {
    let Some(cache) = &opts.frontier_cache else { return frontier(sub, arcs, max_new, opts, deadline) };
    let key = super::decompose::FrontierCache::key(format_args!("modal|{sub:?}|{arcs:?}|{max_new}"), opts);
    if let Some(f) = cache.lock().and_then(|m| m.modal.get(&key).cloned()) {
        return Some(f);
    }
    let f = frontier(sub, arcs, max_new, opts, deadline)?;
    if deadline.is_none_or(|d| Instant::now() < d)
        && let Some(mut m) = cache.lock()
    {
        m.modal.insert(key, f.clone());
    }
    Some(f)
}

/// The frontier of block `sub` (with its arcs) by enumerating open sets;
/// `None` when it has too many.
fn frontier(
    sub: &Instance,
    arcs: &ModalArcs,
    max_new: usize,
    opts: &SolveOptions,
    deadline: Option<Instant>,
) -> Option<ModalFrontier> {
    let sets_by_new = open_sets(sub, max_new)?;
    let sets: usize = sets_by_new.iter().map(Vec::len).sum();
    let candidates: Vec<Vec<(f64, Vec<usize>)>> = sets_by_new
        .into_iter()
        .map(|here| {
            here.into_iter()
                .filter_map(|open| {
                    let lb = set_lower_bound(sub, arcs, &open, opening_of(sub, &open));
                    lb.is_finite().then_some((lb, open))
                })
                .collect()
        })
        .collect();
    let mut columns = Vec::new();
    let mut modes = Vec::new();
    let mut mips = 0;
    let mut unsettled = false;
    for (k, mut here) in candidates.into_iter().enumerate() {
        if here.is_empty() {
            continue;
        }
        here.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut best: Option<Plan> = None;
        let mut bound = f64::INFINITY;
        for (lb, open) in here {
            if best.as_ref().is_some_and(|b| lb >= b.objective - 1e-9 * b.objective.abs().max(1.0)) {
                bound = bound.min(lb);
                break;
            }
            let cutoff = best.as_ref().map(|b| b.objective);
            let (plan, set_bound, used) = set_value(sub, arcs, &open, lb, cutoff, opts, deadline, None);
            mips += used;
            if plan.as_ref().is_none_or(|p| set_bound < p.objective - 1e-9 * p.objective.abs().max(1.0)) {
                bound = bound.min(set_bound);
            }
            if let Some(p) = plan
                && best.as_ref().is_none_or(|b| p.objective < b.objective - 1e-9 * b.objective.abs().max(1.0))
            {
                best = Some(p);
            }
        }
        let objective = best.as_ref().map_or(f64::INFINITY, |b| b.objective);
        // A set whose bound stays below the column's best is not settled.
        unsettled |= bound.is_finite() && bound < objective - 1e-9 * objective.abs().max(1.0);
        modes.push(best.as_ref().map_or_else(Vec::new, |b| b.modes.clone()));
        columns.push(Column { new: k, objective, bound: bound.min(objective), solution: best.map(|b| b.solution) });
    }
    Some(ModalFrontier { columns, modes, sets, mips, unsettled })
}

enum Blocks {
    NotApplicable,
    /// The blocks' best plans break the budget and pricing it found no plan: a bound.
    BudgetBinds(f64, String),
    /// A plan within the budget from priced blocks, with its bound, not proven.
    Priced(Box<SolveOutcome>),
    Solved(Box<SolveOutcome>),
}

/// What pricing the budget row found.
struct PricedBlocks {
    best: Option<Plan>,
    bound: Option<f64>,
    rounds: usize,
    unsettled: bool,
    /// Every price whose master gave a bound: the price, that bound, and
    /// per block its priced columns' (new, bound).
    prices: Vec<BudgetPrice>,
}

/// One price of the budget row and what the blocks' frontiers bound there.
struct BudgetPrice {
    lambda: f64,
    bound: f64,
    columns: Vec<Vec<(usize, f64)>>,
}

/// Prices evaluated at most when the budget binds across blocks.
const BUDGET_PRICES: usize = 14;

/// The blocks with every spend charged `lambda` per tenge: options'
/// budget costs and facilities' budget charges added to their costs.
fn priced(sub: &Instance, arcs: &ModalArcs, lambda: f64) -> (Instance, ModalArcs) {
    let mut s = sub.clone();
    for f in &mut s.facilities {
        f.open_cost += lambda * f.budget_charge();
    }
    let mut a = arcs.clone();
    for opts in &mut a.options {
        for o in opts {
            o.cost += lambda * o.budget_cost;
        }
    }
    s.costs = a.relaxed_costs(s.n_facilities());
    (s, a)
}

/// Lagrangian relaxation of the budget row (A. M. Geoffrion, "Lagrangean
/// relaxation for integer programming", *Mathematical Programming Study* 2
/// (1974) 82–114): for a price λ ≥ 0 per tenge, every block's frontier is
/// solved with spending charged λ, the master chooses over the count, and
/// Σ columns' bounds − λ·budget bounds the model; λ by bisection on whether
/// the chosen plan overspends. Every chosen plan within the budget is a
/// plan of the model; the best is kept.
#[allow(clippy::too_many_arguments)]
fn priced_blocks(
    inst: &Instance,
    arcs: &ModalArcs,
    parts: &[super::decompose::Block],
    subs: &[(Instance, ModalArcs)],
    (lo, hi): (usize, usize),
    budget: f64,
    opts: &SolveOptions,
    deadline: Option<Instant>,
) -> PricedBlocks {
    let mut out = PricedBlocks { best: None, bound: None, rounds: 0, unsettled: false, prices: Vec::new() };
    let charges = subs.iter().flat_map(|(_, a)| a.options.iter().flatten().map(|o| o.budget_cost));
    let Some(ceiling) = super::decompose::budget_price_ceiling(inst, charges) else { return out };
    let (mut low, mut high) = (0.0f64, ceiling);
    let mut pool = ColumnPool { blocks: vec![Vec::new(); subs.len()] };
    let mut best_picks: Option<Vec<usize>> = None;
    while out.rounds < BUDGET_PRICES && deadline.is_none_or(|d| Instant::now() < d) {
        let lambda = if out.rounds == 0 { high } else { 0.5 * (low + high) };
        out.rounds += 1;
        let frontiers: Option<Vec<ModalFrontier>> = subs
            .par_iter()
            .map(|(sub, a)| {
                let (ps, pa) = priced(sub, a, lambda);
                frontier_cached(&ps, &pa, hi, opts, deadline)
            })
            .collect();
        let Some(frontiers) = frontiers else { break };
        out.unsettled |= frontiers.iter().any(|f| f.unsettled);
        let columns: Vec<Vec<Column>> = frontiers.iter().map(|f| f.columns.clone()).collect();
        let Some((picks, _)) = master(&columns, lo, hi, |c| c.objective) else { break };
        let mut pooled = Vec::with_capacity(subs.len());
        for (b, ((cols, fr), &ci)) in columns.iter().zip(&frontiers).zip(&picks).enumerate() {
            let mut here = None;
            for (j, col) in cols.iter().enumerate() {
                if let Some(sol) = &col.solution {
                    let k = pool.add(b, &subs[b], col.new, sol, &fr.modes[j]);
                    if j == ci {
                        here = k;
                    }
                }
            }
            pooled.push(here);
        }
        if let Some((_, v)) = master(&columns, lo, hi, |c| c.bound) {
            let lb = v - lambda * budget;
            out.bound = Some(out.bound.map_or(lb, |b: f64| b.max(lb)));
            out.prices.push(BudgetPrice {
                lambda,
                bound: lb,
                columns: columns.iter().map(|cols| cols.iter().map(|c| (c.new, c.bound)).collect()).collect(),
            });
        }
        // The chosen plan, in the model's indices, valued unpriced.
        let chosen = columns
            .iter()
            .zip(&frontiers)
            .zip(&picks)
            .map(|((cols, fr), &ci)| cols[ci].solution.as_ref().map(|sol| (sol, fr.modes[ci].as_slice())));
        let (solution, modes) = join_blocks(inst.n_clients(), parts, chosen);
        let report = check_modal(inst, arcs, &solution, &modes, None);
        let over = report.violations.iter().any(|v| matches!(v, crate::plan::Violation::OverBudget { .. }));
        if report.is_feasible() && out.best.as_ref().is_none_or(|b| report.evaluation.objective < b.objective) {
            out.best = Some(Plan { objective: report.evaluation.objective, solution, modes });
            best_picks = pooled.into_iter().collect::<Option<Vec<usize>>>();
        }
        if out.rounds == 1 {
            if over {
                break;
            }
            continue;
        }
        if over {
            low = lambda;
        } else {
            high = lambda;
        }
    }
    // Trade columns the prices produced, within the budget and the count rows.
    if let Some(picks) = best_picks {
        let picks = pool.improve(picks, budget, (lo, hi));
        let traded = pool.blocks.iter().zip(&picks).map(|(entries, &j)| {
            let e = &entries[j];
            Some((&e.solution, e.modes.as_slice()))
        });
        let (solution, modes) = join_blocks(inst.n_clients(), parts, traded);
        let report = check_modal(inst, arcs, &solution, &modes, None);
        if report.is_feasible() && out.best.as_ref().is_none_or(|b| report.evaluation.objective < b.objective) {
            out.best = Some(Plan { objective: report.evaluation.objective, solution, modes });
        }
    }
    out
}

/// What closing the priced budget's gap found: the best plan over the
/// blocks' walked columns, whether that is proven optimal, and the work.
struct BudgetClosed {
    solution: Solution,
    modes: Vec<Option<usize>>,
    proven: bool,
    columns: usize,
    mips: usize,
}

/// One block's plans that may still beat the incumbent (see [`close_budget`]).
struct BlockSpends {
    columns: Vec<SpendColumn>,
    plans: Vec<Plan>,
    mips: usize,
    unsettled: bool,
}

/// Closes the gap the budget's prices left, exactly.
///
/// Let λ be the price with the best bound L, and Δ = U − L the gap to the
/// best plan U. Every plan x of the model charges each block's part x_b at
/// least its priced column bound h_b(k_b) at λ, so
/// `objective(x) ≥ L + Σ_b (g(x_b) + λ·s(x_b) − h_b(k_b))` with g the
/// objective and s the spend of x_b: a plan better than U uses in every
/// block a part whose priced excess is at most Δ (reduced-cost fixing on
/// the Lagrangian dual; Geoffrion 1974). Each block's such parts are
/// walked per open set: the least objective under a spend cap (the capped
/// modal MIP), the cap lowered below each plan found, until the capped
/// priced LP shows that nothing under the cap is within Δ; the other
/// prices' bounds narrow the spend interval first. A Pareto-minimal part
/// dominates every part it covers, so [`spend_master`] over the walked
/// columns (and the count rows and the budget) finds the optimum, proven
/// when every capped MIP was.
#[allow(clippy::too_many_arguments)]
fn close_budget(
    arcs: &ModalArcs,
    parts: &[super::decompose::Block],
    subs: &[(Instance, ModalArcs)],
    (lo, hi): (usize, usize),
    budget: f64,
    priced: &PricedBlocks,
    opts: &SolveOptions,
    deadline: Option<Instant>,
) -> Option<BudgetClosed> {
    let incumbent = priced.best.as_ref()?;
    let best = priced.prices.iter().max_by(|a, b| a.bound.total_cmp(&b.bound))?;
    let gap = (incumbent.objective - best.bound).max(0.0);
    let walked: Vec<Option<BlockSpends>> = subs
        .par_iter()
        .enumerate()
        .map(|(b, (sub, a))| walk_block(sub, a, (&priced.prices, best), b, gap, hi, opts, deadline))
        .collect();
    let walked: Vec<BlockSpends> = walked.into_iter().collect::<Option<_>>()?;
    let columns: Vec<Vec<SpendColumn>> = walked.iter().map(|w| w.columns.clone()).collect();
    let (picks, _) = spend_master(&columns, (lo, hi), budget, (best.lambda, incumbent.objective))?;
    let chosen = walked.iter().zip(&picks).map(|(w, &j)| {
        let p = &w.plans[j];
        Some((&p.solution, p.modes.as_slice()))
    });
    let (solution, modes) = join_blocks(arcs.options.len(), parts, chosen);
    Some(BudgetClosed {
        solution,
        modes,
        proven: walked.iter().all(|w| !w.unsettled),
        columns: walked.iter().map(|w| w.columns.len()).sum(),
        mips: walked.iter().map(|w| w.mips).sum(),
    })
}

/// Block `block`'s (`sub`'s) Pareto-minimal (spend, objective) plans whose
/// priced value at the price `best` is within `gap` of its priced column
/// bound there at their count (the block's columns at the other `prices`
/// bound the spend of such plans from both sides). `None` when the block
/// has too many open sets to walk.
#[allow(clippy::too_many_arguments)]
fn walk_block(
    sub: &Instance,
    arcs: &ModalArcs,
    (prices, best): (&[BudgetPrice], &BudgetPrice),
    block: usize,
    gap: f64,
    max_new: usize,
    opts: &SolveOptions,
    deadline: Option<Instant>,
) -> Option<BlockSpends> {
    let lambda = best.lambda;
    let at_best = &best.columns[block];
    let (ps, pa) = priced(sub, arcs, lambda);
    let mut out = BlockSpends { columns: Vec::new(), plans: Vec::new(), mips: 0, unsettled: false };
    // Spends are sums of these charges: whole tenge lets the cap step by
    // half a tenge; otherwise by a millionth (spends closer than that are
    // not told apart, and a cap that does not hold leaves the block unsettled).
    let integral = sub
        .facilities
        .iter()
        .map(|f| f.budget_charge())
        .chain(arcs.options.iter().flatten().map(|o| o.budget_cost))
        .all(|v| v.fract() == 0.0);
    let step = |spend: f64| if integral { 0.5 } else { 1e-6 * spend.abs().max(1.0) };
    for (k, sets) in open_sets(sub, max_new)?.into_iter().enumerate() {
        let Some(&(_, h)) = at_best.iter().find(|c| c.0 == k) else { continue };
        if !h.is_finite() {
            continue;
        }
        let threshold = h + gap + 1e-9 * h.abs().max(1.0);
        // g + μ·s ≥ h(μ) for every price μ: with g + λ·s ≤ threshold this bounds s.
        let (mut s_lo, mut s_hi) = (0.0f64, f64::INFINITY);
        for p in prices {
            let mu = p.lambda;
            let Some(&(_, hm)) = p.columns[block].iter().find(|c| c.0 == k) else { continue };
            if mu < lambda {
                s_hi = s_hi.min((threshold - hm) / (lambda - mu));
            } else if mu > lambda {
                s_lo = s_lo.max((hm - threshold) / (mu - lambda));
            }
        }
        for open in sets {
            let priced_opening = opening_of(&ps, &open);
            if set_lower_bound(&ps, &pa, &open, priced_opening) > threshold {
                continue;
            }
            let charge: f64 = open.iter().map(|&f| sub.facilities[f].budget_charge()).sum();
            let lower = set_lower_bound(sub, arcs, &open, opening_of(sub, &open));
            let slack = 1e-9 * s_hi.abs().max(charge).max(1.0);
            let mut cap = s_hi + slack;
            let mut last = f64::INFINITY;
            while cap >= s_lo - slack && cap >= charge - slack {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    out.unsettled = true;
                    break;
                }
                let rest = cap.is_finite().then(|| (cap - charge).max(0.0));
                // Nothing under the cap within the gap: the walk of this set ends.
                if let Ok(Some(lp)) =
                    modal_lp_bound(&fixed(&ps, &open, rest), &pa, opts.backend, Some(opts.set_mip_seconds))
                    && lp + priced_opening > threshold
                {
                    break;
                }
                let (plan, bound, used) = set_value(sub, arcs, &open, lower, None, opts, deadline, rest);
                out.mips += used;
                let Some(plan) = plan else {
                    out.unsettled |= bound.is_finite();
                    break;
                };
                if bound < plan.objective - 1e-9 * plan.objective.abs().max(1.0) {
                    out.unsettled = true;
                    break;
                }
                let spend = check_modal(sub, arcs, &plan.solution, &plan.modes, None).evaluation.budget_spent;
                if spend >= last || rest.is_some_and(|r| spend > charge + r + slack) {
                    // The cap did not hold: the walk cannot go on exactly.
                    out.unsettled = true;
                    break;
                }
                if plan.objective + lambda * spend <= threshold {
                    out.columns.push(SpendColumn { new: k, spend, objective: plan.objective });
                    out.plans.push(plan);
                }
                if spend <= charge + slack {
                    // No plan of the set spends less than its opening.
                    break;
                }
                last = spend;
                cap = spend - step(spend);
            }
        }
    }
    Some(out)
}

/// A block's plan met at some price, valued without the price.
#[derive(Clone)]
struct Pooled {
    objective: f64,
    spend: f64,
    new: usize,
    solution: Solution,
    modes: Vec<Option<usize>>,
}

/// Every block's plans met while pricing the budget.
struct ColumnPool {
    blocks: Vec<Vec<Pooled>>,
}

impl ColumnPool {
    /// Adds block `b`'s plan (if new), returning its index; `None` when
    /// the plan breaks a rule of the block (it then cannot be traded).
    fn add(
        &mut self,
        b: usize,
        (sub, arcs): &(Instance, ModalArcs),
        new: usize,
        sol: &Solution,
        modes: &[Option<usize>],
    ) -> Option<usize> {
        if let Some(k) = self.blocks[b].iter().position(|e| &e.solution == sol && e.modes == modes) {
            return Some(k);
        }
        let r = check_modal(sub, arcs, sol, modes, None);
        if !r.is_feasible() {
            return None;
        }
        self.blocks[b].push(Pooled {
            objective: r.evaluation.objective,
            spend: r.evaluation.budget_spent,
            new,
            solution: sol.clone(),
            modes: modes.to_vec(),
        });
        Some(self.blocks[b].len() - 1)
    }

    /// From `picks` (one plan per block, within the budget), takes the
    /// trade that gains most per tenge (any gain that spends nothing
    /// first) while the budget and the count rows allow, until none gains.
    fn improve(&self, mut picks: Vec<usize>, budget: f64, (lo, hi): (usize, usize)) -> Vec<usize> {
        let at = |b: usize, j: usize| &self.blocks[b][j];
        let mut spend: f64 = picks.iter().enumerate().map(|(b, &j)| at(b, j).spend).sum();
        let mut new: usize = picks.iter().enumerate().map(|(b, &j)| at(b, j).new).sum();
        loop {
            let mut best: Option<(f64, usize, usize)> = None;
            for (b, &cur) in picks.iter().enumerate() {
                let c = at(b, cur);
                for (j, e) in self.blocks[b].iter().enumerate() {
                    let gain = c.objective - e.objective;
                    let extra = e.spend - c.spend;
                    let count = new + e.new - c.new;
                    if gain <= 1e-9 * c.objective.abs().max(1.0)
                        || spend + extra > budget * (1.0 + 1e-12)
                        || count < lo
                        || count > hi
                    {
                        continue;
                    }
                    let score = if extra <= 0.0 { f64::INFINITY } else { gain / extra };
                    if best.is_none_or(|(s, ..)| score > s) {
                        best = Some((score, b, j));
                    }
                }
            }
            let Some((_, b, j)) = best else { return picks };
            spend += at(b, j).spend - at(b, picks[b]).spend;
            new = new + at(b, j).new - at(b, picks[b]).new;
            picks[b] = j;
        }
    }
}

/// One plan of the whole model from one plan (and its modes) per block, in
/// the blocks' own indices; a block without a plan opens and links nothing.
fn join_blocks<'a>(
    n_clients: usize,
    parts: &[super::decompose::Block],
    plans: impl Iterator<Item = Option<(&'a Solution, &'a [Option<usize>])>>,
) -> (Solution, Vec<Option<usize>>) {
    let mut open = Vec::new();
    let mut assignment = IdxVec::from_elem(None, n_clients);
    let mut modes = vec![None; n_clients];
    for (block, plan) in parts.iter().zip(plans) {
        let Some((sol, block_modes)) = plan else { continue };
        open.extend(sol.open.iter().map(|&f| block.facility(f)));
        for (c, a) in sol.assignment.iter_enumerated() {
            assignment[block.client(c)] = a.map(|f| block.facility(f));
            modes[block.client(c).index()] = block_modes.get(c.index()).copied().flatten();
        }
    }
    (Solution::single_source(open, assignment), modes)
}

fn by_blocks(
    inst: &Instance,
    arcs: &ModalArcs,
    opts: &SolveOptions,
    deadline: Option<Instant>,
) -> Result<Blocks, SolveError> {
    let parts = blocks(inst);
    if parts.len() < 2 {
        return Ok(Blocks::NotApplicable);
    }
    let fixed_total = inst.facilities.iter().filter(|f| f.fixed_open).count();
    let hi_all = [inst.p, inst.max_open].into_iter().flatten().min();
    let lo_all = [inst.p, inst.min_open].into_iter().flatten().max().unwrap_or(0);
    let max_new = hi_all.map_or(usize::MAX, |h| h.saturating_sub(fixed_total));
    let subs: Vec<(Instance, ModalArcs)> = parts
        .iter()
        .enumerate()
        .map(|(i, b)| {
            (
                sub_instance(inst, b, i),
                arcs.restrict(b.clients.as_slice(), b.facilities.as_slice(), inst.n_facilities()),
            )
        })
        .collect();
    let frontiers: Vec<Option<ModalFrontier>> =
        subs.par_iter().map(|(sub, a)| frontier_cached(sub, a, max_new, opts, deadline)).collect();
    let Some(frontiers) = frontiers.into_iter().collect::<Option<Vec<_>>>() else {
        return Ok(Blocks::NotApplicable);
    };
    let columns: Vec<Vec<Column>> = frontiers.iter().map(|f| f.columns.clone()).collect();
    let lo = lo_all.saturating_sub(fixed_total);
    let Some((picks, _)) = master(&columns, lo, max_new, |c| c.objective) else {
        return Ok(Blocks::NotApplicable);
    };
    let bound = master(&columns, lo, max_new, |c| c.bound).map_or(0.0, |(_, b)| b);
    if columns.iter().zip(&picks).any(|(cols, &ci)| cols[ci].solution.is_none()) {
        return Ok(Blocks::NotApplicable);
    }
    let chosen = columns
        .iter()
        .zip(&frontiers)
        .zip(&picks)
        .map(|((cols, fr), &ci)| cols[ci].solution.as_ref().map(|sol| (sol, fr.modes[ci].as_slice())));
    let (solution, modes) = join_blocks(inst.n_clients(), &parts, chosen);
    let sets: usize = frontiers.iter().map(|f| f.sets).sum();
    let mips: usize = frontiers.iter().map(|f| f.mips).sum();
    let unsettled = frontiers.iter().any(|f| f.unsettled);
    let note = format!(
        "decomposition with link modes: {} independent blocks; {sets} open sets enumerated, {mips} exact modal assignment MIPs; master over the count of new facilities by dynamic programming",
        parts.len()
    );
    let Some(plan) = value(inst, arcs, solution.clone(), modes.clone()) else {
        // The budget (not priced in the blocks) is the only row the blocks do not see.
        let r = check_modal(inst, arcs, &solution, &modes, None);
        let only_budget = r.violations.iter().all(|v| matches!(v, crate::plan::Violation::OverBudget { .. }));
        if only_budget && let Some(b) = inst.budget {
            let mut priced = priced_blocks(inst, arcs, &parts, &subs, (lo, max_new), b, opts, deadline);
            let bound = priced.bound.map_or(bound, |p| p.max(bound));
            let mut note = format!(
                "{note}; the blocks' best plans break the budget: {} prices of the budget row tried (Lagrangian relaxation, bisection), the best plan within the budget kept",
                priced.rounds
            );
            let mut bound = bound;
            let open_gap = priced.best.as_ref().is_some_and(|p| p.objective > bound + 1e-9 * bound.abs().max(1.0));
            if open_gap
                && let Some(closed) = close_budget(arcs, &parts, &subs, (lo, max_new), b, &priced, opts, deadline)
            {
                note.push_str(&format!(
                    "; the gap closed {}: every district's plans that could still beat the best plan (within the gap of the best price's bound, Pareto-minimal in spend) enumerated, {} of them by {} capped modal assignment MIPs, and one chosen per district under the count and the budget exactly (dynamic programming over spend)",
                    if closed.proven { "exactly" } else { "in part (some capped MIPs unproven or cut short by the time limit)" },
                    closed.columns,
                    closed.mips
                ));
                let plan = check_modal(inst, arcs, &closed.solution, &closed.modes, None);
                if plan.is_feasible() && priced.best.as_ref().is_none_or(|b| plan.evaluation.objective <= b.objective) {
                    priced.best = Some(Plan {
                        objective: plan.evaluation.objective,
                        solution: closed.solution,
                        modes: closed.modes,
                    });
                }
                if closed.proven
                    && let Some(best) = &priced.best
                {
                    bound = best.objective;
                    priced.unsettled = false;
                }
            }
            return Ok(match priced.best {
                Some(plan) => {
                    let mut out = outcome(
                        inst,
                        arcs,
                        plan,
                        Some(bound),
                        Status::Feasible,
                        "modal decomposition",
                        vec![note.clone()],
                    )?;
                    if out.lower_bound.is_some_and(|lb| out.evaluation.objective <= lb + 1e-9 * lb.abs().max(1.0))
                        && !priced.unsettled
                    {
                        out.status = Status::Optimal;
                    }
                    if out.status == Status::Optimal {
                        Blocks::Solved(Box::new(out))
                    } else {
                        Blocks::Priced(Box::new(out))
                    }
                }
                None => Blocks::BudgetBinds(bound, note),
            });
        }
        return Err(SolveError::CheckerRejected { solver: "modal decomposition".into(), violations: r.violations });
    };
    let bound = bound.min(plan.objective);
    let proven = !unsettled && plan.objective <= bound + 1e-9 * bound.abs().max(1.0);
    let status = status_of(proven, deadline);
    Ok(Blocks::Solved(Box::new(outcome(inst, arcs, plan, Some(bound), status, "modal decomposition", vec![note])?)))
}

fn outcome(
    inst: &Instance,
    arcs: &ModalArcs,
    plan: Plan,
    lower_bound: Option<f64>,
    status: Status,
    solver: &str,
    notes: Vec<String>,
) -> Result<SolveOutcome, SolveError> {
    let report = check_modal(inst, arcs, &plan.solution, &plan.modes, None);
    if !report.is_feasible() {
        return Err(SolveError::CheckerRejected { solver: solver.into(), violations: report.violations });
    }
    let objective = report.evaluation.objective;
    Ok(SolveOutcome {
        solution: plan.solution,
        evaluation: report.evaluation,
        lower_bound: lower_bound.map(|b| b.min(objective)),
        status,
        solver: solver.into(),
        seed: 0,
        threads: 0,
        elapsed_s: 0.0,
        stats: SolveStats::default(),
        reasons: Vec::new(),
        infeasibility_proven: false,
        notes,
        modes: Some(plan.modes),
    })
}

/// Where every small school must be linked (no penalty), the hubs whose
/// teacher hours cannot take even the schools that have no other hub: each
/// such school's least load summed against the hub's hours.
fn hours_shortfall(inst: &Instance, arcs: &ModalArcs) -> Vec<String> {
    if inst.unserved_penalty.is_some() {
        return Vec::new();
    }
    let mut need = vec![0.0f64; inst.n_facilities()];
    let mut only = vec![0usize; inst.n_facilities()];
    for opts in &arcs.options {
        let mut fs: Vec<usize> = opts.iter().map(|o| o.facility.index()).collect();
        fs.dedup();
        if let [f] = fs[..] {
            need[f] += opts.iter().map(|o| o.load).fold(f64::INFINITY, f64::min);
            only[f] += 1;
        }
    }
    (0..inst.n_facilities())
        .filter_map(|f| {
            let cap = arcs.load_capacity[f]?;
            (need[f] > cap + 1e-9).then(|| {
                format!(
                    "every small school must be linked, and the {} that only hub {} reaches need at least {:.0} teacher hours a year; it has {cap:.0}",
                    only[f], inst.facilities[f].id, need[f]
                )
            })
        })
        .collect()
}

/// The whole model: the relaxation's plan made modal, then the modal MIP
/// when it is small enough (or asked for).
fn whole(
    inst: &Instance,
    arcs: &ModalArcs,
    opts: &SolveOptions,
    deadline: Option<Instant>,
    block_bound: Option<(f64, String)>,
    start: Option<Plan>,
) -> Result<SolveOutcome, SolveError> {
    let mut notes = Vec::new();
    let n_options: usize = arcs.options.iter().map(Vec::len).sum();
    let use_mip = opts.solver == SolverKind::Mip || (opts.solver == SolverKind::Auto && n_options <= AUTO_MIP_OPTIONS);
    // The relaxation: a valid bound, and an open set to start from. It gets
    // a third of the time when the MIP follows.
    let relax_deadline = match (deadline, use_mip) {
        (Some(d), true) => Some(Instant::now() + d.saturating_duration_since(Instant::now()) / 3),
        _ => deadline,
    };
    let relax_opts = SolveOptions { solver: SolverKind::Auto, ..opts.clone() };
    let relaxed = dispatch(inst, &relax_opts, relax_deadline)?;
    let mut bound = relaxed.lower_bound.filter(|_| relaxed.status != Status::Infeasible);
    if let Some((b, note)) = block_bound {
        bound = Some(bound.map_or(b, |x: f64| x.max(b)));
        notes.push(note);
    }
    notes.push(format!(
        "link modes: the relaxation (cheapest mode per link, no teacher-hour limit) by {}, its bound kept",
        relaxed.solver
    ));
    let start_given = start.is_some();
    let mut best: Option<Plan> = start;
    if best.is_none() && relaxed.status != Status::Infeasible {
        let open = relaxed.solution.open_positions();
        let charged: f64 = open.iter().map(|&f| inst.facilities[f].budget_charge()).sum();
        let (assignment, modes) = greedy(inst, arcs, &open, inst.budget.map(|b| b - charged));
        best = value(inst, arcs, Solution::from_positions(&open, &assignment), modes);
    }
    let mut proven = false;
    // What found the plan kept: the priced blocks, the relaxation's plan made modal, or the MIP.
    let mut found_by =
        if start_given { "modal decomposition (priced budget)" } else { "modal relaxation+greedy" }.to_string();
    if use_mip {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()).as_secs_f64());
        let hint = best.as_ref().map(|p| (&p.solution, p.modes.as_slice()));
        match solve_modal_mip(inst, arcs, opts.backend, left, hint) {
            Ok(ModalMipOutcome::Solved { solution, modes, proven: p }) => {
                if let Some(plan) = value(inst, arcs, solution, modes)
                    && best.as_ref().is_none_or(|b| plan.objective <= b.objective)
                {
                    proven = p;
                    best = Some(plan);
                    found_by = format!("modal mip({})", opts.backend.as_str());
                }
                notes.push(format!(
                    "link modes: the modal MIP over {n_options} options ({})",
                    if p { "proven" } else { "stopped at the time limit" }
                ));
            }
            Ok(ModalMipOutcome::Infeasible) => {
                let mut why = hours_shortfall(inst, arcs);
                why.insert(0, "the modal MIP proves that no plan meets every rule".into());
                return Ok(infeasible(inst, why, "mip"));
            }
            Err(e) => notes.push(format!("link modes: the modal MIP gave no answer ({e})")),
        }
    }
    let Some(plan) = best else {
        let mut out = infeasible(
            inst,
            vec!["no plan found that meets every rule with the link modes and teacher hours".into()],
            "modal",
        );
        out.infeasibility_proven = false;
        return Ok(out);
    };
    let bound = if proven { Some(plan.objective) } else { bound };
    let status = status_of(proven, deadline);
    outcome(inst, arcs, plan, bound, status, &found_by, notes)
}
