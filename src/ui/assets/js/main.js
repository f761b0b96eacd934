// Starts the dashboard: header, language switch and hash routing
// (#/p/air/24h), so a link reproduces a view.
import { h, fill } from './dom.js';
import { LANGUAGES, lang, setLang, t } from './i18n.js';
import { ApiError, key, setKey, whoami } from './api.js';
import * as overview from './overview.js';
import * as project from './project.js';
import * as editor from './editor.js';
import * as sources from './sources.js';
import * as alerts from './alerts.js';
import * as signin from './signin.js';

const routes = [
  [/^\/?$/, overview.render],
  [/^\/p\/([^/]+)(?:\/([^/]+))?$/, project.render],
  [/^\/new$/, editor.render],
  [/^\/edit\/([^/]+)$/, editor.render],
  [/^\/sources$/, sources.renderList],
  [/^\/sources\/(new|\d+)$/, sources.renderForm],
  [/^\/alerts$/, alerts.render],
  [/^\/signin$/, signin.render],
];

const view = document.getElementById('view');
let leave = null;
let shown = 0;

/**
 * Shows the page of the current hash. Each page draws into a box of its
 * own, so a slow page the user already left draws out of sight instead of
 * over the page that replaced it.
 */
async function route() {
  if (leave) leave();
  leave = null;
  const turn = ++shown;
  const path = decodeURIComponent(location.hash.replace(/^#/, ''));
  const [pattern, page] = routes.find(([re]) => re.test(path)) || routes[0];
  const params = path.match(pattern)?.slice(1) ?? [];
  const box = h('div', {});
  fill(view, box);
  await header(page === signin.render);
  try {
    const cleanup = (await page(box, ...params)) || null;
    if (turn === shown) leave = cleanup;
    else cleanup?.();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    fill(box, h('p', { class: 'error' }, `${t('loadFailed')}: ${e.message}`));
  }
}

/** Links by role: admin pages are not offered to read-only keys. */
async function header(signingIn) {
  const nav = document.getElementById('nav');
  const signout = document.getElementById('signout');
  signout.textContent = t('signOut');
  signout.hidden = !key();
  if (signingIn) return fill(nav);
  let who = null;
  try {
    who = await whoami();
  } catch {
    return fill(nav);
  }
  const admin = who.role === 'admin';
  fill(nav,
    h('a', { href: '#/' }, t('overview')),
    h('a', { href: '#/alerts' }, t('alerts')),
    admin && h('a', { href: '#/sources', dataset: { admin: '' } }, t('sources')),
    admin && h('a', { href: '#/new', dataset: { admin: '' } }, t('newProject')),
    !admin && h('span', { class: 'badge' }, t('readOnly')));
}

function languages() {
  const select = document.getElementById('lang');
  select.title = t('language');
  fill(select, LANGUAGES.map(([code, label]) => h('option', { value: code, selected: code === lang() }, label)));
  select.onchange = () => {
    setLang(select.value);
    route();
  };
}

window.addEventListener('koi:unauthorized', () => {
  if (!location.hash.startsWith('#/signin')) {
    sessionStorage.setItem('koi.after', location.hash);
    location.hash = '#/signin';
  }
});
window.addEventListener('hashchange', route);
document.getElementById('signout').addEventListener('click', () => {
  setKey(null);
  location.hash = '#/signin';
});
setLang(lang());
languages();
route();
