package cli

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"

	"luckbox/internal/loadgen"
)

// figures are the compared numbers of one report (NaN: unknown).
type figures struct {
	ops      float64 // requests per second
	p50, p99 float64 // ms
	cpuPerOp float64 // µs of server CPU per request
	diskOp   float64 // bytes written to storage per request
	peakMiB  float64 // peak RSS during the scenario
}

// figuresOf reads the compared numbers of a report.
func figuresOf(r *loadgen.Report) figures {
	nan := math.NaN()
	f := figures{ops: r.Total.Rate, p50: msOf(r.Total.P50), p99: msOf(r.Total.P99), cpuPerOp: nan, diskOp: nan, peakMiB: nan}
	if n := float64(r.Total.Count); n > 0 && r.CPU.Known() {
		f.cpuPerOp = r.CPU.Server * r.Elapsed.Seconds() / n * 1e6
		if r.CPU.DiskWrites >= 0 {
			f.diskOp = float64(r.CPU.DiskWrites) / n
		}
	}
	if r.Memory != nil {
		f.peakMiB = float64(r.Memory.Peak) / (1 << 20)
	}
	return f
}

func msOf[D ~int64](d D) float64 { return float64(d) / 1e6 }

// median of the known values (NaN if none).
func median(vs []float64) float64 {
	vs = slices.DeleteFunc(slices.Clone(vs), math.IsNaN)
	if len(vs) == 0 {
		return math.NaN()
	}
	slices.Sort(vs)
	m := len(vs) / 2
	if len(vs)%2 == 0 {
		return (vs[m-1] + vs[m]) / 2
	}
	return vs[m]
}

// cell is one side's figures for a scenario and level across the rounds.
type cell struct {
	runs   []figures
	failed []string // "round N: error"
}

func (c *cell) median(get func(figures) float64) float64 {
	vs := make([]float64, len(c.runs))
	for i, f := range c.runs {
		vs[i] = get(f)
	}
	return median(vs)
}

// rowKey is a scenario at a level.
type rowKey struct {
	scenario string
	clients  int
}

// columns of the side-by-side table: name, value, format.
var columns = []struct {
	name   string
	get    func(figures) float64
	format string
}{
	{"ops/s", func(f figures) float64 { return f.ops }, "%.0f"},
	{"p50 ms", func(f figures) float64 { return f.p50 }, "%.2f"},
	{"p99 ms", func(f figures) float64 { return f.p99 }, "%.2f"},
	{"server CPU µs/op", func(f figures) float64 { return f.cpuPerOp }, "%.1f"},
	{"disk B/op", func(f figures) float64 { return f.diskOp }, "%.0f"},
	{"peak RSS MiB", func(f figures) float64 { return f.peakMiB }, "%.1f"},
}

func format(f string, v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	return fmt.Sprintf(f, v)
}

// writeSideBySide prints, per scenario and level, the medians of each side
// and their ratio luckbox/peer, then the checks.
func writeSideBySide(w io.Writer, runs []sideRun) {
	var keys []rowKey
	cells := map[string]map[rowKey]*cell{sideLuckbox: {}, sidePeer: {}}
	rounds := map[string]int{}
	for _, run := range runs {
		rounds[run.side]++
		for _, r := range run.reports {
			k := rowKey{r.Scenario, r.Concurrency}
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
			c := cells[run.side][k]
			if c == nil {
				c = &cell{}
				cells[run.side][k] = c
			}
			c.runs = append(c.runs, figuresOf(r))
			if r.Failure != nil {
				c.failed = append(c.failed, fmt.Sprintf("round %d: %v", run.round, r.Failure))
			}
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "scenario\tclients\tside\t")
	for _, col := range columns {
		fmt.Fprintf(tw, "%s\t", col.name)
	}
	fmt.Fprintln(tw, "checks\t")
	for _, k := range keys {
		lb, pr := cells[sideLuckbox][k], cells[sidePeer][k]
		for i, side := range []string{sideLuckbox, sidePeer} {
			c := cells[side][k]
			name, clients := "", ""
			if i == 0 {
				name, clients = k.scenario, fmt.Sprint(k.clients)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t", name, clients, side)
			for _, col := range columns {
				v := math.NaN()
				if c != nil {
					v = c.median(col.get)
				}
				fmt.Fprintf(tw, "%s\t", format(col.format, v))
			}
			fmt.Fprintf(tw, "%s\t\n", checkCell(c, rounds[side]))
		}
		fmt.Fprint(tw, "\t\tluckbox/peer\t")
		for _, col := range columns {
			v := math.NaN()
			if lb != nil && pr != nil {
				v = lb.median(col.get) / pr.median(col.get)
			}
			fmt.Fprintf(tw, "%s\t", format("%.2f×", v))
		}
		fmt.Fprintln(tw, "\t")
	}
	tw.Flush()
	fmt.Fprintln(w, "\nops/s and latency: every request of the measured phase; the peer's CPU, disk writes (write_bytes of")
	fmt.Fprintln(w, "/proc/<pid>/io) and peak RSS are those of redispeer and redis-server added up; peak RSS: during the scenario.")
	writeSideChecks(w, runs)
}

// checkCell is "ok" when every round's checks passed, else how many failed.
func checkCell(c *cell, rounds int) string {
	switch {
	case c == nil:
		return "not run"
	case len(c.failed) == 0:
		return fmt.Sprintf("ok %d/%d", len(c.runs), rounds)
	default:
		return fmt.Sprintf("FAILED %d/%d", len(c.failed), len(c.runs))
	}
}

// writeSideChecks lists what each side's checks verified in the first round
// and every failure of any round.
func writeSideChecks(w io.Writer, runs []sideRun) {
	fmt.Fprintln(w, "\nchecks (first round):")
	for _, run := range runs {
		if run.round != 1 {
			continue
		}
		for _, r := range run.reports {
			if r.Failure == nil {
				fmt.Fprintf(w, "  %s, %s (%d clients): %s\n", run.side, r.Scenario, r.Concurrency, strings.Join(r.Checks, "; "))
			}
		}
	}
	for _, run := range runs {
		for _, r := range run.reports {
			if r.Failure != nil {
				fmt.Fprintf(w, "  CHECK FAILED: round %d, %s, %s (%d clients): %v\n", run.round, run.side, r.Scenario, r.Concurrency, r.Failure)
			}
		}
	}
}
