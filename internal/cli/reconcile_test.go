package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReconcileCommand: `luckbox reconcile` against a demo server, whose
// fake WeChat Pay serves bills: a past day with no payments on either side
// is clean; today's bill is not ready, which fails (exit status 1); both
// are stored (beside the daily job's own run for yesterday, which may
// have happened); a bad date and a missing token are refused before anything
// is sent.
func TestReconcileCommand(t *testing.T) {
	const admin = "reconcile-admin-token-0123456789abcdefgh"
	s := startServer(t, filepath.Join(t.TempDir(), "r.db"), "--admin-token", admin)
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := Run(context.Background(), append([]string{"reconcile", "--server", s.URL, "--admin-token", admin}, args...), noEnv, &out, io.Discard)
		return out.String(), err
	}
	out, err := run("--date", "2026-01-02")
	if err != nil || !strings.Contains(out, "no mismatches") || !strings.Contains(out, "bill records 0") {
		t.Fatalf("a past empty day: %v\n%s", err, out)
	}
	today := time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	if out, err = run("--date", today); !errors.Is(err, errMismatches) || !strings.Contains(out, "no bill") {
		t.Fatalf("today: %v\n%s", err, out)
	}
	if _, err = run("--date", "02/01/2026"); err == nil || !strings.Contains(err.Error(), "--date") {
		t.Fatalf("bad date: %v", err)
	}
	if err := Run(context.Background(), []string{"reconcile", "--server", s.URL}, noEnv, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "--admin-token") {
		t.Fatalf("no token: %v", err)
	}
	// After 10:30 Beijing time the server has also reconciled yesterday on
	// its own (the daily job catches up at start); that one is not ours.
	yesterday := time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, -1).Format(time.DateOnly)
	var list struct{ Items []struct{ Date string } }
	st := call(t, "GET", s.URL+"/api/v1/admin/reconciliations", admin, nil, &list)
	var ours []string
	for _, it := range list.Items {
		if it.Date != yesterday {
			ours = append(ours, it.Date)
		}
	}
	if st != 200 || len(ours) != 2 || ours[0] != today || ours[1] != "2026-01-02" {
		t.Fatalf("stored: %d %+v", st, list)
	}
}
