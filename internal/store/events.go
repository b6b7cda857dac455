package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// Lists of codes are stored as one space-separated text column: the booking
// guard trigger tests membership with instr/position on both dialects, which
// is simpler than JSON functions that differ between them.
func encodeWords(words []string) string { return strings.Join(words, " ") }

func decodeWords(s string) []string {
	f := strings.Fields(s)
	if f == nil {
		return []string{}
	}
	return f
}

type eventRow struct {
	ID                   string `gorm:"primaryKey"`
	OrganiserID          string
	Status               string
	Name                 string
	Description          string
	DescriptionEN        string `gorm:"column:description_en"`
	Venue                string
	Address              string
	ProvinceCode         string
	CommuneCode          string
	TimeZone             string
	StartsAt             time.Time
	EndsAt               time.Time
	BookingOpensAt       time.Time
	BookingClosesAt      time.Time
	MinStars             int
	ProductGroups        string
	ProducerProvinces    string
	MaxBoothsPerProducer int
	SubsidisedQuota      int
	SubsidisedPriceVND   int64 `gorm:"column:subsidised_price_vnd"`
	SearchText           string
	CreatedAt            time.Time
	UpdatedAt            time.Time
	PublishedAt          *time.Time
	CancelledAt          *time.Time
}

func (eventRow) TableName() string { return "events" }

func eventToRow(e *ocop.Event, searchText string) eventRow {
	return eventRow{
		ID: e.ID, OrganiserID: e.OrganiserID, Status: string(e.Status), Name: e.Name, Description: e.Description,
		DescriptionEN: e.DescriptionEN, Venue: e.Venue, Address: e.Address, ProvinceCode: e.ProvinceCode,
		CommuneCode: e.CommuneCode, TimeZone: e.TimeZone, StartsAt: e.StartsAt.UTC(), EndsAt: e.EndsAt.UTC(),
		BookingOpensAt: e.BookingOpensAt.UTC(), BookingClosesAt: e.BookingClosesAt.UTC(),
		MinStars: e.Eligibility.MinStars, ProductGroups: encodeWords(e.Eligibility.ProductGroups),
		ProducerProvinces: encodeWords(e.Eligibility.ProducerProvinces), MaxBoothsPerProducer: e.MaxBoothsPerProducer,
		SubsidisedQuota: e.SubsidisedQuota, SubsidisedPriceVND: e.SubsidisedPriceVND, SearchText: searchText,
		CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC(), PublishedAt: utcPtr(e.PublishedAt), CancelledAt: utcPtr(e.CancelledAt),
	}
}

func (r *eventRow) toDomain() *ocop.Event {
	return &ocop.Event{
		ID: r.ID, OrganiserID: r.OrganiserID, Status: ocop.EventStatus(r.Status), Name: r.Name, Description: r.Description,
		DescriptionEN: r.DescriptionEN, Venue: r.Venue, Address: r.Address, ProvinceCode: r.ProvinceCode,
		CommuneCode: r.CommuneCode, TimeZone: r.TimeZone, StartsAt: r.StartsAt.UTC(), EndsAt: r.EndsAt.UTC(),
		BookingOpensAt: r.BookingOpensAt.UTC(), BookingClosesAt: r.BookingClosesAt.UTC(),
		Eligibility:          ocop.Eligibility{MinStars: r.MinStars, ProductGroups: decodeWords(r.ProductGroups), ProducerProvinces: decodeWords(r.ProducerProvinces)},
		MaxBoothsPerProducer: r.MaxBoothsPerProducer, SubsidisedQuota: r.SubsidisedQuota, SubsidisedPriceVND: r.SubsidisedPriceVND,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), PublishedAt: utcPtr(r.PublishedAt), CancelledAt: utcPtr(r.CancelledAt),
	}
}

// Events is the trade-fair repository.
type Events struct{ s *Store }

// Events returns the trade-fair repository.
func (s *Store) Events() *Events { return &Events{s} }

