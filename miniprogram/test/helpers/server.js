// Starts a real luckbox server in demo mode for the tests: built from this
// repository (go build) unless LUCKBOX_BIN names a binary, on 127.0.0.1:0
// with a temporary database and rate limits off. Its URL is read from the
// line "luckbox listening on http://..." it prints.
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..', '..');

/** ADMIN_TOKEN is the admin token of the test servers. */
const ADMIN_TOKEN = 'sdk-test-admin-token-0123456789-abcdef';

/** buildLuckbox returns the path of a luckbox binary, building it if needed. */
function buildLuckbox(dir) {
  const bin = path.join(dir, 'luckbox');
  execFileSync('go', ['build', '-o', bin, '.'], { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'] });
  return bin;
}

/**
 * startServer starts luckbox and resolves with {url, stop(), output()}.
 * stop() ends it (SIGTERM) and removes its temporary folder.
 */
async function startServer() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'luckbox-sdk-test-'));
  const bin = process.env.LUCKBOX_BIN || buildLuckbox(dir);
  const args = ['serve', '--addr', '127.0.0.1:0', '--data', path.join(dir, 'x.db'), '--rate-limit', 'off', '--log-level', 'warn', '--admin-token', ADMIN_TOKEN];
  const child = spawn(bin, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise((resolve, reject) => {
    const onData = (b) => {
      out += b.toString();
      const m = /luckbox listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1].replace(/\/+$/, ''));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (b) => { out += b.toString(); });
    child.on('exit', (code) => reject(new Error('luckbox exited with ' + code + ' before listening:\n' + out)));
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return {
    url,
    output: () => out,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { startServer, buildLuckbox, REPO, ADMIN_TOKEN };
