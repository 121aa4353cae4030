// Loads the sample's pages under miniprogram-simulate (WeChat's component
// test tool; pages are written with the Component constructor, so it can
// load them), in a jsdom window, with the stand-in wx.
const path = require('node:path');
const { JSDOM } = require('jsdom');

const dom = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true });
global.window = dom.window;
global.document = dom.window.document;
for (const k of ['Node', 'Element', 'HTMLElement', 'Event', 'CustomEvent', 'MutationObserver', 'getComputedStyle', 'requestAnimationFrame']) {
  global[k] = dom.window[k];
}
const simulate = require('miniprogram-simulate');

const ROOT = path.join(__dirname, '..', '..', 'example');

/**
 * openPage loads pages/<name> (e.g. "lottery/detail"), renders it, attaches
 * it, runs onLoad(query) and onShow, and resolves with the component.
 */
async function openPage(name, query) {
  const id = simulate.load(path.join(ROOT, 'pages', name), { rootPath: ROOT });
  const page = simulate.render(id);
  page.attach(document.createElement('parent-wrapper'));
  const inst = page.instance;
  if (typeof inst.onLoad === 'function') await inst.onLoad(query || {});
  if (typeof inst.onShow === 'function') await inst.onShow();
  return page;
}

/** text returns the text of the first node matching selector ('' if none). */
function text(page, selector) {
  const n = page.querySelector(selector);
  return n ? n.dom.textContent.trim() : '';
}

/** tap taps the node matching selector and waits for its handler's promise. */
async function tap(page, selector) {
  const n = page.querySelector(selector);
  if (!n) throw new Error('no ' + selector + ' in ' + page.dom.innerHTML.slice(0, 2000));
  n.dispatchEvent('tap');
  await simulate.sleep(0);
}

/** until waits for check() to hold (pages update after their calls return). */
async function until(check, what) {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await simulate.sleep(20);
  }
  throw new Error('timed out waiting for ' + (what || check.toString()));
}

module.exports = { simulate, openPage, text, tap, until, ROOT };
