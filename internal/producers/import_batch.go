package producers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// BatchRepo is what a batch import needs beyond the single-row repository
// methods: a few IN queries instead of a lookup per row, and multi-row
// INSERTs. The store implements it.
type BatchRepo interface {
	ByTaxCodes(ctx context.Context, taxCodes []string) ([]ocop.Producer, error)
	ByNameKeys(ctx context.Context, nameKeys []string) ([]ocop.Producer, error)
	CreateMany(ctx context.Context, ps []*ocop.Producer, nameKeys []string) error
}

// CertificateBatchRepo is the certificate side of BatchRepo.
type CertificateBatchRepo interface {
	LiveByProducers(ctx context.Context, producerIDs []string) ([]ocop.Certificate, error)
	CreateMany(ctx context.Context, cs []*ocop.Certificate, productKeys []string) error
}

// AuditBatch appends many audit entries at once.
type AuditBatch interface {
	RecordMany(ctx context.Context, entries ...ocop.AuditEntry) error
}

// Change says what an import did to a record.
type Change string

const (
	Created   Change = "created"
	Updated   Change = "updated"
	Unchanged Change = "unchanged"
)

// ImportItem is one row of an official OCOP list, checked without the
// database by PrepareImport.
type ImportItem struct {
	producer   *ocop.Producer
	nameKey    string
	cert       *ocop.Certificate
	productKey string
}

// PrepareImport checks a producer and (optionally) its certificate as one
// row of an official list, without touching the database: every problem
// of both comes back in one validation error, fields named as in the API
// (legal_name, commune_code, stars, decision_date, ...).
func (s *Service) PrepareImport(p ProducerInput, c *CertificateInput) (ImportItem, error) {
	it := ImportItem{producer: p.producer()}
	var fields []ocop.FieldError
	if err := validateProducer(it.producer); err != nil {
		fields = append(fields, fieldsOf(err)...)
	}
	if c != nil {
		cert, err := s.certificate(*c)
		if err != nil {
			fields = append(fields, fieldsOf(err)...)
		}
		it.cert = cert
	}
	if len(fields) > 0 {
		return ImportItem{}, &ocop.Error{Code: ocop.CodeValidation, Message: "The row has invalid fields.", Fields: fields}
	}
	it.nameKey = NameKey(it.producer.LegalName)
	if it.cert != nil {
		it.productKey = ProductKey(it.cert.ProductName)
	}
	return it, nil
}

func fieldsOf(err error) []ocop.FieldError {
	var e *ocop.Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		return e.Fields
	}
	return []ocop.FieldError{{Field: "", Message: err.Error()}}
}

// ImportOutcome is what ImportBatch did with one item.
type ImportOutcome struct {
	Producer          *ocop.Producer
	ProducerChange    Change
	Certificate       *ocop.Certificate // nil when the item had none
	CertificateChange Change
}

// RowError is a problem with one item of a batch (Index into the items).
type RowError struct {
	Index int
	Err   error
}

// BatchError lists the items that stopped a batch. Nothing of the batch
// was written.
type BatchError []RowError

func (e BatchError) Error() string {
	parts := make([]string, 0, len(e))
	for _, r := range e {
		parts = append(parts, fmt.Sprintf("item %d: %v", r.Index, r.Err))
	}
	return "import batch refused: " + strings.Join(parts, "; ")
}

