package wechat

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// BillRow is one record of a trade bill: a payment (TradeState SUCCESS) or
// a refund (TradeState REFUND, with the refund's numbers and amount).
type BillRow struct {
	Time          time.Time
	TransactionID string
	OutTradeNo    string
	TradeState    string // SUCCESS or REFUND
	Total         int64  // fen: the order's amount (payments)
	RefundID      string
	OutRefundNo   string
	Refund        int64  // fen (refunds)
	RefundStatus  string // SUCCESS, PROCESSING... (refunds)
}

// Bill is a parsed trade bill of one day.
type Bill struct {
	Date     string
	Rows     []BillRow
	Paid     int64 // fen, the summary's 应结订单总金额
	Refunded int64 // fen, the summary's 退款总金额
}

// TradeBill downloads the trade bill (bill_type ALL) of date (yyyy-MM-dd,
// Beijing time): it applies for it (GET /v3/bill/tradebill), downloads the
// file, checks its SHA1 against the hash WeChat Pay gave and parses it.
func (p *Pay) TradeBill(ctx context.Context, date string) (Bill, error) {
	text, err := p.downloadBill(ctx, "/v3/bill/tradebill", url.Values{"bill_date": {date}, "bill_type": {"ALL"}})
	if err != nil {
		return Bill{}, fmt.Errorf("wechat pay: trade bill %s: %w", date, err)
	}
	b, err := ParseTradeBill(text)
	if err != nil {
		return Bill{}, fmt.Errorf("wechat pay: trade bill %s: %w", date, err)
	}
	b.Date = date
	return b, nil
}

// FundFlowBill downloads the fund flow bill of date (GET
// /v3/bill/fundflowbill, account BASIC) and returns its text, checked
// against its SHA1.
func (p *Pay) FundFlowBill(ctx context.Context, date string) ([]byte, error) {
	text, err := p.downloadBill(ctx, "/v3/bill/fundflowbill", url.Values{"bill_date": {date}})
	if err != nil {
		return nil, fmt.Errorf("wechat pay: fund flow bill %s: %w", date, err)
	}
	return text, nil
}

// downloadBill applies for a bill and downloads it. The download URL must
// be on the API's own host (the signed download request goes nowhere
// else); the download is not signed by WeChat Pay, its hash is.
func (p *Pay) downloadBill(ctx context.Context, path string, query url.Values) ([]byte, error) {
	if _, err := time.Parse(time.DateOnly, query.Get("bill_date")); err != nil {
		return nil, fmt.Errorf("bill_date must be yyyy-MM-dd: %w", err)
	}
	var applied struct {
		HashType    string `json:"hash_type"`
		HashValue   string `json:"hash_value"`
		DownloadURL string `json:"download_url"`
	}
	if err := p.do(ctx, http.MethodGet, path, query, nil, &applied); err != nil {
		return nil, err
	}
	u, err := url.Parse(applied.DownloadURL)
	base, _ := url.Parse(p.base)
	if err != nil || u.Scheme != base.Scheme || u.Host != base.Host {
		return nil, fmt.Errorf("download_url %q is not on %s", applied.DownloadURL, base.Host)
	}
	if applied.HashType != "SHA1" {
		return nil, fmt.Errorf("unsupported hash_type %q", applied.HashType)
	}
	_, text, err := p.send(ctx, http.MethodGet, applied.DownloadURL, "bill download", nil)
	if err != nil {
		return nil, err
	}
	sum := sha1.Sum(text)
	if !strings.EqualFold(hex.EncodeToString(sum[:]), applied.HashValue) {
		return nil, errors.New("the downloaded bill does not match its SHA1 hash_value")
	}
	return text, nil
}

// billFields splits a bill line into its fields, each without the
// backtick WeChat Pay puts before it.
func billFields(line string) []string {
	fs := strings.Split(strings.TrimRight(line, "\r"), ",")
	for i, f := range fs {
		fs[i] = strings.TrimPrefix(f, "`")
	}
	return fs
}

