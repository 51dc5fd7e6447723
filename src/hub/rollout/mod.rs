//! Multi-year rollout: which hubs open in which year, and when each small
//! school is linked, under yearly budgets and limits on new hubs — planned
//! jointly over the horizon, and beside it one year at a time.
//!
//! The model is written down in `models/README.md` ("Multi-year rollout");
//! symbols as there. Years are indexed `t = 0..T` in the order of
//! `rollout.years`. A new hub opens in one year and stays open; a small school
//! linked in year `t` stays linked in every later year (to the same hub with
//! `stable_links`), and its room is bought in the year it is first linked.
//!
//! The objective is `max-coverage` over the years: the value of a plan is
//! `V = P · SY − KM`, where `SY = Σₜ wₜ · (students linked in year t)` are the
//! weighted student-years and `KM = Σₜ Σ linked nₛₜ · d(h, s)` the student-km
//! summed over the years; `P` (per weighted student-year) exceeds every plan's
//! `KM`, so with whole weights one more student-year always wins.
//!
//! Solvers (all return a [`RolloutDecision`] checked by [`violations`], the
//! referee that shares no code with them):
//! - [`joint`]: the time-expanded instance solved by district decomposition,
//!   a master over the new hubs per year; exact when districts decouple and
//!   the yearly budgets do not bind;
//! - [`mip`]: the time-indexed MIP, exact on small models (and the oracle of
//!   the tests);
//! - [`yearly`]: one year at a time, each year given the earlier ones.

pub mod doc;
pub mod joint;
pub mod mip;
pub mod yearly;

#[cfg(test)]
mod tests;

use std::fmt;

use serde::{Deserialize, Serialize};

use super::inputs::School;
use super::model::HubModel;
use super::scenario::Scenario;
use crate::problem::{ClientIdx, FacilityIdx};

/// The rollout rules of a scenario, one value per year.
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutRules {
    /// Calendar years of the horizon (`rollout.years`), strictly increasing; year index `t` is a position here.
    pub years: Vec<i32>,
    /// Each year's budget (hubs opened plus rooms bought that year), KZT.
    pub budget: Vec<Option<f64>>,
    /// Each year's limit on new hubs.
    pub max_new: Vec<Option<usize>>,
    /// Unspent budget carries to the next year.
    pub carry_over: bool,
    /// `wₜ`: weight of year `t`'s linked students.
    pub weights: Vec<f64>,
    /// A linked small school keeps its hub in every later year (`rollout.stable_links`).
    pub stable_links: bool,
    /// `budget.kzt`: the whole horizon's budget.
    pub total_budget: Option<f64>,
    /// `hubs.max_new`: the whole horizon's new hubs.
    pub total_max_new: Option<usize>,
}

impl RolloutRules {
    /// The rules of a scenario with `[rollout]` (checked when it was loaded).
    pub fn from_scenario(sc: &Scenario) -> Option<RolloutRules> {
        let r = sc.rollout.as_ref()?;
        let n = r.years.len();
        Some(RolloutRules {
            years: r.years.clone(),
            budget: r
                .budget_kzt
                .as_ref()
                .and_then(|b| b.per_year(n))
                .map_or(vec![None; n], |v| v.into_iter().map(Some).collect()),
            max_new: r
                .max_new
                .as_ref()
                .and_then(|b| b.per_year(n))
                .map_or(vec![None; n], |v| v.into_iter().map(Some).collect()),
            carry_over: r.carry_over,
            weights: r.year_weights.clone().filter(|w| w.len() == n).unwrap_or_else(|| vec![1.0; n]),
            stable_links: r.stable_links,
            total_budget: sc.budget.kzt,
            total_max_new: sc.hubs.max_new,
        })
    }

    /// Years in the horizon (`T`).
    pub fn n_years(&self) -> usize {
        self.years.len()
    }

    /// True when every weight is a whole number (then one student-year more
    /// always outweighs any difference in student-km).
    pub fn whole_weights(&self) -> bool {
        self.weights.iter().all(|w| w.fract() == 0.0)
    }
}

