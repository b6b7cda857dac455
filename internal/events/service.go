// Package events is the trade-fair use case: organisers schedule fairs and
// lay out booths, producers book booths (a pending hold the organiser
// confirms), queue on a zone's waitlist, and everybody reads the floor plan
// and the calendar entry.
//
// The booking rules (one booking per booth, a cap per producer, the
// subsidised quota, the booking window, eligibility) are checked here to
// give clear answers, and again by the database (see migration 00030), so
// that no interleaving of concurrent requests can break them. Producers and
// their certificates belong to another use case; this package reads them
// through the small Producers port below.
package events

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/places"
	"github.com/ocopconnect/ocopconnect/internal/taxonomy"
)

// Producer is what a fair needs to know about an exhibitor.
type Producer struct {
	ID           string
	Name         string
	ProvinceCode string
	// Verified is true once an admin has verified the producer.
	Verified bool
}

// Certificate is an OCOP certificate in force: verified, not expired, not
// revoked.
type Certificate struct {
	ID    string
	Stars int
	// ProductGroup is the group code of the current taxonomy version.
	ProductGroup string
}

// Producers is the port to the producers use case.
type Producers interface {
	// ActingFor returns the producer the user books for: producerID when
	// the user may act for it (owner or member), or the user's only
	// producer when producerID is "". A producer the user may not act for
	// is ocop.NotFound; a user who acts for none, or for several without
	// naming one, gets a validation or forbidden error saying so.
	ActingFor(ctx context.Context, userID, producerID string) (Producer, error)
	// IDsFor lists the producers the user may act for.
	IDsFor(ctx context.Context, userID string) ([]string, error)
	// Names returns producers' display names by ID (unknown IDs are left out).
	Names(ctx context.Context, ids []string) (map[string]string, error)
	// CertificatesInForce returns the producer's certificates in force at t.
	CertificatesInForce(ctx context.Context, producerID string, at time.Time) ([]Certificate, error)
}

// EventRepo stores events.
type EventRepo interface {
	Create(ctx context.Context, e *ocop.Event, searchText string) error
	Get(ctx context.Context, id string) (*ocop.Event, error)
	Update(ctx context.Context, e *ocop.Event, searchText string) error
	SetStatus(ctx context.Context, id string, from []ocop.EventStatus, to ocop.EventStatus, at time.Time) (bool, error)
	CompleteEnded(ctx context.Context, now time.Time) (int64, error)
	List(ctx context.Context, f ocop.EventFilter) ([]*ocop.Event, error)
}

// BoothRepo stores booths.
type BoothRepo interface {
	CreateMany(ctx context.Context, booths []*ocop.Booth) error
	Codes(ctx context.Context, eventID string) ([]string, error)
	Get(ctx context.Context, id string) (*ocop.Booth, error)
	Update(ctx context.Context, b *ocop.Booth) error
	States(ctx context.Context, eventID, zone string) ([]ocop.BoothState, error)
}

// BookingRepo stores bookings.
type BookingRepo interface {
	Create(ctx context.Context, b *ocop.Booking, eventCap, subsidyQuota int) error
	Get(ctx context.Context, id string) (*ocop.Booking, error)
	UsedSlots(ctx context.Context, eventID, producerID string) ([]int, error)
	UsedSubsidySlots(ctx context.Context, eventID string) ([]int, error)
	Transition(ctx context.Context, id string, t ocop.BookingTransition) (bool, error)
	List(ctx context.Context, f ocop.BookingFilter) ([]*ocop.Booking, error)
	Lapsed(ctx context.Context, now time.Time, limit int) ([]*ocop.Booking, error)
	ClaimExpiryWarnings(ctx context.Context, before, now time.Time, limit int) ([]*ocop.Booking, error)
	HoldingEvent(ctx context.Context, eventID string) ([]string, error)
	ConfirmedExhibitors(ctx context.Context, eventID string) ([]ocop.Exhibitor, error)
}

// WaitlistRepo stores waitlist entries.
type WaitlistRepo interface {
	Create(ctx context.Context, w *ocop.WaitlistEntry) error
	Get(ctx context.Context, id string) (*ocop.WaitlistEntry, error)
	Waiting(ctx context.Context, eventID, zone string, limit int) ([]*ocop.WaitlistEntry, error)
	List(ctx context.Context, eventID string) ([]*ocop.WaitlistEntry, error)
	SetStatus(ctx context.Context, id string, from []ocop.WaitlistStatus, to ocop.WaitlistStatus, bookingID string, at time.Time) (bool, error)
	Position(ctx context.Context, w *ocop.WaitlistEntry) (int, error)
}

