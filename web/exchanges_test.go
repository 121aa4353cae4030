package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"luckbox/exchange"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// withExchanges wires gift exchanges (and phone binding) into a harness.
func withExchanges(h *harness, d *Deps) {
	d.Exchanges = exchange.NewService(h.db, h.auth, exchange.Options{Now: h.clock.Now})
}

func init() { allFeatures = append(allFeatures, withExchanges) }

type exchangeOut struct {
	ID               string  `json:"id"`
	Title            string  `json:"title"`
	Status           string  `json:"status"`
	ParticipantCount int     `json:"participant_count"`
	DrawnCount       int     `json:"drawn_count"`
	StartedAt        *string `json:"started_at"`
	AssignmentHash   *string `json:"assignment_hash"`
}

type resultOut struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Phone       string   `json:"phone"`
	Group       string   `json:"group"`
	Exclude     []string `json:"exclude"`
	Drawn       bool     `json:"drawn"`
	DrawnAt     *string  `json:"drawn_at"`
	Recipient   *string  `json:"recipient"`
	RecipientID *string  `json:"recipient_id"`
}

func (h *harness) createExchange(title string) exchangeOut {
	h.t.Helper()
	r := h.do("POST", "/api/v1/admin/exchanges", testAdminToken, map[string]string{"title": title})
	wantStatus(h.t, r, 201, "")
	var e exchangeOut
	r.JSON(h.t, &e)
	return e
}

func (h *harness) importCSV(id, body string) response {
	h.t.Helper()
	return h.do("POST", "/api/v1/admin/exchanges/"+id+"/participants", testAdminToken, body, "Content-Type", "text/csv; charset=utf-8")
}

func (h *harness) results(id, query string) []resultOut {
	h.t.Helper()
	r := h.do("GET", "/api/v1/admin/exchanges/"+id+"/results"+query, testAdminToken, nil)
	wantStatus(h.t, r, 200, "")
	var out struct{ Items []resultOut }
	r.JSON(h.t, &out)
	return out.Items
}

type errorOut struct {
	Error struct {
		Code    string
		Message string
		Details []struct {
			Line   int
			Field  string
			Reason string
		}
	}
}

