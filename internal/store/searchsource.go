package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// SearchSource reads what the search index is built from: listings with
// their producer, certificate standing and first photo, in batches, and
// the public standing of result pages. It is read-only.
type SearchSource struct{ s *Store }

// SearchSource returns the search source repository.
func (s *Store) SearchSource() *SearchSource { return &SearchSource{s} }

// One statement per batch: the listing, its producer, its certificate and
// its first photo come from one snapshot, and a batch of 1,000 costs one
// round trip instead of four per listing.
const sourceSelect = `SELECT l.id, l.producer_id, l.status, l.title_vi, l.title_en, l.description_vi, l.description_en,
	l.product_group, l.product_set, l.certificate_id, l.unit, l.price_min_vnd, l.price_max_vnd, l.min_order_qty,
	l.tags, l.version, l.published_at, l.created_at, l.updated_at,
	p.legal_name, p.kind, p.status, p.province_code, p.commune_code, p.updated_at,
	c.producer_id, c.status, c.stars, c.expires_on, c.updated_at,
	(SELECT i.thumb_key FROM listing_images i WHERE i.listing_id = l.id ORDER BY i.position, i.id LIMIT 1)
	FROM listings l
	JOIN producers p ON p.id = l.producer_id
	LEFT JOIN certificates c ON c.id = l.certificate_id`

// ByIDs returns the sources of the listings with the given IDs, whatever
// their state; missing IDs are left out.
func (r *SearchSource) ByIDs(ctx context.Context, ids []string) ([]ocop.ListingSource, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return r.query(ctx, sourceSelect+` WHERE l.id IN ?`, ids)
}

// Searchable returns up to limit sources of listings buyers may find
// (published, producer verified) with IDs after the given one, in ID order:
// the pages a reindex reads.
func (r *SearchSource) Searchable(ctx context.Context, after string, limit int) ([]ocop.ListingSource, error) {
	return r.query(ctx, sourceSelect+` WHERE l.status = 'published' AND p.status = 'verified' AND l.id > ? ORDER BY l.id LIMIT ?`, after, limit)
}

// CountSearchable counts the listings buyers may find.
func (r *SearchSource) CountSearchable(ctx context.Context) (int64, error) {
	var n int64
	err := r.s.conn(ctx).Raw(`SELECT COUNT(*) FROM listings l JOIN producers p ON p.id = l.producer_id
		WHERE l.status = 'published' AND p.status = 'verified'`).Scan(&n).Error
	return n, translate(err)
}

