package ocop

import "context"

// Principal is the authenticated caller of a request.
type Principal struct {
	UserID    string
	Roles     []Role
	SessionID string
	// User is the account as loaded when the request was authenticated.
	User *User
}

// HasRole reports whether the principal holds role r.
func (p Principal) HasRole(r Role) bool {
	for _, have := range p.Roles {
		if have == r {
			return true
		}
	}
	return false
}

type principalKey struct{}
type requestIDKey struct{}

// WithPrincipal returns a context carrying the caller's identity.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller's identity, if the request was authenticated.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// WithRequestID returns a context carrying the request ID, so that logs and
// audit entries written deep in a use case can be tied to the request.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom returns the request ID, or "" outside a request.
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
