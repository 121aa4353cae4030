package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"luckbox/lottery"
)

// verifyLottery checks a lottery proof: the draw recomputed, and the proof
// anchored to the lottery id and seed_hash given on the command line and,
// for a URL, to those the lottery itself publishes.
func verifyLottery(ctx context.Context, raw []byte, f verifyFlags, stdout io.Writer) error {
	p, err := lottery.ParseProof(raw)
	if err != nil {
		return fmt.Errorf("verify: %s is not a lottery proof: %w", f.src, err)
	}
	c, from, clash, err := lotteryCommitment(ctx, f)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	total := 0
	prizes := make([]string, len(p.Prizes))
	for i, pr := range p.Prizes {
		prizes[i] = fmt.Sprintf("%s ×%d", pr.Name, pr.Quantity)
		total += max(pr.Quantity, 0)
	}
	fmt.Fprintf(stdout, "proof:        %s\n", f.src)
	fmt.Fprintf(stdout, "lottery:      %s\n", p.LotteryID)
	fmt.Fprintf(stdout, "algorithm:    %s\n", p.Algorithm)
	fmt.Fprintf(stdout, "seed:         %s\n", p.Seed)
	fmt.Fprintf(stdout, "seed_hash:    %s\n", p.SeedHash)
	fmt.Fprintf(stdout, "entries:      %d, entries_hash %s\n", len(p.Entries), p.EntriesHash)
	fmt.Fprintf(stdout, "prizes:       %s (%d in all)\n", strings.Join(prizes, ", "), total)
	fmt.Fprintf(stdout, "winners:      %d listed\n", len(p.Winners))
	for _, rd := range p.Redraws {
		fmt.Fprintf(stdout, "redraw %d:     seed_hash %s committed %s, deadline %s; %d lapsed, %d winners listed\n",
			rd.Round, rd.SeedHash, rd.CommittedAt, rd.Deadline, len(rd.Lapsed), len(rd.Winners))
	}
	if len(from) > 0 {
		fmt.Fprintf(stdout, "anchored to:  %s\n", strings.Join(from, "; "))
	}
	fmt.Fprintln(stdout, "checking:     the algorithm; the lottery id and seed_hash against the commitment; seed_hash =")
	fmt.Fprintln(stdout, "              SHA-256(seed); entries well formed and hashing to entries_hash; the prizes;")
	fmt.Fprintln(stdout, "              every winner recomputed from seed and entries, in draw order")
	if len(p.Redraws) > 0 {
		fmt.Fprintln(stdout, "              then each redraw round: its seed against its commitment, committed before the")
		fmt.Fprintln(stdout, "              deadline; the lapsed winners and their prizes; the eligible entries (never won);")
		fmt.Fprintln(stdout, "              every redraw winner recomputed")
	}
	if clash == nil {
		clash = p.VerifyAgainst(c)
	}
	ok := fmt.Sprintf("winners match (%d winners recomputed from %d entries)", len(p.Winners), len(p.Entries))
	if len(p.Redraws) > 0 {
		ok += fmt.Sprintf(", and the %d redraw rounds", len(p.Redraws))
	}
	err = verdict(stdout, clash, ok)
	if err == nil && c.SeedHash == "" {
		fmt.Fprintf(stdout, "WARNING: not anchored: nothing ties this proof to the seed_hash lottery %s published when it\n", p.LotteryID)
		fmt.Fprintln(stdout, "  was created, so a proof re-drawn with another seed would pass as well. Check it against the")
		fmt.Fprintln(stdout, "  seed_hash you saw when you joined (the join answer, the lottery page, the result in your inbox):")
		fmt.Fprintf(stdout, "  luckbox verify --lottery %s --seed-hash HEX %s\n", p.LotteryID, f.src)
	}
	return err
}

// lotteryCommitment is what the proof must match: --lottery and --seed-hash,
// and for the URL of a lottery (or of its proof) the id and
// fairness.seed_hash the lottery publishes, which must agree with them.
// from says where each part came from; clash is set when the lottery
// publishes another id or seed_hash than the command line says.
func lotteryCommitment(ctx context.Context, f verifyFlags) (c lottery.Commitment, from []string, clash, err error) {
	c = lottery.Commitment{LotteryID: f.lotteryID, SeedHash: f.seedH}
	if c.LotteryID != "" {
		from = append(from, "lottery "+c.LotteryID+" (--lottery)")
	}
	if c.SeedHash != "" {
		from = append(from, "seed_hash "+c.SeedHash+" (--seed-hash)")
	}
	m := lotteryURL.FindStringSubmatch(f.src)
	if m == nil {
		return c, from, nil, nil
	}
	raw, err := fetch(ctx, m[1], f.token)
	if err != nil {
		return c, from, nil, fmt.Errorf("the lottery of the proof: %w", err)
	}
	var l struct {
		ID       string `json:"id"`
		Fairness struct {
			SeedHash string `json:"seed_hash"`
		} `json:"fairness"`
	}
	if json.Unmarshal(raw, &l) != nil || l.ID == "" {
		return c, from, nil, fmt.Errorf("%s does not answer a lottery", m[1])
	}
	switch {
	case c.LotteryID != "" && l.ID != c.LotteryID:
		return c, from, fmt.Errorf("%s is lottery %s, not %s (--lottery)", m[1], l.ID, c.LotteryID), nil
	case c.SeedHash != "" && l.Fairness.SeedHash != c.SeedHash:
		return c, from, fmt.Errorf("lottery %s publishes seed_hash %s, not the %s you saw (--seed-hash)", l.ID, l.Fairness.SeedHash, c.SeedHash), nil
	}
	c = lottery.Commitment{LotteryID: l.ID, SeedHash: l.Fairness.SeedHash}
	return c, append(from, "lottery "+l.ID+" and its published seed_hash "+l.Fairness.SeedHash+" ("+m[1]+")"), nil, nil
}
