package cli

import (
	"context"
	"path/filepath"
	"testing"

	"luckbox/data"
)

func TestDemoKeysAreKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	db, err := data.Open(path, data.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first, err := demoKeysFor(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = data.Open(path, data.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	again, err := demoKeysFor(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if !again.MchKey.Equal(first.MchKey) || !again.PlatformKey.Equal(first.PlatformKey) ||
		again.MchSerial != first.MchSerial || again.PlatformSerial != first.PlatformSerial || again.APIv3Key != first.APIv3Key {
		t.Fatal("the keys read back differ from the ones made on the first start")
	}
	if len(first.APIv3Key) != 32 || first.MchKey.N.BitLen() != 2048 {
		t.Fatalf("keys: %d-char APIv3 key, %d-bit merchant key", len(first.APIv3Key), first.MchKey.N.BitLen())
	}
}