// ImportBatch creates or updates the producers and certificates of a batch
// of prepared items in one transaction (joining the caller's when it
// allows that), with the matching rules of ImportProducer and
// ImportCertificate: a producer by tax code, else by folded legal name in
// the same commune; a certificate by decision number and folded product
// name. Items later in the batch see the records earlier ones created.
// Records that would not change are not written, audited or announced, so
// importing the same list twice changes nothing the second time.
//
// It reads what it may match with a few IN queries and writes new records
// with multi-row INSERTs. A problem with any item (a name matching several
// producers, say) is a BatchError and nothing is written.
func (s *Service) ImportBatch(ctx context.Context, items []ImportItem, verify bool, actorID string) ([]ImportOutcome, error) {
	pb, okP := s.Producers.(BatchRepo)
	cb, okC := s.Certificates.(CertificateBatchRepo)
	if !okP || !okC {
		return nil, errors.New("producers: the repositories do not support batch imports")
	}
	out := make([]ImportOutcome, len(items))
	err := s.Tx.InTx(ctx, func(ctx context.Context) error {
		b := &importBatch{s: s, verify: verify, actor: actorID, now: s.Now()}
		if err := b.loadProducers(ctx, pb, items); err != nil {
			return err
		}
		var rowErrs BatchError
		for i := range items {
			p, change, err := b.producer(&items[i])
			if err != nil {
				rowErrs = append(rowErrs, RowError{Index: i, Err: err})
				continue
			}
			out[i].Producer, out[i].ProducerChange = p, change
		}
		if len(rowErrs) > 0 {
			return rowErrs
		}
		if err := b.loadCertificates(ctx, cb); err != nil {
			return err
		}
		for i := range items {
			if items[i].cert == nil {
				continue
			}
			out[i].Certificate, out[i].CertificateChange = b.certificate(&items[i], out[i].Producer.ID)
		}
		// An item's records are the final state of the batch (a later row
		// may have updated a producer an earlier one created).
		for i := range out {
			out[i].Producer = b.byID[out[i].Producer.ID]
			if out[i].Certificate != nil {
				out[i].Certificate = b.certs[out[i].Certificate.ID]
			}
		}
		return b.write(ctx, pb, cb)
	})
	if err != nil {
		var be BatchError
		if errors.As(err, &be) {
			return nil, be
		}
		return nil, err
	}
	return out, nil
}

type importBatch struct {
	s      *Service
	verify bool
	actor  string
	now    time.Time

	byTax  map[string]*ocop.Producer
	byName map[string][]*ocop.Producer // name key + "|" + commune
	byID   map[string]*ocop.Producer
	// original state of producers changed by the batch (nil = created)
	origP      map[string]*ocop.Producer
	orderP     []string
	certs      map[string]*ocop.Certificate
	certByKey  map[string]*ocop.Certificate // producer|decision|product key
	origC      map[string]*ocop.Certificate
	orderC     []string
	productKey map[string]string
}

func nameCommuneKey(nameKey, commune string) string { return nameKey + "|" + commune }

func (b *importBatch) index(p *ocop.Producer) {
	b.byID[p.ID] = p
	if p.TaxCode != "" {
		b.byTax[p.TaxCode] = p
	}
	k := nameCommuneKey(NameKey(p.LegalName), p.CommuneCode)
	for _, q := range b.byName[k] {
		if q.ID == p.ID {
			return
		}
	}
	b.byName[k] = append(b.byName[k], p)
}

func (b *importBatch) unindex(p *ocop.Producer) {
	if p.TaxCode != "" && b.byTax[p.TaxCode] != nil && b.byTax[p.TaxCode].ID == p.ID {
		delete(b.byTax, p.TaxCode)
	}
	k := nameCommuneKey(NameKey(p.LegalName), p.CommuneCode)
	list := b.byName[k]
	for i, q := range list {
		if q.ID == p.ID {
			b.byName[k] = append(list[:i:i], list[i+1:]...)
			break
		}
	}
}

func (b *importBatch) loadProducers(ctx context.Context, repo BatchRepo, items []ImportItem) error {
	b.byTax, b.byName, b.byID = map[string]*ocop.Producer{}, map[string][]*ocop.Producer{}, map[string]*ocop.Producer{}
	b.origP, b.certs, b.certByKey, b.origC, b.productKey = map[string]*ocop.Producer{}, map[string]*ocop.Certificate{},
		map[string]*ocop.Certificate{}, map[string]*ocop.Certificate{}, map[string]string{}
	var taxCodes, nameKeys []string
	seenT, seenN := map[string]bool{}, map[string]bool{}
	for _, it := range items {
		if t := it.producer.TaxCode; t != "" && !seenT[t] {
			seenT[t] = true
			taxCodes = append(taxCodes, t)
		}
		if !seenN[it.nameKey] {
			seenN[it.nameKey] = true
			nameKeys = append(nameKeys, it.nameKey)
		}
	}
	byTax, err := repo.ByTaxCodes(ctx, taxCodes)
	if err != nil {
		return err
	}
	byName, err := repo.ByNameKeys(ctx, nameKeys)
	if err != nil {
		return err
	}
	for _, p := range append(byTax, byName...) {
		if _, ok := b.byID[p.ID]; !ok {
			p := p
			b.index(&p)
		}
	}
	return nil
}