/// The rollout model: the single-year model's schools, hubs and links, with
/// students per year and the yearly rules.
#[derive(Debug, Clone)]
pub struct RolloutModel<'a> {
    /// The single-year model: its hubs, small schools and allowed links.
    pub base: &'a HubModel,
    /// The yearly rules.
    pub rules: RolloutRules,
    /// `nₛₜ`: students of client `s` in year `t`.
    pub students: Vec<Vec<f64>>,
    /// `P`: the value of one weighted student-year, above any plan's student-km.
    pub penalty: f64,
    /// District (group) index of each facility, if it has one.
    pub district_of: Vec<Option<usize>>,
}

impl<'a> RolloutModel<'a> {
    /// The rollout model of `base` under `rules`, with each small school's students per year
    /// from its enrolment projections (`students_<year>` columns), else its `students`.
    pub fn new(base: &'a HubModel, rules: RolloutRules, schools: &[School]) -> Self {
        let students: Vec<Vec<f64>> = base
            .client_school
            .iter()
            .map(|&i| rules.years.iter().map(|&y| f64::from(schools[i].students_in(y))).collect())
            .collect();
        Self::with_students(base, rules, students)
    }

    /// A model with the students per year given directly (tests, fixtures).
    pub fn with_students(base: &'a HubModel, rules: RolloutRules, students: Vec<Vec<f64>>) -> Self {
        let max_km: Vec<f64> = base.links.iter().map(|ls| ls.iter().map(|l| l.road_km).fold(0.0, f64::max)).collect();
        let km_total: f64 = students.iter().zip(&max_km).map(|(n, k)| n.iter().sum::<f64>() * k).sum();
        let penalty = (km_total + 1.0).ceil();
        let mut district_of = vec![None; base.instance.n_facilities()];
        for (g, group) in base.instance.groups.iter().enumerate() {
            for &f in &group.facilities {
                district_of[f.index()] = Some(g);
            }
        }
        RolloutModel { base, rules, students, penalty, district_of }
    }

    /// Years in the horizon (`T`).
    pub fn n_years(&self) -> usize {
        self.rules.n_years()
    }

    /// The allowed link of client `c` to facility `f`: its road km.
    pub fn link_km(&self, c: usize, f: usize) -> Option<f64> {
        self.base.links[ClientIdx::new(c)].iter().find(|l| l.facility.index() == f).map(|l| l.road_km)
    }

    /// The value `Σ_{t' ≥ t0} (P·w_t' − km)·n_ct'` of linking client `c` at
    /// `km` from year `t0` on (stable links).
    pub fn link_value_from(&self, c: usize, km: f64, t0: usize) -> f64 {
        (t0..self.n_years()).map(|t| (self.penalty * self.rules.weights[t] - km) * self.students[c][t]).sum()
    }

    /// The most the plan can have spent by the end of year `t` on what year
    /// `t` buys: the year's budget (with `carry_over`, the budgets of every
    /// year so far), and at most the horizon's budget; `None` without a limit.
    pub fn spendable(&self, t: usize) -> Option<f64> {
        let year = match self.rules.budget[t] {
            Some(b) if self.rules.carry_over => Some(b + self.rules.budget[..t].iter().flatten().sum::<f64>()),
            b => b,
        };
        match (year, self.rules.total_budget) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether a purchase of `kzt` fits in year `t` on its own: a hub or a
    /// room that does not is never bought that year, whatever else the plan
    /// does (the solvers leave such options out, which only tightens their
    /// relaxations).
    pub fn affordable(&self, kzt: f64, t: usize) -> bool {
        self.spendable(t).is_none_or(|b| kzt <= b * (1.0 + 1e-12))
    }

    /// Whether candidate `f` can open in year `t`: the year allows a new hub
    /// and the hub's cost fits what the year can spend.
    pub fn can_open(&self, f: usize, t: usize) -> bool {
        let fac = &self.base.instance.facilities[f];
        !fac.fixed_open
            && !fac.forbidden
            && self.rules.max_new[t] != Some(0)
            && self.rules.total_max_new != Some(0)
            && self.affordable(fac.budget_charge(), t)
    }

    /// The best year `t0 ≥ t` to start a stable link of client `c` at `km`
    /// with its room bought in `t0` at `prices[t0]` per tenge (zero: no
    /// price), and that priced value; the earliest year among equals, and
    /// only years whose unpriced value is positive and whose budget fits the
    /// room. `None` when no year is.
    pub fn best_start(&self, c: usize, km: f64, t: usize, prices: &[f64]) -> Option<(usize, f64)> {
        let room = self.base.instance.clients[c].budget_cost;
        let mut best: Option<(usize, f64)> = None;
        for t0 in t..self.n_years() {
            if !self.affordable(room, t0) {
                continue;
            }
            let v = self.link_value_from(c, km, t0);
            let priced = v - prices[t0] * room;
            if v > 0.0 && best.is_none_or(|b| priced > b.1) {
                best = Some((t0, priced));
            }
        }
        best
    }

    /// True when some client's students change over the horizon.
    pub fn students_vary(&self) -> bool {
        self.students.iter().any(|n| n.iter().any(|&v| v != n[0]))
    }
}

/// A rollout plan: when each hub opens and each small school's hub per year.
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutDecision {
    /// Per facility: the year (index) a new hub opens; `None` for existing
    /// hubs (open throughout) and hubs that never open.
    pub opened: Vec<Option<usize>>,
    /// Per client, per year: its hub.
    pub links: Vec<Vec<Option<usize>>>,
}

impl RolloutDecision {
    /// Nothing opened, nothing linked.
    pub fn empty(m: &RolloutModel) -> Self {
        RolloutDecision {
            opened: vec![None; m.base.instance.n_facilities()],
            links: vec![vec![None; m.n_years()]; m.base.instance.n_clients()],
        }
    }

