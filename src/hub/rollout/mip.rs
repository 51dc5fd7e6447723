//! The time-indexed MIP of a rollout, through good_lp (exact on small
//! models; the oracle of the rollout tests). Symbols as in `models/README.md`:
//!
//! ```text
//! stable links (x_sht: s linked to h from year t on)
//! max  Σ_sht v_sht x_sht,   v_sht = Σ_{t' ≥ t} (P·w_t' − d(h, s))·n_st'
//! s.t. Σ_t y_ht ≤ 1                                   every candidate h
//!      x_sht ≤ Σ_{t' ≤ t} y_ht'                        (1 for an existing hub)
//!      Σ_ht x_sht ≤ 1                                  every small school s
//!      Σ_st x_sht ≤ K_h;  Σ_s n_sτ Σ_{t ≤ τ} x_sht ≤ C_h   every hub, every year τ
//!      min ≤ Σ_{h∈D} open_hT ≤ max                     every district D
//!      Σ_h y_ht ≤ max_new_t;  Σ_ht y_ht ≤ hubs.max_new
//!      spend_t = Σ_h c_h y_ht + Σ_sh r_s x_sht ≤ B_t   (cumulative with carry_over)
//! moving links (z_sht: s linked to h in year t; l_st = Σ_h z_sht)
//! max  Σ_sht (P·w_t − d(h, s))·n_st z_sht
//! s.t. l_st ≤ 1, l_st ≤ l_s(t+1), z_sht ≤ open_ht, capacities per year,
//!      rooms r_s (l_st − l_s(t−1)) charged in year t; the same hub rows.
//! ```

use good_lp::{Expression, ProblemVariables, Variable, constraint, variable};

use super::{RolloutDecision, RolloutModel, RolloutSolved, evaluate, value};
use crate::problem::ClientIdx;
use crate::solve::Backend;
use crate::solve::mip::{MipError, solve_exact_from};

/// Time-indexed link variables the MIP would hold.
pub fn link_variables(m: &RolloutModel) -> usize {
    m.base.links.iter().map(Vec::len).sum::<usize>() * m.n_years()
}

/// Budget rows in millions of tenge: coefficients near 1, as the solver's
/// absolute tolerances expect.
const MKZT: f64 = 1e6;

