package events

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// eventCancelledReason starts the reason recorded on the bookings of a
// cancelled fair; the organiser's own words follow after ": ".
const eventCancelledReason = "the event was cancelled"

// noticeRule says what a notice kind becomes: the notification kind, the
// booking statuses in which it is still true (a notice the booking has
// moved past is dropped: the later notice tells the news), and who hears it.
type noticeRule struct {
	kind      ocop.NotificationKind
	statuses  []ocop.BookingStatus
	producer  bool // the producer's members
	organiser bool // the fair's organiser
	// beforeDeadline drops the notice once HoldExpiresAt has passed (a
	// warning or offer nobody can act on any more).
	beforeDeadline bool
}

var noticeRules = map[string]noticeRule{
	NoticeBookingReceived:  {kind: ocop.NotifyBookingReceived, statuses: []ocop.BookingStatus{ocop.BookingPending}, organiser: true, beforeDeadline: true},
	NoticeBookingConfirmed: {kind: ocop.NotifyBookingConfirmed, statuses: []ocop.BookingStatus{ocop.BookingConfirmed}, producer: true},
	NoticeBookingRejected:  {kind: ocop.NotifyBookingRejected, statuses: []ocop.BookingStatus{ocop.BookingRejected}, producer: true},
	NoticeBookingCancelled: {kind: ocop.NotifyBookingCancelled, statuses: []ocop.BookingStatus{ocop.BookingCancelled}, producer: true, organiser: true},
	NoticeHoldExpiring:     {kind: ocop.NotifyBookingHoldExpiring, statuses: []ocop.BookingStatus{ocop.BookingPending}, producer: true, organiser: true, beforeDeadline: true},
	NoticeHoldExpired:      {kind: ocop.NotifyBookingHoldExpired, statuses: []ocop.BookingStatus{ocop.BookingExpired}, producer: true},
	NoticeWaitlistOffer:    {kind: ocop.NotifyBookingOffer, statuses: []ocop.BookingStatus{ocop.BookingOffered}, producer: true, beforeDeadline: true},
	NoticeOfferLapsed:      {kind: ocop.NotifyBookingOfferLapsed, statuses: []ocop.BookingStatus{ocop.BookingDeclined, ocop.BookingExpired}, producer: true},
	NoticeEventCancelled:   {kind: ocop.NotifyEventCancelled, statuses: []ocop.BookingStatus{ocop.BookingCancelled}, producer: true},
}

// DeliverNotices handles NotificationTopic messages (its signature is
// jobs.Handler). Each notice is resolved against the booking and fair as
// they are now and becomes in-app notifications and e-mails (through the
// Notifier) for the producer's members and/or the organiser, in one
// transaction per notice. Delivery is idempotent: a user gets one
// notification of a kind per booking, so a redelivered message adds none.
func (s *Service) DeliverNotices(ctx context.Context, msgs []ocop.OutboxMessage) []error {
	return ocop.DeliverNotices(ctx, s.Tx, msgs, func(n Notice) bool { return n.BookingID != "" }, s.deliver)
}

func (s *Service) deliver(ctx context.Context, n Notice) error {
	rule, ok := noticeRules[n.Kind]
	if !ok {
		return nil // a kind this version does not know: nothing to say
	}
	b, err := s.Bookings.Get(ctx, n.BookingID)
	if ocop.IsCode(err, ocop.CodeNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !slices.Contains(rule.statuses, b.Status) {
		return nil
	}
	if rule.beforeDeadline && (b.HoldExpiresAt == nil || !s.Now().Before(*b.HoldExpiresAt)) {
		return nil
	}
	e, err := s.Events.Get(ctx, b.EventID)
	if ocop.IsCode(err, ocop.CodeNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	names, err := s.Producers.Names(ctx, []string{b.ProducerID})
	if err != nil {
		return err
	}
	rs := ocop.NewRecipients(ocop.Notification{Kind: rule.kind, EventID: e.ID, BookingID: b.ID, Data: noticeData(e, b, names[b.ProducerID])}, n.ActorID)
	if rule.producer {
		if err := rs.AddMembers(ctx, s.Members, b.ProducerID, "producer"); err != nil {
			return err
		}
	}
	if rule.organiser {
		rs.Add(e.OrganiserID, "organiser")
	}
	return s.Notifier.Notify(ctx, rs.List()...)
}

// noticeData is what the templates need. Times are RFC 3339 in the fair's
// own time zone, which the e-mail names.
func noticeData(e *ocop.Event, b *ocop.Booking, producerName string) map[string]string {
	loc := e.Location()
	local := func(t time.Time) string { return t.In(loc).Format(time.RFC3339) }
	d := map[string]string{
		"event_name": e.Name, "venue": e.Venue, "time_zone": e.TimeZone, "starts_at": local(e.StartsAt),
		"booth_code": b.BoothCode, "zone": b.Zone, "producer_name": producerName,
		"price_vnd": strconv.FormatInt(b.PriceVND, 10), "status": string(b.Status),
	}
	if b.HoldExpiresAt != nil {
		d["respond_by"] = local(*b.HoldExpiresAt)
	}
	reason := b.Reason
	if rest, ok := strings.CutPrefix(reason, eventCancelledReason); ok {
		reason = strings.TrimPrefix(rest, ": ") // the organiser's words; the template says the fair was cancelled
	}
	if reason != "" && b.Status != ocop.BookingExpired {
		d["reason"] = reason
	}
	return d
}
