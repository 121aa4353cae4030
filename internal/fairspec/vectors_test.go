package fairspec

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/fairness-vectors.json from the code")

const (
	vectorsFile  = "../../docs/fairness-vectors.json"
	verifierFile = "../../docs/fairness-verify.py"
)

// encode is the file's bytes: indented JSON, UTF-8 as is.
func encode(t *testing.T, v Vectors) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestVectorsCurrent: docs/fairness-vectors.json is exactly what the code
// computes, so the vectors cannot go stale. Building them checks every
// tampered proof and packet fails at the rule the vector names.
func TestVectorsCurrent(t *testing.T) {
	want := encode(t, buildVectors(t))
	if *update {
		if err := os.WriteFile(vectorsFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", vectorsFile)
		return
	}
	got, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("docs/fairness-vectors.json is not what the code computes; line %d is\n  %s\nthe code says\n  %s\n"+
					"If the specification changed on purpose (then it is a new algorithm version), run: go test ./internal/fairspec -update", i+1, g, w)
			}
		}
	}
}

// TestIndependentVerifier runs docs/fairness-verify.py, an implementation of
// docs/fairness.md that shares no code with luckbox, over the vectors. It
// needs python3: without it the test is skipped, except under CI (the CI
// variable set), where it fails.
func TestIndependentVerifier(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("python3 is missing: install it (apt-get install python3) to run the independent fairness verifier")
		}
		t.Skip("python3 not found: the independent verifier docs/fairness-verify.py did not run (apt-get install python3)")
	}
	out, err := exec.Command(py, verifierFile, vectorsFile).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "OK: all ") {
		t.Fatalf("docs/fairness-verify.py disagrees with the Go code: %v\n%s", err, out)
	}
	t.Logf("%s", bytes.TrimSpace(out))
}
