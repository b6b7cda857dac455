package meetings

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// ProducerNames gives producers' display names by ID.
type ProducerNames interface {
	Names(ctx context.Context, ids []string) (map[string]string, error)
}

// noticeRule says what a notice kind becomes: the notification kind, the
// meeting statuses in which it is still true (a notice the meeting has
// moved past is dropped: the later notice tells the news), and who hears
// it.
type noticeRule struct {
	kind     ocop.NotificationKind
	statuses []ocop.MeetingStatus
	buyer    bool // the buyer who asked for the meeting
	producer bool // the producer's members (owner and staff)
	// beforeDeadline drops the notice once the request's ExpiresAt has
	// passed (nobody can answer it any more); beforeStart once the slot
	// has begun.
	beforeDeadline, beforeStart bool
	// timed notices are raised by the passing of time, not by anybody's
	// action: whoever's request ran the sweep is told too.
	timed bool
}

var noticeRules = map[string]noticeRule{
	NoticeRequested: {kind: ocop.NotifyMeetingRequested, statuses: []ocop.MeetingStatus{ocop.MeetingPending}, producer: true, beforeDeadline: true},
	NoticeAccepted:  {kind: ocop.NotifyMeetingAccepted, statuses: []ocop.MeetingStatus{ocop.MeetingAccepted}, buyer: true, producer: true, beforeStart: true},
	NoticeDeclined:  {kind: ocop.NotifyMeetingDeclined, statuses: []ocop.MeetingStatus{ocop.MeetingDeclined}, buyer: true},
	NoticeCancelled: {kind: ocop.NotifyMeetingCancelled, statuses: []ocop.MeetingStatus{ocop.MeetingCancelled}, buyer: true, producer: true},
	NoticeExpired:   {kind: ocop.NotifyMeetingExpired, statuses: []ocop.MeetingStatus{ocop.MeetingExpired}, buyer: true, producer: true, timed: true},
	NoticeExpiring: {kind: ocop.NotifyMeetingRequestExpiring, statuses: []ocop.MeetingStatus{ocop.MeetingPending}, producer: true,
		beforeDeadline: true, timed: true},
	NoticeReminder: {kind: ocop.NotifyMeetingReminder, statuses: []ocop.MeetingStatus{ocop.MeetingAccepted}, buyer: true, producer: true,
		beforeStart: true, timed: true},
}

// DeliverNotices handles NotificationTopic messages (its signature is
// jobs.Handler). Each notice is resolved against the meeting and fair as
// they are now and becomes in-app notifications and e-mails (through the
// Notifier) for the buyer and/or the producer's members, in one
// transaction per notice. Delivery is idempotent: a user gets one
// notification of a kind per meeting, so a redelivered message adds none.
func (s *Service) DeliverNotices(ctx context.Context, msgs []ocop.OutboxMessage) []error {
	return ocop.DeliverNotices(ctx, s.Tx, msgs, func(n Notice) bool { return n.MeetingID != "" }, s.deliver)
}

func (s *Service) deliver(ctx context.Context, n Notice) error {
	rule, ok := noticeRules[n.Kind]
	if !ok {
		return nil // a kind this version does not know: nothing to say
	}
	m, err := s.Repo.Get(ctx, n.MeetingID)
	if ocop.IsCode(err, ocop.CodeNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := s.Now()
	if !slices.Contains(rule.statuses, m.Status) ||
		(rule.beforeDeadline && (m.ExpiresAt == nil || !now.Before(*m.ExpiresAt))) ||
		(rule.beforeStart && !now.Before(m.SlotStart)) {
		return nil
	}
	e, err := s.Events.Get(ctx, m.EventID)
	if ocop.IsCode(err, ocop.CodeNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	names, err := s.Producers.Names(ctx, []string{m.ProducerID})
	if err != nil {
		return err
	}
	buyerName := ""
	if g, err := s.Repo.Registration(ctx, m.RegistrationID); err == nil {
		buyerName = g.Company
	} else if !ocop.IsCode(err, ocop.CodeNotFound) {
		return err
	}
	rs := ocop.NewRecipients(ocop.Notification{Kind: rule.kind, EventID: e.ID, MeetingID: m.ID,
		Data: noticeData(e, m, buyerName, names[m.ProducerID])}, n.ActorID)
	if rule.buyer {
		rs.Add(m.BuyerID, "buyer")
	}
	if rule.producer {
		if err := rs.AddMembers(ctx, s.ProducerMembers, m.ProducerID, "producer"); err != nil {
			return err
		}
	}
	return s.Notifier.Notify(ctx, rs.List()...)
}

// noticeData is what the templates need. Times are RFC 3339 in the fair's
// own time zone, which the e-mail names.
func noticeData(e *ocop.Event, m *ocop.Meeting, buyerName, producerName string) map[string]string {
	loc := e.Location()
	local := func(t time.Time) string { return t.In(loc).Format(time.RFC3339) }
	d := map[string]string{
		"event_name": e.Name, "venue": e.Venue, "time_zone": e.TimeZone,
		"slot_start": local(m.SlotStart), "slot_end": local(m.SlotEnd),
		"buyer_name": buyerName, "producer_name": producerName, "status": string(m.Status),
	}
	if m.Table > 0 {
		d["table"] = strconv.Itoa(m.Table)
	}
	if m.ExpiresAt != nil && m.Status == ocop.MeetingPending {
		d["respond_by"] = local(*m.ExpiresAt)
	}
	if m.Reason != "" {
		d["reason"] = m.Reason
	}
	return d
}
