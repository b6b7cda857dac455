package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// BenchmarkLogin is POST /auth/login with the right password: argon2id
// (19 MiB, 2 passes) dominates, so this is the figure that sizes the API for
// login peaks (docs/operations.md, "What to scale when").
func BenchmarkLogin(b *testing.B) {
	a, srv := benchApp(b)
	// Many accounts, as real traffic is: the throttle reserves a count per
	// account while a login is checked, so one account hammered by every
	// client at once would be throttled (as a burst of guesses should be).
	const accounts = 32
	bodies := make([]string, accounts)
	for i := range bodies {
		email := fmt.Sprintf("login%d@example.vn", i)
		if _, err := a.Accounts.Register(context.Background(), registerInput(email, "buyer")); err != nil {
			b.Fatal(err)
		}
		bodies[i] = `{"email":"` + email + `","password":"` + goodPassword + `"}`
	}
	var next atomic.Int64
	hammer(b, func() *http.Request {
		body := bodies[int(next.Add(1))%accounts]
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/auth/login", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		return req
	})
}
