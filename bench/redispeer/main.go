// Command redispeer is the standard design of the field that `luckbox bench
// --peer redis` compares luckbox with: a Go HTTP service in front of Redis.
//
// It serves the part of luckbox's HTTP API that the benchmark's ping, storm,
// grab-hot and grab-spread scenarios use, with the same paths, status codes
// and JSON shapes (see /work/shared/API.md): the fake WeChat login code,
// login, wallet top-ups paid through the fake WeChat Pay, the wallet balance,
// lucky red packets (create, grab, read), /healthz, /readyz and an admin
// audit. Everything lives in Redis:
//
//   - a lucky packet is split (double average, as luckbox) when it is created
//     and its shares are pushed to a Redis list, together with the packet's
//     hash and the sender's debit, in one MULTI/EXEC (WATCHing the wallet);
//   - a grab is one Lua script: a user who already grabbed gets the same
//     amount again; otherwise LPOP a share (none: exhausted), HSET the claim,
//     RPUSH a settlement record and credit the grabber's wallet.
//
// Durability is Redis's: the benchmark runs redis-server with
// --appendonly yes --appendfsync always, so every acknowledged write is in
// the fsynced append-only file. Tokens are stateless (an HMAC of the user
// id under a key made at start), so a request's authentication costs no
// Redis round trip. Packets never expire here (luckbox refunds after 24 h).
//
// It lives in its own Go module so that luckbox itself does not depend on a
// Redis client.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// listeningPrefix starts the line printed once the server listens (the
// benchmark waits for it).
const listeningPrefix = "redispeer listening on "

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "redispeer:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("redispeer", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "HTTP listen address")
	redisAddr := fs.String("redis", "127.0.0.1:6379", "address of the Redis server")
	pool := fs.Int("pool-size", 10*runtime.GOMAXPROCS(0), "Redis connections at most (the benchmark passes its highest concurrency)")
	admin := fs.String("admin-token", os.Getenv("REDISPEER_ADMIN_TOKEN"), "admin token of the audit (env REDISPEER_ADMIN_TOKEN); empty: no audit")
	var lim Limits
	fs.IntVar(&lim.MaxCount, "packet-max-count", 10000, "most shares of a packet")
	fs.Int64Var(&lim.MaxAmount, "packet-max-amount", 1_000_000_000, "largest packet amount in fen")
	fs.Int64Var(&lim.TopupMax, "topup-max", 1_000_000_000, "largest top-up in fen")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *pool < 1 || lim.MaxCount < 1 || lim.MaxAmount < 1 || lim.TopupMax < 1 {
		return errors.New("--pool-size, --packet-max-count, --packet-max-amount and --topup-max must be positive")
	}
	rdb := redis.NewClient(&redis.Options{Addr: *redisAddr, PoolSize: *pool, MinIdleConns: min(*pool, 64),
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, PoolTimeout: 30 * time.Second})
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("reach redis at %s: %w", *redisAddr, err)
	}
	store := NewStore(rdb, lim)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: NewHandler(store, *admin, log.New(os.Stderr, "redispeer: ", log.LstdFlags)),
		ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("%shttp://%s\n", listeningPrefix, ln.Addr())
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}
