// Live lottery updates. The mini-program runtime has no EventSource, so the
// stream GET /lotteries/{id}/events is read with a chunked wx.request
// (enableChunked, base library 2.20.2+), whose chunks are decoded (utf8.js)
// and parsed as Server-Sent Events (sse.js). Where chunks do not arrive (an
// older base library, a proxy that buffers, a runtime without
// RequestTask.onChunkReceived), it falls back to polling GET /lotteries/{id}
// and derives the same events from what changed.
const { LuckboxError } = require('./errors');
const { Utf8Decoder } = require('./utf8');
const { SSEParser } = require('./sse');
const { buildPath, OPERATIONS } = require('./operations');

const HANDLERS = { state: 'onState', count: 'onCount', locked: 'onLocked', drawn: 'onDrawn', canceled: 'onCanceled' };
const FINAL = ['drawn', 'canceled'];

const LIVE_DEFAULTS = {
  mode: 'auto', // "auto": stream, else poll; "stream": stream only; "poll": poll only
  pollInterval: 3000,
  firstEventTimeout: 8000, // auto: no event this long after connecting → poll
  streamTimeout: 300000, // a stream is reopened after this long (wx.request's timeout)
  reconnectDelay: 3000, // the server's "retry:" overrides it
};

/** changes returns the events that turn lottery a into lottery b. */
function changes(a, b) {
  const out = [];
  if (b.participant_count !== a.participant_count) out.push(['count', { participant_count: b.participant_count }]);
  if (b.status !== a.status) {
    const f = b.fairness || {};
    if (b.status === 'locked') out.push(['locked', { locked_at: b.locked_at, entries_hash: f.entries_hash, participant_count: b.participant_count }]);
    if (b.status === 'drawn') {
      out.push(['drawn', { drawn_at: b.drawn_at, participant_count: b.participant_count, winner_count: b.winner_count, entries_hash: f.entries_hash, seed: f.seed }]);
    }
    if (b.status === 'canceled') out.push(['canceled', { canceled_at: b.canceled_at }]);
  }
  return out;
}

/** apply updates the last known lottery with an event. */
function apply(last, name, data) {
  if (name === 'state') return data;
  if (!last) return last;
  const l = Object.assign({}, last, { fairness: Object.assign({}, last.fairness) });
  if (data && data.participant_count !== undefined) l.participant_count = data.participant_count;
  if (name === 'locked') {
    Object.assign(l, { status: 'locked', locked_at: data.locked_at });
    l.fairness.entries_hash = data.entries_hash;
  }
  if (name === 'drawn') {
    Object.assign(l, { status: 'drawn', drawn_at: data.drawn_at, winner_count: data.winner_count });
    l.fairness.entries_hash = data.entries_hash;
    l.fairness.seed = data.seed;
  }
  if (name === 'canceled') Object.assign(l, { status: 'canceled', canceled_at: data.canceled_at });
  return l;
}

/**
 * watchLottery follows lottery id live. handlers: onState(lottery),
 * onCount({participant_count}), onLocked({locked_at, entries_hash,
 * participant_count}), onDrawn({drawn_at, participant_count, winner_count,
 * entries_hash, seed}), onCanceled({canceled_at}), onEvent(name, data),
 * onMode("stream" | "poll"), onError(err). It stops by itself after drawn
 * or canceled. Returns {close(), mode(), lottery()}.
 */