    /// Whether hub `f` is open in year index `t`: an existing hub always, a new one from the year it opens.
    pub fn is_open(&self, m: &RolloutModel, f: usize, t: usize) -> bool {
        m.base.instance.facilities[f].fixed_open || self.opened[f].is_some_and(|y| y <= t)
    }

    /// The year (index) client `c` is first linked.
    pub fn year_linked(&self, c: usize) -> Option<usize> {
        self.links[c].iter().position(Option::is_some)
    }

    /// The single-year decision of the final year: every hub opened by then
    /// and each small school's final hub.
    pub fn final_year(&self, m: &RolloutModel) -> super::Decision {
        let last = m.n_years() - 1;
        super::Decision {
            open: (0..self.opened.len()).map(|f| self.is_open(m, f, last)).collect(),
            assignment: self.links.iter().map(|l| l[last].map(FacilityIdx::new)).collect(),
            modes: None,
        }
    }
}

/// One year of a rollout plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct YearTotals {
    /// The calendar year.
    pub year: i32,
    /// Hubs opened that year.
    pub new_hubs: usize,
    /// Hubs open that year, existing and new.
    pub open_hubs: usize,
    /// Small schools linked to a hub that year, whenever first linked.
    pub linked_small_schools: usize,
    /// Of those, linked for the first time that year (their rooms are bought that year).
    pub newly_linked_small_schools: usize,
    /// Students of the linked small schools that year.
    pub linked_students: u64,
    /// Students × road km of that year's links.
    pub student_km: f64,
    /// Equipment of the hubs opened that year, KZT.
    pub hub_cost_kzt: f64,
    /// Rooms of the small schools first linked that year, KZT.
    pub room_cost_kzt: f64,
    /// `hub_cost_kzt + room_cost_kzt`, KZT.
    pub spend_kzt: f64,
    /// What the year may spend (its budget plus, with `carry_over`, what earlier years left).
    pub available_kzt: Option<f64>,
    /// `wₜ`: weight of that year's linked students in the objective.
    pub weight: f64,
}

/// What a rollout plan achieves.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RolloutTotals {
    /// `SY`: Σₜ wₜ · linked students in year t.
    pub student_years: f64,
    /// `KM`: student-km summed over the years.
    pub student_km: f64,
    /// Hubs opened over the horizon.
    pub new_hubs: usize,
    /// Spending over the horizon, KZT.
    pub spend_kzt: f64,
    /// Each year's totals, in year order.
    pub years: Vec<YearTotals>,
}

