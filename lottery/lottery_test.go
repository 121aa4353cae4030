package lottery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"luckbox/auth"
	"luckbox/data"
	"luckbox/data/datatest"
)

// stubWX logs in the openid given as the code.
type stubWX struct{}

func (stubWX) Code2Session(_ context.Context, code string) (auth.Identity, error) {
	return auth.Identity{OpenID: code, SessionKey: "k"}, nil
}
func (stubWX) BadCode(error) bool { return false }

// seededReader is a deterministic io.Reader for seeds and ids.
type seededReader struct{ r *rand.ChaCha8 }

func newSeeded(seed byte) *seededReader {
	var s [32]byte
	s[0] = seed
	return &seededReader{rand.NewChaCha8(s)}
}

func (s *seededReader) Read(p []byte) (int, error) { return s.r.Read(p) }

type fixture struct {
	t     testing.TB
	db    *data.DB
	auth  *auth.Service
	svc   *Service
	clock *datatest.Clock
}

func newFixture(t testing.TB, opts Options) *fixture {
	t.Helper()
	f := &fixture{t: t, clock: datatest.NewClock(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC))}
	db := datatest.OpenTemp(t, append(append([][]byte{}, auth.Buckets...), Buckets...), f.clock)
	f.db = db
	f.auth = auth.New(db, stubWX{}, auth.Options{Now: f.clock.Now, Rand: newSeeded(1)})
	opts.Now = f.clock.Now
	if opts.Rand == nil {
		opts.Rand = newSeeded(2)
	}
	f.svc = New(db, f.auth, opts)
	return f
}

func (f *fixture) user(openid string) auth.User {
	f.t.Helper()
	l, err := f.auth.Login(context.Background(), openid)
	if err != nil {
		f.t.Fatal(err)
	}
	return l.User
}

func (f *fixture) create(creator auth.User, in CreateInput) Lottery {
	f.t.Helper()
	l, err := f.svc.Create(context.Background(), creator, in)
	if err != nil {
		f.t.Fatalf("create: %v", err)
	}
	return l
}

func (f *fixture) join(id string, u auth.User) Entry {
	f.t.Helper()
	e, _, err := f.svc.Join(context.Background(), id, u)
	if err != nil {
		f.t.Fatalf("join %s: %v", u.OpenID, err)
	}
	return e
}

