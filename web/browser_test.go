package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// The browser tests drive Debian's chromium (headless) through chromedp
// against the real router served by the test harness. One browser process is
// shared by all flows; each simulated person gets a tab in a browser context
// of its own (separate storage, like a separate profile).

// browserStepTimeout bounds one step of a flow (a navigation, a wait).
const browserStepTimeout = 20 * time.Second

// chromiumPath finds the browser: Debian's /usr/bin/chromium first.
func chromiumPath() string {
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// testBrowser is one headless chromium shared by the flows of a test.
type testBrowser struct {
	root  context.Context // the first tab: keeps the browser alive
	shots string          // where screenshots go (kept after the test)
	mu    sync.Mutex
	n     int // screenshots taken
}

// startBrowser starts chromium, or skips the test when it is missing (fails
// when the CI environment variable is set: CI must run the browser tests).
func startBrowser(t *testing.T) *testBrowser {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed, and CI requires the browser tests (apt-get install chromium)")
		}
		t.Skip("chromium is not installed: skipping the browser tests (apt-get install chromium to run them)")
	}
	profile := t.TempDir()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.WindowSize(1280, 800),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	root, cancelRoot := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelRoot(); cancelAlloc() })
	// The first Do binds the browser's life to its context: root, not a
	// context with a timeout.
	if err := chromedp.Do(root); err != nil {
		t.Fatalf("start chromium (%s): %v", path, err)
	}
	shots, err := os.MkdirTemp("", "luckbox-ui-screenshots-")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots are saved in %s", shots)
	fmt.Println("luckbox UI screenshots:", shots)
	return &testBrowser{root: root, shots: shots}
}

// tab is one browser tab, in its own browser context, as one person.
type tab struct {
	t    *testing.T
	b    *testBrowser
	name string
	base string // the server's URL
	ctx  context.Context

	mu   sync.Mutex
	errs []string // console errors and uncaught exceptions
}

// newTab opens a tab in a fresh browser context. Console errors and uncaught
// exceptions of its pages fail the test.
func (b *testBrowser) newTab(t *testing.T, name, base string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.root, chromedp.WithNewBrowserContext())
	tb := &tab{t: t, b: b, name: name, base: base, ctx: ctx}
	if err := chromedp.Do(ctx); err != nil { // creates the target
		cancel()
		t.Fatalf("%s: open tab: %v", name, err)
	}
	msgs := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range msgs {
			if err != nil {
				return
			}
			// Console API errors and uncaught exceptions; browser log entries
			// (Source set, e.g. "network" for an expected 410) are not page errors.
			if m.IsException() || (m.Type == chromedp.ConsoleError && m.Source == "") {
				tb.mu.Lock()
				tb.errs = append(tb.errs, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line+1))
				tb.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		tb.checkErrors()
		cancel()
		<-done
	})
	return tb
}

// checkErrors fails the test for every console error seen so far.
func (tb *tab) checkErrors() {
	tb.t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, e := range tb.errs {
		tb.t.Errorf("%s: JavaScript error in the page: %s", tb.name, e)
	}
	tb.errs = nil
}

// waitErrors waits until the tab has collected n console errors and returns
// them, forgetting them (for the test of the error collection itself).
func (tb *tab) waitErrors(n int) []string {
	tb.t.Helper()
	deadline := time.Now().Add(browserStepTimeout)
	for {
		tb.mu.Lock()
		if len(tb.errs) >= n || time.Now().After(deadline) {
			errs := tb.errs
			tb.errs = nil
			tb.mu.Unlock()
			return errs
		}
		tb.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
}

// do runs steps with the step timeout, failing the test on error.
func (tb *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, browserStepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.fail(what, err)
	}
}

