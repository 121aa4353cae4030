package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"luckbox/auth"
	"luckbox/data"
	"luckbox/data/datatest"
	"luckbox/exchange"
	"luckbox/lottery"
	"luckbox/packet"
)

// The schema fixtures: testdata/schemaN.kv.json is the dump (as text, see
// fixture_dump_test.go) of a small database written by the binary of schema
// N (-update-schema-fixture writes the current one,
// testdata/schema<data.SchemaVersion>.kv.json), and testdata/schemaN.json
// is what the services answered on it then. TestSchemaFixtures builds every
// fixture's database and opens it with the current binary, which migrates
// it, and checks that the services answer exactly the same, and that the
// audit passes.
var updateSchemaFixture = flag.Bool("update-schema-fixture", false, "write testdata/schema<current>.kv.json and .json")

// fixtureStart is the fixture's clock at the start of its story.
var fixtureStart = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// fixtureStory is the services over one database, with a settable clock
// and deterministic randomness, as the fixture writes and reads them.
type fixtureStory struct {
	t      testing.TB
	db     *data.DB
	clock  *datatest.Clock
	auth   *auth.Service
	pkt    *packet.Service
	lot    *lottery.Service
	ex     *exchange.Service
	pay    *fixturePay
	users  map[string]auth.User
	names  []string // users in sign-up order
	pkts   []string // packet ids in creation order
	lots   []string // lottery ids
	exs    []string // exchange ids
	orders map[string]string
}

// seeded is a deterministic io.Reader.
type seeded struct{ r *rand.ChaCha8 }

func (s seeded) Read(p []byte) (int, error) { return s.r.Read(p) }

func newSeeded(b byte) io.Reader { return seeded{rand.NewChaCha8([32]byte{b})} }

// fixtureLogin logs in the openid given as the code.
type fixtureLogin struct{}

func (fixtureLogin) Code2Session(_ context.Context, code string) (auth.Identity, error) {
	return auth.Identity{OpenID: code, SessionKey: "k"}, nil
}
func (fixtureLogin) BadCode(error) bool { return false }

// fixturePay is a deterministic in-memory WeChat Pay.
type fixturePay struct {
	mu     sync.Mutex
	totals map[string]int64
}

func (*fixturePay) AppID() string { return "wxfixture" }
func (f *fixturePay) Prepay(_ context.Context, r packet.PrepayRequest) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.totals[r.OutTradeNo] = r.Total
	return "prepay-" + r.OutTradeNo, nil
}
func (*fixturePay) PayParams(id string) (packet.PayParams, error) {
	return packet.PayParams{AppID: "wxfixture", Package: "prepay_id=" + id, SignType: "RSA", PaySign: "sig"}, nil
}
func (*fixturePay) Query(context.Context, string) (packet.Transaction, error) {
	return packet.Transaction{TradeState: "NOTPAY"}, nil
}
func (*fixturePay) Close(context.Context, string) error { return nil }

// paid is the notification of a paid order.
func (f *fixturePay) paid(no string) packet.Transaction {
	f.mu.Lock()
	defer f.mu.Unlock()
	return packet.Transaction{AppID: "wxfixture", OutTradeNo: no, TransactionID: "42" + no, TradeState: packet.TradeSuccess, Total: f.totals[no]}
}

// openStory opens the database at path with the services over it.
func openStory(t testing.TB, path string, now time.Time) *fixtureStory {
	return openStoryBatch(t, path, now, 0)
}

