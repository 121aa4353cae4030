package web

import (
	"net/http"
	"time"

	"luckbox/data"
	"luckbox/lottery"
	"luckbox/packet"
)

// Defaults and bounds of GET /admin/stats?window=.
const (
	defaultStatsWindow = time.Hour
	maxStatsWindow     = data.ActivityMinutes * time.Minute
)

// statsJSON is the answer of GET /admin/stats: per-minute activity over the
// window and the money flow totals, for the admin console's charts.
type statsJSON struct {
	WindowMinutes int               `json:"window_minutes"`
	Start         time.Time         `json:"start"`
	Series        statsSeries       `json:"series"`
	Money         *packet.MoneyFlow `json:"money"`
}

// statsSeries are committed events per minute, oldest minute first.
type statsSeries struct {
	Joins  []uint64 `json:"joins"`
	Grabs  []uint64 `json:"grabs"`
	Topups []uint64 `json:"topups"`
}

// statsWindow reads ?window= (a duration in whole minutes, 1m..24h).
func statsWindow(r *http.Request) (int, error) {
	s := r.URL.Query().Get("window")
	if s == "" {
		return int(defaultStatsWindow / time.Minute), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Minute || d > maxStatsWindow || d%time.Minute != 0 {
		return 0, data.Invalid("window", "must be a duration of whole minutes from 1m to %s, like 60m or 6h", maxStatsWindow)
	}
	return int(d / time.Minute), nil
}

func (s *Server) handleAdminStats(w http.ResponseWriter, r *http.Request) {
	minutes, err := statsWindow(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := statsJSON{WindowMinutes: minutes}
	out.Start, out.Series.Joins = s.DB.PerMinute(lottery.ActivityJoins, minutes)
	_, out.Series.Grabs = s.DB.PerMinute(packet.ActivityGrabs, minutes)
	_, out.Series.Topups = s.DB.PerMinute(packet.ActivityTopups, minutes)
	if s.Packets != nil {
		f, err := s.Packets.Flow(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out.Money = &f
	}
	writeJSON(w, http.StatusOK, out)
}
