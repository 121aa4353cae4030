package lottery

import (
	"encoding/hex"
	"encoding/json"
	"time"

	"luckbox/data"
)

// RedrawProof is one redraw round of a proof (docs/fairness.md, 2.8): its
// revealed seed and the commitment published when the previous claim window
// opened, when that commitment was made and when the window closed, the
// previous round's winners who let it lapse, the hash of the eligible
// entries, the lapsed prizes and the round's winners in draw order.
type RedrawProof struct {
	Round        int      `json:"round"`
	Seed         string   `json:"seed"`
	SeedHash     string   `json:"seed_hash"`
	CommittedAt  string   `json:"committed_at"`
	Deadline     string   `json:"deadline"`
	Lapsed       []string `json:"lapsed"`
	EligibleHash string   `json:"eligible_hash"`
	Prizes       []Prize  `json:"prizes"`
	Winners      []Winner `json:"winners"`
}

// ProofTime is the layout of the times of a proof: RFC 3339 in UTC to the
// second, so that comparing the strings compares the times.
const ProofTime = "2006-01-02T15:04:05Z"

// Rules of the redraw rounds of a proof, checked after those of the main
// draw, round by round, in this order.
const (
	RuleRedrawRound    = "redraws.round"         // round i (from 0) is number i+1
	RuleRedrawHex      = "redraws.hex"           // seed, seed_hash, eligible_hash: 64 lowercase hex digits
	RuleRedrawSeedHash = "redraws.seed_hash"     // seed_hash = SHA-256(seed)
	RuleRedrawTime     = "redraws.time"          // committed_at < deadline, deadlines increasing
	RuleRedrawLapsed   = "redraws.lapsed"        // winners of the previous round, in its draw order, at least one
	RuleRedrawPrizes   = "redraws.prizes"        // the lapsed winners' prizes, grouped by the prize list
	RuleRedrawEligible = "redraws.eligible_hash" // hash of the entries minus every earlier winner
	RuleRedrawCount    = "redraws.winners.count" // as many winners as recomputed
	RuleRedrawWinners  = "redraws.winners"       // every winner as recomputed, in draw order
)

// parseRedraws checks the format of the optional redraws member of a raw
// proof: absent means none; present, a list of objects with every member of
// RedrawProof, and prizes and winners of the right shape.
func parseRedraws(raw []byte) error {
	var doc map[string]json.RawMessage
	if json.Unmarshal(raw, &doc) != nil {
		return broken(RuleFormat, "the proof is not a JSON object")
	}
	r, ok := doc["redraws"]
	if !ok {
		return nil
	}
	if err := data.RequireItems(raw, "redraws", "redraw",
		"round", "seed", "seed_hash", "committed_at", "deadline", "lapsed", "eligible_hash", "prizes", "winners"); err != nil {
		return err
	}
	var rounds []json.RawMessage
	if err := json.Unmarshal(r, &rounds); err != nil {
		return broken(RuleFormat, "redraws is not a list: %v", err)
	}
	for _, round := range rounds {
		if err := data.RequireItems(round, "prizes", "redraw prize", "name", "quantity"); err != nil {
			return err
		}
		if err := data.RequireItems(round, "winners", "redraw winner", "user_id", "prize"); err != nil {
			return err
		}
	}
	return nil
}

// verifyRedraws checks the redraw rounds of a proof whose main draw holds
// (winners are the main draw's, recomputed and equal to the proof's).
func (p Proof) verifyRedraws() error {
	won := make(map[string]bool, len(p.Winners))
	for _, w := range p.Winners {
		won[w.UserID] = true
	}
	prev := p.Winners
	lastDeadline := ""
	for i, rd := range p.Redraws {
		if rd.Round != i+1 {
			return broken(RuleRedrawRound, "redraw %d is numbered %d, want %d", i, rd.Round, i+1)
		}
		seed, err := redrawHash(i, "seed", rd.Seed)
		if err != nil {
			return err
		}
		seedHash, err := redrawHash(i, "seed_hash", rd.SeedHash)
		if err != nil {
			return err
		}
		eh, err := redrawHash(i, "eligible_hash", rd.EligibleHash)
		if err != nil {
			return err
		}
		if sh := SeedHash(seed); sh != seedHash {
			return broken(RuleRedrawSeedHash, "redraw %d: seed_hash %s is not SHA-256 of the seed, which is %s", rd.Round, rd.SeedHash, hex.EncodeToString(sh[:]))
		}
		if err := checkRedrawTimes(rd, lastDeadline); err != nil {
			return err
		}
		lastDeadline = rd.Deadline
		lapsedPrizes, err := lapsedOf(rd, prev)
		if err != nil {
			return err
		}
		want := LapsedPrizes(p.Prizes, lapsedPrizes)
		if !samePrizes(rd.Prizes, want) {
			return broken(RuleRedrawPrizes, "redraw %d: prizes %v are not those of the lapsed winners, %v", rd.Round, rd.Prizes, want)
		}
		eligible := Eligible(p.Entries, won)
		gotEH, winners := Redraw(seed, eligible, want)
		if gotEH != eh {
			return broken(RuleRedrawEligible, "redraw %d: eligible_hash %s is not the hash of the %d entries that have not won, %s", rd.Round, rd.EligibleHash, len(eligible), hex.EncodeToString(gotEH[:]))
		}
		if len(rd.Winners) != len(winners) {
			return broken(RuleRedrawCount, "redraw %d lists %d winners, recomputed %d", rd.Round, len(rd.Winners), len(winners))
		}
		for j, w := range rd.Winners {
			if w != winners[j] {
				return broken(RuleRedrawWinners, "redraw %d winner %d: proof says user %q won %q, recomputed user %q won %q", rd.Round, j, w.UserID, w.Prize, winners[j].UserID, winners[j].Prize)
			}
			won[w.UserID] = true
		}
		prev = rd.Winners
	}
	return nil
}

