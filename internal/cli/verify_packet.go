package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"luckbox/packet"
)

// verifyPacket checks a finished or expired lucky red packet: its revealed
// split against the commitment it published when it was sent (and against
// --commit), the shares, the grabs and the remainder.
func verifyPacket(raw []byte, f verifyFlags, stdout io.Writer) error {
	p, err := packet.ParsePacket(raw)
	if err != nil {
		return fmt.Errorf("verify: %s is not a red packet: %w", f.src, err)
	}
	fmt.Fprintf(stdout, "packet:       %s\n", f.src)
	fmt.Fprintf(stdout, "id:           %s\n", p.ID)
	fmt.Fprintf(stdout, "kind:         %s, %d shares, %d fen, %s\n", p.Kind, p.Count, p.Amount, p.Status)
	if s := p.Split; s != nil {
		fmt.Fprintf(stdout, "commit:       %s\n", s.Commit)
		if s.Salt != nil {
			fmt.Fprintf(stdout, "salt:         %s\n", *s.Salt)
		}
		if s.Shares != nil {
			shares := make([]string, len(s.Shares))
			for i, x := range s.Shares {
				shares[i] = strconv.FormatInt(x, 10)
			}
			fmt.Fprintf(stdout, "shares:       %s\n", strings.Join(shares, ","))
		}
	}
	fmt.Fprintf(stdout, "grabs:        %d, remaining %d fen, refunded %d fen\n", len(p.Grabs), p.RemainingAmount, p.RefundedAmount)
	if f.commit != "" {
		fmt.Fprintf(stdout, "anchored to:  commit %s (--commit)\n", f.commit)
	}
	fmt.Fprintln(stdout, "checking:     commit = SHA-256(salt ‖ shares); the shares against count and amount; grab i got")
	fmt.Fprintln(stdout, "              share i; grabs + remaining + refunded = amount; best luck")
	err = verdict(stdout, p.VerifySplit(f.commit), fmt.Sprintf("the split matches its commitment (%d shares, %d fen, %d grabbed)", p.Count, p.Amount, len(p.Grabs)))
	if err == nil && f.commit == "" {
		fmt.Fprintf(stdout, "WARNING: not anchored: the commitment checked is the one this packet shows now. Check it against the\n")
		fmt.Fprintf(stdout, "  split.commit you saw before the first grab: luckbox verify --commit HEX %s\n", f.src)
	}
	return err
}
