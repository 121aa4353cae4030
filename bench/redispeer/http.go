package main

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"strconv"
	"strings"
)

// maxBody bounds a request body (as the API: 1 MiB).
const maxBody = 1 << 20

// server holds the handlers' dependencies.
type server struct {
	store *Store
	tok   tokens
	admin string
	log   *log.Logger
}

// NewHandler returns the HTTP API of the store. adminToken, if not empty,
// opens the audit.
func NewHandler(store *Store, adminToken string, logger *log.Logger) http.Handler {
	s := &server{store: store, tok: newTokens(), admin: adminToken, log: logger}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("POST /_fake/wechat/login-code", s.loginCode)
	mux.HandleFunc("POST /_fake/wechat/pay/{no}/succeed", s.paySucceed)
	mux.HandleFunc("POST /api/v1/login", s.login)
	mux.HandleFunc("GET /api/v1/wallet", s.user(s.wallet))
	mux.HandleFunc("POST /api/v1/wallet/topups", s.user(s.createTopup))
	mux.HandleFunc("POST /api/v1/packets", s.user(s.createPacket))
	mux.HandleFunc("GET /api/v1/packets/{id}", s.user(s.packet))
	mux.HandleFunc("POST /api/v1/packets/{id}/grabs", s.user(s.grab))
	mux.HandleFunc("GET /api/v1/admin/audit", s.audit)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, 404, "not_found", "no such endpoint in the Redis peer")
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = 500, []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// fail answers err: the store's known errors as 4xx, anything else as a
// logged 500 that tells nothing.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, errInvalid):
		writeError(w, 400, "invalid_argument", err.Error())
	case errors.Is(err, errBadCode):
		writeError(w, 401, "unauthenticated", err.Error())
	case errors.Is(err, errNotFound):
		writeError(w, 404, "not_found", "not found")
	case errors.Is(err, errInsufficient):
		writeError(w, 409, "conflict", err.Error())
	case errors.Is(err, errExhausted):
		writeError(w, 410, "exhausted", "no shares left")
	default:
		s.log.Printf("%s %s: %v", r.Method, r.URL.Path, err)
		writeError(w, 500, "internal", "internal error")
	}
}

// decode reads a JSON body into v: unknown fields and trailing data are
// errInvalid.
func decode(r *http.Request, v any) error {
	d := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: body: %v", errInvalid, err)
	}
	if d.More() {
		return fmt.Errorf("%w: body: data after the JSON object", errInvalid)
	}
	return nil
}

// bearer is the token of the Authorization header.
func bearer(r *http.Request) string {
	t, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return t
}

// user wraps a handler that needs a logged-in user.
func (s *server) user(h func(w http.ResponseWriter, r *http.Request, user string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, ok := s.tok.user(bearer(r))
		if !ok {
			writeError(w, 401, "unauthenticated", "missing or invalid token")
			return
		}
		h(w, r, u)
	}
}

func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	if err := s.store.rdb.Ping(r.Context()).Err(); err != nil {
		s.log.Printf("readyz: %v", err)
		writeError(w, 503, "unavailable", "redis is not reachable")
		return
	}
	writeJSON(w, 200, map[string]string{"status": "ready"})
}

func (s *server) loginCode(w http.ResponseWriter, r *http.Request) {
	var in struct {
		OpenID string `json:"openid"`
	}
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	code, err := s.store.LoginCode(r.Context(), in.OpenID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]string{"code": code})
}

func (s *server) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Code string `json:"code"`
	}
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := s.store.Login(r.Context(), in.Code)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"token": s.tok.issue(id), "expires_at": nil,
		"user": map[string]any{"id": id, "nickname": "", "avatar_url": ""}})
}

func (s *server) wallet(w http.ResponseWriter, r *http.Request, user string) {
	b, err := s.store.Balance(r.Context(), user)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]int64{"balance": b})
}

func (s *server) createTopup(w http.ResponseWriter, r *http.Request, user string) {
	var in struct {
		Amount int64 `json:"amount"`
	}
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	no, err := s.store.CreateTopup(r.Context(), user, in.Amount)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 201, map[string]any{"order_id": no, "out_trade_no": no, "status": "pending", "pay_params": nil})
}

// paySucceed is the fake WeChat Pay: the order is paid and its notification
// "delivered" times times (answered 204 each time, as an idempotent
// notification endpoint does).
func (s *server) paySucceed(w http.ResponseWriter, r *http.Request) {
	times := 1
	if v := r.URL.Query().Get("times"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeError(w, 400, "invalid_argument", "times must be 1..100")
			return
		}
		times = n
	}
	if err := s.store.Pay(r.Context(), r.PathValue("no")); err != nil {
		s.fail(w, r, err)
		return
	}
	delivered := make([]int, times)
	for i := range delivered {
		delivered[i] = 204
	}
	writeJSON(w, 200, map[string]any{"delivered": delivered})
}

func (s *server) createPacket(w http.ResponseWriter, r *http.Request, user string) {
	var in struct {
		Kind     string `json:"kind"`
		Count    int    `json:"count"`
		Amount   int64  `json:"amount"`
		Greeting string `json:"greeting"`
		PayWith  string `json:"pay_with"`
	}
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Kind != "lucky" || (in.PayWith != "" && in.PayWith != "balance") {
		writeError(w, 400, "invalid_argument", `the Redis peer makes lucky packets paid from the balance only`)
		return
	}
	id, err := s.store.CreatePacket(r.Context(), user, in.Greeting, in.Count, in.Amount)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.store.Packet(r.Context(), id, user)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 201, p)
}

func (s *server) packet(w http.ResponseWriter, r *http.Request, user string) {
	p, err := s.store.Packet(r.Context(), r.PathValue("id"), user)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, p)
}

// grabAnswer is the answer of a grab.
type grabAnswer struct {
	Amount   int64 `json:"amount"`
	BestLuck bool  `json:"best_luck"`
}

func (s *server) grab(w http.ResponseWriter, r *http.Request, user string) {
	amount, fresh, err := s.store.Grab(r.Context(), r.PathValue("id"), user)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := 200
	if fresh {
		status = 201
	}
	writeJSON(w, status, grabAnswer{Amount: amount})
}

func (s *server) audit(w http.ResponseWriter, r *http.Request) {
	t := bearer(r)
	switch {
	case s.admin == "":
		writeError(w, 404, "not_found", "no admin token configured")
		return
	case t == "":
		writeError(w, 401, "unauthenticated", "missing token")
		return
	case subtle.ConstantTimeCompare([]byte(t), []byte(s.admin)) != 1:
		writeError(w, 403, "forbidden", "admin token required")
		return
	}
	rep, err := s.store.Audit(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, rep)
}
