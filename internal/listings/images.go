package listings

import (
	"context"
	"io"
	"slices"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// AddImage processes an upload and appends it to the listing's photos.
//
// The objects are stored before the transaction that records them (media
// writes never happen inside one). If that transaction fails, their removal
// is queued in a transaction of its own, or, when even that cannot be
// written, attempted at once: a failed upload leaves neither a row nor an
// object behind.
func (s *Service) AddImage(ctx context.Context, listingID string, ifMatch *int64, upload io.Reader) (*ocop.ListingImage, *ocop.Listing, error) {
	// Refuse early (before reading a byte of the photo) what the transaction
	// would refuse anyway: someone else's listing, an archived or full one.
	l, err := s.Listings.Get(ctx, listingID)
	if err != nil {
		return nil, nil, err
	}
	if err := s.requireMember(ctx, l.ProducerID, "listing"); err != nil {
		return nil, nil, err
	}
	if err := s.canAddImage(l, ifMatch); err != nil {
		return nil, nil, err
	}

	pi, err := s.Images.Process(ctx, upload)
	if err != nil {
		return nil, nil, err
	}
	im := &ocop.ListingImage{
		ID: pi.ID, ListingID: listingID, Width: pi.Width, Height: pi.Height,
		SourceFormat: pi.SourceFormat, SourceBytes: pi.SourceBytes, Display: pi.Display, Thumb: pi.Thumb,
		CreatedAt: s.Now(),
	}
	out, err := s.modify(ctx, listingID, nil, func(ctx context.Context, l *ocop.Listing) (string, error) {
		if err := s.canAddImage(l, ifMatch); err != nil {
			return "", err
		}
		im.Position = 0
		for _, other := range l.Images {
			im.Position = max(im.Position, other.Position+1)
		}
		if err := s.Listings.AddImage(ctx, im); err != nil {
			return "", err
		}
		l.Images = append(l.Images, *im)
		return "image_added", nil
	})
	if err != nil {
		s.discard(context.WithoutCancel(ctx), im)
		return nil, nil, err
	}
	return im, out, nil
}

func (s *Service) canAddImage(l *ocop.Listing, ifMatch *int64) error {
	if l.Status == ocop.ListingArchived {
		return errArchived()
	}
	if ifMatch != nil && *ifMatch != l.Version {
		return ocop.Errorf(ocop.CodePreconditionFailed, "the listing was changed since you loaded it; reload it and try again")
	}
	if len(l.Images) >= s.MaxImages {
		return ocop.Errorf(ocop.CodeTooManyImages, "a listing can have at most %d photos; delete one first", s.MaxImages)
	}
	return nil
}

// discard removes the objects of an upload that was not recorded.
func (s *Service) discard(ctx context.Context, im *ocop.ListingImage) {
	err := s.Tx.InTx(ctx, func(ctx context.Context) error {
		return s.Media.Enqueue(ctx, im.ID, im.Keys()...)
	})
	if err == nil {
		return
	}
	for _, k := range im.Keys() {
		// Best effort: the database is failing too, so nothing better is left.
		_ = s.Media.Delete(ctx, k)
	}
}

// DeleteImage removes a photo; its objects are deleted by the media job.
func (s *Service) DeleteImage(ctx context.Context, listingID, imageID string, ifMatch *int64) (*ocop.Listing, error) {
	return s.modify(ctx, listingID, ifMatch, func(ctx context.Context, l *ocop.Listing) (string, error) {
		i := slices.IndexFunc(l.Images, func(im ocop.ListingImage) bool { return im.ID == imageID })
		if i < 0 {
			return "", ocop.NotFound("image")
		}
		if err := s.removeImages(ctx, l, l.Images[i:i+1]); err != nil {
			return "", err
		}
		l.Images = slices.Delete(l.Images, i, i+1)
		ids := make([]string, len(l.Images))
		for j := range l.Images {
			ids[j] = l.Images[j].ID
			l.Images[j].Position = j
		}
		if err := s.Listings.SetImagePositions(ctx, l.ID, ids); err != nil {
			return "", err
		}
		return "image_deleted", nil
	})
}

// removeImages deletes image rows and queues the removal of their objects,
// in the caller's transaction.
func (s *Service) removeImages(ctx context.Context, l *ocop.Listing, ims []ocop.ListingImage) error {
	if len(ims) == 0 {
		return nil
	}
	ids := make([]string, 0, len(ims))
	var keys []string
	for _, im := range ims {
		ids = append(ids, im.ID)
		keys = append(keys, im.Keys()...)
	}
	if err := s.Listings.DeleteImages(ctx, l.ID, ids...); err != nil {
		return err
	}
	return s.Media.Enqueue(ctx, l.ID, keys...)
}

// ReorderImages sets the display order: ids must name every photo of the
// listing exactly once.
func (s *Service) ReorderImages(ctx context.Context, listingID string, ids []string, ifMatch *int64) (*View, error) {
	l, err := s.modify(ctx, listingID, ifMatch, func(ctx context.Context, l *ocop.Listing) (string, error) {
		if l.Status == ocop.ListingArchived {
			return "", errArchived()
		}
		byID := map[string]ocop.ListingImage{}
		for _, im := range l.Images {
			byID[im.ID] = im
		}
		seen := map[string]bool{}
		ordered := make([]ocop.ListingImage, 0, len(ids))
		for _, id := range ids {
			im, ok := byID[id]
			if !ok || seen[id] {
				return "", ocop.FieldInvalid("image_ids", "must list each photo of the listing exactly once (unknown or repeated: %s)", id)
			}
			seen[id] = true
			im.Position = len(ordered)
			ordered = append(ordered, im)
		}
		if len(ordered) != len(l.Images) {
			return "", ocop.FieldInvalid("image_ids", "must list all %d photos of the listing", len(l.Images))
		}
		same := true
		for i := range ordered {
			same = same && ordered[i].ID == l.Images[i].ID && l.Images[i].Position == i
		}
		if same {
			return "", nil
		}
		if err := s.Listings.SetImagePositions(ctx, l.ID, ids); err != nil {
			return "", err
		}
		l.Images = ordered
		return "images_reordered", nil
	})
	if err != nil {
		return nil, err
	}
	return s.view(ctx, l, true)
}
