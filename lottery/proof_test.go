package lottery

import (
	"encoding/json"
	"luckbox/data"
	"slices"
	"strings"
	"testing"
)

func goldenProof() Proof {
	return NewProof("lottery-1", goldenSeed(), userIDs(25), goldenPrizes)
}

func TestNewProofGolden(t *testing.T) {
	p := goldenProof()
	if err := p.Verify(); err != nil {
		t.Fatalf("Verify on a real draw: %v", err)
	}
	if p.Algorithm != "luckbox-draw-v1" ||
		p.Seed != "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" ||
		p.SeedHash != "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd" ||
		p.EntriesHash != "24a6dba955fd63a5a06c413496c669ca0f4bf86edc2ae0a3e75cc3a23501cd30" {
		t.Errorf("proof header = %q %q %q %q", p.Algorithm, p.Seed, p.SeedHash, p.EntriesHash)
	}
	if len(p.Winners) != 6 || p.Winners[0] != (Winner{"u20", "Gold"}) {
		t.Errorf("winners = %v", p.Winners)
	}
}

func TestProofJSON(t *testing.T) {
	p := NewProof("lottery-1", goldenSeed(), nil, nil)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"algorithm":"luckbox-draw-v1","lottery_id":"lottery-1","seed":"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",` +
		`"seed_hash":"630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd","entries":[],` +
		`"entries_hash":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","prizes":[],"winners":[]}`
	if string(b) != want {
		t.Errorf("JSON = %s\nwant   %s", b, want)
	}
	var back Proof
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.Verify(); err != nil {
		t.Errorf("Verify after a JSON round trip: %v", err)
	}
}

func TestNewProofCopiesInputs(t *testing.T) {
	entries := userIDs(5)
	prizes := slices.Clone(goldenPrizes)
	p := NewProof("lottery-1", goldenSeed(), entries, prizes)
	entries[0] = "changed"
	prizes[0].Quantity = 9
	if err := p.Verify(); err != nil {
		t.Errorf("proof changed with its caller's slices: %v", err)
	}
}

func TestProofVerifyFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(p *Proof)
		want   string
	}{
		{"algorithm", func(p *Proof) { p.Algorithm = "luckbox-draw-v2" },
			`algorithm is "luckbox-draw-v2", this verifier knows "luckbox-draw-v1"`},
		{"seed", func(p *Proof) { p.Seed = "ff" + p.Seed[2:] },
			"seed_hash 630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd is not SHA-256 of the seed, which is "},
		{"seed not hex", func(p *Proof) { p.Seed = "xyz" }, `seed "xyz" is not 64 lowercase hex digits`},
		{"seed short", func(p *Proof) { p.Seed = p.Seed[:62] }, `seed "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e" is not 64 lowercase hex digits`},
		{"seed upper case", func(p *Proof) { p.Seed = strings.ToUpper(p.Seed) }, `seed "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F" is not 64 lowercase hex digits`},
		{"seed hash upper case", func(p *Proof) { p.SeedHash = strings.ToUpper(p.SeedHash) }, `seed_hash "630DCD`},
		{"no lottery id", func(p *Proof) { p.LotteryID = "" }, `lottery_id "" is not an id`},
		{"lottery id with a space", func(p *Proof) { p.LotteryID = "a b" }, `lottery_id "a b" is not an id`},
		{"seed hash", func(p *Proof) { p.SeedHash = strings.Repeat("0", 64) },
			"seed_hash 0000000000000000000000000000000000000000000000000000000000000000 is not SHA-256 of the seed, which is 630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd"},
		{"entry changed", func(p *Proof) { p.Entries[3] = "u99" },
			"entries_hash 24a6dba955fd63a5a06c413496c669ca0f4bf86edc2ae0a3e75cc3a23501cd30 does not match the 25 entries, which hash to "},
		{"entry removed", func(p *Proof) { p.Entries = p.Entries[1:] },
			"entries_hash 24a6dba955fd63a5a06c413496c669ca0f4bf86edc2ae0a3e75cc3a23501cd30 does not match the 24 entries"},
		{"entry twice", func(p *Proof) { p.Entries[7] = "u2" }, `entry 7 is user "u2" again (already entry 1)`},
		{"entry newline", func(p *Proof) { p.Entries[4] = "u5\nu6" }, `entry 4 ("u5\nu6") is not an id`},
		{"entry non-ASCII", func(p *Proof) { p.Entries[4] = "ü5" }, `entry 4 ("ü5") is not an id`},
		{"entry empty", func(p *Proof) { p.Entries[4] = "" }, `entry 4 ("") is not an id`},
		{"entry too long", func(p *Proof) { p.Entries[4] = strings.Repeat("x", 65) }, `entry 4 ("xxxxxxxx`},
		{"entries hash", func(p *Proof) { p.EntriesHash = "zz" }, `entries_hash "zz" is not 64 lowercase hex digits`},
		{"prize quantity up", func(p *Proof) { p.Prizes[2].Quantity = 4 }, "proof lists 6 winners, recomputed 7"},
		{"prize quantity down", func(p *Proof) { p.Prizes[0].Quantity = 0 }, `prize 0 ("Gold") has quantity 0, want 1 to 2^53-1`},
		{"prize quantity negative", func(p *Proof) { p.Prizes[2].Quantity = -1 }, `prize 2 ("Bronze") has quantity -1, want 1 to 2^53-1`},
		{"prize quantity huge", func(p *Proof) { p.Prizes[2].Quantity = 1 << 53 }, `prize 2 ("Bronze") has quantity 9007199254740992, want 1 to 2^53-1`},
		{"prize name twice", func(p *Proof) { p.Prizes[2].Name = "Gold" }, `prize 2 is named "Gold" like prize 0`},
		{"prize without a name", func(p *Proof) { p.Prizes[1].Name = "" }, `prize 1 has no name`},
		{"prize moved", func(p *Proof) { p.Prizes[0].Quantity, p.Prizes[1].Quantity = 2, 1 },
			`winner 1: proof says user "u1" won "Silver", recomputed user "u1" won "Gold"`},
		{"winner user", func(p *Proof) { p.Winners[3].UserID = "u9" },
			`winner 3: proof says user "u9" won "Bronze", recomputed "u13"`},
		{"winner prize", func(p *Proof) { p.Winners[0].Prize = "Silver" },
			`winner 0: proof says user "u20" won "Silver", recomputed user "u20" won "Gold"`},
		{"winner swapped", func(p *Proof) { p.Winners[4], p.Winners[5] = p.Winners[5], p.Winners[4] },
			`winner 4: proof says user "u6" won "Bronze", recomputed "u8"`},
		{"winner dropped", func(p *Proof) { p.Winners = p.Winners[:5] }, "proof lists 5 winners, recomputed 6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := goldenProof()
			tc.change(&p)
			err := p.Verify()
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("Verify = %v, want an error starting %q", err, tc.want)
			}
			if data.RuleOf(err) == "" {
				t.Errorf("Verify = %v names no rule", err)
			}
		})
	}
}

