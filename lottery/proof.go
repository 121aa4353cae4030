package lottery

import (
	"encoding/hex"

	"luckbox/data"
)

// Proof is everything needed to recompute a lottery's winners offline: the
// lottery it belongs to, the revealed seed, its commitment, the entries in
// entry order, the prizes and the winners in draw order. It is what
// GET /api/v1/lotteries/{id}/proof returns. Hashes and the seed are lowercase
// hex. docs/fairness.md specifies every field and the rules Verify applies.
type Proof struct {
	Algorithm   string   `json:"algorithm"`
	LotteryID   string   `json:"lottery_id"`
	Seed        string   `json:"seed"`
	SeedHash    string   `json:"seed_hash"`
	Entries     []string `json:"entries"`
	EntriesHash string   `json:"entries_hash"`
	Prizes      []Prize  `json:"prizes"`
	Winners     []Winner `json:"winners"`
	// Redraws are the redraw rounds of a lottery with a claim window, in
	// order (absent when there were none; see RedrawProof).
	Redraws []RedrawProof `json:"redraws,omitempty"`
}

// NewProof runs the draw of lottery lotteryID for seed, entries and prizes
// and returns its proof. Slices are never nil, so they encode as JSON arrays.
// The entries and prizes are copied.
func NewProof(lotteryID string, seed [32]byte, entries []string, prizes []Prize) Proof {
	eh := EntriesHash(entries)
	sh := SeedHash(seed)
	return Proof{
		Algorithm:   DrawAlgorithm,
		LotteryID:   lotteryID,
		Seed:        hex.EncodeToString(seed[:]),
		SeedHash:    hex.EncodeToString(sh[:]),
		Entries:     append(make([]string, 0, len(entries)), entries...),
		EntriesHash: hex.EncodeToString(eh[:]),
		Prizes:      append(make([]Prize, 0, len(prizes)), prizes...),
		Winners:     Draw(seed, eh, entries, prizes),
	}
}

// Commitment is what a participant knows of a lottery before its draw and
// anchors a proof to: the lottery's id and the seed_hash it published at
// creation (the join answer, the lottery page and the result's inbox item
// carry it). Without it a proof is only self-consistent: one re-drawn with
// a new seed, its hashes and winners recomputed, holds as well. An empty
// field is not checked; a set one must be in canonical form (SeedHash 64
// lowercase hex digits).
type Commitment struct {
	LotteryID string
	SeedHash  string
}

// Rules of a proof, in the order VerifyAgainst checks them; its error is a
// *data.RuleError naming the first one broken (data.RuleOf). docs/fairness.md
// states each.
const (
	RuleFormat        = data.RuleFormat     // a member missing, null or of the wrong type (ParseProof)
	RuleAlgorithm     = "algorithm"         // algorithm is luckbox-draw-v1
	RuleLotteryID     = "lottery_id"        // lottery_id is an id string
	RuleHex           = "hex"               // seed, seed_hash, entries_hash: 64 lowercase hex digits
	RuleAnchorLottery = "anchor.lottery_id" // lottery_id is the expected lottery
	RuleAnchorSeed    = "anchor.seed_hash"  // seed_hash is the commitment published at creation
	RuleSeedHash      = "seed_hash"         // seed_hash = SHA-256(seed)
	RuleEntryFormat   = "entries.format"    // every entry is an id string
	RuleEntryDistinct = "entries.distinct"  // nobody is entered twice
	RuleEntriesHash   = "entries_hash"      // entries_hash = SHA-256 of the entries
	RulePrizes        = "prizes"            // names non-empty and distinct, quantities 1..2^53−1
	RuleWinnerCount   = "winners.count"     // as many winners as recomputed
	RuleWinners       = "winners"           // every winner as recomputed, in draw order
)

// MaxQuantity is the largest prize quantity a proof may carry: 2^53 − 1, the
// largest integer every JSON parser reads exactly.
const MaxQuantity = 1<<53 - 1

// broken is data.Broken, short for the many checks below.
var broken = data.Broken

// ParseProof decodes a proof from JSON: every member must be present and not
// null, and of its type, and so must the members of every prize and winner
// (RuleFormat). Unknown members are ignored. It does not verify the proof.
func ParseProof(raw []byte) (Proof, error) {
	var p Proof
	if err := data.DecodeRecord(raw, &p, "proof", []string{"algorithm", "lottery_id", "seed", "seed_hash", "entries", "entries_hash", "prizes", "winners"}); err != nil {
		return Proof{}, err
	}
	if err := data.RequireItems(raw, "prizes", "prize", "name", "quantity"); err != nil {
		return Proof{}, err
	}
	if err := data.RequireItems(raw, "winners", "winner", "user_id", "prize"); err != nil {
		return Proof{}, err
	}
	return p, parseRedraws(raw)
}

// Verify recomputes the draw from the proof's inputs and checks that it holds
// (see VerifyAgainst), without anchoring it to a commitment.
func (p Proof) Verify() error { return p.VerifyAgainst(Commitment{}) }

