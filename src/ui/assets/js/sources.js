// Pull sources: the list with each one's health, pull now, and a form to
// create or edit one with a dry run that shows what its mappings extract.
import { h, fill } from './dom.js';
import { t } from './i18n.js';
import { ApiError, api, get } from './api.js';
import { ago, num } from './format.js';
import { clearErrors, showErrors } from './form.js';

export async function renderList(view) {
  const page = await get('/v1/remote?limit=1000');
  const outcome = h('div', { class: 'outcome', id: 'pull-outcome' });
  fill(view,
    h('div', { class: 'toolbar' }, h('h1', {}, t('sources')), h('span', { class: 'spacer' }),
      h('a', { class: 'button', href: '#/sources/new', id: 'new-source' }, t('newSource'))),
    outcome,
    page.items.length === 0 ? h('p', { class: 'muted' }, t('noSources')) : h('table', { class: 'sources' },
      h('thead', {}, h('tr', {}, ['name', 'project', 'url', 'schedule', 'lastRun', 'failures', 'lastError', ''].map((k) => h('th', {}, k && t(k))))),
      h('tbody', {}, page.items.map((s) => h('tr', { dataset: { id: s.id }, class: s.last_error ? 'failing' : '' },
        h('td', {}, h('a', { href: `#/sources/${s.id}` }, s.name || `#${s.id}`), !s.enabled && h('span', { class: 'muted' }, ' (off)')),
        h('td', {}, h('a', { href: `#/p/${s.project}` }, s.project)),
        h('td', { class: 'url' }, s.url),
        h('td', {}, s.schedule),
        h('td', {}, ago(s.last_run_at)),
        h('td', { class: 'num' }, s.consecutive_failures),
        h('td', { class: 'error' }, s.last_error || ''),
        h('td', {}, h('button', { type: 'button', class: 'pull-now', onclick: () => pullNow(view, s.id) }, t('pullNow'))))))));
}

/** Pulls a source now, then shows the list with its new status. */
async function pullNow(view, id) {
  let shown;
  try {
    shown = extracted(await api('POST', `/v1/remote/${id}/pull`));
  } catch (e) {
    shown = h('p', { class: 'error' }, e.message);
  }
  await renderList(view);
  fill(view.querySelector('#pull-outcome'), shown);
}

function extracted(result) {
  return h('div', { class: 'panel' },
    h('h3', {}, t('extracted')),
    h('ul', {}, Object.entries(result.values).map(([k, v]) => h('li', {}, `${k} = ${num(v, 6)}`))),
    result.errors.length > 0 && h('div', {}, h('h3', {}, t('errors')), h('ul', { class: 'error' }, result.errors.map((m) => h('li', {}, m)))));
}

