package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"
)

// call sends a request and decodes the answer; it returns the status.
func call(t *testing.T, base, method, path, token, body string, out any) int {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = bytes.NewReader([]byte(body))
	}
	req, _ := http.NewRequest(method, base+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %q: %v", method, path, res.StatusCode, b, err)
		}
	}
	return res.StatusCode
}

// TestHTTPFlow walks the requests `luckbox bench` makes, with their
// statuses and JSON shapes.
func TestHTTPFlow(t *testing.T) {
	s := newTestStore(t, Limits{})
	ts := httptest.NewServer(NewHandler(s, "admin-secret", log.New(io.Discard, "", 0)))
	defer ts.Close()
	u := ts.URL
	login := func(openid string) string {
		var code struct{ Code string }
		if st := call(t, u, "POST", "/_fake/wechat/login-code", "", `{"openid":"`+openid+`"}`, &code); st != 200 {
			t.Fatalf("login code: %d", st)
		}
		var in struct {
			Token string
			User  struct{ ID string }
		}
		if st := call(t, u, "POST", "/api/v1/login", "", `{"code":"`+code.Code+`"}`, &in); st != 200 || in.Token == "" || in.User.ID == "" {
			t.Fatalf("login: %d %+v", st, in)
		}
		if st := call(t, u, "POST", "/api/v1/login", "", `{"code":"`+code.Code+`"}`, nil); st != 401 {
			t.Fatalf("reused code: %d", st)
		}
		return in.Token
	}
	alice, bob := login("alice"), login("bob")
	var order struct {
		No string `json:"out_trade_no"`
	}
	if st := call(t, u, "POST", "/api/v1/wallet/topups", alice, `{"amount":1000}`, &order); st != 201 || order.No == "" {
		t.Fatalf("top-up: %d %+v", st, order)
	}
	var paid struct{ Delivered []int }
	if st := call(t, u, "POST", "/_fake/wechat/pay/"+order.No+"/succeed?times=2", "", "", &paid); st != 200 || len(paid.Delivered) != 2 {
		t.Fatalf("pay: %d %+v", st, paid)
	}
	var w struct{ Balance int64 }
	if call(t, u, "GET", "/api/v1/wallet", alice, "", &w); w.Balance != 1000 {
		t.Fatalf("balance after a top-up delivered twice: %d", w.Balance)
	}
	for _, c := range []struct {
		body string
		want int
	}{
		{`{"kind":"lucky","count":2,"amount":2000}`, 409},
		{`{"kind":"lucky","count":0,"amount":20}`, 400},
		{`{"kind":"equal","count":2,"amount":20}`, 400},
		{`{"kind":"lucky","count":2,"amount":20,"bogus":1}`, 400},
		{`{"kind":`, 400},
	} {
		if st := call(t, u, "POST", "/api/v1/packets", alice, c.body, nil); st != c.want {
			t.Errorf("create %s: %d, want %d", c.body, st, c.want)
		}
	}
	var p Packet
	if st := call(t, u, "POST", "/api/v1/packets", alice, `{"kind":"lucky","count":1,"amount":20,"greeting":"bench"}`, &p); st != 201 || p.Status != "active" || p.RemainingCount != 1 {
		t.Fatalf("create: %d %+v", st, p)
	}
	var g grabAnswer
	if st := call(t, u, "POST", "/api/v1/packets/"+p.ID+"/grabs", bob, "", &g); st != 201 || g.Amount != 20 {
		t.Fatalf("grab: %d %+v", st, g)
	}
	if st := call(t, u, "POST", "/api/v1/packets/"+p.ID+"/grabs", bob, "", &g); st != 200 || g.Amount != 20 {
		t.Fatalf("grab again: %d %+v", st, g)
	}
	var e struct{ Error struct{ Code string } }
	if st := call(t, u, "POST", "/api/v1/packets/"+p.ID+"/grabs", alice, "", &e); st != 410 || e.Error.Code != "exhausted" {
		t.Fatalf("grab of an exhausted packet: %d %+v", st, e)
	}
	for path, want := range map[string]int{"/api/v1/packets/nope/grabs": 404} {
		if st := call(t, u, "POST", path, bob, "", nil); st != want {
			t.Errorf("POST %s: %d, want %d", path, st, want)
		}
	}
	if st := call(t, u, "POST", "/api/v1/packets/"+p.ID+"/grabs", "forged.token", "", nil); st != 401 {
		t.Errorf("forged token: %d", st)
	}
	if st := call(t, u, "GET", "/api/v1/packets/"+p.ID, bob, "", &p); st != 200 || p.Status != "finished" || len(p.Grabs) != 1 || p.Me == nil || !p.Grabs[0].BestLuck {
		t.Fatalf("packet: %d %+v", st, p)
	}
	if st := call(t, u, "GET", "/api/v1/admin/audit", bob, "", nil); st != 403 {
		t.Errorf("audit with a user token: %d", st)
	}
	var a AuditReport
	if st := call(t, u, "GET", "/api/v1/admin/audit", "admin-secret", "", &a); st != 200 || !a.OK || len(a.Checks) != 3 {
		t.Fatalf("audit: %d %+v", st, a)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if st := call(t, u, "GET", path, "", "", nil); st != 200 {
			t.Errorf("%s: %d", path, st)
		}
	}
	if st := call(t, u, "GET", "/metrics", "", "", &e); st != 404 || e.Error.Code != "not_found" {
		t.Errorf("unknown path: %d %+v", st, e)
	}
}
