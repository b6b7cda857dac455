// Package meetings is the B2B matchmaking use case of trade fairs: the
// organiser sets a meeting programme (days, hours, slot length, tables),
// buyers register and request meetings with exhibiting producers (those
// with a confirmed booth), producers accept or decline (or accept
// automatically), and after the fair a held meeting can continue as an
// inquiry in the marketplace. The organiser follows the funnel from
// registrations to won deals.
//
// The scheduling rules (nobody in two meetings at once, no slot above its
// table capacity, daily caps, registered buyers and exhibiting producers
// only) are checked here to give clear answers, and again by the database
// (migration 00070), so that no interleaving of requests can break them.
package meetings

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/places"
	"github.com/ocopconnect/ocopconnect/internal/taxonomy"
)

// Repo stores programmes, registrations, exhibitor settings and meetings.
type Repo interface {
	Programme(ctx context.Context, eventID string) (*ocop.MeetingProgramme, error)
	SaveProgramme(ctx context.Context, p *ocop.MeetingProgramme) error
	CountActive(ctx context.Context, eventID string) (int64, error)
	CreateRegistration(ctx context.Context, g *ocop.BuyerRegistration) error
	Registration(ctx context.Context, id string) (*ocop.BuyerRegistration, error)
	RegistrationOf(ctx context.Context, eventID, buyerID string) (*ocop.BuyerRegistration, error)
	Registrations(ctx context.Context, eventID string) ([]*ocop.BuyerRegistration, error)
	Exhibitors(ctx context.Context, eventID string) ([]ocop.MeetingExhibitor, error)
	PublishedListings(ctx context.Context, producerIDs []string) ([]ocop.ListingBrief, error)
	Settings(ctx context.Context, eventID, producerID string) (string, []time.Time, error)
	SaveSettings(ctx context.Context, eventID, producerID, approval string, away []time.Time, at time.Time) error
	Create(ctx context.Context, m *ocop.Meeting, tables, dailyCap int) error
	Get(ctx context.Context, id string) (*ocop.Meeting, error)
	Transition(ctx context.Context, id string, t ocop.MeetingTransition) (bool, error)
	SetInquiry(ctx context.Context, id, inquiryID string, at time.Time) (bool, error)
	UsedTables(ctx context.Context, eventID string, slot time.Time) ([]int, error)
	UsedDaySeqs(ctx context.Context, eventID, day, participantID string, producer bool) ([]int, error)
	InSlot(ctx context.Context, eventID string, slot time.Time, buyerID, producerID string, statuses []ocop.MeetingStatus) ([]*ocop.Meeting, error)
	List(ctx context.Context, f ocop.MeetingFilter) ([]*ocop.Meeting, error)
	Lapsed(ctx context.Context, now time.Time, eventID, buyerID string, limit int) ([]*ocop.Meeting, error)
	ClaimExpiryWarnings(ctx context.Context, before, now time.Time, limit int) ([]*ocop.Meeting, error)
	ClaimReminders(ctx context.Context, before, now time.Time, limit int) ([]*ocop.Meeting, error)
	TablesInUse(ctx context.Context, eventID string) (map[time.Time]int, error)
}

// Events reads trade fairs.
type Events interface {
	Get(ctx context.Context, id string) (*ocop.Event, error)
}

// Members tells which producers a user acts for.
type Members interface {
	IDsFor(ctx context.Context, userID string) ([]string, error)
}

// InquiryRequest opens an inquiry thread from a held meeting, as its buyer
// (the caller in ctx).
type InquiryRequest struct {
	MeetingID string
	// ListingID is the listing the thread is about; Others are the other
	// listings of interest, named in the opening message.
	ListingID            string
	Others               []ocop.ListingBrief
	Quantity             int64
	Unit                 string
	DeliveryProvinceCode string
	NeededBy             string // YYYY-MM-DD
	Message              string
}

// InquiryOutcome is how far an inquiry got.
type InquiryOutcome struct {
	Quoted, Won bool
}

