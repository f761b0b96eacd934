// Create or edit a project: indicators, weights with their live sum,
// bands; the API's validation errors appear next to their fields; the
// what-if preview compares the draft with the current configuration.
import { h, fill } from './dom.js';
import { t } from './i18n.js';
import { ApiError, api, get, seg } from './api.js';
import { num, rfc3339 } from './format.js';
import { clearErrors, showErrors } from './form.js';
import { intervalsEditor } from './intervals.js';
import { timeChart } from './charts.js';

const WEEK_MS = 7 * 864e5;

export async function render(view, code) {
  const spec = code ? toSpec(await get(`/v1/projects/${seg(code)}`)) : blank();
  const sum = h('strong', { id: 'weight-sum' });
  const indicators = h('div', { class: 'indicators' });
  const preview = h('div', { class: 'preview', id: 'preview' });
  let chart = null;
  const form = h('form', { class: 'panel editor', id: 'project-form', onsubmit: save, novalidate: true },
    h('h1', {}, code ? `${t('edit')}: ${code}` : t('newProject')),
    h('div', { class: 'row' },
      text('code', spec, { disabled: Boolean(code), id: 'project-code' }),
      text('title', spec, { id: 'project-title' })),
    text('description', spec),
    h('label', { class: 'field' }, t('missingPolicy'), h('select', {
      dataset: { field: 'missing_policy' }, onchange: (e) => { spec.missing_policy = e.target.value; },
    }, [['zero', 'policyZero'], ['renormalize', 'policyRenormalize']].map(([v, k]) =>
      h('option', { value: v, selected: spec.missing_policy === v }, t(k))))),
    h('h2', {}, t('indicators'), ' ', h('span', { class: 'muted' }, `${t('weightSum')}: `), sum),
    indicators,
    h('button', { type: 'button', class: 'link', id: 'add-indicator', onclick: () => {
      spec.indicators.push({ key: '', title: '', unit: '', weight: 0, intervals: [] });
      redraw();
    } }, `+ ${t('addIndicator')}`),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', id: 'save' }, t('save')),
      code && h('button', { type: 'button', id: 'preview-button', onclick: runPreview }, t('preview')),
      h('a', { class: 'button secondary', href: code ? `#/p/${seg(code)}` : '#/' }, t('cancel')),
      h('span', { class: 'spacer' }),
      code && h('button', { type: 'button', class: 'danger', onclick: remove }, t('deleteProject'))),
    preview);
  fill(view, form);
  redraw();
  return () => chart?.destroy();

  function redraw() {
    fill(indicators, spec.indicators.map((ind, i) => indicatorEditor(ind, i)));
    showSum();
  }

  function showSum() {
    const total = spec.indicators.reduce((s, i) => s + (Number(i.weight) || 0), 0);
    sum.textContent = num(total);
    sum.className = Math.abs(total - 100) < 1e-9 ? 'ok' : 'warn';
  }

  function indicatorEditor(ind, i) {
    const at = `indicators[${i}]`;
    return h('fieldset', { class: 'indicator', dataset: { field: at } },
      h('div', { class: 'row' },
        text('key', ind, { field: `${at}.key` }),
        text('title', ind, { field: `${at}.title` }),
        text('unit', ind, { field: `${at}.unit` }),
        number('weight', ind, `${at}.weight`, showSum),
        number('max_age_secs', ind, `${at}.max_age_secs`, null, 'maxAge'),
        h('button', { type: 'button', class: 'link', onclick: () => { spec.indicators.splice(i, 1); redraw(); } }, t('remove'))),
      intervalsEditor(ind.intervals, at, redraw));
  }

  async function save(event) {
    event.preventDefault();
    clearErrors(form);
    try {
      const saved = code
        ? await api('PUT', `/v1/projects/${seg(code)}`, payload(spec))
        : await api('POST', '/v1/projects', payload(spec));
      location.hash = `#/p/${seg(saved.code)}`;
    } catch (e) {
      if (e instanceof ApiError) showErrors(form, e);
      else throw e;
    }
  }

  async function runPreview() {
    clearErrors(form);
    const now = Date.now();
    const query = `from=${rfc3339(now - WEEK_MS)}&to=${rfc3339(now)}&step=1h`;
    try {
      const result = await api('POST', `/v1/projects/${seg(code)}/preview?${query}`, payload(spec));
      const points = result.points;
      chart?.destroy();
      const box = h('div', { class: 'chart' });
      fill(preview, h('p', {}, `${t('meanDiff')}: ${num(result.summary.mean_difference)} · ${t('maxDiff')}: ${num(result.summary.max_difference)}`), box);
      chart = timeChart(box, [t('current'), t('draft')],
        [points.map((p) => Date.parse(p.at) / 1000), points.map((p) => p.current), points.map((p) => p.draft)]);
    } catch (e) {
      if (e instanceof ApiError) showErrors(form, e);
      else throw e;
    }
  }

  async function remove() {
    if (!confirm(t('confirmDelete'))) return;
    await api('DELETE', `/v1/projects/${seg(code)}`);
    location.hash = '#/';
  }
}

function text(name, target, { field = name, id, disabled } = {}) {
  return h('label', { class: 'field' }, t(name), h('input', {
    type: 'text', value: target[name] ?? '', id, disabled, dataset: { field },
    oninput: (e) => { target[name] = e.target.value; },
  }));
}

function number(name, target, field, changed, label = name) {
  return h('label', { class: 'field narrow' }, t(label), h('input', {
    type: 'number', step: 'any', value: target[name] ?? '', dataset: { field },
    oninput: (e) => {
      target[name] = e.target.value === '' ? null : Number(e.target.value);
      changed?.();
    },
  }));
}

function blank() {
  return { code: '', title: '', description: '', missing_policy: 'zero', indicators: [{ key: '', title: '', unit: '', weight: 100, intervals: [] }] };
}

function toSpec(p) {
  return { code: p.code, title: p.title, description: p.description, missing_policy: p.missing_policy, indicators: p.indicators };
}

/** The body the API takes: blank optional fields left out. */
function payload(spec) {
  const body = { ...spec, code: spec.code || undefined };
  body.indicators = spec.indicators.map((i) => {
    const ind = { ...i };
    if (ind.max_age_secs === null || ind.max_age_secs === '' || ind.max_age_secs === undefined) delete ind.max_age_secs;
    return ind;
  });
  return body;
}
