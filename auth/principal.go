package auth

import "context"

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

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal in ctx, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
