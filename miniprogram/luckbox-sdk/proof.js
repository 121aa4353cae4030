// Verifies a lottery's fairness proof (GET /lotteries/{id}/proof) on the
// phone by recomputing the draw, following luckbox-draw-v1:
//
//   word i      = first 8 bytes, big-endian, of SHA-256(seed ‖ entries_hash ‖ uint64_be(i))
//   uniform(m)  = next word below 2^64 − (2^64 mod m), mod m (rejection sampling)
//   k           = min(sum of prize quantities, number of entries)
//   for i < k:    j = i + uniform(n − i); swap a[i], a[j]; winner i = a[i]
//   prizes        handed out in list order by quantity.
//
// 64-bit words are handled as two 32-bit halves (no BigInt needed), which
// is exact for up to 2^32 entries. Also checks lucky packets' splits.
const { sha256, utf8, toHex, fromHex32 } = require('./sha256');

/** ALGORITHM is the draw specification this verifier implements. */
const ALGORITHM = 'luckbox-draw-v1';

const TWO32 = 4294967296;

// mulmod returns a·b mod m exactly for a, b < m ≤ 2^32.
function mulmod(a, b, m) {
  return (((a * Math.floor(b / 65536)) % m) * 65536 + a * (b % 65536)) % m;
}

/** entriesHash returns SHA-256 of the entries, each followed by "\n". */
function entriesHash(entries) {
  return sha256(utf8(entries.map((e) => e + '\n').join('')));
}

/** Stream is the draw's deterministic source of 64-bit words. */
class Stream {
  constructor(seed, eh) {
    this.buf = new Uint8Array(72);
    this.buf.set(seed, 0);
    this.buf.set(eh, 32);
    this.i = 0;
  }

  // word returns the next word as [hi, lo] 32-bit halves.
  word() {
    const hiI = Math.floor(this.i / TWO32);
    const loI = this.i % TWO32;
    for (let k = 0; k < 4; k++) {
      this.buf[64 + k] = (hiI >>> (24 - 8 * k)) & 0xff;
      this.buf[68 + k] = (loI >>> (24 - 8 * k)) & 0xff;
    }
    this.i++;
    const s = sha256(this.buf);
    return [((s[0] << 24) | (s[1] << 16) | (s[2] << 8) | s[3]) >>> 0, ((s[4] << 24) | (s[5] << 16) | (s[6] << 8) | s[7]) >>> 0];
  }

  // uniform returns a uniform integer in [0, m), 1 ≤ m ≤ 2^32.
  uniform(m) {
    if (!(m >= 1 && m <= TWO32)) throw new Error('luckbox-sdk: uniform(' + m + ') out of range');
    const t = TWO32 % m; // 2^32 mod m
    const r = mulmod(t, t, m); // 2^64 mod m
    for (;;) {
      const w = this.word();
      // Reject the top r values of the 64-bit range: w ≥ 2^64 − r.
      if (r > 0 && w[0] === TWO32 - 1 && w[1] >= TWO32 - r) continue;
      return (mulmod(w[0] % m, t, m) + (w[1] % m)) % m;
    }
  }
}

/**
 * draw recomputes the winners, [{user_id, prize}] in draw order, from the
 * raw 32-byte seed and entries hash, the entries and the prizes.
 */
function draw(seed, eh, entries, prizes) {
  const n = entries.length;
  let k = 0;
  for (const p of prizes) if (p.quantity > 0) k += p.quantity;
  k = Math.min(k, n);
  const winners = [];
  if (k === 0) return winners;
  const s = new Stream(seed, eh);
  const moved = new Map(); // sparse partial Fisher–Yates: position → entries index
  const at = (x) => (moved.has(x) ? moved.get(x) : x);
  let prize = 0;
  let left = 0;
  for (let i = 0; i < k; i++) {
    const j = i + s.uniform(n - i);
    const vi = at(i);
    const vj = at(j);
    moved.set(j, vi);
    moved.delete(i);
    while (left === 0) {
      left = Math.max(prizes[prize].quantity, 0);
      prize++;
    }
    left--;
    winners.push({ user_id: entries[vj], prize: prizes[prize - 1].name });
  }
  return winners;
}

/**
 * verifyProof checks a proof step by step, and against the lottery's public
 * commitments when given ({seed_hash, entries_hash} of the lottery). It
 * returns {ok, steps: [{key, ok, info}], recomputed}; the first failing step
 * ends it. Step keys: format, algorithm, seed_format, seed_hash, commitment,
 * entries, entries_hash, entries_commitment, prizes, winner_count, winners.
 */
