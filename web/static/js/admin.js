// The admin console: gift exchanges (create, CSV import, start, results,
// export, reminders), packets and lotteries overview, refunds, audit and backup. It
// calls the public admin API with the admin token, kept in sessionStorage.
import { h, replace, $, field, button, download, copyText } from './dom.js';
import { t, lang, setLang, initLang, has } from './i18n.js';
import { Api, ApiError, q, seg } from './api.js';
import { money, dateTime, shortID } from './format.js';
import { card, errorBox, badge, loading, empty, notice, toast, confirmAction, person } from './ui.js';
import { icon } from './icons.js';
import { formError } from './fielderrors.js';
import { lineChart, barChart, donut } from './charts.js';
import { withdrawalsView } from './admin_withdrawals.js';

const KEY = 'luckbox.admin';
const adminToken = () => sessionStorage.getItem(KEY) || '';
const api = new Api(adminToken, () => {
  sessionStorage.removeItem(KEY);
  toast(t('admin.tokenRejected'), 'error');
  render();
});

let documented = null; // paths of the OpenAPI document: which admin endpoints this server has

async function hasEndpoint(path) {
  if (!documented) {
    try {
      documented = Object.keys((await api.get('/api/v1/openapi.json', { noAuth: true })).paths || {});
    } catch {
      documented = [];
    }
  }
  return documented.includes(path);
}

const routes = [
  [/^\/?$/, exchangesView],
  [/^\/stats$/, statsView],
  [/^\/exchanges$/, exchangesView],
  [/^\/exchange\/([^/]+)$/, exchangeView],
  [/^\/packets$/, packetsView],
  [/^\/packet\/([^/]+)$/, packetView],
  [/^\/withdrawals$/, (ctx) => withdrawalsView(ctx, api)],
  [/^\/lotteries$/, lotteriesView],
  [/^\/refunds$/, refundsView],
  [/^\/flags$/, flagsView],
  [/^\/audit$/, auditView],
  [/^\/backup$/, backupView],
];

const nav = [
  ['stats', '#/stats', 'chart', ['/stats']],
  ['exchanges', '#/exchanges', 'tree', ['/exchange', '/']],
  ['lotteries', '#/lotteries', 'gift', ['/lotteries']],
  ['packets', '#/packets', 'packet', ['/packet']],
  ['refunds', '#/refunds', 'pay', ['/refunds']],
  ['withdrawals', '#/withdrawals', 'wallet', ['/withdrawals']],
  ['flags', '#/flags', 'shield', ['/flags']],
  ['audit', '#/audit', 'scale', ['/audit']],
  ['backup', '#/backup', 'database', ['/backup']],
];

