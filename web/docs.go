package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"path"
	"time"

	"github.com/go-chi/chi/v5"

	"luckbox/data"
)

// The API reference page: GET /docs is a static page whose small script
// fetches /api/v1/openapi.json and renders it. Everything is embedded; the
// page loads nothing from other origins.
//
//go:embed docs/index.html docs/docs.js docs/docs.css
var docsFS embed.FS

// docsAsset is one embedded file of the reference page.
type docsAsset struct {
	body        []byte
	contentType string
	etag        string
}

var docsAssets = func() map[string]docsAsset {
	types := map[string]string{".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
	out := map[string]docsAsset{}
	for _, name := range []string{"index.html", "docs.js", "docs.css"} {
		b, err := docsFS.ReadFile("docs/" + name)
		if err != nil {
			panic(err) // embedded at build time
		}
		sum := sha256.Sum256(b)
		out[name] = docsAsset{body: b, contentType: types[path.Ext(name)], etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return out
}()

// docsCSP allows the page only its own script, style and the document.
const docsCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func (s *Server) handleDocs(w http.ResponseWriter, r *http.Request) {
	serveDocsAsset(w, r, docsAssets["index.html"])
}

func (s *Server) handleDocsAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := docsAssets[chi.URLParam(r, "asset")]
	if !ok || a.contentType == docsAssets["index.html"].contentType {
		s.writeError(w, r, data.Errorf(data.ENotFound, "no such file"))
		return
	}
	serveDocsAsset(w, r, a)
}

func serveDocsAsset(w http.ResponseWriter, r *http.Request, a docsAsset) {
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("Content-Security-Policy", docsCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache") // revalidate: the ETag changes with the binary
	h.Set("ETag", a.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}
