package web

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"luckbox/auth"
	"luckbox/wechat"
)

// testGroups adapts the WeChat package to auth.GroupResolver, as wire.go does.
type testGroups struct{ c *wechat.Client }

func (g testGroups) GroupFromEncrypted(_ context.Context, key, encrypted, iv string) (string, time.Time, error) {
	si, err := wechat.DecryptShareInfo(g.c.AppID(), key, encrypted, iv)
	return si.OpenGID, si.At, err
}

func (testGroups) BadInput(err error) bool { return wechat.IsBadShareInfo(err) }

// withGroupClock stamps the fake's share info with the harness's clock (the
// server checks that share info is fresh).
func withGroupClock(h *harness, _ *Deps) { h.fake.SetGroupClock(h.clock.Now) }

// groupShare is the body of a group proof.
type groupShare struct {
	EncryptedData string `json:"encrypted_data"`
	IV            string `json:"iv"`
}

// addToGroup puts openid in the fake's group and returns its openGId.
func (h *harness) addToGroup(group, openid string) string {
	h.t.Helper()
	r := h.do("POST", "/_fake/wechat/groups/members", "", map[string]string{"group": group, "openid": openid})
	wantStatus(h.t, r, 200, "")
	var out struct {
		OpenGID string `json:"open_gid"`
	}
	r.JSON(h.t, &out)
	return out.OpenGID
}

// shareInfo is what wx.getShareInfo gives openid for a card that sharer
// shared into group (the fake refuses non-members).
func (h *harness) shareInfo(group, sharer, openid string) groupShare {
	h.t.Helper()
	r := h.do("POST", "/_fake/wechat/share-ticket", "", map[string]string{"group": group, "openid": sharer})
	wantStatus(h.t, r, 200, "")
	var tk struct {
		ShareTicket string `json:"share_ticket"`
	}
	r.JSON(h.t, &tk)
	r = h.do("POST", "/_fake/wechat/share-info", "", map[string]string{"openid": openid, "share_ticket": tk.ShareTicket})
	wantStatus(h.t, r, 200, "")
	var s groupShare
	r.JSON(h.t, &s)
	return s
}

// proveGroup posts a group proof for token.
func (h *harness) proveGroup(token string, s groupShare) response {
	h.t.Helper()
	return h.do("POST", "/api/v1/groups/proof", token, s)
}

// wantRefused fails unless r is a 403 forbidden with the reason.
func wantRefused(t testing.TB, r response, reason string) {
	t.Helper()
	wantStatus(t, r, 403, "forbidden")
	var e errorBody
	r.JSON(t, &e)
	if e.Error.Reason != reason {
		t.Fatalf("reason %q, want %q: %s", e.Error.Reason, reason, r.Body)
	}
}

// groupWorld is a harness with the fake's groups: alice (creator) and bob
// in "family", carol in "work", dave in none; all logged in.
type groupWorld struct {
	*harness
	alice, bob, carol, dave string // tokens
	familyGID               string
}

func newGroupWorld(t *testing.T) *groupWorld {
	h := newHarness(t, append(allFeatures, withGroupClock)...)
	w := &groupWorld{harness: h}
	w.alice, _ = h.login("alice")
	w.bob, _ = h.login("bob")
	w.carol, _ = h.login("carol")
	w.dave, _ = h.login("dave")
	w.familyGID = h.addToGroup("family", "alice")
	h.addToGroup("family", "bob")
	h.addToGroup("work", "carol")
	return w
}

// flipByte flips one bit of the base64 data's byte i.
func flipByte(t testing.TB, b64 string, i int) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	b[i] ^= 1
	return base64.StdEncoding.EncodeToString(b)
}

// createGroupOnly creates, as alice, the activity of body restricted to
// family (alice's share info) and returns its id and the created answer.
func (w *groupWorld) createGroupOnly(t *testing.T, path string, body map[string]any) (string, []byte) {
	t.Helper()
	body["group"] = w.shareInfo("family", "alice", "alice")
	r := w.do("POST", path, w.alice, body)
	wantStatus(t, r, 201, "")
	var a struct {
		ID        string `json:"id"`
		GroupOnly bool   `json:"group_only"`
	}
	r.JSON(t, &a)
	if !a.GroupOnly {
		t.Fatalf("%s: not group-only: %s", path, r.Body)
	}
	return a.ID, r.Body
}

