package loadgen

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Scenario is one benchmark: it sets up what it needs, runs a measured phase
// and checks the server's state afterwards.
type Scenario struct {
	Name, Summary string
	Run           func(ctx context.Context, e *Env) (*Report, error)
}

// Scenarios lists every scenario in the order `all` runs them: ping first (the
// HTTP ceiling, to compare grab-hot with), the heavy draw and the restart of
// the server last.
var Scenarios = []Scenario{
	{"ping", "GET /healthz: the HTTP ceiling of the machine", runPing},
	{"grab-hot", "many users grab a few hot red packets", runGrabHot},
	{"grab-spread", "grabs spread over many active red packets", runGrabSpread},
	{"storm", "every user grabs each of many small packets: successes and 410 exhausted", runStorm},
	{"join", "concurrent lottery joins", runJoin},
	{"exchange", "every gift-exchange participant draws at once", runExchange},
	{"draw", "load one lottery with many entries, then time its draw", runDraw},
	{"restart", "restart the server on its file: time to /readyz and memory", runRestart},
}

// Lookup finds scenarios by name: a comma-separated list, or "all".
func Lookup(names string) ([]Scenario, error) {
	if names == "all" {
		return Scenarios, nil
	}
	var out []Scenario
	for _, n := range strings.Split(names, ",") {
		n = strings.TrimSpace(n)
		found := false
		for _, s := range Scenarios {
			if s.Name == n {
				out = append(out, s)
				found = true
			}
		}
		if !found {
			var known []string
			for _, s := range Scenarios {
				known = append(known, s.Name)
			}
			return nil, fmt.Errorf("unknown scenario %q (known: %s, all)", n, strings.Join(known, ", "))
		}
	}
	return out, nil
}

// RunScenario runs s and fills in the report's name, concurrency, set-up
// time and the serving processes' memory (peak: during the scenario).
func RunScenario(ctx context.Context, e *Env, s Scenario) (*Report, error) {
	start := time.Now()
	peakReset := e.ResetPeakMemory() == nil
	r, err := s.Run(ctx, e)
	if r != nil {
		r.Scenario = s.Name
		r.Concurrency = e.Opt.Concurrency
		r.Setup = max(0, time.Since(start)-r.Elapsed)
		if m, err := e.ServerMemory(); err == nil {
			r.Memory = &m
			since := "since the server started"
			if peakReset {
				since = "during the scenario"
			}
			r.fact("server memory", "RSS %s now (anonymous %s, file-mapped %s), peak RSS %s %s",
				MB(m.RSS), MB(m.Anon), MB(m.File), MB(m.Peak), since)
		}
	}
	return r, err
}

func runPing(ctx context.Context, e *Env) (*Report, error) {
	r := &Report{}
	res := e.measure(ctx, "ping", Load{Workers: e.Opt.Concurrency, Duration: e.Opt.Duration}, func(ctx context.Context, w int, _ int64) (string, error) {
		resp, err := e.do(ctx, w, "GET", "/healthz", "")
		if err != nil {
			return "", err
		}
		if resp.Status != 200 {
			return "", newError("GET", "/healthz", resp)
		}
		return "ok", nil
	})
	r.addResult(res)
	r.check("every answer 200")
	return r, nil
}
