package auth

import (
	"bytes"
	"slices"
	"sync"
	"time"
)

// maxCachedSessions bounds the session cache (about 1 KiB an entry).
const maxCachedSessions = 1 << 16

// sessionCache keeps the decoded session and user of recently seen tokens,
// with the stored values they were decoded from.
//
// On a database only this process writes (not a replicated copy), every
// write of a session or a user goes through this package, which forgets the
// entries it changes once the write has committed (forget, forgetUser).
// There an entry is the truth and Authenticate answers from it without a
// read transaction. A generation, bumped by every forgetting, keeps a
// decoding read before a commit from being stored after that commit's
// forgetting: store takes the generation seen before the read and stores
// nothing if it moved.
//
// On a replicated copy other nodes' writes arrive without passing here, so
// Authenticate still reads both values and uses an entry only when they are
// byte for byte what it was decoded from (skipping the two JSON decodes).
type sessionCache struct {
	mu      sync.Mutex
	gen     uint64
	entries map[[32]byte]*cachedSession
	byUser  map[uint64][][32]byte // the token hashes in entries, by user
}

type cachedSession struct {
	session, user []byte // the stored values
	expires       time.Time
	u             User
}

func newSessionCache() *sessionCache {
	return &sessionCache{entries: map[[32]byte]*cachedSession{}, byUser: map[uint64][][32]byte{}}
}

// get returns the cached decoding for token hash h, or nil.
func (c *sessionCache) get(h [32]byte) *cachedSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries[h]
}

// generation is the generation to pass to store for a read starting now.
func (c *sessionCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// store remembers a decoding read after generation gen was current, unless
// something was forgotten since (sv and uv are copied: bbolt's are valid
// only inside the transaction).
func (c *sessionCache) store(gen uint64, h [32]byte, sv, uv []byte, expires time.Time, u User) {
	e := &cachedSession{session: bytes.Clone(sv), user: bytes.Clone(uv), expires: expires, u: u}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if len(c.entries) >= maxCachedSessions {
		clear(c.entries) // rare: start over rather than track recency
		clear(c.byUser)
	}
	if _, ok := c.entries[h]; !ok {
		c.byUser[u.Seq] = append(c.byUser[u.Seq], h)
	}
	c.entries[h] = e
}

// forget drops the decoding for token hash h (its session was deleted).
func (c *sessionCache) forget(h [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	e, ok := c.entries[h]
	if !ok {
		return
	}
	delete(c.entries, h)
	hs := slices.DeleteFunc(c.byUser[e.u.Seq], func(x [32]byte) bool { return x == h })
	if len(hs) == 0 {
		delete(c.byUser, e.u.Seq)
	} else {
		c.byUser[e.u.Seq] = hs
	}
}

// forgetUser drops every decoding of user seq's sessions (the user
// changed).
func (c *sessionCache) forgetUser(seq uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, h := range c.byUser[seq] {
		delete(c.entries, h)
	}
	delete(c.byUser, seq)
}
