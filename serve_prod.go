package main

import (
	"crypto/rsa"
	"fmt"
	"net/url"
	"os"
	"strings"

	"luckbox/wechat"
)

// payKeys reads and parses the merchant's private key and the WeChat Pay
// platform's public key from their files.
func (c *serveConfig) payKeys() (*rsa.PrivateKey, *rsa.PublicKey, error) {
	mch, err := os.ReadFile(c.WeChatMchKeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid --wechat-mch-key-file: %w", err)
	}
	mchKey, err := wechat.ParsePrivateKeyPEM(mch)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid --wechat-mch-key-file %s: %w", c.WeChatMchKeyFile, err)
	}
	plat, err := os.ReadFile(c.WeChatPlatformKeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid --wechat-platform-key-file: %w", err)
	}
	platKey, err := wechat.ParsePublicKeyPEM(plat)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid --wechat-platform-key-file %s: %w", c.WeChatPlatformKeyFile, err)
	}
	return mchKey, platKey, nil
}

// validateProduction runs in production mode (WeChat credentials set), after
// every WeChat Pay setting is known to be present: the key files must be
// readable and hold keys, and no WeChat endpoint may be the fake WeChat of
// demo mode, so the server refuses to start half-configured instead of
// failing the first payment.
func (c *serveConfig) validateProduction() error {
	if _, _, err := c.payKeys(); err != nil {
		return err
	}
	for _, s := range []struct{ flag, value string }{
		{"--wechat-base-url", c.WeChatBaseURL},
		{"--wechat-pay-base-url", c.WeChatPayBaseURL},
	} {
		u, err := url.Parse(s.value)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("invalid %s %q: must be an absolute URL", s.flag, s.value)
		}
		if strings.Contains(u.Path, "/_fake/") || strings.HasSuffix(u.Path, "/_fake") {
			return fmt.Errorf("invalid %s %q: production mode (--wechat-app-id set) refuses the fake WeChat; leave out the WeChat credentials for demo mode", s.flag, s.value)
		}
	}
	return nil
}
