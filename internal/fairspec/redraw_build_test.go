package fairspec

import (
	"encoding/hex"
	"strings"
	"testing"

	"luckbox/data"
	"luckbox/lottery"
)

// redrawCase runs one redraw round alone.
func redrawCase(name string, seed [32]byte, entries, earlier []string, list []lottery.Prize, lapsed []string) RedrawCase {
	won := map[string]bool{}
	for _, e := range earlier {
		won[e] = true
	}
	prizes := lottery.LapsedPrizes(list, lapsed)
	eh, winners := lottery.Redraw(seed, lottery.Eligible(entries, won), prizes)
	return RedrawCase{Name: name, Seed: hx(seed), Entries: entries, Earlier: append([]string{}, earlier...), PrizeList: list,
		Lapsed: lapsed, EligibleHash: hx(eh), Prizes: prizes, Winners: winners}
}

func buildRedraws() []RedrawCase {
	list := []lottery.Prize{{Name: "Gold", Quantity: 1}, {Name: "Silver", Quantity: 2}, {Name: "Bronze", Quantity: 3}}
	return []RedrawCase{
		redrawCase("golden: three lapsed of six", counting(0, 1), users(25, "u"), []string{"u20", "u1", "u25", "u13", "u8", "u6"}, list,
			[]string{"Silver", "Bronze", "Gold"}),
		redrawCase("more lapsed prizes than eligible entries", seedOf("few"), users(4, "u"), []string{"u2", "u3"}, list,
			[]string{"Bronze", "Bronze", "Silver"}),
		redrawCase("nobody eligible", seedOf("none"), users(2, "u"), []string{"u1", "u2"}, list, []string{"Gold"}),
	}
}

// roundSpec says which winners of the previous round lapse (their positions
// in its draw order), the round's seed and times.
type roundSpec struct {
	lapse                 []int
	seed                  [32]byte
	committedAt, deadline string
}

// chainProof is a proof of a main draw followed by redraw rounds as the
// server computes them.
func chainProof(id string, seed [32]byte, entries []string, prizes []lottery.Prize, rounds []roundSpec) lottery.Proof {
	p := lottery.NewProof(id, seed, entries, prizes)
	won := map[string]bool{}
	for _, w := range p.Winners {
		won[w.UserID] = true
	}
	prev := p.Winners
	for i, r := range rounds {
		var lapsed, names []string
		for _, j := range r.lapse {
			lapsed, names = append(lapsed, prev[j].UserID), append(names, prev[j].Prize)
		}
		rp := lottery.LapsedPrizes(prizes, names)
		eh, winners := lottery.Redraw(r.seed, lottery.Eligible(entries, won), rp)
		sh := lottery.SeedHash(r.seed)
		p.Redraws = append(p.Redraws, lottery.RedrawProof{Round: i + 1, Seed: hx(r.seed), SeedHash: hx(sh),
			CommittedAt: r.committedAt, Deadline: r.deadline, Lapsed: lapsed, EligibleHash: hx(eh), Prizes: rp, Winners: winners})
		for _, w := range winners {
			won[w.UserID] = true
		}
		prev = winners
	}
	return p
}