func TestExchangeImportHTTP(t *testing.T) {
	h := newHarness(t, withExchanges)
	e := h.createExchange("年会礼物交换")
	if e.Status != "draft" || e.StartedAt != nil || e.AssignmentHash != nil {
		t.Fatalf("new exchange %+v", e)
	}
	base := "/api/v1/admin/exchanges/" + e.ID

	// One bad row in the middle: nothing imported, the row named.
	r := h.importCSV(e.ID, "\ufeffname,phone,group\n张三,13800000001,A\n李四,13800000002,A\n王五,not-a-phone,B\n赵六,13800000004,B\n")
	wantStatus(t, r, 400, "invalid_argument")
	var eo errorOut
	r.JSON(t, &eo)
	if len(eo.Error.Details) != 1 || eo.Error.Details[0].Line != 4 || eo.Error.Details[0].Field != "phone" {
		t.Fatalf("details %s", r.Body)
	}
	if len(h.results(e.ID, "")) != 0 {
		t.Fatal("a rejected import left rows")
	}
	// CSV with a BOM and Chinese names; then JSON items.
	r = h.importCSV(e.ID, "\ufeffphone,name,group\n13800000001,张三,A\n13800000002,李四,A\n")
	wantStatus(t, r, 200, "")
	if !bytes.Contains(r.Body, []byte(`"imported":2`)) {
		t.Fatalf("import %s", r.Body)
	}
	r = h.do("POST", base+"/participants", testAdminToken, map[string]any{"items": []map[string]any{
		{"name": "王五", "phone": "+86 13800000003", "group": "B", "exclude": []string{"13800000001"}},
		{"name": "赵六", "phone": "13800000004", "group": "B"},
	}})
	wantStatus(t, r, 200, "")
	// JSON errors name the item (from 1); a phone already on the list is one.
	r = h.do("POST", base+"/participants", testAdminToken, map[string]any{"items": []map[string]any{
		{"name": "ok", "phone": "13800000005"}, {"name": "dup", "phone": "13800000004"},
	}})
	wantStatus(t, r, 400, "invalid_argument")
	r.JSON(t, &eo)
	if len(eo.Error.Details) != 1 || eo.Error.Details[0].Line != 2 || !strings.Contains(eo.Error.Details[0].Reason, "already on the list") {
		t.Fatalf("details %s", r.Body)
	}
	wantStatus(t, h.do("POST", base+"/participants", testAdminToken, "<x/>", "Content-Type", "application/xml"), 400, "invalid_argument")
	wantStatus(t, h.do("POST", base+"/participants", testAdminToken, map[string]any{"items": []any{}, "extra": 1}), 400, "invalid_argument")
	wantStatus(t, h.do("POST", "/api/v1/admin/exchanges/aaaaaaaaaaaaaaaaaaaaaaaaaa/participants", testAdminToken, map[string]any{"items": []any{}}), 404, "not_found")

	res := h.results(e.ID, "")
	if len(res) != 4 || res[0].Name != "张三" || res[2].Phone != "13800000003" || fmt.Sprint(res[2].Exclude) != "[13800000001]" ||
		res[0].Recipient != nil || res[0].Drawn || res[0].Exclude == nil {
		t.Fatalf("results %+v", res)
	}
	// Edit and delete while draft.
	r = h.do("PATCH", base+"/participants/"+res[3].ID, testAdminToken, map[string]any{"name": "赵六六", "group": "C"})
	wantStatus(t, r, 200, "")
	var p resultOut
	r.JSON(t, &p)
	if p.Name != "赵六六" || p.Group != "C" || p.Phone != "13800000004" {
		t.Fatalf("patched %+v", p)
	}
	wantStatus(t, h.do("PATCH", base+"/participants/"+res[3].ID, testAdminToken, map[string]any{"phone": "13800000001"}), 400, "invalid_argument")
	wantStatus(t, h.do("DELETE", base+"/participants/"+res[1].ID, testAdminToken, nil), 204, "")
	wantStatus(t, h.do("DELETE", base+"/participants/"+res[1].ID, testAdminToken, nil), 404, "not_found")
	var got exchangeOut
	h.do("GET", base, testAdminToken, nil).JSON(t, &got)
	if got.ParticipantCount != 3 {
		t.Fatalf("count %d", got.ParticipantCount)
	}
	// Started: the list is frozen.
	r = h.do("POST", base+"/start", testAdminToken, nil)
	wantStatus(t, r, 200, "")
	r.JSON(t, &got)
	if got.Status != "started" || got.StartedAt == nil || got.AssignmentHash == nil || len(*got.AssignmentHash) != 64 {
		t.Fatalf("started %+v", got)
	}
	wantStatus(t, h.do("POST", base+"/start", testAdminToken, nil), 409, "conflict")
	wantStatus(t, h.importCSV(e.ID, "name,phone\nlate,13900000000\n"), 409, "conflict")
	wantStatus(t, h.do("PATCH", base+"/participants/"+res[0].ID, testAdminToken, map[string]any{"name": "x"}), 409, "conflict")
	wantStatus(t, h.do("DELETE", base+"/participants/"+res[0].ID, testAdminToken, nil), 409, "conflict")
	wantStatus(t, h.do("GET", base+"/results?drawn=maybe", testAdminToken, nil), 400, "invalid_argument")

	var list struct{ Items []exchangeOut }
	h.do("GET", "/api/v1/admin/exchanges", testAdminToken, nil).JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != e.ID {
		t.Fatalf("list %+v", list)
	}
}