// fail ends the test with the page's state for diagnosis.
func (tb *tab) fail(what string, err error) {
	tb.t.Helper()
	tb.checkErrors()
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#view') ? document.querySelector('#view').innerText.slice(0, 1500) : ''`))
	if png, serr := chromedp.Run(ctx, chromedp.CaptureScreenshot()); serr == nil {
		name := filepath.Join(tb.b.shots, "failure-"+tb.name+".png")
		if os.WriteFile(name, png, 0o644) == nil {
			tb.t.Logf("%s: screenshot of the failure: %s", tb.name, name)
		}
	}
	tb.t.Fatalf("%s: %s: %v\n  at %s\n  page text: %s", tb.name, what, err, loc, text)
}

// eval runs JavaScript and decodes its result into T (promises are awaited).
func eval[T any](tb *tab, js string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, browserStepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.fail("evaluate "+js, err)
	}
	return v
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// open navigates to path (relative to the server) and waits for the page.
func (tb *tab) open(path string) {
	tb.t.Helper()
	tb.do("open "+path, chromedp.Navigate(tb.base+path))
	tb.waitFor("page ready", `document.querySelector('#view.ready')`)
}

// route changes the hash route of the loaded page (no reload) and waits for it.
func (tb *tab) route(hash string) {
	tb.t.Helper()
	eval[chromedp.Void](tb, `location.hash = `+jsString(hash))
	tb.waitFor("route "+hash, `location.hash === `+jsString(hash)+` && document.querySelector('#view.ready')`)
}

// waitFor waits until the JavaScript expression is truthy.
func (tb *tab) waitFor(what, expr string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, browserStepTimeout)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(40*time.Millisecond), chromedp.WithPollingTimeout(browserStepTimeout)))
	if err != nil {
		tb.fail("wait for "+what+" ("+expr+")", err)
	}
}

// waitVisible waits until the element is in the page and shown.
func (tb *tab) waitVisible(sel string) {
	tb.t.Helper()
	tb.waitFor(sel+" visible", `(() => { const e = document.querySelector(`+jsString(sel)+`); return e && e.getClientRects().length > 0 && !e.disabled; })()`)
}

// click waits for the element and clicks it with the mouse.
func (tb *tab) click(sel string) {
	tb.t.Helper()
	tb.waitVisible(sel)
	tb.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// fill types a value into a form control (setting it and firing input and
// change events, as typing and leaving the field would).
func (tb *tab) fill(sel, value string) {
	tb.t.Helper()
	tb.waitVisible(sel)
	eval[chromedp.Void](tb, `(() => { const e = document.querySelector(`+jsString(sel)+`); e.focus(); e.value = `+jsString(value)+`;
		e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); })()`)
}

// text returns the trimmed text of the element ("" when absent).
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return strings.TrimSpace(eval[string](tb, `(() => { const e = document.querySelector(`+jsString(sel)+`); return e ? e.textContent : ''; })()`))
}

// attr returns an attribute of the element ("" when absent).
func (tb *tab) attr(sel, name string) string {
	tb.t.Helper()
	return eval[string](tb, `(() => { const e = document.querySelector(`+jsString(sel)+`); return e ? (e.getAttribute(`+jsString(name)+`) || '') : ''; })()`)
}

// waitText waits until the element's text contains want.
func (tb *tab) waitText(sel, want string) {
	tb.t.Helper()
	tb.waitFor(fmt.Sprintf("%s to show %q", sel, want),
		`(() => { const e = document.querySelector(`+jsString(sel)+`); return e && e.textContent.includes(`+jsString(want)+`); })()`)
}

// login opens the demo client in lang and logs in as the demo user openid,
// typed into the login form (so any name works), then waits for the home page.
func (tb *tab) login(openid, lang string) {
	tb.t.Helper()
	tb.open("/?lang=" + lang + "#/")
	tb.fill("#login-openid", openid)
	tb.click("#login-submit")
	tb.waitFor("logged in", `document.querySelector('#me-chip') && document.querySelector('#view.ready')`)
}

