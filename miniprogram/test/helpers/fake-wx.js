// A stand-in for the mini-program's wx object, for tests in Node: request
// goes over HTTP to a real luckbox (in demo mode), login mints codes from
// the fake WeChat, requestPayment completes payments through the fake
// WeChat Pay (as the demo client's wallet page does), and
// requestSubscribeMessage grants templates in the fake. Storage is a Map.

/**
 * createWx returns a wx for openid at the luckbox server baseURL. options:
 * chunked (false: RequestTask has no onChunkReceived, like an old base
 * library), chunkSize (split stream chunks into pieces of this many bytes),
 * pay ("succeed" | "cancel"), notifyDelay (ms between the payment's success
 * and WeChat Pay's notification; 0: before), subscribe ("accept" | "reject").
 * Knobs on the returned object: dropResponses (the next N POST answers are
 * lost after the server handled them), log (every request).
 */
function createWx(baseURL, openid, options) {
  const o = Object.assign({ chunked: true, chunkSize: 0, pay: 'succeed', notifyDelay: 0, subscribe: 'accept' }, options);
  const store = new Map();
  const orders = new Map(); // pay_params.package → out_trade_no, seen in responses
  const post = async (path, body) => {
    const res = await fetch(baseURL + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body || {}) });
    const text = await res.text();
    if (!res.ok) throw new Error(path + ': HTTP ' + res.status + ' ' + text);
    return text ? JSON.parse(text) : null;
  };
  const noteOrders = (v) => {
    if (v && typeof v === 'object') {
      if (v.pay_params && v.pay_params.package && v.out_trade_no) orders.set(v.pay_params.package, v.out_trade_no);
      if (Array.isArray(v.items)) v.items.forEach(noteOrders);
    }
  };
  const later = (fn) => setTimeout(fn, 0);
  const shareInfo = (api, ticket, r) => {
    if (!ticket) return later(() => r.fail && r.fail({ errMsg: api + ':fail 40097 scene error' }));
    return post('/_fake/wechat/share-info', { openid, share_ticket: ticket }).then(
      (s) => r.success && r.success({ encryptedData: s.encrypted_data, iv: s.iv, errMsg: api + ':ok' }),
      (e) => r.fail && r.fail({ errMsg: api + ':fail ' + e.message }));
  };

  const wx = {
    openid,
    options: o,
    log: [],
    dropResponses: 0,
    pending: new Set(),

    request(r) {
      const ac = new AbortController();
      const headerCbs = [];
      const chunkCbs = [];
      let aborted = false;
      let timedOut = false;
      const task = {
        abort() { aborted = true; ac.abort(); },
        onHeadersReceived(cb) { headerCbs.push(cb); },
        offHeadersReceived() {},
      };
      if (o.chunked) {
        task.onChunkReceived = (cb) => { chunkCbs.push(cb); };
        task.offChunkReceived = () => {};
      }
      const method = (r.method || 'GET').toUpperCase();
      wx.log.push({ method, url: r.url });
      const timer = r.timeout ? setTimeout(() => { timedOut = true; ac.abort(); }, r.timeout) : null;
      const run = (async () => {
        try {
          const res = await fetch(r.url, { method, headers: r.header || {}, body: method === 'GET' ? undefined : r.data, signal: ac.signal });
          const header = {};
          res.headers.forEach((v, k) => { header[k] = v; });
          for (const cb of headerCbs) cb({ statusCode: res.status, header });
          if (r.enableChunked && o.chunked) {
            const reader = res.body.getReader();
            for (;;) {
              const { done, value } = await reader.read();
              if (done) break;
              const step = o.chunkSize || value.length;
              for (let i = 0; i < value.length; i += step) {
                const piece = value.slice(i, i + step);
                for (const cb of chunkCbs) cb({ data: piece.buffer });
              }
            }
            r.success && r.success({ statusCode: res.status, header, data: new ArrayBuffer(0), errMsg: 'request:ok' });
            return;
          }
          const buf = Buffer.from(await res.arrayBuffer());
          let data = r.responseType === 'arraybuffer' ? buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length) : buf.toString('utf8');
          if (typeof data === 'string') {
            try { noteOrders(JSON.parse(data)); } catch (e) { /* not JSON */ }
            if (r.dataType === 'json' || r.dataType === undefined) {
              try { data = JSON.parse(data); } catch (e) { /* stays text */ }
            }
          }
          if (method === 'POST' && wx.dropResponses > 0) {
            wx.dropResponses--;
            r.fail && r.fail({ errMsg: 'request:fail timeout' });
            return;
          }
          r.success && r.success({ statusCode: res.status, header, data, errMsg: 'request:ok' });
        } catch (e) {
          let msg = 'request:fail ' + e.message;
          if (timedOut) msg = 'request:fail timeout';
          else if (aborted) msg = 'request:fail abort';
          r.fail && r.fail({ errMsg: msg });
        } finally {
          if (timer) clearTimeout(timer);
          r.complete && r.complete({});
        }
      })();
      wx.pending.add(run);
      run.finally(() => wx.pending.delete(run));
      return task;
    },

    login(r) {
      post('/_fake/wechat/login-code', { openid }).then(
        (res) => r.success && r.success({ code: res.code, errMsg: 'login:ok' }),
        (e) => r.fail && r.fail({ errMsg: 'login:fail ' + e.message }));
    },

    getStorageSync(k) { return store.has(k) ? store.get(k) : ''; },
    setStorageSync(k, v) { store.set(k, JSON.parse(JSON.stringify(v))); },
    removeStorageSync(k) { store.delete(k); },

    requestPayment(r) {
      const no = orders.get(r.package);
      const missing = ['timeStamp', 'nonceStr', 'package', 'signType', 'paySign'].filter((k) => !r[k]);
      if (missing.length) return later(() => r.fail({ errMsg: 'requestPayment:fail missing ' + missing.join(',') }));
      if (!no) return later(() => r.fail({ errMsg: 'requestPayment:fail unknown prepay ' + r.package }));
      if (o.pay === 'cancel') return later(() => r.fail({ errMsg: 'requestPayment:fail cancel' }));
      const notify = () => post('/_fake/wechat/pay/' + encodeURIComponent(no) + '/succeed', {});
      if (o.notifyDelay > 0) {
        later(() => r.success({ errMsg: 'requestPayment:ok' }));
        setTimeout(() => { notify().catch(() => {}); }, o.notifyDelay);
        return undefined;
      }
      notify().then(() => r.success({ errMsg: 'requestPayment:ok' }), (e) => r.fail({ errMsg: 'requestPayment:fail ' + e.message }));
      return undefined;
    },

    requestMerchantTransfer(r) {
      const missing = ['mchId', 'appId', 'package'].filter((k) => !r[k]);
      if (missing.length) return later(() => r.fail({ errMsg: 'requestMerchantTransfer:fail missing ' + missing.join(',') }));
      if (o.transfer === 'cancel') return later(() => r.fail({ errMsg: 'requestMerchantTransfer:fail cancel' }));
      const body = { mchId: r.mchId, appId: r.appId, package: r.package, decline: o.transfer === 'decline' };
      post('/_fake/wechat/transfer/confirm', body).then(
        () => r.success({ errMsg: 'requestMerchantTransfer:ok' }), (e) => r.fail({ errMsg: 'requestMerchantTransfer:fail ' + e.message }));
      return undefined;
    },

    requestSubscribeMessage(r) {
      const res = { errMsg: 'requestSubscribeMessage:ok' };
      Promise.all((r.tmplIds || []).map(async (id) => {
        if (o.subscribe !== 'accept') {
          res[id] = 'reject';
          return;
        }
        await post('/_fake/wechat/subscribe', { openid, template_id: id });
        res[id] = 'accept';
      })).then(() => r.success(res), (e) => r.fail({ errMsg: 'requestSubscribeMessage:fail ' + e.message }));
    },

    showShareMenu(r) { later(() => r.success && r.success({ errMsg: 'showShareMenu:ok' })); },
    // getShareInfo asks the fake WeChat for the share info of the ticket
    // (members of its group only); getGroupEnterInfo does the same for the
    // ticket of the card the page was opened from (enterGroup), failing
    // with 40097 when there is none.
    getShareInfo(r) { shareInfo('getShareInfo', r.shareTicket, r); },
    getGroupEnterInfo(r) { shareInfo('getGroupEnterInfo', wx.enteredTicket, r); },
    enteredTicket: '',
    /** enterGroup opens the page from the group card of ticket. */
    enterGroup(ticket) { wx.enteredTicket = ticket; },
    /** joinGroup puts this user in the fake's group. */
    async joinGroup(group) { return post('/_fake/wechat/groups/members', { group, openid }); },
    /** shareTicket is the ticket of this user sharing a card into group. */
    async shareTicket(group) { return (await post('/_fake/wechat/share-ticket', { group, openid })).share_ticket; },
    showToast() {},
    showModal(r) { later(() => r.success && r.success({ confirm: true, cancel: false })); },
    navigateTo() {},
    redirectTo() {},
    stopPullDownRefresh() {},
    setNavigationBarTitle() {},
    getAccountInfoSync() { return { miniProgram: { appId: 'touristappid', envVersion: 'develop' } }; },

    /** phoneCode mints what the getPhoneNumber button gives, in the fake. */
    async phoneCode(phone) {
      return (await post('/_fake/wechat/phone-code', { openid, phone })).code;
    },
  };
  return wx;
}

module.exports = { createWx };