/// The totals of a decision (rules are not checked here: see [`violations`]).
pub fn evaluate(m: &RolloutModel, d: &RolloutDecision) -> RolloutTotals {
    let inst = &m.base.instance;
    let mut out = RolloutTotals::default();
    let mut left = 0.0;
    for (t, &year) in m.rules.years.iter().enumerate() {
        let mut y = YearTotals { year, weight: m.rules.weights[t], ..Default::default() };
        for (f, fac) in inst.facilities.iter().enumerate() {
            if d.opened[f] == Some(t) && !fac.fixed_open {
                y.new_hubs += 1;
                y.hub_cost_kzt += fac.budget_charge();
            }
            if d.is_open(m, f, t) {
                y.open_hubs += 1;
            }
        }
        for c in 0..inst.n_clients() {
            if let Some(f) = d.links[c][t] {
                y.linked_small_schools += 1;
                y.linked_students += m.students[c][t] as u64;
                y.student_km += m.students[c][t] * m.link_km(c, f).unwrap_or(f64::NAN);
                if d.year_linked(c) == Some(t) {
                    y.newly_linked_small_schools += 1;
                    y.room_cost_kzt += inst.clients[c].budget_cost;
                }
            }
        }
        y.spend_kzt = y.hub_cost_kzt + y.room_cost_kzt;
        y.available_kzt = m.rules.budget[t].map(|b| if m.rules.carry_over { b + left } else { b });
        left = y.available_kzt.map_or(0.0, |a| a - y.spend_kzt);
        out.student_years += y.weight * y.linked_students as f64;
        out.student_km += y.student_km;
        out.new_hubs += y.new_hubs;
        out.spend_kzt += y.spend_kzt;
        out.years.push(y);
    }
    out
}

/// The objective value `V = P · SY − KM` of totals.
pub fn value(m: &RolloutModel, t: &RolloutTotals) -> f64 {
    m.penalty * t.student_years - t.student_km
}

/// A broken rollout rule, with its code (`R-…`) and the year it breaks in.
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutViolation {
    /// The rule's stable code (`R-…`).
    pub code: &'static str,
    /// The calendar year it breaks in; `None` when the breach belongs to no one year.
    pub year: Option<i32>,
    /// What is wrong, in a sentence.
    pub detail: String,
}

impl fmt::Display for RolloutViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.year {
            Some(y) => write!(f, "{} ({y}): {}", self.code, self.detail),
            None => write!(f, "{}: {}", self.code, self.detail),
        }
    }
}

