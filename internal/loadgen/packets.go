package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"
)

// PacketView is the part of the packet object the checks read.
type PacketView struct {
	ID              string `json:"id"`
	Kind            string `json:"kind"`
	Count           int    `json:"count"`
	Amount          int64  `json:"amount"`
	Status          string `json:"status"`
	RemainingCount  int    `json:"remaining_count"`
	RemainingAmount int64  `json:"remaining_amount"`
	RefundedAmount  int64  `json:"refunded_amount"`
	Grabs           []struct {
		UserID string `json:"user_id"`
		Amount int64  `json:"amount"`
	} `json:"grabs"`
	Split *struct {
		Shares []int64 `json:"shares"`
	} `json:"split"`
}

// CheckPacket checks a packet against the grabs the benchmark saw
// acknowledged (user id → amount): the same grabs, nobody twice, and
// grabs + remaining (+ refunded) == amount; for a finished lucky packet the
// revealed split is the grabs in order.
func CheckPacket(p PacketView, acked map[string]int64) error { return checkPacket(p, acked, true) }

// CheckPacketAfterCrash is CheckPacket for a packet whose server was killed
// while grabs were in flight: every acknowledged grab must be there with its
// amount, and grabs nobody saw answered may be there too.
func CheckPacketAfterCrash(p PacketView, acked map[string]int64) error {
	return checkPacket(p, acked, false)
}

func checkPacket(p PacketView, acked map[string]int64, exact bool) error {
	seen := make(map[string]bool, len(p.Grabs))
	var sum int64
	for i, g := range p.Grabs {
		if seen[g.UserID] {
			return fmt.Errorf("packet %s: user %s grabbed twice", p.ID, g.UserID)
		}
		seen[g.UserID] = true
		sum += g.Amount
		if g.Amount < 1 {
			return fmt.Errorf("packet %s: grab %d of %d fen", p.ID, i, g.Amount)
		}
		a, ok := acked[g.UserID]
		if !ok && exact {
			return fmt.Errorf("packet %s: grab by %s that was never acknowledged", p.ID, g.UserID)
		}
		if ok && a != g.Amount {
			return fmt.Errorf("packet %s: %s was told %d fen, the packet says %d", p.ID, g.UserID, a, g.Amount)
		}
	}
	for u := range acked {
		if !seen[u] {
			return fmt.Errorf("packet %s: the acknowledged grab of %s is missing", p.ID, u)
		}
	}
	if got := sum + p.RemainingAmount + p.RefundedAmount; got != p.Amount {
		return fmt.Errorf("packet %s: grabs %d + remaining %d + refunded %d = %d fen, amount is %d",
			p.ID, sum, p.RemainingAmount, p.RefundedAmount, got, p.Amount)
	}
	if p.RemainingCount != p.Count-len(p.Grabs) {
		return fmt.Errorf("packet %s: %d grabs of %d shares but remaining_count %d", p.ID, len(p.Grabs), p.Count, p.RemainingCount)
	}
	if p.Status == "finished" && (len(p.Grabs) != p.Count || p.RemainingAmount != 0) {
		return fmt.Errorf("packet %s: finished with %d of %d shares grabbed, %d fen left", p.ID, len(p.Grabs), p.Count, p.RemainingAmount)
	}
	if p.Split != nil && p.Split.Shares != nil {
		if len(p.Split.Shares) != p.Count {
			return fmt.Errorf("packet %s: split reveals %d shares of %d", p.ID, len(p.Split.Shares), p.Count)
		}
		for i, g := range p.Grabs {
			if p.Split.Shares[i] != g.Amount {
				return fmt.Errorf("packet %s: grab %d got %d fen, the split says %d", p.ID, i, g.Amount, p.Split.Shares[i])
			}
		}
	}
	return nil
}

// packetSet is the packets of a grab scenario and what was acknowledged.
type packetSet struct {
	ids    []string
	paths  []string // POST path of a grab, per packet
	count  int
	amount int64
	sender User

	// rec[n] is what request n of the measured phase did: written by the
	// one worker that sent it, read after the phase (see collect).
	rec []grabRec
}

// grabRec is one grab request: packet index, pool user index and the amount
// of an acknowledged grab (0 if it was not one).
type grabRec struct {
	p, u   int32
	amount int64
}