function watchLottery(client, id, handlers, options) {
  const h = handlers || {};
  const o = Object.assign({}, LIVE_DEFAULTS, options);
  const w = { mode: '', closed: false, task: null, timers: [], last: null, gen: 0 };

  const later = (fn, ms) => {
    const t = setTimeout(fn, ms);
    w.timers.push(t);
    return t;
  };
  const close = () => {
    if (w.closed) return;
    w.closed = true;
    w.gen++;
    for (const t of w.timers) clearTimeout(t);
    w.timers = [];
    if (w.task && typeof w.task.abort === 'function') w.task.abort();
    w.task = null;
  };
  const report = (err) => {
    if (!w.closed && typeof h.onError === 'function') h.onError(err);
  };
  const setMode = (m) => {
    if (w.mode === m) return;
    w.mode = m;
    if (typeof h.onMode === 'function') h.onMode(m);
  };
  const emit = (name, data) => {
    if (w.closed || !HANDLERS[name]) return;
    w.last = apply(w.last, name, data);
    if (typeof h.onEvent === 'function') h.onEvent(name, data);
    if (typeof h[HANDLERS[name]] === 'function') h[HANDLERS[name]](data);
    if (FINAL.indexOf(name) >= 0 || (name === 'state' && FINAL.indexOf(data.status) >= 0)) close();
  };

  // ---- polling ----
  const poll = () => {
    w.gen++;
    const gen = w.gen;
    if (w.task && typeof w.task.abort === 'function') w.task.abort();
    w.task = null;
    setMode('poll');
    const tick = async () => {
      if (w.closed || gen !== w.gen) return;
      try {
        const l = await client.getLottery(id);
        if (w.closed || gen !== w.gen) return;
        if (!w.last) emit('state', l);
        else for (const c of changes(w.last, l)) emit(c[0], c[1]);
        if (!w.closed) w.last = l;
      } catch (err) {
        report(err);
        if (err instanceof LuckboxError && (err.status === 403 || err.status === 404)) {
          close();
          return;
        }
      }
      if (!w.closed && gen === w.gen) later(tick, o.pollInterval);
    };
    tick();
  };

  // ---- the stream ----
  let relogged = false;
  const stream = async () => {
    w.gen++;
    const gen = w.gen;
    setMode('stream');
    let session;
    try {
      session = await client.ensureLogin();
    } catch (err) {
      report(err);
      if (!w.closed && gen === w.gen) later(stream, o.reconnectDelay);
      return;
    }
    if (w.closed || gen !== w.gen) return;
    const decoder = new Utf8Decoder();
    let gotEvent = false;
    let status = 0;
    let errorText = '';
    const parser = new SSEParser((ev) => {
      if (gen !== w.gen) return;
      let data = null;
      try {
        data = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      gotEvent = true;
      relogged = false;
      emit(ev.event, data);
    });
    const ended = (res, err) => {
      if (w.closed || gen !== w.gen) return;
      w.task = null;
      const code = res ? res.statusCode : 0;
      if (code === 401 && !relogged) {
        relogged = true;
        if (client.session() && client.session().token === session.token) client.saveSession(null);
        later(stream, 0);
        return;
      }
      if (code && code !== 200) {
        let body = null;
        try {
          body = JSON.parse(errorText || (typeof res.data === 'string' ? res.data : ''));
        } catch (e) {
          body = null;
        }
        const e = (body && body.error) || {};
        report(new LuckboxError({ code: e.code || 'bad_response', status: code, message: e.message || 'HTTP ' + code }));
        if (code === 403 || code === 404) {
          close();
          return;
        }
      } else if (err && err.errMsg && /abort/i.test(err.errMsg)) {
        return;
      }
      if (!gotEvent && o.mode === 'auto') poll();
      else later(stream, parser.retry || o.reconnectDelay);
    };
    const url = client.baseURL + buildPath(OPERATIONS.lotteryEvents[1], { id });
    const task = client.wx.request({
      url,
      method: 'GET',
      header: { Authorization: 'Bearer ' + session.token, Accept: 'text/event-stream' },
      enableChunked: true,
      responseType: 'arraybuffer',
      timeout: o.streamTimeout,
      success: (res) => ended(res, null),
      fail: (err) => ended(null, err),
    });
    if (!task || typeof task.onChunkReceived !== 'function') {
      if (task && typeof task.abort === 'function') task.abort();
      if (o.mode === 'stream') report(new LuckboxError({ code: 'network', message: 'this runtime cannot read a chunked response' }));
      else poll();
      return;
    }
    w.task = task;
    if (typeof task.onHeadersReceived === 'function') {
      task.onHeadersReceived((r) => {
        if (r && r.statusCode) status = r.statusCode;
      });
    }
    task.onChunkReceived((r) => {
      if (gen !== w.gen) return;
      const text = decoder.decode(r.data);
      if (status && status !== 200) errorText += text;
      else parser.push(text);
    });
    if (o.mode === 'auto') {
      later(() => {
        if (!gotEvent && gen === w.gen && !w.closed) poll();
      }, o.firstEventTimeout);
    }
  };

  if (o.mode === 'poll') poll();
  else stream();
  return { close, mode: () => w.mode, lottery: () => w.last };
}

const live = {
  /** watchLottery follows a lottery live; see live.js. */
  watchLottery(id, handlers, options) {
    return watchLottery(this, id, handlers, options);
  },
};

module.exports = { live, watchLottery, changes, LIVE_DEFAULTS };
