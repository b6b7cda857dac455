// Package inquiries is the use case of buyer inquiries: a buyer asks about a
// published listing, the producer's members answer and quote in one thread,
// and the inquiry moves
//
//	open -> answered -> quoted -> closed_won | closed_lost
//	     -> withdrawn (buyer) | spam (producer) | expired (no reply in time)
//
// with every transition recorded (inquiry_events: actor, time, from, to).
// Only the buyer and the members of the listing's producer see an inquiry;
// anyone else gets not_found. New inquiries are rate-limited per buyer
// (hour and day windows in the database), harder for buyers several
// producers reported as spam. Every event notifies the other side through
// the notifier (in-app + e-mail via the outbox), in the same transaction.
package inquiries

import (
	"context"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// Repo is what the use case needs from the inquiry store.
type Repo interface {
	Create(ctx context.Context, q *ocop.Inquiry) error
	Get(ctx context.Context, id string) (*ocop.Inquiry, error)
	GetForUpdate(ctx context.Context, id string) (*ocop.Inquiry, error)
	Update(ctx context.Context, q *ocop.Inquiry, from ocop.InquiryStatus) (bool, error)
	AddMessage(ctx context.Context, m *ocop.InquiryMessage) error
	Messages(ctx context.Context, inquiryID string) ([]ocop.InquiryMessage, error)
	Attachment(ctx context.Context, inquiryID, id string) (*ocop.InquiryAttachment, error)
	SupersedeQuotes(ctx context.Context, inquiryID string, at time.Time) error
	AddQuote(ctx context.Context, q *ocop.Quote) error
	Quotes(ctx context.Context, inquiryID string) ([]ocop.Quote, error)
	AddEvent(ctx context.Context, e *ocop.InquiryEvent) error
	Events(ctx context.Context, inquiryID string) ([]ocop.InquiryEvent, error)
	MarkRead(ctx context.Context, inquiryID, userID string, seq int, at time.Time) error
	Unread(ctx context.Context, inquiryID, userID string) (int, error)
	List(ctx context.Context, f ocop.InquiryFilter) ([]ocop.InquirySummary, error)
	UnreadInquiries(ctx context.Context, userID string) (int, error)
	OpenCreatedBefore(ctx context.Context, t time.Time, unwarned bool, limit int) ([]ocop.Inquiry, error)
	SpamReporters(ctx context.Context, buyerID string, since time.Time) (int, error)
	ResponseSamples(ctx context.Context, producerIDs []string, since time.Time) ([]ocop.ResponseSample, error)
}

// ListingRef is what an inquiry needs to know of a listing.
type ListingRef struct {
	ID         string
	ProducerID string
	Title      string
	Published  bool
}

// Listings finds listings (without visibility rules); a missing one is
// not_found.
type Listings interface {
	ListingRef(ctx context.Context, id string) (*ListingRef, error)
}

// Members tells who acts for a producer.
type Members interface {
	MemberRole(ctx context.Context, producerID, userID string) (ocop.MemberRole, error)
	Members(ctx context.Context, producerID string) ([]ocop.ProducerMember, error)
}

// Users finds accounts (names for notifications).
type Users interface {
	Get(ctx context.Context, id string) (*ocop.User, error)
}

// Notifier records notifications (and queues their e-mails) in the
// caller's transaction.
type Notifier interface {
	Notify(ctx context.Context, ns ...ocop.Notification) error
}

// Limits are the configured rules of the use case.
type Limits struct {
	// PerHour and PerDay cap the new inquiries of one buyer.
	PerHour, PerDay int
	// SpamReporters is how many distinct producers reporting a buyer's
	// inquiries as spam (within SpamWindow) throttle the buyer to
	// SpamPerDay inquiries a day (and one an hour).
	SpamReporters int
	SpamPerDay    int
	SpamWindow    time.Duration
	// ExpiryDays is how long an inquiry may wait for a first producer
	// reply before the daily job expires it.
	ExpiryDays int
	// AttachmentMaxBytes caps a PDF attachment (images are capped by the
	// image pipeline).
	AttachmentMaxBytes int64
}

// ResponsivenessDays is the period producer responsiveness is measured over.
const ResponsivenessDays = 90

// Service is the inquiries use case.
type Service struct {
	Tx        ocop.Transactor
	Inquiries Repo
	Listings  Listings
	Members   Members
	Users     Users
	Notifier  Notifier
	Limiter   ocop.RateLimiter
	Images    Images
	Blobs     ocop.Blobs
	Outbox    ocop.Outbox
	Now       ocop.Clock
	Limits    Limits
}

func caller(ctx context.Context) (ocop.Principal, error) {
	p, ok := ocop.PrincipalFrom(ctx)
	if !ok || p.UserID == "" {
		return p, ocop.Errorf(ocop.CodeUnauthenticated, "sign in to use inquiries")
	}
	return p, nil
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// side is the caller's part in the inquiry; anyone else gets not_found.
func (s *Service) side(ctx context.Context, q *ocop.Inquiry) (ocop.Principal, ocop.InquirySide, error) {
	p, err := caller(ctx)
	if err != nil {
		return p, "", err
	}
	if q.BuyerID == p.UserID {
		return p, ocop.SideBuyer, nil
	}
	role, err := s.Members.MemberRole(ctx, q.ProducerID, p.UserID)
	if err != nil {
		return p, "", err
	}
	if role == "" {
		return p, "", ocop.NotFound("inquiry")
	}
	return p, ocop.SideProducer, nil
}

// load reads an inquiry the caller takes part in.
func (s *Service) load(ctx context.Context, id string, lock bool) (*ocop.Inquiry, ocop.Principal, ocop.InquirySide, error) {
	get := s.Inquiries.Get
	if lock {
		get = s.Inquiries.GetForUpdate
	}
	q, err := get(ctx, id)
	if err != nil {
		return nil, ocop.Principal{}, "", err
	}
	p, side, err := s.side(ctx, q)
	if err != nil {
		return nil, p, "", err
	}
	return q, p, side, nil
}

func errClosed(q *ocop.Inquiry) error {
	return ocop.Errorf(ocop.CodeInquiryClosed, "the inquiry is %s: nothing more can be added to it", q.Status)
}

// transition moves q to status `to` (guarded by its current status) and
// records who did it and when.
func (s *Service) transition(ctx context.Context, q *ocop.Inquiry, to ocop.InquiryStatus, actor, action, reason string) error {
	from := q.Status
	now := s.Now()
	q.Status, q.UpdatedAt = to, now
	if !to.Active() {
		q.ClosedAt = &now
	}
	ok, err := s.Inquiries.Update(ctx, q, from)
	if err != nil {
		return err
	}
	if !ok {
		return ocop.Errorf(ocop.CodeConflict, "the inquiry changed meanwhile; reload it and try again")
	}
	return s.Inquiries.AddEvent(ctx, &ocop.InquiryEvent{ID: newID(), InquiryID: q.ID, ActorID: actor, Action: action,
		From: from, To: to, Reason: reason, At: now})
}

// notifyProducer notifies every member of the inquiry's producer except
// the one who acted.
func (s *Service) notifyProducer(ctx context.Context, q *ocop.Inquiry, kind ocop.NotificationKind, except string, data map[string]string) error {
	ms, err := s.Members.Members(ctx, q.ProducerID)
	if err != nil {
		return err
	}
	var ns []ocop.Notification
	for _, m := range ms {
		if m.UserID != except {
			ns = append(ns, ocop.Notification{UserID: m.UserID, Kind: kind, InquiryID: q.ID, Data: data})
		}
	}
	return s.Notifier.Notify(ctx, ns...)
}

func (s *Service) notifyBuyer(ctx context.Context, q *ocop.Inquiry, kind ocop.NotificationKind, data map[string]string) error {
	return s.Notifier.Notify(ctx, ocop.Notification{UserID: q.BuyerID, Kind: kind, InquiryID: q.ID, Data: data})
}

// notifyOther notifies the side that did not act.
func (s *Service) notifyOther(ctx context.Context, q *ocop.Inquiry, actorSide ocop.InquirySide, actor string, kind ocop.NotificationKind, data map[string]string) error {
	if actorSide == ocop.SideBuyer {
		return s.notifyProducer(ctx, q, kind, actor, data)
	}
	return s.notifyBuyer(ctx, q, kind, data)
}

func (s *Service) displayName(ctx context.Context, p ocop.Principal) string {
	if p.User != nil {
		return p.User.DisplayName
	}
	if u, err := s.Users.Get(ctx, p.UserID); err == nil {
		return u.DisplayName
	}
	return ""
}

// excerpt shortens a message for a notification.
func excerpt(s string) string {
	const max = 300
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return string(r[:max]) + "…"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Responsiveness is how the producer answered the inquiries it received
// over the last ResponsivenessDays days: how many got a reply (a message
// or a quote) and the median time to the first one. Spam and inquiries
// withdrawn before any reply do not count.
func (s *Service) Responsiveness(ctx context.Context, producerID string) (ocop.Responsiveness, error) {
	m, err := s.ResponsivenessOf(ctx, []string{producerID})
	if err != nil {
		return ocop.Responsiveness{}, err
	}
	return m[producerID], nil
}

// ResponsivenessOf is Responsiveness for several producers (search ranking).
func (s *Service) ResponsivenessOf(ctx context.Context, producerIDs []string) (map[string]ocop.Responsiveness, error) {
	samples, err := s.Inquiries.ResponseSamples(ctx, producerIDs, s.Now().Add(-ResponsivenessDays*24*time.Hour))
	if err != nil {
		return nil, err
	}
	out := map[string]ocop.Responsiveness{}
	times := map[string][]time.Duration{}
	for _, id := range producerIDs {
		out[id] = ocop.Responsiveness{ProducerID: id, Days: ResponsivenessDays}
	}
	for _, sm := range samples {
		r := out[sm.ProducerID]
		r.Received++
		if sm.FirstResponseAt != nil {
			r.Responded++
			times[sm.ProducerID] = append(times[sm.ProducerID], sm.FirstResponseAt.Sub(sm.CreatedAt))
		}
		out[sm.ProducerID] = r
	}
	for id, ds := range times {
		r := out[id]
		med := median(ds)
		r.MedianFirstResponse = &med
		out[id] = r
	}
	return out, nil
}

func median(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	n := len(ds)
	if n%2 == 1 {
		return ds[n/2]
	}
	return (ds[n/2-1] + ds[n/2]) / 2
}

// Attachment opens an attachment of an inquiry the caller takes part in
// (thumb: the thumbnail of an image). url is a short-lived direct link when
// the media store can sign one; otherwise the caller streams body.
func (s *Service) Attachment(ctx context.Context, inquiryID, attachmentID string, thumb bool) (body io.ReadCloser, info ocop.BlobInfo, url string, err error) {
	if _, _, _, err = s.load(ctx, inquiryID, false); err != nil {
		return nil, info, "", err
	}
	a, err := s.Inquiries.Attachment(ctx, inquiryID, attachmentID)
	if err != nil {
		return nil, info, "", err
	}
	key := a.Key
	if thumb && a.ThumbKey != "" {
		key = a.ThumbKey
	}
	if url, err = s.Blobs.SignedURL(ctx, key, 5*time.Minute); err != nil || url != "" {
		return nil, info, url, err
	}
	body, info, err = s.Blobs.Open(ctx, key)
	return body, info, "", err
}
