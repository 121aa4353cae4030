package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"luckbox/data"
	"luckbox/data/etcdstore"
)

// runMigrate is `luckbox migrate --from FILE --to etcd://h1:2379,h2:2379`
// and back (`--from etcd://… --to FILE`): it copies a stopped server's
// database into an etcd cluster, or an etcd cluster's data into a new
// database file. A file is audited before it is copied in, and after it
// is copied out (before it is put in place); the copy into etcd is one
// consistent write set per etcd limits, the copy out is read at one
// revision.
func runMigrate(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", stdout)
	from := fs.String("from", "", "source: a stopped server's database file (luckbox migrate --from luckbox.db --to etcd://h1:2379,h2:2379,h3:2379), or etcd://host:port,… to copy a cluster back into a new file (--to FILE); the file is audited on its way in and out")
	to := fs.String("to", "", "target: etcd://host:port,… (its --etcd-prefix must hold no luckbox data yet), or a new database file")
	var ec etcdConfig
	ec.registerAccess(fs)
	if err := parseFlags(fs, args, env); err != nil {
		return err
	}
	fromEtcd, toEtcd := strings.HasPrefix(*from, etcdScheme), strings.HasPrefix(*to, etcdScheme)
	switch {
	case *from == "" || *to == "":
		return errors.New("missing --from or --to: one a database file, the other etcd://host:port,…")
	case fromEtcd == toEtcd:
		return fmt.Errorf("invalid --from %q / --to %q: exactly one must be etcd://host:port,…", *from, *to)
	}
	file, target := *from, *to
	if fromEtcd {
		file, target = *to, *from
	}
	ec.Endpoints = strings.TrimPrefix(target, etcdScheme)
	if err := ec.validate(); err != nil {
		return fmt.Errorf("invalid etcd:// target: %w", err)
	}
	if toEtcd {
		return migrateIn(ctx, file, &ec, stdout, stderr)
	}
	return migrateOut(ctx, &ec, file, stdout, stderr)
}

// etcdScheme starts an etcd cluster's address in migrate's --from and --to.
const etcdScheme = "etcd://"

// migrateIn audits file, then copies it into etcd.
func migrateIn(ctx context.Context, file string, ec *etcdConfig, stdout, stderr io.Writer) error {
	if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("invalid --from: %s does not exist", file)
	}
	// Opening it read-only refuses the file of a running server.
	info, err := inspectBackup(file, stderr)
	if err != nil {
		return fmt.Errorf("invalid --from: %w", err)
	}
	printAuditSummary(stdout, info.audit)
	if !info.audit.OK {
		return fmt.Errorf("refusing to migrate %s: %w", file, errAuditFailed)
	}
	cli, err := ec.client(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	rev, err := copyIntoEtcd(ctx, file, ec.engineConfig(cli), stderr)
	if err != nil {
		return fmt.Errorf("copy %s into etcd: %w", file, err)
	}
	fmt.Fprintf(stdout, "copied %s into etcd at %s under %s (revision %d)\n", file, ec.Endpoints, ec.Prefix, rev)
	return nil
}

// migrateOut copies etcd into a temporary file beside file, audits it and
// renames it into place; an existing file is refused.
func migrateOut(ctx context.Context, ec *etcdConfig, file string, stdout, stderr io.Writer) error {
	if _, err := os.Stat(file); err == nil {
		return fmt.Errorf("invalid --to: %s exists; name a new file", file)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("invalid --to: %w", err)
	}
	cli, err := ec.client(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	tmp := filepath.Join(filepath.Dir(file), "."+filepath.Base(file)+".migrate-tmp")
	defer os.Remove(tmp) // a no-op once renamed
	rev, err := copyOutOfEtcd(ctx, ec.engineConfig(cli), tmp, stderr)
	if err != nil {
		return fmt.Errorf("copy etcd into %s: %w", file, err)
	}
	info, err := inspectBackup(tmp, stderr)
	if err != nil {
		return fmt.Errorf("the copy out of etcd: %w", err)
	}
	printAuditSummary(stdout, info.audit)
	if !info.audit.OK {
		return fmt.Errorf("refusing to keep the copy out of etcd: %w", errAuditFailed)
	}
	// The file replaced, its journal (if a server crashed on it) is moot.
	if err := data.RemoveJournal(file); err != nil {
		return err
	}
	if err := os.Rename(tmp, file); err != nil {
		return fmt.Errorf("put the copy in place: %w", err)
	}
	if err := data.SyncDir(filepath.Dir(file)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "copied etcd at %s (%s) at revision %d into %s\n", ec.Endpoints, ec.Prefix, rev, file)
	return nil
}

// copyIntoEtcd copies the database file at path (opened read-only) into
// etcd and returns the revision of the last transaction.
func copyIntoEtcd(ctx context.Context, path string, cfg etcdstore.Config, stderr io.Writer) (int64, error) {
	db, err := openReadOnly(path, stderr)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	return etcdstore.CopyIn(ctx, db, cfg)
}

// copyOutOfEtcd writes etcd's data at one revision into a new database
// file at path and returns that revision.
func copyOutOfEtcd(ctx context.Context, cfg etcdstore.Config, path string, stderr io.Writer) (int64, error) {
	db, err := data.Open(path, data.Options{NoPopulate: true, Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return 0, err
	}
	rev, err := etcdstore.CopyOut(ctx, cfg, db)
	if cerr := db.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close %s: %w", path, cerr)
	}
	return rev, err
}
