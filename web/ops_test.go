package web

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"luckbox/auth"
	"luckbox/data"
)

// TestDocsPage: /docs and its two assets are served from the binary with a
// strict CSP and ETags, and reference nothing on other origins.
func TestDocsPage(t *testing.T) {
	h := newHarness(t)
	page := h.do("GET", "/docs", "", nil)
	wantStatus(t, page, 200, "")
	if ct := page.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	for _, want := range []string{`src="/docs/docs.js"`, `href="/docs/docs.css"`, `/api/v1/openapi.json`} {
		if !strings.Contains(string(page.Body), want) {
			t.Errorf("/docs lacks %s", want)
		}
	}
	for name, ct := range map[string]string{"docs.js": "text/javascript; charset=utf-8", "docs.css": "text/css; charset=utf-8"} {
		r := h.do("GET", "/docs/"+name, "", nil)
		wantStatus(t, r, 200, "")
		if r.Header.Get("Content-Type") != ct || len(r.Body) < 500 {
			t.Errorf("%s: %q, %d bytes", name, r.Header.Get("Content-Type"), len(r.Body))
		}
		etag := r.Header.Get("ETag")
		if etag == "" {
			t.Fatalf("%s has no ETag", name)
		}
		wantStatus(t, h.do("GET", "/docs/"+name, "", nil, "If-None-Match", etag), 304, "")
	}
	for _, name := range []string{"docs/index.html", "docs/docs.js", "docs/docs.css"} {
		b, err := docsFS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"http://", "https://", "//cdn", "@import"} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s references %q: the page must load nothing from other origins", name, bad)
			}
		}
	}
	wantStatus(t, h.do("GET", "/docs/index.html", "", nil), 404, "not_found")
	wantStatus(t, h.do("GET", "/docs/nope.js", "", nil), 404, "not_found")
}

// TestAdminBackup: GET /api/v1/admin/backup streams a database file with
// the schema version, an exact Content-Length and a dated file name; the
// file opens and holds what was committed. Only the admin may take it.
func TestAdminBackup(t *testing.T) {
	h := newHarness(t)
	token, userID := h.login("alice")
	wantStatus(t, h.do("GET", "/api/v1/admin/backup", "", nil), 401, "unauthenticated")
	wantStatus(t, h.do("GET", "/api/v1/admin/backup", token, nil), 403, "forbidden")

	r := h.do("GET", "/api/v1/admin/backup", testAdminToken, nil)
	wantStatus(t, r, 200, "")
	if got := r.Header.Get("Content-Length"); got != strconv.Itoa(len(r.Body)) {
		t.Errorf("Content-Length %s, body %d bytes", got, len(r.Body))
	}
	if got := r.Header.Get("X-Luckbox-Schema-Version"); got != strconv.Itoa(data.SchemaVersion) {
		t.Errorf("schema version header %q", got)
	}
	if got := r.Header.Get("Content-Disposition"); got != `attachment; filename="luckbox-20261122T080000Z.db"` {
		t.Errorf("Content-Disposition %q", got)
	}
	if got := r.Header.Get("Content-Type"); got != "application/octet-stream" {
		t.Errorf("Content-Type %q", got)
	}
	file := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(file, r.Body, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := data.Open(file, data.Options{ReadOnly: true, NoPopulate: true})
	if err != nil {
		t.Fatalf("the backup does not open: %v", err)
	}
	defer db.Close()
	if v, err := db.SchemaVersion(); err != nil || v != data.SchemaVersion {
		t.Fatalf("backup schema %d, %v", v, err)
	}
	var u auth.User
	var found bool
	err = db.View(func(tx data.Tx) error {
		var err error
		u, found, err = auth.UserInTx(tx, userID)
		return err
	})
	if err != nil || !found || u.OpenID != "alice" {
		t.Fatalf("alice in the backup: %v %+v, %v", found, u, err)
	}
}
