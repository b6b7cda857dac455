// Package listings is the use case of product listings: what a producer
// offers, its life cycle (draft -> published <-> paused -> archived), who may
// see and change it, optimistic concurrency through a version (the ETag),
// and its photos.
//
// Every change buyers could see writes a "listing.changed" outbox message in
// the same transaction (Key = listing ID); the search index re-reads the
// listing through Card when it handles one. Photos are processed and stored
// before the transaction that records them, and removed through the
// "media.delete" outbox topic, so no object outlives its row and no row
// points to a missing object.
package listings

import (
	"context"
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/taxonomy"
)

// TopicChanged is written whenever something buyers see of a listing
// changes; Key is the listing ID, the payload says what happened (for logs:
// handlers re-read the listing).
const TopicChanged = "listing.changed"

// Repo is what the use case needs from the listing store.
type Repo interface {
	Create(ctx context.Context, l *ocop.Listing) error
	Get(ctx context.Context, id string) (*ocop.Listing, error)
	// GetWithCertificate also returns the standing of the listing's
	// certificate (ID, ProducerID, Status, Stars, ExpiresOn; nil for none).
	GetWithCertificate(ctx context.Context, id string) (*ocop.Listing, *ocop.Certificate, error)
	GetForUpdate(ctx context.Context, id string) (*ocop.Listing, error)
	Update(ctx context.Context, l *ocop.Listing, prev int64) error
	List(ctx context.Context, f ocop.ListingFilter) ([]ocop.Listing, error)
	AddImage(ctx context.Context, im *ocop.ListingImage) error
	DeleteImages(ctx context.Context, listingID string, ids ...string) error
	SetImagePositions(ctx context.Context, listingID string, ids []string) error
}

// Producers is what the use case needs to know about producers and their
// certificates (the producers use case provides it).
type Producers interface {
	// CallerRole is the caller's role in the producer; not_found for a
	// non-member or a missing producer.
	CallerRole(ctx context.Context, producerID string) (ocop.MemberRole, error)
	// Producer loads a producer without visibility rules.
	Producer(ctx context.Context, id string) (*ocop.Producer, error)
	// CertificateByID loads a certificate without visibility rules.
	CertificateByID(ctx context.Context, id string) (*ocop.Certificate, error)
}

// Images turns an upload into stored display and thumbnail variants. It
// validates by content, enforces the byte and pixel caps while streaming,
// strips metadata by re-encoding, and stores nothing unless it succeeds.
type Images interface {
	Process(ctx context.Context, r io.Reader) (ProcessedImage, error)
}

// ProcessedImage is a stored upload.
type ProcessedImage struct {
	ID            string
	SourceFormat  string
	SourceBytes   int64
	Width, Height int
	Display       ocop.ImageVariant
	Thumb         ocop.ImageVariant
}

// MediaDeleter removes stored objects: Enqueue inside a transaction (through
// the outbox, retried until done), Delete at once (best effort, when no
// transaction can be written).
type MediaDeleter interface {
	Enqueue(ctx context.Context, owner string, keys ...string) error
	Delete(ctx context.Context, key string) error
}

// Service is the listings use case.
type Service struct {
	Tx        ocop.Transactor
	Listings  Repo
	Producers Producers
	Images    Images
	Media     MediaDeleter
	Outbox    ocop.Outbox
	Audit     ocop.AuditLog
	Now       ocop.Clock
	// MaxImages is the most photos a listing may have.
	MaxImages int
	// PublicPath turns an object key into the path clients fetch it from
	// ("/media/<name>").
	PublicPath func(key string) string
}

func caller(ctx context.Context) (ocop.Principal, bool) {
	p, ok := ocop.PrincipalFrom(ctx)
	return p, ok && p.UserID != ""
}

// View is a listing as its reader may see it.
type View struct {
	*ocop.Listing
	// Stars is the star level of the listing's certificate while it is in
	// force (verified and unexpired), else 0.
	Stars int
	// Owner is true for members of the producer (they see every state).
	Owner bool
}

