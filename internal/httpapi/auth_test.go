package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ocopconnect/ocopconnect/internal/config"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	. "github.com/ocopconnect/ocopconnect/internal/testsupport"
)

const goodPassword = "hat-dieu-binh-dinh-2025"

type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

func register(t *testing.T, s *Server, email, role string) map[string]any {
	t.Helper()
	return s.Post(t, "/api/v1/auth/register", "", map[string]any{
		"email": email, "password": goodPassword, "display_name": "Người dùng " + role, "role": role,
	}).Expect(t, http.StatusCreated).Map(t)
}

func login(t *testing.T, s *Server, email, password string) tokens {
	t.Helper()
	var tk tokens
	s.Post(t, "/api/v1/auth/login", "", map[string]any{"email": email, "password": password}).Expect(t, http.StatusOK).JSON(t, &tk)
	return tk
}

func TestAuthFlow(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		s := NewServer(t, db)

		u := register(t, s, "Buyer@Example.vn", "buyer")
		if u["email"] != "buyer@example.vn" {
			t.Fatalf("email not normalised: %v", u["email"])
		}
		tk := login(t, s, "BUYER@example.vn", goodPassword)
		if tk.TokenType != "Bearer" || tk.ExpiresIn != 900 || tk.AccessToken == "" || tk.RefreshToken == "" {
			t.Fatalf("token pair: %+v", tk)
		}

		me := s.Get(t, "/api/v1/me", tk.AccessToken).Expect(t, http.StatusOK).Map(t)
		if me["id"] != u["id"] || fmt.Sprint(me["roles"]) != "[buyer]" {
			t.Fatalf("/me = %v", me)
		}

		// Refresh rotates; the new pair works.
		var next tokens
		s.Post(t, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tk.RefreshToken}).Expect(t, http.StatusOK).JSON(t, &next)
		if next.RefreshToken == tk.RefreshToken {
			t.Fatal("refresh token was not rotated")
		}
		s.Get(t, "/api/v1/me", next.AccessToken).Expect(t, http.StatusOK)

		// Reusing the spent token kills the whole family, the new tokens too.
		p := s.Post(t, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tk.RefreshToken}).Expect(t, http.StatusUnauthorized).Problem(t)
		if p.Code != string(ocop.CodeTokenReused) {
			t.Fatalf("reuse code = %s", p.Code)
		}
		s.Post(t, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": next.RefreshToken}).Expect(t, http.StatusUnauthorized)
		s.Get(t, "/api/v1/me", next.AccessToken).Expect(t, http.StatusUnauthorized)

		// A new login works; logout ends it for the access and refresh token.
		tk = login(t, s, "buyer@example.vn", goodPassword)
		s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/auth/logout", Token: tk.AccessToken}).Expect(t, http.StatusNoContent)
		s.Get(t, "/api/v1/me", tk.AccessToken).Expect(t, http.StatusUnauthorized)
		s.Post(t, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tk.RefreshToken}).Expect(t, http.StatusUnauthorized)

		// Logout with only the refresh token (access token already expired).
		tk = login(t, s, "buyer@example.vn", goodPassword)
		s.Post(t, "/api/v1/auth/logout", "", map[string]string{"refresh_token": tk.RefreshToken}).Expect(t, http.StatusNoContent)
		s.Get(t, "/api/v1/me", tk.AccessToken).Expect(t, http.StatusUnauthorized)
	})
}

func TestConcurrentRefreshOnlyOneWins(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		s := NewServer(t, db)
		register(t, s, "race@example.vn", "buyer")
		tk := login(t, s, "race@example.vn", goodPassword)
		var wg sync.WaitGroup
		statuses := make([]int, 8)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = s.Post(t, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tk.RefreshToken}).Status
			}()
		}
		wg.Wait()
		ok := 0
		for _, st := range statuses {
			if st == http.StatusOK {
				ok++
			} else if st != http.StatusUnauthorized {
				t.Fatalf("unexpected status %d", st)
			}
		}
		if ok > 1 {
			t.Fatalf("%d concurrent refreshes with one token succeeded; at most one may", ok)
		}
	})
}

