package cli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// docFiles are the Markdown documents whose links TestDocLinks checks.
func docFiles(t *testing.T) []string {
	files, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{"../../README.md"}, files...)
}

var (
	mdLink    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	mdHeading = regexp.MustCompile(`^#{1,6}\s+(.+?)\s*$`)
)

// anchor is GitHub's id of a heading: lower case, only letters, marks,
// digits, "_", "-" and spaces kept, spaces made "-".
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsNumber(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdOutline returns a document's lines, those of fenced code blocks blanked,
// and the anchors of its headings (repeats get -1, -2, ... as on GitHub).
func mdOutline(t *testing.T, path string) (prose []string, anchors map[string]bool) {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	anchors = map[string]bool{}
	seen := map[string]int{}
	fenced := false
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			line = ""
		}
		if fenced {
			line = ""
		}
		prose = append(prose, line)
		if m := mdHeading.FindStringSubmatch(line); m != nil {
			a := anchor(m[1])
			if n := seen[a]; n > 0 {
				anchors[fmt.Sprintf("%s-%d", a, n)] = true
			} else {
				anchors[a] = true
			}
			seen[a]++
		}
	}
	return prose, anchors
}

// TestDocLinks: every relative link of README.md and docs/*.md names a file
// that exists and, with a #fragment into a Markdown file, a heading there.
func TestDocLinks(t *testing.T) {
	outlines := map[string]map[string]bool{}
	outline := func(path string) map[string]bool {
		if a, ok := outlines[path]; ok {
			return a
		}
		_, a := mdOutline(t, path)
		outlines[path] = a
		return a
	}
	checked := 0
	for _, file := range docFiles(t) {
		prose, _ := mdOutline(t, file)
		for i, line := range prose {
			for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				checked++
				path, frag, _ := strings.Cut(target, "#")
				full := file
				if path != "" {
					full = filepath.Join(filepath.Dir(file), path)
					if _, err := os.Stat(full); err != nil {
						t.Errorf("%s:%d: link %q: %v", file, i+1, target, err)
						continue
					}
				}
				if frag != "" && strings.HasSuffix(full, ".md") && !outline(full)[frag] {
					t.Errorf("%s:%d: link %q: %s has no heading with the anchor %q", file, i+1, target, full, frag)
				}
			}
		}
	}
	if checked < 50 {
		t.Errorf("only %d relative links checked: is the link pattern still right?", checked)
	}
}

// TestOperationsListsEveryFlag: docs/operations.md has one table row per
// flag of luckbox serve, with its environment variable, and no row for a
// flag serve does not know; the README says how many there are.
func TestOperationsListsEveryFlag(t *testing.T) {
	var cfg serveConfig
	fs := newFlagSet("serve", io.Discard)
	cfg.register(fs)
	prose, _ := mdOutline(t, "../../docs/operations.md")
	rows := map[string]string{}
	row := regexp.MustCompile("^\\| `--([a-z0-9-]+)` \\| `([A-Z0-9_]+)` \\|")
	for _, line := range prose {
		if m := row.FindStringSubmatch(line); m != nil {
			rows[m[1]] = m[2]
		}
	}
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		n++
		if env, ok := rows[f.Name]; !ok || env != envName(f.Name) {
			t.Errorf("docs/operations.md: no row | `--%s` | `%s` | (found %q)", f.Name, envName(f.Name), env)
		}
		delete(rows, f.Name)
	})
	for name := range rows {
		t.Errorf("docs/operations.md documents --%s, which serve does not know", name)
	}
	if n == 0 {
		t.Fatal("serve has no flags?")
	}
}
