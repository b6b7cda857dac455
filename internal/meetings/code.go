package meetings

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// Registration codes are checked at the fair's door, often without a
// network: they are Ed25519-signed, so anyone holding the public key
// (GET /api/v1/meeting-registrations/public-key) can verify one offline,
// and nobody without the private key can forge one.
//
// Format: "OCM1." + base64url(payload) + "." + base64url(signature), where
// payload is "registration_id|event_id|buyer_id" and the signature covers
// the ASCII text before the last dot ("OCM1.<payload>").
const codePrefix = "OCM1."

// Signer signs and verifies registration codes.
type Signer struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
}

// NewSigner derives the Ed25519 key pair from a secret with HKDF-SHA256
// (the same secret gives the same key on every API process).
func NewSigner(secret []byte) (*Signer, error) {
	if len(secret) < 32 {
		return nil, errors.New("the registration code secret must be at least 32 bytes")
	}
	seed, err := hkdf.Key(sha256.New, secret, []byte("ocopconnect"), "meeting registration codes v1", ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	priv := ed25519.NewKeyFromSeed(seed)
	return &Signer{priv: priv, pub: priv.Public().(ed25519.PublicKey)}, nil
}

// PublicKey returns the verification key.
func (s *Signer) PublicKey() ed25519.PublicKey { return s.pub }

// CodeClaims is what a code says.
type CodeClaims struct {
	RegistrationID, EventID, BuyerID string
}

var b64 = base64.RawURLEncoding

// Sign returns the registration's code.
func (s *Signer) Sign(g *ocop.BuyerRegistration) string {
	head := codePrefix + b64.EncodeToString([]byte(g.ID+"|"+g.EventID+"|"+g.BuyerID))
	return head + "." + b64.EncodeToString(ed25519.Sign(s.priv, []byte(head)))
}

// Verify checks a code's signature and returns its claims.
func (s *Signer) Verify(code string) (CodeClaims, error) {
	return VerifyCode(s.pub, code)
}

// VerifyCode checks a code against a public key; this is all an offline
// door scanner needs.
func VerifyCode(pub ed25519.PublicKey, code string) (CodeClaims, error) {
	bad := ocop.Errorf(ocop.CodeInvalidRegistCode, "the registration code is not genuine (forged, damaged or not an OCOP Connect code)")
	code = strings.TrimSpace(code)
	dot := strings.LastIndexByte(code, '.')
	if !strings.HasPrefix(code, codePrefix) || dot <= len(codePrefix) {
		return CodeClaims{}, bad
	}
	head := code[:dot]
	sig, err := b64.DecodeString(code[dot+1:])
	if err != nil || len(sig) != ed25519.SignatureSize || !ed25519.Verify(pub, []byte(head), sig) {
		return CodeClaims{}, bad
	}
	payload, err := b64.DecodeString(head[len(codePrefix):])
	if err != nil {
		return CodeClaims{}, bad
	}
	parts := bytes.Split(payload, []byte("|"))
	if len(parts) != 3 {
		return CodeClaims{}, bad
	}
	return CodeClaims{RegistrationID: string(parts[0]), EventID: string(parts[1]), BuyerID: string(parts[2])}, nil
}

// QRCode renders a code as a PNG QR code (medium error correction, so a
// scuffed printout still scans).
func QRCode(code string, size int) ([]byte, error) {
	return qrcode.Encode(code, qrcode.Medium, size)
}
