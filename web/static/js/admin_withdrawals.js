// The admin console's withdrawals: every withdrawal to WeChat change with
// its status and WeChat Pay's bill state, newest first.
import { h, replace, button } from './dom.js';
import { t } from './i18n.js';
import { q } from './api.js';
import { money, dateTime } from './format.js';
import { card, badge, loading, empty, person } from './ui.js';

/** withdrawalsView lists the withdrawals through api (the admin's client). */
export async function withdrawalsView(ctx, api) {
  const body = h('tbody');
  const wrap = h('div', {}, loading());
  const load = async (cursor = '') => {
    const page = await api.get(`/api/v1/admin/withdrawals${q({ cursor })}`);
    if (!ctx.alive()) return;
    if (!cursor) {
      replace(wrap, page.items.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'admin-withdrawals' },
        h('thead', {}, h('tr', {}, [t('admin.wd.created'), t('admin.wd.user'), t('admin.pk.amount'), t('admin.pk.status'), t('admin.wd.state'), 'out_bill_no'].map((x) => h('th', {}, x)))),
        body)) : empty(t('admin.wd.none')));
    }
    body.append(...page.items.map((w) => h('tr', { 'data-id': w.withdrawal_id, 'data-status': w.status },
      h('td', {}, dateTime(w.created_at)),
      person(w.user_nickname, w.user_id, 'td'),
      h('td', { class: 'num' }, money(w.amount)),
      h('td', {}, badge(w.status, 'withdraw')),
      h('td', {}, w.state || '—', w.fail_reason ? h('small', { class: 'muted' }, ` ${w.fail_reason}`) : null),
      h('td', {}, h('small', { class: 'muted' }, w.out_bill_no)))));
    wrap.querySelector('.more')?.remove();
    if (page.next_cursor) wrap.append(button(t('common.more'), () => load(page.next_cursor), { class: 'secondary more' }));
  };
  replace(ctx.view, h('div', { class: 'page-head' }, h('h1', {}, t('admin.nav.withdrawals'))), card('', wrap));
  await load();
}