// Settings are the booking timings.
type Settings struct {
	// HoldTTL is how long a pending booking holds its booth unless the
	// organiser confirms it.
	HoldTTL time.Duration
	// OfferTTL is how long a waitlisted producer has to accept an offer.
	OfferTTL time.Duration
	// HoldWarning is how long before a hold lapses its producer and
	// organiser are reminded.
	HoldWarning time.Duration
}

// Service is the trade-fair use case.
type Service struct {
	Tx        ocop.Transactor
	Events    EventRepo
	Booths    BoothRepo
	Bookings  BookingRepo
	Waitlist  WaitlistRepo
	Producers Producers
	Outbox    ocop.Outbox
	Audit     ocop.AuditLog
	Settings  Settings
	Now       ocop.Clock
	// Notifier and Members deliver booking notices (DeliverNotices).
	Notifier ocop.Notifier
	Members  ocop.MemberLister
	// Exhibition hears of booths and fairs going away (nil: nothing
	// depends on them).
	Exhibition Exhibition
}

// Exhibition is what hangs on exhibiting at a fair (the B2B meetings): it
// is told inside the transaction that cancels a booking or the fair, so
// that it goes with them or not at all.
type Exhibition interface {
	// BoothWithdrawn: a booking of the producer's stopped holding a booth.
	BoothWithdrawn(ctx context.Context, e *ocop.Event, producerID string, now time.Time) error
	// EventCancelled: the fair is called off.
	EventCancelled(ctx context.Context, e *ocop.Event, now time.Time) error
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func caller(ctx context.Context) (ocop.Principal, error) {
	p, ok := ocop.PrincipalFrom(ctx)
	if !ok {
		return p, ocop.Errorf(ocop.CodeUnauthenticated, "send an access token: Authorization: Bearer <token>")
	}
	return p, nil
}

// canManage reports whether the caller organises the event (or is an admin).
func canManage(p ocop.Principal, ok bool, e *ocop.Event) bool {
	return ok && (p.UserID == e.OrganiserID || p.HasRole(ocop.RoleAdmin))
}

// visible hides drafts from everyone but their organiser.
func visible(ctx context.Context, e *ocop.Event) bool {
	p, ok := ocop.PrincipalFrom(ctx)
	return e.Status != ocop.EventDraft || canManage(p, ok, e)
}

// managed loads an event the caller organises; any other is not found.
func (s *Service) managed(ctx context.Context, id string) (*ocop.Event, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	e, err := s.Events.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !canManage(p, true, e) {
		return nil, ocop.NotFound("event")
	}
	return e, nil
}

// EventInput holds the fields of a new event, or the fields of a change
// (nil = unchanged). Times are RFC 3339, or a local date-time without an
// offset ("2026-03-20T08:00"), which is read in the event's time zone.
type EventInput struct {
	Name                 *string
	Description          *string
	DescriptionEN        *string
	Venue                *string
	Address              *string
	ProvinceCode         *string
	CommuneCode          *string
	TimeZone             *string
	StartsAt             *string
	EndsAt               *string
	BookingOpensAt       *string
	BookingClosesAt      *string
	MinStars             *int
	ProductGroups        *[]string
	ProducerProvinces    *[]string
	MaxBoothsPerProducer *int
	SubsidisedQuota      *int
	SubsidisedPriceVND   *int64
}

// ParseEventTime reads an RFC 3339 time, or a local date-time in loc.
func ParseEventTime(s string, loc *time.Location) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), true
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// apply copies the given fields onto e, reporting unreadable times.
func (in *EventInput) apply(e *ocop.Event, v *ocop.Validation) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	set(&e.Name, in.Name)
	set(&e.Description, in.Description)
	set(&e.DescriptionEN, in.DescriptionEN)
	set(&e.Venue, in.Venue)
	set(&e.Address, in.Address)
	set(&e.ProvinceCode, in.ProvinceCode)
	set(&e.CommuneCode, in.CommuneCode)
	set(&e.TimeZone, in.TimeZone)
	loc, err := time.LoadLocation(e.TimeZone)
	if err != nil {
		loc = time.UTC // Validate reports the zone
	}
	for _, f := range []struct {
		field string
		src   *string
		dst   *time.Time
	}{
		{"starts_at", in.StartsAt, &e.StartsAt}, {"ends_at", in.EndsAt, &e.EndsAt},
		{"booking_opens_at", in.BookingOpensAt, &e.BookingOpensAt}, {"booking_closes_at", in.BookingClosesAt, &e.BookingClosesAt},
	} {
		if f.src == nil {
			continue
		}
		t, ok := ParseEventTime(strings.TrimSpace(*f.src), loc)
		if !ok {
			v.Add(f.field, "must be an RFC 3339 time (2026-03-20T08:00:00+07:00) or a local time in the event's time zone (2026-03-20T08:00)")
			continue
		}
		*f.dst = t.Truncate(time.Second)
	}
	if in.MinStars != nil {
		e.Eligibility.MinStars = *in.MinStars
	}
	if in.ProductGroups != nil {
		e.Eligibility.ProductGroups = ocop.NormalizeCodes(*in.ProductGroups)
	}
	if in.ProducerProvinces != nil {
		e.Eligibility.ProducerProvinces = ocop.NormalizeCodes(*in.ProducerProvinces)
	}
	if in.MaxBoothsPerProducer != nil {
		e.MaxBoothsPerProducer = *in.MaxBoothsPerProducer
	}
	if in.SubsidisedQuota != nil {
		e.SubsidisedQuota = *in.SubsidisedQuota
	}
	if in.SubsidisedPriceVND != nil {
		e.SubsidisedPriceVND = *in.SubsidisedPriceVND
	}
}

