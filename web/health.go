package web

import "net/http"

// healthzBody is /healthz's answer, always the same.
var healthzBody = []byte(`{"status":"ok"}` + "\n")

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSONBody(w, http.StatusOK, healthzBody)
}

// handleReadyz answers 503 while the storage is closed or its commits fail
// (a full or failing disk: the last commit failed and none succeeded since);
// it becomes ready again by itself once a commit succeeds (data/health.go).
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if s.DB == nil || !s.DB.Ready() {
		out := map[string]string{"status": "unavailable", "reason": "storage is closed"}
		if s.DB != nil && s.DB.CommitsFailing() {
			out["reason"] = "storage commits are failing"
		}
		writeJSON(w, http.StatusServiceUnavailable, out)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	s.metricsHandler.ServeHTTP(w, r)
}
