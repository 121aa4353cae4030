package data

import (
	"errors"
	"fmt"
)

// Error codes shared by every domain package. The web layer maps each code to
// one HTTP status; the codes and their meaning are part of the public API.
const (
	EInvalid             = "invalid_argument"
	EUnauthenticated     = "unauthenticated"
	EForbidden           = "forbidden"
	ENotFound            = "not_found"
	EConflict            = "conflict"
	EExhausted           = "exhausted"
	EExpired             = "expired"
	ETooLarge            = "too_large"
	EIdempotencyMismatch = "idempotency_mismatch"
	ERateLimited         = "rate_limited"
	EInsufficientStorage = "insufficient_storage" // the disk is full: nothing was saved
	EUnavailable         = "unavailable"          // storage failed otherwise: nothing was saved
	EInternal            = "internal"
)

// Error is a domain error: a stable code, a message safe to show to clients,
// and optional structured details (for example the rows of a failed import).
type Error struct {
	Code    string
	Message string
	Details any
	// Reason is a stable machine-readable word saying why (for example why
	// a forbidden action is refused), for clients to branch on; optional.
	Reason string
}

// Error implements the error interface.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError describes one invalid input field; Line is set for file imports.
type FieldError struct {
	Line   int    `json:"line,omitempty"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Invalid returns an invalid_argument error naming the field.
func Invalid(field, format string, args ...any) *Error {
	reason := fmt.Sprintf(format, args...)
	return &Error{Code: EInvalid, Message: field + ": " + reason,
		Details: []FieldError{{Field: field, Reason: reason}}}
}

// ErrorCode returns the code of a domain error, or EInternal for any other error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// IsRejection reports whether err is a business rejection: a domain error
// (*Error, possibly wrapped) that the same request would meet again, as
// opposed to an internal error or a storage failure (insufficient_storage,
// unavailable), after which a retry may succeed. The writer ends an
// operation that returns one without failing its batch (see Op).
func IsRejection(err error) bool {
	switch ErrorCode(err) {
	case EInternal, EInsufficientStorage, EUnavailable:
		return false
	}
	return true
}

// AsError returns the domain error inside err, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
