package app

import (
	"context"
	"io"

	"github.com/ocopconnect/ocopconnect/internal/listings"
	"github.com/ocopconnect/ocopconnect/internal/media"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// wireListings builds the listings use case on the producers use case and
// the image pipeline. "listing.changed" has no handler here: the search
// index (issue 5) registers it; until then the messages wait in the outbox
// (workers claim only topics that have a handler, so nothing breaks).
func (a *App) wireListings() {
	st := a.Store
	a.Listings = &listings.Service{
		Tx: st, Listings: st.Listings(), Producers: a.Producers,
		Images: imagePipeline{a.Media}, Media: mediaDeleter{outbox: st.Outbox(), blobs: a.Blobs},
		Outbox: st.Outbox(), Audit: st.AuditLog(), Now: a.Now,
		MaxImages:  a.Config.ListingMaxImages,
		PublicPath: func(key string) string { return "/media/" + media.PublicName(key) },
	}
}

// imagePipeline adapts the media processor to the listings use case's port.
type imagePipeline struct{ p *media.Processor }

func (ip imagePipeline) Process(ctx context.Context, r io.Reader) (listings.ProcessedImage, error) {
	im, err := ip.p.Process(ctx, r)
	if err != nil {
		return listings.ProcessedImage{}, err
	}
	variant := func(v media.Variant) ocop.ImageVariant {
		return ocop.ImageVariant{Key: v.Key, ContentType: v.ContentType, Width: v.Width, Height: v.Height, Size: v.Size}
	}
	return listings.ProcessedImage{
		ID: im.ID, SourceFormat: im.SourceFormat, SourceBytes: im.SourceBytes, Width: im.Width, Height: im.Height,
		Display: variant(im.Display), Thumb: variant(im.Thumb),
	}, nil
}

// mediaDeleter removes objects through the media.delete outbox topic.
type mediaDeleter struct {
	outbox ocop.Outbox
	blobs  ocop.Blobs
}

func (d mediaDeleter) Enqueue(ctx context.Context, owner string, keys ...string) error {
	return media.EnqueueDelete(ctx, d.outbox, owner, keys...)
}

func (d mediaDeleter) Delete(ctx context.Context, key string) error { return d.blobs.Delete(ctx, key) }
