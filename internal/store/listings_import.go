package store

import (
	"context"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// ByCertificates finds the listings naming any of the certificates
// (without their images): an import keeps one listing per certificate.
func (r *Listings) ByCertificates(ctx context.Context, certificateIDs []string) ([]ocop.Listing, error) {
	var out []ocop.Listing
	err := chunks(certificateIDs, func(part []string) error {
		var rows []listingRow
		if err := r.s.conn(ctx).Where("certificate_id IN ?", part).Order("id").Find(&rows).Error; err != nil {
			return translate(err)
		}
		for i := range rows {
			l, err := rows[i].toDomain()
			if err != nil {
				return err
			}
			out = append(out, *l)
		}
		return nil
	})
	return out, err
}

// CreateMany inserts listings without images, in multi-row INSERTs.
func (r *Listings) CreateMany(ctx context.Context, ls []*ocop.Listing) error {
	rows := make([]listingRow, len(ls))
	for i, l := range ls {
		rows[i] = toListingRow(l)
	}
	return translate(bulkInsert(ctx, r.s, rows))
}
