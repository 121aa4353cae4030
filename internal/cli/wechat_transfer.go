package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"luckbox/packet"
	"luckbox/wechat"
)

// transferScene is the transfer scene withdrawals use (1000, 现金营销:
// cash rewards of a marketing activity), with the reports it requires.
const transferScene = "1000"

var transferReports = []wechat.TransferSceneReport{
	{InfoType: "活动名称", InfoContent: "luckbox 红包"},
	{InfoType: "奖励说明", InfoContent: "红包余额提现"},
}

// transferNotifyURL is where merchant transfer notifications go.
func transferNotifyURL(cfg *serveConfig, base string) string {
	if cfg.demo() {
		return base + "/api/v1/pay/transfer-notify"
	}
	return strings.TrimRight(cfg.PublicURL, "/") + "/api/v1/pay/transfer-notify"
}

// wxTransfers adapts the WeChat Pay client to packet.Transfers.
type wxTransfers struct {
	p                       *wechat.Pay
	appID, mchID, notifyURL string
}

func (w wxTransfers) AppID() string { return w.appID }
func (w wxTransfers) MchID() string { return w.mchID }

func (w wxTransfers) Transfer(ctx context.Context, r packet.TransferRequest) (packet.TransferBill, error) {
	b, err := w.p.Transfer(ctx, wechat.TransferRequest{OutBillNo: r.OutBillNo, SceneID: transferScene, OpenID: r.OpenID,
		Amount: r.Amount, Remark: r.Remark, NotifyURL: w.notifyURL, UserRecvPer: "活动奖励", Reports: transferReports})
	var pe *wechat.PayError
	if errors.As(err, &pe) && pe.Status >= 400 && pe.Status < 500 && pe.Status != http.StatusUnauthorized &&
		pe.Status != http.StatusTooManyRequests && pe.Code != "SYSTEM_ERROR" && pe.Code != "FREQUENCY_LIMITED" {
		return packet.TransferBill{}, fmt.Errorf("%w: %v", packet.ErrTransferRefused, err)
	}
	return transferBill(b), err
}

func (w wxTransfers) QueryTransfer(ctx context.Context, outBillNo string) (packet.TransferBill, error) {
	b, err := w.p.QueryTransfer(ctx, outBillNo)
	var pe *wechat.PayError
	if errors.As(err, &pe) && pe.Code == "NOT_FOUND" {
		return packet.TransferBill{}, fmt.Errorf("%w: %v", packet.ErrTransferNotExist, err)
	}
	return transferBill(b), err
}

func (w wxTransfers) CancelTransfer(ctx context.Context, outBillNo string) (packet.TransferBill, error) {
	b, err := w.p.CancelTransfer(ctx, outBillNo)
	var pe *wechat.PayError
	if errors.As(err, &pe) && (pe.Code == "INVALID_REQUEST" || pe.Code == "NOT_FOUND") {
		return packet.TransferBill{}, fmt.Errorf("%w: %v", packet.ErrTransferNotCancelable, err)
	}
	return transferBill(b), err
}

func transferBill(b wechat.TransferBill) packet.TransferBill {
	return packet.TransferBill{OutBillNo: b.OutBillNo, TransferBillNo: b.TransferBillNo, State: b.State,
		Amount: b.Amount, OpenID: b.OpenID, PackageInfo: b.PackageInfo, FailReason: b.FailReason}
}

// wxTransferNotify adapts the WeChat Pay client to web.TransferNotifier,
// mapping its signature errors to the packet sentinels.
type wxTransferNotify struct{ p *wechat.Pay }

func (w wxTransferNotify) ParseTransferNotification(h http.Header, body []byte) (packet.TransferBill, error) {
	b, err := w.p.ParseTransferNotification(h, body)
	switch {
	case errors.Is(err, wechat.ErrBadSignature):
		return packet.TransferBill{}, fmt.Errorf("%w: %v", packet.ErrBadSignature, err)
	case errors.Is(err, wechat.ErrStaleNotification):
		return packet.TransferBill{}, fmt.Errorf("%w: %v", packet.ErrStaleNotification, err)
	case err != nil:
		return packet.TransferBill{}, err
	}
	return transferBill(b), nil
}
