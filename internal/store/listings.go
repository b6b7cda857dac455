package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

type listingRow struct {
	ID              string `gorm:"primaryKey"`
	ProducerID      string
	Status          string
	TitleVI         string `gorm:"column:title_vi"`
	TitleEN         string `gorm:"column:title_en"`
	DescriptionVI   string `gorm:"column:description_vi"`
	DescriptionEN   string `gorm:"column:description_en"`
	ProductGroup    string
	ProductSet      string
	CertificateID   *string
	Unit            string
	PriceMinVND     *int64 `gorm:"column:price_min_vnd"`
	PriceMaxVND     *int64 `gorm:"column:price_max_vnd"`
	MinOrderQty     int64
	MonthlyCapacity *int64
	LeadTimeDays    *int
	ShelfLifeDays   *int
	Packaging       string
	Tags            string
	HarvestMonths   string
	SampleAvailable bool
	ExportMarkets   string
	Certifications  string
	Version         int64
	PublishedAt     *time.Time
	CreatedBy       *string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

func (listingRow) TableName() string { return "listings" }

type listingImageRow struct {
	ID            string `gorm:"primaryKey"`
	ListingID     string
	Position      int
	Width         int
	Height        int
	SourceFormat  string
	SourceBytes   int64
	DisplayKey    string
	DisplayType   string
	DisplayWidth  int
	DisplayHeight int
	DisplaySize   int64
	ThumbKey      string
	ThumbType     string
	ThumbWidth    int
	ThumbHeight   int
	ThumbSize     int64
	CreatedAt     time.Time
}

func (listingImageRow) TableName() string { return "listing_images" }

func jsonList[T any](v []T) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v) // slices of strings and ints cannot fail
	return string(b)
}

func parseList[T any](s, column string) ([]T, error) {
	out := []T{}
	if s == "" {
		return out, nil
	}
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("listings.%s: %w", column, err)
	}
	return out, nil
}

func toListingRow(l *ocop.Listing) listingRow {
	var pub *time.Time
	if l.PublishedAt != nil {
		t := l.PublishedAt.UTC()
		pub = &t
	}
	return listingRow{
		ID: l.ID, ProducerID: l.ProducerID, Status: string(l.Status),
		TitleVI: l.TitleVI, TitleEN: l.TitleEN, DescriptionVI: l.DescriptionVI, DescriptionEN: l.DescriptionEN,
		ProductGroup: l.ProductGroup, ProductSet: l.ProductSet, CertificateID: strPtr(l.CertificateID),
		Unit: l.Unit, PriceMinVND: l.PriceMinVND, PriceMaxVND: l.PriceMaxVND, MinOrderQty: l.MinOrderQty,
		MonthlyCapacity: l.MonthlyCapacity, LeadTimeDays: l.LeadTimeDays, ShelfLifeDays: l.ShelfLifeDays,
		Packaging: l.Packaging, Tags: jsonList(l.Tags), HarvestMonths: jsonList(l.HarvestMonths),
		SampleAvailable: l.SampleAvailable, ExportMarkets: jsonList(l.ExportMarkets), Certifications: jsonList(l.Certifications),
		Version: l.Version, PublishedAt: pub, CreatedBy: strPtr(l.CreatedBy),
		CreatedAt: l.CreatedAt.UTC(), UpdatedAt: l.UpdatedAt.UTC(),
	}
}

func (r *listingRow) toDomain() (*ocop.Listing, error) {
	l := &ocop.Listing{
		ID: r.ID, ProducerID: r.ProducerID, Status: ocop.ListingStatus(r.Status),
		TitleVI: r.TitleVI, TitleEN: r.TitleEN, DescriptionVI: r.DescriptionVI, DescriptionEN: r.DescriptionEN,
		ProductGroup: r.ProductGroup, ProductSet: r.ProductSet, CertificateID: strVal(r.CertificateID),
		Unit: r.Unit, PriceMinVND: r.PriceMinVND, PriceMaxVND: r.PriceMaxVND, MinOrderQty: r.MinOrderQty,
		MonthlyCapacity: r.MonthlyCapacity, LeadTimeDays: r.LeadTimeDays, ShelfLifeDays: r.ShelfLifeDays,
		Packaging: r.Packaging, SampleAvailable: r.SampleAvailable, Version: r.Version,
		CreatedBy: strVal(r.CreatedBy), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Images: []ocop.ListingImage{},
	}
	if r.PublishedAt != nil {
		t := r.PublishedAt.UTC()
		l.PublishedAt = &t
	}
	var err error
	if l.Tags, err = parseList[string](r.Tags, "tags"); err != nil {
		return nil, err
	}
	if l.HarvestMonths, err = parseList[int](r.HarvestMonths, "harvest_months"); err != nil {
		return nil, err
	}
	if l.ExportMarkets, err = parseList[string](r.ExportMarkets, "export_markets"); err != nil {
		return nil, err
	}
	if l.Certifications, err = parseList[string](r.Certifications, "certifications"); err != nil {
		return nil, err
	}
	return l, nil
}

