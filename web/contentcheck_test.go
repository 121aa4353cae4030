package web

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"luckbox/auth"
	"luckbox/data"
	"luckbox/internal/safety"
	"luckbox/wechat"
	"luckbox/wechat/fake"
)

// withSafety checks user text with the fake WeChat's msgSecCheck under the
// given failure and review policies.
func withSafety(onFailure, onReview string) harnessOption {
	return func(h *harness, d *Deps) {
		g, err := safety.New(safety.Options{
			Checker: testSecCheck{h.wx}, OnFailure: onFailure, OnReview: onReview,
			Logger: slog.New(slog.DiscardHandler), Now: h.clock.Now,
		})
		if err != nil {
			h.t.Fatal(err)
		}
		d.Safety = g
	}
}

type testSecCheck struct{ c *wechat.Client }

func (s testSecCheck) Check(ctx context.Context, openid string, scene int, content string) (safety.Verdict, error) {
	v, err := s.c.MsgSecCheck(ctx, openid, scene, content)
	return safety.Verdict{Suggest: v.Suggest, Label: v.Label}, err
}

// refusedFields are the fields named by a 400 answer.
func refusedFields(t *testing.T, r response) []string {
	t.Helper()
	wantStatus(t, r, 400, data.EInvalid)
	var e struct {
		Error struct {
			Message string
			Details []data.FieldError
		}
	}
	r.JSON(t, &e)
	var out []string
	for _, d := range e.Error.Details {
		out = append(out, d.Field)
	}
	if len(out) == 0 || !strings.HasPrefix(e.Error.Message, out[0]+": ") || !strings.Contains(e.Error.Message, "content safety check") {
		t.Fatalf("message %q does not name %v and the check", e.Error.Message, out)
	}
	return out
}

func lotteryBody(title, desc string, prizes ...string) map[string]any {
	if len(prizes) == 0 {
		prizes = []string{"Prize"}
	}
	ps := []map[string]any{}
	for _, p := range prizes {
		ps = append(ps, map[string]any{"name": p, "quantity": 1})
	}
	return map[string]any{"title": title, "description": desc, "prizes": ps, "draw": map[string]any{"mode": "manual"}}
}

func myLotteries(t *testing.T, h *harness, tok string) int {
	t.Helper()
	var l struct{ Items []any }
	h.do("GET", "/api/v1/me/lotteries?role=created", tok, nil).JSON(t, &l)
	return len(l.Items)
}

func TestContentCheckRefusesRiskyFields(t *testing.T) {
	h := newHarness(t, withLotteries, withPackets, withSafety(safety.PolicyRefuse, safety.PolicyFlag))
	tok, _ := h.login("author")

	cases := []struct {
		name string
		body map[string]any
		want string
	}{
		{"title", lotteryBody("Win a badword", "fine"), "title"},
		{"description", lotteryBody("Fine", "visit SCAMLINK now"), "description"},
		{"prize", lotteryBody("Fine", "fine", "Tea", "违禁词 mug"), "prizes[1].name"},
	}
	for _, c := range cases {
		got := refusedFields(t, h.do("POST", "/api/v1/lotteries", tok, c.body))
		if len(got) != 1 || got[0] != c.want {
			t.Errorf("%s: refused %v, want [%s]", c.name, got, c.want)
		}
	}
	got := refusedFields(t, h.do("POST", "/api/v1/lotteries", tok, lotteryBody("badword", "badword too", "ok", "badword prize")))
	if strings.Join(got, ",") != "title,description,prizes[1].name" {
		t.Errorf("every risky field: %v", got)
	}
	if n := myLotteries(t, h, tok); n != 0 {
		t.Fatalf("%d lotteries saved after refusals", n)
	}

	// A greeting: refused before any money moves.
	h.topup(tok, 500)
	got = refusedFields(t, h.do("POST", "/api/v1/packets", tok, map[string]any{"kind": "equal", "count": 2, "amount_each": 100, "greeting": "恭喜 badword"}))
	if len(got) != 1 || got[0] != "greeting" {
		t.Errorf("greeting refused %v", got)
	}
	if b := h.balance(tok); b != 500 {
		t.Fatalf("balance %d after a refused packet, want 500", b)
	}

	// A nickname: refused, the old one kept.
	got = refusedFields(t, h.do("PATCH", "/api/v1/me", tok, map[string]string{"nickname": "BadWord"}))
	if len(got) != 1 || got[0] != "nickname" {
		t.Errorf("nickname refused %v", got)
	}
	var me struct{ Nickname string }
	h.do("GET", "/api/v1/me", tok, nil).JSON(t, &me)
	if me.Nickname != "author" {
		t.Fatalf("nickname %q after refusal", me.Nickname)
	}
}

