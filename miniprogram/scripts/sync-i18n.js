// Copies the web client's wording (web/static/js/i18n.js) into the sample's
// texts (example/utils/i18n.js) for every key the two share, so a change of
// wording in the web client reaches the mini-program with one command:
//   cd miniprogram && npm run sync-i18n
// Keys of the sample's own (mp.*) are kept; a shared key the web client no
// longer has is reported, not removed.
const fs = require('node:fs');
const path = require('node:path');

const webFile = path.join(__dirname, '..', '..', 'web', 'static', 'js', 'i18n.js');
const mpFile = path.join(__dirname, '..', 'example', 'utils', 'i18n.js');

function webDicts() {
  const src = fs.readFileSync(webFile, 'utf8');
  const grab = (name) => {
    const start = src.indexOf('const ' + name + ' = {');
    const end = src.indexOf('\n};', start);
    return new Function('return ' + src.slice(start + ('const ' + name + ' = ').length, end + 2))(); // eslint-disable-line no-new-func
  };
  return { zh: grab('zh'), en: grab('en') };
}

const web = webDicts();
let src = fs.readFileSync(mpFile, 'utf8');
let changed = 0;
for (const lang of ['zh', 'en']) {
  const start = src.indexOf('  ' + lang + ': {\n');
  const end = src.indexOf('\n  },', start);
  const lines = src.slice(start, end).split('\n').map((line) => {
    const m = line.match(/^    ("(?:[^"\\]|\\.)*"): ("(?:[^"\\]|\\.)*"),$/);
    if (!m) return line;
    const key = JSON.parse(m[1]);
    if (key.startsWith('mp.')) return line;
    if (!(key in web[lang])) {
      console.error(`${lang} ${key}: not in the web client (rename it mp.* or drop it)`);
      return line;
    }
    const next = `    ${m[1]}: ${JSON.stringify(web[lang][key])},`;
    if (next !== line) changed++;
    return next;
  });
  src = src.slice(0, start) + lines.join('\n') + src.slice(end);
}
fs.writeFileSync(mpFile, src);
console.log(`updated ${changed} texts in ${path.relative(process.cwd(), mpFile)}`);
