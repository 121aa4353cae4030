package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"luckbox/cluster/clustertest"
)

func TestMigrateArguments(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--from", "a.db"}, "missing --from or --to"},
		{[]string{"--from", "a.db", "--to", "b.db"}, "exactly one must be etcd://"},
		{[]string{"--from", "etcd://h:1", "--to", "etcd://h:2"}, "exactly one must be etcd://"},
		{[]string{"--from", "a.db", "--to", "etcd://"}, "missing --etcd-endpoints"},
		{[]string{"--from", "a.db", "--to", "etcd://h1"}, "invalid --etcd-endpoints item"},
		{[]string{"--from", "a.db", "--to", "etcd://h1:2379", "--etcd-prefix", "x"}, "invalid --etcd-prefix"},
		{[]string{"--from", filepath.Join(t.TempDir(), "missing.db"), "--to", "etcd://h1:2379"}, "does not exist"},
	} {
		err := Run(context.Background(), append([]string{"migrate"}, c.args...), noEnv, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("migrate %v: %v, want %q", c.args, err, c.want)
		}
	}
	var help bytes.Buffer
	if err := Run(context.Background(), []string{"migrate", "--help"}, noEnv, &help, io.Discard); !IsHelp(err) || !strings.Contains(help.String(), "--to") || !strings.Contains(help.String(), "etcd://") {
		t.Errorf("migrate --help: %v\n%s", err, help.String())
	}
}

// migrate copies an audited file into etcd (once: a prefix holding data is
// refused) and back into a new file that passes the audit with the same
// money; an existing target file is refused.
func TestMigrateRoundTrip(t *testing.T) {
	dir := t.TempDir()
	live := stoppedFileWith(t, dir, 1234)
	c := clustertest.Start(t, 1)
	to := "etcd://" + strings.TrimPrefix(c.Endpoints()[0], "http://")

	var out bytes.Buffer
	if err := Run(context.Background(), []string{"migrate", "--from", live, "--to", to}, noEnv, &out, io.Discard); err != nil || !strings.Contains(out.String(), "balances 1234 + escrow 0 fen") {
		t.Fatalf("migrate into etcd: %v\n%s", err, out.String())
	}
	if err := Run(context.Background(), []string{"migrate", "--from", live, "--to", to}, noEnv, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "already holds luckbox data") {
		t.Fatalf("a second migrate into the same prefix: %v", err)
	}
	back := filepath.Join(dir, "back.db")
	out.Reset()
	if err := Run(context.Background(), []string{"migrate", "--from", to, "--to", back}, noEnv, &out, io.Discard); err != nil || !strings.Contains(out.String(), "balances 1234 + escrow 0 fen") {
		t.Fatalf("migrate out of etcd: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := Run(context.Background(), []string{"audit", "--data", back}, noEnv, &out, io.Discard); err != nil || !strings.Contains(out.String(), "1234") {
		t.Fatalf("audit of the copy out of etcd: %v\n%s", err, out.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Fatalf("the copy out left files beside it: %v", entries)
	}
	// backup reads the cluster at one revision into a checked file.
	out.Reset()
	bak := filepath.Join(t.TempDir(), "etcd.bak")
	if err := Run(context.Background(), []string{"backup", "--out", bak, "--etcd-endpoints", c.Endpoints()[0]}, noEnv, &out, io.Discard); err != nil ||
		!strings.Contains(out.String(), "at revision") || !strings.Contains(out.String(), "balances 1234 + escrow 0 fen") {
		t.Fatalf("backup of etcd: %v\n%s", err, out.String())
	}
	if err := Run(context.Background(), []string{"backup", "--out", bak + "2", "--etcd-endpoints", c.Endpoints()[0], "--data", live}, noEnv, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "one of them") {
		t.Fatalf("backup of etcd and a file at once: %v", err)
	}
	if err := Run(context.Background(), []string{"migrate", "--from", to, "--to", live}, noEnv, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("migrate onto an existing file: %v", err)
	}
}
