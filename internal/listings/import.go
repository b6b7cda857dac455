package listings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/taxonomy"
)

// ImportRepo is what imports need beyond Repo: one query for a batch's
// listings and multi-row INSERTs. The store implements it.
type ImportRepo interface {
	ByCertificates(ctx context.Context, certificateIDs []string) ([]ocop.Listing, error)
	CreateMany(ctx context.Context, ls []*ocop.Listing) error
}

// ImportDraft is the draft listing an official OCOP list describes for one
// imported certificate.
type ImportDraft struct {
	ProducerID    string
	CertificateID string
	// CertificateGroup is the certificate's group in the current taxonomy
	// (the listing's group must be the same).
	CertificateGroup string
	Input
}

// Import outcomes, per draft.
const (
	ImportCreated   = "created"
	ImportUpdated   = "updated"
	ImportUnchanged = "unchanged"
)

// ImportDraftError is a problem with one draft of a batch (Index into the
// drafts); nothing of the batch was written.
type ImportDraftError struct {
	Index int
	Err   error
}

// ImportDraftErrors lists the drafts that stopped a batch.
type ImportDraftErrors []ImportDraftError

func (e ImportDraftErrors) Error() string {
	parts := make([]string, len(e))
	for i, d := range e {
		parts[i] = fmt.Sprintf("draft %d: %v", d.Index, d.Err)
	}
	return "listing import refused: " + strings.Join(parts, "; ")
}

