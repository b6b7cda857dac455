package producers

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ocopconnect/ocopconnect/internal/media"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/places"
	"github.com/ocopconnect/ocopconnect/internal/taxonomy"
)

// CertificateInput is a certificate as the producer reads it off the
// recognition decision.
type CertificateInput struct {
	ProductName    string
	LegalBasis     string // taxonomy version; empty = the current one
	ProductGroup   string
	ProductSet     string
	Stars          int
	DecisionNumber string
	DecisionDate   string // YYYY-MM-DD
	IssuingLevel   ocop.IssuingLevel
	IssuingBody    string
	ExpiresOn      string // YYYY-MM-DD; empty = decision date + 36 months
}

// certificate builds and validates a certificate from the input.
func (s *Service) certificate(in CertificateInput) (*ocop.Certificate, error) {
	var v ocop.Validation
	c := &ocop.Certificate{
		ProductName: strings.TrimSpace(in.ProductName), LegalBasis: strings.TrimSpace(in.LegalBasis),
		ProductGroup: strings.TrimSpace(in.ProductGroup), ProductSet: strings.TrimSpace(in.ProductSet), Stars: in.Stars,
		DecisionNumber: strings.TrimSpace(in.DecisionNumber), IssuingLevel: in.IssuingLevel, IssuingBody: strings.TrimSpace(in.IssuingBody),
	}
	if c.LegalBasis == "" {
		c.LegalBasis = taxonomy.Current().Code
	}
	if in.DecisionDate != "" {
		d, err := ocop.ParseDate(in.DecisionDate)
		if err != nil {
			v.Add("decision_date", "must be a date written YYYY-MM-DD")
		}
		c.DecisionDate = d
	}
	if in.ExpiresOn != "" {
		d, err := ocop.ParseDate(in.ExpiresOn)
		if err != nil {
			v.Add("expires_on", "must be a date written YYYY-MM-DD")
		}
		c.ExpiresOn = d
	}
	c.Validate(&v, s.today())
	taxonomy.Validate(&v, c.LegalBasis, c.ProductGroup, c.ProductSet)
	if ver, ok := taxonomy.LookupVersion(c.LegalBasis); ok && !c.DecisionDate.IsZero() && c.DecisionDate.Before(ocop.Date{Time: ver.Effective()}) && !v.Has("decision_date") {
		v.Add("decision_date", "is before Decision %s took effect (%s); choose the legal basis the decision was made under", ver.Code, ver.EffectiveFrom)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if c.ExpiresOn.IsZero() {
		c.ExpiresOn = c.DecisionDate.AddMonths(ocop.CertificateValidityMonths)
	}
	c.CurrentGroup = taxonomy.CurrentGroup(c.LegalBasis, c.ProductGroup)
	return c, nil
}

// ProductKey is how product names are compared (one certificate per
// product and decision).
func ProductKey(productName string) string { return places.Fold(productName) }

// AddCertificate records a certificate for a producer (owner or staff); it
// waits as pending until an admin checks it against the decision.
func (s *Service) AddCertificate(ctx context.Context, producerID string, in CertificateInput) (*ocop.Certificate, error) {
	if _, err := s.CallerRole(ctx, producerID); err != nil {
		return nil, err
	}
	c, err := s.certificate(in)
	if err != nil {
		return nil, err
	}
	pr, _ := caller(ctx)
	now := s.Now()
	c.ID, c.ProducerID, c.Status, c.CreatedBy, c.CreatedAt, c.UpdatedAt = uuid.Must(uuid.NewV7()).String(), producerID, ocop.CertPending, pr.UserID, now, now
	err = s.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.Certificates.Create(ctx, c, ProductKey(c.ProductName)); err != nil {
			return err
		}
		return s.audit(ctx, "certificate.created", "certificate", c.ID, nil, auditCertificate(c))
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func auditCertificate(c *ocop.Certificate) map[string]any {
	return map[string]any{
		"producer_id": c.ProducerID, "product_name": c.ProductName, "stars": c.Stars, "decision_number": c.DecisionNumber,
		"decision_date": c.DecisionDate.String(), "expires_on": c.ExpiresOn.String(), "status": c.Status, "status_reason": c.StatusReason,
		"document_key": c.DocumentKey,
	}
}

// CertificateList is a producer's certificates as the caller may see them.
type CertificateList struct {
	Certificates []ocop.Certificate
	Today        ocop.Date
}

// ListCertificates lists a producer's certificates: members and admins see
// all of them, the public only verified ones.
func (s *Service) ListCertificates(ctx context.Context, producerID string) (*CertificateList, error) {
	p, err := s.Producers.Get(ctx, producerID)
	if err != nil {
		return nil, err
	}
	full, err := s.canSeeHidden(ctx, producerID)
	if err != nil {
		return nil, err
	}
	if p.Status == ocop.ProducerRejected && !full {
		return nil, ocop.NotFound("producer")
	}
	var statuses []ocop.CertificateStatus
	if !full {
		statuses = []ocop.CertificateStatus{ocop.CertVerified}
	}
	cs, err := s.Certificates.ByProducer(ctx, producerID, statuses...)
	if err != nil {
		return nil, err
	}
	return &CertificateList{Certificates: cs, Today: s.today()}, nil
}

// Certificate loads one certificate with the same visibility as
// ListCertificates (the public sees verified ones only).
func (s *Service) Certificate(ctx context.Context, id string) (*ocop.Certificate, error) {
	c, err := s.Certificates.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Status == ocop.CertVerified {
		if p, err := s.Producers.Get(ctx, c.ProducerID); err != nil || p.Status != ocop.ProducerRejected {
			return c, err
		}
	}
	full, err := s.canSeeHidden(ctx, c.ProducerID)
	if err != nil {
		return nil, err
	}
	if !full {
		return nil, ocop.NotFound("certificate")
	}
	return c, nil
}

// VerifyCertificate confirms a pending certificate against its decision
// (admins). A certificate already past its expiry cannot be verified.
func (s *Service) VerifyCertificate(ctx context.Context, id string) (*ocop.Certificate, error) {
	return s.reviewCertificate(ctx, id, ocop.CertVerified, "")
}

// RejectCertificate refuses a pending certificate (admins, with a reason).
func (s *Service) RejectCertificate(ctx context.Context, id, reason string) (*ocop.Certificate, error) {
	return s.reviewCertificate(ctx, id, ocop.CertRejected, reason)
}

// RevokeCertificate withdraws a verified certificate (admins, with a
// reason); it stops counting at once.
func (s *Service) RevokeCertificate(ctx context.Context, id, reason string) (*ocop.Certificate, error) {
	return s.reviewCertificate(ctx, id, ocop.CertRevoked, reason)
}

// allowedFrom is the certificate state machine.
var allowedFrom = map[ocop.CertificateStatus]ocop.CertificateStatus{
	ocop.CertVerified: ocop.CertPending,
	ocop.CertRejected: ocop.CertPending,
	ocop.CertRevoked:  ocop.CertVerified,
	ocop.CertExpired:  ocop.CertVerified,
}

func (s *Service) reviewCertificate(ctx context.Context, id string, to ocop.CertificateStatus, reason string) (*ocop.Certificate, error) {
	admin, err := requireAdmin(ctx, "verify, reject or revoke certificates")
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	switch {
	case to != ocop.CertVerified && reason == "":
		return nil, ocop.FieldInvalid("reason", "is required")
	case len([]rune(reason)) > 1000:
		return nil, ocop.FieldInvalid("reason", "must be at most 1000 characters")
	}
	var out *ocop.Certificate
	err = s.Tx.InTx(ctx, func(ctx context.Context) error {
		c, err := s.Certificates.GetForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if from := allowedFrom[to]; c.Status != from {
			return ocop.Errorf(ocop.CodeConflict, "a %s certificate cannot become %s (only a %s one can)", c.Status, to, from)
		}
		now := s.Now()
		if to == ocop.CertVerified && c.ExpiresOn.Before(ocop.DateOf(now)) {
			return ocop.Errorf(ocop.CodeConflict, "the certificate expired on %s; it cannot be verified", c.ExpiresOn)
		}
		before := *c
		c.Status, c.StatusReason, c.ReviewedBy, c.ReviewedAt, c.UpdatedAt = to, reason, admin.UserID, &now, now
		if err := s.Certificates.Update(ctx, c, ProductKey(c.ProductName)); err != nil {
			return err
		}
		if err := s.audit(ctx, "certificate."+string(to), "certificate", id, auditCertificate(&before), auditCertificate(c)); err != nil {
			return err
		}
		out = c
		if to == ocop.CertRejected {
			return nil // it was never visible to buyers
		}
		return s.enqueue(ctx, TopicCertificateChanged, id, map[string]any{"producer_id": c.ProducerID, "status": to})
	})
	return out, err
}

// ExpireDue marks verified certificates past their expiry date as expired
// (the daily sweep), each with an audit entry and a message for search. It
// returns how many it expired.
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	total := 0
	for {
		day := s.today()
		due, err := s.Certificates.DueToExpire(ctx, day, 100)
		if err != nil || len(due) == 0 {
			return total, err
		}
		err = s.Tx.InTx(ctx, func(ctx context.Context) error {
			now := s.Now()
			for i := range due {
				c := &due[i]
				ok, err := s.Certificates.SetStatus(ctx, c.ID, ocop.CertVerified, ocop.CertExpired, "expired on "+c.ExpiresOn.String(), now)
				if err != nil {
					return err
				}
				if !ok {
					continue // revoked meanwhile
				}
				before := auditCertificate(c)
				c.Status, c.StatusReason = ocop.CertExpired, "expired on "+c.ExpiresOn.String()
				if err := s.Audit.Record(ctx, ocop.AuditEntry{Action: "certificate.expired", ObjectType: "certificate", ObjectID: c.ID,
					Before: before, After: auditCertificate(c)}); err != nil {
					return err
				}
				if err := s.enqueue(ctx, TopicCertificateChanged, c.ID, map[string]any{"producer_id": c.ProducerID, "status": c.Status}); err != nil {
					return err
				}
				total++
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		if len(due) < 100 {
			return total, nil
		}
	}
}

// Allowed certificate document types, detected from content (never from
// the name or the declared type).
var documentTypes = map[string]string{"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}

// sniffLen is what http.DetectContentType looks at.
const sniffLen = 512

// AttachDocument stores the scanned certificate document (owner or staff,
// while the certificate is pending), replacing any earlier one. The object
// is written before the row and never inside the transaction; if the row
// write fails the object is deleted again.
func (s *Service) AttachDocument(ctx context.Context, certID string, content io.Reader) (*ocop.Certificate, error) {
	c, err := s.Certificates.Get(ctx, certID)
	if err != nil {
		return nil, err
	}
	if _, err := s.CallerRole(ctx, c.ProducerID); err != nil {
		return nil, ocop.NotFound("certificate")
	}
	if c.Status != ocop.CertPending {
		return nil, ocop.Errorf(ocop.CodeConflict, "the document of a %s certificate cannot change", c.Status)
	}
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(content, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, media.UploadReadError(err)
	}
	head = head[:n]
	if n == 0 {
		return nil, ocop.FieldInvalid("file", "is empty")
	}
	ctype, _, _ := strings.Cut(http.DetectContentType(head), ";")
	ext, ok := documentTypes[ctype]
	if !ok {
		return nil, &ocop.Error{Code: ocop.CodeUnsupportedMedia, Message: "the document must be a PDF, JPEG or PNG file",
			Fields: []ocop.FieldError{{Field: "file", Message: "must be a PDF, JPEG or PNG file (this one looks like " + ctype + ")"}}}
	}
	key := "certificates/" + c.ID + "/" + uuid.Must(uuid.NewV7()).String() + "." + ext
	body := &media.CappedReader{R: io.MultiReader(bytes.NewReader(head), content), Left: s.DocumentMaxBytes}
	if err := s.Blobs.Put(ctx, key, body, -1, ctype); err != nil {
		if body.Over {
			return nil, &ocop.Error{Code: ocop.CodeTooLarge, Message: "the document is larger than allowed",
				Fields: []ocop.FieldError{{Field: "file", Message: "must be at most " + sizeText(s.DocumentMaxBytes)}}}
		}
		if body.ReadErr != nil {
			return nil, media.UploadReadError(body.ReadErr)
		}
		return nil, err // the media store failed
	}
	var out *ocop.Certificate
	err = s.Tx.InTx(ctx, func(ctx context.Context) error {
		c, err := s.Certificates.GetForUpdate(ctx, certID)
		if err != nil {
			return err
		}
		if _, err := s.CallerRole(ctx, c.ProducerID); err != nil {
			return ocop.NotFound("certificate")
		}
		if c.Status != ocop.CertPending {
			return ocop.Errorf(ocop.CodeConflict, "the document of a %s certificate cannot change", c.Status)
		}
		before := *c
		c.DocumentKey, c.DocumentType, c.DocumentSize, c.UpdatedAt = key, ctype, body.N, s.Now()
		if err := s.Certificates.Update(ctx, c, ProductKey(c.ProductName)); err != nil {
			return err
		}
		if before.DocumentKey != "" {
			if err := media.EnqueueDelete(ctx, s.Outbox, c.ID, before.DocumentKey); err != nil {
				return err
			}
		}
		out = c
		return s.audit(ctx, "certificate.document_attached", "certificate", c.ID,
			map[string]any{"document_key": before.DocumentKey}, map[string]any{"document_key": key, "type": ctype, "size": body.N})
	})
	if err != nil {
		s.discard(ctx, "certificate-upload", key)
		return nil, err
	}
	return out, nil
}

// discard removes an object whose row was never written; if the store is
// unreachable right now, a worker retries through the outbox (owner names
// what the upload was for).
func (s *Service) discard(ctx context.Context, owner, key string) {
	ctx = context.WithoutCancel(ctx)
	if err := s.Blobs.Delete(ctx, key); err != nil {
		_ = media.EnqueueDelete(ctx, s.Outbox, owner, key)
	}
}

// Document opens a certificate's scanned document (members and admins).
// url is a short-lived direct link when the media backend can sign one;
// otherwise the caller streams body.
func (s *Service) Document(ctx context.Context, certID string) (body io.ReadCloser, info ocop.BlobInfo, url string, err error) {
	c, err := s.Certificates.Get(ctx, certID)
	if err != nil {
		return nil, info, "", err
	}
	full, err := s.canSeeHidden(ctx, c.ProducerID)
	if err != nil {
		return nil, info, "", err
	}
	if !full {
		return nil, info, "", ocop.NotFound("certificate")
	}
	if c.DocumentKey == "" {
		return nil, info, "", ocop.NotFound("certificate document")
	}
	if url, err = s.Blobs.SignedURL(ctx, c.DocumentKey, 5*time.Minute); err != nil || url != "" {
		return nil, info, url, err
	}
	body, info, err = s.Blobs.Open(ctx, c.DocumentKey)
	return body, info, "", err
}

func sizeText(n int64) string {
	const mib = 1 << 20
	if n%mib == 0 {
		return strconv.FormatInt(n/mib, 10) + " MiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