/// Every rule a rollout plan breaks (empty when it is feasible). The
/// referee of every rollout solver: it reads only the model and the plan.
pub fn violations(m: &RolloutModel, d: &RolloutDecision) -> Vec<RolloutViolation> {
    let inst = &m.base.instance;
    let r = &m.rules;
    let n_years = m.n_years();
    let mut v = Vec::new();
    let mut push = |code: &'static str, t: Option<usize>, detail: String| {
        v.push(RolloutViolation { code, year: t.map(|t| r.years[t]), detail });
    };
    let fid = |f: usize| inst.facilities[f].id.to_string();
    let cid = |c: usize| inst.clients[c].id.to_string();
    if d.opened.len() != inst.n_facilities() || d.links.len() != inst.n_clients() {
        push("R-SHAPE", None, "the plan does not match the model's hubs and small schools".into());
        return v;
    }
    for (f, o) in d.opened.iter().enumerate() {
        let fac = &inst.facilities[f];
        if let Some(t) = *o {
            if t >= n_years {
                push("R-YEAR", None, format!("hub {} opens in year index {t}, outside the horizon", fid(f)));
            } else if fac.fixed_open {
                push("R-EXISTING-OPENED", Some(t), format!("hub {} already exists and cannot open again", fid(f)));
            } else if fac.forbidden {
                push("R-FORBIDDEN", Some(t), format!("hub {} may not open", fid(f)));
            }
        }
    }
    for c in 0..inst.n_clients() {
        if d.links[c].len() != n_years {
            push("R-SHAPE", None, format!("small school {} has links for {} years", cid(c), d.links[c].len()));
            continue;
        }
        for t in 0..n_years {
            let Some(f) = d.links[c][t] else {
                if t > 0 && d.links[c][t - 1].is_some() {
                    push(
                        "R-UNLINKED-LATER",
                        Some(t),
                        format!("small school {} is linked the year before but not now", cid(c)),
                    );
                }
                continue;
            };
            if f >= inst.n_facilities() || m.link_km(c, f).is_none() {
                push("R-LINK-NOT-ALLOWED", Some(t), format!("small school {} may not link to hub {f}", cid(c)));
                continue;
            }
            if !d.is_open(m, f, t) {
                push(
                    "R-HUB-NOT-OPEN",
                    Some(t),
                    format!("small school {} is linked to hub {}, not open that year", cid(c), fid(f)),
                );
            }
            if r.stable_links && t > 0 && d.links[c][t - 1].is_some_and(|g| g != f) {
                push(
                    "R-LINK-MOVED",
                    Some(t),
                    format!("small school {} moves to hub {} (links are stable)", cid(c), fid(f)),
                );
            }
        }
    }
    // Capacities, per year.
    for t in 0..n_years {
        let mut count = vec![0u32; inst.n_facilities()];
        let mut load = vec![0.0f64; inst.n_facilities()];
        for c in 0..inst.n_clients() {
            if let Some(f) = d.links[c].get(t).copied().flatten()
                && f < inst.n_facilities()
            {
                count[f] += 1;
                load[f] += m.students[c][t];
            }
        }
        for (f, fac) in inst.facilities.iter().enumerate() {
            if let Some(k) = fac.max_clients
                && count[f] > k
            {
                push(
                    "R-CAPACITY-SCHOOLS",
                    Some(t),
                    format!("hub {} has {} small schools, at most {k}", fid(f), count[f]),
                );
            }
            if let Some(cap) = fac.capacity
                && load[f] > cap + 1e-9
            {
                push("R-CAPACITY-STUDENTS", Some(t), format!("hub {} has {} students, at most {cap}", fid(f), load[f]));
            }
        }
    }
    // Districts: at most `max` open in any year, at least `min` by the final year.
    for g in &inst.groups {
        for t in 0..n_years {
            let open = g.facilities.iter().filter(|&&f| d.is_open(m, f.index(), t)).count();
            if let Some(hi) = g.max_open
                && open > hi
            {
                push("R-DISTRICT-MAX", Some(t), format!("district `{}` has {open} hubs, at most {hi}", g.id));
            }
            if t + 1 == n_years && open < g.min_open {
                push(
                    "R-DISTRICT-MIN",
                    Some(t),
                    format!("district `{}` has {open} hubs by the final year, needs {}", g.id, g.min_open),
                );
            }
        }
    }
    let totals = evaluate(m, d);
    for (t, y) in totals.years.iter().enumerate() {
        if let Some(k) = r.max_new[t]
            && y.new_hubs > k
        {
            push("R-MAX-NEW-YEAR", Some(t), format!("{} new hubs, at most {k}", y.new_hubs));
        }
        if let Some(a) = y.available_kzt
            && y.spend_kzt > a + 1e-6 * a.abs().max(1.0)
        {
            push("R-BUDGET-YEAR", Some(t), format!("spends KZT {:.0}, may spend {a:.0}", y.spend_kzt));
        }
    }
    if let Some(k) = r.total_max_new
        && totals.new_hubs > k
    {
        push(
            "R-MAX-NEW-TOTAL",
            None,
            format!("{} new hubs over the horizon, at most {k} (`hubs.max_new`)", totals.new_hubs),
        );
    }
    if let Some(b) = r.total_budget
        && totals.spend_kzt > b + 1e-6 * b.abs().max(1.0)
    {
        push(
            "R-BUDGET-TOTAL",
            None,
            format!("spends KZT {:.0} over the horizon, at most {b:.0} (`budget.kzt`)", totals.spend_kzt),
        );
    }
    v
}

/// A rollout plan's quality in student-years, with its bound.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolloutQuality {
    /// `SY` of the plan.
    pub student_years: f64,
    /// No plan has more weighted student-years than this (when known).
    pub bound: Option<f64>,
    /// `bound − student_years`: at most this many more student-years.
    pub gap: Option<f64>,
    /// `gap / bound` (0.01 = 1%), when a bound is known.
    pub relative_gap: Option<f64>,
    /// Coverage proven maximal.
    pub proven: bool,
    /// Student-km over the years, and with proven coverage its lower bound
    /// among plans of that coverage.
    pub student_km: f64,
    /// No plan with this coverage has fewer student-km than this (known only with proven coverage
    /// and whole year weights).
    pub student_km_bound: Option<f64>,
    /// True when no plan with this coverage has fewer student-km.
    pub student_km_proven: bool,
}