// Create inserts an event; searchText is the folded text that q matches.
func (r *Events) Create(ctx context.Context, e *ocop.Event, searchText string) error {
	row := eventToRow(e, searchText)
	return translate(r.s.conn(ctx).Create(&row).Error)
}

// Get loads an event.
func (r *Events) Get(ctx context.Context, id string) (*ocop.Event, error) {
	var row eventRow
	err := r.s.conn(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ocop.NotFound("event")
	}
	if err != nil {
		return nil, translate(err)
	}
	return row.toDomain(), nil
}

// Update writes the editable fields of an event. A lowered cap or subsidy
// quota cascades onto the bookings, where a CHECK refuses it if slots above
// the new limit are in use.
func (r *Events) Update(ctx context.Context, e *ocop.Event, searchText string) error {
	row := eventToRow(e, searchText)
	res := r.s.conn(ctx).Model(&eventRow{}).Where("id = ?", e.ID).Select(
		"name", "description", "description_en", "venue", "address", "province_code", "commune_code", "time_zone",
		"starts_at", "ends_at", "booking_opens_at", "booking_closes_at", "min_stars", "product_groups",
		"producer_provinces", "max_booths_per_producer", "subsidised_quota", "subsidised_price_vnd", "search_text", "updated_at",
	).Updates(&row)
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return ocop.NotFound("event")
	}
	return nil
}

// SetStatus moves an event from one of the from statuses to to; it reports
// false when the event was not in any of them.
func (r *Events) SetStatus(ctx context.Context, id string, from []ocop.EventStatus, to ocop.EventStatus, at time.Time) (bool, error) {
	cols := map[string]any{"status": string(to), "updated_at": at.UTC()}
	switch to {
	case ocop.EventPublished:
		cols["published_at"] = at.UTC()
	case ocop.EventCancelled:
		cols["cancelled_at"] = at.UTC()
	}
	res := r.s.conn(ctx).Model(&eventRow{}).Where("id = ? AND status IN ?", id, eventWords(from)).Updates(cols)
	if res.Error != nil {
		return false, translate(res.Error)
	}
	return res.RowsAffected == 1, nil
}

// CompleteEnded marks published events that have ended as completed.
func (r *Events) CompleteEnded(ctx context.Context, now time.Time) (int64, error) {
	res := r.s.conn(ctx).Model(&eventRow{}).Where("status = ? AND ends_at <= ?", string(ocop.EventPublished), now.UTC()).
		Updates(map[string]any{"status": string(ocop.EventCompleted), "updated_at": now.UTC()})
	return res.RowsAffected, translate(res.Error)
}

// List returns events ordered by start time.
func (r *Events) List(ctx context.Context, f ocop.EventFilter) ([]*ocop.Event, error) {
	q := r.s.conn(ctx).Model(&eventRow{})
	if len(f.Statuses) > 0 {
		q = q.Where("status IN ?", eventWords(f.Statuses))
	}
	if f.OrganiserID != "" {
		q = q.Where("organiser_id = ?", f.OrganiserID)
	}
	if f.ProvinceCode != "" {
		q = q.Where("province_code = ?", f.ProvinceCode)
	}
	if f.From != nil {
		q = q.Where("ends_at > ?", f.From.UTC())
	}
	if f.To != nil {
		q = q.Where("starts_at < ?", f.To.UTC())
	}
	for _, t := range f.Terms {
		q = q.Where("search_text LIKE ? ESCAPE '!'", "%"+likeEscape(t)+"%")
	}
	if f.AfterStartsAt != nil {
		q = q.Where("(starts_at > ? OR (starts_at = ? AND id > ?))", f.AfterStartsAt.UTC(), f.AfterStartsAt.UTC(), f.AfterID)
	}
	var rows []eventRow
	if err := q.Order("starts_at, id").Limit(f.Limit).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]*ocop.Event, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

func likeEscape(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}

func eventWords[S ~string](in []S) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = string(s)
	}
	return out
}