export async function renderForm(view, id) {
  const existing = id === 'new' ? null : await get(`/v1/remote/${id}`);
  const spec = existing
    ? { ...existing, headers: Object.entries(existing.headers || {}) }
    : { project: '', name: '', url: '', method: 'GET', schedule: '@every 1m', timeout_ms: null, enabled: true, mappings: [{ indicator: '', path: '$.' }], headers: [], body: null };
  let bodyText = spec.body ? JSON.stringify(spec.body, null, 2) : '';
  const mappings = h('div', {});
  const headerRows = h('div', {});
  const outcome = h('div', { class: 'outcome', id: 'dry-run' });
  const field = (name, attrs = {}) => h('label', { class: 'field' }, t(attrs.label || name), h('input', {
    type: attrs.type || 'text', value: spec[name] ?? '', dataset: { field: name },
    oninput: (e) => { spec[name] = attrs.type === 'number' ? (e.target.value === '' ? null : Number(e.target.value)) : e.target.value; },
  }));
  const form = h('form', { class: 'panel editor', onsubmit: save, novalidate: true },
    h('h1', {}, existing ? `${t('edit')}: ${existing.name || existing.id}` : t('newSource')),
    h('div', { class: 'row' }, field('project'), field('name')),
    h('div', { class: 'row' }, field('url'),
      h('label', { class: 'field narrow' }, t('method'), h('select', { dataset: { field: 'method' }, onchange: (e) => { spec.method = e.target.value; } },
        ['GET', 'POST'].map((m) => h('option', { selected: spec.method === m }, m))))),
    h('div', { class: 'row' }, field('schedule'), field('timeout_ms', { type: 'number', label: 'timeout' }),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', checked: spec.enabled, onchange: (e) => { spec.enabled = e.target.checked; } }), t('enabled'))),
    h('h2', {}, t('mappings')), mappings,
    h('button', { type: 'button', class: 'link', onclick: () => { spec.mappings.push({ indicator: '', path: '$.' }); redraw(); } }, `+ ${t('addMapping')}`),
    h('h2', {}, t('headers')), headerRows,
    h('button', { type: 'button', class: 'link', onclick: () => { spec.headers.push(['', '']); redraw(); } }, `+ ${t('addHeader')}`),
    h('label', { class: 'field' }, t('body'), h('textarea', { rows: 3, dataset: { field: 'body' }, value: bodyText, oninput: (e) => { bodyText = e.target.value; } })),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', id: 'save-source' }, t('save')),
      h('button', { type: 'button', id: 'dry-run-button', onclick: dryRun }, t('dryRun')),
      h('a', { class: 'button secondary', href: '#/sources' }, t('cancel')),
      h('span', { class: 'spacer' }),
      existing && h('button', { type: 'button', class: 'danger', onclick: remove }, t('remove'))),
    outcome);
  fill(view, form);
  redraw();

  function redraw() {
    fill(mappings, spec.mappings.map((m, i) => h('div', { class: 'row', dataset: { field: `mappings[${i}]` } },
      pair(m, 'indicator', `mappings[${i}].indicator`), pair(m, 'path', `mappings[${i}].path`),
      h('button', { type: 'button', class: 'link', onclick: () => { spec.mappings.splice(i, 1); redraw(); } }, t('remove')))));
    fill(headerRows, spec.headers.map((pairs, i) => h('div', { class: 'row' },
      pair(pairs, 0, `headers`, 'header'), pair(pairs, 1, `headers`, 'value'),
      h('button', { type: 'button', class: 'link', onclick: () => { spec.headers.splice(i, 1); redraw(); } }, t('remove')))));
  }

  function body() {
    const { project, name, url, method, schedule, timeout_ms, enabled, mappings: maps } = spec;
    return { project, name, url, method, schedule, timeout_ms, enabled, mappings: maps,
      headers: Object.fromEntries(spec.headers.filter(([k]) => k)), body: bodyText.trim() ? JSON.parse(bodyText) : null };
  }

  async function save(event) {
    event.preventDefault();
    await attempt(async () => {
      await api(existing ? 'PUT' : 'POST', existing ? `/v1/remote/${existing.id}` : '/v1/remote', body());
      location.hash = '#/sources';
    });
  }

  async function dryRun() {
    await attempt(async () => {
      const { url, method, headers, body: payload, timeout_ms, mappings: maps } = body();
      fill(outcome, extracted(await api('POST', '/v1/remote/test', { url, method, headers, body: payload, timeout_ms, mappings: maps })));
    });
  }

  async function remove() {
    await api('DELETE', `/v1/remote/${existing.id}`);
    location.hash = '#/sources';
  }

  async function attempt(action) {
    clearErrors(form);
    try {
      await action();
    } catch (e) {
      if (e instanceof ApiError) showErrors(form, e);
      else showErrors(form, { errors: [{ field: 'body', message: e.message }] });
    }
  }
}

function pair(target, name, field, label = name) {
  return h('label', { class: 'field' }, t(label), h('input', {
    type: 'text', value: target[name] ?? '', dataset: { field },
    oninput: (e) => { target[name] = e.target.value; },
  }));
}
