package web

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"luckbox/data"
	"luckbox/exchange"
)

func (s *Server) handleCreateExchange(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Title string `json:"title"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	e, err := s.Exchanges.CreateExchange(r.Context(), in.Title)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, e)
}

func (s *Server) handleListExchanges(w http.ResponseWriter, r *http.Request) {
	all, err := s.Exchanges.ListExchanges(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(all, ""))
}

func (s *Server) handleGetExchange(w http.ResponseWriter, r *http.Request) {
	e, err := s.Exchanges.GetExchange(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}

// importFormat tells CSV from JSON by the Content-Type (JSON when absent).
func importFormat(r *http.Request) (csvBody bool, err error) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return false, nil
	}
	mt, _, perr := mime.ParseMediaType(ct)
	switch {
	case perr != nil:
		return false, data.Invalid("Content-Type", "is malformed")
	case mt == "text/csv" || mt == "application/csv" || mt == "text/comma-separated-values":
		return true, nil
	case mt == "application/json":
		return false, nil
	}
	return false, data.Invalid("Content-Type", "must be text/csv or application/json, not %s", mt)
}

func (s *Server) handleImportParticipants(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	isCSV, err := importFormat(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var n int
	if isCSV {
		body, rerr := io.ReadAll(r.Body)
		if rerr != nil {
			var mbe *http.MaxBytesError
			if errors.As(rerr, &mbe) {
				s.writeError(w, r, data.Errorf(data.ETooLarge, "request body is over %d bytes", mbe.Limit))
				return
			}
			s.writeError(w, r, data.Errorf(data.EInvalid, "could not read the request body"))
			return
		}
		n, err = s.Exchanges.ImportCSV(r.Context(), id, bytes.NewReader(body))
	} else {
		var in struct {
			Items []struct {
				Name    string   `json:"name"`
				Phone   string   `json:"phone"`
				Group   string   `json:"group"`
				Exclude []string `json:"exclude"`
			} `json:"items"`
		}
		if err := decodeJSON(r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		rows := make([]exchange.Row, len(in.Items))
		for i, it := range in.Items {
			rows[i] = exchange.Row{Line: i + 1, Name: it.Name, Phone: it.Phone, Group: it.Group, Exclude: it.Exclude}
		}
		n, err = s.Exchanges.ImportRows(r.Context(), id, rows)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Imported int `json:"imported"`
	}{n})
}

func (s *Server) handlePatchParticipant(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name    *string   `json:"name"`
		Phone   *string   `json:"phone"`
		Group   *string   `json:"group"`
		Exclude *[]string `json:"exclude"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.Exchanges.UpdateParticipant(r.Context(), chi.URLParam(r, "id"), chi.URLParam(r, "pid"),
		exchange.ParticipantUpdate{Name: in.Name, Phone: in.Phone, Group: in.Group, Exclude: in.Exclude})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) handleDeleteParticipant(w http.ResponseWriter, r *http.Request) {
	if err := s.Exchanges.DeleteParticipant(r.Context(), chi.URLParam(r, "id"), chi.URLParam(r, "pid")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleStartExchange(w http.ResponseWriter, r *http.Request) {
	if err := decodeJSON(r, &struct{}{}); err != nil {
		s.writeError(w, r, err)
		return
	}
	e, err := s.Exchanges.Start(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}

// wantsCSV reports whether the client asked for CSV (Accept: text/csv).
func wantsCSV(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err == nil && mt == "text/csv" {
			return true
		}
	}
	return false
}

func (s *Server) handleExchangeResults(w http.ResponseWriter, r *http.Request) {
	var drawn *bool
	switch v := r.URL.Query().Get("drawn"); v {
	case "":
	case "true", "false":
		b := v == "true"
		drawn = &b
	default:
		s.writeError(w, r, data.Invalid("drawn", "must be true or false"))
		return
	}
	id := chi.URLParam(r, "id")
	all, err := s.Exchanges.Results(r.Context(), id, drawn)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if wantsCSV(r) {
		writeResultsCSV(w, id, all)
		return
	}
	writeJSON(w, http.StatusOK, list(all, ""))
}

// resultsColumns are the columns of the CSV export.
var resultsColumns = []string{"id", "name", "phone", "group", "exclude", "drawn", "drawn_at", "recipient", "recipient_id"}

// writeResultsCSV answers with the results as CSV: UTF-8 with a byte-order
// mark (so Excel reads Chinese names), a header row, CRLF line ends. Every
// cell that a spreadsheet would run as a formula (starting with = + - @, a
// tab or a carriage return), phones and exclusions included, gets a leading
// apostrophe.
func writeResultsCSV(w http.ResponseWriter, id string, all []exchange.Participant) {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	cw := csv.NewWriter(&buf)
	cw.UseCRLF = true
	cw.Write(resultsColumns)
	for _, p := range all {
		drawnAt := ""
		if p.DrawnAt != nil {
			drawnAt = p.DrawnAt.UTC().Format(time.RFC3339)
		}
		row := []string{p.ID, p.Name, p.Phone, p.Group, strings.Join(p.Exclude, ";"),
			strconv.FormatBool(p.Drawn()), drawnAt, p.RecipientName, p.RecipientID}
		for i := range row {
			row[i] = cellText(row[i])
		}
		cw.Write(row)
	}
	cw.Flush()
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="exchange-`+id+`-results.csv"`)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}

// cellText guards a text cell against spreadsheet formula injection.
func cellText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (s *Server) handleExchangeReminders(w http.ResponseWriter, r *http.Request) {
	if err := decodeJSON(r, &struct{}{}); err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.Exchanges.Remind(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Reminded       int `json:"reminded"`
		SkippedRecent  int `json:"skipped_recent"`
		WithoutAccount int `json:"without_account"`
	}{res.Reminded, res.SkippedRecent, res.WithoutAccount})
}

// Participant endpoints: the caller is identified by their bound phone.

func (s *Server) handleExchangeSummary(w http.ResponseWriter, r *http.Request) {
	e, err := s.Exchanges.Summary(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}

func (s *Server) handleExchangeDraw(w http.ResponseWriter, r *http.Request) {
	if err := decodeJSON(r, &struct{}{}); err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.Exchanges.Draw(r.Context(), chi.URLParam(r, "id"), currentUser(r).Phone)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) handleExchangeMe(w http.ResponseWriter, r *http.Request) {
	me, err := s.Exchanges.Me(r.Context(), chi.URLParam(r, "id"), currentUser(r).Phone)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, me)
}
