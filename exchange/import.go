package exchange

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"luckbox/auth"
	"luckbox/data"
	"luckbox/internal/text"
)

// Row is one participant to import. Line is where the row came from:
// the file line for CSV (the header is line 1), the item number counting
// from 1 for JSON; errors name it.
type Row struct {
	Line    int
	Name    string
	Phone   string
	Group   string
	Exclude []string // phones of participants this one must not give to
}

// Columns are the CSV columns an import understands, in the order
// exports write them. name and phone are required; group and exclude may be
// left out.
var Columns = []string{"name", "phone", "group", "exclude"}

// ParseCSV reads a participant list: UTF-8 (a byte-order mark is
// skipped), a header row naming the columns in any order (case and
// surrounding spaces ignored), then one participant per record; exclude holds
// phones separated by ';'. Records whose fields are all blank are skipped.
// Rows that can not be read (wrong number of fields, bad quoting) are
// returned as problems naming their line, so an import can report them along
// with every other bad row; a missing or bad header is an invalid_argument
// error.
func ParseCSV(r io.Reader) ([]Row, []data.FieldError, error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, data.Errorf(data.EInvalid, "the CSV is empty: the first line must be a header naming the columns %s", strings.Join(Columns, ","))
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil, nil, importError([]data.FieldError{{Line: pe.Line, Field: "csv", Reason: pe.Err.Error()}}, 0)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read CSV: %w", err)
	}
	cols, problems := parseHeader(header)
	if len(problems) > 0 {
		return nil, nil, importError(problems, 0)
	}
	width := len(header)
	var rows []Row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.As(err, &pe) {
			if errors.Is(pe.Err, csv.ErrFieldCount) {
				problems = append(problems, data.FieldError{Line: pe.StartLine, Field: "row",
					Reason: fmt.Sprintf("has %d fields, the header has %d", len(rec), width)})
			} else {
				problems = append(problems, data.FieldError{Line: pe.Line, Field: "csv", Reason: pe.Err.Error()})
			}
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read CSV: %w", err)
		}
		if !slices.ContainsFunc(rec, func(f string) bool { return strings.TrimSpace(f) != "" }) {
			continue
		}
		line, _ := cr.FieldPos(0)
		row := Row{Line: line}
		field := func(name string) string {
			if i, ok := cols[name]; ok {
				return rec[i]
			}
			return ""
		}
		row.Name, row.Phone, row.Group = field("name"), field("phone"), field("group")
		for _, x := range strings.FieldsFunc(field("exclude"), func(r rune) bool { return r == ';' || r == '；' }) {
			if x = strings.TrimSpace(x); x != "" {
				row.Exclude = append(row.Exclude, x)
			}
		}
		rows = append(rows, row)
	}
	return rows, problems, nil
}

// parseHeader maps column names to positions.
func parseHeader(header []string) (map[string]int, []data.FieldError) {
	cols := map[string]int{}
	var problems []data.FieldError
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		switch {
		case !slices.Contains(Columns, name):
			problems = append(problems, data.FieldError{Line: 1, Field: h,
				Reason: fmt.Sprintf("unknown column; the header must name the columns %s", strings.Join(Columns, ","))})
		case hasKey(cols, name):
			problems = append(problems, data.FieldError{Line: 1, Field: name, Reason: "column appears twice"})
		default:
			cols[name] = i
		}
	}
	for _, need := range []string{"name", "phone"} {
		if !hasKey(cols, need) {
			problems = append(problems, data.FieldError{Line: 1, Field: need,
				Reason: fmt.Sprintf("the header lacks the %s column (the first line must name the columns %s)", need, strings.Join(Columns, ","))})
		}
	}
	return cols, problems
}

func hasKey(m map[string]int, k string) bool { _, ok := m[k]; return ok }

// importError is the invalid_argument error of a rejected import.
func importError(problems []data.FieldError, rows int) error {
	slices.SortStableFunc(problems, func(a, b data.FieldError) int { return a.Line - b.Line })
	lines := 0
	for i, p := range problems {
		if i == 0 || p.Line != problems[i-1].Line {
			lines++
		}
	}
	msg := fmt.Sprintf("%d bad lines; nothing was imported", lines)
	if rows > 0 {
		msg = fmt.Sprintf("%d of %d rows are bad; nothing was imported", lines, rows)
	}
	if lines == 1 {
		p := problems[0]
		msg = fmt.Sprintf("line %d: %s: %s; nothing was imported", p.Line, p.Field, p.Reason)
	}
	return &data.Error{Code: data.EInvalid, Message: msg, Details: problems}
}

