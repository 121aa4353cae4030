package fake

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The fake's bills: GET /v3/bill/tradebill and /v3/bill/fundflowbill answer
// {download_url, hash_type SHA1, hash_value}; the download is WeChat Pay's
// text format (a header row, one row per record with every field prefixed
// by a backtick, a summary header and a summary row), built from the fake's
// own record of paid orders and successful refunds of the day (Beijing
// time). Tests tamper with a day's bill through POST /bills/{date}/drop and
// /bills/{date}/alter to see reconciliation find it.

// tradeBillHeader is the header of a trade bill of type ALL.
const tradeBillHeader = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"

// fundFlowBillHeader is the header of a fund flow bill.
const fundFlowBillHeader = "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额（元）,账户结余（元）,资金变更提交申请人,备注,业务凭证号"

// billTamper is what a test changed in a day's bills: numbers (out_trade_no
// or out_refund_no) left out, and amounts (fen) replaced.
type billTamper struct {
	drop  map[string]bool
	alter map[string]int64
}

// billLine is one record of a day's trade bill.
type billLine struct {
	at       time.Time
	no       string // out_trade_no of a payment, out_refund_no of a refund
	fields   []string
	amount   int64 // fen: the order's amount, or the refund's
	isRefund bool
}

func (f *Fake) registerBills(mux *http.ServeMux) {
	f.pay.tamper = map[string]*billTamper{}
	mux.HandleFunc("GET /v3/bill/tradebill", f.billApply("trade"))
	mux.HandleFunc("GET /v3/bill/fundflowbill", f.billApply("fundflow"))
	mux.HandleFunc("GET /v3/billdownload/file", f.billDownload)
	mux.HandleFunc("POST /bills/{date}/drop", f.billTamperRoute)
	mux.HandleFunc("POST /bills/{date}/alter", f.billTamperRoute)
}

// yuan formats fen as WeChat Pay's bills do: yuan with two decimals.
func yuan(fen int64) string { return fmt.Sprintf("%d.%02d", fen/100, fen%100) }

// billLines are the records of date's trade bill; the caller holds f.mu.
func (f *Fake) billLines(date string) []billLine {
	opts := f.opts.Pay
	var lines []billLine
	day := func(t time.Time) bool { return t.In(payCST).Format(time.DateOnly) == date }
	for _, o := range f.pay.orders {
		if o.state != paySuccess || !day(o.successTime) {
			continue
		}
		lines = append(lines, billLine{at: o.successTime, no: o.req.OutTradeNo, amount: o.req.Amount.Total, fields: []string{
			o.successTime.In(payCST).Format(time.DateTime), opts.AppID, opts.MchID, "0", "", o.transactionID, o.req.OutTradeNo,
			o.req.Payer.OpenID, "JSAPI", "SUCCESS", "OTHERS", "CNY", "", "0.00", "0", "0", "0.00", "0.00", "", "",
			o.req.Description, o.req.Attach, "0.00000", "0.60%", "", "0.00", ""}})
	}
	for _, x := range f.pay.refunds {
		if x.status != refundSuccess || !day(x.successTime) {
			continue
		}
		o := f.pay.orders[x.outTradeNo]
		lines = append(lines, billLine{at: x.successTime, no: x.req.OutRefundNo, amount: x.req.Amount.Refund, isRefund: true, fields: []string{
			x.successTime.In(payCST).Format(time.DateTime), opts.AppID, opts.MchID, "0", "", x.transactionID, x.outTradeNo,
			o.req.Payer.OpenID, "JSAPI", "REFUND", "OTHERS", "CNY", "0.00", "0.00", x.refundID, x.req.OutRefundNo, "", "0.00",
			"ORIGINAL", "SUCCESS", o.req.Description, o.req.Attach, "0.00000", "0.60%", yuan(o.req.Amount.Total), "", ""}})
	}
	t := f.pay.tamper[date]
	kept := lines[:0]
	for _, l := range lines {
		if t != nil && t.drop[l.no] {
			continue
		}
		if a, ok := t.alterOf(l.no); ok {
			l.amount = a
		}
		// 应结订单金额 / 订单金额 of a payment, 退款金额 / 申请退款金额 of a refund.
		if l.isRefund {
			l.fields[16], l.fields[25] = yuan(l.amount), yuan(l.amount)
		} else {
			l.fields[12], l.fields[24] = yuan(l.amount), yuan(l.amount)
		}
		kept = append(kept, l)
	}
	sort.Slice(kept, func(i, j int) bool {
		return kept[i].at.Before(kept[j].at) || kept[i].at.Equal(kept[j].at) && kept[i].no < kept[j].no
	})
	return kept
}

func (t *billTamper) alterOf(no string) (int64, bool) {
	if t == nil {
		return 0, false
	}
	a, ok := t.alter[no]
	return a, ok
}

