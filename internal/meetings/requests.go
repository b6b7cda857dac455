package meetings

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// RequestInput asks an exhibitor for a meeting in one slot.
type RequestInput struct {
	EventID    string
	ProducerID string
	SlotStart  string
	ListingIDs []string
	Note       string
}

// errRetry marks a lost race on a table or a day slot: the transaction is
// rolled back and run again against the new state.
type errRetry struct{ cause error }

func (e errRetry) Error() string { return "retry: " + e.cause.Error() }

// retrying runs fn in a transaction until it no longer loses races.
func (s *Service) retrying(ctx context.Context, fn func(ctx context.Context) error) error {
	for attempt := 0; ; attempt++ {
		err := s.Tx.InTx(ctx, fn)
		var r errRetry
		if !errors.As(err, &r) {
			return err
		}
		if attempt >= 40 {
			return &ocop.Error{Code: ocop.CodeUnavailable, Message: "too many meetings are being booked at this moment; try again", RetryAfter: time.Second, Err: r.cause}
		}
	}
}

var (
	holdsBuyer = []ocop.MeetingStatus{ocop.MeetingPending, ocop.MeetingAccepted, ocop.MeetingHeld, ocop.MeetingNoShow}
	takesTable = []ocop.MeetingStatus{ocop.MeetingAccepted, ocop.MeetingHeld, ocop.MeetingNoShow}
)

