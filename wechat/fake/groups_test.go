package fake

import (
	"testing"

	"luckbox/wechat"
)

func TestGroupsShareInfo(t *testing.T) {
	f, srv, clk := newTestFake(t)
	login := func(openid string) string {
		t.Helper()
		_, m := call(t, "POST", srv.URL+"/login-code", map[string]string{"openid": openid})
		q := "/sns/jscode2session?appid=" + testAppID + "&secret=" + testSecret + "&grant_type=authorization_code&js_code="
		_, m = call(t, "GET", srv.URL+q+m["code"].(string), nil)
		return m["session_key"].(string)
	}
	aliceKey, bobKey := login("alice"), login("bob")
	login("carol")
	for _, who := range []string{"alice", "bob"} {
		if st, m := call(t, "POST", srv.URL+"/groups/members", map[string]string{"group": "family", "openid": who}); st != 200 {
			t.Fatalf("add %s: %d %v", who, st, m)
		}
	}
	groups := f.Groups()
	if len(groups) != 1 || len(groups[0].Members) != 2 || len(groups[0].OpenGID) != 28 {
		t.Fatalf("groups: %+v", groups)
	}
	gid := groups[0].OpenGID
	// Only a member shares into the group.
	if st, _ := call(t, "POST", srv.URL+"/share-ticket", map[string]string{"group": "family", "openid": "carol"}); st != 403 {
		t.Fatalf("carol shares into family: %d", st)
	}
	_, m := call(t, "POST", srv.URL+"/share-ticket", map[string]string{"group": "family", "openid": "alice"})
	ticket := m["share_ticket"].(string)
	// bob's share info decrypts with bob's session key only, names the group
	// and is stamped now.
	_, m = call(t, "POST", srv.URL+"/share-info", map[string]string{"openid": "bob", "share_ticket": ticket})
	data, iv := m["encrypted_data"].(string), m["iv"].(string)
	si, err := wechat.DecryptShareInfo(testAppID, bobKey, data, iv)
	if err != nil || si.OpenGID != gid || !si.At.Equal(clk.Now().Truncate(1e9)) {
		t.Fatalf("bob's share info: %+v %v (group %s)", si, err, gid)
	}
	if _, err := wechat.DecryptShareInfo(testAppID, aliceKey, data, iv); err == nil {
		t.Fatal("bob's share info decrypted with alice's key")
	}
	// Non-members and unknown tickets get nothing.
	if st, _ := call(t, "POST", srv.URL+"/share-info", map[string]string{"openid": "carol", "share_ticket": ticket}); st != 403 {
		t.Fatalf("carol's share info: %d", st)
	}
	if st, _ := call(t, "POST", srv.URL+"/share-info", map[string]string{"openid": "bob", "share_ticket": "nope"}); st != 404 {
		t.Fatalf("unknown ticket: %d", st)
	}
	if st, _ := call(t, "POST", srv.URL+"/groups/members", map[string]string{"group": "bad name!", "openid": "bob"}); st != 400 {
		t.Fatalf("bad group name: %d", st)
	}
}