func toImageRow(im *ocop.ListingImage) listingImageRow {
	return listingImageRow{
		ID: im.ID, ListingID: im.ListingID, Position: im.Position, Width: im.Width, Height: im.Height,
		SourceFormat: im.SourceFormat, SourceBytes: im.SourceBytes,
		DisplayKey: im.Display.Key, DisplayType: im.Display.ContentType, DisplayWidth: im.Display.Width,
		DisplayHeight: im.Display.Height, DisplaySize: im.Display.Size,
		ThumbKey: im.Thumb.Key, ThumbType: im.Thumb.ContentType, ThumbWidth: im.Thumb.Width,
		ThumbHeight: im.Thumb.Height, ThumbSize: im.Thumb.Size, CreatedAt: im.CreatedAt.UTC(),
	}
}

func (r *listingImageRow) toDomain() ocop.ListingImage {
	return ocop.ListingImage{
		ID: r.ID, ListingID: r.ListingID, Position: r.Position, Width: r.Width, Height: r.Height,
		SourceFormat: r.SourceFormat, SourceBytes: r.SourceBytes,
		Display:   ocop.ImageVariant{Key: r.DisplayKey, ContentType: r.DisplayType, Width: r.DisplayWidth, Height: r.DisplayHeight, Size: r.DisplaySize},
		Thumb:     ocop.ImageVariant{Key: r.ThumbKey, ContentType: r.ThumbType, Width: r.ThumbWidth, Height: r.ThumbHeight, Size: r.ThumbSize},
		CreatedAt: r.CreatedAt.UTC(),
	}
}

// Listings is the repository of product listings and their photos.
type Listings struct{ s *Store }

// Listings returns the listing repository.
func (s *Store) Listings() *Listings { return &Listings{s} }

// Create inserts a listing (its images are added separately).
func (r *Listings) Create(ctx context.Context, l *ocop.Listing) error {
	row := toListingRow(l)
	return translate(r.s.conn(ctx).Create(&row).Error)
}

// Get loads a listing with its images in display order.
func (r *Listings) Get(ctx context.Context, id string) (*ocop.Listing, error) {
	return r.get(ctx, id, false)
}

// GetForUpdate is Get that also locks the listing row until the transaction
// ends (PostgreSQL; SQLite transactions hold the write lock from BEGIN), so
// that checks made on it (the version, the number of images) still hold
// when the change is written.
func (r *Listings) GetForUpdate(ctx context.Context, id string) (*ocop.Listing, error) {
	return r.get(ctx, id, true)
}

func (r *Listings) get(ctx context.Context, id string, lock bool) (*ocop.Listing, error) {
	var row listingRow
	q := r.s.conn(ctx).Where("id = ?", id)
	if lock && r.s.isPostgres() {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	err := q.Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ocop.NotFound("listing")
	}
	if err != nil {
		return nil, translate(err)
	}
	l, err := row.toDomain()
	if err != nil {
		return nil, err
	}
	if l.Images, err = r.Images(ctx, id); err != nil {
		return nil, err
	}
	return l, nil
}

// Update writes the listing's fields and status with version l.Version,
// provided the stored version is still prev: a concurrent change in
// between is a precondition failure, never a silent overwrite.
func (r *Listings) Update(ctx context.Context, l *ocop.Listing, prev int64) error {
	row := toListingRow(l)
	res := r.s.conn(ctx).Model(&listingRow{}).Where("id = ? AND version = ?", l.ID, prev).Updates(map[string]any{
		"status": row.Status, "title_vi": row.TitleVI, "title_en": row.TitleEN,
		"description_vi": row.DescriptionVI, "description_en": row.DescriptionEN,
		"product_group": row.ProductGroup, "product_set": row.ProductSet, "certificate_id": row.CertificateID,
		"unit": row.Unit, "price_min_vnd": row.PriceMinVND, "price_max_vnd": row.PriceMaxVND,
		"min_order_qty": row.MinOrderQty, "monthly_capacity": row.MonthlyCapacity,
		"lead_time_days": row.LeadTimeDays, "shelf_life_days": row.ShelfLifeDays, "packaging": row.Packaging,
		"tags": row.Tags, "harvest_months": row.HarvestMonths, "sample_available": row.SampleAvailable,
		"export_markets": row.ExportMarkets, "certifications": row.Certifications,
		"version": row.Version, "published_at": row.PublishedAt, "updated_at": row.UpdatedAt,
	})
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return ocop.Errorf(ocop.CodePreconditionFailed, "the listing was changed by someone else; reload it and apply your change again")
	}
	return nil
}

