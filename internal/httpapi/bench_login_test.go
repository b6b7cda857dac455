package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkLogin is POST /auth/login with the right password: argon2id
// (19 MiB, 2 passes) dominates, so this is the figure that sizes the API for
// login peaks (docs/operations.md, "What to scale when").
func BenchmarkLogin(b *testing.B) {
	a, srv := benchApp(b)
	if _, err := a.Accounts.Register(context.Background(), registerInput("login@example.vn", "buyer")); err != nil {
		b.Fatal(err)
	}
	body := `{"email":"login@example.vn","password":"` + goodPassword + `"}`
	hammer(b, func() *http.Request {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/auth/login", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		return req
	})
}
