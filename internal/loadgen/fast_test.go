package loadgen

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestFastPool(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/small":
			if r.Header.Get("Authorization") != "Bearer tok" || r.Method != "POST" || r.ContentLength != 0 {
				w.WriteHeader(400)
				return
			}
			w.WriteHeader(201)
			fmt.Fprint(w, `{"amount":12}`)
		case "/chunked":
			f := w.(http.Flusher)
			fmt.Fprint(w, "hello ")
			f.Flush()
			fmt.Fprint(w, strings.Repeat("x", 5000))
		case "/close":
			w.Header().Set("Connection", "close")
			w.WriteHeader(410)
			fmt.Fprint(w, `{"error":{"code":"exhausted"}}`)
		case "/empty":
			w.WriteHeader(204)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	p, err := NewFastPool(srv.URL, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	for i := range 3 {
		r, err := p.Do(ctx, 0, "POST", "/small", "tok", nil)
		if err != nil || r.Status != 201 || string(r.Body) != `{"amount":12}` {
			t.Fatalf("small %d: %d %q %v", i, r.Status, r.Body, err)
		}
	}
	r, err := p.Do(ctx, 0, "GET", "/chunked", "", nil)
	if err != nil || r.Status != 200 || len(r.Body) != 5006 || !strings.HasPrefix(string(r.Body), "hello x") {
		t.Fatalf("chunked: %d %d %v", r.Status, len(r.Body), err)
	}
	if r, err := p.Do(ctx, 0, "GET", "/empty", "", nil); err != nil || r.Status != 204 || len(r.Body) != 0 {
		t.Fatalf("empty: %d %v", r.Status, err)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for one worker's keep-alive requests", n)
	}
	if r, err := p.Do(ctx, 0, "GET", "/close", "", nil); err != nil || r.Status != 410 {
		t.Fatalf("close: %d %v", r.Status, err)
	}
	if r, err := p.Do(ctx, 0, "POST", "/small", "tok", nil); err != nil || r.Status != 201 {
		t.Fatalf("after close: %d %v", r.Status, err)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections after the server closed one, want 2", n)
	}
	// The server closes idle connections: the next request redials once.
	srv.CloseClientConnections()
	if r, err := p.Do(ctx, 0, "POST", "/small", "tok", nil); err != nil || r.Status != 201 {
		t.Fatalf("after idle close: %d %v", r.Status, err)
	}
	if _, err := NewFastPool("https://example.com", 1); err == nil {
		t.Error("https accepted")
	}
}

// TestFastPoolSpread: a pool over several servers sends worker i's requests
// to server i mod n.
func TestFastPoolSpread(t *testing.T) {
	var hits [3]atomic.Int64
	var urls []string
	for i := range hits {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits[i].Add(1) }))
		defer srv.Close()
		urls = append(urls, srv.URL)
	}
	p, err := NewFastPool(urls[0], 6, urls[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for w := range 6 {
		if r, err := p.Do(context.Background(), w, "GET", "/", "", nil); err != nil || r.Status != 200 {
			t.Fatalf("worker %d: %v %d", w, err, r.Status)
		}
	}
	for i := range hits {
		if hits[i].Load() != 2 {
			t.Errorf("server %d got %d requests, want 2", i, hits[i].Load())
		}
	}
	if _, err := NewFastPool(urls[0], 1, "https://x:1"); err == nil {
		t.Error("an https URL in the spread list was accepted")
	}
}
