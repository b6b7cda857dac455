package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

type meetingProgrammeRow struct {
	EventID            string `gorm:"primaryKey"`
	Days               string
	DayStart           string
	DayEnd             string
	SlotMinutes        int
	TablesCount        int
	RequestExpiryHours int
	DailyCap           int
	Mode               string
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

func (meetingProgrammeRow) TableName() string { return "meeting_programmes" }

func (r *meetingProgrammeRow) toDomain() *ocop.MeetingProgramme {
	return &ocop.MeetingProgramme{EventID: r.EventID, Days: decodeWords(r.Days), DayStart: r.DayStart, DayEnd: r.DayEnd,
		SlotMinutes: r.SlotMinutes, Tables: r.TablesCount, RequestExpiryHours: r.RequestExpiryHours, DailyCap: r.DailyCap,
		Mode: ocop.MeetingMode(r.Mode), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

type meetingRegistrationRow struct {
	ID                string `gorm:"primaryKey"`
	EventID           string
	BuyerID           string
	Company           string
	Interests         string
	SourcingProvinces string
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

func (meetingRegistrationRow) TableName() string { return "meeting_registrations" }

func (r *meetingRegistrationRow) toDomain() *ocop.BuyerRegistration {
	return &ocop.BuyerRegistration{ID: r.ID, EventID: r.EventID, BuyerID: r.BuyerID, Company: r.Company,
		Interests: decodeWords(r.Interests), SourcingProvinces: decodeWords(r.SourcingProvinces),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

type meetingSettingsRow struct {
	EventID    string `gorm:"primaryKey"`
	ProducerID string `gorm:"primaryKey"`
	Approval   string
	UpdatedAt  time.Time
}

func (meetingSettingsRow) TableName() string { return "meeting_exhibitor_settings" }

type meetingAwayRow struct {
	EventID    string    `gorm:"primaryKey"`
	ProducerID string    `gorm:"primaryKey"`
	SlotStart  time.Time `gorm:"primaryKey"`
}

func (meetingAwayRow) TableName() string { return "meeting_away" }

type meetingRow struct {
	ID               string `gorm:"primaryKey"`
	EventID          string
	RegistrationID   string
	BuyerID          string
	ProducerID       string
	ProducerProvince string
	SlotStart        time.Time
	SlotEnd          time.Time
	Day              string
	Status           string
	TablesCount      int
	TableNo          *int
	DailyCap         int
	BuyerDaySeq      *int
	ProducerDaySeq   *int
	ListingIDs       string `gorm:"column:listing_ids"`
	ProductGroups    string
	Note             string
	Reason           string
	ExpiresAt        *time.Time
	ExpiryWarnedAt   *time.Time
	RemindedAt       *time.Time
	InquiryID        *string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	AcceptedAt       *time.Time
	EndedAt          *time.Time
}

func (meetingRow) TableName() string { return "meetings" }

func (r *meetingRow) toDomain() *ocop.Meeting {
	return &ocop.Meeting{
		ID: r.ID, EventID: r.EventID, RegistrationID: r.RegistrationID, BuyerID: r.BuyerID, ProducerID: r.ProducerID,
		ProducerProvince: r.ProducerProvince, SlotStart: r.SlotStart.UTC(), SlotEnd: r.SlotEnd.UTC(), Day: r.Day,
		Status: ocop.MeetingStatus(r.Status), Table: deref(r.TableNo), BuyerDaySeq: deref(r.BuyerDaySeq),
		ProducerDaySeq: deref(r.ProducerDaySeq), ListingIDs: decodeWords(r.ListingIDs), ProductGroups: decodeWords(r.ProductGroups),
		Note: r.Note, Reason: r.Reason, ExpiresAt: utcPtr(r.ExpiresAt), InquiryID: deref(r.InquiryID),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), AcceptedAt: utcPtr(r.AcceptedAt), EndedAt: utcPtr(r.EndedAt),
	}
}

// Meetings is the repository of fair meetings: programmes, buyer
// registrations, exhibitor settings and meetings.
type Meetings struct{ s *Store }

// Meetings returns the fair-meetings repository.
func (s *Store) Meetings() *Meetings { return &Meetings{s} }

// Programme loads an event's meeting programme.
func (r *Meetings) Programme(ctx context.Context, eventID string) (*ocop.MeetingProgramme, error) {
	var row meetingProgrammeRow
	err := r.s.conn(ctx).Where("event_id = ?", eventID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ocop.NotFound("meeting programme")
	}
	if err != nil {
		return nil, translate(err)
	}
	return row.toDomain(), nil
}

// SaveProgramme creates or replaces an event's programme. A lowered table
// count or daily cap cascades onto the meetings, where a CHECK refuses it
// if tables or day slots above the new limit are in use.
func (r *Meetings) SaveProgramme(ctx context.Context, p *ocop.MeetingProgramme) error {
	row := meetingProgrammeRow{EventID: p.EventID, Days: encodeWords(p.Days), DayStart: p.DayStart, DayEnd: p.DayEnd,
		SlotMinutes: p.SlotMinutes, TablesCount: p.Tables, RequestExpiryHours: p.RequestExpiryHours, DailyCap: p.DailyCap,
		Mode: string(p.Mode), CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
	err := r.s.conn(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "event_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"days", "day_start", "day_end", "slot_minutes", "tables_count",
			"request_expiry_hours", "daily_cap", "mode", "updated_at"}),
	}).Create(&row).Error
	return nameMeetingConstraint(translate(err))
}

// CountActive counts an event's meetings that hold a slot (pending,
// accepted, held, no-show).
func (r *Meetings) CountActive(ctx context.Context, eventID string) (int64, error) {
	var n int64
	err := r.s.conn(ctx).Model(&meetingRow{}).Where("event_id = ? AND status IN ?", eventID, holdingMeeting).Count(&n).Error
	return n, translate(err)
}

var holdingMeeting = []string{"pending", "accepted", "held", "no_show"}

// CreateRegistration inserts a buyer's registration; a second one for the
// same event is a conflict on meeting_registrations_one_per_buyer.
func (r *Meetings) CreateRegistration(ctx context.Context, g *ocop.BuyerRegistration) error {
	row := meetingRegistrationRow{ID: g.ID, EventID: g.EventID, BuyerID: g.BuyerID, Company: g.Company,
		Interests: encodeWords(g.Interests), SourcingProvinces: encodeWords(g.SourcingProvinces),
		CreatedAt: g.CreatedAt.UTC(), UpdatedAt: g.UpdatedAt.UTC()}
	return nameMeetingConstraint(translate(r.s.conn(ctx).Create(&row).Error))
}

// Registration loads a registration by ID.
func (r *Meetings) Registration(ctx context.Context, id string) (*ocop.BuyerRegistration, error) {
	return r.registration(ctx, "id = ?", id)
}

// RegistrationOf loads a buyer's registration for an event.
func (r *Meetings) RegistrationOf(ctx context.Context, eventID, buyerID string) (*ocop.BuyerRegistration, error) {
	return r.registration(ctx, "event_id = ? AND buyer_id = ?", eventID, buyerID)
}

func (r *Meetings) registration(ctx context.Context, where string, args ...any) (*ocop.BuyerRegistration, error) {
	var row meetingRegistrationRow
	err := r.s.conn(ctx).Where(where, args...).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ocop.NotFound("registration")
	}
	if err != nil {
		return nil, translate(err)
	}
	return row.toDomain(), nil
}

// Registrations lists an event's registrations in order of arrival.
func (r *Meetings) Registrations(ctx context.Context, eventID string) ([]*ocop.BuyerRegistration, error) {
	var rows []meetingRegistrationRow
	if err := r.s.conn(ctx).Where("event_id = ?", eventID).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]*ocop.BuyerRegistration, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// Exhibitors lists the producers with a confirmed booth at an event (the
// first booth by code when a producer has several), by booth code.
func (r *Meetings) Exhibitors(ctx context.Context, eventID string) ([]ocop.MeetingExhibitor, error) {
	var rows []ocop.MeetingExhibitor
	err := r.s.conn(ctx).Table("bookings k").
		Select("k.producer_id, p.legal_name AS name, p.province_code, b.code AS booth_code, b.zone").
		Joins("JOIN booths b ON b.id = k.booth_id").Joins("JOIN producers p ON p.id = k.producer_id").
		Where("k.event_id = ? AND k.status = ?", eventID, string(ocop.BookingConfirmed)).
		Order("b.code").Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	seen := map[string]bool{}
	out := rows[:0]
	for _, x := range rows {
		if !seen[x.ProducerID] {
			seen[x.ProducerID] = true
			out = append(out, x)
		}
	}
	return out, nil
}

type listingBriefRow struct {
	ID           string
	ProducerID   string
	TitleVI      string `gorm:"column:title_vi"`
	ProductGroup string
	ProductSet   string
}

// PublishedListings returns the published listings of the producers.
func (r *Meetings) PublishedListings(ctx context.Context, producerIDs []string) ([]ocop.ListingBrief, error) {
	if len(producerIDs) == 0 {
		return nil, nil
	}
	var rows []listingBriefRow
	err := r.s.conn(ctx).Table("listings").Select("id, producer_id, title_vi, product_group, product_set").
		Where("producer_id IN ? AND status = ?", producerIDs, string(ocop.ListingPublished)).
		Order("producer_id, id").Scan(&rows).Error
	out := make([]ocop.ListingBrief, len(rows))
	for i, l := range rows {
		out[i] = ocop.ListingBrief{ID: l.ID, ProducerID: l.ProducerID, Title: l.TitleVI, ProductGroup: l.ProductGroup, ProductSet: l.ProductSet}
	}
	return out, translate(err)
}

// Settings returns an exhibitor's approval choice ("" = the programme's
// mode) and the slots it is away.
func (r *Meetings) Settings(ctx context.Context, eventID, producerID string) (string, []time.Time, error) {
	var row meetingSettingsRow
	err := r.s.conn(ctx).Where("event_id = ? AND producer_id = ?", eventID, producerID).Take(&row).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return "", nil, translate(err)
	}
	var away []time.Time
	err = r.s.conn(ctx).Model(&meetingAwayRow{}).Where("event_id = ? AND producer_id = ?", eventID, producerID).
		Order("slot_start").Pluck("slot_start", &away).Error
	for i := range away {
		away[i] = away[i].UTC()
	}
	return row.Approval, away, translate(err)
}

// SaveSettings replaces an exhibitor's approval choice and away slots.
func (r *Meetings) SaveSettings(ctx context.Context, eventID, producerID, approval string, away []time.Time, at time.Time) error {
	db := r.s.conn(ctx)
	row := meetingSettingsRow{EventID: eventID, ProducerID: producerID, Approval: approval, UpdatedAt: at.UTC()}
	err := db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "event_id"}, {Name: "producer_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"approval", "updated_at"})}).Create(&row).Error
	if err != nil {
		return translate(err)
	}
	if err := db.Where("event_id = ? AND producer_id = ?", eventID, producerID).Delete(&meetingAwayRow{}).Error; err != nil {
		return translate(err)
	}
	if len(away) == 0 {
		return nil
	}
	rows := make([]meetingAwayRow, len(away))
	for i, t := range away {
		rows[i] = meetingAwayRow{EventID: eventID, ProducerID: producerID, SlotStart: t.UTC()}
	}
	return translate(db.Create(&rows).Error)
}

// Create inserts a meeting; tables and dailyCap must be the programme's
// current values (foreign keys check them). Violations come back as
// conflicts naming meetings_buyer_slot, meetings_producer_slot,
// meetings_table, meetings_buyer_day, meetings_producer_day or a
// meetings_* trigger.
func (r *Meetings) Create(ctx context.Context, m *ocop.Meeting, tables, dailyCap int) error {
	row := meetingRow{
		ID: m.ID, EventID: m.EventID, RegistrationID: m.RegistrationID, BuyerID: m.BuyerID, ProducerID: m.ProducerID,
		ProducerProvince: m.ProducerProvince, SlotStart: m.SlotStart.UTC(), SlotEnd: m.SlotEnd.UTC(), Day: m.Day,
		Status: string(m.Status), TablesCount: tables, TableNo: optInt(m.Table), DailyCap: dailyCap,
		BuyerDaySeq: optInt(m.BuyerDaySeq), ProducerDaySeq: optInt(m.ProducerDaySeq), ListingIDs: encodeWords(m.ListingIDs),
		ProductGroups: encodeWords(m.ProductGroups), Note: m.Note, Reason: m.Reason, ExpiresAt: utcPtr(m.ExpiresAt),
		InquiryID: optString(m.InquiryID), CreatedAt: m.CreatedAt.UTC(), UpdatedAt: m.UpdatedAt.UTC(),
		AcceptedAt: utcPtr(m.AcceptedAt), EndedAt: utcPtr(m.EndedAt),
	}
	return nameMeetingConstraint(translate(r.s.conn(ctx).Create(&row).Error))
}

// meetingIndexes maps the columns SQLite reports for a unique violation to
// the name PostgreSQL reports.
var meetingIndexes = map[string]string{
	"meetings(event_id,slot_start,buyer_id)":              "meetings_buyer_slot",
	"meetings(event_id,slot_start,producer_id)":           "meetings_producer_slot",
	"meetings(event_id,slot_start,table_no)":              "meetings_table",
	"meetings(event_id,day,buyer_id,buyer_day_seq)":       "meetings_buyer_day",
	"meetings(event_id,day,producer_id,producer_day_seq)": "meetings_producer_day",
	"meeting_registrations(event_id,buyer_id)":            "meeting_registrations_one_per_buyer",
	"meeting_registrations(id,event_id,buyer_id)":         "meeting_registrations_key",
	"meeting_programmes(event_id,tables_count)":           "meeting_programmes_tables_key",
	"meeting_programmes(event_id,daily_cap)":              "meeting_programmes_cap_key",
}

func nameMeetingConstraint(err error) error {
	if cv, ok := ocop.AsConstraint(err); ok && cv.Kind == "unique" && cv.Name == "" {
		cv.Name = meetingIndexes[cv.Table+"("+strings.Join(cv.Columns, ",")+")"]
	}
	return err
}

// Get loads a meeting.
func (r *Meetings) Get(ctx context.Context, id string) (*ocop.Meeting, error) {
	var row meetingRow
	err := r.s.conn(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ocop.NotFound("meeting")
	}
	if err != nil {
		return nil, translate(err)
	}
	return row.toDomain(), nil
}

// Transition applies t if the meeting is in one of t.From; it reports
// whether it did. Leaving the statuses that hold time gives the table and
// the day slots up.
func (r *Meetings) Transition(ctx context.Context, id string, t ocop.MeetingTransition) (bool, error) {
	cols := map[string]any{"status": string(t.To), "updated_at": t.At.UTC()}
	switch t.To {
	case ocop.MeetingAccepted:
		cols["table_no"], cols["producer_day_seq"] = t.Table, t.ProducerDaySeq
		cols["accepted_at"], cols["expires_at"] = t.At.UTC(), nil
	case ocop.MeetingDeclined, ocop.MeetingCancelled, ocop.MeetingExpired:
		cols["table_no"], cols["producer_day_seq"], cols["buyer_day_seq"] = nil, nil, nil
		cols["ended_at"], cols["expires_at"] = t.At.UTC(), nil
	case ocop.MeetingHeld, ocop.MeetingNoShow:
		cols["ended_at"] = t.At.UTC()
	}
	if t.Reason != "" {
		cols["reason"] = t.Reason
	}
	res := r.s.conn(ctx).Model(&meetingRow{}).Where("id = ? AND status IN ?", id, eventWords(t.From)).Updates(cols)
	if res.Error != nil {
		return false, nameMeetingConstraint(translate(res.Error))
	}
	return res.RowsAffected == 1, nil
}

// SetInquiry records the inquiry a held meeting opened; it reports false
// when the meeting already has one.
func (r *Meetings) SetInquiry(ctx context.Context, id, inquiryID string, at time.Time) (bool, error) {
	res := r.s.conn(ctx).Model(&meetingRow{}).Where("id = ? AND inquiry_id IS NULL", id).
		Updates(map[string]any{"inquiry_id": inquiryID, "updated_at": at.UTC()})
	return res.RowsAffected == 1, translate(res.Error)
}

// UsedTables returns the tables taken in a slot.
func (r *Meetings) UsedTables(ctx context.Context, eventID string, slot time.Time) ([]int, error) {
	var out []int
	err := r.s.conn(ctx).Model(&meetingRow{}).Where("event_id = ? AND slot_start = ? AND table_no IS NOT NULL", eventID, slot.UTC()).
		Order("table_no").Pluck("table_no", &out).Error
	return out, translate(err)
}

// UsedDaySeqs returns the day slots in use by a buyer (producer == false)
// or a producer on a day.
func (r *Meetings) UsedDaySeqs(ctx context.Context, eventID, day, participantID string, producer bool) ([]int, error) {
	col, who := "buyer_day_seq", "buyer_id"
	if producer {
		col, who = "producer_day_seq", "producer_id"
	}
	var out []int
	err := r.s.conn(ctx).Model(&meetingRow{}).Where("event_id = ? AND day = ? AND "+who+" = ? AND "+col+" IS NOT NULL", eventID, day, participantID).
		Order(col).Pluck(col, &out).Error
	return out, translate(err)
}

// InSlot returns the meetings of a slot in the given statuses, for a
// buyer or a producer (either may be "").
func (r *Meetings) InSlot(ctx context.Context, eventID string, slot time.Time, buyerID, producerID string, statuses []ocop.MeetingStatus) ([]*ocop.Meeting, error) {
	q := r.s.conn(ctx).Where("event_id = ? AND slot_start = ? AND status IN ?", eventID, slot.UTC(), eventWords(statuses))
	if buyerID != "" {
		q = q.Where("buyer_id = ?", buyerID)
	}
	if producerID != "" {
		q = q.Where("producer_id = ?", producerID)
	}
	return r.find(q.Order("created_at, id"))
}

func (r *Meetings) find(q *gorm.DB) ([]*ocop.Meeting, error) {
	var rows []meetingRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]*ocop.Meeting, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// List returns meetings by slot.
func (r *Meetings) List(ctx context.Context, f ocop.MeetingFilter) ([]*ocop.Meeting, error) {
	q := r.s.conn(ctx).Model(&meetingRow{})
	if f.EventID != "" {
		q = q.Where("event_id = ?", f.EventID)
	}
	switch {
	case f.Either:
		if len(f.ProducerIDs) > 0 {
			q = q.Where("(buyer_id = ? OR producer_id IN ?)", f.BuyerID, f.ProducerIDs)
		} else {
			q = q.Where("buyer_id = ?", f.BuyerID)
		}
	default:
		if f.BuyerID != "" {
			q = q.Where("buyer_id = ?", f.BuyerID)
		}
		if f.ProducerIDs != nil {
			if len(f.ProducerIDs) == 0 {
				return nil, nil
			}
			q = q.Where("producer_id IN ?", f.ProducerIDs)
		}
	}
	if len(f.Statuses) > 0 {
		q = q.Where("status IN ?", eventWords(f.Statuses))
	}
	if f.From != nil {
		q = q.Where("slot_end > ?", f.From.UTC())
	}
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	return r.find(q.Order("slot_start, id"))
}

// Lapsed returns pending requests whose answer time ran out by now, oldest
// first; eventID and buyerID narrow it when not "".
func (r *Meetings) Lapsed(ctx context.Context, now time.Time, eventID, buyerID string, limit int) ([]*ocop.Meeting, error) {
	q := r.s.conn(ctx).Where("status = ? AND expires_at <= ?", string(ocop.MeetingPending), now.UTC())
	if eventID != "" {
		q = q.Where("event_id = ?", eventID)
	}
	if buyerID != "" {
		q = q.Where("buyer_id = ?", buyerID)
	}
	return r.find(q.Order("expires_at, id").Limit(limit))
}

// ClaimExpiryWarnings marks pending requests that lapse before `before` and
// were not warned yet, and returns them; each is warned once.
func (r *Meetings) ClaimExpiryWarnings(ctx context.Context, before, now time.Time, limit int) ([]*ocop.Meeting, error) {
	return r.claim(ctx, "expiry_warned_at", r.s.conn(ctx).
		Where("status = ? AND expiry_warned_at IS NULL AND expires_at <= ? AND expires_at > ?", string(ocop.MeetingPending), before.UTC(), now.UTC()).
		Order("expires_at, id").Limit(limit), now)
}

// ClaimReminders marks accepted meetings starting before `before` (and not
// yet started) that were not reminded yet, and returns them.
func (r *Meetings) ClaimReminders(ctx context.Context, before, now time.Time, limit int) ([]*ocop.Meeting, error) {
	return r.claim(ctx, "reminded_at", r.s.conn(ctx).
		Where("status = ? AND reminded_at IS NULL AND slot_start <= ? AND slot_start > ?", string(ocop.MeetingAccepted), before.UTC(), now.UTC()).
		Order("slot_start, id").Limit(limit), now)
}

func (r *Meetings) claim(ctx context.Context, col string, q *gorm.DB, now time.Time) ([]*ocop.Meeting, error) {
	list, err := r.find(q)
	if err != nil {
		return nil, err
	}
	var out []*ocop.Meeting
	for _, m := range list {
		res := r.s.conn(ctx).Model(&meetingRow{}).Where("id = ? AND "+col+" IS NULL", m.ID).Update(col, now.UTC())
		if res.Error != nil {
			return nil, translate(res.Error)
		}
		if res.RowsAffected == 1 {
			out = append(out, m)
		}
	}
	return out, nil
}

// TablesInUse counts the tables taken in each slot of an event.
func (r *Meetings) TablesInUse(ctx context.Context, eventID string) (map[time.Time]int, error) {
	var slots []time.Time
	err := r.s.conn(ctx).Model(&meetingRow{}).Where("event_id = ? AND table_no IS NOT NULL", eventID).Pluck("slot_start", &slots).Error
	if err != nil {
		return nil, translate(err)
	}
	out := map[time.Time]int{}
	for _, t := range slots {
		out[t.UTC()]++
	}
	return out, nil
}
