#!/usr/bin/env python3
"""An independent verifier of luckbox's fairness proofs, written from
docs/fairness.md alone (Python 3.8+, standard library only).

  python3 fairness-verify.py [VECTORS.json]
      recompute every test vector (default: fairness-vectors.json beside
      this script) and report any disagreement; exit status 1 if one.
  python3 fairness-verify.py --proof PROOF.json [--lottery ID] [--seed-hash HEX]
      check a lottery proof (GET /api/v1/lotteries/{id}/proof).
  python3 fairness-verify.py --packet PACKET.json [--commit HEX]
      check a finished or expired lucky red packet (GET /api/v1/packets/{id}).

It shares no code with luckbox: `go test ./internal/fairspec` runs it on the
vectors the Go code generates, so the specification, the Go code and this
script must agree.
"""

import hashlib
import json
import os
import re
import sys

ALGORITHM = "luckbox-draw-v1"
TWO64 = 1 << 64
MAX_INT = (1 << 53) - 1  # largest quantity, share or amount (exact in every JSON parser)
HEX32 = re.compile(r"\A[0-9a-f]{64}\Z")
ID = re.compile(r"\A[\x21-\x7e]{1,64}\Z")


class Broken(Exception):
    """A proof that does not hold: rule is the rule of the specification it breaks."""

    def __init__(self, rule, message):
        super().__init__(message)
        self.rule = rule


def sha256(data):
    return hashlib.sha256(data).digest()


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_id(v):
    return isinstance(v, str) and ID.match(v) is not None


def is_hex32(v):
    return isinstance(v, str) and HEX32.match(v) is not None


# ---- luckbox-draw-v1 -------------------------------------------------------


def seed_hash(seed):
    """SHA-256 of the raw 32-byte seed."""
    return sha256(seed)


def entries_hash(entries):
    """SHA-256 of every entry (ASCII) followed by a line feed, concatenated."""
    return sha256(b"".join(e.encode("ascii") + b"\n" for e in entries))


class Words:
    """The random words: word i = first 8 bytes (big-endian) of
    SHA-256(seed || entries_hash || uint64_be(i))."""

    def __init__(self, seed, eh):
        self.prefix = seed + eh
        self.i = 0

    def word(self):
        w = int.from_bytes(sha256(self.prefix + self.i.to_bytes(8, "big"))[:8], "big")
        self.i += 1
        return w

    def uniform(self, m):
        limit = TWO64 - TWO64 % m
        while True:
            w = self.word()
            if w < limit:
                return w % m


def draw(seed, eh, entries, prizes):
    """The winners in draw order: [(user_id, prize name)]."""
    labels = []
    for p in prizes:
        labels.extend([p["name"]] * min(p["quantity"], len(entries)))
    k = min(len(labels), len(entries))
    a = list(entries)
    words = Words(seed, eh)
    winners = []
    for i in range(k):
        j = i + words.uniform(len(a) - i)
        a[i], a[j] = a[j], a[i]
        winners.append((a[i], labels[i]))
    return winners


PROOF_MEMBERS = {
    "algorithm": str, "lottery_id": str, "seed": str, "seed_hash": str,
    "entries": list, "entries_hash": str, "prizes": list, "winners": list,
}


