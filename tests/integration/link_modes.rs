//! A plan with link modes and teacher hours, end to end through the
//! outputs: the fixture region planned as today, its links then given modes
//! (`visits` on the road, `online` within the district) and hours by hand.
//! Its CSV files, GeoJSON and report carry the modes; `check-plan` accepts it
//! and rejects it broken; `compare` lists the schools whose mode changed; and
//! a plan without modes has none of it.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{fixture, hubplan, s, text};
use hubplan::hub::plan_doc::{ModeTotal, PlanDoc};
use hubplan::hub::scenario::LinkMode;
use hubplan::hub::write::write_doc_dir;
use hubplan::hub::{LoadedScenario, PlanOptions};
use hubplan::network::progress::Silent;
use hubplan::report::compare::{compare, csv as compare_csv, markdown};
use hubplan::report::html::write_report;
use scraper::{Html, Selector};

/// The fixture scenario with two link modes and 1,000 teacher hours a hub;
/// `unknown_internet`: how the fixture's schools (no `internet` column) count.
fn modal_scenario(dir: &Path, unknown_internet: &str) -> PathBuf {
    let text = format!(
        r#"name = "fixture: link modes"

[data]
schools = "{}"

[hubs]
min_per_district = 1
max_per_district = 2
capacity_small_schools = 4
teacher_hours_per_year = 1000

[small_schools]
max_students = 100

[links]
max_road_km = 100
unknown_internet = "{unknown_internet}"

[[links.modes]]
name = "visits"
reach = "road"
visits_per_year = 12
hours_on_site = 2

[[links.modes]]
name = "online"
reach = "district"
online_hours_per_year = 40
value = 0.8

[budget]
kzt = 1_500_000_000

[solver]
threads = 1
"#,
        fixture("hub").join("schools.csv").display()
    );
    let p = dir.join(format!("modes-{unknown_internet}.toml"));
    fs::write(&p, text).unwrap();
    p
}

struct Plans {
    tmp: tempfile::TempDir,
    /// The fixture plan as today.
    plain: PlanDoc,
    /// The fixture plan with a7 and c2 (out of every hub's road reach) linked too, without modes.
    linked: PlanDoc,
    /// That plan with modes and hours: every other link online, and a7 and c2.
    modal: PlanDoc,
    /// Its directory, written with the library and its report rendered.
    modal_dir: PathBuf,
    /// The plain plan's directory, as `hubplan plan` writes it.
    plain_dir: PathBuf,
}

/// `doc`'s links given modes (`online` for the ids in `online`) and the
/// hours, hub figures and totals that follow, under `sc`.
fn with_modes(doc: &PlanDoc, sc: &hubplan::Scenario, online: &[&str]) -> PlanDoc {
    let mut doc = doc.clone();
    doc.scenario = sc.clone();
    let modes: Vec<LinkMode> = sc.links.effective_modes();
    let mut totals: Vec<ModeTotal> =
        modes.iter().map(|m| ModeTotal { mode: m.name.clone(), ..ModeTotal::default() }).collect();
    let (mut used, mut student_km, mut valued, mut pay) = (0.0, 0.0, 0.0, 0.0);
    for l in &mut doc.links {
        let k = usize::from(online.contains(&l.small_school_id.as_str()));
        let m = &modes[k];
        let hours = m.teacher_hours(if m.visits() { l.minutes } else { 0.0 });
        l.mode = Some(m.name.clone());
        l.teacher_hours = Some(hours);
        let t = &mut totals[k];
        t.linked_small_schools += 1;
        t.linked_students += u64::from(l.students);
        t.teacher_hours += hours;
        if m.visits() {
            t.student_km += f64::from(l.students) * l.road_km;
            student_km += f64::from(l.students) * l.road_km;
        }
        used += hours;
        valued += f64::from(l.students) * m.value;
        pay += m.yearly_cost_kzt;
    }
    for h in &mut doc.hubs {
        h.teacher_hours =
            Some(doc.links.iter().filter(|l| l.hub_id == h.school_id).filter_map(|l| l.teacher_hours).sum());
        h.teacher_hours_available = sc.hubs.teacher_hours_per_year;
    }
    doc.totals.modes = totals;
    doc.totals.teacher_hours = Some(used);
    doc.totals.student_km = student_km;
    doc.totals.valued_students = Some(valued);
    doc.totals.yearly_teacher_pay_kzt = Some(pay);
    doc
}