func TestLoginFailuresLookAlike(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		s := NewServer(t, db)
		register(t, s, "seller@example.vn", "producer")
		wrong := s.Post(t, "/api/v1/auth/login", "", map[string]any{"email": "seller@example.vn", "password": "not-the-password-1"}).Expect(t, http.StatusUnauthorized).Problem(t)
		unknown := s.Post(t, "/api/v1/auth/login", "", map[string]any{"email": "nobody@example.vn", "password": "not-the-password-1"}).Expect(t, http.StatusUnauthorized).Problem(t)
		if wrong.Code != "invalid_credentials" || wrong.Code != unknown.Code || wrong.Detail != unknown.Detail {
			t.Fatalf("wrong password %+v and unknown e-mail %+v must look alike", wrong, unknown)
		}
	})
}

func TestRegisterValidation(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		s := NewServer(t, db)
		register(t, s, "nong.san@example.vn", "producer")

		cases := []struct {
			name   string
			body   map[string]any
			status int
			field  string
			detail string
		}{
			{"duplicate e-mail in another case", map[string]any{"email": "Nong.San@EXAMPLE.vn", "password": goodPassword, "display_name": "X", "role": "buyer"}, http.StatusConflict, "email", ""},
			{"short password", map[string]any{"email": "a1@example.vn", "password": "short", "display_name": "X", "role": "buyer"}, http.StatusBadRequest, "password", "at least 10 characters"},
			{"common password", map[string]any{"email": "a2@example.vn", "password": "1234567890", "display_name": "X", "role": "buyer"}, http.StatusBadRequest, "password", "commonly used"},
			{"password contains e-mail name", map[string]any{"email": "hoa.mai@example.vn", "password": "hoa.mai-2025-xyz", "display_name": "X", "role": "buyer"}, http.StatusBadRequest, "password", "e-mail name"},
			{"bad e-mail", map[string]any{"email": "not-an-email", "password": goodPassword, "display_name": "X", "role": "buyer"}, http.StatusBadRequest, "email", ""},
			{"admin role not self-service", map[string]any{"email": "a3@example.vn", "password": goodPassword, "display_name": "X", "role": "admin"}, http.StatusBadRequest, "role", "granted by an admin"},
			{"unknown language", map[string]any{"email": "a4@example.vn", "password": goodPassword, "display_name": "X", "role": "buyer", "language": "fr"}, http.StatusBadRequest, "language", ""},
			{"missing display name", map[string]any{"email": "a5@example.vn", "password": goodPassword, "role": "buyer"}, http.StatusBadRequest, "display_name", ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				p := s.Post(t, "/api/v1/auth/register", "", c.body).Expect(t, c.status).Problem(t)
				if !p.HasField(c.field) {
					t.Fatalf("problem does not name %q: %+v", c.field, p)
				}
				if c.detail != "" && !strings.Contains(string(mustJSON(p.Errors)), c.detail) {
					t.Fatalf("problem does not say %q: %+v", c.detail, p)
				}
			})
		}
	})
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func TestMalformedRequests(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		s := NewServer(t, db, func(c *config.Config) { c.MaxBodyBytes = 4096 })
		cases := []struct {
			name        string
			body        string
			contentType string
			status      int
			code        string
			field       string
		}{
			{"malformed JSON", `{"email": "a@b.vn", "password": `, "application/json", 400, "malformed_json", ""},
			{"not JSON at all", `email=a@b.vn`, "application/json", 400, "malformed_json", ""},
			{"unknown field", `{"email":"a@b.vn","password":"x","admin":true}`, "application/json", 400, "validation_failed", "admin"},
			{"wrong type", `{"email":"a@b.vn","password":12345}`, "application/json", 400, "validation_failed", "password"},
			{"two objects", `{"email":"a@b.vn","password":"x"}{}`, "application/json", 400, "malformed_json", ""},
			{"empty body", ``, "application/json", 400, "malformed_json", ""},
			{"form content type", `email=a@b.vn`, "application/x-www-form-urlencoded", 415, "unsupported_media_type", ""},
			{"too large", `{"email":"` + strings.Repeat("a", 5000) + `@b.vn","password":"x"}`, "application/json", 413, "payload_too_large", ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				p := s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/auth/login", Body: c.body, ContentType: c.contentType}).Expect(t, c.status).Problem(t)
				if p.Code != c.code || p.Status != c.status || p.Type == "" || p.Title == "" || p.RequestID == "" {
					t.Fatalf("problem = %+v, want code %s", p, c.code)
				}
				if c.field != "" && !p.HasField(c.field) {
					t.Fatalf("problem does not name %q: %+v", c.field, p)
				}
			})
		}
		// A body streamed without Content-Length is cut at the limit too.
		r := s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/auth/login", ContentType: "application/json",
			Body: struct{ *strings.Reader }{strings.NewReader(`{"email":"` + strings.Repeat("b", 9000) + `"}`)}})
		r.Expect(t, http.StatusRequestEntityTooLarge)
	})
}

