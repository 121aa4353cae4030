package exchange

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"luckbox/auth"
	"luckbox/data"
	"luckbox/data/datatest"
)

// testService opens a temp database and an exchange service over it with a
// fixed clock and seeded randomness.
func testService(t testing.TB) (*Service, *data.DB) {
	t.Helper()
	db := datatest.OpenTemp(t, append(append([][]byte{}, auth.Buckets...), Buckets...), nil)
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s := NewService(db, nil, Options{Now: func() time.Time { return now }, Rand: rand.NewChaCha8([32]byte{7})})
	return s, db
}

func createTest(t testing.TB, s *Service) string {
	t.Helper()
	e, err := s.CreateExchange(context.Background(), "圣诞礼物交换 2026")
	if err != nil {
		t.Fatal(err)
	}
	if e.Status != StatusDraft || e.ParticipantCount != 0 {
		t.Fatalf("new exchange %+v", e)
	}
	return e.ID
}

// wantDetails checks an invalid_argument error and returns its details.
func wantDetails(t testing.TB, err error) []data.FieldError {
	t.Helper()
	e, ok := data.AsError(err)
	if !ok || e.Code != data.EInvalid {
		t.Fatalf("error %v, want invalid_argument", err)
	}
	d, _ := e.Details.([]data.FieldError)
	return d
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := data.ErrorCode(err); err == nil || got != code {
		t.Fatalf("error %v (%s), want %s", err, got, code)
	}
}

