package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"luckbox/data"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func TestAuditCommand(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a.db")
	db, err := data.Open(file, data.Options{Buckets: buckets(), Migrations: migrations()})
	if err != nil {
		t.Fatal(err)
	}
	// While the file is open by a server, the audit refuses (audit a backup instead).
	var out bytes.Buffer
	if err := Run(context.Background(), []string{"audit", "--data", file}, noEnv, &out, io.Discard); err == nil {
		t.Fatal("audit of a database in use succeeded")
	}
	db.Close()
	out.Reset()
	if err := Run(context.Background(), []string{"audit"}, func(k string) string {
		if k == "LUCKBOX_DATA" {
			return file
		}
		return ""
	}, &out, io.Discard); err != nil {
		t.Fatalf("audit of an empty database: %v\n%s", err, out.String())
	}
	for _, want := range []string{"grabs + remaining + refunded == amount", "no user grabbed a packet twice",
		"sum of its ledger rows", "balances + escrow + refunds in flight + held for withdrawals == money in - money out", "all invariants hold"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("audit output lacks %q:\n%s", want, out.String())
		}
	}
	if err := Run(context.Background(), []string{"audit", "--data", filepath.Join(t.TempDir(), "none.db")}, noEnv, io.Discard, io.Discard); err == nil {
		t.Fatal("audit of a missing file succeeded")
	}
}
