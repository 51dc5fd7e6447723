//! What each new hub of a plan is worth, and the plans the questions about
//! a plan need: the best plan with one hub forbidden, or one school forced.
//!
//! A hub's **regret** is what the plan loses without it: the best plan of
//! the same scenario with the hub added to `hubs.forbid`, compared in the
//! planner's unit (students for `max-coverage`, tenge for `min-cost`,
//! student-km for `min-distance`). Its **runner-up** is the school that the
//! plan without it opens instead (a hub of that plan which the plan does not
//! have; one in the same district first). This is the facility-location
//! reading of the "cost of removing a facility" used in sensitivity analysis
//! of location decisions (e.g. Daskin, *Network and Discrete Location*,
//! 2nd ed., Wiley 2013, ch. 6), computed here by re-solving, not estimated.
//!
//! Both plans carry their own proven bounds, so the regret is exact when
//! both are proven optimal and otherwise bracketed: for a measure to
//! maximise, `value − bound_without ≤ regret ≤ bound − value_without`
//! (mirrored for one to minimise). With the district decomposition each
//! re-solve reuses every district block the plan's solve already computed
//! (the run's [`crate::solve::FrontierCache`]): only the hub's own district
//! and the master over districts are solved again.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::plan_doc::{HubRow, PlanDoc, assemble};
use super::post_solve::{Solved, solve_plan_with};
use super::quality::{Measure, PlanQuality};
use super::scenario::Scenario;
use super::{HubModel, PlanError, PlanRun, School, build_model, solve_options};
use crate::network::progress::{Progress, Stage};
use crate::report::format::thousands;
use crate::solve::SolveOptions;

/// What one new hub of a plan is worth (`hubs[].worth` in `plan.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HubWorth {
    /// How it was found: `exact` (the plan and the plan without the hub are
    /// both proven optimal), `bounded` (one is not: `regret_min` ..
    /// `regret_max` bracket the true regret), `none` (no plan meets the
    /// rules without this hub), `forced` (in `hubs.force`: not valued).
    pub method: String,
    /// The unit of the regret (the plan's measure).
    pub measure: Measure,
    /// What the best plan without this hub loses against the plan, in
    /// `measure` (students fewer, or tenge / student-km more); `None` when
    /// no plan exists without it or the hub is forced.
    pub regret: Option<f64>,
    /// A proven lower end of the true regret (`None`: not known).
    pub regret_min: Option<f64>,
    /// A proven upper end of the true regret (`None`: not known).
    pub regret_max: Option<f64>,
    /// `max-coverage`: the student-km the plan without the hub adds (its
    /// tie-break; negative when it links fewer students over shorter links).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regret_student_km: Option<f64>,
    /// The school the plan without this hub opens in its place (same
    /// district first); `None` when it opens none.
    pub runner_up: Option<String>,
    /// The runner-up's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner_up_name: Option<String>,
    /// The answer in a sentence.
    pub detail: String,
}

impl HubWorth {
    /// The regret for people: `172 students`, `0 students, +1,017 student-km`,
    /// `KZT 12.0 m`; `forced` or `irreplaceable` without one; a bounded
    /// regret with its bracket.
    pub fn regret_text(&self) -> String {
        let m = self.measure;
        let Some(r) = self.regret else {
            return if self.method == "forced" { "forced".into() } else { "irreplaceable".into() };
        };
        let mut t = m.amount(r);
        if let Some(k) = self.regret_student_km.filter(|k| r.abs() < 1e-9 && k.abs() >= 0.5) {
            t.push_str(&format!(", {}{} student-km", if k > 0.0 { "+" } else { "−" }, thousands(k.abs())));
        }
        if self.method == "bounded" {
            match (self.regret_min, self.regret_max) {
                (Some(lo), Some(hi)) => t.push_str(&format!(" (between {} and {})", thousands(lo), thousands(hi))),
                _ => t.push_str(" (not bounded)"),
            }
        }
        t
    }

    /// Order of what is at stake, most first: an irreplaceable or forced
    /// hub, then by regret, then by the student-km tie-break.
    pub fn stake(&self) -> (f64, f64) {
        (self.regret.unwrap_or(f64::INFINITY), self.regret_student_km.unwrap_or(0.0))
    }
}

/// A plan of a variant of the run's scenario (e.g. one more school in
/// `hubs.forbid` or `hubs.force`), solved on the run's inputs with the
/// run's district blocks reused.
pub struct Variant {
    /// The variant scenario.
    pub scenario: Scenario,
    /// Its model.
    pub model: HubModel,
    /// Its solve.
    pub solved: Solved,
    /// Its plan document.
    pub doc: PlanDoc,
}

