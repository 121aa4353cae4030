package lottery

// Redraws (docs/fairness.md, section 2.8): when a lottery's claim window
// closes, the prizes its winners did not claim are drawn again among the
// entrants who have not won, with a fresh seed committed to when the window
// opened. A redraw round is luckbox-draw-v1 applied to three derived inputs:
// the round's own seed, the eligible entries (the entries, in entry order,
// minus the winners of the main draw and of every earlier round) and the
// lapsed prizes (the prizes of the previous round's winners who did not
// claim, grouped by the lottery's prize list).

// Eligible returns the entries, in entry order, that are not in won (the
// winners of every earlier round). entries is not modified; the result is
// never nil.
func Eligible(entries []string, won map[string]bool) []string {
	out := make([]string, 0, max(len(entries)-len(won), 0))
	for _, e := range entries {
		if !won[e] {
			out = append(out, e)
		}
	}
	return out
}

// LapsedPrizes returns the prize list of a redraw round: for each prize of
// the lottery's list, in its order, the number of lapsed winners who had
// won it (prizes nobody lapsed on are left out). lapsed holds the names of
// the prizes of the lapsed winners, in any order. The result is never nil.
func LapsedPrizes(prizes []Prize, lapsed []string) []Prize {
	n := make(map[string]int, len(lapsed))
	for _, name := range lapsed {
		n[name]++
	}
	out := []Prize{}
	for _, p := range prizes {
		if q := n[p.Name]; q > 0 {
			out = append(out, Prize{Name: p.Name, Quantity: q})
		}
	}
	return out
}

// Redraw runs one redraw round by luckbox-draw-v1: the winners of the
// round's seed over the eligible entries and the lapsed prizes, in draw
// order, with the eligible entries' hash (the round's eligible_hash). It is
// a pure function of its inputs.
func Redraw(seed [32]byte, eligible []string, prizes []Prize) (eligibleHash [32]byte, winners []Winner) {
	eh := EntriesHash(eligible)
	return eh, Draw(seed, eh, eligible, prizes)
}
