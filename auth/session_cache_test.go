package auth

import (
	"context"
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
