package data

import (
	"errors"
	"fmt"
	"testing"
)

func TestDomainErrors(t *testing.T) {
	e := Errorf(EExhausted, "packet %d is empty", 7)
	if e.Error() != "exhausted: packet 7 is empty" || e.Code != EExhausted || e.Message != "packet 7 is empty" {
		t.Fatalf("Errorf = %+v (%q)", e, e.Error())
	}
	wrapped := fmt.Errorf("grab: %w", e)
	if ErrorCode(wrapped) != EExhausted {
		t.Errorf("ErrorCode(wrapped) = %q", ErrorCode(wrapped))
	}
	if got, ok := AsError(wrapped); !ok || got != e {
		t.Errorf("AsError(wrapped) = %v, %v", got, ok)
	}
	if ErrorCode(errors.New("disk full")) != EInternal || ErrorCode(nil) != EInternal {
		t.Error("ErrorCode of a plain error is not internal")
	}
	if _, ok := AsError(errors.New("x")); ok {
		t.Error("AsError found a domain error in a plain one")
	}
	inv := Invalid("amount", "must be at least %d fen", 1)
	fe, ok := inv.Details.([]FieldError)
	if inv.Code != EInvalid || inv.Message != "amount: must be at least 1 fen" || !ok ||
		len(fe) != 1 || fe[0] != (FieldError{Field: "amount", Reason: "must be at least 1 fen"}) {
		t.Errorf("Invalid = %+v", inv)
	}
}
