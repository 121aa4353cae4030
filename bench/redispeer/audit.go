package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// AuditCheck is one check of the audit, as luckbox's audit answers it.
type AuditCheck struct {
	Name     string   `json:"name"`
	OK       bool     `json:"ok"`
	Checked  int      `json:"checked"`
	Failures []string `json:"failures"`
}

// AuditReport is the answer of GET /api/v1/admin/audit.
type AuditReport struct {
	OK     bool         `json:"ok"`
	Checks []AuditCheck `json:"checks"`
}

// maxFailures bounds the failures an audit check lists.
const maxFailures = 10

func (c *AuditCheck) fail(format string, args ...any) {
	c.OK = false
	if len(c.Failures) < maxFailures {
		c.Failures = append(c.Failures, fmt.Sprintf(format, args...))
	}
}

// Audit checks what Redis holds (run it while no request is in flight):
//
//   - packets: per packet, claims + remaining shares == count and the sum of
//     the grabbed amounts plus the remaining shares == the packet's amount,
//     every share at least 1 fen (a user can claim a packet only once: the
//     claims hash has one field per user);
//   - settlements: one settlement record per claim, no user twice for a
//     packet, each with the claimed amount;
//   - conservation: the wallets plus the shares not grabbed yet hold exactly
//     what the paid top-ups credited.
func (s *Store) Audit(ctx context.Context) (AuditReport, error) {
	ids, err := s.rdb.SMembers(ctx, keyPackets).Result()
	if err != nil {
		return AuditReport{}, fmt.Errorf("audit: list packets: %w", err)
	}
	packets := AuditCheck{Name: "packets", OK: true}
	claims := map[string]map[string]string{}
	var unclaimed int64
	for _, id := range ids {
		st, err := s.readPacket(ctx, id)
		if err != nil {
			return AuditReport{}, fmt.Errorf("audit: %w", err)
		}
		packets.Checked++
		claims[id] = st.claims
		count, _ := strconv.Atoi(st.meta["count"])
		amount, _ := strconv.ParseInt(st.meta["amount"], 10, 64)
		if n := len(st.claims) + len(st.shares); n != count {
			packets.fail("packet %s: %d claims + %d shares left = %d, count is %d", id, len(st.claims), len(st.shares), n, count)
		}
		left, err1 := sum(st.shares)
		var grabbed []string
		for _, v := range st.claims {
			grabbed = append(grabbed, v)
		}
		got, err2 := sum(grabbed)
		if err1 != nil || err2 != nil {
			packets.fail("packet %s: malformed amount: %v %v", id, err1, err2)
			continue
		}
		if got+left != amount {
			packets.fail("packet %s: grabbed %d + left %d = %d fen, amount is %d", id, got, left, got+left, amount)
		}
		for _, v := range append(grabbed, st.shares...) {
			if v == "0" || strings.HasPrefix(v, "-") {
				packets.fail("packet %s: a share of %s fen", id, v)
			}
		}
		unclaimed += left
	}
	settle, err := s.auditSettlements(ctx, claims)
	if err != nil {
		return AuditReport{}, err
	}
	cons, err := s.auditConservation(ctx, unclaimed)
	if err != nil {
		return AuditReport{}, err
	}
	r := AuditReport{OK: packets.OK && settle.OK && cons.OK, Checks: []AuditCheck{packets, settle, cons}}
	for i := range r.Checks {
		if r.Checks[i].Failures == nil {
			r.Checks[i].Failures = []string{}
		}
	}
	return r, nil
}

// auditSettlements matches the settlement list with the claims.
func (s *Store) auditSettlements(ctx context.Context, claims map[string]map[string]string) (AuditCheck, error) {
	recs, err := s.rdb.LRange(ctx, keySettle, 0, -1).Result()
	if err != nil {
		return AuditCheck{}, fmt.Errorf("audit: read settlements: %w", err)
	}
	c := AuditCheck{Name: "settlements", OK: true, Checked: len(recs)}
	seen := map[[2]string]bool{}
	for _, rec := range recs {
		f := strings.Fields(rec)
		if len(f) != 4 {
			c.fail("malformed settlement %q", rec)
			continue
		}
		k := [2]string{f[0], f[1]}
		if seen[k] {
			c.fail("user %s settled twice for packet %s", f[1], f[0])
		}
		seen[k] = true
		if want, ok := claims[f[0]][f[1]]; !ok || want != f[2] {
			c.fail("settlement %q: the claim is %q", rec, want)
		}
	}
	total := 0
	for _, m := range claims {
		total += len(m)
	}
	if total != len(recs) {
		c.fail("%d claims but %d settlement records", total, len(recs))
	}
	return c, nil
}

// auditConservation checks wallets + unclaimed shares == paid top-ups.
func (s *Store) auditConservation(ctx context.Context, unclaimed int64) (AuditCheck, error) {
	c := AuditCheck{Name: "conservation", OK: true}
	var wallets int64
	var cursor uint64
	for {
		keys, next, err := s.rdb.Scan(ctx, cursor, keyWallet+"*", 1000).Result()
		if err != nil {
			return c, fmt.Errorf("audit: scan wallets: %w", err)
		}
		if len(keys) > 0 {
			vals, err := s.rdb.MGet(ctx, keys...).Result()
			if err != nil {
				return c, fmt.Errorf("audit: read wallets: %w", err)
			}
			for i, v := range vals {
				b, err := strconv.ParseInt(fmt.Sprint(v), 10, 64)
				if err != nil || b < 0 {
					c.fail("%s holds %v", keys[i], v)
				}
				wallets += b
				c.Checked++
			}
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	topped, err := s.rdb.Get(ctx, keyToppedUp).Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		return c, fmt.Errorf("audit: read top-ups: %w", err)
	}
	if wallets+unclaimed != topped {
		c.fail("wallets %d + unclaimed shares %d = %d fen, top-ups credited %d", wallets, unclaimed, wallets+unclaimed, topped)
	}
	return c, nil
}
