package wechat_test

// The official SDK as the judge of refunds: its refund service against our
// fake, its notify handler on the fake's refund notifications, its verifier
// on our client's refund requests, and our client on refund notifications
// signed with its signer.

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
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"luckbox/wechat"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/core/notify"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments/jsapi"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"
	"github.com/wechatpay-apiv3/wechatpay-go/utils"
)

// TestSDKRefundsAgainstFake: the SDK's refund service creates a refund of a
// paid order at the fake (which accepts its signature; the SDK accepts the
// fake's signed answer), asking again with the same out_refund_no is the
// same refund, the query sees it, and the SDK's notify handler verifies and
// decrypts the fake's REFUND.SUCCESS notification.
func TestSDKRefundsAgainstFake(t *testing.T) {
	e := newSDKFake(t, false)
	c := e.sdkClient(t, true)
	ctx := context.Background()
	const no = "SDK_REFUND_ORDER"
	js := jsapi.JsapiApiService{Client: c}
	_, _, err := js.Prepay(ctx, jsapi.PrepayRequest{
		Appid: core.String(payAppID), Mchid: core.String(payMchID), Description: core.String("红包"),
		OutTradeNo: core.String(no), NotifyUrl: core.String(e.notify.URL + "/n"),
		Amount: &jsapi.Amount{Total: core.Int64(600)}, Payer: &jsapi.Payer{Openid: core.String("o-sdk")},
	})
	if err != nil {
		t.Fatalf("SDK Prepay: %v", err)
	}
	e.succeed(t, no)

	svc := refunddomestic.RefundsApiService{Client: c}
	req := refunddomestic.CreateRequest{OutTradeNo: core.String(no), OutRefundNo: core.String("RF_SDK_1"),
		Reason: core.String("过期退回"), NotifyUrl: core.String(e.notify.URL + "/refund"),
		Amount: &refunddomestic.AmountReq{Refund: core.Int64(250), Total: core.Int64(600), Currency: core.String("CNY")}}
	ref, _, err := svc.Create(ctx, req)
	if err != nil {
		t.Fatalf("SDK refund Create: %v", err)
	}
	if *ref.Status != refunddomestic.STATUS_PROCESSING || *ref.OutRefundNo != "RF_SDK_1" || *ref.Amount.Refund != 250 || *ref.OutTradeNo != no {
		t.Fatalf("SDK read %s", ref)
	}
	again, _, err := svc.Create(ctx, req)
	if err != nil || *again.RefundId != *ref.RefundId {
		t.Fatalf("the same out_refund_no again: %v, %v", again, err)
	}
	req.OutRefundNo, req.Amount.Refund = core.String("RF_SDK_2"), core.Int64(351)
	if _, _, err := svc.Create(ctx, req); err == nil || !strings.Contains(err.Error(), "INVALID_REQUEST") {
		t.Fatalf("refunding more than is left: %v", err)
	}
	resp, err := http.Post(e.srv.URL+"/refunds/RF_SDK_1/complete?status=SUCCESS&times=0", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	q, _, err := svc.QueryByOutRefundNo(ctx, refunddomestic.QueryByOutRefundNoRequest{OutRefundNo: core.String("RF_SDK_1")})
	if err != nil || *q.Status != refunddomestic.STATUS_SUCCESS || q.SuccessTime == nil {
		t.Fatalf("SDK query: %v, %v", q, err)
	}

	h, body, err := e.fake.RefundNotification("RF_SDK_1")
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/refund", bytes.NewReader(body))
	r.Header = h
	handler := notify.NewNotifyHandler(e.keys.APIv3Key, verifiers.NewSHA256WithRSAPubkeyVerifier(e.keys.PlatformSerial, e.keys.PlatformKey.PublicKey))
	var content map[string]any
	n, err := handler.ParseNotifyRequest(ctx, r, &content)
	if err != nil {
		t.Fatalf("the SDK refused the fake's refund notification: %v", err)
	}
	amount, _ := content["amount"].(map[string]any)
	if n.EventType != "REFUND.SUCCESS" || n.Resource.OriginalType != "refund" || content["refund_status"] != "SUCCESS" ||
		content["out_refund_no"] != "RF_SDK_1" || content["refund_id"] != *ref.RefundId || content["mchid"] != payMchID ||
		amount["refund"] != 250.0 || amount["total"] != 600.0 {
		t.Fatalf("the SDK read %+v: %v", n, content)
	}
}

// TestClientRefundsJudgedBySDK: our client's refund request and query are
// signed so the SDK's verifier accepts them (over the request URI, proxy
// path included), and the request body is the one the SDK's own model
// marshals; our client accepts the SDK-signed answers and a refund
// notification signed with the SDK's signer and opened by the SDK's
// decryption, and refuses one whose event disagrees with its status.
func TestClientRefundsJudgedBySDK(t *testing.T) {
	keys := payDemoKeys(t)
	mchVerifier := verifiers.NewSHA256WithRSAPubkeyVerifier(keys.MchSerial, keys.MchKey.PublicKey)
	refundJSON := `{"refund_id":"50000000382019052709732678859","out_refund_no":"RF_OURS_1","transaction_id":"4200000000202501020000000001",` +
		`"out_trade_no":"ORDER_SDKS01","channel":"ORIGINAL","user_received_account":"支付用户零钱","create_time":"2025-01-02T11:04:05+08:00",` +
		`"status":"PROCESSING","funds_account":"AVAILABLE","amount":{"total":1234,"refund":234,"payer_total":1234,"payer_refund":234,` +
		`"settlement_refund":234,"settlement_total":1234,"discount_refund":0,"currency":"CNY"},"promotion_detail":[]}`
	var authErrs []error
	var bodies [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := sdkVerifyRequest(mchVerifier, r, body); err != nil {
			authErrs = append(authErrs, fmt.Errorf("%s: %w", r.RequestURI, err))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost {
			bodies = append(bodies, body)
		}
		for k, v := range sdkSignedHeaders(t, keys.PlatformSerial, keys.PlatformKey, []byte(refundJSON)) {
			w.Header()[k] = v
		}
		fmt.Fprint(w, refundJSON)
	}))
	t.Cleanup(srv.Close)
	pay, err := wechat.NewPay(wechat.PayConfig{AppID: payAppID, MchID: payMchID, MchSerial: keys.MchSerial, MchKey: keys.MchKey,
		APIv3Key: keys.APIv3Key, PlatformSerial: keys.PlatformSerial, PlatformKey: &keys.PlatformKey.PublicKey,
		BaseURL: srv.URL + "/proxy/wxpay"})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := pay.CreateRefund(context.Background(), wechat.RefundRequest{OutTradeNo: "ORDER_SDKS01", OutRefundNo: "RF_OURS_1",
		Reason: "Tom & Jerry <退款>", NotifyURL: "https://example.com/api/v1/pay/refunds/notify", Refund: 234, Total: 1234})
	if err != nil || ref.Status != wechat.RefundProcessing || ref.Refund != 234 || ref.RefundID != "50000000382019052709732678859" {
		t.Fatalf("CreateRefund %+v, %v", ref, err)
	}
	if ref, err = pay.QueryRefund(context.Background(), "RF_OURS_1"); err != nil || ref.OutRefundNo != "RF_OURS_1" {
		t.Fatalf("QueryRefund %+v, %v", ref, err)
	}
	if len(authErrs) > 0 {
		t.Fatalf("the SDK's verifier refused our request signatures: %v", authErrs)
	}
	sdkBody, err := json.Marshal(refunddomestic.CreateRequest{OutTradeNo: core.String("ORDER_SDKS01"), OutRefundNo: core.String("RF_OURS_1"),
		Reason: core.String("Tom & Jerry <退款>"), NotifyUrl: core.String("https://example.com/api/v1/pay/refunds/notify"),
		Amount: &refunddomestic.AmountReq{Refund: core.Int64(234), Total: core.Int64(1234), Currency: core.String("CNY")}})
	if err != nil {
		t.Fatal(err)
	}
	var ours, sdks map[string]any
	if len(bodies) != 1 || json.Unmarshal(bodies[0], &ours) != nil || json.Unmarshal(sdkBody, &sdks) != nil || !reflect.DeepEqual(ours, sdks) {
		t.Fatalf("our refund body %s, the SDK's %s", bodies, sdkBody)
	}
	if bytes.Contains(bodies[0], []byte(`\u0026`)) {
		t.Errorf("our body escapes &: %s", bodies[0])
	}

	resource := `{"mchid":"` + payMchID + `","out_trade_no":"ORDER_SDKS01","transaction_id":"4200000000202501020000000001",` +
		`"out_refund_no":"RF_OURS_1","refund_id":"50000000382019052709732678859","refund_status":"SUCCESS",` +
		`"success_time":"2025-01-02T11:05:05+08:00","user_received_account":"支付用户零钱",` +
		`"amount":{"total":1234,"refund":234,"payer_total":1234,"payer_refund":234}}`
	nonce, ad := "r1X9fRzqWm2Q", "refund"
	block, _ := aes.NewCipher([]byte(keys.APIv3Key))
	gcm, _ := cipher.NewGCM(block)
	ct := base64.StdEncoding.EncodeToString(gcm.Seal(nil, []byte(nonce), []byte(resource), []byte(ad)))
	if plain, err := utils.DecryptAES256GCM(keys.APIv3Key, ad, nonce, ct); err != nil || plain != resource {
		t.Fatalf("the SDK does not open the resource: %v", err)
	}
	envelope := func(event string) []byte {
		return []byte(`{"id":"EV-refund-1","create_time":"2025-01-02T11:05:06+08:00","resource_type":"encrypt-resource",` +
			`"event_type":"` + event + `","summary":"退款成功","resource":{"original_type":"refund",` +
			`"algorithm":"AEAD_AES_256_GCM","ciphertext":"` + ct + `","associated_data":"` + ad + `","nonce":"` + nonce + `"}}`)
	}
	body := envelope("REFUND.SUCCESS")
	got, err := pay.ParseRefundNotification(sdkSignedHeaders(t, keys.PlatformSerial, keys.PlatformKey, body), body)
	if err != nil || got.Status != wechat.RefundSuccess || got.OutRefundNo != "RF_OURS_1" || got.Refund != 234 || got.SuccessTime.IsZero() {
		t.Fatalf("ParseRefundNotification %+v, %v", got, err)
	}
	body = envelope("REFUND.CLOSED")
	if _, err := pay.ParseRefundNotification(sdkSignedHeaders(t, keys.PlatformSerial, keys.PlatformKey, body), body); err == nil {
		t.Error("a REFUND.CLOSED event about a successful refund was accepted")
	}
	body = envelope("REFUND.SUCCESS")
	if _, err := pay.ParseRefundNotification(sdkSignedHeaders(t, keys.PlatformSerial, keys.MchKey, body), body); !errors.Is(err, wechat.ErrBadSignature) {
		t.Errorf("signed with another key: %v, want ErrBadSignature", err)
	}
	if _, err := pay.ParseNotification(sdkSignedHeaders(t, keys.PlatformSerial, keys.PlatformKey, body), body); err == nil {
		t.Error("a refund notification was read as a payment notification")
	}
}
