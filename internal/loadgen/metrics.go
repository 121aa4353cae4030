package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metrics fetches GET /metrics and returns the series without labels
// (name → value; a histogram or summary gives name_count and name_sum).
// Series with labels are left out.
func (c *Client) Metrics(ctx context.Context) (map[string]float64, error) {
	r, err := c.Do(ctx, "GET", "/metrics", "", nil, "")
	if err != nil {
		return nil, err
	}
	if r.Status != 200 {
		return nil, newError("GET", "/metrics", r)
	}
	return parseMetrics(r.Body)
}

// parseMetrics reads the Prometheus text format (see Metrics).
func parseMetrics(body []byte) (map[string]float64, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("parse /metrics: %w", err)
	}
	out := map[string]float64{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) > 0 {
				continue
			}
			switch {
			case m.Counter != nil:
				out[name] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[name] = m.GetGauge().GetValue()
			case m.Untyped != nil:
				out[name] = m.GetUntyped().GetValue()
			case m.Histogram != nil:
				out[name+"_count"] = float64(m.GetHistogram().GetSampleCount())
				out[name+"_sum"] = m.GetHistogram().GetSampleSum()
			case m.Summary != nil:
				out[name+"_count"] = float64(m.GetSummary().GetSampleCount())
				out[name+"_sum"] = m.GetSummary().GetSampleSum()
			}
		}
	}
	return out, nil
}

// writerStats is what the group-commit writer did between two scrapes.
type writerStats struct {
	commits, ops, seconds float64
	bytes, pages          float64 // written to the data file (0: not exported)
	journal, checkpoints  float64 // appended to the journal; checkpoints (0: no journal)
	opSec, journalSec     float64 // the commits' time running operations, writing the journal
	fileSec               float64 // and committing to the data file (all 0: not exported)
	ok                    bool
}

func writerBetween(a, b map[string]float64) writerStats {
	const batch, commit = "luckbox_writer_batch_ops", "luckbox_writer_commit_seconds"
	if a == nil || b == nil {
		return writerStats{}
	}
	if _, ok := b[batch+"_count"]; !ok {
		return writerStats{}
	}
	return writerStats{ok: true,
		commits:     b[batch+"_count"] - a[batch+"_count"],
		ops:         b[batch+"_sum"] - a[batch+"_sum"],
		seconds:     b[commit+"_sum"] - a[commit+"_sum"],
		bytes:       b["luckbox_writer_written_bytes_total"] - a["luckbox_writer_written_bytes_total"],
		pages:       b["luckbox_writer_written_pages_total"] - a["luckbox_writer_written_pages_total"],
		journal:     b["luckbox_journal_written_bytes_total"] - a["luckbox_journal_written_bytes_total"],
		checkpoints: b["luckbox_journal_checkpoints_total"] - a["luckbox_journal_checkpoints_total"],
		opSec:       b["luckbox_writer_operations_seconds_total"] - a["luckbox_writer_operations_seconds_total"],
		journalSec:  b["luckbox_writer_journal_seconds_total"] - a["luckbox_writer_journal_seconds_total"],
		fileSec:     b["luckbox_writer_file_seconds_total"] - a["luckbox_writer_file_seconds_total"],
	}
}

func (w writerStats) String() string {
	if !w.ok || w.commits == 0 {
		return "no commits"
	}
	s := fmt.Sprintf("%.0f commits of %.1f operations on average, %.2f ms each (fsync included",
		w.commits, w.ops/w.commits, w.seconds/w.commits*1000)
	if w.opSec > 0 {
		ms := func(sec float64) float64 { return sec / w.commits * 1000 }
		if w.journalSec > 0 {
			s += fmt.Sprintf("; operations %.2f, journal write and sync %.2f, file commit %.2f", ms(w.opSec), ms(w.journalSec), ms(w.fileSec))
		} else {
			s += fmt.Sprintf("; operations %.2f, file commit and sync %.2f", ms(w.opSec), ms(w.fileSec))
		}
	}
	s += ")"
	if w.bytes > 0 && w.ops > 0 {
		s += fmt.Sprintf("; %.1f pages (%.1f KiB) written per commit, %.2f KiB per operation",
			w.pages/w.commits, w.bytes/w.commits/1024, w.bytes/w.ops/1024)
	}
	if w.journal > 0 && w.ops > 0 {
		s += fmt.Sprintf(" (into the page cache); journal %.0f B per operation synced, %.0f checkpoints",
			w.journal/w.ops, w.checkpoints)
	}
	return s
}

// waitOutbox waits until the server's outbox backlog (luckbox_outbox_pending)
// is empty. It returns false if the server does not export it.
func (e *Env) waitOutbox(ctx context.Context, limit time.Duration) (bool, error) {
	deadline := time.Now().Add(limit)
	for {
		m, err := e.C.Metrics(ctx)
		if err != nil {
			return false, err
		}
		v, ok := m["luckbox_outbox_pending"]
		if !ok {
			return false, nil
		}
		if v == 0 {
			return true, nil
		}
		if time.Now().After(deadline) {
			return true, fmt.Errorf("%.0f outbox messages still pending after %s", v, limit)
		}
		select {
		case <-ctx.Done():
			return true, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
