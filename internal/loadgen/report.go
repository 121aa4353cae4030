package loadgen

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// Line is the throughput and latency of one outcome of a measured phase.
type Line struct {
	Outcome            string
	Count              int64
	Rate               float64 // per second of the phase
	P50, P90, P99, Max time.Duration
}

// Fact is a named figure of a scenario beyond its lines (time to draw, start
// time, memory).
type Fact struct {
	Name, Value string
}

// Report is the result of one scenario.
type Report struct {
	Scenario    string
	Concurrency int
	Setup       time.Duration // time spent preparing (not measured)
	Elapsed     time.Duration // length of the measured phase
	Lines       []Line
	// Total is every request of the measured phase (errors included).
	Total Line
	// CPU is what the machine and the serving processes did meanwhile.
	CPU CPU
	// Memory is the serving processes' memory after the scenario, Peak
	// their peak RSS during it (nil: unknown, e.g. with --url).
	Memory *Memory
	Facts  []Fact
	Checks []string // correctness checks that passed
	Notes  []string
	// Failure is set when a correctness check failed.
	Failure error
}

// Line returns the line of an outcome (zero if none).
func (r *Report) Line(outcome string) Line {
	for _, l := range r.Lines {
		if l.Outcome == outcome {
			return l
		}
	}
	return Line{Outcome: outcome}
}

func (r *Report) fact(name, format string, args ...any) {
	r.Facts = append(r.Facts, Fact{name, fmt.Sprintf(format, args...)})
}

func (r *Report) check(format string, args ...any) {
	r.Checks = append(r.Checks, fmt.Sprintf(format, args...))
}

func (r *Report) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// fail records a broken invariant (several are joined).
func (r *Report) fail(err error) {
	if err != nil {
		r.Failure = errors.Join(r.Failure, err)
	}
}

// addResult turns a measured phase into lines; failed requests fail the report.
func (r *Report) addResult(res Result) {
	r.Elapsed = res.Elapsed
	for _, name := range res.Names() {
		h := res.Outcomes[name]
		r.Lines = append(r.Lines, Line{Outcome: name, Count: h.Count(), Rate: res.Rate(name),
			P50: h.Quantile(0.50), P90: h.Quantile(0.90), P99: h.Quantile(0.99), Max: h.Max()})
	}
	h := res.All
	r.Total = Line{Outcome: "(all)", Count: h.Count(), P50: h.Quantile(0.50), P90: h.Quantile(0.90), P99: h.Quantile(0.99), Max: h.Max()}
	if res.Elapsed > 0 {
		r.Total.Rate = float64(h.Count()) / res.Elapsed.Seconds()
	}
	if len(res.Outcomes) > 1 {
		r.Lines = append(r.Lines, r.Total)
	}
	r.CPU = res.CPU
	if res.CPU.ok {
		r.fact("cpu", "%s", res.CPU)
		if n := res.All.Count(); n > 0 {
			per := func(cores float64) time.Duration {
				return time.Duration(cores * float64(res.Elapsed) / float64(n))
			}
			cores := runtime.NumCPU()
			r.fact("cpu per request", "server %s, load generator %s (ceiling on %d idle cores ≈ %.0f requests/s)",
				per(res.CPU.Server).Round(100*time.Nanosecond), per(res.CPU.Generator).Round(100*time.Nanosecond),
				cores, float64(cores)/((res.CPU.Server+res.CPU.Generator)*res.Elapsed.Seconds()/float64(n)))
			if w := res.CPU.DiskWrites; w > 0 {
				r.fact("disk writes", "%s by the server, %.1f KiB per request", MB(w), float64(w)/float64(n)/1024)
			}
		}
	}
	if res.Writer.ok {
		r.fact("writer", "%s", res.Writer)
	}
	if res.Errors > 0 {
		r.fail(fmt.Errorf("%d requests failed, e.g. %s", res.Errors, strings.Join(res.ErrorSamples, " | ")))
	}
}

// ms formats a duration in milliseconds with two decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

// MB formats bytes in MiB.
func MB(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// WriteReports prints the reports as a table, then each scenario's facts,
// checks and notes.
func WriteReports(w io.Writer, reports []*Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tclients\toutcome\tcount\tper second\tp50 ms\tp90 ms\tp99 ms\tmax ms\t")
	for _, r := range reports {
		for _, l := range r.Lines {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%.0f\t%s\t%s\t%s\t%s\t\n", r.Scenario, r.Concurrency, l.Outcome, l.Count, l.Rate,
				ms(l.P50), ms(l.P90), ms(l.P99), ms(l.Max))
		}
	}
	tw.Flush()
	for _, r := range reports {
		fmt.Fprintf(w, "\n%s (%d clients): measured %s after %s of set-up\n", r.Scenario, r.Concurrency,
			r.Elapsed.Round(time.Millisecond), r.Setup.Round(time.Millisecond))
		for _, f := range r.Facts {
			fmt.Fprintf(w, "  %s: %s\n", f.Name, f.Value)
		}
		for _, n := range r.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
		switch {
		case r.Failure != nil:
			fmt.Fprintf(w, "  CHECK FAILED: %v\n", r.Failure)
		case len(r.Checks) == 0:
			fmt.Fprintf(w, "  nothing checked\n")
		default:
			fmt.Fprintf(w, "  check ok: %s\n", strings.Join(r.Checks, "; "))
		}
	}
}
