// A small client of the luckbox JSON API (/api/v1), the same calls a
// mini-program makes. Errors come back as ApiError with the API's error code.

/** ApiError is an error answer of the API: {"error":{code,message,details,reason}}. */
export class ApiError extends Error {
  constructor(status, code, message, details, reason) {
    super(message || code || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code || '';
    this.details = details || [];
    this.reason = reason || '';
  }
}

/** randomKey returns a random hex string (works outside secure contexts too). */
export function randomKey() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * Api calls the server with a bearer token from getToken(). onAuthFail is
 * called when the server answers 401 to a call that carried a token.
 */
export class Api {
  constructor(getToken, onAuthFail) {
    this.getToken = getToken;
    this.onAuthFail = onAuthFail || (() => {});
  }

  /**
   * request sends one call. opts: body (JSON value, or a string sent as is
   * with opts.contentType), accept, raw (return the Response, for files),
   * noAuth. Authenticated POSTs carry an Idempotency-Key, so a retry of the
   * same request is answered from the server's record; calls that are
   * idempotent by themselves (a grab, a join) pass idempotencyKey: false to
   * spare the server the record.
   */
  async request(method, path, opts = {}) {
    const headers = { Accept: opts.accept || 'application/json' };
    const token = opts.noAuth ? '' : this.getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    let body;
    if (opts.body !== undefined) {
      if (typeof opts.body === 'string') {
        body = opts.body;
        headers['Content-Type'] = opts.contentType || 'text/plain';
      } else {
        body = JSON.stringify(opts.body);
        headers['Content-Type'] = 'application/json';
      }
    }
    if (method === 'POST' && token && opts.idempotencyKey !== false) headers['Idempotency-Key'] = opts.idempotencyKey || randomKey();
    let res;
    try {
      res = await fetch(path, { method, headers, body, cache: 'no-store' });
    } catch (err) {
      throw new ApiError(0, 'network', String(err && err.message ? err.message : err));
    }
    if (!res.ok) {
      let e = {};
      try {
        e = (await res.json()).error || {};
      } catch {
        e = {};
      }
      if (res.status === 401 && token) this.onAuthFail();
      throw new ApiError(res.status, e.code || '', e.message || res.statusText, e.details, e.reason);
    }
    if (opts.raw) return res;
    if (res.status === 204) return null;
    const text = await res.text();
    return text ? JSON.parse(text) : null;
  }

  get(path, opts) { return this.request('GET', path, opts); }
  post(path, body, opts = {}) { return this.request('POST', path, { ...opts, body: body === undefined ? {} : body }); }
  patch(path, body, opts = {}) { return this.request('PATCH', path, { ...opts, body }); }
  del(path, opts) { return this.request('DELETE', path, opts); }
}

/** q builds a query string from the non-empty values of params. */
export function q(params) {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') s.set(k, v);
  const out = s.toString();
  return out ? `?${out}` : '';
}

/** seg escapes one path segment (ids are opaque strings). */
export const seg = (s) => encodeURIComponent(String(s));