// TestProofAnchored: a proof re-drawn from scratch (another seed, every hash
// and winner recomputed) holds on its own, and is refused once anchored to
// the lottery id and seed_hash published at creation; a proof of another
// lottery is refused by its id.
func TestProofAnchored(t *testing.T) {
	real := goldenProof()
	c := Commitment{LotteryID: real.LotteryID, SeedHash: real.SeedHash}
	if err := real.VerifyAgainst(c); err != nil {
		t.Fatalf("the real proof against its own commitment: %v", err)
	}
	var other [32]byte
	other[0] = 7
	redrawn := NewProof(real.LotteryID, other, real.Entries, real.Prizes)
	if err := redrawn.Verify(); err != nil {
		t.Fatalf("a re-drawn proof is self-consistent, yet: %v", err)
	}
	err := redrawn.VerifyAgainst(c)
	if data.RuleOf(err) != RuleAnchorSeed || !strings.Contains(err.Error(), "is not the commitment "+real.SeedHash+" published when the lottery was created") {
		t.Errorf("re-drawn proof against the commitment: %v (rule %q)", err, data.RuleOf(err))
	}
	err = real.VerifyAgainst(Commitment{LotteryID: "lottery-2"})
	if data.RuleOf(err) != RuleAnchorLottery || err.Error() != "the proof is for lottery lottery-1, not lottery-2" {
		t.Errorf("another lottery's proof: %v (rule %q)", err, data.RuleOf(err))
	}
	if err := real.VerifyAgainst(Commitment{SeedHash: real.SeedHash}); err != nil {
		t.Errorf("seed hash alone: %v", err)
	}
}

// TestParseProof: every member must be there and not null; types are checked.
func TestParseProof(t *testing.T) {
	raw, _ := json.Marshal(goldenProof())
	p, err := ParseProof(raw)
	if err != nil || p.Verify() != nil || p.LotteryID != "lottery-1" {
		t.Fatalf("ParseProof(real) = %+v, %v", p, err)
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"no lottery id", `"lottery_id":"lottery-1",`, ``, "the proof has no lottery_id"},
		{"null entries", `"entries":[`, `"entries":null,"x":[`, "the proof has no entries"},
		{"quantity a string", `"quantity":1`, `"quantity":"1"`, "malformed proof: "},
		{"quantity fractional", `"quantity":1`, `"quantity":1.5`, "malformed proof: "},
		{"not an object", string(raw), `[]`, "proof is not a JSON object: "},
	} {
		_, err := ParseProof([]byte(strings.Replace(string(raw), tc.from, tc.to, 1)))
		if data.RuleOf(err) != RuleFormat || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a format error starting %q", tc.name, err, tc.want)
		}
	}
}

func TestIsIDStringAndHex(t *testing.T) {
	for s, want := range map[string]bool{"u1": true, "aaaaaaaaaaaaaaebk2l3m4n5o6": true, "!~": true, strings.Repeat("a", 64): true,
		"": false, "a b": false, "a\n": false, "é": false, "\x7f": false, strings.Repeat("a", 65): false} {
		if IsIDString(s) != want {
			t.Errorf("IsIDString(%q) = %v", s, !want)
		}
	}
	h := strings.Repeat("0a", 32)
	for s, want := range map[string]bool{h: true, strings.ToUpper(h): false, h[:62]: false, h + "00": false, "g" + h[1:]: false} {
		if IsHex32(s) != want {
			t.Errorf("IsHex32(%q) = %v", s, !want)
		}
	}
}
