package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// FastPool is a lean HTTP/1.1 client for measured phases: one keep-alive
// connection per worker, requests written from a reused buffer and answers
// parsed just enough (status, Content-Length or chunked body). It exists so
// the load generator, which shares the machine's cores with the server,
// spends as little CPU per request as it can: net/http's client costs
// several times more. A Response's Body is valid until the worker's next
// request.
type FastPool struct {
	hosts []string // host:port of each server; connection i goes to hosts[i mod len]
	conns []*fastConn
}

type fastConn struct {
	mu   sync.Mutex
	c    net.Conn
	br   *bufio.Reader
	req  []byte
	body []byte
}

// NewFastPool returns a pool of workers connections to the server at base,
// or spread round-robin over base and more (nodes of one cluster).
func NewFastPool(base string, workers int, more ...string) (*FastPool, error) {
	p := &FastPool{conns: make([]*fastConn, workers)}
	for _, b := range append([]string{base}, more...) {
		u, err := url.Parse(b)
		if err != nil || u.Scheme != "http" || u.Host == "" {
			return nil, fmt.Errorf("fast client needs an http://host:port URL, got %q", b)
		}
		p.hosts = append(p.hosts, u.Host)
	}
	for i := range p.conns {
		p.conns[i] = &fastConn{}
	}
	return p, nil
}

// Close closes every connection.
func (p *FastPool) Close() {
	for _, c := range p.conns {
		c.mu.Lock()
		if c.c != nil {
			c.c.Close()
			c.c = nil
		}
		c.mu.Unlock()
	}
}

// Do sends one request on the worker's connection (dialing it if needed,
// and once more if the server had closed an idle connection). body may be
// nil; it is sent as application/json.
func (p *FastPool) Do(ctx context.Context, worker int, method, path, token string, body []byte) (Response, error) {
	i := worker % len(p.conns)
	fc, host := p.conns[i], p.hosts[i%len(p.hosts)]
	fc.mu.Lock()
	defer fc.mu.Unlock()
	reused := fc.c != nil
	r, err := fc.do(ctx, host, method, path, token, body)
	if err != nil && reused && isStale(err) && ctx.Err() == nil {
		r, err = fc.do(ctx, host, method, path, token, body)
	}
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return r, nil
}

// isStale reports whether err is what a request on a connection the server
// had already closed gets.
func isStale(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// fastTimeout bounds one request when ctx has no deadline of its own.
const fastTimeout = time.Minute

func (fc *fastConn) do(ctx context.Context, host, method, path, token string, body []byte) (Response, error) {
	if err := ctx.Err(); err != nil {
		return Response{}, err
	}
	if fc.c == nil {
		c, err := net.DialTimeout("tcp", host, 5*time.Second)
		if err != nil {
			return Response{}, err
		}
		fc.c = c
		if fc.br == nil {
			fc.br = bufio.NewReaderSize(c, 16<<10)
		} else {
			fc.br.Reset(c)
		}
	}
	b := fc.req[:0]
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	if token != "" {
		b = append(b, "\r\nAuthorization: Bearer "...)
		b = append(b, token...)
	}
	if body != nil {
		b = append(b, "\r\nContent-Type: application/json"...)
	}
	b = append(b, "\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	b = append(b, body...)
	fc.req = b
	// A stalled server or a canceled run ends the request: the deadline
	// (ctx's, or fastTimeout) and, on cancel, a deadline in the past.
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(fastTimeout)
	}
	if err := fc.c.SetDeadline(deadline); err != nil {
		fc.close()
		return Response{}, err
	}
	c := fc.c
	defer context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })()
	if _, err := fc.c.Write(b); err != nil {
		fc.close()
		return Response{}, err
	}
	r, keep, err := fc.read()
	if err != nil {
		fc.close()
		if errors.Is(err, io.EOF) && r.Status == 0 {
			return r, io.EOF
		}
		return r, err
	}
	if !keep {
		fc.close()
	}
	return r, nil
}

func (fc *fastConn) close() {
	if fc.c != nil {
		fc.c.Close()
		fc.c = nil
	}
}

// read parses one response: status line, headers, then a Content-Length
// or chunked body.
func (fc *fastConn) read() (Response, bool, error) {
	line, err := fc.line()
	if err != nil {
		return Response{}, false, err
	}
	// "HTTP/1.1 201 Created"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return Response{}, false, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return Response{}, false, fmt.Errorf("bad status line %q", line)
	}
	length, chunked, keep := -1, false, true
	for {
		h, err := fc.line()
		if err != nil {
			return Response{}, false, err
		}
		if len(h) == 0 {
			break
		}
		k, v, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			continue
		}
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(v)); err != nil {
				return Response{}, false, fmt.Errorf("bad Content-Length %q", v)
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(v, []byte("chunked"))
		case bytes.EqualFold(k, []byte("Connection")):
			keep = !bytes.EqualFold(v, []byte("close"))
		}
	}
	fc.body = fc.body[:0]
	switch {
	case chunked:
		for {
			l, err := fc.line()
			if err != nil {
				return Response{}, false, err
			}
			l, _, _ = bytes.Cut(l, []byte(";"))
			n, err := strconv.ParseInt(string(bytes.TrimSpace(l)), 16, 64)
			if err != nil || n < 0 {
				return Response{}, false, fmt.Errorf("bad chunk size %q", l)
			}
			if n == 0 {
				for { // trailers, then the blank line
					t, err := fc.line()
					if err != nil {
						return Response{}, false, err
					}
					if len(t) == 0 {
						break
					}
				}
				break
			}
			if err := fc.readBody(int(n)); err != nil {
				return Response{}, false, err
			}
			if _, err := fc.line(); err != nil {
				return Response{}, false, err
			}
		}
	case length >= 0:
		if err := fc.readBody(length); err != nil {
			return Response{}, false, err
		}
	default:
		if status >= 200 && status != 204 && status != 304 {
			return Response{}, false, errors.New("response without length")
		}
	}
	return Response{Status: status, Body: fc.body}, keep, nil
}

func (fc *fastConn) readBody(n int) error {
	start := len(fc.body)
	fc.body = slices.Grow(fc.body, n)[:start+n]
	_, err := io.ReadFull(fc.br, fc.body[start:])
	return err
}

// line reads one CRLF-terminated line, without the CRLF. It is valid until
// the next read.
func (fc *fastConn) line() ([]byte, error) {
	l, err := fc.br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, errors.New("header line too long")
		}
		return nil, err
	}
	return bytes.TrimRight(l, "\r\n"), nil
}
