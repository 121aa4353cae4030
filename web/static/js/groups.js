// Group-only packets in the demo: the fake WeChat's groups stand in for
// WeChat's. A sender shares a card into a group (a share ticket), a member
// who opens it gets the encrypted share info wx.getShareInfo would give,
// and posts it to POST /api/v1/groups/proof, exactly as a mini-program
// does; the server decrypts it with the member's session key. The share
// link of a group-only packet carries the ticket (#/packet/{id}/g/{ticket}),
// as a card opened from the group chat carries its shareTicket.
import { h, replace, field, button } from './dom.js';
import { t } from './i18n.js';
import { ApiError } from './api.js';
import { card, errorBox, empty, notice } from './ui.js';

const FAKE = '/_fake/wechat';

/** addToGroup puts openid in the fake's group (creating it). */
export const addToGroup = (api, group, openid) => api.post(`${FAKE}/groups/members`, { group, openid }, { noAuth: true });

/**
 * senderShare is what the sender's mini-program has after sharing into
 * group: the share ticket and the sender's own share info (the sender is
 * put in the group first: one shares into a group one is in).
 */
export async function senderShare(api, openid, group) {
  await addToGroup(api, group, openid);
  const { share_ticket: ticket } = await api.post(`${FAKE}/share-ticket`, { group, openid }, { noAuth: true });
  const share = await api.post(`${FAKE}/share-info`, { openid, share_ticket: ticket }, { noAuth: true });
  return { ticket, share };
}

/**
 * proveFromTicket is what opening a card from the group does: get the
 * share info for the ticket (the fake gives it to members only) and post
 * it as a proof. It returns 'proven', or 'notMember' when the fake refused.
 */
export async function proveFromTicket(api, openid, ticket) {
  let share;
  try {
    share = await api.post(`${FAKE}/share-info`, { openid, share_ticket: ticket }, { noAuth: true });
  } catch (err) {
    if (err instanceof ApiError && (err.status === 403 || err.status === 404)) return 'notMember';
    throw err;
  }
  await api.post('/api/v1/groups/proof', share);
  return 'proven';
}

/**
 * groupRefusal is the text of a refused group-only grab (kind 'packet') or
 * join (kind 'lottery'), or ''.
 */
export function groupRefusal(err, kind = 'packet') {
  if (!(err instanceof ApiError) || err.status !== 403 || !err.reason) return '';
  return t(kind === 'lottery' ? `group.lotteryReason.${err.reason}` : `group.reason.${err.reason}`);
}

/** groupsView is the demo panel: the fake's groups, and a form to add users. */
export async function groupsView(ctx) {
  const name = h('input', { id: 'group-name', value: 'family', maxlength: 32, autocomplete: 'off' });
  const who = h('input', { id: 'group-openid', value: ctx.session.openid, maxlength: 64, autocomplete: 'off' });
  const status = h('div', { class: 'status-slot' });
  const list = h('div', { id: 'group-list' });
  const load = async () => {
    try {
      const { groups } = await ctx.api.get(`${FAKE}/groups`, { noAuth: true });
      if (!ctx.alive()) return;
      replace(list, groups.length ? h('div', { class: 'list' }, groups.map((g) =>
        h('div', { class: 'item', 'data-group': g.name },
          h('div', { class: 'item-main' }, h('strong', {}, g.name), h('small', { class: 'muted' }, g.members.join(' · '))))))
        : empty(t('group.none')));
    } catch (err) {
      replace(list, errorBox(err));
    }
  };
  const add = async () => {
    try {
      await addToGroup(ctx.api, name.value.trim(), who.value.trim());
      replace(status, notice('ok', t('group.added')));
    } catch (err) {
      replace(status, errorBox(err));
    }
    await load();
  };
  replace(ctx.view, h('div', { class: 'page-head' }, h('h1', {}, t('group.title'))),
    card(null, h('p', { class: 'muted' }, t('group.explain')),
      h('form', { class: 'form', id: 'group-form', onsubmit: (e) => e.preventDefault() },
        field(t('group.name'), name), field(t('group.openid'), who), status,
        button(t('group.add'), add, { class: 'primary', id: 'group-add' }))),
    card(t('group.members'), list));
  await load();
}