// validateEvent adds the reference-data checks to the domain's.
func validateEvent(e *ocop.Event, v *ocop.Validation) {
	e.Validate(v)
	if !v.Has("province_code") && !v.Has("commune_code") {
		if e.CommuneCode == "" {
			places.ValidateProvince(v, "province_code", e.ProvinceCode, true)
		} else {
			places.Validate(v, e.ProvinceCode, e.CommuneCode)
		}
	}
	cur := taxonomy.Current()
	for _, g := range e.Eligibility.ProductGroups {
		if _, ok := cur.Group(g); !ok {
			var codes []string
			for _, g := range cur.Groups {
				codes = append(codes, g.Code)
			}
			v.Add("eligibility.product_groups", "%q is not a product group (one of %s)", g, strings.Join(codes, ", "))
			break
		}
	}
	if !v.Has("eligibility.producer_provinces") {
		for _, p := range e.Eligibility.ProducerProvinces {
			if _, ok := places.LookupProvince(p); !ok {
				v.Add("eligibility.producer_provinces", "%q is not a province code in force since 1 July 2025", p)
				break
			}
		}
	}
}

// searchText is what the q filter matches: name, venue and address folded
// so that "hoi cho ca phe" finds "Hội chợ Cà phê".
func searchText(e *ocop.Event) string {
	return places.Fold(e.Name + " " + e.Venue + " " + e.Address)
}