// openStoryBatch is openStory migrating batch records per transaction (0:
// the default).
func openStoryBatch(t testing.TB, path string, now time.Time, batch int) *fixtureStory {
	t.Helper()
	s := &fixtureStory{t: t, clock: datatest.NewClock(now), pay: &fixturePay{totals: map[string]int64{}}, users: map[string]auth.User{}, orders: map[string]string{}}
	var buckets [][]byte
	for _, b := range [][][]byte{auth.Buckets, lottery.Buckets, exchange.Buckets, packet.Buckets} {
		buckets = append(buckets, b...)
	}
	db, err := data.Open(path, data.Options{Buckets: buckets, Migrations: migrations(), MigrationBatch: batch, Now: s.clock.Now, NoSync: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	s.db = db
	s.auth = auth.New(db, fixtureLogin{}, auth.Options{Now: s.clock.Now, Rand: newSeeded(1)})
	s.pkt = packet.New(db, packet.Options{Now: s.clock.Now, Rand: newSeeded(2), Payments: s.pay, Logger: slog.New(slog.DiscardHandler)})
	s.lot = lottery.New(db, s.auth, lottery.Options{Now: s.clock.Now, Rand: newSeeded(3)})
	s.ex = exchange.NewService(db, s.auth, exchange.Options{Now: s.clock.Now, Rand: newSeeded(4)})
	return s
}

func (s *fixtureStory) must(err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
}

func (s *fixtureStory) user(name string) auth.User {
	s.t.Helper()
	if u, ok := s.users[name]; ok {
		return u
	}
	l, err := s.auth.Login(context.Background(), name)
	s.must(err)
	s.users[name] = l.User
	s.names = append(s.names, name)
	s.clock.Add(time.Second)
	return l.User
}

func (s *fixtureStory) topup(name string, amount int64) {
	s.t.Helper()
	o, err := s.pkt.Topup(context.Background(), s.user(name), amount)
	s.must(err)
	_, err = s.pkt.ApplyPayment(context.Background(), s.pay.paid(o.OutTradeNo))
	s.must(err)
	s.orders[name+"#"+strconv.Itoa(len(s.orders))] = o.ID
	s.clock.Add(time.Second)
}

func (s *fixtureStory) send(name string, in packet.CreateInput) packet.Packet {
	s.t.Helper()
	p, err := s.pkt.Create(context.Background(), s.user(name), in)
	s.must(err)
	s.pkts = append(s.pkts, p.ID)
	s.clock.Add(time.Second)
	return p
}

func (s *fixtureStory) grab(name, id string) {
	s.t.Helper()
	_, err := s.pkt.Grab(context.Background(), s.user(name).Seq, id)
	s.must(err)
	s.clock.Add(time.Second)
}

// write tells the fixture's story: users, top-ups, packets of every kind and
// status, lotteries in every state, a gift exchange half drawn.
func (s *fixtureStory) write() {
	ctx := context.Background()
	names := []string{"ann", "bob", "cat", "dan", "eve", "fay", "gus", "hal"}
	for _, n := range names {
		s.user(n)
	}
	s.topup("ann", 50000)
	s.topup("bob", 20000)
	s.topup("ann", 1234)
	// Balance-paid packets: lucky partly grabbed, lucky finished, equal, personal.
	lucky := s.send("ann", packet.CreateInput{Kind: packet.KindLucky, Count: 5, Amount: 1000, Greeting: "lucky partial"})
	finished := s.send("ann", packet.CreateInput{Kind: packet.KindLucky, Count: 3, Amount: 300, Greeting: "lucky finished"})
	equal := s.send("bob", packet.CreateInput{Kind: packet.KindEqual, Count: 4, AmountEach: 250})
	personal := s.send("ann", packet.CreateInput{Kind: packet.KindPersonal, Amount: 888, ToUserID: s.user("cat").ID()})
	for _, n := range []string{"bob", "cat", "dan"} {
		s.grab(n, lucky.ID)
	}
	for _, n := range []string{"eve", "fay", "gus"} {
		s.grab(n, finished.ID)
	}
	for _, n := range []string{"ann", "hal"} {
		s.grab(n, equal.ID)
	}
	s.grab("cat", personal.ID)
	// A packet that will expire with a remainder, one grab in it.
	expiring := s.send("bob", packet.CreateInput{Kind: packet.KindLucky, Count: 3, Amount: 600, Greeting: "will expire"})
	s.grab("ann", expiring.ID)
	// WeChat-paid packets: one left unpaid, one pending with grabs then
	// paid, one pending with grabs never paid.
	s.send("dan", packet.CreateInput{Kind: packet.KindEqual, Count: 2, AmountEach: 100, PayWith: packet.PayWeChat})
	paidLater := s.send("eve", packet.CreateInput{Kind: packet.KindLucky, Count: 2, Amount: 500, PayWith: packet.PayWeChat, Greeting: "paid later"})
	_, err := s.pkt.MarkPaid(ctx, s.user("eve").Seq, paidLater.ID)
	s.must(err)
	s.grab("ann", paidLater.ID)
	s.grab("bob", paidLater.ID)
	s.must(s.payPacket(paidLater.ID))
	pending := s.send("fay", packet.CreateInput{Kind: packet.KindLucky, Count: 3, Amount: 900, PayWith: packet.PayWeChat, Greeting: "pending"})
	_, err = s.pkt.MarkPaid(ctx, s.user("fay").Seq, pending.ID)
	s.must(err)
	s.grab("gus", pending.ID)
	// A pending top-up order never paid.
	_, err = s.pkt.Topup(ctx, s.user("hal"), 777)
	s.must(err)
	// A day later the first packets expire; a new one stays active.
	s.clock.Add(25 * time.Hour)
	for _, id := range []string{expiring.ID, lucky.ID, pending.ID} {
		seq, _, _ := data.DecodeID(id)
		_, err := s.pkt.Expire(ctx, seq)
		s.must(err)
	}
	fresh := s.send("bob", packet.CreateInput{Kind: packet.KindLucky, Count: 10, Amount: 1000, Greeting: "fresh"})
	for _, n := range []string{"ann", "cat", "eve", "hal"} {
		s.grab(n, fresh.ID)
	}

	// Lotteries: manual drawn with a claim, count drawn by its last join,
	// time lottery open, one canceled, one with a leave.
	lot := func(creator, title string, d lottery.DrawInput, prizes []lottery.Prize) string {
		l, err := s.lot.Create(ctx, s.user(creator), lottery.CreateInput{Title: title, Description: "fixture " + title, Prizes: prizes, Draw: d})
		s.must(err)
		s.lots = append(s.lots, l.ID)
		s.clock.Add(time.Second)
		return l.ID
	}
	join := func(id string, names ...string) {
		for _, n := range names {
			_, _, err := s.lot.Join(ctx, id, s.user(n))
			s.must(err)
			s.clock.Add(time.Second)
		}
	}
	manual := lot("ann", "manual", lottery.DrawInput{Mode: lottery.ModeManual}, []lottery.Prize{{Name: "gold", Quantity: 1}, {Name: "silver", Quantity: 2}})
	join(manual, "bob", "cat", "dan", "eve", "fay")
	s.must(s.lot.Leave(ctx, manual, s.user("dan").Seq))
	_, err = s.lot.Draw(ctx, manual, s.user("ann").Seq)
	s.must(err)
	winners, _, err := s.lot.Winners(ctx, manual, "", 0)
	s.must(err)
	for _, w := range winners {
		for _, n := range names {
			if s.user(n).ID() == w.UserID {
				_, _, err := s.lot.Claim(ctx, manual, s.user(n), lottery.ClaimInput{Name: n, Phone: "13800000000", Address: "road " + n})
				s.must(err)
				break
			}
		}
		break
	}
	three := 3
	count := lot("bob", "count", lottery.DrawInput{Mode: lottery.ModeCount, Participants: &three}, []lottery.Prize{{Name: "cup", Quantity: 1}})
	join(count, "ann", "gus", "hal")
	timed := lot("cat", "timed", lottery.DrawInput{Mode: lottery.ModeTime, At: s.clock.Now().Add(48 * time.Hour)}, []lottery.Prize{{Name: "pen", Quantity: 2}})
	join(timed, "ann", "bob", "eve")
	canceled := lot("dan", "canceled", lottery.DrawInput{Mode: lottery.ModeManual}, []lottery.Prize{{Name: "hat", Quantity: 1}})
	join(canceled, "fay")
	_, err = s.lot.Cancel(ctx, canceled, s.user("dan").Seq)
	s.must(err)

	// A gift exchange, started, two participants drew.
	e, err := s.ex.CreateExchange(ctx, "fixture exchange")
	s.must(err)
	s.exs = append(s.exs, e.ID)
	phones := map[string]string{"ann": "13900000001", "bob": "13900000002", "cat": "13900000003", "dan": "13900000004"}
	var rows []exchange.Row
	for i, n := range []string{"ann", "bob", "cat", "dan"} {
		rows = append(rows, exchange.Row{Line: i + 2, Name: n, Phone: phones[n], Group: []string{"a", "a", "b", "b"}[i]})
		_, err := s.auth.SetPhone(ctx, s.user(n).ID(), phones[n])
		s.must(err)
	}
	_, err = s.ex.ImportRows(ctx, e.ID, rows)
	s.must(err)
	_, err = s.ex.Start(ctx, e.ID)
	s.must(err)
	for _, n := range []string{"ann", "cat"} {
		s.clock.Add(time.Minute)
		_, err := s.ex.Draw(ctx, e.ID, phones[n])
		s.must(err)
	}
	draft, err := s.ex.CreateExchange(ctx, "draft exchange")
	s.must(err)
	s.exs = append(s.exs, draft.ID)
	_, err = s.ex.ImportRows(ctx, draft.ID, rows[:2])
	s.must(err)
}

// payPacket pays the WeChat order of packet id (as its notification would).
func (s *fixtureStory) payPacket(id string) error {
	p, err := s.pkt.AdminGet(context.Background(), id)
	if err != nil {
		return err
	}
	_, err = s.pkt.ApplyPayment(context.Background(), s.pay.paid(*p.OutTradeNo))
	s.clock.Add(time.Second)
	return err
}

// fixtureState is what the services answer about everything in the fixture.
type fixtureState struct {
	Users     map[string]fixtureUser  `json:"users"`
	Packets   map[string]any          `json:"packets"` // id → viewer → packet view
	AdminPkts []any                   `json:"admin_packets"`
	Lotteries map[string]any          `json:"lotteries"`
	AdminLots []any                   `json:"admin_lotteries"`
	Exchanges map[string]any          `json:"exchanges"`
	Orders    map[string]packet.Order `json:"orders"`
	Audit     packet.Totals           `json:"audit_totals"`
}

type fixtureUser struct {
	ID       string         `json:"id"`
	Balance  int64          `json:"balance"`
	Ledger   []fixturePage  `json:"ledger"`
	Sent     []fixturePage  `json:"sent"`
	Received []fixturePage  `json:"received"`
	Created  []fixturePage  `json:"lotteries_created"`
	Joined   []fixturePage  `json:"lotteries_joined"`
	Inbox    []fixturePage  `json:"inbox"`
	Grabs    map[string]any `json:"grabs"` // packet id → the answer to grabbing it again
	Exchange map[string]any `json:"exchange_me"`
	Self     auth.Self      `json:"self"`
}

// fixturePage is one page of a list and the cursor of the next.
type fixturePage struct {
	Items any    `json:"items"`
	Next  string `json:"next"`
}

// pages reads a whole list page by page.
func pages[T any](t testing.TB, list func(cursor string) ([]T, string, error)) []fixturePage {
	t.Helper()
	var out []fixturePage
	cursor := ""
	for range 1000 {
		items, next, err := list(cursor)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fixturePage{Items: items, Next: next})
		if next == "" {
			return out
		}
		cursor = next
	}
	t.Fatal("list does not end")
	return nil
}

// read asks the services about everything the fixture holds, as every user
// and as the admin. It only reads: grabbing again answers the first grab.
func (s *fixtureStory) read() fixtureState {
	t, ctx := s.t, context.Background()
	st := fixtureState{Users: map[string]fixtureUser{}, Packets: map[string]any{}, Lotteries: map[string]any{},
		Exchanges: map[string]any{}, Orders: map[string]packet.Order{}}
	var viewers []auth.User
	for _, n := range s.names {
		viewers = append(viewers, s.users[n])
	}
	for _, n := range s.names {
		u := s.users[n]
		fu := fixtureUser{ID: u.ID(), Grabs: map[string]any{}, Exchange: map[string]any{}}
		var err error
		fu.Balance, err = s.pkt.Balance(ctx, u.Seq)
		s.must(err)
		fu.Ledger = pages(t, func(c string) ([]packet.LedgerEntry, string, error) { return s.pkt.Ledger(ctx, u.Seq, c, 2) })
		fu.Sent = pages(t, func(c string) ([]packet.Packet, string, error) {
			return s.pkt.ListMine(ctx, u.Seq, packet.RoleSent, c)
		})
		fu.Received = pages(t, func(c string) ([]packet.Packet, string, error) {
			return s.pkt.ListMine(ctx, u.Seq, packet.RoleReceived, c)
		})
		fu.Created = pages(t, func(c string) ([]lottery.Lottery, string, error) {
			return s.lot.Mine(ctx, u.Seq, lottery.RoleCreated, c, 1)
		})
		fu.Joined = pages(t, func(c string) ([]lottery.Lottery, string, error) {
			return s.lot.Mine(ctx, u.Seq, lottery.RoleJoined, c, 2)
		})
		fu.Inbox = pages(t, func(c string) ([]auth.InboxItem, string, error) { return s.auth.Inbox(ctx, u.Seq, c, 3) })
		full, err := s.auth.User(ctx, u.ID())
		s.must(err)
		fu.Self = full.Self()
		for _, id := range s.pkts {
			if p, err := s.pkt.Get(ctx, u.Seq, id); err == nil && p.Me != nil && p.Me.Amount != nil {
				r, err := s.pkt.Grab(ctx, u.Seq, id)
				s.must(err)
				fu.Grabs[id] = r
			}
		}
		for _, id := range s.exs {
			me, err := s.ex.Me(ctx, id, full.Phone)
			fu.Exchange[id] = errOr(me, err)
		}
		st.Users[n] = fu
	}
	for _, id := range s.pkts {
		views := map[string]any{}
		for _, v := range viewers {
			p, err := s.pkt.Get(ctx, v.Seq, id)
			views[v.ID()] = errOr(p, err)
		}
		p, err := s.pkt.AdminGet(ctx, id)
		views["admin"] = errOr(p, err)
		st.Packets[id] = views
	}
	for _, pg := range pages(t, func(c string) ([]packet.Packet, string, error) { return s.pkt.AdminList(ctx, c) }) {
		st.AdminPkts = append(st.AdminPkts, pg)
	}
	for _, id := range s.lots {
		views := map[string]any{}
		for _, v := range viewers {
			l, err := s.lot.Get(ctx, id, v.Seq)
			views[v.ID()] = errOr(l, err)
		}
		w, next, err := s.lot.Winners(ctx, id, "", 1)
		views["winners"] = errOr(fixturePage{w, next}, err)
		proof, err := s.lot.Proof(ctx, id)
		views["proof"] = errOr(proof, err)
		for _, v := range viewers {
			c, next, err := s.lot.Claims(ctx, id, v.Seq, "", 0)
			if err == nil {
				views["claims"] = fixturePage{c, next}
			}
		}
		st.Lotteries[id] = views
	}
	for _, pg := range pages(t, func(c string) ([]lottery.Lottery, string, error) { return s.lot.AdminList(ctx, c, 2) }) {
		st.AdminLots = append(st.AdminLots, pg)
	}
	for _, id := range s.exs {
		e, err := s.ex.GetExchange(ctx, id)
		s.must(err)
		r, err := s.ex.Results(ctx, id, nil)
		s.must(err)
		st.Exchanges[id] = map[string]any{"exchange": e, "results": r}
	}
	for name, id := range s.orders {
		owner, _, _ := strings.Cut(name, "#")
		u := s.users[owner]
		o, err := s.pkt.TopupOrder(ctx, u.Seq, id)
		s.must(err)
		st.Orders[name] = o
	}
	rep, err := packet.Audit(s.db)
	s.must(err)
	if !rep.OK {
		t.Fatalf("audit: %+v", rep.Checks)
	}
	st.Audit = rep.Totals
	return st
}

// errOr is v, or the error's code and message.
func errOr(v any, err error) any {
	if err != nil {
		return map[string]string{"error": data.ErrorCode(err), "message": err.Error()}
	}
	return v
}

// fixtureIndex is what the fixture's reader must know besides the file:
// the users' login codes in sign-up order and the ids it created.
type fixtureIndex struct {
	Now       time.Time         `json:"now"`
	Names     []string          `json:"names"`
	Packets   []string          `json:"packets"`
	Lotteries []string          `json:"lotteries"`
	Exchanges []string          `json:"exchanges"`
	Orders    map[string]string `json:"orders"`
	State     fixtureState      `json:"state"`
}

func marshalFixture(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func TestSchemaFixtures(t *testing.T) {
	if *updateSchemaFixture {
		writeSchemaFixture(t)
	}
	fixtures, _ := filepath.Glob(filepath.Join("testdata", "schema*.kv.json"))
	if len(fixtures) == 0 {
		t.Fatal("no schema fixtures in testdata")
	}
	for _, db := range fixtures {
		// Batch 1 migrates one record per transaction: every step resumes.
		for _, batch := range []int{0, 1} {
			t.Run(fmt.Sprintf("%s/batch=%d", filepath.Base(db), batch), func(t *testing.T) {
				checkSchemaFixture(t, db, batch)
			})
		}
	}
}

// checkSchemaFixture opens a copy of the fixture db, migrating it batch
// records per transaction, and compares what the services answer with the
// fixture's JSON.
func checkSchemaFixture(t *testing.T, db string, batch int) {
	raw, err := os.ReadFile(strings.TrimSuffix(db, ".kv.json") + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var idx fixtureIndex
	if err := json.Unmarshal(raw, &idx); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	loadDump(t, db, path)
	s := openStoryBatch(t, path, idx.Now, batch)
	if v, err := s.db.SchemaVersion(); err != nil || v != data.SchemaVersion {
		t.Fatalf("schema after open: %d %v, want %d", v, err, data.SchemaVersion)
	}
	for _, n := range idx.Names {
		s.user(n)
	}
	s.clock.Set(idx.Now)
	s.pkts, s.lots, s.exs, s.orders = idx.Packets, idx.Lotteries, idx.Exchanges, idx.Orders
	want := normalJSON(t, idx.State)
	got := normalJSON(t, s.read())
	// Fields the API gained after the fixture was written are not the
	// migration's business: compare what the fixture recorded.
	var gotV, wantV any
	if err := json.Unmarshal(got, &gotV); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &wantV); err != nil {
		t.Fatal(err)
	}
	got = normalJSON(t, pruneTo(gotV, wantV))
	if !bytes.Equal(got, want) {
		diffFixture(t, want, got)
	}
}

// pruneTo returns got without the object keys that want lacks at the same
// place (recursively): a new field of an answer is allowed, a changed or
// missing one is not.
func pruneTo(got, want any) any {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return got
		}
		out := make(map[string]any, len(w))
		for k, v := range g {
			if wv, ok := w[k]; ok {
				out[k] = pruneTo(v, wv)
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok {
			return got
		}
		out := make([]any, len(g))
		for i := range g {
			if i < len(w) {
				out[i] = pruneTo(g[i], w[i])
			} else {
				out[i] = g[i]
			}
		}
		return out
	}
	return got
}

// normalJSON is v marshaled, read back as plain JSON values and marshaled
// again, so that a struct and the map it was decoded into compare equal.
func normalJSON(t testing.TB, v any) []byte {
	t.Helper()
	var plain any
	if err := json.Unmarshal(marshalFixture(t, v), &plain); err != nil {
		t.Fatal(err)
	}
	return marshalFixture(t, plain)
}

// diffFixture fails with the first lines where got differs from want.
func diffFixture(t *testing.T, want, got []byte) {
	t.Helper()
	wl, gl := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g []byte
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if !bytes.Equal(w, g) {
			lo := max(0, i-8)
			t.Fatalf("the services answer differently after the migration, at line %d:\nwant %s\ngot  %s\ncontext (want):\n%s",
				i+1, w, g, bytes.Join(wl[lo:min(len(wl), i+3)], []byte("\n")))
		}
	}
}

// compactFile writes a dense copy of the bbolt file from to to.

// writeSchemaFixture writes testdata/schema<current>.kv.json (the dump of
// the database, fixture_dump_test.go) and its .json.
func writeSchemaFixture(t *testing.T) {
	base := filepath.Join("testdata", fmt.Sprintf("schema%d", data.SchemaVersion))
	tmp := filepath.Join(t.TempDir(), "fixture.db")
	s := openStory(t, tmp, fixtureStart)
	s.write()
	idx := fixtureIndex{Now: s.clock.Now(), Names: s.names, Packets: s.pkts, Lotteries: s.lots, Exchanges: s.exs, Orders: s.orders}
	idx.State = s.read()
	s.must(s.db.Close())
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	dumpFile(t, tmp, base+".kv.json")
	if err := os.WriteFile(base+".json", marshalFixture(t, idx), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s.kv.json and %s.json", base, base)
}

// TestAuditAndRestoreOldSchema: the audit of a file of an older schema
// audits a migrated copy and leaves the file as it was; restoring it works
// (the server migrates it when it starts).
func TestAuditAndRestoreOldSchema(t *testing.T) {
	old := filepath.Join(t.TempDir(), "old.db")
	loadDump(t, filepath.Join("testdata", "schema1.kv.json"), old)
	before, err := os.ReadFile(old)
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := Run(context.Background(), []string{"audit", "--data", old}, noEnv, &out, &errOut); err != nil {
		t.Fatalf("audit of a schema-1 file: %v\n%s%s", err, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "all invariants hold") || !strings.Contains(out.String(), "wallets 8, packets 9") ||
		!strings.Contains(errOut.String(), fmt.Sprintf("has schema 1: audited a copy migrated to schema %d", data.SchemaVersion)) {
		t.Fatalf("audit of a schema-1 file:\n%s%s", out.String(), errOut.String())
	}
	if after, _ := os.ReadFile(old); !bytes.Equal(before, after) {
		t.Fatal("the audit changed the schema-1 file")
	}
	target := filepath.Join(t.TempDir(), "restored.db")
	out.Reset()
	if err := Run(context.Background(), []string{"restore", "--from", old, "--data", target}, noEnv, &out, io.Discard); err != nil {
		t.Fatalf("restore of a schema-1 backup: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), fmt.Sprintf("migrates it from schema 1 to %d", data.SchemaVersion)) {
		t.Fatalf("restore output:\n%s", out.String())
	}
	s := openStory(t, target, fixtureStart)
	if v, err := s.db.SchemaVersion(); err != nil || v != data.SchemaVersion {
		t.Fatalf("restored file after open: schema %d, %v", v, err)
	}
	if rep, err := packet.Audit(s.db); err != nil || !rep.OK {
		t.Fatalf("audit of the restored, migrated file: %v %+v", err, rep)
	}
}