func buildChainProofs(t *testing.T) []ProofCase {
	entries := realIDs(9)
	prizes := []lottery.Prize{{Name: "一等奖", Quantity: 1}, {Name: "二等奖", Quantity: 2}}
	id := data.EncodeID(44, 0xc1a1)
	rounds := []roundSpec{
		{[]int{1, 2}, seedOf("redraw 1"), "2026-12-03T20:00:00Z", "2026-12-04T20:00:00Z"},
		{[]int{0}, seedOf("redraw 2"), "2026-12-04T20:00:03Z", "2026-12-05T20:00:03Z"},
	}
	chain := chainProof(id, seedOf("chain"), entries, prizes, rounds)
	anchor := &CommitmentCase{LotteryID: id, SeedHash: chain.SeedHash}
	rd := func(i int, key string, v any) func(map[string]any) {
		return func(m map[string]any) { m["redraws"].([]any)[i].(map[string]any)[key] = v }
	}
	rdWinner := func(i, j int, key string, v any) func(map[string]any) {
		return func(m map[string]any) {
			m["redraws"].([]any)[i].(map[string]any)["winners"].([]any)[j].(map[string]any)[key] = v
		}
	}
	// The eligible set not shrunk: an earlier winner may be drawn again
	// (every hash and winner of the round recomputed from that wrong set).
	again := chain
	again.Redraws = append([]lottery.RedrawProof{}, chain.Redraws[:1]...)
	{
		r := &again.Redraws[0]
		var seed [32]byte
		copy(seed[:], mustHex(t, r.Seed))
		eh, winners := lottery.Redraw(seed, entries, r.Prizes)
		r.EligibleHash, r.Winners = hx(eh), winners
	}
	earlier := chain.Winners[0].UserID
	return []ProofCase{
		proofCase(t, "redraws: a chain of two rounds", chain, anchor, "", nil),
		proofCase(t, "redraws: a round without its lapsed", chain, nil, lottery.RuleFormat, func(m map[string]any) {
			delete(m["redraws"].([]any)[0].(map[string]any), "lapsed")
		}),
		proofCase(t, "redraws: a round winner without a prize", chain, nil, lottery.RuleFormat, rdWinner(0, 0, "prize", nil)),
		proofCase(t, "redraws: rounds renumbered", chain, nil, lottery.RuleRedrawRound, rd(1, "round", 3)),
		proofCase(t, "redraws: upper-case seed", chain, nil, lottery.RuleRedrawHex, rd(0, "seed", strings.ToUpper(chain.Redraws[0].Seed))),
		proofCase(t, "redraws: another seed than committed", chain, nil, lottery.RuleRedrawSeedHash, rd(1, "seed", chain.Redraws[0].Seed)),
		proofCase(t, "redraws: seed committed after the deadline", chain, nil, lottery.RuleRedrawTime, rd(0, "committed_at", "2026-12-04T20:00:01Z")),
		proofCase(t, "redraws: a time with a zone offset", chain, nil, lottery.RuleRedrawTime, rd(0, "deadline", "2026-12-05T04:00:00+08:00")),
		proofCase(t, "redraws: deadlines not increasing", chain, nil, lottery.RuleRedrawTime, func(m map[string]any) {
			rd(1, "committed_at", "2026-12-01T00:00:00Z")(m)
			rd(1, "deadline", "2026-12-02T00:00:00Z")(m)
		}),
		proofCase(t, "redraws: nobody lapsed", chain, nil, lottery.RuleRedrawLapsed, rd(0, "lapsed", []any{})),
		proofCase(t, "redraws: a lapsed user who did not win the round before", chain, nil, lottery.RuleRedrawLapsed,
			rd(1, "lapsed", []any{chain.Winners[0].UserID})),
		proofCase(t, "redraws: lapsed out of draw order", chain, nil, lottery.RuleRedrawLapsed,
			rd(0, "lapsed", []any{chain.Redraws[0].Lapsed[1], chain.Redraws[0].Lapsed[0]})),
		proofCase(t, "redraws: prizes other than the lapsed ones", chain, nil, lottery.RuleRedrawPrizes,
			rd(0, "prizes", []any{map[string]any{"name": "一等奖", "quantity": 2}})),
		proofCase(t, "redraws: an earlier winner left eligible and drawn again", again, nil, lottery.RuleRedrawEligible, nil),
		proofCase(t, "redraws: a round winner dropped", chain, nil, lottery.RuleRedrawCount, func(m map[string]any) {
			r := m["redraws"].([]any)[0].(map[string]any)
			r["winners"] = r["winners"].([]any)[:1]
		}),
		proofCase(t, "redraws: a round won by an earlier winner", chain, nil, lottery.RuleRedrawWinners, rdWinner(1, 0, "user_id", earlier)),
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
