package ocop

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // event time zones must resolve on hosts without a zoneinfo database
	"unicode/utf8"
)

// DefaultEventTimeZone is where almost every OCOP fair takes place.
const DefaultEventTimeZone = "Asia/Ho_Chi_Minh"

// EventStatus is the life cycle of a trade fair:
// draft -> published -> (cancelled | completed).
type EventStatus string

const (
	EventDraft     EventStatus = "draft"
	EventPublished EventStatus = "published"
	EventCancelled EventStatus = "cancelled"
	EventCompleted EventStatus = "completed"
)

// Valid reports whether s is a known status.
func (s EventStatus) Valid() bool {
	return s == EventDraft || s == EventPublished || s == EventCancelled || s == EventCompleted
}

// Eligibility are the rules a producer must meet to book a booth.
type Eligibility struct {
	// MinStars is the least OCOP star level of a verified certificate in
	// force; 0 means no certificate is required.
	MinStars int
	// ProductGroups, when not empty, restricts the qualifying certificate to
	// these product groups (taxonomy codes).
	ProductGroups []string
	// ProducerProvinces, when not empty, restricts exhibitors to producers
	// registered in these provinces (2-digit codes).
	ProducerProvinces []string
}

// Event is a trade fair. Times are UTC; TimeZone is where it happens and is
// used to show and to read local times.
type Event struct {
	ID            string
	OrganiserID   string
	Status        EventStatus
	Name          string
	Description   string
	DescriptionEN string
	Venue         string
	Address       string
	ProvinceCode  string
	CommuneCode   string
	TimeZone      string
	StartsAt      time.Time
	EndsAt        time.Time
	// Bookings are accepted in [BookingOpensAt, BookingClosesAt).
	BookingOpensAt       time.Time
	BookingClosesAt      time.Time
	Eligibility          Eligibility
	MaxBoothsPerProducer int
	SubsidisedQuota      int
	SubsidisedPriceVND   int64
	CreatedAt            time.Time
	UpdatedAt            time.Time
	PublishedAt          *time.Time
	CancelledAt          *time.Time
}

