// Asks for an API key when the server requires one.
import { h, fill } from './dom.js';
import { t } from './i18n.js';
import { setKey, whoami } from './api.js';

export function render(view) {
  const input = h('input', { type: 'password', id: 'key', name: 'key', autocomplete: 'off', required: true });
  const message = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'panel narrow', onsubmit: submit },
    h('h1', {}, t('signIn')),
    h('p', { class: 'muted' }, t('keyHint')),
    h('label', {}, t('apiKey'), input),
    message,
    h('button', { type: 'submit', id: 'signin' }, t('signIn')));
  fill(view, form);
  input.focus();

  async function submit(event) {
    event.preventDefault();
    setKey(input.value.trim());
    try {
      await whoami();
    } catch {
      setKey(null);
      message.textContent = t('badKey');
      return;
    }
    const after = sessionStorage.getItem('koi.after') || '#/';
    sessionStorage.removeItem('koi.after');
    location.hash = after === '#/signin' ? '#/' : after;
  }
}
