package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	bolt "go.etcd.io/bbolt"

	"luckbox/data"
	"luckbox/packet"
)

// runBackup is `luckbox backup --out FILE` with either --server URL
// --admin-token T (a hot backup of a running server through GET
// /api/v1/admin/backup), --data FILE (the file of a stopped server, opened
// read-only) or --etcd-endpoints (an etcd cluster's data, read at one
// revision: the source of truth, not any node's copy, which may lag). The copy is written next to --out, checked (it opens as a
// luckbox database of a known schema, passes bbolt's integrity check and the
// money audit), then moved into place: --out is either a complete, checked
// backup or not there.
func runBackup(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("backup", stdout)
	out := fs.String("out", "", "file to write the backup to (required; an existing file is refused unless --force)")
	server := fs.String("server", "", "base URL of a running luckbox, e.g. http://127.0.0.1:8080: a hot backup through GET /api/v1/admin/backup")
	token := fs.String("admin-token", "", "admin token of --server")
	caCert := fs.String("ca-cert", "", "PEM certificate to trust for an https --server with a self-signed certificate")
	dataFile := fs.String("data", "", "database file of a stopped server (opened read-only), instead of --server")
	force := fs.Bool("force", false, "replace an existing --out")
	var ec etcdConfig
	ec.register(fs)
	if err := parseFlags(fs, args, env); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("missing --out: the file to write the backup to")
	}
	cmdline := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { cmdline[f.Name] = true })
	fromEtcd := cmdline["etcd-endpoints"] || (ec.Endpoints != "" && !cmdline["server"] && !cmdline["data"])
	switch {
	case cmdline["server"] && cmdline["data"], fromEtcd && (cmdline["server"] || cmdline["data"]):
		return errors.New("invalid --server/--data/--etcd-endpoints: back up a running server (--server), a stopped one's file (--data) or an etcd cluster (--etcd-endpoints), one of them")
	case *server == "" && *dataFile == "" && !fromEtcd:
		return errors.New("missing --server, --data or --etcd-endpoints: back up a running server (--server URL --admin-token T), a stopped one's file (--data FILE) or an etcd cluster (--etcd-endpoints h1:2379,…)")
	}
	if fromEtcd {
		if err := ec.validate(); err != nil {
			return err
		}
	}
	if !*force {
		if _, err := os.Stat(*out); err == nil {
			return fmt.Errorf("invalid --out: %s exists (--force replaces it)", *out)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".luckbox-backup-*")
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once moved into place
	src := *dataFile
	switch {
	case fromEtcd:
		src = "etcd at " + ec.Endpoints + " (" + ec.Prefix + ")"
		err = backupEtcd(ctx, tmp, &ec, filepath.Dir(*out), stdout, stderr)
	case *server != "" && (cmdline["server"] || !cmdline["data"]): // the command line wins over the environment
		src = *server
		err = fetchBackup(ctx, tmp, *server, *token, *caCert)
	default:
		err = copyStopped(tmp, *dataFile, stderr)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	info, err := inspectBackup(tmp.Name(), stderr)
	if err != nil {
		return fmt.Errorf("the backup of %s is not usable: %w", src, err)
	}
	if err := placeFile(tmp.Name(), *out, *force); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup of %s written to %s: %d bytes, schema version %d\n", src, *out, info.size, info.schema)
	printAuditSummary(stdout, info.audit)
	if !info.audit.OK {
		return fmt.Errorf("the backup was kept, but %w (see 'luckbox audit --data %s')", errAuditFailed, *out)
	}
	return nil
}

// fetchBackup streams GET <server>/api/v1/admin/backup into w and checks the
// body is as long as announced (a short body is an interrupted download).
func fetchBackup(ctx context.Context, w io.Writer, server, token, caCert string) error {
	if token == "" {
		return errors.New("missing --admin-token (or LUCKBOX_ADMIN_TOKEN): the backup endpoint is for the admin")
	}
	hc := &http.Client{} // no timeout: a big file takes its time; ctx cancels
	if caCert != "" {
		pem, err := os.ReadFile(caCert)
		if err != nil {
			return fmt.Errorf("invalid --ca-cert: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("invalid --ca-cert %s: no PEM certificate in it", caCert)
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		hc.Transport = tr
	}
	url := strings.TrimRight(server, "/") + "/api/v1/admin/backup"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("invalid --server %q: %w", server, err)
	}
	if req.URL.Scheme != "https" && !isLoopbackHost(req.URL.Hostname()) {
		return fmt.Errorf("invalid --server %q: the admin token goes over https only (plain http only to this machine)", server)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("backup from --server: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Code, Message string }
		}
		body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
		if json.Unmarshal(body, &e) == nil && e.Error.Code != "" {
			return fmt.Errorf("GET %s: %s: %s (%s)", url, res.Status, e.Error.Message, e.Error.Code)
		}
		return fmt.Errorf("GET %s: %s", url, res.Status)
	}
	n, err := io.Copy(w, res.Body)
	if err != nil {
		return fmt.Errorf("backup download interrupted after %d bytes: %w", n, err)
	}
	if res.ContentLength >= 0 && n != res.ContentLength {
		return fmt.Errorf("backup download interrupted: %d of %d bytes", n, res.ContentLength)
	}
	return nil
}

// backupEtcd writes a snapshot of etcd's data at one revision to w (read
// into a scratch database file in dir first, which the snapshot compacts).
func backupEtcd(ctx context.Context, w io.Writer, ec *etcdConfig, dir string, stdout, stderr io.Writer) error {
	cli, err := ec.client(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	scratch, err := os.CreateTemp(dir, ".luckbox-backup-etcd-*")
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	scratch.Close()
	defer os.Remove(scratch.Name())
	rev, err := copyOutOfEtcd(ctx, ec.engineConfig(cli), scratch.Name(), stderr)
	if err != nil {
		return fmt.Errorf("copy etcd into the backup: %w", err)
	}
	fmt.Fprintf(stdout, "read etcd at revision %d\n", rev)
	return copyStopped(w, scratch.Name(), stderr)
}

// copyStopped writes a snapshot of the database file of a stopped server.
func copyStopped(w io.Writer, path string, stderr io.Writer) error {
	db, err := openReadOnly(path, stderr)
	if errors.Is(err, data.ErrLocked) {
		return fmt.Errorf("--data %s is in use by a running server: back it up hot with --server URL --admin-token T, or stop it first", path)
	}
	if err != nil {
		return fmt.Errorf("--data: %w", err)
	}
	defer db.Close()
	if _, err := db.Backup(w); err != nil {
		return fmt.Errorf("--data %s: %w", path, err)
	}
	return nil
}

// backupInfo is what inspectBackup found out about a database file.
type backupInfo struct {
	schema int
	size   int64
	audit  packet.Report
}

// inspectBackup opens path read-only and checks that it is a luckbox
// database whose schema this binary knows, that bbolt's integrity check
// passes, and runs the money audit (reported, not judged).
func inspectBackup(path string, stderr io.Writer) (backupInfo, error) {
	var info backupInfo
	db, err := openReadOnly(path, stderr)
	if err != nil {
		return info, err
	}
	defer db.Close()
	if info.schema, err = db.SchemaVersion(); err != nil {
		return info, err
	}
	if info.schema < 1 { // a newer schema was refused by Open (data.ErrNewerSchema)
		return info, fmt.Errorf("%s: unknown schema version %d (this binary knows 1..%d)", path, info.schema, data.SchemaVersion)
	}
	if err := checkIntegrity(db); err != nil {
		return info, fmt.Errorf("%s: %w", path, err)
	}
	if info.audit, _, err = auditDB(db, stderr); err != nil {
		return info, fmt.Errorf("audit %s: %w", path, err)
	}
	info.size = db.Size()
	return info, nil
}

// checkIntegrity runs bbolt's consistency check (every page reachable once,
// keys in order) and returns its first finding.
func checkIntegrity(db *data.DB) error {
	return db.Bolt().View(func(tx *bolt.Tx) error {
		var first error
		n := 0
		for err := range tx.Check() {
			if first == nil {
				first = err
			}
			n++
		}
		if first != nil {
			return fmt.Errorf("integrity check failed (%d problems), first: %w", n, first)
		}
		return nil
	})
}

// placeFile moves the finished file tmp to path in the same directory:
// replacing path with force, and otherwise never overwriting it.
func placeFile(tmp, path string, force bool) error {
	if force {
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("move the backup into place: %w", err)
		}
	} else {
		if err := os.Link(tmp, path); err != nil {
			return fmt.Errorf("move the backup into place: %w", err)
		}
		_ = os.Remove(tmp)
	}
	return data.SyncDir(filepath.Dir(path))
}

// isLoopbackHost reports whether host names this machine.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// openReadOnly opens a database file read-only (a stopped server's file or a
// backup) for the offline commands, logging warnings to stderr.
func openReadOnly(path string, stderr io.Writer) (*data.DB, error) {
	return data.Open(path, data.Options{ReadOnly: true, NoPopulate: true, Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
}

// printAuditSummary prints the audit's verdict in one or a few lines.
func printAuditSummary(w io.Writer, rep packet.Report) {
	t := rep.Totals
	if rep.OK {
		fmt.Fprintf(w, "audit: all invariants hold (wallets %d, packets %d, payment orders %d; balances %d + escrow %d fen)\n",
			t.Wallets, t.Packets, t.Orders, t.Balances, t.Escrow)
		return
	}
	fmt.Fprintln(w, "audit: FAILED")
	for _, c := range rep.Checks {
		for _, f := range c.Failures {
			fmt.Fprintf(w, "  %s: %s\n", c.Name, f)
		}
	}
}