/// The quality of a plan with totals `tot` given `upper`, an upper bound on
/// the value `V` of every plan.
pub fn quality(m: &RolloutModel, tot: &RolloutTotals, upper: Option<f64>) -> RolloutQuality {
    let whole = m.rules.whole_weights();
    let km_max: f64 = m.penalty - 1.0;
    // V = P·SY − KM with 0 ≤ KM ≤ km_max < P: SY ≤ (V_ub + KM)/P.
    let bound = upper.map(|u| {
        let b = (u + km_max) / m.penalty;
        let b = if whole { (b - 1e-9 * b.abs().max(1.0)).floor() } else { b };
        b.max(tot.student_years)
    });
    let gap = bound.map(|b| (b - tot.student_years).max(0.0));
    let proven = gap.is_some_and(|g| g < if whole { 0.5 } else { 1e-9 * tot.student_years.max(1.0) });
    let km_bound = match (proven && whole, upper) {
        (true, Some(u)) => Some((m.penalty * tot.student_years - u).max(0.0).min(tot.student_km)),
        _ => None,
    };
    let km_proven = km_bound.is_some_and(|b| tot.student_km - b <= 1e-6 * tot.student_km.max(1.0));
    RolloutQuality {
        student_years: tot.student_years,
        bound,
        gap,
        relative_gap: gap.zip(bound).map(|(g, b)| if b > 0.0 { g / b } else { 0.0 }),
        proven,
        student_km: tot.student_km,
        student_km_bound: km_bound,
        student_km_proven: km_proven,
    }
}

/// What a rollout solver returns.
#[derive(Debug, Clone)]
pub struct RolloutSolved {
    /// The plan.
    pub decision: RolloutDecision,
    /// An upper bound on the value `V` of every plan, when known.
    pub upper: Option<f64>,
    /// Which method made the plan.
    pub method: String,
    /// What the solver chose or found, in plain words (for `plan.json`).
    pub notes: Vec<String>,
}

/// The joint plan and the year-by-year plan of a rollout, with their quality.
#[derive(Debug, Clone)]
pub struct RolloutResult {
    /// The plan made over all years at once (never worse than the year-by-year plan).
    pub joint: RolloutSolved,
    /// What the joint plan achieves, year by year and in all.
    pub joint_totals: RolloutTotals,
    /// The joint plan's quality in student-years, with its bound.
    pub quality: RolloutQuality,
    /// The year-by-year plan, or why there is none (a year alone can make
    /// a later year's rule impossible to meet).
    pub yearly: Result<(RolloutDecision, RolloutTotals), String>,
}

/// Why a rollout could not be planned.
#[derive(Debug, thiserror::Error)]
pub enum RolloutError {
    /// A solve of the rollout (or of one of its years) could not run or return a checked result.
    #[error(transparent)]
    Solve(#[from] crate::solve::SolveError),
    /// No plan meets every rule; the reasons say why.
    #[error("no rollout plan meets every rule:\n  - {}", .0.join("\n  - "))]
    Infeasible(Vec<String>),
    /// A solver returned a plan that breaks a rule: a bug.
    #[error("internal error: the {method} rollout plan breaks rules: {}", .found.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Broken {
        /// The method that made the plan.
        method: String,
        /// Every rule it breaks.
        found: Vec<RolloutViolation>,
    },
}

/// Options of a rollout solve.
#[derive(Debug, Clone)]
pub struct RolloutOptions {
    /// Options of every solve the rollout runs (time limit, seed, threads, MIP backend).
    pub solve: crate::solve::SolveOptions,
    /// Decompose by district when the structure allows.
    pub decompose: bool,
    /// Largest number of time-indexed link variables the MIP is tried on.
    pub mip_max_links: usize,
}

/// The plan of greater value — `b` only when strictly better, so the
/// earlier plan (and its notes) stays on a tie — with the least of the bounds.
fn better_of(m: &RolloutModel, a: Option<RolloutSolved>, b: RolloutSolved) -> RolloutSolved {
    let Some(a) = a else { return b };
    let upper = match (a.upper, b.upper) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    };
    let keep = if value(m, &evaluate(m, &b.decision)) > value(m, &evaluate(m, &a.decision)) + 1e-9 { b } else { a };
    RolloutSolved { upper, ..keep }
}

