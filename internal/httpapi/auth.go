package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ocopconnect/ocopconnect/internal/accounts"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

func (a *API) routesAuth(v1 *gin.RouterGroup) {
	v1.POST("/auth/register", a.register)
	v1.POST("/auth/login", a.login)
	v1.POST("/auth/refresh", a.refresh)
	v1.POST("/auth/logout", a.optionalAuth, a.logout)
	v1.GET("/me", a.requireAuth, a.me)
	admin := v1.Group("/admin", a.requireAuth, a.requireRole(ocop.RoleAdmin))
	admin.POST("/users/:id/roles", a.grantRole)
	admin.DELETE("/users/:id/roles/:role", a.revokeRole)
}

// userResponse is the public view of an account.
type userResponse struct {
	ID          string      `json:"id"`
	Email       string      `json:"email"`
	DisplayName string      `json:"display_name"`
	Roles       []ocop.Role `json:"roles"`
	Language    string      `json:"language"`
	CreatedAt   time.Time   `json:"created_at"`
}

func toUserResponse(u *ocop.User) userResponse {
	roles := u.Roles
	if roles == nil {
		roles = []ocop.Role{}
	}
	return userResponse{ID: u.ID, Email: u.Email, DisplayName: u.DisplayName, Roles: roles, Language: string(u.Language), CreatedAt: u.CreatedAt}
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

func writeTokens(c *gin.Context, p *accounts.TokenPair) {
	// Tokens must never be cached by a browser or proxy (RFC 6749 5.1).
	c.Header("Cache-Control", "no-store")
	c.Header("Pragma", "no-cache")
	c.JSON(http.StatusOK, tokenResponse{AccessToken: p.AccessToken, RefreshToken: p.RefreshToken, TokenType: p.TokenType, ExpiresIn: p.ExpiresIn})
}

type registerRequest struct {
	Email       string `json:"email"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	Language    string `json:"language"`
}

func (a *API) register(c *gin.Context) {
	var req registerRequest
	if !bindJSON(c, &req) {
		return
	}
	u, err := a.Accounts.Register(c.Request.Context(), accounts.RegisterInput{
		Email: req.Email, Password: req.Password, DisplayName: req.DisplayName,
		Role: ocop.Role(req.Role), Language: ocop.Language(req.Language),
	})
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/me")
	c.JSON(http.StatusCreated, toUserResponse(u))
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (a *API) login(c *gin.Context) {
	var req loginRequest
	if !bindJSON(c, &req) {
		return
	}
	pair, err := a.Accounts.Login(c.Request.Context(), accounts.LoginInput{
		Email: req.Email, Password: req.Password, ClientIP: c.ClientIP(), UserAgent: c.Request.UserAgent(),
	})
	if err != nil {
		fail(c, err)
		return
	}
	writeTokens(c, pair)
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

func (a *API) refresh(c *gin.Context) {
	var req refreshRequest
	if !bindJSON(c, &req) {
		return
	}
	pair, err := a.Accounts.Refresh(c.Request.Context(), req.RefreshToken)
	if err != nil {
		fail(c, err)
		return
	}
	writeTokens(c, pair)
}

type logoutRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// logout ends the session of the bearer token, or of the refresh token in the
// body (a client whose access token already expired can still log out).
func (a *API) logout(c *gin.Context) {
	var req logoutRequest
	if c.Request.ContentLength != 0 {
		if !bindJSON(c, &req) {
			return
		}
	}
	if err := a.Accounts.Logout(c.Request.Context(), req.RefreshToken); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *API) me(c *gin.Context) {
	u, err := a.Accounts.Me(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toUserResponse(u))
}

type roleRequest struct {
	Role string `json:"role"`
}

func (a *API) grantRole(c *gin.Context) {
	var req roleRequest
	if !bindJSON(c, &req) {
		return
	}
	if req.Role == "" {
		fail(c, ocop.FieldInvalid("role", "is required"))
		return
	}
	u, err := a.Accounts.GrantRole(c.Request.Context(), c.Param("id"), ocop.Role(req.Role))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toUserResponse(u))
}

func (a *API) revokeRole(c *gin.Context) {
	u, err := a.Accounts.RevokeRole(c.Request.Context(), c.Param("id"), ocop.Role(c.Param("role")))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toUserResponse(u))
}

// bearerToken extracts the token of an "Authorization: Bearer" header.
func bearerToken(c *gin.Context) (string, bool) {
	h := c.GetHeader("Authorization")
	if h == "" {
		return "", false
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", true
	}
	return strings.TrimSpace(token), true
}

// authenticate resolves the bearer token into the caller's identity. It
// reports false (having written a 401) for a present but invalid token.
func (a *API) authenticate(c *gin.Context, required bool) bool {
	token, present := bearerToken(c)
	if !present {
		if required {
			fail(c, ocop.Errorf(ocop.CodeUnauthenticated, "send an access token: Authorization: Bearer <token>"))
			return false
		}
		return true
	}
	if token == "" {
		fail(c, ocop.Errorf(ocop.CodeInvalidToken, "the Authorization header must be \"Bearer <token>\""))
		return false
	}
	p, err := a.Accounts.Authenticate(c.Request.Context(), token)
	if err != nil {
		fail(c, err)
		return false
	}
	c.Request = c.Request.WithContext(ocop.WithPrincipal(c.Request.Context(), p))
	return true
}

// requireAuth lets only authenticated callers through.
func (a *API) requireAuth(c *gin.Context) {
	if a.authenticate(c, true) {
		c.Next()
	}
}

// optionalAuth identifies the caller when a token is sent (public routes that
// show owners more).
func (a *API) optionalAuth(c *gin.Context) {
	if a.authenticate(c, false) {
		c.Next()
	}
}

// requireRole lets through callers holding any of roles (after requireAuth).
func (a *API) requireRole(roles ...ocop.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, _ := ocop.PrincipalFrom(c.Request.Context())
		for _, r := range roles {
			if p.HasRole(r) {
				c.Next()
				return
			}
		}
		names := make([]string, len(roles))
		for i, r := range roles {
			names[i] = string(r)
		}
		fail(c, ocop.Errorf(ocop.CodeForbidden, "this action needs the %s role", strings.Join(names, " or ")))
	}
}
