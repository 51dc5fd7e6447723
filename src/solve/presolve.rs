//! Proofs of infeasibility before any search, said in plain words: which
//! group has no allowed candidate, which client no facility can hold, how far
//! total capacity falls short of demand, how far the cheapest admissible
//! opening set overshoots the budget. Every reason here is a proof: when the
//! list is empty the model may still be infeasible, but nothing here says so.

use super::select::{OpenRules, SelectError, Selector};
use crate::problem::Instance;

/// Formats a number without a trailing `.0` for whole values.
fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{v:.0}") } else { format!("{v:.2}") }
}

fn list(ids: &[String]) -> String {
    let shown: Vec<&str> = ids.iter().take(10).map(|s| s.as_str()).collect();
    format!(
        "{}{}",
        shown.join(", "),
        if ids.len() > 10 { format!(", … ({} in all)", ids.len()) } else { String::new() }
    )
}

/// Every reason found why no solution can satisfy `inst`.
pub fn infeasibility_reasons(inst: &Instance) -> Vec<String> {
    let mut reasons = Vec::new();
    if let Some(p) = inst.p {
        if let Some(lo) = inst.min_open.filter(|&lo| lo > p) {
            reasons.push(format!("p = {p} facilities must open, but at least {lo} must (min_open)"));
        }
        if let Some(hi) = inst.max_open.filter(|&hi| hi < p) {
            reasons.push(format!("p = {p} facilities must open, but at most {hi} may (max_open)"));
        }
        if !reasons.is_empty() {
            return reasons;
        }
    }
    let m = inst.n_facilities();
    let rules = OpenRules::from_instance(inst);
    let mut open = vec![false; m];
    let mut selector = Selector::default();
    let who = |what: &str| match inst.p {
        Some(p) => format!("p = {p} {what}"),
        None => what.to_string(),
    };
    let group_name = |g: usize| inst.groups[g].id.to_string();
    match selector.select_open(&vec![0.0; m], &rules, &mut open) {
        Ok(_) => {}
        Err(SelectError::GroupShort { group, allowed: 0, min }) => reasons.push(format!(
            "group {} needs at least {min} open facilit{} but has no candidate that may open",
            group_name(group),
            if min == 1 { "y" } else { "ies" }
        )),
        Err(SelectError::GroupShort { group, allowed, min }) => reasons.push(format!(
            "group {} needs at least {min} open facilities but only {allowed} of its facilities may open",
            group_name(group)
        )),
        Err(SelectError::GroupOverfull { group, fixed, max }) => reasons.push(format!(
            "group {} has {fixed} facilities that must stay open, more than its maximum of {max}",
            group_name(group)
        )),
        Err(SelectError::TooManyRequired { required, max_open }) => reasons.push(match inst.p {
            Some(p) => format!(
                "p = {p}, but {required} facilities must be open (already open ones and group minimums)"
            ),
            None => format!(
                "{required} facilities must be open (already open ones and group minimums), but at most {max_open} may be"
            ),
        }),
        Err(SelectError::TooFewAllowed { available, min_open }) => reasons.push(match inst.p {
            Some(p) => format!("p = {p} facilities must open, but only {available} may (the others are forbidden or their groups are full)"),
            None => format!("at least {min_open} facilities must open, but only {available} may (the others are forbidden or their groups are full)"),
        }),
    }
    let _ = who;
    let must_serve = inst.unserved_penalty.is_none();
    // Budget: the cheapest admissible opening set (exact: the selection is a greedy-optimal matroid choice).
    if let Some(budget) = inst.budget {
        let charge: Vec<f64> = inst.facilities.iter().map(|f| f.budget_charge()).collect();
        if let Ok(cheapest) = selector.select_open(&charge, &rules, &mut open) {
            let serving: f64 = if must_serve { inst.clients.iter().map(|c| c.budget_cost).sum() } else { 0.0 };
            let need = cheapest + serving;
            if need > budget * (1.0 + 1e-9) + 1e-9 {
                let what = if serving > 0.0 {
                    format!(
                        "the cheapest opening set the rules allow costs {} and serving every client {} more",
                        num(cheapest),
                        num(serving)
                    )
                } else {
                    format!("the cheapest opening set the rules allow costs {}", num(cheapest))
                };
                reasons.push(format!(
                    "{what}: {} in all, over the budget of {} by {}",
                    num(need),
                    num(budget),
                    num(need - budget)
                ));
            }
        }
    }
    if !must_serve {
        return reasons;
    }
    // Clients that no allowed facility can serve (at all, or not whole when single-source).
    let mut stranded = Vec::new();
    let mut too_big = Vec::new();
    for c in 0..inst.n_clients() {
        let mut any = false;
        let mut fits = false;
        let mut largest: f64 = 0.0;
        inst.costs.for_each_link(c, |f, _| {
            let fac = &inst.facilities[f];
            if fac.forbidden {
                return;
            }
            any = true;
            let cap = fac.capacity.unwrap_or(f64::INFINITY);
            largest = largest.max(cap);
            if cap + 1e-9 >= inst.clients[c].demand && fac.max_clients != Some(0) {
                fits = true;
            }
        });
        if !any {
            stranded.push(inst.clients[c].id.to_string());
        } else if inst.single_source && !fits {
            too_big.push(format!(
                "{} (demand {}, largest capacity {})",
                inst.clients[c].id,
                num(inst.clients[c].demand),
                num(largest)
            ));
        }
    }
    if !stranded.is_empty() {
        reasons.push(format!("{} client(s) have no allowed facility at all: {}", stranded.len(), list(&stranded)));
    }
    if !too_big.is_empty() {
        reasons.push(format!(
            "{} client(s) need more than any facility they may use can hold, and each must be served by one facility: {}",
            too_big.len(),
            list(&too_big)
        ));
    }
    // Total capacity of the largest facilities that may be open together.
    let demand: f64 = inst.clients.iter().map(|c| c.demand).sum();
    let k = rules.max_open;
    let allowed: Vec<&crate::problem::Facility> = inst.facilities.iter().filter(|f| !f.forbidden).collect();
    if !allowed.is_empty() && allowed.iter().all(|f| f.capacity.is_some()) {
        let mut caps: Vec<f64> = allowed.iter().map(|f| f.capacity.unwrap_or(0.0)).collect();
        caps.sort_unstable_by(|a, b| b.total_cmp(a));
        let total: f64 = caps.iter().take(k).sum();
        if total + 1e-9 < demand {
            reasons.push(format!(
                "the facilities that may open can hold {} at most{}, below the total demand {} (short by {})",
                num(total),
                if k < allowed.len() { format!(" (the {k} largest)") } else { String::new() },
                num(demand),
                num(demand - total)
            ));
        }
    }
    if !allowed.is_empty() && allowed.iter().all(|f| f.max_clients.is_some()) {
        let mut lim: Vec<u64> = allowed.iter().map(|f| f.max_clients.unwrap_or(0) as u64).collect();
        lim.sort_unstable_by(|a, b| b.cmp(a));
        let total: u64 = lim.iter().take(k).sum();
        if (total as usize) < inst.n_clients() {
            reasons.push(format!(
                "the facilities that may open can serve {total} clients at most, but there are {}",
                inst.n_clients()
            ));
        }
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::{Client, Costs, DenseCosts, ExtId, Facility, Group, Instance, Model};

    fn inst() -> Instance {
        let clients = vec![Client::new(1, 4.0), Client::new(2, 7.0)];
        let facilities = vec![
            Facility { capacity: Some(5.0), ..Facility::new("A", 10.0) },
            Facility { capacity: Some(5.0), ..Facility::new("B", 20.0) },
        ];
        let mut i =
            Instance::new("t", Model::Sscflp, clients, facilities, Costs::Dense(DenseCosts::new(2, 2, vec![1.0; 4])));
        i.single_source = true;
        i
    }

    #[test]
    fn each_reason_is_found_and_worded() {
        let r = infeasibility_reasons(&inst());
        assert!(r.iter().any(|x| x.contains("2 (demand 7, largest capacity 5)")), "{r:?}");
        assert!(r.iter().any(|x| x.contains("can hold 10 at most, below the total demand 11 (short by 1)")), "{r:?}");

        let mut i = inst();
        i.facilities[1].forbidden = true;
        i.groups =
            vec![Group { id: ExtId::from("Alga"), facilities: vec![1usize.into()], min_open: 1, max_open: Some(1) }];
        let r = infeasibility_reasons(&i);
        assert!(r[0].contains("group Alga needs at least 1 open facility but has no candidate that may open"), "{r:?}");

        let mut i = inst();
        i.budget = Some(25.0);
        i.min_open = Some(2);
        let r = infeasibility_reasons(&i);
        assert!(r[0].contains("costs 30: 30 in all, over the budget of 25 by 5"), "{r:?}");

        let mut i = inst();
        i.p = Some(3);
        let r = infeasibility_reasons(&i);
        assert!(r[0].contains("p = 3 facilities must open, but only 2 may"), "{r:?}");

        let mut i = inst();
        i.unserved_penalty = Some(1.0);
        assert!(infeasibility_reasons(&i).is_empty());
    }
}