// match is matchProducer on the batch's maps.
func (b *importBatch) match(p *ocop.Producer, nameKey string) (*ocop.Producer, error) {
	if p.TaxCode != "" {
		if found := b.byTax[p.TaxCode]; found != nil {
			return found, nil
		}
	}
	ps := b.byName[nameCommuneKey(nameKey, p.CommuneCode)]
	switch len(ps) {
	case 0:
		return nil, nil
	case 1:
		if ps[0].TaxCode != "" && p.TaxCode != "" && ps[0].TaxCode != p.TaxCode {
			return nil, nil // same name, another legal person
		}
		return ps[0], nil
	}
	return nil, ocop.FieldInvalid("legal_name", "matches %d producers in this commune; give the tax code", len(ps))
}

func (b *importBatch) producer(it *ImportItem) (*ocop.Producer, Change, error) {
	existing, err := b.match(it.producer, it.nameKey)
	if err != nil {
		return nil, "", err
	}
	if existing == nil {
		p := newImportedProducer(it.producer, b.verify, b.now)
		b.origP[p.ID] = nil
		b.orderP = append(b.orderP, p.ID)
		b.index(p)
		return p, Created, nil
	}
	merged, changed := mergeImportedProducer(existing, it.producer, b.verify, b.now)
	if !changed {
		return existing, Unchanged, nil
	}
	if _, seen := b.origP[existing.ID]; !seen {
		orig := *existing
		b.origP[existing.ID] = &orig
		b.orderP = append(b.orderP, existing.ID)
	}
	b.unindex(existing)
	*existing = merged // every map holds this pointer
	b.index(existing)
	change := Updated
	if b.origP[existing.ID] == nil {
		change = Created
	}
	return existing, change, nil
}

func certKey(producerID, decision, productKey string) string {
	return producerID + "|" + decision + "|" + productKey
}

func (b *importBatch) loadCertificates(ctx context.Context, repo CertificateBatchRepo) error {
	var ids []string
	for id, p := range b.byID {
		if orig, changed := b.origP[id]; changed && orig == nil {
			continue // created by this batch: nothing stored yet
		}
		ids = append(ids, p.ID)
	}
	cs, err := repo.LiveByProducers(ctx, ids)
	if err != nil {
		return err
	}
	for i := range cs {
		c := &cs[i]
		k := ProductKey(c.ProductName)
		b.certs[c.ID], b.productKey[c.ID] = c, k
		b.certByKey[certKey(c.ProducerID, c.DecisionNumber, k)] = c
	}
	return nil
}

func (b *importBatch) certificate(it *ImportItem, producerID string) (*ocop.Certificate, Change) {
	next := *it.cert
	status := importedStatus(&next, b.verify, ocop.DateOf(b.now))
	k := certKey(producerID, next.DecisionNumber, it.productKey)
	existing := b.certByKey[k]
	if existing == nil {
		c := newImportedCertificate(&next, producerID, status, b.verify, b.actor, b.now)
		b.certs[c.ID], b.productKey[c.ID], b.certByKey[k] = c, it.productKey, c
		b.origC[c.ID] = nil
		b.orderC = append(b.orderC, c.ID)
		return c, Created
	}
	merged, changed := mergeImportedCertificate(existing, &next, status, b.verify, b.actor, b.now)
	if !changed {
		return existing, Unchanged
	}
	if _, seen := b.origC[existing.ID]; !seen {
		orig := *existing
		b.origC[existing.ID] = &orig
		b.orderC = append(b.orderC, existing.ID)
	}
	*existing = merged
	b.productKey[existing.ID] = ProductKey(existing.ProductName)
	if b.origC[existing.ID] == nil {
		return existing, Created
	}
	return existing, Updated
}

