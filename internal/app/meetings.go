package app

import (
	"context"
	"encoding/json"

	"github.com/ocopconnect/ocopconnect/internal/jobs"
	"github.com/ocopconnect/ocopconnect/internal/meetings"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// wireMeetings builds the fair-meetings use case, its sweep and its
// notification topic. jwtKey is the access-token key, from which the
// registration-code key is derived unless OCOP_REGISTRATION_CODE_SECRET
// is set.
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
	// Meeting notifications. Like booking notices, each is resolved against
	// the meeting's current state and logged until delivery (e-mail,
	// in-app inbox) is wired for fair events; the messages are consumed so
	// the outbox does not grow.
	a.Runner.Handle(jobs.Topic{Name: meetings.NotificationTopic, BatchSize: 50, Handler: func(ctx context.Context, msgs []ocop.OutboxMessage) []error {
		errs := make([]error, len(msgs))
		for i, m := range msgs {
			var n meetings.Notice
			if err := json.Unmarshal(m.Payload, &n); err != nil {
				continue // malformed: nothing to retry
			}
			mt, err := st.Meetings().Get(ctx, n.MeetingID)
			if ocop.IsCode(err, ocop.CodeNotFound) {
				continue
			}
			if err != nil {
				errs[i] = err
				continue
			}
			a.Log.Info("meeting notification", "kind", n.Kind, "meeting_id", mt.ID, "event_id", mt.EventID,
				"buyer_id", mt.BuyerID, "producer_id", mt.ProducerID, "status", mt.Status, "slot_start", mt.SlotStart)
		}
		return errs
	}})
	return nil
}

// meetingInquiries is the port from held meetings to inquiries. Until the
// inquiries use case is merged there is none: opening an inquiry from a
// meeting answers service_unavailable.
func (a *App) meetingInquiries() meetings.Inquiries { return nil }
