// The SDK's session, errors, retries and idempotency against a real server.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useServer } = require('./helpers/setup');
const { LuckboxError } = require('../luckbox-sdk');

const env = useServer();

const lottery = (title) => ({ title, prizes: [{ name: '一等奖', quantity: 1 }], draw: { mode: 'manual' } });

test('the first call logs in with wx.login and keeps the token in storage', async () => {
  const c = env.client('alice');
  assert.equal(c.session(), null);
  const me = await c.getMe();
  assert.equal(me.nickname, 'alice');
  assert.equal(me.phone, null);
  const s = c.fakeWx.getStorageSync('luckbox.session');
  assert.ok(s.token, 'token stored');
  assert.equal(s.user.id, me.id);
  const logins = c.fakeWx.log.filter((r) => r.url.endsWith('/api/v1/login')).length;
  await c.getWallet();
  assert.equal(c.fakeWx.log.filter((r) => r.url.endsWith('/api/v1/login')).length, logins, 'no second login');
});

test('concurrent first calls share one login', async () => {
  const c = env.client('dora');
  await Promise.all([c.getMe(), c.getWallet(), c.listInbox()]);
  assert.equal(c.fakeWx.log.filter((r) => r.url.endsWith('/api/v1/login')).length, 1);
});

test('a 401 logs in again once and repeats the call', async () => {
  const c = env.client('bob');
  const me = await c.getMe();
  c.fakeWx.setStorageSync('luckbox.session', Object.assign({}, c.session(), { token: 'revoked-or-expired' }));
  const again = await c.getMe();
  assert.equal(again.id, me.id);
  assert.notEqual(c.session().token, 'revoked-or-expired');
});

test('a 401 after the re-login is an error, not a loop', async () => {
  const c = env.client('carol', {}, { getLoginCode: async () => 'not-a-valid-code' });
  await assert.rejects(c.getMe(), (err) => {
    assert.ok(err instanceof LuckboxError);
    assert.equal(err.code, 'unauthenticated');
    assert.equal(err.status, 401);
    return true;
  });
  assert.equal(c.fakeWx.log.length, 1, 'one login attempt, no API call without a token');
});

test('API errors are LuckboxError with code, status, details and request id', async () => {
  const c = env.client('alice');
  await assert.rejects(c.createLottery({ title: '', prizes: [], draw: { mode: 'manual' } }), (err) => {
    assert.ok(err instanceof LuckboxError);
    assert.ok(err instanceof Error);
    assert.equal(err.code, 'invalid_argument');
    assert.equal(err.status, 400);
    assert.ok(err.details.some((d) => d.field === 'title'), JSON.stringify(err.details));
    assert.ok(err.requestId, 'X-Request-Id');
    assert.ok(err.is('invalid_argument', 'conflict'));
    return true;
  });
  await assert.rejects(c.getLottery('nope'), (err) => err.code === 'not_found' && err.status === 404);
  await assert.rejects(c.getProof((await c.createLottery(lottery('未开奖'))).id), (err) => err.code === 'conflict' && err.status === 409);
});

test('a POST whose answer was lost is retried with the same idempotency key', async () => {
  const c = env.client('erin');
  const before = await c.listMyLotteries({ role: 'created' });
  c.fakeWx.dropResponses = 1; // the server creates it, the answer is lost
  const l = await c.createLottery(lottery('重试抽奖'));
  assert.equal(l.title, '重试抽奖');
  const after = await c.listMyLotteries({ role: 'created' });
  assert.equal(after.items.length, before.items.length + 1, 'created once');
  const posts = c.fakeWx.log.filter((r) => r.method === 'POST' && r.url.endsWith('/api/v1/lotteries'));
  assert.equal(posts.length, 2, 'sent twice');
});

test('a retry with the same key and another body is idempotency_mismatch', async () => {
  const c = env.client('erin');
  await c.createLottery(lottery('A'), { idempotencyKey: 'fixed-key-1' });
  const again = await c.createLottery(lottery('A'), { idempotencyKey: 'fixed-key-1' });
  assert.equal(again.title, 'A');
  await assert.rejects(c.createLottery(lottery('B'), { idempotencyKey: 'fixed-key-1' }), (err) => err.code === 'idempotency_mismatch' && err.status === 422);
});

test('network failures of GETs are retried, then reported as network errors', async () => {
  const c = env.client('alice', {}, { retries: 1 });
  await c.getMe();
  const dead = env.client('alice', {}, { baseURL: 'http://127.0.0.1:1', retries: 1 });
  await assert.rejects(dead.getMe(), (err) => err instanceof LuckboxError && err.code === 'network' && err.status === 0);
});

test('logout forgets the session here and on the server', async () => {
  const c = env.client('frank');
  await c.getMe();
  const token = c.session().token;
  await c.logout();
  assert.equal(c.session(), null);
  const res = await fetch(env.url + '/api/v1/me', { headers: { Authorization: 'Bearer ' + token } });
  assert.equal(res.status, 401);
});
