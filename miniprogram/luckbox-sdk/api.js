// The API calls, one method each, installed on LuckboxClient.prototype by
// index.js. Paths and methods come from operations.js; types from
// index.d.ts (generated from the OpenAPI document in api-types.d.ts).

/** pageQuery keeps the paging and filter options of list calls. */
function pageQuery(o, names) {
  const q = {};
  for (const n of names) if (o && o[n] !== undefined) q[n] = o[n];
  return q;
}

const api = {
  getMe() { return this.call('getMe'); },
  updateMe(patch) { return this.call('updateMe', { body: patch }); },
  addSubscriptions(templateId, count) {
    return this.call('addSubscriptions', { body: { template_id: templateId, count: count || 1 } });
  },
  listInbox(o) { return this.call('listInbox', { query: pageQuery(o, ['cursor']) }); },
  markInboxRead(itemId) { return this.call('markInboxRead', { params: { itemID: itemId }, body: {} }); },
  /** postGroupProof posts group share info ({encrypted_data, iv}); see proveGroup. */
  postGroupProof(share) { return this.call('postGroupProof', { body: share }); },

  listMyLotteries(o) { return this.call('listMyLotteries', { query: pageQuery(Object.assign({ role: 'created' }, o), ['role', 'cursor', 'limit']) }); },
  createLottery(input, opts) { return this.call('createLottery', { body: input, idempotencyKey: opts && opts.idempotencyKey }); },
  getLottery(id) { return this.call('getLottery', { params: { id } }); },
  cancelLottery(id) { return this.call('cancelLottery', { params: { id } }); },
  joinLottery(id) { return this.call('joinLottery', { params: { id }, body: {} }); },
  leaveLottery(id) { return this.call('leaveLottery', { params: { id } }); },
  drawLottery(id) { return this.call('drawLottery', { params: { id }, body: {} }); },
  listWinners(id, o) { return this.call('listWinners', { params: { id }, query: pageQuery(o, ['cursor', 'limit']) }); },
  /** listAllWinners follows next_cursor to the end. */
  async listAllWinners(id) {
    const all = [];
    let cursor = '';
    do {
      const page = await this.listWinners(id, { cursor });
      all.push.apply(all, page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return all;
  },
  getProof(id) { return this.call('getProof', { params: { id } }); },
  claimPrize(id, claim) { return this.call('claimPrize', { params: { id }, body: claim }); },
  listClaims(id, o) { return this.call('listClaims', { params: { id }, query: pageQuery(o, ['cursor', 'limit']) }); },
  /** getLotteryCode returns the mini-program code image (PNG or JPEG bytes). */
  getLotteryCode(id) { return this.call('getLotteryCode', { params: { id }, responseType: 'arraybuffer' }); },

  getWallet() { return this.call('getWallet'); },
  listLedger(o) { return this.call('listLedger', { query: pageQuery(o, ['cursor']) }); },
  createTopup(amount, opts) { return this.call('createTopup', { body: { amount }, idempotencyKey: opts && opts.idempotencyKey }); },
  getTopup(orderId) { return this.call('getTopup', { params: { orderID: orderId } }); },
  createWithdrawal(amount, opts) { return this.call('createWithdrawal', { body: { amount }, idempotencyKey: opts && opts.idempotencyKey }); },
  listWithdrawals(o) { return this.call('listWithdrawals', { query: pageQuery(o, ['cursor']) }); },
  getWithdrawal(id) { return this.call('getWithdrawal', { params: { withdrawalID: id } }); },
  cancelWithdrawal(id) { return this.call('cancelWithdrawal', { params: { withdrawalID: id }, body: {} }); },
  createPacket(input, opts) { return this.call('createPacket', { body: input, idempotencyKey: opts && opts.idempotencyKey }); },
  getPacket(id) { return this.call('getPacket', { params: { packetID: id } }); },
  markPacketPaid(id) { return this.call('markPacketPaid', { params: { packetID: id }, body: {} }); },
  grabPacket(id) { return this.call('grabPacket', { params: { packetID: id }, body: {} }); },
  listMyPackets(o) { return this.call('listMyPackets', { query: pageQuery(o, ['role', 'cursor']) }); },

  getExchange(id) { return this.call('getExchange', { params: { id } }); },
  drawExchange(id) { return this.call('drawExchange', { params: { id }, body: {} }); },
  getMyExchange(id) { return this.call('getMyExchange', { params: { id } }); },
};

module.exports = { api };
