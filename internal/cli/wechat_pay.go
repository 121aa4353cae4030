package cli

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"luckbox/packet"
	"luckbox/wechat"
	"luckbox/wechat/fake"
)

// demoMchID is the WeChat Pay merchant id of demo mode.
const demoMchID = "1900000109"

// newPay builds the WeChat Pay client: in demo mode against the fake (with
// the demo keys), in production from the configured key files.
func newPay(cfg *serveConfig, demoKeys *fake.DemoKeys, appID, base string) (*wechat.Pay, error) {
	if demoKeys != nil {
		return wechat.NewPay(wechat.PayConfig{
			AppID: appID, MchID: demoMchID,
			MchSerial: demoKeys.MchSerial, MchKey: demoKeys.MchKey, APIv3Key: demoKeys.APIv3Key,
			PlatformSerial: demoKeys.PlatformSerial, PlatformKey: &demoKeys.PlatformKey.PublicKey,
			NotifyURL: base + "/api/v1/pay/notify", BaseURL: base + "/_fake/wechat", HTTPClient: cfg.loopbackClient(),
		})
	}
	mchKey, platKeys, err := cfg.payKeys()
	if err != nil {
		return nil, err
	}
	others := make(map[string]*rsa.PublicKey, len(platKeys)-1)
	for _, k := range platKeys[1:] {
		others[k.serial] = k.key
	}
	pay, err := wechat.NewPay(wechat.PayConfig{
		AppID: appID, MchID: cfg.WeChatMchID, MchSerial: cfg.WeChatMchSerial, MchKey: mchKey,
		APIv3Key: cfg.WeChatAPIv3Key, PlatformSerial: platKeys[0].serial, PlatformKey: platKeys[0].key,
		OtherPlatformKeys: others,
		NotifyURL:         strings.TrimRight(cfg.PublicURL, "/") + "/api/v1/pay/notify", BaseURL: cfg.WeChatPayBaseURL,
	})
	if err != nil {
		return nil, fmt.Errorf("WeChat Pay settings: %w", err)
	}
	return pay, nil
}

// wxPayments adapts the WeChat Pay client to packet.Payments.
type wxPayments struct {
	p     *wechat.Pay
	appID string
}

func (w wxPayments) AppID() string { return w.appID }

func (w wxPayments) Prepay(ctx context.Context, r packet.PrepayRequest) (string, error) {
	return w.p.JSAPIPrepay(ctx, wechat.PrepayRequest{OutTradeNo: r.OutTradeNo, Description: r.Description,
		PayerOpenID: r.PayerOpenID, Attach: r.Attach, Total: r.Total})
}

func (w wxPayments) PayParams(prepayID string) (packet.PayParams, error) {
	pp, err := w.p.PaymentParams(prepayID)
	return packet.PayParams(pp), err
}

func (w wxPayments) Query(ctx context.Context, outTradeNo string) (packet.Transaction, error) {
	t, err := w.p.QueryOrder(ctx, outTradeNo)
	var pe *wechat.PayError
	if errors.As(err, &pe) && pe.Code == "ORDER_NOT_EXIST" {
		return packet.Transaction{}, fmt.Errorf("%w: %v", packet.ErrOrderNotExist, err)
	}
	if err != nil {
		return packet.Transaction{}, err
	}
	return transaction(t), nil
}

func (w wxPayments) Close(ctx context.Context, outTradeNo string) error {
	err := w.p.CloseOrder(ctx, outTradeNo)
	var pe *wechat.PayError
	if errors.As(err, &pe) && pe.Code == "ORDERPAID" {
		return fmt.Errorf("%w: %v", packet.ErrOrderPaid, err)
	}
	return err
}

func transaction(t wechat.Transaction) packet.Transaction {
	return packet.Transaction{AppID: t.AppID, OutTradeNo: t.OutTradeNo, TransactionID: t.TransactionID,
		TradeState: t.TradeState, Total: t.Total, SuccessTime: t.SuccessTime}
}

// wxPayNotify adapts the WeChat Pay client to web.PayNotifier, mapping its
// signature errors to the packet sentinels.
type wxPayNotify struct{ p *wechat.Pay }

func (w wxPayNotify) ParseNotification(h http.Header, body []byte) (packet.Transaction, error) {
	t, err := w.p.ParseNotification(h, body)
	if err != nil {
		return packet.Transaction{}, notifyError(err)
	}
	return transaction(t), nil
}

// notifyError maps the client's signature errors of a notification to the
// packet sentinels.
func notifyError(err error) error {
	switch {
	case errors.Is(err, wechat.ErrBadSignature): // includes the SIGNTEST probe
		return fmt.Errorf("%w: %v", packet.ErrBadSignature, err)
	case errors.Is(err, wechat.ErrStaleNotification):
		return fmt.Errorf("%w: %v", packet.ErrStaleNotification, err)
	}
	return err
}
