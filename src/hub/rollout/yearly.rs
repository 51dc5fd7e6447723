//! The rollout planned one year at a time: each year the single-year model
//! alone, given what earlier years opened and linked — what a planner gets
//! by planning each year's tranche as it comes. Each year is solved by the
//! single-year engine (with its decomposition and bound), so the yearly
//! plans are as good as the engine makes them; the joint plan is compared
//! against this.
//!
//! Year `t`'s model: hubs opened before are open at no cost, their capacity
//! lowered by the small schools already linked to them (each reserving its
//! largest enrolment from year `t` on, so later years stay within capacity);
//! small schools not yet linked are the clients, worth their year-`t`
//! students; the year's budget (with what earlier years left when
//! `carry_over`) and the horizon's remainder; the year's new-hub limit and
//! the horizon's remainder; district maxima every year, minima in the final
//! year. Links made in earlier years stay as they are.

use super::{RolloutDecision, RolloutError, RolloutModel, evaluate};
use crate::problem::{Client, ClientIdx, Costs, Facility, Instance, SparseCosts};
use crate::solve::{SolveOptions, Status, solve};

/// The year-by-year plan.
pub fn plan_year_by_year(m: &RolloutModel, opts: &SolveOptions) -> Result<RolloutDecision, RolloutError> {
    let base = &m.base.instance;
    let n_years = m.n_years();
    let mut d = RolloutDecision::empty(m);
    for t in 0..n_years {
        let Some(inst) = year_instance(m, &d, t) else { continue };
        let (inst, clients) = inst;
        let out = solve(&inst, opts)?;
        if out.status == Status::Infeasible {
            let mut why = out.reasons.clone();
            why.insert(0, format!("planning {} alone, given the earlier years:", m.rules.years[t]));
            return Err(RolloutError::Infeasible(why));
        }
        for f in out.solution.open.iter().map(|f| f.index()) {
            if !base.facilities[f].fixed_open && d.opened[f].is_none() {
                d.opened[f] = Some(t);
            }
        }
        for (lc, a) in out.solution.assignment.iter().enumerate() {
            if let Some(f) = a.map(|f| f.index()) {
                let c = clients[lc];
                for y in t..n_years {
                    d.links[c][y] = Some(f);
                }
            }
        }
    }
    Ok(d)
}

/// Year `t`'s single-year instance given the plan of earlier years, with
/// the model client of each of its clients; `None` when no small school is
/// left to link.
fn year_instance(m: &RolloutModel, d: &RolloutDecision, t: usize) -> Option<(Instance, Vec<usize>)> {
    let base = &m.base.instance;
    let reserve = |c: usize| m.students[c][t..].iter().copied().fold(0.0, f64::max);
    let mut facilities = base.facilities.clone();
    for (f, fac) in facilities.iter_mut().enumerate() {
        if d.opened[f].is_some() {
            fac.fixed_open = true;
        }
    }
    for c in 0..base.n_clients() {
        if let Some(f) = d.links[c][t] {
            let fac = &mut facilities[f];
            fac.max_clients = fac.max_clients.map(|k| k.saturating_sub(1));
            fac.capacity = fac.capacity.map(|q| (q - reserve(c)).max(0.0));
        }
    }
    let clients: Vec<usize> = (0..base.n_clients()).filter(|&c| d.links[c][t].is_none()).collect();
    if clients.is_empty() {
        // Nothing left to link (a district still short of its hub is then
        // reported by the referee).
        return None;
    }
    let demand: Vec<f64> = clients.iter().map(|&c| reserve(c)).collect();
    let p = m.penalty;
    let mut triples = Vec::new();
    for (lc, &c) in clients.iter().enumerate() {
        for l in &m.base.links[ClientIdx::new(c)] {
            let v = (p - l.road_km) * m.students[c][t];
            triples.push((lc as u32, l.facility.index() as u32, (p * demand[lc] - v).max(0.0)));
        }
    }
    let cl: Vec<Client> =
        clients.iter().zip(&demand).map(|(&c, &dm)| Client { demand: dm, ..base.clients[c].clone() }).collect();
    let mut inst = year_model(m, t, format!("{} {}", base.name, m.rules.years[t]), cl, facilities, triples);
    // What earlier years spent and opened.
    let so_far = evaluate(m, d);
    let spent: f64 = so_far.years[..t].iter().map(|y| y.spend_kzt).sum();
    let opened: usize = so_far.years[..t].iter().map(|y| y.new_hubs).sum();
    let available = m.rules.budget[t].map(|b| {
        if m.rules.carry_over {
            let before: f64 = m.rules.budget[..t].iter().flatten().sum();
            b + before - spent
        } else {
            b
        }
    });
    let remaining = m.rules.total_budget.map(|b| b - spent);
    inst.budget = tighter(available, remaining).map(|x| x.max(0.0));
    let fixed = inst.facilities.iter().filter(|f| f.fixed_open).count();
    let new_cap = tighter(m.rules.max_new[t], m.rules.total_max_new.map(|k| k.saturating_sub(opened)));
    inst.max_open = new_cap.map(|k| fixed + k);
    Some((inst, clients))
}

