package auth

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"luckbox/data"
)

// TestAuthenticateCacheSeesEveryChange authenticates the same token again and
// again (the cached path) across a profile change, a new login (a new
// session key), the session's expiry and a logout: each shows at once.
func TestAuthenticateCacheSeesEveryChange(t *testing.T) {
	s, wx, clk, _ := newTestService(t)
	ctx := context.Background()
	wx.issue("c1", "carol")
	l, err := s.Login(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 { // the first decodes, the others hit the cache
		u, err := s.Authenticate(ctx, l.Token)
		if err != nil || u.Nickname != "微信用户" || u.Seq != l.User.Seq || u.ID() != l.User.ID() {
			t.Fatalf("authenticate: %+v %v", u, err)
		}
	}
	if got := s.sessions.get(tokenHash(l.Token)); got == nil {
		t.Fatal("the session was not cached")
	}
	name := "Carol"
	if _, err := s.UpdateProfile(ctx, l.User.ID(), ProfileUpdate{Nickname: &name}); err != nil {
		t.Fatal(err)
	}
	if u, err := s.Authenticate(ctx, l.Token); err != nil || u.Nickname != "Carol" {
		t.Fatalf("after the profile change: %+v %v", u, err)
	}
	wx.issue("c2", "carol")
	if _, err := s.Login(ctx, "c2"); err != nil {
		t.Fatal(err)
	}
	if u, err := s.Authenticate(ctx, l.Token); err != nil || u.SessionKey != "sk-c2" {
		t.Fatalf("after a second login: %+v %v", u, err)
	}
	clk.Add(2 * time.Hour) // the session TTL is an hour
	if _, err := s.Authenticate(ctx, l.Token); data.ErrorCode(err) != data.EUnauthenticated {
		t.Fatalf("expired session: %v", err)
	}

	wx.issue("c3", "dave")
	l3, err := s.Login(ctx, "c3")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, l3.Token); err != nil {
		t.Fatal(err)
	}
	if err := s.Logout(ctx, l3.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, l3.Token); data.ErrorCode(err) != data.EUnauthenticated {
		t.Fatalf("after logout: %v", err)
	}
}

// TestAuthenticateCacheRace: while other goroutines authenticate the same
// token without pause (filling and hitting the cache), a profile change and
// then a logout commit; from the moment each returns, every authentication
// sees it. A decoding read before the commit must never be stored after
// the commit's forgetting (the cache's generation).
func TestAuthenticateCacheRace(t *testing.T) {
	s, wx, _, _ := newTestService(t)
	ctx := context.Background()
	for round := range 60 {
		code := fmt.Sprintf("r%d", round)
		wx.issue(code, fmt.Sprintf("racer%d", round))
		l, err := s.Login(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
						s.Authenticate(ctx, l.Token)
					}
				}
			}()
		}
		name := fmt.Sprintf("name-%d", round)
		if _, err := s.UpdateProfile(ctx, l.User.ID(), ProfileUpdate{Nickname: &name}); err != nil {
			t.Fatal(err)
		}
		for range 200 {
			if u, err := s.Authenticate(ctx, l.Token); err != nil || u.Nickname != name {
				close(stop)
				t.Fatalf("round %d: after the profile change: %q %v", round, u.Nickname, err)
			}
		}
		if err := s.Logout(ctx, l.Token); err != nil {
			t.Fatal(err)
		}
		for range 200 {
			if _, err := s.Authenticate(ctx, l.Token); data.ErrorCode(err) != data.EUnauthenticated {
				close(stop)
				t.Fatalf("round %d: after logout: %v", round, err)
			}
		}
		close(stop)
		wg.Wait()
	}
}

// TestSessionCacheIndexFollowsEntries: the per-user index holds exactly
// the cached hashes, so forgetting sessions one by one (logouts, expiry)
// leaves nothing behind for users who never change again.
func TestSessionCacheIndexFollowsEntries(t *testing.T) {
	c := newSessionCache()
	hash := func(i int) (h [32]byte) { h[0], h[1] = byte(i), byte(i>>8); return h }
	for i := range 1000 {
		c.store(c.generation(), hash(i), nil, nil, time.Time{}, User{Seq: uint64(i % 10)})
	}
	for i := range 1000 {
		c.forget(hash(i))
	}
	if len(c.entries) != 0 || len(c.byUser) != 0 {
		t.Fatalf("after forgetting every session: %d entries, %d users indexed", len(c.entries), len(c.byUser))
	}
}
