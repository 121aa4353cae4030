// Verifies a lottery's fairness proof in the browser by recomputing the draw
// from the proof's inputs, following the luckbox-draw-v1 specification
// (docs/fairness.md; lottery.Proof.VerifyAgainst is the Go side):
//
//   word i      = first 8 bytes, big-endian, of SHA-256(seed ‖ entries_hash ‖ uint64_be(i))
//   uniform(m)  = next word below 2^64 − (2^64 mod m), mod m (rejection sampling)
//   k           = min(sum of prize quantities, number of entries)
//   for i < k:    j = i + uniform(n − i); swap a[i], a[j]; winner i = a[i]
//   prizes        handed out in list order by quantity.
//
// 64-bit arithmetic uses BigInt; hashing uses crypto.subtle (or the
// fallback in sha256.js).
import { sha256, fromHex32, toHex } from './sha256.js';

/** ALGORITHM is the draw specification this verifier implements. */
export const ALGORITHM = 'luckbox-draw-v1';

const TWO64 = 1n << 64n;

/** isIDString: 1 to 64 printable ASCII characters other than space, as ids and entries must be. */
export function isIDString(s) {
  return typeof s === 'string' && /^[\x21-\x7e]{1,64}$/.test(s);
}

/** entriesHash returns SHA-256 of the entries, each followed by "\n". */
export async function entriesHash(entries) {
  const enc = new TextEncoder();
  const parts = entries.map((e) => enc.encode(`${e}\n`));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const buf = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    buf.set(p, off);
    off += p.length;
  }
  return sha256(buf);
}

/** stream is the draw's deterministic source of 64-bit words. */
class Stream {
  constructor(seed, eh) {
    this.buf = new Uint8Array(72);
    this.buf.set(seed, 0);
    this.buf.set(eh, 32);
    this.view = new DataView(this.buf.buffer);
    this.i = 0n;
  }

  async word() {
    this.view.setBigUint64(64, this.i);
    this.i += 1n;
    const sum = await sha256(this.buf.slice());
    return new DataView(sum.buffer).getBigUint64(0);
  }

  async uniform(m) {
    const limit = TWO64 - (TWO64 % m);
    for (;;) {
      const w = await this.word();
      if (w < limit) return w % m;
    }
  }
}

/**
 * draw recomputes the winners: [{user_id, prize}] in draw order. seed and
 * eh are the raw 32-byte seed and entries hash.
 */
export async function draw(seed, eh, entries, prizes) {
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
    const j = i + Number(await s.uniform(BigInt(n - i)));
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
 * verifyProof checks a proof as lottery.Proof.Verify does, in the same order,
 * and also against the lottery's public commitments when given
 * ({seed_hash, entries_hash} from the lottery object). It returns
 * {ok, steps:[{key, ok, info}], recomputed}; the first failing step ends it.
 * info holds the values a message needs.
 */
export async function verifyProof(proof, commitment) {
  const steps = [];
  const result = { ok: false, steps, recomputed: null };
  const step = (key, ok, info = {}) => {
    steps.push({ key, ok, info });
    return ok;
  };
  if (!proof || typeof proof !== 'object') {
    step('format', false);
    return result;
  }
  if (!step('algorithm', proof.algorithm === ALGORITHM, { got: proof.algorithm, want: ALGORITHM })) return result;
  if (!step('lottery_id', isIDString(proof.lottery_id), { got: proof.lottery_id })) return result;
  if (commitment && commitment.lottery_id) {
    if (!step('lottery', proof.lottery_id === commitment.lottery_id, { got: proof.lottery_id, want: commitment.lottery_id })) return result;
  }
  const seed = fromHex32(proof.seed);
  const seedHash = fromHex32(proof.seed_hash);
  if (!step('seed_format', Boolean(seed && seedHash), { seed: proof.seed, seed_hash: proof.seed_hash })) return result;
  const sh = await sha256(seed);
  if (!step('seed_hash', toHex(sh) === toHex(seedHash), { got: proof.seed_hash, want: toHex(sh) })) return result;
  if (commitment && commitment.seed_hash) {
    if (!step('commitment', commitment.seed_hash.toLowerCase() === toHex(seedHash), { got: toHex(seedHash), want: commitment.seed_hash })) return result;
  }
  const entries = proof.entries;
  if (!Array.isArray(entries) || entries.some((e) => typeof e !== 'string')) {
    step('entries', false, { reason: 'not a list of strings' });
    return result;
  }
  const seen = new Map();
  for (let i = 0; i < entries.length; i++) {
    if (!isIDString(entries[i])) {
      step('entries', false, { index: i, entry: entries[i], reason: 'not an id: 1 to 64 printable ASCII characters, no space' });
      return result;
    }
    if (seen.has(entries[i])) {
      step('entries', false, { index: i, entry: entries[i], first: seen.get(entries[i]), reason: 'duplicate' });
      return result;
    }
    seen.set(entries[i], i);
  }
  step('entries', true, { count: entries.length });
  const ehProof = fromHex32(proof.entries_hash);
  const eh = await entriesHash(entries);
  if (!step('entries_hash', Boolean(ehProof) && toHex(eh) === toHex(ehProof), { got: proof.entries_hash, want: toHex(eh), count: entries.length })) return result;
  if (commitment && commitment.entries_hash) {
    if (!step('entries_commitment', commitment.entries_hash.toLowerCase() === toHex(eh), { got: toHex(eh), want: commitment.entries_hash })) return result;
  }
  const prizes = proof.prizes;
  if (!Array.isArray(prizes)) {
    step('prizes', false, { reason: 'not a list' });
    return result;
  }
  const names = new Set();
  for (let i = 0; i < prizes.length; i++) {
    const p = prizes[i] || {};
    let reason = '';
    if (typeof p.name !== 'string' || p.name === '') reason = 'no name';
    else if (names.has(p.name)) reason = 'name used twice';
    else if (!Number.isSafeInteger(p.quantity) || p.quantity < 1) reason = `quantity ${p.quantity}, want 1 to 2^53-1`;
    if (reason) {
      step('prizes', false, { index: i, name: p.name, reason });
      return result;
    }
    names.add(p.name);
  }
  step('prizes', true, { count: prizes.length });
  const want = await draw(seed, eh, entries, prizes);
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