// createPackets funds the sender and creates n lucky packets of count shares
// and amount fen each.
func (e *Env) createPackets(ctx context.Context, n, count int, amount int64) (*packetSet, error) {
	sender, err := e.Sender(ctx)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := e.Fund(ctx, sender, int64(n)*amount); err != nil {
		return nil, fmt.Errorf("fund the sender: %w", err)
	}
	ps := &packetSet{ids: make([]string, n), paths: make([]string, n), count: count, amount: amount, sender: sender}
	err = parallel(ctx, n, min(e.setupWorkers(), 32), func(ctx context.Context, i int) error {
		var p PacketView
		in := map[string]any{"kind": "lucky", "count": count, "amount": amount, "greeting": "bench"}
		if _, err := e.C.Call(ctx, "POST", "/api/v1/packets", sender.Token, in, &p, 201); err != nil {
			if IsStatus(err, 400) {
				return fmt.Errorf("%w (raise the server's --packet-max-count / --packet-max-amount)", err)
			}
			return err
		}
		if p.Status != "active" {
			return fmt.Errorf("new packet %s is %q, want active", p.ID, p.Status)
		}
		ps.ids[i] = p.ID
		ps.paths[i] = "/api/v1/packets/" + p.ID + "/grabs"
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create packets: %w", err)
	}
	e.logf("created %d packets of %d shares (%d fen each) in %s", n, count, amount, time.Since(start).Round(time.Millisecond))
	return ps, nil
}

// grab outcomes.
const (
	outGrab      = "grab"
	outExhausted = "exhausted"
)

// grab sends request n: a grab of packet p by pool user ui, and records an
// acknowledged share. exhaustedOK says whether 410 exhausted is expected.
func (e *Env) grab(ctx context.Context, w int, ps *packetSet, n int64, p, ui int, u User, exhaustedOK bool) (string, error) {
	resp, err := e.do(ctx, w, "POST", ps.paths[p], u.Token)
	if err != nil {
		return "", err
	}
	switch resp.Status {
	case 201:
		amount, ok := jsonInt(resp.Body, `"amount":`)
		if !ok || amount < 1 {
			return "", fmt.Errorf("grab answer %q has no amount", resp.Body)
		}
		ps.rec[n] = grabRec{p: int32(p), u: int32(ui), amount: amount}
		return outGrab, nil
	case 410:
		if exhaustedOK {
			return outExhausted, nil
		}
	}
	return "", newError("POST", ps.paths[p], resp)
}

// jsonInt finds key (e.g. `"amount":`) in a small JSON object and parses the
// integer after it: the generator's cheap alternative to json.Unmarshal.
func jsonInt(b []byte, key string) (int64, bool) {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return 0, false
	}
	b = bytes.TrimLeft(b[i+len(key):], " ")
	j := 0
	for j < len(b) && (b[j] >= '0' && b[j] <= '9' || j == 0 && b[j] == '-') {
		j++
	}
	v, err := strconv.ParseInt(string(b[:j]), 10, 64)
	return v, err == nil
}

// collect turns the phase's records into the acknowledged grabs per packet
// (user id → amount) and credits the users.
func (e *Env) collect(ps *packetSet, users []User) []map[string]int64 {
	acked := make([]map[string]int64, len(ps.ids))
	for i := range acked {
		acked[i] = map[string]int64{}
	}
	for _, r := range ps.rec {
		if r.amount > 0 {
			acked[r.p][users[r.u].ID] = r.amount
			e.credit(int(r.u), r.amount)
		}
	}
	return acked
}

// check reads every packet back and compares it with the acknowledged
// grabs, then checks the wallets of the first users pool users and the audit.
func (e *Env) checkPackets(ctx context.Context, r *Report, ps *packetSet, pool []User, users int) {
	acked := e.collect(ps, pool)
	var mu sync.Mutex
	var grabs int
	err := parallel(ctx, len(ps.ids), 8, func(ctx context.Context, i int) error {
		var p PacketView
		if _, err := e.C.Call(ctx, "GET", "/api/v1/packets/"+ps.ids[i], ps.sender.Token, nil, &p, 200); err != nil {
			return err
		}
		if err := CheckPacket(p, acked[i]); err != nil {
			return err
		}
		mu.Lock()
		grabs += len(p.Grabs)
		mu.Unlock()
		return nil
	})
	if err != nil {
		r.fail(err)
		return
	}
	r.check("%d packets hold exactly the %d acknowledged grabs, sums match", len(ps.ids), grabs)
	if err := e.checkWallets(ctx, users); err != nil {
		r.fail(err)
	} else {
		r.check("%d wallets hold exactly what their grabs credited", users)
	}
	r.fail(e.audit(ctx, r))
}

func (e *Env) plannedAttempts() int64 {
	return int64(float64(e.Opt.RateCap) * e.Opt.Duration.Seconds())
}

