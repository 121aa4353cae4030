package loadgen

import (
	"strings"
	"testing"

	"luckbox/lottery"
)

func packet(amount int64, count int, grabs map[string]int64, order ...string) PacketView {
	p := PacketView{ID: "p1", Kind: "lucky", Count: count, Amount: amount, Status: "active", RemainingCount: count - len(order)}
	var sum int64
	for _, u := range order {
		p.Grabs = append(p.Grabs, struct {
			UserID string `json:"user_id"`
			Amount int64  `json:"amount"`
		}{u, grabs[u]})
		sum += grabs[u]
	}
	p.RemainingAmount = amount - sum
	return p
}

func TestCheckPacket(t *testing.T) {
	acked := map[string]int64{"a": 3, "b": 5}
	good := packet(20, 4, acked, "a", "b")
	if err := CheckPacket(good, acked); err != nil {
		t.Fatalf("good packet: %v", err)
	}
	cases := []struct {
		name  string
		p     PacketView
		acked map[string]int64
		want  string
	}{
		{"missing grab", packet(20, 4, acked, "a"), acked, "acknowledged grab of b is missing"},
		{"unacknowledged grab", good, map[string]int64{"a": 3}, "never acknowledged"},
		{"wrong amount", good, map[string]int64{"a": 3, "b": 6}, "was told 6 fen, the packet says 5"},
		{"double grab", packet(20, 4, acked, "a", "b", "a"), acked, "grabbed twice"},
		{"money lost", func() PacketView { p := good; p.RemainingAmount--; return p }(), acked, "amount is 20"},
		{"count off", func() PacketView { p := good; p.RemainingCount = 3; return p }(), acked, "remaining_count 3"},
		{"finished early", func() PacketView { p := good; p.Status = "finished"; return p }(), acked, "finished with 2 of 4"},
		{"split differs", func() PacketView {
			p := packet(8, 2, acked, "a", "b")
			p.Split = &struct {
				Shares []int64 `json:"shares"`
			}{[]int64{5, 3}}
			return p
		}(), acked, "the split says 5"},
	}
	for _, c := range cases {
		err := CheckPacket(c.p, c.acked)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	// After a crash, grabs nobody saw answered are allowed; lost ones are not.
	if err := CheckPacketAfterCrash(good, map[string]int64{"a": 3}); err != nil {
		t.Errorf("after crash, extra grab: %v", err)
	}
	if err := CheckPacketAfterCrash(packet(20, 4, acked, "a"), acked); err == nil {
		t.Error("after crash, a lost acknowledged grab passed")
	}
}

func TestCheckDraw(t *testing.T) {
	var seed [32]byte
	seed[0] = 7
	entries := []string{"u1", "u2", "u3", "u4", "u5"}
	prizes := []lottery.Prize{{Name: "gold", Quantity: 1}, {Name: "silver", Quantity: 2}}
	proof := lottery.NewProof("l1", seed, entries, prizes)
	joined := map[string]bool{}
	for _, e := range entries {
		joined[e] = true
	}
	winners := append([]lottery.Winner(nil), proof.Winners...)
	if err := CheckDraw(joined, prizes, winners, proof); err != nil {
		t.Fatalf("good draw: %v", err)
	}
	if len(winners) != 3 {
		t.Fatalf("%d winners", len(winners))
	}
	swapped := append([]lottery.Winner(nil), winners...)
	swapped[0], swapped[1] = swapped[1], swapped[0]
	twice := append([]lottery.Winner(nil), winners...)
	twice[2] = twice[1]
	tampered := proof
	tampered.Winners = swapped
	cases := []struct {
		name    string
		joined  map[string]bool
		winners []lottery.Winner
		proof   lottery.Proof
		want    string
	}{
		{"lost entry", map[string]bool{"u1": true, "u2": true, "u3": true, "u4": true, "u5": true, "u6": true}, winners, proof, "6 joins were acknowledged"},
		{"unknown entry", map[string]bool{"u1": true, "u2": true, "u3": true, "u4": true, "u9": true}, winners, proof, "never acknowledged"},
		{"too few winners", joined, winners[:2], proof, "2 winners listed"},
		{"listed twice", joined, twice, proof, "won twice"},
		{"list differs from proof", joined, swapped, proof, "the proof says"},
		{"proof does not verify", joined, swapped, tampered, "does not verify"},
	}
	for _, c := range cases {
		err := CheckDraw(c.joined, prizes, c.winners, c.proof)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

func rows(groups map[string]string, to map[string]string) []ExchangeResult {
	var out []ExchangeResult
	for _, n := range []string{"a", "b", "c", "d"} {
		r := ExchangeResult{Name: n, Group: groups[n], Drawn: true}
		if t, ok := to[n]; ok {
			r.Recipient = &t
		}
		out = append(out, r)
	}
	return out
}

func TestCheckExchange(t *testing.T) {
	cycle := map[string]string{"a": "c", "c": "b", "b": "d", "d": "a"}
	groups := map[string]string{"a": "x", "b": "x", "c": "y", "d": "y"}
	if err := CheckExchange(rows(groups, cycle), cycle); err != nil {
		t.Fatalf("good exchange: %v", err)
	}
	cases := []struct {
		name   string
		groups map[string]string
		to     map[string]string
		told   map[string]string
		want   string
	}{
		{"self", nil, map[string]string{"a": "a", "b": "c", "c": "d", "d": "b"}, nil, "gives to themselves"},
		{"same group", groups, map[string]string{"a": "b", "b": "c", "c": "d", "d": "a"}, nil, "same group"},
		{"two cycles", nil, map[string]string{"a": "b", "b": "a", "c": "d", "d": "c"}, nil, "not one cycle"},
		{"received twice", nil, map[string]string{"a": "b", "b": "c", "c": "b", "d": "a"}, nil, "receives twice"},
		{"not drawn", nil, map[string]string{"a": "b", "b": "c", "c": "d"}, nil, "d has not drawn"},
		{"stranger", nil, map[string]string{"a": "z", "b": "c", "c": "d", "d": "a"}, nil, "not a participant"},
		{"told otherwise", groups, cycle, map[string]string{"a": "d", "b": "d", "c": "b", "d": "a"}, "a was told \"d\""},
	}
	for _, c := range cases {
		told := c.told
		if told == nil {
			told = c.to
		}
		err := CheckExchange(rows(c.groups, c.to), told)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

func TestPrizesFor(t *testing.T) {
	for _, n := range []int{1, 2, 3, 10, 1000} {
		total := 0
		for _, p := range prizesFor(n) {
			if p.Quantity < 1 {
				t.Errorf("%d winners: prize %+v", n, p)
			}
			total += p.Quantity
		}
		if total != n {
			t.Errorf("%d winners: prizes total %d", n, total)
		}
	}
}

func TestLookup(t *testing.T) {
	all, err := Lookup("all")
	if err != nil || len(all) != len(Scenarios) {
		t.Fatalf("all: %d %v", len(all), err)
	}
	two, err := Lookup("storm, ping")
	if err != nil || len(two) != 2 || two[0].Name != "storm" || two[1].Name != "ping" {
		t.Fatalf("storm, ping: %v %v", two, err)
	}
	if _, err := Lookup("ping,nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("unknown: %v", err)
	}
}

func TestJSONInt(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{`{"amount":123,"best_luck":false}`, 123, true},
		{`{"best_luck":false,"amount": 7}`, 7, true},
		{`{"amount":-5}`, -5, true},
		{`{"amount":"x"}`, 0, false},
		{`{"other":1}`, 0, false},
	} {
		got, ok := jsonInt([]byte(c.in), `"amount":`)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: %d %v", c.in, got, ok)
		}
	}
}
