package web

import (
	"net/http"
	"strconv"
	"time"
)

// handleBackup streams a consistent snapshot of the whole database (one read
// transaction; writers keep going) as a file download. The snapshot is a
// valid database file: `luckbox restore --from FILE` puts it back.
func (s *Server) handleBackup(w http.ResponseWriter, r *http.Request) {
	// A big file may take longer than the server's write timeout.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	version, err := s.DB.SchemaVersion()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	name := "luckbox-" + s.now().UTC().Format("20060102T150405Z") + ".db"
	started := false
	n, err := s.DB.BackupTo(w, func(size int64) {
		h := w.Header()
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
		h.Set("Content-Length", strconv.FormatInt(size, 10))
		h.Set("Cache-Control", "no-store")
		h.Set("X-Luckbox-Schema-Version", strconv.Itoa(version))
		w.WriteHeader(http.StatusOK)
		started = true
	})
	if err == nil {
		s.log.InfoContext(r.Context(), "backup sent", "bytes", n, "schema_version", version)
		return
	}
	if !started {
		s.writeError(w, r, err)
		return
	}
	// Headers are gone: cut the connection so the client sees a short body,
	// not a complete-looking file.
	s.log.WarnContext(r.Context(), "backup interrupted", "bytes", n, "err", err)
	panic(http.ErrAbortHandler)
}
