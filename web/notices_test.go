package web

import (
	"context"
	"strconv"
	"testing"
	"time"

	"luckbox/auth"
	"luckbox/data"
	"luckbox/lottery"
	"luckbox/wechat/fake"
)

// inboxOf is the caller's first inbox page.
func inboxOf(t *testing.T, h *harness, token string) []auth.InboxItem {
	t.Helper()
	r := h.do("GET", "/api/v1/me/inbox", token, nil)
	wantStatus(t, r, 200, "")
	var out listOf[auth.InboxItem]
	r.JSON(t, &out)
	return out.Items
}

// itemsOf are the caller's inbox items of kind about ref.
func itemsOf(t *testing.T, h *harness, token, kind, ref string) []auth.InboxItem {
	t.Helper()
	var out []auth.InboxItem
	for _, it := range inboxOf(t, h, token) {
		if it.Kind == kind && it.Ref == ref {
			out = append(out, it)
		}
	}
	return out
}

// grant gives openid (in WeChat and luckbox) one grant of template.
func grant(t *testing.T, h *harness, openid, token, template string) {
	t.Helper()
	wantStatus(t, h.do("POST", "/_fake/wechat/subscribe", "", map[string]any{"openid": openid, "template_id": template, "count": 1}), 200, "")
	wantStatus(t, h.do("POST", "/api/v1/me/subscriptions", token, map[string]any{"template_id": template, "count": 1}), 200, "")
}

// TestCancelTellsEveryEntrantOnce: canceling a lottery tells each entrant
// once (the fan-out runs in chunks of 7 through the outbox), with a subscribe
// message to the one who granted the template; the creator is not told.
func TestCancelTellsEveryEntrantOnce(t *testing.T) {
	h := newHarness(t, withLotteries)
	creator, _ := h.login("creator")
	users := h.loginAll(t, "c", 16)
	grant(t, h, users[0].OpenID, users[0].Token, fake.TemplateLotteryCanceled)
	l := h.createLottery(t, creator, manualLottery(lottery.Prize{Name: "P", Quantity: 1}))
	for _, u := range users {
		wantStatus(t, h.do("POST", "/api/v1/lotteries/"+l.ID+"/entries", u.Token, nil), 201, "")
	}
	wantStatus(t, h.do("DELETE", "/api/v1/lotteries/"+l.ID, creator, nil), 200, "")
	waitFor(t, "the outbox to drain", func() bool { return h.db.OutboxStats().Pending == 0 })
	for _, u := range users {
		items := itemsOf(t, h, u.Token, "lottery_canceled", l.ID)
		if len(items) != 1 {
			t.Fatalf("%s has %d cancellation notices, want 1", u.OpenID, len(items))
		}
		if d := items[0].Data; d["lottery_id"] != l.ID || d["title"] != "年会抽奖" {
			t.Fatalf("notice data %v", d)
		}
	}
	if n := len(itemsOf(t, h, creator, "lottery_canceled", l.ID)); n != 0 {
		t.Fatalf("the creator got %d notices", n)
	}
	msgs := h.fake.Messages("")
	if len(msgs) != 1 || msgs[0].ToUser != users[0].OpenID || msgs[0].TemplateID != fake.TemplateLotteryCanceled ||
		msgs[0].Data["thing1"] != "年会抽奖" || msgs[0].Page != "pages/lottery/detail?id="+l.ID {
		t.Fatalf("messages %+v", msgs)
	}
}

// TestPacketFinishedNotice: the grab that takes the last share tells the
// sender, once, with a subscribe message when granted.
func TestPacketFinishedNotice(t *testing.T) {
	h := newHarness(t, withPackets)
	alice, _ := h.login("alice")
	bob, _ := h.login("bob")
	carol, _ := h.login("carol")
	grant(t, h, "alice", alice, fake.TemplatePacketResult)
	h.topup(alice, 1000)
	p := h.createPacket(alice, map[string]any{"kind": "equal", "count": 2, "amount_each": 150})
	wantStatus(t, h.do("POST", "/api/v1/packets/"+p.ID+"/grabs", bob, nil), 201, "")
	if n := len(itemsOf(t, h, alice, "packet_finished", p.ID)); n != 0 {
		t.Fatalf("%d notices before the last share", n)
	}
	wantStatus(t, h.do("POST", "/api/v1/packets/"+p.ID+"/grabs", carol, nil), 201, "")
	wantStatus(t, h.do("POST", "/api/v1/packets/"+p.ID+"/grabs", carol, nil), 200, "") // again: no second notice
	items := itemsOf(t, h, alice, "packet_finished", p.ID)
	if len(items) != 1 {
		t.Fatalf("%d finished notices, want 1", len(items))
	}
	if d := items[0].Data; d["packet_id"] != p.ID || d["amount_fen"] != "300" || d["count"] != "2" || d["grabbed"] != "2" {
		t.Fatalf("notice data %v", d)
	}
	waitFor(t, "the outbox to drain", func() bool { return h.db.OutboxStats().Pending == 0 })
	msgs := h.fake.Messages("alice")
	if len(msgs) != 1 || msgs[0].TemplateID != fake.TemplatePacketResult || msgs[0].Data["thing1"] != "红包已领完" {
		t.Fatalf("messages %+v", msgs)
	}
}