function verifyProof(proof, commitment) {
  const steps = [];
  const result = { ok: false, steps, recomputed: null };
  const step = (key, ok, info) => {
    steps.push({ key, ok, info: info || {} });
    return ok;
  };
  if (!proof || typeof proof !== 'object') {
    step('format', false);
    return result;
  }
  if (!step('algorithm', proof.algorithm === ALGORITHM, { got: proof.algorithm, want: ALGORITHM })) return result;
  const seed = fromHex32(proof.seed);
  const seedHash = fromHex32(proof.seed_hash);
  if (!step('seed_format', Boolean(seed && seedHash), { seed: proof.seed, seed_hash: proof.seed_hash })) return result;
  const sh = toHex(sha256(seed));
  if (!step('seed_hash', sh === toHex(seedHash), { got: proof.seed_hash, want: sh })) return result;
  if (commitment && commitment.seed_hash) {
    if (!step('commitment', String(commitment.seed_hash).toLowerCase() === sh, { got: sh, want: commitment.seed_hash })) return result;
  }
  const entries = proof.entries;
  if (!Array.isArray(entries) || entries.some((e) => typeof e !== 'string')) {
    step('entries', false, { reason: 'not a list of strings' });
    return result;
  }
  const seen = new Map();
  for (let i = 0; i < entries.length; i++) {
    if (/[\r\n]/.test(entries[i])) {
      step('entries', false, { index: i, entry: entries[i], reason: 'line break' });
      return result;
    }
    if (seen.has(entries[i])) {
      step('entries', false, { index: i, entry: entries[i], first: seen.get(entries[i]), reason: 'duplicate' });
      return result;
    }
    seen.set(entries[i], i);
  }
  step('entries', true, { count: entries.length });
  const eh = entriesHash(entries);
  const ehHex = toHex(eh);
  if (!step('entries_hash', fromHex32(proof.entries_hash) !== null && ehHex === String(proof.entries_hash).toLowerCase(), { got: proof.entries_hash, want: ehHex, count: entries.length })) return result;
  if (commitment && commitment.entries_hash) {
    if (!step('entries_commitment', String(commitment.entries_hash).toLowerCase() === ehHex, { got: ehHex, want: commitment.entries_hash })) return result;
  }
  const prizes = proof.prizes;
  if (!Array.isArray(prizes)) {
    step('prizes', false, { reason: 'not a list' });
    return result;
  }
  for (let i = 0; i < prizes.length; i++) {
    const p = prizes[i];
    if (!p || !Number.isSafeInteger(p.quantity) || p.quantity < 1) {
      step('prizes', false, { index: i, name: p && p.name, quantity: p && p.quantity });
      return result;
    }
  }
  step('prizes', true, { count: prizes.length });
  const want = draw(seed, eh, entries, prizes);
  result.recomputed = want;
  const winners = Array.isArray(proof.winners) ? proof.winners : [];
  if (!step('winner_count', winners.length === want.length, { got: winners.length, want: want.length })) return result;
  for (let i = 0; i < winners.length; i++) {
    const w = winners[i] || {};
    if (w.user_id !== want[i].user_id || w.prize !== want[i].prize) {
      step('winners', false, { index: i, got_user: w.user_id, got_prize: w.prize, want_user: want[i].user_id, want_prize: want[i].prize });
      return result;
    }
  }
  step('winners', true, { count: winners.length });
  result.ok = true;
  return result;
}

/**
 * checkSplit verifies a finished (or expired) lucky packet's revealed split:
 * split.commit = SHA-256(salt ‖ "s1,s2,…"), the shares add up to the amount
 * and each grab got the share of its turn. It returns null while the split
 * is not revealed yet.
 */
function checkSplit(packet) {
  const split = packet && packet.split;
  if (!split || !split.salt || !split.shares) return null;
  const salt = fromHex32(split.salt);
  if (!salt) return false;
  const list = utf8(split.shares.join(','));
  const buf = new Uint8Array(32 + list.length);
  buf.set(salt, 0);
  buf.set(list, 32);
  const sum = split.shares.reduce((a, b) => a + b, 0);
  const grabsMatch = (packet.grabs || []).every((g, i) => split.shares[i] === g.amount);
  return toHex(sha256(buf)) === String(split.commit).toLowerCase() && sum === packet.amount && grabsMatch;
}

module.exports = { ALGORITHM, verifyProof, draw, entriesHash, checkSplit };
