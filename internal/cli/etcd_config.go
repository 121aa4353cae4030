package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"luckbox/cluster"
	"luckbox/data/etcdstore"
)

// etcdConfig is how luckbox reaches an etcd cluster (serve --store etcd,
// migrate). The password is read from a file: never in argv or the log.
type etcdConfig struct {
	Endpoints       string
	CA, Cert, Key   string
	User            string
	PasswordFile    string
	Prefix          string
	MaxTxnOps       int
	MaxRequestBytes int
	DialTimeout     time.Duration
	// LeaseTTL is the writer election's session lease (serve only): how
	// long a dead writer keeps the role before another node takes over.
	LeaseTTL time.Duration
}

// Defaults: etcd's own defaults of --max-txn-ops and --max-request-bytes,
// so luckbox never sends what a default member refuses.
const (
	defaultEtcdPrefix          = "/luckbox/"
	defaultEtcdMaxTxnOps       = 128
	defaultEtcdMaxRequestBytes = 1536 * 1024
	defaultEtcdLeaseTTL        = cluster.SessionTTL * time.Second
)

func (c *etcdConfig) register(fs interface {
	StringVar(*string, string, string, string)
	DurationVar(*time.Duration, string, time.Duration, string)
	IntVar(*int, string, int, string)
}) {
	fs.StringVar(&c.Endpoints, "etcd-endpoints", "", "comma-separated etcd client endpoints, host:port or http(s)://host:port (with --store etcd)")
	fs.DurationVar(&c.LeaseTTL, "etcd-lease-ttl", defaultEtcdLeaseTTL, "lease of the writer election, whole seconds: a writer that dies is replaced within about this long (shorter: faster failover, more false ones on a stalled node)")
	c.registerAccess(fs)
}

// registerAccess registers every setting but the endpoints (migrate takes
// them from its etcd:// argument).
func (c *etcdConfig) registerAccess(fs interface {
	StringVar(*string, string, string, string)
	DurationVar(*time.Duration, string, time.Duration, string)
	IntVar(*int, string, int, string)
}) {
	fs.StringVar(&c.CA, "etcd-ca", "", "PEM file of the CA that signed the etcd members' certificates (TLS to etcd)")
	fs.StringVar(&c.Cert, "etcd-cert", "", "PEM client certificate for etcd (with --etcd-key)")
	fs.StringVar(&c.Key, "etcd-key", "", "PEM private key of --etcd-cert")
	fs.StringVar(&c.User, "etcd-user", "", "etcd user name (with --etcd-password-file)")
	fs.StringVar(&c.PasswordFile, "etcd-password-file", "", "file holding the etcd user's password (never on the command line)")
	fs.StringVar(&c.Prefix, "etcd-prefix", defaultEtcdPrefix, "key prefix of this luckbox installation in etcd (starts and ends with /)")
	fs.IntVar(&c.MaxTxnOps, "etcd-max-txn-ops", defaultEtcdMaxTxnOps, "most operations luckbox puts in one etcd transaction: at most the members' --max-txn-ops")
	fs.IntVar(&c.MaxRequestBytes, "etcd-max-request-bytes", defaultEtcdMaxRequestBytes, "largest etcd request luckbox sends, in bytes: at most the members' --max-request-bytes")
	fs.DurationVar(&c.DialTimeout, "etcd-dial-timeout", 5*time.Second, "how long to wait for an etcd connection at start")
}

// validate checks the settings without connecting.
func (c *etcdConfig) validate() error {
	eps, err := c.endpoints()
	if err != nil {
		return err
	}
	if len(eps) == 0 {
		return errors.New("missing --etcd-endpoints: the client addresses of the etcd members, e.g. h1:2379,h2:2379,h3:2379")
	}
	if !strings.HasPrefix(c.Prefix, "/") || !strings.HasSuffix(c.Prefix, "/") || len(c.Prefix) < 2 {
		return fmt.Errorf("invalid --etcd-prefix %q: must start and end with / and name something, e.g. /luckbox/", c.Prefix)
	}
	if c.MaxTxnOps < 16 || c.MaxTxnOps > 1_000_000 {
		return fmt.Errorf("invalid --etcd-max-txn-ops %d: must be 16..1000000 (and at most the members' --max-txn-ops)", c.MaxTxnOps)
	}
	if c.MaxRequestBytes < 64*1024 || c.MaxRequestBytes > 2<<30-1 {
		return fmt.Errorf("invalid --etcd-max-request-bytes %d: must be 65536..2147483647 (and at most the members' --max-request-bytes)", c.MaxRequestBytes)
	}
	if c.DialTimeout < 100*time.Millisecond || c.DialTimeout > 5*time.Minute {
		return fmt.Errorf("invalid --etcd-dial-timeout %s: must be 100ms..5m", c.DialTimeout)
	}
	if c.LeaseTTL != 0 && (c.LeaseTTL < 2*time.Second || c.LeaseTTL > time.Minute || c.LeaseTTL%time.Second != 0) {
		return fmt.Errorf("invalid --etcd-lease-ttl %s: must be whole seconds, 2s..1m", c.LeaseTTL)
	}
	if (c.Cert == "") != (c.Key == "") {
		return errors.New("invalid --etcd-cert/--etcd-key: set both or neither")
	}
	if (c.User == "") != (c.PasswordFile == "") {
		return errors.New("invalid --etcd-user/--etcd-password-file: set both or neither")
	}
	if _, err := c.tls(); err != nil {
		return err
	}
	if c.PasswordFile != "" {
		if _, err := c.password(); err != nil {
			return err
		}
	}
	return nil
}