let generation = 0;
let cleanups = [];
const path = () => decodeURIComponent(location.hash.replace(/^#/, '')) || '/';

function renderChrome() {
  document.documentElement.lang = lang() === 'zh' ? 'zh-CN' : 'en';
  document.title = `${t('app.name')} · ${t('admin.title')}`;
  const p = path();
  const signedIn = Boolean(adminToken());
  replace($('#top'),
    h('a', { class: 'brand', href: '#/' }, h('span', { class: 'logo' }, icon('clover')), t('app.name'), h('small', {}, t('admin.title'))),
    h('div', { class: 'top-actions' },
      h('a', { class: 'link', href: '/' }, t('admin.toDemo')),
      signedIn ? h('button', { type: 'button', class: 'link', id: 'admin-logout', onclick: () => { sessionStorage.removeItem(KEY); render(); } }, t('admin.signOut')) : null,
      h('button', { type: 'button', class: 'lang', id: 'lang-switch', onclick: () => { setLang(lang() === 'zh' ? 'en' : 'zh'); render(); } }, t('app.otherLang'))));
  replace($('#nav'), signedIn ? nav.map(([key, href, glyph, prefixes]) =>
    h('a', { href, 'data-nav': key, class: prefixes.some((x) => (x === '/' ? p === '/' : p.startsWith(x))) ? 'active' : '' },
      h('span', { class: 'nav-icon' }, icon(glyph)), h('span', {}, t(`admin.nav.${key}`)))) : []);
}

/** render shows the console page of the current hash. */
async function render() {
  const gen = ++generation;
  for (const fn of cleanups) fn();
  cleanups = [];
  renderChrome();
  const view = $('#view');
  view.classList.remove('ready');
  const ctx = { view, params: [], alive: () => gen === generation, rerender: () => { if (gen === generation) render(); }, cleanup: (fn) => cleanups.push(fn) };
  try {
    if (!adminToken()) {
      signInView(ctx);
    } else {
      const p = path();
      const r = routes.find(([re]) => re.test(p));
      if (!r) replace(view, card(t('common.notFound'), h('a', { href: '#/' }, t('common.home'))));
      else {
        ctx.params = r[0].exec(p).slice(1);
        await r[1](ctx);
      }
    }
  } catch (err) {
    if (ctx.alive()) replace(view, errorBox(err));
  }
  if (ctx.alive()) view.classList.add('ready');
}

function signInView(ctx) {
  const input = h('input', { id: 'admin-token', type: 'password', autocomplete: 'off', spellcheck: 'false' });
  const st = h('div', { class: 'status-slot' });
  const submit = async () => {
    const token = input.value.trim();
    if (!token) return;
    try {
      // Any admin call checks the token; the exchanges list is cheap.
      await new Api(() => token).get('/api/v1/admin/exchanges');
      sessionStorage.setItem(KEY, token);
      render();
    } catch (err) {
      replace(st, err instanceof ApiError && (err.status === 401 || err.status === 403) ? notice('error', t('admin.badToken')) : errorBox(err));
    }
  };
  replace(ctx.view, h('section', { class: 'card hero narrow' },
    h('h1', {}, t('admin.signInTitle')), h('p', { class: 'muted' }, t('admin.signInExplain')),
    h('form', { class: 'form', onsubmit: (e) => { e.preventDefault(); submit(); } },
      field(t('admin.token'), input), st, h('button', { type: 'submit', class: 'primary block', id: 'admin-signin' }, t('admin.signIn')))));
}

// ---- Overview: activity and money ----

const WINDOWS = ['15m', '60m', '6h', '24h'];
let statsWindow = '60m';

async function statsView(ctx) {
  const out = h('div', { id: 'stats-result' }, loading());
  const select = h('select', { id: 'stats-window', onchange: () => { statsWindow = select.value; load(); } },
    WINDOWS.map((w) => h('option', { value: w, selected: w === statsWindow }, w)));
  const clock = (d) => new Intl.DateTimeFormat(lang() === 'zh' ? 'zh-CN' : 'en-GB', { hour: '2-digit', minute: '2-digit' }).format(d);
  const load = async () => {
    try {
      const st = await api.get(`/api/v1/admin/stats${q({ window: statsWindow })}`);
      if (!ctx.alive()) return;
      const start = new Date(st.start);
      const end = new Date(start.getTime() + (st.window_minutes - 1) * 60000);
      const keys = ['joins', 'grabs', 'topups'];
      const series = keys.map((k) => ({ key: k, label: t(`admin.stats.${k}`), values: st.series[k],
        note: t('admin.stats.total', { n: st.series[k].reduce((a, b) => a + b, 0) }) }));
      const quiet = series.every((x) => x.values.every((v) => v === 0));
      const m = st.money;
      replace(out,
        h('section', { class: 'card', id: 'stats-activity' }, h('div', { class: 'row-between wrap' }, h('h2', {}, t('admin.stats.activity')),
          h('label', { class: 'inline' }, t('admin.stats.window'), ' ', select)),
        lineChart({ series, startLabel: clock(start), endLabel: clock(end), ariaLabel: t('admin.stats.activity') }),
        quiet ? h('p', { class: 'muted' }, t('admin.stats.none')) : null),
        m ? h('section', { class: 'card', id: 'stats-money' }, h('h2', {}, t('admin.stats.money')),
          barChart([
            { label: t('admin.stats.paidIn'), value: m.paid_in, text: money(m.paid_in), colour: 0 },
            { label: t('admin.stats.held'), value: m.held, text: money(m.held), colour: 1 },
            { label: t('admin.stats.paidOut'), value: m.paid_out, text: money(m.paid_out), colour: 2 },
          ], { ariaLabel: t('admin.stats.money') }),
          h('p', { class: 'muted small' }, t('admin.stats.heldHint'))) : null);
    } catch (err) {
      if (ctx.alive()) replace(out, errorBox(err));
    }
  };
  replace(ctx.view, h('div', { class: 'page-head' }, h('h1', {}, t('admin.stats.title'))), out);
  const timer = setInterval(() => { if (!document.hidden) load(); }, 15000);
  ctx.cleanup(() => clearInterval(timer));
  await load();
}

// ---- Gift exchanges ----

async function exchangesView(ctx) {
  const list = await api.get('/api/v1/admin/exchanges');
  if (!ctx.alive()) return;
  const title = h('input', { id: 'ex-title', maxlength: 64, placeholder: t('admin.ex.titleHint') });
  const st = h('div', { class: 'status-slot' });
  const create = async () => {
    try {
      const e = await api.post('/api/v1/admin/exchanges', { title: title.value.trim() });
      location.hash = `#/exchange/${seg(e.id)}`;
    } catch (err) {
      formError(form, st, err, { title });
    }
  };
  const form = h('form', { class: 'inline-form', id: 'ex-form', onsubmit: (e) => { e.preventDefault(); create(); } },
    field(t('admin.ex.title'), title), h('button', { type: 'submit', class: 'primary', id: 'ex-create' }, t('admin.ex.create')));
  replace(ctx.view,
    h('div', { class: 'page-head' }, h('h1', {}, t('admin.nav.exchanges'))),
    card(t('admin.ex.new'), form, st),
    card(t('admin.ex.all'), list.items.length ? h('div', { class: 'list', id: 'ex-list' }, list.items.map((e) =>
      h('a', { class: 'item', href: `#/exchange/${seg(e.id)}`, 'data-id': e.id },
        h('div', { class: 'item-main' }, h('strong', {}, e.title), h('small', { class: 'muted' }, dateTime(e.created_at))),
        h('div', { class: 'item-side' }, badge(e.status, 'xstatus'), h('small', {}, t('admin.ex.counts', { drawn: e.drawn_count, n: e.participant_count }))))))
      : empty(t('admin.ex.none'))));
}

const SAMPLE_CSV = 'name,phone,group,exclude\n张三,13800000001,研发,\n李四,13800000002,研发,\n王五,13800000003,市场,13800000001\n赵六,13800000004,市场,\n';

async function exchangeView(ctx) {
  const [id] = ctx.params;
  let ex = await api.get(`/api/v1/admin/exchanges/${seg(id)}`);
  if (!ctx.alive()) return;
  let filter = '';
  const head = h('div');
  const results = h('div', { id: 'results' });
  const importSlot = h('div', { id: 'import-result' });
  const actionSlot = h('div', { class: 'status-slot', id: 'ex-action-result' });

  const reloadExchange = async () => {
    ex = await api.get(`/api/v1/admin/exchanges/${seg(id)}`);
    drawHead();
  };
  const loadResults = async () => {
    try {
      const [page, fresh] = await Promise.all([
        api.get(`/api/v1/admin/exchanges/${seg(id)}/results${q({ drawn: filter })}`),
        api.get(`/api/v1/admin/exchanges/${seg(id)}`),
      ]);
      if (!ctx.alive()) return;
      if (fresh.drawn_count !== ex.drawn_count || fresh.status !== ex.status || fresh.participant_count !== ex.participant_count) {
        ex = fresh;
        drawHead();
      }
      replace(results, page.items.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'results-table' },
        h('thead', {}, h('tr', {}, [t('admin.ex.name'), t('admin.ex.phone'), t('admin.ex.group'), t('admin.ex.exclude'), t('admin.ex.drawn'), t('admin.ex.recipient'), ''].map((x) => h('th', {}, x)))),
        h('tbody', {}, page.items.map((p) => h('tr', { 'data-phone': p.phone, 'data-drawn': String(p.drawn) },
          h('td', {}, p.name), h('td', {}, p.phone), h('td', {}, p.group || '—'), h('td', {}, (p.exclude || []).join('; ') || '—'),
          h('td', {}, p.drawn ? `✓ ${dateTime(p.drawn_at)}` : '—'), h('td', { class: 'rcpt' }, p.recipient || '—'),
          h('td', {}, ex.status === 'draft' ? button('✕', async () => {
            try {
              await api.del(`/api/v1/admin/exchanges/${seg(id)}/participants/${seg(p.id)}`);
              await reloadExchange();
              await loadResults();
            } catch (err) {
              replace(actionSlot, errorBox(err));
            }
          }, { class: 'icon', title: t('common.remove') }) : null))))))
        : empty(t('admin.ex.noResults')));
    } catch (err) {
      replace(results, errorBox(err));
    }
  };

  const csv = h('textarea', { id: 'csv-text', rows: 7, class: 'mono', spellcheck: 'false', placeholder: SAMPLE_CSV });
  const file = h('input', { type: 'file', id: 'csv-file', accept: '.csv,text/csv', onchange: async () => {
    const f = file.files && file.files[0];
    if (f) csv.value = await f.text();
  } });
  const upload = async () => {
    replace(importSlot);
    try {
      const res = await api.post(`/api/v1/admin/exchanges/${seg(id)}/participants`, csv.value, { contentType: 'text/csv; charset=utf-8' });
      replace(importSlot, notice('ok', t('admin.ex.imported', { n: res.imported })));
      csv.value = '';
      await reloadExchange();
      await loadResults();
    } catch (err) {
      replace(importSlot, h('div', { id: 'import-errors' }, errorBox(err)));
    }
  };
  const start = async () => {
    replace(actionSlot);
    // Starting fixes the list and makes the assignment: ask first.
    if (!await confirmAction(t('admin.ex.startConfirm', { n: ex.participant_count }), t('admin.ex.startConfirmOk'))) return;
    try {
      ex = await api.post(`/api/v1/admin/exchanges/${seg(id)}/start`);
      replace(actionSlot, notice('ok', t('admin.ex.started')));
      drawHead();
      await loadResults();
    } catch (err) {
      replace(actionSlot, errorBox(err));
    }
  };
  const remind = async () => {
    replace(actionSlot);
    try {
      const r = await api.post(`/api/v1/admin/exchanges/${seg(id)}/reminders`);
      replace(actionSlot, notice('ok', t('admin.ex.reminded', { n: r.reminded, recent: r.skipped_recent || 0, none: r.without_account || 0 })));
    } catch (err) {
      replace(actionSlot, errorBox(err));
    }
  };
  const exportCSV = async () => {
    try {
      const res = await api.get(`/api/v1/admin/exchanges/${seg(id)}/results${q({ drawn: filter })}`, { raw: true, accept: 'text/csv' });
      download(await res.blob(), `exchange-${id}-results.csv`);
    } catch (err) {
      replace(actionSlot, errorBox(err));
    }
  };
  const link = `${location.origin}/#/exchange/${id}`;

  function drawHead() {
    replace(head,
      h('div', { class: 'page-head' }, h('a', { class: 'back', href: '#/exchanges' }, '‹ ', t('common.back')),
        h('h1', { id: 'ex-heading' }, ex.title), h('span', { id: 'ex-status', 'data-status': ex.status }, badge(ex.status, 'xstatus'))),
      h('section', { class: 'card' },
        h('div', { class: 'stats' },
          h('div', { class: 'stat' }, h('span', { class: 'stat-num', id: 'ex-count' }, String(ex.participant_count)), h('span', { class: 'stat-label' }, t('admin.ex.participants'))),
          h('div', { class: 'stat' }, h('span', { class: 'stat-num', id: 'ex-drawn' }, String(ex.drawn_count)), h('span', { class: 'stat-label' }, t('admin.ex.drawnCount'))),
          ex.status !== 'draft' && ex.participant_count ? h('div', { class: 'stat', id: 'ex-progress' },
            donut(ex.drawn_count, ex.participant_count, { label: t('admin.ex.progressText', { drawn: ex.drawn_count, n: ex.participant_count }), ariaLabel: t('admin.ex.progress') })) : null),
        h('div', { class: 'kv' }, h('span', {}, t('admin.ex.created')), h('span', {}, dateTime(ex.created_at))),
        ex.started_at ? h('div', { class: 'kv' }, h('span', {}, t('admin.ex.startedAt')), h('span', {}, dateTime(ex.started_at))) : null,
        ex.assignment_hash ? h('div', { class: 'kv' }, h('span', {}, t('admin.ex.hash')), h('code', {}, ex.assignment_hash)) : null,
        h('div', { class: 'kv' }, h('span', {}, t('admin.ex.link')), h('span', { class: 'share' }, h('input', { readonly: true, value: link, id: 'ex-link' }),
          button(t('common.copy'), async () => toast(await copyText(link) ? t('common.copied') : link), { class: 'secondary small' }))),
        h('div', { class: 'actions' },
          ex.status === 'draft' ? button([icon('play'), t('admin.ex.start')], start, { class: 'primary', id: 'ex-start' }) : null,
          ex.status === 'started' ? button([icon('bell'), t('admin.ex.remind')], remind, { class: 'secondary', id: 'ex-remind' }) : null),
        actionSlot),
      ex.status === 'draft' ? card(t('admin.ex.import'),
        h('p', { class: 'muted' }, t('admin.ex.importExplain')),
        h('pre', { class: 'mono small sample' }, SAMPLE_CSV),
        field(t('admin.ex.file'), file), field(t('admin.ex.paste'), csv),
        h('div', { class: 'actions' }, button([icon('upload'), t('admin.ex.upload')], upload, { class: 'primary', id: 'csv-upload' })),
        importSlot) : null);
  }

  drawHead();
  const select = h('select', { id: 'results-filter', onchange: () => { filter = select.value; loadResults(); } },
    h('option', { value: '' }, t('admin.ex.filterAll')), h('option', { value: 'true' }, t('admin.ex.filterDrawn')), h('option', { value: 'false' }, t('admin.ex.filterNotDrawn')));
  replace(ctx.view, head,
    h('section', { class: 'card' },
      h('div', { class: 'row-between wrap' }, h('h2', {}, t('admin.ex.results')),
        h('div', { class: 'actions' }, select, button([icon('download'), t('admin.ex.export')], exportCSV, { class: 'secondary', id: 'ex-export' }))),
      results));
  await loadResults();
}

