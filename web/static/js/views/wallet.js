// Wallet: balance, ledger, and top-up through (fake) WeChat Pay.
import { h, replace, field, button } from '../dom.js';
import { t, has } from '../i18n.js';
import { ApiError, q, seg } from '../api.js';
import { money, parseYuan, dateTime, shortID } from '../format.js';
import { card, errorBox, empty, notice, toast } from '../ui.js';
import { formError, clearFieldErrors } from '../fielderrors.js';
import { icon } from '../icons.js';
import { withdrawCard } from './withdraw.js';

/**
 * payFake plays the part of wx.requestPayment in demo mode: it tells the
 * fake WeChat Pay that the payer paid order outTradeNo, and the fake sends
 * the signed, encrypted payment notification to the server, as WeChat would.
 */
export async function payFake(api, outTradeNo) {
  await api.post(`/_fake/wechat/pay/${seg(outTradeNo)}/succeed`, {}, { noAuth: true });
}

/** walletView shows the balance and ledger and runs top-ups. */
export async function walletView(ctx) {
  const balance = h('span', { class: 'balance', id: 'wallet-balance' }, '…');
  const ledger = h('div', { id: 'wallet-ledger' });
  const orderSlot = h('div', { id: 'topup-slot' });
  const amount = h('input', { id: 'topup-amount', inputmode: 'decimal', value: '100.00' });

  const loadBalance = async () => {
    const w = await ctx.api.get('/api/v1/wallet');
    if (ctx.alive()) {
      balance.textContent = money(w.balance);
      balance.dataset.fen = String(w.balance);
    }
  };
  const loadLedger = async (cursor = '') => {
    const page = await ctx.api.get(`/api/v1/wallet/ledger${q({ cursor })}`);
    if (!ctx.alive()) return;
    let body = ledger.querySelector('tbody');
    if (!cursor) {
      if (!page.items.length) {
        replace(ledger, empty(t('wallet.noLedger')));
        return;
      }
      body = h('tbody');
      replace(ledger, h('div', { class: 'table-wrap' }, h('table', { class: 'ledger' },
        h('thead', {}, h('tr', {}, h('th', {}, t('wallet.kind')), h('th', { class: 'num' }, t('wallet.delta')), h('th', { class: 'num' }, t('wallet.after')))),
        body)));
    }
    body.append(...page.items.map((e) => h('tr', { 'data-kind': e.kind },
      h('td', {}, h('div', {}, has(`ledger.${e.kind}`) ? t(`ledger.${e.kind}`) : e.kind, e.ref ? h('small', { class: 'muted ref' }, ` ${shortID(e.ref)}`) : null),
        h('small', { class: 'muted' }, dateTime(e.at))),
      h('td', { class: `num ${e.delta < 0 ? 'neg' : 'pos'}` }, money(e.delta, { sign: true })),
      h('td', { class: 'num' }, money(e.balance_after)))));
    ledger.querySelector('.more')?.remove();
    if (page.next_cursor) ledger.append(button(t('common.more'), () => loadLedger(page.next_cursor), { class: 'secondary more' }));
  };
  const refresh = async () => { await Promise.all([loadBalance(), loadLedger()]); };

  const showOrder = (o) => {
    const paid = o.status === 'paid';
    replace(orderSlot, h('div', { class: `order ${o.status}`, id: 'topup-order', 'data-status': o.status },
      h('div', { class: 'row-between' }, h('strong', {}, t('wallet.order', { amount: money(o.amount) })), h('span', { class: `badge st-${o.status}` }, t(`order.${o.status}`))),
      h('small', { class: 'muted' }, `out_trade_no ${o.out_trade_no}`),
      o.status === 'pending' ? h('div', { class: 'actions' },
        button([icon('pay'), t('wallet.payFake')], async () => {
          try {
            await payFake(ctx.api, o.out_trade_no);
            // The notification is usually in by now; ask until it is.
            let cur = o;
            for (let i = 0; i < 20 && cur.status === 'pending'; i++) {
              cur = await ctx.api.get(`/api/v1/wallet/topups/${seg(o.order_id)}`);
              if (cur.status === 'pending') await new Promise((r) => setTimeout(r, 250));
            }
            showOrder(cur);
            await refresh();
            if (cur.status === 'paid') toast(t('wallet.paid', { amount: money(cur.amount) }), 'ok');
          } catch (err) {
            if (err instanceof ApiError && err.status === 404) replace(orderSlot, notice('error', t('wallet.noFakePay')));
            else replace(orderSlot, errorBox(err));
          }
        }, { class: 'primary wechat', id: 'topup-pay' }),
        h('small', { class: 'hint' }, t('wallet.payHint'))) : null,
      paid ? h('p', { class: 'ok-text' }, t('wallet.paid', { amount: money(o.amount) })) : null));
  };

  const topup = async () => {
    const fen = parseYuan(amount.value);
    if (!(fen > 0)) {
      replace(orderSlot, notice('error', t('money.bad')));
      return;
    }
    try {
      clearFieldErrors(form);
      showOrder(await ctx.api.post('/api/v1/wallet/topups', { amount: fen }));
    } catch (err) {
      formError(form, orderSlot, err, { amount });
    }
  };

  const form = h('form', { class: 'inline-form', id: 'topup-form', onsubmit: (e) => e.preventDefault() },
    field(t('wallet.amountYuan'), amount), button(t('wallet.createOrder'), topup, { class: 'primary', id: 'topup-create' }));
  replace(ctx.view,
    h('div', { class: 'page-head' }, h('h1', {}, t('nav.wallet'))),
    h('section', { class: 'card wallet-card' }, h('span', { class: 'muted' }, t('wallet.balance')), balance),
    card(t('wallet.topup'),
      form,
      h('div', { class: 'chips' }, [1000, 5000, 10000, 20000].map((f) => h('button', { type: 'button', class: 'chip', onclick: () => { amount.value = money(f).slice(1); } }, money(f)))),
      orderSlot),
    withdrawCard(ctx, refresh),
    card(t('wallet.ledger'), ledger));
  await refresh();
}
