package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"
)

// ExchangeResult is one row of GET /admin/exchanges/{id}/results.
type ExchangeResult struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Phone     string  `json:"phone"`
	Group     string  `json:"group"`
	Drawn     bool    `json:"drawn"`
	Recipient *string `json:"recipient"`
}

// CheckExchange checks a started exchange whose participants have all drawn:
// everyone drew, the recipients are a single cycle through everyone (so
// each name is drawn exactly once), nobody draws themselves or someone of
// their own group, and told[name] (what each participant's draw answered) is
// the recipient the results show.
func CheckExchange(rows []ExchangeResult, told map[string]string) error {
	byName := make(map[string]ExchangeResult, len(rows))
	for _, r := range rows {
		if _, dup := byName[r.Name]; dup {
			return fmt.Errorf("participant name %q appears twice", r.Name)
		}
		byName[r.Name] = r
	}
	received := make(map[string]bool, len(rows))
	for _, r := range rows {
		if !r.Drawn || r.Recipient == nil {
			return fmt.Errorf("%s has not drawn", r.Name)
		}
		to, ok := byName[*r.Recipient]
		switch {
		case !ok:
			return fmt.Errorf("%s gives to %q, who is not a participant", r.Name, *r.Recipient)
		case to.Name == r.Name:
			return fmt.Errorf("%s gives to themselves", r.Name)
		case r.Group != "" && to.Group == r.Group:
			return fmt.Errorf("%s gives to %s of the same group %q", r.Name, to.Name, r.Group)
		case received[to.Name]:
			return fmt.Errorf("%s receives twice", to.Name)
		}
		received[to.Name] = true
		if t, ok := told[r.Name]; ok && t != to.Name {
			return fmt.Errorf("%s was told %q, the results say %q", r.Name, t, to.Name)
		}
	}
	if len(told) != len(rows) {
		return fmt.Errorf("%d participants drew, %d are listed", len(told), len(rows))
	}
	// One cycle: following recipients from anyone visits everyone.
	if len(rows) > 0 {
		cur, steps := rows[0].Name, 0
		for {
			cur = *byName[cur].Recipient
			steps++
			if cur == rows[0].Name {
				break
			}
		}
		if steps != len(rows) {
			return fmt.Errorf("the assignment is not one cycle: a cycle of %d of %d participants", steps, len(rows))
		}
	}
	return nil
}

// runExchange: ExchangeParticipants users bind phones, the admin imports them
// (groups of ten who must not draw each other) and starts the exchange, then
// every participant draws at once.
func runExchange(ctx context.Context, e *Env) (*Report, error) {
	r := &Report{}
	if e.C.AdminToken == "" {
		r.note("skipped: the exchange scenario needs the admin token (--admin-token)")
		return r, nil
	}
	n := e.Opt.ExchangeParticipants
	users, err := e.Users(ctx, n)
	if err != nil {
		return nil, err
	}
	base := rand.IntN(900_000_000 - n)
	phone := func(i int) string { return fmt.Sprintf("13%09d", base+i) }
	name := func(i int) string { return fmt.Sprintf("p%d", i) }
	start := time.Now()
	err = parallel(ctx, n, e.setupWorkers(), func(ctx context.Context, i int) error {
		return e.C.BindPhone(ctx, users[i], phone(i))
	})
	if err != nil {
		return nil, fmt.Errorf("bind phones: %w", err)
	}
	e.logf("bound %d phones in %s", n, time.Since(start).Round(time.Millisecond))
	var ex struct {
		ID string `json:"id"`
	}
	if _, err := e.C.Call(ctx, "POST", "/api/v1/admin/exchanges", e.C.AdminToken, map[string]string{"title": "bench " + e.tag}, &ex, 201); err != nil {
		return nil, err
	}
	var csv bytes.Buffer
	csv.WriteString("name,phone,group,exclude\n")
	for i := range n {
		fmt.Fprintf(&csv, "%s,%s,g%d,\n", name(i), phone(i), i/10)
	}
	resp, err := e.C.Do(ctx, "POST", "/api/v1/admin/exchanges/"+ex.ID+"/participants", e.C.AdminToken, csv.Bytes(), "text/csv")
	if err != nil {
		return nil, err
	}
	if resp.Status != 200 {
		return nil, fmt.Errorf("import participants: %w", newError("POST", "participants", resp))
	}
	start = time.Now()
	if _, err := e.C.Call(ctx, "POST", "/api/v1/admin/exchanges/"+ex.ID+"/start", e.C.AdminToken, nil, nil, 200); err != nil {
		return nil, fmt.Errorf("start exchange: %w", err)
	}
	r.fact("start", "assignment of %d participants in groups of 10 computed in %s ms (POST /start)", n, ms(time.Since(start)))

	path := "/api/v1/exchanges/" + ex.ID + "/draw"
	told := make([]string, n)
	res := e.measure(ctx, "exchange", Load{Workers: e.Opt.Concurrency, Total: int64(n)},
		func(ctx context.Context, w int, i int64) (string, error) {
			resp, err := e.do(ctx, w, "POST", path, users[i].Token)
			if err != nil {
				return "", err
			}
			if resp.Status != 200 {
				return "", newError("POST", path, resp)
			}
			var out struct {
				Recipient struct {
					Name string `json:"name"`
				} `json:"recipient"`
			}
			if err := json.Unmarshal(resp.Body, &out); err != nil || out.Recipient.Name == "" {
				return "", fmt.Errorf("draw answer %q: %v", resp.Body, err)
			}
			told[i] = out.Recipient.Name
			return "draw", nil
		})
	r.addResult(res)
	if res.Errors > 0 {
		return r, nil
	}
	var results struct {
		Items []ExchangeResult `json:"items"`
	}
	if _, err := e.C.Call(ctx, "GET", "/api/v1/admin/exchanges/"+ex.ID+"/results", e.C.AdminToken, nil, &results, 200); err != nil {
		r.fail(err)
		return r, nil
	}
	byName := make(map[string]string, n)
	for i, t := range told {
		byName[name(i)] = t
	}
	if err := CheckExchange(results.Items, byName); err != nil {
		r.fail(fmt.Errorf("exchange %s: %w", ex.ID, err))
	} else {
		r.check("%d participants drew; one cycle, nobody draws themselves or their group, answers match the results", n)
	}
	return r, nil
}
