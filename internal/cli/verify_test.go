package cli

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"luckbox/lottery"
)

// verifyRun runs `luckbox verify args...` and returns its output.
func verifyRun(args ...string) (string, error) {
	var out bytes.Buffer
	err := Run(context.Background(), append([]string{"verify"}, args...), noEnv, &out, &out)
	return out.String(), err
}

// writeJSON writes v to a file in dir and returns its path.
func writeJSON(t *testing.T, dir, name string, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestVerifyRealDraw draws a lottery on the real server, then checks its
// proof with `luckbox verify` from the URL (anchored to the lottery the
// server publishes), a file and standard input (not anchored, and said so,
// unless given the join answer's seed_hash); a proof with one winner changed
// fails with the mismatch named.
func TestVerifyRealDraw(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "luckbox.db"))
	api := s.URL + "/api/v1"
	creator, _ := demoLogin(t, s.URL, "v-creator")
	var l struct{ ID string }
	if st := call(t, "POST", api+"/lotteries", creator, map[string]any{"title": "可验证抽奖",
		"prizes": []map[string]any{{"name": "一等奖", "quantity": 1}, {"name": "二等奖", "quantity": 2}},
		"draw":   map[string]any{"mode": "manual"}}, &l); st != 201 {
		t.Fatalf("create: %d", st)
	}
	var joined lottery.Entry
	for i := range 9 {
		tok, _ := demoLogin(t, s.URL, fmt.Sprintf("v-%d", i))
		if st := call(t, "POST", api+"/lotteries/"+l.ID+"/entries", tok, nil, &joined); st != 201 {
			t.Fatalf("join %d: %d", i, st)
		}
	}
	if joined.LotteryID != l.ID || len(joined.SeedHash) != 64 {
		t.Fatalf("join answer %+v names no lottery or seed_hash", joined)
	}
	if st := call(t, "POST", api+"/lotteries/"+l.ID+"/draw", creator, nil, nil); st != 200 {
		t.Fatalf("draw: %d", st)
	}
	url := api + "/lotteries/" + l.ID + "/proof"

	for _, src := range []string{url, api + "/lotteries/" + l.ID} {
		out, err := verifyRun("--token", creator, src)
		if err != nil || !strings.Contains(out, "OK: winners match (3 winners recomputed from 9 entries)") ||
			!strings.Contains(out, "一等奖 ×1, 二等奖 ×2 (3 in all)") ||
			!strings.Contains(out, "anchored to:  lottery "+l.ID+" and its published seed_hash "+joined.SeedHash) || strings.Contains(out, "WARNING") {
			t.Fatalf("verify %s: %v\n%s", src, err, out)
		}
	}
	if _, err := verifyRun("--proof", url); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("verify without a token: %v", err)
	}
	// The lottery published another seed_hash than the one the participant saw.
	out, err := verifyRun("--token", creator, "--seed-hash", strings.Repeat("ab", 32), url)
	if err == nil || !strings.Contains(out, "MISMATCH: lottery "+l.ID+" publishes seed_hash "+joined.SeedHash+", not the abab") {
		t.Fatalf("verify a URL against another seed_hash: %v\n%s", err, out)
	}

	var p lottery.Proof
	if st := call(t, "GET", url, creator, nil, &p); st != 200 || len(p.Winners) != 3 || p.LotteryID != l.ID {
		t.Fatalf("proof: %d %+v", st, p)
	}
	raw, _ := json.Marshal(p)
	stdin = bytes.NewReader(raw)
	defer func() { stdin = os.Stdin }()
	if out, err := verifyRun("--proof", "-"); err != nil || !strings.Contains(out, "OK: winners match") ||
		!strings.Contains(out, "WARNING: not anchored: nothing ties this proof to the seed_hash lottery "+l.ID) {
		t.Fatalf("verify stdin: %v\n%s", err, out)
	}
	dir := t.TempDir()
	good := writeJSON(t, dir, "good.json", p)
	if out, err := verifyRun(good); err != nil || !strings.Contains(out, "OK: winners match") {
		t.Fatalf("verify FILE (positional, as the README writes it): %v\n%s", err, out)
	}
	// Anchored to the join answer (hex of either case): no warning.
	if out, err := verifyRun("--lottery", joined.LotteryID, "--seed-hash", strings.ToUpper(joined.SeedHash), good); err != nil ||
		!strings.Contains(out, "OK: winners match") || strings.Contains(out, "WARNING") ||
		!strings.Contains(out, "anchored to:  lottery "+l.ID+" (--lottery); seed_hash "+joined.SeedHash+" (--seed-hash)") {
		t.Fatalf("verify FILE anchored: %v\n%s", err, out)
	}

	// A proof re-drawn from scratch: another seed, hashes and winners
	// recomputed. It holds on its own; against the join answer it does not.
	var other [32]byte
	other[31] = 1
	redrawn := writeJSON(t, dir, "redrawn.json", lottery.NewProof(p.LotteryID, other, p.Entries, p.Prizes))
	if out, err := verifyRun(redrawn); err != nil || !strings.Contains(out, "WARNING: not anchored") {
		t.Fatalf("verify a re-drawn proof, unanchored: %v\n%s", err, out)
	}
	sh := lottery.SeedHash(other)
	out, err = verifyRun("--seed-hash", joined.SeedHash, redrawn)
	if err == nil || !strings.Contains(out, "MISMATCH: seed_hash "+hex.EncodeToString(sh[:])+" is not the commitment "+joined.SeedHash+" published when the lottery was created") {
		t.Fatalf("verify a re-drawn proof against the join answer: %v\n%s", err, out)
	}
	out, err = verifyRun("--lottery", "aaaaaaaaaaaaaaaaaaaaaaaaaa", good)
	if err == nil || !strings.Contains(out, "MISMATCH: the proof is for lottery "+l.ID+", not aaaaaaaaaaaaaaaaaaaaaaaaaa") {
		t.Fatalf("verify against another lottery id: %v\n%s", err, out)
	}

	// One winner changed to another participant: the verifier disagrees.
	for _, e := range p.Entries {
		if e != p.Winners[0].UserID && e != p.Winners[1].UserID && e != p.Winners[2].UserID {
			p.Winners[1].UserID = e
			break
		}
	}
	file := writeJSON(t, dir, "proof.json", p)
	out, err = verifyRun("--proof", file)
	if err == nil || !strings.Contains(out, "MISMATCH: winner 1: proof says user \""+p.Winners[1].UserID+"\" won \"二等奖\", recomputed") {
		t.Fatalf("verify a changed proof: %v\n%s", err, out)
	}
}

