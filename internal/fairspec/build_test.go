package fairspec

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"luckbox/data"
	"luckbox/lottery"
	"luckbox/packet"
)

// seedOf is a fixed seed for a vector: SHA-256 of its label.
func seedOf(label string) [32]byte { return sha256.Sum256([]byte(label)) }

// counting is a 32-byte value whose bytes are start, start+step, ...
func counting(start, step byte) [32]byte {
	var s [32]byte
	for i := range s {
		s[i] = start + byte(i)*step
	}
	return s
}

func hx(b [32]byte) string { return hex.EncodeToString(b[:]) }

func users(n int, prefix string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i+1)
	}
	return out
}

// realIDs are n user ids as luckbox issues them (26 characters of base32).
func realIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		sum := sha256.Sum256([]byte{byte(i)})
		tag := binary.BigEndian.Uint64(sum[:8]) | 1
		out[i] = data.EncodeID(uint64(1000+i), tag)
	}
	return out
}

// word is word i of a draw's stream, computed here from the specification;
// uniformCase checks it against lottery.DrawPicks, the real stream.
func word(seed, eh [32]byte, i uint64) uint64 {
	sum := sha256.Sum256(binary.BigEndian.AppendUint64(append(seed[:], eh[:]...), i))
	return binary.BigEndian.Uint64(sum[:8])
}

// uniformCase is uniform(m) of the stream of seed and eh: the result the real
// draw picks first from m entries (DrawPicks), and the words it took.
func uniformCase(t *testing.T, name string, seed, eh [32]byte, m uint64) UniformCase {
	got := lottery.DrawPicks(seed, eh, int(m), []lottery.Prize{{Name: "P", Quantity: 1}})
	rem := -m % m // 2^64 mod m
	used := 0
	var w uint64
	for {
		w = word(seed, eh, uint64(used))
		used++
		if rem == 0 || w < -rem {
			break
		}
	}
	if len(got) != 1 || uint64(got[0].Index) != w%m {
		t.Fatalf("uniform %s: DrawPicks picks %v, the specification %d", name, got, w%m)
	}
	return UniformCase{Name: name, Seed: hx(seed), EntriesHash: hx(eh), M: strconv.FormatUint(m, 10),
		Result: strconv.FormatUint(w%m, 10), WordsUsed: used}
}

// rejectingSeed finds a seed whose first word is rejected by uniform(m).
func rejectingSeed(t *testing.T, eh [32]byte, m uint64) [32]byte {
	for i := range 1000 {
		s := seedOf("rejection " + strconv.Itoa(i))
		if word(s, eh, 0) >= -(-m % m) {
			return s
		}
	}
	t.Fatal("no seed with a rejected first word")
	return [32]byte{}
}

func drawCase(name string, seed [32]byte, entries []string, prizes []lottery.Prize) DrawCase {
	p := lottery.NewProof("x", seed, entries, prizes)
	return DrawCase{Name: name, Seed: p.Seed, SeedHash: p.SeedHash, Entries: p.Entries, EntriesHash: p.EntriesHash,
		Prizes: p.Prizes, Winners: p.Winners}
}

