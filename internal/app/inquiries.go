package app

import (
	"context"
	"io"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/inquiries"
	"github.com/ocopconnect/ocopconnect/internal/jobs"
	"github.com/ocopconnect/ocopconnect/internal/mailer"
	"github.com/ocopconnect/ocopconnect/internal/media"
	"github.com/ocopconnect/ocopconnect/internal/notify"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/store"
)

// wireInquiries builds notifications (e-mail over SMTP when OCOP_SMTP_URL is
// set, into the log otherwise) and the inquiries use case, the notify.email
// topic and the daily expiry sweep.
func (a *App) wireInquiries() error {
	cfg, st := a.Config, a.Store
	var m notify.Mailer = mailer.Log{Logger: a.Log.With("component", "mail")}
	if cfg.SMTPURL != "" {
		smtp, err := mailer.NewSMTP(cfg.SMTPURL, cfg.SMTPFrom, cfg.SMTPTimeout)
		if err != nil {
			return err
		}
		m = smtp
	}
	a.Notify = &notify.Service{Notifications: st.Notifications(), Users: st.Users(), Outbox: st.Outbox(), Mailer: m, Now: a.Now}
	a.Inquiries = &inquiries.Service{
		Tx: st, Inquiries: st.Inquiries(), Listings: listingRefs{st.Listings()}, Members: st.Producers(), Users: st.Users(),
		Notifier: a.Notify, Limiter: st.RateLimiter(), Images: inquiryImages{a.Media}, Blobs: a.Blobs, Outbox: st.Outbox(), Now: a.Now,
		Limits: inquiries.Limits{
			PerHour: cfg.InquiryMaxPerHour, PerDay: cfg.InquiryMaxPerDay,
			SpamReporters: cfg.InquirySpamReporters, SpamPerDay: cfg.InquirySpamMaxPerDay, SpamWindow: 90 * 24 * time.Hour,
			ExpiryDays: cfg.InquiryExpiryDays, AttachmentMaxBytes: cfg.MediaMaxUploadBytes,
		},
	}
	// SMTP servers answer slowly; a batch of 10 with a 5-minute lease leaves
	// 30 s per message (OCOP_SMTP_TIMEOUT).
	a.Runner.Handle(jobs.Topic{Name: notify.TopicEmail, Handler: a.Notify.EmailHandler, BatchSize: 10, Lease: 5 * time.Minute})
	// Daily: expire first, so an inquiry past its limit is never warned.
	a.Runner.Every(jobs.Periodic{Name: "inquiries.expire", Interval: 24 * time.Hour, Run: func(ctx context.Context) error {
		n, err := a.Inquiries.ExpireDue(ctx)
		if n > 0 {
			a.Log.Info("inquiries expired", "count", n)
		}
		if err != nil {
			return err
		}
		w, err := a.Inquiries.WarnExpiring(ctx)
		if w > 0 {
			a.Log.Info("producers warned of expiring inquiries", "count", w)
		}
		return err
	}})
	return nil
}

// listingRefs adapts the listing store to what inquiries need of a listing.
type listingRefs struct{ l *store.Listings }

func (r listingRefs) ListingRef(ctx context.Context, id string) (*inquiries.ListingRef, error) {
	l, err := r.l.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	return &inquiries.ListingRef{ID: l.ID, ProducerID: l.ProducerID, Title: l.TitleVI, Published: l.Status == ocop.ListingPublished}, nil
}

// inquiryImages adapts the image pipeline to the inquiries use case.
type inquiryImages struct{ p *media.Processor }

func (ip inquiryImages) Process(ctx context.Context, r io.Reader) (inquiries.StoredImage, error) {
	im, err := ip.p.Process(ctx, r)
	if err != nil {
		return inquiries.StoredImage{}, err
	}
	return inquiries.StoredImage{DisplayKey: im.Display.Key, ThumbKey: im.Thumb.Key, ContentType: im.Display.ContentType,
		Size: im.Display.Size, Width: im.Width, Height: im.Height}, nil
}