// checkGroupGate runs the refusals and the acceptance common to packets and
// lotteries; take is the join or grab of the activity by a token.
func checkGroupGate(t *testing.T, w *groupWorld, rawBody []byte, take func(token string) response, wantOK int) {
	if strings.Contains(string(rawBody), w.familyGID) {
		t.Fatalf("the activity shows its group id: %s", rawBody)
	}
	// No proof at all: refused, and the refusal writes nothing.
	wantRefused(t, take(w.dave), auth.ReasonGroupProofRequired)
	// Claiming the group id is not a proof: the proof route takes only
	// encrypted data, and the join/grab takes no group.
	wantStatus(t, w.do("POST", "/api/v1/groups/proof", w.dave, map[string]string{"open_gid": w.familyGID}), 400, "invalid_argument")
	wantStatus(t, w.proveGroup(w.dave, groupShare{EncryptedData: base64.StdEncoding.EncodeToString([]byte(`{"openGId":"` + w.familyGID + `"}`)), IV: base64.StdEncoding.EncodeToString(make([]byte, 16))}), 400, "invalid_argument")
	wantRefused(t, take(w.dave), auth.ReasonGroupProofRequired)
	// Bob's share info is encrypted with bob's session key: dave cannot
	// replay it, and a tampered copy does not decrypt even for bob.
	bobs := w.shareInfo("family", "alice", "bob")
	wantStatus(t, w.proveGroup(w.dave, bobs), 400, "invalid_argument")
	tampered := bobs
	tampered.EncryptedData = flipByte(t, bobs.EncryptedData, 5)
	wantStatus(t, w.proveGroup(w.bob, tampered), 400, "invalid_argument")
	wantRefused(t, take(w.dave), auth.ReasonGroupProofRequired)
	wantRefused(t, take(w.bob), auth.ReasonGroupProofRequired)
	// Carol proves another group: not in this one. The fake will not give
	// her the family's share info.
	wantStatus(t, w.proveGroup(w.carol, w.shareInfo("work", "carol", "carol")), 200, "")
	wantRefused(t, take(w.carol), auth.ReasonNotInGroup)
	r := w.do("POST", "/_fake/wechat/share-ticket", "", map[string]string{"group": "family", "openid": "carol"})
	wantStatus(t, r, 403, "forbidden")
	// Stale share info (kept past MaxShareInfoAge) is refused.
	stale := w.shareInfo("family", "alice", "bob")
	w.clock.Add(auth.MaxShareInfoAge + time.Minute)
	wantStatus(t, w.proveGroup(w.bob, stale), 400, "invalid_argument")
	// A member with a fresh proof is accepted.
	wantStatus(t, w.proveGroup(w.bob, w.shareInfo("family", "alice", "bob")), 200, "")
	wantStatus(t, take(w.bob), wantOK, "")
}

func TestGroupOnlyLottery(t *testing.T) {
	w := newGroupWorld(t)
	id, raw := w.createGroupOnly(t, "/api/v1/lotteries", map[string]any{"title": "Family draw",
		"prizes": []map[string]any{{"name": "Tea", "quantity": 1}}, "draw": map[string]any{"mode": "manual"}})
	join := func(token string) response { return w.do("POST", "/api/v1/lotteries/"+id+"/entries", token, nil) }
	checkGroupGate(t, w, raw, join, 201)
	// The creator proved the group by creating it.
	wantStatus(t, join(w.alice), 201, "")
	got := w.getLottery(t, w.carol, id)
	if !got.GroupOnly || got.ParticipantCount != 2 {
		t.Fatalf("lottery after joins: %+v", got)
	}
	// An open lottery takes everyone, proofs or not.
	open := w.createLottery(t, w.alice, map[string]any{"title": "Open", "prizes": []map[string]any{{"name": "Tea", "quantity": 1}},
		"draw": map[string]any{"mode": "manual"}})
	wantStatus(t, w.do("POST", "/api/v1/lotteries/"+open.ID+"/entries", w.dave, nil), 201, "")

	// Proofs expire.
	other := w.createLottery(t, w.alice, map[string]any{"title": "Later", "prizes": []map[string]any{{"name": "Tea", "quantity": 1}},
		"draw": map[string]any{"mode": "manual"}, "group": w.shareInfo("family", "alice", "alice")})
	w.clock.Add(auth.DefaultGroupProofTTL)
	wantRefused(t, w.do("POST", "/api/v1/lotteries/"+other.ID+"/entries", w.bob, nil), auth.ReasonGroupProofExpired)
	wantStatus(t, w.proveGroup(w.bob, w.shareInfo("family", "alice", "bob")), 200, "")
	wantStatus(t, w.do("POST", "/api/v1/lotteries/"+other.ID+"/entries", w.bob, nil), 201, "")
}

func TestGroupOnlyPacket(t *testing.T) {
	w := newGroupWorld(t)
	w.topup(w.alice, 10000)
	id, raw := w.createGroupOnly(t, "/api/v1/packets", map[string]any{"kind": "lucky", "count": 3, "amount": 300})
	grab := func(token string) response { return w.do("POST", "/api/v1/packets/"+id+"/grabs", token, nil) }
	checkGroupGate(t, w, raw, grab, 201)
	if got := w.packet(w.alice, id); got.RemainingCount != 2 {
		t.Fatalf("after the refusals and one grab: %+v", got)
	}
	// Proofs expire (a second packet, made half a day later, outlives bob's
	// proof); a personal packet cannot be group-only.
	w.clock.Add(auth.DefaultGroupProofTTL / 2)
	id, _ = w.createGroupOnly(t, "/api/v1/packets", map[string]any{"kind": "equal", "count": 2, "amount_each": 100})
	w.clock.Add(auth.DefaultGroupProofTTL/2 + time.Minute)
	wantRefused(t, grab(w.bob), auth.ReasonGroupProofExpired)
	wantRefused(t, grab(w.carol), auth.ReasonGroupProofRequired)
	wantStatus(t, w.proveGroup(w.bob, w.shareInfo("family", "alice", "bob")), 200, "")
	wantStatus(t, grab(w.bob), 201, "")
	wantStatus(t, w.do("POST", "/api/v1/packets", w.alice, map[string]any{"kind": "personal", "amount": 100,
		"to_user_id": "x", "group": w.shareInfo("family", "alice", "alice")}), 400, "invalid_argument")
	w.auditOK()
}