/// Solves the time-indexed MIP; `Ok(None)` when it proves that no plan meets
/// the rules. A plan proven optimal carries its value as the bound. `start`,
/// a plan that keeps every rule (the decomposition's or the year-by-year
/// one), seeds the search with an incumbent.
pub fn solve_time_indexed(
    m: &RolloutModel,
    backend: Backend,
    time_limit: Option<f64>,
    start: Option<&RolloutDecision>,
) -> Result<Option<RolloutSolved>, MipError> {
    let inst = &m.base.instance;
    let (n, nf, ny) = (inst.n_clients(), inst.n_facilities(), m.n_years());
    let mut vars = ProblemVariables::new();
    // y_ht only where the hub can open that year (its cost fits the year).
    let y: Vec<Vec<Option<Variable>>> =
        (0..nf).map(|f| (0..ny).map(|t| m.can_open(f, t).then(|| vars.add(variable().binary()))).collect()).collect();
    let open = |f: usize, t: usize| -> Expression {
        if inst.facilities[f].fixed_open {
            return Expression::from(1.0);
        }
        let mut e = Expression::default();
        for v in y[f][..=t].iter().flatten() {
            e += *v;
        }
        e
    };
    let mut objective = Expression::default();
    let mut cons = Vec::new();
    // (client, facility, year, variable)
    let mut xs: Vec<(usize, usize, usize, Variable)> = Vec::new();
    let mut count = vec![vec![Expression::default(); ny]; nf];
    let mut load = vec![vec![Expression::default(); ny]; nf];
    let mut room_spend = vec![Expression::default(); ny];
    let stable = m.rules.stable_links;
    for c in 0..n {
        let room = inst.clients[c].budget_cost / MKZT;
        if stable {
            let mut one = Expression::default();
            for l in &m.base.links[ClientIdx::new(c)] {
                let f = l.facility.index();
                if inst.facilities[f].forbidden {
                    continue;
                }
                for t in 0..ny {
                    if !m.affordable(inst.clients[c].budget_cost, t) {
                        continue;
                    }
                    let x = vars.add(variable().binary());
                    objective += m.link_value_from(c, l.road_km, t) * x;
                    cons.push(constraint!(x <= open(f, t)));
                    one += x;
                    for tau in t..ny {
                        count[f][tau] += x;
                        load[f][tau] += m.students[c][tau] * x;
                    }
                    room_spend[t] += room * x;
                    xs.push((c, f, t, x));
                }
            }
            cons.push(constraint!(one <= 1.0));
        } else {
            let mut linked_before: Option<Expression> = None;
            for t in 0..ny {
                let mut linked = Expression::default();
                for l in &m.base.links[ClientIdx::new(c)] {
                    let f = l.facility.index();
                    if inst.facilities[f].forbidden {
                        continue;
                    }
                    let z = vars.add(variable().binary());
                    objective += (m.penalty * m.rules.weights[t] - l.road_km) * m.students[c][t] * z;
                    cons.push(constraint!(z <= open(f, t)));
                    linked += z;
                    count[f][t] += z;
                    load[f][t] += m.students[c][t] * z;
                    xs.push((c, f, t, z));
                }
                cons.push(constraint!(linked.clone() <= 1.0));
                match &linked_before {
                    Some(prev) => {
                        cons.push(constraint!(prev.clone() <= linked.clone()));
                        room_spend[t] += room * (linked.clone() - prev.clone());
                    }
                    None => room_spend[t] += room * linked.clone(),
                }
                linked_before = Some(linked);
            }
        }
    }
    for (f, fac) in inst.facilities.iter().enumerate() {
        if fac.forbidden {
            continue;
        }
        let mut once = Expression::default();
        for v in y[f].iter().flatten() {
            once += *v;
        }
        if y[f].iter().any(Option::is_some) {
            cons.push(constraint!(once <= 1.0));
        }
        for t in 0..ny {
            // A hub's limits hold only while it is open (`≤ K·open`, not
            // `≤ K`): the same plans, a much tighter relaxation.
            if let Some(k) = fac.max_clients {
                cons.push(constraint!(std::mem::take(&mut count[f][t]) <= k as f64 * open(f, t)));
            }
            if let Some(q) = fac.capacity {
                cons.push(constraint!(std::mem::take(&mut load[f][t]) <= q * open(f, t)));
            }
        }
    }
    for g in &inst.groups {
        let mut e = Expression::default();
        for f in g.facilities.iter().map(|f| f.index()) {
            if !inst.facilities[f].forbidden {
                e += open(f, ny - 1);
            }
        }
        if g.min_open > 0 {
            cons.push(constraint!(e.clone() >= g.min_open as f64));
        }
        if let Some(hi) = g.max_open {
            cons.push(constraint!(e <= hi as f64));
        }
    }
    let new_in = |t: usize| -> Expression {
        let mut e = Expression::default();
        for row in &y {
            if let Some(v) = row[t] {
                e += v;
            }
        }
        e
    };
    let mut all_new = Expression::default();
    for t in 0..ny {
        if let Some(k) = m.rules.max_new[t] {
            cons.push(constraint!(new_in(t) <= k as f64));
        }
        all_new += new_in(t);
    }
    if let Some(k) = m.rules.total_max_new {
        cons.push(constraint!(all_new <= k as f64));
    }
    let spend: Vec<Expression> = (0..ny)
        .map(|t| {
            let mut e = room_spend[t].clone();
            for (f, fac) in inst.facilities.iter().enumerate() {
                if let Some(v) = y[f][t] {
                    e += fac.budget_charge() / MKZT * v;
                }
            }
            e
        })
        .collect();
    let mut spent = Expression::default();
    let mut allowed = 0.0;
    for t in 0..ny {
        spent += spend[t].clone();
        if let Some(b) = m.rules.budget[t] {
            if m.rules.carry_over {
                allowed += b / MKZT;
                cons.push(constraint!(spent.clone() <= allowed));
            } else {
                cons.push(constraint!(spend[t].clone() <= b / MKZT));
            }
        }
    }
    if let Some(b) = m.rules.total_budget {
        cons.push(constraint!(spent <= b / MKZT));
    }
    let problem = vars.maximise(objective);
    let read = |get: &dyn Fn(Variable) -> f64| -> RolloutDecision {
        let mut d = RolloutDecision::empty(m);
        for (f, row) in y.iter().enumerate() {
            for (t, v) in row.iter().enumerate() {
                if v.is_some_and(|v| get(v) > 0.5) && d.opened[f].is_none() {
                    d.opened[f] = Some(t);
                }
            }
        }
        for &(c, f, t, x) in &xs {
            if get(x) > 0.5 {
                if stable {
                    for tt in t..ny {
                        d.links[c][tt] = Some(f);
                    }
                } else {
                    d.links[c][t] = Some(f);
                }
            }
        }
        d
    };
    let hint = start.map_or_else(Vec::new, |d| {
        let mut h = Vec::new();
        for (f, row) in y.iter().enumerate() {
            for (t, v) in row.iter().enumerate() {
                if let Some(v) = v {
                    h.push((*v, f64::from(u8::from(d.opened[f] == Some(t)))));
                }
            }
        }
        for &(c, f, t, x) in &xs {
            let on = if stable {
                d.links[c][t] == Some(f) && (t == 0 || d.links[c][t - 1] != Some(f))
            } else {
                d.links[c][t] == Some(f)
            };
            h.push((x, f64::from(u8::from(on))));
        }
        h
    });
    let Some((decision, proven)) = solve_exact_from(problem, cons, backend, time_limit, hint, read)? else {
        return Ok(None);
    };
    let upper = proven.then(|| {
        let v = value(m, &evaluate(m, &decision));
        v + 1e-9 * v.abs().max(1.0)
    });
    Ok(Some(RolloutSolved {
        decision,
        upper,
        method: format!("time-indexed mip({})", backend.as_str()),
        notes: vec![],
    }))
}
