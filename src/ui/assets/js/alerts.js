// Active alerts across projects, and one project's rules with a form for
// the common conditions (admins).
import { h, fill } from './dom.js';
import { t } from './i18n.js';
import { ApiError, api, get, isAdmin, seg } from './api.js';
import { ago, num } from './format.js';
import { clearErrors, showErrors } from './form.js';

/** Conditions the form offers, with the number each one takes. */
const KINDS = { index_below: 'threshold', index_above: 'threshold', coverage_below: 'threshold', no_data: 'after_secs' };

export async function render(view) {
  const [active, cards, admin] = await Promise.all([get('/v1/alerts'), get('/v1/overview'), isAdmin()]);
  const rules = h('div', { id: 'rules' });
  const picker = h('select', { id: 'rule-project', onchange: () => showRules(picker.value) },
    cards.map((c) => h('option', { value: c.code }, c.title ? `${c.title} (${c.code})` : c.code)));
  fill(view,
    h('h1', {}, t('activeAlerts')),
    active.length === 0 ? h('p', { class: 'muted' }, t('noAlerts')) : h('table', { class: 'alerts' },
      h('thead', {}, h('tr', {}, ['project', 'rule', 'subject', 'severity', 'state', 'value', 'since'].map((k) => h('th', {}, t(k))))),
      h('tbody', {}, active.map((a) => h('tr', { class: `state-${a.state}` },
        h('td', {}, h('a', { href: `#/p/${seg(a.project)}` }, a.project)), h('td', {}, a.rule), h('td', {}, a.subject),
        h('td', {}, h('span', { class: `severity severity-${a.severity}` }, a.severity)), h('td', {}, a.state),
        h('td', { class: 'num' }, num(a.value)), h('td', {}, ago(a.since)))))),
    h('div', { class: 'toolbar' }, h('h2', {}, t('rules')), picker),
    rules);
  if (cards.length) await showRules(cards[0].code);

  async function showRules(code) {
    const list = await get(`/v1/projects/${seg(code)}/alerts`);
    fill(rules,
      list.length === 0 ? h('p', { class: 'muted' }, t('noRules')) : h('ul', { class: 'rules' }, list.map((r) => h('li', {},
        h('strong', {}, r.name), ` · ${r.kind} `, r.threshold ?? r.after_secs ?? '', ` · ${r.severity}`, r.enabled ? '' : ' (off)'))),
      admin && ruleForm(code, () => showRules(code)));
  }
}

function ruleForm(code, done) {
  const rule = { name: '', kind: 'index_below', value: 50, for: 0, severity: 'warning' };
  const input = (name, label, type = 'text') => h('label', { class: 'field' }, t(label), h('input', {
    type, step: 'any', value: rule[name], dataset: { field: name === 'value' ? 'threshold' : name },
    oninput: (e) => { rule[name] = type === 'number' ? Number(e.target.value) : e.target.value; },
  }));
  const form = h('form', { class: 'panel editor', id: 'rule-form', novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = { name: rule.name, kind: rule.kind, for: rule.for, severity: rule.severity, [KINDS[rule.kind]]: rule.value };
    try {
      await api('POST', `/v1/projects/${seg(code)}/alerts`, body);
      done();
    } catch (e) {
      if (e instanceof ApiError) showErrors(form, e);
      else throw e;
    }
  } },
  h('h3', {}, t('newRule')),
  h('div', { class: 'row' },
    input('name', 'name'),
    h('label', { class: 'field' }, t('kind'), h('select', { onchange: (e) => { rule.kind = e.target.value; } },
      Object.keys(KINDS).map((k) => h('option', { value: k }, k)))),
    input('value', 'threshold', 'number'),
    input('for', 'forSecs', 'number'),
    h('label', { class: 'field' }, t('severity'), h('select', { onchange: (e) => { rule.severity = e.target.value; } },
      ['warning', 'critical', 'info'].map((s) => h('option', { value: s }, s))))),
  h('button', { type: 'submit', id: 'create-rule' }, t('create')));
  return form;
}
