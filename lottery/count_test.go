package lottery

import (
	"context"
	"testing"
)

// TestDrawsCounted: each committed draw adds one to the CountDraws counter
// (the luckbox_lottery_draws_total metric); a refused second draw does not.
func TestDrawsCounted(t *testing.T) {
	f := newFixture(t, Options{})
	creator, bob := f.user("creator"), f.user("bob")
	for i := range 2 {
		l := f.create(creator, CreateInput{Title: "计数", Prizes: []Prize{{"P", 1}}, Draw: DrawInput{Mode: ModeManual}})
		f.join(l.ID, bob)
		if _, err := f.svc.Draw(context.Background(), l.ID, creator.Seq); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Draw(context.Background(), l.ID, creator.Seq); err == nil {
			t.Fatal("second draw succeeded")
		}
		if got := f.db.Counts()[CountDraws]; got != uint64(i+1) {
			t.Fatalf("after %d draws the counter is %d", i+1, got)
		}
	}
}
