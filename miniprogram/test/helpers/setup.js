// Shared setup of the tests that need a server: start one per test file,
// and make clients for named users.
const { after, before } = require('node:test');
const { startServer, ADMIN_TOKEN } = require('./server');
const { createWx } = require('./fake-wx');
const { createClient } = require('../../luckbox-sdk');

/**
 * useServer starts a luckbox before the file's tests and stops it after.
 * It returns an object whose url is set once the server listens, and
 * client(openid, wxOptions, clientOptions) for a user.
 */
function useServer() {
  const env = { url: '', server: null };
  let started;
  env.ready = new Promise((resolve) => { started = resolve; });
  before(async () => {
    env.server = await startServer();
    env.url = env.server.url;
    started();
  });
  after(async () => {
    if (env.server) await env.server.stop();
  });
  env.client = (openid, wxOptions, clientOptions) => {
    const wx = createWx(env.url, openid, wxOptions);
    const c = createClient(Object.assign({ baseURL: env.url, wx, pollInterval: 100, retryDelay: 50 }, clientOptions));
    c.fakeWx = wx;
    return c;
  };
  env.admin = async (method, path, body, contentType) => {
    const res = await fetch(env.url + path, {
      method,
      headers: { Authorization: 'Bearer ' + ADMIN_TOKEN, 'Content-Type': contentType || 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(method + ' ' + path + ': HTTP ' + res.status + ' ' + text);
    return text ? JSON.parse(text) : null;
  };
  return env;
}

module.exports = { useServer };
