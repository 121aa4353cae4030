// The sample mini-program under miniprogram-simulate (WeChat's wxml
// compiler, j-component): every page loads against a real server in demo
// mode, and the main flows work through the pages.
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { useServer } = require('./helpers/setup');
const { createWx } = require('./helpers/fake-wx');
const { openPage, text, tap, until, ROOT } = require('./helpers/simulate');

const env = useServer();
let app;

// as makes the sample run as a demo user: a fresh wx, a fresh client.
async function as(openid) {
  global.wx = createWx(env.url, openid);
  app.resetClient();
  global.wx.setStorageSync('luckbox.demoUser', openid);
  return app.getClient();
}

before(async () => {
  await env.ready;
  app = require(path.join(ROOT, 'utils', 'app'));
  app.config.serverURL = env.url;
  app.config.demo = true;
});

test('every page listed in app.json has its four files', () => {
  const pages = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8')).pages;
  assert.ok(pages.length >= 11);
  for (const p of pages) for (const ext of ['js', 'json', 'wxml', 'wxss']) assert.ok(fs.existsSync(path.join(ROOT, p + '.' + ext)), p + '.' + ext);
});

test('home: pick a demo user, see the balance', async () => {
  global.wx = createWx(env.url, 'nobody');
  app.resetClient();
  const page = await openPage('index/index');
  assert.ok(page.querySelector('#user-alice'), 'demo users offered');
  await tap(page, '#user-alice');
  await until(() => text(page, '#balance') !== '', 'balance');
  assert.match(text(page, '#balance'), /¥0\.00/);
});

test('every page loads under miniprogram-simulate', async () => {
  const alice = await as('alice');
  const l = await alice.createLottery({ title: '加载测试', prizes: [{ name: '奖', quantity: 1 }], draw: { mode: 'manual' } });
  await alice.drawLottery(l.id);
  await alice.topUp(500);
  const p = await alice.sendPacket({ kind: 'equal', count: 1, amount_each: 100 });
  const queries = { 'lottery/detail': { id: l.id }, 'lottery/proof': { id: l.id }, 'packet/detail': { id: p.id } };
  const pages = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8')).pages;
  for (const name of pages.map((x) => x.replace(/^pages\//, ''))) {
    const page = await openPage(name, queries[name]);
    assert.ok(page.dom.innerHTML.length > 0, name + ' rendered');
    assert.equal(page.instance.data.error || '', '', name + ': ' + page.instance.data.error);
    if (page.instance.onUnload) page.instance.onUnload();
  }
});

test('lottery pages: create, join live, draw, winners, proof verified', async () => {
  await as('alice');
  const form = await openPage('lottery/new');
  form.instance.setData({ title: '页面抽奖' });
  await tap(form, '#lottery-create');
  await until(() => form.instance.data.created, 'created');
  const id = form.instance.data.created;

  await as('bob');
  const bobPage = await openPage('lottery/detail', { id });
  assert.equal(text(bobPage, '#lottery-title'), '页面抽奖');
  await until(() => bobPage.instance.data.live === 'stream', 'live stream');
  await tap(bobPage, '#lottery-join');
  await until(() => text(bobPage, '#lottery-count') === '1' && bobPage.querySelector('#lottery-joined'), 'joined');

  await as('carol');
  await app.getClient().joinLottery(id);
  await until(() => text(bobPage, '#lottery-count') === '2', 'bob sees carol join, live');

  await as('alice');
  const alicePage = await openPage('lottery/detail', { id });
  await tap(alicePage, '#lottery-draw');
  await until(() => alicePage.instance.data.l.status === 'drawn' && alicePage.instance.data.winners.length === 2, 'drawn: 3 prizes, 2 winners');
  await until(() => bobPage.instance.data.l.status === 'drawn', 'bob sees the draw, live');
  bobPage.instance.onUnload();
  alicePage.instance.onUnload();

  const proof = await openPage('lottery/proof', { id });
  await tap(proof, '#proof-verify');
  assert.equal(proof.instance.data.ok, true, JSON.stringify(proof.instance.data.steps));
  assert.match(text(proof, '#proof-verdict-text'), /验证通过|verified/i);
});

test('wallet and packet pages: top up, send a lucky packet, grab it', async () => {
  await as('dave');
  const wallet = await openPage('wallet/index');
  wallet.instance.setData({ amount: '20.00' });
  await tap(wallet, '#topup-pay');
  await until(() => text(wallet, '#wallet-balance') === '¥20.00' && wallet.instance.data.ledger.length === 1, 'balance and ledger after the top-up');

  const form = await openPage('packet/new');
  form.instance.setData({ kind: 'lucky', count: '2', amount: '5.00' });
  await tap(form, '#packet-send');
  await until(() => form.instance.data.sent, 'sent');
  const id = form.instance.data.sent;

  await as('erin');
  const page = await openPage('packet/detail', { id });
  assert.ok(page.querySelector('#packet-grab'), 'the 開 button');
  await tap(page, '#packet-grab');
  await until(() => page.querySelector('#packet-my-amount'), 'my amount');
  assert.match(text(page, '#packet-my-amount'), /^¥\d+\.\d\d$/);

  await as('frank');
  const last = await openPage('packet/detail', { id });
  await tap(last, '#packet-grab');
  await until(() => last.instance.data.p.status === 'finished', 'finished');
  assert.equal(last.instance.data.grabs.reduce((s, g) => s + g.fen, 0), 500);
  assert.ok(last.querySelector('#packet-split-ok'), 'split verified');

  await as('gina');
  const late = await openPage('packet/detail', { id });
  assert.ok(late.querySelector('#packet-exhausted'), '手慢了');
});

test('exchange page: bind a phone (demo), draw; inbox page shows results', async () => {
  const ex = await env.admin('POST', '/api/v1/admin/exchanges', { title: '页面交换' });
  await env.admin('POST', '/api/v1/admin/exchanges/' + ex.id + '/participants', 'name,phone\n甲,13900000001\n乙,13900000002\n丙,13900000003\n', 'text/csv');
  await env.admin('POST', '/api/v1/admin/exchanges/' + ex.id + '/start');
  await as('jia');
  const page = await openPage('exchange/index', { id: ex.id });
  assert.equal(page.instance.data.notice, page.instance.data.t['exchange.needPhone']);
  page.instance.setData({ phoneInput: '13900000001' });
  await tap(page, '#phone-bind');
  await until(() => page.querySelector('#exchange-draw'), 'draw button');
  await tap(page, '#exchange-draw');
  await until(() => text(page, '#exchange-recipient') !== '', 'recipient');
  assert.ok(['乙', '丙'].includes(text(page, '#exchange-recipient')));

  await as('bob');
  const inbox = await openPage('inbox/index');
  await until(async () => {
    await inbox.instance.load('');
    return inbox.instance.data.items.some((i) => i.kind === 'lottery_result');
  }, 'the lottery result in the inbox');
});
