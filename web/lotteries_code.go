package web

import (
	"context"
	"net/http"
	"strconv"
	"sync"

	"github.com/go-chi/chi/v5"

	"luckbox/data"
)

// MiniCode makes mini-program codes (WeChat's wxa/getwxacodeunlimit): an
// image that opens page with scene as its parameter.
type MiniCode interface {
	UnlimitedCode(ctx context.Context, scene, page string) ([]byte, error)
}

// lotteryCodePage is the mini-program page a lottery's code opens; its
// scene is the lottery id (26 characters, within WeChat's 32).
const lotteryCodePage = "pages/lottery/detail"

// maxCachedCodes bounds the in-memory cache of codes (~10 KB each).
const maxCachedCodes = 1024

// codeCache keeps the codes already made, per lottery id: a code never
// changes, and WeChat limits how often codes may be made. The zero value is
// ready to use.
type codeCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (c *codeCache) get(id string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	img, ok := c.m[id]
	return img, ok
}

func (c *codeCache) put(id string, img []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedCodes {
		c.m = map[string][]byte{} // crude but bounded: start over when full
	}
	c.m[id] = img
}

func (s *Server) handleLotteryCode(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	img, ok := s.lotteryCodes.get(id)
	if !ok {
		if _, err := s.Lotteries.Get(r.Context(), id, 0); err != nil {
			s.writeError(w, r, err)
			return
		}
		if s.LotteryCode == nil {
			s.writeError(w, r, data.Errorf(data.ENotFound, "mini-program codes are not configured"))
			return
		}
		var err error
		if img, err = s.LotteryCode.UnlimitedCode(r.Context(), id, lotteryCodePage); err != nil {
			s.writeError(w, r, err)
			return
		}
		s.lotteryCodes.put(id, img)
	}
	h := w.Header()
	h.Set("Content-Type", http.DetectContentType(img)) // WeChat answers PNG or JPEG
	h.Set("Content-Length", strconv.Itoa(len(img)))
	h.Set("Cache-Control", "private, max-age=86400")
	w.WriteHeader(http.StatusOK)
	w.Write(img)
}