// ---- Packets ----

async function packetsView(ctx) {
  const body = h('tbody');
  const wrap = h('div', {}, loading());
  const load = async (cursor = '') => {
    const page = await api.get(`/api/v1/admin/packets${q({ cursor })}`);
    if (!ctx.alive()) return;
    if (!cursor) {
      replace(wrap, page.items.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'admin-packets' },
        h('thead', {}, h('tr', {}, [t('admin.pk.created'), t('admin.pk.kind'), t('admin.pk.amount'), t('admin.pk.grabbed'), t('admin.pk.status'), t('admin.pk.sender')].map((x) => h('th', {}, x)))),
        body)) : empty(t('admin.pk.none')));
    }
    body.append(...page.items.map((p) => h('tr', { 'data-id': p.id },
      h('td', {}, h('a', { href: `#/packet/${seg(p.id)}` }, dateTime(p.created_at))),
      h('td', {}, t(`packet.kind.${p.kind}`)),
      h('td', { class: 'num' }, money(p.amount)),
      h('td', {}, `${p.count - p.remaining_count}/${p.count}`),
      h('td', {}, badge(p.status, 'pstatus')),
      person(p.sender_nickname, p.sender_id, 'td'))));
    wrap.querySelector('.more')?.remove();
    if (page.next_cursor) wrap.append(button(t('common.more'), () => load(page.next_cursor), { class: 'secondary more' }));
  };
  replace(ctx.view, h('div', { class: 'page-head' }, h('h1', {}, t('admin.nav.packets'))), card('', wrap));
  await load();
}

