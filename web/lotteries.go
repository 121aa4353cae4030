package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"luckbox/auth"
	"luckbox/data"
	"luckbox/lottery"
)

// createLotteryIn is the body of POST /api/v1/lotteries.
type createLotteryIn struct {
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Prizes      []lottery.Prize `json:"prizes"`
	Draw        struct {
		Mode         string  `json:"mode"`
		At           *string `json:"at"`
		Participants *int    `json:"participants"`
	} `json:"draw"`
	MaxParticipants   *int `json:"max_participants"`
	LockBeforeSeconds *int `json:"lock_before_seconds"`
	// Group restricts the lottery to the creator's WeChat group (groups.go).
	Group        *auth.GroupShare `json:"group"`
	ClaimWindow  *int             `json:"claim_window_seconds"`
	RedrawRounds *int             `json:"redraw_rounds"`
}

func (in *createLotteryIn) toInput() (lottery.CreateInput, error) {
	out := lottery.CreateInput{
		Title: in.Title, Description: in.Description, Prizes: in.Prizes,
		Draw:              lottery.DrawInput{Mode: in.Draw.Mode, Participants: in.Draw.Participants},
		LockBeforeSeconds: in.LockBeforeSeconds,
		RedrawRounds:      in.RedrawRounds,
	}
	if in.ClaimWindow != nil {
		out.ClaimWindowSeconds = *in.ClaimWindow
	}
	if in.MaxParticipants != nil {
		out.MaxParticipants = *in.MaxParticipants
	}
	if in.Draw.At != nil {
		at, err := time.Parse(time.RFC3339, *in.Draw.At)
		if err != nil {
			return out, data.Invalid("draw.at", "must be an RFC 3339 time such as 2026-12-31T20:00:00+08:00")
		}
		out.Draw.At = at
	}
	return out, nil
}

// queryLimit parses the optional ?limit= of a list.
func queryLimit(r *http.Request) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, data.Invalid("limit", "must be a positive integer")
	}
	return n, nil
}

func (s *Server) handleCreateLottery(w http.ResponseWriter, r *http.Request) {
	var body createLotteryIn
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	in, err := body.toInput()
	if err == nil {
		in, err = s.Lotteries.Validate(in)
	}
	if err == nil {
		in.Group, err = s.creatorGroup(r, body.Group)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	flags, err := s.screen(r, lotteryFields(in)...)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	l, err := s.Lotteries.Create(r.Context(), currentUser(r), in)
	if err == nil {
		s.recordFlags(r, flagKindLottery, l.ID, flags)
	}
	s.writeResult(w, r, http.StatusCreated, l, err)
}

func (s *Server) handleGetLottery(w http.ResponseWriter, r *http.Request) {
	l, err := s.Lotteries.Get(r.Context(), chi.URLParam(r, "id"), currentUser(r).Seq)
	s.writeResult(w, r, http.StatusOK, l, err)
}

func (s *Server) handleCancelLottery(w http.ResponseWriter, r *http.Request) {
	l, err := s.Lotteries.Cancel(r.Context(), chi.URLParam(r, "id"), currentUser(r).Seq)
	s.writeResult(w, r, http.StatusOK, l, err)
}

func (s *Server) handleJoinLottery(w http.ResponseWriter, r *http.Request) {
	if err := decodeJSON(r, &struct{}{}); err != nil {
		s.writeError(w, r, err)
		return
	}
	e, created, err := s.Lotteries.Join(r.Context(), chi.URLParam(r, "id"), currentUser(r))
	s.writeResult(w, r, createdStatus(created), e, err)
}

func (s *Server) handleLeaveLottery(w http.ResponseWriter, r *http.Request) {
	if err := s.Lotteries.Leave(r.Context(), chi.URLParam(r, "id"), currentUser(r).Seq); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleDrawLottery(w http.ResponseWriter, r *http.Request) {
	if err := decodeJSON(r, &struct{}{}); err != nil {
		s.writeError(w, r, err)
		return
	}
	l, err := s.Lotteries.Draw(r.Context(), chi.URLParam(r, "id"), currentUser(r).Seq)
	s.writeResult(w, r, http.StatusOK, l, err)
}

func (s *Server) handleMyLotteries(w http.ResponseWriter, r *http.Request) {
	writePage(s, w, r, func(cursor string, limit int) ([]lottery.Lottery, string, error) {
		return s.Lotteries.Mine(r.Context(), currentUser(r).Seq, r.URL.Query().Get("role"), cursor, limit)
	})
}

func (s *Server) handleLotteryWinners(w http.ResponseWriter, r *http.Request) {
	writePage(s, w, r, func(cursor string, limit int) ([]lottery.WinnerView, string, error) {
		return s.Lotteries.Winners(r.Context(), chi.URLParam(r, "id"), cursor, limit)
	})
}

func (s *Server) handleLotteryProof(w http.ResponseWriter, r *http.Request) {
	p, err := s.Lotteries.Proof(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// A proof of a million entries is ~30 MB: stream it instead of buffering
	// it twice.
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "private, max-age=3600") // a drawn lottery's proof never changes
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(p)
}

func (s *Server) handleClaimPrize(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name    string `json:"name"`
		Phone   string `json:"phone"`
		Address string `json:"address"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, created, err := s.Lotteries.Claim(r.Context(), chi.URLParam(r, "id"), currentUser(r),
		lottery.ClaimInput{Name: in.Name, Phone: in.Phone, Address: in.Address})
	s.writeResult(w, r, createdStatus(created), c, err)
}

func (s *Server) handleLotteryClaims(w http.ResponseWriter, r *http.Request) {
	writePage(s, w, r, func(cursor string, limit int) ([]lottery.Claim, string, error) {
		return s.Lotteries.Claims(r.Context(), chi.URLParam(r, "id"), currentUser(r).Seq, cursor, limit)
	})
}