func forgeToken(t *testing.T, alg jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(alg, claims)
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBadTokens(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		s := NewServer(t, db)
		register(t, s, "token@example.vn", "buyer")
		tk := login(t, s, "token@example.vn", goodPassword)
		parts := strings.Split(tk.AccessToken, ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var claims jwt.MapClaims
		_ = json.Unmarshal(payload, &claims)

		altered := map[string]any{}
		for k, v := range claims {
			altered[k] = v
		}
		altered["sub"] = "someone-else"
		alteredPayload, _ := json.Marshal(altered)
		tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(alteredPayload) + "." + parts[2]

		none := forgeToken(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims)
		otherKey := forgeToken(t, jwt.SigningMethodHS256, []byte("another-key-another-key-another-key!"), claims)
		hs512 := forgeToken(t, jwt.SigningMethodHS512, []byte(TestJWTKey), claims)
		wrongAud := jwt.MapClaims{}
		for k, v := range claims {
			wrongAud[k] = v
		}
		wrongAud["aud"] = "another-service"

		cases := map[string]string{
			"alg none":              none,
			"altered payload":       tampered,
			"other key":             otherKey,
			"algorithm not allowed": hs512,
			"wrong audience":        forgeToken(t, jwt.SigningMethodHS256, []byte(TestJWTKey), wrongAud),
			"garbage":               "not.a.token",
		}
		for name, token := range cases {
			t.Run(name, func(t *testing.T) {
				p := s.Get(t, "/api/v1/me", token).Expect(t, http.StatusUnauthorized).Problem(t)
				if p.Code != "invalid_token" {
					t.Fatalf("code = %s", p.Code)
				}
			})
		}
		t.Run("expired", func(t *testing.T) {
			s.Clock().Advance(16 * time.Minute)
			p := s.Get(t, "/api/v1/me", tk.AccessToken).Expect(t, http.StatusUnauthorized).Problem(t)
			if !strings.Contains(p.Detail, "expired") {
				t.Fatalf("detail = %q", p.Detail)
			}
		})
		t.Run("no token", func(t *testing.T) {
			r := s.Get(t, "/api/v1/me", "").Expect(t, http.StatusUnauthorized)
			if r.Header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		})
	})
}