/// Links unlinked small school `id` to `hub` in `doc`, with the totals that
/// follow (an online link past the roads: no road distance recorded, 0 km).
fn link_by_hand(doc: &mut PlanDoc, sc: &hubplan::Scenario, id: &str, hub: &str) {
    let at = doc.unlinked.iter().position(|u| u.small_school_id == id).unwrap();
    let u = doc.unlinked.remove(at);
    let (room, room_kzt) = sc.room(u.students);
    let mut l = doc.links[0].clone();
    l.small_school_id = id.into();
    l.hub_id = hub.into();
    (l.road_km, l.minutes, l.students, l.room, l.room_kzt) = (0.0, 0.0, u.students, room.into(), room_kzt);
    doc.links.push(l);
    let h = doc.hubs.iter_mut().find(|h| h.school_id == hub).unwrap();
    h.linked_small_schools += 1;
    h.linked_students += u64::from(u.students);
    let t = &mut doc.totals;
    t.linked_small_schools += 1;
    t.unlinked_small_schools -= 1;
    t.linked_students += u64::from(u.students);
    t.room_cost_kzt += room_kzt;
    t.cost_kzt += room_kzt;
}

fn plans() -> Plans {
    let tmp = tempfile::tempdir().unwrap();
    let plain_dir = tmp.path().join("plain");
    let o = hubplan(&["plan", s(&fixture("hub").join("scenario.toml")), "--out", s(&plain_dir)]);
    assert!(o.status.success(), "{}", text(&o));
    let plain = hubplan::hub::verify::read_plan(&plain_dir).unwrap();
    let loaded = LoadedScenario::load(&modal_scenario(tmp.path(), "yes")).unwrap();
    let run = hubplan::plan(
        LoadedScenario::load(&fixture("hub").join("scenario.toml")).unwrap(),
        &PlanOptions::default(),
        &Silent,
    )
    .unwrap();
    let pairs = |d: &PlanDoc| d.links.iter().map(|l| (l.small_school_id.clone(), l.hub_id.clone())).collect::<Vec<_>>();
    assert_eq!(pairs(&run.doc), pairs(&plain));
    let ids: Vec<&str> = plain.links.iter().map(|l| l.small_school_id.as_str()).collect();
    let online: Vec<&str> = ids.iter().copied().step_by(2).collect();
    // a7 and c2, beyond every hub by road, are in reach of the online mode:
    // linked online to the hub of their district with room left.
    let mut plain_linked = plain.clone();
    for (id, hub) in [("a7", "A2"), ("c2", "C1")] {
        link_by_hand(&mut plain_linked, &loaded.scenario, id, hub);
    }
    let mut online = online;
    online.extend(["a7", "c2"]);
    let modal = with_modes(&plain_linked, &loaded.scenario, &online);
    let modal_dir = tmp.path().join("modal");
    write_doc_dir(&modal, &run.inputs.schools, &modal_dir, false, None).unwrap();
    write_report(&modal_dir, None).unwrap();
    Plans { tmp, plain, linked: plain_linked, modal, modal_dir, plain_dir }
}

fn count(doc: &Html, selector: &str) -> usize {
    doc.select(&Selector::parse(selector).unwrap()).count()
}

