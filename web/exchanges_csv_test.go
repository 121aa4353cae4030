package web

import (
	"encoding/csv"
	"net/http/httptest"
	"strings"
	"testing"

	"luckbox/exchange"
)

// TestResultsCSVNeutralisesFormulas: every cell a spreadsheet would run as
// a formula gets an apostrophe, phone and exclude cells included.
func TestResultsCSVNeutralisesFormulas(t *testing.T) {
	rec := httptest.NewRecorder()
	writeResultsCSV(rec, "x", []exchange.Participant{{
		ID: "p1", Name: "=HYPERLINK(\"http://x\")", Phone: "+8613800000001", Group: "@g",
		Exclude: []string{"-1+1", "13800000002"}, RecipientName: "\tTab",
	}})
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(rec.Body.String(), "\ufeff"))).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("csv %q: %v", rec.Body.String(), err)
	}
	for i, cell := range rows[1] {
		if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
			t.Errorf("column %s: cell %q starts a formula", rows[0][i], cell)
		}
	}
	if rows[1][2] != "'+8613800000001" || rows[1][4] != "'-1+1;13800000002" {
		t.Errorf("phone %q, exclude %q", rows[1][2], rows[1][4])
	}
}