// TestVerifyRealPacket sends a lucky packet on the real server, has it
// grabbed to the end and checks it with `luckbox verify` from the URL and a
// file (detected as a packet), anchored to the commitment seen when it was
// sent; a tampered share fails.
func TestVerifyRealPacket(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "luckbox.db"))
	api := s.URL + "/api/v1"
	alice, _ := demoLogin(t, s.URL, "p-alice")
	var o struct {
		OutTradeNo string `json:"out_trade_no"`
	}
	if st := call(t, "POST", api+"/wallet/topups", alice, map[string]int64{"amount": 1000}, &o); st != 201 {
		t.Fatalf("top-up: %d", st)
	}
	if st := call(t, "POST", s.URL+"/_fake/wechat/pay/"+o.OutTradeNo+"/succeed", "", nil, nil); st != 200 {
		t.Fatalf("pay: %d", st)
	}
	var sent struct {
		ID    string
		Split struct{ Commit string }
	}
	if st := call(t, "POST", api+"/packets", alice, map[string]any{"kind": "lucky", "count": 3, "amount": 888}, &sent); st != 201 || len(sent.Split.Commit) != 64 {
		t.Fatalf("send: %d %+v", st, sent)
	}
	url := api + "/packets/" + sent.ID
	if out, err := verifyRun("--token", alice, url); err == nil || !strings.Contains(out, "MISMATCH: packet "+sent.ID+" is active: its salt and shares are revealed once it is finished or expired") {
		t.Fatalf("verify an active packet: %v\n%s", err, out)
	}
	for i := range 3 {
		tok, _ := demoLogin(t, s.URL, fmt.Sprintf("p-%d", i))
		if st := call(t, "POST", api+"/packets/"+sent.ID+"/grabs", tok, nil, nil); st != 201 {
			t.Fatalf("grab %d: %d", i, st)
		}
	}
	out, err := verifyRun("--token", alice, "--commit", sent.Split.Commit, url)
	if err != nil || !strings.Contains(out, "OK: the split matches its commitment (3 shares, 888 fen, 3 grabbed)") || strings.Contains(out, "WARNING") {
		t.Fatalf("verify the packet URL: %v\n%s", err, out)
	}
	var p map[string]any
	if st := call(t, "GET", url, alice, nil, &p); st != 200 {
		t.Fatalf("get: %d", st)
	}
	dir := t.TempDir()
	good := writeJSON(t, dir, "packet.json", p)
	if out, err := verifyRun(good); err != nil || !strings.Contains(out, "OK: the split matches") || !strings.Contains(out, "WARNING: not anchored") {
		t.Fatalf("verify a packet file: %v\n%s", err, out)
	}
	if out, err := verifyRun("--commit", strings.Repeat("0", 64), "--packet", good); err == nil || !strings.Contains(out, "MISMATCH: commit "+sent.Split.Commit+" is not the commitment 0000") {
		t.Fatalf("verify a packet against another commitment: %v\n%s", err, out)
	}
	grabs := p["grabs"].([]any)
	grabs[0].(map[string]any)["amount"] = grabs[0].(map[string]any)["amount"].(float64) + 1
	bad := writeJSON(t, dir, "bad.json", p)
	if out, err := verifyRun(bad); err == nil || !strings.Contains(out, "MISMATCH: grab 0 (user ") {
		t.Fatalf("verify a tampered packet: %v\n%s", err, out)
	}
}

