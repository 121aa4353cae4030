package auth

// Principal is the authenticated caller of a request: a user or the admin.
type Principal struct {
	Admin bool
	User  User // zero for the admin
}

// Scope names the principal for per-caller records (idempotency keys, rate limits).
func (p Principal) Scope() string {
	if p.Admin {
		return "admin"
	}
	return "user:" + p.User.ID()
}
