// Withdrawals through wx.requestMerchantTransfer (the fake WeChat's
// confirmation step), then waiting for the transfer's final state.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useServer } = require('./helpers/setup');
const { LuckboxError } = require('../luckbox-sdk');

const env = useServer();

test('withdraw holds the amount, confirms with wx.requestMerchantTransfer and waits until it is paid out', async () => {
  const c = env.client('wd-alice');
  await c.topUp(1000);
  let created = null;
  const w = await c.withdraw(300, { onWithdrawal: (x) => { created = x; } });
  assert.equal(created.status, 'pending');
  assert.equal(created.transfer_params, null, 'no package before WeChat Pay accepted the transfer');
  assert.equal(w.status, 'succeeded');
  assert.equal(w.state, 'SUCCESS');
  assert.equal((await c.getWallet()).balance, 700);
  const ledger = await c.listLedger();
  assert.deepEqual(ledger.items.map((e) => [e.kind, e.delta]), [['withdraw_paid', 0], ['withdraw', -300], ['topup', 1000]]);
  const list = await c.listWithdrawals();
  assert.deepEqual(list.items.map((x) => x.status), ['succeeded']);
});

test('a user who closes the confirmation is transfer_canceled and the money returns', async () => {
  const c = env.client('wd-bob', { transfer: 'cancel' });
  await c.topUp(500);
  await assert.rejects(c.withdraw(200), (err) => err instanceof LuckboxError && err.code === 'transfer_canceled');
  const [w] = (await c.listWithdrawals()).items;
  const done = await c.waitForWithdrawal(w.withdrawal_id).catch((e) => e);
  assert.equal(done.code, 'transfer_failed');
  assert.equal((await c.getWithdrawal(w.withdrawal_id)).status, 'cancelled');
  assert.equal((await c.getWallet()).balance, 500);
});

test('a declined transfer is transfer_failed and the money returns', async () => {
  const c = env.client('wd-carol', { transfer: 'decline' });
  await c.topUp(500);
  await assert.rejects(c.withdraw(200), (err) => err.code === 'transfer_failed');
  assert.equal((await c.getWallet()).balance, 500);
});

test('limits and the balance are the server\'s 4xx', async () => {
  const c = env.client('wd-dave');
  await assert.rejects(c.withdraw(5), (err) => err.code === 'invalid_argument' && err.status === 400);
  await assert.rejects(c.withdraw(500), (err) => err.code === 'conflict' && err.status === 409);
  assert.equal((await c.listWithdrawals()).items.length, 0);
});