def check_proof(p, lottery_id="", want_seed_hash=""):
    """Checks a lottery proof by the rules of docs/fairness.md, in order;
    raises Broken naming the first rule broken."""
    if not isinstance(p, dict):
        raise Broken("format", "the proof is not a JSON object")
    for name, typ in PROOF_MEMBERS.items():
        if name not in p or p[name] is None:
            raise Broken("format", "the proof has no %s" % name)
        if not isinstance(p[name], typ):
            raise Broken("format", "%s is not a %s" % (name, typ.__name__))
    for e in p["entries"]:
        if not isinstance(e, str):
            raise Broken("format", "an entry is not a string")
    for x in p["prizes"]:
        if not (isinstance(x, dict) and isinstance(x.get("name"), str) and is_int(x.get("quantity"))):
            raise Broken("format", "a prize is not {name: string, quantity: integer}")
    for w in p["winners"]:
        if not (isinstance(w, dict) and isinstance(w.get("user_id"), str) and isinstance(w.get("prize"), str)):
            raise Broken("format", "a winner is not {user_id: string, prize: string}")
    check_redraw_format(p)

    if p["algorithm"] != ALGORITHM:
        raise Broken("algorithm", "algorithm %r is not %s" % (p["algorithm"], ALGORITHM))
    if not is_id(p["lottery_id"]):
        raise Broken("lottery_id", "lottery_id %r is not an id string" % p["lottery_id"])
    for name in ("seed", "seed_hash", "entries_hash"):
        if not is_hex32(p[name]):
            raise Broken("hex", "%s %r is not 64 lowercase hex digits" % (name, p[name]))
    if lottery_id and p["lottery_id"] != lottery_id:
        raise Broken("anchor.lottery_id", "the proof is for lottery %s, not %s" % (p["lottery_id"], lottery_id))
    if want_seed_hash and p["seed_hash"] != want_seed_hash:
        raise Broken("anchor.seed_hash", "seed_hash %s is not the commitment %s" % (p["seed_hash"], want_seed_hash))
    seed = bytes.fromhex(p["seed"])
    if seed_hash(seed).hex() != p["seed_hash"]:
        raise Broken("seed_hash", "seed_hash is not SHA-256 of the seed")
    seen = set()
    for i, e in enumerate(p["entries"]):
        if not is_id(e):
            raise Broken("entries.format", "entry %d %r is not an id string" % (i, e))
        if e in seen:
            raise Broken("entries.distinct", "entry %d %r is there twice" % (i, e))
        seen.add(e)
    eh = entries_hash(p["entries"])
    if eh.hex() != p["entries_hash"]:
        raise Broken("entries_hash", "entries_hash does not match the entries (%s)" % eh.hex())
    names = set()
    for i, x in enumerate(p["prizes"]):
        if x["name"] == "" or x["name"] in names or not 1 <= x["quantity"] <= MAX_INT:
            raise Broken("prizes", "prize %d (%r x %d) breaks the prize rules" % (i, x["name"], x["quantity"]))
        names.add(x["name"])
    want = draw(seed, eh, p["entries"], p["prizes"])
    if len(p["winners"]) != len(want):
        raise Broken("winners.count", "%d winners listed, %d recomputed" % (len(p["winners"]), len(want)))
    for i, (w, r) in enumerate(zip(p["winners"], want)):
        if (w["user_id"], w["prize"]) != r:
            raise Broken("winners", "winner %d is %s/%s, recomputed %s/%s" % (i, w["user_id"], w["prize"], r[0], r[1]))
    check_redraws(p)


# ---- redraw rounds -----------------------------------------------------------

