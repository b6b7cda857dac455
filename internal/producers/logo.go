package producers

import (
	"context"
	"io"

	"github.com/ocopconnect/ocopconnect/internal/media"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// Images is the image pipeline (media.Processor): an upload is checked by
// its content, capped in bytes and pixels while it streams, re-encoded
// without its metadata into display and thumbnail variants, and stored;
// nothing is stored unless all of that succeeds.
type Images interface {
	Process(ctx context.Context, r io.Reader) (media.Image, error)
}

// SetLogo stores a new logo for the producer (owner or staff) and queues
// the removal of the one it replaces. The image is processed before the
// transaction (nothing is held open during an upload); if the row cannot
// be written, the new objects are removed again.
func (s *Service) SetLogo(ctx context.Context, producerID string, upload io.Reader) (*ocop.Producer, error) {
	// Refuse someone else's producer before reading a byte.
	if _, err := s.CallerRole(ctx, producerID); err != nil {
		return nil, err
	}
	im, err := s.Images.Process(ctx, upload)
	if err != nil {
		return nil, err
	}
	out, err := s.changeLogo(ctx, producerID, im.Display.Key, im.Thumb.Key, func(_ *ocop.Producer, old []string) (map[string]any, map[string]any, error) {
		return map[string]any{"logo_key": keyOrNil(old)},
			map[string]any{"logo_key": im.Display.Key, "width": im.Width, "height": im.Height, "source_format": im.SourceFormat}, nil
	})
	if err != nil {
		for _, k := range im.Keys() {
			s.discard(ctx, "logo-upload", k)
		}
		return nil, err
	}
	return out, nil
}

// DeleteLogo removes the producer's logo (owner or staff); its objects are
// deleted by the media job. A producer without a logo answers not_found.
func (s *Service) DeleteLogo(ctx context.Context, producerID string) (*ocop.Producer, error) {
	return s.changeLogo(ctx, producerID, "", "", func(_ *ocop.Producer, old []string) (map[string]any, map[string]any, error) {
		if len(old) == 0 {
			return nil, nil, ocop.NotFound("logo")
		}
		return map[string]any{"logo_key": old[0]}, nil, nil
	})
}

// changeLogo sets the logo keys of a producer the caller acts for, in a
// transaction that also queues the removal of the previous logo's objects
// and records the audit entry that check returns (check may refuse).
func (s *Service) changeLogo(ctx context.Context, producerID, key, thumbKey string,
	check func(p *ocop.Producer, old []string) (before, after map[string]any, err error)) (*ocop.Producer, error) {
	var out *ocop.Producer
	err := s.Tx.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.CallerRole(ctx, producerID); err != nil {
			return err
		}
		p, err := s.Producers.GetForUpdate(ctx, producerID)
		if err != nil {
			return err
		}
		old := logoKeys(p)
		before, after, err := check(p, old)
		if err != nil {
			return err
		}
		p.LogoKey, p.LogoThumbKey, p.UpdatedAt = key, thumbKey, s.Now()
		if err := s.Producers.Update(ctx, p, NameKey(p.LegalName)); err != nil {
			return err
		}
		if len(old) > 0 {
			if err := media.EnqueueDelete(ctx, s.Outbox, p.ID, old...); err != nil {
				return err
			}
		}
		action := "producer.logo_set"
		if key == "" {
			action = "producer.logo_deleted"
		}
		out = p
		return s.audit(ctx, action, "producer", p.ID, before, after)
	})
	return out, err
}

func logoKeys(p *ocop.Producer) []string {
	var keys []string
	for _, k := range []string{p.LogoKey, p.LogoThumbKey} {
		if k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

func keyOrNil(keys []string) any {
	if len(keys) == 0 {
		return nil
	}
	return keys[0]
}
