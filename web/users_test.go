package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"luckbox/auth"
	"luckbox/data"
)

func TestHealthAndRequestID(t *testing.T) {
	h := newHarness(t)
	r := h.do("GET", "/healthz", "", nil)
	wantStatus(t, r, 200, "")
	if !strings.Contains(string(r.Body), `"ok"`) || len(r.Header.Get("X-Request-Id")) < 8 {
		t.Fatalf("healthz: %s, request id %q", r.Body, r.Header.Get("X-Request-Id"))
	}
	r = h.do("GET", "/readyz", "", nil, "X-Request-Id", "client-id-1")
	wantStatus(t, r, 200, "")
	if got := r.Header.Get("X-Request-Id"); got != "client-id-1" {
		t.Fatalf("X-Request-Id = %q, want the client's", got)
	}
	wantStatus(t, h.do("GET", "/api/v1/nope", "", nil), 404, "not_found")
}

func TestLoginMeLogout(t *testing.T) {
	h := newHarness(t)
	token, id := h.login("alice")
	r := h.do("GET", "/api/v1/me", token, nil)
	wantStatus(t, r, 200, "")
	var me struct {
		ID, Nickname, AvatarURL string
		Phone                   *string
	}
	r.JSON(t, &me)
	if me.ID != id || me.Nickname != "alice" || me.Phone != nil {
		t.Fatalf("me = %+v (id %s)", me, id)
	}
	if strings.Contains(string(r.Body), "session_key") || strings.Contains(string(r.Body), "openid") {
		t.Fatalf("me leaks server-side fields: %s", r.Body)
	}
	// A second login of the same openid is the same user with a second live session.
	token2, id2 := h.login("alice")
	if id2 != id || token2 == token {
		t.Fatalf("second login: id %s token equal %v", id2, token2 == token)
	}
	wantStatus(t, h.do("POST", "/api/v1/logout", token, nil), 204, "")
	wantStatus(t, h.do("GET", "/api/v1/me", token, nil), 401, "unauthenticated")
	wantStatus(t, h.do("GET", "/api/v1/me", token2, nil), 200, "")
}

func TestLoginRejects(t *testing.T) {
	h := newHarness(t)
	code := h.loginCode("bob")
	wantStatus(t, h.do("POST", "/api/v1/login", "", map[string]string{"code": code}), 200, "")
	wantStatus(t, h.do("POST", "/api/v1/login", "", map[string]string{"code": code}), 401, "unauthenticated")
	wantStatus(t, h.do("POST", "/api/v1/login", "", map[string]string{"code": "never-issued"}), 401, "unauthenticated")
	wantStatus(t, h.do("POST", "/api/v1/login", "", map[string]string{"code": ""}), 400, "invalid_argument")
	r := h.do("POST", "/api/v1/login", "", `{"code":"x","extra":1}`)
	wantStatus(t, r, 400, "invalid_argument")
	if !strings.Contains(string(r.Body), "extra") {
		t.Fatalf("unknown field error does not name it: %s", r.Body)
	}
	wantStatus(t, h.do("POST", "/api/v1/login", "", `{"code":`), 400, "invalid_argument")
	wantStatus(t, h.do("POST", "/api/v1/login", "", `{"code":5}`), 400, "invalid_argument")
	wantStatus(t, h.do("POST", "/api/v1/login", "", `{"code":"a"} {}`), 400, "invalid_argument")
	big := `{"code":"` + strings.Repeat("x", 2<<20) + `"}`
	wantStatus(t, h.do("POST", "/api/v1/login", "", big), 413, "too_large")
}

func TestTokensRejected(t *testing.T) {
	h := newHarness(t)
	wantStatus(t, h.do("GET", "/api/v1/me", "", nil), 401, "unauthenticated")
	wantStatus(t, h.do("GET", "/api/v1/me", "not-a-token", nil), 401, "unauthenticated")
	r := h.do("GET", "/api/v1/me", "", nil, "Authorization", "Basic abc")
	wantStatus(t, r, 401, "unauthenticated")
	// The admin token is not a user.
	wantStatus(t, h.do("GET", "/api/v1/me", testAdminToken, nil), 403, "forbidden")
	// Sessions expire.
	token, _ := h.login("carol")
	h.clock.Add(7*24*time.Hour + time.Second)
	wantStatus(t, h.do("GET", "/api/v1/me", token, nil), 401, "unauthenticated")
}

func TestPatchMe(t *testing.T) {
	h := newHarness(t)
	token, _ := h.login("dave")
	r := h.do("PATCH", "/api/v1/me", token, map[string]string{"nickname": "  大卫 ", "avatar_url": "https://example.com/a.png"})
	wantStatus(t, r, 200, "")
	var me struct {
		Nickname  string
		AvatarURL string `json:"avatar_url"`
	}
	r.JSON(t, &me)
	if me.Nickname != "大卫" || me.AvatarURL != "https://example.com/a.png" {
		t.Fatalf("patched me = %+v", me)
	}
	for _, bad := range []map[string]string{
		{"nickname": ""}, {"nickname": strings.Repeat("名", 33)}, {"avatar_url": "javascript:alert(1)"}, {"avatar_url": "ftp://x/y"},
	} {
		wantStatus(t, h.do("PATCH", "/api/v1/me", token, bad), 400, "invalid_argument")
	}
	r = h.do("GET", "/api/v1/me", token, nil)
	r.JSON(t, &me)
	if me.Nickname != "大卫" {
		t.Fatalf("a rejected patch changed the nickname to %q", me.Nickname)
	}
}

