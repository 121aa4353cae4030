// Lotteries: my list, the create form, and the live detail page (SSE).
import { h, replace, field, button, copyText } from '../dom.js';
import { t } from '../i18n.js';
import { q, seg } from '../api.js';
import { dateTime, duration, localInput, shortID } from '../format.js';
import { card, errorBox, badge, loading, empty, toast, tabs, notice, confirmAction } from '../ui.js';
import { formError, clearFieldErrors } from '../fielderrors.js';
import { senderShare, proveFromTicket, groupRefusal } from '../groups.js';
import { icon } from '../icons.js';

let listRole = 'created';

/** lotteryListView lists the lotteries I created or joined. */
export async function lotteryListView(ctx) {
  const body = h('div', { id: 'lottery-list' }, loading());
  const load = async (cursor, into) => {
    try {
      const page = await ctx.api.get(`/api/v1/me/lotteries${q({ role: listRole, cursor })}`);
      if (!ctx.alive()) return;
      if (!cursor) into.replaceChildren();
      if (!page.items.length && !cursor) into.append(empty(t(`lottery.none.${listRole}`)));
      into.append(...page.items.map(lotteryItem));
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
      h('div', { class: 'page-head' }, h('h1', {}, t('nav.lotteries')),
        h('a', { class: 'button primary', href: '#/lotteries/new', id: 'lottery-new' }, icon('plus'), t('lottery.new'))),
      tabs([['created', t('lottery.created')], ['joined', t('lottery.joined')]], listRole, (r) => { listRole = r; draw(); }),
      body);
    load('', body);
  };
  draw();
}

function lotteryItem(l) {
  return h('a', { class: 'item', href: `#/lottery/${seg(l.id)}`, 'data-id': l.id },
    h('div', { class: 'item-main' }, h('strong', {}, l.title), h('small', { class: 'muted' }, modeText(l))),
    h('div', { class: 'item-side' }, badge(l.status), h('small', {}, t('lottery.people', { n: l.participant_count }))));
}

function modeText(l) {
  const d = l.draw || {};
  if (d.mode === 'time') return t('lottery.modeTimeAt', { at: dateTime(d.at) });
  if (d.mode === 'count') return t('lottery.modeCountN', { n: d.participants });
  return t('lottery.modeManual');
}