func TestExchangeImpossibleStartHTTP(t *testing.T) {
	h := newHarness(t, withExchanges)
	e := h.createExchange("Impossible")
	var b strings.Builder
	b.WriteString("name,phone,group\n")
	for i := range 10 {
		g := ""
		if i < 6 {
			g = "Sales"
		}
		fmt.Fprintf(&b, "p%d,1380000000%d,%s\n", i, i, g)
	}
	wantStatus(t, h.importCSV(e.ID, b.String()), 200, "")
	r := h.do("POST", "/api/v1/admin/exchanges/"+e.ID+"/start", testAdminToken, nil)
	wantStatus(t, r, 409, "conflict")
	if !strings.Contains(string(r.Body), `group \"Sales\" has 6 of 10 participants`) {
		t.Fatalf("message %s", r.Body)
	}
	var got exchangeOut
	h.do("GET", "/api/v1/admin/exchanges/"+e.ID, testAdminToken, nil).JSON(t, &got)
	if got.Status != "draft" || got.AssignmentHash != nil {
		t.Fatalf("after failed start %+v", got)
	}
	for _, p := range h.results(e.ID, "") {
		if p.Recipient != nil {
			t.Fatal("a failed start assigned a recipient")
		}
	}
}

// TestExchangeAuthorization: admin routes refuse user tokens, participant
// routes refuse the admin, and participants learn only their own recipient.
func TestExchangeAuthorization(t *testing.T) {
	h := newHarness(t, withExchanges)
	e := h.createExchange("Secret")
	base := "/api/v1/admin/exchanges/" + e.ID
	wantStatus(t, h.importCSV(e.ID, "name,phone\nAnn,13800000001\nBen,13800000002\nCat,13800000003\nDan,13800000004\n"), 200, "")
	res := h.results(e.ID, "")
	annTok, _ := h.login("ann")
	h.bindPhone("ann", annTok, "13800000001")
	strangerTok, _ := h.login("stranger")
	h.bindPhone("stranger", strangerTok, "13900000000")
	nophoneTok, _ := h.login("nophone")

	adminRoutes := [][2]string{
		{"POST", "/api/v1/admin/exchanges"}, {"GET", "/api/v1/admin/exchanges"}, {"GET", base},
		{"POST", base + "/participants"}, {"PATCH", base + "/participants/" + res[0].ID},
		{"DELETE", base + "/participants/" + res[0].ID}, {"POST", base + "/start"},
		{"GET", base + "/results"}, {"POST", base + "/reminders"},
	}
	for _, rt := range adminRoutes {
		wantStatus(t, h.do(rt[0], rt[1], annTok, map[string]any{}), 403, "forbidden")
		wantStatus(t, h.do(rt[0], rt[1], "", nil), 401, "unauthenticated")
	}
	user := "/api/v1/exchanges/" + e.ID
	for _, rt := range [][2]string{{"GET", user}, {"POST", user + "/draw"}, {"GET", user + "/me"}} {
		wantStatus(t, h.do(rt[0], rt[1], testAdminToken, nil), 403, "forbidden")
	}
	// Before the start.
	wantStatus(t, h.do("POST", user+"/draw", annTok, nil), 409, "conflict")
	r := h.do("GET", user+"/me", annTok, nil)
	wantStatus(t, r, 200, "")
	if string(bytes.TrimSpace(r.Body)) != `{"drawn":false,"drawn_at":null,"recipient":null}` {
		t.Fatalf("me before start: %s", r.Body)
	}
	wantStatus(t, h.do("POST", base+"/start", testAdminToken, nil), 200, "")
	res = h.results(e.ID, "")

	// Strangers and users without a phone learn nothing.
	r = h.do("POST", user+"/draw", strangerTok, nil)
	wantStatus(t, r, 404, "not_found")
	if !strings.Contains(string(r.Body), "not on this gift exchange") {
		t.Fatalf("message %s", r.Body)
	}
	wantStatus(t, h.do("GET", user+"/me", strangerTok, nil), 404, "not_found")
	r = h.do("POST", user+"/draw", nophoneTok, nil)
	wantStatus(t, r, 409, "conflict")
	if !strings.Contains(string(r.Body), "bind your phone") {
		t.Fatalf("message %s", r.Body)
	}
	wantStatus(t, h.do("POST", "/api/v1/exchanges/aaaaaaaaaaaaaaaaaaaaaaaaaa/draw", annTok, nil), 404, "not_found")

	// Ann's draw names only her recipient; nothing else about anyone.
	r = h.do("POST", user+"/draw", annTok, nil)
	wantStatus(t, r, 200, "")
	var draw map[string]any
	r.JSON(t, &draw)
	rec, _ := draw["recipient"].(map[string]any)
	if len(draw) != 2 || draw["drawn_at"] == nil || len(rec) != 1 || rec["name"] != *res[0].Recipient {
		t.Fatalf("draw %s, want only recipient %s", r.Body, *res[0].Recipient)
	}
	for _, p := range res[1:] {
		if strings.Contains(string(r.Body), p.ID) || strings.Contains(string(r.Body), p.Phone) {
			t.Fatalf("the draw leaks %s", r.Body)
		}
	}
	var me map[string]any
	h.do("GET", user+"/me", annTok, nil).JSON(t, &me)
	if len(me) != 3 || me["drawn"] != true || me["recipient"].(map[string]any)["name"] != *res[0].Recipient {
		t.Fatalf("me %v", me)
	}
	var sum map[string]any
	r = h.do("GET", user, strangerTok, nil)
	wantStatus(t, r, 200, "")
	r.JSON(t, &sum)
	if len(sum) != 4 || sum["title"] != "Secret" || sum["status"] != "started" {
		t.Fatalf("summary %s", r.Body)
	}
}

