package web

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"luckbox/auth"
	"luckbox/internal/safety"
)

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if s.authThrottled(w, r) {
		return
	}
	var in struct {
		Code string `json:"code"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	l, err := s.Auth.Login(r.Context(), in.Code)
	if err != nil {
		s.noteAuthFailure(r, err)
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Token     string       `json:"token"`
		ExpiresAt time.Time    `json:"expires_at"`
		User      auth.Profile `json:"user"`
	}{l.Token, l.ExpiresAt, l.User.Profile()})
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if err := decodeJSON(r, &struct{}{}); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Auth.Logout(r.Context(), auth.BearerToken(r.Header.Get("Authorization"))); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, currentUser(r).Self())
}

func (s *Server) handlePatchMe(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Nickname  *string `json:"nickname"`
		AvatarURL *string `json:"avatar_url"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := auth.ProfileUpdate{Nickname: in.Nickname, AvatarURL: in.AvatarURL}.Validate()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var flags []safety.Flag
	if p.Nickname != nil {
		if flags, err = s.screen(r, safety.Field{Name: "nickname", Scene: safety.SceneProfile, Text: *p.Nickname}); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	u, err := s.Auth.UpdateProfile(r.Context(), currentUser(r).ID(), p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.recordFlags(r, flagKindUser, u.ID(), flags)
	writeJSON(w, http.StatusOK, u.Self())
}

func (s *Server) handleSubscriptions(w http.ResponseWriter, r *http.Request) {
	var in struct {
		TemplateID string `json:"template_id"`
		Count      int    `json:"count"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	left, err := s.Auth.AddSubscriptions(r.Context(), currentUser(r).Seq, in.TemplateID, in.Count)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"template_id": in.TemplateID, "remaining": left})
}

func (s *Server) handleInbox(w http.ResponseWriter, r *http.Request) {
	items, next, err := s.Auth.Inbox(r.Context(), currentUser(r).Seq, r.URL.Query().Get("cursor"), 50)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(items, next))
}

func (s *Server) handleInboxRead(w http.ResponseWriter, r *http.Request) {
	if err := s.Auth.MarkRead(r.Context(), currentUser(r).Seq, chi.URLParam(r, "itemID")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