// endpoints splits --etcd-endpoints, accepting host:port and
// http(s)://host:port.
func (c *etcdConfig) endpoints() ([]string, error) {
	if strings.TrimSpace(c.Endpoints) == "" {
		return nil, nil
	}
	items, err := strictList("--etcd-endpoints", c.Endpoints)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		hostPort := it
		if strings.Contains(it, "://") {
			u, err := url.Parse(it)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Path != "" && u.Path != "/" {
				return nil, fmt.Errorf("invalid --etcd-endpoints item %q: must be host:port or http(s)://host:port", it)
			}
			hostPort = u.Host
		}
		if _, port, err := net.SplitHostPort(hostPort); err != nil || port == "" {
			return nil, fmt.Errorf("invalid --etcd-endpoints item %q: must be host:port or http(s)://host:port", it)
		}
	}
	return items, nil
}

// tls is the client TLS configuration (nil without --etcd-ca or --etcd-cert).
func (c *etcdConfig) tls() (*tls.Config, error) {
	if c.CA == "" && c.Cert == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CA != "" {
		pem, err := os.ReadFile(c.CA)
		if err != nil {
			return nil, fmt.Errorf("invalid --etcd-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("invalid --etcd-ca %s: no PEM certificate in it", c.CA)
		}
		cfg.RootCAs = pool
	}
	if c.Cert != "" {
		cert, err := tls.LoadX509KeyPair(c.Cert, c.Key)
		if err != nil {
			return nil, fmt.Errorf("invalid --etcd-cert/--etcd-key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// password reads --etcd-password-file (one line; the trailing newline is
// not part of the password).
func (c *etcdConfig) password() (string, error) {
	b, err := os.ReadFile(c.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("invalid --etcd-password-file: %w", err)
	}
	p := strings.TrimRight(string(b), "\r\n")
	if p == "" {
		return "", fmt.Errorf("invalid --etcd-password-file %s: it is empty", c.PasswordFile)
	}
	return p, nil
}

// client connects to the cluster and checks that it answers within
// --etcd-dial-timeout.
func (c *etcdConfig) client(ctx context.Context) (*clientv3.Client, error) {
	eps, err := c.endpoints()
	if err != nil {
		return nil, err
	}
	tlsCfg, err := c.tls()
	if err != nil {
		return nil, err
	}
	cfg := clientv3.Config{
		Endpoints: eps, DialTimeout: c.DialTimeout, TLS: tlsCfg, Context: context.WithoutCancel(ctx),
		MaxCallSendMsgSize: c.MaxRequestBytes + 64*1024, // the request plus gRPC framing
		DialKeepAliveTime:  10 * time.Second, DialKeepAliveTimeout: 3 * time.Second,
		RejectOldCluster: true,
		Logger:           zap.NewNop(), // failures come back as errors, logged by luckbox
	}
	if c.User != "" {
		if cfg.Password, err = c.password(); err != nil {
			return nil, err
		}
		cfg.Username = c.User
	}
	cli, err := clientv3.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("etcd at %s does not answer: %w", c.Endpoints, err)
	}
	sctx, cancel := context.WithTimeout(ctx, c.DialTimeout)
	defer cancel()
	if _, err := cli.Get(sctx, c.Prefix, clientv3.WithCountOnly()); err != nil {
		cli.Close()
		return nil, fmt.Errorf("etcd at %s does not answer: %w", c.Endpoints, err)
	}
	return cli, nil
}

// engineConfig is the etcd engine's configuration for these settings over
// the client cli (no fence: add one to write).
func (c *etcdConfig) engineConfig(cli *clientv3.Client) etcdstore.Config {
	return etcdstore.Config{Client: cli, Prefix: c.Prefix, MaxTxnOps: c.MaxTxnOps, MaxRequestBytes: c.MaxRequestBytes}
}

// Storage engines of --store.
const (
	storeBbolt = "bbolt"
	storeEtcd  = "etcd"
)

// validateStore checks --store and, in etcd mode, the cluster settings: a
// node must say where the others reach it, every node must know the admin
// token (it is not generated and shown by one of them), and the writer must
// take the client address from the X-Forwarded-For of forwarded writes.
func (c *serveConfig) validateStore() error {
	switch c.Store {
	case storeBbolt:
		return nil
	case storeEtcd:
	default:
		return fmt.Errorf("invalid --store %q: must be bbolt or etcd", c.Store)
	}
	u, err := url.Parse(c.AdvertiseURL)
	if c.AdvertiseURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return fmt.Errorf("invalid --advertise-url %q: with --store etcd, set this node's absolute URL as the other nodes reach it, e.g. http://10.0.0.2:8080", c.AdvertiseURL)
	}
	if c.AdminToken == "" {
		return errors.New("missing --admin-token: with --store etcd every node needs the same admin token (none is generated)")
	}
	if !c.TrustProxy {
		return errors.New("missing --trust-proxy: with --store etcd the nodes forward writes to the writer, which must take the client address from X-Forwarded-For (run the nodes on a private network)")
	}
	return c.Etcd.validate()
}