// Input is every editable field of a listing (create, and PATCH applied to
// the current values).
type Input struct {
	ProducerID      string
	TitleVI         string
	TitleEN         string
	DescriptionVI   string
	DescriptionEN   string
	ProductGroup    string
	ProductSet      string
	CertificateID   string
	Unit            string
	PriceMinVND     *int64
	PriceMaxVND     *int64
	MinOrderQty     int64
	MonthlyCapacity *int64
	LeadTimeDays    *int
	ShelfLifeDays   *int
	Packaging       string
	Tags            []string
	HarvestMonths   []int
	SampleAvailable bool
	ExportMarkets   []string
	Certifications  []string
}

// InputOf returns the editable fields of l (the base a PATCH applies to).
func InputOf(l *ocop.Listing) Input {
	return Input{
		ProducerID: l.ProducerID, TitleVI: l.TitleVI, TitleEN: l.TitleEN, DescriptionVI: l.DescriptionVI,
		DescriptionEN: l.DescriptionEN, ProductGroup: l.ProductGroup, ProductSet: l.ProductSet,
		CertificateID: l.CertificateID, Unit: l.Unit, PriceMinVND: l.PriceMinVND, PriceMaxVND: l.PriceMaxVND,
		MinOrderQty: l.MinOrderQty, MonthlyCapacity: l.MonthlyCapacity, LeadTimeDays: l.LeadTimeDays,
		ShelfLifeDays: l.ShelfLifeDays, Packaging: l.Packaging, Tags: l.Tags, HarvestMonths: l.HarvestMonths,
		SampleAvailable: l.SampleAvailable, ExportMarkets: l.ExportMarkets, Certifications: l.Certifications,
	}
}

func (in Input) apply(l *ocop.Listing) {
	l.TitleVI, l.TitleEN, l.DescriptionVI, l.DescriptionEN = in.TitleVI, in.TitleEN, in.DescriptionVI, in.DescriptionEN
	l.ProductGroup, l.ProductSet, l.CertificateID, l.Unit = in.ProductGroup, in.ProductSet, in.CertificateID, in.Unit
	l.PriceMinVND, l.PriceMaxVND, l.MinOrderQty, l.MonthlyCapacity = in.PriceMinVND, in.PriceMaxVND, in.MinOrderQty, in.MonthlyCapacity
	l.LeadTimeDays, l.ShelfLifeDays, l.Packaging = in.LeadTimeDays, in.ShelfLifeDays, in.Packaging
	l.Tags, l.HarvestMonths, l.SampleAvailable = in.Tags, in.HarvestMonths, in.SampleAvailable
	l.ExportMarkets, l.Certifications = in.ExportMarkets, in.Certifications
}

// validate checks l, including the taxonomy and the certificate (which
// must belong to the listing's producer and may not be rejected or revoked).
func (s *Service) validate(ctx context.Context, l *ocop.Listing) error {
	l.Normalize()
	var v ocop.Validation
	l.Validate(&v)
	taxonomy.ValidateCurrent(&v, "product_group", l.ProductGroup, "product_set", l.ProductSet, true)
	if l.CertificateID != "" {
		c, err := s.Producers.CertificateByID(ctx, l.CertificateID)
		switch {
		case ocop.IsCode(err, ocop.CodeNotFound):
			v.Add("certificate_id", "is not a certificate of this producer")
		case err != nil:
			return err
		case c.ProducerID != l.ProducerID:
			// Another producer's certificate must look exactly like a missing one.
			v.Add("certificate_id", "is not a certificate of this producer")
		case c.Status == ocop.CertRejected || c.Status == ocop.CertRevoked:
			v.Add("certificate_id", "was %s and cannot back a listing", c.Status)
		case c.CurrentGroup != "" && !v.Has("product_group") && c.CurrentGroup != l.ProductGroup:
			v.Add("certificate_id", "certifies a product of group %s, not %s", c.CurrentGroup, l.ProductGroup)
		}
	}
	return v.Err()
}

// requireMember returns the caller's role in the producer: not_found for
// anyone else, so other producers' listings look like missing ones.
func (s *Service) requireMember(ctx context.Context, producerID, what string) error {
	if _, ok := caller(ctx); !ok {
		return ocop.NotFound(what)
	}
	if _, err := s.Producers.CallerRole(ctx, producerID); err != nil {
		if ocop.IsCode(err, ocop.CodeNotFound) {
			return ocop.NotFound(what)
		}
		return err
	}
	return nil
}

