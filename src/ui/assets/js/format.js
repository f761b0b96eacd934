// Numbers and times as people read them, in the UI's language.
import { lang, t } from './i18n.js';

export function num(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  return Number(value).toLocaleString(lang(), { maximumFractionDigits: digits });
}

export function percent(share) {
  if (share === null || share === undefined) return '–';
  return `${Math.round(share * 100)}%`;
}

export function dateTime(iso) {
  if (!iso) return '–';
  return new Date(iso).toLocaleString(lang());
}

/** "5 min ago" style, for last updates. */
export function ago(iso) {
  if (!iso) return t('never');
  const secs = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
  const rtf = new Intl.RelativeTimeFormat(lang(), { numeric: 'auto' });
  if (secs < 60) return rtf.format(-Math.round(secs), 'second');
  if (secs < 3600) return rtf.format(-Math.round(secs / 60), 'minute');
  if (secs < 86400) return rtf.format(-Math.round(secs / 3600), 'hour');
  return rtf.format(-Math.round(secs / 86400), 'day');
}

/** RFC 3339 without milliseconds, as the API's parameters take it. */
export function rfc3339(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
