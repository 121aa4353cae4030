// The demo client's login, kept in sessionStorage: per browser tab, so two
// tabs (or two windows) can be two different users at once.
import { Api } from './api.js';

const KEY = 'luckbox.session';

/** current returns {token, user:{id,nickname}, openid} or null. */
export function current() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || 'null');
  } catch {
    return null;
  }
}

/** save stores the session of this tab. */
export function save(s) {
  sessionStorage.setItem(KEY, JSON.stringify(s));
}

/** clear forgets this tab's session. */
export function clear() {
  sessionStorage.removeItem(KEY);
}

/** token returns this tab's session token ('' when logged out). */
export const token = () => (current() || {}).token || '';

/**
 * demoLogin logs in as openid through the fake WeChat: it mints the code
 * wx.login would give, then exchanges it at POST /api/v1/login, exactly as a
 * mini-program does. Only demo mode has the fake (else 404).
 */
export async function demoLogin(openid) {
  const api = new Api(() => '');
  const { code } = await api.post('/_fake/wechat/login-code', { openid }, { noAuth: true });
  const res = await api.post('/api/v1/login', { code }, { noAuth: true });
  const s = { token: res.token, expires_at: res.expires_at, user: res.user, openid };
  save(s);
  return s;
}

/** logout ends the session on the server and forgets it here. */
export async function logout(api) {
  try {
    await api.post('/api/v1/logout', {});
  } catch {
    // The session may already be gone; forgetting it here is what matters.
  }
  clear();
}