// Inquiries is the port to the inquiries use case (issue 6). A nil port
// answers service_unavailable to POST /meetings/{id}/inquiry and counts no
// quotes or wins in the funnel.
type Inquiries interface {
	// OpenFromMeeting creates the inquiry (its own transaction) and
	// returns its ID.
	OpenFromMeeting(ctx context.Context, in InquiryRequest) (string, error)
	// Outcomes reports, by inquiry ID, whether each was quoted and won.
	Outcomes(ctx context.Context, ids []string) (map[string]InquiryOutcome, error)
}

// Settings are the timings of notices.
type Settings struct {
	// ExpiryWarning is how long before a pending request lapses the
	// producer is reminded to answer it (0 = never).
	ExpiryWarning time.Duration
	// ReminderBefore is how long before a meeting both sides get their
	// agenda reminder (0 = never).
	ReminderBefore time.Duration
}

// Service is the fair-meetings use case.
type Service struct {
	Tx        ocop.Transactor
	Repo      Repo
	Events    Events
	Members   Members
	Inquiries Inquiries
	Outbox    ocop.Outbox
	Audit     ocop.AuditLog
	Codes     *Signer
	Settings  Settings
	Now       ocop.Clock
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func caller(ctx context.Context) (ocop.Principal, error) {
	p, ok := ocop.PrincipalFrom(ctx)
	if !ok {
		return p, ocop.Errorf(ocop.CodeUnauthenticated, "send an access token: Authorization: Bearer <token>")
	}
	return p, nil
}

func organises(p ocop.Principal, e *ocop.Event) bool {
	return p.UserID == e.OrganiserID || p.HasRole(ocop.RoleAdmin)
}

// event loads a fair the caller may see (drafts only by their organiser).
func (s *Service) event(ctx context.Context, id string) (*ocop.Event, error) {
	e, err := s.Events.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if e.Status == ocop.EventDraft {
		p, ok := ocop.PrincipalFrom(ctx)
		if !ok || !organises(p, e) {
			return nil, ocop.NotFound("event")
		}
	}
	return e, nil
}

// managed loads a fair the caller organises; any other is not found.
func (s *Service) managed(ctx context.Context, id string) (*ocop.Event, ocop.Principal, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, p, err
	}
	e, err := s.Events.Get(ctx, id)
	if err != nil {
		return nil, p, err
	}
	if !organises(p, e) {
		return nil, p, ocop.NotFound("event")
	}
	return e, p, nil
}

// Notice kinds sent through the outbox (topic NotificationTopic).
const (
	NoticeRequested = "meeting_requested"
	NoticeAccepted  = "meeting_accepted"
	NoticeDeclined  = "meeting_declined"
	NoticeCancelled = "meeting_cancelled"
	NoticeExpired   = "meeting_expired"
	NoticeExpiring  = "meeting_request_expiring"
	NoticeReminder  = "meeting_reminder"
)

// NotificationTopic is the outbox topic of meeting notifications.
const NotificationTopic = "meetings.notification"

// Notice is the outbox payload; the handler reads the meeting's current
// state by its ID, so a late message never reports a stale status.
type Notice struct {
	Kind      string `json:"kind"`
	MeetingID string `json:"meeting_id"`
	EventID   string `json:"event_id"`
}

func (s *Service) notify(ctx context.Context, kind string, m *ocop.Meeting) error {
	payload, _ := json.Marshal(Notice{Kind: kind, MeetingID: m.ID, EventID: m.EventID})
	return s.Outbox.Enqueue(ctx, ocop.OutboxMessage{Topic: NotificationTopic, Key: m.ID, Payload: payload})
}

// --- programme ---

// ProgrammeInput is the organiser's meeting programme.
type ProgrammeInput struct {
	Days               []string
	DayStart, DayEnd   string
	SlotMinutes        int
	Tables             int
	RequestExpiryHours int
	DailyCap           int
	Mode               string
}