async function packetView(ctx) {
  const [id] = ctx.params;
  const p = await api.get(`/api/v1/admin/packets/${seg(id)}`);
  if (!ctx.alive()) return;
  const kv = (k, v) => h('div', { class: 'kv' }, h('span', {}, k), h('span', {}, v));
  replace(ctx.view,
    h('div', { class: 'page-head' }, h('a', { class: 'back', href: '#/packets' }, '‹ ', t('common.back')), h('h1', {}, p.greeting || t('packet.defaultGreeting')), badge(p.status, 'pstatus')),
    card('', kv(t('admin.pk.kind'), t(`packet.kind.${p.kind}`)), kv(t('admin.pk.amount'), money(p.amount)),
      kv(t('admin.pk.remaining'), `${money(p.remaining_amount)} (${p.remaining_count})`), kv(t('admin.pk.refunded'), money(p.refunded_amount)),
      kv(t('admin.pk.sender'), [person(p.sender_nickname, p.sender_id, 'span', { id: 'admin-pk-sender' }), ' ', h('code', { class: 'muted' }, shortID(p.sender_id))]), kv(t('admin.pk.created'), dateTime(p.created_at)), kv(t('admin.pk.expires'), dateTime(p.expires_at))),
    card(t('packet.grabs'), (p.grabs || []).length ? h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, [t('admin.pk.user'), t('admin.pk.amount'), t('admin.pk.at'), ''].map((x) => h('th', {}, x)))),
      h('tbody', {}, p.grabs.map((g) => h('tr', {}, person(g.nickname, g.user_id, 'td'),
        h('td', { class: 'num' }, money(g.amount)), h('td', {}, dateTime(g.at)),
        h('td', {}, g.best_luck ? h('span', { class: 'best-luck small' }, icon('crown'), ' ', t('packet.bestLuck')) : '')))))) : empty(t('packet.noGrabs'))),
    splitCard(p));
}