// Request asks for a meeting as the caller (a registered buyer). In auto
// mode a free slot becomes an accepted meeting at once; otherwise it is a
// pending request the producer answers before it expires.
func (s *Service) Request(ctx context.Context, in RequestInput) (*ocop.Meeting, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var v ocop.Validation
	in.Note = strings.TrimSpace(in.Note)
	in.ProducerID = strings.TrimSpace(in.ProducerID)
	v.Check(in.ProducerID != "", "producer_id", "is required")
	v.Check(len([]rune(in.Note)) <= ocop.MeetingNoteMax, "note", "must be at most %d characters", ocop.MeetingNoteMax)
	ids := ocop.NormalizeCodes(in.ListingIDs)
	v.Check(len(ids) <= ocop.MeetingMaxListings, "listing_ids", "must list at most %d listings", ocop.MeetingMaxListings)
	e, err := s.event(ctx, in.EventID)
	if err != nil {
		return nil, err
	}
	slotAt, ok := parseSlot(in.SlotStart, e.Location())
	v.Check(ok, "slot_start", "must be the start of a slot, as an RFC 3339 time or a local time of the fair (2026-03-20T09:30)")
	if err := v.Err(); err != nil {
		return nil, err
	}
	prog, err := s.Repo.Programme(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	slot, ok := prog.Slot(e.Location(), slotAt)
	if !ok {
		return nil, ocop.FieldInvalid("slot_start", "%s is not the start of a slot of this fair's programme (GET /api/v1/events/%s/meeting-programme)", localTime(e, slotAt), e.ID)
	}
	now := s.Now()
	if e.Status != ocop.EventPublished {
		return nil, ocop.Errorf(ocop.CodeInvalidTransition, "the fair is %s; it takes no meeting requests", e.Status)
	}
	if !now.Before(slot.Start) {
		return nil, ocop.Errorf(ocop.CodeInvalidTransition, "the slot of %s has begun; choose a later one", localTime(e, slot.Start))
	}
	reg, err := s.Repo.RegistrationOf(ctx, e.ID, p.UserID)
	if ocop.IsCode(err, ocop.CodeNotFound) {
		return nil, ocop.Errorf(ocop.CodeNotRegistered, "register for this fair's meetings first (POST /api/v1/events/%s/registrations)", e.ID)
	}
	if err != nil {
		return nil, err
	}
	ex, err := s.exhibitor(ctx, e.ID, in.ProducerID)
	if err != nil {
		return nil, err
	}
	var groups []string
	for _, id := range ids {
		i := slices.IndexFunc(ex.Listings, func(l ocop.ListingBrief) bool { return l.ID == id })
		if i < 0 {
			return nil, ocop.FieldInvalid("listing_ids", "%q is not a published listing of this producer", id)
		}
		if g := ex.Listings[i].ProductGroup; !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	slices.Sort(groups)
	approval, away, err := s.Repo.Settings(ctx, e.ID, in.ProducerID)
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(away, slot.Start.Equal) {
		return nil, ocop.Errorf(ocop.CodeProducerAway, "%s is away at %s; choose another slot", ex.Name, localTime(e, slot.Start))
	}
	auto := modeOf(prog, approval) == ocop.MeetingAuto
	var m *ocop.Meeting
	err = s.retrying(ctx, func(ctx context.Context) error {
		// A lapsed request holds nothing, even before the sweep gets to it.
		if _, err := s.expireLapsed(ctx, now, e.ID, p.UserID); err != nil {
			return err
		}
		prog, err := s.Repo.Programme(ctx, e.ID) // the capacity and cap in force, which the foreign keys check
		if err != nil {
			return err
		}
		busy, err := s.Repo.InSlot(ctx, e.ID, slot.Start, p.UserID, "", holdsBuyer)
		if err != nil {
			return err
		}
		if len(busy) > 0 {
			return errBuyerBusy(e, slot.Start, nil)
		}
		bseq, err := s.freeDaySeq(ctx, prog, e.ID, slot.Day, p.UserID, false)
		if err != nil {
			return err
		}
		m = &ocop.Meeting{ID: newID(), EventID: e.ID, RegistrationID: reg.ID, BuyerID: p.UserID, ProducerID: ex.ProducerID,
			ProducerProvince: ex.ProvinceCode, SlotStart: slot.Start, SlotEnd: slot.End, Day: slot.Day, Status: ocop.MeetingPending,
			BuyerDaySeq: bseq, ListingIDs: ids, ProductGroups: groups, Note: in.Note, CreatedAt: now, UpdatedAt: now}
		if auto {
			if m.Table, m.ProducerDaySeq, err = s.seat(ctx, prog, e, m); err != nil {
				return err
			}
			m.Status, m.AcceptedAt = ocop.MeetingAccepted, &now
		} else {
			// A request for a slot the producer already gave away could
			// only be declined: say so now.
			taken, err := s.Repo.InSlot(ctx, e.ID, slot.Start, "", ex.ProducerID, takesTable)
			if err != nil {
				return err
			}
			if len(taken) > 0 {
				return ocop.Errorf(ocop.CodeMeetingSlotTaken, "%s already has a meeting at %s; choose another slot", ex.Name, localTime(e, slot.Start))
			}
			exp := now.Add(time.Duration(prog.RequestExpiryHours) * time.Hour)
			if exp.After(slot.Start) {
				exp = slot.Start
			}
			m.ExpiresAt = &exp
		}
		if err := s.Repo.Create(ctx, m, prog.Tables, prog.DailyCap); err != nil {
			return meetingConflict(err, e, m)
		}
		notice := NoticeRequested
		if auto {
			notice = NoticeAccepted
		}
		if err := s.notify(ctx, notice, m); err != nil {
			return err
		}
		return s.Audit.Record(ctx, ocop.AuditEntry{ActorID: p.UserID, Action: "meeting." + string(m.Status), ObjectType: "meeting", ObjectID: m.ID,
			After: map[string]any{"producer_id": m.ProducerID, "slot_start": m.SlotStart, "table": m.Table}})
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func errBuyerBusy(e *ocop.Event, at time.Time, cause error) error {
	return &ocop.Error{Code: ocop.CodeParticipantBusy, Message: "you already have a meeting or a pending request at " + localTime(e, at) + "; cancel it or choose another slot", Err: cause}
}

// seat finds the producer free in the slot, a day slot under its cap and a
// free table; it returns the table and the producer's day slot.
func (s *Service) seat(ctx context.Context, prog *ocop.MeetingProgramme, e *ocop.Event, m *ocop.Meeting) (int, int, error) {
	taken, err := s.Repo.InSlot(ctx, e.ID, m.SlotStart, "", m.ProducerID, takesTable)
	if err != nil {
		return 0, 0, err
	}
	if len(taken) > 0 {
		return 0, 0, ocop.Errorf(ocop.CodeMeetingSlotTaken, "the producer already has a meeting at %s; choose another slot", localTime(e, m.SlotStart))
	}
	pseq, err := s.freeDaySeq(ctx, prog, e.ID, m.Day, m.ProducerID, true)
	if err != nil {
		return 0, 0, err
	}
	used, err := s.Repo.UsedTables(ctx, e.ID, m.SlotStart)
	if err != nil {
		return 0, 0, err
	}
	var free []int
	for n := 1; n <= prog.Tables; n++ {
		if !slices.Contains(used, n) {
			free = append(free, n)
		}
	}
	if len(free) == 0 {
		return 0, 0, ocop.Errorf(ocop.CodeTablesFull, "all %d meeting tables are taken at %s; choose another slot", prog.Tables, localTime(e, m.SlotStart))
	}
	// A random free table spreads concurrent requests over the tables
	// instead of having them all collide on the first one.
	return free[rand.IntN(len(free))], pseq, nil
}

// freeDaySeq returns the participant's lowest free day slot, or
// meeting_cap_reached.
func (s *Service) freeDaySeq(ctx context.Context, prog *ocop.MeetingProgramme, eventID, day, who string, producer bool) (int, error) {
	used, err := s.Repo.UsedDaySeqs(ctx, eventID, day, who, producer)
	if err != nil {
		return 0, err
	}
	for n := 1; n <= prog.DailyCap; n++ {
		if !slices.Contains(used, n) {
			return n, nil
		}
	}
	if producer {
		return 0, ocop.Errorf(ocop.CodeMeetingCapReached, "the producer already has its %d meetings on %s", prog.DailyCap, day)
	}
	return 0, ocop.Errorf(ocop.CodeMeetingCapReached, "you already have %d meetings and requests on %s, the most a buyer may have in a day", prog.DailyCap, day)
}

// meetingConflict maps what the database refused to the rule's own code.
func meetingConflict(err error, e *ocop.Event, m *ocop.Meeting) error {
	cv, ok := ocop.AsConstraint(err)
	if !ok {
		return err
	}
	switch cv.Name {
	case "meetings_buyer_slot":
		return errBuyerBusy(e, m.SlotStart, err)
	case "meetings_producer_slot":
		return &ocop.Error{Code: ocop.CodeMeetingSlotTaken, Message: "the producer has just accepted another meeting at " + localTime(e, m.SlotStart) + "; choose another slot", Err: err}
	case "meetings_table", "meetings_buyer_day", "meetings_producer_day", "meetings_tables_fk", "meetings_cap_fk",
		"meetings_table_within_capacity", "meetings_within_daily_cap":
		return errRetry{err} // another request took the table or day slot, or the programme changed: look again
	case "meetings_event_not_open":
		return &ocop.Error{Code: ocop.CodeInvalidTransition, Message: "the fair is no longer open for meetings", Err: err}
	case "meetings_producer_not_exhibiting":
		return &ocop.Error{Code: ocop.CodeNotExhibiting, Message: "the producer no longer has a confirmed booth at this fair", Err: err}
	case "meetings_producer_away":
		return &ocop.Error{Code: ocop.CodeProducerAway, Message: "the producer has just marked this slot as away", Err: err}
	}
	if cv.Kind == "foreign_key" && cv.Name == "" {
		return errRetry{err} // SQLite does not name foreign keys; the programme may have changed
	}
	return err
}

// expireLapsed expires pending requests whose time ran out (of one buyer
// when buyerID != ""), so that they hold nothing from now on.
func (s *Service) expireLapsed(ctx context.Context, now time.Time, eventID, buyerID string) (int, error) {
	lapsed, err := s.Repo.Lapsed(ctx, now, eventID, buyerID, expireBatch)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range lapsed {
		ok, err := s.Repo.Transition(ctx, m.ID, ocop.MeetingTransition{From: []ocop.MeetingStatus{ocop.MeetingPending}, To: ocop.MeetingExpired,
			At: now, Reason: "the producer did not answer in time"})
		if err != nil {
			return n, err
		}
		if ok {
			n++
			if err := s.notify(ctx, NoticeExpired, m); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

const expireBatch = 200

// side is the caller's part in a meeting.
type side struct {
	buyer, producer, organiser bool
}

// meetingFor loads a meeting and the caller's part in it; anyone without
// one gets not found.
func (s *Service) meetingFor(ctx context.Context, id string) (*ocop.Meeting, *ocop.Event, side, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, nil, side{}, err
	}
	m, err := s.Repo.Get(ctx, id)
	if err != nil {
		return nil, nil, side{}, err
	}
	e, err := s.Events.Get(ctx, m.EventID)
	if err != nil {
		return nil, nil, side{}, err
	}
	sd := side{buyer: m.BuyerID == p.UserID, organiser: organises(p, e)}
	ids, err := s.Members.IDsFor(ctx, p.UserID)
	if err != nil {
		return nil, nil, side{}, err
	}
	sd.producer = slices.Contains(ids, m.ProducerID)
	if !sd.buyer && !sd.producer && !sd.organiser {
		return nil, nil, side{}, ocop.NotFound("meeting")
	}
	return m, e, sd, nil
}

// Get returns a meeting to its buyer, its producer or the organiser.
func (s *Service) Get(ctx context.Context, id string) (*ocop.Meeting, error) {
	m, _, _, err := s.meetingFor(ctx, id)
	return m, err
}

func invalidState(m *ocop.Meeting, action string) error {
	return ocop.Errorf(ocop.CodeInvalidTransition, "a meeting that is %s cannot be %s", m.Status, action)
}

type actFunc func(ctx context.Context, m *ocop.Meeting, e *ocop.Event, sd side, now time.Time) error

// act runs fn on a meeting in a transaction (retrying lost races) and
// returns the meeting as it is afterwards.
func (s *Service) act(ctx context.Context, id string, fn actFunc) (*ocop.Meeting, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var out *ocop.Meeting
	err = s.retrying(ctx, func(ctx context.Context) error {
		m, e, sd, err := s.meetingFor(ctx, id)
		if err != nil {
			return err
		}
		before := m.Status
		if err := fn(ctx, m, e, sd, s.Now()); err != nil {
			return err
		}
		if out, err = s.Repo.Get(ctx, id); err != nil {
			return err
		}
		return s.Audit.Record(ctx, ocop.AuditEntry{ActorID: p.UserID, Action: "meeting." + string(out.Status), ObjectType: "meeting", ObjectID: id,
			Before: map[string]any{"status": before}, After: map[string]any{"status": out.Status}})
	})
	return out, err
}

// move applies a transition that must succeed (the meeting was read in the
// same transaction) and queues the notice.
func (s *Service) move(ctx context.Context, m *ocop.Meeting, e *ocop.Event, t ocop.MeetingTransition, notice string) error {
	ok, err := s.Repo.Transition(ctx, m.ID, t)
	if err != nil {
		return meetingConflict(err, e, m)
	}
	if !ok {
		return ocop.Errorf(ocop.CodeConflict, "the meeting changed meanwhile; reload it and try again")
	}
	if notice == "" {
		return nil
	}
	return s.notify(ctx, notice, m)
}

// Accept turns a pending request into a meeting at a table (producer).
// Other pending requests for the producer's slot are declined, so their
// buyers are free to book elsewhere at once.
func (s *Service) Accept(ctx context.Context, id string) (*ocop.Meeting, error) {
	return s.act(ctx, id, func(ctx context.Context, m *ocop.Meeting, e *ocop.Event, sd side, now time.Time) error {
		if !sd.producer {
			return ocop.Errorf(ocop.CodeForbidden, "only the producer accepts meeting requests")
		}
		if m.Status != ocop.MeetingPending {
			return invalidState(m, "accepted")
		}
		if m.ExpiresAt != nil && !now.Before(*m.ExpiresAt) {
			return ocop.Errorf(ocop.CodeInvalidTransition, "the request expired at %s", localTime(e, *m.ExpiresAt))
		}
		prog, err := s.Repo.Programme(ctx, e.ID)
		if err != nil {
			return err
		}
		table, pseq, err := s.seat(ctx, prog, e, m)
		if err != nil {
			return err
		}
		if err := s.move(ctx, m, e, ocop.MeetingTransition{From: []ocop.MeetingStatus{ocop.MeetingPending}, To: ocop.MeetingAccepted, At: now,
			Table: table, ProducerDaySeq: pseq}, NoticeAccepted); err != nil {
			return err
		}
		others, err := s.Repo.InSlot(ctx, e.ID, m.SlotStart, "", m.ProducerID, []ocop.MeetingStatus{ocop.MeetingPending})
		if err != nil {
			return err
		}
		for _, o := range others {
			if err := s.move(ctx, o, e, ocop.MeetingTransition{From: []ocop.MeetingStatus{ocop.MeetingPending}, To: ocop.MeetingDeclined, At: now,
				Reason: "the producer accepted another meeting in this slot"}, NoticeDeclined); err != nil {
				return err
			}
		}
		return nil
	})
}

// Decline refuses a pending request (producer).
func (s *Service) Decline(ctx context.Context, id, reason string) (*ocop.Meeting, error) {
	return s.act(ctx, id, func(ctx context.Context, m *ocop.Meeting, e *ocop.Event, sd side, now time.Time) error {
		if !sd.producer {
			return ocop.Errorf(ocop.CodeForbidden, "only the producer declines meeting requests")
		}
		if m.Status != ocop.MeetingPending {
			return invalidState(m, "declined")
		}
		return s.move(ctx, m, e, ocop.MeetingTransition{From: []ocop.MeetingStatus{ocop.MeetingPending}, To: ocop.MeetingDeclined, At: now, Reason: reason}, NoticeDeclined)
	})
}

// Cancel withdraws a request or calls a meeting off, by either side (or
// the organiser), before its slot begins.
func (s *Service) Cancel(ctx context.Context, id, reason string) (*ocop.Meeting, error) {
	return s.act(ctx, id, func(ctx context.Context, m *ocop.Meeting, e *ocop.Event, _ side, now time.Time) error {
		if m.Status != ocop.MeetingPending && m.Status != ocop.MeetingAccepted {
			return invalidState(m, "cancelled")
		}
		if !now.Before(m.SlotStart) {
			return ocop.Errorf(ocop.CodeInvalidTransition, "the meeting began at %s; the producer marks it held or no-show", localTime(e, m.SlotStart))
		}
		return s.move(ctx, m, e, ocop.MeetingTransition{From: []ocop.MeetingStatus{m.Status}, To: ocop.MeetingCancelled, At: now, Reason: reason}, NoticeCancelled)
	})
}

// MarkOutcome records that an accepted meeting took place (held) or that
// the buyer did not come (no_show); the producer does it once the slot has
// begun.
func (s *Service) MarkOutcome(ctx context.Context, id string, to ocop.MeetingStatus) (*ocop.Meeting, error) {
	return s.act(ctx, id, func(ctx context.Context, m *ocop.Meeting, e *ocop.Event, sd side, now time.Time) error {
		if !sd.producer {
			return ocop.Errorf(ocop.CodeForbidden, "only the producer records whether a meeting took place")
		}
		if m.Status != ocop.MeetingAccepted {
			return invalidState(m, "marked "+string(to))
		}
		if now.Before(m.SlotStart) {
			return ocop.Errorf(ocop.CodeInvalidTransition, "the meeting starts at %s; record its outcome afterwards", localTime(e, m.SlotStart))
		}
		return s.move(ctx, m, e, ocop.MeetingTransition{From: []ocop.MeetingStatus{ocop.MeetingAccepted}, To: to, At: now}, "")
	})
}

// InquiryInput continues a held meeting as an inquiry.
type InquiryInput struct {
	// ListingID is the listing the thread is about (default: the first
	// listing of interest).
	ListingID            string
	Quantity             int64
	Unit                 string
	DeliveryProvinceCode string
	NeededBy             string // YYYY-MM-DD
	Message              string
}

// OpenInquiry opens an inquiry thread from a held meeting (its buyer), with
// the meeting's listings of interest attached: the thread is about one of
// them and its opening message names all of them.
func (s *Service) OpenInquiry(ctx context.Context, id string, in InquiryInput) (*ocop.Meeting, error) {
	if s.Inquiries == nil {
		return nil, ocop.Errorf(ocop.CodeUnavailable, "inquiries are not available on this server")
	}
	m, e, sd, err := s.meetingFor(ctx, id)
	if err != nil {
		return nil, err
	}
	if !sd.buyer {
		return nil, ocop.Errorf(ocop.CodeForbidden, "the buyer opens the inquiry of a meeting (the producer answers it)")
	}
	if m.Status != ocop.MeetingHeld {
		return nil, invalidState(m, "continued as an inquiry (only a held meeting can)")
	}
	if m.InquiryID != "" {
		return nil, ocop.Errorf(ocop.CodeConflict, "this meeting already continues in inquiry %s", m.InquiryID)
	}
	ls, err := s.Repo.PublishedListings(ctx, []string{m.ProducerID})
	if err != nil {
		return nil, err
	}
	var attached []ocop.ListingBrief
	for _, id := range m.ListingIDs {
		if i := slices.IndexFunc(ls, func(l ocop.ListingBrief) bool { return l.ID == id }); i >= 0 {
			attached = append(attached, ls[i])
		}
	}
	main := strings.TrimSpace(in.ListingID)
	switch {
	case main == "" && len(attached) > 0:
		main = attached[0].ID
	case main == "":
		return nil, ocop.FieldInvalid("listing_id", "the meeting has no published listing of interest; name one of the producer's listings")
	case !slices.ContainsFunc(ls, func(l ocop.ListingBrief) bool { return l.ID == main }):
		return nil, ocop.FieldInvalid("listing_id", "is not a published listing of the producer")
	}
	others := slices.DeleteFunc(slices.Clone(attached), func(l ocop.ListingBrief) bool { return l.ID == main })
	msg := strings.TrimSpace(in.Message)
	if msg == "" {
		msg = "Tiếp nối buổi gặp B2B tại " + e.Name + " (" + localTime(e, m.SlotStart) + "). / Following up on our B2B meeting at the fair."
	}
	inquiryID, err := s.Inquiries.OpenFromMeeting(ctx, InquiryRequest{MeetingID: m.ID, ListingID: main, Others: others, Quantity: in.Quantity,
		Unit: in.Unit, DeliveryProvinceCode: in.DeliveryProvinceCode, NeededBy: in.NeededBy, Message: msg})
	if err != nil {
		return nil, err
	}
	var out *ocop.Meeting
	err = s.Tx.InTx(ctx, func(ctx context.Context) error {
		ok, err := s.Repo.SetInquiry(ctx, m.ID, inquiryID, s.Now())
		if err != nil {
			return err
		}
		if !ok {
			return ocop.Errorf(ocop.CodeConflict, "this meeting was continued as an inquiry meanwhile")
		}
		out, err = s.Repo.Get(ctx, m.ID)
		return err
	})
	return out, err
}

// AgendaItem is a meeting as one participant sees it.
type AgendaItem struct {
	Meeting *ocop.Meeting
	// Role is buyer or producer: the caller's side.
	Role         string
	EventName    string
	Venue        string
	ProducerName string
	BuyerCompany string
}

// AgendaInput filters the caller's agenda.
type AgendaInput struct {
	EventID string
	// All includes declined, cancelled and expired meetings.
	All bool
}

// Agenda lists the caller's meetings and requests (as a buyer and as a
// member of producers), in slot order.
func (s *Service) Agenda(ctx context.Context, in AgendaInput) ([]AgendaItem, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := s.Members.IDsFor(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	f := ocop.MeetingFilter{EventID: in.EventID, BuyerID: p.UserID, ProducerIDs: ids, Either: true, Limit: 1000}
	if !in.All {
		f.Statuses = holdsBuyer
	}
	list, err := s.Repo.List(ctx, f)
	if err != nil {
		return nil, err
	}
	events := map[string]*ocop.Event{}
	names := map[string]map[string]string{}     // event -> producer -> name
	companies := map[string]map[string]string{} // event -> buyer -> company
	out := make([]AgendaItem, 0, len(list))
	for _, m := range list {
		e, ok := events[m.EventID]
		if !ok {
			if e, err = s.Events.Get(ctx, m.EventID); err != nil {
				return nil, err
			}
			events[m.EventID] = e
			xs, err := s.Repo.Exhibitors(ctx, e.ID)
			if err != nil {
				return nil, err
			}
			names[e.ID] = map[string]string{}
			for _, x := range xs {
				names[e.ID][x.ProducerID] = x.Name
			}
			regs, err := s.Repo.Registrations(ctx, e.ID)
			if err != nil {
				return nil, err
			}
			companies[e.ID] = map[string]string{}
			for _, g := range regs {
				companies[e.ID][g.BuyerID] = g.Company
			}
		}
		role := "producer"
		if m.BuyerID == p.UserID {
			role = "buyer"
		}
		out = append(out, AgendaItem{Meeting: m, Role: role, EventName: e.Name, Venue: e.Venue + ", " + e.Address,
			ProducerName: names[e.ID][m.ProducerID], BuyerCompany: companies[e.ID][m.BuyerID]})
	}
	return out, nil
}