// VerifyAgainst checks the proof by the rules of luckbox-draw-v1, in order:
// the algorithm; the lottery id and the hex fields well formed; the lottery
// id and the seed_hash those of c (where set); seed_hash is SHA-256 of the
// seed; the entries well formed (id strings, nobody twice) and hashing to
// entries_hash; the prizes well formed (names non-empty and distinct,
// quantities 1..MaxQuantity); the number of winners; then each winner; then
// the redraw rounds, if any (verifyRedraws, the Rule* of redraw_proof.go). The
// error is a *data.RuleError naming the first rule broken, with both values;
// winners are numbered from 0 as in the proof's winners array, e.g.
// `winner 3: proof says user "u9" won "Gold", recomputed "u4"`.
func (p Proof) VerifyAgainst(c Commitment) error {
	if p.Algorithm != DrawAlgorithm {
		return broken(RuleAlgorithm, "algorithm is %q, this verifier knows %q", p.Algorithm, DrawAlgorithm)
	}
	if !IsIDString(p.LotteryID) {
		return broken(RuleLotteryID, "lottery_id %q is not an id (1 to 64 printable ASCII characters, no space)", p.LotteryID)
	}
	seed, err := decodeHash("seed", p.Seed)
	if err != nil {
		return err
	}
	seedHash, err := decodeHash("seed_hash", p.SeedHash)
	if err != nil {
		return err
	}
	entriesHash, err := decodeHash("entries_hash", p.EntriesHash)
	if err != nil {
		return err
	}
	if c.LotteryID != "" && p.LotteryID != c.LotteryID {
		return broken(RuleAnchorLottery, "the proof is for lottery %s, not %s", p.LotteryID, c.LotteryID)
	}
	if c.SeedHash != "" && p.SeedHash != c.SeedHash {
		return broken(RuleAnchorSeed, "seed_hash %s is not the commitment %s published when the lottery was created: this is not the draw that was promised", p.SeedHash, c.SeedHash)
	}
	if sh := SeedHash(seed); sh != seedHash {
		return broken(RuleSeedHash, "seed_hash %s is not SHA-256 of the seed, which is %s", p.SeedHash, hex.EncodeToString(sh[:]))
	}
	first := make(map[string]int, len(p.Entries))
	for i, e := range p.Entries {
		if !IsIDString(e) {
			return broken(RuleEntryFormat, "entry %d (%q) is not an id (1 to 64 printable ASCII characters, no space)", i, e)
		}
		if j, dup := first[e]; dup {
			return broken(RuleEntryDistinct, "entry %d is user %q again (already entry %d)", i, e, j)
		}
		first[e] = i
	}
	if eh := EntriesHash(p.Entries); eh != entriesHash {
		return broken(RuleEntriesHash, "entries_hash %s does not match the %d entries, which hash to %s", p.EntriesHash, len(p.Entries), hex.EncodeToString(eh[:]))
	}
	names := make(map[string]int, len(p.Prizes))
	for i, pr := range p.Prizes {
		if pr.Name == "" {
			return broken(RulePrizes, "prize %d has no name", i)
		}
		if j, dup := names[pr.Name]; dup {
			return broken(RulePrizes, "prize %d is named %q like prize %d", i, pr.Name, j)
		}
		names[pr.Name] = i
		if pr.Quantity < 1 || pr.Quantity > MaxQuantity {
			return broken(RulePrizes, "prize %d (%q) has quantity %d, want 1 to 2^53-1", i, pr.Name, pr.Quantity)
		}
	}
	want := Draw(seed, entriesHash, p.Entries, p.Prizes)
	if len(p.Winners) != len(want) {
		return broken(RuleWinnerCount, "proof lists %d winners, recomputed %d", len(p.Winners), len(want))
	}
	for i, w := range p.Winners {
		r := want[i]
		switch {
		case w.UserID != r.UserID && w.Prize == r.Prize:
			return broken(RuleWinners, "winner %d: proof says user %q won %q, recomputed %q", i, w.UserID, w.Prize, r.UserID)
		case w != r:
			return broken(RuleWinners, "winner %d: proof says user %q won %q, recomputed user %q won %q", i, w.UserID, w.Prize, r.UserID, r.Prize)
		}
	}
	return p.verifyRedraws()
}

// IsIDString reports whether s is an id string of the fairness
// specification: 1 to 64 bytes, each printable ASCII other than space (0x21
// to 0x7E). Every lottery and user id luckbox issues is one (26 characters
// of lowercase base32); entries and lottery ids of a proof must be.
func IsIDString(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := range len(s) {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// decodeHash decodes a 64-digit lowercase hex field of a proof.
func decodeHash(field, s string) ([32]byte, error) {
	var out [32]byte
	if !IsHex32(s) {
		return out, broken(RuleHex, "%s %q is not 64 lowercase hex digits", field, s)
	}
	_, _ = hex.Decode(out[:], []byte(s))
	return out, nil
}

// IsHex32 reports whether s is 32 bytes in canonical hex: 64 digits 0-9a-f.
// Hashes, seeds and salts are published so, and verifiers accept nothing
// else (so a value has exactly one spelling).
func IsHex32(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := range len(s) {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