// isMember reports whether the caller acts for the producer.
func (s *Service) isMember(ctx context.Context, producerID string) (bool, error) {
	if _, ok := caller(ctx); !ok {
		return false, nil
	}
	_, err := s.Producers.CallerRole(ctx, producerID)
	if ocop.IsCode(err, ocop.CodeNotFound) {
		return false, nil
	}
	return err == nil, err
}

func isAdmin(ctx context.Context) bool {
	p, ok := caller(ctx)
	return ok && p.HasRole(ocop.RoleAdmin)
}

// Create adds a draft listing for a producer the caller acts for.
func (s *Service) Create(ctx context.Context, in Input) (*View, error) {
	p, ok := caller(ctx)
	if !ok {
		return nil, ocop.Errorf(ocop.CodeUnauthenticated, "sign in to create listings")
	}
	if in.ProducerID == "" {
		return nil, ocop.FieldInvalid("producer_id", "is required")
	}
	if err := s.requireMember(ctx, in.ProducerID, "producer"); err != nil {
		return nil, err
	}
	now := s.Now()
	l := &ocop.Listing{
		ID: uuid.Must(uuid.NewV7()).String(), ProducerID: in.ProducerID, Status: ocop.ListingDraft,
		Version: 1, CreatedBy: p.UserID, CreatedAt: now, UpdatedAt: now, Images: []ocop.ListingImage{},
	}
	in.apply(l)
	if err := s.validate(ctx, l); err != nil {
		return nil, err
	}
	err := s.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.Listings.Create(ctx, l); err != nil {
			return err
		}
		return s.changed(ctx, l, "created", nil, l)
	})
	if err != nil {
		return nil, err
	}
	return s.view(ctx, l, true)
}

// Get returns a listing: published ones to anyone, the others to the
// producer's members and admins only (not_found for everyone else).
func (s *Service) Get(ctx context.Context, id string) (*View, error) {
	l, cert, err := s.Listings.GetWithCertificate(ctx, id)
	if err != nil {
		return nil, err
	}
	owner, err := s.isMember(ctx, l.ProducerID)
	if err != nil {
		return nil, err
	}
	if l.Status != ocop.ListingPublished && !owner && !isAdmin(ctx) {
		return nil, ocop.NotFound("listing")
	}
	return &View{Listing: l, Owner: owner, Stars: s.starsFrom(l, cert)}, nil
}

// view adds what the reader sees beyond the record: the stars in force.
func (s *Service) view(ctx context.Context, l *ocop.Listing, owner bool) (*View, error) {
	v := &View{Listing: l, Owner: owner}
	stars, err := s.starsOf(ctx, l)
	if err != nil {
		return nil, err
	}
	v.Stars = stars
	return v, nil
}

