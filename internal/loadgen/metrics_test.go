package loadgen

import (
	"strings"
	"testing"
)

func TestParseMetrics(t *testing.T) {
	body := []byte(`# HELP luckbox_outbox_pending Messages waiting.
# TYPE luckbox_outbox_pending gauge
luckbox_outbox_pending 3
# TYPE luckbox_requests_total counter
luckbox_requests_total{code="200"} 7
luckbox_requests_total{code="404"} 1
# TYPE luckbox_writer_batch_ops histogram
luckbox_writer_batch_ops_bucket{le="1"} 2
luckbox_writer_batch_ops_bucket{le="+Inf"} 4
luckbox_writer_batch_ops_sum 10
luckbox_writer_batch_ops_count 4
# TYPE go_goroutines untyped
go_goroutines 12
`)
	m, err := parseMetrics(body)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"luckbox_outbox_pending": 3, "luckbox_writer_batch_ops_sum": 10,
		"luckbox_writer_batch_ops_count": 4, "go_goroutines": 12}
	for k, v := range want {
		if got, ok := m[k]; !ok || got != v {
			t.Errorf("%s = %v (%v), want %v", k, got, ok, v)
		}
	}
	if _, ok := m["luckbox_requests_total"]; ok {
		t.Errorf("labelled series kept: %v", m)
	}
	if len(m) != len(want) {
		t.Errorf("got %v, want %v", m, want)
	}
	if _, err := parseMetrics([]byte("not a metric line at all {\n")); err == nil {
		t.Error("garbage parsed without an error")
	}
	w := writerBetween(map[string]float64{"luckbox_writer_batch_ops_count": 1, "luckbox_writer_batch_ops_sum": 2},
		m)
	if !w.ok || w.commits != 3 || w.ops != 8 {
		t.Errorf("writer %+v", w)
	}
}

// TestWriterStatsLine: the writer line of a report splits a commit's time
// into its phases when the server exports them, and names the journal's
// only when it has one.
func TestWriterStatsLine(t *testing.T) {
	before := map[string]float64{"luckbox_writer_batch_ops_count": 0}
	after := map[string]float64{
		"luckbox_writer_batch_ops_count": 10, "luckbox_writer_batch_ops_sum": 200, "luckbox_writer_commit_seconds_sum": 0.02,
		"luckbox_writer_operations_seconds_total": 0.006, "luckbox_writer_file_seconds_total": 0.005,
	}
	if s := writerBetween(before, after).String(); !strings.Contains(s, "2.00 ms each (fsync included; operations 0.60, file commit and sync 0.50)") {
		t.Errorf("without a journal: %s", s)
	}
	after["luckbox_writer_journal_seconds_total"] = 0.008
	if s := writerBetween(before, after).String(); !strings.Contains(s, "operations 0.60, journal write and sync 0.80, file commit 0.50)") {
		t.Errorf("with a journal: %s", s)
	}
	delete(after, "luckbox_writer_operations_seconds_total")
	if s := writerBetween(before, after).String(); !strings.Contains(s, "2.00 ms each (fsync included)") {
		t.Errorf("a server without the phases: %s", s)
	}
}