/**
 * splitCard pictures how a packet's money is split: every share of a
 * revealed lucky split (untaken ones too), or else the grabs so far.
 */
function splitCard(p) {
  const grabs = p.grabs || [];
  const shares = p.split && p.split.shares ? p.split.shares : grabs.map((g) => g.amount);
  if (!shares.length) return p.split ? card(t('admin.pk.split'), h('p', { class: 'muted' }, t('admin.pk.splitHidden'))) : null;
  const items = shares.map((v, i) => ({
    label: grabs[i] ? grabs[i].nickname || shortID(grabs[i].user_id) : t('admin.pk.share', { i: i + 1 }),
    value: v, text: money(v), highlight: Boolean(grabs[i] && grabs[i].best_luck), colour: grabs[i] ? 0 : 3,
  }));
  return h('section', { class: 'card', id: 'admin-pk-split' }, h('h2', {}, t('admin.pk.split')),
    barChart(items, { ariaLabel: t('admin.pk.split') }),
    p.split && !p.split.shares ? h('p', { class: 'muted' }, t('admin.pk.splitHidden')) : null);
}

// ---- Lotteries ----

async function lotteriesView(ctx) {
  const available = await hasEndpoint('/api/v1/admin/lotteries');
  if (!ctx.alive()) return;
  if (!available) {
    replace(ctx.view, h('div', { class: 'page-head' }, h('h1', {}, t('admin.nav.lotteries'))),
      card('', notice('info', t('admin.lt.noEndpoint'))));
    return;
  }
  const wrap = h('div', {}, loading());
  const body = h('tbody');
  const load = async (cursor = '') => {
    const page = await api.get(`/api/v1/admin/lotteries${q({ cursor })}`);
    if (!ctx.alive()) return;
    if (!cursor) {
      replace(wrap, page.items.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'admin-lotteries' },
        h('thead', {}, h('tr', {}, [t('admin.lt.title'), t('admin.lt.status'), t('admin.lt.mode'), t('admin.lt.people'), t('admin.lt.created')].map((x) => h('th', {}, x)))),
        body)) : empty(t('admin.lt.none')));
    }
    body.append(...page.items.map((l) => h('tr', { 'data-id': l.id },
      h('td', {}, l.title), h('td', {}, badge(l.status)), h('td', {}, t(`lottery.mode.${l.draw.mode}`)),
      h('td', { class: 'num' }, String(l.participant_count)), h('td', {}, dateTime(l.created_at)))));
    wrap.querySelector('.more')?.remove();
    if (page.next_cursor) wrap.append(button(t('common.more'), () => load(page.next_cursor), { class: 'secondary more' }));
  };
  replace(ctx.view, h('div', { class: 'page-head' }, h('h1', {}, t('admin.nav.lotteries'))), card('', wrap));
  await load();
}

