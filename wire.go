package main

import (
	"context"
	"log/slog"

	"luckbox/auth"
	"luckbox/data"
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
	if cfg.demo() {
		wcfg = wechat.Config{AppID: demoAppID, Secret: randomHex(16), BaseURL: base + "/_fake/wechat"}
		a.fake = fake.New(fake.Options{AppID: wcfg.AppID, Secret: wcfg.Secret})
		nickname = func(openid string) string { return openid } // demo users are named by their openid
	}
	a.wx = wechat.New(wcfg)
	a.auth = auth.New(db, wxLogin{a.wx}, auth.Options{
		SessionTTL: cfg.SessionTTL, DefaultNickname: nickname, Pusher: wxPusher{a.wx},
	})
	a.background = db.NewBackground()
	a.auth.RegisterBackground(a.background)

	a.deps = web.Deps{DB: db, Auth: a.auth}
	if a.fake != nil {
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
func (wxLogin) BadCode(err error) bool { return wechat.IsCode(err, 40029, 40163, 40226) }

// wxPusher adapts the WeChat client to auth.Pusher.
type wxPusher struct{ c *wechat.Client }

func (w wxPusher) SendSubscribe(ctx context.Context, openid, template, page string, fields map[string]string) error {
	return w.c.SendSubscribeMessage(ctx, wechat.SubscribeMessage{ToUser: openid, TemplateID: template, Page: page, Data: fields})
}

// Permanent: refused by the user (43101), bad openid (40003), bad template
// (40037), bad data (47003), bad page (41030) never succeed on retry.
func (wxPusher) Permanent(err error) bool { return wechat.IsCode(err, 43101, 40003, 40037, 47003, 41030) }
