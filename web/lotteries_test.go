package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"luckbox/lottery"
	"luckbox/wechat"
	"luckbox/wechat/fake"
)

// withLotteries adds the lottery service (results pushed with the fake's
// lottery template, fan-out in small chunks) and the mini-program codes.
func withLotteries(h *harness, deps *Deps) {
	svc := lottery.New(h.db, h.auth, lottery.Options{
		Now: h.clock.Now, Template: fake.TemplateLotteryResult, CancelTemplate: fake.TemplateLotteryCanceled, NotifyChunk: 7,
		Logger: slog.New(slog.DiscardHandler),
	})
	svc.RegisterBackground(h.bg)
	deps.Lotteries = svc
	deps.LotteryCode = testMiniCode{h.wx}
}

func init() { allFeatures = append(allFeatures, withLotteries) }

type testMiniCode struct{ c *wechat.Client }

func (m testMiniCode) UnlimitedCode(ctx context.Context, scene, page string) ([]byte, error) {
	return m.c.GetUnlimitedQRCode(ctx, scene, page, 0)
}

// tryDo is h.do for other goroutines: it returns errors instead of failing.
func (h *harness) tryDo(method, path, token string, body any) (response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return response{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, h.ts.URL+path, rd)
	if err != nil {
		return response{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := h.ts.Client().Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: b}, err
}

// testUser is a logged-in user.
type testUser struct{ OpenID, Token, ID string }

// loginAll logs n users in concurrently (openids prefix0..prefixN-1).
func (h *harness) loginAll(t testing.TB, prefix string, n int) []testUser {
	t.Helper()
	users := make([]testUser, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := range users {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			openid := fmt.Sprintf("%s%d", prefix, i)
			r, err := h.tryDo("POST", "/_fake/wechat/login-code", "", map[string]string{"openid": openid})
			if err != nil {
				errs[i] = err
				return
			}
			var code struct{ Code string }
			if err := json.Unmarshal(r.Body, &code); err != nil {
				errs[i] = err
				return
			}
			r, err = h.tryDo("POST", "/api/v1/login", "", map[string]string{"code": code.Code})
			var out struct {
				Token string
				User  struct{ ID string }
			}
			if err == nil {
				err = json.Unmarshal(r.Body, &out)
			}
			if err != nil || out.Token == "" {
				errs[i] = fmt.Errorf("login %s: %d %s %v", openid, r.Status, r.Body, err)
				return
			}
			users[i] = testUser{openid, out.Token, out.User.ID}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return users
}

// createLottery creates a lottery and returns it.
func (h *harness) createLottery(t testing.TB, token string, body any) lottery.Lottery {
	t.Helper()
	r := h.do("POST", "/api/v1/lotteries", token, body)
	wantStatus(t, r, 201, "")
	var l lottery.Lottery
	r.JSON(t, &l)
	return l
}

func (h *harness) getLottery(t testing.TB, token, id string) lottery.Lottery {
	t.Helper()
	r := h.do("GET", "/api/v1/lotteries/"+id, token, nil)
	wantStatus(t, r, 200, "")
	var l lottery.Lottery
	r.JSON(t, &l)
	return l
}

func (h *harness) proof(t testing.TB, token, id string) lottery.Proof {
	t.Helper()
	r := h.do("GET", "/api/v1/lotteries/"+id+"/proof", token, nil)
	wantStatus(t, r, 200, "")
	var p lottery.Proof
	r.JSON(t, &p)
	return p
}

// waitFor polls cond (moving nothing) until it holds; it fails the test
// after 20 s, a guard against hanging, not a timing assertion.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func manualLottery(prizes ...lottery.Prize) map[string]any {
	return map[string]any{"title": "年会抽奖", "prizes": prizes, "draw": map[string]any{"mode": "manual"}}
}

// TestLotteryConcurrentJoinLeaveDraw: 500 users join one lottery at once
// through the real handler, every fifth leaves right after joining, then the
// creator draws. The winner set is exactly right: 300 distinct winners (the
// prize total, fewer than the 400 who stayed), none who left, quantities
// per prize as listed, and the proof recomputes them.
func TestLotteryConcurrentJoinLeaveDraw(t *testing.T) {
	h := newHarness(t, withLotteries)
	creator, _ := h.login("creator")
	prizes := []lottery.Prize{{Name: "一等奖", Quantity: 1}, {Name: "二等奖", Quantity: 50}, {Name: "三等奖", Quantity: 249}}
	l := h.createLottery(t, creator, manualLottery(prizes...))
	users := h.loginAll(t, "p", 500)
	errs := make([]string, len(users))
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := h.tryDo("POST", "/api/v1/lotteries/"+l.ID+"/entries", u.Token, nil)
			if err != nil || r.Status != 201 {
				errs[i] = fmt.Sprintf("join %s: %d %s %v", u.OpenID, r.Status, r.Body, err)
				return
			}
			if i%5 == 0 {
				r, err = h.tryDo("DELETE", "/api/v1/lotteries/"+l.ID+"/entries/me", u.Token, nil)
				if err != nil || r.Status != 204 {
					errs[i] = fmt.Sprintf("leave %s: %d %s %v", u.OpenID, r.Status, r.Body, err)
				}
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Fatal(e)
		}
	}
	stayed, left := map[string]bool{}, map[string]bool{}
	for i, u := range users {
		if i%5 == 0 {
			left[u.ID] = true
		} else {
			stayed[u.ID] = true
		}
	}
	if got := h.getLottery(t, creator, l.ID).ParticipantCount; got != 400 {
		t.Fatalf("participant_count = %d, want 400", got)
	}
	r := h.do("POST", "/api/v1/lotteries/"+l.ID+"/draw", creator, nil)
	wantStatus(t, r, 200, "")
	var drawn lottery.Lottery
	r.JSON(t, &drawn)
	if drawn.Status != "drawn" || drawn.WinnerCount != 300 || drawn.Fairness.Seed == nil {
		t.Fatalf("drawn lottery: %+v", drawn)
	}

	p := h.proof(t, creator, l.ID)
	if err := p.Verify(); err != nil {
		t.Fatalf("proof does not verify: %v", err)
	}
	if len(p.Entries) != 400 {
		t.Fatalf("proof has %d entries, want 400", len(p.Entries))
	}
	for _, e := range p.Entries {
		if !stayed[e] {
			t.Fatalf("entry %s did not stay in the lottery", e)
		}
	}
	// The winners list (public, with nicknames) is the proof's winners.
	r = h.do("GET", "/api/v1/lotteries/"+l.ID+"/winners", users[1].Token, nil)
	wantStatus(t, r, 200, "")
	var winners listOf[lottery.WinnerView]
	r.JSON(t, &winners)
	if len(winners.Items) != 300 || winners.NextCursor != "" {
		t.Fatalf("%d winners (next %q), want 300", len(winners.Items), winners.NextCursor)
	}
	nick := map[string]string{}
	for _, u := range users {
		nick[u.ID] = u.OpenID
	}
	perPrize := map[string]int{}
	seen := map[string]bool{}
	for i, w := range winners.Items {
		switch {
		case seen[w.UserID]:
			t.Fatalf("%s wins twice", w.UserID)
		case left[w.UserID]:
			t.Fatalf("%s left but won %s", w.UserID, w.Prize)
		case !stayed[w.UserID]:
			t.Fatalf("%s is not a participant", w.UserID)
		case w.Nickname != nick[w.UserID]:
			t.Fatalf("winner %s nickname %q, want %q", w.UserID, w.Nickname, nick[w.UserID])
		case p.Winners[i] != (lottery.Winner{UserID: w.UserID, Prize: w.Prize}):
			t.Fatalf("winner %d: list %+v, proof %+v", i, w, p.Winners[i])
		}
		seen[w.UserID] = true
		perPrize[w.Prize]++
	}
	for _, pr := range prizes {
		if perPrize[pr.Name] != pr.Quantity {
			t.Errorf("prize %s handed out %d times, want %d", pr.Name, perPrize[pr.Name], pr.Quantity)
		}
	}
	if strings.Contains(string(r.Body), "openid") {
		t.Fatalf("winners list leaks openids: %.200s", r.Body)
	}
	// me.prize tells each participant their own result.
	for _, u := range users[:20] {
		me := h.getLottery(t, u.Token, l.ID).Me
		want := ""
		for _, w := range winners.Items {
			if w.UserID == u.ID {
				want = w.Prize
			}
		}
		got := ""
		if me != nil && me.Prize != nil {
			got = *me.Prize
		}
		if me == nil || me.Joined != stayed[u.ID] || got != want {
			t.Fatalf("%s: me = %+v (prize %q), want joined %v prize %q", u.OpenID, me, got, stayed[u.ID], want)
		}
	}
}

// TestLotteryJoinRacesLock: joins racing the lock of a time lottery either
// count (they are in the entries fixed at the lock, and in the proof) or get
// 409; never half.
func TestLotteryJoinRacesLock(t *testing.T) {
	h := newHarness(t, withLotteries)
	creator, _ := h.login("creator")
	at := h.clock.Now().Add(time.Hour)
	l := h.createLottery(t, creator, map[string]any{"title": "定时开奖", "prizes": []lottery.Prize{{Name: "P", Quantity: 30}},
		"draw": map[string]any{"mode": "time", "at": at.Format(time.RFC3339)}, "lock_before_seconds": 120})
	users := h.loginAll(t, "r", 200)
	status := make([]int, len(users))
	var wg sync.WaitGroup
	var racers sync.WaitGroup
	var mu sync.Mutex
	racedIn := 0
	someIn := make(chan struct{})
	join := func(i int) {
		defer wg.Done()
		r, err := h.tryDo("POST", "/api/v1/lotteries/"+l.ID+"/entries", users[i].Token, nil)
		if err == nil {
			status[i] = r.Status
		}
		if i >= 100 && r.Status == 201 {
			mu.Lock()
			if racedIn++; racedIn == 10 {
				close(someIn)
			}
			mu.Unlock()
		}
	}
	for i := range 100 { // these join before the lock
		wg.Add(1)
		go join(i)
	}
	wg.Wait()
	for i := 100; i < 200; i++ { // these race it
		wg.Add(1)
		racers.Add(1)
		go func() { defer racers.Done(); join(i) }()
	}
	allDone := make(chan struct{})
	go func() { racers.Wait(); close(allDone) }()
	select { // move the clock past lock_at while joins are in flight
	case <-someIn:
	case <-allDone:
	}
	h.clock.Add(time.Hour - 90*time.Second)
	h.db.Poke()
	wg.Wait()
	waitFor(t, "the lock", func() bool { return h.getLottery(t, creator, l.ID).Status == "locked" })
	locked := h.getLottery(t, creator, l.ID)
	wantStatus(t, h.do("POST", "/api/v1/lotteries/"+l.ID+"/entries", h.loginAll(t, "late", 1)[0].Token, nil), 409, "conflict")
	h.clock.Add(2 * time.Minute)
	h.db.Poke()
	waitFor(t, "the draw", func() bool { return h.getLottery(t, creator, l.ID).Status == "drawn" })

	joined := map[string]bool{}
	counted := 0
	for i, s := range status {
		switch {
		case s == 201:
			joined[users[i].ID] = true
			counted++
		case s == 409 && i >= 100:
		default:
			t.Fatalf("join %d answered %d", i, s)
		}
	}
	t.Logf("%d of the 100 racing joins counted", counted-100)
	p := h.proof(t, creator, l.ID)
	if err := p.Verify(); err != nil {
		t.Fatal(err)
	}
	if len(p.Entries) != counted || locked.ParticipantCount != counted {
		t.Fatalf("proof has %d entries, locked count %d, %d joins answered 201", len(p.Entries), locked.ParticipantCount, counted)
	}
	for _, e := range p.Entries {
		if !joined[e] {
			t.Fatalf("entry %s was not answered 201", e)
		}
	}
	if locked.Fairness.EntriesHash == nil || *locked.Fairness.EntriesHash != p.EntriesHash {
		t.Fatalf("entries hash at the lock %v, proof %s", locked.Fairness.EntriesHash, p.EntriesHash)
	}
}

// TestLotteryCreateValidation: every invalid field gets 400 invalid_argument
// naming it.
func TestLotteryCreateValidation(t *testing.T) {
	h := newHarness(t, withLotteries)
	token, _ := h.login("alice")
	now := h.clock.Now()
	valid := func() map[string]any {
		return map[string]any{"title": "抽奖", "prizes": []any{map[string]any{"name": "P", "quantity": 1}}, "draw": map[string]any{"mode": "manual"}}
	}
	set := func(k string, v any) map[string]any { m := valid(); m[k] = v; return m }
	timeDraw := func(at time.Time) map[string]any {
		return map[string]any{"mode": "time", "at": at.Format(time.RFC3339)}
	}
	prize := func(name string, q int) map[string]any { return map[string]any{"name": name, "quantity": q} }
	manyPrizes := make([]any, 21)
	for i := range manyPrizes {
		manyPrizes[i] = prize(fmt.Sprintf("P%d", i), 1)
	}
	cases := []struct {
		body  any
		field string
	}{
		{set("title", ""), "title"},
		{set("title", "   "), "title"},
		{set("title", strings.Repeat("奖", 65)), "title"},
		{set("title", "a\nb"), "title"},
		{set("description", strings.Repeat("x", 1001)), "description"},
		{set("prizes", []any{}), "prizes"},
		{set("prizes", manyPrizes), "prizes"},
		{set("prizes", []any{prize("", 1)}), "prizes[0].name"},
		{set("prizes", []any{prize("P", 1), prize(strings.Repeat("x", 33), 1)}), "prizes[1].name"},
		{set("prizes", []any{prize("P", 1), prize("P", 2)}), "prizes[1].name"},
		{set("prizes", []any{prize("P", 0)}), "prizes[0].quantity"},
		{set("prizes", []any{prize("P", 10001)}), "prizes[0].quantity"},
		{set("draw", map[string]any{"mode": "lucky"}), "draw.mode"},
		{set("draw", map[string]any{}), "draw.mode"},
		{set("draw", map[string]any{"mode": "time"}), "draw.at"},
		{set("draw", timeDraw(now.Add(30*time.Second))), "draw.at"}, // before now + 60 s
		{set("draw", timeDraw(now.Add(-time.Hour))), "draw.at"},
		{set("draw", timeDraw(now.Add(366*24*time.Hour))), "draw.at"},
		{set("draw", map[string]any{"mode": "time", "at": "tomorrow"}), "draw.at"},
		{set("draw", map[string]any{"mode": "count"}), "draw.participants"},
		{set("draw", map[string]any{"mode": "count", "participants": 1}), "draw.participants"},
		{set("draw", map[string]any{"mode": "count", "participants": 1_000_001}), "draw.participants"},
		{set("draw", map[string]any{"mode": "manual", "participants": 5}), "draw.participants"},
		{set("draw", map[string]any{"mode": "count", "participants": 5, "at": now.Add(time.Hour).Format(time.RFC3339)}), "draw.at"},
		{set("max_participants", -1), "max_participants"},
		{func() map[string]any {
			m := set("draw", map[string]any{"mode": "count", "participants": 10})
			m["max_participants"] = 5
			return m
		}(), "max_participants"},
		{set("lock_before_seconds", 3601), "lock_before_seconds"},
		{set("lock_before_seconds", -1), "lock_before_seconds"},
		{func() map[string]any {
			m := set("draw", timeDraw(now.Add(10*time.Minute)))
			m["lock_before_seconds"] = 900 // at is not after now + 15 min
			return m
		}(), "draw.at"},
		{set("prizes", []any{map[string]any{"name": "P", "quantity": 1, "value": 5}}), "prizes[0].value"},
		{set("colour", "red"), "colour"},
		{set("title", 5), "title"},
	}
	for _, c := range cases {
		r := h.do("POST", "/api/v1/lotteries", token, c.body)
		if r.Status != 400 || r.ErrorCode() != "invalid_argument" {
			t.Errorf("%v: %d %s, want 400 invalid_argument", c.body, r.Status, r.Body)
			continue
		}
		var e struct {
			Error struct {
				Details []struct{ Field string }
			}
		}
		r.JSON(t, &e)
		if len(e.Error.Details) == 0 || e.Error.Details[0].Field != c.field {
			t.Errorf("%v: details %s, want field %s", c.body, r.Body, c.field)
		}
	}
	// And the valid ones pass, with defaults applied.
	l := h.createLottery(t, token, set("draw", timeDraw(now.Add(2*time.Minute))))
	if l.LockBeforeSeconds != 60 || l.LockAt == nil || !l.LockAt.Equal(now.Add(time.Minute).Truncate(time.Second)) {
		t.Fatalf("time lottery: lock_before %d lock_at %v", l.LockBeforeSeconds, l.LockAt)
	}
	zero := set("draw", timeDraw(now.Add(time.Minute)))
	zero["lock_before_seconds"] = 0
	if l = h.createLottery(t, token, zero); l.LockBeforeSeconds != 0 || !l.LockAt.Equal(*l.Draw.At) {
		t.Fatalf("lock_before_seconds 0: %d, lock_at %v", l.LockBeforeSeconds, l.LockAt)
	}
}