// cleanRow is a row whose own fields were checked and normalized.
type cleanRow struct {
	line    int
	name    string
	phone   string // "" if the phone was bad
	group   string
	exclude []string // normalized; bad ones left out (and reported)
}

// checkRows validates each row on its own and against the rest of the file.
func checkRows(rows []Row) ([]cleanRow, []data.FieldError) {
	var problems []data.FieldError
	bad := func(line int, field, format string, args ...any) {
		problems = append(problems, data.FieldError{Line: line, Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	out := make([]cleanRow, len(rows))
	firstLine := make(map[string]int, len(rows))
	for i, r := range rows {
		c := cleanRow{line: r.Line}
		name, err := checkName(r.Name)
		if err != nil {
			bad(r.Line, "name", "%s", err)
		}
		c.name = name
		own, err := auth.NormalizePhone(r.Phone)
		dupLine, dup := firstLine[own]
		switch {
		case strings.TrimSpace(r.Phone) == "":
			bad(r.Line, "phone", "missing phone")
		case err != nil:
			bad(r.Line, "phone", "malformed phone %q: %s", clip(r.Phone), err)
		case dup:
			bad(r.Line, "phone", "duplicate phone %s: also on line %d", own, dupLine)
		default:
			firstLine[own] = r.Line
			c.phone = own
		}
		group, err := checkGroup(r.Group)
		if err != nil {
			bad(r.Line, "group", "%s", err)
		}
		c.group = group
		if len(r.Exclude) > MaxExcludes {
			bad(r.Line, "exclude", "lists %d phones; at most %d", len(r.Exclude), MaxExcludes)
		} else {
			for _, x := range r.Exclude {
				p, err := auth.NormalizePhone(x)
				switch {
				case err != nil:
					bad(r.Line, "exclude", "malformed phone %q: %s", clip(x), err)
				case p == own:
					bad(r.Line, "exclude", "excludes the participant's own phone %s", p)
				case !slices.Contains(c.exclude, p):
					c.exclude = append(c.exclude, p)
				}
			}
		}
		out[i] = c
	}
	return out, problems
}

// checkName normalises and checks a participant's name (see package text).
func checkName(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", errors.New("missing name")
	}
	return checkText(s, text.Rule{Min: 1, Max: MaxParticipantName})
}

// checkGroup normalises and checks a group name; it may be empty.
func checkGroup(s string) (string, error) {
	return checkText(s, text.Rule{Max: MaxGroupName})
}

func checkText(s string, r text.Rule) (string, error) {
	s, why := text.Clean(s, r)
	if why != "" {
		return "", errors.New(why)
	}
	return s, nil
}

// clip shortens a bad value quoted back in an error.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= 32 {
		return s
	}
	return string([]rune(s)[:32]) + "…"
}