/// Year `t`'s single-year instance over `clients` with the link costs
/// `triples` (client position, facility, cost): single source, `P` per
/// unlinked unit of demand, every district's limits, its minimum only in the
/// final year (earlier years may leave a district without its hub).
fn year_model(
    m: &RolloutModel,
    t: usize,
    name: String,
    clients: Vec<Client>,
    facilities: Vec<Facility>,
    triples: Vec<(u32, u32, f64)>,
) -> Instance {
    let base = &m.base.instance;
    let costs = Costs::Sparse(SparseCosts::from_triples(clients.len(), facilities.len(), triples));
    let mut inst = Instance::new(name, base.model, clients, facilities, costs);
    inst.single_source = true;
    inst.unserved_penalty = Some(m.penalty);
    inst.groups = base.groups.clone();
    if t + 1 < m.n_years() {
        inst.groups.iter_mut().for_each(|g| g.min_open = 0);
    }
    inst
}

/// The tighter of two optional limits (either alone when the other is absent).
fn tighter<T: PartialOrd>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b < a { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// The sum of years `0..=t`'s limits; `None` when a year among them has none.
fn pooled<T: Copy + std::iter::Sum>(limits: &[Option<T>], t: usize) -> Option<T> {
    limits[..=t].iter().copied().sum()
}

/// An upper bound on the value `V` of every rollout plan, from the years
/// apart: year `t`'s links in any rollout (stable or moving) form a plan of
/// the single-year model of year `t` in which the new hubs and budgets of
/// years `0..=t` are pooled (what the rollout spends and opens by `t` is
/// within their sums), students and hub capacities are year `t`'s, district
/// minima hold only in the final year and opening costs nothing — a
/// relaxation. So the students linked in year `t` are at most what that
/// model's lower bound allows, and `V ≤ P · Σₜ wₜ · (that many students)`.
/// Each year's solve gets `time_limit / (2T)` seconds; a bound from a short
/// solve is looser, never wrong. `None` when a year gives no bound.
pub fn relaxation_upper(m: &RolloutModel, opts: &SolveOptions) -> Result<Option<f64>, RolloutError> {
    let base = &m.base.instance;
    let n_years = m.n_years();
    let p = m.penalty;
    let mut opts = opts.clone();
    opts.time_limit = opts.time_limit.map(|l| l / (2.0 * n_years as f64));
    let mut student_years = 0.0;
    for t in 0..n_years {
        let students: Vec<f64> = m.students.iter().map(|n| n[t]).collect();
        let mut triples = Vec::new();
        let mut km_most = 0.0;
        for (c, links) in m.base.links.iter().enumerate() {
            let mut far = 0.0f64;
            for l in links {
                triples.push((c as u32, l.facility.index() as u32, l.road_km * students[c]));
                far = far.max(l.road_km);
            }
            km_most += far * students[c];
        }
        let clients: Vec<Client> =
            base.clients.iter().zip(&students).map(|(cl, &n)| Client { demand: n, ..cl.clone() }).collect();
        let mut facilities = base.facilities.clone();
        facilities.iter_mut().for_each(|f| f.open_cost = 0.0);
        let label = format!("{} {} (bound)", base.name, m.rules.years[t]);
        let mut inst = year_model(m, t, label, clients, facilities, triples);
        inst.budget = tighter(pooled(&m.rules.budget, t), m.rules.total_budget);
        let new_cap = tighter(pooled(&m.rules.max_new, t), m.rules.total_max_new);
        let fixed = inst.facilities.iter().filter(|f| f.fixed_open).count();
        inst.max_open = new_cap.map(|k| fixed + k);
        let out = solve(&inst, &opts)?;
        if out.status == Status::Infeasible {
            return Ok(None);
        }
        let proven = (out.status == Status::Optimal).then(|| out.objective());
        let Some(lower) = out.lower_bound.or(proven) else { return Ok(None) };
        // objective = P · (unlinked students) + student-km, and student-km ≤ km_most.
        let total: f64 = students.iter().sum();
        let unlinked_least = ((lower - km_most) / p).max(0.0);
        student_years += m.rules.weights[t] * (total - unlinked_least);
    }
    Ok(Some(p * student_years))
}