REDRAW_MEMBERS = {
    "round": int, "seed": str, "seed_hash": str, "committed_at": str, "deadline": str,
    "lapsed": list, "eligible_hash": str, "prizes": list, "winners": list,
}
TIME = re.compile(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z")


def eligible(entries, won):
    """The entries, in entry order, that are not in won."""
    return [e for e in entries if e not in won]


def lapsed_prizes(prize_list, lapsed_names):
    """The lapsed prizes grouped in the order of the lottery's prize list."""
    return [{"name": x["name"], "quantity": lapsed_names.count(x["name"])}
            for x in prize_list if x["name"] in lapsed_names]


def redraw(seed, eligible_entries, prizes):
    """(eligible_hash, winners) of one redraw round: luckbox-draw-v1 over the
    eligible entries and the lapsed prizes with the round's seed."""
    eh = entries_hash(eligible_entries)
    return eh, draw(seed, eh, eligible_entries, prizes)


def check_redraw_format(p):
    if "redraws" not in p:
        return
    if not isinstance(p["redraws"], list):
        raise Broken("format", "redraws is not a list")
    for r in p["redraws"]:
        if not isinstance(r, dict):
            raise Broken("format", "a redraw is not an object")
        for name, typ in REDRAW_MEMBERS.items():
            if r.get(name) is None or not isinstance(r[name], typ) or (typ is int and not is_int(r[name])):
                raise Broken("format", "a redraw has no %s of type %s" % (name, typ.__name__))
        for x in r["prizes"]:
            if not (isinstance(x, dict) and isinstance(x.get("name"), str) and is_int(x.get("quantity"))):
                raise Broken("format", "a redraw prize is not {name, quantity}")
        for w in r["winners"]:
            if not (isinstance(w, dict) and isinstance(w.get("user_id"), str) and isinstance(w.get("prize"), str)):
                raise Broken("format", "a redraw winner is not {user_id, prize}")
        if not all(isinstance(u, str) for u in r["lapsed"]):
            raise Broken("format", "a lapsed user is not a string")


def check_redraws(p):
    """Checks the redraw rounds after the main draw (section 2.8)."""
    won = set(w["user_id"] for w in p["winners"])
    prev = [(w["user_id"], w["prize"]) for w in p["winners"]]
    last_deadline = ""
    for i, r in enumerate(p.get("redraws", [])):
        if r["round"] != i + 1:
            raise Broken("redraws.round", "redraw %d is numbered %d" % (i, r["round"]))
        for name in ("seed", "seed_hash", "eligible_hash"):
            if not is_hex32(r[name]):
                raise Broken("redraws.hex", "redraw %d: %s is not 64 lowercase hex digits" % (i + 1, name))
        seed = bytes.fromhex(r["seed"])
        if seed_hash(seed).hex() != r["seed_hash"]:
            raise Broken("redraws.seed_hash", "redraw %d: seed_hash is not SHA-256 of the seed" % (i + 1))
        if not (TIME.match(r["committed_at"]) and TIME.match(r["deadline"])):
            raise Broken("redraws.time", "redraw %d: times must be like 2026-12-03T20:00:00Z" % (i + 1))
        if r["committed_at"] >= r["deadline"] or r["deadline"] <= last_deadline:
            raise Broken("redraws.time", "redraw %d: committed at or after its deadline, or deadlines not increasing" % (i + 1))
        last_deadline = r["deadline"]
        if not r["lapsed"]:
            raise Broken("redraws.lapsed", "redraw %d: nobody lapsed" % (i + 1))
        names, j = [], 0
        for u in r["lapsed"]:
            while j < len(prev) and prev[j][0] != u:
                j += 1
            if j == len(prev):
                raise Broken("redraws.lapsed", "redraw %d: %s is not a winner of the round before, in its order" % (i + 1, u))
            names.append(prev[j][1])
            j += 1
        want_prizes = lapsed_prizes(p["prizes"], names)
        if r["prizes"] != want_prizes:
            raise Broken("redraws.prizes", "redraw %d: prizes are not the lapsed ones %r" % (i + 1, want_prizes))
        eh, want = redraw(seed, eligible(p["entries"], won), want_prizes)
        if eh.hex() != r["eligible_hash"]:
            raise Broken("redraws.eligible_hash", "redraw %d: eligible_hash is not that of the entries that never won" % (i + 1))
        if len(r["winners"]) != len(want):
            raise Broken("redraws.winners.count", "redraw %d: %d winners listed, %d recomputed" % (i + 1, len(r["winners"]), len(want)))
        for k, (w, x) in enumerate(zip(r["winners"], want)):
            if (w["user_id"], w["prize"]) != x:
                raise Broken("redraws.winners", "redraw %d winner %d is %s/%s, recomputed %s/%s" % (i + 1, k, w["user_id"], w["prize"], x[0], x[1]))
            won.add(w["user_id"])
        prev = [(w["user_id"], w["prize"]) for w in r["winners"]]


# ---- lucky packet split commitment ----------------------------------------


def split_commit(salt, shares):
    """SHA-256(salt || the shares in base-10 ASCII joined by ",")."""
    return sha256(salt + ",".join(str(s) for s in shares).encode("ascii"))


PACKET_MEMBERS = {
    "id": str, "kind": str, "count": int, "amount": int, "status": str,
    "remaining_amount": int, "refunded_amount": int, "grabs": list,
}


def check_packet(p, want_commit=""):
    """Checks a lucky packet's revealed split by the rules of
    docs/fairness.md, in order; raises Broken naming the first rule broken."""
    if not isinstance(p, dict):
        raise Broken("format", "the packet is not a JSON object")
    for name, typ in PACKET_MEMBERS.items():
        v = p.get(name)
        if v is None or not isinstance(v, typ) or (typ is int and not is_int(v)):
            raise Broken("format", "the packet has no %s of type %s" % (name, typ.__name__))
    if "split" not in p:
        raise Broken("format", "the packet has no split")
    for g in p["grabs"]:
        if not (isinstance(g, dict) and is_int(g.get("amount")) and isinstance(g.get("best_luck"), bool)):
            raise Broken("format", "a grab is not {amount: integer, best_luck: boolean}")
    if p["kind"] != "lucky":
        raise Broken("kind", "a %s packet has no random split" % p["kind"])
    split = p["split"]
    if not isinstance(split, dict) or not isinstance(split.get("commit"), str):
        raise Broken("format", "a lucky packet needs split.commit")
    if split.get("salt") is None or split.get("shares") is None:
        raise Broken("revealed", "salt and shares are revealed once the packet is finished or expired")
    salt, shares, commit = split["salt"], split["shares"], split["commit"]
    if not isinstance(salt, str) or not isinstance(shares, list) or not all(is_int(s) for s in shares):
        raise Broken("format", "salt is not a string or shares not a list of integers")
    if not is_hex32(commit):
        raise Broken("hex", "commit %r is not 64 lowercase hex digits" % commit)
    if not is_hex32(salt):
        raise Broken("hex", "salt %r is not 64 lowercase hex digits" % salt)
    if want_commit and commit != want_commit:
        raise Broken("anchor.commit", "commit %s is not the published %s" % (commit, want_commit))
    for i, s in enumerate(shares):
        if not 1 <= s <= MAX_INT:
            raise Broken("shares", "share %d is %d fen" % (i, s))
    if split_commit(bytes.fromhex(salt), shares).hex() != commit:
        raise Broken("commit", "SHA-256(salt || shares) is not the commitment")
    if len(shares) != p["count"] or sum(shares) != p["amount"]:
        raise Broken("shares", "%d shares adding up to %d, the packet has %d of %d" % (len(shares), sum(shares), p["count"], p["amount"]))
    grabs = p["grabs"]
    if len(grabs) > p["count"]:
        raise Broken("grabs", "more grabs than shares")
    for i, g in enumerate(grabs):
        if g["amount"] != shares[i]:
            raise Broken("grabs", "grab %d got %d, share %d is %d" % (i, g["amount"], i, shares[i]))
    if p["status"] == "finished" and len(grabs) != p["count"]:
        raise Broken("grabs", "finished with shares left")
    rest = sum(shares[len(grabs):])
    rem, ref = p["remaining_amount"], p["refunded_amount"]
    if rem < 0 or ref < 0 or rem + ref != rest:
        raise Broken("remainder", "remaining %d + refunded %d, the shares not grabbed add up to %d" % (rem, ref, rest))
    best = -1
    if p["status"] == "finished":
        best = max(range(len(shares)), key=lambda i: (shares[i], -i))  # largest, earliest on ties
    for i, g in enumerate(grabs):
        if g["best_luck"] != (i == best):
            raise Broken("best_luck", "grab %d best_luck %s, want %s" % (i, g["best_luck"], i == best))


# ---- the test vectors -------------------------------------------------------


def verdict(check, *args):
    """(valid, rule) of a check."""
    try:
        check(*args)
        return True, ""
    except Broken as b:
        return False, b.rule


def run_vectors(v):
    """Recomputes every vector; returns the list of disagreements."""
    bad = []

    def expect(what, got, want):
        if got != want:
            bad.append("%s: recomputed %r, the vectors say %r" % (what, got, want))

    for i, c in enumerate(v["seed_hash"]):
        expect("seed_hash[%d]" % i, seed_hash(bytes.fromhex(c["seed"])).hex(), c["seed_hash"])
    for i, c in enumerate(v["entries_hash"]):
        expect("entries_hash[%d]" % i, entries_hash(c["entries"]).hex(), c["entries_hash"])
    for i, c in enumerate(v["words"]):
        w = Words(bytes.fromhex(c["seed"]), bytes.fromhex(c["entries_hash"]))
        expect("words[%d]" % i, [str(w.word()) for _ in c["words"]], c["words"])
    for i, c in enumerate(v["uniform"]):
        w = Words(bytes.fromhex(c["seed"]), bytes.fromhex(c["entries_hash"]))
        got = w.uniform(int(c["m"]))
        expect("uniform[%d] %s" % (i, c["name"]), (str(got), w.i), (c["result"], c["words_used"]))
    for c in v["draws"]:
        seed = bytes.fromhex(c["seed"])
        eh = entries_hash(c["entries"])
        expect("draw %s: seed_hash" % c["name"], seed_hash(seed).hex(), c["seed_hash"])
        expect("draw %s: entries_hash" % c["name"], eh.hex(), c["entries_hash"])
        got = [{"user_id": u, "prize": p} for u, p in draw(seed, eh, c["entries"], c["prizes"])]
        expect("draw %s: winners" % c["name"], got, c["winners"])
    for c in v["proofs"]:
        a = c.get("commitment") or {}
        got = verdict(check_proof, c["proof"], a.get("lottery_id", ""), a.get("seed_hash", ""))
        expect("proof %s" % c["name"], got, (c["valid"], c["rule"]))
    for i, c in enumerate(v["split_commit"]):
        expect("split_commit[%d]" % i, split_commit(bytes.fromhex(c["salt"]), c["shares"]).hex(), c["commit"])
    for c in v["packets"]:
        got = verdict(check_packet, c["packet"], c.get("commit", ""))
        expect("packet %s" % c["name"], got, (c["valid"], c["rule"]))
    for c in v["redraws"]:
        prizes = lapsed_prizes(c["prize_list"], c["lapsed_prizes"])
        eh, winners = redraw(bytes.fromhex(c["seed"]), eligible(c["entries"], set(c["earlier_winners"])), prizes)
        expect("redraw %s: prizes" % c["name"], prizes, c["prizes"])
        expect("redraw %s: eligible_hash" % c["name"], eh.hex(), c["eligible_hash"])
        expect("redraw %s: winners" % c["name"], [{"user_id": u, "prize": x} for u, x in winners], c["winners"])
    return bad


def count(v):
    return sum(len(v[k]) for k in ("seed_hash", "entries_hash", "words", "uniform", "draws", "proofs", "split_commit", "packets", "redraws"))


def main(argv):
    args = argv[1:]
    opts = {}
    while len(args) >= 2 and args[0].startswith("--"):
        opts[args[0]] = args[1]
        args = args[2:]
    if args and args[0].startswith("--") or len(args) > 1:
        print(__doc__, file=sys.stderr)
        return 2
    if "--proof" in opts or "--packet" in opts:
        src = opts.get("--proof") or opts.get("--packet")
        with open(src, encoding="utf-8") as f:
            doc = json.load(f)
        try:
            if "--proof" in opts:
                check_proof(doc, opts.get("--lottery", ""), opts.get("--seed-hash", "").lower())
                anchored = "--seed-hash" in opts
            else:
                check_packet(doc, opts.get("--commit", "").lower())
                anchored = "--commit" in opts
        except Broken as b:
            print("MISMATCH (%s): %s" % (b.rule, b))
            return 1
        print("OK" + ("" if anchored else " (not anchored: pass the commitment published before the draw or the first grab)"))
        return 0
    path = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "fairness-vectors.json")
    with open(path, encoding="utf-8") as f:
        v = json.load(f)
    bad = run_vectors(v)
    for b in bad:
        print("DISAGREE: " + b)
    if bad:
        print("%d of %d vectors disagree" % (len(bad), count(v)))
        return 1
    print("OK: all %d vectors of %s recomputed" % (count(v), path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
