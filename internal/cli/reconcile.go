package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"luckbox/packet"
)

// errMismatches is returned (exit status 1) when a reconciliation finds
// mismatches or could not get its bill.
var errMismatches = errors.New("reconciliation found mismatches")

// runReconcile is `luckbox reconcile --date YYYY-MM-DD --server URL
// --admin-token T`: the running server downloads that day's WeChat Pay
// trade bill, checks its hash, compares it with its orders and refunds and
// stores the result (POST /api/v1/admin/reconciliations); the command
// prints it and fails when anything does not match.
func runReconcile(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("reconcile", stdout)
	date := fs.String("date", "", "bill day to reconcile, YYYY-MM-DD in Beijing time (default: yesterday)")
	server := fs.String("server", "http://127.0.0.1:8080", "base URL of the running server")
	token := fs.String("admin-token", "", "admin token of --server")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := parseFlags(fs, args, env); err != nil {
		return err
	}
	if *token == "" {
		return errors.New("missing --admin-token (or LUCKBOX_ADMIN_TOKEN): reconciliation is for the admin")
	}
	if *date == "" {
		*date = time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, -1).Format(time.DateOnly)
	}
	if _, err := time.Parse(time.DateOnly, *date); err != nil {
		return fmt.Errorf("invalid --date %q: must be YYYY-MM-DD", *date)
	}
	rec, err := postReconcile(ctx, strings.TrimRight(*server, "/"), *token, *date)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rec); err != nil {
			return err
		}
	} else {
		printReconciliation(stdout, rec)
	}
	if rec.Error != "" || len(rec.Mismatches) > 0 {
		return errMismatches
	}
	return nil
}

// postReconcile asks the server to reconcile date.
func postReconcile(ctx context.Context, server, token, date string) (packet.Reconciliation, error) {
	var rec packet.Reconciliation
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	body, _ := json.Marshal(map[string]string{"date": date})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, server+"/api/v1/admin/reconciliations", bytes.NewReader(body))
	if err != nil {
		return rec, fmt.Errorf("--server %s: %w", server, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "reconcile-"+date+"-"+time.Now().UTC().Format("150405.000000000"))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return rec, fmt.Errorf("reconcile on %s: %w", server, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return rec, fmt.Errorf("reconcile on %s: %w", server, err)
	}
	if res.StatusCode != http.StatusOK {
		return rec, fmt.Errorf("reconcile on %s: %s: %s", server, res.Status, strings.TrimSpace(string(raw)))
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return rec, fmt.Errorf("reconcile on %s: answer: %w", server, err)
	}
	return rec, nil
}

func printReconciliation(w io.Writer, rec packet.Reconciliation) {
	fmt.Fprintf(w, "luckbox reconcile of %s (WeChat Pay trade bill)\n\n", rec.Date)
	if rec.Error != "" {
		fmt.Fprintf(w, "  FAIL  no bill: %s\n", rec.Error)
		return
	}
	fmt.Fprintf(w, "  bill records %d; luckbox payments %d, refunds %d\n\n", rec.BillRows, rec.Payments, rec.Refunds)
	for _, m := range rec.Mismatches {
		fmt.Fprintf(w, "  %-18s %s  bill %d fen, luckbox %d fen: %s\n", m.Kind, m.Ref, m.Bill, m.Ours, m.Detail)
	}
	if len(rec.Mismatches) == 0 {
		fmt.Fprintln(w, "  no mismatches")
	}
}
