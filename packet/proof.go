package packet

import (
	"encoding/hex"

	"luckbox/data"
)

// Rules of a lucky packet's split, in the order VerifySplit checks them; its
// error is a *data.RuleError naming the first one broken (data.RuleOf).
// docs/fairness.md states each.
const (
	RuleFormat    = data.RuleFormat // not a packet as GET /api/v1/packets/{id} shows it
	RuleKind      = "kind"          // only a lucky packet has a split commitment
	RuleRevealed  = "revealed"      // salt and shares are revealed (finished or expired)
	RuleHex       = "hex"           // commit and salt: 64 lowercase hex digits
	RuleAnchor    = "anchor.commit" // commit is the one published when the packet was sent
	RuleCommit    = "commit"        // commit = SHA-256(salt ‖ "s0,s1,…")
	RuleShares    = "shares"        // count shares, each ≥ 1, adding up to amount
	RuleGrabs     = "grabs"         // grab i got shares[i]; all grabbed when finished
	RuleRemainder = "remainder"     // grabs + remaining + refunded == amount, the rest of the shares
	RuleBestLuck  = "best_luck"     // finished: the largest share, earliest on ties; else none
)

// maxShare is the largest share a split may hold: 2^53 − 1, the largest
// integer every JSON parser reads exactly.
const maxShare = 1<<53 - 1

// ParsePacket decodes a packet as GET /api/v1/packets/{id} returns it, for
// VerifySplit: the members the check reads, those of every grab included,
// must be present and of their types (RuleFormat).
func ParsePacket(raw []byte) (Packet, error) {
	var p Packet
	if err := data.DecodeRecord(raw, &p, "packet", []string{"id", "kind", "count", "amount", "status", "remaining_amount", "refunded_amount", "grabs", "split"}, "split"); err != nil {
		return Packet{}, err
	}
	return p, data.RequireItems(raw, "grabs", "grab", "amount", "best_luck")
}

// VerifySplit checks a finished or expired lucky packet against the
// commitment it published when it was sent: commit is well formed and, when
// wantCommit is set (64 lowercase hex digits, as seen before the first grab),
// equal to it; SHA-256(salt ‖ shares) is commit; the shares are count amounts
// of at least 1 fen adding up to amount; grab i got shares[i]; the grabs, the
// remaining and the refunded amounts add up to amount and the ungrabbed
// shares; best luck is the largest share (earliest on ties) of a finished
// packet. The error is a *data.RuleError naming the first rule broken.
func (p Packet) VerifySplit(wantCommit string) error {
	if p.Kind != KindLucky {
		return data.Broken(RuleKind, "packet %s is %q: only lucky packets have a random split to verify", p.ID, p.Kind)
	}
	if p.Split == nil {
		return data.Broken(RuleFormat, "lucky packet %s has no split", p.ID)
	}
	if p.Split.Salt == nil || p.Split.Shares == nil {
		return data.Broken(RuleRevealed, "packet %s is %s: its salt and shares are revealed once it is finished or expired", p.ID, p.Status)
	}
	s := p.Split
	if _, ok := decodeHex32(s.Commit); !ok {
		return data.Broken(RuleHex, "commit %q is not 64 lowercase hex digits", s.Commit)
	}
	salt, ok := decodeHex32(*s.Salt)
	if !ok {
		return data.Broken(RuleHex, "salt %q is not 64 lowercase hex digits", *s.Salt)
	}
	if wantCommit != "" && s.Commit != wantCommit {
		return data.Broken(RuleAnchor, "commit %s is not the commitment %s published when the packet was sent", s.Commit, wantCommit)
	}
	for i, x := range s.Shares {
		if x < 1 || x > maxShare {
			return data.Broken(RuleShares, "share %d is %d fen, want 1 to 2^53-1", i, x)
		}
	}
	if c := SplitCommit(salt, s.Shares); hex.EncodeToString(c[:]) != s.Commit {
		return data.Broken(RuleCommit, "SHA-256(salt ‖ shares) is %s, not the commitment %s", hex.EncodeToString(c[:]), s.Commit)
	}
	var sum int64
	for _, x := range s.Shares {
		sum += x
	}
	if len(s.Shares) != p.Count || sum != p.Amount {
		return data.Broken(RuleShares, "%d shares adding up to %d fen, but the packet has %d shares of %d fen in all", len(s.Shares), sum, p.Count, p.Amount)
	}
	if len(p.Grabs) > p.Count {
		return data.Broken(RuleGrabs, "%d grabs of a packet of %d shares", len(p.Grabs), p.Count)
	}
	var grabbed int64
	for i, g := range p.Grabs {
		if g.Amount != s.Shares[i] {
			return data.Broken(RuleGrabs, "grab %d (user %s) got %d fen, but share %d is %d", i, g.UserID, g.Amount, i, s.Shares[i])
		}
		grabbed += g.Amount
	}
	if p.Status == StatusFinished && len(p.Grabs) != p.Count {
		return data.Broken(RuleGrabs, "finished with %d grabs of %d shares", len(p.Grabs), p.Count)
	}
	if rest := sum - grabbed; p.RemainingAmount+p.RefundedAmount != rest || p.RemainingAmount < 0 || p.RefundedAmount < 0 {
		return data.Broken(RuleRemainder, "remaining %d + refunded %d fen, but the shares not grabbed add up to %d", p.RemainingAmount, p.RefundedAmount, rest)
	}
	best := -1
	if p.Status == StatusFinished {
		best = bestIndex(s.Shares)
	}
	for i, g := range p.Grabs {
		if g.BestLuck != (i == best) {
			return data.Broken(RuleBestLuck, "grab %d (%d fen) is marked best luck %v; want the largest share, earliest on ties, of a finished packet (grab %d)", i, g.Amount, g.BestLuck, best)
		}
	}
	return nil
}

// decodeHex32 decodes 32 bytes written in canonical hex (64 digits 0-9a-f).
func decodeHex32(s string) (b [32]byte, ok bool) {
	if len(s) != 2*len(b) {
		return b, false
	}
	_, err := hex.Decode(b[:], []byte(s))
	return b, err == nil && hex.EncodeToString(b[:]) == s
}
