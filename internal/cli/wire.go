package cli

import (
	"context"
	"log/slog"
	"time"

	"luckbox/auth"
	"luckbox/data"
	"luckbox/exchange"
	"luckbox/lottery"
	"luckbox/packet"
	"luckbox/web"
	"luckbox/wechat"
	"luckbox/wechat/fake"
)

// demoAppID is the mini-program app id of demo mode.
const demoAppID = "wxluckboxdemo0001"

// app is the wired application: services, the fake WeChat in demo mode, and
// the background runner.
type app struct {
	deps       web.Deps
	auth       *auth.Service
	background *data.Background
	wx         *wechat.Client
	fake       *fake.Fake // nil in production
}

// wire builds the services. In demo mode the fake WeChat is created and the
// client talks to it over loopback at base+"/_fake/wechat", exactly as it
// would talk to WeChat.
func wire(ctx context.Context, cfg *serveConfig, db *data.DB, log *slog.Logger, base string) (*app, error) {
	a := &app{}
	wcfg := wechat.Config{AppID: cfg.WeChatAppID, Secret: cfg.WeChatSecret, BaseURL: cfg.WeChatBaseURL}
	nickname := func(string) string { return "微信用户" }
	var demoKeys *fake.DemoKeys // WeChat Pay keys shared by the fake and the client in demo mode
	if cfg.demo() {
		wcfg = wechat.Config{AppID: demoAppID, Secret: randomHex(16), BaseURL: base + "/_fake/wechat", HTTPClient: cfg.loopbackClient()}
		keys, err := demoKeysOf(ctx, cfg, db)
		if err != nil {
			return nil, err
		}
		demoKeys = &keys
		a.fake = fake.New(fake.Options{AppID: wcfg.AppID, Secret: wcfg.Secret, Pay: keys.PayOptions(wcfg.AppID, demoMchID, cfg.loopbackClient()),
			RiskyWords: cfg.fakeRiskyWords()})
		nickname = func(openid string) string { return openid } // demo users are named by their openid
	}
	a.wx = wechat.New(wcfg)
	a.auth = auth.New(db, wxLogin{a.wx}, auth.Options{
		SessionTTL: cfg.SessionTTL, DefaultNickname: nickname, Pusher: wxPusher{a.wx}, Phones: wxPhones{a.wx},
		Groups: wxGroups{a.wx}, GroupProofTTL: cfg.GroupProofTTL,
	})
	a.background = db.NewBackground()
	a.auth.RegisterBackground(a.background)

	a.deps = web.Deps{DB: db, Auth: a.auth}
	var err error
	if a.deps.Safety, err = cfg.contentGuard(a.wx, log); err != nil {
		return nil, err
	}
	a.deps.Exchanges = exchange.NewService(db, a.auth, exchange.Options{ReminderTemplate: cfg.ExchangeTemplate})
	a.deps.Lotteries = lottery.New(db, a.auth, lottery.Options{Template: cfg.LotteryTemplate, CancelTemplate: cfg.LotteryCancelTemplate, Logger: log})
	a.deps.Lotteries.RegisterBackground(a.background)
	a.deps.LotteryCode = wxMiniCode{a.wx}
	pay, err := newPay(cfg, demoKeys, wcfg.AppID, base)
	if err != nil {
		return nil, err
	}
	a.deps.Packets = packet.New(db, packet.Options{
		MaxCount: cfg.PacketMaxCount, MaxAmount: cfg.PacketMaxAmount, TTL: cfg.PacketTTL, MaxTopup: cfg.TopupMax,
		Payments: wxPayments{p: pay, appID: wcfg.AppID}, Logger: log,
		Refunds: wxRefunds{p: pay, notifyURL: refundNotifyURL(publicBase(cfg, base))},
		Bills:   wxBills{pay}, ReconcileAt: cfg.ReconcileAt, ReconcileKeep: cfg.ReconcileKeep,
		Withdraw: packet.WithdrawOptions{
			Transfers: wxTransfers{p: pay, appID: wcfg.AppID, mchID: pay.MchID(), notifyURL: transferNotifyURL(cfg, base)},
			Min:       cfg.WithdrawMin, Max: cfg.WithdrawMax, DailyMax: cfg.WithdrawDailyMax, ConfirmWindow: cfg.WithdrawConfirm,
		},
		Notifier: a.auth, Template: cfg.PacketTemplate,
	})
	a.deps.Packets.RegisterBackground(a.background)
	a.deps.PayNotify, a.deps.RefundNotify = wxPayNotify{pay}, wxPayNotify{pay}
	a.deps.TransferNotify = wxTransferNotify{pay}
	if a.fake != nil { // demo mode only
		a.deps.Fake = a.fake
	}
	return a, nil
}