func (f *fixture) get(id string) Lottery {
	f.t.Helper()
	l, err := f.svc.Get(context.Background(), id, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	return l
}

// inboxKinds counts a user's inbox items with ref.
func (f *fixture) inboxCount(u auth.User, ref string) int { return f.inboxKind(u, ref, KindResult) }

// inboxKind counts a user's inbox items of kind with ref.
func (f *fixture) inboxKind(u auth.User, ref, kind string) int {
	f.t.Helper()
	items, _, err := f.auth.Inbox(context.Background(), u.Seq, "", 100)
	if err != nil {
		f.t.Fatal(err)
	}
	n := 0
	for _, it := range items {
		if it.Ref == ref && it.Kind == kind {
			n++
		}
	}
	return n
}

func manual(prizes ...Prize) CreateInput {
	return CreateInput{Title: "年会抽奖", Prizes: prizes, Draw: DrawInput{Mode: ModeManual}}
}

func intp(n int) *int { return &n }

// TestFanOutExactlyOnce: the result fan-out runs in chunks; a fan-out that
// stopped after one chunk and a message delivered twice still give every
// participant exactly one inbox item, winners and losers the right text.
func TestFanOutExactlyOnce(t *testing.T) {
	f := newFixture(t, Options{NotifyChunk: 3})
	ctx := context.Background()
	creator := f.user("creator")
	l := f.create(creator, manual(Prize{"一等奖", 1}, Prize{"二等奖", 2}))
	var users []auth.User
	for i := range 8 {
		u := f.user(fmt.Sprintf("u%d", i))
		users = append(users, u)
		f.join(l.ID, u)
	}
	if _, err := f.svc.Draw(ctx, l.ID, creator.Seq); err != nil {
		t.Fatal(err)
	}
	seq, _, _ := data.DecodeID(l.ID)
	// A crash after the first chunk committed.
	if err := f.db.Update(ctx, func(tx data.Tx) error { _, err := f.svc.notifyChunk(tx, seq); return err }); err != nil {
		t.Fatal(err)
	}
	notified := 0
	for _, u := range users {
		notified += f.inboxCount(u, l.ID)
	}
	if notified != 3 {
		t.Fatalf("after one chunk %d participants notified, want 3", notified)
	}
	msg := data.Message{ID: 1, Kind: outboxResults, Payload: []byte(fmt.Sprintf(`{"lottery":%d}`, seq))}
	for range 2 { // at-least-once delivery: the same message twice
		if err := f.svc.deliverResults(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	winners := 0
	for _, u := range users {
		if n := f.inboxCount(u, l.ID); n != 1 {
			t.Errorf("%s has %d result items, want 1", u.OpenID, n)
		}
		items, _, _ := f.auth.Inbox(ctx, u.Seq, "", 10)
		me, _ := f.svc.Get(ctx, l.ID, u.Seq)
		body := items[0].Body
		if me.Me.Prize != nil {
			winners++
			if want := "恭喜你在「年会抽奖」中抽中" + *me.Me.Prize; body != want {
				t.Errorf("winner body %q, want %q", body, want)
			}
		} else if body != "很遗憾，你在「年会抽奖」中未中奖，感谢参与" {
			t.Errorf("loser body %q", body)
		}
	}
	if winners != 3 {
		t.Errorf("%d winners notified as winners, want 3", winners)
	}
	if n := f.inboxCount(creator, l.ID); n != 0 {
		t.Errorf("creator (not a participant) got %d items", n)
	}
}

// TestCountDrawsInJoin: the join that reaches draw.participants draws the
// lottery in the same operation; the next join is a conflict.
func TestCountDrawsInJoin(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	creator := f.user("c")
	l := f.create(creator, CreateInput{Title: "满人开奖", Prizes: []Prize{{"P", 1}}, Draw: DrawInput{Mode: ModeCount, Participants: intp(3)}})
	f.join(l.ID, f.user("a"))
	if e := f.join(l.ID, f.user("b")); e.Status != StatusOpen || e.ParticipantCount != 2 {
		t.Fatalf("second join: %+v", e)
	}
	e := f.join(l.ID, f.user("c2"))
	if e.Status != StatusDrawn || e.ParticipantCount != 3 {
		t.Fatalf("third join: %+v, want drawn with 3", e)
	}
	got := f.get(l.ID)
	if got.WinnerCount != 1 || got.Fairness.Seed == nil || got.Fairness.EntriesHash == nil {
		t.Fatalf("after the count draw: %+v", got)
	}
	if _, _, err := f.svc.Join(ctx, l.ID, f.user("d")); data.ErrorCode(err) != data.EConflict {
		t.Fatalf("join after the draw: %v, want conflict", err)
	}
	p, err := f.svc.Proof(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Verify(); err != nil || len(p.Entries) != 3 || len(p.Winners) != 1 {
		t.Fatalf("proof %+v: %v", p, err)
	}
}

// TestTimeLockAndDrawIdempotent runs the scheduled transitions twice and out
// of order: each is idempotent, the hash published at the lock is the one
// the draw uses, and the seed is secret until the draw.
func TestTimeLockAndDrawIdempotent(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	creator := f.user("c")
	at := f.clock.Now().Add(time.Hour)
	l := f.create(creator, CreateInput{Title: "定时", Prizes: []Prize{{"P", 2}}, Draw: DrawInput{Mode: ModeTime, At: at}})
	if l.LockAt == nil || !l.LockAt.Equal(at.Add(-60*time.Second)) || l.LockBeforeSeconds != 60 {
		t.Fatalf("lock_at %v, lock_before %d", l.LockAt, l.LockBeforeSeconds)
	}
	for i := range 5 {
		f.join(l.ID, f.user(fmt.Sprintf("u%d", i)))
	}
	seq, _, _ := data.DecodeID(l.ID)
	due := data.Due{Ref: data.U64(seq)}
	// Past lock_at but before the lock ran: entries are already closed.
	f.clock.Add(time.Hour - 30*time.Second)
	if _, _, err := f.svc.Join(ctx, l.ID, f.user("late")); data.ErrorCode(err) != data.EConflict {
		t.Fatalf("join past lock_at: %v", err)
	}
	for range 2 {
		if err := f.svc.dueLock(ctx, due); err != nil {
			t.Fatal(err)
		}
	}
	locked := f.get(l.ID)
	if locked.Status != StatusLocked || locked.Fairness.EntriesHash == nil || locked.Fairness.Seed != nil {
		t.Fatalf("locked: %+v", locked)
	}
	f.clock.Add(time.Minute)
	for range 2 {
		if err := f.svc.dueDraw(ctx, due); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.dueLock(ctx, due); err != nil { // a late lock changes nothing
		t.Fatal(err)
	}
	drawn := f.get(l.ID)
	if drawn.Status != StatusDrawn || *drawn.Fairness.EntriesHash != *locked.Fairness.EntriesHash || !drawn.LockedAt.Equal(*locked.LockedAt) {
		t.Fatalf("drawn: %+v", drawn)
	}
	seed, _ := hex.DecodeString(*drawn.Fairness.Seed)
	if h := sha256.Sum256(seed); hex.EncodeToString(h[:]) != drawn.Fairness.SeedHash || drawn.Fairness.SeedHash != l.Fairness.SeedHash {
		t.Fatalf("seed %s does not hash to the published %s", *drawn.Fairness.Seed, l.Fairness.SeedHash)
	}
	ws, _, err := f.svc.Winners(ctx, l.ID, "", 0)
	if err != nil || len(ws) != 2 {
		t.Fatalf("winners %v: %v", ws, err)
	}
	// The second draw did not draw again: still one result message queued.
	if st := f.db.OutboxStats(); st.Pending != 1 {
		t.Fatalf("outbox has %d messages, want 1", st.Pending)
	}

	// A time lottery whose draw runs before its lock (both overdue at
	// start-up) is locked and drawn in one step.
	l2 := f.create(creator, CreateInput{Title: "定时2", Prizes: []Prize{{"P", 1}}, Draw: DrawInput{Mode: ModeTime, At: f.clock.Now().Add(2 * time.Hour)}})
	f.join(l2.ID, f.user("u0"))
	seq2, _, _ := data.DecodeID(l2.ID)
	f.clock.Add(3 * time.Hour)
	if err := f.svc.dueDraw(ctx, data.Due{Ref: data.U64(seq2)}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.dueLock(ctx, data.Due{Ref: data.U64(seq2)}); err != nil {
		t.Fatal(err)
	}
	if g := f.get(l2.ID); g.Status != StatusDrawn || g.LockedAt == nil || g.WinnerCount != 1 {
		t.Fatalf("draw before lock: %+v", g)
	}
}

// TestMineNewestFirstPaged pages through created and joined lotteries.
func TestMineNewestFirstPaged(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	a, b := f.user("a"), f.user("b")
	var ids []string
	for i := range 5 {
		l := f.create(a, manual(Prize{"P", 1}))
		ids = append(ids, l.ID)
		if i%2 == 0 {
			f.join(l.ID, b)
		}
	}
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		items, next, err := f.svc.Mine(ctx, a.Seq, RoleCreated, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range items {
			got = append(got, l.ID)
		}
		if next == "" {
			break
		}
		cursor = next
		if pages > 5 {
			t.Fatal("too many pages")
		}
	}
	want := slices.Clone(ids)
	slices.Reverse(want)
	if !slices.Equal(got, want) {
		t.Fatalf("created = %v, want %v", got, want)
	}
	if err := f.svc.Leave(ctx, ids[2], b.Seq); err != nil {
		t.Fatal(err)
	}
	items, next, err := f.svc.Mine(ctx, b.Seq, RoleJoined, "", 10)
	if err != nil || next != "" || len(items) != 2 || items[0].ID != ids[4] || items[1].ID != ids[0] || !items[0].Me.Joined {
		t.Fatalf("joined = %+v next %q: %v", items, next, err)
	}
	if _, _, err := f.svc.Mine(ctx, b.Seq, "owned", "", 10); data.ErrorCode(err) != data.EInvalid {
		t.Fatalf("bad role: %v", err)
	}
}

// TestEventsAfterCommit: a watcher sees count, locked and drawn events with
// the committed values; a rejected join publishes nothing.
func TestEventsAfterCommit(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	creator := f.user("c")
	l := f.create(creator, CreateInput{Title: "直播", Prizes: []Prize{{"P", 1}}, Draw: DrawInput{Mode: ModeCount, Participants: intp(2)}, MaxParticipants: 2})
	state, ch, cancel, err := f.svc.Watch(ctx, l.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	if state.ID != l.ID || state.ParticipantCount != 0 {
		t.Fatalf("state %+v", state)
	}
	f.join(l.ID, f.user("a"))
	f.join(l.ID, f.user("b"))
	if _, _, err := f.svc.Join(ctx, l.ID, f.user("x")); data.ErrorCode(err) != data.EConflict {
		t.Fatalf("join after draw: %v", err)
	}
	var got []string
	for range 3 {
		ev := <-ch
		got = append(got, ev.Name+" "+string(ev.Data))
	}
	if got[0] != `count {"participant_count":1}` || got[1] != `count {"participant_count":2}` ||
		!strings.HasPrefix(got[2], `drawn {"drawn_at":`) || !strings.Contains(got[2], `"winner_count":1`) {
		t.Fatalf("events %q", got)
	}
	select {
	case ev := <-ch:
		t.Fatalf("unexpected event %s %s", ev.Name, ev.Data)
	default:
	}
	f.svc.Events().Close()
	if _, ok := <-ch; ok {
		t.Fatal("channel open after Close")
	}
	if n := f.svc.events.watchers(1); n != 0 {
		t.Fatalf("%d watchers after Close", n)
	}
}
