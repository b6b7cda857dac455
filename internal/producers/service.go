// Package producers is the use case of OCOP producers: their profiles,
// members (an owner and staff), admin verification, and their OCOP
// certificates with the life cycle pending -> verified | rejected ->
// expired | revoked, including the scanned certificate document.
//
// Other features ask it who may act for a producer (CallerRole), whether a
// producer is verified (IsVerified) and which certificates are in force
// (CertificatesInForce); imports upsert producers and certificates through
// ImportProducer and ImportCertificate.
package producers

import (
	"context"
	"encoding/json"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// Outbox topics this use case writes. Search (and anything else showing
// producers to buyers) re-reads the producer or certificate named by Key.
const (
	TopicProducerChanged    = "producer.changed"
	TopicCertificateChanged = "certificate.changed"
)

// ProducerRepo is what the use case needs from the producer store.
type ProducerRepo interface {
	Create(ctx context.Context, p *ocop.Producer, nameKey string) error
	Update(ctx context.Context, p *ocop.Producer, nameKey string) error
	Get(ctx context.Context, id string) (*ocop.Producer, error)
	GetForUpdate(ctx context.Context, id string) (*ocop.Producer, error)
	ByTaxCode(ctx context.Context, taxCode string) (*ocop.Producer, error)
	ByNameAndCommune(ctx context.Context, nameKey, communeCode string) ([]ocop.Producer, error)
	List(ctx context.Context, f ocop.ProducerFilter) ([]ocop.Producer, error)
	AddMember(ctx context.Context, m ocop.ProducerMember) error
	RemoveMember(ctx context.Context, producerID, userID string) error
	MemberRole(ctx context.Context, producerID, userID string) (ocop.MemberRole, error)
	Members(ctx context.Context, producerID string) ([]ocop.ProducerMember, error)
	ForUser(ctx context.Context, userID string) ([]ocop.Producer, []ocop.MemberRole, error)
}

// CertificateRepo is what the use case needs from the certificate store.
type CertificateRepo interface {
	Create(ctx context.Context, c *ocop.Certificate, productKey string) error
	Update(ctx context.Context, c *ocop.Certificate, productKey string) error
	Get(ctx context.Context, id string) (*ocop.Certificate, error)
	GetForUpdate(ctx context.Context, id string) (*ocop.Certificate, error)
	ByProducer(ctx context.Context, producerID string, statuses ...ocop.CertificateStatus) ([]ocop.Certificate, error)
	InForce(ctx context.Context, producerIDs []string, day ocop.Date) ([]ocop.Certificate, error)
	ByDecisionAndProduct(ctx context.Context, producerID, decisionNumber, productKey string) (*ocop.Certificate, error)
	DueToExpire(ctx context.Context, day ocop.Date, limit int) ([]ocop.Certificate, error)
	SetStatus(ctx context.Context, id string, from, to ocop.CertificateStatus, reason string, at time.Time) (bool, error)
}

// UserRepo finds accounts to add as members.
type UserRepo interface {
	GetByEmail(ctx context.Context, email string) (*ocop.User, error)
}

// Service is the producers use case.
type Service struct {
	Tx           ocop.Transactor
	Producers    ProducerRepo
	Certificates CertificateRepo
	Users        UserRepo
	Outbox       ocop.Outbox
	Audit        ocop.AuditLog
	Blobs        ocop.Blobs
	Images       Images // processes logo uploads
	Now          ocop.Clock
	// DocumentMaxBytes limits a scanned certificate document.
	DocumentMaxBytes int64
}

func (s *Service) today() ocop.Date { return ocop.DateOf(s.Now()) }

// Today is the current calendar day in Vietnam by the service's clock
// (days to expiry are counted from it).
func (s *Service) Today() ocop.Date { return s.today() }

func caller(ctx context.Context) (ocop.Principal, bool) {
	p, ok := ocop.PrincipalFrom(ctx)
	return p, ok && p.UserID != ""
}

func isAdmin(ctx context.Context) bool {
	p, ok := caller(ctx)
	return ok && p.HasRole(ocop.RoleAdmin)
}

func requireAdmin(ctx context.Context, action string) (ocop.Principal, error) {
	p, ok := caller(ctx)
	if !ok || !p.HasRole(ocop.RoleAdmin) {
		return p, ocop.Errorf(ocop.CodeForbidden, "only an admin can %s", action)
	}
	return p, nil
}

// CallerRole is the calling user's role in the producer. Someone who is
// not a member (or a producer that does not exist) is not_found: another
// owner's producer is indistinguishable from a missing one.
func (s *Service) CallerRole(ctx context.Context, producerID string) (ocop.MemberRole, error) {
	p, ok := caller(ctx)
	if !ok {
		return "", ocop.NotFound("producer")
	}
	role, err := s.Producers.MemberRole(ctx, producerID, p.UserID)
	if err != nil {
		return "", err
	}
	if role == "" {
		return "", ocop.NotFound("producer")
	}
	return role, nil
}

// MemberRole is a user's role in a producer, "" when none.
func (s *Service) MemberRole(ctx context.Context, producerID, userID string) (ocop.MemberRole, error) {
	return s.Producers.MemberRole(ctx, producerID, userID)
}

// IsVerified reports whether an admin has verified the producer.
func (s *Service) IsVerified(ctx context.Context, producerID string) (bool, error) {
	p, err := s.Producers.Get(ctx, producerID)
	if err != nil {
		return false, err
	}
	return p.Verified(), nil
}

// Producer loads a producer without any visibility rule (for other use
// cases; handlers use Profile).
func (s *Service) Producer(ctx context.Context, id string) (*ocop.Producer, error) {
	return s.Producers.Get(ctx, id)
}

// CertificatesInForce lists the producer's certificates that count at time
// at: verified and not past their expiry date (in Vietnam), highest stars
// first. Listings, search and trade-fair eligibility rely on it.
func (s *Service) CertificatesInForce(ctx context.Context, producerID string, at time.Time) ([]ocop.Certificate, error) {
	return s.Certificates.InForce(ctx, []string{producerID}, ocop.DateOf(at))
}

// CertificatesInForceOf is CertificatesInForce for several producers at once.
func (s *Service) CertificatesInForceOf(ctx context.Context, producerIDs []string, at time.Time) (map[string][]ocop.Certificate, error) {
	cs, err := s.Certificates.InForce(ctx, producerIDs, ocop.DateOf(at))
	if err != nil {
		return nil, err
	}
	out := map[string][]ocop.Certificate{}
	for _, c := range cs {
		out[c.ProducerID] = append(out[c.ProducerID], c)
	}
	return out, nil
}

// CertificateByID loads a certificate without any visibility rule (for
// other use cases, e.g. a listing naming the certificate of its product).
func (s *Service) CertificateByID(ctx context.Context, id string) (*ocop.Certificate, error) {
	return s.Certificates.Get(ctx, id)
}

// canSee reports whether the caller may see a producer that is not public
// (rejected): members and admins may.
func (s *Service) canSeeHidden(ctx context.Context, producerID string) (bool, error) {
	if isAdmin(ctx) {
		return true, nil
	}
	p, ok := caller(ctx)
	if !ok {
		return false, nil
	}
	role, err := s.Producers.MemberRole(ctx, producerID, p.UserID)
	return role != "", err
}

func (s *Service) audit(ctx context.Context, action, objectType, objectID string, before, after any) error {
	actor := ""
	if p, ok := caller(ctx); ok {
		actor = p.UserID
	}
	return s.Audit.Record(ctx, ocop.AuditEntry{ActorID: actor, Action: action, ObjectType: objectType, ObjectID: objectID, Before: before, After: after})
}

func (s *Service) enqueue(ctx context.Context, topic, key string, payload any) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	return s.Outbox.Enqueue(ctx, ocop.OutboxMessage{Topic: topic, Key: key, Payload: b})
}
