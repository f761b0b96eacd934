// The bands of one indicator: start, end and score per row, with the
// direction each band runs (end above start: higher is better).
import { h } from './dom.js';
import { t } from './i18n.js';

/** Editor rows for `intervals` (edited in place); `changed()` re-renders. */
export function intervalsEditor(intervals, at, changed) {
  const rows = intervals.map((band, i) => {
    const field = `${at}.intervals[${i}]`;
    const direction = h('span', { class: 'muted direction' });
    const showDirection = () => {
      direction.textContent = band.end > band.start ? t('higherBetter') : band.end < band.start ? t('lowerBetter') : '';
    };
    showDirection();
    const input = (name) => h('label', { class: 'field' }, t(name), h('input', {
      type: 'number', step: 'any', value: band[name] ?? '', dataset: { field: `${field}.${name}` },
      oninput: (e) => {
        band[name] = e.target.value === '' ? null : Number(e.target.value);
        showDirection();
      },
    }));
    return h('div', { class: 'band', dataset: { field } },
      input('start'), input('end'), input('score'), direction,
      h('button', { type: 'button', class: 'link', onclick: () => { intervals.splice(i, 1); changed(); } }, t('remove')));
  });
  return h('div', { class: 'intervals', dataset: { field: `${at}.intervals` } },
    h('div', { class: 'muted' }, t('intervals')),
    rows,
    h('button', { type: 'button', class: 'link add-band', onclick: () => {
      const last = intervals[intervals.length - 1];
      intervals.push(last ? { start: last.end, end: last.end + (last.end - last.start), score: last.score } : { start: 0, end: 100, score: 100 });
      changed();
    } }, `+ ${t('addInterval')}`));
}
