// One project: the index now and its change, the history chart with range
// presets, the breakdown and each indicator's chart, updated live.
import { h, fill } from './dom.js';
import { t } from './i18n.js';
import { ApiError, get, isAdmin, seg } from './api.js';
import { dateTime, num, percent, rfc3339 } from './format.js';
import { timeChart } from './charts.js';
import { follow } from './live.js';

/** Range presets: span in seconds and the step that gives ~700 points. */
const PRESETS = { '1h': [3600, '10s'], '24h': [86400, '2m'], '7d': [604800, '15m'], '30d': [2592000, '1h'], '1y': [31536000, '12h'] };

const INDICATOR_POINTS = 1000;
const NUMERIC = new Set(['value', 'position', 'weight', 'contribution']);

export async function render(view, code, preset = '24h') {
  const [project, admin] = await Promise.all([get(`/v1/projects/${seg(code)}`), isAdmin()]);
  let latest = await latestResult(code);
  const range = { preset: PRESETS[preset] ? preset : '24h', from: null, to: null };
  const els = {
    value: h('span', { id: 'index-value', class: 'big' }),
    change: h('span', { id: 'index-change' }),
    meta: h('span', { class: 'muted' }),
    mode: h('span', { id: 'live-mode', class: 'badge' }),
    alerts: h('a', { id: 'project-alerts', class: 'badge firing', href: '#/alerts', hidden: true }),
    chart: h('div', { id: 'history-chart', class: 'chart' }),
    breakdown: h('tbody', {}),
    indicators: h('div', { class: 'indicator-charts' }),
  };
  fill(view,
    h('div', { class: 'toolbar' },
      h('h1', {}, project.title || project.code), h('span', { class: 'muted' }, project.code), els.mode, els.alerts,
      h('span', { class: 'spacer' }),
      admin && h('a', { class: 'button', href: `#/edit/${seg(code)}`, id: 'edit-project', dataset: { admin: '' } }, t('edit'))),
    h('div', { class: 'panel now' }, h('div', {}, h('div', { class: 'muted' }, t('index')), els.value, ' ', els.change), els.meta),
    h('div', { class: 'panel' }, h('div', { class: 'toolbar' }, h('h2', {}, t('history')), rangePicker()), els.chart),
    h('div', { class: 'panel' }, h('h2', {}, t('breakdown')), h('table', { class: 'breakdown', id: 'breakdown' },
      h('thead', {}, h('tr', {}, ['indicator', 'value', 'interval', 'position', 'weight', 'contribution', 'status'].map((k) =>
        h('th', { class: NUMERIC.has(k) ? 'num' : '' }, t(k))))),
      els.breakdown)),
    h('div', { class: 'panel' }, h('h2', {}, t('indicators')), els.indicators));

  const charts = [];
  let series = [];
  showNow();
  showAlerts();
  await drawHistory();
  // Read by scripts/bench-ui.sh: when the page with its charts was drawn.
  performance.mark('koi:project-ready');
  const stop = follow(code, {
    onPoint(point) {
      latest = point;
      showNow();
      refetchSoon();
    },
    onAlert: showAlerts,
    onChanged() {
      refetchSoon();
      showAlerts();
    },
    onMode: (mode) => { els.mode.textContent = t(mode); els.mode.dataset.mode = mode; },
  });
  let pending = null;
  return () => {
    stop();
    clearTimeout(pending);
    charts.forEach((c) => c.destroy());
  };

  function refetchSoon() {
    clearTimeout(pending);
    pending = setTimeout(async () => {
      latest = (await latestResult(code)) || latest;
      showNow();
      drawHistory();
    }, 300);
  }

  async function showAlerts() {
    let firing = [];
    try {
      firing = await get(`/v1/alerts?project=${seg(code)}&state=firing`);
    } catch {
      // The badge is extra information; the page stands without it.
    }
    els.alerts.hidden = firing.length === 0;
    els.alerts.textContent = `${t('firing')} ${firing.length}`;
    els.alerts.title = firing.map((a) => a.rule).join(', ');
  }

  function showNow() {
    els.value.textContent = num(latest?.value);
    els.value.dataset.value = latest?.value ?? '';
    els.meta.textContent = latest ? `${t('coverage')} ${percent(latest.coverage)} · ${dateTime(latest.at)}` : t('noResult');
    const first = series.find((v) => Number.isFinite(v));
    const delta = latest && first !== undefined && series.length > 1 ? latest.value - first : null;
    els.change.textContent = delta === null ? '' : `${delta >= 0 ? '▲' : '▼'} ${num(Math.abs(delta))}`;
    els.change.className = delta === null ? '' : delta >= 0 ? 'up' : 'down';
    fill(els.breakdown, (latest?.breakdown || []).map((c) => breakdownRow(project, c)));
  }

  function shownRange() {
    if (range.preset) {
      const now = Date.now();
      const [span, step] = PRESETS[range.preset];
      return { from: now - span * 1000, to: now + 60000, step };
    }
    const span = Math.max(range.to - range.from, 1000);
    return { from: range.from, to: range.to, step: String(Math.max(1, Math.ceil(span / 1000 / 700))) };
  }

  async function drawHistory() {
    const w = shownRange();
    const query = `from=${rfc3339(w.from)}&to=${rfc3339(w.to)}&step=${w.step}&limit=1000`;
    const page = await get(`/v1/projects/${seg(code)}/index/history?${query}`);
    series = page.items.map((b) => b.value);
    const data = [page.items.map((b) => Date.parse(b.start) / 1000), series];
    charts.forEach((c) => c.destroy());
    charts.length = 0;
    charts.push(timeChart(fill(els.chart), [t('index')], data, { span: [w.from / 1000, w.to / 1000] }));
    // What is drawn, for tests and scripts that wait on the chart.
    Object.assign(els.chart.dataset, { range: range.preset || 'custom', points: series.length });
    showNow();
    fill(els.indicators, project.indicators.map((ind) => h('div', { class: 'indicator-chart', dataset: { key: ind.key } },
      h('h3', {}, ind.title || ind.key, ind.unit && h('span', { class: 'muted' }, ` (${ind.unit})`)))));
    await Promise.all(project.indicators.map((ind, i) => indicatorChart(ind, els.indicators.children[i], w)));
  }

  /**
   * An indicator's raw values in the range. The API has no downsampling
   * for them, so a long range shows its newest INDICATOR_POINTS values,
   * and says so.
   */
  async function indicatorChart(ind, el, w) {
    const query = `from=${rfc3339(w.from)}&to=${rfc3339(w.to)}&order=desc&limit=${INDICATOR_POINTS}`;
    const page = await get(`/v1/projects/${seg(code)}/indicators/${seg(ind.key)}/history?${query}`);
    const items = page.items.reverse();
    const times = items.map((o) => Date.parse(o.observed_at) / 1000);
    const cut = Boolean(page.next_cursor);
    if (cut) el.append(h('div', { class: 'muted' }, t('newestValues').replace('{n}', num(INDICATOR_POINTS))));
    charts.push(timeChart(el.appendChild(h('div', {})), [ind.title || ind.key], [times, items.map((o) => o.value)],
      { height: 140, span: [cut ? times[0] : w.from / 1000, w.to / 1000] }));
  }

  function rangePicker() {
    const local = (ms) => new Date(ms - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16);
    const from = h('input', { type: 'datetime-local', id: 'range-from' });
    const to = h('input', { type: 'datetime-local', id: 'range-to' });
    // The custom fields start from the window a preset shows, so a custom
    // range is an edit of what is on screen.
    const follow = () => {
      const w = shownRange();
      from.value = local(w.from);
      to.value = local(w.to);
    };
    follow();
    const buttons = Object.keys(PRESETS).map((p) => h('button', {
      type: 'button', class: p === range.preset ? 'preset active' : 'preset', dataset: { preset: p },
      onclick: () => {
        range.preset = p;
        follow();
        buttons.forEach((b) => b.classList.toggle('active', b.dataset.preset === p));
        history.replaceState(null, '', `#/p/${seg(code)}/${p}`);
        drawHistory();
      },
    }, p));
    const custom = h('form', { class: 'custom', onsubmit: (e) => {
      e.preventDefault();
      range.preset = null;
      range.from = new Date(from.value).getTime();
      range.to = new Date(to.value).getTime();
      buttons.forEach((b) => b.classList.remove('active'));
      drawHistory();
    } }, h('label', {}, t('from'), from), h('label', {}, t('to'), to), h('button', { type: 'submit' }, t('apply')));
    return h('div', { class: 'range' }, buttons, h('span', { class: 'muted' }, t('custom')), custom);
  }
}

async function latestResult(code) {
  try {
    return await get(`/v1/projects/${seg(code)}/index`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

function breakdownRow(project, c) {
  const ind = project.indicators.find((i) => i.key === c.key);
  const band = c.interval ? `${num(c.interval.start)} → ${num(c.interval.end)} (${num(c.interval.score)})` : '–';
  return h('tr', { dataset: { key: c.key } },
    h('td', {}, ind?.title || c.key),
    h('td', { class: 'num' }, num(c.value), ind?.unit ? ` ${ind.unit}` : ''),
    h('td', {}, band),
    h('td', { class: 'num' }, num(c.position, 3)),
    h('td', { class: 'num' }, num(c.weight)),
    h('td', { class: 'num' }, num(c.contribution)),
    h('td', {}, h('span', { class: `status status-${c.status}` }, t(c.status))));
}
