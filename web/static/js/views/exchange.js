// Gift exchange (secret santa), participant side: bind a phone, draw, and
// see whom I give a gift to.
import { h, replace, field, button } from '../dom.js';
import { t } from '../i18n.js';
import { ApiError, seg } from '../api.js';
import { dateTime } from '../format.js';
import { card, errorBox, badge, notice, toast } from '../ui.js';
import { formError } from '../fielderrors.js';
import { icon } from '../icons.js';

/**
 * phoneCard binds the user's phone through the fake getPhoneNumber button:
 * the fake mints the code the button would give, and the server resolves it
 * (POST /api/v1/me/phone), as it does for a real mini-program.
 */
function phoneCard(ctx, phone, onBound) {
  const input = h('input', { id: 'phone-input', inputmode: 'tel', placeholder: '13800000000', maxlength: 20 });
  const st = h('div', { class: 'status-slot' });
  const bind = async () => {
    const number = input.value.replace(/[\s-]/g, '');
    if (!number) return;
    try {
      const { code } = await ctx.api.post('/_fake/wechat/phone-code', { openid: ctx.session.openid, phone: number }, { noAuth: true });
      const res = await ctx.api.post('/api/v1/me/phone', { code });
      toast(t('phone.bound', { phone: res.phone }), 'ok');
      onBound(res.phone);
    } catch (err) {
      formError(form, st, err, { phone: input, code: input });
    }
  };
  const form = h('form', { class: 'inline-form', onsubmit: (e) => { e.preventDefault(); bind(); } },
    field(t('phone.number'), input), h('button', { type: 'submit', class: 'primary', id: 'phone-bind' }, t('phone.bind')));
  return card(t('phone.title'),
    phone ? h('p', { id: 'phone-current' }, t('phone.current', { phone }), ' ', h('span', { class: 'pill ok' }, '✓')) : h('p', { class: 'muted' }, t('phone.explain')),
    phone ? h('details', {}, h('summary', {}, t('phone.change')), form) : form, st);
}

/** exchangeEnterView asks for an exchange id (the admin shares a link). */
export async function exchangeEnterView(ctx) {
  const me = await ctx.api.get('/api/v1/me');
  if (!ctx.alive()) return;
  const input = h('input', { id: 'exchange-id', autocomplete: 'off', placeholder: t('exchange.idHint') });
  replace(ctx.view,
    h('div', { class: 'page-head' }, h('h1', {}, t('nav.exchange'))),
    card(t('exchange.enter'), h('p', { class: 'muted' }, t('exchange.enterExplain')),
      h('form', { class: 'inline-form', onsubmit: (e) => { e.preventDefault(); if (input.value.trim()) ctx.go(`#/exchange/${seg(input.value.trim())}`); } },
        field(t('exchange.id'), input), h('button', { type: 'submit', class: 'primary', id: 'exchange-go' }, t('common.open')))),
    phoneCard(ctx, me.phone, () => ctx.rerender()));
}

/** exchangeView is one exchange: phone, draw, my recipient. */
export async function exchangeView(ctx) {
  const [id] = ctx.params;
  const [summary, me] = await Promise.all([ctx.api.get(`/api/v1/exchanges/${seg(id)}`), ctx.api.get('/api/v1/me')]);
  let mine = null;
  let problem = null;
  if (me.phone) {
    try {
      mine = await ctx.api.get(`/api/v1/exchanges/${seg(id)}/me`);
    } catch (err) {
      problem = err;
    }
  }
  if (!ctx.alive()) return;
  const st = h('div', { class: 'status-slot', id: 'exchange-status' });
  const draw = async () => {
    try {
      const res = await ctx.api.post(`/api/v1/exchanges/${seg(id)}/draw`);
      mine = { drawn: true, recipient: res.recipient, drawn_at: res.drawn_at };
      ctx.rerender();
    } catch (err) {
      replace(st, errorBox(err));
    }
  };
  let body;
  if (!me.phone) {
    body = notice('info', t('exchange.needPhone'));
  } else if (problem) {
    body = problem instanceof ApiError && problem.status === 404 ? notice('error', t('exchange.notListed', { phone: me.phone })) : errorBox(problem);
  } else if (mine && mine.drawn && mine.recipient) {
    body = h('div', { class: 'gift-result' },
      h('span', { class: 'gift-icon' }, icon('gift')),
      h('p', {}, t('exchange.youGiveTo')),
      h('p', { class: 'recipient', id: 'exchange-recipient' }, mine.recipient.name),
      mine.drawn_at ? h('small', { class: 'muted' }, t('exchange.drawnAt', { at: dateTime(mine.drawn_at) })) : null);
  } else if (summary.status !== 'started') {
    body = notice('info', t('exchange.notStarted'));
  } else {
    body = h('div', { class: 'gift-draw' }, h('p', {}, t('exchange.ready')),
      button([icon('tree'), t('exchange.draw')], draw, { class: 'primary big', id: 'exchange-draw' }));
  }
  replace(ctx.view,
    h('div', { class: 'page-head' }, h('h1', { id: 'exchange-title' }, summary.title), badge(summary.status, 'xstatus')),
    h('section', { class: 'card exchange-card' }, body, st),
    phoneCard(ctx, me.phone, () => ctx.rerender()));
}
