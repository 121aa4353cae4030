// Unit tests of the SDK's pure parts: the UTF-8 decoder, the SSE parser,
// the proof verifier (the README's test vector), money and paths.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { SSEParser, Utf8Decoder, verifyProof, money, parseYuan } = require('../luckbox-sdk');
const { draw, entriesHash } = require('../luckbox-sdk/proof');
const { sha256, toHex, utf8 } = require('../luckbox-sdk/sha256');
const { buildPath } = require('../luckbox-sdk/operations');
const { changes } = require('../luckbox-sdk/live');

test('the UTF-8 decoder joins characters cut across chunks, whatever the cut', () => {
  const text = 'a年会🎉抽奖é\u0800z';
  const bytes = Buffer.from(text);
  for (let size = 1; size <= bytes.length; size++) {
    const d = new Utf8Decoder();
    let out = '';
    for (let i = 0; i < bytes.length; i += size) out += d.decode(new Uint8Array(bytes.subarray(i, i + size)));
    assert.equal(out, text, 'chunks of ' + size);
  }
  assert.equal(new Utf8Decoder().decode(Uint8Array.from([0x61, 0xff, 0x62])), 'a\ufffdb');
  assert.equal(new Utf8Decoder().decode(Uint8Array.from([0xe5, 0x61])), '\ufffda', 'a broken sequence is not held back');
});

test('the SSE parser reads events, skips comments, joins data lines, takes retry, any line ending', () => {
  const stream = 'retry: 3000\r\n\r\nevent: state\ndata: {"a":1}\n\n: ping\n\nevent: count\ndata: line1\ndata: line2\r\rdata:no-space\n\nid: 7\nevent: drawn\ndata: {}\n\n';
  for (const size of [1, 2, 3, 7, stream.length]) {
    const got = [];
    const p = new SSEParser((e) => got.push(e));
    for (let i = 0; i < stream.length; i += size) p.push(stream.slice(i, i + size));
    assert.equal(p.retry, 3000);
    assert.deepEqual(got, [
      { event: 'state', data: '{"a":1}', id: '' },
      { event: 'count', data: 'line1\nline2', id: '' },
      { event: 'message', data: 'no-space', id: '' },
      { event: 'drawn', data: '{}', id: '7' },
    ], 'pieces of ' + size);
  }
});

test('sha256 matches node:crypto', () => {
  for (const n of [0, 1, 55, 56, 63, 64, 65, 1000]) {
    const b = crypto.randomBytes(n);
    assert.equal(toHex(sha256(b)), crypto.createHash('sha256').update(b).digest('hex'));
  }
  assert.equal(Buffer.from(utf8('年🎉')).toString(), '年🎉');
});

test('the draw reproduces the luckbox-draw-v1 test vector', () => {
  const seed = Uint8Array.from({ length: 32 }, (_, i) => i);
  const entries = Array.from({ length: 25 }, (_, i) => 'u' + (i + 1));
  const eh = entriesHash(entries);
  assert.equal(toHex(sha256(seed)), '630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd');
  assert.equal(toHex(eh), '24a6dba955fd63a5a06c413496c669ca0f4bf86edc2ae0a3e75cc3a23501cd30');
  const prizes = [{ name: 'Gold', quantity: 1 }, { name: 'Silver', quantity: 2 }, { name: 'Bronze', quantity: 3 }];
  const winners = draw(seed, eh, entries, prizes);
  assert.deepEqual(winners.map((w) => w.user_id + ' ' + w.prize), ['u20 Gold', 'u1 Silver', 'u25 Silver', 'u13 Bronze', 'u8 Bronze', 'u6 Bronze']);
  const proof = { algorithm: 'luckbox-draw-v1', seed: toHex(seed), seed_hash: toHex(sha256(seed)), entries, entries_hash: toHex(eh), prizes, winners };
  assert.equal(verifyProof(proof).ok, true);
  assert.equal(verifyProof(proof, { seed_hash: '00'.repeat(32) }).steps.pop().key, 'commitment');
  const swapped = Object.assign({}, proof, { winners: [winners[1], winners[0]].concat(winners.slice(2)) });
  const r = verifyProof(swapped);
  assert.equal(r.ok, false);
  assert.equal(r.steps[r.steps.length - 1].key, 'winners');
});

test('money and yuan input', () => {
  assert.equal(money(1234), '¥12.34');
  assert.equal(money(-5), '-¥0.05');
  assert.equal(money(100, true), '+¥1.00');
  assert.equal(parseYuan('¥12.3'), 1230);
  assert.ok(Number.isNaN(parseYuan('1.234')));
});

test('paths escape their parameters and drop empty query values', () => {
  assert.equal(buildPath('/api/v1/lotteries/{id}/winners', { id: 'a/b c' }, { cursor: '', limit: 5 }), '/api/v1/lotteries/a%2Fb%20c/winners?limit=5');
  assert.throws(() => buildPath('/api/v1/lotteries/{id}', {}), /missing path parameter id/);
});

test('polling derives the stream events from two views of a lottery', () => {
  const a = { status: 'open', participant_count: 1, fairness: {} };
  const b = { status: 'drawn', participant_count: 2, drawn_at: 't', winner_count: 1, fairness: { entries_hash: 'h', seed: 's' } };
  assert.deepEqual(changes(a, b), [['count', { participant_count: 2 }], ['drawn', { drawn_at: 't', participant_count: 2, winner_count: 1, entries_hash: 'h', seed: 's' }]]);
  assert.deepEqual(changes(a, a), []);
});