// PublicIDs returns which of ids buyers may find right now: the re-check
// of a result page, so that a listing unpublished a moment ago is never
// shown while the index catches up. It runs on every search, so it is one
// prepared statement taking the IDs as one JSON array (the same statement
// for any page size) rather than a GORM query.
func (r *SearchSource) PublicIDs(ctx context.Context, ids []string) (map[string]bool, error) {
	out := make(map[string]bool, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	q := publicIDsSQLite
	if r.s.isPostgres() {
		q = publicIDsPostgres
	}
	if InTransaction(ctx) {
		rows, err := r.s.conn(ctx).Raw(q, string(list)).Rows()
		if err != nil {
			return nil, translate(err)
		}
		return scanIDs(rows, out)
	}
	stmt, err := r.s.prepared(ctx, q)
	if err != nil {
		return nil, translate(err)
	}
	rows, err := stmt.QueryContext(ctx, string(list))
	if err != nil {
		return nil, translate(err)
	}
	return scanIDs(rows, out)
}

const (
	publicIDsSQLite = `SELECT l.id FROM listings l JOIN producers p ON p.id = l.producer_id
		WHERE l.id IN (SELECT value FROM json_each(?)) AND l.status = 'published' AND p.status = 'verified'`
	publicIDsPostgres = `SELECT l.id FROM listings l JOIN producers p ON p.id = l.producer_id
		WHERE l.id IN (SELECT json_array_elements_text(CAST(? AS json))) AND l.status = 'published' AND p.status = 'verified'`
)

func scanIDs(rows *sql.Rows, out map[string]bool) (map[string]bool, error) {
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, translate(err)
		}
		out[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	return out, nil
}

// ListingIDsOfProducer returns the IDs of a producer's listings that are
// or may have been in the index (every state but draft and archived).
func (r *SearchSource) ListingIDsOfProducer(ctx context.Context, producerID string) ([]string, error) {
	var ids []string
	err := r.s.conn(ctx).Raw(`SELECT id FROM listings WHERE producer_id = ? AND status IN ('published', 'paused') ORDER BY id`, producerID).Scan(&ids).Error
	return ids, translate(err)
}

// ListingIDsOfCertificate returns the IDs of the listings a certificate backs.
func (r *SearchSource) ListingIDsOfCertificate(ctx context.Context, certificateID string) ([]string, error) {
	var ids []string
	err := r.s.conn(ctx).Raw(`SELECT id FROM listings WHERE certificate_id = ? AND status IN ('published', 'paused') ORDER BY id`, certificateID).Scan(&ids).Error
	return ids, translate(err)
}

func (r *SearchSource) query(ctx context.Context, q string, args ...any) ([]ocop.ListingSource, error) {
	rows, err := r.s.conn(ctx).Raw(q, args...).Rows()
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []ocop.ListingSource
	for rows.Next() {
		src, err := scanSource(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, src)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	return out, nil
}

func scanSource(rows *sql.Rows) (ocop.ListingSource, error) {
	var (
		row                                    listingRow
		pName, pKind, pStatus, pProv, pCommune string
		pUpdated                               time.Time
		cProducer, cStatus, cExpires, thumbKey sql.NullString
		cStars                                 sql.NullInt64
		cUpdated                               sql.NullTime
	)
	err := rows.Scan(&row.ID, &row.ProducerID, &row.Status, &row.TitleVI, &row.TitleEN, &row.DescriptionVI, &row.DescriptionEN,
		&row.ProductGroup, &row.ProductSet, &row.CertificateID, &row.Unit, &row.PriceMinVND, &row.PriceMaxVND, &row.MinOrderQty,
		&row.Tags, &row.Version, &row.PublishedAt, &row.CreatedAt, &row.UpdatedAt,
		&pName, &pKind, &pStatus, &pProv, &pCommune, &pUpdated,
		&cProducer, &cStatus, &cStars, &cExpires, &cUpdated, &thumbKey)
	if err != nil {
		return ocop.ListingSource{}, translate(err)
	}
	l, err := row.toDomain()
	if err != nil {
		return ocop.ListingSource{}, err
	}
	src := ocop.ListingSource{
		Listing:  *l,
		ThumbKey: thumbKey.String,
		Producer: ocop.Producer{ID: row.ProducerID, LegalName: pName, Kind: ocop.ProducerKind(pKind), Status: ocop.ProducerStatus(pStatus),
			ProvinceCode: pProv, CommuneCode: pCommune, UpdatedAt: pUpdated.UTC()},
	}
	if cStatus.Valid && row.CertificateID != nil {
		exp, err := ocop.ParseDate(cExpires.String)
		if err != nil {
			return ocop.ListingSource{}, fmt.Errorf("certificates.expires_on: %w", err)
		}
		src.Certificate = &ocop.Certificate{ID: *row.CertificateID, ProducerID: cProducer.String, Status: ocop.CertificateStatus(cStatus.String),
			Stars: int(cStars.Int64), ExpiresOn: exp, UpdatedAt: cUpdated.Time.UTC()}
	}
	return src, nil
}

type reindexRunRow struct {
	ID         string `gorm:"primaryKey"`
	Status     string
	Total      int64
	Done       int64
	Error      string
	CreatedAt  time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
	UpdatedAt  time.Time
}

func (reindexRunRow) TableName() string { return "search_reindex_runs" }

func (r *reindexRunRow) toDomain() *ocop.ReindexRun {
	utc := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		u := t.UTC()
		return &u
	}
	return &ocop.ReindexRun{ID: r.ID, Status: ocop.ReindexStatus(r.Status), Total: r.Total, Done: r.Done, Error: r.Error,
		CreatedAt: r.CreatedAt.UTC(), StartedAt: utc(r.StartedAt), FinishedAt: utc(r.FinishedAt), UpdatedAt: r.UpdatedAt.UTC()}
}

// CreateReindexRun records a requested run (in the caller's transaction,
// with its outbox message).
func (r *SearchSource) CreateReindexRun(ctx context.Context, run *ocop.ReindexRun) error {
	row := reindexRunRow{ID: run.ID, Status: string(run.Status), CreatedAt: run.CreatedAt.UTC(), UpdatedAt: run.UpdatedAt.UTC()}
	return translate(r.s.conn(ctx).Create(&row).Error)
}

// ReindexRun loads a run.
func (r *SearchSource) ReindexRun(ctx context.Context, id string) (*ocop.ReindexRun, error) {
	var row reindexRunRow
	err := r.s.conn(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ocop.NotFound("reindex run")
	}
	if err != nil {
		return nil, translate(err)
	}
	return row.toDomain(), nil
}

// UpdateReindexRun writes a run's status, counts, error and times.
func (r *SearchSource) UpdateReindexRun(ctx context.Context, run *ocop.ReindexRun) error {
	utc := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		u := t.UTC()
		return &u
	}
	res := r.s.conn(ctx).Model(&reindexRunRow{}).Where("id = ?", run.ID).Updates(map[string]any{
		"status": string(run.Status), "total": run.Total, "done": run.Done, "error": run.Error,
		"started_at": utc(run.StartedAt), "finished_at": utc(run.FinishedAt), "updated_at": run.UpdatedAt.UTC(),
	})
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return ocop.NotFound("reindex run")
	}
	return nil
}
