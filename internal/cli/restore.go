package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"luckbox/data"
)

// runRestore is `luckbox restore --from BACKUP --data FILE`: it checks the
// backup (a luckbox database of a schema this binary knows, bbolt's
// integrity check, the money audit), then puts a copy of it in place of
// --data. An existing --data is refused unless --force (and then kept as
// FILE.pre-restore-<time>); a --data locked by a running server is always
// refused. The swap is a rename: --data is the old file or the whole backup,
// never a mix.
func runRestore(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("restore", stdout)
	from := fs.String("from", "", "backup file to restore (from 'luckbox backup' or GET /api/v1/admin/backup)")
	target := fs.String("data", "./luckbox.db", "database file to restore into; the server must be stopped")
	force := fs.Bool("force", false, "replace an existing --data (the old file is kept as <data>.pre-restore-<time>)")
	if err := parseFlags(fs, args, env); err != nil {
		return err
	}
	if *from == "" {
		return errors.New("missing --from: the backup file to restore")
	}
	if same, err := sameFile(*from, *target); err != nil {
		return err
	} else if same {
		return errors.New("invalid --from/--data: they name the same file")
	}

	// The target first: refusing costs nothing, the checks below may take a while.
	unlock, exists, err := lockTarget(*target)
	if err != nil {
		return err
	}
	defer unlock()
	if exists && !*force {
		return fmt.Errorf("invalid --data: %s exists (--force replaces it and keeps the old file beside it)", *target)
	}

	info, err := inspectBackup(*from, stderr)
	if err != nil {
		return fmt.Errorf("invalid --from: %w", err)
	}
	printAuditSummary(stdout, info.audit)
	if !info.audit.OK {
		return fmt.Errorf("refusing to restore %s: %w (see 'luckbox audit --data %s')", *from, errAuditFailed, *from)
	}

	tmp, err := copyToTemp(*from, filepath.Dir(*target))
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // a no-op once renamed
	var kept string
	if exists {
		matchOwner(tmp, *target)
		kept = fmt.Sprintf("%s.pre-restore-%s", *target, time.Now().UTC().Format("20060102T150405Z"))
		if err := os.Link(*target, kept); err != nil {
			return fmt.Errorf("keep the old --data: %w", err)
		}
	}
	// A journal left by a crashed server belongs to the old file: it goes
	// with the kept copy (which replays it when opened), never to the new.
	if err := data.MoveJournal(*target, kept); err != nil {
		return fmt.Errorf("keep the old --data's journal: %w", err)
	}
	if err := os.Rename(tmp, *target); err != nil {
		return fmt.Errorf("restore into --data: %w", err)
	}
	if err := data.SyncDir(filepath.Dir(*target)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s (schema version %d, %d bytes) to %s\n", *from, info.schema, info.size, *target)
	if kept != "" {
		fmt.Fprintf(stdout, "the previous %s is kept as %s\n", *target, kept)
	}
	if info.schema < data.SchemaVersion {
		fmt.Fprintf(stdout, "the server migrates it from schema %d to %d when it starts\n", info.schema, data.SchemaVersion)
	}
	return nil
}

// lockTarget takes the lock a server holds on its database file (bbolt's
// flock), so a running server's file is refused and no server starts on it
// during the swap. exists reports whether the file is there.
func lockTarget(path string) (unlock func(), exists bool, err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return func() {}, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("invalid --data: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, true, fmt.Errorf("invalid --data: %s is in use by a running luckbox; stop the server first", path)
		}
		return nil, true, fmt.Errorf("invalid --data: lock %s: %w", path, err)
	}
	return func() { f.Close() }, true, nil
}

// copyToTemp copies src to a new file in dir and syncs it.
func copyToTemp(src, dir string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", fmt.Errorf("--from: %w", err)
	}
	defer in.Close()
	out, err := os.CreateTemp(dir, ".luckbox-restore-*")
	if err != nil {
		return "", fmt.Errorf("--data: %w", err)
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return "", fmt.Errorf("copy the backup: %w", err)
	}
	return out.Name(), nil
}

// matchOwner gives the copy the owner of the file it replaces (when run as
// root for a server that runs as its own user); best effort.
func matchOwner(path, like string) {
	fi, err := os.Stat(like)
	if err != nil {
		return
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		_ = os.Chown(path, int(st.Uid), int(st.Gid))
	}
}

// sameFile reports whether a and b are the same existing file.
func sameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, fmt.Errorf("--from: %w", err)
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, nil
	}
	return os.SameFile(fa, fb), nil
}