// SetProgramme creates or replaces an event's meeting programme. The slot
// grid (days, hours, slot length) cannot change once meetings are booked;
// tables and the daily cap can, but not below what is in use.
func (s *Service) SetProgramme(ctx context.Context, eventID string, in ProgrammeInput) (*ocop.MeetingProgramme, error) {
	e, p, err := s.managed(ctx, eventID)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	prog := &ocop.MeetingProgramme{EventID: e.ID, Days: ocop.NormalizeCodes(in.Days), DayStart: strings.TrimSpace(in.DayStart),
		DayEnd: strings.TrimSpace(in.DayEnd), SlotMinutes: in.SlotMinutes, Tables: in.Tables, RequestExpiryHours: in.RequestExpiryHours,
		DailyCap: in.DailyCap, Mode: ocop.MeetingMode(in.Mode), CreatedAt: now, UpdatedAt: now}
	var v ocop.Validation
	prog.Validate(&v)
	if !v.Has("days") {
		loc := e.Location()
		for _, d := range prog.Days {
			day, _ := time.ParseInLocation("2006-01-02", d, loc)
			if day.AddDate(0, 0, 1).Before(e.StartsAt) || !day.Before(e.EndsAt) {
				v.Add("days", "%s is not a day of the fair (%s to %s)", d, e.StartsAt.In(loc).Format("2006-01-02"), e.EndsAt.In(loc).Format("2006-01-02"))
				break
			}
		}
	}
	if err := v.Err(); err == nil && len(prog.Slots(e.Location())) == 0 {
		v.Add("slot_minutes", "leaves no slot between day_start and day_end")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if e.Status != ocop.EventDraft && e.Status != ocop.EventPublished {
		return nil, ocop.Errorf(ocop.CodeInvalidTransition, "a %s fair has no meetings to schedule", e.Status)
	}
	err = s.Tx.InTx(ctx, func(ctx context.Context) error {
		old, err := s.Repo.Programme(ctx, e.ID)
		switch {
		case ocop.IsCode(err, ocop.CodeNotFound):
		case err != nil:
			return err
		default:
			prog.CreatedAt = old.CreatedAt
			if !slices.Equal(old.Days, prog.Days) || old.DayStart != prog.DayStart || old.DayEnd != prog.DayEnd || old.SlotMinutes != prog.SlotMinutes {
				n, err := s.Repo.CountActive(ctx, e.ID)
				if err != nil {
					return err
				}
				if n > 0 {
					return ocop.Errorf(ocop.CodeConflict, "%d meetings and requests are booked on the current slots; the days, hours and slot length can no longer change (tables, cap, expiry and mode can)", n)
				}
			}
		}
		if err := s.Repo.SaveProgramme(ctx, prog); err != nil {
			if cv, ok := ocop.AsConstraint(err); ok {
				switch cv.Name {
				case "meetings_table_within_capacity":
					return &ocop.Error{Code: ocop.CodeConflict, Message: "more tables are in use in some slot than the new number of tables",
						Fields: []ocop.FieldError{{Field: "tables", Message: "is below the tables already taken in some slot"}}, Err: err}
				case "meetings_within_daily_cap":
					return &ocop.Error{Code: ocop.CodeConflict, Message: "some participants already have more meetings on a day than the new cap",
						Fields: []ocop.FieldError{{Field: "daily_cap", Message: "is below the meetings some participants already have on a day"}}, Err: err}
				}
			}
			return err
		}
		return s.Audit.Record(ctx, ocop.AuditEntry{ActorID: p.UserID, Action: "meeting_programme.saved", ObjectType: "event", ObjectID: e.ID,
			After: map[string]any{"tables": prog.Tables, "slot_minutes": prog.SlotMinutes, "mode": prog.Mode}})
	})
	if err != nil {
		return nil, err
	}
	return prog, nil
}

// SlotView is a slot with the tables still free.
type SlotView struct {
	ocop.MeetingSlot
	TablesFree int
}

// ProgrammeView is a programme with its slots.
type ProgrammeView struct {
	Programme *ocop.MeetingProgramme
	Event     *ocop.Event
	Slots     []SlotView
}

// Programme returns an event's meeting programme and its slots.
func (s *Service) Programme(ctx context.Context, eventID string) (*ProgrammeView, error) {
	e, err := s.event(ctx, eventID)
	if err != nil {
		return nil, err
	}
	prog, err := s.Repo.Programme(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	used, err := s.Repo.TablesInUse(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	v := &ProgrammeView{Programme: prog, Event: e}
	for _, sl := range prog.Slots(e.Location()) {
		v.Slots = append(v.Slots, SlotView{MeetingSlot: sl, TablesFree: max(prog.Tables-used[sl.Start], 0)})
	}
	return v, nil
}

// --- registrations ---

// RegisterInput is a buyer's registration.
type RegisterInput struct {
	Company           string
	Interests         []string
	SourcingProvinces []string
}

// Registration is a registration with its signed door code.
type Registration struct {
	*ocop.BuyerRegistration
	Code string
}

// validInterest reports whether code is a product group or set of the
// current taxonomy.
func validInterest(code string) bool {
	_, ok := groupOfInterest(code)
	return ok
}

// groupOfInterest returns the group a group or set code belongs to.
func groupOfInterest(code string) (string, bool) {
	cur := taxonomy.Current()
	if g, ok := cur.Group(code); ok {
		return g.Code, true
	}
	for _, g := range cur.Groups {
		if _, ok := g.Set(code); ok {
			return g.Code, true
		}
	}
	return "", false
}

// Register signs the caller (a buyer) up for an event's meetings.
func (s *Service) Register(ctx context.Context, eventID string, in RegisterInput) (*Registration, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if !p.HasRole(ocop.RoleBuyer) {
		return nil, ocop.Errorf(ocop.CodeForbidden, "only buyer accounts register for fair meetings")
	}
	e, err := s.event(ctx, eventID)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	g := &ocop.BuyerRegistration{ID: newID(), EventID: e.ID, BuyerID: p.UserID, Company: strings.TrimSpace(in.Company),
		Interests: ocop.NormalizeCodes(in.Interests), SourcingProvinces: ocop.NormalizeCodes(in.SourcingProvinces), CreatedAt: now, UpdatedAt: now}
	var v ocop.Validation
	g.Validate(&v)
	for _, c := range g.Interests {
		if !validInterest(c) {
			v.Add("interests", "%q is not a product group or product set code (GET /api/v1/taxonomy)", c)
			break
		}
	}
	for _, c := range g.SourcingProvinces {
		if _, ok := places.LookupProvince(c); !ok {
			v.Add("sourcing_provinces", "%q is not a province code in force since 1 July 2025", c)
			break
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if e.Status != ocop.EventPublished || !now.Before(e.EndsAt) {
		return nil, ocop.Errorf(ocop.CodeInvalidTransition, "registration is open while the fair is published and not over; it is %s", e.Status)
	}
	err = s.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.Repo.CreateRegistration(ctx, g); err != nil {
			if cv, ok := ocop.AsConstraint(err); ok && cv.Name == "meeting_registrations_one_per_buyer" {
				return &ocop.Error{Code: ocop.CodeConflict, Message: "you are already registered for this fair's meetings", Err: err}
			}
			return err
		}
		return s.Audit.Record(ctx, ocop.AuditEntry{ActorID: p.UserID, Action: "meeting_registration.created", ObjectType: "meeting_registration",
			ObjectID: g.ID, After: map[string]any{"event_id": e.ID, "company": g.Company}})
	})
	if err != nil {
		return nil, err
	}
	return &Registration{BuyerRegistration: g, Code: s.Codes.Sign(g)}, nil
}

// GetRegistration returns a registration to its buyer or the organiser.
func (s *Service) GetRegistration(ctx context.Context, id string) (*Registration, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	g, err := s.Repo.Registration(ctx, id)
	if err != nil {
		return nil, err
	}
	if g.BuyerID != p.UserID {
		e, err := s.Events.Get(ctx, g.EventID)
		if err != nil {
			return nil, err
		}
		if !organises(p, e) {
			return nil, ocop.NotFound("registration")
		}
	}
	return &Registration{BuyerRegistration: g, Code: s.Codes.Sign(g)}, nil
}

// MyRegistration returns the caller's registration for an event.
func (s *Service) MyRegistration(ctx context.Context, eventID string) (*Registration, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	g, err := s.Repo.RegistrationOf(ctx, eventID, p.UserID)
	if err != nil {
		return nil, err
	}
	return &Registration{BuyerRegistration: g, Code: s.Codes.Sign(g)}, nil
}

// VerifyCode checks a registration code at the door (organiser). A forged
// or damaged code, or one for another fair, is invalid_registration_code.
func (s *Service) VerifyCode(ctx context.Context, eventID, code string) (*Registration, error) {
	e, _, err := s.managed(ctx, eventID)
	if err != nil {
		return nil, err
	}
	c, err := s.Codes.Verify(code)
	if err != nil {
		return nil, err
	}
	if c.EventID != e.ID {
		return nil, ocop.Errorf(ocop.CodeInvalidRegistCode, "the code is genuine but for another fair")
	}
	g, err := s.Repo.Registration(ctx, c.RegistrationID)
	if ocop.IsCode(err, ocop.CodeNotFound) {
		return nil, ocop.Errorf(ocop.CodeInvalidRegistCode, "the code is signed but its registration no longer exists")
	}
	if err != nil {
		return nil, err
	}
	if g.BuyerID != c.BuyerID || g.EventID != c.EventID {
		return nil, ocop.Errorf(ocop.CodeInvalidRegistCode, "the code does not match its registration")
	}
	return &Registration{BuyerRegistration: g, Code: code}, nil
}

// PublicKey is the key that verifies registration codes offline.
func (s *Service) PublicKey() ed25519.PublicKey { return s.Codes.PublicKey() }

// --- exhibitors ---

// Exhibitor is an exhibiting producer with its published listings.
type Exhibitor struct {
	ocop.MeetingExhibitor
	Listings []ocop.ListingBrief
}

// ExhibitorsInput filters exhibitors.
type ExhibitorsInput struct {
	EventID      string
	Group        string // product group or set code: exhibitors with a listing in it
	ProvinceCode string
}

// Exhibitors lists the producers with a confirmed booth, with their
// published listings.
func (s *Service) Exhibitors(ctx context.Context, in ExhibitorsInput) ([]Exhibitor, error) {
	var v ocop.Validation
	if in.Group != "" && !validInterest(in.Group) {
		v.Add("group", "%q is not a product group or product set code", in.Group)
	}
	if in.ProvinceCode != "" {
		places.ValidateProvince(&v, "province_code", in.ProvinceCode, false)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	e, err := s.event(ctx, in.EventID)
	if err != nil {
		return nil, err
	}
	return s.exhibitors(ctx, e.ID, in.Group, in.ProvinceCode)
}

func (s *Service) exhibitors(ctx context.Context, eventID, group, province string) ([]Exhibitor, error) {
	xs, err := s.Repo.Exhibitors(ctx, eventID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(xs))
	for i, x := range xs {
		ids[i] = x.ProducerID
	}
	ls, err := s.Repo.PublishedListings(ctx, ids)
	if err != nil {
		return nil, err
	}
	by := map[string][]ocop.ListingBrief{}
	for _, l := range ls {
		by[l.ProducerID] = append(by[l.ProducerID], l)
	}
	out := make([]Exhibitor, 0, len(xs))
	for _, x := range xs {
		if province != "" && x.ProvinceCode != province {
			continue
		}
		ex := Exhibitor{MeetingExhibitor: x, Listings: by[x.ProducerID]}
		if group != "" && !slices.ContainsFunc(ex.Listings, func(l ocop.ListingBrief) bool { return l.ProductGroup == group || l.ProductSet == group }) {
			continue
		}
		out = append(out, ex)
	}
	return out, nil
}

// exhibitor returns the producer's exhibitor entry, or not_exhibiting.
func (s *Service) exhibitor(ctx context.Context, eventID, producerID string) (Exhibitor, error) {
	xs, err := s.exhibitors(ctx, eventID, "", "")
	if err != nil {
		return Exhibitor{}, err
	}
	for _, x := range xs {
		if x.ProducerID == producerID {
			return x, nil
		}
	}
	return Exhibitor{}, ocop.Errorf(ocop.CodeNotExhibiting, "the producer has no confirmed booth at this fair; only exhibitors receive meeting requests")
}

// ExhibitorSettings is an exhibitor's meeting preferences.
type ExhibitorSettings struct {
	EventID    string
	ProducerID string
	// Approval is "" (the programme's mode), approve or auto.
	Approval string
	// Mode is the mode in force for this exhibitor.
	Mode ocop.MeetingMode
	Away []time.Time
}

// actsFor checks that the caller acts for the producer; anyone else gets
// not found.
func (s *Service) actsFor(ctx context.Context, p ocop.Principal, producerID string) error {
	ids, err := s.Members.IDsFor(ctx, p.UserID)
	if err != nil {
		return err
	}
	if !slices.Contains(ids, producerID) {
		return ocop.NotFound("producer")
	}
	return nil
}

// GetExhibitorSettings returns an exhibitor's settings to its members.
func (s *Service) GetExhibitorSettings(ctx context.Context, eventID, producerID string) (*ExhibitorSettings, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.actsFor(ctx, p, producerID); err != nil {
		return nil, err
	}
	e, err := s.event(ctx, eventID)
	if err != nil {
		return nil, err
	}
	prog, err := s.Repo.Programme(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	approval, away, err := s.Repo.Settings(ctx, e.ID, producerID)
	if err != nil {
		return nil, err
	}
	return &ExhibitorSettings{EventID: e.ID, ProducerID: producerID, Approval: approval, Mode: modeOf(prog, approval), Away: away}, nil
}

func modeOf(prog *ocop.MeetingProgramme, approval string) ocop.MeetingMode {
	if approval != "" {
		return ocop.MeetingMode(approval)
	}
	return prog.Mode
}

// SetExhibitorSettings replaces an exhibitor's approval choice and away
// slots. Slots with an accepted meeting cannot be marked away.
func (s *Service) SetExhibitorSettings(ctx context.Context, eventID, producerID, approval string, away []string) (*ExhibitorSettings, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.actsFor(ctx, p, producerID); err != nil {
		return nil, err
	}
	e, err := s.event(ctx, eventID)
	if err != nil {
		return nil, err
	}
	prog, err := s.Repo.Programme(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	var v ocop.Validation
	v.Check(approval == "" || ocop.MeetingMode(approval).Valid(), "approval", "must be approve, auto, or empty for the programme's mode")
	var slots []time.Time
	for _, a := range away {
		t, ok := parseSlot(a, e.Location())
		if !ok {
			v.Add("away", "%q is not a time", a)
			break
		}
		if _, ok := prog.Slot(e.Location(), t); !ok {
			v.Add("away", "%s is not the start of a slot of the programme", a)
			break
		}
		if !slices.ContainsFunc(slots, t.Equal) {
			slots = append(slots, t)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if _, err := s.exhibitor(ctx, e.ID, producerID); err != nil {
		return nil, err
	}
	err = s.Tx.InTx(ctx, func(ctx context.Context) error {
		for _, t := range slots {
			busy, err := s.Repo.InSlot(ctx, e.ID, t, "", producerID, []ocop.MeetingStatus{ocop.MeetingAccepted})
			if err != nil {
				return err
			}
			if len(busy) > 0 {
				return ocop.FieldInvalid("away", "you have an accepted meeting at %s; cancel it first", localTime(e, t))
			}
		}
		return s.Repo.SaveSettings(ctx, e.ID, producerID, approval, slots, s.Now())
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(slots, func(a, b time.Time) int { return a.Compare(b) })
	return &ExhibitorSettings{EventID: e.ID, ProducerID: producerID, Approval: approval, Mode: modeOf(prog, approval), Away: slots}, nil
}

// parseSlot reads an RFC 3339 time or a local date-time in loc.
func parseSlot(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
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

func localTime(e *ocop.Event, t time.Time) string {
	return t.In(e.Location()).Format("2006-01-02 15:04 MST")
}
