// Flows that combine a wx API with API calls: paying (wx.requestPayment,
// then waiting for the server to see the payment), withdrawing
// (wx.requestMerchantTransfer, then waiting for the transfer), subscribe-message
// consent before joining a lottery, and binding the phone number from the
// getPhoneNumber button. Installed on LuckboxClient.prototype by index.js.
const { LuckboxError } = require('./errors');
const { sleep } = require('./client');
const wxapi = require('./wx');

/**
 * waitFor polls get() until done(value) or the deadline; it resolves with
 * the last value and whether it is done.
 */
async function waitFor(client, get, done, timeout) {
  const deadline = Date.now() + (timeout === undefined ? client.options.payTimeout : timeout);
  let value = await get();
  while (!done(value) && Date.now() < deadline) {
    await sleep(client.options.pollInterval);
    value = await get();
  }
  return { value, done: done(value) };
}

const PACKET_FUNDED = ['active', 'finished', 'expired'];

const flows = {
  /**
   * topUp creates a top-up order, pays it with wx.requestPayment and waits
   * until the server has the payment notification. Resolves with the paid
   * order; rejects with payment_canceled, payment_failed or payment_timeout
   * (the order then stays pending: payTopup(order) tries again).
   */
  async topUp(amount, opts) {
    const order = await this.createTopup(amount, opts);
    if (opts && typeof opts.onOrder === 'function') opts.onOrder(order);
    return this.payTopup(order, opts);
  },

  /** payTopup pays a pending top-up order and waits for the server to see it. */
  async payTopup(order, opts) {
    if (order.status === 'pending') {
      if (!order.pay_params) throw new LuckboxError({ code: 'payment_failed', message: 'the order has no payment parameters' });
      await this.payWithWechat(order.pay_params, order);
    }
    return this.waitForTopup(order.order_id, opts && opts.timeout);
  },

  /**
   * waitForTopup polls GET /wallet/topups/{id} until the order is paid.
   * A closed order rejects with payment_failed; a deadline with
   * payment_timeout.
   */
  async waitForTopup(orderId, timeout) {
    const r = await waitFor(this, () => this.getTopup(orderId), (o) => o.status !== 'pending', timeout);
    if (!r.done) throw new LuckboxError({ code: 'payment_timeout', message: 'the server has not received the payment yet' });
    if (r.value.status !== 'paid') throw new LuckboxError({ code: 'payment_failed', message: 'the order was closed' });
    return r.value;
  },

  /**
   * sendPacket creates a red packet. Paid from the balance it is active at
   * once; with pay_with "wechat" it pays with wx.requestPayment, reports it
   * (POST /packets/{id}/paid: pending, shareable now) and waits until the
   * payment notification makes it active. Resolves with the packet.
   */
  async sendPacket(input, opts) {
    const packet = await this.createPacket(input, opts);
    if (opts && typeof opts.onPacket === 'function') opts.onPacket(packet);
    if (packet.status !== 'unpaid') return packet;
    return this.payPacket(packet, opts);
  },

  /** payPacket pays an unpaid WeChat-paid packet and waits until it is funded. */
  async payPacket(packet, opts) {
    if (packet.status === 'unpaid') {
      if (!packet.pay_params) throw new LuckboxError({ code: 'payment_failed', message: 'the packet has no payment parameters' });
      await this.payWithWechat(packet.pay_params, packet);
      await this.markPacketPaid(packet.id);
    }
    return this.waitForPacketFunded(packet.id, opts && opts.timeout);
  },

  /** waitForPacketFunded polls the packet until its payment has arrived. */
  async waitForPacketFunded(id, timeout) {
    const r = await waitFor(this, () => this.getPacket(id), (p) => PACKET_FUNDED.indexOf(p.status) >= 0, timeout);
    if (!r.done) throw new LuckboxError({ code: 'payment_timeout', message: 'the server has not received the payment yet' });
    return r.value;
  },

  /**
   * withdraw withdraws amount fen of the balance to the user's WeChat
   * change: it creates the withdrawal (the amount is held), waits until
   * WeChat Pay has the transfer (transfer_params), lets the user confirm it
   * with wx.requestMerchantTransfer and waits for the final state. Resolves
   * with the succeeded withdrawal. A user who cancels in WeChat rejects with
   * transfer_canceled (the withdrawal is cancelled, the money returns); a
   * failed or cancelled transfer with transfer_failed; a deadline with
   * transfer_timeout (the withdrawal goes on: waitForWithdrawal(id)).
   */
  async withdraw(amount, opts) {
    let w = await this.createWithdrawal(amount, opts);
    if (opts && typeof opts.onWithdrawal === 'function') opts.onWithdrawal(w);
    const timeout = opts && opts.timeout;
    const r = await waitFor(this, () => this.getWithdrawal(w.withdrawal_id), (x) => x.transfer_params || x.status !== 'pending', timeout);
    w = r.value;
    if (!r.done) throw new LuckboxError({ code: 'transfer_timeout', message: 'WeChat Pay has not accepted the transfer yet' });
    if (w.status === 'pending') {
      try {
        await this.confirmTransfer(w.transfer_params, w);
      } catch (e) {
        if (e && e.code === 'transfer_canceled') await this.cancelWithdrawal(w.withdrawal_id).catch(() => {});
        throw e;
      }
    }
    return this.waitForWithdrawal(w.withdrawal_id, timeout);
  },

  /**
   * waitForWithdrawal polls GET /wallet/withdrawals/{id} until it is final:
   * succeeded resolves; failed or cancelled rejects with transfer_failed; a
   * deadline with transfer_timeout.
   */
  async waitForWithdrawal(id, timeout) {
    const r = await waitFor(this, () => this.getWithdrawal(id), (w) => w.status !== 'pending', timeout);
    if (!r.done) throw new LuckboxError({ code: 'transfer_timeout', message: 'the transfer has not finished yet' });
    if (r.value.status !== 'succeeded') {
      throw new LuckboxError({ code: 'transfer_failed', message: 'the withdrawal was ' + r.value.status + (r.value.fail_reason ? ': ' + r.value.fail_reason : '') });
    }
    return r.value;
  },

  /**
   * requestSubscribe shows WeChat's subscribe-message dialog for templateIds
   * (default: the lottery-result template) and records every accepted one
   * with POST /me/subscriptions. Call it straight from a tap handler: WeChat
   * shows the dialog only there. Resolves with the accepted template ids.
   */
  async requestSubscribe(templateIds) {
    const ids = templateIds && templateIds.length ? templateIds : [this.options.templates.lotteryResult];
    const accepted = await wxapi.requestSubscribeMessage(this.wx, ids);
    for (const id of accepted) await this.addSubscriptions(id, 1);
    return accepted;
  },

  /**
   * subscribeAndJoin asks for consent to the lottery-result message, then
   * joins the lottery whatever the answer. Call it straight from a tap
   * handler. Resolves with {entry, subscribed}.
   */
  async subscribeAndJoin(lotteryId) {
    let subscribed = [];
    try {
      subscribed = await this.requestSubscribe([this.options.templates.lotteryResult]);
    } catch (e) {
      // No consent (refused, or the template is not set up): join anyway; the inbox still tells the result.
      subscribed = [];
    }
    const entry = await this.joinLottery(lotteryId);
    return { entry, subscribed };
  },

  /**
   * bindPhone binds the user's phone number. It takes the detail of the
   * getPhoneNumber button's event (e.detail: {code} or, from older base
   * libraries, {encryptedData, iv}), or {code} / {encrypted_data, iv} as the
   * API takes them. A user who refused rejects with phone_denied.
   */
  bindPhone(detail) {
    const d = detail || {};
    let body = null;
    if (d.code) body = { code: d.code };
    else if (d.encryptedData && d.iv) body = { encrypted_data: d.encryptedData, iv: d.iv };
    else if (d.encrypted_data && d.iv) body = { encrypted_data: d.encrypted_data, iv: d.iv };
    if (!body) {
      return Promise.reject(new LuckboxError({ code: 'phone_denied', message: d.errMsg || 'no phone number was given' }));
    }
    return this.call('bindPhone', { body });
  },
};

