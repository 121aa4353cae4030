package exchange

import (
	"context"
	"strings"
	"testing"

	"luckbox/data"
)

// TestImportCountsUnreadableRows: a row with the wrong number of fields is a
// row of the file, so the summary counts it (issue: "2 of 2 rows are bad"
// for a file of 3 rows).
func TestImportCountsUnreadableRows(t *testing.T) {
	s, _ := testService(t)
	id := createTest(t, s)
	_, err := s.ImportCSV(context.Background(), id, strings.NewReader("name,phone\nAnn,13900000011\nx\nBob,1\n"))
	e, ok := data.AsError(err)
	if !ok || e.Code != data.EInvalid {
		t.Fatalf("import: %v", err)
	}
	if !strings.HasPrefix(e.Message, "2 of 3 rows are bad") {
		t.Fatalf("summary %q, want 2 of 3 rows are bad", e.Message)
	}
}

// TestHostileText: titles, names and groups go through the shared text
// validator: bidi controls, control characters and invisible-only text are
// refused naming the field; names are stored in NFC.
func TestHostileText(t *testing.T) {
	s, _ := testService(t)
	ctx := context.Background()
	for _, title := range []string{"abc\u202Etxt.exe", "\u200B", "a\x1bb", "x\u2066y"} {
		if _, err := s.CreateExchange(ctx, title); data.ErrorCode(err) != data.EInvalid {
			t.Errorf("title %q: %v", title, err)
		}
	}
	id := createTest(t, s)
	_, err := s.ImportCSV(ctx, id, strings.NewReader("name,phone,group\n\u200B\u200C,13800000001,\nAnn,13800000002,\u202Eabc\n"))
	d := wantDetails(t, err)
	if len(d) != 2 || d[0].Line != 2 || d[0].Field != "name" || d[1].Line != 3 || d[1].Field != "group" {
		t.Fatalf("details %+v", d)
	}
	if _, err := s.ImportCSV(ctx, id, strings.NewReader("name,phone\nRene\u0301e,13800000001\n")); err != nil {
		t.Fatal(err)
	}
	all, err := s.Results(ctx, id, nil)
	if err != nil || len(all) != 1 || all[0].Name != "Renée" {
		t.Fatalf("stored %+v %v; want the NFC name Renée", all, err)
	}
	if _, err := s.UpdateParticipant(ctx, id, all[0].ID, ParticipantUpdate{Name: ptr("\u2067x")}); data.ErrorCode(err) != data.EInvalid {
		t.Fatalf("update with a bidi isolate: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
