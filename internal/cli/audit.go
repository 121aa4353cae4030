package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"luckbox/data"
	"luckbox/packet"
)

// errAuditFailed is returned (exit status 1) when an invariant does not hold.
var errAuditFailed = errors.New("audit failed: at least one invariant does not hold")

// runAudit is `luckbox audit --data FILE`: it opens the file read-only (a
// backup, or the database of a stopped server), checks the money invariants
// and prints each check with its result. It succeeds only when all hold.
func runAudit(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit", stdout)
	path := fs.String("data", "./luckbox.db", "database file or backup to audit (opened read-only)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args, env); err != nil {
		return err
	}
	db, err := openReadOnly(*path, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, migrated, err := auditDB(db, stderr)
	if err != nil {
		return fmt.Errorf("audit %s: %w", *path, err)
	}
	if migrated != 0 {
		fmt.Fprintf(stderr, "%s has schema %d: audited a copy migrated to schema %d (the file itself is unchanged)\n", *path, migrated, data.SchemaVersion)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printAudit(stdout, *path, rep)
	}
	if !rep.OK {
		return errAuditFailed
	}
	return nil
}

func printAudit(w io.Writer, path string, rep packet.Report) {
	t := rep.Totals
	fmt.Fprintf(w, "luckbox audit of %s\n\n", path)
	fmt.Fprintf(w, "  wallets %d, packets %d, payment orders %d, refunds %d, withdrawals %d\n", t.Wallets, t.Packets, t.Orders, t.Refunds, t.Withdrawals)
	held := t.Balances + t.Escrow + t.RefundsInFlight + t.WithdrawHeld
	fmt.Fprintf(w, "  balances %d + escrow %d + refunds in flight %d + held for withdrawals %d = %d fen; money in %d - money out %d = %d fen\n\n",
		t.Balances, t.Escrow, t.RefundsInFlight, t.WithdrawHeld, held, t.MoneyIn, t.MoneyOut, t.MoneyIn-t.MoneyOut)
	for _, c := range rep.Checks {
		mark := "ok  "
		if !c.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %s  %s (%d checked)\n", mark, c.Name, c.Checked)
		for _, f := range c.Failures {
			fmt.Fprintf(w, "          - %s\n", f)
		}
	}
	if rep.OK {
		fmt.Fprintln(w, "\nall invariants hold")
	} else {
		fmt.Fprintln(w, "\nAUDIT FAILED")
	}
}

// auditDB runs the money audit on db, opened read-only. A file of an older
// schema (a backup or a stopped server's file from before an upgrade) is
// not read in its old layout: it is copied to a temporary file, which is
// migrated and audited, then removed; migrated is then the file's schema.
func auditDB(db *data.DB, stderr io.Writer) (rep packet.Report, migrated int, err error) {
	v, err := db.SchemaVersion()
	if err != nil {
		return rep, 0, err
	}
	if v >= data.SchemaVersion {
		rep, err = packet.Audit(db)
		return rep, 0, err
	}
	dir, err := os.MkdirTemp("", "luckbox-audit-")
	if err != nil {
		return rep, v, err
	}
	defer os.RemoveAll(dir)
	copyPath := filepath.Join(dir, "migrated.db")
	f, err := os.Create(copyPath)
	if err != nil {
		return rep, v, err
	}
	_, err = db.Backup(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return rep, v, fmt.Errorf("copy for migration: %w", err)
	}
	mdb, err := data.Open(copyPath, data.Options{Buckets: buckets(), Migrations: migrations(), NoSync: true, NoPopulate: true,
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return rep, v, fmt.Errorf("migrate a copy from schema %d: %w", v, err)
	}
	defer mdb.Close()
	rep, err = packet.Audit(mdb)
	return rep, v, err
}