/// Plans a rollout: jointly (decomposition, else the time-indexed MIP on
/// small models, else the better of the heuristic plans with the best bound
/// known) and year by year.
pub fn plan_rollout(m: &RolloutModel, opts: &RolloutOptions) -> Result<RolloutResult, RolloutError> {
    let yearly = match yearly::plan_year_by_year(m, &opts.solve) {
        Ok(d) => {
            let broken = violations(m, &d);
            if broken.is_empty() {
                let t = evaluate(m, &d);
                Ok((d, t))
            } else {
                Err(format!(
                    "planned one year at a time, a rule breaks: {}",
                    broken.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
                ))
            }
        }
        Err(RolloutError::Infeasible(why)) => Err(why.join(" ")),
        Err(e) => return Err(e),
    };
    let yearly_plan = yearly.as_ref().ok().map(|(d, _)| d.clone());
    let mut notes = Vec::new();
    let target = yearly.as_ref().ok().map(|(_, t)| value(m, t));
    let mut joint = match opts.decompose.then(|| joint::solve_joint(m, &opts.solve, target)).transpose()? {
        Some(joint::Joint::Solved(s)) => Some(s),
        Some(joint::Joint::NotApplicable(why)) => {
            notes.push(why);
            None
        }
        Some(joint::Joint::BudgetBinds { upper, note }) => {
            notes.push(note);
            yearly_plan.clone().map(|decision| RolloutSolved {
                decision,
                upper: Some(upper),
                method: "year-by-year".into(),
                notes: vec![],
            })
        }
        None => None,
    };
    // Proven in student-years and in student-km, or the MIP may do better.
    let needs_mip = joint.as_ref().is_none_or(|j| {
        let q = quality(m, &evaluate(m, &j.decision), j.upper);
        !(q.proven && q.student_km_proven)
    });
    if needs_mip && mip::link_variables(m) <= opts.mip_max_links {
        // The best plan so far (every rule kept) starts the search.
        let start = match (&joint, &yearly) {
            (Some(j), Ok((d, t))) if value(m, t) > value(m, &evaluate(m, &j.decision)) => Some(d),
            (Some(j), _) if violations(m, &j.decision).is_empty() => Some(&j.decision),
            (_, Ok((d, _))) => Some(d),
            _ => None,
        };
        match mip::solve_time_indexed(m, opts.solve.backend, opts.solve.time_limit, start) {
            Ok(Some(s)) => joint = Some(better_of(m, joint, s)),
            Ok(None) => {
                return Err(RolloutError::Infeasible(vec![
                    "the time-indexed MIP proves that no rollout meets every rule".into(),
                ]));
            }
            Err(e) => notes.push(format!("time-indexed MIP: {e}")),
        }
    }
    let mut joint = match (joint, &yearly) {
        (Some(j), _) => j,
        (None, Ok((d, _))) => {
            RolloutSolved { decision: d.clone(), upper: None, method: "year-by-year".into(), notes: vec![] }
        }
        (None, Err(why)) => {
            notes.push(why.clone());
            return Err(RolloutError::Infeasible(notes));
        }
    };
    // Without a bound from the joint solvers (links across districts on a
    // model too large for the MIP), the years apart bound every plan.
    if joint.upper.is_none()
        && let Some(u) = yearly::relaxation_upper(m, &opts.solve)?
    {
        joint.upper = Some(u);
        joint.notes.push(
            "bound from the years apart: each year's single-year model with the new hubs and budgets of the years so far pooled (a relaxation)".into(),
        );
    }
    // The joint plan is never worse than the year-by-year plan.
    if let Ok((d, t)) = &yearly
        && value(m, t) > value(m, &evaluate(m, &joint.decision)) + 1e-9
    {
        joint.decision = d.clone();
        joint.method = format!("{} (year-by-year plan kept: better)", joint.method);
    }
    joint.notes.extend(notes);
    let broken = violations(m, &joint.decision);
    if !broken.is_empty() {
        return Err(RolloutError::Broken { method: joint.method.clone(), found: broken });
    }
    let joint_totals = evaluate(m, &joint.decision);
    let quality = quality(m, &joint_totals, joint.upper);
    Ok(RolloutResult { joint, joint_totals, quality, yearly })
}
