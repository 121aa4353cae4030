package web

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"luckbox/auth"
)

// userJSON is the public view of a user.
type userJSON struct {
	ID        string `json:"id"`
	Nickname  string `json:"nickname"`
	AvatarURL string `json:"avatar_url"`
}

// meJSON is the caller's own view of themselves.
type meJSON struct {
	ID        string  `json:"id"`
	Nickname  string  `json:"nickname"`
	AvatarURL string  `json:"avatar_url"`
	Phone     *string `json:"phone"`
}

func publicUser(u auth.User) userJSON {
	return userJSON{ID: u.ID(), Nickname: u.Nickname, AvatarURL: u.AvatarURL}
}

func meOf(u auth.User) meJSON {
	m := meJSON{ID: u.ID(), Nickname: u.Nickname, AvatarURL: u.AvatarURL}
	if u.Phone != "" {
		m.Phone = &u.Phone
	}
	return m
}

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
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
		User      userJSON  `json:"user"`
	}{l.Token, l.ExpiresAt, publicUser(l.User)})
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
	writeJSON(w, http.StatusOK, meOf(currentUser(r)))
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
	u, err := s.Auth.UpdateProfile(r.Context(), currentUser(r).ID(), auth.ProfileUpdate{Nickname: in.Nickname, AvatarURL: in.AvatarURL})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, meOf(u))
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