// ---- Refunds ----

// refundsView lists the refunds (closed and abnormal ones first in mind:
// retry them or credit them to the balance) and refunds an unspent top-up.
async function refundsView(ctx) {
  const body = h('tbody');
  const wrap = h('div', {}, loading());
  const status = h('select', { id: 'refund-filter' }, ['', 'requested', 'processing', 'success', 'closed', 'abnormal', 'credited']
    .map((s) => h('option', { value: s }, s ? t(`rstatus.${s}`) : t('admin.rf.all'))));
  const act = (r, what) => button(t(`admin.rf.${what}`), async () => {
    if (!(await confirmAction(t(`admin.rf.${what}Confirm`, { amount: money(r.amount) }), t(`admin.rf.${what}`)))) return;
    try {
      await api.post(`/api/v1/admin/refunds/${seg(r.refund_id)}/${what}`);
      toast(t('admin.rf.done'), 'ok');
      await load();
    } catch (err) {
      toast(err.message, 'error');
    }
  }, { class: 'secondary small', 'data-action': what });
  const load = async (cursor = '') => {
    const page = await api.get(`/api/v1/admin/refunds${q({ cursor, status: status.value })}`);
    if (!ctx.alive()) return;
    if (!cursor) {
      body.replaceChildren();
      replace(wrap, page.items.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'admin-refunds' },
        h('thead', {}, h('tr', {}, [t('admin.rf.created'), t('admin.rf.kind'), t('admin.rf.amount'), t('admin.rf.status'), t('admin.rf.no'), t('admin.rf.reason'), ''].map((x) => h('th', {}, x)))),
        body)) : empty(t('admin.rf.none')));
    }
    body.append(...page.items.map((r) => h('tr', { 'data-id': r.refund_id, class: r.retryable ? 'bad' : '' },
      h('td', {}, dateTime(r.created_at)),
      h('td', {}, r.packet_id ? h('a', { href: `#/packet/${seg(r.packet_id)}` }, t(`admin.rf.kind.${r.kind}`)) : t(`admin.rf.kind.${r.kind}`)),
      h('td', { class: 'num' }, money(r.amount)),
      h('td', { title: r.history.map((e) => `${dateTime(e.at)} ${e.status} (${e.source}) ${e.note}`).join('\n') }, badge(r.status, 'rstatus')),
      h('td', {}, h('code', {}, r.out_refund_no)),
      h('td', {}, r.reason),
      h('td', {}, r.retryable ? [act(r, 'retry'), ' ', act(r, 'credit')] : null))));
    wrap.querySelector('.more')?.remove();
    if (page.next_cursor) wrap.append(button(t('common.more'), () => load(page.next_cursor), { class: 'secondary more' }));
  };
  status.addEventListener('change', () => load());

  const order = h('input', { id: 'rf-order', required: true, placeholder: 'LB… / order_id' });
  const amount = h('input', { id: 'rf-amount', type: 'number', min: '0.01', step: '0.01', required: true });
  const reason = h('input', { id: 'rf-reason', maxlength: '80', required: true });
  const out = h('div', { class: 'status-slot', id: 'rf-result' });
  const submit = async () => {
    try {
      const r = await api.post(`/api/v1/admin/topups/${seg(order.value.trim())}/refunds`,
        { amount: Math.round(Number(amount.value) * 100), reason: reason.value });
      replace(out, notice('ok', t('admin.rf.requested', { amount: money(r.amount) })));
      await load();
    } catch (err) {
      replace(out, errorBox(err));
    }
  };
  replace(ctx.view, h('div', { class: 'page-head' }, h('h1', {}, t('admin.nav.refunds'))),
    card(t('admin.rf.topup'), h('p', { class: 'muted' }, t('admin.rf.topupExplain')),
      field(t('admin.rf.order'), order), field(t('admin.rf.amountYuan'), amount), field(t('admin.rf.reason'), reason),
      h('div', { class: 'actions' }, button(t('admin.rf.submit'), submit, { class: 'primary', id: 'rf-submit' })), out),
    card(t('admin.rf.list'), h('p', { class: 'muted' }, t('admin.rf.explain')), field(t('admin.rf.status'), status), wrap),
    await reconcileCard(ctx));
  await load();
}

