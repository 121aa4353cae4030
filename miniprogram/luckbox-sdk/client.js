// LuckboxClient: the session (wx.login → POST /login, the token kept in
// storage, one re-login on a 401), every API call with typed errors, and
// idempotency keys that a retry reuses.
const { LuckboxError } = require('./errors');
const { OPERATIONS, buildPath } = require('./operations');
const wxapi = require('./wx');

const DEFAULTS = {
  storageKey: 'luckbox.session',
  timeout: 15000,
  retries: 2,
  retryDelay: 500,
  maxRetryDelay: 5000,
  pollInterval: 1000,
  payTimeout: 60000,
  templates: { lotteryResult: 'luckbox_lottery_result', exchangeReminder: 'luckbox_exchange_reminder' },
  pages: { lottery: '/pages/lottery/detail', packet: '/pages/packet/detail', exchange: '/pages/exchange/index' },
};

let keySeq = 0;

/**
 * newIdempotencyKey returns a key unique to this device and moment: time,
 * a counter and randomness (uniqueness is what matters, not secrecy).
 */
function newIdempotencyKey() {
  keySeq = (keySeq + 1) % 1679616;
  let rnd = '';
  for (let i = 0; i < 4; i++) rnd += Math.floor(Math.random() * 2176782336).toString(36);
  return 'mp-' + Date.now().toString(36) + '-' + keySeq.toString(36) + '-' + rnd;
}

/** sleep resolves after ms milliseconds. */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** LuckboxClient calls one luckbox server as one mini-program user. */
class LuckboxClient {
  /**
   * options: baseURL (required), wx (default: the global wx), storageKey,
   * timeout, retries, retryDelay, pollInterval, payTimeout, templates, pages,
   * getLoginCode (default: wx.login), requestPayment (default:
   * wx.requestPayment), requestMerchantTransfer (default:
   * wx.requestMerchantTransfer), onSession (called with the session or null).
   */
  constructor(options) {
    const o = options || {};
    if (!o.baseURL) throw new Error('luckbox-sdk: baseURL is required');
    this.baseURL = String(o.baseURL).replace(/\/+$/, '');
    this.wx = o.wx || (typeof wx !== 'undefined' ? wx : null); // eslint-disable-line no-undef
    this.options = Object.assign({}, DEFAULTS, o, {
      templates: Object.assign({}, DEFAULTS.templates, o.templates),
      pages: Object.assign({}, DEFAULTS.pages, o.pages),
    });
    this.store = wxapi.storage(this.wx);
    this.getLoginCode = o.getLoginCode || (() => wxapi.loginCode(this.wx));
    this.payWithWechat = o.requestPayment || ((params) => wxapi.requestPayment(this.wx, params));
    this.confirmTransfer = o.requestMerchantTransfer || ((params) => wxapi.requestMerchantTransfer(this.wx, params));
    this.loggingIn = null;
    this.launch = { shareTicket: '', scene: 0 };
  }

  // ---- session -------------------------------------------------------------

  /** session returns the stored login ({token, expires_at, user}) or null. */
  session() {
    const s = this.store.get(this.options.storageKey);
    if (!s || !s.token) return null;
    if (s.expires_at && Date.parse(s.expires_at) <= Date.now()) return null;
    return s;
  }

  /** user returns the logged-in user ({id, nickname, avatar_url}) or null. */
  user() {
    const s = this.session();
    return s ? s.user : null;
  }

  /**
   * login gets a code (wx.login), exchanges it at POST /api/v1/login and
   * stores the session. Concurrent calls share one login.
   */
  login() {
    if (!this.loggingIn) {
      this.loggingIn = (async () => {
        const code = await this.getLoginCode();
        const res = await this.call('login', { body: { code }, auth: false });
        this.saveSession({ token: res.token, expires_at: res.expires_at, user: res.user });
        return res;
      })();
      const done = () => { this.loggingIn = null; };
      this.loggingIn.then(done, done);
    }
    return this.loggingIn;
  }

  /** ensureLogin resolves with the session, logging in when there is none. */
  async ensureLogin() {
    const s = this.session();
    if (s) return s;
    await this.login();
    return this.session();
  }