// exClient is an HTTP client for many concurrent requests; it reports
// errors instead of failing the test, so goroutines may use it.
type exClient struct {
	base string
	c    *http.Client
}

func (c exClient) do(method, path, token string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// parallel runs fn(i) for i in [0, n) on workers goroutines.
func parallel(n, workers int, fn func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// TestExchangeConcurrentDraws: 2,000 logged-in users with bound phones draw
// at once (each twice) over HTTP. Everyone gets exactly one recipient, every
// participant is drawn by exactly one person, repeated draws answer the same,
// and the answers are the assignment fixed at the start.
func TestExchangeConcurrentDraws(t *testing.T) {
	const n = 2000
	h := newHarness(t, withExchanges)
	ctx := context.Background()
	e := h.createExchange("2000 人礼物交换")
	var b strings.Builder
	b.WriteString("name,phone,group,exclude\n")
	for i := range n {
		fmt.Fprintf(&b, "员工%04d,139%08d,部门%d,139%08d\n", i, i, i%25, (i+1)%n)
	}
	wantStatus(t, h.importCSV(e.ID, b.String()), 200, "")

	tokens := make([]string, n)
	errs := make(chan error, n)
	parallel(n, 16, func(i int) {
		code, err := h.fake.LoginCode(fmt.Sprintf("staff%04d", i))
		if err != nil {
			errs <- err
			return
		}
		l, err := h.auth.Login(ctx, code)
		if err != nil {
			errs <- err
			return
		}
		tokens[i] = l.Token
		if i%100 != 0 { // most bind directly; every 100th through the HTTP code flow below
			if _, err := h.auth.SetPhone(ctx, l.User.ID(), fmt.Sprintf("139%08d", i)); err != nil {
				errs <- err
			}
		}
	})
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := 0; i < n; i += 100 {
		h.bindPhone(fmt.Sprintf("staff%04d", i), tokens[i], fmt.Sprintf("139%08d", i))
	}
	wantStatus(t, h.do("POST", "/api/v1/admin/exchanges/"+e.ID+"/start", testAdminToken, nil), 200, "")

	client := exClient{h.ts.URL, &http.Client{Transport: &http.Transport{MaxConnsPerHost: 128, MaxIdleConnsPerHost: 128}}}
	defer client.c.CloseIdleConnections()
	first := make([]string, n)
	second := make([]string, n)
	fails := make(chan string, 2*n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for k, out := range []*string{&first[i], &second[i]} {
				st, body, err := client.do("POST", "/api/v1/exchanges/"+e.ID+"/draw", tokens[i], nil)
				var d struct{ Recipient struct{ Name string } }
				if err == nil {
					err = json.Unmarshal(body, &d)
				}
				if err != nil || st != 200 || d.Recipient.Name == "" {
					fails <- fmt.Sprintf("user %d draw %d: %d %s %v", i, k, st, body, err)
					return
				}
				*out = d.Recipient.Name
			}
		}()
	}
	close(start)
	wg.Wait()
	close(fails)
	for f := range fails {
		t.Fatal(f)
	}
	res := h.results(e.ID, "")
	byName := map[string]int{}
	for i, p := range res {
		byName[p.Name] = i
	}
	drawnBy := map[string]int{}
	for i := range n {
		own := fmt.Sprintf("员工%04d", i)
		switch {
		case second[i] != first[i]:
			t.Fatalf("user %d drew %s, then %s", i, first[i], second[i])
		case first[i] == own:
			t.Fatalf("user %d drew themselves", i)
		case res[byName[own]].Recipient == nil || *res[byName[own]].Recipient != first[i] || !res[byName[own]].Drawn:
			t.Fatalf("user %d drew %s; the results say %v", i, first[i], res[byName[own]].Recipient)
		}
		drawnBy[first[i]]++
	}
	if len(drawnBy) != n {
		t.Fatalf("%d distinct recipients for %d participants", len(drawnBy), n)
	}
	for name, c := range drawnBy {
		if c != 1 {
			t.Fatalf("%s was drawn %d times", name, c)
		}
	}
	// One loop through everyone; no group or exclusion broken.
	seen, at := 0, 0
	for {
		seen++
		r := res[byName[*res[at].Recipient]]
		if r.Group == res[at].Group || slices.Contains(res[at].Exclude, r.Phone) {
			t.Fatalf("%s gives to %s against the rules", res[at].Name, r.Name)
		}
		at = byName[r.Name]
		if at == 0 {
			break
		}
	}
	var got exchangeOut
	h.do("GET", "/api/v1/admin/exchanges/"+e.ID, testAdminToken, nil).JSON(t, &got)
	if seen != n || got.DrawnCount != n || len(h.results(e.ID, "?drawn=false")) != 0 {
		t.Fatalf("loop of %d, drawn_count %d", seen, got.DrawnCount)
	}
}

func TestExchangeResultsCSV(t *testing.T) {
	h := newHarness(t, withExchanges)
	e := h.createExchange("CSV")
	wantStatus(t, h.importCSV(e.ID, "name,phone,group\n张三,13800000001,A\n=SUM(A1),13800000002,B\n王五,13800000003,C\n"), 200, "")
	r := h.do("GET", "/api/v1/admin/exchanges/"+e.ID+"/results", testAdminToken, nil, "Accept", "text/csv")
	wantStatus(t, r, 200, "")
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !bytes.HasPrefix(r.Body, []byte("\ufeff")) {
		t.Fatalf("export %q: %q", r.Header.Get("Content-Type"), r.Body)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || strings.Join(recs[0], ",") != "id,name,phone,group,exclude,drawn,drawn_at,recipient,recipient_id" ||
		recs[1][1] != "张三" || recs[2][1] != "'=SUM(A1)" || recs[1][5] != "false" || recs[1][7] != "" {
		t.Fatalf("export %q", recs)
	}
	wantStatus(t, h.do("POST", "/api/v1/admin/exchanges/"+e.ID+"/start", testAdminToken, nil), 200, "")
	tok, _ := h.login("zhang")
	h.bindPhone("zhang", tok, "13800000001")
	wantStatus(t, h.do("POST", "/api/v1/exchanges/"+e.ID+"/draw", tok, nil), 200, "")
	r = h.do("GET", "/api/v1/admin/exchanges/"+e.ID+"/results?drawn=true", testAdminToken, nil, "Accept", "text/csv")
	recs, _ = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\ufeff")))).ReadAll()
	res := h.results(e.ID, "")
	if len(recs) != 2 || recs[1][1] != "张三" || recs[1][5] != "true" || recs[1][6] != "2026-11-22T08:00:00Z" ||
		recs[1][7] == "" || recs[1][8] != *res[0].RecipientID {
		t.Fatalf("export after draw %q", recs)
	}
	if len(h.results(e.ID, "?drawn=false")) != 2 {
		t.Fatal("drawn=false filter")
	}
}

// TestExchangeReminders: reminders reach those who have not drawn, through
// the inbox always and a subscribe message where granted, at most once an hour.
func TestExchangeReminders(t *testing.T) {
	h := newHarness(t, withExchanges)
	title := "2026年北京总部圣诞节礼物交换活动（第三届）"
	e := h.createExchange(title)
	base := "/api/v1/admin/exchanges/" + e.ID
	wantStatus(t, h.importCSV(e.ID, "name,phone\nAnn,13800000001\nBen,13800000002\nCat,13800000003\nDan,13800000004\n"), 200, "")
	wantStatus(t, h.do("POST", base+"/reminders", testAdminToken, nil), 409, "conflict")

	annTok, _ := h.login("ann")
	h.bindPhone("ann", annTok, "13800000001")
	benTok, _ := h.login("ben")
	h.bindPhone("ben", benTok, "13800000002")
	danTok, _ := h.login("dan")
	h.bindPhone("dan", danTok, "13800000004")
	// Ann allows two reminder messages (on WeChat's side and told to luckbox).
	const tmpl = "luckbox_exchange_reminder"
	wantStatus(t, h.do("POST", "/_fake/wechat/subscribe", "", map[string]any{"openid": "ann", "template_id": tmpl, "count": 2}), 200, "")
	wantStatus(t, h.do("POST", "/api/v1/me/subscriptions", annTok, map[string]any{"template_id": tmpl, "count": 2}), 200, "")
	wantStatus(t, h.do("POST", base+"/start", testAdminToken, nil), 200, "")
	wantStatus(t, h.do("POST", "/api/v1/exchanges/"+e.ID+"/draw", danTok, nil), 200, "")

	remind := func(want string) {
		t.Helper()
		r := h.do("POST", base+"/reminders", testAdminToken, nil)
		wantStatus(t, r, 200, "")
		if got := string(bytes.TrimSpace(r.Body)); got != want {
			t.Fatalf("reminders %s, want %s", got, want)
		}
	}
	waitMessages := func(n int) []struct {
		TemplateID string `json:"template_id"`
		Data       map[string]string
	} {
		t.Helper()
		var out struct {
			Items []struct {
				TemplateID string `json:"template_id"`
				Data       map[string]string
			}
		}
		for range 500 {
			h.db.Poke()
			h.do("GET", "/_fake/wechat/messages?openid=ann", "", nil).JSON(t, &out)
			if len(out.Items) >= n {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if len(out.Items) != n {
			t.Fatalf("%d messages to ann, want %d", len(out.Items), n)
		}
		return out.Items
	}
	remind(`{"reminded":2,"skipped_recent":0,"without_account":1}`)
	msgs := waitMessages(1)
	if m := msgs[0]; m.TemplateID != tmpl || m.Data["thing1"] != string([]rune(title)[:19])+"…" || m.Data["thing2"] != exchange.ReminderText {
		t.Fatalf("message %+v", m)
	}
	inbox := func(tok string) []inboxItemOut {
		var out struct{ Items []inboxItemOut }
		h.do("GET", "/api/v1/me/inbox", tok, nil).JSON(t, &out)
		return out.Items
	}
	if a, b, d := inbox(annTok), inbox(benTok), inbox(danTok); len(a) != 1 || len(b) != 1 || len(d) != 0 ||
		a[0].Kind != "exchange_reminder" || a[0].Ref != e.ID || b[0].Title != title {
		t.Fatalf("inboxes: ann %+v, ben %+v, dan %+v", a, b, d)
	}
	// Within the hour nobody is reminded again.
	h.clock.Add(59 * time.Minute)
	remind(`{"reminded":0,"skipped_recent":2,"without_account":1}`)
	// Ben draws; an hour after the first reminder only Ann is due.
	wantStatus(t, h.do("POST", "/api/v1/exchanges/"+e.ID+"/draw", benTok, nil), 200, "")
	h.clock.Add(time.Minute)
	remind(`{"reminded":1,"skipped_recent":0,"without_account":1}`)
	waitMessages(2)
	if len(inbox(annTok)) != 2 || len(inbox(benTok)) != 1 {
		t.Fatal("inbox counts after the second reminder")
	}
}

// inboxItemOut is an inbox item as the API answers it.
type inboxItemOut struct {
	Kind, Title, Body, Ref string
}