type boothRow struct {
	ID        string `gorm:"primaryKey"`
	EventID   string
	Code      string
	Zone      string
	SizeM2    float64 `gorm:"column:size_m2"`
	PriceVND  int64   `gorm:"column:price_vnd"`
	X         float64 `gorm:"column:x"`
	Y         float64 `gorm:"column:y"`
	Width     float64
	Height    float64
	Features  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (boothRow) TableName() string { return "booths" }

func boothToRow(b *ocop.Booth) boothRow {
	return boothRow{ID: b.ID, EventID: b.EventID, Code: b.Code, Zone: b.Zone, SizeM2: b.SizeM2, PriceVND: b.PriceVND,
		X: b.X, Y: b.Y, Width: b.Width, Height: b.Height, Features: encodeWords(b.Features),
		CreatedAt: b.CreatedAt.UTC(), UpdatedAt: b.UpdatedAt.UTC()}
}

func (r *boothRow) toDomain() *ocop.Booth {
	return &ocop.Booth{ID: r.ID, EventID: r.EventID, Code: r.Code, Zone: r.Zone, SizeM2: r.SizeM2, PriceVND: r.PriceVND,
		X: r.X, Y: r.Y, Width: r.Width, Height: r.Height, Features: decodeWords(r.Features),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// Booths is the booth repository.
type Booths struct{ s *Store }

// Booths returns the booth repository.
func (s *Store) Booths() *Booths { return &Booths{s} }

// CreateMany inserts booths; a code already used at the event is a conflict
// naming the constraint booths_code_per_event.
func (r *Booths) CreateMany(ctx context.Context, booths []*ocop.Booth) error {
	if len(booths) == 0 {
		return nil
	}
	rows := make([]boothRow, len(booths))
	for i, b := range booths {
		rows[i] = boothToRow(b)
	}
	return translate(r.s.conn(ctx).CreateInBatches(&rows, 200).Error)
}

// Codes returns the booth codes already used at an event.
func (r *Booths) Codes(ctx context.Context, eventID string) ([]string, error) {
	var codes []string
	err := r.s.conn(ctx).Model(&boothRow{}).Where("event_id = ?", eventID).Pluck("code", &codes).Error
	return codes, translate(err)
}

// Get loads a booth.
func (r *Booths) Get(ctx context.Context, id string) (*ocop.Booth, error) {
	var row boothRow
	err := r.s.conn(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ocop.NotFound("booth")
	}
	if err != nil {
		return nil, translate(err)
	}
	return row.toDomain(), nil
}

// Update writes a booth's editable fields. Bookings keep their own price.
func (r *Booths) Update(ctx context.Context, b *ocop.Booth) error {
	row := boothToRow(b)
	res := r.s.conn(ctx).Model(&boothRow{}).Where("id = ?", b.ID).
		Select("code", "zone", "size_m2", "price_vnd", "x", "y", "width", "height", "features", "updated_at").Updates(&row)
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return ocop.NotFound("booth")
	}
	return nil
}

type boothStateRow struct {
	// Named and exported: GORM skips unexported embedded structs.
	Row           boothRow `gorm:"embedded"`
	BookingID     *string
	BookingStatus *string
	ProducerID    *string
}

// States lists an event's booths (of one zone when zone != "") with the
// booking holding each, ordered by code.
func (r *Booths) States(ctx context.Context, eventID, zone string) ([]ocop.BoothState, error) {
	q := r.s.conn(ctx).Table("booths b").
		Select("b.*, k.id AS booking_id, k.status AS booking_status, k.producer_id AS producer_id").
		Joins("LEFT JOIN bookings k ON k.booth_id = b.id AND k.status IN ?", eventWords(holdingStatuses)).
		Where("b.event_id = ?", eventID)
	if zone != "" {
		q = q.Where("b.zone = ?", zone)
	}
	var rows []boothStateRow
	if err := q.Order("b.code").Scan(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]ocop.BoothState, len(rows))
	for i := range rows {
		st := ocop.BoothState{Booth: rows[i].Row.toDomain()}
		if rows[i].BookingID != nil {
			st.BookingID = *rows[i].BookingID
			st.Status = ocop.BookingStatus(*rows[i].BookingStatus)
			st.Producer = *rows[i].ProducerID
		}
		out[i] = st
	}
	return out, nil
}

var holdingStatuses = []ocop.BookingStatus{ocop.BookingOffered, ocop.BookingPending, ocop.BookingConfirmed}

type bookingRow struct {
	ID                      string `gorm:"primaryKey"`
	EventID                 string
	BoothID                 string
	ProducerID              string
	UserID                  string
	Status                  string
	PriceVND                int64 `gorm:"column:price_vnd"`
	Subsidised              bool
	EventCap                int
	ProducerSlot            *int
	SubsidyQuota            int
	SubsidySlot             *int
	QualifyingCertificateID string
	QualifyingStars         int
	QualifyingGroup         string
	ProducerProvince        string
	WaitlistEntryID         *string
	Note                    string
	Reason                  string
	HoldExpiresAt           *time.Time
	ExpiryWarnedAt          *time.Time
	CreatedAt               time.Time
	UpdatedAt               time.Time
	ConfirmedAt             *time.Time
	EndedAt                 *time.Time
}

func (bookingRow) TableName() string { return "bookings" }

// bookingView is a booking joined with its booth's code and zone.
type bookingView struct {
	Row       bookingRow `gorm:"embedded"`
	BoothCode string
	Zone      string
}

func optInt(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func (v *bookingView) toDomain() *ocop.Booking {
	r := &v.Row
	return &ocop.Booking{
		ID: r.ID, EventID: r.EventID, BoothID: r.BoothID, BoothCode: v.BoothCode, Zone: v.Zone, ProducerID: r.ProducerID,
		UserID: r.UserID, Status: ocop.BookingStatus(r.Status), PriceVND: r.PriceVND, Subsidised: r.Subsidised,
		ProducerSlot: deref(r.ProducerSlot), SubsidySlot: deref(r.SubsidySlot),
		Qualification: ocop.Qualification{CertificateID: r.QualifyingCertificateID, Stars: r.QualifyingStars,
			ProductGroup: r.QualifyingGroup, Province: r.ProducerProvince},
		WaitlistEntryID: deref(r.WaitlistEntryID), Note: r.Note, Reason: r.Reason,
		HoldExpiresAt: utcPtr(r.HoldExpiresAt), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		ConfirmedAt: utcPtr(r.ConfirmedAt), EndedAt: utcPtr(r.EndedAt),
	}
}

// Bookings is the booking repository.
type Bookings struct{ s *Store }

// Bookings returns the booking repository.
func (s *Store) Bookings() *Bookings { return &Bookings{s} }

// Create inserts a booking. eventCap and subsidyQuota must be the event's
// current values (a foreign key checks them). Violations come back as
// conflicts carrying the constraint: bookings_one_active_per_booth,
// bookings_producer_slot, bookings_subsidy_slot, or a bookings_* trigger
// name for the window and eligibility rules.
func (r *Bookings) Create(ctx context.Context, b *ocop.Booking, eventCap, subsidyQuota int) error {
	row := bookingRow{
		ID: b.ID, EventID: b.EventID, BoothID: b.BoothID, ProducerID: b.ProducerID, UserID: b.UserID,
		Status: string(b.Status), PriceVND: b.PriceVND, Subsidised: b.Subsidised, EventCap: eventCap,
		ProducerSlot: optInt(b.ProducerSlot), SubsidyQuota: subsidyQuota, SubsidySlot: optInt(b.SubsidySlot),
		QualifyingCertificateID: b.CertificateID, QualifyingStars: b.Stars, QualifyingGroup: b.ProductGroup,
		ProducerProvince: b.Province, WaitlistEntryID: optString(b.WaitlistEntryID), Note: b.Note, Reason: b.Reason,
		HoldExpiresAt: utcPtr(b.HoldExpiresAt), CreatedAt: b.CreatedAt.UTC(), UpdatedAt: b.UpdatedAt.UTC(),
		ConfirmedAt: utcPtr(b.ConfirmedAt), EndedAt: utcPtr(b.EndedAt),
	}
	return nameBookingConstraint(translate(r.s.conn(ctx).Create(&row).Error))
}

// bookingIndexes maps the columns SQLite reports for a unique-index
// violation to the index name PostgreSQL reports, so callers can match on
// the name on both dialects.
var bookingIndexes = map[string]string{
	"bookings(booth_id)":                           "bookings_one_active_per_booth",
	"bookings(event_id,producer_id,producer_slot)": "bookings_producer_slot",
	"bookings(event_id,subsidy_slot)":              "bookings_subsidy_slot",
}

func nameBookingConstraint(err error) error {
	if cv, ok := ocop.AsConstraint(err); ok && cv.Kind == "unique" && cv.Name == "" {
		cv.Name = bookingIndexes[cv.Table+"("+strings.Join(cv.Columns, ",")+")"]
	}
	return err
}

func (r *Bookings) view(ctx context.Context) *gorm.DB {
	return r.s.conn(ctx).Table("bookings k").Select("k.*, b.code AS booth_code, b.zone AS zone").
		Joins("JOIN booths b ON b.id = k.booth_id")
}

// Get loads a booking.
func (r *Bookings) Get(ctx context.Context, id string) (*ocop.Booking, error) {
	var rows []bookingView
	if err := r.view(ctx).Where("k.id = ?", id).Limit(1).Scan(&rows).Error; err != nil {
		return nil, translate(err)
	}
	if len(rows) == 0 {
		return nil, ocop.NotFound("booking")
	}
	return rows[0].toDomain(), nil
}

// UsedSlots returns the producer slots in use at an event.
func (r *Bookings) UsedSlots(ctx context.Context, eventID, producerID string) ([]int, error) {
	var slots []int
	err := r.s.conn(ctx).Model(&bookingRow{}).Where("event_id = ? AND producer_id = ? AND producer_slot IS NOT NULL", eventID, producerID).
		Order("producer_slot").Pluck("producer_slot", &slots).Error
	return slots, translate(err)
}

// UsedSubsidySlots returns the subsidy slots in use at an event.
func (r *Bookings) UsedSubsidySlots(ctx context.Context, eventID string) ([]int, error) {
	var slots []int
	err := r.s.conn(ctx).Model(&bookingRow{}).Where("event_id = ? AND subsidy_slot IS NOT NULL", eventID).
		Order("subsidy_slot").Pluck("subsidy_slot", &slots).Error
	return slots, translate(err)
}

// Transition applies t if the booking is in one of t.From; it reports
// whether it did. Leaving the active statuses gives the slots up.
func (r *Bookings) Transition(ctx context.Context, id string, t ocop.BookingTransition) (bool, error) {
	cols := map[string]any{"status": string(t.To), "updated_at": t.At.UTC()}
	switch {
	case t.To.Active():
		if t.ProducerSlot > 0 {
			cols["producer_slot"] = t.ProducerSlot
		}
		if t.SubsidySlot > 0 {
			cols["subsidy_slot"] = t.SubsidySlot
		}
	default:
		cols["producer_slot"] = nil
		cols["subsidy_slot"] = nil
	}
	switch t.To {
	case ocop.BookingConfirmed:
		cols["confirmed_at"] = t.At.UTC()
		cols["hold_expires_at"] = nil
	case ocop.BookingPending:
		cols["hold_expires_at"] = utcPtr(t.HoldExpiresAt)
		cols["expiry_warned_at"] = nil
	case ocop.BookingRejected, ocop.BookingCancelled, ocop.BookingExpired, ocop.BookingDeclined:
		cols["ended_at"] = t.At.UTC()
		cols["hold_expires_at"] = nil
	}
	if t.Reason != "" {
		cols["reason"] = t.Reason
	}
	res := r.s.conn(ctx).Model(&bookingRow{}).Where("id = ? AND status IN ?", id, eventWords(t.From)).Updates(cols)
	if res.Error != nil {
		return false, nameBookingConstraint(translate(res.Error))
	}
	return res.RowsAffected == 1, nil
}

// List returns bookings in creation order.
func (r *Bookings) List(ctx context.Context, f ocop.BookingFilter) ([]*ocop.Booking, error) {
	q := r.view(ctx)
	if f.EventID != "" {
		q = q.Where("k.event_id = ?", f.EventID)
	}
	if f.ProducerIDs != nil {
		if len(f.ProducerIDs) == 0 {
			return nil, nil
		}
		q = q.Where("k.producer_id IN ?", f.ProducerIDs)
	}
	if len(f.Statuses) > 0 {
		q = q.Where("k.status IN ?", eventWords(f.Statuses))
	}
	if f.AfterCreatedAt != nil {
		q = q.Where("(k.created_at > ? OR (k.created_at = ? AND k.id > ?))", f.AfterCreatedAt.UTC(), f.AfterCreatedAt.UTC(), f.AfterID)
	}
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	var rows []bookingView
	if err := q.Order("k.created_at, k.id").Scan(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]*ocop.Booking, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// Lapsed returns holds and offers whose time ran out by now, oldest first.
func (r *Bookings) Lapsed(ctx context.Context, now time.Time, limit int) ([]*ocop.Booking, error) {
	var rows []bookingView
	err := r.view(ctx).Where("k.status IN ? AND k.hold_expires_at <= ?", []string{string(ocop.BookingOffered), string(ocop.BookingPending)}, now.UTC()).
		Order("k.hold_expires_at, k.id").Limit(limit).Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	out := make([]*ocop.Booking, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// ClaimExpiryWarnings marks pending holds that lapse before `before` and
// were not warned yet, and returns them; each hold is warned once.
func (r *Bookings) ClaimExpiryWarnings(ctx context.Context, before, now time.Time, limit int) ([]*ocop.Booking, error) {
	var rows []bookingView
	err := r.view(ctx).Where("k.status = ? AND k.expiry_warned_at IS NULL AND k.hold_expires_at <= ?", string(ocop.BookingPending), before.UTC()).
		Order("k.hold_expires_at, k.id").Limit(limit).Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	var out []*ocop.Booking
	for i := range rows {
		res := r.s.conn(ctx).Model(&bookingRow{}).Where("id = ? AND expiry_warned_at IS NULL", rows[i].Row.ID).
			Update("expiry_warned_at", now.UTC())
		if res.Error != nil {
			return nil, translate(res.Error)
		}
		if res.RowsAffected == 1 {
			out = append(out, rows[i].toDomain())
		}
	}
	return out, nil
}

// HoldingEvent returns the IDs of bookings holding booths at an event.
func (r *Bookings) HoldingEvent(ctx context.Context, eventID string) ([]string, error) {
	var ids []string
	err := r.s.conn(ctx).Model(&bookingRow{}).Where("event_id = ? AND status IN ?", eventID, eventWords(holdingStatuses)).
		Order("created_at, id").Pluck("id", &ids).Error
	return ids, translate(err)
}

type waitlistRow struct {
	ID                      string `gorm:"primaryKey"`
	EventID                 string
	Zone                    string
	ProducerID              string
	UserID                  string
	Status                  string
	QualifyingCertificateID string
	QualifyingStars         int
	QualifyingGroup         string
	ProducerProvince        string
	BookingID               *string
	CreatedAt               time.Time
	UpdatedAt               time.Time
}

func (waitlistRow) TableName() string { return "waitlist_entries" }

func (r *waitlistRow) toDomain() *ocop.WaitlistEntry {
	return &ocop.WaitlistEntry{
		ID: r.ID, EventID: r.EventID, Zone: r.Zone, ProducerID: r.ProducerID, UserID: r.UserID, Status: ocop.WaitlistStatus(r.Status),
		Qualification: ocop.Qualification{CertificateID: r.QualifyingCertificateID, Stars: r.QualifyingStars,
			ProductGroup: r.QualifyingGroup, Province: r.ProducerProvince},
		BookingID: deref(r.BookingID), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

// Waitlist is the waitlist repository.
type Waitlist struct{ s *Store }

// Waitlist returns the waitlist repository.
func (s *Store) Waitlist() *Waitlist { return &Waitlist{s} }

// Create queues a producer; a producer already queued for the zone is a
// conflict on waitlist_one_per_producer.
func (r *Waitlist) Create(ctx context.Context, w *ocop.WaitlistEntry) error {
	row := waitlistRow{
		ID: w.ID, EventID: w.EventID, Zone: w.Zone, ProducerID: w.ProducerID, UserID: w.UserID, Status: string(w.Status),
		QualifyingCertificateID: w.CertificateID, QualifyingStars: w.Stars, QualifyingGroup: w.ProductGroup,
		ProducerProvince: w.Province, BookingID: optString(w.BookingID), CreatedAt: w.CreatedAt.UTC(), UpdatedAt: w.UpdatedAt.UTC(),
	}
	return translate(r.s.conn(ctx).Create(&row).Error)
}

// Get loads an entry.
func (r *Waitlist) Get(ctx context.Context, id string) (*ocop.WaitlistEntry, error) {
	var row waitlistRow
	err := r.s.conn(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ocop.NotFound("waitlist entry")
	}
	if err != nil {
		return nil, translate(err)
	}
	return row.toDomain(), nil
}

// Waiting returns the zone's waiting entries in queue order (first come,
// first served), skipping the given producers.
func (r *Waitlist) Waiting(ctx context.Context, eventID, zone string, limit int) ([]*ocop.WaitlistEntry, error) {
	var rows []waitlistRow
	err := r.s.conn(ctx).Where("event_id = ? AND zone = ? AND status = ?", eventID, zone, string(ocop.WaitlistWaiting)).
		Order("created_at, id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	out := make([]*ocop.WaitlistEntry, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// List returns an event's entries in queue order.
func (r *Waitlist) List(ctx context.Context, eventID string) ([]*ocop.WaitlistEntry, error) {
	var rows []waitlistRow
	if err := r.s.conn(ctx).Where("event_id = ?", eventID).Order("zone, created_at, id").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]*ocop.WaitlistEntry, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// SetStatus moves an entry from one of from to to (recording the offer's
// booking when bookingID != ""); it reports whether it did.
func (r *Waitlist) SetStatus(ctx context.Context, id string, from []ocop.WaitlistStatus, to ocop.WaitlistStatus, bookingID string, at time.Time) (bool, error) {
	cols := map[string]any{"status": string(to), "updated_at": at.UTC()}
	if bookingID != "" {
		cols["booking_id"] = bookingID
	}
	res := r.s.conn(ctx).Model(&waitlistRow{}).Where("id = ? AND status IN ?", id, eventWords(from)).Updates(cols)
	if res.Error != nil {
		return false, translate(res.Error)
	}
	return res.RowsAffected == 1, nil
}

// Position returns how many entries wait ahead of the entry in its zone.
func (r *Waitlist) Position(ctx context.Context, w *ocop.WaitlistEntry) (int, error) {
	var n int64
	err := r.s.conn(ctx).Model(&waitlistRow{}).
		Where("event_id = ? AND zone = ? AND status = ? AND (created_at < ? OR (created_at = ? AND id < ?))",
			w.EventID, w.Zone, string(ocop.WaitlistWaiting), w.CreatedAt.UTC(), w.CreatedAt.UTC(), w.ID).
		Count(&n).Error
	return int(n), translate(err)
}

// ConfirmedExhibitors lists producers with confirmed booths at an event
// (names are filled in by the use case).
func (r *Bookings) ConfirmedExhibitors(ctx context.Context, eventID string) ([]ocop.Exhibitor, error) {
	var rows []struct {
		ProducerID string
		Code       string
		Zone       string
	}
	err := r.s.conn(ctx).Table("bookings k").Select("k.producer_id, b.code, b.zone").
		Joins("JOIN booths b ON b.id = k.booth_id").
		Where("k.event_id = ? AND k.status = ?", eventID, string(ocop.BookingConfirmed)).
		Order("b.code").Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	out := make([]ocop.Exhibitor, len(rows))
	for i, r := range rows {
		out[i] = ocop.Exhibitor{ProducerID: r.ProducerID, BoothCode: r.Code, Zone: r.Zone}
	}
	return out, nil
}
