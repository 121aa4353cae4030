package packet

import (
	"fmt"

	"luckbox/auth"
	"luckbox/data"
)

// Inbox kinds of the notices a sender gets about their packet. Their data
// (all strings): packet_id, count, amount_fen and grabbed (shares taken);
// an expiry also refunded_fen (0 when nothing was left).
const (
	KindFinished = "packet_finished" // every share was grabbed
	KindExpired  = "packet_expired"  // it expired; the remainder went back to the balance
)

// Notifier records a notification for a user inside the caller's write
// transaction (auth.Service does: inbox item plus a subscribe message when
// the user granted one).
type Notifier interface {
	Notify(tx data.Tx, userSeq uint64, n auth.Notification) error
}

// notifySender tells the sender of packet seq, inside the transaction that
// finished or expired it (so exactly once: that transaction happens once),
// what became of it. A packet never funded is not announced: nothing was
// paid, nothing comes back.
func (s *Service) notifySender(tx data.Tx, seq uint64, st *state) error {
	if s.opts.Notifier == nil || !st.Funded {
		return nil
	}
	id := data.EncodeID(seq, st.Tag)
	n := auth.Notification{
		Kind: KindFinished, Title: "红包已领完", Ref: id,
		Template: s.opts.Template, Page: s.opts.Page + "?id=" + id,
		Details: map[string]string{
			"packet_id": id, "count": fmt.Sprint(st.Count), "amount_fen": fmt.Sprint(st.Amount), "grabbed": fmt.Sprint(st.Next),
		},
	}
	if st.Status == StatusExpired {
		n.Kind, n.Title = KindExpired, "红包已过期"
		n.Details["refunded_fen"] = fmt.Sprint(st.Refunded)
		n.Body = fmt.Sprintf("你的红包已过期：%d 个中 %d 个被领取，%s 元已退回余额", st.Count, st.Next, yuan(st.Refunded))
		n.Data = map[string]string{"thing1": "红包已过期", "amount2": yuan(st.Refunded) + "元", "thing3": fmt.Sprintf("%d/%d 个被领取", st.Next, st.Count)}
	} else {
		n.Body = fmt.Sprintf("你的红包（%d 个，共 %s 元）已被领完", st.Count, yuan(st.Amount))
		n.Data = map[string]string{"thing1": "红包已领完", "amount2": "0.00元", "thing3": fmt.Sprintf("%d/%d 个被领取", st.Next, st.Count)}
	}
	if err := s.opts.Notifier.Notify(tx, st.Sender, n); err != nil {
		return fmt.Errorf("notify sender of packet %d: %w", seq, err)
	}
	return nil
}

// yuan formats fen as yuan with two decimals ("12.05").
func yuan(fen int64) string { return fmt.Sprintf("%d.%02d", fen/100, fen%100) }
