// Payments through wx.requestPayment (the fake WeChat Pay), then waiting for
// the server to see the notification.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useServer } = require('./helpers/setup');
const { LuckboxError, checkSplit } = require('../luckbox-sdk');

const env = useServer();

test('topUp pays with wx.requestPayment and polls the order until it is paid', async () => {
  const c = env.client('alice', { notifyDelay: 300 }); // the notification comes after the cashier closes
  let seen = null;
  const order = await c.topUp(5000, { onOrder: (o) => { seen = o; } });
  assert.equal(seen.status, 'pending');
  assert.ok(seen.pay_params.paySign);
  assert.equal(order.status, 'paid');
  assert.equal(order.amount, 5000);
  assert.equal((await c.getWallet()).balance, 5000);
  const polls = c.fakeWx.log.filter((r) => r.url.includes('/api/v1/wallet/topups/')).length;
  assert.ok(polls >= 1, 'polled the order');
  const ledger = await c.listLedger();
  assert.deepEqual(ledger.items.map((e) => [e.kind, e.delta, e.balance_after]), [['topup', 5000, 5000]]);
});

test('a canceled payment is payment_canceled and the order stays pending; payTopup pays it later', async () => {
  const c = env.client('bob', { pay: 'cancel' });
  let order = null;
  await assert.rejects(c.topUp(1000, { onOrder: (o) => { order = o; } }), (err) => err instanceof LuckboxError && err.code === 'payment_canceled');
  assert.equal((await c.getTopup(order.order_id)).status, 'pending');
  assert.equal((await c.getWallet()).balance, 0);
  c.fakeWx.options.pay = 'succeed';
  const paid = await c.payTopup(order);
  assert.equal(paid.status, 'paid');
  assert.equal((await c.getWallet()).balance, 1000);
});

test('waiting for a payment that never comes is payment_timeout', async () => {
  const c = env.client('carol');
  const order = await c.createTopup(100);
  await assert.rejects(c.waitForTopup(order.order_id, 250), (err) => err.code === 'payment_timeout');
});

test('a WeChat-paid packet is paid, reported and funded; others grab it', async () => {
  const sender = env.client('dave', { notifyDelay: 300 });
  const p = await sender.sendPacket({ kind: 'equal', count: 2, amount_each: 50, greeting: '微信支付', pay_with: 'wechat' });
  assert.equal(p.status, 'active');
  assert.equal(p.amount, 100);
  assert.ok(sender.fakeWx.log.some((r) => r.url.endsWith('/api/v1/packets/' + p.id + '/paid')), 'reported with POST /paid');
  const a = await env.client('erin').grabPacket(p.id);
  const b = await env.client('frank').grabPacket(p.id);
  assert.deepEqual([a.amount, b.amount, a.credited, b.credited], [50, 50, true, true]);
  await assert.rejects(env.client('gina').grabPacket(p.id), (err) => err.code === 'exhausted' && err.status === 410);
  const done = await sender.getPacket(p.id);
  assert.equal(done.status, 'finished');
  assert.equal(checkSplit(done), null, 'equal packets have no split');
});

test('a packet paid from the balance is active at once; a short balance is conflict', async () => {
  const c = env.client('hank');
  await assert.rejects(c.sendPacket({ kind: 'lucky', count: 2, amount: 100 }), (err) => err.code === 'conflict' && err.status === 409);
  await c.topUp(300);
  const p = await c.sendPacket({ kind: 'lucky', count: 2, amount: 300, greeting: '余额' });
  assert.equal(p.status, 'active');
  assert.equal((await c.getWallet()).balance, 0);
});
