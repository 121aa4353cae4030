package safety

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"luckbox/data"
)

// slowChecker answers only when its context ends.
type slowChecker struct{}

func (slowChecker) Check(ctx context.Context, _ string, _ int, _ string) (Verdict, error) {
	<-ctx.Done()
	return Verdict{}, ctx.Err()
}

func TestTimeoutIsAFailure(t *testing.T) {
	g, err := New(Options{Checker: slowChecker{}, Timeout: 10 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = g.Check(context.Background(), "o", Field{Name: "title", Scene: SceneForum, Text: "x"})
	if e, ok := data.AsError(err); !ok || e.Code != data.EUnavailable {
		t.Fatalf("err %v, want unavailable", err)
	}
	g.opts.OnFailure = PolicyAllow
	flags, err := g.Check(context.Background(), "o", Field{Name: "title", Scene: SceneForum, Text: " x "})
	if err != nil || len(flags) != 1 || flags[0].Reason != ReasonCheckFailed || flags[0].Text != "x" {
		t.Fatalf("allow: %v %+v", err, flags)
	}
}

func TestEmptyFieldsAreNotAsked(t *testing.T) {
	g, _ := New(Options{Checker: slowChecker{}, Timeout: time.Hour})
	if flags, err := g.Check(context.Background(), "o", Field{Name: "description", Text: "  "}); err != nil || flags != nil {
		t.Fatalf("%v %v", flags, err)
	}
	var off *Guard
	if flags, err := off.Check(context.Background(), "o", Field{Name: "title", Text: "x"}); err != nil || flags != nil {
		t.Fatalf("nil guard: %v %v", flags, err)
	}
}

func TestCacheIsBounded(t *testing.T) {
	c := newCache(2, time.Minute)
	now := time.Unix(0, 0)
	for i, s := range []string{"a", "b", "c"} {
		c.put(1, s, Verdict{Suggest: Pass, Label: i}, now)
	}
	if c.len() != 2 {
		t.Fatalf("%d kept, want 2", c.len())
	}
	if _, ok := c.get(1, "a", now); ok {
		t.Fatal("the oldest verdict was kept")
	}
	if v, ok := c.get(1, "c", now); !ok || v.Label != 2 {
		t.Fatal("the newest verdict was dropped")
	}
	if _, ok := c.get(2, "c", now); ok {
		t.Fatal("a verdict of another scene was reused")
	}
	if _, ok := c.get(1, "c", now.Add(time.Minute)); ok {
		t.Fatal("an expired verdict was reused")
	}
}

func TestPolicies(t *testing.T) {
	if _, err := New(Options{OnFailure: PolicyFlag}); err == nil {
		t.Fatal("flag accepted as a failure policy")
	}
	if _, err := New(Options{OnReview: "maybe"}); err == nil {
		t.Fatal("unknown review policy accepted")
	}
}
