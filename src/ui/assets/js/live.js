// Follows a project's new points: the SSE stream (read with fetch, since
// EventSource cannot send the key header), and polling while the stream
// is down. A slow refetch also runs while the stream is up, because a
// point computed by another server is not announced by this one.

import { headers, seg } from './api.js';

const POLL_MS = 5000;
const REFRESH_MS = 60000;
const RETRY_MS = 10000;

/**
 * Calls onPoint(point) for each new point, onAlert(change) for each alert
 * transition, onChanged() when the page should refetch,
 * onMode('live' | 'polling'). Returns stop().
 */
export function follow(code, { onPoint, onAlert, onChanged, onMode }) {
  let stopped = false;
  let abort = null;
  let poll = null;
  const refresh = setInterval(onChanged, REFRESH_MS);

  function polling() {
    onMode('polling');
    poll ??= setInterval(onChanged, POLL_MS);
    setTimeout(connect, RETRY_MS);
  }

  async function connect() {
    if (stopped) return;
    abort = new AbortController();
    try {
      const response = await fetch(`/v1/projects/${seg(code)}/events`, { headers: headers(), signal: abort.signal });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      onMode('live');
      clearInterval(poll);
      poll = null;
      // Points may have come before the stream was up.
      onChanged();
      await read(response.body, (event, data) => {
        if (event === 'point') onPoint(JSON.parse(data));
        else if (event === 'alert') onAlert(JSON.parse(data));
        else if (event === 'changed') onChanged();
      });
    } catch {
      // Dropped or refused: fall through to polling.
    }
    if (!stopped) polling();
  }

  connect();
  return () => {
    stopped = true;
    clearInterval(refresh);
    clearInterval(poll);
    abort?.abort();
  };
}

/** Parses `event:` / `data:` frames of a text/event-stream body. */
async function read(body, dispatch) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data = [];
      for (const line of frame.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length) dispatch(event, data.join('\n'));
    }
  }
}
