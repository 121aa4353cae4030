// The SDK and the OpenAPI document agree: the types are generated from the
// document the server serves, every operation the SDK calls exists there
// with its method and path, every method of index.d.ts is typed by the
// operation it calls, and the live event payloads match the document.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { useServer } = require('./helpers/setup');
const { generate, OUT } = require('../scripts/gen-types');
const { OPERATIONS } = require('../luckbox-sdk');

const env = useServer();
const DTS = fs.readFileSync(path.join(__dirname, '..', 'luckbox-sdk', 'index.d.ts'), 'utf8');

async function servedDoc() {
  const res = await fetch(env.url + '/api/v1/openapi.json');
  assert.equal(res.status, 200);
  return res.json();
}

test('api-types.d.ts is what the served document generates (npm run gen-types)', async () => {
  const doc = await servedDoc();
  assert.equal(fs.readFileSync(OUT, 'utf8'), generate(doc), 'api-types.d.ts is stale: cd miniprogram && npm run gen-types');
});

test('every operation the SDK calls is in the document with that method and path', async () => {
  const doc = await servedDoc();
  for (const [name, [method, p]] of Object.entries(OPERATIONS)) {
    assert.ok(doc.paths[p], name + ': no path ' + p);
    assert.ok(doc.paths[p][method.toLowerCase()], name + ': no ' + method + ' ' + p);
  }
});

test('each method of index.d.ts is typed by the operation it calls', () => {
  const typed = {};
  const re = /^\s+(\w+)\([^)]*\): Promise<Res<'([A-Z]+ [^']+)'>/gm;
  for (let m = re.exec(DTS); m; m = re.exec(DTS)) typed[m[1]] = m[2];
  for (const [name, [method, p]] of Object.entries(OPERATIONS)) {
    if (name === 'lotteryEvents') continue; // a stream: typed by LotteryEvents
    if (name === 'login' || name === 'logout') continue; // session methods: they store or forget the token
    assert.equal(typed[name], method + ' ' + p, name + ' in index.d.ts');
  }
  assert.ok(Object.keys(typed).length >= Object.keys(OPERATIONS).length - 1);
});

test('the live event payloads of index.d.ts are the ones the document describes', async () => {
  const doc = await servedDoc();
  const desc = doc.paths['/api/v1/lotteries/{id}/events'].get.description;
  const documented = {};
  for (const m of desc.matchAll(/`(\w+)` `\{([^`]*)\}`/g)) documented[m[1]] = JSON.parse('[' + m[2] + ']').sort();
  const block = /export interface LotteryEvents \{([\s\S]*?)\n\}/.exec(DTS)[1];
  const declared = {};
  for (const m of block.matchAll(/^\s+(\w+): \{([^}]*)\};/gm)) declared[m[1]] = [...m[2].matchAll(/(\w+):/g)].map((x) => x[1]).sort();
  assert.deepEqual(Object.keys(documented).sort(), ['canceled', 'count', 'drawn', 'locked', 'redrawn']);
  assert.deepEqual(declared, documented);
  assert.match(block, /state: A\.Lottery;/);
});
