// Package auth holds users (keyed by WeChat openid), their sessions (random
// tokens stored only as SHA-256 hashes), the admin principal, the context
// helpers that carry the caller, and what belongs to a user beyond the
// session: the bound phone number, subscribe-message grants and the inbox of
// notifications (with their WeChat push through the outbox).
package auth
