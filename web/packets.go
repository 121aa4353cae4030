package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"luckbox/auth"
	"luckbox/internal/safety"
	"luckbox/packet"
)

func (s *Server) handleCreatePacket(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Kind       string `json:"kind"`
		Count      int64  `json:"count"`
		Amount     int64  `json:"amount"`
		AmountEach int64  `json:"amount_each"`
		ToUserID   string `json:"to_user_id"`
		Greeting   string `json:"greeting"`
		PayWith    string `json:"pay_with"`
		// Group restricts the packet to the sender's WeChat group (groups.go).
		Group *auth.GroupShare `json:"group"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	pin, err := s.Packets.Validate(currentUser(r), packet.CreateInput{
		Kind: in.Kind, Count: in.Count, Amount: in.Amount, AmountEach: in.AmountEach,
		ToUserID: in.ToUserID, Greeting: in.Greeting, PayWith: in.PayWith,
	})
	if err == nil {
		pin.Group, err = s.creatorGroup(r, in.Group)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	flags, err := s.screen(r, safety.Field{Name: "greeting", Scene: safety.SceneSocialLog, Text: pin.Greeting})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.Packets.Create(r.Context(), currentUser(r), pin)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.recordFlags(r, flagKindPacket, p.ID, flags)
	writeJSON(w, http.StatusCreated, p)
}

func (s *Server) handleGetPacket(w http.ResponseWriter, r *http.Request) {
	p, err := s.Packets.Get(r.Context(), currentUser(r).Seq, chi.URLParam(r, "packetID"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) handlePacketPaid(w http.ResponseWriter, r *http.Request) {
	if err := decodeJSON(r, &struct{}{}); err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.Packets.MarkPaid(r.Context(), currentUser(r).Seq, chi.URLParam(r, "packetID"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// handleGrab takes a share: 201 for a new grab, 200 with the same grab again.
// It does not read the body (a grab has no input), so it stays cheap.
func (s *Server) handleGrab(w http.ResponseWriter, r *http.Request) {
	res, err := s.Packets.Grab(r.Context(), currentUser(r).Seq, chi.URLParam(r, "packetID"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := http.StatusCreated
	if res.Again {
		status = http.StatusOK
	}
	writeJSON(w, status, res)
}

func (s *Server) handleMyPackets(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	items, next, err := s.Packets.ListMine(r.Context(), currentUser(r).Seq, q.Get("role"), q.Get("cursor"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(items, next))
}

func (s *Server) handleAdminPackets(w http.ResponseWriter, r *http.Request) {
	items, next, err := s.Packets.AdminList(r.Context(), r.URL.Query().Get("cursor"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(items, next))
}

func (s *Server) handleAdminPacket(w http.ResponseWriter, r *http.Request) {
	p, err := s.Packets.AdminGet(r.Context(), chi.URLParam(r, "packetID"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	rep, err := s.Packets.Audit(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
