// Calls to the KOI API. The key lives in sessionStorage only (gone when
// the tab closes, never in localStorage or a URL) and travels as the
// X-API-Key header.

const KEY = 'koi.key';

/** An API error: status, detail and the problem's per-field errors. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.errors = problem.errors || [];
  }
}

export function key() {
  return sessionStorage.getItem(KEY);
}

export function setKey(value) {
  if (value) sessionStorage.setItem(KEY, value);
  else sessionStorage.removeItem(KEY);
  whoami.cached = null;
}

export function headers(extra = {}) {
  const k = key();
  return k ? { ...extra, 'X-API-Key': k } : extra;
}

/** JSON in, JSON out; a 401 sends the user to the sign-in page. */
export async function api(method, path, body) {
  const init = { method, headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(path, init);
  if (response.status === 401) {
    window.dispatchEvent(new CustomEvent('koi:unauthorized'));
  }
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data || {});
  return data;
}

export const get = (path) => api('GET', path);

/** What the current key may do: {keys_required, role, projects}. */
export async function whoami() {
  whoami.cached ??= get('/v1/whoami').catch((e) => {
    whoami.cached = null;
    throw e;
  });
  return whoami.cached;
}

export async function isAdmin() {
  return (await whoami()).role === 'admin';
}

/** Path segment, escaped. */
export const seg = encodeURIComponent;
