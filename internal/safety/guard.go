package safety

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"luckbox/data"
	"luckbox/internal/text"
)

// Suggestions of a Verdict.
const (
	Pass   = "pass"
	Review = "review"
	Risky  = "risky"
)

// Scenes of a Field, as msgSecCheck numbers them.
const (
	SceneProfile   = 1 // nicknames
	SceneComment   = 2
	SceneForum     = 3 // titles, descriptions, prize names
	SceneSocialLog = 4 // greetings and blessings
)

// Policies of Options.OnReview and Options.OnFailure.
const (
	PolicyRefuse = "refuse" // refuse the write
	PolicyAllow  = "allow"  // accept it; on failure also flag it for the admin
	PolicyFlag   = "flag"   // (OnReview only) accept it and flag it for the admin
)

// Reasons of a Flag.
const (
	ReasonCheckFailed = "check_failed" // the check service failed and OnFailure is allow
	ReasonReview      = "review"       // the check answered review and OnReview is flag
)

// Verdict is a Checker's answer about one text.
type Verdict struct {
	Suggest string // Pass, Review or Risky
	Label   int    // the category hit (WeChat's label; 100 is normal)
}

// Checker asks a text security service about content written by openid, to
// be shown in scene.
type Checker interface {
	Check(ctx context.Context, openid string, scene int, content string) (Verdict, error)
}

// Field is one piece of user text of a write.
type Field struct {
	Name  string // as the API names it ("title", "prizes[1].name")
	Scene int
	Text  string
}

// Flag is a field accepted without a clean pass, for the admin to look at.
type Flag struct {
	Field  string
	Reason string // ReasonCheckFailed or ReasonReview
	Label  int    // the verdict's label (0 when the check failed)
	Text   string // the field's normalised text
}

// Options configure a Guard.
type Options struct {
	// Checker answers the checks; nil turns checking off (every text passes).
	Checker Checker
	// OnReview is PolicyRefuse, PolicyFlag (default) or PolicyAllow.
	OnReview string
	// OnFailure is PolicyRefuse (default) or PolicyAllow.
	OnFailure string
	// Timeout bounds the checks of one write (default 3 s).
	Timeout time.Duration
	// CacheSize is how many recent verdicts are kept (default 1024).
	CacheSize int
	// CacheTTL is how long a verdict is reused (default 10 min).
	CacheTTL time.Duration
	// Parallel is how many fields of one write are checked at once (default 4).
	Parallel int
	Logger   *slog.Logger
	Now      func() time.Time
}

// Guard checks the user text of writes. A nil *Guard checks nothing.
type Guard struct {
	opts  Options
	cache *cache
}

// ValidPolicy reports whether p is a valid OnReview (review true) or
// OnFailure policy.
func ValidPolicy(p string, review bool) bool {
	return p == PolicyRefuse || p == PolicyAllow || (review && p == PolicyFlag)
}

// New returns a Guard; it errs on an unknown policy.
func New(opts Options) (*Guard, error) {
	if opts.OnReview == "" {
		opts.OnReview = PolicyFlag
	}
	if opts.OnFailure == "" {
		opts.OnFailure = PolicyRefuse
	}
	if !ValidPolicy(opts.OnReview, true) {
		return nil, fmt.Errorf("safety: on review %q: want refuse, flag or allow", opts.OnReview)
	}
	if !ValidPolicy(opts.OnFailure, false) {
		return nil, fmt.Errorf("safety: on failure %q: want refuse or allow", opts.OnFailure)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 3 * time.Second
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = 1024
	}
	if opts.CacheTTL <= 0 {
		opts.CacheTTL = 10 * time.Minute
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 4
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Guard{opts: opts, cache: newCache(opts.CacheSize, opts.CacheTTL)}, nil
}

// Enabled reports whether g checks anything.
func (g *Guard) Enabled() bool { return g != nil && g.opts.Checker != nil }

// outcome is what the check of one field came to.
type outcome struct {
	v   Verdict
	err error
}

// Check asks about every non-empty field written by openid, before the write.
// It returns an invalid_argument error naming every risky field (and every
// review field under OnReview refuse), an unavailable error when the check
// failed under OnFailure refuse, or else the flags to record once the write
// has succeeded (none when everything passed).
func (g *Guard) Check(ctx context.Context, openid string, fields ...Field) ([]Flag, error) {
	if !g.Enabled() {
		return nil, nil
	}
	todo := make([]Field, 0, len(fields))
	for _, f := range fields {
		if f.Text = text.Normalize(f.Text, true); f.Text != "" {
			todo = append(todo, f)
		}
	}
	outs := g.checkAll(ctx, openid, todo)
	var refused []data.FieldError
	var flags []Flag
	failed := false
	for i, f := range todo {
		o := outs[i]
		switch {
		case o.err != nil:
			g.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "content check failed",
				slog.String("field", f.Name), slog.String("policy", g.opts.OnFailure), slog.String("err", o.err.Error()))
			failed = true
			flags = append(flags, Flag{Field: f.Name, Reason: ReasonCheckFailed, Text: f.Text})
		case o.v.Suggest == Risky || (o.v.Suggest == Review && g.opts.OnReview == PolicyRefuse):
			refused = append(refused, data.FieldError{Field: f.Name, Reason: "was refused by the content safety check; please reword it"})
		case o.v.Suggest == Review && g.opts.OnReview == PolicyFlag:
			flags = append(flags, Flag{Field: f.Name, Reason: ReasonReview, Label: o.v.Label, Text: f.Text})
		}
	}
	if len(refused) > 0 {
		return nil, &data.Error{Code: data.EInvalid, Message: refused[0].Field + ": " + refused[0].Reason, Details: refused}
	}
	if failed && g.opts.OnFailure == PolicyRefuse {
		return nil, data.Errorf(data.EUnavailable, "the content safety check is unavailable; nothing was saved, try again later")
	}
	return flags, nil
}

// checkAll checks fields, Parallel at a time, within one Timeout.
func (g *Guard) checkAll(ctx context.Context, openid string, fields []Field) []outcome {
	outs := make([]outcome, len(fields))
	ctx, cancel := context.WithTimeout(ctx, g.opts.Timeout)
	defer cancel()
	sem := make(chan struct{}, g.opts.Parallel)
	var wg sync.WaitGroup
	for i, f := range fields {
		if v, ok := g.cache.get(f.Scene, f.Text, g.opts.Now()); ok {
			outs[i] = outcome{v: v}
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			v, err := g.opts.Checker.Check(ctx, openid, f.Scene, f.Text)
			if err == nil {
				g.cache.put(f.Scene, f.Text, v, g.opts.Now())
			}
			outs[i] = outcome{v, err}
		}()
	}
	wg.Wait()
	return outs
}