// starsOf is the star level of the listing's certificate if it is in force
// today (in Vietnam), else 0.
func (s *Service) starsOf(ctx context.Context, l *ocop.Listing) (int, error) {
	if l.CertificateID == "" {
		return 0, nil
	}
	c, err := s.Producers.CertificateByID(ctx, l.CertificateID)
	if ocop.IsCode(err, ocop.CodeNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return s.starsFrom(l, c), nil
}

// starsFrom applies the rule: stars only from a certificate of the
// listing's own producer that is verified and unexpired today in Vietnam.
func (s *Service) starsFrom(l *ocop.Listing, c *ocop.Certificate) int {
	if c == nil || c.ProducerID != l.ProducerID || !c.InForceOn(ocop.DateOf(s.Now())) {
		return 0
	}
	return c.Stars
}

// modify runs change on the locked listing inside a transaction, after
// checking that the caller acts for its producer, that it is not archived,
// and (when ifMatch is not nil) that its version is the one the caller saw.
// change returns the outbox action name ("" = nothing visible changed).
func (s *Service) modify(ctx context.Context, id string, ifMatch *int64, change func(ctx context.Context, l *ocop.Listing) (string, error)) (*ocop.Listing, error) {
	var out *ocop.Listing
	err := s.Tx.InTx(ctx, func(ctx context.Context) error {
		l, err := s.Listings.GetForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if err := s.requireMember(ctx, l.ProducerID, "listing"); err != nil {
			return err
		}
		if ifMatch != nil && *ifMatch != l.Version {
			return ocop.Errorf(ocop.CodePreconditionFailed, "the listing was changed since you loaded it (version %d, yours %d); reload it and apply your change again", l.Version, *ifMatch)
		}
		before := *l
		action, err := change(ctx, l)
		if err != nil {
			return err
		}
		if action == "" {
			out = l
			return nil
		}
		prev := l.Version
		l.Version = prev + 1
		l.UpdatedAt = s.Now()
		if err := s.Listings.Update(ctx, l, prev); err != nil {
			return err
		}
		out = l
		return s.changed(ctx, l, action, &before, l)
	})
	return out, err
}

func errArchived() error {
	return ocop.Errorf(ocop.CodeConflict, "the listing is archived and can no longer be changed")
}

// Update replaces the editable fields of a listing. ifMatch is the version
// the caller edited (nil for "*": the HTTP layer insists on If-Match so
// that two editors never silently overwrite each other).
func (s *Service) Update(ctx context.Context, id string, ifMatch *int64, in Input) (*View, error) {
	l, err := s.modify(ctx, id, ifMatch, func(ctx context.Context, l *ocop.Listing) (string, error) {
		if l.Status == ocop.ListingArchived {
			return "", errArchived()
		}
		in.apply(l)
		if err := s.validate(ctx, l); err != nil {
			return "", err
		}
		return "updated", nil
	})
	if err != nil {
		return nil, err
	}
	return s.view(ctx, l, true)
}

// Publish shows the listing to buyers. Only a verified producer may publish.
func (s *Service) Publish(ctx context.Context, id string, ifMatch *int64) (*View, error) {
	return s.transition(ctx, id, ifMatch, ocop.ListingPublished)
}

// Unpublish pauses a published listing (hidden from buyers, kept for later).
func (s *Service) Unpublish(ctx context.Context, id string, ifMatch *int64) (*View, error) {
	return s.transition(ctx, id, ifMatch, ocop.ListingPaused)
}

// Archive retires a listing for good; its photos are removed by the
// media.delete job. Archiving an archived listing changes nothing.
func (s *Service) Archive(ctx context.Context, id string, ifMatch *int64) error {
	_, err := s.modify(ctx, id, ifMatch, func(ctx context.Context, l *ocop.Listing) (string, error) {
		if l.Status == ocop.ListingArchived {
			return "", nil
		}
		if err := s.removeImages(ctx, l, l.Images); err != nil {
			return "", err
		}
		l.Images = []ocop.ListingImage{}
		l.Status = ocop.ListingArchived
		return "archived", nil
	})
	return err
}

func (s *Service) transition(ctx context.Context, id string, ifMatch *int64, to ocop.ListingStatus) (*View, error) {
	l, err := s.modify(ctx, id, ifMatch, func(ctx context.Context, l *ocop.Listing) (string, error) {
		if l.Status == to {
			return "", nil // repeating a transition is harmless
		}
		if !l.Status.CanMoveTo(to) {
			return "", ocop.Errorf(ocop.CodeConflict, "a %s listing cannot be %s", l.Status, map[ocop.ListingStatus]string{
				ocop.ListingPublished: "published", ocop.ListingPaused: "unpublished"}[to])
		}
		if to == ocop.ListingPublished {
			p, err := s.Producers.Producer(ctx, l.ProducerID)
			if err != nil {
				return "", err
			}
			if !p.Verified() {
				return "", ocop.Errorf(ocop.CodeProducerUnverified, "only a verified producer can publish listings; an admin verifies producers")
			}
			// The rules may have changed since the draft was saved (e.g. its
			// certificate was revoked): what buyers see must be valid now.
			if err := s.validate(ctx, l); err != nil {
				return "", err
			}
			if l.PublishedAt == nil {
				t := s.Now()
				l.PublishedAt = &t
			}
		}
		l.Status = to
		return string(to), nil
	})
	if err != nil {
		return nil, err
	}
	return s.view(ctx, l, true)
}

// Page is one page of listings.
type Page struct {
	Items      []View
	NextCursor string
}

// ByProducer lists a producer's listings, newest first: published ones to
// anyone, every state (or those asked for) to members and admins.
func (s *Service) ByProducer(ctx context.Context, producerID string, statuses []ocop.ListingStatus, cursor string, limit int) (*Page, error) {
	if _, err := s.Producers.Producer(ctx, producerID); err != nil {
		return nil, err
	}
	owner, err := s.isMember(ctx, producerID)
	if err != nil {
		return nil, err
	}
	for _, st := range statuses {
		if !st.Valid() {
			return nil, ocop.FieldInvalid("status", "must be draft, published, paused or archived")
		}
	}
	if !owner && !isAdmin(ctx) {
		if len(statuses) > 0 && (len(statuses) != 1 || statuses[0] != ocop.ListingPublished) {
			return nil, ocop.FieldInvalid("status", "only the producer's members may list unpublished listings")
		}
		statuses = []ocop.ListingStatus{ocop.ListingPublished}
	}
	before, err := ocop.DecodeCursor(cursor)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 20
	}
	if limit > 100 {
		return nil, ocop.FieldInvalid("limit", "must be between 1 and 100")
	}
	ls, err := s.Listings.List(ctx, ocop.ListingFilter{ProducerID: producerID, Statuses: statuses, Before: before, Limit: limit + 1})
	if err != nil {
		return nil, err
	}
	page := &Page{Items: make([]View, 0, len(ls))}
	if len(ls) > limit {
		ls = ls[:limit]
		page.NextCursor = ocop.EncodeCursor(ls[limit-1].ID)
	}
	for i := range ls {
		v, err := s.view(ctx, &ls[i], owner)
		if err != nil {
			return nil, err
		}
		page.Items = append(page.Items, *v)
	}
	return page, nil
}