// shot saves a screenshot of the current page at phone (390×844) and desktop
// (1280×800) widths, as <n>-<name>-phone.png and -desktop.png.
func (tb *tab) shot(name string) {
	tb.t.Helper()
	tb.b.mu.Lock()
	tb.b.n++
	n := tb.b.n
	tb.b.mu.Unlock()
	for _, size := range []struct {
		label         string
		width, height int64
		mobile        bool
	}{{"phone", 390, 844, true}, {"desktop", 1280, 800, false}} {
		var opts []chromedp.EmulateViewportOption
		if size.mobile {
			opts = append(opts, chromedp.EmulateScale(2), chromedp.EmulateMobile)
		}
		tb.do("viewport "+size.label, chromedp.EmulateViewport(size.width, size.height, opts...))
		// The whole page: the viewport is made as tall as the page, so fixed
		// bars (the phone's bottom tab bar) stay at the bottom of the picture.
		height := eval[int64](tb, `new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(document.documentElement.scrollHeight))))`)
		if height > size.height {
			tb.do("viewport "+size.label, chromedp.EmulateViewport(size.width, height, opts...))
		}
		if overflow := eval[int64](tb, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); overflow > 0 {
			tb.t.Errorf("%s: the %s page %s is %d px wider than the screen", tb.name, size.label, name, overflow)
		}
		eval[chromedp.Void](tb, `new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))`)
		ctx, cancel := context.WithTimeout(tb.ctx, browserStepTimeout)
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		cancel()
		if err != nil {
			tb.fail("screenshot "+name, err)
		}
		file := filepath.Join(tb.b.shots, fmt.Sprintf("%02d-%s-%s.png", n, name, size.label))
		if err := os.WriteFile(file, png, 0o644); err != nil {
			tb.t.Fatal(err)
		}
	}
	tb.do("viewport reset", chromedp.EmulateViewport(1280, 800))
}

// phoneView captures what a phone (390×844) shows of the current page,
// without scrolling, at twice the pixel density.
func (tb *tab) phoneView() []byte {
	tb.t.Helper()
	tb.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	eval[chromedp.Void](tb, `new Promise((r) => { window.scrollTo(0, 0); requestAnimationFrame(() => requestAnimationFrame(r)); })`)
	ctx, cancel := context.WithTimeout(tb.ctx, browserStepTimeout)
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	cancel()
	if err != nil {
		tb.fail("phone screenshot", err)
	}
	tb.do("viewport reset", chromedp.EmulateViewport(1280, 800))
	return png
}

// sideBySide saves PNG screenshots next to each other on a light
// background, as name.png in the screenshot folder, and returns its path.
func (b *testBrowser) sideBySide(t *testing.T, name string, shots ...[]byte) string {
	t.Helper()
	const gap = 48
	var imgs []image.Image
	width, height := gap, 0
	for _, s := range shots {
		img, err := png.Decode(bytes.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img)
		width += img.Bounds().Dx() + gap
		height = max(height, img.Bounds().Dy())
	}
	out := image.NewRGBA(image.Rect(0, 0, width, height+2*gap))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.RGBA{0xe9, 0xe4, 0xde, 0xff}), image.Point{}, draw.Src)
	x := gap
	for _, img := range imgs {
		draw.Draw(out, image.Rect(x, gap, x+img.Bounds().Dx(), gap+img.Bounds().Dy()), img, img.Bounds().Min, draw.Src)
		x += img.Bounds().Dx() + gap
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, out); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// allowDownloads saves this tab's downloads into dir (by their suggested names).
func (tb *tab) allowDownloads(dir string) {
	tb.t.Helper()
	c := chromedp.FromContext(tb.ctx)
	_, err := chromedp.CallBrowser(tb.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, BrowserContextID: c.BrowserContextID, DownloadPath: dir,
	})
	if err != nil {
		tb.fail("allow downloads", err)
	}
}

// waitFile waits for a finished download named name in dir and returns it.
func (tb *tab) waitFile(dir, name string) []byte {
	tb.t.Helper()
	deadline := time.Now().Add(browserStepTimeout)
	for {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil {
			return b
		}
		if !errors.Is(err, os.ErrNotExist) {
			tb.t.Fatal(err)
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(dir)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			tb.fail("download "+name, fmt.Errorf("not in %s (has %v)", dir, names))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