/// Plans `sc` (a variant of `run`'s scenario) on `run`'s inputs.
pub fn plan_variant(run: &PlanRun, sc: Scenario) -> Result<Variant, PlanError> {
    plan_variant_on(run, sc, None)
}

/// [`plan_variant`] with the schools' own values changed (e.g. one hub's
/// `capacity_small_schools`): `schools` replaces the run's schools, in the
/// same order.
pub fn plan_variant_on(run: &PlanRun, sc: Scenario, schools: Option<Vec<School>>) -> Result<Variant, PlanError> {
    let schools: &[School] = schools.as_deref().unwrap_or(&run.inputs.schools);
    let problems = super::model::hub_choice_problems(&sc, schools);
    if let Some((key, _, message)) = problems.first() {
        return Err(PlanError::Infeasible(vec![format!("{key}: {message}")]));
    }
    let mut model = build_model(&sc, schools, &run.inputs.table)?;
    // The run's penalty per unlinked student still exceeds every plan's
    // student-km when hubs are only forbidden or forced (the links are the
    // run's or fewer); keeping it keeps every other district's block — and
    // so its cached frontier — the same.
    if let (Some(p), Some(_)) = (run.model.penalty_per_student, model.penalty_per_student)
        && sc.links == run.loaded.scenario.links
    {
        model.penalty_per_student = Some(p);
        model.instance.unserved_penalty = Some(p);
    }
    let opts = SolveOptions { frontier_cache: Some(run.frontier_cache.clone()), ..solve_options(&sc) };
    let solved = solve_plan_with(&model, &sc, schools, &opts)?;
    let assembly = super::plan_doc::Assembly { schools, ..super::assembly(&sc, &run.inputs, &model) };
    let doc = assemble(&assembly, &solved.decision, &solved.outcome, solved.notes.clone());
    Ok(Variant { scenario: sc, model, solved, doc })
}

/// The regret of leaving a plan of quality `q` for one of quality `q_without`,
/// with its proven bracket: `(regret, min, max)`.
pub fn regret_between(q: &PlanQuality, q_without: &PlanQuality) -> (f64, Option<f64>, Option<f64>) {
    if q.measure.maximise() {
        let lo = q_without.bound.map(|b| q.value - b);
        let hi = q.bound.map(|b| b - q_without.value);
        (q.value - q_without.value, lo, hi)
    } else {
        let lo = q_without.bound.map(|b| b - q.value);
        let hi = q.bound.map(|b| q_without.value - b);
        (q_without.value - q.value, lo, hi)
    }
}

/// The worth of every new hub of `run`'s plan (not for rollouts), in the
/// order of `run.doc.hubs`, with progress by hub.
pub fn hub_worth(run: &PlanRun, progress: &dyn Progress) -> Result<Vec<Option<HubWorth>>, PlanError> {
    let doc = &run.doc;
    if run.loaded.scenario.rollout.is_some() {
        return Ok(vec![None; doc.hubs.len()]);
    }
    let q = doc.quality();
    let total = doc.hubs.iter().filter(|h| h.status == "new").count();
    // All the re-solves together get about one more `solver.time_limit_s`
    // (a share each, at least half a second): a plan whose budget binds
    // across districts is solved whole, and 13 whole solves must not take
    // 13 times the plan's time. A re-solve cut short is `bounded`, not `exact`.
    let limit = run.loaded.scenario.solver.time_limit_s;
    let each = (limit / total.max(1) as f64).clamp(0.5_f64.min(limit), limit);
    let mut out = Vec::with_capacity(doc.hubs.len());
    progress.begin(Stage::HubWorth, Some(total as u64));
    for h in &doc.hubs {
        if h.status != "new" {
            out.push(None);
            continue;
        }
        out.push(Some(worth_of(run, h, &q, each)?));
        progress.advance(1);
    }
    progress.end();
    Ok(out)
}

/// The worth of new hub `h` of `run`'s plan, whose quality is `q`, its
/// re-solve given `time_limit_s` seconds.
pub fn worth_of(run: &PlanRun, h: &HubRow, q: &PlanQuality, time_limit_s: f64) -> Result<HubWorth, PlanError> {
    let sc = &run.loaded.scenario;
    if sc.hubs.force.contains(&h.school_id) {
        return Ok(unvalued(
            "forced",
            q.measure,
            "in `hubs.force`: a hub by the scenario's decision, not valued".into(),
        ));
    }
    let mut without = sc.clone();
    without.hubs.forbid.push(h.school_id.clone());
    without.solver.time_limit_s = time_limit_s;
    worth_against(&run.doc, q, &h.district, plan_variant(run, without))
}

