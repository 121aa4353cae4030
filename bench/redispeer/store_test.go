package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestSplitLucky(t *testing.T) {
	for _, c := range []struct {
		amount int64
		count  int
	}{{1, 1}, {5, 5}, {10, 3}, {20000, 100}, {7, 2}} {
		for range 200 {
			shares := splitLucky(c.amount, c.count)
			var sum int64
			for _, v := range shares {
				if v < 1 {
					t.Fatalf("%d/%d: share %d in %v", c.amount, c.count, v, shares)
				}
				sum += v
			}
			if len(shares) != c.count || sum != c.amount {
				t.Fatalf("%d/%d: %v sums to %d", c.amount, c.count, shares, sum)
			}
		}
	}
}

func TestGrabRules(t *testing.T) {
	s := newTestStore(t, Limits{})
	ctx := context.Background()
	fund(t, s, "sender", 100)
	id, err := s.CreatePacket(ctx, "sender", "hi", 3, 10)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := s.Balance(ctx, "sender"); b != 90 {
		t.Fatalf("sender balance %d after sending 10 of 100", b)
	}
	got := map[string]int64{}
	for _, u := range []string{"a", "b", "c"} {
		a, fresh, err := s.Grab(ctx, id, u)
		if err != nil || !fresh || a < 1 {
			t.Fatalf("grab by %s: %d %v %v", u, a, fresh, err)
		}
		got[u] = a
		again, fresh, err := s.Grab(ctx, id, u)
		if err != nil || fresh || again != a {
			t.Fatalf("grab again by %s: %d %v %v, want the earlier %d", u, again, fresh, err, a)
		}
	}
	if got["a"]+got["b"]+got["c"] != 10 {
		t.Fatalf("grabs %v do not sum to 10", got)
	}
	if _, _, err := s.Grab(ctx, id, "d"); !errors.Is(err, errExhausted) {
		t.Fatalf("grab of an exhausted packet: %v", err)
	}
	// Someone who grabbed still gets the earlier amount after it ran out.
	if a, fresh, err := s.Grab(ctx, id, "b"); err != nil || fresh || a != got["b"] {
		t.Fatalf("grab again after exhaustion: %d %v %v", a, fresh, err)
	}
	if _, _, err := s.Grab(ctx, "nope", "a"); !errors.Is(err, errNotFound) {
		t.Fatalf("grab of an unknown packet: %v", err)
	}
	for u, a := range got {
		if b, _ := s.Balance(ctx, u); b != a {
			t.Errorf("%s has %d, grabbed %d", u, b, a)
		}
	}
	p, err := s.Packet(ctx, id, "a")
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != "finished" || p.RemainingCount != 0 || p.RemainingAmount != 0 || len(p.Grabs) != 3 || p.Me == nil || p.Me.Amount != got["a"] || p.FinishedAt == nil {
		t.Fatalf("packet after three grabs: %+v", p)
	}
	if n, _ := s.rdb.LLen(ctx, keySettle).Result(); n != 3 {
		t.Fatalf("%d settlement records for 3 grabs", n)
	}
	mustAudit(t, s)
}

func TestCreatePacketChecks(t *testing.T) {
	s := newTestStore(t, Limits{MaxCount: 10, MaxAmount: 1000, TopupMax: 1000})
	ctx := context.Background()
	fund(t, s, "u", 50)
	for _, c := range []struct {
		count  int
		amount int64
		want   error
	}{{0, 10, errInvalid}, {11, 100, errInvalid}, {5, 4, errInvalid}, {2, 1001, errInvalid}, {5, 51, errInsufficient}} {
		if _, err := s.CreatePacket(ctx, "u", "", c.count, c.amount); !errors.Is(err, c.want) {
			t.Errorf("%d shares of %d: %v, want %v", c.count, c.amount, err, c.want)
		}
	}
	if b, _ := s.Balance(ctx, "u"); b != 50 {
		t.Fatalf("refused packets changed the balance to %d", b)
	}
	if n, _ := s.rdb.SCard(ctx, keyPackets).Result(); n != 0 {
		t.Fatalf("refused packets left %d packets", n)
	}
	mustAudit(t, s)
}