// write stores what the batch changed: new records in multi-row INSERTs,
// changed ones one by one (rare: a list that changed since last time), and
// the audit entries and outbox messages of all of them.
func (b *importBatch) write(ctx context.Context, pb BatchRepo, cb CertificateBatchRepo) error {
	var (
		newP     []*ocop.Producer
		newPKeys []string
		audit    []ocop.AuditEntry
		msgs     []ocop.OutboxMessage
	)
	for _, id := range b.orderP {
		p, orig := b.byID[id], b.origP[id]
		if orig == nil {
			newP, newPKeys = append(newP, p), append(newPKeys, NameKey(p.LegalName))
			audit = append(audit, ocop.AuditEntry{ActorID: b.actor, Action: "producer.imported", ObjectType: "producer", ObjectID: id, After: auditProducer(p)})
			if p.Status == ocop.ProducerVerified {
				msgs = append(msgs, message(TopicProducerChanged, id, map[string]any{"reason": "imported", "status": p.Status}))
			}
			continue
		}
		if err := b.s.Producers.Update(ctx, p, NameKey(p.LegalName)); err != nil {
			return err
		}
		audit = append(audit, ocop.AuditEntry{ActorID: b.actor, Action: "producer.imported", ObjectType: "producer", ObjectID: id,
			Before: auditProducer(orig), After: auditProducer(p)})
		msgs = append(msgs, message(TopicProducerChanged, id, map[string]any{"reason": "imported", "status": p.Status}))
	}
	if err := pb.CreateMany(ctx, newP, newPKeys); err != nil {
		return err
	}
	var (
		newC     []*ocop.Certificate
		newCKeys []string
	)
	for _, id := range b.orderC {
		c, orig := b.certs[id], b.origC[id]
		entry := ocop.AuditEntry{ActorID: b.actor, Action: "certificate.imported", ObjectType: "certificate", ObjectID: id, After: auditCertificate(c)}
		if orig == nil {
			newC, newCKeys = append(newC, c), append(newCKeys, b.productKey[id])
		} else {
			if err := b.s.Certificates.Update(ctx, c, b.productKey[id]); err != nil {
				return err
			}
			entry.Before = auditCertificate(orig)
		}
		audit = append(audit, entry)
		if c.Status != ocop.CertPending {
			msgs = append(msgs, message(TopicCertificateChanged, id, map[string]any{"producer_id": c.ProducerID, "status": c.Status}))
		}
	}
	if err := cb.CreateMany(ctx, newC, newCKeys); err != nil {
		return err
	}
	if err := b.s.recordMany(ctx, audit); err != nil {
		return err
	}
	return b.s.enqueueMany(ctx, msgs)
}

// OutboxBatch writes many outbox messages at once.
type OutboxBatch interface {
	EnqueueMany(ctx context.Context, msgs ...ocop.OutboxMessage) error
}

func (s *Service) enqueueMany(ctx context.Context, msgs []ocop.OutboxMessage) error {
	if ob, ok := s.Outbox.(OutboxBatch); ok {
		return ob.EnqueueMany(ctx, msgs...)
	}
	return s.Outbox.Enqueue(ctx, msgs...)
}

func message(topic, key string, payload map[string]any) ocop.OutboxMessage {
	p, _ := json.Marshal(payload) // maps of strings and statuses always marshal
	return ocop.OutboxMessage{Topic: topic, Key: key, Payload: p}
}

func (s *Service) recordMany(ctx context.Context, entries []ocop.AuditEntry) error {
	if ab, ok := s.Audit.(AuditBatch); ok {
		return ab.RecordMany(ctx, entries...)
	}
	for _, e := range entries {
		if err := s.Audit.Record(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// newImportedProducer is a producer an official list creates: no owner
// yet, verified when the list is trusted.
func newImportedProducer(next *ocop.Producer, verify bool, now time.Time) *ocop.Producer {
	p := *next
	p.ID, p.Status, p.CreatedBy, p.CreatedAt, p.UpdatedAt = uuid.Must(uuid.NewV7()).String(), ocop.ProducerPending, "", now, now
	if verify {
		p.Status, p.VerifiedAt = ocop.ProducerVerified, &now
	}
	return &p
}

// newImportedCertificate is a certificate an official list creates.
func newImportedCertificate(next *ocop.Certificate, producerID string, status ocop.CertificateStatus, verify bool, actorID string, now time.Time) *ocop.Certificate {
	c := *next
	c.ID, c.ProducerID, c.Status, c.CreatedAt, c.UpdatedAt = uuid.Must(uuid.NewV7()).String(), producerID, status, now, now
	if verify {
		c.ReviewedBy, c.ReviewedAt = actorID, &now
	}
	return &c
}
