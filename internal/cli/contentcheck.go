package cli

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"luckbox/internal/safety"
	"luckbox/wechat"
	"luckbox/wechat/fake"
)

// validateContentCheck checks the --content-check* settings.
func (c *serveConfig) validateContentCheck() error {
	if c.ContentCheck != "wechat" && c.ContentCheck != "off" {
		return fmt.Errorf("invalid --content-check %q: must be wechat or off", c.ContentCheck)
	}
	if !safety.ValidPolicy(c.ContentCheckFailure, false) {
		return fmt.Errorf("invalid --content-check-failure %q: must be refuse or allow", c.ContentCheckFailure)
	}
	if !safety.ValidPolicy(c.ContentCheckReview, true) {
		return fmt.Errorf("invalid --content-check-review %q: must be refuse, flag or allow", c.ContentCheckReview)
	}
	if c.ContentCheckTimeout < 100*time.Millisecond || c.ContentCheckTimeout > time.Minute {
		return fmt.Errorf("invalid --content-check-timeout %s: must be 100ms..1m", c.ContentCheckTimeout)
	}
	if _, err := strictList("--fake-risky-words", c.FakeRiskyWords); err != nil && c.FakeRiskyWords != "" {
		return err
	}
	return nil
}

// fakeRiskyWords is --fake-risky-words as a list (empty: none).
func (c *serveConfig) fakeRiskyWords() []string {
	if c.FakeRiskyWords == "" {
		return []string{}
	}
	words, _ := strictList("--fake-risky-words", c.FakeRiskyWords)
	return words
}

// contentGuard builds the content safety check (nil with --content-check off).
func (c *serveConfig) contentGuard(wx *wechat.Client, log *slog.Logger) (*safety.Guard, error) {
	if c.ContentCheck == "off" {
		return nil, nil
	}
	return safety.New(safety.Options{
		Checker: wxSecCheck{wx}, OnFailure: c.ContentCheckFailure, OnReview: c.ContentCheckReview,
		Timeout: c.ContentCheckTimeout, Logger: log,
	})
}

// wxSecCheck adapts the WeChat client to safety.Checker.
type wxSecCheck struct{ c *wechat.Client }

func (w wxSecCheck) Check(ctx context.Context, openid string, scene int, content string) (safety.Verdict, error) {
	v, err := w.c.MsgSecCheck(ctx, openid, scene, content)
	return safety.Verdict{Suggest: v.Suggest, Label: v.Label}, err
}

// defaultFakeRiskyWords is the default of --fake-risky-words.
func defaultFakeRiskyWords() string { return strings.Join(fake.DefaultRiskyWords, ",") }
