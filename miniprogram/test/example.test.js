// The sample's texts: every key a page uses exists in Chinese and English,
// and the keys shared with the web client (web/static/js/i18n.js) keep its
// wording word for word.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

global.wx = global.wx || { getStorageSync: () => '', setStorageSync() {}, getSystemInfoSync: () => ({ language: 'zh_CN' }) };
const ROOT = path.join(__dirname, '..', 'example');
const { dicts } = require(path.join(ROOT, 'utils', 'i18n'));

function webDicts() {
  const src = fs.readFileSync(path.join(__dirname, '..', '..', 'web', 'static', 'js', 'i18n.js'), 'utf8');
  const grab = (name) => {
    const start = src.indexOf('const ' + name + ' = {');
    const end = src.indexOf('\n};', start);
    return new Function('return ' + src.slice(start + ('const ' + name + ' = ').length, end + 2))(); // eslint-disable-line no-new-func
  };
  return { zh: grab('zh'), en: grab('en') };
}

function files(dir, ext) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && e.name !== 'miniprogram_npm') out.push(...files(p, ext));
    else if (e.name.endsWith(ext)) out.push(p);
  }
  return out;
}

test('Chinese and English have the same keys', () => {
  assert.deepEqual(Object.keys(dicts.zh).sort(), Object.keys(dicts.en).sort());
});

test('shared keys keep the web client wording', () => {
  const web = webDicts();
  let shared = 0;
  for (const lang of ['zh', 'en']) {
    for (const [k, v] of Object.entries(dicts[lang])) {
      if (!(k in web[lang])) {
        assert.match(k, /^mp\./, k + ' is neither the web client\'s nor mini-program-only (mp.*)');
        continue;
      }
      shared++;
      assert.equal(v, web[lang][k], lang + ' ' + k + ' differs from the web client (cd miniprogram && npm run sync-i18n)');
    }
  }
  assert.ok(shared > 300);
});

test('every text key the pages use exists', () => {
  const used = new Set();
  for (const f of files(ROOT, '.wxml')) for (const m of fs.readFileSync(f, 'utf8').matchAll(/t\['([\w.]+)'\]/g)) used.add(m[1]);
  for (const f of files(ROOT, '.js')) for (const m of fs.readFileSync(f, 'utf8').matchAll(/app\.t\('([\w.]+)'[,)]/g)) used.add(m[1]);
  assert.ok(used.size > 100, 'found ' + used.size);
  for (const k of used) assert.ok(k in dicts.zh && k in dicts.en, 'missing text ' + k);
});

test('config.js holds the app id and the server URL; project.config.json is a DevTools project', () => {
  const config = require(path.join(ROOT, 'config'));
  assert.ok(config.appId && config.serverURL);
  const project = JSON.parse(fs.readFileSync(path.join(ROOT, 'project.config.json'), 'utf8'));
  assert.equal(project.compileType, 'miniprogram');
  assert.equal(project.appid, config.appId, 'the same app id in project.config.json');
  assert.equal(project.setting.urlCheck, false);
});