// ImportDrafts creates or updates, in one transaction (joining the
// caller's when it allows that), the draft listing of each imported
// certificate: one listing per certificate. Only a draft nobody has
// touched since an import made it (version 1, no creator) is updated: a
// listing that was edited, published or archived belongs to its producer
// and is left alone, so re-importing a list never reverts their work. What changes is announced on listing.changed and audited, as any
// listing change; unchanged drafts are not written at all. The caller
// authorises (imports are for admins and tools).
func (s *Service) ImportDrafts(ctx context.Context, drafts []ImportDraft, actorID string) ([]string, error) {
	repo, ok := s.Listings.(ImportRepo)
	if !ok {
		return nil, errors.New("listings: the repository does not support imports")
	}
	out := make([]string, len(drafts))
	err := s.Tx.InTx(ctx, func(ctx context.Context) error {
		now := s.Now()
		ids := make([]string, 0, len(drafts))
		for _, d := range drafts {
			ids = append(ids, d.CertificateID)
		}
		existing, err := repo.ByCertificates(ctx, ids)
		if err != nil {
			return err
		}
		byCert := map[string]*ocop.Listing{}
		for i := range existing {
			l := &existing[i]
			if prev, dup := byCert[l.CertificateID]; !dup || (prev.Status == ocop.ListingArchived && l.Status != ocop.ListingArchived) {
				byCert[l.CertificateID] = l
			}
		}
		var (
			errs    ImportDraftErrors
			created []*ocop.Listing
			audit   []ocop.AuditEntry
			msgs    []ocop.OutboxMessage
		)
		seen := map[string]int{}
		for i, d := range drafts {
			if j, dup := seen[d.CertificateID]; dup {
				out[i] = out[j] // the same certificate twice in a batch: one listing
				continue
			}
			seen[d.CertificateID] = i
			l := byCert[d.CertificateID]
			switch {
			case l == nil:
				l = &ocop.Listing{ID: uuid.Must(uuid.NewV7()).String(), ProducerID: d.ProducerID, Status: ocop.ListingDraft,
					Version: 1, CreatedAt: now, UpdatedAt: now, Images: []ocop.ListingImage{}}
				d.Input.CertificateID = d.CertificateID
				d.Input.apply(l)
				if err := validateImported(l, d.CertificateGroup); err != nil {
					errs = append(errs, ImportDraftError{Index: i, Err: err})
					continue
				}
				created = append(created, l)
				byCert[d.CertificateID] = l
				out[i] = ImportCreated
			case l.Status != ocop.ListingDraft || l.CreatedBy != "" || l.Version != 1 || l.ProducerID != d.ProducerID:
				out[i] = ImportUnchanged // the producer's listing now
				continue
			default:
				before := *l
				next := *l
				d.Input.CertificateID = d.CertificateID
				importedInput(d.Input, &next)
				if err := validateImported(&next, d.CertificateGroup); err != nil {
					errs = append(errs, ImportDraftError{Index: i, Err: err})
					continue
				}
				if sameImported(&before, &next) {
					out[i] = ImportUnchanged
					continue
				}
				next.Version, next.UpdatedAt = before.Version+1, now
				if err := s.Listings.Update(ctx, &next, before.Version); err != nil {
					return err
				}
				*l = next
				out[i] = ImportUpdated
				audit = append(audit, ocop.AuditEntry{ActorID: actorID, Action: "listing.imported", ObjectType: "listing", ObjectID: l.ID,
					Before: snapshot(&before), After: snapshot(l)})
				msgs = append(msgs, changedMessage(l, "updated"))
				continue
			}
			audit = append(audit, ocop.AuditEntry{ActorID: actorID, Action: "listing.imported", ObjectType: "listing", ObjectID: l.ID, After: snapshot(l)})
			msgs = append(msgs, changedMessage(l, "created"))
		}
		if len(errs) > 0 {
			return errs
		}
		if err := repo.CreateMany(ctx, created); err != nil {
			return err
		}
		if err := s.recordMany(ctx, audit); err != nil {
			return err
		}
		return s.enqueueMany(ctx, msgs)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// importedInput applies what an import controls to a draft it made; the
// other fields (tags, markets, ...) are left as they are.
func importedInput(in Input, l *ocop.Listing) {
	l.TitleVI, l.TitleEN, l.DescriptionVI, l.DescriptionEN = in.TitleVI, in.TitleEN, in.DescriptionVI, in.DescriptionEN
	l.ProductGroup, l.ProductSet, l.CertificateID, l.Unit = in.ProductGroup, in.ProductSet, in.CertificateID, in.Unit
	l.PriceMinVND, l.PriceMaxVND, l.MinOrderQty, l.MonthlyCapacity = in.PriceMinVND, in.PriceMaxVND, in.MinOrderQty, in.MonthlyCapacity
}

func sameImported(a, b *ocop.Listing) bool {
	eq := func(x, y *int64) bool { return (x == nil && y == nil) || (x != nil && y != nil && *x == *y) }
	return a.TitleVI == b.TitleVI && a.TitleEN == b.TitleEN && a.DescriptionVI == b.DescriptionVI && a.DescriptionEN == b.DescriptionEN &&
		a.ProductGroup == b.ProductGroup && a.ProductSet == b.ProductSet && a.CertificateID == b.CertificateID && a.Unit == b.Unit &&
		eq(a.PriceMinVND, b.PriceMinVND) && eq(a.PriceMaxVND, b.PriceMaxVND) && a.MinOrderQty == b.MinOrderQty &&
		eq(a.MonthlyCapacity, b.MonthlyCapacity) && slices.Equal(a.Tags, b.Tags)
}

// validateImported is validate without the database: the import has just
// recorded the certificate, for this producer.
func validateImported(l *ocop.Listing, certGroup string) error {
	l.Normalize()
	var v ocop.Validation
	l.Validate(&v)
	taxonomy.ValidateCurrent(&v, "product_group", l.ProductGroup, "product_set", l.ProductSet, true)
	if certGroup != "" && !v.Has("product_group") && certGroup != l.ProductGroup {
		v.Add("certificate_id", "certifies a product of group %s, not %s", certGroup, l.ProductGroup)
	}
	return v.Err()
}

func changedMessage(l *ocop.Listing, action string) ocop.OutboxMessage {
	b, _ := json.Marshal(map[string]any{"action": action, "version": l.Version, "status": l.Status}) // plain values
	return ocop.OutboxMessage{Topic: TopicChanged, Key: l.ID, Payload: b}
}

// recordMany and enqueueMany use the store's multi-row writes when it has them.
func (s *Service) recordMany(ctx context.Context, entries []ocop.AuditEntry) error {
	if ab, ok := s.Audit.(interface {
		RecordMany(ctx context.Context, entries ...ocop.AuditEntry) error
	}); ok {
		return ab.RecordMany(ctx, entries...)
	}
	for _, e := range entries {
		if err := s.Audit.Record(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) enqueueMany(ctx context.Context, msgs []ocop.OutboxMessage) error {
	if ob, ok := s.Outbox.(interface {
		EnqueueMany(ctx context.Context, msgs ...ocop.OutboxMessage) error
	}); ok {
		return ob.EnqueueMany(ctx, msgs...)
	}
	return s.Outbox.Enqueue(ctx, msgs...)
}
