// Package cli is the luckbox command line: one file per command (serve,
// audit, verify, bench, backup, restore, reconcile), the settings of serve and their
// validation in config.go, and the flag machinery they share in flags.go
// (every flag has a LUCKBOX_* environment fallback). main.go only calls Run.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// command is one subcommand of the binary.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the server (the default)", runServe},
		{"audit", "check the money invariants of a database file or backup", runAudit},
		{"verify", "check a lottery's fairness proof or a lucky red packet's split, offline", runVerify},
		{"bench", "load-test a server (or one it starts) and check its invariants", runBench},
		{"backup", "write a checked backup of a running server or a stopped database file", runBackup},
		{"restore", "check a backup and put it in place of a stopped server's database file", runRestore},
		{"migrate", "copy a stopped server's database file into an etcd cluster, or an etcd cluster into a new file", runMigrate},
		{"reconcile", "compare a day's WeChat Pay trade bill with a running server's orders and refunds", runReconcile},
	}
}

// Run runs the command named by args[0] (serve when args is empty or starts
// with a flag). env looks up LUCKBOX_* variables; help goes to stdout, logs
// to stderr. It is main without the process around it.
func Run(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		printCommands(stdout)
		return flag.ErrHelp
	}
	name := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, args, env, stdout, stderr)
		}
	}
	return fmt.Errorf("unknown command %q (see 'luckbox help')", name)
}

// isHelp reports whether a first argument asks for the list of commands.
func isHelp(arg string) bool {
	return arg == "help" || arg == "-h" || arg == "-help" || arg == "--help"
}

func printCommands(w io.Writer) {
	fmt.Fprintln(w, "luckbox runs lotteries, red packets and gift exchanges for WeChat mini-programs.")
	fmt.Fprintln(w, "\nusage: luckbox <command> [flags]   (no command: serve)\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'luckbox <command> --help' for the flags of a command.")
}

// IsHelp reports whether err from Run means help was printed on request
// (help, --help, -h): the process should exit with status 0.
func IsHelp(err error) bool { return errors.Is(err, flag.ErrHelp) }