// parseYuan parses an amount in yuan with at most two decimals into fen.
func parseYuan(s string) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 || whole == "" {
		return 0, fmt.Errorf("amount %q is not yuan with two decimals", s)
	}
	frac += strings.Repeat("0", 2-len(frac))
	y, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || y < 0 || f < 0 {
		return 0, fmt.Errorf("amount %q is not yuan with two decimals", s)
	}
	return y*100 + f, nil
}

// ParseTradeBill parses a trade bill in WeChat Pay's text format: a header
// row, one row per record (fields prefixed with a backtick), then a summary
// header (总交易单数,...) and a summary row, which must agree with the rows
// (count, paid and refunded totals).
func ParseTradeBill(text []byte) (Bill, error) {
	lines := strings.Split(strings.TrimRight(string(text), "\r\n"), "\n")
	if len(lines) < 3 {
		return Bill{}, errors.New("bill: too short")
	}
	col := map[string]int{}
	for i, name := range billFields(lines[0]) {
		col[strings.TrimPrefix(name, "\ufeff")] = i
	}
	for _, name := range []string{"交易时间", "微信订单号", "商户订单号", "交易状态", "应结订单金额", "微信退款单号", "商户退款单号", "退款金额", "退款状态"} {
		if _, ok := col[name]; !ok {
			return Bill{}, fmt.Errorf("bill: header has no %s", name)
		}
	}
	var b Bill
	i := 1
	for ; i < len(lines) && !strings.HasPrefix(lines[i], "总交易单数"); i++ {
		r, err := parseBillRow(billFields(lines[i]), col)
		if err != nil {
			return Bill{}, fmt.Errorf("bill: line %d: %w", i+1, err)
		}
		b.Rows = append(b.Rows, r)
		b.Paid += r.Total
		b.Refunded += r.Refund
	}
	if i+1 >= len(lines) {
		return Bill{}, errors.New("bill: no summary")
	}
	sum := billFields(lines[i+1])
	if len(sum) < 3 {
		return Bill{}, errors.New("bill: short summary")
	}
	n, err := strconv.Atoi(sum[0])
	paid, err2 := parseYuan(sum[1])
	refunded, err3 := parseYuan(sum[2])
	if err := errors.Join(err, err2, err3); err != nil {
		return Bill{}, fmt.Errorf("bill: summary: %w", err)
	}
	if n != len(b.Rows) || paid != b.Paid || refunded != b.Refunded {
		return Bill{}, fmt.Errorf("bill: summary says %d records, %d paid, %d refunded; the rows are %d, %d, %d",
			n, paid, refunded, len(b.Rows), b.Paid, b.Refunded)
	}
	return b, nil
}

// parseBillRow reads one record of a trade bill.
func parseBillRow(f []string, col map[string]int) (BillRow, error) {
	get := func(name string) string {
		if i := col[name]; i < len(f) {
			return f[i]
		}
		return ""
	}
	if len(f) != len(col) {
		return BillRow{}, fmt.Errorf("%d fields, the header has %d", len(f), len(col))
	}
	at, err := time.ParseInLocation(time.DateTime, get("交易时间"), payCST)
	if err != nil {
		return BillRow{}, fmt.Errorf("交易时间: %w", err)
	}
	r := BillRow{Time: at, TransactionID: get("微信订单号"), OutTradeNo: get("商户订单号"), TradeState: get("交易状态"),
		RefundID: get("微信退款单号"), OutRefundNo: get("商户退款单号"), RefundStatus: get("退款状态")}
	switch r.TradeState {
	case TradeStateSuccess:
		r.Total, err = parseYuan(get("应结订单金额"))
	case TradeStateRefund:
		r.Refund, err = parseYuan(get("退款金额"))
	default:
		err = fmt.Errorf("交易状态 %q", r.TradeState)
	}
	if err != nil {
		return BillRow{}, err
	}
	return r, nil
}
