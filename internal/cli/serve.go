package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"luckbox/auth"
	"luckbox/data"
	"luckbox/exchange"
	"luckbox/lottery"
	"luckbox/packet"
	"luckbox/web"
)

func runServe(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	var cfg serveConfig
	fs := newFlagSet("serve", stdout)
	cfg.register(fs)
	if err := parseFlags(fs, args, env); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	// The log is buffered (an access-log line per request costs no write
	// system call) and written out every second, at once for warnings and
	// errors, and when the server stops.
	buf := web.NewLogBuffer(stderr)
	defer buf.Close()
	log := newLogger(&cfg, buf)
	log = slog.New(web.BufferedLog(log.Handler(), buf))
	return serve(ctx, &cfg, log, stdout)
}

// buckets lists every bucket the domain packages use.
func buckets() [][]byte {
	var all [][]byte
	all = append(all, auth.Buckets...)
	all = append(all, lottery.Buckets...)
	all = append(all, exchange.Buckets...)
	all = append(all, packet.Buckets...)
	return all
}

// migrations lists every package's schema migrations, as buckets lists
// their buckets: a file of an older schema is migrated when it is opened
// read-write.
func migrations() []data.Migration {
	var all []data.Migration
	all = append(all, lottery.Migrations...)
	all = append(all, packet.Migrations...)
	return all
}

// serve runs the server until ctx ends, then shuts down gracefully:
// in-flight requests finish, background work stops, the writer drains and
// the database closes.
func serve(ctx context.Context, cfg *serveConfig, log *slog.Logger, stdout io.Writer) error {
	// Listen first: a busy port must not leave a new, empty data file behind.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	defer ln.Close()
	reg := prometheus.NewRegistry()
	storage := web.NewStorageMetrics(reg) // the dbCollector joins it in web.New
	st, err := openStore(ctx, cfg, data.Options{Buckets: buckets(), Migrations: migrations(), Logger: log, NoSync: cfg.NoSync,
		NoJournal: cfg.NoJournal, CheckpointInterval: cfg.Checkpoint,
		OnCommit: storage.ObserveCommit, OnDeliver: storage.ObserveDelivery}, log)
	if err != nil {
		return err
	}
	closeStore := sync.OnceValue(st.close)
	defer closeStore()
	db := st.db
	if l := st.leadership; l != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "luckbox_cluster_writer",
			Help: "1 while this node is the cluster's writer and takes writes, else 0.",
		}, func() float64 {
			if l.IsLeader() {
				return 1
			}
			return 0
		}))
	}
	if cfg.servesTLS() {
		if cfg.certs, err = newCertReloader(cfg.TLSCert, cfg.TLSKey, log); err != nil {
			return err
		}
	}

	base := "http://" + loopbackAddr(ln.Addr())
	if cfg.servesTLS() {
		base = "https://" + loopbackAddr(ln.Addr())
	}

	app, err := wire(ctx, cfg, db, log, base)
	if err != nil {
		return err
	}
	srv := web.New(app.deps, web.Options{Logger: log, Registry: reg, CORSOrigins: splitList(cfg.CORSOrigins),
		RateLimits: cfg.rateLimits(), TrustProxy: cfg.TrustProxy, Streams: cfg.Streams, Leadership: st.leadership, Replica: st.replica})

	generated, err := app.auth.SetupAdminToken(ctx, cfg.AdminToken)
	if err != nil {
		return err
	}
	if generated != "" {
		fmt.Fprintf(stdout, "\nAdmin token (shown only this once; store it, or set LUCKBOX_ADMIN_TOKEN):\n\n    %s\n\n", generated)
	}
	if cfg.demo() {
		log.Warn("DEMO MODE: no WeChat credentials configured; the fake WeChat is mounted at /_fake/wechat and logins are not real",
			"open", base+"/", "fake", base+"/_fake/wechat/")
	}

	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second, // streaming handlers extend their own deadline
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if app.deps.Lotteries != nil {
		hs.RegisterOnShutdown(app.deps.Lotteries.Events().Close) // end live event streams
	}
	if cfg.PprofAddr != "" {
		if err := startPprof(ctx, cfg.PprofAddr, log); err != nil {
			return err
		}
	}
	bgCtx, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var bgDone sync.WaitGroup
	bgDone.Add(1)
	go func() {
		defer bgDone.Done()
		st.runBackground(bgCtx, func(ctx context.Context) {
			// The daily reconciliation is scheduled by the node that runs
			// the background work (in etcd mode: the writer, each term).
			if err := app.deps.Packets.StartReconcile(ctx); err != nil {
				log.Error("reconciliation not scheduled", "err", err)
			}
			app.background.Run(ctx)
		})
	}()
	if st.relayEvents != nil && app.deps.Lotteries != nil {
		relay := st.relayEvents(app.deps.Lotteries.Events())
		bgDone.Add(1)
		go func() { defer bgDone.Done(); relay(bgCtx) }()
	}

	serveErr := make(chan error, 1)
	if cfg.certs != nil {
		hs.TLSConfig = cfg.certs.config()
	}
	go func() {
		if cfg.certs != nil {
			serveErr <- hs.ServeTLS(ln, "", "")
			return
		}
		serveErr <- hs.Serve(ln)
	}()
	log.Info("luckbox listening", "url", base, "data", cfg.Data, "store", cfg.Store)
	fmt.Fprintf(stdout, "luckbox listening on %s\n", base)

	select {
	case err := <-serveErr:
		stopBG()
		bgDone.Wait()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	if err := hs.Shutdown(shCtx); err != nil {
		log.Warn("shutdown: requests still running were cut off", "err", err)
	}
	stopBG()
	bgDone.Wait()
	if err := closeStore(); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// loopbackAddr turns a listen address into one this process can dial
// (0.0.0.0 and :: become 127.0.0.1).
func loopbackAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
