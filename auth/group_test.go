package auth

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"luckbox/data"
)

// stubGroups "decrypts" share info whose encrypted data is the group id
// and whose iv is the session key it was made for, stamped at *at.
type stubGroups struct{ at *time.Time }

var errStubDecrypt = errors.New("stub: cannot decrypt")

func (g stubGroups) GroupFromEncrypted(_ context.Context, key, enc, iv string) (string, time.Time, error) {
	if iv != key {
		return "", time.Time{}, errStubDecrypt
	}
	return enc, *g.at, nil
}

func (stubGroups) BadInput(err error) bool { return errors.Is(err, errStubDecrypt) }

func TestGroupProofsBoundedAndExpiring(t *testing.T) {
	s, wx, clk, db := newTestService(t)
	at := clk.Now()
	s.opts.Groups, s.opts.GroupProofTTL = stubGroups{&at}, time.Hour
	ctx := context.Background()
	wx.issue("c1", "alice")
	l, err := s.Login(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	u := l.User
	prove := func(gid string) error {
		at = clk.Now()
		_, _, err := s.ProveGroup(ctx, u, "group", GroupShare{EncryptedData: gid, IV: u.SessionKey})
		return err
	}
	check := func(gid string) error {
		return db.View(func(tx data.Tx) error { return CheckGroupInTx(tx, u.Seq, gid, clk.Now()) })
	}
	reason := func(err error) string {
		e, _ := data.AsError(err)
		if e == nil {
			return fmt.Sprint(err)
		}
		return e.Reason
	}
	if got := reason(check("g0")); got != ReasonGroupProofRequired {
		t.Fatalf("no proof: %s", got)
	}
	// Another user's data (made for another session key) is refused.
	if _, _, err := s.ProveGroup(ctx, u, "group", GroupShare{EncryptedData: "g0", IV: "other-key"}); data.ErrorCode(err) != data.EInvalid {
		t.Fatalf("foreign data: %v", err)
	}
	// Stale data is refused.
	at = clk.Now().Add(-MaxShareInfoAge - time.Second)
	if _, _, err := s.ProveGroup(ctx, u, "group", GroupShare{EncryptedData: "g0", IV: u.SessionKey}); data.ErrorCode(err) != data.EInvalid {
		t.Fatalf("stale data: %v", err)
	}
	// MaxGroupProofs + 1 groups, a minute apart: the first is dropped.
	for i := range MaxGroupProofs + 1 {
		if err := prove(fmt.Sprintf("g%d", i)); err != nil {
			t.Fatal(err)
		}
		clk.Add(time.Minute)
	}
	if got := reason(check("g0")); got != ReasonNotInGroup {
		t.Fatalf("oldest proof beyond the bound: %s", got)
	}
	for i := 1; i <= MaxGroupProofs; i++ {
		if err := check(fmt.Sprintf("g%d", i)); err != nil {
			t.Fatalf("g%d: %v", i, err)
		}
	}
	// Expiry: 66 minutes after g0, the proofs of g1..g6 are past their hour.
	clk.Add(45 * time.Minute)
	if got := reason(check("g1")); got != ReasonGroupProofExpired {
		t.Fatalf("expired proof: %s", got)
	}
	// A new proof sweeps the expired ones away.
	if err := prove("g99"); err != nil {
		t.Fatal(err)
	}
	n := 0
	_ = db.View(func(tx data.Tx) error {
		return data.MustBucket(tx, bucketGroupProofs).ForEach(func(_, _ []byte) error { n++; return nil })
	})
	if want := MaxGroupProofs - 6 + 1; n != want {
		t.Fatalf("%d proofs stored after the sweep, want %d", n, want)
	}
}