// runGrabHot: HotPackets packets are grabbed at once by HotShares users; when
// they run out the next HotPackets take over. Every grab succeeds: each
// packet gets exactly as many attempts as it has shares, from distinct users.
func runGrabHot(ctx context.Context, e *Env) (*Report, error) {
	r := &Report{}
	h, c := e.Opt.HotPackets, e.Opt.HotShares
	gens := int((e.plannedAttempts() + int64(h*c) - 1) / int64(h*c))
	users, err := e.Users(ctx, c)
	if err != nil {
		return nil, err
	}
	ps, err := e.createPackets(ctx, gens*h, c, int64(2*c))
	if err != nil {
		return nil, err
	}
	total := int64(gens * h * c)
	ps.rec = make([]grabRec, total)
	res := e.measure(ctx, "grab-hot", Load{Workers: e.Opt.Concurrency, Duration: e.Opt.Duration, Total: total},
		func(ctx context.Context, w int, n int64) (string, error) {
			slot, k := int(n%int64(h)), int(n/int64(h))
			gen, u := k/c, k%c
			return e.grab(ctx, w, ps, n, gen*h+slot, u, users[u], false)
		})
	r.addResult(res)
	r.fact("grabs", "%d successful grabs/s (%d packets of %d shares, %d at a time)", int64(res.Rate(outGrab)), gens*h, c, h)
	if res.Count(outGrab)+res.Errors >= total {
		r.note("every planned share was grabbed before the time was up: raise --rate-cap for a longer run")
	}
	e.checkPackets(ctx, r, ps, users, c)
	return r, nil
}

// runGrabSpread: grabs spread over SpreadPackets active packets; each of the
// users grabs every packet once, in a shuffled order.
func runGrabSpread(ctx context.Context, e *Env) (*Report, error) {
	r := &Report{}
	np := e.Opt.SpreadPackets
	c := int((e.plannedAttempts() + int64(np) - 1) / int64(np))
	users, err := e.Users(ctx, c)
	if err != nil {
		return nil, err
	}
	ps, err := e.createPackets(ctx, np, c, int64(2*c))
	if err != nil {
		return nil, err
	}
	perm := rand.Perm(np)
	total := int64(np * c)
	ps.rec = make([]grabRec, total)
	res := e.measure(ctx, "grab-spread", Load{Workers: e.Opt.Concurrency, Duration: e.Opt.Duration, Total: total},
		func(ctx context.Context, w int, n int64) (string, error) {
			// Request n is user u's k-th grab; consecutive requests come from
			// different users and go to different packets.
			u, k := int(n%int64(c)), int(n/int64(c))
			p := perm[(k+u)%np]
			return e.grab(ctx, w, ps, n, p, u, users[u], false)
		})
	r.addResult(res)
	r.fact("grabs", "%d successful grabs/s over %d active packets", int64(res.Rate(outGrab)), np)
	if res.Count(outGrab)+res.Errors >= total {
		r.note("every planned share was grabbed before the time was up: raise --rate-cap for a longer run")
	}
	e.checkPackets(ctx, r, ps, users, c)
	return r, nil
}

// runStorm: StormUsers users each grab every one of StormPackets packets of
// StormShares shares, packet after packet, in a shuffled user order: the
// first StormShares attempts on a packet win, the rest get 410 exhausted.
func runStorm(ctx context.Context, e *Env) (*Report, error) {
	r := &Report{}
	nu, np, k := e.Opt.StormUsers, e.Opt.StormPackets, e.Opt.StormShares
	users, err := e.Users(ctx, nu)
	if err != nil {
		return nil, err
	}
	ps, err := e.createPackets(ctx, np, k, int64(2*k))
	if err != nil {
		return nil, err
	}
	perm := rand.Perm(nu)
	ps.rec = make([]grabRec, nu*np)
	res := e.measure(ctx, "storm", Load{Workers: e.Opt.Concurrency, Total: int64(nu * np)},
		func(ctx context.Context, w int, n int64) (string, error) {
			p, u := int(n/int64(nu)), perm[int(n%int64(nu))]
			return e.grab(ctx, w, ps, n, p, u, users[u], true)
		})
	r.addResult(res)
	r.fact("successful grabs", "%.0f/s", res.Rate(outGrab))
	r.fact("rejected (410 exhausted)", "%.0f/s", res.Rate(outExhausted))
	wantGrabs := int64(np * min(k, nu))
	if g, x := res.Count(outGrab), res.Count(outExhausted); g != wantGrabs || x != int64(nu*np)-wantGrabs {
		r.fail(fmt.Errorf("storm: %d grabs and %d exhausted, want %d and %d", g, x, wantGrabs, int64(nu*np)-wantGrabs))
	} else {
		r.check("%d grabs won, %d rejected as exhausted", g, x)
	}
	e.checkPackets(ctx, r, ps, users, nu)
	return r, nil
}
