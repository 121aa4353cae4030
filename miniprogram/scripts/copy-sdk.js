// Copies luckbox-sdk/ into example/miniprogram_npm/luckbox-sdk/, where the
// sample's require('luckbox-sdk') finds it, exactly as WeChat DevTools'
// "Build npm" lays out an npm package. Runs on npm install / npm ci; run it
// again after changing the SDK (or copy the folder by hand).
const fs = require('node:fs');
const path = require('node:path');

const SRC = path.join(__dirname, '..', 'luckbox-sdk');
const DST = path.join(__dirname, '..', 'example', 'miniprogram_npm', 'luckbox-sdk');

fs.rmSync(DST, { recursive: true, force: true });
fs.mkdirSync(DST, { recursive: true });
for (const name of fs.readdirSync(SRC)) {
  if (/\.(js|json)$/.test(name) || name.endsWith('.d.ts')) fs.copyFileSync(path.join(SRC, name), path.join(DST, name));
}
console.log('copied luckbox-sdk to ' + path.relative(process.cwd(), DST));
