package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"luckbox/lottery"
)

// TestVerifyRealDraw draws a lottery on the real server, then checks its
// proof with `luckbox verify` from the URL, a file and standard input; a
// proof with one winner changed fails with the mismatch named.
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
	for i := range 9 {
		tok, _ := demoLogin(t, s.URL, fmt.Sprintf("v-%d", i))
		if st := call(t, "POST", api+"/lotteries/"+l.ID+"/entries", tok, nil, nil); st != 201 {
			t.Fatalf("join %d: %d", i, st)
		}
	}
	if st := call(t, "POST", api+"/lotteries/"+l.ID+"/draw", creator, nil, nil); st != 200 {
		t.Fatalf("draw: %d", st)
	}
	url := api + "/lotteries/" + l.ID + "/proof"
	verify := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := Run(context.Background(), append([]string{"verify"}, args...), noEnv, &out, &out)
		return out.String(), err
	}

	out, err := verify("--proof", url, "--token", creator)
	if err != nil || !strings.Contains(out, "OK: winners match (3 winners recomputed from 9 entries)") || !strings.Contains(out, "一等奖 ×1, 二等奖 ×2 (3 in all)") {
		t.Fatalf("verify URL: %v\n%s", err, out)
	}
	if _, err := verify("--proof", url); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("verify without a token: %v", err)
	}

	var p lottery.Proof
	if st := call(t, "GET", url, creator, nil, &p); st != 200 || len(p.Winners) != 3 {
		t.Fatalf("proof: %d %+v", st, p)
	}
	raw, _ := json.Marshal(p)
	stdin = bytes.NewReader(raw)
	defer func() { stdin = os.Stdin }()
	if out, err := verify("--proof", "-"); err != nil || !strings.Contains(out, "OK: winners match") {
		t.Fatalf("verify stdin: %v\n%s", err, out)
	}
	good := filepath.Join(t.TempDir(), "good.json")
	if err := os.WriteFile(good, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := verify(good); err != nil || !strings.Contains(out, "OK: winners match") {
		t.Fatalf("verify FILE (positional, as the README writes it): %v\n%s", err, out)
	}

	// One winner changed to another participant: the verifier disagrees.
	for _, e := range p.Entries {
		if e != p.Winners[0].UserID && e != p.Winners[1].UserID && e != p.Winners[2].UserID {
			p.Winners[1].UserID = e
			break
		}
	}
	raw, _ = json.Marshal(p)
	file := filepath.Join(t.TempDir(), "proof.json")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = verify("--proof", file)
	if err == nil || !strings.Contains(out, "MISMATCH: winner 1: proof says user \""+p.Winners[1].UserID+"\" won \"二等奖\", recomputed") {
		t.Fatalf("verify a changed proof: %v\n%s", err, out)
	}
	if _, err := verify(); err == nil || !strings.Contains(err.Error(), "luckbox verify FILE") {
		t.Fatalf("verify without --proof: %v", err)
	}
}