func TestParseExchangeCSV(t *testing.T) {
	in := "\ufeffPhone , NAME,exclude,group\r\n" +
		"13800000001,张三,13800000002;+86 138 0000 0003,销售部\r\n" +
		"\r\n" +
		"13800000002,\"Li, \"\"Lee\"\" Si\",,\r\n" +
		",,,\r\n" +
		"13800000003,王五,13800000001 ； 13800000002 ;,研发\n"
	rows, problems, err := ParseCSV(strings.NewReader(in))
	if err != nil || len(problems) != 0 {
		t.Fatalf("parse: %v %v", err, problems)
	}
	want := []Row{
		{Line: 2, Name: "张三", Phone: "13800000001", Group: "销售部", Exclude: []string{"13800000002", "+86 138 0000 0003"}},
		{Line: 4, Name: `Li, "Lee" Si`, Phone: "13800000002"},
		{Line: 6, Name: "王五", Phone: "13800000003", Group: "研发", Exclude: []string{"13800000001", "13800000002"}},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Fatalf("rows\n%v\nwant\n%v", rows, want)
	}

	// Rows that cannot be read are reported with their line; reading goes on.
	rows, problems, err = ParseCSV(strings.NewReader("name,phone\na,13800000001\nb,13800000002,extra\nc \"x\",13800000003\nd,13800000004\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Line != 2 || rows[1].Line != 5 {
		t.Fatalf("rows %v", rows)
	}
	if len(problems) != 2 || problems[0].Line != 3 || problems[0].Field != "row" || problems[1].Line != 4 || problems[1].Field != "csv" {
		t.Fatalf("problems %+v", problems)
	}

	for _, bad := range []string{"", "张三,13800000001\n", "name,phone,email\n", "name,name,phone\n", "\ufeffname\n"} {
		if _, _, err := ParseCSV(strings.NewReader(bad)); data.ErrorCode(err) != data.EInvalid {
			t.Errorf("header %q: error %v, want invalid_argument", bad, err)
		}
	}
}

func TestImportBadRowInMiddleImportsNothing(t *testing.T) {
	s, _ := testService(t)
	ctx := context.Background()
	id := createTest(t, s)
	csv := "name,phone,group,exclude\n" +
		"张三,13800000001,销售,\n" +
		"李四,13800000002,销售,\n" +
		"王五,1380000,研发,\n" + // line 4: malformed phone
		"赵六,13800000004,研发,\n" +
		"钱七,13800000005,,\n"
	_, err := s.ImportCSV(ctx, id, strings.NewReader(csv))
	d := wantDetails(t, err)
	if len(d) != 1 || d[0].Line != 4 || d[0].Field != "phone" || !strings.Contains(d[0].Reason, "malformed phone") {
		t.Fatalf("details %+v", d)
	}
	if !strings.Contains(err.Error(), "line 4") || !strings.Contains(err.Error(), "nothing was imported") {
		t.Fatalf("message %q", err)
	}
	e, _ := s.GetExchange(ctx, id)
	res, _ := s.Results(ctx, id, nil)
	if e.ParticipantCount != 0 || len(res) != 0 {
		t.Fatalf("after a rejected import: count %d, %d results", e.ParticipantCount, len(res))
	}
	// Fixed, the same file imports, names intact.
	n, err := s.ImportCSV(ctx, id, strings.NewReader(strings.Replace(csv, "1380000,", "13800000003,", 1)))
	if err != nil || n != 5 {
		t.Fatalf("import: %d %v", n, err)
	}
	res, _ = s.Results(ctx, id, nil)
	var names []string
	for _, p := range res {
		names = append(names, p.Name)
	}
	if strings.Join(names, " ") != "张三 李四 王五 赵六 钱七" {
		t.Fatalf("names %v", names)
	}
}

func TestImportReportsEveryBadRow(t *testing.T) {
	s, _ := testService(t)
	ctx := context.Background()
	id := createTest(t, s)
	if _, err := s.ImportCSV(ctx, id, strings.NewReader("name,phone\n已有,13900000000\n")); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("名", 33)
	csv := "name,phone,group,exclude\n" +
		"ok1,13800000001,,13900000000\n" + // 2: fine (excludes someone on the list)
		",13800000002,,\n" + // 3: missing name
		long + ",13800000003,,\n" + // 4: name too long
		"x,12345,,\n" + // 5: malformed phone
		"y,138 0000 0001,,\n" + // 6: duplicate of line 2
		"z,13900000000,,\n" + // 7: already on the list
		"w,13800000007,,13700000000\n" + // 8: unknown exclusion
		"v,13800000008,,+86 13800000008\n" + // 9: excludes self
		"u,13800000009,g,13800000001;bad\n" + // 10: malformed exclusion
		"t,13800000010\n" + // 11: wrong field count
		"ok2,13800000011,,13800000001\n" // 12: fine (excludes someone in the file)
	_, err := s.ImportCSV(ctx, id, strings.NewReader(csv))
	d := wantDetails(t, err)
	type pf struct {
		line  int
		field string
		has   string
	}
	want := []pf{
		{3, "name", "missing name"}, {4, "name", "must be 1..32 characters"}, {5, "phone", "malformed phone"},
		{6, "phone", "duplicate phone 13800000001: also on line 2"}, {7, "phone", "already on the list"},
		{8, "exclude", "13700000000"}, {9, "exclude", "own phone"}, {10, "exclude", "malformed phone \"bad\""},
		{11, "row", "has 2 fields, the header has 4"},
	}
	if len(d) != len(want) {
		t.Fatalf("%d details, want %d: %+v", len(d), len(want), d)
	}
	for i, w := range want {
		if d[i].Line != w.line || d[i].Field != w.field || !strings.Contains(d[i].Reason, w.has) {
			t.Errorf("detail %d = %+v, want line %d field %s reason containing %q", i, d[i], w.line, w.field, w.has)
		}
	}
	if e, _ := s.GetExchange(ctx, id); e.ParticipantCount != 1 {
		t.Fatalf("count %d after rejected import", e.ParticipantCount)
	}
	// JSON rows are numbered by item.
	_, err = s.ImportRows(ctx, id, []Row{{Name: "a", Phone: "13600000001"}, {Name: "", Phone: "13600000002"}})
	if d := wantDetails(t, err); len(d) != 1 || d[0].Line != 2 || d[0].Field != "name" {
		t.Fatalf("json details %+v", d)
	}
}

func TestImport10000Rows(t *testing.T) {
	s, _ := testService(t)
	ctx := context.Background()
	id := createTest(t, s)
	var b strings.Builder
	b.WriteString("\ufeffname,phone,group,exclude\n")
	for i := range 10000 {
		excl := ""
		if i > 0 {
			excl = fmt.Sprintf("139%08d", i-1)
		}
		fmt.Fprintf(&b, "员工%05d,139%08d,部门%d,%s\n", i, i, i%40, excl)
	}
	n, err := s.ImportCSV(ctx, id, strings.NewReader(b.String()))
	if err != nil || n != 10000 {
		t.Fatalf("import: %d %v", n, err)
	}
	e, _ := s.GetExchange(ctx, id)
	res, err := s.Results(ctx, id, nil)
	if err != nil || e.ParticipantCount != 10000 || len(res) != 10000 {
		t.Fatalf("count %d, %d results, %v", e.ParticipantCount, len(res), err)
	}
	if p := res[9999]; p.Name != "员工09999" || p.Phone != "13900009999" || p.Group != "部门39" || len(p.Exclude) != 1 || p.Exclude[0] != "13900009998" {
		t.Fatalf("last row %+v", p)
	}
	// The same file again: every row is already on the list.
	_, err = s.ImportCSV(ctx, id, strings.NewReader(b.String()))
	if d := wantDetails(t, err); len(d) != 10000 || d[0].Line != 2 || d[9999].Line != 10001 {
		t.Fatalf("re-import: %d details", len(d))
	}
}

// importTest imports n participants "p0".."pn-1" with phones 1370000000i, the
// given group function, and returns the exchange id.
func importTest(t testing.TB, s *Service, n int, group func(i int) string) string {
	t.Helper()
	id := createTest(t, s)
	rows := make([]Row, n)
	for i := range rows {
		rows[i] = Row{Name: fmt.Sprintf("p%d", i), Phone: fmt.Sprintf("137%08d", i), Group: group(i)}
	}
	if _, err := s.ImportRows(context.Background(), id, rows); err != nil {
		t.Fatal(err)
	}
	return id
}

// checkStarted verifies that a started exchange's results form one valid
// loop and that the stored hash commits to them.
func checkStarted(t *testing.T, s *Service, id string) []Participant {
	t.Helper()
	ctx := context.Background()
	e, err := s.GetExchange(ctx, id)
	if err != nil || e.Status != StatusStarted || e.StartedAt == nil {
		t.Fatalf("exchange %+v %v", e, err)
	}
	res, err := s.Results(ctx, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	index := map[string]int{}
	for i, p := range res {
		index[p.ID] = i
	}
	people := make([]MatchPerson, len(res))
	pairs := make([]AssignmentPair, len(res))
	for i, p := range res {
		people[i].Group = p.Group
		for _, x := range p.Exclude {
			for j, q := range res {
				if q.Phone == x {
					people[i].Exclude = append(people[i].Exclude, j)
				}
			}
		}
		pairs[i] = AssignmentPair{p.ID, p.RecipientID}
		if res[index[p.RecipientID]].Name != p.RecipientName {
			t.Fatalf("recipient name mismatch for %s", p.Name)
		}
	}
	order := []int{0}
	for len(order) < len(res) {
		order = append(order, index[res[order[len(order)-1]].RecipientID])
	}
	if last := index[res[order[len(order)-1]].RecipientID]; last != 0 {
		t.Fatalf("the assignment is not one loop through everyone")
	}
	if err := CheckCycle(order, people); err != nil {
		t.Fatal(err)
	}
	if got := AssignmentHash(pairs); got != e.AssignmentHash || len(got) != 64 {
		t.Fatalf("hash %s, results hash to %s", e.AssignmentHash, got)
	}
	return res
}

func TestStartMakesOneLoopRespectingRules(t *testing.T) {
	s, _ := testService(t)
	ctx := context.Background()
	id := importTest(t, s, 60, func(i int) string { return []string{"a", "b", "c", ""}[i%4] })
	// Exclusions: p1 must not give to p2 or p5.
	res, _ := s.Results(ctx, id, nil)
	ex := []string{res[2].Phone, res[5].Phone}
	if _, err := s.UpdateParticipant(ctx, id, res[1].ID, ParticipantUpdate{Exclude: &ex}); err != nil {
		t.Fatal(err)
	}
	e, err := s.Start(ctx, id)
	if err != nil || e.Status != StatusStarted || e.AssignmentHash == "" || e.ParticipantCount != 60 {
		t.Fatalf("start: %+v %v", e, err)
	}
	after := checkStarted(t, s, id)
	if r := after[1].RecipientID; r == res[2].ID || r == res[5].ID {
		t.Fatal("p1 gives to someone they excluded")
	}
	// Started: the list is frozen and the exchange starts once.
	_, err = s.Start(ctx, id)
	wantCode(t, err, data.EConflict)
	_, err = s.ImportRows(ctx, id, []Row{{Name: "late", Phone: "13600000000"}})
	wantCode(t, err, data.EConflict)
	name := "new"
	_, err = s.UpdateParticipant(ctx, id, res[0].ID, ParticipantUpdate{Name: &name})
	wantCode(t, err, data.EConflict)
	wantCode(t, s.DeleteParticipant(ctx, id, res[0].ID), data.EConflict)
	if again := checkStarted(t, s, id); fmt.Sprint(again) != fmt.Sprint(after) {
		t.Fatal("the assignment changed after the start")
	}
}

func TestStartImpossibleExplainsAndChangesNothing(t *testing.T) {
	s, _ := testService(t)
	ctx := context.Background()
	id := importTest(t, s, 10, func(i int) string {
		if i < 6 {
			return "Sales"
		}
		return ""
	})
	before, _ := s.Results(ctx, id, nil)
	_, err := s.Start(ctx, id)
	wantCode(t, err, data.EConflict)
	if !strings.Contains(err.Error(), `group "Sales" has 6 of 10 participants`) {
		t.Fatalf("message %q", err)
	}
	e, _ := s.GetExchange(ctx, id)
	after, _ := s.Results(ctx, id, nil)
	if e.Status != StatusDraft || e.AssignmentHash != "" || fmt.Sprint(before) != fmt.Sprint(after) {
		t.Fatalf("a failed start changed the exchange: %+v", e)
	}
	for _, p := range after {
		if p.RecipientID != "" {
			t.Fatal("a failed start assigned recipients")
		}
	}
	// Someone who excludes everyone else is named.
	id2 := importTest(t, s, 3, func(int) string { return "" })
	res, _ := s.Results(ctx, id2, nil)
	ex := []string{res[1].Phone, res[2].Phone}
	if _, err := s.UpdateParticipant(ctx, id2, res[0].ID, ParticipantUpdate{Exclude: &ex}); err != nil {
		t.Fatal(err)
	}
	_, err = s.Start(ctx, id2)
	if data.ErrorCode(err) != data.EConflict || !strings.Contains(err.Error(), `"p0" (13700000000) excludes or shares a group with everyone else`) {
		t.Fatalf("error %v", err)
	}
	// Fewer than two.
	id3 := importTest(t, s, 1, func(int) string { return "" })
	_, err = s.Start(ctx, id3)
	if data.ErrorCode(err) != data.EConflict || !strings.Contains(err.Error(), "at least 2 participants") {
		t.Fatalf("error %v", err)
	}
}

func TestStartRetriesWhenTheListChanges(t *testing.T) {
	s, _ := testService(t)
	ctx := context.Background()
	id := importTest(t, s, 8, func(int) string { return "" })
	calls := 0
	s.matchHook = func() {
		calls++
		if calls == 1 { // an edit lands between the matching and the write
			if _, err := s.ImportRows(ctx, id, []Row{{Name: "late", Phone: "13600000000"}}); err != nil {
				t.Error(err)
			}
		}
	}
	e, err := s.Start(ctx, id)
	if err != nil || calls != 2 || e.ParticipantCount != 9 {
		t.Fatalf("start: %+v %v after %d matchings", e, err, calls)
	}
	res := checkStarted(t, s, id)
	if len(res) != 9 || res[8].RecipientID == "" {
		t.Fatal("the late participant was left out")
	}

	// A list that keeps changing gives up with a conflict and changes nothing.
	id2 := importTest(t, s, 4, func(int) string { return "" })
	k := 0
	s.matchHook = func() {
		k++
		if _, err := s.ImportRows(ctx, id2, []Row{{Name: "x", Phone: fmt.Sprintf("1350000000%d", k)}}); err != nil {
			t.Error(err)
		}
	}
	_, err = s.Start(ctx, id2)
	wantCode(t, err, data.EConflict)
	if e, _ := s.GetExchange(ctx, id2); e.Status != StatusDraft || e.ParticipantCount != 6 {
		t.Fatalf("exchange %+v", e)
	}
}

func TestEditAndDeleteWhileDraft(t *testing.T) {
	s, _ := testService(t)
	ctx := context.Background()
	id := importTest(t, s, 4, func(int) string { return "" })
	res, _ := s.Results(ctx, id, nil)
	name, phone, group := " 新名字 ", "+86 135-0000-0000", "研发"
	p, err := s.UpdateParticipant(ctx, id, res[0].ID, ParticipantUpdate{Name: &name, Phone: &phone, Group: &group})
	if err != nil || p.Name != "新名字" || p.Phone != "13500000000" || p.Group != "研发" || p.ID != res[0].ID {
		t.Fatalf("update: %+v %v", p, err)
	}
	// p1 excludes p0 by its new phone; p0's phone changes again and p1 still excludes p0.
	ex := []string{"13500000000"}
	if _, err := s.UpdateParticipant(ctx, id, res[1].ID, ParticipantUpdate{Exclude: &ex}); err != nil {
		t.Fatal(err)
	}
	phone2 := "13500000001"
	if _, err := s.UpdateParticipant(ctx, id, res[0].ID, ParticipantUpdate{Phone: &phone2}); err != nil {
		t.Fatal(err)
	}
	after, _ := s.Results(ctx, id, nil)
	if got := after[1].Exclude; len(got) != 1 || got[0] != "13500000001" {
		t.Fatalf("p1 excludes %v", got)
	}
	// Rejections.
	taken := res[2].Phone
	_, err = s.UpdateParticipant(ctx, id, res[0].ID, ParticipantUpdate{Phone: &taken})
	wantCode(t, err, data.EInvalid)
	unknown := []string{"13311111111"}
	_, err = s.UpdateParticipant(ctx, id, res[0].ID, ParticipantUpdate{Exclude: &unknown})
	wantCode(t, err, data.EInvalid)
	self := []string{phone2}
	_, err = s.UpdateParticipant(ctx, id, res[0].ID, ParticipantUpdate{Exclude: &self})
	wantCode(t, err, data.EInvalid)
	empty := " "
	_, err = s.UpdateParticipant(ctx, id, res[0].ID, ParticipantUpdate{Name: &empty})
	wantCode(t, err, data.EInvalid)
	_, err = s.UpdateParticipant(ctx, id, "nosuchparticipant", ParticipantUpdate{Name: &name})
	wantCode(t, err, data.ENotFound)
	// The old phone is free again, the new one taken; deleting frees it.
	if err := s.DeleteParticipant(ctx, id, res[0].ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.DeleteParticipant(ctx, id, res[0].ID), data.ENotFound)
	e, _ := s.GetExchange(ctx, id)
	after, _ = s.Results(ctx, id, nil)
	if e.ParticipantCount != 3 || len(after) != 3 || len(after[0].Exclude) != 0 {
		t.Fatalf("after delete: %d, %+v", e.ParticipantCount, after)
	}
	if n, err := s.ImportRows(ctx, id, []Row{{Name: "back", Phone: phone2}}); err != nil || n != 1 {
		t.Fatalf("reimport freed phone: %v", err)
	}
}

func TestDrawAndMe(t *testing.T) {
	s, _ := testService(t)
	ctx := context.Background()
	id := importTest(t, s, 5, func(int) string { return "" })
	_, err := s.Draw(ctx, id, "13700000000")
	wantCode(t, err, data.EConflict) // not started
	if me, err := s.Me(ctx, id, "13700000000"); err != nil || me.Drawn || me.RecipientName != "" {
		t.Fatalf("me before start: %+v %v", me, err)
	}
	if _, err := s.Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	_, err = s.Draw(ctx, id, "")
	wantCode(t, err, data.EConflict)
	_, err = s.Draw(ctx, id, "13711111111")
	wantCode(t, err, data.ENotFound)
	_, err = s.Me(ctx, id, "13711111111")
	wantCode(t, err, data.ENotFound)
	_, err = s.Draw(ctx, "aaaaaaaaaaaaaaaaaaaaaaaaaa", "13700000000")
	wantCode(t, err, data.ENotFound)

	res, _ := s.Results(ctx, id, nil)
	d1, err := s.Draw(ctx, id, "13700000000")
	if err != nil || d1.RecipientName != res[0].RecipientName {
		t.Fatalf("draw: %+v %v, want %s", d1, err, res[0].RecipientName)
	}
	d2, err := s.Draw(ctx, id, "13700000000")
	if err != nil || d2 != d1 {
		t.Fatalf("second draw %+v, first %+v", d2, d1)
	}
	me, err := s.Me(ctx, id, "13700000000")
	if err != nil || !me.Drawn || me.RecipientName != d1.RecipientName {
		t.Fatalf("me %+v %v", me, err)
	}
	e, _ := s.GetExchange(ctx, id)
	yes, no := true, false
	drawn, _ := s.Results(ctx, id, &yes)
	notDrawn, _ := s.Results(ctx, id, &no)
	if e.DrawnCount != 1 || len(drawn) != 1 || drawn[0].Phone != "13700000000" || len(notDrawn) != 4 {
		t.Fatalf("counts: %d drawn, %d/%d filtered", e.DrawnCount, len(drawn), len(notDrawn))
	}
}

func TestCreateExchangeValidates(t *testing.T) {
	s, _ := testService(t)
	ctx := context.Background()
	for _, title := range []string{"", "  ", strings.Repeat("x", 65), "a\nb"} {
		if _, err := s.CreateExchange(ctx, title); data.ErrorCode(err) != data.EInvalid {
			t.Errorf("title %q: %v", title, err)
		}
	}
	a := createTest(t, s)
	b := createTest(t, s)
	all, err := s.ListExchanges(ctx)
	if err != nil || len(all) != 2 || all[0].ID != b || all[1].ID != a {
		t.Fatalf("list %+v %v", all, err)
	}
	_, err = s.GetExchange(ctx, a[:25]+"x")
	if data.ErrorCode(err) != data.ENotFound {
		t.Fatalf("mistagged id: %v", err)
	}
}

// BenchmarkExchangeStart5000 imports 5,000 participants (40 groups, one
// exclusion each) through the service and starts the exchange: parse,
// validation, the import write, the matching and the start write.
func BenchmarkExchangeStart5000(b *testing.B) {
	var csv strings.Builder
	csv.WriteString("name,phone,group,exclude\n")
	for i := range 5000 {
		fmt.Fprintf(&csv, "员工%04d,139%08d,部门%d,139%08d\n", i, i, i%40, (i+7)%5000)
	}
	text := csv.String()
	s, _ := testService(b)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		id := createTest(b, s)
		if _, err := s.ImportCSV(ctx, id, strings.NewReader(text)); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Start(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExchangeMatchOnly5000 is the matching share of the start above.
func BenchmarkExchangeMatchOnly5000(b *testing.B) {
	people := make([]MatchPerson, 5000)
	for i := range people {
		people[i] = MatchPerson{Group: fmt.Sprint(i % 40), Exclude: []int{(i + 7) % 5000}}
	}
	for b.Loop() {
		if _, err := Match(people, rand.New(rand.NewChaCha8([32]byte{1}))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExchangeDrawParallel measures first draws of distinct
// participants from many goroutines, with fsync on (group commit), as in the
// flash-sale minutes after an exchange is announced.
func BenchmarkExchangeDrawParallel(b *testing.B) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	buckets := append(append([][]byte{}, auth.Buckets...), Buckets...)
	db, err := data.Open(filepath.Join(b.TempDir(), "ex.db"), data.Options{Buckets: buckets, Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s := NewService(db, nil, Options{})
	ctx := context.Background()
	n := max(b.N, 2)
	id := importTest(b, s, n, func(i int) string { return fmt.Sprint(i % 20) })
	if _, err := s.Start(ctx, id); err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	b.SetParallelism(64)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			if _, err := s.Draw(ctx, id, fmt.Sprintf("137%08d", i)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