// CreateEvent schedules a draft fair organised by the caller.
func (s *Service) CreateEvent(ctx context.Context, in EventInput) (*ocop.Event, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if !p.HasRole(ocop.RoleOrganiser) && !p.HasRole(ocop.RoleAdmin) {
		return nil, ocop.Errorf(ocop.CodeForbidden, "only organisers schedule trade fairs")
	}
	now := s.Now()
	e := &ocop.Event{ID: newID(), OrganiserID: p.UserID, Status: ocop.EventDraft, TimeZone: ocop.DefaultEventTimeZone,
		Eligibility:          ocop.Eligibility{MinStars: 3, ProductGroups: []string{}, ProducerProvinces: []string{}},
		MaxBoothsPerProducer: 1, CreatedAt: now, UpdatedAt: now}
	var v ocop.Validation
	in.apply(e, &v)
	if in.MinStars == nil {
		e.Eligibility.MinStars = 3 // OCOP fairs are for certified products unless said otherwise
	}
	validateEvent(e, &v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	err = s.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.Events.Create(ctx, e, searchText(e)); err != nil {
			return err
		}
		return s.Audit.Record(ctx, ocop.AuditEntry{ActorID: p.UserID, Action: "event.created", ObjectType: "event", ObjectID: e.ID,
			After: map[string]any{"name": e.Name, "starts_at": e.StartsAt}})
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// UpdateEvent changes a draft or published fair.
func (s *Service) UpdateEvent(ctx context.Context, id string, in EventInput) (*ocop.Event, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var e *ocop.Event
	err = s.Tx.InTx(ctx, func(ctx context.Context) error {
		e, err = s.managed(ctx, id)
		if err != nil {
			return err
		}
		if e.Status != ocop.EventDraft && e.Status != ocop.EventPublished {
			return ocop.Errorf(ocop.CodeInvalidTransition, "a %s event can no longer be changed", e.Status)
		}
		var v ocop.Validation
		in.apply(e, &v)
		validateEvent(e, &v)
		if err := v.Err(); err != nil {
			return err
		}
		e.UpdatedAt = s.Now()
		if err := s.Events.Update(ctx, e, searchText(e)); err != nil {
			if cv, ok := ocop.AsConstraint(err); ok {
				switch cv.Name {
				case "bookings_slot_within_cap":
					return &ocop.Error{Code: ocop.CodeConflict, Message: "producers already hold more booths than the new cap; cancel bookings first",
						Fields: []ocop.FieldError{{Field: "max_booths_per_producer", Message: "is below the booths some producers already hold"}}, Err: err}
				case "bookings_subsidy_within_quota":
					return &ocop.Error{Code: ocop.CodeConflict, Message: "more subsidised booths are booked than the new quota",
						Fields: []ocop.FieldError{{Field: "subsidised_quota", Message: "is below the subsidised booths already booked"}}, Err: err}
				}
			}
			return err
		}
		return s.Audit.Record(ctx, ocop.AuditEntry{ActorID: p.UserID, Action: "event.updated", ObjectType: "event", ObjectID: e.ID})
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// PublishEvent opens a draft fair to the public (and to bookings in its
// booking window). It needs at least one booth and must not have ended.
func (s *Service) PublishEvent(ctx context.Context, id string) (*ocop.Event, error) {
	return s.changeStatus(ctx, id, func(ctx context.Context, e *ocop.Event, now time.Time) error {
		if e.Status != ocop.EventDraft {
			return ocop.Errorf(ocop.CodeInvalidTransition, "only a draft can be published; this event is %s", e.Status)
		}
		if !e.EndsAt.After(now) {
			return ocop.Errorf(ocop.CodeInvalidTransition, "the event has already ended")
		}
		states, err := s.Booths.States(ctx, e.ID, "")
		if err != nil {
			return err
		}
		if len(states) == 0 {
			return ocop.Errorf(ocop.CodeInvalidTransition, "lay out at least one booth (POST /api/v1/events/%s/booths) before publishing", e.ID)
		}
		if _, err := s.Events.SetStatus(ctx, e.ID, []ocop.EventStatus{ocop.EventDraft}, ocop.EventPublished, now); err != nil {
			return err
		}
		e.Status, e.PublishedAt = ocop.EventPublished, &now
		return nil
	})
}

// CancelEvent calls a fair off: every booking holding a booth is cancelled
// and its producer told, and the fair's meetings not yet begun are called
// off (Exhibition).
func (s *Service) CancelEvent(ctx context.Context, id, reason string) (*ocop.Event, error) {
	return s.changeStatus(ctx, id, func(ctx context.Context, e *ocop.Event, now time.Time) error {
		if e.Status != ocop.EventDraft && e.Status != ocop.EventPublished {
			return ocop.Errorf(ocop.CodeInvalidTransition, "a %s event cannot be cancelled", e.Status)
		}
		if _, err := s.Events.SetStatus(ctx, e.ID, []ocop.EventStatus{ocop.EventDraft, ocop.EventPublished}, ocop.EventCancelled, now); err != nil {
			return err
		}
		e.Status, e.CancelledAt = ocop.EventCancelled, &now
		ids, err := s.Bookings.HoldingEvent(ctx, e.ID)
		if err != nil {
			return err
		}
		msg := eventCancelledReason
		if reason = strings.TrimSpace(reason); reason != "" {
			msg += ": " + reason
		}
		for _, bid := range ids {
			ok, err := s.Bookings.Transition(ctx, bid, ocop.BookingTransition{From: holding, To: ocop.BookingCancelled, At: now, Reason: msg})
			if err != nil {
				return err
			}
			if ok {
				if err := s.notify(ctx, NoticeEventCancelled, bid, e.ID); err != nil {
					return err
				}
			}
		}
		if s.Exhibition != nil {
			return s.Exhibition.EventCancelled(ctx, e, now)
		}
		return nil
	})
}

var holding = []ocop.BookingStatus{ocop.BookingOffered, ocop.BookingPending, ocop.BookingConfirmed}

func (s *Service) changeStatus(ctx context.Context, id string, fn func(ctx context.Context, e *ocop.Event, now time.Time) error) (*ocop.Event, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var e *ocop.Event
	err = s.Tx.InTx(ctx, func(ctx context.Context) error {
		if e, err = s.managed(ctx, id); err != nil {
			return err
		}
		before := e.Status
		now := s.Now()
		if err := fn(ctx, e, now); err != nil {
			return err
		}
		e.UpdatedAt = now
		return s.Audit.Record(ctx, ocop.AuditEntry{ActorID: p.UserID, Action: "event." + string(e.Status), ObjectType: "event", ObjectID: e.ID,
			Before: map[string]any{"status": before}, After: map[string]any{"status": e.Status}})
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// EventPage is an event with its confirmed exhibitors.
type EventPage struct {
	Event      *ocop.Event
	Exhibitors []ocop.Exhibitor
	// CanManage tells the caller organises it (drafts, bookings, exports).
	CanManage bool
}

// GetEvent returns a fair; drafts only to their organiser.
func (s *Service) GetEvent(ctx context.Context, id string) (*EventPage, error) {
	e, err := s.Events.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !visible(ctx, e) {
		return nil, ocop.NotFound("event")
	}
	ex, err := s.Bookings.ConfirmedExhibitors(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	if err := s.fillNames(ctx, ex); err != nil {
		return nil, err
	}
	p, ok := ocop.PrincipalFrom(ctx)
	return &EventPage{Event: e, Exhibitors: ex, CanManage: canManage(p, ok, e)}, nil
}

func (s *Service) fillNames(ctx context.Context, ex []ocop.Exhibitor) error {
	if len(ex) == 0 {
		return nil
	}
	ids := make([]string, 0, len(ex))
	for _, x := range ex {
		if !slices.Contains(ids, x.ProducerID) {
			ids = append(ids, x.ProducerID)
		}
	}
	names, err := s.Producers.Names(ctx, ids)
	if err != nil {
		return err
	}
	for i := range ex {
		ex[i].Name = names[ex[i].ProducerID]
	}
	return nil
}

// ListInput filters the public list of fairs.
type ListInput struct {
	ProvinceCode string
	From, To     string
	Q            string
	// Mine lists the caller's own events (drafts included).
	Mine   bool
	Limit  int
	Cursor string
}

type eventCursor struct {
	StartsAt time.Time `json:"s"`
	ID       string    `json:"i"`
}

// ListEvents lists published and completed fairs (or the caller's own).
func (s *Service) ListEvents(ctx context.Context, in ListInput) ([]*ocop.Event, string, error) {
	var v ocop.Validation
	f := ocop.EventFilter{Statuses: []ocop.EventStatus{ocop.EventPublished, ocop.EventCompleted}, Limit: clampLimit(in.Limit)}
	if in.Mine {
		p, err := caller(ctx)
		if err != nil {
			return nil, "", err
		}
		f.Statuses, f.OrganiserID = nil, p.UserID
	}
	if in.ProvinceCode != "" {
		places.ValidateProvince(&v, "province_code", in.ProvinceCode, false)
		f.ProvinceCode = in.ProvinceCode
	}
	hcm, _ := time.LoadLocation(ocop.DefaultEventTimeZone)
	for _, b := range []struct {
		field, val string
		dst        **time.Time
		day        int
	}{{"from", in.From, &f.From, 0}, {"to", in.To, &f.To, 1}} {
		if b.val == "" {
			continue
		}
		if t, ok := ParseEventTime(b.val, hcm); ok {
			*b.dst = &t
		} else if d, err := time.ParseInLocation("2006-01-02", b.val, hcm); err == nil {
			t := d.AddDate(0, 0, b.day).UTC() // "to" a date includes that whole day
			*b.dst = &t
		} else {
			v.Add(b.field, "must be a date (2026-03-20) or an RFC 3339 time")
		}
	}
	if q := places.Fold(in.Q); q != "" {
		f.Terms = strings.Fields(q)
		v.Check(len(f.Terms) <= 10, "q", "must have at most 10 words")
	}
	if in.Cursor != "" {
		var c eventCursor
		if !decodeCursor(in.Cursor, &c) {
			v.Add("cursor", "is not a cursor this list returned")
		}
		f.AfterStartsAt, f.AfterID = &c.StartsAt, c.ID
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	f.Limit++
	list, err := s.Events.List(ctx, f)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(list) == f.Limit {
		list = list[:len(list)-1]
		last := list[len(list)-1]
		next = encodeCursor(eventCursor{StartsAt: last.StartsAt, ID: last.ID})
	}
	return list, next, nil
}

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return 20
	case n > 100:
		return 100
	}
	return n
}

func encodeCursor(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && json.Unmarshal(b, v) == nil
}

// localTime renders t in the event's zone for messages.
func localTime(e *ocop.Event, t time.Time) string {
	return t.In(e.Location()).Format("2006-01-02 15:04 MST")
}

func windowMessage(e *ocop.Event, now time.Time) string {
	switch {
	case e.Status != ocop.EventPublished:
		return fmt.Sprintf("the event is %s; it takes no bookings", e.Status)
	case now.Before(e.BookingOpensAt):
		return "booking opens at " + localTime(e, e.BookingOpensAt)
	default:
		return "booking closed at " + localTime(e, e.BookingClosesAt)
	}
}
