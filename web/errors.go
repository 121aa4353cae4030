package web

import (
	"errors"
	"log/slog"
	"net/http"
	"sort"

	"luckbox/data"
)

// codeMethodNotAllowed is the error code of a known path asked with a method
// it does not route (405, with Allow). It is the HTTP layer's own: no domain
// operation answers it.
const codeMethodNotAllowed = "method_not_allowed"

// statusOf is the one table from domain error codes to HTTP statuses.
var statusOf = map[string]int{
	data.EInvalid:             http.StatusBadRequest,
	data.EUnauthenticated:     http.StatusUnauthorized,
	data.EForbidden:           http.StatusForbidden,
	data.ENotFound:            http.StatusNotFound,
	codeMethodNotAllowed:      http.StatusMethodNotAllowed,
	data.EConflict:            http.StatusConflict,
	data.EExhausted:           http.StatusGone,
	data.EExpired:             http.StatusGone,
	data.ETooLarge:            http.StatusRequestEntityTooLarge,
	data.EIdempotencyMismatch: http.StatusUnprocessableEntity,
	data.ERateLimited:         http.StatusTooManyRequests,
	data.EInsufficientStorage: http.StatusInsufficientStorage,
	data.EUnavailable:         http.StatusServiceUnavailable,
	data.EInternal:            http.StatusInternalServerError,
}

// ErrorCodes lists every error code the API may answer with, sorted.
func ErrorCodes() []string {
	out := make([]string, 0, len(statusOf))
	for c := range statusOf {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// writeError answers with the JSON error for err. Domain errors carry their
// own safe message; anything else is logged with the request id and answered
// with a generic 500 so internal text never leaks. Storage failures (507,
// 503) answer their own message and log their cause.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := data.AsError(err)
	if ok && data.IsStorageFailure(err) {
		s.log.LogAttrs(r.Context(), slog.LevelError, "storage failure",
			slog.String("request_id", requestID(r.Context())),
			slog.String("route", routePattern(r)),
			slog.String("err", err.Error()))
	}
	if !ok || statusOf[e.Code] == 0 {
		if errors.Is(r.Context().Err(), errors.Unwrap(err)) && r.Context().Err() != nil {
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request canceled", slog.String("request_id", requestID(r.Context())))
		} else {
			s.log.LogAttrs(r.Context(), slog.LevelError, "internal error",
				slog.String("request_id", requestID(r.Context())),
				slog.String("route", routePattern(r)),
				slog.String("err", err.Error()))
		}
		e = &data.Error{Code: data.EInternal, Message: "internal error; the request id identifies it in the server log"}
	}
	writeJSON(w, statusOf[e.Code], errorBody{Error: errorDetail{Code: e.Code, Message: e.Message, Details: e.Details, Reason: e.Reason}})
}