// billText renders a day's bill of kind trade or fundflow; the caller holds f.mu.
func (f *Fake) billText(kind, date string) string {
	var b strings.Builder
	row := func(fields []string) {
		for i, v := range fields {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("`" + v)
		}
		b.WriteString("\r\n")
	}
	lines := f.billLines(date)
	var paid, refunded int64
	for _, l := range lines {
		if l.isRefund {
			refunded += l.amount
		} else {
			paid += l.amount
		}
	}
	if kind == "trade" {
		b.WriteString(tradeBillHeader + "\r\n")
		for _, l := range lines {
			row(l.fields)
		}
		b.WriteString("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n")
		row([]string{strconv.Itoa(len(lines)), yuan(paid), yuan(refunded), "0.00", "0.00000", yuan(paid), yuan(refunded)})
		return b.String()
	}
	b.WriteString(fundFlowBillHeader + "\r\n")
	var balance, in, out int64
	for i, l := range lines {
		kind, dir, amount := "交易", "收入", l.amount
		if l.isRefund {
			kind, dir = "退款", "支出"
			balance -= amount
			out++
		} else {
			balance += amount
			in++
		}
		row([]string{l.at.In(payCST).Format(time.DateTime), l.fields[5], fmt.Sprintf("%s%06d", strings.ReplaceAll(date, "-", ""), i+1),
			kind, kind, dir, yuan(amount), yuan(balance), f.opts.Pay.MchID, "", l.no})
	}
	b.WriteString("资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额\r\n")
	row([]string{strconv.Itoa(len(lines)), strconv.FormatInt(in, 10), yuan(paid), strconv.FormatInt(out, 10), yuan(refunded)})
	return b.String()
}

// billApply serves GET /v3/bill/tradebill and /v3/bill/fundflowbill.
func (f *Fake) billApply(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := f.payAuthenticate(w, r); !ok {
			return
		}
		q := r.URL.Query()
		date := q.Get("bill_date")
		d, err := time.ParseInLocation(time.DateOnly, date, payCST)
		switch {
		case err != nil:
			f.payError(w, r, http.StatusBadRequest, "PARAM_ERROR", "bill_date格式须为yyyy-MM-DD")
			return
		case !d.Before(payMidnight(f.now())):
			// Bills of a day exist once the day is over.
			f.payError(w, r, http.StatusBadRequest, "INVALID_REQUEST", "账单日期须早于今天")
			return
		case kind == "trade" && q.Get("bill_type") != "" && q.Get("bill_type") != "ALL":
			f.payError(w, r, http.StatusBadRequest, "PARAM_ERROR", "fake只支持bill_type=ALL")
			return
		}
		f.mu.Lock()
		text := f.billText(kind, date)
		f.mu.Unlock()
		sum := sha1.Sum([]byte(text))
		// The download URL is absolute, under the prefix the fake is mounted at.
		prefix := strings.TrimSuffix(strings.SplitN(r.RequestURI, "?", 2)[0], r.URL.Path)
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		token := kind + "." + date
		f.payReply(w, r, http.StatusOK, map[string]string{"hash_type": "SHA1", "hash_value": hex.EncodeToString(sum[:]),
			"download_url": scheme + "://" + r.Host + prefix + "/v3/billdownload/file?token=" + token})
	}
}

// billDownload serves GET /v3/billdownload/file?token=: the bill's text (not
// signed, as WeChat Pay does not sign downloads).
func (f *Fake) billDownload(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.payAuthenticate(w, r); !ok {
		return
	}
	kind, date, ok := strings.Cut(r.URL.Query().Get("token"), ".")
	if !ok || (kind != "trade" && kind != "fundflow") {
		f.payError(w, r, http.StatusBadRequest, "PARAM_ERROR", "token无效")
		return
	}
	f.mu.Lock()
	text := f.billText(kind, date)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(text))
}

// billTamperRoute serves the control routes POST /bills/{date}/drop?no=
// (leave a payment or refund out of that day's bills) and
// /bills/{date}/alter?no=&amount= (report another amount, in fen).
func (f *Fake) billTamperRoute(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	no, date := q.Get("no"), r.PathValue("date")
	if no == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"code": "PARAM_ERROR", "message": "no is required"})
		return
	}
	var amount int64
	alter := strings.HasSuffix(r.URL.Path, "/alter")
	if alter {
		a, err := strconv.ParseInt(q.Get("amount"), 10, 64)
		if err != nil || a < 0 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"code": "PARAM_ERROR", "message": "amount must be fen ≥ 0"})
			return
		}
		amount = a
	}
	f.mu.Lock()
	t := f.pay.tamper[date]
	if t == nil {
		t = &billTamper{drop: map[string]bool{}, alter: map[string]int64{}}
		f.pay.tamper[date] = t
	}
	if alter {
		t.alter[no] = amount
	} else {
		t.drop[no] = true
	}
	f.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// payMidnight is the start of t's day in Beijing time.
func payMidnight(t time.Time) time.Time {
	y, m, d := t.In(payCST).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, payCST)
}