/** shareBody turns wx share info into the API's GroupShare. */
const shareBody = (info) => ({ encrypted_data: info.encryptedData, iv: info.iv });

Object.assign(flows, {
  /**
   * groupShareInfo asks WeChat which group the page was opened from:
   * wx.getShareInfo({shareTicket}) with the card's shareTicket, or, without
   * one, wx.getGroupEnterInfo (base library 2.17.3+). Resolves with the
   * GroupShare the API takes ({encrypted_data, iv}; the group is encrypted
   * with the user's session key, so log in first: this does). Pass it as
   * `group` of createPacket / createLottery to restrict them to the group.
   * A refusal (not opened from a group) rejects with wx_failed.
   */
  async groupShareInfo(shareTicket) {
    await this.ensureLogin();
    try {
      const info = shareTicket
        ? await wxapi.call(this.wx, 'getShareInfo', { shareTicket })
        : await wxapi.call(this.wx, 'getGroupEnterInfo', {});
      if (!info || !info.encryptedData || !info.iv) throw { errMsg: 'no encrypted data' };
      return shareBody(info);
    } catch (err) {
      if (err instanceof LuckboxError) throw err;
      throw new LuckboxError({ code: 'wx_failed', message: wxapi.errMsgOf(err) || 'no group share info' });
    }
  },

  /**
   * proveGroup proves the user is in the group the page was opened from
   * (groupShareInfo, then POST /groups/proof), so group-only packets and
   * lotteries of that group take them. Call it in onLoad when launched with
   * a shareTicket. Resolves with {expires_at}.
   */
  async proveGroup(shareTicket) {
    return this.postGroupProof(await this.groupShareInfo(shareTicket));
  },
});

module.exports = { flows, waitFor };
