package web

import (
	"net/http"

	"luckbox/lottery"
)

// handleAdminLotteries lists every lottery, newest first (admin console overview).
func (s *Server) handleAdminLotteries(w http.ResponseWriter, r *http.Request) {
	writePage(s, w, r, func(cursor string, limit int) ([]lottery.Lottery, string, error) {
		return s.Lotteries.AdminList(r.Context(), cursor, limit)
	})
}
