// Promise wrappers of the wx APIs the SDK uses. Every function takes the wx
// object explicitly, so tests (and other runtimes) can pass a stand-in.
const { LuckboxError } = require('./errors');

/**
 * call runs wx[name](opts) and resolves with what its success callback gets,
 * or rejects with fail's argument ({errMsg}).
 */
function call(wx, name, opts) {
  return new Promise((resolve, reject) => {
    if (!wx || typeof wx[name] !== 'function') {
      reject({ errMsg: name + ':fail not supported' });
      return;
    }
    wx[name](Object.assign({}, opts, { success: resolve, fail: reject }));
  });
}

/** errMsgOf returns the errMsg of a wx failure (or the error's message). */
function errMsgOf(err) {
  if (!err) return '';
  return String(err.errMsg || err.message || err);
}

/**
 * request sends one wx.request and resolves with {statusCode, data, header}
 * (data is the body text); a transport failure rejects with a LuckboxError
 * of code "network" and status 0.
 */
function request(wx, opts) {
  return call(wx, 'request', Object.assign({ dataType: 'text', responseType: 'text' }, opts)).catch((err) => {
    throw new LuckboxError({ code: 'network', status: 0, message: errMsgOf(err) || 'request failed' });
  });
}

/** header reads a response header whatever its case (runtimes differ). */
function header(headers, name) {
  if (!headers) return '';
  const want = name.toLowerCase();
  for (const k of Object.keys(headers)) if (k.toLowerCase() === want) return String(headers[k]);
  return '';
}

/** loginCode resolves with the code of wx.login. */
function loginCode(wx) {
  return call(wx, 'login', {}).then((res) => {
    if (!res || !res.code) throw new LuckboxError({ code: 'login_failed', message: 'wx.login gave no code' });
    return res.code;
  }, (err) => {
    throw new LuckboxError({ code: 'login_failed', message: errMsgOf(err) || 'wx.login failed' });
  });
}

/**
 * requestPayment runs wx.requestPayment with the server's pay_params. A user
 * who closes the cashier rejects with code "payment_canceled"; any other
 * failure with "payment_failed".
 */
function requestPayment(wx, params) {
  const opts = {
    timeStamp: params.timeStamp, nonceStr: params.nonceStr, package: params.package,
    signType: params.signType, paySign: params.paySign,
  };
  return call(wx, 'requestPayment', opts).then(() => undefined, (err) => {
    const msg = errMsgOf(err);
    throw new LuckboxError({ code: /cancel/i.test(msg) ? 'payment_canceled' : 'payment_failed', message: msg || 'requestPayment failed' });
  });
}

/**
 * requestMerchantTransfer runs wx.requestMerchantTransfer with a
 * withdrawal's transfer_params ({mchId, appId, package}): the user confirms
 * the transfer to their WeChat change. A user who closes the page rejects
 * with code "transfer_canceled"; any other failure with "transfer_failed".
 */
function requestMerchantTransfer(wx, params) {
  const opts = { mchId: params.mchId, appId: params.appId, package: params.package };
  return call(wx, 'requestMerchantTransfer', opts).then(() => undefined, (err) => {
    const msg = errMsgOf(err);
    throw new LuckboxError({ code: /cancel/i.test(msg) ? 'transfer_canceled' : 'transfer_failed', message: msg || 'requestMerchantTransfer failed' });
  });
}

/**
 * requestSubscribeMessage asks the user to allow one-time subscribe
 * messages of templateIds and resolves with the accepted ones. It must run
 * within a tap handler (WeChat refuses it otherwise).
 */
function requestSubscribeMessage(wx, templateIds) {
  return call(wx, 'requestSubscribeMessage', { tmplIds: templateIds }).then(
    (res) => templateIds.filter((id) => res && res[id] === 'accept'),
    (err) => {
      throw new LuckboxError({ code: 'wx_failed', message: errMsgOf(err) || 'requestSubscribeMessage failed' });
    });
}

/** storage wraps the synchronous storage API of wx (never throws). */
function storage(wx) {
  return {
    get(key) {
      try {
        return wx.getStorageSync(key) || null;
      } catch (e) {
        return null;
      }
    },
    set(key, value) {
      try {
        wx.setStorageSync(key, value);
      } catch (e) {
        // Storage full or unavailable: the session lives in memory only.
      }
    },
    remove(key) {
      try {
        wx.removeStorageSync(key);
      } catch (e) {
        // Nothing to forget.
      }
    },
  };
}

module.exports = { call, errMsgOf, request, header, loginCode, requestPayment, requestMerchantTransfer, requestSubscribeMessage, storage };
