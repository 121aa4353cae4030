package cli

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"
)

func loadCertificate(certFile, keyFile string) (*tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, err
		}
	}
	return &cert, nil
}

// certCheckEvery is how often the certificate files are checked for a
// renewal (certbot and the like replace them in place).
const certCheckEvery = time.Minute

// certReloader serves the configured certificate and picks up renewed files
// without a restart: at most once a minute a handshake looks at the files'
// modification times and loads them again if they changed. A pair that does
// not load keeps the previous one (and is logged).
type certReloader struct {
	certFile, keyFile string
	log               *slog.Logger
	now               func() time.Time

	mu        sync.Mutex
	cert      *tls.Certificate
	modCert   time.Time
	modKey    time.Time
	checkedAt time.Time
}

func newCertReloader(certFile, keyFile string, log *slog.Logger) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, log: log, now: time.Now}
	if err := r.load(); err != nil {
		return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	r.warnExpiry()
	return r, nil
}

func (r *certReloader) load() error {
	ci, err := os.Stat(r.certFile)
	if err != nil {
		return err
	}
	ki, err := os.Stat(r.keyFile)
	if err != nil {
		return err
	}
	cert, err := loadCertificate(r.certFile, r.keyFile)
	if err != nil {
		return err
	}
	r.cert, r.modCert, r.modKey = cert, ci.ModTime(), ki.ModTime()
	return nil
}

func (r *certReloader) warnExpiry() {
	if left := r.cert.Leaf.NotAfter.Sub(r.now()); left < 14*24*time.Hour {
		r.log.Warn("TLS certificate expires soon (or has expired): renew it; the server picks up new files within a minute",
			"not_after", r.cert.Leaf.NotAfter.UTC().Format(time.RFC3339), "file", r.certFile)
	}
}

// current returns the certificate, reloading the files if they changed.
func (r *certReloader) current() *tls.Certificate {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := r.now(); now.Sub(r.checkedAt) >= certCheckEvery {
		r.checkedAt = now
		ci, err1 := os.Stat(r.certFile)
		ki, err2 := os.Stat(r.keyFile)
		if err1 == nil && err2 == nil && (!ci.ModTime().Equal(r.modCert) || !ki.ModTime().Equal(r.modKey)) {
			if err := r.load(); err != nil {
				r.log.Warn("TLS certificate files changed but do not load; still serving the previous certificate", "err", err)
			} else {
				r.log.Info("TLS certificate reloaded", "not_after", r.cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
				r.warnExpiry()
			}
		}
	}
	return r.cert
}

// config is the server's TLS configuration.
func (r *certReloader) config() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return r.current(), nil },
	}
}

// loopbackClient is the HTTP client of the server's calls to itself in demo
// mode with TLS (the WeChat client and the payment notifications of the
// fake, both over loopback). The configured certificate may name a public
// host, not 127.0.0.1, or be self-signed, so the client trusts exactly the
// certificate this server presents, and nothing else. Nil without TLS (the
// default clients are fine).
func (c *serveConfig) loopbackClient() *http.Client {
	if c.certs == nil {
		return nil
	}
	r := c.certs
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by the pin below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, r.current().Leaf.Raw) {
				return errors.New("loopback TLS: the peer is not this server's certificate")
			}
			return nil
		},
	}
	return &http.Client{Transport: tr, Timeout: 15 * time.Second}
}
