package web

import (
	"strings"
	"testing"
)

// TestBrowserGroupPacket drives a group-only packet in the demo client: the
// demo panel puts users in groups; alice sends a packet only for "family",
// shared into it; bob (a member) opens the link from the group and grabs;
// carol (in another group) and dave (in none) see why they cannot.
func TestBrowserGroupPacket(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short: skipped with -short")
	}
	b := startBrowser(t)
	h := newHarness(t, append(allFeatures, withGroupClock)...)
	alice := b.newTab(t, "alice", h.ts.URL)
	alice.login("alice", "en")
	aliceToken, _ := h.login("alice") // the tab keeps its own session
	h.topup(aliceToken, 5000)

	// The demo panel: bob into family, carol into work.
	alice.route("#/groups")
	alice.fill("#group-name", "family")
	alice.fill("#group-openid", "bob")
	alice.click("#group-add")
	alice.waitFor("family listed", `document.querySelector('#group-list [data-group="family"]')`)
	alice.fill("#group-name", "work")
	alice.fill("#group-openid", "carol")
	alice.click("#group-add")
	alice.waitFor("work listed", `document.querySelector('#group-list [data-group="work"]')`)
	alice.shot("groups-panel")

	// A group-only lucky packet: ¥3.00 in 3 shares, for family.
	alice.route("#/packets/new")
	alice.click("#packet-kind-lucky")
	alice.fill("#packet-count", "3")
	alice.fill("#packet-amount", "3.00")
	alice.fill("#packet-group", "family")
	alice.click("#packet-send")
	alice.waitVisible("#packet-share")
	alice.waitVisible("#packet-group-only")
	share := eval[string](alice, `document.querySelector('#packet-share').value`)
	if !strings.Contains(share, "/g/") {
		t.Fatalf("the share link of a group-only packet carries no share ticket: %q", share)
	}
	link := strings.TrimPrefix(share, h.ts.URL)
	bare := link[:strings.Index(link, "/g/")]

	// bob opens it from the group: proven, and grabs.
	bob := b.newTab(t, "bob", h.ts.URL)
	bob.login("bob", "en")
	bob.open(link)
	bob.waitFor("bob proven", `document.querySelector('#packet-group-only[data-membership="proven"]')`)
	bob.click("#packet-grab")
	bob.waitVisible("#packet-my-amount")
	bob.shot("group-packet-member")

	// carol opens the same link but is not in family: refused, with why.
	carol := b.newTab(t, "carol", h.ts.URL)
	carol.login("carol", "en")
	carol.open(link)
	carol.waitFor("carol not a member", `document.querySelector('#packet-group-only[data-membership="notMember"]')`)
	carol.click("#packet-grab")
	carol.waitVisible("#packet-group-refused")
	if got := carol.text("#packet-group-refused"); !strings.Contains(got, "you are not in it") && !strings.Contains(got, "open it from the group chat") {
		t.Errorf("carol's refusal: %q", got)
	}
	carol.shot("group-packet-outsider")

	// dave opens the link without the ticket (not from the group), in Chinese.
	dave := b.newTab(t, "dave", h.ts.URL)
	dave.login("dave", "zh")
	dave.open(bare)
	dave.click("#packet-grab")
	dave.waitText("#packet-group-refused", "请从群聊中打开")
	if n := len(h.packet(aliceToken, eval[string](alice, `document.querySelector('#packet').dataset.id`)).Grabs); n != 1 {
		t.Errorf("%d grabs, want bob's only", n)
	}
}

// TestBrowserGroupLottery: the lottery form's group field makes a
// group-only lottery shared into the group; a member who opens the link
// from the group proves it and joins, an outsider and someone who opened
// it without the ticket are refused with the reason in their language.
func TestBrowserGroupLottery(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short: skipped with -short")
	}
	b := startBrowser(t)
	h := newHarness(t, append(allFeatures, withGroupClock)...)
	alice := b.newTab(t, "alice", h.ts.URL)
	alice.login("alice", "en")
	aliceToken, _ := h.login("alice")

	alice.route("#/groups")
	alice.fill("#group-name", "family")
	alice.fill("#group-openid", "bob")
	alice.click("#group-add")
	alice.waitFor("family listed", `document.querySelector('#group-list [data-group="family"]')`)

	alice.route("#/lotteries/new")
	alice.fill("#new-title", "Family draw")
	alice.fill("#lottery-group", "family")
	alice.click("#lottery-create")
	alice.waitVisible("#lottery-group-only")
	share := eval[string](alice, `document.querySelector('#lottery-share').value`)
	if !strings.Contains(share, "/g/") {
		t.Fatalf("the share link of a group-only lottery carries no share ticket: %q", share)
	}
	link := strings.TrimPrefix(share, h.ts.URL)
	bare := link[:strings.Index(link, "/g/")]
	id := eval[string](alice, `document.querySelector('#lottery').dataset.id`)

	bob := b.newTab(t, "bob", h.ts.URL)
	bob.login("bob", "en")
	bob.open(link)
	bob.waitFor("bob proven", `document.querySelector('#lottery-group-only[data-membership="proven"]')`)
	bob.click("#lottery-join")
	bob.waitVisible("#lottery-joined")
	bob.shot("group-lottery-member")

	carol := b.newTab(t, "carol", h.ts.URL)
	carol.login("carol", "en")
	carol.open(link)
	carol.waitFor("carol not a member", `document.querySelector('#lottery-group-only[data-membership="notMember"]')`)
	carol.click("#lottery-join")
	carol.waitVisible("#lottery-group-refused")
	if got := carol.text("#lottery-group-refused"); !strings.Contains(got, "This lottery is for the members of one WeChat group") {
		t.Errorf("carol's refusal: %q", got)
	}

	dave := b.newTab(t, "dave", h.ts.URL)
	dave.login("dave", "zh")
	dave.open(bare)
	dave.click("#lottery-join")
	dave.waitText("#lottery-group-refused", "群专属抽奖")

	r := h.do("GET", "/api/v1/lotteries/"+id, aliceToken, nil)
	wantStatus(t, r, 200, "")
	var l struct {
		GroupOnly        bool `json:"group_only"`
		ParticipantCount int  `json:"participant_count"`
	}
	r.JSON(t, &l)
	if !l.GroupOnly || l.ParticipantCount != 1 {
		t.Errorf("lottery %+v: want group-only with bob's entry only", l)
	}
}
