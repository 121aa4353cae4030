package fake

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// payTransactionJSON is the v3 wire form of a transaction, as answered by the
// order query and carried (encrypted) by notifications.
type payTransactionJSON struct {
	AppID          string        `json:"appid"`
	MchID          string        `json:"mchid"`
	OutTradeNo     string        `json:"out_trade_no"`
	TransactionID  string        `json:"transaction_id,omitempty"`
	TradeType      string        `json:"trade_type,omitempty"`
	TradeState     string        `json:"trade_state"`
	TradeStateDesc string        `json:"trade_state_desc"`
	BankType       string        `json:"bank_type,omitempty"`
	Attach         string        `json:"attach,omitempty"`
	SuccessTime    string        `json:"success_time,omitempty"`
	Payer          payPayerJSON  `json:"payer"`
	Amount         payAmountJSON `json:"amount"`
}

type payPayerJSON struct {
	OpenID string `json:"openid,omitempty"`
}

type payAmountJSON struct {
	Total         int64  `json:"total"`
	PayerTotal    int64  `json:"payer_total,omitempty"`
	Currency      string `json:"currency"`
	PayerCurrency string `json:"payer_currency"`
}

// transaction renders o as WeChat Pay reports it; the caller holds f.mu.
func (o *payOrder) transaction() payTransactionJSON {
	t := payTransactionJSON{
		AppID: o.req.AppID, MchID: o.req.MchID, OutTradeNo: o.req.OutTradeNo,
		TradeState: o.state, Attach: o.req.Attach,
		Amount: payAmountJSON{Total: o.req.Amount.Total, Currency: "CNY", PayerCurrency: "CNY"},
	}
	switch o.state {
	case payNotPay:
		t.TradeStateDesc = "订单未支付"
	case payClosed:
		t.TradeStateDesc = "订单已关闭"
	case paySuccess:
		t.TradeStateDesc = "支付成功"
		t.TransactionID = o.transactionID
		t.TradeType = "JSAPI"
		t.BankType = "OTHERS"
		t.SuccessTime = o.successTime.In(payCST).Format(time.RFC3339)
		t.Payer.OpenID = o.req.Payer.OpenID
		t.Amount.PayerTotal = o.req.Amount.Total
	}
	return t
}

// payNotificationJSON is the envelope of a v3 notification.
type payNotificationJSON struct {
	ID           string              `json:"id"`
	CreateTime   string              `json:"create_time"`
	ResourceType string              `json:"resource_type"`
	EventType    string              `json:"event_type"`
	Summary      string              `json:"summary"`
	Resource     payNotifyResourceJS `json:"resource"`
}

type payNotifyResourceJS struct {
	OriginalType   string `json:"original_type"`
	Algorithm      string `json:"algorithm"`
	Ciphertext     string `json:"ciphertext"`
	AssociatedData string `json:"associated_data"`
	Nonce          string `json:"nonce"`
}

// Notification builds the signed payment notification (headers and body) the
// fake would POST to the notify_url of a paid order, without sending it, so
// tests can deliver or tamper with it.
func (f *Fake) Notification(outTradeNo string) (http.Header, []byte, error) {
	if f.opts.Pay == nil {
		return nil, nil, errPayNotConfigured
	}
	f.mu.Lock()
	o, ok := f.pay.orders[outTradeNo]
	var snap payOrder
	if ok {
		snap = *o
	}
	f.mu.Unlock()
	if !ok {
		return nil, nil, fmt.Errorf("fake: order %q does not exist", outTradeNo)
	}
	if snap.state != paySuccess {
		return nil, nil, fmt.Errorf("fake: order %q is %s, not paid", outTradeNo, snap.state)
	}
	return f.payBuildNotification(&snap)
}

// payBuildNotification encrypts the transaction of a paid order with the
// APIv3 key (AEAD_AES_256_GCM, associated data "transaction") and signs the
// envelope with the platform key.
func (f *Fake) payBuildNotification(o *payOrder) (http.Header, []byte, error) {
	return f.payNotification(o.notificationID, "TRANSACTION.SUCCESS", "支付成功", "transaction", o.transaction())
}

// payNotification builds a signed v3 notification: resource (JSON) encrypted
// with the APIv3 key (AEAD_AES_256_GCM, associated data originalType) in an
// envelope of event type event, signed with the default platform key.
func (f *Fake) payNotification(id, event, summary, originalType string, resource any) (http.Header, []byte, error) {
	plain, err := json.Marshal(resource)
	if err != nil {
		return nil, nil, fmt.Errorf("fake: encode %s: %w", originalType, err)
	}
	block, err := aes.NewCipher([]byte(f.opts.Pay.APIv3Key))
	if err != nil {
		return nil, nil, fmt.Errorf("fake: APIv3 key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, nil, fmt.Errorf("fake: APIv3 key: %w", err)
	}
	nonce := f.payRandom(aead.NonceSize(), payAlnum)
	ct := aead.Seal(nil, []byte(nonce), plain, []byte(originalType))
	env := payNotificationJSON{
		ID:           id,
		CreateTime:   f.now().In(payCST).Format(time.RFC3339),
		ResourceType: "encrypt-resource",
		EventType:    event,
		Summary:      summary,
		Resource: payNotifyResourceJS{
			OriginalType: originalType, Algorithm: "AEAD_AES_256_GCM",
			Ciphertext: base64.StdEncoding.EncodeToString(ct), AssociatedData: originalType, Nonce: nonce,
		},
	}
	body, err := json.Marshal(env)
	if err != nil {
		return nil, nil, fmt.Errorf("fake: encode notification: %w", err)
	}
	h, err := f.SignNotification(body)
	if err != nil {
		return nil, nil, err
	}
	h.Set("Content-Type", "application/json")
	return h, body, nil
}

// payDeliver builds a fresh notification for o and POSTs it to its
// notify_url; it returns the answer's HTTP status, or 0 if there was none.
func (f *Fake) payDeliver(r *http.Request, o *payOrder) int {
	h, body, err := f.payBuildNotification(o)
	if err != nil {
		return 0
	}
	return f.payPost(r.Context(), o.req.NotifyURL, h, body)
}

// payPost POSTs a notification to notifyURL; it returns the answer's HTTP
// status, or 0 if there was none.
func (f *Fake) payPost(ctx context.Context, notifyURL string, h http.Header, body []byte) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, notifyURL, bytes.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header = h
	req.Header.Set("User-Agent", "Mozilla/4.0")
	hc := f.opts.Pay.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: payNotifyTimeout}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode
}

// errPayNotConfigured is returned when Options.Pay is nil.
var errPayNotConfigured = errors.New("fake: WeChat Pay is not configured")
