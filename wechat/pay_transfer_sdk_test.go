package wechat_test

// The official SDK (wechatpay-go v0.2.21, test-only) judges merchant
// transfers. v0.2.21 has no service package for the user-confirmed
// transfer (/v3/fund-app/mch-transfer/transfer-bills), so its generic
// core.Client signs the requests and verifies the answers.

import (
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
	"strings"
	"sync"
	"testing"

	"luckbox/wechat"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/core/notify"
	"github.com/wechatpay-apiv3/wechatpay-go/utils"
)

const sdkTransferURL = "https://api.mch.weixin.qq.com/v3/fund-app/mch-transfer/transfer-bills"

// TestSDKTransferAgainstFake: the SDK's client creates a transfer bill at
// the fake and queries it (the fake accepts its signatures, the SDK accepts
// the fake's signed answers); the user confirms at the fake, whose
// MCHTRANSFER.BILL.FINISHED notification the SDK's notify handler verifies
// and decrypts; cancelling the confirmed bill is refused.
func TestSDKTransferAgainstFake(t *testing.T) {
	e := newSDKFake(t, false)
	c := e.sdkClient(t, true)
	ctx := context.Background()

	var mu sync.Mutex
	var got []map[string]any
	var errs []error
	handler := notify.NewNotifyHandler(e.keys.APIv3Key, verifiers.NewSHA256WithRSAPubkeyVerifier(e.keys.PlatformSerial, e.keys.PlatformKey.PublicKey))
	ns := payNotifyServer(t, &mu, &got, &errs, func(r *http.Request) (map[string]any, error) {
		m := map[string]any{}
		req, err := handler.ParseNotifyRequest(r.Context(), r, &m)
		if err == nil && (req.EventType != wechat.EventTransferFinished || req.Resource.OriginalType != "mch_payment") {
			err = fmt.Errorf("event %s, resource %s", req.EventType, req.Resource.OriginalType)
		}
		return m, err
	})

	const no = "SDKTRANSFER0001"
	res, err := c.Post(ctx, sdkTransferURL, map[string]any{
		"appid": payAppID, "out_bill_no": no, "transfer_scene_id": "1000", "openid": "o-sdk",
		"transfer_amount": 300, "transfer_remark": "提现 <&>", "notify_url": ns.URL + "/api/v1/pay/transfer-notify",
		"transfer_scene_report_infos": []map[string]string{{"info_type": "活动名称", "info_content": "红包"}, {"info_type": "奖励说明", "info_content": "提现"}},
	})
	if err != nil {
		t.Fatalf("SDK transfer: %v", err)
	}
	var created struct {
		OutBillNo, TransferBillNo, State, PackageInfo string
	}
	decodeSnake(t, res.Response, &created)
	if created.OutBillNo != no || created.State != "WAIT_USER_CONFIRM" || created.PackageInfo == "" || created.TransferBillNo == "" {
		t.Fatalf("created %+v", created)
	}
	if b, ok := e.fake.Transfer(no); !ok || b.Remark != "提现 <&>" || b.Amount != 300 {
		t.Fatalf("fake bill %+v", b)
	}

	resp, err := http.Post(e.srv.URL+"/transfer/confirm", "application/json", strings.NewReader(
		`{"mchId":"`+payMchID+`","appId":"`+payAppID+`","package":"`+created.PackageInfo+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	var confirmed struct{ Delivered []int }
	_ = json.NewDecoder(resp.Body).Decode(&confirmed)
	resp.Body.Close()
	mu.Lock()
	if len(confirmed.Delivered) != 1 || confirmed.Delivered[0] != http.StatusNoContent || len(got) != 1 {
		t.Fatalf("notification delivered %v; SDK notify handler errors: %v", confirmed.Delivered, errs)
	}
	n := got[0]
	mu.Unlock()
	if n["out_bill_no"] != no || n["state"] != "SUCCESS" || n["transfer_amount"] != float64(300) || n["mch_id"] != payMchID ||
		n["transfer_bill_no"] != created.TransferBillNo || n["openid"] != "o-sdk" {
		t.Errorf("notification as the SDK read it: %v", n)
	}

	res, err = c.Get(ctx, sdkTransferURL+"/out-bill-no/"+no)
	if err != nil {
		t.Fatalf("SDK query: %v", err)
	}
	var q struct{ OutBillNo, State, MchID string }
	decodeSnake(t, res.Response, &q)
	if q.State != "SUCCESS" || q.OutBillNo != no || q.MchID != payMchID {
		t.Errorf("query %+v", q)
	}
	_, err = c.Post(ctx, sdkTransferURL+"/out-bill-no/"+no+"/cancel", map[string]any{})
	var apiErr *core.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest || apiErr.Code != "INVALID_REQUEST" {
		t.Errorf("cancel of a confirmed bill: %v", err)
	}
}

// decodeSnake decodes a JSON answer whose snake_case keys map to the
// CamelCase fields of v (out_bill_no → OutBillNo; mch_id → MchID).
func decodeSnake(t *testing.T, r *http.Response, v any) {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	out := map[string]any{}
	for k, val := range m {
		out[strings.ReplaceAll(strings.ReplaceAll(k, "_", ""), "mchid", "MchID")] = val
	}
	j, _ := json.Marshal(out)
	if err := json.Unmarshal(j, v); err != nil {
		t.Fatal(err)
	}
}

// TestClientTransferAgainstSDK: a stand-in for WeChat Pay checks our
// client's transfer, query and cancel request signatures with the SDK's
// verifier and answers with the SDK's signer; our client accepts the
// answers, and a transfer notification signed by the SDK's signer and
// opened by the SDK's AES-GCM decryption; a third serial, a payment event
// and a non-final state are refused.
func TestClientTransferAgainstSDK(t *testing.T) {
	keys := payDemoKeys(t)
	mchVerifier := verifiers.NewSHA256WithRSAPubkeyVerifier(keys.MchSerial, keys.MchKey.PublicKey)
	var mu sync.Mutex
	var authErrs []error
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(body))
		if err := sdkVerifyRequest(mchVerifier, r, body); err != nil {
			authErrs = append(authErrs, fmt.Errorf("%s: %w", r.RequestURI, err))
		}
		mu.Unlock()
		answer := `{"out_bill_no":"WD0001TRANSFER","transfer_bill_no":"1330000071100999991182020050700019480001",` +
			`"create_time":"2026-12-03T12:00:00+08:00","state":"WAIT_USER_CONFIRM","package_info":"affffddafdfafddffda=="}`
		switch {
		case strings.HasSuffix(r.URL.Path, "/cancel"):
			answer = `{"out_bill_no":"WD0001TRANSFER","transfer_bill_no":"1330000071100999991182020050700019480001","state":"CANCELING","update_time":"2026-12-03T12:01:00+08:00"}`
		case r.Method == http.MethodGet:
			answer = `{"mch_id":"` + payMchID + `","out_bill_no":"WD0001TRANSFER","transfer_bill_no":"1330000071100999991182020050700019480001",` +
				`"appid":"` + payAppID + `","state":"SUCCESS","transfer_amount":300,"transfer_remark":"提现","openid":"o-alice",` +
				`"create_time":"2026-12-03T12:00:00+08:00","update_time":"2026-12-03T12:02:00+08:00"}`
		}
		for k, v := range sdkSignedHeaders(t, keys.PlatformSerial, keys.PlatformKey, []byte(answer)) {
			w.Header()[k] = v
		}
		fmt.Fprint(w, answer)
	}))
	t.Cleanup(srv.Close)
	pay, err := wechat.NewPay(wechat.PayConfig{AppID: payAppID, MchID: payMchID, MchSerial: keys.MchSerial, MchKey: keys.MchKey,
		APIv3Key: keys.APIv3Key, PlatformSerial: keys.PlatformSerial, PlatformKey: &keys.PlatformKey.PublicKey, BaseURL: srv.URL + "/proxy"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b, err := pay.Transfer(ctx, wechat.TransferRequest{OutBillNo: "WD0001TRANSFER", SceneID: "1000", OpenID: "o-alice", Amount: 300,
		Remark: "提现 <&>", NotifyURL: "https://example.com/api/v1/pay/transfer-notify",
		Reports: []wechat.TransferSceneReport{{InfoType: "活动名称", InfoContent: "红包"}}})
	if err != nil || b.State != wechat.TransferWaitUserConfirm || b.PackageInfo != "affffddafdfafddffda==" {
		t.Fatalf("Transfer: %+v, %v", b, err)
	}
	if b, err = pay.QueryTransfer(ctx, "WD0001TRANSFER"); err != nil || b.State != wechat.TransferSuccess || b.Amount != 300 || !b.Final() {
		t.Fatalf("QueryTransfer: %+v, %v", b, err)
	}
	if b, err = pay.CancelTransfer(ctx, "WD0001TRANSFER"); err != nil || b.State != wechat.TransferCanceling {
		t.Fatalf("CancelTransfer: %+v, %v", b, err)
	}
	mu.Lock()
	if len(authErrs) > 0 {
		t.Errorf("the SDK's verifier refused our request signatures: %v", authErrs)
	}
	if len(bodies) != 3 || !strings.Contains(bodies[0], `"transfer_remark":"提现 <&>"`) || !strings.Contains(bodies[0], `"transfer_scene_id":"1000"`) {
		t.Errorf("request bodies %q", bodies)
	}
	mu.Unlock()

	resource := func(state string) string {
		return `{"mch_id":"` + payMchID + `","out_bill_no":"WD0001TRANSFER","transfer_bill_no":"1330000071100999991182020050700019480001",` +
			`"state":"` + state + `","transfer_amount":300,"openid":"o-alice","create_time":"2026-12-03T12:00:00+08:00","update_time":"2026-12-03T12:02:00+08:00"}`
	}
	envelope := func(event, plain string) []byte {
		nonce, ad := "k1X9fRzqWm2Q", "mch_payment"
		block, _ := aes.NewCipher([]byte(keys.APIv3Key))
		gcm, _ := cipher.NewGCM(block)
		ct := base64.StdEncoding.EncodeToString(gcm.Seal(nil, []byte(nonce), []byte(plain), []byte(ad)))
		if got, err := utils.DecryptAES256GCM(keys.APIv3Key, ad, nonce, ct); err != nil || got != plain {
			t.Fatalf("the SDK does not open the resource: %v", err)
		}
		return []byte(`{"id":"EV-2018022511223320873","create_time":"2026-12-03T12:02:01+08:00","resource_type":"encrypt-resource",` +
			`"event_type":"` + event + `","summary":"商家转账单据终态通知","resource":{"original_type":"mch_payment",` +
			`"algorithm":"AEAD_AES_256_GCM","ciphertext":"` + ct + `","associated_data":"` + ad + `","nonce":"` + nonce + `"}}`)
	}
	body := envelope(wechat.EventTransferFinished, resource("SUCCESS"))
	n, err := pay.ParseTransferNotification(sdkSignedHeaders(t, keys.PlatformSerial, keys.PlatformKey, body), body)
	if err != nil || n.State != wechat.TransferSuccess || n.OutBillNo != "WD0001TRANSFER" || n.Amount != 300 || n.OpenID != "o-alice" {
		t.Fatalf("SDK-signed notification: %+v, %v", n, err)
	}
	if _, err := pay.ParseTransferNotification(sdkSignedHeaders(t, "PUB_KEY_ID_0133333333333333333333333333", keys.PlatformKey, body), body); !errors.Is(err, wechat.ErrBadSignature) {
		t.Errorf("third serial: %v", err)
	}
	otherKey := keys.MchKey
	if _, err := pay.ParseTransferNotification(sdkSignedHeaders(t, keys.PlatformSerial, otherKey, body), body); !errors.Is(err, wechat.ErrBadSignature) {
		t.Errorf("forged: %v", err)
	}
	for _, bad := range [][]byte{envelope("TRANSACTION.SUCCESS", resource("SUCCESS")), envelope(wechat.EventTransferFinished, resource("TRANSFERING"))} {
		if _, err := pay.ParseTransferNotification(sdkSignedHeaders(t, keys.PlatformSerial, keys.PlatformKey, bad), bad); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}