// Location returns the event's time zone (UTC if it cannot be loaded, which
// Validate prevents).
func (e *Event) Location() *time.Location {
	loc, err := time.LoadLocation(e.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// BookingOpen reports whether bookings are accepted at t.
func (e *Event) BookingOpen(t time.Time) bool {
	return e.Status == EventPublished && !t.Before(e.BookingOpensAt) && t.Before(e.BookingClosesAt)
}

var (
	codeWordRe     = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)
	provinceCodeRe = regexp.MustCompile(`^[0-9]{2}$`)
	communeCodeRe  = regexp.MustCompile(`^[0-9]{5}$`)
)

// ValidProvinceCode reports whether s looks like a 2025 province code. The
// use case checks that it exists in the reference data.
func ValidProvinceCode(s string) bool { return provinceCodeRe.MatchString(s) }

// ValidCommuneCode reports whether s looks like a 2025 commune code.
func ValidCommuneCode(s string) bool { return communeCodeRe.MatchString(s) }

// Validate reports every bad field by its JSON name.
func (e *Event) Validate(v *Validation) {
	text := func(field, val string, required bool, max int) {
		switch {
		case required && strings.TrimSpace(val) == "":
			v.Add(field, "is required")
		case utf8.RuneCountInString(val) > max:
			v.Add(field, "must be at most %d characters", max)
		}
	}
	text("name", e.Name, true, 200)
	text("description", e.Description, false, 10000)
	text("description_en", e.DescriptionEN, false, 10000)
	text("venue", e.Venue, true, 200)
	text("address", e.Address, true, 500)
	v.Check(ValidProvinceCode(e.ProvinceCode), "province_code", "must be a 2-digit province code")
	v.Check(e.CommuneCode == "" || ValidCommuneCode(e.CommuneCode), "commune_code", "must be a 5-digit commune code")
	if _, err := time.LoadLocation(e.TimeZone); err != nil || e.TimeZone == "" || e.TimeZone == "Local" {
		v.Add("time_zone", "must be an IANA time zone such as Asia/Ho_Chi_Minh")
	}
	v.Check(!e.StartsAt.IsZero(), "starts_at", "is required")
	v.Check(!e.EndsAt.IsZero(), "ends_at", "is required")
	if !v.Has("starts_at") && !v.Has("ends_at") {
		v.Check(e.EndsAt.After(e.StartsAt), "ends_at", "must be after starts_at")
		v.Check(e.EndsAt.Sub(e.StartsAt) <= 60*24*time.Hour, "ends_at", "a fair lasts at most 60 days")
	}
	v.Check(!e.BookingOpensAt.IsZero(), "booking_opens_at", "is required")
	v.Check(!e.BookingClosesAt.IsZero(), "booking_closes_at", "is required")
	if !v.Has("booking_opens_at") && !v.Has("booking_closes_at") {
		v.Check(e.BookingClosesAt.After(e.BookingOpensAt), "booking_closes_at", "must be after booking_opens_at")
		if !v.Has("ends_at") && !e.EndsAt.IsZero() {
			v.Check(!e.BookingClosesAt.After(e.EndsAt), "booking_closes_at", "must not be after the fair ends")
		}
	}
	el := e.Eligibility
	v.Check(el.MinStars == 0 || (el.MinStars >= 3 && el.MinStars <= 5), "eligibility.min_stars", "must be 0 (no certificate needed) or 3 to 5 (OCOP certificates start at 3 stars)")
	v.Check(len(el.ProductGroups) <= 50, "eligibility.product_groups", "must list at most 50 groups")
	for _, g := range el.ProductGroups {
		if !codeWordRe.MatchString(g) {
			v.Add("eligibility.product_groups", "%q is not a product group code", g)
			break
		}
	}
	v.Check(len(el.ProducerProvinces) <= 34, "eligibility.producer_provinces", "must list at most 34 provinces")
	for _, p := range el.ProducerProvinces {
		if !ValidProvinceCode(p) {
			v.Add("eligibility.producer_provinces", "%q is not a 2-digit province code", p)
			break
		}
	}
	v.Check(e.MaxBoothsPerProducer >= 1 && e.MaxBoothsPerProducer <= 100, "max_booths_per_producer", "must be between 1 and 100")
	v.Check(e.SubsidisedQuota >= 0 && e.SubsidisedQuota <= 10000, "subsidised_quota", "must be between 0 and 10000")
	v.Check(e.SubsidisedPriceVND >= 0 && e.SubsidisedPriceVND <= MaxPriceVND, "subsidised_price_vnd", "must be between 0 and %d", MaxPriceVND)
}

// MaxPriceVND bounds prices (one trillion dong) so sums cannot overflow.
const MaxPriceVND = 1_000_000_000_000

// NormalizeCodes trims, deduplicates and sorts a code list.
func NormalizeCodes(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		s = strings.ToLower(strings.TrimSpace(s))
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// BoothFeature is an amenity of a booth.
type BoothFeature = string

var boothFeatureRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// Booth is a stand on a fair's floor plan. Position and size are in metres
// from the top-left corner of the hall.
type Booth struct {
	ID        string
	EventID   string
	Code      string
	Zone      string
	SizeM2    float64
	PriceVND  int64
	X, Y      float64
	Width     float64
	Height    float64
	Features  []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

var boothCodeRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$`)

// MaxFloorMetres bounds floor plan coordinates (a 2 km hall is plenty).
const MaxFloorMetres = 2000

// Validate reports bad fields, prefixed (e.g. "booths[3].code").
func (b *Booth) Validate(v *Validation, prefix string) {
	f := func(name string) string { return prefix + name }
	v.Check(boothCodeRe.MatchString(b.Code), f("code"), "must be 1 to 32 letters, digits, '.', '_' or '-'")
	v.Check(b.Zone != "" && utf8.RuneCountInString(b.Zone) <= 40 && strings.TrimSpace(b.Zone) == b.Zone, f("zone"), "is required (at most 40 characters, no surrounding spaces)")
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	v.Check(finite(b.SizeM2) && b.SizeM2 > 0 && b.SizeM2 <= 10000, f("size_m2"), "must be more than 0 and at most 10000")
	v.Check(b.PriceVND >= 0 && b.PriceVND <= MaxPriceVND, f("price_vnd"), "must be between 0 and %d", MaxPriceVND)
	v.Check(finite(b.X) && b.X >= 0 && b.X <= MaxFloorMetres, f("x"), "must be between 0 and %d", MaxFloorMetres)
	v.Check(finite(b.Y) && b.Y >= 0 && b.Y <= MaxFloorMetres, f("y"), "must be between 0 and %d", MaxFloorMetres)
	v.Check(finite(b.Width) && b.Width > 0 && b.Width <= MaxFloorMetres, f("width"), "must be more than 0 and at most %d", MaxFloorMetres)
	v.Check(finite(b.Height) && b.Height > 0 && b.Height <= MaxFloorMetres, f("height"), "must be more than 0 and at most %d", MaxFloorMetres)
	v.Check(len(b.Features) <= 10, f("features"), "must list at most 10 features")
	for _, ft := range b.Features {
		if !boothFeatureRe.MatchString(ft) {
			v.Add(f("features"), "%q is not a feature word such as corner or power", ft)
			break
		}
	}
}

// BookingStatus is the life cycle of a booking:
//
//	offered (a waitlist offer) -> pending | declined | expired
//	pending (a hold)           -> confirmed | rejected | cancelled | expired
//	confirmed                  -> cancelled
type BookingStatus string

const (
	BookingOffered   BookingStatus = "offered"
	BookingPending   BookingStatus = "pending"
	BookingConfirmed BookingStatus = "confirmed"
	BookingRejected  BookingStatus = "rejected"
	BookingCancelled BookingStatus = "cancelled"
	BookingExpired   BookingStatus = "expired"
	BookingDeclined  BookingStatus = "declined"
)

// AllBookingStatuses lists every status.
var AllBookingStatuses = []BookingStatus{BookingOffered, BookingPending, BookingConfirmed, BookingRejected, BookingCancelled, BookingExpired, BookingDeclined}

// Valid reports whether s is a known status.
func (s BookingStatus) Valid() bool { return slices.Contains(AllBookingStatuses, s) }

// HoldsBooth reports whether a booking in this status keeps the booth from
// everyone else (the database enforces one such booking per booth).
func (s BookingStatus) HoldsBooth() bool {
	return s == BookingOffered || s == BookingPending || s == BookingConfirmed
}

// Active reports whether the booking counts towards the producer's cap.
func (s BookingStatus) Active() bool { return s == BookingPending || s == BookingConfirmed }

// Qualification is the evidence that made a producer eligible, kept on the
// booking so that the database can re-check it against the event's rules.
type Qualification struct {
	CertificateID string
	Stars         int
	ProductGroup  string
	Province      string
}

// Booking is a producer's claim on a booth.
type Booking struct {
	ID         string
	EventID    string
	BoothID    string
	BoothCode  string
	Zone       string
	ProducerID string
	UserID     string
	Status     BookingStatus
	// PriceVND is the price agreed when the booking was made; later edits of
	// the booth's price do not change it.
	PriceVND   int64
	Subsidised bool
	// ProducerSlot numbers the producer's active bookings 1..cap; the
	// database keeps them unique, which is what enforces the cap.
	ProducerSlot int
	SubsidySlot  int
	Qualification
	WaitlistEntryID string
	Note            string
	Reason          string
	// HoldExpiresAt is when a pending hold lapses, or when a waitlist offer
	// must be answered by.
	HoldExpiresAt *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	ConfirmedAt   *time.Time
	EndedAt       *time.Time
}

// WaitlistStatus is the life cycle of a waitlist entry.
type WaitlistStatus string

const (
	WaitlistWaiting WaitlistStatus = "waiting"
	WaitlistOffered WaitlistStatus = "offered"
	WaitlistBooked  WaitlistStatus = "booked"
	WaitlistLapsed  WaitlistStatus = "lapsed"
	WaitlistLeft    WaitlistStatus = "left"
)

// WaitlistEntry is a producer queueing for a full zone.
type WaitlistEntry struct {
	ID         string
	EventID    string
	Zone       string
	ProducerID string
	UserID     string
	Status     WaitlistStatus
	Qualification
	// BookingID is the current or last offer made to this entry.
	BookingID string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Exhibitor is a producer with a confirmed booth, for public pages.
type Exhibitor struct {
	ProducerID string
	Name       string
	BoothCode  string
	Zone       string
}

// FormatStars renders a star level for messages.
func FormatStars(n int) string { return fmt.Sprintf("%d★", n) }

// EventFilter selects events for a list.
type EventFilter struct {
	Statuses     []EventStatus
	OrganiserID  string
	ProvinceCode string
	// From/To select events overlapping [From, To).
	From, To *time.Time
	// Terms must all occur in the folded search text.
	Terms []string
	// After is the keyset cursor (starts_at, id) of the last event seen.
	AfterStartsAt *time.Time
	AfterID       string
	Limit         int
}

// BoothState is a booth with the booking that holds it, if any.
type BoothState struct {
	Booth     *Booth
	BookingID string
	Status    BookingStatus // "" when free
	Producer  string
}

// BookingTransition is a status change with the columns it sets.
type BookingTransition struct {
	From []BookingStatus
	To   BookingStatus
	At   time.Time
	// ProducerSlot and SubsidySlot are set when the booking becomes active.
	ProducerSlot, SubsidySlot int
	HoldExpiresAt             *time.Time
	Reason                    string
}

// BookingFilter selects bookings for a list.
type BookingFilter struct {
	EventID     string
	ProducerIDs []string
	Statuses    []BookingStatus
	// Keyset cursor (created_at, id) of the last booking seen.
	AfterCreatedAt *time.Time
	AfterID        string
	Limit          int
}
