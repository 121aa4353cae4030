package web

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"luckbox/data"
	"luckbox/lottery"
	"luckbox/wechat/fake"
)

// TestLotteryPermissionsAndStates: creator-only actions are 403 for others
// whatever the state; unknown ids are 404; states refuse what they must.
func TestLotteryPermissionsAndStates(t *testing.T) {
	h := newHarness(t, withLotteries)
	creator, _ := h.login("creator")
	other, _ := h.login("other")
	l := h.createLottery(t, creator, manualLottery(lottery.Prize{Name: "P", Quantity: 1}))
	base := "/api/v1/lotteries/" + l.ID

	// Unknown, malformed and wrong-tag ids are 404 everywhere.
	seq, tag, _ := data.DecodeID(l.ID)
	for _, id := range []string{"nope", data.EncodeID(seq, tag+1), data.EncodeID(seq+100, tag), strings.ToUpper(l.ID)} {
		for _, c := range []struct{ method, path string }{
			{"GET", ""}, {"DELETE", ""}, {"POST", "/entries"}, {"DELETE", "/entries/me"}, {"POST", "/draw"},
			{"GET", "/winners"}, {"GET", "/proof"}, {"GET", "/claims"}, {"GET", "/code.png"}, {"GET", "/events"},
		} {
			wantStatus(t, h.do(c.method, "/api/v1/lotteries/"+id+c.path, creator, nil), 404, "not_found")
		}
		wantStatus(t, h.do("POST", "/api/v1/lotteries/"+id+"/claim", creator, map[string]string{"name": "a", "phone": "13800000000", "address": "x"}), 404, "not_found")
	}

	// Open: others may not cancel, draw or read claims; results are not out.
	wantStatus(t, h.do("DELETE", base, other, nil), 403, "forbidden")
	wantStatus(t, h.do("POST", base+"/draw", other, nil), 403, "forbidden")
	wantStatus(t, h.do("GET", base+"/claims", other, nil), 403, "forbidden")
	wantStatus(t, h.do("GET", base+"/winners", other, nil), 409, "conflict")
	wantStatus(t, h.do("GET", base+"/proof", other, nil), 409, "conflict")
	wantStatus(t, h.do("GET", base+"/claims", creator, nil), 409, "conflict")
	wantStatus(t, h.do("POST", base+"/claim", other, map[string]string{"name": "a", "phone": "13800000000", "address": "x"}), 409, "conflict")
	wantStatus(t, h.do("DELETE", base+"/entries/me", other, nil), 404, "not_found")
	if r := h.getLottery(t, other, l.ID); r.Fairness.Seed != nil || r.Me == nil || r.Me.Joined {
		t.Fatalf("open lottery as seen by other: %+v", r)
	}

	// Join is idempotent: the same entry again, 200.
	r := h.do("POST", base+"/entries", other, nil)
	wantStatus(t, r, 201, "")
	var first, again lottery.Entry
	r.JSON(t, &first)
	r = h.do("POST", base+"/entries", other, "{}")
	wantStatus(t, r, 200, "")
	r.JSON(t, &again)
	if !first.JoinedAt.Equal(again.JoinedAt) || again.ParticipantCount != 1 {
		t.Fatalf("join again: %+v, first %+v", again, first)
	}
	// The join answer carries the commitment the proof must match later.
	if first.LotteryID != l.ID || first.SeedHash != l.Fairness.SeedHash || again.SeedHash != first.SeedHash {
		t.Fatalf("join answers %+v, %+v: want lottery %s, seed_hash %s", first, again, l.ID, l.Fairness.SeedHash)
	}
	wantStatus(t, h.do("POST", base+"/entries", other, `{"x":1}`), 400, "invalid_argument")

	// Drawn: still 403 for others; 409 for the creator's second draw and cancel.
	wantStatus(t, h.do("POST", base+"/draw", creator, nil), 200, "")
	wantStatus(t, h.do("POST", base+"/draw", other, nil), 403, "forbidden")
	wantStatus(t, h.do("DELETE", base, other, nil), 403, "forbidden")
	wantStatus(t, h.do("GET", base+"/claims", other, nil), 403, "forbidden")
	wantStatus(t, h.do("POST", base+"/draw", creator, nil), 409, "conflict")
	wantStatus(t, h.do("DELETE", base, creator, nil), 409, "conflict")
	wantStatus(t, h.do("DELETE", base+"/entries/me", other, nil), 409, "conflict")
	stranger, _ := h.login("stranger")
	wantStatus(t, h.do("POST", base+"/entries", stranger, nil), 409, "conflict")
	wantStatus(t, h.do("POST", base+"/entries", other, nil), 200, "") // already in: the same entry

	// Claims: only the winner (other, the only participant) may leave details.
	wantStatus(t, h.do("POST", base+"/claim", stranger, map[string]string{"name": "a", "phone": "13800000000", "address": "x"}), 403, "forbidden")
	for _, bad := range []map[string]string{
		{"name": "", "phone": "13800000000", "address": "x"},
		{"name": "a", "phone": "1234", "address": "x"},
		{"name": "a", "phone": "138abc00000", "address": "x"},
		{"name": "a", "phone": "13800000000", "address": strings.Repeat("路", 201)},
	} {
		wantStatus(t, h.do("POST", base+"/claim", other, bad), 400, "invalid_argument")
	}
	r = h.do("POST", base+"/claim", other, map[string]string{"name": "张三", "phone": "+86 138-0000-0000", "address": "上海"})
	wantStatus(t, r, 201, "")
	wantStatus(t, h.do("POST", base+"/claim", other, map[string]string{"name": "张三", "phone": "13800000000", "address": "北京"}), 200, "")
	r = h.do("GET", base+"/claims", creator, nil)
	wantStatus(t, r, 200, "")
	var claims listOf[lottery.Claim]
	r.JSON(t, &claims)
	if len(claims.Items) != 1 || claims.Items[0].Phone != "13800000000" || claims.Items[0].Address != "北京" ||
		claims.Items[0].Prize != "P" || claims.Items[0].Nickname != "other" {
		t.Fatalf("claims = %s", r.Body)
	}

	// Canceled: nobody can join; results never come.
	c := h.createLottery(t, creator, manualLottery(lottery.Prize{Name: "P", Quantity: 1}))
	wantStatus(t, h.do("POST", "/api/v1/lotteries/"+c.ID+"/entries", other, nil), 201, "")
	r = h.do("DELETE", "/api/v1/lotteries/"+c.ID, creator, nil)
	wantStatus(t, r, 200, "")
	var canceled lottery.Lottery
	r.JSON(t, &canceled)
	if canceled.Status != "canceled" || canceled.CanceledAt == nil {
		t.Fatalf("canceled: %+v", canceled)
	}
	wantStatus(t, h.do("POST", "/api/v1/lotteries/"+c.ID+"/entries", stranger, nil), 409, "conflict")
	wantStatus(t, h.do("DELETE", "/api/v1/lotteries/"+c.ID+"/entries/me", other, nil), 409, "conflict")
	wantStatus(t, h.do("POST", "/api/v1/lotteries/"+c.ID+"/draw", creator, nil), 409, "conflict")
	wantStatus(t, h.do("DELETE", "/api/v1/lotteries/"+c.ID, creator, nil), 409, "conflict")
	wantStatus(t, h.do("GET", "/api/v1/lotteries/"+c.ID+"/proof", creator, nil), 409, "conflict")

	// Manual draw with nobody in it: drawn, no winners.
	e := h.createLottery(t, creator, manualLottery(lottery.Prize{Name: "P", Quantity: 3}))
	wantStatus(t, h.do("POST", "/api/v1/lotteries/"+e.ID+"/draw", creator, nil), 200, "")
	if p := h.proof(t, creator, e.ID); len(p.Winners) != 0 || len(p.Entries) != 0 || p.Verify() != nil {
		t.Fatalf("empty draw proof: %+v", p)
	}

	// Lists: created and joined, newest first.
	r = h.do("GET", "/api/v1/me/lotteries?role=created", creator, nil)
	wantStatus(t, r, 200, "")
	var mine listOf[lottery.Lottery]
	r.JSON(t, &mine)
	if len(mine.Items) != 3 || mine.Items[0].ID != e.ID || mine.Items[2].ID != l.ID {
		t.Fatalf("created: %s", r.Body)
	}
	r = h.do("GET", "/api/v1/me/lotteries?role=joined&limit=1", other, nil)
	wantStatus(t, r, 200, "")
	r.JSON(t, &mine)
	if len(mine.Items) != 1 || mine.Items[0].ID != c.ID || mine.NextCursor == "" {
		t.Fatalf("joined page 1: %s", r.Body)
	}
	r = h.do("GET", "/api/v1/me/lotteries?role=joined&limit=1&cursor="+mine.NextCursor, other, nil)
	wantStatus(t, r, 200, "")
	r.JSON(t, &mine)
	if len(mine.Items) != 1 || mine.Items[0].ID != l.ID || mine.NextCursor != "" || mine.Items[0].Me.Prize == nil {
		t.Fatalf("joined page 2: %s", r.Body)
	}
	wantStatus(t, h.do("GET", "/api/v1/me/lotteries", other, nil), 400, "invalid_argument")
	wantStatus(t, h.do("GET", "/api/v1/me/lotteries?role=joined&cursor=zz", other, nil), 400, "invalid_argument")
	wantStatus(t, h.do("GET", "/api/v1/me/lotteries?role=joined&limit=-1", other, nil), 400, "invalid_argument")
	wantStatus(t, h.do("POST", "/api/v1/lotteries", testAdminToken, manualLottery(lottery.Prize{Name: "P", Quantity: 1})), 403, "forbidden")
}

