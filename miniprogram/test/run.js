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
// --test-concurrency and --test-timeout came with Node 20.10 / 20.11 (Debian 12 ships 18).
const [major, minor] = process.versions.node.split('.').map(Number);
const modern = major > 20 || (major === 20 && minor >= 11);
const args = ['--test'].concat(modern ? ['--test-concurrency=1', '--test-timeout=120000'] : [], process.argv.slice(2), files);
const r = spawnSync(process.execPath, args, { stdio: 'inherit', env: process.env });
if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
process.exit(r.status === null ? 1 : r.status);
