// luckbox-sdk: the client of the luckbox API for WeChat mini-programs.
//
//   const { createClient } = require('luckbox-sdk');
//   const lb = createClient({ baseURL: 'https://luck.example.com' });
//   const lottery = await lb.getLottery(id);       // logs in with wx.login first
//
// Plain CommonJS, no Node-only APIs; types in index.d.ts.
const { LuckboxError, isLuckboxError, API_ERROR_CODES, CLIENT_ERROR_CODES } = require('./errors');
const { LuckboxClient, newIdempotencyKey } = require('./client');
const { OPERATIONS } = require('./operations');
const { api } = require('./api');
const { flows } = require('./flows');
const { share } = require('./share');
const { live } = require('./live');
const { verifyProof, checkSplit, ALGORITHM } = require('./proof');
const { money, parseYuan } = require('./money');
const { SSEParser } = require('./sse');
const { Utf8Decoder } = require('./utf8');

Object.assign(LuckboxClient.prototype, api, flows, share, live);

/** createClient returns a LuckboxClient for options (baseURL required). */
function createClient(options) {
  return new LuckboxClient(options);
}

module.exports = {
  createClient, LuckboxClient, LuckboxError, isLuckboxError, API_ERROR_CODES, CLIENT_ERROR_CODES,
  OPERATIONS, newIdempotencyKey, verifyProof, checkSplit, ALGORITHM, money, parseYuan, SSEParser, Utf8Decoder,
};