  /** logout ends the session on the server (if it can) and forgets it here. */
  async logout() {
    const s = this.session();
    if (s) {
      try {
        await this.call('logout', { body: {}, reloginOn401: false });
      } catch (e) {
        // Already gone on the server; forgetting it here is what matters.
      }
    }
    this.saveSession(null);
  }

  saveSession(s) {
    if (s) this.store.set(this.options.storageKey, s);
    else this.store.remove(this.options.storageKey);
    if (typeof this.options.onSession === 'function') this.options.onSession(s);
  }

  // ---- requests --------------------------------------------------------------

  /**
   * call runs the named operation (operations.js). opts: params (path
   * values), query, body (JSON), idempotencyKey (POSTs get a fresh one
   * otherwise; every retry of this call reuses it), auth (false: no token),
   * responseType ("arraybuffer" for images). Network failures, 429 and 5xx
   * are retried (GETs and keyed POSTs only); a 401 logs in again, once.
   * Resolves with the parsed body (null for 204); rejects with LuckboxError.
   */
  async call(name, opts) {
    const o = opts || {};
    const op = OPERATIONS[name];
    if (!op) throw new Error('luckbox-sdk: unknown operation ' + name);
    const method = op[0];
    const path = buildPath(op[1], o.params, o.query);
    const auth = o.auth !== false;
    const key = method === 'POST' && auth ? (o.idempotencyKey || newIdempotencyKey()) : '';
    const retryable = method === 'GET' || key !== '';
    let relogged = o.reloginOn401 === false;
    let attempt = 0;
    for (;;) {
      const token = auth ? (await this.ensureLogin()).token : '';
      let res;
      try {
        res = await this.send(method, path, token, key, o);
      } catch (err) {
        if (retryable && attempt < this.options.retries) {
          await sleep(this.backoff(attempt++, 0));
          continue;
        }
        throw err;
      }
      const status = res.statusCode;
      if (status === 401 && auth && !relogged) {
        relogged = true;
        if (this.session() && this.session().token === token) this.saveSession(null);
        await this.ensureLogin();
        continue;
      }
      if ((status === 429 || status >= 500) && retryable && attempt < this.options.retries) {
        const after = Number(wxapi.header(res.header, 'Retry-After')) || 0;
        await sleep(this.backoff(attempt++, after * 1000));
        continue;
      }
      return this.parse(res, o.responseType);
    }
  }

  backoff(attempt, hint) {
    const base = Math.max(hint, this.options.retryDelay * Math.pow(2, attempt));
    return Math.min(base, this.options.maxRetryDelay);
  }

  // send performs one HTTP exchange.
  send(method, path, token, key, o) {
    const header = { Accept: 'application/json' };
    if (token) header.Authorization = 'Bearer ' + token;
    if (key) header['Idempotency-Key'] = key;
    const req = { url: this.baseURL + path, method, header, timeout: this.options.timeout };
    if (o.body !== undefined && method !== 'GET') {
      header['Content-Type'] = 'application/json';
      req.data = JSON.stringify(o.body);
    }
    if (o.responseType === 'arraybuffer') req.responseType = 'arraybuffer';
    return wxapi.request(this.wx, req);
  }

  // parse turns a response into its value, or throws its LuckboxError.
  parse(res, responseType) {
    const status = res.statusCode;
    const requestId = wxapi.header(res.header, 'X-Request-Id');
    if (status >= 200 && status < 300) {
      if (responseType === 'arraybuffer') return res.data;
      if (status === 204 || res.data === '' || res.data === undefined || res.data === null) return null;
      if (typeof res.data !== 'string') return res.data;
      try {
        return JSON.parse(res.data);
      } catch (e) {
        throw new LuckboxError({ code: 'bad_response', status, message: 'the server answered with something other than JSON', requestId });
      }
    }
    let body = null;
    try {
      body = typeof res.data === 'string' ? JSON.parse(res.data) : res.data;
    } catch (e) {
      body = null;
    }
    const e = (body && body.error) || {};
    throw new LuckboxError({
      code: e.code || (status === 404 ? 'not_found' : 'bad_response'),
      status,
      message: e.message || 'HTTP ' + status,
      details: e.details,
      reason: e.reason,
      requestId,
      retryAfter: Number(wxapi.header(res.header, 'Retry-After')) || 0,
    });
  }
}

module.exports = { LuckboxClient, newIdempotencyKey, sleep, DEFAULTS };
