package web

import "net/http"

// handleAdminLotteries lists every lottery, newest first (admin console overview).
func (s *Server) handleAdminLotteries(w http.ResponseWriter, r *http.Request) {
	limit, err := queryLimit(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items, next, err := s.Lotteries.AdminList(r.Context(), r.URL.Query().Get("cursor"), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(items, next))
}
