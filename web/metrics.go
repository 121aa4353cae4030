package web

import (
	"errors"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"luckbox/data"
	"luckbox/lottery"
	"luckbox/packet"
)

// The metrics of GET /metrics. Package data knows nothing about Prometheus:
// it exposes stats functions and hooks, and the collectors are built here.
//
//	luckbox_http_requests_total{method,route,status}        requests
//	luckbox_http_request_duration_seconds{method,route,status} latency
//	luckbox_writer_batch_ops                                operations per group commit (histogram)
//	luckbox_writer_commit_seconds                           transaction time per group commit (histogram)
//	luckbox_writer_queue_depth                              operations waiting for the writer
//	luckbox_writer_retries_total                            failed batches retried one by one
//	luckbox_writer_written_bytes_total, _pages_total        what the commits wrote to the data file
//	luckbox_journal_written_bytes_total, _checkpoints_total what the commits wrote to the journal; checkpoints
//	luckbox_writer_{operations,journal,file}_seconds_total  the commits' time by phase
//	luckbox_outbox_pending, luckbox_outbox_dead_letters     outbox backlog and dead letters
//	luckbox_outbox_deliveries_total{kind}                   delivery attempts
//	luckbox_outbox_delivery_failures_total{kind,permanent}  failed delivery attempts
//	luckbox_scheduler_due_items, luckbox_scheduler_lag_seconds  scheduled work and how late the earliest is
//	luckbox_db_size_bytes                                   database file size
//	luckbox_packet_grabs_total                              new grabs (POST /packets/{id}/grabs → 201)
//	luckbox_lottery_draws_total, luckbox_packet_refunds_total   committed draws and expiry refunds
//	luckbox_domain_events_total{event}                      every other data.DB.Count counter
//	luckbox_rate_limited_total{class}                       requests answered 429
//	luckbox_reconcile_mismatches{kind}, luckbox_reconcile_failed  the latest reconciliation with WeChat Pay's bill
//
// plus the Go runtime and process collectors.

// Counter names that domain operations pass to data.DB.Count and that have
// their own series.
const (
	CountLotteryDraws  = lottery.CountDraws  // a lottery was drawn (any mode)
	CountPacketRefunds = packet.CountRefunds // an expired packet's remainder was refunded
)

// httpMetrics are the request series of the HTTP layer.
type httpMetrics struct {
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	grabs       prometheus.Counter
	rateLimited *prometheus.CounterVec
	// bySeries holds the two series of each (method, route, status) seen,
	// so a request does not hash its label values twice to find them; the
	// labels are bounded (methodLabel, route patterns, the server's own
	// status codes), so is this map.
	bySeries sync.Map // seriesKey → *requestSeries
}

type seriesKey struct {
	method, route string
	status        int
}

type requestSeries struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

// series returns the request series of one label combination.
func (m *httpMetrics) series(method, route string, status int) *requestSeries {
	k := seriesKey{method, route, status}
	if v, ok := m.bySeries.Load(k); ok {
		return v.(*requestSeries)
	}
	st := strconv.Itoa(status)
	v, _ := m.bySeries.LoadOrStore(k, &requestSeries{
		requests: m.requests.WithLabelValues(method, route, st),
		latency:  m.latency.WithLabelValues(method, route, st),
	})
	return v.(*requestSeries)
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "luckbox_http_requests_total", Help: "HTTP requests by method, route and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "luckbox_http_request_duration_seconds", Help: "HTTP request latency by method, route and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method", "route", "status"}),
		grabs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "luckbox_packet_grabs_total", Help: "New red-packet grabs (POST /api/v1/packets/{id}/grabs answered 201).",
		}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "luckbox_rate_limited_total", Help: "Requests answered 429 rate_limited, by class (login, join, grab, create, write).",
		}, []string{"class"}),
	}
	reg.MustRegister(m.requests, m.latency, m.grabs, m.rateLimited)
	return m
}

// grabRoute is the route pattern whose 201 answers count as grabs.
const grabRoute = "/api/v1/packets/{packetID}/grabs"

// otherMethod is the method label of every non-standard method.
const otherMethod = "OTHER"

// standardMethods are the methods that are their own label value.
var standardMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true, http.MethodPatch: true,
	http.MethodDelete: true, http.MethodConnect: true, http.MethodOptions: true, http.MethodTrace: true,
}

// methodLabel is the method label value of a request: the client chooses
// the method, so anything outside the standard set is one value.
func methodLabel(m string) string {
	if standardMethods[m] {
		return m
	}
	return otherMethod
}

// observe records one finished request. route is a route pattern or
// unmatchedRoute, never a raw path, and the method is bounded by
// methodLabel, so clients cannot create series.
func (s *Server) observe(method, route string, status int, d time.Duration) {
	if s.metrics == nil {
		return
	}
	method = methodLabel(method)
	ser := s.metrics.series(method, route, status)
	ser.requests.Inc()
	ser.latency.Observe(d.Seconds())
	if status == http.StatusCreated && method == http.MethodPost && route == grabRoute {
		s.metrics.grabs.Inc()
	}
}

// StorageMetrics are the storage series fed by the data.Options hooks. Create
// them before data.Open and pass ObserveCommit and ObserveDelivery as
// Options.OnCommit and Options.OnDeliver.
type StorageMetrics struct {
	batch      prometheus.Histogram
	commit     prometheus.Histogram
	deliveries *prometheus.CounterVec
	failures   *prometheus.CounterVec
}

