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

// Until the etcd engine is merged, migrate audits the file, connects, and
// stops at the copy with a clear error; the copy out never leaves a file.
func TestMigrateEngineCallSites(t *testing.T) {
	dir := t.TempDir()
	live := stoppedFileWith(t, dir, 1234)
	c := clustertest.Start(t, 1)
	to := "etcd://" + strings.TrimPrefix(c.Endpoints()[0], "http://")

	var out bytes.Buffer
	err := Run(context.Background(), []string{"migrate", "--from", live, "--to", to}, noEnv, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "not built") || !strings.Contains(out.String(), "balances 1234 + escrow 0 fen") {
		t.Fatalf("migrate into etcd: %v\n%s", err, out.String())
	}
	back := filepath.Join(dir, "back.db")
	err = Run(context.Background(), []string{"migrate", "--from", to, "--to", back}, noEnv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "not built") {
		t.Fatalf("migrate out of etcd: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("a failed copy out left files: %v", entries)
	}
	if err := Run(context.Background(), []string{"migrate", "--from", to, "--to", live}, noEnv, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("migrate onto an existing file: %v", err)
	}
}
