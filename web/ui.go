package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"luckbox/data"
)

// The web pages: a demo client at / and an admin console at /admin, plain
// HTML, CSS and JavaScript modules embedded in the binary (no build step).
// They call only the public JSON API, so they double as a reference client.
//
//go:embed static
var staticFS embed.FS

// uiCSP is the Content-Security-Policy of the pages: scripts, styles and
// connections to the server itself only; no inline script or style.
const uiCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// asset is one embedded file with its validator.
type asset struct {
	body []byte
	etag string
}

var (
	assetsOnce sync.Once
	assets     map[string]asset // by path under static/, e.g. "js/app.js"
)

// loadAssets reads every embedded file once and computes its ETag (a hash of
// its content), so a browser revalidates cheaply and never runs stale code.
func loadAssets() map[string]asset {
	assetsOnce.Do(func() {
		assets = map[string]asset{}
		_ = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := staticFS.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			assets[strings.TrimPrefix(p, "static/")] = asset{body: b, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
			return nil
		})
	})
	return assets
}

// uiRoutes mounts the pages: GET / (demo client), GET /admin (admin
// console), GET /static/* (their assets) and GET /favicon.ico. They are outside /api/v1.
func (s *Server) uiRoutes(r chi.Router) {
	r.Get("/", s.servePage("index.html"))
	r.Get("/admin", s.servePage("admin.html"))
	r.Get("/static/*", s.handleStatic)
	r.Get("/favicon.ico", s.handleFavicon)
}

// servePage answers with one HTML page. Pages must always be revalidated
// (no-cache), so a new binary's pages are picked up at once.
func (s *Server) servePage(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.serveAsset(w, r, name, "no-cache")
	}
}

// handleStatic serves the embedded assets. Their names carry no version, so
// they are cached with no-cache plus a content ETag: a revalidation costs a
// 304 and a new binary is picked up on the next load.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "*")
	clean := path.Clean("/" + name)[1:]
	if clean != name || name == "" || strings.HasSuffix(name, ".html") {
		s.writeError(w, r, data.Errorf(data.ENotFound, "no such file"))
		return
	}
	s.serveAsset(w, r, name, "no-cache")
}

func (s *Server) serveAsset(w http.ResponseWriter, r *http.Request, name, cache string) {
	a, ok := loadAssets()[name]
	if !ok {
		s.writeError(w, r, data.Errorf(data.ENotFound, "no such file"))
		return
	}
	h := w.Header()
	h.Set("Cache-Control", cache)
	h.Set("ETag", a.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	if strings.HasSuffix(name, ".html") {
		h.Set("Content-Security-Policy", uiCSP)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
	}
	// ServeContent sets the Content-Type from the extension and answers
	// If-None-Match with 304 (the zero modtime disables Last-Modified).
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
}
