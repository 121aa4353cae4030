// Command luckbox runs lotteries, red packets and gift exchanges for WeChat
// mini-programs: one binary, embedded storage, a JSON API and a demo UI.
//
// `luckbox help` lists the commands (serve, audit, verify, bench, backup,
// restore); `luckbox <command> --help` lists a command's flags. The commands
// live in luckbox/internal/cli.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"luckbox/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := cli.Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil, cli.IsHelp(err):
	default:
		fmt.Fprintln(os.Stderr, "luckbox:", err)
		os.Exit(1)
	}
}