// reconcileCard shows the stored reconciliations with WeChat Pay's trade
// bills (mismatches first in mind) and reconciles a day on demand.
async function reconcileCard(ctx) {
  const list = h('div', { id: 'reconciliations' }, loading());
  const date = h('input', { id: 'rc-date', type: 'date' });
  const show = async () => {
    const { items } = await api.get('/api/v1/admin/reconciliations');
    if (!ctx.alive()) return;
    replace(list, items.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'admin-reconciliations' },
      h('thead', {}, h('tr', {}, [t('admin.rc.date'), t('admin.rc.bill'), t('admin.rc.ours'), t('admin.rc.result')].map((x) => h('th', {}, x)))),
      h('tbody', {}, items.map((r) => h('tr', { 'data-date': r.date, class: r.error || r.mismatches.length ? 'bad' : '' },
        h('td', {}, r.date), h('td', { class: 'num' }, String(r.bill_rows)), h('td', { class: 'num' }, `${r.payments} / ${r.refunds}`),
        h('td', {}, r.error ? t('admin.rc.failed', { error: r.error })
          : r.mismatches.length ? r.mismatches.map((m) => h('div', {}, `${t(`admin.rc.kind.${m.kind}`)}: ${m.ref} (${money(m.bill_amount)} / ${money(m.luckbox_amount)})`)) : '✓')))))) : empty(t('admin.rc.none')));
  };
  const run = async () => {
    try {
      await api.post('/api/v1/admin/reconciliations', { date: date.value });
      await show();
    } catch (err) {
      replace(list, errorBox(err));
    }
  };
  show().catch((err) => replace(list, errorBox(err)));
  return card(t('admin.rc.title'), h('p', { class: 'muted' }, t('admin.rc.explain')),
    field(t('admin.rc.date'), date), h('div', { class: 'actions' }, button(t('admin.rc.run'), run, { class: 'secondary', id: 'rc-run' })), list);
}

// flagLink is where the admin sees the flagged text in place.
function flagLink(f) {
  if (f.kind === 'packet') return `#/packet/${seg(f.ref)}`;
  return null;
}

