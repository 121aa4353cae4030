// Withdrawals to WeChat change: the amount is held, WeChat Pay's merchant
// transfer waits for the user's confirmation (wx.requestMerchantTransfer in
// the mini-program; the fake WeChat in demo mode), then pays out or returns.
import { h, replace, field, button } from '../dom.js';
import { t } from '../i18n.js';
import { ApiError, seg } from '../api.js';
import { money, parseYuan } from '../format.js';
import { card, errorBox, notice, toast } from '../ui.js';
import { formError, clearFieldErrors } from '../fielderrors.js';

/**
 * confirmFake plays the part of wx.requestMerchantTransfer in demo mode: it
 * hands the transfer parameters to the fake WeChat, where the user confirms
 * (or declines) the transfer; the fake sends the signed, encrypted
 * MCHTRANSFER.BILL.FINISHED notification to the server, as WeChat would.
 */
export async function confirmFake(api, params, decline = false) {
  await api.post('/_fake/wechat/transfer/confirm', { ...params, decline }, { noAuth: true });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** withdrawCard is the wallet's withdraw form; refresh reloads balance and ledger. */
export function withdrawCard(ctx, refresh) {
  const slot = h('div', { id: 'withdraw-slot' });
  const amount = h('input', { id: 'withdraw-amount', inputmode: 'decimal', value: '5.00' });

  // poll asks for the withdrawal until done holds (20 times at most).
  const poll = async (w, done) => {
    for (let i = 0; i < 20 && !done(w); i++) {
      await sleep(250);
      w = await ctx.api.get(`/api/v1/wallet/withdrawals/${seg(w.withdrawal_id)}`);
    }
    return w;
  };
  const answer = async (w, decline) => {
    try {
      await confirmFake(ctx.api, w.transfer_params, decline);
      show(await poll(w, (x) => x.status !== 'pending'));
      await refresh();
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) replace(slot, notice('error', t('withdraw.noFake')));
      else replace(slot, errorBox(err));
    }
  };
  const show = (w) => {
    const waiting = w.status === 'pending' && w.transfer_params;
    replace(slot, h('div', { class: `order ${w.status}`, id: 'withdrawal', 'data-status': w.status },
      h('div', { class: 'row-between' }, h('strong', {}, t('withdraw.of', { amount: money(w.amount) })),
        h('span', { class: `badge st-${w.status}` }, t(`withdraw.${w.status}`))),
      h('small', { class: 'muted' }, `out_bill_no ${w.out_bill_no}${w.state ? ' · ' + w.state : ''}`),
      waiting ? h('div', { class: 'actions' },
        button(t('withdraw.confirmFake'), () => answer(w, false), { class: 'primary wechat', id: 'withdraw-confirm' }),
        button(t('withdraw.declineFake'), () => answer(w, true), { class: 'secondary', id: 'withdraw-decline' }),
        h('small', { class: 'hint' }, t('withdraw.hint'))) : null));
    if (w.status === 'succeeded') toast(t('withdraw.done', { amount: money(w.amount) }), 'ok');
  };
  const withdraw = async () => {
    const fen = parseYuan(amount.value);
    if (!(fen > 0)) {
      replace(slot, notice('error', t('money.bad')));
      return;
    }
    try {
      clearFieldErrors(form);
      const w = await ctx.api.post('/api/v1/wallet/withdrawals', { amount: fen });
      show(w);
      await refresh();
      show(await poll(w, (x) => x.transfer_params || x.status !== 'pending'));
    } catch (err) {
      formError(form, slot, err, { amount });
    }
  };
  const form = h('form', { class: 'inline-form', id: 'withdraw-form', onsubmit: (e) => e.preventDefault() },
    field(t('wallet.amountYuan'), amount), button(t('withdraw.create'), withdraw, { class: 'primary', id: 'withdraw-create' }));
  return card(t('withdraw.title'), form, slot);
}