#[test]
fn a_plan_with_modes_carries_them_into_every_output() {
    let p = plans();
    let online = p.modal.links.iter().filter(|l| l.mode.as_deref() == Some("online")).count();
    let visits = p.modal.links.len() - online;
    assert!(online > 0 && visits > 0);
    // links.csv and hubs.csv: the new columns, last.
    let links = fs::read_to_string(p.modal_dir.join("links.csv")).unwrap();
    let header = links.lines().next().unwrap();
    assert_eq!(header, "small_school_id,hub_id,road_km,minutes,approx,students,room,room_kzt,mode,teacher_hours");
    let mut rows = csv::Reader::from_reader(links.as_bytes());
    for (r, l) in rows.records().map(Result::unwrap).zip(&p.modal.links) {
        assert_eq!(&r[8], l.mode.as_deref().unwrap());
        let hours: f64 = r[9].parse().unwrap();
        assert!((hours - l.teacher_hours.unwrap()).abs() < 1e-3, "{r:?}");
    }
    let hubs = fs::read_to_string(p.modal_dir.join("hubs.csv")).unwrap();
    assert!(hubs.lines().next().unwrap().ends_with(",runner_up_name,teacher_hours,teacher_hours_available"), "{hubs}");
    assert!(hubs.lines().skip(1).all(|l| l.ends_with(",1000")), "{hubs}");
    // plan.geojson: links and small schools name their mode, hubs their hours.
    let gj: serde_json::Value = serde_json::from_slice(&fs::read(p.modal_dir.join("plan.geojson")).unwrap()).unwrap();
    let features = gj["features"].as_array().unwrap();
    let of = |layer: &'static str| features.iter().filter(move |f| f["properties"]["layer"] == layer);
    assert_eq!(of("link").filter(|f| f["properties"]["mode"] == "online").count(), online);
    assert_eq!(of("small_school").filter(|f| f["properties"]["mode"] == "visits").count(), visits);
    assert!(of("hub").all(|f| f["properties"]["teacher_hours_available"] == 1000.0));
    // plan.xlsx: the same columns in the hubs and links sheets, the mode figures in the summary.
    use calamine::{Data, Reader};
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(p.modal_dir.join("plan.xlsx")).unwrap();
    let mut header = |sheet: &str| -> Vec<String> {
        let r = book.worksheet_range(sheet).unwrap();
        r.rows().next().unwrap().iter().map(|c| c.to_string()).collect()
    };
    assert!(header("hubs").ends_with(&["teacher_hours".into(), "teacher_hours_available".into()]));
    assert!(header("links").ends_with(&["mode".into(), "teacher_hours".into()]));
    let links = book.worksheet_range("links").unwrap();
    let modes: Vec<Data> = links.rows().skip(1).map(|r| r[r.len() - 2].clone()).collect();
    let want: Vec<Data> = p.modal.links.iter().map(|l| Data::String(l.mode.clone().unwrap())).collect();
    assert_eq!(modes, want);
    let summary = book.worksheet_range("summary").unwrap();
    let item = |name: &str| summary.rows().find(|r| r[0] == Data::String(name.into())).map(|r| r[1].clone());
    assert_eq!(item("linked small schools (online)"), Some(Data::Float(online as f64)));
    assert_eq!(item("teacher hours"), p.modal.totals.teacher_hours.map(Data::Float));
    // plan.json reads back the same.
    let read = hubplan::hub::verify::read_plan(&p.modal_dir).unwrap();
    for (r, l) in read.links.iter().zip(&p.modal.links) {
        assert_eq!((&r.small_school_id, &r.mode), (&l.small_school_id, &l.mode));
        assert!((r.teacher_hours.unwrap() - l.teacher_hours.unwrap()).abs() < 1e-9);
    }
}

#[test]
fn the_report_dashes_online_links_and_shows_modes_and_teacher_time() {
    let p = plans();
    let html = fs::read_to_string(p.modal_dir.join("report.html")).unwrap();
    let doc = Html::parse_document(&html);
    let online = p.modal.links.iter().filter(|l| l.mode.as_deref() == Some("online")).count();
    // Online links dashed, visiting ones solid, and each in the legend.
    assert_eq!(count(&doc, "svg#map line.link"), p.modal.links.len());
    assert_eq!(count(&doc, "svg#map line.link.online"), online);
    assert_eq!(count(&doc, "svg#map line.link.visits"), p.modal.links.len() - online);
    assert!(html.contains(".link.visits{stroke-dasharray:none}"), "visiting links are solid, approximate or not");
    assert!(html.contains(".link.online{stroke:#8e44ad;stroke-dasharray:6 4}"), "online links are dashed");
    assert_eq!(count(&doc, "svg#map line.key-link.online[stroke-dasharray]"), 1);
    assert_eq!(count(&doc, "svg#map line.key-link:not(.online)"), 1);
    let legend: String = doc.select(&Selector::parse("svg#map text").unwrap()).flat_map(|t| t.text()).collect();
    assert!(legend.contains(&format!("online link: online only ({online})")), "{legend}");
    assert!(html.contains("Dashed lines are the links of a mode without visits"));
    // The per-mode table: one row a mode and the total.
    let rows: Vec<String> = doc
        .select(&Selector::parse("table#modes-table tbody tr").unwrap())
        .map(|r| r.text().collect::<Vec<_>>().join("|"))
        .collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows[0].starts_with("visits|12 visits a year|"), "{rows:?}");
    assert!(rows[1].starts_with(&format!("online|online only, within the district|{online}|")), "{rows:?}");
    assert!(rows[1].ends_with(&format!("|{}|0", online * 40)), "online links: 40 hours each, no student-km: {rows:?}");
    assert!(rows[2].starts_with(&format!("Total|{}|", p.modal.links.len())), "{rows:?}");
    // Each hub's teacher time as a bar, used of available.
    assert_eq!(count(&doc, "table#hubs-table .teacher-bar"), p.modal.hubs.len());
    let h = &p.modal.hubs[0];
    let width = 100.0 * h.teacher_hours.unwrap() / 1000.0;
    assert!(html.contains(&format!("width:{width:.1}%;background:#2a8c82")), "bar of {h:?}");
    assert!(html.contains("Hub teachers") || p.modal.totals.yearly_teacher_pay_kzt == Some(0.0));
}

