// Red packets: my list, the send form (three kinds), and the packet page
// with the grab, "手慢了", the grabs and best luck.
import { h, replace, field, button, copyText } from '../dom.js';
import { t } from '../i18n.js';
import { ApiError, q, seg } from '../api.js';
import { money, parseYuan, dateTime, duration, shortID } from '../format.js';
import { formError } from '../fielderrors.js';
import { card, errorBox, badge, loading, empty, notice, toast, tabs } from '../ui.js';
import { payFake } from './wallet.js';
import { sha256, fromHex32, toHex } from '../sha256.js';
import { icon, avatar } from '../icons.js';
import { senderShare, proveFromTicket, groupRefusal } from '../groups.js';

let listRole = 'sent';

/** packetListView lists the packets I sent or received. */
export async function packetListView(ctx) {
  const body = h('div', { id: 'packet-list' }, loading());
  const load = async (cursor, into) => {
    try {
      const page = await ctx.api.get(`/api/v1/me/packets${q({ role: listRole, cursor })}`);
      if (!ctx.alive()) return;
      if (!cursor) into.replaceChildren();
      if (!page.items.length && !cursor) into.append(empty(t(`packet.none.${listRole}`)));
      into.append(...page.items.map((p) => h('a', { class: 'item packet-item', href: `#/packet/${seg(p.id)}`, 'data-id': p.id },
        h('span', { class: 'item-icon' }, icon('packet')),
        h('div', { class: 'item-main' }, h('strong', {}, p.greeting || t('packet.defaultGreeting')),
          h('small', { class: 'muted' }, `${t(`packet.kind.${p.kind}`)} · ${dateTime(p.created_at)}`)),
        h('div', { class: 'item-side' },
          h('strong', {}, listRole === 'received' && p.me && p.me.amount != null ? money(p.me.amount) : money(p.amount)),
          badge(p.status, 'pstatus')))));
      if (page.next_cursor) {
        const more = button(t('common.more'), async () => { more.remove(); await load(page.next_cursor, into); }, { class: 'secondary more' });
        into.append(more);
      }
    } catch (err) {
      replace(into, errorBox(err));
    }
  };
  const draw = () => {
    replace(ctx.view,
      h('div', { class: 'page-head' }, h('h1', {}, t('nav.packets')),
        h('a', { class: 'button primary red', href: '#/packets/new', id: 'packet-new' }, icon('plus'), t('packet.send'))),
      tabs([['sent', t('packet.sent')], ['received', t('packet.received')]], listRole, (r) => { listRole = r; draw(); }),
      body);
    load('', body);
  };
  draw();
}

