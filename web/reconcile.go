package web

import (
	"context"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"luckbox/packet"
)

func (s *Server) handleReconciliations(w http.ResponseWriter, r *http.Request) {
	items, err := s.Packets.Reconciliations(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Items []packet.Reconciliation `json:"items"`
	}{items})
}

func (s *Server) handleReconcile(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Date string `json:"date"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	rec, err := s.Packets.Reconcile(r.Context(), in.Date)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

// reconcileCollector exposes the latest reconciliation at scrape time:
// luckbox_reconcile_mismatches{kind} (one series per kind of mismatch, 0
// before the first reconciliation) and luckbox_reconcile_failed (1 if the
// latest could not get its bill).
type reconcileCollector struct {
	packets          *packet.Service
	mismatch, failed *prometheus.Desc
}

func newReconcileCollector(p *packet.Service) *reconcileCollector {
	return &reconcileCollector{packets: p,
		mismatch: prometheus.NewDesc("luckbox_reconcile_mismatches", "Mismatches between the latest reconciled day's WeChat Pay trade bill and luckbox's orders and refunds, by kind.", []string{"kind"}, nil),
		failed:   prometheus.NewDesc("luckbox_reconcile_failed", "1 if the latest reconciliation could not download or check its bill.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *reconcileCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.mismatch; ch <- c.failed }

// Collect implements prometheus.Collector.
func (c *reconcileCollector) Collect(ch chan<- prometheus.Metric) {
	rec, _, err := c.packets.LatestReconciliation(context.Background())
	if err != nil {
		return
	}
	n := map[string]int{}
	for _, m := range rec.Mismatches {
		n[m.Kind]++
	}
	for _, k := range packet.MismatchKinds {
		ch <- prometheus.MustNewConstMetric(c.mismatch, prometheus.GaugeValue, float64(n[k]), k)
	}
	failed := 0.0
	if rec.Error != "" {
		failed = 1
	}
	ch <- prometheus.MustNewConstMetric(c.failed, prometheus.GaugeValue, failed)
}
