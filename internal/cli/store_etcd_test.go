package cli

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// etcdArgs are a complete production configuration in etcd mode against
// endpoints.
func etcdArgs(t *testing.T, endpoints string) []string {
	t.Helper()
	return append(productionArgs(t), "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "copy.db"),
		"--store", "etcd", "--etcd-endpoints", endpoints, "--advertise-url", "http://10.0.0.2:8080",
		"--admin-token", strings.Repeat("a", 32), "--trust-proxy", "--etcd-dial-timeout", "1s")
}

func TestServeEtcdSettingsAreChecked(t *testing.T) {
	pw := writeTestFile(t, "pw", "secret\n")
	empty := writeTestFile(t, "empty", "\n")
	base := etcdArgs(t, "127.0.0.1:1")
	for _, c := range []struct {
		args []string
		want string
	}{
		{withArg(base, "--store", "redis"), "invalid --store"},
		{withArg(base, "--etcd-endpoints", ""), "missing --etcd-endpoints"},
		{withArg(base, "--etcd-endpoints", "h1:2379,,h2:2379"), "invalid --etcd-endpoints"},
		{withArg(base, "--etcd-endpoints", "h1"), "invalid --etcd-endpoints item \"h1\""},
		{withArg(base, "--etcd-endpoints", "ftp://h1:2379"), "invalid --etcd-endpoints item"},
		{withArg(base, "--advertise-url", ""), "invalid --advertise-url"},
		{withArg(base, "--advertise-url", "10.0.0.2:8080"), "invalid --advertise-url"},
		{withArg(base, "--admin-token", ""), "missing --admin-token"},
		{withArg(base, "--etcd-prefix", "luckbox"), "invalid --etcd-prefix"},
		{withArg(base, "--etcd-max-txn-ops", "4"), "invalid --etcd-max-txn-ops"},
		{withArg(base, "--etcd-max-request-bytes", "100"), "invalid --etcd-max-request-bytes"},
		{withArg(base, "--etcd-dial-timeout", "1ms"), "invalid --etcd-dial-timeout"},
		{withArg(base, "--etcd-lease-ttl", "1s"), "invalid --etcd-lease-ttl"},
		{withArg(base, "--etcd-lease-ttl", "2500ms"), "invalid --etcd-lease-ttl"},
		{withArg(base, "--etcd-cert", pw), "invalid --etcd-cert/--etcd-key: set both"},
		{withArg(withArg(base, "--etcd-cert", pw), "--etcd-key", pw), "invalid --etcd-cert/--etcd-key"},
		{withArg(base, "--etcd-ca", pw), "invalid --etcd-ca"},
		{withArg(base, "--etcd-user", "luckbox"), "invalid --etcd-user/--etcd-password-file"},
		{withArg(withArg(base, "--etcd-user", "luckbox"), "--etcd-password-file", empty), "is empty"},
		{withArg(withArg(base, "--etcd-user", "luckbox"), "--etcd-password-file", filepath.Join(t.TempDir(), "nope")), "invalid --etcd-password-file"},
	} {
		err := Run(context.Background(), append([]string{"serve"}, c.args...), noEnv, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.args[len(c.args)-2:], err, c.want)
		}
	}
	// --trust-proxy is a boolean: leave it out.
	var noTrust []string
	for _, a := range base {
		if a != "--trust-proxy" {
			noTrust = append(noTrust, a)
		}
	}
	if err := Run(context.Background(), append([]string{"serve"}, noTrust...), noEnv, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "missing --trust-proxy") {
		t.Errorf("without --trust-proxy: %v", err)
	}
	// A valid password file passes validation; nobody answers at 127.0.0.1:1.
	args := withArg(withArg(base, "--etcd-user", "luckbox"), "--etcd-password-file", pw)
	if err := Run(context.Background(), append([]string{"serve"}, args...), noEnv, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "does not answer") || strings.Contains(err.Error(), "secret") {
		t.Errorf("unreachable etcd: %v", err)
	}
}
