package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Help is asked for, so it goes to stdout and Run reports IsHelp (exit 0).
func TestHelpListsCommandsOnStdout(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"-help"}} {
		var out, errOut bytes.Buffer
		err := Run(context.Background(), args, noEnv, &out, &errOut)
		if !IsHelp(err) {
			t.Errorf("%v: err %v, want help", args, err)
		}
		for _, c := range commands() {
			if !strings.Contains(out.String(), "  "+c.name+" ") {
				t.Errorf("%v: command %s not listed in %q", args, c.name, out.String())
			}
		}
		if errOut.Len() != 0 {
			t.Errorf("%v: wrote to stderr: %q", args, errOut.String())
		}
	}
}

func TestEveryCommandHelpExitsZeroOnStdout(t *testing.T) {
	for _, c := range commands() {
		var out, errOut bytes.Buffer
		err := Run(context.Background(), []string{c.name, "--help"}, noEnv, &out, &errOut)
		if !IsHelp(err) {
			t.Errorf("%s --help: err %v, want help", c.name, err)
		}
		if !strings.Contains(out.String(), "usage: luckbox "+c.name) || errOut.Len() != 0 {
			t.Errorf("%s --help: stdout %q, stderr %q", c.name, out.String(), errOut.String())
		}
	}
}

// A bad value is one short line that says what form the setting takes, not
// the whole usage and not the flag package's bare "parse error".
func TestBadFlagValueSaysTheExpectedForm(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--session-ttl", "5"}, `invalid value "5" for --session-ttl: want a duration (a number and a unit: s, m or h) such as 168h`},
		{[]string{"serve", "--packet-max-count", "many"}, `invalid value "many" for --packet-max-count: want a whole number such as 100`},
		{[]string{"serve", "--trust-proxy=maybe"}, `invalid value "maybe" for --trust-proxy: want true or false`},
		{[]string{"serve", "--nope"}, `unknown flag --nope`},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		err := Run(context.Background(), c.args, noEnv, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "parse error") {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
		if out.Len()+errOut.Len() != 0 {
			t.Errorf("%v: printed %q %q besides the error", c.args, out.String(), errOut.String())
		}
	}
}

// backup's --force has no LUCKBOX_FORCE: the help must not claim one.
func TestHelpMarksCommandLineOnlyFlags(t *testing.T) {
	var out bytes.Buffer
	_ = Run(context.Background(), []string{"backup", "--help"}, noEnv, &out, io.Discard)
	if strings.Contains(out.String(), "LUCKBOX_FORCE") || !strings.Contains(out.String(), "--force (command line only") {
		t.Fatalf("backup --help: %s", out.String())
	}
}

// A server that cannot listen leaves no data file behind.
func TestBusyPortCreatesNoDataFile(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	path := filepath.Join(t.TempDir(), "luckbox.db")
	err = Run(context.Background(), []string{"serve", "--addr", ln.Addr().String(), "--data", path}, noEnv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("serve on a busy port: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("data file after a failed start: %v", err)
	}
}

func TestUnknownCommand(t *testing.T) {
	err := Run(context.Background(), []string{"frobnicate"}, noEnv, io.Discard, io.Discard)
	if err == nil || IsHelp(err) || !strings.Contains(err.Error(), "luckbox help") {
		t.Fatalf("unknown command: %v", err)
	}
}
