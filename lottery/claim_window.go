package lottery

import (
	"time"

	"luckbox/data"
)

// Limits of claim windows and redraws.
const (
	MinClaimWindow  = 60                  // seconds
	MaxClaimWindow  = 30 * 24 * 3600      // 30 days, in seconds
	MaxRedrawRounds = 3                   // redraw rounds a lottery may ask for
	dueClaimClose   = "lottery.claim_end" // the scheduled close of a claim window
)

// Claim statuses of a winner (WinnerView.Status, Me.ClaimStatus).
const (
	ClaimClaimed = "claimed" // delivery details left within the window
	ClaimPending = "pending" // not yet; the window is open (or there is none)
	ClaimLapsed  = "lapsed"  // the window closed without a claim
)

// claimWindow is the claim window of one round (0: the main draw; r: redraw
// round r) in a record.
type claimWindow struct {
	Deadline time.Time `json:"deadline"`
	Closed   bool      `json:"closed,omitempty"` // the close ran (lapses told, redraw done)
}

// redrawRecord is a redraw round in a record: its seed (secret until the
// round is drawn) committed when the previous window opened, and once drawn
// what the proof shows of it. Its winners are in bucketWinners after those
// of the earlier rounds.
type redrawRecord struct {
	Seed         string     `json:"seed"`
	SeedHash     string     `json:"seed_hash"`
	CommittedAt  time.Time  `json:"committed_at"`
	DrawnAt      *time.Time `json:"drawn_at,omitempty"`
	Lapsed       []string   `json:"lapsed,omitempty"`
	EligibleHash string     `json:"eligible_hash,omitempty"`
	Prizes       []Prize    `json:"prizes,omitempty"`
	WinnerCount  int        `json:"winner_count,omitempty"`
}

// ClaimWindowView is a lottery's claim window as the API shows it.
type ClaimWindowView struct {
	// Seconds is how long each winner has to claim after their round's draw.
	Seconds int `json:"seconds"`
	// RedrawRounds is how many times lapsed prizes may be redrawn.
	RedrawRounds int `json:"redraw_rounds"`
	// Round is the current round (0: the main draw), Deadline its claim
	// deadline; Deadline is null before the draw.
	Round    int        `json:"round"`
	Deadline *time.Time `json:"deadline"`
	// Redraws are the redraw rounds committed so far.
	Redraws []RedrawView `json:"redraws"`
}

// RedrawView is a redraw round as the API shows it: its seed's commitment
// from the moment the previous window opens, the seed once it is drawn.
type RedrawView struct {
	Round       int        `json:"round"`
	SeedHash    string     `json:"seed_hash"`
	CommittedAt time.Time  `json:"committed_at"`
	Seed        *string    `json:"seed"`
	DrawnAt     *time.Time `json:"drawn_at"`
	WinnerCount int        `json:"winner_count"`
}

// claimWindowView is the view of r's claim window (nil without one).
func (r *record) claimWindowView() *ClaimWindowView {
	if r.ClaimWindow == 0 {
		return nil
	}
	v := &ClaimWindowView{Seconds: r.ClaimWindow, RedrawRounds: r.RedrawRounds, Redraws: []RedrawView{}}
	if n := len(r.Windows); n > 0 {
		v.Round = n - 1
		d := r.Windows[n-1].Deadline
		v.Deadline = &d
	}
	for i, rd := range r.Redraws {
		rv := RedrawView{Round: i + 1, SeedHash: rd.SeedHash, CommittedAt: rd.CommittedAt, DrawnAt: rd.DrawnAt, WinnerCount: rd.WinnerCount}
		if rd.DrawnAt != nil {
			seed := rd.Seed
			rv.Seed = &seed
		}
		v.Redraws = append(v.Redraws, rv)
	}
	return v
}

// wonRound is the round of a bucketWon value (prize ‖ rank ‖ round; the
// main draw's values have no round).
func wonRound(v []byte) int {
	if len(v) >= 24 {
		return int(data.ParseU64(v[16:]))
	}
	return 0
}

// winnerRound is the round of a bucketWinners value (user ‖ tag ‖ prize ‖
// round; the main draw's values have no round).
func winnerRound(v []byte) int {
	if len(v) >= 32 {
		return int(data.ParseU64(v[24:]))
	}
	return 0
}

// claimStatus is the claim status at now of user's prize won in round.
func claimStatus(tx data.Tx, seq, user uint64, r *record, round int, now time.Time) string {
	if data.MustBucket(tx, bucketClaims).Get(pairKey(seq, user)) != nil {
		return ClaimClaimed
	}
	if round < len(r.Windows) && !now.Before(r.Windows[round].Deadline) {
		return ClaimLapsed
	}
	return ClaimPending
}

// claimClosed is the rejection of a claim after the window of round closed
// (nil while it is open, or without a window). A window whose close has run
// is closed whatever now says: a claim timed just before the deadline that
// reaches the writer after the close (and the redraw) is refused too.
func claimClosed(r *record, round int, now time.Time) error {
	if r.ClaimWindow == 0 || round >= len(r.Windows) {
		return nil
	}
	if w := r.Windows[round]; now.Before(w.Deadline) && !w.Closed {
		return nil
	}
	what := "the prize is no longer claimable"
	if round < r.RedrawRounds {
		what = "the prize is redrawn among the entrants who did not win"
	}
	return data.Errorf(data.EExpired, "the claim window closed at %s: %s",
		r.Windows[round].Deadline.Format(time.RFC3339), what)
}

// openWindow opens the claim window of the next round at now (the draw of
// the main round or of a redraw round has just run in tx): it sets its
// deadline, schedules its close and commits the seed of the following
// redraw round, if one may follow. rand fills the new seed.
func (s *Service) openWindow(tx data.Tx, seq uint64, r *record, now time.Time) error {
	if r.ClaimWindow == 0 {
		return nil
	}
	now = now.Truncate(time.Second)
	deadline := now.Add(time.Duration(r.ClaimWindow) * time.Second)
	round := len(r.Windows)
	r.Windows = append(r.Windows, claimWindow{Deadline: deadline})
	if err := s.db.Schedule(tx, deadline, dueClaimClose, data.Key(lkey(seq), data.U64(uint64(round)))); err != nil {
		return err
	}
	if round >= r.RedrawRounds {
		return nil
	}
	seed, err := s.newSeed()
	if err != nil {
		return err
	}
	sh := SeedHash(seed)
	r.Redraws = append(r.Redraws, redrawRecord{Seed: hexOf(seed), SeedHash: hexOf(sh), CommittedAt: now})
	return nil
}

// claimState fills the viewer's round, claim status and deadline.
func (m *Me) claimState(tx data.Tx, seq, viewer uint64, r *record, round int, now time.Time) {
	st := claimStatus(tx, seq, viewer, r, round, now)
	m.Round, m.ClaimStatus = &round, &st
	if round < len(r.Windows) {
		d := r.Windows[round].Deadline
		m.ClaimDeadline = &d
	}
}
