// Live lottery updates: the chunked SSE stream, and the polling fallback.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useServer } = require('./helpers/setup');

const env = useServer();

// watch follows a lottery and resolves when it is drawn, with what it saw.
function watch(client, id, options) {
  const seen = { names: [], counts: [], modes: [], errors: [] };
  let handle;
  const drawn = new Promise((resolve, reject) => {
    const started = new Promise((ok) => {
      handle = client.watchLottery(id, {
        onState: (l) => { seen.state = l; ok(); },
        onCount: (d) => seen.counts.push(d.participant_count),
        onDrawn: (d) => resolve(d),
        onEvent: (name) => seen.names.push(name),
        onMode: (m) => seen.modes.push(m),
        onError: (e) => { seen.errors.push(e); if (e.status === 404) reject(e); },
      }, options);
    });
    seen.started = started;
  });
  return { seen, drawn, handle: () => handle };
}

async function scenario(watcher) {
  const alice = env.client('alice');
  const l = await alice.createLottery({ title: '实时抽奖 🎉', prizes: [{ name: '奖', quantity: 1 }], draw: { mode: 'manual' } });
  const w = watch(watcher, l.id, watcher.liveOptions);
  await w.seen.started;
  assert.equal(w.seen.state.id, l.id);
  assert.equal(w.seen.state.title, '实时抽奖 🎉');
  await env.client('bob').joinLottery(l.id);
  await env.client('carol').joinLottery(l.id);
  // Wait until the watcher has seen both joins before drawing.
  while (w.handle().lottery().participant_count < 2) await new Promise((r) => setTimeout(r, 20));
  await alice.drawLottery(l.id);
  const d = await w.drawn;
  assert.equal(d.winner_count, 1);
  assert.equal(d.participant_count, 2);
  assert.match(d.seed, /^[0-9a-f]{64}$/);
  assert.equal(w.handle().lottery().status, 'drawn');
  assert.deepEqual(w.seen.errors, []);
  return w.seen;
}

test('the stream (chunked wx.request, chunks cut mid-character) delivers state, counts and the draw', async () => {
  const watcher = env.client('dora', { chunkSize: 5 });
  const seen = await scenario(watcher);
  assert.deepEqual(seen.modes, ['stream']);
  assert.equal(seen.names[0], 'state');
  assert.ok(seen.names.includes('count'));
  assert.equal(seen.names[seen.names.length - 1], 'drawn');
  assert.equal(seen.counts[seen.counts.length - 1], 2);
  assert.ok(watcher.fakeWx.log.some((r) => r.url.includes('/events')), 'opened the stream');
});

test('without chunked responses it falls back to polling GET /lotteries/{id}', async () => {
  const watcher = env.client('erin', { chunked: false });
  watcher.liveOptions = { pollInterval: 50 };
  const seen = await scenario(watcher);
  assert.deepEqual(seen.modes, ['stream', 'poll']);
  assert.equal(seen.names[0], 'state');
  assert.equal(seen.names[seen.names.length - 1], 'drawn');
  assert.ok(watcher.fakeWx.log.filter((r) => /\/api\/v1\/lotteries\/[^/]+$/.test(r.url)).length >= 2, 'polled');
});

test('mode "poll" polls from the start', async () => {
  const watcher = env.client('frank');
  watcher.liveOptions = { mode: 'poll', pollInterval: 50 };
  const seen = await scenario(watcher);
  assert.deepEqual(seen.modes, ['poll']);
  assert.ok(!watcher.fakeWx.log.some((r) => r.url.includes('/events')));
});

test('an unknown lottery is reported and the watch stops', async () => {
  const watcher = env.client('gina');
  const errors = [];
  await new Promise((resolve) => {
    watcher.watchLottery('nope', { onError: (e) => { errors.push(e); resolve(); } });
  });
  assert.equal(errors[0].code, 'not_found');
});

test('close() stops the stream', async () => {
  const alice = env.client('alice');
  const l = await alice.createLottery({ title: '关闭', prizes: [{ name: '奖', quantity: 1 }], draw: { mode: 'manual' } });
  const watcher = env.client('hank');
  const names = [];
  let h;
  await new Promise((resolve) => { h = watcher.watchLottery(l.id, { onEvent: (n) => { names.push(n); resolve(); } }); });
  h.close();
  await env.client('ivan').joinLottery(l.id);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(names, ['state']);
});