/** lotteryNewView is the create form: prizes, draw mode and time. */
export async function lotteryNewView(ctx) {
  const prizes = h('div', { class: 'prize-rows', id: 'prize-rows' });
  const addPrize = (name = '', qty = 1) => {
    const row = h('div', { class: 'prize-row' },
      h('input', { class: 'prize-name', placeholder: t('lottery.prizeName'), value: name, maxlength: 32, 'aria-label': t('lottery.prizeName') }),
      h('input', { class: 'prize-qty', type: 'number', min: 1, max: 10000, value: String(qty), 'aria-label': t('lottery.quantity') }),
      h('button', { type: 'button', class: 'icon', title: t('common.remove'), onclick: () => { if (prizes.children.length > 1) row.remove(); } }, '✕'));
    prizes.append(row);
  };
  addPrize(t('lottery.defaultPrize1'), 1);
  addPrize(t('lottery.defaultPrize2'), 2);
  const title = h('input', { id: 'new-title', maxlength: 64, required: true, value: t('lottery.defaultTitle') });
  const desc = h('textarea', { id: 'new-desc', maxlength: 1000, rows: 2 });
  const participants = h('input', { id: 'draw-participants', type: 'number', min: 2, value: '10' });
  const at = h('input', { id: 'draw-at', type: 'datetime-local', value: localInput(new Date(Date.now() + 10 * 60000)) });
  const lockBefore = h('input', { id: 'lock-before', type: 'number', min: 0, max: 3600, value: '60' });
  const maxP = h('input', { id: 'max-participants', type: 'number', min: 0, placeholder: t('lottery.noLimit') });
  const claimWindow = h('input', { id: 'claim-window', type: 'number', min: 0, max: 43200, placeholder: t('lottery.noClaimWindow') });
  const redrawRounds = h('input', { id: 'redraw-rounds', type: 'number', min: 0, max: 3, value: '1' });
  const group = h('input', { id: 'lottery-group', maxlength: 32, placeholder: t('group.lotteryFieldHint'), autocomplete: 'off' });
  const countBox = h('div', { class: 'mode-extra', hidden: true }, field(t('lottery.drawWhen'), participants));
  const timeBox = h('div', { class: 'mode-extra', hidden: true }, field(t('lottery.drawAt'), at), field(t('lottery.lockBefore'), lockBefore, t('lottery.lockHint')));
  let mode = 'manual';
  const modes = h('div', { class: 'radio-row', role: 'radiogroup' }, ['manual', 'count', 'time'].map((m) =>
    h('label', { class: 'radio' }, h('input', { type: 'radio', name: 'mode', id: `mode-${m}`, value: m, checked: m === mode,
      onchange: () => { mode = m; countBox.hidden = m !== 'count'; timeBox.hidden = m !== 'time'; } }), t(`lottery.mode.${m}`))));
  const status = h('div', { class: 'status-slot' });
  const submit = async () => {
    const body = {
      title: title.value.trim(),
      description: desc.value.trim(),
      prizes: [...prizes.querySelectorAll('.prize-row')].map((r) => ({
        name: r.querySelector('.prize-name').value.trim(), quantity: Number(r.querySelector('.prize-qty').value),
      })),
      draw: { mode },
    };
    if (mode === 'count') body.draw.participants = Number(participants.value);
    if (mode === 'time') {
      const d = new Date(at.value);
      if (Number.isNaN(d.getTime())) {
        replace(status, notice('error', t('lottery.badTime')));
        return;
      }
      body.draw.at = d.toISOString();
      body.lock_before_seconds = Number(lockBefore.value || 0);
    }
    if (maxP.value) body.max_participants = Number(maxP.value);
    if (Number(claimWindow.value) > 0) {
      body.claim_window_seconds = Math.round(Number(claimWindow.value) * 60);
      body.redraw_rounds = Number(redrawRounds.value || 0);
    }
    try {
      // Group only: share into the group first (the fake gives the share
      // ticket and the creator's share info), then bind the lottery to it.
      const shared = group.value.trim() ? await senderShare(ctx.api, ctx.session.openid, group.value.trim()) : null;
      if (shared) body.group = shared.share;
      const l = await ctx.api.post('/api/v1/lotteries', body);
      toast(t('lottery.createdToast'), 'ok');
      ctx.go(`#/lottery/${seg(l.id)}${shared ? `/g/${seg(shared.ticket)}` : ''}`);
    } catch (err) {
      formError(form, status, err, (name) => {
        const pm = /^prizes\[(\d+)\]\.(name|quantity)$/.exec(name);
        if (pm) {
          const row = prizes.querySelectorAll('.prize-row')[Number(pm[1])];
          return row && row.querySelector(pm[2] === 'name' ? '.prize-name' : '.prize-qty');
        }
        return { title, description: desc, prizes, 'draw.mode': modes, 'draw.participants': participants, 'draw.at': at,
          lock_before_seconds: lockBefore, max_participants: maxP, claim_window_seconds: claimWindow, redraw_rounds: redrawRounds, group }[name];
      });
    }
  };
  const form = h('form', { class: 'card form', id: 'lottery-form', onsubmit: (e) => { e.preventDefault(); } },
      field(t('lottery.title'), title), field(t('lottery.description'), desc),
      h('div', { class: 'field' }, h('span', { class: 'field-label' }, t('lottery.prizes')), prizes,
        h('button', { type: 'button', class: 'secondary small', id: 'prize-add', onclick: () => addPrize('', 1) }, icon('plus'), t('lottery.addPrize'))),
      h('div', { class: 'field' }, h('span', { class: 'field-label' }, t('lottery.drawMode')), modes, h('small', { class: 'hint' }, t('lottery.modeHint'))),
      countBox, timeBox,
      field(t('lottery.maxParticipants'), maxP),
      field(t('lottery.claimWindow'), claimWindow, t('lottery.claimWindowHint')),
      field(t('lottery.redrawRounds'), redrawRounds),
      field(t('group.field'), group, h('a', { href: '#/groups', id: 'lottery-groups-link' }, t('group.manage'))),
      status,
      button(t('lottery.create'), submit, { class: 'primary block', id: 'lottery-create' }));
  replace(ctx.view, h('div', { class: 'page-head' }, h('h1', {}, t('lottery.new'))), form);
}

