// The inbox: notifications kept for the user (lottery results, reminders).
import { h, replace, button } from '../dom.js';
import { t, has } from '../i18n.js';
import { q, seg } from '../api.js';
import { dateTime } from '../format.js';
import { empty } from '../ui.js';

function refLink(item) {
  if (!item.ref) return null;
  if (item.kind.startsWith('lottery')) return `#/lottery/${seg(item.ref)}`;
  if (item.kind.startsWith('packet')) return `#/packet/${seg(item.ref)}`;
  if (item.kind.startsWith('exchange')) return `#/exchange/${seg(item.ref)}`;
  return null;
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
      const li = h('li', { class: it.read ? 'read' : 'unread', 'data-kind': it.kind, 'data-ref': it.ref || '' },
        h('div', { class: 'inbox-head' }, h('strong', {}, it.title), h('small', { class: 'muted' }, dateTime(it.created_at))),
        h('p', {}, it.body),
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
