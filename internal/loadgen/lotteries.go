package loadgen

import (
	"context"
	"fmt"
	"net/url"
	"sync/atomic"
	"time"

	"luckbox/lottery"
)

// LotteryView is the part of the lottery object the checks read.
type LotteryView struct {
	ID               string `json:"id"`
	Status           string `json:"status"`
	ParticipantCount int    `json:"participant_count"`
	Fairness         struct {
		SeedHash string  `json:"seed_hash"`
		Seed     *string `json:"seed"`
	} `json:"fairness"`
	Me *struct {
		Joined bool    `json:"joined"`
		Prize  *string `json:"prize"`
	} `json:"me"`
}

// prizesFor splits winners into up to three prize lines.
func prizesFor(winners int) []lottery.Prize {
	if winners < 3 {
		return []lottery.Prize{{Name: "gold", Quantity: winners}}
	}
	second := max(1, (winners-1)/10)
	return []lottery.Prize{{Name: "gold", Quantity: 1}, {Name: "silver", Quantity: second}, {Name: "bronze", Quantity: winners - 1 - second}}
}

// createLottery creates a manual lottery as the run's sender.
func (e *Env) createLottery(ctx context.Context, title string, prizes []lottery.Prize) (LotteryView, User, error) {
	creator, err := e.Sender(ctx)
	if err != nil {
		return LotteryView{}, creator, err
	}
	var l LotteryView
	in := map[string]any{"title": title, "prizes": prizes, "draw": map[string]any{"mode": "manual"}}
	_, err = e.C.Call(ctx, "POST", "/api/v1/lotteries", creator.Token, in, &l, 201)
	return l, creator, err
}

const outJoin = "join"

// join sends one join and counts an acknowledged entry.
func (e *Env) join(ctx context.Context, w int, path string, u User) (string, error) {
	resp, err := e.do(ctx, w, "POST", path, u.Token)
	if err != nil {
		return "", err
	}
	if resp.Status != 201 {
		return "", newError("POST", path, resp)
	}
	return outJoin, nil
}

