// End to end through the SDK: a lottery from creation to everyone's result,
// a lucky packet from top-up to the last grab, and a gift exchange.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useServer } = require('./helpers/setup');
const { verifyProof, checkSplit } = require('../luckbox-sdk');

const env = useServer();

// eventually retries check until it stops throwing (the inbox is written
// after the draw commits, by the outbox).
async function eventually(check) {
  for (let i = 0; ; i++) {
    try {
      return await check();
    } catch (err) {
      if (i >= 200) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

test('lottery: create, two users join (with subscribe consent), draw, both get the result', async () => {
  const alice = env.client('alice');
  const bob = env.client('bob');
  const carol = env.client('carol', { subscribe: 'reject' });
  const l = await alice.createLottery({ title: '年会抽奖', prizes: [{ name: '一等奖', quantity: 1 }], draw: { mode: 'manual' } });
  assert.equal(l.status, 'open');
  assert.equal(l.fairness.seed, null);

  const b = await bob.subscribeAndJoin(l.id);
  assert.deepEqual(b.subscribed, ['luckbox_lottery_result']);
  assert.equal(b.entry.participant_count, 1);
  const c = await carol.subscribeAndJoin(l.id);
  assert.deepEqual(c.subscribed, [], 'refused: joined without a grant');
  assert.equal(c.entry.participant_count, 2);
  assert.equal((await carol.joinLottery(l.id)).joined_at, c.entry.joined_at, 'joining again is the same entry');

  const drawn = await alice.drawLottery(l.id);
  assert.equal(drawn.status, 'drawn');
  assert.equal(drawn.winner_count, 1);
  const winners = await bob.listAllWinners(l.id);
  assert.equal(winners.length, 1);

  const bobMe = await bob.getMe();
  const carolMe = await carol.getMe();
  for (const [who, me] of [[bob, bobMe], [carol, carolMe]]) {
    const item = await eventually(async () => {
      const inbox = await who.listInbox();
      const it = inbox.items.find((i) => i.kind === 'lottery_result' && i.ref === l.id);
      assert.ok(it, 'inbox item');
      return it;
    });
    const won = winners[0].user_id === me.id;
    assert.match(item.body, won ? /恭喜/ : /很遗憾/);
    assert.equal((await who.getLottery(l.id)).me.prize, won ? '一等奖' : null);
    await who.markInboxRead(item.id);
    assert.equal((await who.listInbox()).items.find((i) => i.id === item.id).read, true);
  }
  // Bob granted the template: he also got a WeChat subscribe message; Carol did not.
  await eventually(async () => {
    const msgs = await (await fetch(env.url + '/_fake/wechat/messages?openid=bob')).json();
    assert.equal(msgs.items.length, 1);
  });
  const carolMsgs = await (await fetch(env.url + '/_fake/wechat/messages?openid=carol')).json();
  assert.equal(carolMsgs.items.length, 0);

  const proof = await bob.getProof(l.id);
  const v = verifyProof(proof, drawn.fairness);
  assert.ok(v.ok, JSON.stringify(v.steps));
  const forged = JSON.parse(JSON.stringify(proof));
  forged.winners[0].user_id = forged.entries.find((e) => e !== forged.winners[0].user_id);
  assert.equal(verifyProof(forged, drawn.fairness).ok, false, 'a changed winner fails');
});

test('lucky packet: top up, send, three users grab, the sums match', async () => {
  const alice = env.client('alice2', { notifyDelay: 100 });
  await alice.topUp(10000);
  const p = await alice.sendPacket({ kind: 'lucky', count: 3, amount: 888, greeting: '新年快乐' });
  assert.equal(p.status, 'active');
  assert.equal((await alice.getWallet()).balance, 10000 - 888);
  const grabbers = ['bob2', 'carol2', 'dave2'].map((u) => env.client(u));
  const grabs = [];
  for (const g of grabbers) grabs.push(await g.grabPacket(p.id));
  assert.equal(grabs.reduce((s, g) => s + g.amount, 0), 888);
  assert.ok(grabs.every((g) => g.amount >= 1));
  const again = await grabbers[0].grabPacket(p.id);
  assert.equal(again.amount, grabs[0].amount, 'grabbing again answers the same grab');
  await assert.rejects(env.client('erin2').grabPacket(p.id), (err) => err.code === 'exhausted');
  for (let i = 0; i < 3; i++) assert.equal((await grabbers[i].getWallet()).balance, grabs[i].amount);
  const done = await grabbers[1].getPacket(p.id);
  assert.equal(done.status, 'finished');
  assert.equal(done.remaining_amount, 0);
  assert.equal(done.grabs.reduce((s, g) => s + g.amount, 0), 888);
  assert.equal(done.grabs.filter((g) => g.best_luck).length, 1);
  assert.equal(checkSplit(done), true, 'the revealed split matches its commitment');
  const tampered = JSON.parse(JSON.stringify(done));
  tampered.split.shares[0] += 1;
  assert.equal(checkSplit(tampered), false);
});

test('gift exchange: bind the phone from the button code, then draw', async () => {
  const ex = await env.admin('POST', '/api/v1/admin/exchanges', { title: '圣诞交换' });
  await env.admin('POST', '/api/v1/admin/exchanges/' + ex.id + '/participants',
    'name,phone\n张三,13800000001\n李四,13800000002\n王五,13800000003\n', 'text/csv');
  const zhang = env.client('zhangsan');
  await assert.rejects(zhang.drawExchange(ex.id), (err) => err.code === 'conflict', 'no phone bound yet');
  const bound = await zhang.bindPhone({ code: await zhang.fakeWx.phoneCode('13800000001') });
  assert.equal(bound.phone, '13800000001');
  await assert.rejects(zhang.bindPhone({ errMsg: 'getPhoneNumber:fail user deny' }), (err) => err.code === 'phone_denied');
  await assert.rejects(zhang.drawExchange(ex.id), (err) => err.code === 'conflict', 'not started');
  await env.admin('POST', '/api/v1/admin/exchanges/' + ex.id + '/start');
  assert.equal((await zhang.getExchange(ex.id)).status, 'started');
  const r = await zhang.drawExchange(ex.id);
  assert.ok(['李四', '王五'].includes(r.recipient.name));
  const mine = await zhang.getMyExchange(ex.id);
  assert.deepEqual([mine.drawn, mine.recipient.name], [true, r.recipient.name]);
});

test('share helpers: the path carries the id and the sharer; a code scene or a share card opens it', async () => {
  const alice = env.client('alice');
  const me = await alice.getMe();
  assert.equal(alice.sharePath('lottery', 'L1'), '/pages/lottery/detail?id=L1&from=' + me.id);
  assert.deepEqual(alice.shareMessage('packet', 'P 1', '红包'), { title: '红包', path: '/pages/packet/detail?id=P%201&from=' + me.id });
  alice.noteLaunch({ scene: 1044, shareTicket: 'tkt' });
  assert.deepEqual(alice.launchTarget({ id: 'L1', from: 'u9' }), { id: 'L1', from: 'u9', shareTicket: 'tkt' });
  assert.equal(alice.launchTarget({ scene: encodeURIComponent('L2') }).id, 'L2');
  await assert.rejects(alice.getShareInfo('tkt'), (err) => /getShareInfo:fail/.test(err.errMsg), 'an unknown ticket');
});

test('group-only packet and lottery: members prove the group from its share card, others are refused with a reason', async () => {
  const [alice, bob, carol] = [env.client('g_alice'), env.client('g_bob'), env.client('g_carol')];
  await alice.fakeWx.joinGroup('family');
  await bob.fakeWx.joinGroup('family');
  await carol.fakeWx.joinGroup('work');
  const ticket = await alice.fakeWx.shareTicket('family');
  await alice.topUp(300);
  const packet = await alice.sendPacket({ kind: 'equal', count: 2, amount_each: 100, group: await alice.groupShareInfo(ticket) });
  assert.equal(packet.group_only, true);
  const lottery = await alice.createLottery({ title: '家庭抽奖', prizes: [{ name: '茶', quantity: 1 }], draw: { mode: 'manual' },
    group: await alice.groupShareInfo(ticket) });
  assert.equal(lottery.group_only, true);
  assert.ok(!JSON.stringify([packet, lottery]).includes('tG'), 'the group id is never shown');

  // bob opens the card from the group (getShareInfo with the ticket).
  const proof = await bob.proveGroup(ticket);
  assert.ok(Date.parse(proof.expires_at) > Date.now());
  assert.ok((await bob.grabPacket(packet.id)).amount === 100);
  // The same member opening it as a group tool (getGroupEnterInfo, no ticket).
  const dora = env.client('g_dora');
  await dora.fakeWx.joinGroup('family');
  dora.fakeWx.enterGroup(ticket);
  await dora.proveGroup();
  assert.equal((await dora.joinLottery(lottery.id)).lottery_id, lottery.id);

  // carol is not in family: WeChat gives her no share info, and the grab is refused.
  await assert.rejects(carol.proveGroup(ticket), (err) => err.code === 'wx_failed');
  await assert.rejects(carol.proveGroup(), (err) => err.code === 'wx_failed' && /40097/.test(err.message));
  await assert.rejects(carol.grabPacket(packet.id), (err) => err.code === 'forbidden' && err.status === 403 && err.reason === 'group_proof_required');
  // bob's share info is encrypted with bob's session key: carol cannot replay it.
  await assert.rejects(carol.postGroupProof(await bob.groupShareInfo(ticket)), (err) => err.code === 'invalid_argument');
  await carol.proveGroup(await carol.fakeWx.shareTicket('work'));
  await assert.rejects(carol.joinLottery(lottery.id), (err) => err.reason === 'not_in_group');
});
