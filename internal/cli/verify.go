package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"

	"luckbox/lottery"
)

// stdin is where `luckbox verify -` reads (a variable for tests).
var stdin io.Reader = os.Stdin

// maxProof bounds a proof read by verify (a million entries is ~30 MB).
const maxProof = 256 << 20

// verifyFlags are the settings of `luckbox verify`.
type verifyFlags struct {
	src, token       string
	kind             string // "", kindLottery or kindPacket
	lotteryID, seedH string // lottery anchors
	commit           string // packet anchor
}

// Kinds of what verify checks.
const (
	kindLottery = "lottery"
	kindPacket  = "packet"
)

// runVerify is `luckbox verify [flags] SOURCE`: it reads a lottery's fairness
// proof (GET /api/v1/lotteries/{id}/proof) or a lucky red packet (GET
// /api/v1/packets/{id}) from a file, a URL or standard input, recomputes it
// offline (docs/fairness.md) and says whether it holds and whether it is
// anchored to the commitment published before the draw or the first grab.
// A proof that does not hold is an error (exit status 1).
func runVerify(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("verify", stdout)
	proof := fs.String("proof", "", "a lottery proof: a JSON file, an http(s) URL of GET /api/v1/lotteries/{id}/proof (or of the lottery), or - for standard input")
	packet := fs.String("packet", "", "a lucky red packet, finished or expired: a JSON file, an http(s) URL of GET /api/v1/packets/{id}, or - for standard input")
	token := fs.String("token", "", "bearer token sent with a URL (the API needs a logged-in user's token)")
	lotteryID := fs.String("lottery", "", "the id of the lottery the proof must be for")
	seedHash := fs.String("seed-hash", "", "the seed_hash the lottery published when it was created (the join answer, the lottery page, the result in the inbox): the proof must carry it")
	commit := fs.String("commit", "", "a packet's split.commit as published when it was sent: the revealed split must match it")
	rest, err := parseFlagsArgs(fs, args, env, 1)
	if err != nil {
		return err
	}
	f, err := verifySettings(rest, *proof, *packet, *token, *lotteryID, *seedHash, *commit)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	raw, err := readSource(ctx, f.src, f.token)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if f.kind == "" {
		if f.kind, err = detectKind(raw); err != nil {
			return fmt.Errorf("verify: %s: %w", f.src, err)
		}
	}
	if f.kind == kindPacket {
		if f.lotteryID != "" || f.seedH != "" {
			return errors.New("verify: --lottery and --seed-hash are for lottery proofs; a packet takes --commit")
		}
		return verifyPacket(raw, f, stdout)
	}
	if f.commit != "" {
		return errors.New("verify: --commit is for red packets; a lottery proof takes --seed-hash and --lottery")
	}
	return verifyLottery(ctx, raw, f, stdout)
}

// verifySettings checks the command line of verify: one source, named once,
// and anchors in canonical form (hex of either case is accepted and
// lower-cased).
func verifySettings(rest []string, proof, packet, token, lotteryID, seedHash, commit string) (verifyFlags, error) {
	f := verifyFlags{token: token, lotteryID: lotteryID, seedH: strings.ToLower(seedHash), commit: strings.ToLower(commit)}
	named, flagName := 0, ""
	for _, s := range []struct{ src, kind, flag string }{{proof, kindLottery, "--proof"}, {packet, kindPacket, "--packet"}} {
		if s.src != "" {
			f.src, f.kind, flagName = s.src, s.kind, s.flag
			named++
		}
	}
	switch {
	case len(rest) > 1:
		return f, fmt.Errorf("one proof at a time, got %q and %q", rest[0], rest[1])
	case named > 1:
		return f, errors.New("--proof and --packet name two sources: one at a time")
	case len(rest) == 1 && named == 1 && f.src != rest[0]:
		return f, fmt.Errorf("the proof is named twice (%q and %s %q)", rest[0], flagName, f.src)
	case len(rest) == 1:
		f.src = rest[0]
	case named == 0:
		return f, errors.New("name the proof: luckbox verify FILE|URL|- (a lottery proof or a red packet; or --proof, --packet)")
	}
	if f.lotteryID != "" && !lottery.IsIDString(f.lotteryID) {
		return f, fmt.Errorf("--lottery %q is not a lottery id", f.lotteryID)
	}
	for _, h := range []struct{ name, v string }{{"--seed-hash", f.seedH}, {"--commit", f.commit}} {
		if h.v != "" && !lottery.IsHex32(h.v) {
			return f, fmt.Errorf("%s %q is not a SHA-256 hash (64 hex digits)", h.name, h.v)
		}
	}
	return f, nil
}

// detectKind tells a lottery proof (it names its algorithm) from a red
// packet (it has a split).
func detectKind(raw []byte) (string, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return "", fmt.Errorf("not a JSON object: %w", err)
	}
	switch {
	case members["algorithm"] != nil:
		return kindLottery, nil
	case members["split"] != nil:
		return kindPacket, nil
	}
	return "", errors.New("neither a lottery proof (no algorithm) nor a red packet (no split)")
}

// lotteryURL matches the URL of a lottery or of its proof: group 1 is the
// lottery's URL, group 2 its id.
var lotteryURL = regexp.MustCompile(`^(https?://.+/api/v1/lotteries/([^/?#]+))(/proof)?/?$`)

// isURL reports whether src names an http(s) URL.
func isURL(src string) bool {
	return strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://")
}

// readSource reads a proof from a file, an http(s) URL or standard input ("-").
// The URL of a lottery reads its proof.
func readSource(ctx context.Context, src, token string) ([]byte, error) {
	switch {
	case src == "-":
		return readLimited(stdin, "read proof")
	case isURL(src):
		if m := lotteryURL.FindStringSubmatch(src); m != nil {
			src = m[1] + "/proof"
		}
		return fetch(ctx, src, token)
	}
	f, err := os.Open(src)
	if err != nil {
		return nil, fmt.Errorf("read proof: %w", err)
	}
	defer f.Close()
	return readLimited(f, "read proof")
}

// fetch GETs url with the bearer token and returns the body of a 200.
func fetch(ctx context.Context, url, token string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("URL %s: %w", url, err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Accept", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return nil, fmt.Errorf("fetch %s: %s: %s", url, res.Status, strings.TrimSpace(string(body)))
	}
	return readLimited(res.Body, "fetch "+url)
}

// readLimited reads r whole, up to maxProof bytes.
func readLimited(r io.Reader, what string) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxProof+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if len(raw) > maxProof {
		return nil, fmt.Errorf("%s: over %d bytes", what, maxProof)
	}
	return raw, nil
}

// verdict prints the outcome of a check: OK with what held, or MISMATCH with
// the first rule broken (an error, exit status 1).
func verdict(stdout io.Writer, err error, ok string) error {
	if err != nil {
		fmt.Fprintf(stdout, "MISMATCH: %v\n", err)
		return fmt.Errorf("verify: the proof does not hold: %w", err)
	}
	fmt.Fprintf(stdout, "OK: %s\n", ok)
	return nil
}