// redrawHash decodes a hex field of redraw round i.
func redrawHash(i int, field, s string) ([32]byte, error) {
	var out [32]byte
	if !IsHex32(s) {
		return out, broken(RuleRedrawHex, "redraw %d: %s %q is not 64 lowercase hex digits", i+1, field, s)
	}
	_, _ = hex.Decode(out[:], []byte(s))
	return out, nil
}

// checkRedrawTimes checks that a round's seed was committed before the claim
// deadline it follows, and that deadlines increase round after round.
func checkRedrawTimes(rd RedrawProof, lastDeadline string) error {
	for _, t := range []struct{ name, v string }{{"committed_at", rd.CommittedAt}, {"deadline", rd.Deadline}} {
		if _, err := time.Parse(ProofTime, t.v); err != nil || len(t.v) != len(ProofTime) {
			return broken(RuleRedrawTime, "redraw %d: %s %q is not a UTC time like 2026-12-03T20:00:00Z", rd.Round, t.name, t.v)
		}
	}
	if rd.CommittedAt >= rd.Deadline {
		return broken(RuleRedrawTime, "redraw %d: its seed was committed at %s, not before the claim deadline %s", rd.Round, rd.CommittedAt, rd.Deadline)
	}
	if rd.Deadline <= lastDeadline {
		return broken(RuleRedrawTime, "redraw %d: deadline %s is not after the previous round's %s", rd.Round, rd.Deadline, lastDeadline)
	}
	return nil
}

// lapsedOf checks that the round's lapsed users are distinct winners of the
// previous round, listed in its draw order, at least one, and returns the
// names of the prizes they had won.
func lapsedOf(rd RedrawProof, prev []Winner) ([]string, error) {
	if len(rd.Lapsed) == 0 {
		return nil, broken(RuleRedrawLapsed, "redraw %d: no winner lapsed, so there is nothing to redraw", rd.Round)
	}
	names := make([]string, 0, len(rd.Lapsed))
	j := 0
	for _, u := range rd.Lapsed {
		for j < len(prev) && prev[j].UserID != u {
			j++
		}
		if j == len(prev) {
			return nil, broken(RuleRedrawLapsed, "redraw %d: lapsed user %q is not a winner of the previous round (or not in its draw order, or listed twice)", rd.Round, u)
		}
		names = append(names, prev[j].Prize)
		j++
	}
	return names, nil
}

func samePrizes(a, b []Prize) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// proofWinners returns the winners of every round of lottery seq as a
// proof lists them, by round, each round in draw order.
func proofWinners(tx data.Tx, seq uint64, r *record) map[int][]Winner {
	out := map[int][]Winner{}
	for round, ws := range readWinners(tx, seq) {
		for _, w := range ws {
			pw := Winner{UserID: data.EncodeID(w.user, w.tag)}
			if w.prize < len(r.Prizes) {
				pw.Prize = r.Prizes[w.prize].Name
			}
			out[round] = append(out[round], pw)
		}
	}
	return out
}

// redrawProofs are the drawn redraw rounds of r as a proof shows them (nil
// when none was drawn, so the member is left out).
func (r *record) redrawProofs(winners map[int][]Winner) []RedrawProof {
	var out []RedrawProof
	for i, rd := range r.Redraws {
		if rd.DrawnAt == nil || i >= len(r.Windows) {
			break
		}
		out = append(out, RedrawProof{
			Round: i + 1, Seed: rd.Seed, SeedHash: rd.SeedHash,
			CommittedAt: rd.CommittedAt.UTC().Format(ProofTime), Deadline: r.Windows[i].Deadline.UTC().Format(ProofTime),
			Lapsed: append([]string{}, rd.Lapsed...), EligibleHash: rd.EligibleHash,
			Prizes: append([]Prize{}, rd.Prizes...), Winners: append([]Winner{}, winners[i+1]...),
		})
	}
	return out
}