// List returns a page of listings with their images.
func (r *Listings) List(ctx context.Context, f ocop.ListingFilter) ([]ocop.Listing, error) {
	q := r.s.conn(ctx).Model(&listingRow{})
	if f.ProducerID != "" {
		q = q.Where("producer_id = ?", f.ProducerID)
	}
	if len(f.Statuses) > 0 {
		ss := make([]string, len(f.Statuses))
		for i, s := range f.Statuses {
			ss[i] = string(s)
		}
		q = q.Where("status IN ?", ss)
	}
	if f.Before != "" {
		q = q.Where("id < ?", f.Before)
	}
	var rows []listingRow
	if err := q.Order("id DESC").Limit(f.Limit).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]ocop.Listing, 0, len(rows))
	ids := make([]string, 0, len(rows))
	for i := range rows {
		l, err := rows[i].toDomain()
		if err != nil {
			return nil, err
		}
		out = append(out, *l)
		ids = append(ids, l.ID)
	}
	if len(ids) == 0 {
		return out, nil
	}
	var imgs []listingImageRow
	if err := r.s.conn(ctx).Where("listing_id IN ?", ids).Order("listing_id, position").Find(&imgs).Error; err != nil {
		return nil, translate(err)
	}
	byListing := map[string][]ocop.ListingImage{}
	for i := range imgs {
		byListing[imgs[i].ListingID] = append(byListing[imgs[i].ListingID], imgs[i].toDomain())
	}
	for i := range out {
		if im, ok := byListing[out[i].ID]; ok {
			out[i].Images = im
		}
	}
	return out, nil
}

// Images lists a listing's images in display order.
func (r *Listings) Images(ctx context.Context, listingID string) ([]ocop.ListingImage, error) {
	var rows []listingImageRow
	if err := r.s.conn(ctx).Where("listing_id = ?", listingID).Order("position, id").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]ocop.ListingImage, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// AddImage records an image.
func (r *Listings) AddImage(ctx context.Context, im *ocop.ListingImage) error {
	row := toImageRow(im)
	return translate(r.s.conn(ctx).Create(&row).Error)
}

// DeleteImages removes image rows of a listing (all of them when no ids are
// given).
func (r *Listings) DeleteImages(ctx context.Context, listingID string, ids ...string) error {
	q := r.s.conn(ctx).Where("listing_id = ?", listingID)
	if len(ids) > 0 {
		q = q.Where("id IN ?", ids)
	}
	return translate(q.Delete(&listingImageRow{}).Error)
}

// SetImagePositions numbers the listing's images in the order of ids.
func (r *Listings) SetImagePositions(ctx context.Context, listingID string, ids []string) error {
	for pos, id := range ids {
		res := r.s.conn(ctx).Model(&listingImageRow{}).Where("id = ? AND listing_id = ?", id, listingID).
			Update("position", pos)
		if res.Error != nil {
			return translate(res.Error)
		}
		if res.RowsAffected == 0 {
			return ocop.NotFound("image")
		}
	}
	return nil
}

// The public read of a listing runs on every product page view, so it is
// one prepared statement scanned by hand instead of GORM queries (which cost
// more than the rest of the request, as for sessions.ActiveUser). One
// statement also means one snapshot: the listing, its photos and its
// certificate can never come from different moments.
const listingViewQuery = `SELECT l.id, l.producer_id, l.status, l.title_vi, l.title_en, l.description_vi, l.description_en,
	l.product_group, l.product_set, l.certificate_id, l.unit, l.price_min_vnd, l.price_max_vnd, l.min_order_qty,
	l.monthly_capacity, l.lead_time_days, l.shelf_life_days, l.packaging, l.tags, l.harvest_months,
	l.sample_available, l.export_markets, l.certifications, l.version, l.published_at, l.created_by,
	l.created_at, l.updated_at, c.producer_id, c.status, c.stars, c.expires_on,
	i.id, i.position, i.width, i.height, i.source_format, i.source_bytes,
	i.display_key, i.display_type, i.display_width, i.display_height, i.display_size,
	i.thumb_key, i.thumb_type, i.thumb_width, i.thumb_height, i.thumb_size, i.created_at
	FROM listings l
	LEFT JOIN certificates c ON c.id = l.certificate_id
	LEFT JOIN listing_images i ON i.listing_id = l.id
	WHERE l.id = ?
	ORDER BY i.position, i.id`

