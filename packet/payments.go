package packet

import (
	"context"
	"errors"
	"time"
)

// Payments is the part of WeChat Pay this package needs; main adapts the
// wechat client to it.
type Payments interface {
	// AppID is the app id payments are made in; notifications must carry it.
	AppID() string
	// Prepay places an order (JSAPI prepay) and returns its prepay_id.
	// Placing the same order again returns the same prepay_id.
	Prepay(ctx context.Context, r PrepayRequest) (prepayID string, err error)
	// PayParams signs the wx.requestPayment parameters of a prepay_id.
	PayParams(prepayID string) (PayParams, error)
	// Query returns the order's state; ErrOrderNotExist if WeChat Pay has none.
	Query(ctx context.Context, outTradeNo string) (Transaction, error)
	// Close closes an unpaid order; ErrOrderPaid if it was paid meanwhile.
	Close(ctx context.Context, outTradeNo string) error
}

// PrepayRequest is an order to place with WeChat Pay.
type PrepayRequest struct {
	OutTradeNo  string
	Description string
	PayerOpenID string
	Attach      string
	Total       int64 // fen
}

// PayParams are the parameters the mini-program passes to wx.requestPayment.
type PayParams struct {
	AppID     string `json:"appId"`
	TimeStamp string `json:"timeStamp"`
	NonceStr  string `json:"nonceStr"`
	Package   string `json:"package"`
	SignType  string `json:"signType"`
	PaySign   string `json:"paySign"`
}

// Transaction is a verified payment state from WeChat Pay: a decrypted
// notification or an order query.
type Transaction struct {
	AppID         string
	OutTradeNo    string
	TransactionID string
	TradeState    string // SUCCESS when paid
	Total         int64  // fen
	SuccessTime   time.Time
}

// TradeSuccess is the trade_state of a paid order.
const TradeSuccess = "SUCCESS"

// Errors of Payments implementations and of notification parsing.
var (
	// ErrOrderNotExist: WeChat Pay knows no order with that out_trade_no.
	ErrOrderNotExist = errors.New("payment order does not exist at WeChat Pay")
	// ErrOrderPaid: the order was paid (so it cannot be closed).
	ErrOrderPaid = errors.New("payment order is already paid")
	// ErrBadSignature: a notification's signature is missing, wrong or a
	// probe (WECHATPAY/SIGNTEST/). Answer 401.
	ErrBadSignature = errors.New("payment notification signature is invalid")
	// ErrStaleNotification: a notification's signed timestamp is too far
	// from now. Answer 401.
	ErrStaleNotification = errors.New("payment notification timestamp is stale")
)
