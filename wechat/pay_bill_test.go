package wechat_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"luckbox/wechat"
)

// TestTradeBillFromFake: the client applies for the fake's trade bill,
// downloads it under the /_fake/wechat prefix (signed), checks its hash and
// parses it: payments and refunds of the day in Beijing time, amounts in
// fen; the fund flow bill downloads too; a day not over has no bill.
func TestTradeBillFromFake(t *testing.T) {
	e := newPayEnv(t)
	ctx := context.Background()
	for i, total := range []int64{1234, 99} {
		no := fmt.Sprintf("BILL_ORDER_%d", i)
		e.prepay(t, wechat.PrepayRequest{OutTradeNo: no, Description: "红包", PayerOpenID: "o-bill", Total: total})
		e.succeed(t, no, "")
	}
	ref, err := e.pay.CreateRefund(ctx, wechat.RefundRequest{OutTradeNo: "BILL_ORDER_0", OutRefundNo: "RF_BILL_0", Refund: 234, Total: 1234})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(e.srv.URL+"/_fake/wechat/refunds/"+ref.OutRefundNo+"/complete?status=SUCCESS&times=0", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	day := e.clock.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	if _, err := e.pay.TradeBill(ctx, day); err == nil || !strings.Contains(err.Error(), "INVALID_REQUEST") {
		t.Fatalf("today's bill: %v", err)
	}
	e.clock.Add(24 * time.Hour)
	b, err := e.pay.TradeBill(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Rows) != 3 || b.Paid != 1333 || b.Refunded != 234 || b.Date != day {
		t.Fatalf("bill %+v", b)
	}
	r := b.Rows[2]
	if r.TradeState != "REFUND" || r.OutRefundNo != "RF_BILL_0" || r.Refund != 234 || r.RefundStatus != "SUCCESS" || r.OutTradeNo != "BILL_ORDER_0" {
		t.Fatalf("refund row %+v", r)
	}
	ff, err := e.pay.FundFlowBill(ctx, day)
	if err != nil || !strings.HasPrefix(string(ff), "记账时间") || !strings.Contains(string(ff), "`RF_BILL_0") {
		t.Fatalf("fund flow bill %q, %v", ff, err)
	}
	if _, err := e.pay.TradeBill(ctx, "2025/01/02"); err == nil {
		t.Fatal("a bad date was sent")
	}
}

// TestParseTradeBillRefusesInconsistentBills: a summary that disagrees with
// the rows, an amount that is not yuan, a row of another width.
func TestParseTradeBillRefusesInconsistentBills(t *testing.T) {
	header := "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\r\n"
	row := func(amount string) string {
		return "`2025-01-02 11:04:05,`wx1,`1900000109,`0,`,`4200,`NO1,`o,`JSAPI,`SUCCESS,`OTHERS,`CNY,`" + amount + ",`0.00,`0,`0,`0.00,`0.00,`,`,`d,`a,`0.00000,`0.60%,`" + amount + ",`0.00,`\r\n"
	}
	summary := func(n, paid string) string {
		return "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n`" + n + ",`" + paid + ",`0.00,`0.00,`0.00000,`" + paid + ",`0.00\r\n"
	}
	if b, err := wechat.ParseTradeBill([]byte(header + row("12.34") + summary("1", "12.34"))); err != nil || b.Rows[0].Total != 1234 {
		t.Fatalf("a good bill: %+v, %v", b, err)
	}
	for name, text := range map[string]string{
		"count":   header + row("12.34") + summary("2", "12.34"),
		"total":   header + row("12.34") + summary("1", "12.35"),
		"yuan":    header + row("12.345") + summary("1", "12.35"),
		"width":   header + strings.Replace(row("1.00"), ",`d,", ",`d,`x,", 1) + summary("1", "1.00"),
		"summary": header + row("1.00"),
	} {
		if _, err := wechat.ParseTradeBill([]byte(text)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// corruptDownloads changes one byte of every bill download.
type corruptDownloads struct{}

func (corruptDownloads) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || !strings.Contains(r.URL.Path, "/billdownload/") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	body[len(body)/2] ^= 1
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// TestTradeBillHashChecked: a download that does not match the hash WeChat
// Pay gave is refused.
func TestTradeBillHashChecked(t *testing.T) {
	e := newPayEnv(t)
	pay := e.client(t, func(c *wechat.PayConfig) { c.HTTPClient = &http.Client{Transport: corruptDownloads{}} })
	e.clock.Add(24 * time.Hour)
	day := e.clock.Now().Add(-24 * time.Hour).In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	if _, err := e.pay.TradeBill(context.Background(), day); err != nil {
		t.Fatalf("an intact bill: %v", err)
	}
	if _, err := pay.TradeBill(context.Background(), day); err == nil || !strings.Contains(err.Error(), "SHA1") {
		t.Fatalf("a corrupted bill: %v", err)
	}
}