// asMap is v as a generic JSON object.
func asMap(t *testing.T, v any) map[string]any {
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// proofCase checks proof (after change) against c with the real verifier
// and records the verdict, which must be wantRule ("" for valid).
func proofCase(t *testing.T, name string, p lottery.Proof, c *CommitmentCase, wantRule string, change func(m map[string]any)) ProofCase {
	m := asMap(t, p)
	if change != nil {
		change(m)
	}
	raw, _ := json.Marshal(m)
	var rule string
	parsed, err := lottery.ParseProof(raw)
	if err == nil {
		var cm lottery.Commitment
		if c != nil {
			cm = lottery.Commitment{LotteryID: c.LotteryID, SeedHash: c.SeedHash}
		}
		err = parsed.VerifyAgainst(cm)
	}
	if err != nil {
		rule = data.RuleOf(err)
	}
	if rule != wantRule {
		t.Fatalf("proof %q: the Go verifier says %v (rule %q), the vector means rule %q", name, err, rule, wantRule)
	}
	return ProofCase{Name: name, Proof: m, Commitment: c, Valid: err == nil, Rule: rule}
}

func buildProofs(t *testing.T) []ProofCase {
	entries := realIDs(6)
	prizes := []lottery.Prize{{Name: "一等奖", Quantity: 1}, {Name: "二等奖", Quantity: 2}, {Name: "Bronze", Quantity: 1}}
	id := data.EncodeID(42, 0x5eed)
	real := lottery.NewProof(id, seedOf("proof"), entries, prizes)
	anchor := &CommitmentCase{LotteryID: id, SeedHash: real.SeedHash}
	redrawn := lottery.NewProof(id, seedOf("another seed"), entries, prizes)
	set := func(key string, v any) func(map[string]any) { return func(m map[string]any) { m[key] = v } }
	entriesWith := func(i int, e string) func(map[string]any) {
		return func(m map[string]any) { m["entries"].([]any)[i] = e }
	}
	prize := func(i int, key string, v any) func(map[string]any) {
		return func(m map[string]any) { m["prizes"].([]any)[i].(map[string]any)[key] = v }
	}
	winner := func(i int, key string, v any) func(map[string]any) {
		return func(m map[string]any) { m["winners"].([]any)[i].(map[string]any)[key] = v }
	}
	dupe := append(append([]string{}, entries...), entries[3])
	noGold := lottery.NewProof(id, seedOf("proof"), entries, []lottery.Prize{{Name: "A", Quantity: 0}, {Name: "B", Quantity: 2}})
	return []ProofCase{
		proofCase(t, "a real proof, not anchored", real, nil, "", nil),
		proofCase(t, "a real proof against the commitment published at creation", real, anchor, "", nil),
		proofCase(t, "no entries: no winners", lottery.NewProof(id, seedOf("empty"), nil, prizes), nil, "", nil),
		proofCase(t, "lottery_id missing", real, nil, lottery.RuleFormat, func(m map[string]any) { delete(m, "lottery_id") }),
		proofCase(t, "winners null", real, nil, lottery.RuleFormat, set("winners", nil)),
		proofCase(t, "a fractional quantity", real, nil, lottery.RuleFormat, prize(0, "quantity", 1.5)),
		proofCase(t, "a prize without its quantity", real, nil, lottery.RuleFormat, func(m map[string]any) {
			delete(m["prizes"].([]any)[1].(map[string]any), "quantity")
		}),
		proofCase(t, "a winner without its prize", real, nil, lottery.RuleFormat, winner(2, "prize", nil)),
		proofCase(t, "another algorithm", real, nil, lottery.RuleAlgorithm, set("algorithm", "luckbox-draw-v2")),
		proofCase(t, "empty lottery_id", real, nil, lottery.RuleLotteryID, set("lottery_id", "")),
		proofCase(t, "upper-case seed_hash", real, nil, lottery.RuleHex, set("seed_hash", strings.ToUpper(real.SeedHash))),
		proofCase(t, "seed one digit short", real, nil, lottery.RuleHex, set("seed", real.Seed[:63])),
		proofCase(t, "the proof of another lottery", real, &CommitmentCase{LotteryID: data.EncodeID(43, 0x5eed)}, lottery.RuleAnchorLottery, nil),
		proofCase(t, "re-drawn with another seed, every hash and winner recomputed: self-consistent", redrawn, nil, "", nil),
		proofCase(t, "re-drawn with another seed, against the commitment published at creation", redrawn, anchor, lottery.RuleAnchorSeed, nil),
		proofCase(t, "another seed", real, nil, lottery.RuleSeedHash, set("seed", hx(seedOf("another seed")))),
		proofCase(t, "a non-ASCII entry", real, nil, lottery.RuleEntryFormat, entriesWith(2, "ü"+entries[2][1:])),
		proofCase(t, "an entry with a space", real, nil, lottery.RuleEntryFormat, entriesWith(2, "a b")),
		proofCase(t, "an empty entry", real, nil, lottery.RuleEntryFormat, entriesWith(2, "")),
		proofCase(t, "an entry of 65 characters", real, nil, lottery.RuleEntryFormat, entriesWith(2, strings.Repeat("a", 65))),
		proofCase(t, "a user entered twice", lottery.NewProof(id, seedOf("proof"), dupe, prizes), nil, lottery.RuleEntryDistinct, nil),
		proofCase(t, "an entry changed", real, nil, lottery.RuleEntriesHash, entriesWith(5, entries[5][:25]+"a")),
		proofCase(t, "entries reordered", real, nil, lottery.RuleEntriesHash, func(m map[string]any) {
			e := m["entries"].([]any)
			e[0], e[1] = e[1], e[0]
		}),
		proofCase(t, "a quantity of 0", noGold, nil, lottery.RulePrizes, nil),
		proofCase(t, "a quantity of 2^53", real, nil, lottery.RulePrizes, prize(2, "quantity", float64(1<<53))),
		proofCase(t, "a prize name twice", real, nil, lottery.RulePrizes, prize(2, "name", "一等奖")),
		proofCase(t, "a prize without a name", real, nil, lottery.RulePrizes, prize(1, "name", "")),
		proofCase(t, "a winner dropped", real, nil, lottery.RuleWinnerCount, func(m map[string]any) {
			m["winners"] = m["winners"].([]any)[:3]
		}),
		proofCase(t, "winners in another order", real, nil, lottery.RuleWinners, func(m map[string]any) {
			w := m["winners"].([]any)
			w[1], w[2] = w[2], w[1]
		}),
		proofCase(t, "a loser listed as winner", real, nil, lottery.RuleWinners, winner(0, "user_id", loser(real))),
		proofCase(t, "a winner's prize changed", real, nil, lottery.RuleWinners, winner(0, "prize", "二等奖")),
	}
}

// loser is an entry of p that did not win.
func loser(p lottery.Proof) string {
	won := map[string]bool{}
	for _, w := range p.Winners {
		won[w.UserID] = true
	}
	for _, e := range p.Entries {
		if !won[e] {
			return e
		}
	}
	return ""
}

// packetJSON is a packet as GET /api/v1/packets/{id} shows it, reduced to
// the members the check reads (and the grabbers' ids).
func packetJSON(id, status string, count int, amount int64, salt [32]byte, shares []int64, grabbed int, refunded int64, best int) map[string]any {
	var grabs []any
	var taken int64
	for i := range grabbed {
		grabs = append(grabs, map[string]any{"user_id": data.EncodeID(uint64(500+i), 77), "amount": shares[i], "best_luck": i == best})
		taken += shares[i]
	}
	remaining := amount - taken - refunded
	c := packet.SplitCommit(salt, shares)
	s := hx(salt)
	return map[string]any{"id": id, "kind": "lucky", "count": count, "amount": amount, "status": status,
		"remaining_amount": remaining, "refunded_amount": refunded, "grabs": append([]any{}, grabs...),
		"split": map[string]any{"commit": hx(c), "salt": s, "shares": shares}}
}

// packetCase checks a packet (after change) with the real verifier and
// records the verdict, which must be wantRule ("" for valid).
func packetCase(t *testing.T, name string, m map[string]any, commit, wantRule string, change func(m map[string]any)) PacketCase {
	m = asMap(t, m) // a deep copy
	if change != nil {
		change(m)
	}
	raw, _ := json.Marshal(m)
	p, err := packet.ParsePacket(raw)
	if err == nil {
		err = p.VerifySplit(commit)
	}
	rule := data.RuleOf(err)
	if rule != wantRule || (err != nil) != (wantRule != "") {
		t.Fatalf("packet %q: the Go verifier says %v (rule %q), the vector means rule %q", name, err, rule, wantRule)
	}
	return PacketCase{Name: name, Packet: m, Commit: commit, Valid: err == nil, Rule: rule}
}

func buildPackets(t *testing.T) ([]SplitCase, []PacketCase) {
	var splits []SplitCase
	for _, c := range []struct {
		salt   [32]byte
		shares []int64
	}{{counting(0, 1), []int64{12, 1, 387}}, {counting(0xff, 0), []int64{1}}, {seedOf("salt"), []int64{299, 587, 2}}} {
		sum := packet.SplitCommit(c.salt, c.shares)
		splits = append(splits, SplitCase{Salt: hx(c.salt), Shares: c.shares, Commit: hx(sum)})
	}
	shares, err := packet.SplitLucky(888, 3, rand.New(rand.NewChaCha8(seedOf("split"))))
	if err != nil {
		t.Fatal(err)
	}
	salt := seedOf("packet salt")
	id := data.EncodeID(7, 0x9acce7)
	best := 0
	for i, s := range shares {
		if s > shares[best] {
			best = i
		}
	}
	finished := packetJSON(id, "finished", 3, 888, salt, shares, 3, 0, best)
	commit := finished["split"].(map[string]any)["commit"].(string)
	four, err := packet.SplitLucky(500, 4, rand.New(rand.NewChaCha8(seedOf("split 4"))))
	if err != nil {
		t.Fatal(err)
	}
	expired := packetJSON(id, "expired", 4, 500, salt, four, 1, 500-four[0], -1)
	ties := packetJSON(id, "finished", 4, 24, salt, []int64{5, 9, 9, 1}, 4, 0, 1)
	split := func(key string, v any) func(map[string]any) {
		return func(m map[string]any) { m["split"].(map[string]any)[key] = v }
	}
	grab := func(i int, key string, v any) func(map[string]any) {
		return func(m map[string]any) { m["grabs"].([]any)[i].(map[string]any)[key] = v }
	}
	set := func(key string, v any) func(map[string]any) { return func(m map[string]any) { m[key] = v } }
	packets := []PacketCase{
		packetCase(t, "finished, not anchored", finished, "", "", nil),
		packetCase(t, "finished, against the commitment published when it was sent", finished, commit, "", nil),
		packetCase(t, "expired after one grab: the rest refunded", expired, "", "", nil),
		packetCase(t, "expired before its payment arrived: the rest still remaining", expired, "", "", func(m map[string]any) {
			m["remaining_amount"], m["refunded_amount"] = m["refunded_amount"], 0
		}),
		packetCase(t, "best luck on a tie: the earliest of the largest shares", ties, "", "", nil),
		packetCase(t, "status missing", finished, "", packet.RuleFormat, func(m map[string]any) { delete(m, "status") }),
		packetCase(t, "a grab without best_luck", finished, "", packet.RuleFormat, func(m map[string]any) {
			delete(m["grabs"].([]any)[0].(map[string]any), "best_luck")
		}),
		packetCase(t, "an equal packet", finished, "", packet.RuleKind, set("kind", "equal")),
		packetCase(t, "not revealed yet", finished, "", packet.RuleRevealed, split("salt", nil)),
		packetCase(t, "upper-case salt", finished, "", packet.RuleHex, split("salt", strings.ToUpper(hx(salt)))),
		packetCase(t, "against another commitment", finished, strings.Repeat("0", 64), packet.RuleAnchor, nil),
		packetCase(t, "shares reordered", finished, "", packet.RuleCommit, split("shares", []any{shares[1], shares[0], shares[2]})),
		packetCase(t, "another salt", finished, "", packet.RuleCommit, split("salt", hx(seedOf("other salt")))),
		packetCase(t, "amount changed", finished, "", packet.RuleShares, set("amount", 889)),
		packetCase(t, "a grab got another amount", finished, "", packet.RuleGrabs, grab(1, "amount", shares[1]+1)),
		packetCase(t, "finished with a share left", finished, "", packet.RuleGrabs, func(m map[string]any) {
			g := m["grabs"].([]any)
			m["grabs"] = g[:2]
		}),
		packetCase(t, "a refund short of the ungrabbed shares", expired, "", packet.RuleRemainder, set("refunded_amount", 500-four[0]-1)),
		packetCase(t, "best luck on the later of two tied shares", ties, "", packet.RuleBestLuck, func(m map[string]any) {
			grab(1, "best_luck", false)(m)
			grab(2, "best_luck", true)(m)
		}),
		packetCase(t, "best luck on an expired packet", expired, "", packet.RuleBestLuck, grab(0, "best_luck", true)),
	}
	return splits, packets
}

// buildVectors computes every vector from the code.
func buildVectors(t *testing.T) Vectors {
	golden := counting(0, 1)
	goldenEntries := users(25, "u")
	goldenPrizes := []lottery.Prize{{Name: "Gold", Quantity: 1}, {Name: "Silver", Quantity: 2}, {Name: "Bronze", Quantity: 3}}
	v := Vectors{About: "Test vectors of docs/fairness.md, computed by the Go code (go test ./internal/fairspec checks " +
		"that they are current; -update rewrites them) and recomputed by docs/fairness-verify.py."}
	for _, s := range [][32]byte{{}, golden, counting(0xff, 0)} {
		v.SeedHash = append(v.SeedHash, SeedCase{Seed: hx(s), SeedHash: hx(lottery.SeedHash(s))})
	}
	for _, e := range [][]string{{}, {"a"}, {"alice", "bob", "carol"}, goldenEntries, realIDs(3)} {
		v.EntriesHash = append(v.EntriesHash, EntriesCase{Entries: e, EntriesHash: hx(lottery.EntriesHash(e))})
	}
	geh := lottery.EntriesHash(goldenEntries)
	w := WordsCase{Seed: hx(golden), EntriesHash: hx(geh)}
	for i := range 5 {
		w.Words = append(w.Words, strconv.FormatUint(word(golden, geh, uint64(i)), 10))
	}
	v.Words = []WordsCase{w}
	big := uint64(1<<62 + 1) // 2^64 mod m = 2^62 − 3: a quarter of the words are rejected
	v.Uniform = []UniformCase{
		uniformCase(t, "m = 1 still takes one word", golden, geh, 1),
		uniformCase(t, "m = 25", golden, geh, 25),
		uniformCase(t, fmt.Sprintf("m = %d, first word rejected", big), rejectingSeed(t, geh, big), geh, big),
	}
	many := make([]string, 57)
	for i := range many {
		many[i] = fmt.Sprintf("user-%03d", i)
	}
	v.Draws = []DrawCase{
		drawCase("golden", golden, goldenEntries, goldenPrizes),
		drawCase("more prizes than entries", golden, []string{"alice", "bob", "carol"}, []lottery.Prize{{Name: "P", Quantity: 5}}),
		drawCase("no entries", golden, []string{}, goldenPrizes),
		drawCase("one entry, two prizes", seedOf("one"), []string{"solo"}, []lottery.Prize{{Name: "A", Quantity: 1}, {Name: "B", Quantity: 1}}),
		drawCase("ids as luckbox issues them, Chinese prize names", seedOf("real ids"), realIDs(10),
			[]lottery.Prize{{Name: "一等奖", Quantity: 1}, {Name: "二等奖", Quantity: 2}}),
		drawCase("57 entries, 17 winners", counting(11, 37), many,
			[]lottery.Prize{{Name: "金奖", Quantity: 3}, {Name: "Silver", Quantity: 5}, {Name: "铜奖", Quantity: 9}}),
	}
	v.Proofs = buildProofs(t)
	v.SplitCommit, v.Packets = buildPackets(t)
	v.Proofs = append(v.Proofs, buildChainProofs(t)...)
	v.Redraws = buildRedraws()
	return v
}
