package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"luckbox/lottery"
)

// stdin is where `luckbox verify --proof -` reads (a variable for tests).
var stdin io.Reader = os.Stdin

// maxProof bounds a proof read by verify (a million entries is ~30 MB).
const maxProof = 256 << 20

// runVerify is `luckbox verify FILE|URL|-` (or --proof FILE|URL|-): it reads a lottery's
// fairness proof (GET /api/v1/lotteries/{id}/proof), recomputes the draw
// offline with luckbox-draw-v1 and says whether the winners match. A
// mismatch is an error (exit status 1).
func runVerify(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("verify", stdout)
	src := fs.String("proof", "", "the proof: a JSON file, an http(s) URL of GET /api/v1/lotteries/{id}/proof, or - for standard input")
	token := fs.String("token", "", "bearer token sent with a proof URL (the API needs a logged-in user's token)")
	rest, err := parseFlagsArgs(fs, args, env, 1)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 1:
		return fmt.Errorf("verify: one proof at a time, got %q and %q", rest[0], rest[1])
	case len(rest) == 1 && *src != "" && *src != rest[0]:
		return fmt.Errorf("verify: the proof is named twice (%q and --proof %q)", rest[0], *src)
	case len(rest) == 1:
		*src = rest[0]
	case *src == "":
		return errors.New("verify: name the proof: luckbox verify FILE|URL|- (or --proof)")
	}
	raw, err := readProof(ctx, *src, *token)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	var p lottery.Proof
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("verify: %s is not a proof: %w", *src, err)
	}
	total := 0
	prizes := make([]string, len(p.Prizes))
	for i, pr := range p.Prizes {
		prizes[i] = fmt.Sprintf("%s ×%d", pr.Name, pr.Quantity)
		total += max(pr.Quantity, 0)
	}
	fmt.Fprintf(stdout, "proof:        %s\n", *src)
	fmt.Fprintf(stdout, "algorithm:    %s\n", p.Algorithm)
	fmt.Fprintf(stdout, "seed:         %s\n", p.Seed)
	fmt.Fprintf(stdout, "seed_hash:    %s\n", p.SeedHash)
	fmt.Fprintf(stdout, "entries:      %d, entries_hash %s\n", len(p.Entries), p.EntriesHash)
	fmt.Fprintf(stdout, "prizes:       %s (%d in all)\n", strings.Join(prizes, ", "), total)
	fmt.Fprintf(stdout, "winners:      %d listed\n", len(p.Winners))
	fmt.Fprintln(stdout, "checking:     the algorithm; seed_hash = SHA-256(seed); entries well formed and hashing to")
	fmt.Fprintln(stdout, "              entries_hash; prize quantities; every winner recomputed from seed and entries")
	if err := p.Verify(); err != nil {
		fmt.Fprintf(stdout, "MISMATCH: %v\n", err)
		return fmt.Errorf("verify: the proof does not hold: %w", err)
	}
	fmt.Fprintf(stdout, "OK: winners match (%d winners recomputed from %d entries)\n", len(p.Winners), len(p.Entries))
	return nil
}

// readProof reads the proof from a file, an http(s) URL or standard input.
func readProof(ctx context.Context, src, token string) ([]byte, error) {
	var r io.Reader
	switch {
	case src == "-":
		r = stdin
	case strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://"):
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
		if err != nil {
			return nil, fmt.Errorf("proof URL: %w", err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set("Accept", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, fmt.Errorf("fetch proof: %w", err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
			return nil, fmt.Errorf("fetch proof: %s: %s", res.Status, strings.TrimSpace(string(body)))
		}
		r = res.Body
	default:
		f, err := os.Open(src)
		if err != nil {
			return nil, fmt.Errorf("read proof: %w", err)
		}
		defer f.Close()
		r = f
	}
	raw, err := io.ReadAll(io.LimitReader(r, maxProof+1))
	if err != nil {
		return nil, fmt.Errorf("read proof: %w", err)
	}
	if len(raw) > maxProof {
		return nil, fmt.Errorf("read proof: over %d bytes", maxProof)
	}
	return raw, nil
}
