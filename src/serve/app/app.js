// hubplan workbench: plain JavaScript, no libraries, nothing fetched but this server's API.
'use strict';

const TOKEN = new URLSearchParams(location.search).get('token');
const COLORS = { existing: '#1f3a68', new: '#d97706', linked: '#2a8c82', link: '#5f86ad', add: '#15803d', drop: '#c62828' };
const REASONS = {
  'no-hub-in-reach': ['no hub within reach', '#c62828'],
  'hubs-full': ['reachable hubs full', '#7b3fa0'],
  'budget': ['over budget', '#d63384'],
  'district-limit': ['district hub limit', '#a68a00'],
  'new-hub-limit': ['new-hub limit', '#8d5524'],
  'not-chosen': ['not chosen', '#7f8c8d'],
};
const DOWNLOADS = ['plan.xlsx', 'report.html', 'hubs.csv', 'links.csv', 'unlinked.csv', 'plan.geojson', 'plan.json'];
const SVGNS = 'http://www.w3.org/2000/svg';

const S = {
  scenarios: [], scenario: null, mapData: null, edits: {}, force: new Set(), forbid: new Set(),
  runs: [], shown: null, mapCache: {}, sweep: null,
};

// ---------- helpers ----------
const $ = (sel) => document.querySelector(sel);
function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}
function md(s) { return esc(s).replace(/`([^`]+)`/g, '<code>$1</code>').replace(/\*([^*]+)\*/g, '<i>$1</i>'); }
const int = (v) => (v == null ? '–' : Math.round(v).toLocaleString('en-US'));
const bn = (v) => (v == null ? '–' : (v / 1e9).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
const mkzt = (v) => (v == null ? '–' : Math.round(v / 1e6).toLocaleString('en-US'));
const km = (v) => (v == null ? '–' : v.toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 }));
const pct = (a, b) => (b > 0 ? (100 * a / b).toFixed(1) + '%' : '–');
function el(tag, attrs = {}, parent) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

async function api(path, opts = {}) {
  const headers = Object.assign({}, opts.headers || {});
  if (TOKEN) headers.Authorization = 'Bearer ' + TOKEN;
  const r = await fetch(path, Object.assign({}, opts, { headers }));
  let body = null;
  try { body = await r.json(); } catch (_) { /* not JSON */ }
  if (!r.ok) {
    const e = new Error((body && body.error && body.error.message) || r.statusText);
    e.body = body && body.error; e.status = r.status;
    throw e;
  }
  return body;
}
const fileUrl = (id, name) => `/api/runs/${encodeURIComponent(id)}/files/${name}` + (TOKEN ? `?token=${encodeURIComponent(TOKEN)}` : '');

function problemsHtml(err, title) {
  const b = err.body || { message: err.message, problems: [] };
  let h = `<div class="problems"><h4>${esc(title || 'Cannot use this input')}</h4><div>${esc(b.message)} <span class="hint">[${esc(b.code || err.status || '')}]</span></div>`;
  if (b.problems && b.problems.length) {
    h += '<table class="t problem-list"><thead><tr><th>file</th><th>where</th><th>field</th><th>problem</th><th>code</th></tr></thead><tbody>';
    for (const p of b.problems) {
      const where = p.row != null ? `row ${p.row}` : p.key ? `key ${p.key}` + (p.line ? ` (line ${p.line})` : '') : p.feature != null ? `feature ${p.feature}` : p.line ? `line ${p.line}` : '';
      h += `<tr data-row="${p.row ?? ''}"><td>${esc(p.file)}</td><td>${esc(where)}</td><td>${esc(p.field || '')}</td><td>${esc(p.message)}</td><td>${esc(p.code)}</td></tr>`;
    }
    h += '</tbody></table>';
  }
  return h + '</div>';
}

function setLabel(set) {
  const parts = Object.entries(set || {}).map(([k, v]) => `${k}=${Array.isArray(v) ? v.length + ' ids' : typeof v === 'number' && Math.abs(v) >= 1e6 ? v.toExponential(3).replace(/\.?0+e/, 'e').replace('e+', 'e') : v}`);
  return parts.length ? parts.join(', ') : 'as written';
}
function runLabel(r) {
  const name = (r.summary && r.summary.name) || r.scenario;
  return `${r.id} · ${name} · ${setLabel(r.set)}`;
}

// ---------- tabs ----------
function showTab(name) {
  document.querySelectorAll('nav.tabs button').forEach((b) => b.classList.toggle('active', b.dataset.tab === name));
  document.querySelectorAll('section.tab').forEach((s) => { s.hidden = s.id !== 'tab-' + name; });
}
document.querySelectorAll('nav.tabs button').forEach((b) => b.addEventListener('click', () => showTab(b.dataset.tab)));

// ---------- map ----------
function projector(mapData, extra, width = 1000) {
  const pts = [];
  if (mapData && mapData.districts) for (const d of mapData.districts) for (const poly of d.polygons) for (const ring of poly) for (const c of ring) pts.push(c);
  if (!pts.length && mapData) for (const s of mapData.schools) pts.push([s.lon, s.lat]);
  for (const p of extra || []) pts.push(p);
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of pts) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  if (!isFinite(x0)) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
  const kx = Math.cos(((y0 + y1) / 2) * Math.PI / 180);
  const m = 14;
  const scale = (width - 2 * m) / Math.max((x1 - x0) * kx, 1e-6);
  const height = Math.max(200, (y1 - y0) * scale + 2 * m);
  return { width, height, x: (lon) => m + (lon - x0) * kx * scale, y: (lat) => m + (y1 - lat) * scale, scale };
}

function drawBase(svg, mapData, proj) {
  svg.innerHTML = '';
  svg.setAttribute('viewBox', `0 0 ${proj.width} ${proj.height.toFixed(0)}`);
  const g = el('g', { class: 'districts' }, svg);
  const labels = el('g', {}, svg);
  if (mapData && mapData.districts) {
    for (const d of mapData.districts) {
      let path = '';
      let best = null;
      for (const poly of d.polygons) {
        for (const ring of poly) {
          path += 'M' + ring.map(([x, y]) => `${proj.x(x).toFixed(1)},${proj.y(y).toFixed(1)}`).join('L') + 'Z';
          if (!best || ring.length > best.length) best = ring;
        }
      }
      const p = el('path', { d: path, class: 'district' }, g);
      el('title', {}, p).textContent = d.name;
      if (best) {
        const cx = best.reduce((a, c) => a + c[0], 0) / best.length;
        const cy = best.reduce((a, c) => a + c[1], 0) / best.length;
        el('text', { x: proj.x(cx).toFixed(1), y: proj.y(cy).toFixed(1), class: 'district-label' }, labels).textContent = d.name;
      }
    }
  }
  return el('g', {}, svg);
}

function hubShape(parent, x, y, fill, cls, title, r = 6.5) {
  const c = el('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r, fill, stroke: '#fff', 'stroke-width': 1.6, class: cls }, parent);
  if (title) el('title', {}, c).textContent = title;
  return c;
}

function legend(target, items) {
  target.innerHTML = items.map(([label, draw]) => `<span><svg viewBox="0 0 14 14">${draw}</svg>${esc(label)}</span>`).join('');
}
const dotSym = (fill, r = 4, stroke = '#fff') => `<circle cx="7" cy="7" r="${r}" fill="${fill}" stroke="${stroke}" stroke-width="1.2"/>`;

async function mapFor(scenario) {
  if (!S.mapCache[scenario]) S.mapCache[scenario] = api('/api/map?scenario=' + encodeURIComponent(scenario)).catch((e) => { delete S.mapCache[scenario]; throw e; });
  return S.mapCache[scenario];
}

// ---------- scenarios ----------
async function loadScenarios() {
  S.scenarios = await api('/api/scenarios');
  const ul = $('#scenarios');
  ul.innerHTML = '';
  for (const s of S.scenarios) {
    const li = document.createElement('li');
    li.dataset.path = s.path;
    li.innerHTML = `${esc(s.name)}<span class="p">${esc(s.path)}${s.rollout ? ' · rollout' : ''}${s.valid ? '' : ' · <span class="err">has errors</span>'}</span>`;
    li.addEventListener('click', () => openScenario(s.path));
    ul.appendChild(li);
  }
}

async function openScenario(path) {
  document.querySelectorAll('#scenarios li').forEach((li) => li.classList.toggle('active', li.dataset.path === path));
  showTab('scenario');
  $('#upload-problems').innerHTML = '';
  const detail = await api('/api/scenarios/' + path);
  S.scenario = detail; S.edits = {};
  // Hubs the file already forces or forbids (keys of main's scenario schema, when it has them).
  const ids = (key) => { const k = detail.keys.find((x) => x.key === key); const v = k ? k.value : null; return v == null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]; };
  S.force = new Set(ids('hubs.force')); S.forbid = new Set(ids('hubs.forbid'));
  S.forceAsWritten = [...S.force].sort().join('\n'); S.forbidAsWritten = [...S.forbid].sort().join('\n');
  $('#sc-empty').hidden = true; $('#sc-body').hidden = false;
  $('#sc-title').textContent = detail.name;
  $('#sc-path').textContent = detail.path;
  $('#sw-scenario').textContent = detail.path;
  $('#run-progress').hidden = true;
  const probs = detail.problems.map((b) => problemsHtml({ body: b }, 'Data errors: fix these before running')).join('');
  $('#sc-problems').innerHTML = probs;
  renderForm(detail);
  $('#sc-toml').value = detail.text;
  fillSweepKeys(detail);
  S.mapData = null;
  try {
    S.mapData = await mapFor(detail.path);
  } catch (e) {
    if (!detail.problems.length) $('#sc-problems').innerHTML += problemsHtml(e, 'The map cannot be drawn');
  }
  drawScenarioMap();
}

function typedValue(k, raw) {
  raw = raw.trim();
  if (k.kind === 'boolean') return raw === '' ? null : raw === 'true';
  if (raw === '') return null;
  if (k.kind === 'integer' || k.kind === 'number') {
    const n = Number(raw.replace(/[_,\s]/g, ''));
    return Number.isFinite(n) ? n : raw; // a word stays a word: the server names the key
  }
  if (k.kind === 'list') { try { return JSON.parse(raw); } catch (_) { return raw; } }
  return raw;
}
function shownValue(k, v) {
  if (v == null) return '';
  if (k.kind === 'list') return JSON.stringify(v);
  return String(v);
}

function renderForm(detail) {
  const form = $('#sc-form');
  form.innerHTML = '';
  const sections = {};
  for (const k of detail.keys) {
    const sec = k.section || 'scenario';
    if (k.key === 'hubs.force' || k.key === 'hubs.forbid') continue; // set by clicking the map
    if (k.key === 'links.modes') continue; // tables: edited in the TOML text
    (sections[sec] = sections[sec] || []).push(k);
  }
  for (const [sec, keys] of Object.entries(sections)) {
    const fs = document.createElement('fieldset');
    const title = { scenario: 'scenario', data: 'data files', hubs: 'hubs', small_schools: 'small schools', links: 'links', budget: 'budget', objective: 'objective', solver: 'solver', rollout: 'rollout (multi-year)' }[sec] || sec;
    fs.innerHTML = `<legend>${esc(title)}</legend>`;
    for (const k of keys) {
      const id = 'key-' + k.key.replace(/[._]/g, '-');
      const row = document.createElement('div');
      row.className = 'key';
      let input;
      if (k.kind === 'boolean' || k.kind === 'choice') {
        const opts = k.kind === 'boolean' ? ['true', 'false'] : k.choices;
        input = `<select id="${id}"><option value="">(default)</option>${opts.map((o) => `<option>${esc(o)}</option>`).join('')}</select>`;
      } else {
        input = `<input id="${id}" type="text" ${k.kind === 'number' || k.kind === 'integer' ? 'inputmode="decimal"' : ''} placeholder="${esc(k.default == null ? k.default_text : shownValue(k, k.default))}">`;
      }
      row.innerHTML = `<label for="${id}">${esc(k.key)}</label>${input}<div class="doc">${md(k.doc)} <span class="def">Default: ${md(k.default_text)}.</span></div>`;
      fs.appendChild(row);
      const inp = row.querySelector('input,select');
      inp.value = shownValue(k, k.value);
      inp.dataset.key = k.key;
      const onChange = () => {
        const v = typedValue(k, inp.value);
        if (JSON.stringify(v) === JSON.stringify(k.value ?? null)) delete S.edits[k.key]; else S.edits[k.key] = v;
        row.classList.toggle('changed', k.key in S.edits);
        showChanged();
      };
      inp.addEventListener('input', onChange);
      inp.addEventListener('change', onChange);
    }
    form.appendChild(fs);
  }
  showChanged();
}

/** The edited TOML text, when it differs from the file's. */
function editedToml() {
  const t = $('#sc-toml').value;
  return S.scenario && t !== S.scenario.text ? t : null;
}
$('#sc-toml').addEventListener('input', () => showChanged());

function showChanged() {
  const n = Object.keys(runSet()).length + (editedToml() != null ? 1 : 0);
  $('#sc-changed').textContent = n ? `${n} change${n > 1 ? 's' : ''} to the file` : '';
}
$('#reset-btn').addEventListener('click', () => { if (S.scenario) openScenario(S.scenario.path); });

function drawScenarioMap() {
  const svg = $('#sc-map');
  const data = S.mapData;
  if (!data) { svg.innerHTML = ''; return; }
  const proj = projector(data);
  const g = drawBase(svg, data, proj);
  for (const s of data.schools) {
    if (s.hub !== 'no') continue;
    el('circle', { cx: proj.x(s.lon).toFixed(1), cy: proj.y(s.lat).toFixed(1), r: s.small ? 2.2 : 1.6, fill: s.small ? '#8fb8b3' : '#b9bec7' }, g);
  }
  for (const s of data.schools) {
    if (s.hub === 'no') continue;
    const forced = S.force.has(s.id), forbidden = S.forbid.has(s.id);
    const fill = forced ? COLORS.add : forbidden ? COLORS.drop : s.hub === 'existing' ? COLORS.existing : '#fff';
    const c = el('circle', { cx: proj.x(s.lon).toFixed(1), cy: proj.y(s.lat).toFixed(1), r: forced || forbidden ? 6 : 4.2, fill, stroke: s.hub === 'existing' ? '#fff' : forced ? '#fff' : forbidden ? '#fff' : '#5b6778', 'stroke-width': 1.3, class: 'pick school-' + s.hub, 'data-id': s.id }, g);
    el('title', {}, c).textContent = `${s.name} (${s.id}) · ${s.district} · ${s.students} students · ${s.hub === 'existing' ? 'existing hub' : 'hub candidate'}${forced ? ' · FORCED' : forbidden ? ' · FORBIDDEN' : ''}`;
    c.addEventListener('click', () => {
      if (S.force.has(s.id)) { S.force.delete(s.id); S.forbid.add(s.id); } else if (S.forbid.has(s.id)) S.forbid.delete(s.id); else S.force.add(s.id);
      drawScenarioMap(); showChanged();
    });
  }
  legend($('#sc-legend'), [
    ['hub candidate', dotSym('#fff', 4, '#5b6778')], ['existing hub', dotSym(COLORS.existing)],
    ['forced hub', dotSym(COLORS.add)], ['forbidden', dotSym(COLORS.drop)],
    ['small school', dotSym('#8fb8b3', 2.5, 'none')], ['other school', dotSym('#b9bec7', 2, 'none')],
  ]);
  const chip = (id, cls) => `<span class="chip ${cls}">${cls === 'force' ? 'force' : 'forbid'} ${esc(id)}</span>`;
  $('#force-list').innerHTML = [...S.force].map((i) => chip(i, 'force')).join('') + [...S.forbid].map((i) => chip(i, 'forbid')).join('');
}

/** The form's changes, with the map's forced and forbidden hubs when they differ from the file's. */
function runSet() {
  const set = Object.assign({}, S.edits);
  if ([...S.force].sort().join('\n') !== S.forceAsWritten) set['hubs.force'] = [...S.force];
  if ([...S.forbid].sort().join('\n') !== S.forbidAsWritten) set['hubs.forbid'] = [...S.forbid];
  return set;
}

$('#run-btn').addEventListener('click', async () => {
  if (!S.scenario) return;
  const btn = $('#run-btn');
  btn.disabled = true;
  const probs = $('#sc-problems');
  const keep = S.scenario.problems.map((b) => problemsHtml({ body: b }, 'Data errors: fix these before running')).join('');
  probs.innerHTML = keep;
  try {
    const r = await api('/api/runs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(Object.assign({ scenario: S.scenario.path, set: runSet() }, editedToml() != null ? { toml: editedToml() } : {})) });
    refreshRuns();
    const done = await follow(r.id, $('#run-progress'));
    if (done.status === 'done') await showRun(done.id);
    else probs.innerHTML = keep + problemsHtml({ body: done.error }, 'The run failed');
  } catch (e) {
    probs.innerHTML = keep + problemsHtml(e, 'The run was refused');
  } finally {
    btn.disabled = false;
  }
});

/** Polls a run until it ends, drawing its progress. */
async function follow(id, box) {
  if (box) box.hidden = false;
  for (;;) {
    const r = await api('/api/runs/' + encodeURIComponent(id));
    if (box) {
      box.querySelector('.bar div').style.width = (100 * r.progress.fraction).toFixed(0) + '%';
      box.querySelector('.phase').textContent = `${r.status} · ${r.progress.phase}`;
    }
    if (r.status === 'done' || r.status === 'failed') { refreshRuns(); return r; }
    await new Promise((res) => setTimeout(res, 400));
  }
}

// ---------- runs ----------
async function refreshRuns() {
  try { S.runs = await api('/api/runs'); } catch (e) { return; }
  const ul = $('#runs');
  ul.innerHTML = '';
  for (const r of S.runs) {
    const li = document.createElement('li');
    li.dataset.id = r.id;
    li.classList.toggle('active', r.id === S.shown);
    const fig = r.summary ? `${int(r.summary.linked_students)} students · KZT ${bn(r.summary.cost_kzt)} bn` : r.status === 'failed' ? `<span class="err">${esc(r.error ? r.error.code : 'failed')}</span>` : esc(r.progress.phase);
    li.innerHTML = `<span class="dot ${r.status}"></span><span>${esc((r.summary && r.summary.name) || r.scenario)}<span class="p">${esc(setLabel(r.set))}</span><span class="p">${fig} · ${esc(r.created.slice(11, 16))} UTC · ${esc(r.id)}${r.sweep ? ' · sweep' : ''}</span></span>`;
    li.addEventListener('click', () => showRun(r.id));
    ul.appendChild(li);
  }
  const done = S.runs.filter((r) => r.status === 'done');
  for (const [sel, pick] of [['#cmp-a', 1], ['#cmp-b', 0]]) {
    const s = $(sel);
    const prev = s.value;
    s.innerHTML = done.map((r) => `<option value="${esc(r.id)}">${esc(runLabel(r))}</option>`).join('');
    if (prev && done.some((r) => r.id === prev)) s.value = prev;
    else if (done[pick]) s.value = done[pick].id;
  }
  $('#server-status').textContent = `${S.scenarios.length} scenarios · ${S.runs.length} runs`;
  if (S.sweep) drawSweep();
}

async function showRun(id) {
  S.shown = id;
  document.querySelectorAll('#runs li').forEach((li) => li.classList.toggle('active', li.dataset.id === id));
  showTab('result');
  const r = await api('/api/runs/' + encodeURIComponent(id));
  $('#res-empty').hidden = true; $('#res-body').hidden = false;
  $('#res-title').textContent = (r.summary && r.summary.name) || r.scenario;
  $('#res-sub').textContent = `run ${r.id} · ${r.scenario} · ${setLabel(r.set)} · ${r.created}${r.elapsed_s != null ? ` · ${r.elapsed_s.toFixed(1)} s` : ''}`;
  const dl = $('#res-downloads');
  dl.innerHTML = DOWNLOADS.filter((f) => r.files.includes(f)).map((f) => `<a class="btn${f === 'plan.xlsx' ? ' main' : ''}" data-file="${f}" href="${fileUrl(r.id, f)}" ${f === 'report.html' ? 'target="_blank"' : 'download'}>${f}</a>`).join('');
  if (r.status !== 'done') {
    $('#res-error').innerHTML = r.status === 'failed' ? problemsHtml({ body: r.error }, 'The run failed') : `<p class="hint">This run is ${esc(r.status)} (${esc(r.progress.phase)}).</p>`;
    for (const s of ['#res-figures', '#res-budget', '#res-hist', '#res-districts', '#res-unlinked', '#res-legend']) $(s).innerHTML = '';
    $('#res-quality').textContent = '';
    $('#result-map').innerHTML = '';
    if (r.status !== 'failed') { await follow(r.id); if (S.shown === id) showRun(id); }
    return;
  }
  $('#res-error').innerHTML = '';
  const plan = r.plan;
  let mapData = null;
  try { mapData = await mapFor(r.scenario); } catch (_) { /* the plan alone still draws */ }
  renderResult(r, plan, mapData);
}

function figure(v, l, d) { return `<div class="figure"><div class="v">${v}</div><div class="l">${esc(l)}</div>${d ? `<div class="d">${d}</div>` : ''}</div>`; }

function renderResult(r, plan, mapData) {
  const t = plan.totals;
  $('#res-figures').innerHTML = [
    figure(int(t.hubs), 'hub schools', `${int(t.new_hubs)} new · ${int(t.hubs - t.new_hubs)} existing`),
    figure(`${int(t.linked_small_schools)} <small>/ ${int(t.small_schools)}</small>`, 'small schools linked', pct(t.linked_small_schools, t.small_schools)),
    figure(int(t.linked_students), 'students in linked small schools', `of ${int(t.small_school_students)} (${pct(t.linked_students, t.small_school_students)})`),
    figure(`${bn(t.cost_kzt)}`, 'cost, billion KZT', t.budget_kzt != null ? `of ${bn(t.budget_kzt)} budget (${pct(t.cost_kzt, t.budget_kzt)})` : 'no budget limit'),
    figure(km(t.mean_km), 'mean link, road km', `longest ${km(t.max_km)} km`),
  ].join('');
  $('#res-quality').textContent = (r.summary && r.summary.quality) || '';
  drawPlanMap($('#result-map'), plan, mapData);
  legend($('#res-legend'), [
    ['new hub', dotSym(COLORS.new, 5)], ['existing hub', dotSym(COLORS.existing, 5)], ['linked small school', dotSym(COLORS.linked, 3, 'none')],
    ['link', `<line x1="1" y1="7" x2="13" y2="7" stroke="${COLORS.link}" stroke-width="2"/>`],
    ...Object.entries(REASONS).filter(([k]) => plan.unlinked.some((u) => u.reason === k)).map(([, [label, c]]) => ['unlinked: ' + label, `<circle cx="7" cy="7" r="3.5" fill="none" stroke="${c}" stroke-width="1.6"/>`]),
  ]);
  // Budget.
  const b = t.budget_kzt;
  const whole = Math.max(b || 0, t.cost_kzt) || 1;
  $('#res-budget').innerHTML = `<div class="budgetbar"><div style="width:${100 * t.hub_cost_kzt / whole}%;background:${COLORS.new}" title="hubs"></div><div style="width:${100 * t.room_cost_kzt / whole}%;background:${COLORS.linked}" title="rooms"></div></div>
    <table class="t"><thead><tr><th></th><th class="n">million KZT</th></tr></thead><tr><td><span class="reason" style="background:${COLORS.new}"></span>new hubs</td><td class="n">${mkzt(t.hub_cost_kzt)}</td></tr>
    <tr><td><span class="reason" style="background:${COLORS.linked}"></span>rooms in small schools</td><td class="n">${mkzt(t.room_cost_kzt)}</td></tr>
    <tr class="total"><td>spent</td><td class="n">${mkzt(t.cost_kzt)}</td></tr>
    <tr><td>budget</td><td class="n">${b != null ? mkzt(b) : 'no limit'}</td></tr>
    <tr><td>hub visits, each year</td><td class="n">${mkzt(t.yearly_visit_cost_kzt)}</td></tr></table>`;
  $('#res-hist').innerHTML = histogram(plan.links.map((l) => l.road_km), plan.scenario.links.max_road_km);
  // Districts.
  let h = '<table class="t"><thead><tr><th>district</th><th class="n">hubs</th><th class="n">new</th><th class="n">linked / small</th><th class="n">students linked</th><th class="n">mean km</th><th class="n">max km</th><th class="n">cost, M KZT</th></tr></thead><tbody>';
  for (const d of plan.districts) {
    h += `<tr><td>${esc(d.district)}</td><td class="n">${d.hubs}</td><td class="n">${d.new_hubs}</td><td class="n">${d.linked_small_schools} / ${d.small_schools}</td><td class="n">${int(d.linked_students)}</td><td class="n">${km(d.mean_km)}</td><td class="n">${km(d.max_km)}</td><td class="n">${mkzt(d.cost_kzt)}</td></tr>`;
  }
  h += `<tr class="total"><td>total</td><td class="n">${t.hubs}</td><td class="n">${t.new_hubs}</td><td class="n">${t.linked_small_schools} / ${t.small_schools}</td><td class="n">${int(t.linked_students)}</td><td class="n">${km(t.mean_km)}</td><td class="n">${km(t.max_km)}</td><td class="n">${mkzt(t.cost_kzt)}</td></tr></tbody></table>`;
  $('#res-districts').innerHTML = h;
  // Unlinked.
  const counts = {};
  for (const u of plan.unlinked) counts[u.reason] = (counts[u.reason] || 0) + 1;
  let u = `<p>${int(plan.unlinked.length)} small schools unlinked: ${Object.entries(counts).map(([k, n]) => `<span class="reason" style="background:${(REASONS[k] || ['', '#999'])[1]}"></span>${esc((REASONS[k] || [k])[0])} ${n}`).join(' · ') || 'none'}</p>`;
  if (plan.unlinked.length) {
    u += '<table class="t"><thead><tr><th>school</th><th>district</th><th class="n">students</th><th>reason</th><th>detail</th></tr></thead><tbody>';
    for (const x of plan.unlinked.slice(0, 40)) {
      const [label, c] = REASONS[x.reason] || [x.reason, '#999'];
      u += `<tr><td>${esc(x.name)}</td><td>${esc(x.district)}</td><td class="n">${x.students}</td><td><span class="reason" style="background:${c}"></span>${esc(label)}</td><td class="hint">${esc(x.detail)}</td></tr>`;
    }
    u += '</tbody></table>';
    if (plan.unlinked.length > 40) u += `<div class="more">… and ${plan.unlinked.length - 40} more in unlinked.csv</div>`;
  }
  $('#res-unlinked').innerHTML = u;
}

function drawPlanMap(svg, plan, mapData) {
  const extra = plan.hubs.map((h) => [h.lon, h.lat]);
  const proj = projector(mapData, extra);
  const g = drawBase(svg, mapData, proj);
  const where = {};
  if (mapData) for (const s of mapData.schools) where[s.id] = s;
  for (const h of plan.hubs) where[h.school_id] = { lat: h.lat, lon: h.lon };
  const links = el('g', { class: 'links' }, g);
  for (const l of plan.links) {
    const a = where[l.small_school_id], b = where[l.hub_id];
    if (!a || !b) continue;
    el('line', { x1: proj.x(a.lon).toFixed(1), y1: proj.y(a.lat).toFixed(1), x2: proj.x(b.lon).toFixed(1), y2: proj.y(b.lat).toFixed(1), stroke: COLORS.link, 'stroke-width': 1, 'stroke-opacity': 0.75 }, links);
  }
  for (const l of plan.links) {
    const a = where[l.small_school_id];
    if (a) el('circle', { cx: proj.x(a.lon).toFixed(1), cy: proj.y(a.lat).toFixed(1), r: 2.6, fill: COLORS.linked, class: 'linked' }, g);
  }
  for (const u of plan.unlinked) {
    const a = where[u.small_school_id];
    if (!a) continue;
    const c = el('circle', { cx: proj.x(a.lon).toFixed(1), cy: proj.y(a.lat).toFixed(1), r: 2.6, fill: 'none', stroke: (REASONS[u.reason] || ['', '#999'])[1], 'stroke-width': 1.3, class: 'unlinked' }, g);
    el('title', {}, c).textContent = `${u.name}: ${u.detail}`;
  }
  for (const h of plan.hubs) {
    hubShape(g, proj.x(h.lon), proj.y(h.lat), h.status === 'existing' ? COLORS.existing : COLORS.new, 'hub-marker', `${h.name} (${h.school_id}) · ${h.district} · ${h.status} hub · ${h.linked_small_schools} small schools, ${h.linked_students} students`);
  }
}

function histogram(values, limit) {
  if (!values.length) return '<p class="hint">No links.</p>';
  const top = Math.max(limit || 0, ...values);
  const step = top > 150 ? 20 : 10;
  const n = Math.ceil(top / step);
  const bins = new Array(n).fill(0);
  for (const v of values) bins[Math.min(n - 1, Math.floor(v / step))]++;
  const W = 420, H = 170, m = { l: 34, b: 30, t: 8, r: 8 };
  const max = Math.max(...bins);
  const bw = (W - m.l - m.r) / n;
  let s = `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="link distances">`;
  for (let i = 0; i <= 4; i++) {
    const v = Math.round(max * i / 4), y = H - m.b - (H - m.b - m.t) * i / 4;
    s += `<line x1="${m.l}" x2="${W - m.r}" y1="${y}" y2="${y}" stroke="#e5e8ee"/><text x="${m.l - 4}" y="${y + 4}" font-size="10" text-anchor="end" fill="#5d6776">${v}</text>`;
  }
  bins.forEach((c, i) => {
    const h = max ? (H - m.b - m.t) * c / max : 0;
    s += `<rect x="${(m.l + i * bw + 1).toFixed(1)}" y="${(H - m.b - h).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS.link}"><title>${i * step}–${(i + 1) * step} km: ${c}</title></rect>`;
    if (i % Math.ceil(n / 8) === 0) s += `<text x="${(m.l + i * bw).toFixed(1)}" y="${H - m.b + 13}" font-size="10" fill="#5d6776">${i * step}</text>`;
  });
  s += `<text x="${W / 2}" y="${H - 4}" font-size="10.5" text-anchor="middle" fill="#5d6776">road km from hub (small schools per ${step} km)</text></svg>`;
  return s;
}

// ---------- compare ----------
$('#cmp-btn').addEventListener('click', compareRuns);
async function compareRuns() {
  const a = $('#cmp-a').value, b = $('#cmp-b').value;
  $('#cmp-error').innerHTML = '';
  if (!a || !b) { $('#cmp-error').innerHTML = '<p class="hint">Two finished runs are needed.</p>'; return; }
  let c, ra, rb;
  try {
    [c, ra, rb] = await Promise.all([api(`/api/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`), api('/api/runs/' + encodeURIComponent(a)), api('/api/runs/' + encodeURIComponent(b))]);
  } catch (e) { $('#cmp-error').innerHTML = problemsHtml(e, 'Cannot compare'); return; }
  const cmp = c.comparison;
  $('#cmp-body').hidden = false;
  const tot = Object.fromEntries(cmp.totals.map((x) => [x.field, x]));
  const delta = (f, fmt) => {
    const x = tot[f];
    if (!x || x.before == null || x.after == null) return '';
    const d = x.after - x.before;
    return `<span class="${d > 0 ? 'up' : d < 0 ? 'down' : ''}">${d > 0 ? '+' : ''}${fmt(d)}</span> (A ${fmt(x.before)} → B ${fmt(x.after)})`;
  };
  $('#cmp-figures').innerHTML = [
    figure(`<span class="up">+${cmp.hubs_added.length}</span> / <span class="down">−${cmp.hubs_dropped.length}</span>`, 'hubs added / dropped'),
    figure(int(cmp.moved.length), 'small schools moved to another hub'),
    figure(`<span class="up">+${cmp.newly_linked.length}</span> / <span class="down">−${cmp.newly_unlinked.length}</span>`, 'small schools newly linked / unlinked'),
    figure('', 'students linked', delta('linked_students', int)),
    figure('', 'cost, billion KZT', delta('cost_kzt', bn)),
  ].join('');
  $('#cmp-params').innerHTML = cmp.parameters.length
    ? `<table class="t"><thead><tr><th>key</th><th>A</th><th>B</th></tr></thead><tbody>${cmp.parameters.map((p) => `<tr><td><code>${esc(p.key)}</code></td><td>${esc(paramText(p.before))}</td><td>${esc(paramText(p.after))}</td></tr>`).join('')}</tbody></table>`
    : '<p class="hint">Same parameters.</p>';
  const hubRows = (list, cls, sign) => list.map((h) => `<tr class="${cls}"><td>${sign}</td><td>${esc(h.name)}</td><td>${esc(h.district)}</td><td>${esc(h.status)}</td><td class="n">${h.linked_small_schools}</td></tr>`).join('');
  $('#cmp-hubs').innerHTML = cmp.hubs_added.length + cmp.hubs_dropped.length
    ? `<table class="t"><thead><tr><th></th><th>hub</th><th>district</th><th>status</th><th class="n">small schools</th></tr></thead><tbody>${hubRows(cmp.hubs_added, 'added', '<b class="up">+</b>')}${hubRows(cmp.hubs_dropped, 'dropped', '<b class="down">−</b>')}</tbody></table>`
    : '<p class="hint">The same hubs in both plans.</p>';
  const fmtTotal = (v) => (v == null ? '–' : Math.abs(v) >= 1e6 ? int(v) : v.toLocaleString('en-US', { maximumFractionDigits: 2 }));
  const changed = cmp.totals.filter((x) => x.before !== x.after);
  $('#cmp-totals').innerHTML = `<table class="t"><thead><tr><th>figure</th><th class="n">A</th><th class="n">B</th><th class="n">change</th></tr></thead><tbody>${changed.map((x) => `<tr><td>${esc(x.field)}</td><td class="n">${fmtTotal(x.before)}</td><td class="n">${fmtTotal(x.after)}</td><td class="n">${x.before != null && x.after != null ? fmtTotal(x.after - x.before) : ''}</td></tr>`).join('')}</tbody></table>`;
  let mapData = null;
  try { mapData = await mapFor(rb.scenario); } catch (_) { /* draw without outlines */ }
  drawCompareMap(ra.plan, rb.plan, cmp, mapData);
}

/** A parameter's JSON text for people: numbers with thousands separators. */
function paramText(t) {
  if (t === '') return '–';
  const n = Number(t);
  return t !== 'null' && Number.isFinite(n) && /^-?[0-9.e+]+$/.test(t) ? n.toLocaleString('en-US', { maximumFractionDigits: 3 }) : t === 'null' ? 'none' : t;
}

function drawCompareMap(pa, pb, cmp, mapData) {
  const svg = $('#compare-map');
  const proj = projector(mapData, [...pa.hubs, ...pb.hubs].map((h) => [h.lon, h.lat]));
  const g = drawBase(svg, mapData, proj);
  const added = new Set(cmp.hubs_added.map((h) => h.school_id));
  const dropped = new Set(cmp.hubs_dropped.map((h) => h.school_id));
  for (const h of pb.hubs) {
    if (added.has(h.school_id)) continue;
    hubShape(g, proj.x(h.lon), proj.y(h.lat), '#8a96a8', 'hub-kept', `${h.name}: a hub in both`, 5);
  }
  for (const h of pa.hubs) {
    if (!dropped.has(h.school_id)) continue;
    const x = proj.x(h.lon), y = proj.y(h.lat);
    const grp = el('g', { class: 'hub-dropped', 'data-id': h.school_id }, g);
    el('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r: 7, fill: '#fff', stroke: COLORS.drop, 'stroke-width': 2.2 }, grp);
    el('path', { d: `M${x - 4},${y - 4}L${x + 4},${y + 4}M${x - 4},${y + 4}L${x + 4},${y - 4}`, stroke: COLORS.drop, 'stroke-width': 2 }, grp);
    el('title', {}, grp).textContent = `${h.name} (${h.district}): dropped in B`;
  }
  for (const h of pb.hubs) {
    if (!added.has(h.school_id)) continue;
    const c = hubShape(g, proj.x(h.lon), proj.y(h.lat), COLORS.add, 'hub-added', `${h.name} (${h.district}): added in B`, 7);
    c.setAttribute('data-id', h.school_id);
  }
  legend($('#cmp-legend'), [
    ['hub in both', dotSym('#8a96a8', 4.5)], ['added in B', dotSym(COLORS.add, 5)],
    ['dropped in B', `<circle cx="7" cy="7" r="5" fill="#fff" stroke="${COLORS.drop}" stroke-width="2"/>`],
  ]);
}

// ---------- sweep ----------
function fillSweepKeys(detail) {
  const numeric = detail.keys.filter((k) => k.kind === 'number' || k.kind === 'integer');
  const opts = numeric.map((k) => `<option value="${esc(k.key)}">${esc(k.key)}</option>`).join('');
  $('#sw-key1').innerHTML = opts;
  $('#sw-key1').value = numeric.some((k) => k.key === 'budget.kzt') ? 'budget.kzt' : (numeric[0] || {}).key;
  $('#sw-key2').innerHTML = '<option value="">(no second key)</option>' + opts;
}

$('#sweep-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  if (!S.scenario) { $('#sw-status').textContent = 'Open a scenario first.'; return; }
  const vary = {};
  const parse = (s) => s.split(',').map((x) => x.trim()).filter(Boolean).map((x) => (Number.isFinite(Number(x)) ? Number(x) : x));
  const k1 = $('#sw-key1').value, v1 = parse($('#sw-vals1').value);
  const k2 = $('#sw-key2').value, v2 = parse($('#sw-vals2').value);
  if (k1 && v1.length) vary[k1] = v1;
  if (k2 && v2.length) vary[k2] = v2;
  try {
    const set = runSet();
    for (const k of Object.keys(vary)) delete set[k];
    const body = Object.assign({ scenario: S.scenario.path, set, vary }, editedToml() != null ? { toml: editedToml() } : {});
    const r = await api('/api/sweeps', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    S.sweep = { id: r.id, runs: r.runs, keys: Object.keys(vary) };
    $('#sw-status').textContent = `${r.runs.length} runs queued (${r.id})`;
    refreshRuns();
  } catch (e) {
    $('#sweep-table').innerHTML = problemsHtml(e, 'The sweep was refused');
  }
});

function drawSweep() {
  const runs = S.sweep.runs.map((id) => S.runs.find((r) => r.id === id)).filter(Boolean);
  const done = runs.filter((r) => r.status === 'done');
  $('#sw-status').textContent = `${done.length} of ${S.sweep.runs.length} runs done`;
  const label = (r) => S.sweep.keys.map((k) => `${k}=${r.set[k]}`).join(', ');
  const pts = done.map((r) => ({ r, x: r.summary.cost_kzt / 1e9, y: 100 * r.summary.linked_students / Math.max(1, r.summary.small_school_students) }));
  const W = 1100, H = 400, m = { l: 60, r: 24, t: 14, b: 46 };
  let s = `<svg id="sweep-svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="cost and coverage">`;
  if (pts.length) {
    const xs = pts.map((p) => p.x), ys = pts.map((p) => p.y);
    const x0 = Math.min(...xs) * 0.95, x1 = Math.max(...xs) * 1.05 || 1, y0 = Math.max(0, Math.min(...ys) - 5), y1 = Math.min(100, Math.max(...ys) + 5);
    const X = (v) => m.l + (W - m.l - m.r) * (v - x0) / Math.max(1e-9, x1 - x0);
    const Y = (v) => H - m.b - (H - m.t - m.b) * (v - y0) / Math.max(1e-9, y1 - y0);
    for (let i = 0; i <= 5; i++) {
      const yv = y0 + (y1 - y0) * i / 5, xv = x0 + (x1 - x0) * i / 5;
      s += `<line x1="${m.l}" x2="${W - m.r}" y1="${Y(yv)}" y2="${Y(yv)}" stroke="#e5e8ee"/><text x="${m.l - 6}" y="${Y(yv) + 4}" font-size="11" text-anchor="end" fill="#5d6776">${yv.toFixed(0)}%</text>`;
      s += `<text x="${X(xv)}" y="${H - m.b + 16}" font-size="11" text-anchor="middle" fill="#5d6776">${xv.toFixed(2)}</text>`;
    }
    const frontier = [...pts].sort((a, b) => a.x - b.x || b.y - a.y).filter((p, i, arr) => arr.slice(0, i).every((q) => q.y < p.y));
    s += `<polyline fill="none" stroke="${COLORS.new}" stroke-width="2" points="${frontier.map((p) => `${X(p.x)},${Y(p.y)}`).join(' ')}"/>`;
    for (const p of pts) {
      s += `<g class="sweep-point"><circle cx="${X(p.x)}" cy="${Y(p.y)}" r="5.5" fill="${COLORS.existing}" stroke="#fff" stroke-width="1.5"/><text x="${X(p.x) + 8}" y="${Y(p.y) - 7}" font-size="10.5" fill="#1d2430">${esc(label(p.r))}</text><title>${esc(label(p.r))}: ${p.y.toFixed(1)}% of students, KZT ${p.x.toFixed(2)} bn</title></g>`;
    }
  }
  s += `<text x="${(W + m.l) / 2}" y="${H - 6}" font-size="11.5" text-anchor="middle" fill="#5d6776">cost, billion KZT</text><text transform="translate(14 ${H / 2}) rotate(-90)" font-size="11.5" text-anchor="middle" fill="#5d6776">students of small schools linked</text></svg>`;
  $('#sweep-chart').innerHTML = s + `<div class="legend"><span><svg viewBox="0 0 14 14">${dotSym(COLORS.existing)}</svg>plan</span><span><svg viewBox="0 0 14 14"><line x1="1" y1="7" x2="13" y2="7" stroke="${COLORS.new}" stroke-width="2"/></svg>frontier: no cheaper plan covers more</span></div>`;
  $('#sweep-table').innerHTML = `<table class="t"><thead><tr><th>run</th>${S.sweep.keys.map((k) => `<th>${esc(k)}</th>`).join('')}<th>status</th><th class="n">hubs</th><th class="n">students linked</th><th class="n">coverage</th><th class="n">cost, bn KZT</th></tr></thead><tbody>${runs.map((r) => `<tr><td><a href="#" data-run="${esc(r.id)}">${esc(r.id)}</a></td>${S.sweep.keys.map((k) => `<td>${esc(r.set[k])}</td>`).join('')}<td>${esc(r.status)}</td><td class="n">${r.summary ? r.summary.hubs : ''}</td><td class="n">${r.summary ? int(r.summary.linked_students) : ''}</td><td class="n">${r.summary ? pct(r.summary.linked_students, r.summary.small_school_students) : ''}</td><td class="n">${r.summary ? bn(r.summary.cost_kzt) : ''}</td></tr>`).join('')}</tbody></table>`;
  document.querySelectorAll('#sweep-table a[data-run]').forEach((a) => a.addEventListener('click', (e) => { e.preventDefault(); showRun(a.dataset.run); }));
}

