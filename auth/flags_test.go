package auth

import (
	"context"
	"strconv"
	"strings"
	"testing"
)

func TestContentFlagsAreBoundedNewestFirst(t *testing.T) {
	s, _, _, _ := newTestService(t)
	ctx := context.Background()
	var flags []ContentFlag
	for i := range MaxContentFlags + 5 {
		flags = append(flags, ContentFlag{Kind: "lottery", Ref: strconv.Itoa(i), Field: "title", Reason: "check_failed", Text: "t"})
	}
	if err := s.FlagContent(ctx, flags[:10]); err != nil {
		t.Fatal(err)
	}
	if err := s.FlagContent(ctx, flags[10:]); err != nil {
		t.Fatal(err)
	}
	n, cursor, first := 0, "", ""
	for {
		page, next, err := s.ContentFlags(ctx, cursor, 100)
		if err != nil {
			t.Fatal(err)
		}
		if first == "" {
			first = page[0].Ref
		}
		n += len(page)
		if next == "" {
			break
		}
		cursor = next
	}
	if n != MaxContentFlags || first != strconv.Itoa(MaxContentFlags+4) {
		t.Fatalf("%d kept (want %d), newest %s", n, MaxContentFlags, first)
	}
	if err := s.FlagContent(ctx, []ContentFlag{{Text: strings.Repeat("長", 500)}}); err != nil {
		t.Fatal(err)
	}
	page, _, _ := s.ContentFlags(ctx, "", 1)
	if r := []rune(page[0].Text); len(r) != maxFlagText || r[len(r)-1] != '…' {
		t.Fatalf("text of %d characters kept", len(r))
	}
}
