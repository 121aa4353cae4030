package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"

	"luckbox/data"
)

// maxIdempotencyKey bounds the Idempotency-Key header.
const maxIdempotencyKey = 255

// idempotent makes a mutating POST safe to retry: with an Idempotency-Key
// header, the first response for (caller, key) is stored for 24 h and replayed
// for the same method, path and body; another body gets 422. A request still
// running under the key gets 409. Server errors (storage failures included)
// are not stored, so a retry runs again. Each caller keeps its newest
// data.Options.IdempotencyKeys keys (1,000 by default); older ones are
// forgotten early, so fresh keys cannot fill the disk.
func (s *Server) idempotent(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		p, ok := principalOf(r)
		if key == "" || !ok {
			next.ServeHTTP(w, r)
			return
		}
		if len(key) > maxIdempotencyKey {
			s.writeError(w, r, data.Invalid("Idempotency-Key", "must be at most %d characters", maxIdempotencyKey))
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			s.writeError(w, r, decodeJSON(&http.Request{Body: io.NopCloser(errReader{err})}, nil))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h := sha256.New()
		io.WriteString(h, r.Method+" "+r.URL.Path+"\n")
		h.Write(body)
		hash := hex.EncodeToString(h.Sum(nil))
		ctx := r.Context()
		rec, state, err := s.DB.BeginIdempotent(ctx, p.Scope(), key, hash)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		switch state {
		case data.IdemMismatch:
			s.writeError(w, r, data.Errorf(data.EIdempotencyMismatch, "Idempotency-Key was already used with a different request"))
			return
		case data.IdemInProgress:
			s.writeError(w, r, data.Errorf(data.EConflict, "a request with this Idempotency-Key is still in progress"))
			return
		case data.IdemReplay:
			w.Header().Set("Content-Type", rec.ContentType)
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(rec.Status)
			w.Write(rec.Body)
			return
		}
		rw := wrapWriter(w)
		var reply bytes.Buffer
		stop := rw.tee(&reply)
		defer func() {
			stop()
			if rw.status == 0 || rw.status >= 500 {
				if err := s.DB.AbortIdempotent(ctx, p.Scope(), key); err != nil {
					s.log.Error("idempotency abort failed", "request_id", requestID(ctx), "err", err)
				}
				return
			}
			err := s.DB.FinishIdempotent(ctx, p.Scope(), key, data.IdemRecord{
				BodyHash: hash, Status: rw.status, ContentType: rw.Header().Get("Content-Type"), Body: reply.Bytes()})
			if err != nil {
				s.log.Error("idempotency finish failed", "request_id", requestID(ctx), "err", err)
			}
		}()
		next.ServeHTTP(rw, r)
	})
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