// Card is what a search result shows of a listing, whatever its state (the
// search handler drops listings that are not published). A missing listing
// is not_found: the index should drop it too. It applies no visibility rule:
// it is for background jobs, never for request handlers.
func (s *Service) Card(ctx context.Context, id string) (*ocop.ListingCard, error) {
	l, err := s.Listings.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	p, err := s.Producers.Producer(ctx, l.ProducerID)
	if err != nil {
		return nil, err
	}
	stars, err := s.starsOf(ctx, l)
	if err != nil {
		return nil, err
	}
	card := &ocop.ListingCard{
		Listing: *l, ProducerName: p.LegalName, ProducerKind: string(p.Kind), ProducerVerified: p.Verified(),
		ProvinceCode: p.ProvinceCode, CommuneCode: p.CommuneCode, Stars: stars, ImageCount: len(l.Images),
	}
	if len(l.Images) > 0 {
		card.ThumbnailPath = s.PublicPath(l.Images[0].Thumb.Key)
	}
	return card, nil
}

// changed records, in the caller's transaction, that buyers may see
// something new of the listing, and audits the change.
func (s *Service) changed(ctx context.Context, l *ocop.Listing, action string, before, after *ocop.Listing) error {
	b, err := json.Marshal(map[string]any{"action": action, "version": l.Version, "status": l.Status})
	if err != nil {
		return err
	}
	if err := s.Outbox.Enqueue(ctx, ocop.OutboxMessage{Topic: TopicChanged, Key: l.ID, Payload: b}); err != nil {
		return err
	}
	actor := ""
	if p, ok := caller(ctx); ok {
		actor = p.UserID
	}
	var beforeSnap any
	if before != nil {
		beforeSnap = snapshot(before)
	}
	return s.Audit.Record(ctx, ocop.AuditEntry{ActorID: actor, Action: "listing." + action, ObjectType: "listing", ObjectID: l.ID,
		Before: beforeSnap, After: snapshot(after)})
}

// snapshot is what the audit trail keeps of a listing.
func snapshot(l *ocop.Listing) map[string]any {
	return map[string]any{"status": l.Status, "version": l.Version, "title_vi": l.TitleVI, "certificate_id": l.CertificateID,
		"price_min_vnd": l.PriceMinVND, "price_max_vnd": l.PriceMaxVND, "images": len(l.Images)}
}

// ParseETag reads an If-Match value as this API writes ETags ("<version>").
// "*" matches any current version (nil); anything else that is not one of
// our ETags can never match.
func ParseETag(h string) (*int64, bool) {
	h = strings.TrimSpace(h)
	if h == "*" {
		return nil, true
	}
	// If-Match compares strongly: a weak validator never matches.
	if !strings.HasPrefix(h, `"`) || !strings.HasSuffix(h, `"`) || len(h) < 3 {
		return nil, false
	}
	v, err := strconv.ParseInt(h[1:len(h)-1], 10, 64)
	if err != nil || v < 1 {
		return nil, false
	}
	return &v, true
}

// ETag is the entity tag of a listing version.
func ETag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }
