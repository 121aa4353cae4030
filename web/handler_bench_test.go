package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkHandler measures the server's own cost of a request without the
// network: the whole handler chain (request id, access log decision,
// metrics, routing, route policy, authentication) for /healthz and for a
// grab rejected from memory, beside a bare ServeMux answering the same
// /healthz (the floor any Go HTTP service pays for that JSON answer).
func BenchmarkHandler(b *testing.B) {
	h := newHarness(b, withPackets)
	handler := h.srv.Handler()
	run := func(b *testing.B, handler http.Handler, req *http.Request, want int) {
		b.ReportAllocs()
		for b.Loop() {
			w := httptest.NewRecorder()
			handler.ServeHTTP(w, req)
			if w.Code != want {
				b.Fatalf("status %d, want %d: %s", w.Code, want, w.Body)
			}
		}
	}
	b.Run("healthz-bare-mux", func(b *testing.B) {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		})
		run(b, mux, httptest.NewRequest("GET", "/healthz", nil), 200)
	})
	b.Run("healthz", func(b *testing.B) {
		run(b, handler, httptest.NewRequest("GET", "/healthz", nil), 200)
	})
	b.Run("grab-exhausted", func(b *testing.B) {
		sender, _ := h.login("bench-sender")
		h.topup(sender, 100)
		p := h.createPacket(sender, map[string]any{"kind": "lucky", "count": 1, "amount": 1})
		first, _ := h.login("bench-first")
		h.do("POST", "/api/v1/packets/"+p.ID+"/grabs", first, nil)
		late, _ := h.login("bench-late")
		req := httptest.NewRequest("POST", "/api/v1/packets/"+p.ID+"/grabs", nil)
		req.Header.Set("Authorization", "Bearer "+late)
		run(b, handler, req, http.StatusGone)
	})
}
