package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// envName is the environment variable that backs a flag: --session-ttl → LUCKBOX_SESSION_TTL.
func envName(flagName string) string {
	return "LUCKBOX_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// newFlagSet returns a flag set whose usage lists each flag with its
// environment variable and default.
func newFlagSet(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "usage: luckbox %s [flags]\n\nEvery flag can also be set with its environment variable", name)
		if fs.Lookup(configFlag) != nil {
			fmt.Fprint(out, " or in the --config file (JSON, keys = flag names; flag > environment > file > default)")
		}
		fmt.Fprint(out, ".\n\n")
		fs.VisitAll(func(f *flag.Flag) {
			def := f.DefValue
			if def == "" {
				def = `""`
			}
			fmt.Fprintf(out, "  --%s (%s, default %s)\n      %s\n", f.Name, envName(f.Name), def, f.Usage)
		})
	}
	return fs
}

// parseFlags parses args, then fills every flag not given on the command line
// from its LUCKBOX_* environment variable, then, for a flag set with a
// --config flag that names a file, every flag still unset from that file
// (config_file.go). A bad value names its setting.
// commandLineOnly are the flags with no environment fallback: a stray
// LUCKBOX_FORCE must not let backup or restore replace files.
var commandLineOnly = map[string]bool{"force": true}

func parseFlags(fs *flag.FlagSet, args []string, env func(string) string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil || commandLineOnly[f.Name] {
			return
		}
		if v := env(envName(f.Name)); v != "" {
			set[f.Name] = true
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("invalid value %q for %s: %v", v, envName(f.Name), e)
			}
		}
	})
	if err != nil {
		return err
	}
	if cf := fs.Lookup(configFlag); cf != nil && cf.Value.String() != "" {
		return applyConfigFile(fs, cf.Value.String(), func(name string) bool { return set[name] })
	}
	return nil
}