// TestVerifyCommandLine: sources named twice or not at all, anchors of the
// wrong kind or form, and JSON that is neither kind are refused clearly.
func TestVerifyCommandLine(t *testing.T) {
	dir := t.TempDir()
	proof := writeJSON(t, dir, "proof.json", lottery.NewProof("l1", [32]byte{}, []string{"a"}, []lottery.Prize{{Name: "P", Quantity: 1}}))
	other := writeJSON(t, dir, "other.json", map[string]any{"hello": 1})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "name the proof: luckbox verify FILE|URL|-"},
		{[]string{"a", "b"}, `one proof at a time, got "a" and "b"`},
		{[]string{"--proof", "a", "--packet", "b"}, "--proof and --packet name two sources"},
		{[]string{"--proof", "a", "b"}, `the proof is named twice ("b" and --proof "a")`},
		{[]string{"--seed-hash", "12", proof}, `--seed-hash "12" is not a SHA-256 hash (64 hex digits)`},
		{[]string{"--lottery", "a b", proof}, `--lottery "a b" is not a lottery id`},
		{[]string{"--commit", strings.Repeat("0", 64), proof}, "--commit is for red packets"},
		{[]string{"--packet", proof, "--seed-hash", strings.Repeat("0", 64)}, "--lottery and --seed-hash are for lottery proofs"},
		{[]string{other}, "neither a lottery proof (no algorithm) nor a red packet (no split)"},
		{[]string{"--proof", other}, "is not a lottery proof: the proof has no algorithm"},
		{[]string{filepath.Join(dir, "missing.json")}, "read proof: open "},
	} {
		if out, err := verifyRun(tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("verify %q: %v, want an error with %q\n%s", tc.args, err, tc.want, out)
		}
	}
}
