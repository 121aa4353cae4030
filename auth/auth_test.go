package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"luckbox/data"
	"luckbox/data/datatest"
)

// stubWeChat answers code2session from a table: code → openid.
type stubWeChat struct {
	mu    sync.Mutex
	codes map[string]string
}

var errBadCode = errors.New("bad code")

func (s *stubWeChat) Code2Session(_ context.Context, code string) (Identity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	openid, ok := s.codes[code]
	if !ok {
		return Identity{}, errBadCode
	}
	delete(s.codes, code)
	return Identity{OpenID: openid, SessionKey: "sk-" + code}, nil
}

func (s *stubWeChat) BadCode(err error) bool { return errors.Is(err, errBadCode) }

func newTestService(t *testing.T) (*Service, *stubWeChat, *datatest.Clock, *data.DB) {
	t.Helper()
	clk := datatest.NewClock(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC))
	db := datatest.OpenTemp(t, Buckets, clk)
	wx := &stubWeChat{codes: map[string]string{}}
	return New(db, wx, Options{Now: clk.Now, SessionTTL: time.Hour}), wx, clk, db
}

func (s *stubWeChat) issue(code, openid string) {
	s.mu.Lock()
	s.codes[code] = openid
	s.mu.Unlock()
}

func TestLoginKeepsLatestSessionKeyAndOneUserPerOpenID(t *testing.T) {
	s, wx, _, _ := newTestService(t)
	ctx := context.Background()
	wx.issue("c1", "alice")
	wx.issue("c2", "alice")
	l1, err := s.Login(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	l2, err := s.Login(ctx, "c2")
	if err != nil {
		t.Fatal(err)
	}
	if l1.User.ID() != l2.User.ID() || l1.Token == l2.Token {
		t.Fatalf("two logins of alice: ids %s/%s", l1.User.ID(), l2.User.ID())
	}
	u, err := s.Authenticate(ctx, l1.Token)
	if err != nil || u.SessionKey != "sk-c2" || u.Nickname != "微信用户" {
		t.Fatalf("user after two logins: %+v, %v", u, err)
	}
	if _, err := s.Login(ctx, "c1"); data.ErrorCode(err) != data.EUnauthenticated {
		t.Fatalf("reused code: %v", err)
	}
}

func TestSessionExpirySweep(t *testing.T) {
	s, wx, clk, db := newTestService(t)
	ctx := context.Background()
	wx.issue("c", "bob")
	l, err := s.Login(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	h := tokenHash(l.Token)
	due := data.Due{At: l.ExpiresAt, Kind: dueSessionExpiry, Ref: h[:]}
	// Before expiry the sweep keeps the session.
	if err := s.expireSession(ctx, due); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, l.Token); err != nil {
		t.Fatalf("session swept early: %v", err)
	}
	clk.Add(time.Hour)
	if _, err := s.Authenticate(ctx, l.Token); data.ErrorCode(err) != data.EUnauthenticated {
		t.Fatalf("expired session accepted: %v", err)
	}
	for range 2 { // idempotent
		if err := s.expireSession(ctx, due); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	db.View(func(tx data.Tx) error { n = data.KeyCount(tx.Bucket(bucketSessions)); return nil })
	if n != 0 {
		t.Fatalf("%d sessions left after the sweep", n)
	}
}

func TestAdminTokenGeneratedOnceAndStoredHashed(t *testing.T) {
	s, _, _, db := newTestService(t)
	ctx := context.Background()
	tok, err := s.SetupAdminToken(ctx, "")
	if err != nil || len(tok) < 32 {
		t.Fatalf("generated %q, %v: want at least 32 characters", tok, err)
	}
	again, err := s.SetupAdminToken(ctx, "")
	if err != nil || again != "" {
		t.Fatalf("second start generated %q, %v", again, err)
	}
	if !s.IsAdminToken(tok) || s.IsAdminToken(tok+"x") || s.IsAdminToken("") {
		t.Fatal("admin token check is wrong")
	}
	stored, _ := db.Meta(metaAdminTokenHash)
	if len(stored) != 32 || string(stored) == tok {
		t.Fatalf("stored admin token is not a hash: %d bytes", len(stored))
	}
	// A configured token wins over the stored one.
	if _, err := s.SetupAdminToken(ctx, "configured-token-0123456789abcdefghij"); err != nil {
		t.Fatal(err)
	}
	if s.IsAdminToken(tok) || !s.IsAdminToken("configured-token-0123456789abcdefghij") {
		t.Fatal("configured token did not replace the generated one")
	}
	for _, short := range []string{"short", strings.Repeat("x", 31)} {
		if _, err := s.SetupAdminToken(ctx, short); err == nil {
			t.Fatalf("a %d-character admin token was accepted", len(short))
		}
	}
	if _, err := s.SetupAdminToken(ctx, strings.Repeat("x", 32)); err != nil {
		t.Fatalf("a 32-character admin token was refused: %v", err)
	}
}

func TestInboxPaging(t *testing.T) {
	s, wx, _, db := newTestService(t)
	ctx := context.Background()
	wx.issue("a", "ann")
	wx.issue("b", "ben")
	ann, _ := s.Login(ctx, "a")
	ben, _ := s.Login(ctx, "b")
	for i := range 7 {
		err := db.Update(ctx, func(tx data.Tx) error {
			if err := s.Notify(tx, ann.User.Seq, Notification{Kind: "k", Title: fmt.Sprint(i)}); err != nil {
				return err
			}
			return s.Notify(tx, ben.User.Seq, Notification{Kind: "k", Title: "ben"})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var titles []string
	cursor := ""
	for page := 0; ; page++ {
		items, next, err := s.Inbox(ctx, ann.User.Seq, cursor, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			titles = append(titles, it.Title)
		}
		if next == "" {
			break
		}
		if page > 5 {
			t.Fatal("paging does not end")
		}
		cursor = next
	}
	if fmt.Sprint(titles) != "[6 5 4 3 2 1 0]" {
		t.Fatalf("ann's inbox, newest first over pages of 3: %v", titles)
	}
	if _, _, err := s.Inbox(ctx, ann.User.Seq, "bogus", 3); data.ErrorCode(err) != data.EInvalid {
		t.Fatalf("bad cursor: %v", err)
	}
	if err := s.MarkRead(ctx, ann.User.Seq, "all"); err != nil {
		t.Fatal(err)
	}
	items, _, _ := s.Inbox(ctx, ann.User.Seq, "", 10)
	others, _, _ := s.Inbox(ctx, ben.User.Seq, "", 10)
	if len(items) != 7 || !items[0].Read || !items[6].Read || len(others) != 7 || others[0].Read {
		t.Fatalf("mark all read: ann %d items read=%v, ben %d read=%v", len(items), items[0].Read, len(others), others[0].Read)
	}
	// Another user's item id is not found for ann.
	if err := s.MarkRead(ctx, ann.User.Seq, others[0].ID); data.ErrorCode(err) != data.ENotFound {
		t.Fatalf("marking ben's item as ann: %v", err)
	}
}

func TestGrantsAreCountedAndCapped(t *testing.T) {
	s, wx, _, _ := newTestService(t)
	ctx := context.Background()
	wx.issue("c", "cat")
	l, _ := s.Login(ctx, "c")
	if n, err := s.AddSubscriptions(ctx, l.User.Seq, "tpl", 3); err != nil || n != 3 {
		t.Fatalf("add 3: %d %v", n, err)
	}
	for _, bad := range []struct {
		tpl string
		n   int
	}{{"", 1}, {"tpl", 0}, {"tpl", 101}} {
		if _, err := s.AddSubscriptions(ctx, l.User.Seq, bad.tpl, bad.n); data.ErrorCode(err) != data.EInvalid {
			t.Fatalf("AddSubscriptions(%q, %d): %v", bad.tpl, bad.n, err)
		}
	}
	for range 20 {
		s.AddSubscriptions(ctx, l.User.Seq, "tpl", 100)
	}
	if n, _ := s.Grants(ctx, l.User.Seq, "tpl"); n != maxGrant {
		t.Fatalf("grants = %d, want the cap %d", n, maxGrant)
	}
}