// TestPacketExpiredNotice: the expiry tells the sender the refunded amount,
// once, however many times the expiry runs.
func TestPacketExpiredNotice(t *testing.T) {
	h := newHarness(t, withPackets)
	alice, _ := h.login("alice")
	bob, _ := h.login("bob")
	grant(t, h, "alice", alice, fake.TemplatePacketResult)
	h.topup(alice, 1000)
	p := h.createPacket(alice, map[string]any{"kind": "equal", "count": 3, "amount_each": 100})
	wantStatus(t, h.do("POST", "/api/v1/packets/"+p.ID+"/grabs", bob, nil), 201, "")
	h.clock.Add(24 * time.Hour)
	seq, _, _ := data.DecodeID(p.ID)
	for range 2 {
		if _, err := h.srv.Packets.Expire(context.Background(), seq); err != nil {
			t.Fatal(err)
		}
	}
	h.db.Poke() // the scheduled expiry runs too, and finds it done
	waitFor(t, "the outbox to drain", func() bool { return h.db.OutboxStats().Pending == 0 })
	items := itemsOf(t, h, alice, "packet_expired", p.ID)
	if len(items) != 1 {
		t.Fatalf("%d expiry notices, want 1", len(items))
	}
	if d := items[0].Data; d["refunded_fen"] != "200" || d["grabbed"] != "1" || d["count"] != "3" || d["packet_id"] != p.ID {
		t.Fatalf("notice data %v", d)
	}
	if items[0].Body != "你的红包已过期：3 个中 1 个被领取，2.00 元已退回余额" {
		t.Fatalf("body %q", items[0].Body)
	}
	msgs := h.fake.Messages("alice")
	if len(msgs) != 1 || msgs[0].Data["amount2"] != "2.00元" || msgs[0].Data["thing1"] != "红包已过期" {
		t.Fatalf("messages %+v", msgs)
	}
	if n := len(itemsOf(t, h, bob, "packet_expired", p.ID)); n != 0 {
		t.Fatal("a grabber was told")
	}
}

// TestOldInboxItemsStillServed: items stored before inbox data existed (no
// data, as written by earlier versions) are served as they are, data null.
func TestOldInboxItemsStillServed(t *testing.T) {
	h := newHarness(t)
	tok, _ := h.login("old")
	u := currentUserOf(t, h, tok)
	old := `{"id":"","kind":"lottery_result","title":"开奖结果","body":"很遗憾，你在「旧抽奖」中未中奖，感谢参与","ref":"aaaaaaaaaaaaaaqgw3lyjzbh3a","created_at":"2026-01-01T00:00:00Z","read":false}`
	err := h.db.Update(context.Background(), func(tx data.Tx) error {
		b := tx.Bucket([]byte("inbox"))
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		return b.Put(data.Key(data.U64(u.Seq), data.U64(seq)), []byte(old))
	})
	if err != nil {
		t.Fatal(err)
	}
	r := h.do("GET", "/api/v1/me/inbox", tok, nil)
	wantStatus(t, r, 200, "")
	var out struct {
		Items []map[string]any `json:"items"`
	}
	r.JSON(t, &out)
	if len(out.Items) != 1 || out.Items[0]["title"] != "开奖结果" || out.Items[0]["data"] != nil || out.Items[0]["kind"] != "lottery_result" {
		t.Fatalf("old item served as %s", r.Body)
	}
	if _, err := strconv.ParseUint(out.Items[0]["id"].(string), 10, 64); err != nil {
		t.Fatalf("id %v", out.Items[0]["id"])
	}
}
