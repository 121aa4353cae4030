package cli

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rawCall sends body with the given content type and accept header and
// returns the status and the raw answer.
func rawCall(t *testing.T, method, url, token, contentType, accept, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// TestExchangeEndToEnd runs a gift exchange on the real server in demo mode:
// the admin creates and imports, users bind phones through the fake WeChat,
// the admin starts, users draw, the admin exports and reminds; after a
// restart the answers are the same.
func TestExchangeEndToEnd(t *testing.T) {
	const admin = "e2e-admin-token-0123456789abcdefghijkl"
	file := filepath.Join(t.TempDir(), "luckbox.db")
	s := startServer(t, file, "--admin-token", admin)
	api := s.URL + "/api/v1"

	var ex struct{ ID, Status string }
	if st := call(t, "POST", api+"/admin/exchanges", admin, map[string]string{"title": "E2E 礼物交换"}, &ex); st != 201 || ex.Status != "draft" {
		t.Fatalf("create: %d %+v", st, ex)
	}
	names := []string{"张三", "李四", "王五", "赵六", "钱七", "孙八"}
	var list strings.Builder
	list.WriteString("\ufeffname,phone,group\n")
	for i, n := range names {
		fmt.Fprintf(&list, "%s,+86 138 0000 000%d,组%d\n", n, i, i%3)
	}
	if st, b := rawCall(t, "POST", api+"/admin/exchanges/"+ex.ID+"/participants", admin, "text/csv", "", list.String()); st != 200 || !bytes.Contains(b, []byte(`"imported":6`)) {
		t.Fatalf("import: %d %s", st, b)
	}
	tokens := make([]string, len(names))
	for i := range names {
		openid := fmt.Sprintf("e2e-x-%d", i)
		tokens[i], _ = demoLogin(t, s.URL, openid)
		var code struct{ Code string }
		call(t, "POST", s.URL+"/_fake/wechat/phone-code", "", map[string]string{"openid": openid, "phone": fmt.Sprintf("1380000000%d", i)}, &code)
		var bound struct{ Phone string }
		if st := call(t, "POST", api+"/me/phone", tokens[i], map[string]string{"code": code.Code}, &bound); st != 200 || bound.Phone != fmt.Sprintf("1380000000%d", i) {
			t.Fatalf("bind phone: %d %+v", st, bound)
		}
	}
	if st := call(t, "POST", api+"/exchanges/"+ex.ID+"/draw", tokens[0], nil, nil); st != 409 {
		t.Fatalf("draw before start: %d", st)
	}
	if st := call(t, "POST", api+"/admin/exchanges/"+ex.ID+"/start", admin, nil, &ex); st != 200 || ex.Status != "started" {
		t.Fatalf("start: %d %+v", st, ex)
	}
	// Users 0..3 draw; 4 and 5 do not, and 5 allows a reminder message.
	drawn := map[string]bool{}
	first := make([]string, 4)
	for i := range 4 {
		var d struct{ Recipient struct{ Name string } }
		if st := call(t, "POST", api+"/exchanges/"+ex.ID+"/draw", tokens[i], nil, &d); st != 200 || d.Recipient.Name == "" || d.Recipient.Name == names[i] || drawn[d.Recipient.Name] {
			t.Fatalf("draw %d: %d %+v", i, st, d)
		}
		drawn[d.Recipient.Name], first[i] = true, d.Recipient.Name
	}
	const tmpl = "luckbox_exchange_reminder"
	call(t, "POST", s.URL+"/_fake/wechat/subscribe", "", map[string]any{"openid": "e2e-x-5", "template_id": tmpl, "count": 1}, nil)
	call(t, "POST", api+"/me/subscriptions", tokens[5], map[string]any{"template_id": tmpl, "count": 1}, nil)
	var rem struct {
		Reminded       int `json:"reminded"`
		SkippedRecent  int `json:"skipped_recent"`
		WithoutAccount int `json:"without_account"`
	}
	if st := call(t, "POST", api+"/admin/exchanges/"+ex.ID+"/reminders", admin, nil, &rem); st != 200 || rem.Reminded != 2 || rem.WithoutAccount != 0 {
		t.Fatalf("reminders: %d %+v", st, rem)
	}
	var msgs struct {
		Items []struct{ Data map[string]string }
	}
	for range 200 {
		call(t, "GET", s.URL+"/_fake/wechat/messages?openid=e2e-x-5", "", nil, &msgs)
		if len(msgs.Items) > 0 {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	if len(msgs.Items) != 1 || msgs.Items[0].Data["thing1"] != "E2E 礼物交换" {
		t.Fatalf("reminder messages %+v", msgs)
	}
	// The CSV export shows who drew.
	st, b := rawCall(t, "GET", api+"/admin/exchanges/"+ex.ID+"/results?drawn=true", admin, "", "text/csv", "")
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if st != 200 || err != nil || len(recs) != 5 || recs[1][1] != names[0] || recs[1][7] != first[0] {
		t.Fatalf("export: %d %v %q", st, err, recs)
	}
	// After a restart the draws answer the same.
	s.stop(t)
	s = startServer(t, file, "--admin-token", admin)
	for i := range 4 {
		var me struct {
			Drawn     bool
			Recipient *struct{ Name string }
		}
		if st := call(t, "GET", s.URL+"/api/v1/exchanges/"+ex.ID+"/me", tokens[i], nil, &me); st != 200 || !me.Drawn || me.Recipient == nil || me.Recipient.Name != first[i] {
			t.Fatalf("after restart, user %d: %d %+v", i, st, me)
		}
	}
}