#[test]
fn a_plan_without_modes_has_none_of_the_new_columns() {
    let p = plans();
    let links = fs::read_to_string(p.plain_dir.join("links.csv")).unwrap();
    assert_eq!(links.lines().next().unwrap(), "small_school_id,hub_id,road_km,minutes,approx,students,room,room_kzt");
    let hubs = fs::read_to_string(p.plain_dir.join("hubs.csv")).unwrap();
    assert!(!hubs.lines().next().unwrap().contains("teacher_hours"));
    let gj = fs::read_to_string(p.plain_dir.join("plan.geojson")).unwrap();
    assert!(!gj.contains("\"mode\"") && !gj.contains("teacher_hours"));
    let plan: serde_json::Value = serde_json::from_slice(&fs::read(p.plain_dir.join("plan.json")).unwrap()).unwrap();
    let rows = |k: &str| plan[k].as_array().unwrap().iter().map(|r| r.as_object().unwrap().clone()).collect::<Vec<_>>();
    assert!(rows("links").iter().all(|l| !l.contains_key("mode") && !l.contains_key("teacher_hours")));
    assert!(
        rows("hubs").iter().all(|h| !h.contains_key("teacher_hours") && !h.contains_key("teacher_hours_available"))
    );
    let totals = plan["totals"].as_object().unwrap();
    for absent in ["modes", "teacher_hours", "valued_students", "yearly_teacher_pay_kzt"] {
        assert!(!totals.contains_key(absent), "totals.{absent} in a plan without modes");
    }
    let html = fs::read_to_string(p.plain_dir.join("report.html")).unwrap();
    for absent in ["modes-table", "teacher-bar", "link online", "key-link", "Teacher hours"] {
        assert!(!html.contains(absent), "{absent} in a report without modes");
    }
    let c = compare(&p.plain, &p.plain);
    assert!(!markdown(&c, "A", "B").contains("link mode"));
    assert!(!String::from_utf8(compare_csv(&c)).unwrap().contains("mode"));
}

#[test]
fn check_plan_accepts_the_modal_plan_and_rejects_it_broken() {
    let p = plans();
    let yes = modal_scenario(p.tmp.path(), "yes");
    let o = hubplan(&["check-plan", s(&yes), s(&p.modal_dir)]);
    assert!(o.status.success(), "{}", text(&o));
    // The fixture's schools have no `internet` column: with `unknown` counting as no
    // connection, every online link breaks the rule.
    let no = modal_scenario(p.tmp.path(), "no");
    let o = hubplan(&["check-plan", s(&no), s(&p.modal_dir)]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let out = text(&o);
    let online = p.modal.links.iter().filter(|l| l.mode.as_deref() == Some("online")).count();
    assert_eq!(out.matches("[V-NO-INTERNET]").count(), online, "{out}");
    assert!(out.contains("needs an internet connection, and the school's internet is `unknown`"), "{out}");
}

#[test]
fn compare_lists_the_schools_whose_mode_changed() {
    let p = plans();
    let loaded = LoadedScenario::load(&modal_scenario(p.tmp.path(), "yes")).unwrap();
    let flipped: Vec<&str> = p.modal.links.iter().take(2).map(|l| l.small_school_id.as_str()).collect();
    let online: Vec<&str> = p
        .modal
        .links
        .iter()
        .filter(|l| (l.mode.as_deref() == Some("online")) != flipped.contains(&l.small_school_id.as_str()))
        .map(|l| l.small_school_id.as_str())
        .collect();
    let b = with_modes(&p.linked, &loaded.scenario, &online);
    let c = compare(&p.modal, &b);
    let changed: Vec<(&str, &str, &str)> =
        c.mode_changed.iter().map(|m| (m.small_school_id.as_str(), m.from_mode.as_str(), m.to_mode.as_str())).collect();
    assert_eq!(changed, vec![(flipped[0], "online", "visits"), (flipped[1], "visits", "online")]);
    assert!(c.moved.is_empty() && !c.same_plan());
    let md = markdown(&c, "A", "B");
    assert!(md.contains("## Small schools whose link mode changed (2)"), "{md}");
    assert!(md.contains(&format!("| {} | ", flipped[0])) && md.contains("| online | visits |"), "{md}");
    assert!(md.contains("`modes.online.linked_small_schools`"), "{md}");
    let table = String::from_utf8(compare_csv(&c)).unwrap();
    assert_eq!(table.lines().filter(|l| l.starts_with("mode-changed,")).count(), 2, "{table}");
    // From the plan without modes, every link was by road.
    let c = compare(&p.linked, &p.modal);
    assert_eq!(c.mode_changed.len(), p.modal.links.len());
    let c = compare(&p.plain, &p.modal);
    assert_eq!((c.mode_changed.len(), c.newly_linked.len()), (p.plain.links.len(), 2));
    assert!(c.mode_changed.iter().all(|m| m.from_mode == "road"));
}