// flagsView lists user text saved without a clean pass of the content check
// (the check failed under --content-check-failure allow, or asked for a review).
async function flagsView(ctx) {
  const available = await hasEndpoint('/api/v1/admin/content-flags');
  if (!ctx.alive()) return;
  const head = h('div', { class: 'page-head' }, h('h1', {}, t('admin.nav.flags')));
  if (!available) {
    replace(ctx.view, head, card('', notice('info', t('admin.fl.noEndpoint'))));
    return;
  }
  const wrap = h('div', {}, loading());
  const body = h('tbody');
  const load = async (cursor = '') => {
    const page = await api.get(`/api/v1/admin/content-flags${q({ cursor })}`);
    if (!ctx.alive()) return;
    if (!cursor) {
      replace(wrap, page.items.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'admin-flags' },
        h('thead', {}, h('tr', {}, [t('admin.fl.at'), t('admin.fl.where'), t('admin.fl.field'), t('admin.fl.text'), t('admin.fl.reason'), t('admin.fl.author')].map((x) => h('th', {}, x)))),
        body)) : empty(t('admin.fl.none')));
    }
    body.append(...page.items.map((f) => {
      const href = flagLink(f);
      const where = `${t(`admin.fl.kind.${f.kind}`)} ${shortID(f.ref)}`;
      return h('tr', { 'data-id': f.id, 'data-kind': f.kind, 'data-ref': f.ref, 'data-reason': f.reason },
        h('td', {}, dateTime(f.created_at)),
        h('td', {}, href ? h('a', { href }, where) : where),
        h('td', {}, h('code', {}, f.field)),
        h('td', {}, f.text),
        h('td', {}, has(`admin.fl.reason.${f.reason}`) ? t(`admin.fl.reason.${f.reason}`) : f.reason),
        h('td', {}, h('code', {}, shortID(f.user_id))));
    }));
    wrap.querySelector('.more')?.remove();
    if (page.next_cursor) wrap.append(button(t('common.more'), () => load(page.next_cursor), { class: 'secondary more' }));
  };
  replace(ctx.view, head, card('', h('p', { class: 'muted' }, t('admin.fl.explain')), wrap));
  await load();
}

// ---- Audit and backup ----

async function auditView(ctx) {
  const out = h('div', { id: 'audit-result' });
  const run = async () => {
    replace(out, loading());
    try {
      const rep = await api.get('/api/v1/admin/audit');
      const tot = rep.totals || {};
      replace(out,
        notice(rep.ok ? 'ok' : 'error', h('strong', { id: 'audit-ok', 'data-ok': String(rep.ok) }, icon(rep.ok ? 'check' : 'cross'), ' ', t(rep.ok ? 'admin.audit.ok' : 'admin.audit.bad'))),
        h('div', { class: 'table-wrap' }, h('table', { id: 'audit-checks' },
          h('thead', {}, h('tr', {}, [t('admin.audit.check'), t('admin.audit.checked'), t('admin.audit.result')].map((x) => h('th', {}, x)))),
          h('tbody', {}, (rep.checks || []).map((c) => h('tr', { class: c.ok ? '' : 'bad', 'data-check': c.name },
            h('td', {}, has(`audit.${c.name}`) ? t(`audit.${c.name}`) : c.name), h('td', { class: 'num' }, String(c.checked)),
            h('td', {}, c.ok ? '✓' : (c.failures || []).join('; '))))))),
        h('div', { class: 'stats' },
          ['balances', 'escrow', 'refunds_in_flight', 'withdraw_held', 'money_in', 'money_out'].map((k) => h('div', { class: 'stat' }, h('span', { class: 'stat-num' }, money(tot[k] || 0)), h('span', { class: 'stat-label' }, t(`admin.audit.${k}`)))),
          ['wallets', 'packets', 'orders'].map((k) => h('div', { class: 'stat' }, h('span', { class: 'stat-num' }, String(tot[k] || 0)), h('span', { class: 'stat-label' }, t(`admin.audit.${k}`))))));
    } catch (err) {
      replace(out, errorBox(err));
    }
  };
  replace(ctx.view, h('div', { class: 'page-head' }, h('h1', {}, t('admin.nav.audit'))),
    card('', h('p', { class: 'muted' }, t('admin.audit.explain')), h('div', { class: 'actions' }, button(t('admin.audit.run'), run, { class: 'primary', id: 'audit-run' })), out));
  await run();
}

async function backupView(ctx) {
  const available = await hasEndpoint('/api/v1/admin/backup');
  if (!ctx.alive()) return;
  const out = h('div', { class: 'status-slot', id: 'backup-result' });
  const run = async () => {
    try {
      const res = await api.get('/api/v1/admin/backup', { raw: true, accept: 'application/octet-stream' });
      const blob = await res.blob();
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
      download(blob, `luckbox-${stamp}.db`);
      replace(out, notice('ok', t('admin.backup.done', { size: (blob.size / 1024).toFixed(1) })));
    } catch (err) {
      replace(out, errorBox(err));
    }
  };
  replace(ctx.view, h('div', { class: 'page-head' }, h('h1', {}, t('admin.nav.backup'))),
    card('', h('p', { class: 'muted' }, t('admin.backup.explain')),
      available ? null : notice('info', t('admin.backup.missing')),
      h('div', { class: 'actions' }, button([icon('download'), t('admin.backup.download')], run, { class: 'primary', id: 'backup-download' })), out));
}

initLang();
window.addEventListener('hashchange', render);
render();
