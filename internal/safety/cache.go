package safety

import (
	"crypto/sha256"
	"strconv"
	"sync"
	"time"
)

// cache keeps the most recent verdicts, at most size, each for ttl: the same
// text (a prize name used again, a greeting sent twice) is not asked again.
// Only answers are kept, never failures.
type cache struct {
	mu    sync.Mutex
	size  int
	ttl   time.Duration
	items map[[32]byte]cached
	order [][32]byte // keys in insertion order, a ring of size entries
	next  int        // where the next key goes in order
}

type cached struct {
	v  Verdict
	at time.Time
}

func newCache(size int, ttl time.Duration) *cache {
	return &cache{size: size, ttl: ttl, items: make(map[[32]byte]cached, size), order: make([][32]byte, 0, size)}
}

func cacheKey(scene int, content string) [32]byte {
	return sha256.Sum256([]byte(strconv.Itoa(scene) + "\x00" + content))
}

func (c *cache) get(scene int, content string, now time.Time) (Verdict, bool) {
	k := cacheKey(scene, content)
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[k]
	if !ok || now.Sub(e.at) >= c.ttl {
		return Verdict{}, false
	}
	return e.v, true
}

func (c *cache) put(scene int, content string, v Verdict, now time.Time) {
	k := cacheKey(scene, content)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[k]; ok {
		c.items[k] = cached{v, now}
		return
	}
	if len(c.order) < c.size {
		c.order = append(c.order, k)
	} else {
		delete(c.items, c.order[c.next])
		c.order[c.next] = k
		c.next = (c.next + 1) % c.size
	}
	c.items[k] = cached{v, now}
}

// len is how many verdicts are kept.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}
