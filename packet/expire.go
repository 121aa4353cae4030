package packet

import (
	"context"
	"fmt"

	"luckbox/data"
)

// handleExpire is the scheduled expiry of a packet (due at its expires_at).
func (s *Service) handleExpire(ctx context.Context, d data.Due) error {
	seq := data.ParseU64(d.Ref)
	_, early, err := s.expire(ctx, seq)
	if err == nil && early {
		// The clock says not yet (a skewed clock): the scheduler retries later.
		return fmt.Errorf("packet %d is not due to expire yet", seq)
	}
	return err
}

// Expire expires the packet with sequence seq if its time has come: the
// remainder of a funded packet is refunded to the sender's balance with a
// ledger row and recorded as refunded_amount; a packet never funded just
// expires (its payment, if it still arrives, is refunded then). It is
// idempotent: a finished or expired packet, or one not yet due, is left as it
// is (expired is false).
func (s *Service) Expire(ctx context.Context, seq uint64) (expired bool, err error) {
	expired, _, err = s.expire(ctx, seq)
	return expired, err
}

func (s *Service) expire(ctx context.Context, seq uint64) (expired, early bool, err error) {
	now := s.now().UTC()
	err = s.db.Update(ctx, func(tx data.Tx) error {
		expired, early = false, false
		st, found, err := loadState(tx, seq)
		if err != nil || !found {
			return err
		}
		if st.Status == StatusFinished || st.Status == StatusExpired {
			return nil
		}
		if !st.expired(now) {
			early = true
			return nil
		}
		if err := s.refund(tx, seq, &st, now); err != nil {
			return err
		}
		expired = true
		return putState(tx, seq, &st)
	})
	if err != nil {
		return false, false, fmt.Errorf("expire packet %d: %w", seq, err)
	}
	return expired, early, nil
}
