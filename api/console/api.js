// The REST API as the console uses it: the signed-in token (kept in
// sessionStorage, sent as a Bearer header, never put in a URL), JSON in and
// out, the notification stream read with fetch (EventSource cannot send a
// bearer token), and the Prometheus text of /metrics read into numbers.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export class Api {
  constructor(storageKey) {
    this.storageKey = storageKey;
  }

  get token() {
    return sessionStorage.getItem(this.storageKey);
  }

  set token(value) {
    if (value) sessionStorage.setItem(this.storageKey, value);
    else sessionStorage.removeItem(this.storageKey);
  }

  // path: "/metrics" as is, anything else below /api/v1 ("chargepoints").
  async request(method, path, body) {
    const headers = { Authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const url = path.startsWith('/') ? path : `/api/v1/${path}`;
    const response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
    const text = await response.text();
    let data = text;
    if ((response.headers.get('content-type') || '').startsWith('application/json') && text) {
      data = JSON.parse(text);
    }
    if (!response.ok) {
      throw new ApiError(response.status, data && data.error ? data.error : `HTTP ${response.status}`);
    }
    return data;
  }

  get(path) {
    return this.request('GET', path);
  }

  post(path, body) {
    return this.request('POST', path, body === undefined ? {} : body);
  }

  put(path, body) {
    return this.request('PUT', path, body);
  }

  delete(path) {
    return this.request('DELETE', path);
  }

  // Server-sent events of GET /notifications/stream: onEvent({id, event,
  // data}) for each; reconnects after a drop, from the last id seen, until
  // signal aborts. onState('open' | 'closed') tells the page.
  async stream(path, onEvent, onState, signal) {
    let lastId = null;
    while (!signal.aborted) {
      try {
        const url = `/api/v1/${path}${lastId ? `?since=${encodeURIComponent(lastId)}` : ''}`;
        const response = await fetch(url, {
          headers: { Authorization: `Bearer ${this.token}`, Accept: 'text/event-stream' },
          signal,
        });
        if (!response.ok) throw new ApiError(response.status, `stream: HTTP ${response.status}`);
        onState('open');
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = { id: null, event: 'message', data: '' };
            for (const line of block.split('\n')) {
              if (line.startsWith('id:')) event.id = line.slice(3).trim();
              else if (line.startsWith('event:')) event.event = line.slice(6).trim();
              else if (line.startsWith('data:')) event.data += line.slice(5).trim();
            }
            if (event.id) lastId = event.id;
            if (event.data) onEvent({ ...event, data: JSON.parse(event.data) });
          }
        }
      } catch (error) {
        if (signal.aborted) return;
        if (error.status === 401) {
          onState('closed');
          return;
        }
      }
      onState('closed');
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
  }
}

// "name{labels}" → value, from the Prometheus text format.
export function parseMetrics(text) {
  const samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

// The sum of every sample of `name` whose labels include all of `labels`.
export function sumMetric(samples, name, labels = {}) {
  let total = 0;
  for (const [series, value] of samples) {
    if (series !== name && !series.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => series.includes(`${k}="${v}"`))) total += value;
  }
  return total;
}

// Per value of `label` (e.g. action) of histogram `name`: {count, mean,
// p95} in seconds, p95 as the upper bound of the bucket holding it.
export function histogramByLabel(samples, name, label) {
  const rows = new Map();
  const valueOf = (series, key) => (series.match(new RegExp(`${key}="([^"]*)"`)) || [])[1];
  for (const [series, value] of samples) {
    const kind = ['_bucket', '_sum', '_count'].find((k) => series.startsWith(`${name}${k}{`));
    if (!kind) continue;
    const key = valueOf(series, label);
    if (key === undefined) continue;
    const row = rows.get(key) || { buckets: [], sum: 0, count: 0 };
    if (kind === '_bucket') row.buckets.push({ le: Number(valueOf(series, 'le').replace('+Inf', 'Infinity')), value });
    else if (kind === '_sum') row.sum = value;
    else row.count = value;
    rows.set(key, row);
  }
  const out = [];
  for (const [key, row] of rows) {
    if (!row.count) continue;
    row.buckets.sort((a, b) => a.le - b.le);
    const p95 = (row.buckets.find((b) => b.value >= 0.95 * row.count) || { le: Infinity }).le;
    out.push({ key, count: row.count, mean: row.sum / row.count, p95 });
  }
  return out.sort((a, b) => b.count - a.count);
}
