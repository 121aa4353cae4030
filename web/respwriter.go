package web

import (
	"bytes"
	"io"
	"net/http"
)

// responseWriter is the server's one wrapper of http.ResponseWriter: it
// records the status and size of the response (access log, metrics,
// idempotency) and, while a copy is wanted (tee), copies the body (the
// reply an Idempotency-Key stores). serve installs it around every
// request; inner middleware reaches it with wrapWriter.
type responseWriter struct {
	http.ResponseWriter
	status  int
	bytes   int64
	capture io.Writer // the copies of the body, nil when none is wanted
	// beforeHeader, when set, runs once just before the status line is
	// written: the last moment to add a header that depends on the work
	// the handler did (forward.go's revision stamp).
	beforeHeader func(http.Header)
}

// wrapWriter returns w's responseWriter, wrapping w if it has none.
func wrapWriter(w http.ResponseWriter) *responseWriter {
	if rw, ok := w.(*responseWriter); ok {
		return rw
	}
	return &responseWriter{ResponseWriter: w}
}

// tee copies what is written of the body to buf until stop is called.
func (w *responseWriter) tee(buf *bytes.Buffer) (stop func()) {
	prev := w.capture
	if prev == nil {
		w.capture = buf
	} else {
		w.capture = io.MultiWriter(prev, buf)
	}
	return func() { w.capture = prev }
}

func (w *responseWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		w.headerDue()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
		w.headerDue()
	}
	if w.capture != nil {
		w.capture.Write(b)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// headerDue runs beforeHeader, once.
func (w *responseWriter) headerDue() {
	if f := w.beforeHeader; f != nil {
		w.beforeHeader = nil
		f(w.Header())
	}
}

// Unwrap lets http.ResponseController reach the underlying writer (flush, deadlines).
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush supports streaming responses (SSE).
func (w *responseWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
