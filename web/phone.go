package web

import (
	"net/http"

	"luckbox/auth"
)

// handleMePhone binds the caller's phone number from a getPhoneNumber code
// ({"code"}) or from legacy encrypted data ({"encrypted_data","iv"}).
func (s *Server) handleMePhone(w http.ResponseWriter, r *http.Request) {
	var in auth.PhoneProof
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	phone, err := s.Auth.BindPhone(r.Context(), currentUser(r), in)
	s.writeResult(w, r, http.StatusOK, struct {
		Phone string `json:"phone"`
	}{phone}, err)
}