/// The worth of a hub from the plan and the result of planning without it.
fn worth_against(
    doc: &PlanDoc,
    q: &PlanQuality,
    district: &str,
    without: Result<Variant, PlanError>,
) -> Result<HubWorth, PlanError> {
    let v = match without {
        Ok(v) => v,
        Err(PlanError::Infeasible(reasons)) => return Ok(irreplaceable(q.measure, reasons.join("; "))),
        Err(PlanError::Model(problems)) => return Ok(irreplaceable(q.measure, super::model::join(&problems))),
        Err(e) => return Err(e),
    };
    let qw = v.doc.quality();
    let (regret, lo, hi) = regret_between(q, &qw);
    let exact = q.proven && qw.proven;
    let plan_hubs: BTreeSet<&str> = doc.hubs.iter().map(|h| h.school_id.as_str()).collect();
    let mut added: Vec<&HubRow> = v.doc.hubs.iter().filter(|h| !plan_hubs.contains(h.school_id.as_str())).collect();
    added.sort_by_key(|h| (h.district != district, h.school_id.clone()));
    let runner = added.first();
    let km = (q.measure == Measure::LinkedStudents).then_some(v.doc.totals.student_km - doc.totals.student_km);
    let m = q.measure;
    let loss = if regret.abs() < 1e-9 {
        match km {
            Some(k) if k.abs() >= 0.5 => format!(
                "links as many students over {} student-km {}",
                thousands(k.abs()),
                if k > 0.0 { "more" } else { "fewer" }
            ),
            _ => "loses nothing".to_string(),
        }
    } else if regret > 0.0 {
        format!("loses {}", m.amount(regret))
    } else {
        format!("gains {}", m.amount(-regret))
    };
    let instead = match runner {
        Some(r) => format!("{} ({}, {}) opens instead", r.name, r.school_id, r.district),
        None => "no other hub opens".to_string(),
    };
    let how = if exact { "both plans proven optimal" } else { "bounded: a plan is not proven optimal" };
    Ok(HubWorth {
        method: if exact { "exact" } else { "bounded" }.into(),
        measure: m,
        regret: Some(regret),
        regret_min: if exact { Some(regret) } else { lo },
        regret_max: if exact { Some(regret) } else { hi },
        regret_student_km: km,
        runner_up: runner.map(|r| r.school_id.clone()),
        runner_up_name: runner.map(|r| r.name.clone()),
        detail: format!("without it the plan {loss}; {instead} ({how})"),
    })
}

fn irreplaceable(measure: Measure, why: String) -> HubWorth {
    unvalued("none", measure, format!("no plan meets the rules without it: {why}"))
}

/// A worth without a regret (`forced`, or `none`: no plan without the hub).
fn unvalued(method: &str, measure: Measure, detail: String) -> HubWorth {
    HubWorth {
        method: method.into(),
        measure,
        regret: None,
        regret_min: None,
        regret_max: None,
        regret_student_km: None,
        runner_up: None,
        runner_up_name: None,
        detail,
    }
}

/// The valued hubs of a plan, most at stake first (irreplaceable and forced
/// ones, then by regret, then by the student-km tie-break), ties by district.
pub fn by_stake(hubs: &[HubRow]) -> Vec<(&HubRow, &HubWorth)> {
    let mut rows: Vec<_> = hubs.iter().filter_map(|h| h.worth.as_ref().map(|w| (h, w))).collect();
    rows.sort_by(|a, b| {
        let (x, y) = (a.1.stake(), b.1.stake());
        y.0.total_cmp(&x.0).then(y.1.total_cmp(&x.1)).then(a.0.district.cmp(&b.0.district))
    });
    rows
}

/// Computes the worth of every new hub and writes it into the plan
/// (`hubs[].worth`); returns the seconds it took.
pub fn add_worth(run: &mut PlanRun, progress: &dyn Progress) -> Result<f64, PlanError> {
    let t = std::time::Instant::now();
    let worth = hub_worth(run, progress)?;
    for (h, w) in run.doc.hubs.iter_mut().zip(worth) {
        h.worth = w;
    }
    Ok(t.elapsed().as_secs_f64())
}
