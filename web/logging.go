package web

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// LogHandler wraps h so that every record logged with a request's context
// (logger.InfoContext(r.Context(), ...), LogAttrs(ctx, ...)) carries the
// request's id as request_id, unless the record already has one. main wraps
// the server's logger with it, so services that log with the request context
// get the id too.
func LogHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(requestIDHandler); ok {
		return h
	}
	return requestIDHandler{h}
}

type requestIDHandler struct{ slog.Handler }

// Handle adds request_id from ctx.
func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := requestID(ctx); id != "" {
		has := false
		r.Attrs(func(a slog.Attr) bool {
			has = a.Key == "request_id"
			return !has
		})
		if !has {
			r = r.Clone()
			r.AddAttrs(slog.String("request_id", id))
		}
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs keeps the wrapper around the derived handler.
func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

// WithGroup keeps the wrapper around the derived handler.
func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// LogBuffer is the writer of the server log: records are collected in a
// buffer and written out when it fills, at least every FlushEvery, at
// once for a record at warning level or above (see BufferedLog), and on
// Close. A request's access-log line then costs no write system call; what
// a crash (SIGKILL, power loss) can lose is at most the last second of
// info-level lines. It is safe for concurrent use.
type LogBuffer struct {
	mu     sync.Mutex
	w      *bufio.Writer
	out    io.Writer
	closed bool
	stop   chan struct{}
	done   chan struct{}
}

// FlushEvery is how often a LogBuffer writes out what it holds.
const FlushEvery = time.Second

// NewLogBuffer returns a LogBuffer writing to w (64 KiB of buffer) and
// starts its flusher; Close stops it.
func NewLogBuffer(w io.Writer) *LogBuffer {
	b := &LogBuffer{w: bufio.NewWriterSize(w, 64<<10), out: w, stop: make(chan struct{}), done: make(chan struct{})}
	go b.flushLoop()
	return b
}

func (b *LogBuffer) flushLoop() {
	defer close(b.done)
	t := time.NewTicker(FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.Flush()
		}
	}
}

// Write buffers p (one log record).
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return b.out.Write(p)
	}
	return b.w.Write(p)
}

// Flush writes out what the buffer holds.
func (b *LogBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

// Close stops the flusher and writes out what is left. Records written
// after Close are written out at once.
func (b *LogBuffer) Close() error {
	select {
	case <-b.stop:
	default:
		close(b.stop)
		<-b.done
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return b.w.Flush()
}

// BufferedLog wraps a handler writing to b so that a record at warning
// level or above is written out at once, with everything before it.
func BufferedLog(h slog.Handler, b *LogBuffer) slog.Handler { return flushingHandler{h, b} }

type flushingHandler struct {
	slog.Handler
	b *LogBuffer
}

// Handle handles r, then flushes the buffer for a warning or worse.
func (h flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		if ferr := h.b.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

// WithAttrs keeps the wrapper around the derived handler.
func (h flushingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushingHandler{h.Handler.WithAttrs(attrs), h.b}
}

// WithGroup keeps the wrapper around the derived handler.
func (h flushingHandler) WithGroup(name string) slog.Handler {
	return flushingHandler{h.Handler.WithGroup(name), h.b}
}
