// The inbox: notifications kept for the user (lottery results and
// cancellations, packet notices, reminders), worded in the reader's language.
import { h, replace, button } from '../dom.js';
import { t, has } from '../i18n.js';
import { q, seg } from '../api.js';
import { dateTime, money } from '../format.js';
import { empty } from '../ui.js';

function refLink(item) {
  if (!item.ref) return null;
  if (item.kind.startsWith('lottery')) return `#/lottery/${seg(item.ref)}`;
  if (item.kind.startsWith('packet')) return `#/packet/${seg(item.ref)}`;
  if (item.kind.startsWith('exchange')) return `#/exchange/${seg(item.ref)}`;
  return null;
}

/**
 * wording is an item's title and body in the reader's language, from its
 * kind and data; items of other kinds, and items stored before they carried
 * data, keep the title and body the server wrote.
 */
export function wording(it) {
  const d = it.data || {};
  const kept = { title: it.title, body: it.body };
  switch (it.kind) {
    case 'lottery_result':
      if (d.title === undefined || d.won === undefined) return kept;
      return {
        title: t('inbox.lottery_result.title'),
        body: d.won === 'true' ? t('inbox.lottery_result.won', { title: d.title, prize: d.prize }) : t('inbox.lottery_result.lost', { title: d.title }),
      };
    case 'lottery_canceled':
      if (d.title === undefined) return kept;
      return { title: t('inbox.lottery_canceled.title'), body: t('inbox.lottery_canceled.body', { title: d.title }) };
    case 'packet_finished':
      if (d.amount_fen === undefined) return kept;
      return { title: t('inbox.packet_finished.title'), body: t('inbox.packet_finished.body', { count: d.count, amount: money(d.amount_fen) }) };
    case 'packet_expired':
      if (d.refunded_fen === undefined) return kept;
      return {
        title: t('inbox.packet_expired.title'),
        body: t('inbox.packet_expired.body', { count: d.count, grabbed: d.grabbed, refunded: money(d.refunded_fen) }),
      };
    default:
      return kept;
  }
}

/** inboxView lists the notifications, newest first; opening one marks it read. */
export async function inboxView(ctx) {
  const list = h('ul', { class: 'inbox', id: 'inbox-list' });
  const load = async (cursor = '') => {
    const page = await ctx.api.get(`/api/v1/me/inbox${q({ cursor })}`);
    if (!ctx.alive()) return;
    if (!cursor && !page.items.length) {
      list.replaceWith(empty(t('inbox.empty')));
      return;
    }
    list.append(...page.items.map((it) => {
      const href = refLink(it);
      const w = wording(it);
      const li = h('li', { class: it.read ? 'read' : 'unread', 'data-kind': it.kind, 'data-ref': it.ref || '' },
        h('div', { class: 'inbox-head' }, h('strong', {}, w.title), h('small', { class: 'muted' }, dateTime(it.created_at))),
        h('p', {}, w.body),
        h('div', { class: 'inbox-foot' }, h('span', { class: 'pill' }, has(`inbox.kind.${it.kind}`) ? t(`inbox.kind.${it.kind}`) : it.kind),
          href ? h('a', { href, onclick: () => markRead(it, li) }, t('inbox.open')) : null,
          !it.read ? button(t('inbox.markRead'), () => markRead(it, li), { class: 'link small' }) : null));
      return li;
    }));
    list.parentElement?.querySelector('.more')?.remove();
    if (page.next_cursor) list.after(button(t('common.more'), () => load(page.next_cursor), { class: 'secondary more' }));
  };
  const markRead = async (it, li) => {
    if (it.read) return;
    it.read = true;
    li.className = 'read';
    li.querySelector('button.link')?.remove();
    try {
      await ctx.api.post(`/api/v1/me/inbox/${seg(it.id)}/read`);
    } catch {
      // Not fatal: the item just stays unread on the server.
    }
  };
  replace(ctx.view, h('div', { class: 'page-head' }, h('h1', {}, t('nav.inbox'))), h('section', { class: 'card' }, list));
  await load();
}