// verifyDraw draws lottery l (as creator) if it is not drawn, then checks the
// winners and the proof: the proof recomputes, its entries are exactly the
// acknowledged joins, winners = min(prizes, entries).
func (e *Env) verifyDraw(ctx context.Context, l LotteryView, creator User, joined map[string]bool, prizes []lottery.Prize) (time.Duration, error) {
	start := time.Now()
	var drawn LotteryView
	if _, err := e.C.Call(ctx, "POST", "/api/v1/lotteries/"+l.ID+"/draw", creator.Token, nil, &drawn, 200); err != nil {
		return 0, err
	}
	took := time.Since(start)
	if drawn.Status != "drawn" {
		return took, fmt.Errorf("lottery %s is %q after the draw", l.ID, drawn.Status)
	}
	var all []lottery.Winner
	for cursor := ""; ; {
		var page struct {
			Items      []lottery.Winner `json:"items"`
			NextCursor string           `json:"next_cursor"`
		}
		path := "/api/v1/lotteries/" + l.ID + "/winners?cursor=" + url.QueryEscape(cursor)
		if _, err := e.C.Call(ctx, "GET", path, creator.Token, nil, &page, 200); err != nil {
			return took, err
		}
		all = append(all, page.Items...)
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	var proof lottery.Proof
	if _, err := e.C.Call(ctx, "GET", "/api/v1/lotteries/"+l.ID+"/proof", creator.Token, nil, &proof, 200); err != nil {
		return took, err
	}
	return took, CheckDraw(joined, prizes, all, proof)
}

// CheckDraw checks a drawn lottery: the proof verifies, its entries are
// exactly joined, the winners listed are the proof's, distinct participants,
// min(prizes, entries) of them with the prize quantities respected.
func CheckDraw(joined map[string]bool, prizes []lottery.Prize, winners []lottery.Winner, proof lottery.Proof) error {
	if err := proof.Verify(); err != nil {
		return fmt.Errorf("the proof does not verify: %w", err)
	}
	if len(proof.Entries) != len(joined) {
		return fmt.Errorf("the proof lists %d entries, %d joins were acknowledged", len(proof.Entries), len(joined))
	}
	for _, id := range proof.Entries {
		if !joined[id] {
			return fmt.Errorf("the proof lists %s, whose join was never acknowledged", id)
		}
	}
	total := 0
	quota := map[string]int{}
	for _, p := range prizes {
		total += p.Quantity
		quota[p.Name] = p.Quantity
	}
	want := min(total, len(joined))
	if len(winners) != want || len(proof.Winners) != want {
		return fmt.Errorf("%d winners listed, %d in the proof, want min(%d prizes, %d entries) = %d",
			len(winners), len(proof.Winners), total, len(joined), want)
	}
	seen := map[string]bool{}
	for i, w := range winners {
		if seen[w.UserID] {
			return fmt.Errorf("%s won twice", w.UserID)
		}
		seen[w.UserID] = true
		if !joined[w.UserID] {
			return fmt.Errorf("winner %s never joined", w.UserID)
		}
		if quota[w.Prize]--; quota[w.Prize] < 0 {
			return fmt.Errorf("prize %q given more often than its quantity", w.Prize)
		}
		if pw := proof.Winners[i]; pw.UserID != w.UserID || pw.Prize != w.Prize {
			return fmt.Errorf("winner %d is %s (%s), the proof says %s (%s)", i, w.UserID, w.Prize, pw.UserID, pw.Prize)
		}
	}
	return nil
}

// runJoin: JoinUsers users join as many lotteries as the planned attempts
// need, round-robin; every join is new, so every answer must be 201.
func runJoin(ctx context.Context, e *Env) (*Report, error) {
	r := &Report{}
	nu := e.Opt.JoinUsers
	nl := int((e.plannedAttempts() + int64(nu) - 1) / int64(nu))
	users, err := e.Users(ctx, nu)
	if err != nil {
		return nil, err
	}
	prizes := prizesFor(10)
	lots := make([]LotteryView, nl)
	paths := make([]string, nl)
	creator, err := e.Sender(ctx)
	if err != nil {
		return nil, err
	}
	err = parallel(ctx, nl, 8, func(ctx context.Context, i int) error {
		l, _, err := e.createLottery(ctx, fmt.Sprintf("bench join %d", i), prizes)
		lots[i], paths[i] = l, "/api/v1/lotteries/"+l.ID+"/entries"
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create lotteries: %w", err)
	}
	total := int64(nl * nu)
	acked := make([]bool, total)
	res := e.measure(ctx, "join", Load{Workers: e.Opt.Concurrency, Duration: e.Opt.Duration, Total: total},
		func(ctx context.Context, w int, n int64) (string, error) {
			// Request n is user u's k-th join; consecutive requests come
			// from different users.
			u, k := int(n%int64(nu)), int(n/int64(nu))
			l := (k + u) % nl
			out, err := e.join(ctx, w, paths[l], users[u])
			acked[n] = err == nil
			return out, err
		})
	r.addResult(res)
	r.fact("joins", "%.0f/s over %d lotteries", res.Rate(outJoin), nl)
	if res.Count(outJoin)+res.Errors >= total {
		r.note("every planned join ran before the time was up: raise --rate-cap for a longer run")
	}
	// Every lottery counts exactly its acknowledged joins.
	counts := make([]int, nl)
	joined := map[string]bool{} // the acknowledged joins of the first lottery
	for n, ok := range acked {
		if ok {
			u, k := n%nu, n/nu
			l := (k + u) % nl
			counts[l]++
			if l == 0 {
				joined[users[u].ID] = true
			}
		}
	}
	err = parallel(ctx, nl, 8, func(ctx context.Context, i int) error {
		var l LotteryView
		if _, err := e.C.Call(ctx, "GET", "/api/v1/lotteries/"+lots[i].ID, creator.Token, nil, &l, 200); err != nil {
			return err
		}
		if l.ParticipantCount != counts[i] {
			return fmt.Errorf("lottery %s counts %d participants, %d joins were acknowledged", l.ID, l.ParticipantCount, counts[i])
		}
		return nil
	})
	if err != nil {
		r.fail(err)
		return r, nil
	}
	r.check("%d lotteries count exactly their acknowledged joins", nl)
	// The first lottery is drawn: its proof lists exactly the acknowledged joins.
	if _, err := e.verifyDraw(ctx, lots[0], creator, joined, prizes); err != nil {
		r.fail(fmt.Errorf("lottery %s: %w", lots[0].ID, err))
	} else {
		r.check("lottery %s drawn: proof verifies, lists its %d joins, %d winners", lots[0].ID, len(joined), min(10, len(joined)))
	}
	r.fail(e.audit(ctx, r))
	return r, nil
}

// runDraw: DrawEntries users join one lottery (measured as "join"), then its
// creator draws DrawWinners winners (timed), and the result is checked.
func runDraw(ctx context.Context, e *Env) (*Report, error) {
	r := &Report{}
	n := e.Opt.DrawEntries
	users, err := e.Users(ctx, n)
	if err != nil {
		return nil, err
	}
	prizes := prizesFor(e.Opt.DrawWinners)
	l, creator, err := e.createLottery(ctx, "bench draw", prizes)
	if err != nil {
		return nil, fmt.Errorf("create lottery: %w", err)
	}
	path := "/api/v1/lotteries/" + l.ID + "/entries"
	var joins atomic.Int64
	res := e.measure(ctx, "draw", Load{Workers: e.Opt.Concurrency, Total: int64(n)},
		func(ctx context.Context, w int, i int64) (string, error) {
			out, err := e.join(ctx, w, path, users[i])
			if err == nil {
				joins.Add(1)
			}
			return out, err
		})
	r.addResult(res)
	if res.Errors > 0 {
		return r, nil
	}
	joined := make(map[string]bool, n)
	for _, u := range users {
		joined[u.ID] = true
	}
	if e.Opt.OnMeasure != nil { // profile the draw itself too
		e.Opt.OnMeasure("draw-call", 2*time.Second)
		time.Sleep(100 * time.Millisecond)
	}
	took, err := e.verifyDraw(ctx, l, creator, joined, prizes)
	r.fact("draw", "%s ms to draw %d winners from %d entries (POST /draw answered)", ms(took), min(e.Opt.DrawWinners, n), n)
	if err != nil {
		r.fail(fmt.Errorf("lottery %s: %w", l.ID, err))
		return r, nil
	}
	r.check("%d entries, proof verifies and lists exactly the acknowledged joins, %d distinct winners", n, min(e.Opt.DrawWinners, n))
	// Every participant gets a result in the inbox (fanned out after the draw).
	start := time.Now()
	if err := e.waitInbox(ctx, l.ID, []User{users[0], users[n/2], users[n-1]}, 10*time.Minute); err != nil {
		r.fail(err)
	} else {
		r.fact("result notifications", "first, middle and last entrant notified %s after the draw", time.Since(start).Round(time.Millisecond))
	}
	if ok, err := e.waitOutbox(ctx, 10*time.Minute); err != nil {
		r.fail(err)
	} else if ok {
		r.fact("outbox", "drained %s after the draw (every notification delivered)", time.Since(start).Round(time.Millisecond))
	}
	r.fail(e.audit(ctx, r))
	return r, nil
}

// waitInbox waits until each user's inbox holds the lottery_result of lottery id.
func (e *Env) waitInbox(ctx context.Context, id string, users []User, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for _, u := range users {
		for {
			var inbox struct {
				Items []struct {
					Kind string `json:"kind"`
					Ref  string `json:"ref"`
				} `json:"items"`
			}
			if _, err := e.C.Call(ctx, "GET", "/api/v1/me/inbox", u.Token, nil, &inbox, 200); err != nil {
				return err
			}
			found := false
			for _, it := range inbox.Items {
				found = found || (it.Kind == "lottery_result" && it.Ref == id)
			}
			if found {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("user %s has no lottery_result for %s after %s", u.ID, id, limit)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}