/**
 * lotteryDetailView shows one lottery and keeps it live: the participant
 * count, the lock and the draw arrive over Server-Sent Events, so every
 * open page shows the winners the moment the draw commits.
 */
export async function lotteryDetailView(ctx) {
  const [id, ticket] = ctx.params;
  const me = ctx.session.user;
  let lottery = await ctx.api.get(`/api/v1/lotteries/${seg(id)}`);
  let winners = null;
  let claims = null;
  let liveState = 'connecting';
  if (!ctx.alive()) return;
  // Opened from the group chat (a link with the share ticket): prove
  // membership as the mini-program would, before joining.
  let membership = ''; // 'proven' | 'notMember'
  if (ticket && lottery.group_only) {
    membership = await proveFromTicket(ctx.api, ctx.session.openid, ticket).catch(() => '');
    if (!ctx.alive()) return;
  }
  let refusal = ''; // why a group-only join was refused

  const root = h('div', { class: 'lottery-detail', id: 'lottery', 'data-id': id });
  replace(ctx.view, root);
  const status = h('div', { class: 'status-slot', id: 'lottery-status' });

  // Reloads are serialized: one at a time, and one more if asked meanwhile.
  let reloading = null;
  let again = false;
  const reload = async () => {
    if (reloading) {
      again = true;
      return reloading;
    }
    reloading = (async () => {
      do {
        again = false;
        try {
          lottery = await ctx.api.get(`/api/v1/lotteries/${seg(id)}`);
          await loadResults();
        } catch (err) {
          if (ctx.alive()) replace(status, errorBox(err));
        }
      } while (again && ctx.alive());
      if (ctx.alive()) draw();
      reloading = null;
    })();
    return reloading;
  };
  const loadResults = async () => {
    if (lottery.status !== 'drawn') return;
    const all = [];
    let cursor = '';
    do {
      const page = await ctx.api.get(`/api/v1/lotteries/${seg(id)}/winners${q({ cursor })}`);
      all.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    winners = all;
    if (lottery.creator_id === me.id) {
      try {
        claims = (await ctx.api.get(`/api/v1/lotteries/${seg(id)}/claims`)).items;
      } catch {
        claims = null;
      }
    }
  };

  const act = (fn) => async () => {
    replace(status);
    try {
      await fn();
    } catch (err) {
      replace(status, errorBox(err));
    }
    await reload();
  };

  const countEl = () => root.querySelector('#lottery-count');
  const countdown = h('span', { id: 'lottery-countdown' });
  const tick = () => {
    const target = lottery.status === 'open' && lottery.lock_at ? lottery.lock_at
      : (lottery.status === 'open' || lottery.status === 'locked') && lottery.draw.at ? lottery.draw.at : null;
    if (!target) {
      countdown.textContent = '';
      return;
    }
    const left = new Date(target).getTime() - Date.now();
    const which = lottery.status === 'open' && lottery.lock_at ? 'lottery.locksIn' : 'lottery.drawsIn';
    countdown.textContent = left > 0 ? t(which, { left: duration(left) }) : t('lottery.drawingSoon');
  };
  // The winner's claim countdown: time left to the deadline of their round;
  // once it has passed the form is closed (the server refuses with 410).
  const claimCountdown = h('p', { class: 'countdown', id: 'claim-countdown' });
  const claimTick = () => {
    const deadline = lottery.me && lottery.me.claim_deadline;
    if (!deadline) {
      claimCountdown.textContent = '';
      return;
    }
    const left = new Date(deadline).getTime() - Date.now();
    claimCountdown.textContent = left > 0 ? t('claim.left', { left: duration(left) }) : t('claim.closed');
    claimCountdown.dataset.left = String(Math.max(0, Math.ceil(left / 1000)));
    const submit = root.querySelector('#claim-submit');
    if (submit) submit.disabled = left <= 0;
  };
  const timer = setInterval(() => { tick(); claimTick(); }, 1000);
  ctx.cleanup(() => clearInterval(timer));

  function draw() {
    const l = lottery;
    const mine = l.creator_id === me.id;
    const joined = l.me && l.me.joined;
    const live = h('span', { class: `live ${liveState}`, id: 'lottery-live', title: t(`live.${liveState}`) }, '●', ' ', t(`live.${liveState}`));
    const actions = [];
    if (l.status === 'open' && !joined) {
      actions.push(button(t('lottery.join'), act(async () => {
        refusal = '';
        try {
          await ctx.api.post(`/api/v1/lotteries/${seg(id)}/entries`, {}, { idempotencyKey: false });
        } catch (err) {
          refusal = groupRefusal(err, 'lottery');
          if (!refusal) throw err;
        }
      }), { class: 'primary', id: 'lottery-join' }));
    }
    if (l.status === 'open' && joined) actions.push(button(t('lottery.leave'), act(() => ctx.api.del(`/api/v1/lotteries/${seg(id)}/entries/me`)), { class: 'secondary', id: 'lottery-leave' }));
    if (mine && (l.status === 'open' || l.status === 'locked')) {
      // Drawing cannot be undone: ask first.
      actions.push(button(t('lottery.drawNow'), act(async () => {
        if (await confirmAction(t('lottery.drawConfirm', { n: lottery.participant_count }), t('lottery.drawConfirmOk'))) {
          await ctx.api.post(`/api/v1/lotteries/${seg(id)}/draw`);
        }
      }), { class: 'primary gold', id: 'lottery-draw' }));
    }
    if (mine && l.status === 'open') {
      actions.push(button(t('lottery.cancel'), act(async () => {
        if (await confirmAction(t('lottery.cancelConfirm'), t('lottery.cancelConfirmOk'), { danger: true })) await ctx.api.del(`/api/v1/lotteries/${seg(id)}`);
      }), { class: 'danger', id: 'lottery-cancel' }));
    }
    const share = `${location.origin}${location.pathname}#/lottery/${id}${ticket ? `/g/${ticket}` : ''}`;
    replace(root,
      h('section', { class: 'card lottery-head' },
        h('div', { class: 'row-between' }, h('h1', { id: 'lottery-title' }, l.title), badge(l.status)),
        l.description ? h('p', { class: 'desc' }, l.description) : null,
        h('div', { class: 'stats' },
          h('div', { class: 'stat' }, h('span', { class: 'stat-num', id: 'lottery-count' }, String(l.participant_count)), h('span', { class: 'stat-label' }, t('lottery.participants'))),
          h('div', { class: 'stat' }, h('span', { class: 'stat-num' }, String(l.prizes.reduce((n, p) => n + p.quantity, 0))), h('span', { class: 'stat-label' }, t('lottery.prizeCount'))),
          h('div', { class: 'stat wide' }, h('span', { class: 'stat-text' }, modeText(l)), countdown)),
        h('ul', { class: 'prizes' }, l.prizes.map((p) => h('li', {}, h('span', { class: 'prize-icon' }, icon('trophy')), p.name, h('span', { class: 'qty' }, `× ${p.quantity}`)))),
        l.group_only ? h('p', { class: 'muted', id: 'lottery-group-only', 'data-membership': membership }, icon('users'), ' ', t('group.lotteryOnly'),
          membership ? ` · ${t(`group.${membership}`)}` : '') : null,
        l.max_participants ? h('p', { class: 'muted' }, t('lottery.max', { n: l.max_participants })) : null,
        l.claim_window ? h('p', { class: 'muted', id: 'lottery-claim-window' }, t('claim.window', { left: duration(l.claim_window.seconds * 1000), n: l.claim_window.redraw_rounds })) : null,
        h('div', { class: 'row-between' }, live, joined ? h('span', { class: 'pill ok', id: 'lottery-joined' }, t('lottery.youJoined')) : null),
        h('div', { class: 'actions' }, actions),
        refusal && !joined ? h('div', { id: 'lottery-group-refused' }, notice('error', refusal)) : null,
        status),
      l.status === 'drawn' ? resultCard(l) : null,
      l.status === 'drawn' && l.me && l.me.prize ? (l.me.claim_status === 'lapsed' ? lapsedCard(l) : claimCard(l)) : null,
      mine && claims && claims.length ? claimsCard(claims) : null,
      fairnessCard(l),
      h('section', { class: 'card' }, h('h2', {}, t('common.share')),
        h('div', { class: 'share' }, h('input', { readonly: true, value: share, id: 'lottery-share', onfocus: (e) => e.target.select() }),
          button(t('common.copy'), async () => toast(await copyText(share) ? t('common.copied') : share), { class: 'secondary small' })),
        codeImage(l)));
    tick();
    claimTick();
  }

  function resultCard(l) {
    const my = l.me && l.me.joined ? (l.me.prize ? h('p', { class: 'my-result won', id: 'lottery-my-result', 'data-prize': l.me.prize }, icon('star'), ' ', t('lottery.youWon', { prize: l.me.prize }))
      : h('p', { class: 'my-result', id: 'lottery-my-result', 'data-prize': '' }, t('lottery.youLost'))) : null;
    return h('section', { class: 'card result' },
      h('h2', {}, t('lottery.winners')),
      my,
      winners && winners.length ? h('ol', { class: 'winners', id: 'lottery-winners' }, winners.map((w) =>
        h('li', { 'data-user': w.user_id, 'data-prize': w.prize, class: w.user_id === me.id ? 'me' : '' },
          h('span', { class: 'winner-prize' }, w.prize), h('span', { class: 'winner-name' }, w.nickname || shortID(w.user_id)),
          w.user_id === me.id ? h('span', { class: 'pill ok' }, t('common.you')) : null,
          w.round > 0 ? h('span', { class: 'pill', 'data-round': String(w.round) }, t('claim.round', { n: w.round })) : null,
          l.claim_window ? h('span', { class: `pill claim-${w.status}`, 'data-status': w.status }, t(`claim.status.${w.status}`)) : null)))
        : h('p', { class: 'empty', id: 'lottery-winners-empty' }, t('lottery.noWinners')),
      h('p', {}, h('a', { class: 'button secondary', href: `#/lottery/${seg(l.id)}/proof`, id: 'lottery-proof-link' }, icon('shield'), ' ', t('lottery.checkProof'))));
  }

  function claimCard(l) {
    const name = h('input', { id: 'claim-name', maxlength: 32 });
    const phone = h('input', { id: 'claim-phone', inputmode: 'tel' });
    const addr = h('textarea', { id: 'claim-address', maxlength: 200, rows: 2 });
    const st = h('div', { class: 'status-slot' });
    const form = h('section', { class: 'card', id: 'claim-form' }, h('h2', {}, t('claim.title', { prize: l.me.prize })),
      h('p', { class: 'muted' }, t('claim.hint')),
      l.me.claim_status ? h('p', {}, h('span', { class: `pill claim-${l.me.claim_status}`, id: 'claim-status', 'data-status': l.me.claim_status }, t(`claim.status.${l.me.claim_status}`))) : null,
      claimCountdown,
      field(t('claim.name'), name), field(t('claim.phone'), phone), field(t('claim.address'), addr), st,
      button(t('claim.submit'), async () => {
        try {
          await ctx.api.post(`/api/v1/lotteries/${seg(l.id)}/claim`, { name: name.value.trim(), phone: phone.value.trim(), address: addr.value.trim() });
          clearFieldErrors(form);
          replace(st, notice('ok', t('claim.done')));
        } catch (err) {
          formError(form, st, err, { name, phone, address: addr });
        }
      }, { class: 'primary', id: 'claim-submit' }));
    return form;
  }

  function lapsedCard(l) {
    const redrawn = l.claim_window && l.claim_window.redraws.some((r) => r.round === l.me.round + 1 && r.drawn_at);
    return h('section', { class: 'card', id: 'claim-lapsed' },
      notice('error', t('claim.lapsed', { redrawn: redrawn ? t('claim.lapsedRedrawn') : '' })));
  }

  function claimsCard(list) {
    return h('section', { class: 'card' }, h('h2', {}, t('claim.list')),
      h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, [t('claim.prize'), t('claim.name'), t('claim.phone'), t('claim.address')].map((x) => h('th', {}, x)))),
        h('tbody', {}, list.map((c) => h('tr', {}, h('td', {}, c.prize), h('td', {}, c.name), h('td', {}, c.phone), h('td', {}, c.address)))))));
  }

  function fairnessCard(l) {
    const f = l.fairness || {};
    const row = (label, value, idAttr) => h('div', { class: 'kv' }, h('span', {}, label), h('code', { id: idAttr }, value || '—'));
    return h('section', { class: 'card fairness' }, h('h2', {}, t('fair.title')),
      h('p', { class: 'muted' }, t('fair.explain')),
      row(t('fair.seedHash'), f.seed_hash, 'fair-seed-hash'),
      row(t('fair.entriesHash'), f.entries_hash, 'fair-entries-hash'),
      row(t('fair.seed'), f.seed, 'fair-seed'));
  }

  function codeImage(l) {
    const holder = h('div', { class: 'code-img' });
    if (l.status !== 'open') return holder;
    // The mini-program code needs the token, so it is fetched, not linked.
    ctx.api.get(`/api/v1/lotteries/${seg(l.id)}/code.png`, { raw: true, accept: 'image/*' })
      .then(async (res) => {
        const url = URL.createObjectURL(await res.blob());
        ctx.cleanup(() => URL.revokeObjectURL(url));
        holder.replaceChildren(h('img', { src: url, alt: t('lottery.code'), width: 160, height: 160 }), h('small', { class: 'hint' }, t('lottery.codeHint')));
      })
      .catch(() => holder.replaceChildren());
    return holder;
  }

  // Live updates. EventSource cannot send headers, so the token rides in
  // the query (?access_token=), which this route alone accepts.
  const connect = () => {
    const es = new EventSource(`/api/v1/lotteries/${seg(id)}/events?access_token=${encodeURIComponent(ctx.session.token)}`);
    const setLive = (s) => {
      liveState = s;
      const el = root.querySelector('#lottery-live');
      if (el) {
        el.className = `live ${s}`;
        el.replaceChildren('●', ' ', t(`live.${s}`));
      }
    };
    es.addEventListener('state', (e) => {
      setLive('on');
      const fresh = JSON.parse(e.data);
      const changed = fresh.status !== lottery.status || fresh.participant_count !== lottery.participant_count;
      lottery = fresh;
      if (changed) reload();
    });
    es.addEventListener('count', (e) => {
      const { participant_count: n } = JSON.parse(e.data);
      lottery.participant_count = n;
      const el = countEl();
      if (el) {
        el.textContent = String(n);
        el.classList.remove('bump');
        void el.offsetWidth; // restart the animation
        el.classList.add('bump');
      }
    });
    for (const name of ['locked', 'drawn', 'canceled', 'redrawn']) es.addEventListener(name, () => reload());
    es.onerror = () => setLive(es.readyState === EventSource.CLOSED ? 'off' : 'connecting');
    ctx.cleanup(() => es.close());
  };

  await loadResults();
  if (!ctx.alive()) return;
  draw();
  connect();
}

