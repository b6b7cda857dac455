package store

import (
	"context"

	"github.com/google/uuid"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// Bulk reads and writes for imports: an import batch loads what it may
// match with a few IN queries and writes its new rows with multi-row
// INSERTs, instead of a round trip per spreadsheet row.

// inChunk bounds the values of one IN list or multi-row INSERT so that no
// statement exceeds either dialect's limit on bound parameters.
const inChunk = 500

func chunks[T any](xs []T, fn func(part []T) error) error {
	for len(xs) > 0 {
		n := min(len(xs), inChunk)
		if err := fn(xs[:n]); err != nil {
			return err
		}
		xs = xs[n:]
	}
	return nil
}

// ByTaxCodes finds the producers with any of the tax codes.
func (r *Producers) ByTaxCodes(ctx context.Context, taxCodes []string) ([]ocop.Producer, error) {
	var out []ocop.Producer
	err := chunks(taxCodes, func(part []string) error {
		var rows []producerRow
		if err := r.s.conn(ctx).Where("tax_code IN ?", part).Find(&rows).Error; err != nil {
			return translate(err)
		}
		out = append(out, producersOf(rows)...)
		return nil
	})
	return out, err
}

// ByNameKeys finds the producers whose folded legal name is any of keys.
func (r *Producers) ByNameKeys(ctx context.Context, nameKeys []string) ([]ocop.Producer, error) {
	var out []ocop.Producer
	err := chunks(nameKeys, func(part []string) error {
		var rows []producerRow
		if err := r.s.conn(ctx).Where("name_key IN ?", part).Order("id").Find(&rows).Error; err != nil {
			return translate(err)
		}
		out = append(out, producersOf(rows)...)
		return nil
	})
	return out, err
}

// CreateMany inserts producers; nameKeys[i] is the folded name of ps[i].
func (r *Producers) CreateMany(ctx context.Context, ps []*ocop.Producer, nameKeys []string) error {
	if len(ps) == 0 {
		return nil
	}
	rows := make([]producerRow, len(ps))
	for i, p := range ps {
		rows[i] = producerRowOf(p, nameKeys[i])
	}
	if err := translate(r.s.conn(ctx).CreateInBatches(&rows, inChunk).Error); err != nil {
		if isUniqueViolation(err, "producers_tax_code_key", "producers", "tax_code") {
			return errTaxCodeTaken(err)
		}
		return err
	}
	return nil
}

// LiveByProducers lists the certificates (all but rejected ones) of the
// producers.
func (r *Certificates) LiveByProducers(ctx context.Context, producerIDs []string) ([]ocop.Certificate, error) {
	var out []ocop.Certificate
	err := chunks(producerIDs, func(part []string) error {
		var rows []certificateRow
		if err := r.s.conn(ctx).Where("producer_id IN ? AND status <> ?", part, string(ocop.CertRejected)).Find(&rows).Error; err != nil {
			return translate(err)
		}
		cs, err := certificatesOf(rows)
		out = append(out, cs...)
		return err
	})
	return out, err
}

// CreateMany inserts certificates; productKeys[i] is the folded product
// name of cs[i].
func (r *Certificates) CreateMany(ctx context.Context, cs []*ocop.Certificate, productKeys []string) error {
	if len(cs) == 0 {
		return nil
	}
	rows := make([]certificateRow, len(cs))
	for i, c := range cs {
		rows[i] = certificateRowOf(c, productKeys[i])
	}
	if err := translate(r.s.conn(ctx).CreateInBatches(&rows, inChunk/2).Error); err != nil {
		if isUniqueViolation(err, "certificates_decision_product_key", "", "") {
			return errDuplicateCertificate(err)
		}
		return err
	}
	return nil
}

// RecordMany appends entries inside the caller's transaction with
// multi-row INSERTs.
func (a *AuditLog) RecordMany(ctx context.Context, entries ...ocop.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	now, reqID := a.s.now(), ocop.RequestIDFrom(ctx)
	rows := make([]auditRow, len(entries))
	for i, e := range entries {
		rows[i] = auditRow{ID: uuid.Must(uuid.NewV7()).String(), At: now, Action: e.Action, ObjectType: e.ObjectType,
			ObjectID: e.ObjectID, RequestID: reqID}
		if e.ActorID != "" {
			rows[i].ActorID = &e.ActorID
		}
		var err error
		if rows[i].BeforeJSON, err = jsonOrNil(e.Before); err != nil {
			return err
		}
		if rows[i].AfterJSON, err = jsonOrNil(e.After); err != nil {
			return err
		}
	}
	return translate(a.s.conn(ctx).CreateInBatches(&rows, inChunk).Error)
}
