package web

import (
	"fmt"
	"log/slog"
	"net/http"

	"luckbox/auth"
	"luckbox/internal/safety"
	"luckbox/lottery"
)

// Kinds of ContentFlag.Kind: what holds the flagged text.
const (
	flagKindLottery = "lottery"
	flagKindPacket  = "packet"
	flagKindUser    = "user"
)

// screen is the one place user text meets the content safety check: it asks
// about fields, written by the caller, before the write is made (never inside
// its transaction). It answers a 400 naming every refused field, a 503 when
// the check failed and the policy refuses, or the flags to record with
// recordFlags once the write succeeded.
func (s *Server) screen(r *http.Request, fields ...safety.Field) ([]safety.Flag, error) {
	return s.Safety.Check(r.Context(), currentUser(r).OpenID, fields...)
}

// recordFlags keeps flags of the item kind/ref for the admin. The write has
// succeeded by then, so a failure is logged rather than answered.
func (s *Server) recordFlags(r *http.Request, kind, ref string, flags []safety.Flag) {
	if len(flags) == 0 {
		return
	}
	ctx := r.Context()
	out := make([]auth.ContentFlag, len(flags))
	for i, f := range flags {
		out[i] = auth.ContentFlag{Kind: kind, Ref: ref, UserID: currentUser(r).ID(), Field: f.Field, Reason: f.Reason, Label: f.Label, Text: f.Text}
	}
	if err := s.Auth.FlagContent(ctx, out); err != nil {
		s.log.LogAttrs(ctx, slog.LevelError, "flag content", slog.String("request_id", requestID(ctx)),
			slog.String("kind", kind), slog.String("ref", ref), slog.String("err", err.Error()))
	}
}

// lotteryFields are the user text fields of a new lottery.
func lotteryFields(in lottery.CreateInput) []safety.Field {
	out := []safety.Field{
		{Name: "title", Scene: safety.SceneForum, Text: in.Title},
		{Name: "description", Scene: safety.SceneForum, Text: in.Description},
	}
	for i, p := range in.Prizes {
		out = append(out, safety.Field{Name: prizeField(i), Scene: safety.SceneForum, Text: p.Name})
	}
	return out
}

// prizeField names the name of the i-th prize as lottery's validation does.
func prizeField(i int) string { return fmt.Sprintf("prizes[%d].name", i) }

// handleContentFlags is GET /api/v1/admin/content-flags: user text accepted
// without a clean pass of the content check, newest first.
func (s *Server) handleContentFlags(w http.ResponseWriter, r *http.Request) {
	limit, err := queryLimit(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	flags, next, err := s.Auth.ContentFlags(r.Context(), r.URL.Query().Get("cursor"), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(flags, next))
}