// NewStorageMetrics registers the storage series on reg.
func NewStorageMetrics(reg prometheus.Registerer) *StorageMetrics {
	m := &StorageMetrics{
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "luckbox_writer_batch_ops", Help: "Operations per group-commit transaction.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12), // 1 .. 2048
		}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "luckbox_writer_commit_seconds", Help: "Time of one group-commit transaction, fsync included.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1},
		}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "luckbox_outbox_deliveries_total", Help: "Outbox delivery attempts by message kind.",
		}, []string{"kind"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "luckbox_outbox_delivery_failures_total", Help: "Failed outbox delivery attempts by kind; permanent ones went to the dead letters.",
		}, []string{"kind", "permanent"}),
	}
	reg.MustRegister(m.batch, m.commit, m.deliveries, m.failures)
	return m
}

// ObserveCommit is the data.Options.OnCommit hook.
func (m *StorageMetrics) ObserveCommit(ops int, d time.Duration) {
	m.batch.Observe(float64(ops))
	m.commit.Observe(d.Seconds())
}

// ObserveDelivery is the data.Options.OnDeliver hook. The failure series
// of a kind exist (at 0) from its first delivery on, so alerts see them.
func (m *StorageMetrics) ObserveDelivery(kind string, err error) {
	m.deliveries.WithLabelValues(kind).Inc()
	retry, permanent := m.failures.WithLabelValues(kind, "false"), m.failures.WithLabelValues(kind, "true")
	switch {
	case err == nil:
	case data.IsPermanent(err):
		permanent.Inc()
	default:
		retry.Inc()
	}
}

// dbCollector reads the database's stats at scrape time.
type dbCollector struct {
	db  *data.DB
	now func() time.Time

	queue, retries, written, pages, journal, checkpoints, opTime, journalTime, fileTime, pending, dead, due, lag, size, draws, refunds, events *prometheus.Desc
}

func newDBCollector(db *data.DB, now func() time.Time) *dbCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &dbCollector{db: db, now: now,
		queue:       d("luckbox_writer_queue_depth", "Operations waiting for the group-commit writer."),
		retries:     d("luckbox_writer_retries_total", "Group commits that failed and were retried one operation at a time."),
		written:     d("luckbox_writer_written_bytes_total", "Bytes the group commits wrote to the data file (B+tree pages, freelist, meta; with the journal into the page cache, flushed once per page by checkpoints)."),
		pages:       d("luckbox_writer_written_pages_total", "Pages the group commits wrote to the data file."),
		journal:     d("luckbox_journal_written_bytes_total", "Bytes the group commits appended (and synced) to the journal."),
		checkpoints: d("luckbox_journal_checkpoints_total", "Journal checkpoints completed (the data file synced on its own)."),
		opTime:      d("luckbox_writer_operations_seconds_total", "Time the group commits spent running their operations."),
		journalTime: d("luckbox_writer_journal_seconds_total", "Time the group commits spent appending and syncing their journal records."),
		fileTime:    d("luckbox_writer_file_seconds_total", "Time the group commits spent committing to the data file (with its fsync when there is no journal)."),
		pending:     d("luckbox_outbox_pending", "Outbox messages waiting for delivery (the backlog)."),
		dead:        d("luckbox_outbox_dead_letters", "Outbox messages given up on (see the server log)."),
		due:         d("luckbox_scheduler_due_items", "Scheduled items (lock, draw, expire, ...) in the due index."),
		lag:         d("luckbox_scheduler_lag_seconds", "How late the earliest scheduled item is (0 when nothing is overdue)."),
		size:        d("luckbox_db_size_bytes", "Database file size."),
		draws:       d("luckbox_lottery_draws_total", "Lotteries drawn since start (committed)."),
		refunds:     d("luckbox_packet_refunds_total", "Expired red packets refunded since start (committed)."),
		events:      d("luckbox_domain_events_total", "Other committed domain events since start.", "event"),
	}
}

// Describe implements prometheus.Collector.
func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.queue, c.retries, c.written, c.pages, c.journal, c.checkpoints, c.opTime, c.journalTime, c.fileTime, c.pending, c.dead, c.due, c.lag, c.size, c.draws, c.refunds, c.events} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	ws := c.db.WriterStats()
	gauge(c.queue, float64(ws.QueueDepth))
	counter(c.retries, float64(ws.Retries))
	counter(c.written, float64(ws.BytesWritten))
	counter(c.pages, float64(ws.PagesWritten))
	counter(c.journal, float64(ws.JournalBytes))
	counter(c.checkpoints, float64(ws.Checkpoints))
	counter(c.opTime, ws.OpTime.Seconds())
	counter(c.journalTime, ws.JournalTime.Seconds())
	counter(c.fileTime, ws.FileTime.Seconds())
	if c.db.Ready() {
		ob := c.db.OutboxStats()
		gauge(c.pending, float64(ob.Pending))
		gauge(c.dead, float64(ob.Dead))
		n, lag := c.db.DueCount(c.now())
		gauge(c.due, float64(n))
		gauge(c.lag, lag.Seconds())
	}
	gauge(c.size, float64(c.db.Size()))
	counts := c.db.Counts()
	counter(c.draws, float64(counts[CountLotteryDraws]))
	counter(c.refunds, float64(counts[CountPacketRefunds]))
	names := make([]string, 0, len(counts))
	for name := range counts {
		if name != CountLotteryDraws && name != CountPacketRefunds {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		counter(c.events, float64(counts[name]), name)
	}
}

// registerCollectors adds the database collector and the Go runtime and
// process collectors (once per registry; a registry shared with main may
// already have them).
func (s *Server) registerCollectors() {
	var are prometheus.AlreadyRegisteredError
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := s.registry.Register(c); err != nil && !errors.As(err, &are) {
			s.log.Warn("metrics: register collector", "err", err)
		}
	}
	if s.DB != nil {
		s.registry.MustRegister(newDBCollector(s.DB, s.now))
	}
	if s.Packets != nil {
		s.registry.MustRegister(newReconcileCollector(s.Packets))
	}
}