func TestContentCheckAcceptsCleanTextOnceAsked(t *testing.T) {
	h := newHarness(t, withLotteries, withPackets, withSafety(safety.PolicyRefuse, safety.PolicyFlag))
	tok, _ := h.login("author")
	body := lotteryBody("年会抽奖", "20:00 开奖", "一等奖", "二等奖")
	wantStatus(t, h.do("POST", "/api/v1/lotteries", tok, body), 201, "")
	calls := h.fake.SecCheckCalls()
	if calls != 4 {
		t.Fatalf("%d checks for 4 fields", calls)
	}
	wantStatus(t, h.do("POST", "/api/v1/lotteries", tok, body), 201, "")
	if n := h.fake.SecCheckCalls(); n != calls {
		t.Fatalf("the same text was checked again (%d calls, want %d): the cache missed", n, calls)
	}
	h.topup(tok, 500)
	h.createPacket(tok, map[string]any{"kind": "equal", "count": 2, "amount_each": 100, "greeting": "大吉大利"})
	wantStatus(t, h.do("PATCH", "/api/v1/me", tok, map[string]string{"nickname": "小明"}), 200, "")
	if n := h.fake.SecCheckCalls(); n != calls+2 {
		t.Fatalf("%d calls after a greeting and a nickname, want %d", n, calls+2)
	}
	if flags := contentFlags(t, h); len(flags) != 0 {
		t.Fatalf("clean text flagged: %+v", flags)
	}
}

func contentFlags(t *testing.T, h *harness) []auth.ContentFlag {
	t.Helper()
	var out struct{ Items []auth.ContentFlag }
	r := h.do("GET", "/api/v1/admin/content-flags", testAdminToken, nil)
	wantStatus(t, r, 200, "")
	r.JSON(t, &out)
	return out.Items
}

func TestContentCheckFailureRefuse(t *testing.T) {
	for _, mode := range []string{fake.SecFailErrcode, fake.SecFailHTTP} {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t, withLotteries, withSafety(safety.PolicyRefuse, safety.PolicyFlag))
			tok, _ := h.login("author")
			wantStatus(t, h.do("POST", "/_fake/wechat/seccheck", "", fake.SecCheckConfig{Fail: mode}), 200, "")
			r := h.do("POST", "/api/v1/lotteries", tok, lotteryBody("Tea party", ""))
			wantStatus(t, r, 503, data.EUnavailable)
			if !strings.Contains(string(r.Body), "content safety check is unavailable") {
				t.Fatalf("503 does not say why: %s", r.Body)
			}
			if n := myLotteries(t, h, tok); n != 0 {
				t.Fatalf("%d lotteries saved while the check failed", n)
			}
			// The failure was not cached: once the check works the text passes.
			h.fake.SetSecCheck(fake.SecCheckConfig{Risky: fake.DefaultRiskyWords})
			wantStatus(t, h.do("POST", "/api/v1/lotteries", tok, lotteryBody("Tea party", "")), 201, "")
		})
	}
}

func TestContentCheckFailureAllowFlagsForAdmin(t *testing.T) {
	h := newHarness(t, withLotteries, withSafety(safety.PolicyAllow, safety.PolicyFlag))
	tok, uid := h.login("author")
	h.fake.SetSecCheck(fake.SecCheckConfig{Fail: fake.SecFailErrcode})
	var l struct{ ID string }
	r := h.do("POST", "/api/v1/lotteries", tok, lotteryBody("Tea party", "", "Cake"))
	wantStatus(t, r, 201, "")
	r.JSON(t, &l)
	wantStatus(t, h.do("PATCH", "/api/v1/me", tok, map[string]string{"nickname": "Teaman"}), 200, "")

	flags := contentFlags(t, h)
	got := map[string]auth.ContentFlag{}
	for _, f := range flags {
		got[f.Kind+":"+f.Field] = f
	}
	if len(flags) != 3 {
		t.Fatalf("flags %+v, want title, prize and nickname", flags)
	}
	if f := got["lottery:title"]; f.Ref != l.ID || f.UserID != uid || f.Reason != safety.ReasonCheckFailed || f.Text != "Tea party" {
		t.Errorf("title flag %+v", f)
	}
	if f := got["lottery:prizes[0].name"]; f.Ref != l.ID || f.Text != "Cake" {
		t.Errorf("prize flag %+v", f)
	}
	if f := got["user:nickname"]; f.Ref != uid || f.Text != "Teaman" {
		t.Errorf("nickname flag %+v", f)
	}
	// Users may not read the list.
	wantStatus(t, h.do("GET", "/api/v1/admin/content-flags", tok, nil), 403, "")
}

func TestContentCheckReviewPolicies(t *testing.T) {
	t.Run("flag", func(t *testing.T) {
		h := newHarness(t, withLotteries, withSafety(safety.PolicyRefuse, safety.PolicyFlag))
		tok, _ := h.login("author")
		wantStatus(t, h.do("POST", "/api/v1/lotteries", tok, lotteryBody("A doubtful offer", "")), 201, "")
		flags := contentFlags(t, h)
		if len(flags) != 1 || flags[0].Reason != safety.ReasonReview || flags[0].Field != "title" || flags[0].Label != 21000 {
			t.Fatalf("flags %+v", flags)
		}
	})
	t.Run("refuse", func(t *testing.T) {
		h := newHarness(t, withLotteries, withSafety(safety.PolicyRefuse, safety.PolicyRefuse))
		tok, _ := h.login("author")
		if got := refusedFields(t, h.do("POST", "/api/v1/lotteries", tok, lotteryBody("A doubtful offer", ""))); got[0] != "title" {
			t.Fatalf("refused %v", got)
		}
	})
}