// TestConcurrentGrabs: many users, each grabbing twice at once, never get
// more than the shares, and the money adds up.
func TestConcurrentGrabs(t *testing.T) {
	s := newTestStore(t, Limits{})
	ctx := context.Background()
	const shares, amount, users = 50, 500, 200
	fund(t, s, "sender", amount)
	id, err := s.CreatePacket(ctx, "sender", "", shares, amount)
	if err != nil {
		t.Fatal(err)
	}
	var fresh, repeats, exhausted atomic.Int64
	var mu sync.Mutex
	got := map[string]int64{}
	var wg sync.WaitGroup
	for i := range 2 * users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := fmt.Sprintf("u%d", i%users)
			a, isNew, err := s.Grab(ctx, id, u)
			switch {
			case errors.Is(err, errExhausted):
				exhausted.Add(1)
			case err != nil:
				t.Error(err)
			case isNew:
				fresh.Add(1)
				mu.Lock()
				defer mu.Unlock()
				if _, dup := got[u]; dup {
					t.Errorf("%s grabbed twice", u)
				}
				got[u] = a
			default:
				repeats.Add(1)
			}
		}()
	}
	wg.Wait()
	if fresh.Load() != shares {
		t.Fatalf("%d new grabs of %d shares (%d repeats, %d exhausted)", fresh.Load(), shares, repeats.Load(), exhausted.Load())
	}
	var sum int64
	for _, a := range got {
		sum += a
	}
	if sum != amount {
		t.Fatalf("grabs sum to %d, packet holds %d", sum, amount)
	}
	if fresh.Load()+repeats.Load()+exhausted.Load() != 2*users {
		t.Fatalf("answers do not add up")
	}
	mustAudit(t, s)
}

// TestAuditCatchesTampering: each kind of corruption fails its check.
func TestAuditCatchesTampering(t *testing.T) {
	for _, c := range []struct {
		name, check string
		tamper      func(s *Store, id string)
	}{
		{"extra share", "packets", func(s *Store, id string) { s.rdb.RPush(context.Background(), keyShares+id, 5) }},
		{"claim without settlement", "settlements", func(s *Store, id string) {
			s.rdb.HSet(context.Background(), keyClaims+id, "x", 1)
			s.rdb.LPop(context.Background(), keyShares+id)
		}},
		{"money from nowhere", "conservation", func(s *Store, id string) { s.rdb.IncrBy(context.Background(), keyWallet+"a", 1) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newTestStore(t, Limits{})
			ctx := context.Background()
			fund(t, s, "sender", 100)
			id, err := s.CreatePacket(ctx, "sender", "", 4, 100)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.Grab(ctx, id, "a"); err != nil {
				t.Fatal(err)
			}
			mustAudit(t, s)
			c.tamper(s, id)
			a, err := s.Audit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, ch := range a.Checks {
				if !ch.OK {
					failed = append(failed, ch.Name)
				}
			}
			if a.OK || !strings.Contains(strings.Join(failed, ","), c.check) {
				t.Fatalf("audit after tampering: ok %v, failed %v, want %s", a.OK, failed, c.check)
			}
		})
	}
}

// TestConcurrentCreations: one sender creating many packets at once gets
// them all, and pays for each exactly once.
func TestConcurrentCreations(t *testing.T) {
	s := newTestStore(t, Limits{})
	ctx := context.Background()
	const packets = 200
	fund(t, s, "sender", packets*10+5)
	var wg sync.WaitGroup
	errs := make(chan error, packets)
	for range packets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.CreatePacket(ctx, "sender", "", 2, 10); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent creation: %v", err)
	}
	if n := s.conflicts.Load(); n != 0 {
		t.Errorf("%d creations retried: a sender's creations should take turns", n)
	}
	if b, _ := s.Balance(ctx, "sender"); b != 5 {
		t.Fatalf("sender has %d after %d packets of 10 out of %d", b, packets, packets*10+5)
	}
	if _, err := s.CreatePacket(ctx, "sender", "", 2, 10); !errors.Is(err, errInsufficient) {
		t.Fatalf("creation over the balance: %v", err)
	}
	mustAudit(t, s)
}