// wxLogin adapts the WeChat client to auth.WeChat.
type wxLogin struct{ c *wechat.Client }

func (w wxLogin) Code2Session(ctx context.Context, code string) (auth.Identity, error) {
	s, err := w.c.Code2Session(ctx, code)
	return auth.Identity{OpenID: s.OpenID, UnionID: s.UnionID, SessionKey: s.SessionKey}, err
}

// BadCode: 40029 invalid code, 40163 code already used, 40226 high-risk user blocked.
func (wxLogin) BadCode(err error) bool { return wechat.IsBadLoginCode(err) }

// wxPusher adapts the WeChat client to auth.Pusher.
type wxPusher struct{ c *wechat.Client }

func (w wxPusher) SendSubscribe(ctx context.Context, openid, template, page string, fields map[string]string) error {
	return w.c.SendSubscribeMessage(ctx, wechat.SubscribeMessage{ToUser: openid, TemplateID: template, Page: page, Data: fields})
}

// Permanent: refused by the user (43101), bad openid (40003), bad template
// (40037), bad data (47003), bad page (41030) never succeed on retry.
func (wxPusher) Permanent(err error) bool {
	return wechat.IsPermanentPush(err)
}

// wxPhones adapts the WeChat client to auth.PhoneResolver.
type wxPhones struct{ c *wechat.Client }

func (w wxPhones) PhoneFromCode(ctx context.Context, code string) (string, string, error) {
	p, err := w.c.GetPhoneNumber(ctx, code)
	return p.CountryCode, p.PurePhoneNumber, err
}

func (w wxPhones) PhoneFromEncrypted(_ context.Context, sessionKey, encryptedData, iv string) (string, string, error) {
	p, err := wechat.DecryptPhone(w.c.AppID(), sessionKey, encryptedData, iv)
	return p.CountryCode, p.PurePhoneNumber, err
}

// BadInput: 40029 invalid or expired code, 40163 code already used; data that
// does not decrypt with the session key or carries another app's watermark.
func (wxPhones) BadInput(err error) bool {
	return wechat.IsBadPhoneInput(err)
}

// wxGroups adapts the WeChat package to auth.GroupResolver.
type wxGroups struct{ c *wechat.Client }

func (w wxGroups) GroupFromEncrypted(_ context.Context, sessionKey, encryptedData, iv string) (string, time.Time, error) {
	si, err := wechat.DecryptShareInfo(w.c.AppID(), sessionKey, encryptedData, iv)
	return si.OpenGID, si.At, err
}

// BadInput: data that does not decrypt with the session key, names another
// app, or lacks the group.
func (wxGroups) BadInput(err error) bool { return wechat.IsBadShareInfo(err) }

// wxMiniCode adapts the WeChat client to web.MiniCode.
type wxMiniCode struct{ c *wechat.Client }

func (w wxMiniCode) UnlimitedCode(ctx context.Context, scene, page string) ([]byte, error) {
	return w.c.GetUnlimitedQRCode(ctx, scene, page, 0)
}
