package accounts

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// Token audience and issuer: a token minted for another service (or by
// another deployment with a different key) is refused.
const (
	TokenIssuer   = "ocopconnect"
	TokenAudience = "ocopconnect-api"
)

// TokenPair is what login and refresh return, with OAuth 2.0 field names.
type TokenPair struct {
	AccessToken  string
	RefreshToken string
	TokenType    string
	ExpiresIn    int // seconds
	SessionID    string
}

// accessClaims are the claims of an access token. Roles are not in the
// token: they are read from the database on each request, so a revoked role
// or ended session takes effect at once.
type accessClaims struct {
	SessionID string `json:"sid"`
	jwt.RegisteredClaims
}

// Signer mints and verifies access tokens (HS256 with a key ID, so keys can be
// rotated: new tokens are signed with the current key while tokens signed with
// a previous key stay valid until they expire).
type Signer struct {
	current  signingKey
	previous []signingKey
	ttl      time.Duration
	now      ocop.Clock
	parser   *jwt.Parser
}

type signingKey struct {
	id  string
	key []byte
}

func newSigningKey(secret []byte) signingKey {
	sum := sha256.Sum256(secret)
	return signingKey{id: hex.EncodeToString(sum[:4]), key: secret}
}

// NewSigner builds a signer. previous keys only verify.
func NewSigner(current []byte, previous [][]byte, ttl time.Duration, now ocop.Clock) (*Signer, error) {
	if len(current) < 32 {
		return nil, errors.New("signing key must be at least 32 bytes")
	}
	s := &Signer{current: newSigningKey(current), ttl: ttl, now: now}
	for _, p := range previous {
		s.previous = append(s.previous, newSigningKey(p))
	}
	s.parser = jwt.NewParser(
		// The allow-list is what defeats alg:none and RS/HS confusion.
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithAudience(TokenAudience),
		jwt.WithIssuer(TokenIssuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(30*time.Second),
		jwt.WithTimeFunc(func() time.Time { return s.now() }),
	)
	return s, nil
}

// Mint signs an access token for a user's session.
func (s *Signer) Mint(userID, sessionID string) (string, error) {
	now := s.now()
	claims := accessClaims{
		SessionID: sessionID,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: TokenIssuer, Subject: userID, Audience: jwt.ClaimStrings{TokenAudience},
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(s.ttl)),
		},
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	t.Header["kid"] = s.current.id
	return t.SignedString(s.current.key)
}

// Verify checks an access token and returns its user and session IDs.
func (s *Signer) Verify(token string) (userID, sessionID string, err error) {
	var claims accessClaims
	_, err = s.parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == s.current.id {
			return s.current.key, nil
		}
		for _, p := range s.previous {
			if kid == p.id {
				return p.key, nil
			}
		}
		return nil, fmt.Errorf("unknown key id %q", kid)
	})
	if err != nil {
		msg := "the access token is invalid"
		if errors.Is(err, jwt.ErrTokenExpired) {
			msg = "the access token has expired; refresh it"
		}
		return "", "", ocop.Wrap(err, ocop.CodeInvalidToken, msg)
	}
	if claims.Subject == "" || claims.SessionID == "" {
		return "", "", ocop.Errorf(ocop.CodeInvalidToken, "the access token is invalid")
	}
	return claims.Subject, claims.SessionID, nil
}

// TTL is the access-token lifetime.
func (s *Signer) TTL() time.Duration { return s.ttl }

// newOpaqueToken returns a random refresh token and the hash we store. The
// token itself is never stored: a leaked database cannot be replayed.
func newOpaqueToken() (token, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
