package packet

import "sync"

// grabHints names the packets whose grabs first look at a read view (to
// answer a rejection or a repeated grab without queuing a write, and to let
// finals learn a final packet) before going to the writer. A grab of any
// other packet goes straight to the writer, which decides every grab anyway:
// for the common case, a first grab of an open packet, the read view only
// repeated the writer's own checks (7 % of the server's CPU per grab).
//
// A packet is named once the writer has answered one of its grabs with a
// rejection or a repeated grab, or one of its grabs took the last share
// (after the commit). So a crowd on a finished or expired packet costs the
// writer one rejection, then read views, then (finals) memory.
//
// Hints only choose the path; they are never an answer. Bounded: past
// maxGrabHints packets the set starts over (a packet forgotten costs its
// next rejection one more trip through the writer).
type grabHints struct {
	mu sync.RWMutex
	m  map[uint64]struct{}
}

const maxGrabHints = 1 << 16

func (h *grabHints) has(seq uint64) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	_, ok := h.m[seq]
	return ok
}

func (h *grabHints) add(seq uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil || len(h.m) >= maxGrabHints {
		h.m = make(map[uint64]struct{})
	}
	h.m[seq] = struct{}{}
}
