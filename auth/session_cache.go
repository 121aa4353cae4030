package auth

import (
	"bytes"
	"sync"
	"time"
)

// maxCachedSessions bounds the session cache (about 1 KiB an entry).
const maxCachedSessions = 1 << 16

// sessionCache keeps the decoded session and user of recently seen tokens,
// with the stored values they were decoded from. Authenticate still reads
// both values in its read transaction, but when they are byte for byte what
// was decoded before it skips the two JSON decodes (the costly part of
// authenticating a request). Nothing needs invalidating: a changed user or a
// deleted session shows as different (or missing) bytes.
type sessionCache struct {
	mu      sync.Mutex
	entries map[[32]byte]*cachedSession
}

type cachedSession struct {
	session, user []byte // the stored values
	expires       time.Time
	u             User
}

func newSessionCache() *sessionCache {
	return &sessionCache{entries: map[[32]byte]*cachedSession{}}
}

// get returns the cached decoding for token hash h, or nil; the caller
// compares its stored bytes with the current ones before using it.
func (c *sessionCache) get(h [32]byte) *cachedSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries[h]
}

// store remembers a decoding (sv and uv are copied: bbolt's are valid only
// inside the transaction).
func (c *sessionCache) store(h [32]byte, sv, uv []byte, expires time.Time, u User) {
	e := &cachedSession{session: bytes.Clone(sv), user: bytes.Clone(uv), expires: expires, u: u}
	c.mu.Lock()
	if len(c.entries) >= maxCachedSessions {
		clear(c.entries) // rare: start over rather than track recency
	}
	c.entries[h] = e
	c.mu.Unlock()
}

// forget drops the decoding for token hash h (after a logout).
func (c *sessionCache) forget(h [32]byte) {
	c.mu.Lock()
	delete(c.entries, h)
	c.mu.Unlock()
}