// ---------- uploads ----------
$('#upload-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const fd = new FormData(ev.target);
  for (const f of ['roads', 'districts']) { const v = fd.get(f); if (v && !v.name) fd.delete(f); }
  const out = $('#upload-result');
  out.innerHTML = '<p class="hint">Checking…</p>';
  try {
    const r = await api('/api/uploads', { method: 'POST', body: fd });
    out.innerHTML = `<p class="hint">${r.schools} schools kept as <code>${esc(r.scenario)}</code>.</p>`;
    $('#upload-problems').innerHTML = '';
    await loadScenarios();
    openScenario(r.scenario);
  } catch (e) {
    const n = e.body && e.body.problems ? e.body.problems.length : 0;
    out.innerHTML = `<p class="err">The files were not kept${n ? `: ${n} problem${n > 1 ? 's' : ''}, listed on the right` : ''}.</p>`;
    showTab('scenario');
    $('#upload-problems').innerHTML = problemsHtml(e, 'The uploaded files were not kept: fix these and upload again');
  }
});

// ---------- start ----------
(async function start() {
  try {
    await loadScenarios();
    await refreshRuns();
  } catch (e) {
    document.querySelector('main').insertAdjacentHTML('afterbegin', problemsHtml(e, 'The server did not answer'));
  }
  setInterval(() => { if (S.runs.some((r) => r.status === 'queued' || r.status === 'running')) refreshRuns(); }, 1500);
})();