func TestAdminRoutes(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		s := NewServer(t, db)
		buyer := register(t, s, "b@example.vn", "buyer")
		bt := login(t, s, "b@example.vn", goodPassword)

		p := s.Post(t, "/api/v1/admin/users/"+buyer["id"].(string)+"/roles", bt.AccessToken, map[string]string{"role": "organiser"}).
			Expect(t, http.StatusForbidden).Problem(t)
		if p.Code != "forbidden" {
			t.Fatalf("code = %s", p.Code)
		}

		ctx := t.Context()
		if _, err := s.Accounts.CreateUser(ctx, registerInput("root@example.vn", ocop.RoleAdmin)); err != nil {
			t.Fatal(err)
		}
		at := login(t, s, "root@example.vn", goodPassword)
		u := s.Post(t, "/api/v1/admin/users/"+buyer["id"].(string)+"/roles", at.AccessToken, map[string]string{"role": "organiser"}).
			Expect(t, http.StatusOK).Map(t)
		if fmt.Sprint(u["roles"]) != "[buyer organiser]" {
			t.Fatalf("roles = %v", u["roles"])
		}
		// The role takes effect on the buyer's existing token at once.
		me := s.Get(t, "/api/v1/me", bt.AccessToken).Expect(t, http.StatusOK).Map(t)
		if fmt.Sprint(me["roles"]) != "[buyer organiser]" {
			t.Fatalf("roles = %v", me["roles"])
		}
		s.Do(t, Req{Method: http.MethodDelete, Path: "/api/v1/admin/users/" + buyer["id"].(string) + "/roles/organiser", Token: at.AccessToken}).Expect(t, http.StatusOK)
		s.Post(t, "/api/v1/admin/users/no-such-user/roles", at.AccessToken, map[string]string{"role": "organiser"}).Expect(t, http.StatusNotFound)
		s.Post(t, "/api/v1/admin/users/"+buyer["id"].(string)+"/roles", at.AccessToken, map[string]string{"role": "emperor"}).Expect(t, http.StatusBadRequest)

		trail, err := s.Store.AuditLog().ForObject(ctx, "user", buyer["id"].(string))
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range trail {
			actions = append(actions, e.Action)
		}
		if strings.Join(actions, ",") != "user.created,user.role_granted,user.role_revoked" {
			t.Fatalf("audit trail = %v", actions)
		}
	})
}

func TestLoginThrottling(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		s := NewServer(t, db, func(c *config.Config) {
			c.LoginMaxFailuresPerAccountIP = 3
			c.LoginMaxFailuresPerAccount = 6
			c.LoginThrottleWindow = 10 * time.Minute
		})
		register(t, s, "victim@example.vn", "producer")
		bad := map[string]any{"email": "victim@example.vn", "password": "guess-guess-guess"}
		for range 3 {
			s.Post(t, "/api/v1/auth/login", "", bad).Expect(t, http.StatusUnauthorized)
		}
		r := s.Post(t, "/api/v1/auth/login", "", bad).Expect(t, http.StatusTooManyRequests)
		if p := r.Problem(t); p.Code != "rate_limited" || r.Header.Get("Retry-After") == "" {
			t.Fatalf("throttled: %+v, Retry-After %q", p, r.Header.Get("Retry-After"))
		}
		// Even the right password waits: the throttle is checked first, so it
		// cannot be used as an oracle.
		s.Post(t, "/api/v1/auth/login", "", map[string]any{"email": "victim@example.vn", "password": goodPassword}).Expect(t, http.StatusTooManyRequests)
		// The lock is a window, not forever.
		s.Clock().Advance(21 * time.Minute)
		login(t, s, "victim@example.vn", goodPassword)
		// A successful login does not count as a failure: many in a row
		// from one IP never lock anybody out.
		for range 8 {
			login(t, s, "victim@example.vn", goodPassword)
		}

		// A burst of guesses at the same instant: each is counted before
		// its password is checked, so no more than the limit get checked.
		// (The account has logged in from this IP before, so only the
		// per-account-and-IP limit applies: exactly 3.)
		register(t, s, "burst@example.vn", "buyer")
		login(t, s, "burst@example.vn", goodPassword)
		guess := map[string]any{"email": "burst@example.vn", "password": "guess-guess-guess"}
		const k = 12
		got := tally(atOnce(k, func(int) *Response { return s.Post(t, "/api/v1/auth/login", "", guess) }))
		if got["401 invalid_credentials"] != 3 || got["429 rate_limited"] != k-3 {
			t.Fatalf("burst of %d guesses: %v (want 3 checked, the rest throttled)", k, got)
		}
	})
}
