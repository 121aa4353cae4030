// The operations of the luckbox API the SDK calls: one table, so the client
// builds every request from it and a test checks each entry against the
// server's OpenAPI document (method and path).

/** OPERATIONS maps the SDK's name of a call to [method, path template]. */
const OPERATIONS = {
  login: ['POST', '/api/v1/login'],
  logout: ['POST', '/api/v1/logout'],
  getMe: ['GET', '/api/v1/me'],
  updateMe: ['PATCH', '/api/v1/me'],
  addSubscriptions: ['POST', '/api/v1/me/subscriptions'],
  listInbox: ['GET', '/api/v1/me/inbox'],
  markInboxRead: ['POST', '/api/v1/me/inbox/{itemID}/read'],
  bindPhone: ['POST', '/api/v1/me/phone'],
  postGroupProof: ['POST', '/api/v1/groups/proof'],
  listMyLotteries: ['GET', '/api/v1/me/lotteries'],
  createLottery: ['POST', '/api/v1/lotteries'],
  getLottery: ['GET', '/api/v1/lotteries/{id}'],
  cancelLottery: ['DELETE', '/api/v1/lotteries/{id}'],
  joinLottery: ['POST', '/api/v1/lotteries/{id}/entries'],
  leaveLottery: ['DELETE', '/api/v1/lotteries/{id}/entries/me'],
  drawLottery: ['POST', '/api/v1/lotteries/{id}/draw'],
  listWinners: ['GET', '/api/v1/lotteries/{id}/winners'],
  getProof: ['GET', '/api/v1/lotteries/{id}/proof'],
  claimPrize: ['POST', '/api/v1/lotteries/{id}/claim'],
  listClaims: ['GET', '/api/v1/lotteries/{id}/claims'],
  getLotteryCode: ['GET', '/api/v1/lotteries/{id}/code.png'],
  lotteryEvents: ['GET', '/api/v1/lotteries/{id}/events'],
  getWallet: ['GET', '/api/v1/wallet'],
  listLedger: ['GET', '/api/v1/wallet/ledger'],
  createTopup: ['POST', '/api/v1/wallet/topups'],
  getTopup: ['GET', '/api/v1/wallet/topups/{orderID}'],
  createWithdrawal: ['POST', '/api/v1/wallet/withdrawals'],
  listWithdrawals: ['GET', '/api/v1/wallet/withdrawals'],
  getWithdrawal: ['GET', '/api/v1/wallet/withdrawals/{withdrawalID}'],
  cancelWithdrawal: ['POST', '/api/v1/wallet/withdrawals/{withdrawalID}/cancel'],
  createPacket: ['POST', '/api/v1/packets'],
  getPacket: ['GET', '/api/v1/packets/{packetID}'],
  markPacketPaid: ['POST', '/api/v1/packets/{packetID}/paid'],
  grabPacket: ['POST', '/api/v1/packets/{packetID}/grabs'],
  listMyPackets: ['GET', '/api/v1/me/packets'],
  getExchange: ['GET', '/api/v1/exchanges/{id}'],
  drawExchange: ['POST', '/api/v1/exchanges/{id}/draw'],
  getMyExchange: ['GET', '/api/v1/exchanges/{id}/me'],
};

/**
 * buildPath fills a path template's {name} segments from params (escaped)
 * and appends the non-empty query values.
 */
function buildPath(template, params, query) {
  const path = template.replace(/\{([^}]+)\}/g, (m, name) => {
    const v = params && params[name];
    if (v === undefined || v === null || v === '') throw new Error('luckbox-sdk: missing path parameter ' + name);
    return encodeURIComponent(String(v));
  });
  const parts = [];
  for (const k of Object.keys(query || {})) {
    const v = query[k];
    if (v !== undefined && v !== null && v !== '') parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(String(v)));
  }
  return parts.length ? path + '?' + parts.join('&') : path;
}

module.exports = { OPERATIONS, buildPath };
