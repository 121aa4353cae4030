package lottery

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func goldenProof() Proof {
	return NewProof(goldenSeed(), userIDs(25), goldenPrizes)
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
	p := NewProof(goldenSeed(), nil, nil)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"algorithm":"luckbox-draw-v1","seed":"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",` +
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
	p := NewProof(goldenSeed(), entries, prizes)
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
		{"seed not hex", func(p *Proof) { p.Seed = "xyz" }, `seed "xyz" is not 64 hex digits`},
		{"seed short", func(p *Proof) { p.Seed = p.Seed[:62] }, `seed "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e" is not 64 hex digits`},
		{"seed hash", func(p *Proof) { p.SeedHash = strings.Repeat("0", 64) },
			"seed_hash 0000000000000000000000000000000000000000000000000000000000000000 is not SHA-256 of the seed, which is 630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd"},
		{"entry changed", func(p *Proof) { p.Entries[3] = "u99" },
			"entries_hash 24a6dba955fd63a5a06c413496c669ca0f4bf86edc2ae0a3e75cc3a23501cd30 does not match the 25 entries, which hash to "},
		{"entry removed", func(p *Proof) { p.Entries = p.Entries[1:] },
			"entries_hash 24a6dba955fd63a5a06c413496c669ca0f4bf86edc2ae0a3e75cc3a23501cd30 does not match the 24 entries"},
		{"entry twice", func(p *Proof) { p.Entries[7] = "u2" }, `entry 7 is user "u2" again (already entry 1)`},
		{"entry newline", func(p *Proof) { p.Entries[4] = "u5\nu6" }, `entry 4 ("u5\nu6") contains a line break`},
		{"entries hash", func(p *Proof) { p.EntriesHash = "zz" }, `entries_hash "zz" is not 64 hex digits`},
		{"prize quantity up", func(p *Proof) { p.Prizes[2].Quantity = 4 }, "proof lists 6 winners, recomputed 7"},
		{"prize quantity down", func(p *Proof) { p.Prizes[0].Quantity = 0 }, `prize 0 ("Gold") has quantity 0, want at least 1`},
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
		})
	}
}
