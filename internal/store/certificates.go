package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

type certificateRow struct {
	ID             string `gorm:"primaryKey"`
	ProducerID     string
	ProductName    string
	ProductKey     string
	LegalBasis     string
	ProductGroup   string
	ProductSet     string
	CurrentGroup   string
	Stars          int
	DecisionNumber string
	DecisionDate   string
	IssuingLevel   string
	IssuingBody    string
	ExpiresOn      string
	DocumentKey    *string
	DocumentType   *string
	DocumentSize   *int64
	Status         string
	StatusReason   string
	ReviewedBy     *string
	ReviewedAt     *time.Time
	CreatedBy      *string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (certificateRow) TableName() string { return "certificates" }

func (r *certificateRow) toDomain() (*ocop.Certificate, error) {
	dd, err := ocop.ParseDate(r.DecisionDate)
	if err != nil {
		return nil, err
	}
	exp, err := ocop.ParseDate(r.ExpiresOn)
	if err != nil {
		return nil, err
	}
	c := &ocop.Certificate{
		ID: r.ID, ProducerID: r.ProducerID, ProductName: r.ProductName, LegalBasis: r.LegalBasis,
		ProductGroup: r.ProductGroup, ProductSet: r.ProductSet, CurrentGroup: r.CurrentGroup, Stars: r.Stars,
		DecisionNumber: r.DecisionNumber, DecisionDate: dd, IssuingLevel: ocop.IssuingLevel(r.IssuingLevel),
		IssuingBody: r.IssuingBody, ExpiresOn: exp, DocumentKey: strVal(r.DocumentKey), DocumentType: strVal(r.DocumentType),
		Status: ocop.CertificateStatus(r.Status), StatusReason: r.StatusReason, ReviewedBy: strVal(r.ReviewedBy),
		ReviewedAt: utcPtr(r.ReviewedAt), CreatedBy: strVal(r.CreatedBy), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.DocumentSize != nil {
		c.DocumentSize = *r.DocumentSize
	}
	return c, nil
}

func certificatesOf(rows []certificateRow) ([]ocop.Certificate, error) {
	out := make([]ocop.Certificate, len(rows))
	for i := range rows {
		c, err := rows[i].toDomain()
		if err != nil {
			return nil, err
		}
		out[i] = *c
	}
	return out, nil
}

// Certificates is the OCOP certificate repository.
type Certificates struct{ s *Store }

// Certificates returns the certificate repository.
func (s *Store) Certificates() *Certificates { return &Certificates{s} }

func errDuplicateCertificate(err error) error {
	return &ocop.Error{Code: ocop.CodeConflict, Message: "this producer already has a certificate for this product under this decision",
		Fields: []ocop.FieldError{{Field: "decision_number", Message: "already recorded for this product"}}, Err: err}
}

// Create inserts a certificate; productKey is its folded product name.
func (r *Certificates) Create(ctx context.Context, c *ocop.Certificate, productKey string) error {
	row := certificateRowOf(c, productKey)
	if err := translate(r.s.conn(ctx).Create(&row).Error); err != nil {
		if isUniqueViolation(err, "certificates_decision_product_key", "", "") {
			return errDuplicateCertificate(err)
		}
		return err
	}
	return nil
}

func certificateRowOf(c *ocop.Certificate, productKey string) certificateRow {
	row := certificateRow{
		ID: c.ID, ProducerID: c.ProducerID, ProductName: c.ProductName, ProductKey: productKey, LegalBasis: c.LegalBasis,
		ProductGroup: c.ProductGroup, ProductSet: c.ProductSet, CurrentGroup: c.CurrentGroup, Stars: c.Stars,
		DecisionNumber: c.DecisionNumber, DecisionDate: c.DecisionDate.String(), IssuingLevel: string(c.IssuingLevel),
		IssuingBody: c.IssuingBody, ExpiresOn: c.ExpiresOn.String(), Status: string(c.Status), StatusReason: c.StatusReason,
		ReviewedBy: strPtr(c.ReviewedBy), ReviewedAt: utcPtr(c.ReviewedAt), CreatedBy: strPtr(c.CreatedBy),
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(),
	}
	if c.DocumentKey != "" {
		row.DocumentKey, row.DocumentType, row.DocumentSize = &c.DocumentKey, &c.DocumentType, &c.DocumentSize
	}
	return row
}

// Update writes the certificate's mutable columns (by name).
func (r *Certificates) Update(ctx context.Context, c *ocop.Certificate, productKey string) error {
	cols := map[string]any{
		"product_name": c.ProductName, "product_key": productKey, "legal_basis": c.LegalBasis,
		"product_group": c.ProductGroup, "product_set": c.ProductSet, "current_group": c.CurrentGroup, "stars": c.Stars,
		"decision_number": c.DecisionNumber, "decision_date": c.DecisionDate.String(), "issuing_level": string(c.IssuingLevel),
		"issuing_body": c.IssuingBody, "expires_on": c.ExpiresOn.String(),
		"document_key": strPtr(c.DocumentKey), "document_type": strPtr(c.DocumentType), "document_size": nil,
		"status": string(c.Status), "status_reason": c.StatusReason, "reviewed_by": strPtr(c.ReviewedBy),
		"reviewed_at": utcPtr(c.ReviewedAt), "updated_at": c.UpdatedAt.UTC(),
	}
	if c.DocumentKey != "" {
		cols["document_size"] = c.DocumentSize
	}
	res := r.s.conn(ctx).Model(&certificateRow{}).Where("id = ?", c.ID).Updates(cols)
	if err := translate(res.Error); err != nil {
		if isUniqueViolation(err, "certificates_decision_product_key", "", "") {
			return errDuplicateCertificate(err)
		}
		return err
	}
	if res.RowsAffected == 0 {
		return ocop.NotFound("certificate")
	}
	return nil
}

// Get loads a certificate.
func (r *Certificates) Get(ctx context.Context, id string) (*ocop.Certificate, error) {
	var row certificateRow
	err := r.s.conn(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ocop.NotFound("certificate")
	}
	if err != nil {
		return nil, translate(err)
	}
	return row.toDomain()
}

// GetForUpdate loads a certificate inside a transaction, locking its row on
// PostgreSQL so that two admins reviewing it at once act one after the other
// (SQLite transactions already hold the write lock).
func (r *Certificates) GetForUpdate(ctx context.Context, id string) (*ocop.Certificate, error) {
	q := r.s.conn(ctx).Where("id = ?", id)
	if r.s.isPostgres() {
		q = q.Clauses(lockingUpdate())
	}
	var row certificateRow
	err := q.Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ocop.NotFound("certificate")
	}
	if err != nil {
		return nil, translate(err)
	}
	return row.toDomain()
}

// ByProducer lists a producer's certificates with the given statuses (all
// when none), newest decision first.
func (r *Certificates) ByProducer(ctx context.Context, producerID string, statuses ...ocop.CertificateStatus) ([]ocop.Certificate, error) {
	q := r.s.conn(ctx).Where("producer_id = ?", producerID)
	if len(statuses) > 0 {
		q = q.Where("status IN ?", statusStrings(statuses))
	}
	var rows []certificateRow
	if err := q.Order("decision_date DESC, id").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	return certificatesOf(rows)
}

// InForce lists verified certificates of the producers not past their
// expiry on day, highest stars first.
func (r *Certificates) InForce(ctx context.Context, producerIDs []string, day ocop.Date) ([]ocop.Certificate, error) {
	if len(producerIDs) == 0 {
		return nil, nil
	}
	var rows []certificateRow
	err := r.s.conn(ctx).Where("producer_id IN ? AND status = ? AND expires_on >= ?", producerIDs, string(ocop.CertVerified), day.String()).
		Order("stars DESC, expires_on DESC, id").Find(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	return certificatesOf(rows)
}

// ByDecisionAndProduct finds a producer's live (not rejected) certificate
// for a product under a decision.
func (r *Certificates) ByDecisionAndProduct(ctx context.Context, producerID, decisionNumber, productKey string) (*ocop.Certificate, error) {
	var row certificateRow
	err := r.s.conn(ctx).Where("producer_id = ? AND decision_number = ? AND product_key = ? AND status <> ?",
		producerID, decisionNumber, productKey, string(ocop.CertRejected)).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ocop.NotFound("certificate")
	}
	if err != nil {
		return nil, translate(err)
	}
	return row.toDomain()
}

// DueToExpire lists verified certificates whose expiry date is before day.
func (r *Certificates) DueToExpire(ctx context.Context, day ocop.Date, limit int) ([]ocop.Certificate, error) {
	var rows []certificateRow
	err := r.s.conn(ctx).Where("status = ? AND expires_on < ?", string(ocop.CertVerified), day.String()).
		Order("expires_on, id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	return certificatesOf(rows)
}

// SetStatus moves a certificate from one status to another; it reports
// false when the certificate was no longer in the expected status (a
// concurrent change won).
func (r *Certificates) SetStatus(ctx context.Context, id string, from, to ocop.CertificateStatus, reason string, at time.Time) (bool, error) {
	res := r.s.conn(ctx).Model(&certificateRow{}).Where("id = ? AND status = ?", id, string(from)).
		Updates(map[string]any{"status": string(to), "status_reason": reason, "updated_at": at.UTC()})
	if res.Error != nil {
		return false, translate(res.Error)
	}
	return res.RowsAffected == 1, nil
}

func statusStrings(ss []ocop.CertificateStatus) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}
