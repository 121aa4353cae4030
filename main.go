// Command luckbox runs lotteries, red packets and gift exchanges for WeChat
// mini-programs: one binary, embedded storage, a JSON API and a demo UI.
//
// Usage:
//
//	luckbox [serve] [flags]   run the server (default)
//	luckbox verify --proof F  recompute a lottery's winners from its proof
//	luckbox backup --out F    back up a running server or a stopped file
//	luckbox restore --from F  put a backup in place of a stopped server's file
//	luckbox help              list the subcommands
//
// Every flag has a LUCKBOX_* environment fallback (--session-ttl reads
// LUCKBOX_SESSION_TTL); `luckbox serve --help` lists them with defaults.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "luckbox:", err)
		}
		os.Exit(1)
	}
}

// command is one subcommand of the binary.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the server (the default)", runServe},
		{"audit", "check the money invariants of a database file or backup", runAudit},
		{"verify", "recompute a lottery's winners from its fairness proof", runVerify},
		{"bench", "load-test a server (or one it starts) and check its invariants", runBench},
		{"backup", "write a checked backup of a running server or a stopped database file", runBackup},
		{"restore", "check a backup and put it in place of a stopped server's database file", runRestore},
	}
}

// run dispatches to a subcommand; it is main without the process around it.
func run(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	name := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	if name == "help" {
		fmt.Fprintln(stdout, "usage: luckbox <command> [flags]\n\ncommands:")
		for _, c := range commands() {
			fmt.Fprintf(stdout, "  %-8s %s\n", c.name, c.summary)
		}
		fmt.Fprintln(stdout, "\nRun 'luckbox <command> --help' for the flags of a command.")
		return nil
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, args, env, stdout, stderr)
		}
	}
	return fmt.Errorf("unknown command %q (see 'luckbox help')", name)
}