// GetWithCertificate loads a listing with its images and the standing of
// its certificate: the returned certificate carries only ID, ProducerID,
// Status, Stars and ExpiresOn (what decides the stars shown), and is nil
// when the listing names none. Inside a transaction it reads through it.
func (r *Listings) GetWithCertificate(ctx context.Context, id string) (*ocop.Listing, *ocop.Certificate, error) {
	if InTransaction(ctx) {
		l, err := r.Get(ctx, id)
		if err != nil || l.CertificateID == "" {
			return l, nil, err
		}
		c, err := r.s.Certificates().Get(ctx, l.CertificateID)
		if ocop.IsCode(err, ocop.CodeNotFound) {
			return l, nil, nil
		}
		return l, c, err
	}
	stmt, err := r.s.prepared(ctx, listingViewQuery)
	if err != nil {
		return nil, nil, translate(err)
	}
	rows, err := stmt.QueryContext(ctx, id)
	if err != nil {
		return nil, nil, translate(err)
	}
	defer rows.Close()
	var (
		row                                              listingRow
		certProducer, certStatus, certExpires            sql.NullString
		certStars                                        sql.NullInt64
		imID, imFormat, imDKey, imDType, imTKey, imTType sql.NullString
		imPos, imW, imH, imDW, imDH, imTW, imTH          sql.NullInt64
		imBytes, imDSize, imTSize                        sql.NullInt64
		imCreated                                        sql.NullTime
		l                                                *ocop.Listing
	)
	for rows.Next() {
		err := rows.Scan(&row.ID, &row.ProducerID, &row.Status, &row.TitleVI, &row.TitleEN,
			&row.DescriptionVI, &row.DescriptionEN, &row.ProductGroup, &row.ProductSet, &row.CertificateID, &row.Unit,
			&row.PriceMinVND, &row.PriceMaxVND, &row.MinOrderQty, &row.MonthlyCapacity, &row.LeadTimeDays, &row.ShelfLifeDays,
			&row.Packaging, &row.Tags, &row.HarvestMonths, &row.SampleAvailable, &row.ExportMarkets, &row.Certifications,
			&row.Version, &row.PublishedAt, &row.CreatedBy, &row.CreatedAt, &row.UpdatedAt,
			&certProducer, &certStatus, &certStars, &certExpires,
			&imID, &imPos, &imW, &imH, &imFormat, &imBytes, &imDKey, &imDType, &imDW, &imDH, &imDSize,
			&imTKey, &imTType, &imTW, &imTH, &imTSize, &imCreated)
		if err != nil {
			return nil, nil, translate(err)
		}
		if l == nil {
			if l, err = row.toDomain(); err != nil {
				return nil, nil, err
			}
		}
		if imID.Valid {
			l.Images = append(l.Images, ocop.ListingImage{
				ID: imID.String, ListingID: l.ID, Position: int(imPos.Int64), Width: int(imW.Int64), Height: int(imH.Int64),
				SourceFormat: imFormat.String, SourceBytes: imBytes.Int64,
				Display:   ocop.ImageVariant{Key: imDKey.String, ContentType: imDType.String, Width: int(imDW.Int64), Height: int(imDH.Int64), Size: imDSize.Int64},
				Thumb:     ocop.ImageVariant{Key: imTKey.String, ContentType: imTType.String, Width: int(imTW.Int64), Height: int(imTH.Int64), Size: imTSize.Int64},
				CreatedAt: imCreated.Time.UTC(),
			})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, translate(err)
	}
	if l == nil {
		return nil, nil, ocop.NotFound("listing")
	}
	if !certStatus.Valid || !certProducer.Valid || !certStars.Valid || !certExpires.Valid {
		return l, nil, nil
	}
	exp, err := ocop.ParseDate(certExpires.String)
	if err != nil {
		return nil, nil, fmt.Errorf("certificates.expires_on: %w", err)
	}
	return l, &ocop.Certificate{ID: l.CertificateID, ProducerID: certProducer.String, Status: ocop.CertificateStatus(certStatus.String),
		Stars: int(certStars.Int64), ExpiresOn: exp}, nil
}