// TestLotteryCountAndLimit: a count lottery draws with the join that reaches
// draw.participants; max_participants turns joins away.
func TestLotteryCountAndLimit(t *testing.T) {
	h := newHarness(t, withLotteries)
	creator, _ := h.login("creator")
	users := h.loginAll(t, "c", 4)
	l := h.createLottery(t, creator, map[string]any{"title": "满 3 人开奖", "prizes": []lottery.Prize{{Name: "P", Quantity: 1}},
		"draw": map[string]any{"mode": "count", "participants": 3}})
	var e lottery.Entry
	for i, u := range users[:3] {
		r := h.do("POST", "/api/v1/lotteries/"+l.ID+"/entries", u.Token, nil)
		wantStatus(t, r, 201, "")
		r.JSON(t, &e)
		if want := map[bool]string{true: "drawn", false: "open"}[i == 2]; e.Status != want || e.ParticipantCount != i+1 {
			t.Fatalf("join %d: %+v, want status %s", i, e, want)
		}
	}
	wantStatus(t, h.do("POST", "/api/v1/lotteries/"+l.ID+"/entries", users[3].Token, nil), 409, "conflict")
	if got := h.getLottery(t, creator, l.ID); got.Status != "drawn" || got.WinnerCount != 1 || got.DrawnAt == nil {
		t.Fatalf("count lottery: %+v", got)
	}

	m := h.createLottery(t, creator, map[string]any{"title": "限 2 人", "prizes": []lottery.Prize{{Name: "P", Quantity: 1}},
		"draw": map[string]any{"mode": "manual"}, "max_participants": 2})
	for _, u := range users[:2] {
		wantStatus(t, h.do("POST", "/api/v1/lotteries/"+m.ID+"/entries", u.Token, nil), 201, "")
	}
	wantStatus(t, h.do("POST", "/api/v1/lotteries/"+m.ID+"/entries", users[2].Token, nil), 409, "conflict")
	wantStatus(t, h.do("DELETE", "/api/v1/lotteries/"+m.ID+"/entries/me", users[0].Token, nil), 204, "")
	wantStatus(t, h.do("POST", "/api/v1/lotteries/"+m.ID+"/entries", users[2].Token, nil), 201, "")
}

// TestLotteryTimeSeedSecret: a time lottery keeps its seed secret until the
// scheduler draws it; then the seed hashes to the commitment.
func TestLotteryTimeSeedSecret(t *testing.T) {
	h := newHarness(t, withLotteries)
	creator, _ := h.login("creator")
	users := h.loginAll(t, "t", 3)
	at := h.clock.Now().Add(10 * time.Minute)
	l := h.createLottery(t, creator, map[string]any{"title": "定时", "prizes": []lottery.Prize{{Name: "P", Quantity: 2}},
		"draw": map[string]any{"mode": "time", "at": at.In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339)}})
	if !l.Draw.At.Equal(at.Truncate(time.Second)) || l.Draw.At.Location() != time.UTC {
		t.Fatalf("draw.at = %v, want %v in UTC", l.Draw.At, at)
	}
	var bodies [][]byte
	for _, u := range users {
		bodies = append(bodies, h.do("POST", "/api/v1/lotteries/"+l.ID+"/entries", u.Token, nil).Body)
		bodies = append(bodies, h.do("GET", "/api/v1/lotteries/"+l.ID, u.Token, nil).Body)
	}
	h.clock.Add(9*time.Minute + 30*time.Second)
	h.db.Poke()
	waitFor(t, "the lock", func() bool { return h.getLottery(t, creator, l.ID).Status == "locked" })
	bodies = append(bodies, h.do("GET", "/api/v1/lotteries/"+l.ID, creator, nil).Body)
	h.clock.Add(time.Minute)
	h.db.Poke()
	waitFor(t, "the draw", func() bool { return h.getLottery(t, creator, l.ID).Status == "drawn" })
	d := h.getLottery(t, creator, l.ID)
	p := h.proof(t, users[0].Token, l.ID)
	if d.Fairness.Seed == nil || *d.Fairness.Seed != p.Seed || p.LotteryID != l.ID ||
		p.VerifyAgainst(lottery.Commitment{LotteryID: l.ID, SeedHash: l.Fairness.SeedHash}) != nil {
		t.Fatalf("drawn fairness %+v, proof %+v", d.Fairness, p)
	}
	for _, b := range bodies {
		if bytes.Contains(b, []byte(p.Seed)) || !bytes.Contains(b, []byte(`"seed":null`)) && bytes.Contains(b, []byte(`"fairness"`)) {
			t.Fatalf("the seed showed before the draw: %s", b)
		}
	}
}

// TestLotteryNotifications: the draw gives every participant exactly one
// inbox item; a subscribe message goes out only to the user who granted one
// (in WeChat and to luckbox); a grant luckbox has but WeChat refuses leaves
// the inbox item only.
func TestLotteryNotifications(t *testing.T) {
	h := newHarness(t, withLotteries)
	creator, _ := h.login("creator")
	users := h.loginAll(t, "n", 10) // chunks of 7: the fan-out takes two operations
	tmpl := fake.TemplateLotteryResult
	wantStatus(t, h.do("POST", "/_fake/wechat/subscribe", "", map[string]any{"openid": users[0].OpenID, "template_id": tmpl, "count": 1}), 200, "")
	for _, u := range users[:2] { // users[1] tells luckbox it granted, but WeChat has no grant
		wantStatus(t, h.do("POST", "/api/v1/me/subscriptions", u.Token, map[string]any{"template_id": tmpl, "count": 1}), 200, "")
	}
	l := h.createLottery(t, creator, manualLottery(lottery.Prize{Name: "特等奖：一台非常非常非常非常长名字的笔记本电脑", Quantity: 4}))
	for _, u := range users {
		wantStatus(t, h.do("POST", "/api/v1/lotteries/"+l.ID+"/entries", u.Token, nil), 201, "")
	}
	wantStatus(t, h.do("POST", "/api/v1/lotteries/"+l.ID+"/draw", creator, nil), 200, "")
	waitFor(t, "the outbox to drain", func() bool { return h.db.OutboxStats().Pending == 0 })

	for _, u := range users {
		r := h.do("GET", "/api/v1/me/inbox", u.Token, nil)
		wantStatus(t, r, 200, "")
		var inbox listOf[struct{ Kind, Title, Body, Ref string }]
		r.JSON(t, &inbox)
		n := 0
		for _, it := range inbox.Items {
			if it.Kind == "lottery_result" && it.Ref == l.ID && it.Title == "开奖结果" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s has %d result items, want 1: %s", u.OpenID, n, r.Body)
		}
	}
	var msgs struct{ Items []fake.Message }
	h.do("GET", "/_fake/wechat/messages", "", nil).JSON(t, &msgs)
	if len(msgs.Items) != 1 || msgs.Items[0].ToUser != users[0].OpenID {
		t.Fatalf("messages = %+v, want one to %s", msgs.Items, users[0].OpenID)
	}
	m := msgs.Items[0]
	me := h.getLottery(t, users[0].Token, l.ID).Me
	wantPhrase := map[bool]string{true: "中奖", false: "未中奖"}[me.Prize != nil]
	if m.TemplateID != tmpl || m.Page != "pages/lottery/detail?id="+l.ID || m.Data["thing1"] != "年会抽奖" ||
		m.Data["phrase2"] != wantPhrase || m.Data["time4"] != "2026-11-22 16:00" {
		t.Fatalf("message = %+v (won %v)", m, me.Prize)
	}
	if me.Prize != nil && m.Data["thing3"] != "特等奖：一台非常非常非常非常长名字的笔…" {
		t.Fatalf("thing3 = %q", m.Data["thing3"])
	}
	// users[1]'s push was refused by WeChat (43101): a dead letter, not retried.
	dead, err := h.db.DeadLetters()
	if err != nil || len(dead) != 1 || !strings.Contains(dead[0].LastError, "43101") {
		t.Fatalf("dead letters = %+v, %v", dead, err)
	}
}

// sseEvent is one event read from a stream.
type sseEvent struct{ Name, Data string }

// readEvents parses a text/event-stream into events on a channel.
func readEvents(body interface{ Read([]byte) (int, error) }) <-chan sseEvent {
	ch := make(chan sseEvent, 16)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Name != "" {
					ch <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.Name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.Data = strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return ch
}

func nextEvent(t *testing.T, ch <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("event stream ended")
		}
		return ev
	case <-time.After(20 * time.Second): // a guard against hanging only
		t.Fatal("no event")
	}
	return sseEvent{}
}

// TestLotteryEvents reads the live stream: the state, a join count and the
// draw, authenticated with ?access_token= as EventSource must.
func TestLotteryEvents(t *testing.T) {
	h := newHarness(t, withLotteries)
	creator, _ := h.login("creator")
	watcher, _ := h.login("watcher")
	joiner, _ := h.login("joiner")
	l := h.createLottery(t, creator, manualLottery(lottery.Prize{Name: "P", Quantity: 1}))
	path := "/api/v1/lotteries/" + l.ID + "/events"
	wantStatus(t, h.do("GET", path, "", nil), 401, "unauthenticated")
	wantStatus(t, h.do("GET", path+"?access_token=wrong", "", nil), 401, "unauthenticated")
	wantStatus(t, h.do("GET", path+"?access_token="+testAdminToken, "", nil), 403, "forbidden")
	wantStatus(t, h.do("GET", "/api/v1/lotteries/"+l.ID+"?access_token="+watcher, "", nil), 401, "unauthenticated") // only the stream takes it

	res, err := h.ts.Client().Get(h.ts.URL + path + "?access_token=" + watcher)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	events := readEvents(res.Body)
	ev := nextEvent(t, events)
	var state lottery.Lottery
	if err := json.Unmarshal([]byte(ev.Data), &state); ev.Name != "state" || err != nil || state.ID != l.ID || state.Me == nil || state.Me.Joined {
		t.Fatalf("first event %+v (%v)", ev, err)
	}
	wantStatus(t, h.do("POST", "/api/v1/lotteries/"+l.ID+"/entries", joiner, nil), 201, "")
	if ev = nextEvent(t, events); ev.Name != "count" || ev.Data != `{"participant_count":1}` {
		t.Fatalf("after a join: %+v", ev)
	}
	wantStatus(t, h.do("POST", "/api/v1/lotteries/"+l.ID+"/entries", joiner, nil), 200, "") // no change, no event
	wantStatus(t, h.do("POST", "/api/v1/lotteries/"+l.ID+"/draw", creator, nil), 200, "")
	ev = nextEvent(t, events)
	var drawn struct {
		ParticipantCount int    `json:"participant_count"`
		WinnerCount      int    `json:"winner_count"`
		Seed             string `json:"seed"`
	}
	if err := json.Unmarshal([]byte(ev.Data), &drawn); ev.Name != "drawn" || err != nil || drawn.WinnerCount != 1 || drawn.ParticipantCount != 1 || len(drawn.Seed) != 64 {
		t.Fatalf("after the draw: %+v", ev)
	}
	// Server shutdown ends the stream.
	h.srv.Lotteries.Events().Close()
	select {
	case _, ok := <-events:
		if ok {
			t.Fatal("an event after close")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("stream still open after the broker closed")
	}
}

// TestLotteryCode: the mini-program code is the image WeChat answers (a
// JPEG), served with the type its bytes say, and cached.
func TestLotteryCode(t *testing.T) {
	h := newHarness(t, withLotteries)
	token, _ := h.login("alice")
	l := h.createLottery(t, token, manualLottery(lottery.Prize{Name: "P", Quantity: 1}))
	r := h.do("GET", "/api/v1/lotteries/"+l.ID+"/code.png", token, nil)
	wantStatus(t, r, 200, "")
	if r.Header.Get("Content-Type") != "image/jpeg" || !bytes.HasPrefix(r.Body, []byte("\xff\xd8\xff")) {
		t.Fatalf("code: %s, %q", r.Header.Get("Content-Type"), r.Body[:min(8, len(r.Body))])
	}
	again := h.do("GET", "/api/v1/lotteries/"+l.ID+"/code.png", token, nil)
	if again.Status != 200 || !bytes.Equal(again.Body, r.Body) {
		t.Fatal("second code differs")
	}
	if img, ok := h.srv.lotteryCodes.get(l.ID); !ok || !bytes.Equal(img, r.Body) {
		t.Fatal("code not cached")
	}
	if r.Header.Get("Content-Length") == "" || http.DetectContentType(r.Body) != "image/jpeg" {
		t.Fatalf("headers %v", r.Header)
	}
}