// newTags draws n non-zero public-id tags.
func newTags(r io.Reader, n int) ([]uint64, error) {
	buf := make([]byte, 8*n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	tags := make([]uint64, n)
	for i := range tags {
		tags[i] = binary.BigEndian.Uint64(buf[8*i:])
		if tags[i] == 0 {
			t, err := data.NewTag(r)
			if err != nil {
				return nil, err
			}
			tags[i] = t
		}
	}
	return tags, nil
}

// ImportCSV adds the participants of a CSV list (see ParseCSV) to a
// draft exchange: all rows or none. See ImportRows.
func (s *Service) ImportCSV(ctx context.Context, id string, r io.Reader) (int, error) {
	if err := s.checkDraft(id); err != nil {
		return 0, err
	}
	rows, problems, err := ParseCSV(r)
	if err != nil {
		return 0, err
	}
	return s.importRows(ctx, id, rows, problems)
}

// ImportRows adds participants to a draft exchange: all rows or none. Every
// bad row is reported in one invalid_argument error whose details name the
// line, field and reason: a missing or too long name, a missing or malformed
// phone, a phone twice in the rows or already on the list, an exclusion
// naming a phone neither in the rows nor on the list, or the participant's
// own. It returns the number imported; conflict once the exchange started.
// Rows without a Line are numbered by their position, from 1.
func (s *Service) ImportRows(ctx context.Context, id string, rows []Row) (int, error) {
	if slices.ContainsFunc(rows, func(r Row) bool { return r.Line == 0 }) {
		rows = slices.Clone(rows)
		for i := range rows {
			if rows[i].Line == 0 {
				rows[i].Line = i + 1
			}
		}
	}
	if err := s.checkDraft(id); err != nil {
		return 0, err
	}
	return s.importRows(ctx, id, rows, nil)
}

// checkDraft answers not_found or conflict early, before an import is parsed
// and checked (the import's write checks again).
func (s *Service) checkDraft(id string) error {
	return s.db.View(func(tx data.Tx) error {
		_, err := load(tx, id, StatusDraft, errStarted)
		return err
	})
}

func (s *Service) importRows(ctx context.Context, id string, rows []Row, problems []data.FieldError) (int, error) {
	if len(rows) == 0 && len(problems) == 0 {
		return 0, data.Errorf(data.EInvalid, "the list holds no participants")
	}
	if len(rows) > s.opts.MaxParticipants {
		return 0, data.Errorf(data.EInvalid, "the list holds %d participants; an exchange holds at most %d", len(rows), s.opts.MaxParticipants)
	}
	// Each problem found while parsing is a record that could not be read:
	// a row of the file all the same.
	total := len(rows) + len(problems)
	clean, more := checkRows(rows)
	problems = append(slices.Clip(problems), more...)
	inFile := make(map[string]bool, len(clean))
	for _, c := range clean {
		if c.phone != "" {
			inFile[c.phone] = true
		}
	}
	tags, err := newTags(s.opts.Rand, len(clean))
	if err != nil {
		return 0, fmt.Errorf("import participants: ids: %w", err)
	}
	err = s.db.Update(ctx, func(tx data.Tx) error {
		c, err := load(tx, id, StatusDraft, errStarted)
		if err != nil {
			return err
		}
		exSeq, ex := c.exSeq, c.ex
		if ex.Participants+len(clean) > s.opts.MaxParticipants {
			return data.Errorf(data.EInvalid, "the list would hold %d participants; an exchange holds at most %d",
				ex.Participants+len(clean), s.opts.MaxParticipants)
		}
		idx := data.MustBucket(tx, bucketPhones)
		all := slices.Clip(problems)
		for _, c := range clean {
			if c.phone != "" && idx.Get(phoneKey(exSeq, c.phone)) != nil {
				all = append(all, data.FieldError{Line: c.line, Field: "phone", Reason: fmt.Sprintf("phone %s is already on the list", c.phone)})
			}
			for _, x := range c.exclude {
				if !inFile[x] && idx.Get(phoneKey(exSeq, x)) == nil {
					all = append(all, data.FieldError{Line: c.line, Field: "exclude",
						Reason: fmt.Sprintf("excludes %s, a phone neither in this list nor on the exchange", x)})
				}
			}
		}
		if len(all) > 0 {
			return importError(all, total)
		}
		parts := data.MustBucket(tx, bucketParticipants)
		seqOf := make(map[string]uint64, len(clean))
		seqs := make([]uint64, len(clean))
		for i, c := range clean {
			seq, err := parts.NextSequence()
			if err != nil {
				return err
			}
			seqs[i], seqOf[c.phone] = seq, seq
		}
		for i, c := range clean {
			p := participantRec{Tag: tags[i], Name: c.name, Phone: c.phone, Group: c.group}
			for _, x := range c.exclude {
				xs, ok := seqOf[x]
				if !ok {
					xs = data.ParseU64(idx.Get(phoneKey(exSeq, x)))
				}
				p.Exclude = append(p.Exclude, xs)
			}
			if err := data.PutJSON(parts, partKey(exSeq, seqs[i]), p); err != nil {
				return err
			}
			if err := idx.Put(phoneKey(exSeq, c.phone), data.U64(seqs[i])); err != nil {
				return err
			}
		}
		ex.Participants += len(clean)
		ex.Version++
		return putExchange(tx, exSeq, ex)
	})
	if err != nil {
		return 0, fmt.Errorf("import participants: %w", err)
	}
	return len(clean), nil
}
