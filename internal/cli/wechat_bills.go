package cli

import (
	"context"

	"luckbox/packet"
	"luckbox/wechat"
)

// wxBills adapts the WeChat Pay client to packet.Bills.
type wxBills struct{ p *wechat.Pay }

func (w wxBills) TradeBill(ctx context.Context, date string) ([]packet.BillRecord, error) {
	b, err := w.p.TradeBill(ctx, date)
	if err != nil {
		return nil, err
	}
	return billRecords(b), nil
}

// billRecords converts a parsed trade bill.
func billRecords(b wechat.Bill) []packet.BillRecord {
	out := make([]packet.BillRecord, len(b.Rows))
	for i, r := range b.Rows {
		out[i] = packet.BillRecord{OutTradeNo: r.OutTradeNo, Amount: r.Total, State: r.TradeState}
		if r.TradeState == wechat.TradeStateRefund {
			out[i] = packet.BillRecord{OutTradeNo: r.OutTradeNo, OutRefundNo: r.OutRefundNo, Amount: r.Refund, State: r.RefundStatus}
		}
	}
	return out
}
