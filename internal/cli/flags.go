package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// envName is the environment variable that backs a flag: --session-ttl → LUCKBOX_SESSION_TTL.
func envName(flagName string) string {
	return "LUCKBOX_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// commandLineOnly are the flags with no environment fallback: a stray
// LUCKBOX_FORCE must not let backup or restore replace files.
var commandLineOnly = map[string]bool{"force": true}

// newFlagSet returns a flag set for command name whose --help (printed to
// stdout, exit status 0) lists each flag with its environment variable and
// default. Parse errors print nothing: parseFlags returns them, short.
func newFlagSet(name string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(helpOutput{stdout})
	fs.Usage = func() {}
	return fs
}

// helpOutput is a flag set's output: it swallows what the flag package
// prints on its own (errors are returned instead) and remembers where --help
// goes.
type helpOutput struct{ w io.Writer }

func (helpOutput) Write(p []byte) (int, error) { return len(p), nil }

func printUsage(fs *flag.FlagSet, out io.Writer) {
	fmt.Fprintf(out, "usage: luckbox %s [flags]\n\nEvery flag can also be set with its environment variable", fs.Name())
	if fs.Lookup(configFlag) != nil {
		fmt.Fprint(out, " or in the --config file (JSON, keys = flag names; flag > environment > file > default)")
	}
	fmt.Fprint(out, ".\n\n")
	fs.VisitAll(func(f *flag.Flag) {
		def := f.DefValue
		if def == "" {
			def = `""`
		}
		src := envName(f.Name)
		if commandLineOnly[f.Name] {
			src = "command line only"
		}
		fmt.Fprintf(out, "  --%s (%s, default %s)\n      %s\n", f.Name, src, def, f.Usage)
	})
}

// parseFlags parses args, then fills every flag not given on the command line
// from its LUCKBOX_* environment variable, then, for a flag set with a
// --config flag that names a file, every flag still unset from that file
// (configfile.go). --help prints the usage to stdout and returns
// flag.ErrHelp. A bad value names its setting and the form it takes. No
// positional arguments are accepted; see parseFlagsArgs.
func parseFlags(fs *flag.FlagSet, args []string, env func(string) string) error {
	rest, err := parseFlagsArgs(fs, args, env, 0)
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("unexpected argument %q (see 'luckbox %s --help')", rest[0], fs.Name())
	}
	return err
}

// parseFlagsArgs is parseFlags for a command that takes up to max positional
// arguments (before or after the flags); it returns them.
func parseFlagsArgs(fs *flag.FlagSet, args []string, env func(string) string, max int) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				if out, ok := fs.Output().(helpOutput); ok {
					printUsage(fs, out.w)
				}
				return nil, err
			}
			return nil, fmt.Errorf("%s (see 'luckbox %s --help')", explainFlagError(fs, err), fs.Name())
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
		if len(rest) > max {
			return rest, nil
		}
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
				err = fmt.Errorf("invalid value %q for %s: %s", v, envName(f.Name), expectedForm(f, e))
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if cf := fs.Lookup(configFlag); cf != nil && cf.Value.String() != "" {
		return rest, applyConfigFile(fs, cf.Value.String(), func(name string) bool { return set[name] })
	}
	return rest, nil
}

// flagValueErr matches the flag package's error for a value a flag refused.
var flagValueErr = regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for (?:flag )?-([a-z0-9-]+): `)

// explainFlagError rewrites the flag package's parse errors in the product's
// --flag spelling and says what form a refused value takes ("parse error"
// alone does not tell a newcomer that --session-ttl wants 168h, not 5).
func explainFlagError(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if m := flagValueErr.FindStringSubmatch(msg); m != nil {
		if f := fs.Lookup(m[2]); f != nil {
			cause := strings.TrimPrefix(msg, m[0])
			return fmt.Sprintf("invalid value %q for --%s: %s", m[1], f.Name, expectedForm(f, errors.New(cause)))
		}
	}
	msg = strings.Replace(msg, "flag provided but not defined: -", "unknown flag --", 1)
	return strings.Replace(msg, "flag needs an argument: -", "flag needs a value: --", 1)
}

// expectedForm describes what a flag accepts, for a value it refused with
// err. The flag package's own value types say only "parse error".
func expectedForm(f *flag.Flag, err error) string {
	example := func(what string) string {
		if def := shortDuration(f.DefValue); def != "" && def != "0" && def != "0s" {
			return fmt.Sprintf("want %s such as %s", what, def)
		}
		return "want " + what
	}
	switch fmt.Sprintf("%T", f.Value) {
	case "*flag.durationValue":
		return example("a duration (a number and a unit: s, m or h)")
	case "*flag.intValue", "*flag.int64Value", "*flag.uintValue", "*flag.uint64Value":
		return example("a whole number")
	case "*flag.boolValue":
		return "want true or false"
	case "*flag.float64Value":
		return example("a number")
	}
	return err.Error()
}

// shortDuration drops the zero tails of a formatted duration: 168h0m0s →
// 168h, 1m30s stays. Other text is returned as it is.
func shortDuration(s string) string {
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
