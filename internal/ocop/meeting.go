package ocop

import (
	"regexp"
	"slices"
	"time"
	"unicode/utf8"
)

// MeetingMode says how a meeting request becomes a meeting.
type MeetingMode string

const (
	// MeetingApprove: the producer accepts or declines each request.
	MeetingApprove MeetingMode = "approve"
	// MeetingAuto: a request for a free slot is a meeting at once.
	MeetingAuto MeetingMode = "auto"
)

// Valid reports whether m is a known mode.
func (m MeetingMode) Valid() bool { return m == MeetingApprove || m == MeetingAuto }

// MeetingProgramme is an event's B2B meeting schedule: on each day, slots of
// SlotMinutes from DayStart to DayEnd (local time of the event), each with
// Tables tables.
type MeetingProgramme struct {
	EventID string
	// Days are local dates (YYYY-MM-DD), sorted.
	Days []string
	// DayStart and DayEnd are local wall-clock times (HH:MM).
	DayStart, DayEnd   string
	SlotMinutes        int
	Tables             int
	RequestExpiryHours int
	// DailyCap bounds each participant's meetings (for buyers: requests
	// and meetings) per day.
	DailyCap  int
	Mode      MeetingMode
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Meeting programme limits, shared by validation and the API contract.
const (
	MeetingMaxDays      = 14
	MeetingMaxTables    = 1000
	MeetingMaxDailyCap  = 100
	MeetingMaxExpiryH   = 720
	MeetingMaxListings  = 5
	MeetingNoteMax      = 1000
	MeetingCompanyMax   = 200
	MeetingMaxInterests = 30
)

var clockRe = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// Validate reports every bad field by its JSON name.
func (p *MeetingProgramme) Validate(v *Validation) {
	v.Check(len(p.Days) >= 1 && len(p.Days) <= MeetingMaxDays, "days", "must list 1 to %d dates", MeetingMaxDays)
	for _, d := range p.Days {
		if _, err := time.Parse("2006-01-02", d); err != nil {
			v.Add("days", "%q is not a date YYYY-MM-DD", d)
			break
		}
	}
	v.Check(clockRe.MatchString(p.DayStart), "day_start", "must be a time HH:MM")
	v.Check(clockRe.MatchString(p.DayEnd), "day_end", "must be a time HH:MM")
	if !v.Has("day_start") && !v.Has("day_end") {
		v.Check(p.DayEnd > p.DayStart, "day_end", "must be after day_start")
	}
	v.Check(p.SlotMinutes >= 5 && p.SlotMinutes <= 240, "slot_minutes", "must be between 5 and 240")
	v.Check(p.Tables >= 1 && p.Tables <= MeetingMaxTables, "tables", "must be between 1 and %d", MeetingMaxTables)
	v.Check(p.RequestExpiryHours >= 1 && p.RequestExpiryHours <= MeetingMaxExpiryH, "request_expiry_hours", "must be between 1 and %d", MeetingMaxExpiryH)
	v.Check(p.DailyCap >= 1 && p.DailyCap <= MeetingMaxDailyCap, "daily_cap", "must be between 1 and %d", MeetingMaxDailyCap)
	v.Check(p.Mode.Valid(), "mode", "must be approve (the producer answers each request) or auto (free slots are booked at once)")
}

// MeetingSlot is one time slot of a programme.
type MeetingSlot struct {
	Start, End time.Time
	// Day is the local date of the slot (daily caps count per day).
	Day string
}

// Slots lists the programme's slots in order (times in UTC). A slot that
// would run past DayEnd is left out.
func (p *MeetingProgramme) Slots(loc *time.Location) []MeetingSlot {
	var out []MeetingSlot
	step := time.Duration(p.SlotMinutes) * time.Minute
	if step <= 0 {
		return nil
	}
	for _, d := range p.Days {
		start, err1 := time.ParseInLocation("2006-01-02 15:04", d+" "+p.DayStart, loc)
		end, err2 := time.ParseInLocation("2006-01-02 15:04", d+" "+p.DayEnd, loc)
		if err1 != nil || err2 != nil {
			continue
		}
		for t := start; !t.Add(step).After(end); t = t.Add(step) {
			out = append(out, MeetingSlot{Start: t.UTC(), End: t.Add(step).UTC(), Day: d})
		}
	}
	return out
}

// Slot finds the slot starting at t.
func (p *MeetingProgramme) Slot(loc *time.Location, t time.Time) (MeetingSlot, bool) {
	for _, s := range p.Slots(loc) {
		if s.Start.Equal(t) {
			return s, true
		}
	}
	return MeetingSlot{}, false
}

// BuyerRegistration is a buyer's registration for an event's meetings.
type BuyerRegistration struct {
	ID      string
	EventID string
	BuyerID string
	Company string
	// Interests are product group or product set codes of the taxonomy.
	Interests []string
	// SourcingProvinces are the provinces the buyer sources from.
	SourcingProvinces []string
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Validate checks the free-text and list sizes (the use case checks codes
// against the reference data).
func (r *BuyerRegistration) Validate(v *Validation) {
	v.Check(r.Company != "" && utf8.RuneCountInString(r.Company) <= MeetingCompanyMax, "company", "is required (at most %d characters)", MeetingCompanyMax)
	v.Check(len(r.Interests) <= MeetingMaxInterests, "interests", "must list at most %d product groups or sets", MeetingMaxInterests)
	v.Check(len(r.SourcingProvinces) <= 34, "sourcing_provinces", "must list at most 34 provinces")
}

// MeetingStatus is the life cycle of a meeting:
//
//	pending  -> accepted | declined | cancelled | expired
//	accepted -> cancelled | held | no_show
type MeetingStatus string

const (
	MeetingPending   MeetingStatus = "pending"
	MeetingAccepted  MeetingStatus = "accepted"
	MeetingDeclined  MeetingStatus = "declined"
	MeetingCancelled MeetingStatus = "cancelled"
	MeetingExpired   MeetingStatus = "expired"
	MeetingHeld      MeetingStatus = "held"
	MeetingNoShow    MeetingStatus = "no_show"
)

// MeetingStatuses lists every status.
var MeetingStatuses = []MeetingStatus{MeetingPending, MeetingAccepted, MeetingDeclined, MeetingCancelled, MeetingExpired, MeetingHeld, MeetingNoShow}

// Valid reports whether s is a known status.
func (s MeetingStatus) Valid() bool { return slices.Contains(MeetingStatuses, s) }

// TakesTable reports whether the meeting has (or had) a table: accepted,
// and what an accepted meeting becomes.
func (s MeetingStatus) TakesTable() bool {
	return s == MeetingAccepted || s == MeetingHeld || s == MeetingNoShow
}

// HoldsBuyer reports whether the meeting keeps the buyer's slot.
func (s MeetingStatus) HoldsBuyer() bool { return s == MeetingPending || s.TakesTable() }

// Meeting is a buyer's meeting (or request for one) with an exhibitor in
// one slot of a fair.
type Meeting struct {
	ID               string
	EventID          string
	RegistrationID   string
	BuyerID          string
	ProducerID       string
	ProducerProvince string
	SlotStart        time.Time
	SlotEnd          time.Time
	Day              string
	Status           MeetingStatus
	// Table is the table number (1..tables) of an accepted meeting.
	Table int
	// BuyerDaySeq and ProducerDaySeq number the participants' meetings of
	// the day 1..cap; the database keeps them unique (the daily cap).
	BuyerDaySeq    int
	ProducerDaySeq int
	ListingIDs     []string
	// ProductGroups are the groups of the listings of interest at request
	// time (the funnel reports by them).
	ProductGroups []string
	Note          string
	Reason        string
	ExpiresAt     *time.Time
	InquiryID     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	AcceptedAt    *time.Time
	EndedAt       *time.Time
}

// MeetingTransition is a status change with the columns it sets.
type MeetingTransition struct {
	From []MeetingStatus
	To   MeetingStatus
	At   time.Time
	// Table and ProducerDaySeq are set when the meeting is accepted.
	Table, ProducerDaySeq int
	Reason                string
}

// MeetingFilter selects meetings.
type MeetingFilter struct {
	EventID     string
	BuyerID     string
	ProducerIDs []string
	// Either (buyer or producer) matches both BuyerID and ProducerIDs with OR.
	Either   bool
	Statuses []MeetingStatus
	From     *time.Time
	Limit    int
}

// MeetingExhibitor is a producer with a confirmed booth at a fair.
type MeetingExhibitor struct {
	ProducerID   string
	Name         string
	ProvinceCode string
	BoothCode    string
	Zone         string
}

// ListingBrief is what meetings show of a published listing.
type ListingBrief struct {
	ID           string
	ProducerID   string
	Title        string
	ProductGroup string
	ProductSet   string
}