func TestIdempotencyKey(t *testing.T) {
	h := newHarness(t)
	token, _ := h.login("erin")
	body := map[string]any{"template_id": "t1", "count": 2}
	first := h.do("POST", "/api/v1/me/subscriptions", token, body, "Idempotency-Key", "k1")
	wantStatus(t, first, 200, "")
	again := h.do("POST", "/api/v1/me/subscriptions", token, body, "Idempotency-Key", "k1")
	wantStatus(t, again, 200, "")
	if string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay = %s (replayed %q), first %s", again.Body, again.Header.Get("Idempotent-Replayed"), first.Body)
	}
	// The replay did not run the request again: two grants, not four.
	other, _ := h.login("frank")
	_ = other
	u := currentUserOf(t, h, token)
	if n, _ := h.auth.Grants(context.Background(), u.Seq, "t1"); n != 2 {
		t.Fatalf("grants = %d after a replayed request, want 2", n)
	}
	wantStatus(t, h.do("POST", "/api/v1/me/subscriptions", token, map[string]any{"template_id": "t1", "count": 3}, "Idempotency-Key", "k1"), 422, "idempotency_mismatch")
	// Keys are per caller: another user's k1 is a new request.
	tokenB, _ := h.login("gina")
	wantStatus(t, h.do("POST", "/api/v1/me/subscriptions", tokenB, body, "Idempotency-Key", "k1"), 200, "")
	// A rejected request is stored and replayed too (it changed nothing).
	bad := map[string]any{"template_id": "", "count": 1}
	wantStatus(t, h.do("POST", "/api/v1/me/subscriptions", token, bad, "Idempotency-Key", "k2"), 400, "invalid_argument")
	wantStatus(t, h.do("POST", "/api/v1/me/subscriptions", token, bad, "Idempotency-Key", "k2"), 400, "invalid_argument")
}

func currentUserOf(t *testing.T, h *harness, token string) auth.User {
	t.Helper()
	u, err := h.auth.Authenticate(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestInboxAndSubscribePush(t *testing.T) {
	h := newHarness(t)
	token, _ := h.login("hana")
	u := currentUserOf(t, h, token)
	// The user grants one message of the template on WeChat's side and tells us.
	wantStatus(t, h.do("POST", "/_fake/wechat/subscribe", "", map[string]any{"openid": "hana", "template_id": "luckbox_lottery_result", "count": 1}), 200, "")
	wantStatus(t, h.do("POST", "/api/v1/me/subscriptions", token, map[string]any{"template_id": "luckbox_lottery_result", "count": 1}), 200, "")
	n := auth.Notification{Kind: "lottery_result", Title: "开奖了", Body: "你中奖了", Ref: "L1", Template: "luckbox_lottery_result",
		Data: map[string]string{"thing1": "年会抽奖", "phrase2": "中奖", "thing3": "一等奖", "time4": "2026-11-22 08:00"}}
	for i := 0; i < 2; i++ { // the second has no grant left: inbox only
		if err := h.db.Update(context.Background(), func(tx data.Tx) error { return h.auth.Notify(tx, u.Seq, n) }); err != nil {
			t.Fatal(err)
		}
	}
	r := h.do("GET", "/api/v1/me/inbox", token, nil)
	wantStatus(t, r, 200, "")
	var inbox struct {
		Items []auth.InboxItem
	}
	r.JSON(t, &inbox)
	if len(inbox.Items) != 2 || inbox.Items[0].Kind != "lottery_result" || inbox.Items[0].Read {
		t.Fatalf("inbox = %s", r.Body)
	}
	var msgs struct{ Items []map[string]any }
	deadline := time.Now().Add(5 * time.Second)
	for len(msgs.Items) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		h.do("GET", "/_fake/wechat/messages?openid=hana", "", nil).JSON(t, &msgs)
	}
	time.Sleep(100 * time.Millisecond)
	h.do("GET", "/_fake/wechat/messages?openid=hana", "", nil).JSON(t, &msgs)
	if len(msgs.Items) != 1 {
		t.Fatalf("WeChat got %d messages, want exactly 1 (one grant)", len(msgs.Items))
	}
	wantStatus(t, h.do("POST", "/api/v1/me/inbox/"+inbox.Items[1].ID+"/read", token, nil), 204, "")
	wantStatus(t, h.do("POST", "/api/v1/me/inbox/999999/read", token, nil), 404, "not_found")
	h.do("GET", "/api/v1/me/inbox", token, nil).JSON(t, &inbox)
	if inbox.Items[0].Read || !inbox.Items[1].Read {
		t.Fatalf("read flags = %v %v", inbox.Items[0].Read, inbox.Items[1].Read)
	}
}

func TestInternalErrorsDoNotLeak(t *testing.T) {
	h := newHarness(t)
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/x", nil)
	h.srv.writeError(w, r, errors.New("bolt: secret internal path /var/lib/x"))
	if w.Code != 500 || strings.Contains(w.Body.String(), "secret") || !strings.Contains(w.Body.String(), `"internal"`) {
		t.Fatalf("internal error answer %d %s", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	h.srv.writeError(w, r, data.Errorf(data.EConflict, "lottery is locked"))
	if w.Code != 409 || !strings.Contains(w.Body.String(), "lottery is locked") {
		t.Fatalf("domain error answer %d %s", w.Code, w.Body)
	}
}

func TestConcurrentLogins(t *testing.T) {
	h := newHarness(t)
	const n = 100
	var wg sync.WaitGroup
	ids := make([]string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, ids[i] = h.login("user" + string(rune('a'+i%26)) + string(rune('a'+i/26)))
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, id := range ids {
		if id == "" || seen[id] {
			t.Fatalf("duplicate or empty user id %q", id)
		}
		seen[id] = true
	}
	_ = http.StatusOK
}
