package lottery

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Proof is everything needed to recompute a lottery's winners offline: the
// revealed seed, its commitment, the entries in join order, the prizes and the
// winners. It is what GET /api/v1/lotteries/{id}/proof returns. Hashes and the
// seed are lowercase hex.
type Proof struct {
	Algorithm   string   `json:"algorithm"`
	Seed        string   `json:"seed"`
	SeedHash    string   `json:"seed_hash"`
	Entries     []string `json:"entries"`
	EntriesHash string   `json:"entries_hash"`
	Prizes      []Prize  `json:"prizes"`
	Winners     []Winner `json:"winners"`
}

// NewProof runs the draw for seed, entries and prizes and returns its proof.
// Slices are never nil, so they encode as JSON arrays. The entries and prizes
// are copied.
func NewProof(seed [32]byte, entries []string, prizes []Prize) Proof {
	eh := EntriesHash(entries)
	sh := SeedHash(seed)
	return Proof{
		Algorithm:   DrawAlgorithm,
		Seed:        hex.EncodeToString(seed[:]),
		SeedHash:    hex.EncodeToString(sh[:]),
		Entries:     append(make([]string, 0, len(entries)), entries...),
		EntriesHash: hex.EncodeToString(eh[:]),
		Prizes:      append(make([]Prize, 0, len(prizes)), prizes...),
		Winners:     Draw(seed, eh, entries, prizes),
	}
}

// Verify recomputes the draw from the proof's inputs and checks it, in order:
// the algorithm name, that seed_hash is SHA-256 of the seed, that the entries
// are well formed (no newline, nobody twice), that entries_hash matches them,
// that every prize quantity is at least 1, the number of winners and then each
// winner. The error names the first check that failed, with both values;
// winners are numbered from 0 as in the proof's winners array, e.g.
// `winner 3: proof says user "u9" won "Gold", recomputed "u4"`.
func (p Proof) Verify() error {
	if p.Algorithm != DrawAlgorithm {
		return fmt.Errorf("algorithm is %q, this verifier knows %q", p.Algorithm, DrawAlgorithm)
	}
	seed, err := decodeHash("seed", p.Seed)
	if err != nil {
		return err
	}
	seedHash, err := decodeHash("seed_hash", p.SeedHash)
	if err != nil {
		return err
	}
	if sh := SeedHash(seed); sh != seedHash {
		return fmt.Errorf("seed_hash %s is not SHA-256 of the seed, which is %s", p.SeedHash, hex.EncodeToString(sh[:]))
	}
	first := make(map[string]int, len(p.Entries))
	for i, e := range p.Entries {
		if strings.ContainsAny(e, "\r\n") {
			return fmt.Errorf("entry %d (%q) contains a line break", i, e)
		}
		if j, dup := first[e]; dup {
			return fmt.Errorf("entry %d is user %q again (already entry %d)", i, e, j)
		}
		first[e] = i
	}
	entriesHash, err := decodeHash("entries_hash", p.EntriesHash)
	if err != nil {
		return err
	}
	if eh := EntriesHash(p.Entries); eh != entriesHash {
		return fmt.Errorf("entries_hash %s does not match the %d entries, which hash to %s", p.EntriesHash, len(p.Entries), hex.EncodeToString(eh[:]))
	}
	for i, pr := range p.Prizes {
		if pr.Quantity < 1 {
			return fmt.Errorf("prize %d (%q) has quantity %d, want at least 1", i, pr.Name, pr.Quantity)
		}
	}
	want := Draw(seed, entriesHash, p.Entries, p.Prizes)
	if len(p.Winners) != len(want) {
		return fmt.Errorf("proof lists %d winners, recomputed %d", len(p.Winners), len(want))
	}
	for i, w := range p.Winners {
		r := want[i]
		switch {
		case w.UserID != r.UserID && w.Prize == r.Prize:
			return fmt.Errorf("winner %d: proof says user %q won %q, recomputed %q", i, w.UserID, w.Prize, r.UserID)
		case w != r:
			return fmt.Errorf("winner %d: proof says user %q won %q, recomputed user %q won %q", i, w.UserID, w.Prize, r.UserID, r.Prize)
		}
	}
	return nil
}

// decodeHash decodes a 64-digit hex field of a proof.
func decodeHash(field, s string) ([32]byte, error) {
	var out [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(out) {
		return out, fmt.Errorf("%s %q is not 64 hex digits", field, s)
	}
	copy(out[:], b)
	return out, nil
}
