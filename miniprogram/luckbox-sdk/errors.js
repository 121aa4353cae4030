// LuckboxError: every failure of the SDK, with the API's error code.

/**
 * API_ERROR_CODES are the error codes the server answers with
 * ({"error":{"code",...}}); the OpenAPI document lists the same ones.
 */
const API_ERROR_CODES = [
  'invalid_argument', 'unauthenticated', 'forbidden', 'not_found', 'conflict',
  'exhausted', 'expired', 'too_large', 'idempotency_mismatch', 'rate_limited', 'internal',
];

/**
 * CLIENT_ERROR_CODES are failures seen on the client side: the network
 * (status 0), an answer that is not the API's JSON, a payment the user
 * canceled or that failed in WeChat, a payment the server has not seen in
 * time, a withdrawal's transfer the user canceled, that failed or did not
 * finish in time, and a wx API that refused (login, phone button, subscribe dialog).
 */
const CLIENT_ERROR_CODES = [
  'network', 'bad_response', 'payment_canceled', 'payment_failed', 'payment_timeout',
  'transfer_canceled', 'transfer_failed', 'transfer_timeout',
  'login_failed', 'phone_denied', 'wx_failed',
];

/**
 * LuckboxError is thrown by every SDK call that fails. code is one of
 * API_ERROR_CODES (from the server) or CLIENT_ERROR_CODES; status is the
 * HTTP status (0 when no answer came); details lists field errors of a 400;
 * requestId is the server's X-Request-Id (quote it when reporting a 500).
 */
class LuckboxError extends Error {
  constructor(opts) {
    super(opts.message || opts.code || ('HTTP ' + opts.status));
    // Transpiled classes (ES5) lose the prototype of Error subclasses.
    Object.setPrototypeOf(this, LuckboxError.prototype);
    this.name = 'LuckboxError';
    this.code = opts.code || 'internal';
    this.status = opts.status || 0;
    this.details = opts.details || [];
    this.requestId = opts.requestId || '';
    this.retryAfter = opts.retryAfter || 0;
    // Why, as a stable word (e.g. a group-only join or grab refused:
    // group_proof_required, group_proof_expired, not_in_group); '' if none.
    this.reason = opts.reason || '';
  }

  /** is reports whether this error has one of the given codes. */
  is() {
    for (let i = 0; i < arguments.length; i++) if (arguments[i] === this.code) return true;
    return false;
  }
}

/** isLuckboxError reports whether err is a LuckboxError (with code, when given). */
function isLuckboxError(err, code) {
  return err instanceof LuckboxError && (code === undefined || err.code === code);
}

module.exports = { LuckboxError: LuckboxError, isLuckboxError: isLuckboxError, API_ERROR_CODES: API_ERROR_CODES, CLIENT_ERROR_CODES: CLIENT_ERROR_CODES };
