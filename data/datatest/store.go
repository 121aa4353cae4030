package datatest

import (
	"os"
	"testing"

	"luckbox/data"
)

// StoreEnv names the environment variable that picks the engine the
// domain test suites run on: unset or "bolt", the embedded engine; "etcd",
// the etcd engine on a three-member in-process cluster (tests built with
// -tags etcdtest):
//
//	LUCKBOX_TEST_STORE=etcd go test -tags etcdtest ./packet/
const StoreEnv = "LUCKBOX_TEST_STORE"

// openEngine opens the database of a test on the engine StoreEnv names;
// openEtcd is set by the etcdtest build (store_etcd.go).
func openEngine(t testing.TB, path string, opts data.Options) (*data.DB, error) {
	switch os.Getenv(StoreEnv) {
	case "", "bolt":
		return data.Open(path, opts)
	case "etcd":
		if openEtcd == nil || opts.ReadOnly {
			if opts.ReadOnly {
				return data.Open(path, opts)
			}
			t.Fatalf("%s=etcd needs the etcd engine built in: go test -tags etcdtest", StoreEnv)
		}
		return openEtcd(t, path, opts)
	}
	t.Fatalf("%s=%q: want bolt or etcd", StoreEnv, os.Getenv(StoreEnv))
	return nil, nil
}

var openEtcd func(t testing.TB, path string, opts data.Options) (*data.DB, error)
