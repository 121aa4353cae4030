// What every page of the sample shares: the SDK client (configured from
// config.js, with the demo-mode stand-ins for wx.login and
// wx.requestPayment), texts, formatting and error messages.
const { createClient, isLuckboxError, money } = require('luckbox-sdk');
const config = require('../config');
const i18n = require('./i18n');

const DEMO_USER = 'luckbox.demoUser';
let client = null;

/** fake calls a control route of the fake WeChat (demo mode only). */
function fake(path, body) {
  return new Promise((resolve, reject) => {
    wx.request({
      url: config.serverURL + '/_fake/wechat' + path,
      method: 'POST',
      header: { 'Content-Type': 'application/json' },
      data: JSON.stringify(body || {}),
      dataType: 'text',
      success: (res) => {
        if (res.statusCode !== 200) reject(new Error('the server is not in demo mode (HTTP ' + res.statusCode + ')'));
        else resolve(JSON.parse(res.data));
      },
      fail: (err) => reject(new Error(err.errMsg)),
    });
  });
}

/** demoUser returns the demo user picked on the home page ("" if none). */
function demoUser() {
  try {
    return wx.getStorageSync(DEMO_USER) || '';
  } catch (e) {
    return '';
  }
}

/** getClient returns the SDK client of the app. */
function getClient() {
  if (client) return client;
  const opts = { baseURL: config.serverURL, templates: config.templates };
  if (config.demo) {
    // wx.login's code, minted by the fake WeChat for the picked demo user.
    opts.getLoginCode = async () => {
      const openid = demoUser();
      if (!openid) throw new Error('pick a demo user first');
      return (await fake('/login-code', { openid })).code;
    };
    // wx.requestPayment: the fake WeChat Pay marks the order paid and sends
    // the signed notification to the server, as WeChat Pay would.
    opts.requestPayment = async (params, order) => {
      await fake('/pay/' + encodeURIComponent(order.out_trade_no) + '/succeed', {});
    };
  }
  client = createClient(opts);
  return client;
}

/** useDemoUser switches the demo user: the next call logs in as openid. */
async function useDemoUser(openid) {
  const c = getClient();
  await c.logout();
  wx.setStorageSync(DEMO_USER, openid);
  await c.login();
}

/** demoPhoneCode mints the code the getPhoneNumber button gives (demo mode). */
async function demoPhoneCode(phone) {
  return (await fake('/phone-code', { openid: demoUser(), phone })).code;
}

/** errText turns an error into a message for a person. */
function errText(err) {
  if (isLuckboxError(err)) {
    const map = { payment_canceled: 'mp.payCanceled', payment_timeout: 'mp.payTimeout', phone_denied: 'mp.phoneDenied' };
    let s = map[err.code] ? i18n.t(map[err.code]) : (i18n.dict()['err.' + err.code] || i18n.t('err.http', { status: err.status }));
    if (err.code === 'network') s = i18n.t('mp.noServer', { url: config.serverURL });
    const fields = (err.details || []).map((d) => d.field + ': ' + d.reason).join('; ');
    if (fields) s += ' (' + fields + ')';
    else if (err.message && err.status >= 400 && err.status < 500) s += ': ' + err.message;
    return s;
  }
  return String((err && err.message) || err);
}

/** showError shows err in a toast (and returns its text). */
function showError(err) {
  const text = errText(err);
  wx.showToast({ title: text, icon: 'none', duration: 3000 });
  return text;
}

/** dateTime renders an RFC 3339 time as local "YYYY-MM-DD hh:mm:ss". */
function dateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (isNaN(d.getTime())) return String(iso);
  const p = (n) => String(n).padStart(2, '0');
  return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + ' ' + p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds());
}

/** shortID shortens an opaque id for display. */
function shortID(id) {
  return id && id.length > 10 ? id.slice(0, 6) + '…' + id.slice(-4) : id || '';
}

/** lotteryModeText describes how a lottery is drawn. */
function lotteryModeText(l) {
  const d = l.draw || {};
  if (d.mode === 'time') return i18n.t('lottery.modeTimeAt', { at: dateTime(d.at) });
  if (d.mode === 'count') return i18n.t('lottery.modeCountN', { n: d.participants });
  return i18n.t('lottery.modeManual');
}

/** resetClient forgets the client (tests, or after editing config). */
function resetClient() {
  client = null;
}

module.exports = {
  config, getClient, useDemoUser, demoUser, demoPhoneCode, errText, showError, dateTime, shortID, money, lotteryModeText, resetClient,
  t: i18n.t, dict: i18n.dict, lang: i18n.lang, setLang: i18n.setLang,
};
