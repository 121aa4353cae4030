package fake

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The fake models WeChat groups: named groups of openids, each with an
// openGId of its own; share tickets (what a mini-program gets when a member
// shares a card into the group); and the encrypted share info that
// wx.getShareInfo gives a member who opens the card: {"openGId",
// "watermark"} encrypted with that member's latest session key, exactly as
// the legacy open data. Control routes stand in for the client side:
//
//	POST /groups/members {"group","openid"} → the group (creates it)
//	GET  /groups                            → every group with its members
//	POST /share-ticket   {"group","openid"} → {"share_ticket"} (a member shares)
//	POST /share-info     {"openid","share_ticket"} → {"encrypted_data","iv"}
//	                     (wx.getShareInfo; only for members of the group)

// groupState is the fake's groups (guarded by Fake.mu).
type groupState struct {
	byName  map[string]*mpGroup
	tickets map[string]string // share ticket → group name
	// now stamps share info watermarks (nil: the fake's clock).
	now func() time.Time
}

// SetGroupClock makes now the clock of share info watermarks, for a server
// whose clock is not the fake's (tests with a set clock).
func (f *Fake) SetGroupClock(now func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groups.now = now
}

// mpGroup is one WeChat group.
type mpGroup struct {
	name    string
	openGID string
	members []string // openids, in joining order
}

// Group is a group as the control routes show it.
type Group struct {
	Name    string   `json:"name"`
	OpenGID string   `json:"open_gid"`
	Members []string `json:"members"`
}

var groupNameRe = regexp.MustCompile(`^[0-9A-Za-z_-]{1,32}$`)

// Errors of the group control routes.
var (
	errBadGroup  = errors.New("fake: group must be 1..32 letters, digits, '_' or '-'")
	errNoGroup   = errors.New("fake: no such group")
	errNotMember = errors.New("fake: openid is not a member of the group")
	errNoTicket  = errors.New("fake: unknown share ticket")
)

func (f *Fake) registerGroups(mux *http.ServeMux) {
	mux.HandleFunc("POST /groups/members", groupRoute(func(in groupMemberIn) (any, error) {
		return f.AddGroupMember(in.Group, in.OpenID)
	}))
	mux.HandleFunc("GET /groups", f.handleGroups)
	mux.HandleFunc("POST /share-ticket", groupRoute(func(in groupMemberIn) (any, error) {
		t, err := f.ShareTicket(in.Group, in.OpenID)
		return map[string]string{"share_ticket": t}, err
	}))
	mux.HandleFunc("POST /share-info", groupRoute(func(in shareInfoIn) (any, error) {
		data, iv, err := f.EncryptedShareInfo(in.OpenID, in.ShareTicket)
		return map[string]string{"encrypted_data": data, "iv": iv}, err
	}))
}

// AddGroupMember puts openid in the group named name, creating the group
// (with a fresh openGId) if needed, and returns the group.
func (f *Fake) AddGroupMember(name, openid string) (Group, error) {
	if !groupNameRe.MatchString(name) {
		return Group{}, errBadGroup
	}
	if !validOpenID(openid) {
		return Group{}, errBadOpenID
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	g := f.groups.byName[name]
	if g == nil {
		if f.groups.byName == nil {
			f.groups.byName, f.groups.tickets = map[string]*mpGroup{}, map[string]string{}
		}
		// WeChat's openGIds are 28 characters starting with "tG".
		g = &mpGroup{name: name, openGID: "tG" + base64.RawURLEncoding.EncodeToString(f.randomBytes(19))}
		f.groups.byName[name] = g
	}
	if !slices.Contains(g.members, openid) {
		g.members = append(g.members, openid)
	}
	return g.view(), nil
}

func (g *mpGroup) view() Group {
	return Group{Name: g.name, OpenGID: g.openGID, Members: append([]string{}, g.members...)}
}

// Groups returns every group, by name.
func (f *Fake) Groups() []Group {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Group, 0, len(f.groups.byName))
	for _, g := range f.groups.byName {
		out = append(out, g.view())
	}
	slices.SortFunc(out, func(a, b Group) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// ShareTicket is the shareTicket a member's mini-program gets when openid
// shares a card into the group named name.
func (f *Fake) ShareTicket(name, openid string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := f.groups.byName[name]
	if g == nil {
		return "", errNoGroup
	}
	if !slices.Contains(g.members, openid) {
		return "", errNotMember
	}
	t := base64.RawURLEncoding.EncodeToString(f.randomBytes(24))
	f.groups.tickets[t] = name
	return t, nil
}

// EncryptedShareInfo is what wx.getShareInfo({shareTicket}) gives openid:
// the group's openGId with a watermark of the fake's app id and the time,
// encrypted with openid's latest session key. Only a member of the
// ticket's group gets it (WeChat answers 65206 to a user no longer in it).
func (f *Fake) EncryptedShareInfo(openid, ticket string) (encryptedData, iv string, err error) {
	f.mu.Lock()
	now := f.now
	if f.groups.now != nil {
		now = f.groups.now
	}
	name, ok := f.groups.tickets[ticket]
	var gid string
	switch {
	case !ok:
		err = errNoTicket
	case !slices.Contains(f.groups.byName[name].members, openid):
		err = errNotMember
	default:
		gid = f.groups.byName[name].openGID
	}
	f.mu.Unlock()
	if err != nil {
		return "", "", err
	}
	pt, err := json.Marshal(map[string]any{
		"openGId":   gid,
		"watermark": map[string]any{"appid": f.opts.AppID, "timestamp": now().Unix()},
	})
	if err != nil {
		return "", "", fmt.Errorf("fake: encode share info: %w", err)
	}
	return f.encryptFor(openid, pt)
}

// groupCtlErr answers a control-route error for err.
func groupCtlErr(w http.ResponseWriter, err error) {
	status, code := http.StatusBadRequest, "invalid_argument"
	switch {
	case errors.Is(err, errNoGroup), errors.Is(err, errNoTicket):
		status, code = http.StatusNotFound, "not_found"
	case errors.Is(err, errNotMember):
		status, code = http.StatusForbidden, "forbidden"
	case errors.Is(err, errNoSession):
		status, code = http.StatusConflict, "conflict"
	}
	ctlErr(w, status, code, strings.TrimPrefix(err.Error(), "fake: "))
}

// groupMemberIn is the body of POST /groups/members and /share-ticket.
type groupMemberIn struct {
	Group  string `json:"group"`
	OpenID string `json:"openid"`
}

// shareInfoIn is the body of POST /share-info.
type shareInfoIn struct {
	OpenID      string `json:"openid"`
	ShareTicket string `json:"share_ticket"`
}

// groupRoute serves a group control route: it decodes the body, runs do
// and answers its result (200) or its error (groupCtlErr).
func groupRoute[In any](do func(In) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in In
		if !ctlDecode(w, r, &in) {
			return
		}
		out, err := do(in)
		if err != nil {
			groupCtlErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	}
}

func (f *Fake) handleGroups(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"groups": f.Groups()})
}
