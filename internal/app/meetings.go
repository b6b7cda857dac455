package app

import (
	"context"
	"strings"

	"github.com/ocopconnect/ocopconnect/internal/inquiries"
	"github.com/ocopconnect/ocopconnect/internal/jobs"
	"github.com/ocopconnect/ocopconnect/internal/meetings"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/store"
)

// wireMeetings builds the fair-meetings use case, its sweep and the
// delivery of its notices as notifications. jwtKey is the access-token
// key, from which the registration-code key is derived unless
// OCOP_REGISTRATION_CODE_SECRET is set.
func (a *App) wireMeetings(jwtKey []byte) error {
	st := a.Store
	cfg := a.Config
	secret := jwtKey
	if cfg.RegistrationCodeSecret != "" {
		secret = []byte(cfg.RegistrationCodeSecret)
	}
	signer, err := meetings.NewSigner(secret)
	if err != nil {
		return err
	}
	a.Meetings = &meetings.Service{
		Tx: st, Repo: st.Meetings(), Events: st.Events(), Members: eventProducers{svc: a.Producers, repo: st.Producers()},
		Inquiries: a.meetingInquiries(), Outbox: st.Outbox(), Audit: st.AuditLog(), Codes: signer, Now: a.Now,
		Settings: meetings.Settings{ExpiryWarning: cfg.MeetingRequestWarning, ReminderBefore: cfg.MeetingReminderBefore},
	}
	a.Runner.Every(jobs.Periodic{Name: "meetings.sweep", Interval: cfg.MeetingsSweepInterval, Run: func(ctx context.Context) error {
		res, err := a.Meetings.Sweep(ctx)
		if res.Expired+res.Warned+res.Reminded > 0 {
			a.Log.Info("meetings sweep", "expired", res.Expired, "warned", res.Warned, "reminded", res.Reminded)
		}
		return err
	}})
	// Meeting notices become notifications; wireInquiries, which runs
	// first, built the notifications use case.
	a.Meetings.Notifier, a.Meetings.ProducerMembers = a.Notify, st.Producers()
	// Meetings go with the booth or the fair they depend on.
	a.Events.Exhibition = a.Meetings
	a.Meetings.Producers = eventProducers{svc: a.Producers, repo: st.Producers()}
	a.Runner.Handle(jobs.Topic{Name: meetings.NotificationTopic, BatchSize: 50, Handler: a.Meetings.DeliverNotices})
	return nil
}

// meetingInquiries is the port from held meetings to the inquiries use
// case.
func (a *App) meetingInquiries() meetings.Inquiries {
	return meetingInquiries{svc: a.Inquiries, repo: a.Store.Inquiries()}
}

type meetingInquiries struct {
	svc  *inquiries.Service
	repo *store.Inquiries
}

// OpenFromMeeting creates the inquiry as the meeting's buyer (the caller),
// about the main listing, with every listing of interest named in the
// opening message (an inquiry is about one listing; the others travel as
// links in the thread).
func (m meetingInquiries) OpenFromMeeting(ctx context.Context, in meetings.InquiryRequest) (string, error) {
	msg := in.Message
	if len(in.Others) > 0 {
		var b strings.Builder
		b.WriteString(msg)
		b.WriteString("\n\nSản phẩm quan tâm khác / Other listings of interest:")
		for _, l := range in.Others {
			b.WriteString("\n- " + l.Title + " (/api/v1/listings/" + l.ID + ")")
		}
		msg = b.String()
	}
	q, err := m.svc.Create(ctx, inquiries.CreateInput{ListingID: in.ListingID, Quantity: in.Quantity, Unit: in.Unit,
		DeliveryProvinceCode: in.DeliveryProvinceCode, NeededBy: in.NeededBy, Message: msg})
	if err != nil {
		return "", err
	}
	return q.ID, nil
}

// Outcomes reads each inquiry's current status and quotes.
func (m meetingInquiries) Outcomes(ctx context.Context, ids []string) (map[string]meetings.InquiryOutcome, error) {
	out := make(map[string]meetings.InquiryOutcome, len(ids))
	for _, id := range ids {
		q, err := m.repo.Get(ctx, id)
		if ocop.IsCode(err, ocop.CodeNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		quotes, err := m.repo.Quotes(ctx, id)
		if err != nil {
			return nil, err
		}
		out[id] = meetings.InquiryOutcome{Quoted: len(quotes) > 0, Won: q.Status == ocop.InquiryClosedWon}
	}
	return out, nil
}
