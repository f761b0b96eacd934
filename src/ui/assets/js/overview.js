// Every project as a card. One request for all cards (GET /v1/overview);
// sparklines load only for cards scrolled into view, a few at a time, so
// a thousand projects cost a handful of history requests.
import { h, fill } from './dom.js';
import { t } from './i18n.js';
import { get, seg } from './api.js';
import { ago, num, percent, rfc3339 } from './format.js';
import { sparkline } from './charts.js';

const PARALLEL = 4;
const SORTS = {
  code: (a, b) => a.code.localeCompare(b.code),
  title: (a, b) => (a.title || a.code).localeCompare(b.title || b.code),
  valueDesc: (a, b) => (b.value ?? -Infinity) - (a.value ?? -Infinity),
  valueAsc: (a, b) => (a.value ?? Infinity) - (b.value ?? Infinity),
  updated: (a, b) => (b.at || '').localeCompare(a.at || ''),
};
const SORT_LABELS = { code: 'sortCode', title: 'sortTitle', valueDesc: 'sortValueDesc', valueAsc: 'sortValueAsc', updated: 'sortUpdated' };

export async function render(view) {
  const [cards, firing] = await Promise.all([get('/v1/overview'), firingByProject()]);
  const search = h('input', { type: 'search', id: 'search', placeholder: t('search'), oninput: show, onchange: show });
  const sort = h('select', { id: 'sort', onchange: show, 'aria-label': t('sortBy') },
    Object.keys(SORTS).map((k) => h('option', { value: k }, t(SORT_LABELS[k]))));
  const grid = h('div', { class: 'cards', id: 'cards' });
  fill(view, h('div', { class: 'toolbar' }, h('h1', {}, t('overview')), search, sort), grid);
  const queue = sparklineQueue();
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries.filter((e) => e.isIntersecting)) {
      observer.unobserve(entry.target);
      queue.add(entry.target);
    }
  }, { rootMargin: '200px' });
  const elements = new Map(cards.map((c) => [c.code, card(c, firing.get(c.code) || 0)]));
  show();
  // Read by scripts/bench-ui.sh: when the cards became usable.
  performance.mark('koi:overview-ready');
  return () => observer.disconnect();

  function show() {
    const words = search.value.trim().toLowerCase();
    const shown = cards
      .filter((c) => !words || c.code.includes(words) || (c.title || '').toLowerCase().includes(words))
      .sort(SORTS[sort.value]);
    fill(grid, shown.length ? shown.map((c) => elements.get(c.code)) : h('p', { class: 'muted' }, t('noProjects')));
    shown.forEach((c) => observer.observe(elements.get(c.code)));
  }
}

async function firingByProject() {
  const counts = new Map();
  try {
    for (const alert of await get('/v1/alerts?state=firing')) counts.set(alert.project, (counts.get(alert.project) || 0) + 1);
  } catch {
    // Alerts are extra information; the cards stand without them.
  }
  return counts;
}

function card(c, firing) {
  return h('a', { class: 'card', href: `#/p/${seg(c.code)}`, dataset: { code: c.code } },
    h('div', { class: 'card-head' }, h('span', { class: 'card-title' }, c.title || c.code), firing > 0
      && h('span', { class: 'badge firing', title: t('firing') }, `${t('firing')} ${firing}`)),
    h('div', { class: 'card-code muted' }, c.code),
    h('div', { class: 'card-value', dataset: { value: c.value ?? '' } }, num(c.value)),
    h('canvas', { class: 'spark' }),
    h('div', { class: 'card-foot muted' },
      h('span', {}, `${t('coverage')} ${percent(c.coverage)}`),
      h('span', {}, `${t('updated')} ${ago(c.at)}`)));
}

/** Draws sparklines of queued cards, PARALLEL requests at a time. */
function sparklineQueue() {
  const waiting = [];
  let running = 0;
  const next = async () => {
    if (running >= PARALLEL || waiting.length === 0) return;
    running += 1;
    const el = waiting.shift();
    const now = Date.now();
    const path = `/v1/projects/${seg(el.dataset.code)}/index/history?from=${rfc3339(now - 864e5)}&to=${rfc3339(now + 6e4)}&step=30m&limit=100`;
    try {
      const page = await get(path);
      sparkline(el.querySelector('canvas'), page.items.map((b) => b.value));
    } catch {
      // A missing sparkline is not worth an error on the overview.
    }
    running -= 1;
    next();
  };
  return { add(el) { waiting.push(el); next(); } };
}
