// npm test: builds luckbox once (unless LUCKBOX_BIN is set) and runs every
// test file with node's test runner, one file at a time.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { buildLuckbox } = require('./helpers/server');

let tmp = '';
if (!process.env.LUCKBOX_BIN) {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'luckbox-sdk-bin-'));
  process.env.LUCKBOX_BIN = buildLuckbox(tmp);
}
const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort().map((f) => path.join(__dirname, f));
const args = ['--test', '--test-concurrency=1', '--test-timeout=120000'].concat(process.argv.slice(2), files);
const r = spawnSync(process.execPath, args, { stdio: 'inherit', env: process.env });
if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
process.exit(r.status === null ? 1 : r.status);
