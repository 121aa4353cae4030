package web

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for the flusher and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLogBuffer: info lines wait in the buffer; a warning writes them out
// with it; the flusher writes out the rest within FlushEvery; Close writes
// out what is left and later lines go straight through.
func TestLogBuffer(t *testing.T) {
	out := &lockedBuffer{}
	buf := NewLogBuffer(out)
	log := slog.New(BufferedLog(slog.NewTextHandler(buf, nil), buf))
	ctx := context.Background()
	log.InfoContext(ctx, "request one")
	if s := out.String(); s != "" {
		t.Fatalf("an info line was written at once: %q", s)
	}
	log.WarnContext(ctx, "trouble")
	if s := out.String(); !strings.Contains(s, "request one") || !strings.Contains(s, "trouble") {
		t.Fatalf("a warning did not write out the buffer: %q", s)
	}
	log.InfoContext(ctx, "request two")
	for deadline := time.Now().Add(20 * FlushEvery); !strings.Contains(out.String(), "request two"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the flusher never wrote out an info line")
		}
	}
	log.InfoContext(ctx, "request three")
	if err := buf.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "request three") {
		t.Fatal("Close did not write out the buffer")
	}
	log.InfoContext(ctx, "after close")
	if !strings.Contains(out.String(), "after close") {
		t.Fatal("a line after Close was kept")
	}
	if err := buf.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