/** packetNewView is the send form: lucky, equal or personal. */
export async function packetNewView(ctx) {
  const wallet = await ctx.api.get('/api/v1/wallet').catch(() => null);
  if (!ctx.alive()) return;
  let kind = 'lucky';
  const count = h('input', { id: 'packet-count', type: 'number', min: 1, max: 100, value: '3' });
  const amount = h('input', { id: 'packet-amount', inputmode: 'decimal', value: '10.00' });
  const to = h('input', { id: 'packet-to', placeholder: t('packet.toHint'), autocomplete: 'off' });
  const greeting = h('input', { id: 'packet-greeting', maxlength: 40, value: t('packet.defaultGreeting') });
  const group = h('input', { id: 'packet-group', maxlength: 32, placeholder: t('group.fieldHint'), autocomplete: 'off' });
  const payWith = h('select', { id: 'packet-paywith' },
    h('option', { value: 'balance' }, t('packet.payBalance', { amount: wallet ? money(wallet.balance) : '—' })),
    h('option', { value: 'wechat' }, t('packet.payWechat')));
  const amountLabel = h('span', { class: 'field-label' });
  const countField = field(t('packet.count'), count);
  const toField = field(t('packet.to'), to);
  const groupField = field(t('group.field'), group, h('a', { href: '#/groups', id: 'packet-groups-link' }, t('group.manage')));
  const total = h('p', { class: 'total', id: 'packet-total' });
  const status = h('div', { class: 'status-slot' });
  const update = () => {
    amountLabel.textContent = t(kind === 'equal' ? 'packet.amountEach' : 'packet.amountTotal');
    countField.hidden = kind === 'personal';
    toField.hidden = kind !== 'personal';
    groupField.hidden = kind === 'personal';
    const fen = parseYuan(amount.value);
    const n = kind === 'personal' ? 1 : Number(count.value);
    const sum = kind === 'equal' ? fen * n : fen;
    total.textContent = Number.isFinite(sum) && sum > 0 ? money(sum) : '¥—';
  };
  for (const el of [count, amount]) el.addEventListener('input', update);
  const kinds = h('div', { class: 'segmented', role: 'radiogroup' }, ['lucky', 'equal', 'personal'].map((k) =>
    h('label', { class: 'seg' }, h('input', { type: 'radio', name: 'kind', id: `packet-kind-${k}`, value: k, checked: k === kind,
      onchange: () => { kind = k; update(); } }), h('span', {}, t(`packet.kind.${k}`)))));
  const send = async () => {
    const fen = parseYuan(amount.value);
    if (!(fen > 0)) {
      replace(status, notice('error', t('money.bad')));
      return;
    }
    const body = { kind, greeting: greeting.value.trim(), pay_with: payWith.value };
    if (kind === 'lucky') Object.assign(body, { count: Number(count.value), amount: fen });
    if (kind === 'equal') Object.assign(body, { count: Number(count.value), amount_each: fen });
    if (kind === 'personal') Object.assign(body, { amount: fen, to_user_id: to.value.trim() });
    try {
      // Group only: share into the group first (the fake gives the share
      // ticket and the sender's share info), then bind the packet to it.
      const shared = kind !== 'personal' && group.value.trim() ? await senderShare(ctx.api, ctx.session.openid, group.value.trim()) : null;
      if (shared) body.group = shared.share;
      const p = await ctx.api.post('/api/v1/packets', body);
      ctx.go(`#/packet/${seg(p.id)}${shared ? `/g/${seg(shared.ticket)}` : ''}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && payWith.value === 'balance') {
        replace(status, errorBox(err), h('p', {}, h('a', { href: '#/wallet', class: 'button secondary small' }, t('packet.topupFirst'))));
      } else {
        formError(form, status, err, { amount, amount_each: amount, count, greeting, to_user_id: to, pay_with: payWith, kind: kinds, group });
      }
    }
  };
  const form = h('form', { class: 'card form packet-form', id: 'packet-form', onsubmit: (e) => e.preventDefault() },
      kinds,
      h('p', { class: 'hint', id: 'packet-kind-hint' }),
      countField,
      h('label', { class: 'field' }, amountLabel, amount),
      toField,
      field(t('packet.greeting'), greeting),
      groupField,
      field(t('packet.payWith'), payWith),
      h('div', { class: 'row-between total-row' }, h('span', {}, t('packet.total')), total),
      status,
      button(t('packet.sendButton'), send, { class: 'primary red block', id: 'packet-send' }));
  replace(ctx.view, h('div', { class: 'page-head' }, h('h1', {}, t('packet.send'))), form);
  update();
}

/**
 * packetDetailView is what a share link (#/packet/{id}) opens: the envelope,
 * the grab button, my amount, and the grabs with best luck. While the packet
 * can still change it is refreshed every few seconds.
 */
export async function packetDetailView(ctx) {
  const [id, ticket] = ctx.params;
  const me = ctx.session.user;
  let packet;
  try {
    packet = await ctx.api.get(`/api/v1/packets/${seg(id)}`);
  } catch (err) {
    // A personal packet is shown only to its sender and recipient.
    if (!(err instanceof ApiError && err.status === 403)) throw err;
    if (ctx.alive()) {
      replace(ctx.view, h('section', { class: 'envelope', id: 'packet', 'data-id': id, 'data-status': 'forbidden' },
        h('div', { class: 'env-top' }, h('div', { class: 'env-kind' }, t('packet.kind.personal'))),
        h('div', { class: 'env-state', id: 'packet-forbidden' }, h('strong', {}, t('packet.notForYou')))));
    }
    return;
  }
  if (!ctx.alive()) return;
  let outcome = null; // 'exhausted' | 'expired' | 'forbidden' | 'group' after a failed grab
  let refusal = ''; // why a group-only grab was refused
  // Opened from the group chat (a link with the share ticket): prove
  // membership as the mini-program would, before the grab.
  let membership = ''; // 'proven' | 'notMember'
  if (ticket && packet.group_only) {
    membership = await proveFromTicket(ctx.api, ctx.session.openid, ticket).catch(() => '');
    if (!ctx.alive()) return;
  }
  const status = h('div', { class: 'status-slot', id: 'packet-status' });
  const root = h('div', { class: 'packet-detail', id: 'packet', 'data-id': id });
  replace(ctx.view, root);

  const reload = async () => {
    try {
      const fresh = await ctx.api.get(`/api/v1/packets/${seg(id)}`);
      // Redraw only on a change, so a poll never disturbs the reader.
      const changed = JSON.stringify(fresh) !== JSON.stringify(packet);
      packet = fresh;
      if (changed && ctx.alive()) draw();
    } catch (err) {
      if (ctx.alive()) replace(status, errorBox(err));
    }
  };
  const live = () => ['unpaid', 'pending', 'active'].includes(packet.status);
  const poll = setInterval(() => { if (live() && !document.hidden) reload(); }, 2000);
  ctx.cleanup(() => clearInterval(poll));

  const grab = async () => {
    replace(status);
    try {
      await ctx.api.post(`/api/v1/packets/${seg(id)}/grabs`, {}, { idempotencyKey: false }); // grabbing again answers the same grab
    } catch (err) {
      outcome = null;
      if (err instanceof ApiError && err.code === 'exhausted') outcome = 'exhausted';
      else if (err instanceof ApiError && err.code === 'expired') outcome = 'expired';
      else if (groupRefusal(err)) { outcome = 'group'; refusal = groupRefusal(err); }
      else if (err instanceof ApiError && err.status === 403) outcome = 'forbidden';
      else replace(status, errorBox(err));
    }
    await reload();
    if (ctx.alive()) draw();
  };

  function draw() {
    const p = packet;
    const sender = p.sender_id === me.id;
    const mine = p.me && p.me.amount != null;
    const forOther = p.kind === 'personal' && p.to_user_id !== me.id;
    let state = outcome;
    if (!mine && !state) {
      // The sender, who did not grab, sees how the packet went, not "too slow".
      if (sender && p.status === 'finished') state = 'senderDone';
      else if (sender && p.status === 'expired') state = 'senderExpired';
      else if (p.status === 'finished') state = 'exhausted';
      else if (p.status === 'expired') state = 'expired';
      else if (forOther && !sender) state = 'forbidden';
    }
    const canGrab = !mine && !state && (p.status === 'active' || p.status === 'pending') && !forOther;
    const grabs = p.grabs || [];
    const share = `${location.origin}${location.pathname}#/packet/${id}${ticket ? `/g/${ticket}` : ''}`;
    root.dataset.status = p.status;
    replace(root,
      h('section', { class: `envelope ${mine ? 'open' : ''}` },
        h('div', { class: 'env-top' },
          h('div', { class: 'env-kind' }, t(`packet.kind.${p.kind}`), ' · ', badge(p.status, 'pstatus')),
          h('p', { class: 'env-greeting', id: 'packet-greeting-text' }, p.greeting || t('packet.defaultGreeting')),
          p.group_only ? h('p', { class: 'env-from', id: 'packet-group-only', 'data-membership': membership }, icon('users'), ' ', t('group.only'),
            membership ? ` · ${t(`group.${membership}`)}` : '') : null,
          sender ? h('p', { class: 'env-from' }, t('packet.fromMe')) : null),
        mine ? h('div', { class: 'env-amount' },
          h('span', { class: 'big-money', id: 'packet-my-amount', 'data-fen': String(p.me.amount) }, money(p.me.amount)),
          p.me.best_luck ? h('span', { class: 'best-luck', id: 'packet-my-best' }, icon('crown'), ' ', t('packet.bestLuck')) : null,
          h('small', {}, t('packet.toWallet'))) : null,
        canGrab ? h('div', { class: 'env-open' }, button(t('packet.open'), grab, { class: 'open-btn', id: 'packet-grab', 'aria-label': t('packet.grab') })) : null,
        state === 'exhausted' ? h('div', { class: 'env-state', id: 'packet-exhausted' }, h('strong', {}, t('packet.exhausted')), h('small', {}, t('packet.exhaustedSub'))) : null,
        state === 'expired' ? h('div', { class: 'env-state', id: 'packet-expired' }, h('strong', {}, t('packet.expired'))) : null,
        state === 'forbidden' ? h('div', { class: 'env-state', id: 'packet-forbidden' }, h('strong', {}, t('packet.notForYou'))) : null,
        state === 'group' ? h('div', { class: 'env-state', id: 'packet-group-refused' }, h('strong', {}, refusal)) : null,
        state === 'senderDone' ? h('div', { class: 'env-state', id: 'packet-sender-done' }, h('strong', {}, t('packet.senderDone', { count: p.count })),
          p.finished_at ? h('small', {}, t('packet.senderDoneSub', { time: duration(new Date(p.finished_at) - new Date(p.created_at)) })) : null) : null,
        state === 'senderExpired' ? h('div', { class: 'env-state', id: 'packet-sender-expired' }, h('strong', {}, t('packet.senderExpired')),
          p.refunded_amount ? h('small', {}, t('packet.senderExpiredSub', { amount: money(p.refunded_amount) })) : null) : null,
        sender && !mine && !state && !canGrab && p.status === 'active' ? h('div', { class: 'env-state', id: 'packet-sender-waiting' },
          h('strong', {}, t('packet.senderWaiting', { left: p.remaining_count }))) : null),
      status,
      sender && p.status === 'unpaid' ? payCard(p) : null,
      h('section', { class: 'card' },
        h('div', { class: 'row-between' }, h('h2', {}, t('packet.grabs')),
          h('span', { class: 'muted', id: 'packet-summary' }, t('packet.summary', {
            taken: grabs.length, count: p.count, amount: money(p.amount - p.remaining_amount - (p.refunded_amount || 0)), total: money(p.amount),
          }))),
        grabs.length ? h('ul', { class: 'grabs', id: 'packet-grabs' }, grabs.map((g) =>
          h('li', { 'data-user': g.user_id, 'data-fen': String(g.amount), 'data-best': String(g.best_luck), class: g.user_id === me.id ? 'me' : '' },
            avatar(g.nickname || g.user_id),
            h('div', { class: 'grab-who' }, h('strong', {}, g.nickname || shortID(g.user_id)), h('small', { class: 'muted' }, dateTime(g.at))),
            h('div', { class: 'grab-amt' }, h('strong', {}, money(g.amount)), g.best_luck ? h('span', { class: 'best-luck small' }, icon('crown'), ' ', t('packet.bestLuck')) : null))))
          : empty(t('packet.noGrabs')),
        p.refunded_amount ? h('p', { class: 'muted' }, t('packet.refunded', { amount: money(p.refunded_amount) })) : null,
        h('p', { class: 'muted small' }, t('packet.expires', { at: dateTime(p.expires_at) }))),
      sender || p.kind !== 'personal' ? h('section', { class: 'card' }, h('h2', {}, t('packet.shareTitle')),
        h('p', { class: 'muted' }, t('packet.shareHint')),
        h('div', { class: 'share' }, h('input', { readonly: true, value: share, id: 'packet-share', onfocus: (e) => e.target.select() }),
          button(t('common.copy'), async () => toast(await copyText(share) ? t('common.copied') : share), { class: 'secondary small', id: 'packet-share-copy' }))) : null,
      p.split ? splitCard(p) : null);
  }

  function payCard(p) {
    const no = p.out_trade_no || (p.order && p.order.out_trade_no);
    const st = h('div', { class: 'status-slot' });
    return h('section', { class: 'card' }, h('h2', {}, t('packet.payTitle')),
      h('p', { class: 'muted' }, t('packet.payExplain')),
      p.pay_params ? h('pre', { class: 'mono small' }, JSON.stringify(p.pay_params, null, 2)) : null,
      h('div', { class: 'actions' },
        no ? button([icon('pay'), t('wallet.payFake')], async () => {
          try {
            await payFake(ctx.api, no);
            await ctx.api.post(`/api/v1/packets/${seg(id)}/paid`);
          } catch (err) {
            replace(st, errorBox(err));
          }
          await reload();
        }, { class: 'primary wechat', id: 'packet-pay' }) : null,
        button(t('packet.markPaid'), async () => {
          try {
            await ctx.api.post(`/api/v1/packets/${seg(id)}/paid`);
          } catch (err) {
            replace(st, errorBox(err));
          }
          await reload();
        }, { class: 'secondary', id: 'packet-mark-paid' })), st);
  }

  function splitCard(p) {
    const verdict = h('div', { class: 'status-slot', id: 'packet-split-verdict' });
    if (p.split.salt && p.split.shares) {
      checkSplit(p).then((ok) => replace(verdict, notice(ok ? 'ok' : 'error', icon(ok ? 'check' : 'cross'), ' ', t(ok ? 'packet.splitOk' : 'packet.splitBad'))))
        .then(() => { verdict.dataset.ok = verdict.querySelector('.ok') ? 'true' : 'false'; });
    }
    return h('section', { class: 'card fairness' }, h('h2', {}, t('packet.splitTitle')),
      h('p', { class: 'muted' }, t('packet.splitExplain')),
      h('div', { class: 'kv' }, h('span', {}, t('packet.commit')), h('code', {}, p.split.commit)),
      p.split.salt ? h('div', { class: 'kv' }, h('span', {}, t('packet.salt')), h('code', {}, p.split.salt)) : null,
      p.split.shares ? h('div', { class: 'kv' }, h('span', {}, t('packet.shares')), h('code', {}, p.split.shares.map((s) => money(s)).join(' · '))) : null,
      verdict);
  }

  draw();
}

/**
 * checkSplit verifies a lucky packet's revealed split: the commitment is
 * SHA-256(salt ‖ "s0,s1,…") (packet.SplitCommit), the shares add up to the
 * amount, and each grab got the share of its turn.
 */
async function checkSplit(p) {
  const salt = fromHex32(p.split.salt);
  if (!salt) return false;
  const list = new TextEncoder().encode(p.split.shares.join(','));
  const buf = new Uint8Array(32 + list.length);
  buf.set(salt, 0);
  buf.set(list, 32);
  const sum = p.split.shares.reduce((a, b) => a + b, 0);
  const grabsMatch = (p.grabs || []).every((g, i) => p.split.shares[i] === g.amount);
  return toHex(await sha256(buf)) === String(p.split.commit).toLowerCase() && sum === p.amount && grabsMatch;
}
