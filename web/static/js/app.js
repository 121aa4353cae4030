// The demo client: a hash-routed single page over the public JSON API.
import { h, replace, $ } from './dom.js';
import { t, lang, setLang, initLang } from './i18n.js';
import { Api } from './api.js';
import * as session from './session.js';
import { errorBox, toast } from './ui.js';
import { loginView, homeView } from './views/home.js';
import { lotteryListView, lotteryNewView, lotteryDetailView } from './views/lotteries.js';
import { proofView, verifyView } from './views/proof.js';
import { walletView } from './views/wallet.js';
import { packetListView, packetNewView, packetDetailView } from './views/packets.js';
import { exchangeEnterView, exchangeView } from './views/exchange.js';
import { inboxView } from './views/inbox.js';
import { groupsView } from './groups.js';
import { icon, avatar } from './icons.js';

const api = new Api(session.token, () => {
  session.clear();
  toast(t('login.expired'), 'error');
  render();
});

// Routes: [pattern, view, needs login].
const routes = [
  [/^\/?$/, homeView, true],
  [/^\/lotteries$/, lotteryListView, true],
  [/^\/lotteries\/new$/, lotteryNewView, true],
  [/^\/lottery\/([^/]+)$/, lotteryDetailView, true],
  [/^\/lottery\/([^/]+)\/g\/([^/]+)$/, lotteryDetailView, true],
  [/^\/lottery\/([^/]+)\/proof$/, proofView, true],
  [/^\/verify$/, verifyView, false],
  [/^\/wallet$/, walletView, true],
  [/^\/packets$/, packetListView, true],
  [/^\/packets\/new$/, packetNewView, true],
  [/^\/packet\/([^/]+)$/, packetDetailView, true],
  [/^\/packet\/([^/]+)\/g\/([^/]+)$/, packetDetailView, true],
  [/^\/groups$/, groupsView, true],
  [/^\/exchange$/, exchangeEnterView, true],
  [/^\/exchange\/([^/]+)$/, exchangeView, true],
  [/^\/inbox$/, inboxView, true],
];

const nav = [
  ['lotteries', '#/lotteries', 'gift', '/lotter'],
  ['packets', '#/packets', 'packet', '/packet'],
  ['wallet', '#/wallet', 'wallet', '/wallet'],
  ['exchange', '#/exchange', 'tree', '/exchange'],
  ['inbox', '#/inbox', 'mail', '/inbox'],
];

let generation = 0;
let cleanups = [];

function path() {
  return decodeURIComponent(location.hash.replace(/^#/, '')) || '/';
}

function renderChrome() {
  const s = session.current();
  document.documentElement.lang = lang() === 'zh' ? 'zh-CN' : 'en';
  document.title = `${t('app.name')} · ${t('app.demo')}`;
  const p = path();
  replace($('#top'),
    h('a', { class: 'brand', href: '#/' }, h('span', { class: 'logo' }, icon('clover')), t('app.name'),
      h('small', {}, t('app.demo'))),
    h('div', { class: 'top-actions' },
      s ? h('span', { class: 'me-chip', id: 'me-chip', title: s.user.id }, avatar(s.user.nickname),
        h('span', { class: 'me-name' }, s.user.nickname)) : null,
      s ? h('button', { type: 'button', class: 'link', id: 'logout', onclick: async () => { await session.logout(api); location.hash = '#/'; render(); } }, t('login.switch')) : null,
      h('button', { type: 'button', class: 'lang', id: 'lang-switch', onclick: () => { setLang(lang() === 'zh' ? 'en' : 'zh'); render(); } }, t('app.otherLang'))));
  replace($('#nav'), s ? nav.map(([key, href, glyph, prefix]) =>
    h('a', { href, class: p.startsWith(prefix) ? 'active' : '', 'data-nav': key },
      h('span', { class: 'nav-icon' }, icon(glyph)), h('span', {}, t(`nav.${key}`)))) : []);
}

/** render shows the page of the current hash. */
export async function render() {
  const gen = ++generation;
  for (const fn of cleanups) {
    try { fn(); } catch { /* a cleanup must not stop the next page */ }
  }
  cleanups = [];
  renderChrome();
  const view = $('#view');
  const p = path();
  let match = null;
  for (const [re, fn, auth] of routes) {
    const m = re.exec(p);
    if (m) {
      match = { fn, auth, params: m.slice(1) };
      break;
    }
  }
  const ctx = {
    api,
    view,
    params: match ? match.params : [],
    session: session.current(),
    alive: () => gen === generation,
    cleanup: (fn) => { if (gen === generation) cleanups.push(fn); else fn(); },
    go: (hash) => { location.hash = hash; },
    rerender: () => { if (gen === generation) render(); },
  };
  view.classList.remove('ready');
  try {
    if (!match) {
      replace(view, h('section', { class: 'card' }, h('h2', {}, t('common.notFound')), h('a', { href: '#/' }, t('common.home'))));
    } else if (match.auth && !ctx.session) {
      await loginView(ctx, () => render());
    } else {
      await match.fn(ctx);
    }
  } catch (err) {
    if (ctx.alive()) replace(view, errorBox(err));
  }
  if (ctx.alive()) view.classList.add('ready');
}

initLang();
window.addEventListener('hashchange', render);
render();
