package packet

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"luckbox/data"
)

// finishedLucky sends a lucky packet of 777 fen in 5 shares and has it
// grabbed by 5 users; it returns the packet as the API shows it then and the
// commitment published when it was sent.
func finishedLucky(t *testing.T) (Packet, string) {
	e := newEnv(t, Options{})
	alice := e.user("alice")
	e.fund(alice, 1000)
	p := e.create(alice, CreateInput{Kind: KindLucky, Count: 5, Amount: 777})
	if err := p.VerifySplit(""); data.RuleOf(err) != RuleRevealed {
		t.Fatalf("VerifySplit before the reveal: %v, want rule %q", err, RuleRevealed)
	}
	for _, u := range users(e, 5, "u") {
		if _, err := e.svc.Grab(ctx, u.Seq, p.ID); err != nil {
			t.Fatal(err)
		}
	}
	return e.get(alice, p.ID), p.Split.Commit
}

// TestVerifySplitRealPacket: a real finished and a real expired lucky packet
// verify, against the commitment seen when they were sent, also after a JSON
// round trip; every kind of tampering names its rule.
func TestVerifySplitRealPacket(t *testing.T) {
	f, commit := finishedLucky(t)
	if err := f.VerifySplit(commit); err != nil {
		t.Fatalf("real finished packet: %v", err)
	}
	raw, _ := json.Marshal(f)
	back, err := ParsePacket(raw)
	if err != nil || back.VerifySplit(commit) != nil {
		t.Fatalf("after a JSON round trip: %v / %v", err, back.VerifySplit(commit))
	}

	for _, tc := range []struct {
		name   string
		change func(p *Packet)
		commit string
		rule   string
		want   string
	}{
		{"equal packet", func(p *Packet) { p.Kind = KindEqual }, "", RuleKind, `packet ` + f.ID + ` is "equal"`},
		{"salt hidden", func(p *Packet) { p.Split.Salt = nil }, "", RuleRevealed, "packet " + f.ID + " is finished: its salt"},
		{"salt upper case", func(p *Packet) { s := strings.ToUpper(*p.Split.Salt); p.Split.Salt = &s }, "", RuleHex, "salt "},
		{"commit short", func(p *Packet) { p.Split.Commit = p.Split.Commit[:62] }, "", RuleHex, "commit "},
		{"another commitment", func(*Packet) {}, strings.Repeat("0", 64), RuleAnchor, "commit " + commit + " is not the commitment 0000"},
		{"shares swapped", func(p *Packet) { swapDiffering(p.Split.Shares) }, "", RuleCommit, "SHA-256(salt ‖ shares) is "},
		{"salt changed", func(p *Packet) { s := "ff" + (*p.Split.Salt)[2:]; p.Split.Salt = &s }, "", RuleCommit, "SHA-256(salt ‖ shares) is "},
		{"share of 0", func(p *Packet) { p.Split.Shares[2] = 0 }, "", RuleShares, "share 2 is 0 fen"},
		{"amount", func(p *Packet) { p.Amount = 778 }, "", RuleShares, "5 shares adding up to 777 fen, but the packet has 5 shares of 778 fen in all"},
		{"count", func(p *Packet) { p.Count = 6 }, "", RuleShares, "5 shares adding up to 777 fen, but the packet has 6 shares"},
		{"grab amount", func(p *Packet) { p.Grabs[3].Amount++ }, "", RuleGrabs, "grab 3 (user "},
		{"grab missing", func(p *Packet) { p.Grabs = p.Grabs[:4] }, "", RuleGrabs, "finished with 4 grabs of 5 shares"},
		{"remaining", func(p *Packet) { p.RemainingAmount = 1 }, "", RuleRemainder, "remaining 1 + refunded 0 fen, but the shares not grabbed add up to 0"},
		{"best luck moved", func(p *Packet) {
			for i := range p.Grabs {
				p.Grabs[i].BestLuck = !p.Grabs[i].BestLuck && i == (bestIndex(p.Split.Shares)+1)%5
			}
		}, "", RuleBestLuck, "grab "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p Packet
			if err := json.Unmarshal(raw, &p); err != nil {
				t.Fatal(err)
			}
			tc.change(&p)
			err := p.VerifySplit(tc.commit)
			if data.RuleOf(err) != tc.rule || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("VerifySplit = %v (rule %q), want rule %q and an error starting %q", err, data.RuleOf(err), tc.rule, tc.want)
			}
		})
	}
}

// swapDiffering swaps the first share with the first one of another
// amount (two equal shares swapped would change nothing).
func swapDiffering(s []int64) {
	for i := 1; i < len(s); i++ {
		if s[i] != s[0] {
			s[0], s[i] = s[i], s[0]
			return
		}
	}
	panic("every share is the same amount")
}

// TestVerifySplitExpired: an expired lucky packet with two grabs verifies:
// its refund is the shares nobody grabbed, and nobody has best luck.
func TestVerifySplitExpired(t *testing.T) {
	e := newEnv(t, Options{TTL: time.Hour})
	alice := e.user("alice")
	e.fund(alice, 1000)
	p := e.create(alice, CreateInput{Kind: KindLucky, Count: 4, Amount: 500})
	for _, u := range users(e, 2, "g") {
		if _, err := e.svc.Grab(ctx, u.Seq, p.ID); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Add(time.Hour)
	seq, _, _ := data.DecodeID(p.ID)
	if did, err := e.svc.Expire(ctx, seq); err != nil || !did {
		t.Fatalf("expire: %v %v", did, err)
	}
	q := e.get(alice, p.ID)
	if q.Status != StatusExpired || q.RefundedAmount == 0 {
		t.Fatalf("expired packet %+v", q)
	}
	if err := q.VerifySplit(p.Split.Commit); err != nil {
		t.Fatalf("real expired packet: %v", err)
	}
	q.RefundedAmount--
	if err := q.VerifySplit(""); data.RuleOf(err) != RuleRemainder {
		t.Errorf("refund short by 1 fen: %v", err)
	}
}

func TestParsePacket(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{`[]`, "packet is not a JSON object: "},
		{`{"id":"x"}`, "the packet has no kind"},
		{`{"id":"x","kind":"lucky","count":"5","amount":1,"status":"finished","remaining_amount":0,"refunded_amount":0,"grabs":[],"split":null}`, "malformed packet: "},
	} {
		if _, err := ParsePacket([]byte(tc.raw)); data.RuleOf(err) != RuleFormat || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("ParsePacket(%s) = %v, want a format error starting %q", tc.raw, err, tc.want)
		}
	}
}
