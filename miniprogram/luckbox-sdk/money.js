// Money in fen, as the API counts it, for display and input.

/** money renders fen as ¥12.34 (negative: -¥12.34; sign: +¥ for credits). */
function money(fen, sign) {
  const n = Number(fen) || 0;
  const abs = Math.abs(n);
  const s = '¥' + Math.floor(abs / 100) + '.' + String(abs % 100).padStart(2, '0');
  if (n < 0) return '-' + s;
  return sign && n > 0 ? '+' + s : s;
}

/**
 * parseYuan reads a yuan amount typed by a person ("12", "12.3", "12.34",
 * "¥12.34") into integer fen without floating point; NaN when malformed.
 */
function parseYuan(text) {
  const m = /^\s*¥?\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(String(text));
  if (!m) return NaN;
  return Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0'));
}

module.exports = { money, parseYuan };
