// Shows an API problem's per-field errors next to the inputs they name.
// Inputs and their containers carry data-field="indicators[0].weight";
// an error for a field without its own input goes to the nearest
// enclosing one (`indicators[0].intervals[1]` to that band's row).
import { h } from './dom.js';
import { t } from './i18n.js';

export function clearErrors(form) {
  form.querySelectorAll('.field-error, .form-error').forEach((el) => el.remove());
  form.querySelectorAll('.invalid').forEach((el) => el.classList.remove('invalid'));
}

/** Marks each field of `error` (an ApiError); the rest go to the top. */
export function showErrors(form, error) {
  clearErrors(form);
  const unplaced = [];
  for (const { field, message } of error.errors.length ? error.errors : [{ field: '', message: error.message }]) {
    const target = nearest(form, field);
    if (!target) {
      unplaced.push(field ? `${field}: ${message}` : message);
      continue;
    }
    target.classList.add('invalid');
    const note = h('div', { class: 'field-error', role: 'alert', dataset: { for: field } }, message);
    // Under the input's row (a band, a line of fields), so the row keeps
    // its alignment; a container takes the note at its end.
    if (target.matches('input, select, textarea')) (target.closest('.band, .row') || target.closest('label') || target).append(note);
    else target.append(note);
  }
  const top = h('div', { class: 'form-error', role: 'alert' }, t('fixErrors'), unplaced.map((m) => h('div', {}, m)));
  form.prepend(top);
}

function nearest(form, field) {
  for (let name = field; name; name = name.replace(/(\.[^.[\]]+|\[\d+\])$/, '')) {
    const el = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (el) return el;
    if (!/(\.[^.[\]]+|\[\d+\])$/.test(name)) break;
  }
  return null;
}
