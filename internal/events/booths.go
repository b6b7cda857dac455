package events

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// BoothInput is one booth of a bulk import, or the fields of a change
// (nil = unchanged).
type BoothInput struct {
	Code     *string
	Zone     *string
	SizeM2   *float64
	PriceVND *int64
	X, Y     *float64
	Width    *float64
	Height   *float64
	Features *[]string
}

func (in *BoothInput) apply(b *ocop.Booth) {
	if in.Code != nil {
		b.Code = strings.TrimSpace(*in.Code)
	}
	if in.Zone != nil {
		b.Zone = strings.TrimSpace(*in.Zone)
	}
	for _, f := range []struct {
		src *float64
		dst *float64
	}{{in.SizeM2, &b.SizeM2}, {in.X, &b.X}, {in.Y, &b.Y}, {in.Width, &b.Width}, {in.Height, &b.Height}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if in.PriceVND != nil {
		b.PriceVND = *in.PriceVND
	}
	if in.Features != nil {
		b.Features = ocop.NormalizeCodes(*in.Features)
	}
}

// MaxBoothsPerImport bounds one bulk import.
const MaxBoothsPerImport = 2000

// ImportBooths adds booths to an event in one transaction: either all of
// them are created or none (every bad row is reported by its index).
func (s *Service) ImportBooths(ctx context.Context, eventID string, in []BoothInput) ([]*ocop.Booth, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var v ocop.Validation
	switch {
	case len(in) == 0:
		v.Add("booths", "send at least one booth")
	case len(in) > MaxBoothsPerImport:
		v.Add("booths", "send at most %d booths at once", MaxBoothsPerImport)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.Now()
	booths := make([]*ocop.Booth, len(in))
	seen := map[string]int{}
	for i := range in {
		b := &ocop.Booth{ID: newID(), EventID: eventID, Features: []string{}, CreatedAt: now, UpdatedAt: now}
		in[i].apply(b)
		prefix := fmt.Sprintf("booths[%d].", i)
		b.Validate(&v, prefix)
		if j, dup := seen[strings.ToUpper(b.Code)]; dup && b.Code != "" {
			v.Add(prefix+"code", "%q is also the code of booths[%d]", b.Code, j)
		}
		seen[strings.ToUpper(b.Code)] = i
		booths[i] = b
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	err = s.Tx.InTx(ctx, func(ctx context.Context) error {
		e, err := s.managed(ctx, eventID)
		if err != nil {
			return err
		}
		if e.Status != ocop.EventDraft && e.Status != ocop.EventPublished {
			return ocop.Errorf(ocop.CodeInvalidTransition, "booths cannot be added to a %s event", e.Status)
		}
		existing, err := s.Booths.Codes(ctx, eventID)
		if err != nil {
			return err
		}
		for i, b := range booths {
			if slices.ContainsFunc(existing, func(c string) bool { return strings.EqualFold(c, b.Code) }) {
				v.Add(fmt.Sprintf("booths[%d].code", i), "booth %s already exists at this event", b.Code)
			}
		}
		if err := v.Err(); err != nil {
			return &ocop.Error{Code: ocop.CodeConflict, Message: "some booth codes are already used at this event", Fields: err.(*ocop.Error).Fields}
		}
		if err := s.Booths.CreateMany(ctx, booths); err != nil {
			if cv, ok := ocop.AsConstraint(err); ok && cv.Kind == "unique" {
				return &ocop.Error{Code: ocop.CodeConflict, Message: "a booth code is already used at this event", Err: err}
			}
			return err
		}
		return s.Audit.Record(ctx, ocop.AuditEntry{ActorID: p.UserID, Action: "booths.imported", ObjectType: "event", ObjectID: eventID,
			After: map[string]any{"count": len(booths)}})
	})
	if err != nil {
		return nil, err
	}
	return booths, nil
}

// BoothCSVColumns is the header of a booth CSV import; features are
// separated by "|" or ";" within their cell.
var BoothCSVColumns = []string{"code", "zone", "size_m2", "price_vnd", "x", "y", "width", "height", "features"}

// ParseBoothsCSV reads a booth import. Columns may come in any order;
// features is optional. Errors name the line and column.
func ParseBoothsCSV(r io.Reader) ([]BoothInput, error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, ocop.FieldInvalid("csv", "the file has no header line (%s)", strings.Join(BoothCSVColumns, ","))
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) // Excel writes a BOM
		if !slices.Contains(BoothCSVColumns, h) {
			return nil, ocop.FieldInvalid("csv", "unknown column %q (columns: %s)", h, strings.Join(BoothCSVColumns, ","))
		}
		col[h] = i
	}
	for _, c := range BoothCSVColumns[:8] {
		if _, ok := col[c]; !ok {
			return nil, ocop.FieldInvalid("csv", "the header lacks the column %q", c)
		}
	}
	var (
		out []BoothInput
		v   ocop.Validation
	)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, ocop.FieldInvalid("csv", "line %d is not valid CSV", line)
		}
		if len(out) >= MaxBoothsPerImport {
			return nil, ocop.FieldInvalid("csv", "send at most %d booths at once", MaxBoothsPerImport)
		}
		cell := func(name string) string {
			i, ok := col[name]
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		num := func(name string) *float64 {
			f, err := strconv.ParseFloat(strings.ReplaceAll(cell(name), ",", "."), 64)
			if err != nil {
				v.Add(fmt.Sprintf("csv.line[%d].%s", line, name), "must be a number")
				return nil
			}
			return &f
		}
		code, zone := cell("code"), cell("zone")
		in := BoothInput{Code: &code, Zone: &zone, SizeM2: num("size_m2"), X: num("x"), Y: num("y"), Width: num("width"), Height: num("height")}
		if price, err := strconv.ParseInt(cell("price_vnd"), 10, 64); err == nil {
			in.PriceVND = &price
		} else {
			v.Add(fmt.Sprintf("csv.line[%d].price_vnd", line), "must be a whole number of dong")
		}
		features := strings.FieldsFunc(cell("features"), func(r rune) bool { return r == '|' || r == ';' || r == ' ' })
		in.Features = &features
		out = append(out, in)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateBooth changes one booth. Bookings keep the price they were made at.
func (s *Service) UpdateBooth(ctx context.Context, boothID string, in BoothInput) (*ocop.Booth, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var b *ocop.Booth
	err = s.Tx.InTx(ctx, func(ctx context.Context) error {
		if b, err = s.Booths.Get(ctx, boothID); err != nil {
			return err
		}
		e, err := s.managed(ctx, b.EventID)
		if err != nil {
			return ocop.NotFound("booth")
		}
		if e.Status != ocop.EventDraft && e.Status != ocop.EventPublished {
			return ocop.Errorf(ocop.CodeInvalidTransition, "booths of a %s event cannot be changed", e.Status)
		}
		before := *b
		in.apply(b)
		var v ocop.Validation
		b.Validate(&v, "")
		if err := v.Err(); err != nil {
			return err
		}
		b.UpdatedAt = s.Now()
		if err := s.Booths.Update(ctx, b); err != nil {
			if cv, ok := ocop.AsConstraint(err); ok && cv.Kind == "unique" {
				return &ocop.Error{Code: ocop.CodeConflict, Message: "another booth of this event has that code",
					Fields: []ocop.FieldError{{Field: "code", Message: "is already used at this event"}}, Err: err}
			}
			return err
		}
		return s.Audit.Record(ctx, ocop.AuditEntry{ActorID: p.UserID, Action: "booth.updated", ObjectType: "booth", ObjectID: b.ID,
			Before: map[string]any{"code": before.Code, "price_vnd": before.PriceVND}, After: map[string]any{"code": b.Code, "price_vnd": b.PriceVND}})
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// BoothStatus is how a booth shows on lists and the floor plan.
type BoothStatus string

const (
	BoothFree      BoothStatus = "free"
	BoothHeld      BoothStatus = "held" // a pending hold or a waitlist offer
	BoothConfirmed BoothStatus = "confirmed"
)

// BoothView is a booth with its state; Exhibitor is set for confirmed
// booths.
type BoothView struct {
	Booth      *ocop.Booth
	Status     BoothStatus
	ProducerID string
	Exhibitor  string
	// BookingID is shown to the organiser only.
	BookingID string
}

// BoothsInput filters a booth list.
type BoothsInput struct {
	EventID   string
	Zone      string
	Available *bool
}

// ListBooths returns an event's booths with their state.
func (s *Service) ListBooths(ctx context.Context, in BoothsInput) (*ocop.Event, []BoothView, error) {
	e, err := s.Events.Get(ctx, in.EventID)
	if err != nil {
		return nil, nil, err
	}
	if !visible(ctx, e) {
		return nil, nil, ocop.NotFound("event")
	}
	states, err := s.Booths.States(ctx, e.ID, in.Zone)
	if err != nil {
		return nil, nil, err
	}
	p, ok := ocop.PrincipalFrom(ctx)
	organiser := canManage(p, ok, e)
	var ids []string
	views := make([]BoothView, 0, len(states))
	for _, st := range states {
		bv := BoothView{Booth: st.Booth, Status: BoothFree}
		switch st.Status {
		case ocop.BookingConfirmed:
			bv.Status, bv.ProducerID = BoothConfirmed, st.Producer
			ids = append(ids, st.Producer)
		case ocop.BookingPending, ocop.BookingOffered:
			bv.Status = BoothHeld
		}
		if organiser {
			bv.BookingID = st.BookingID
			if bv.ProducerID == "" {
				bv.ProducerID = st.Producer
			}
		}
		if in.Available != nil && (bv.Status == BoothFree) != *in.Available {
			continue
		}
		views = append(views, bv)
	}
	if len(ids) > 0 {
		names, err := s.Producers.Names(ctx, ids)
		if err != nil {
			return nil, nil, err
		}
		for i := range views {
			if views[i].Status == BoothConfirmed {
				views[i].Exhibitor = names[views[i].ProducerID]
			}
		}
	}
	return e, views, nil
}

// BookingsInput filters a booking list.
type BookingsInput struct {
	EventID  string
	Statuses []string
	Limit    int
	Cursor   string
	// All ignores Limit and Cursor (the CSV export).
	All bool
}

type bookingCursor struct {
	CreatedAt time.Time `json:"c"`
	ID        string    `json:"i"`
}

func (in *BookingsInput) filter(v *ocop.Validation) ocop.BookingFilter {
	f := ocop.BookingFilter{EventID: in.EventID}
	for _, st := range in.Statuses {
		for _, one := range strings.Split(st, ",") {
			if one = strings.TrimSpace(one); one == "" {
				continue
			}
			if !ocop.BookingStatus(one).Valid() {
				v.Add("status", "must be one of offered, pending, confirmed, rejected, cancelled, expired, declined")
				break
			}
			f.Statuses = append(f.Statuses, ocop.BookingStatus(one))
		}
	}
	if in.All {
		return f
	}
	f.Limit = clampLimit(in.Limit) + 1
	if in.Cursor != "" {
		var c bookingCursor
		if !decodeCursor(in.Cursor, &c) {
			v.Add("cursor", "is not a cursor this list returned")
		}
		f.AfterCreatedAt, f.AfterID = &c.CreatedAt, c.ID
	}
	return f
}

func page(list []*ocop.Booking, f ocop.BookingFilter) ([]*ocop.Booking, string) {
	if f.Limit == 0 || len(list) < f.Limit {
		return list, ""
	}
	list = list[:len(list)-1]
	last := list[len(list)-1]
	return list, encodeCursor(bookingCursor{CreatedAt: last.CreatedAt, ID: last.ID})
}

// EventBookings lists an event's bookings (organiser).
func (s *Service) EventBookings(ctx context.Context, in BookingsInput) (*ocop.Event, []*ocop.Booking, string, error) {
	e, err := s.managed(ctx, in.EventID)
	if err != nil {
		return nil, nil, "", err
	}
	var v ocop.Validation
	f := in.filter(&v)
	if err := v.Err(); err != nil {
		return nil, nil, "", err
	}
	list, err := s.Bookings.List(ctx, f)
	if err != nil {
		return nil, nil, "", err
	}
	list, next := page(list, f)
	return e, list, next, nil
}

// MyBookings lists the bookings of every producer the caller acts for.
func (s *Service) MyBookings(ctx context.Context, in BookingsInput) ([]*ocop.Booking, string, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, "", err
	}
	var v ocop.Validation
	f := in.filter(&v)
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	if f.ProducerIDs, err = s.Producers.IDsFor(ctx, p.UserID); err != nil {
		return nil, "", err
	}
	if f.ProducerIDs == nil {
		f.ProducerIDs = []string{}
	}
	list, err := s.Bookings.List(ctx, f)
	if err != nil {
		return nil, "", err
	}
	list, next := page(list, f)
	return list, next, nil
}

// ExportBookingsCSV writes an event's bookings as CSV (organiser), with
// times in the event's zone and a byte-order mark so that spreadsheet
// programs read the Vietnamese names as UTF-8.
func (s *Service) ExportBookingsCSV(ctx context.Context, in BookingsInput, w io.Writer) error {
	in.All = true
	e, list, _, err := s.EventBookings(ctx, in)
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(list))
	for _, b := range list {
		ids = append(ids, b.ProducerID)
	}
	names, err := s.Producers.Names(ctx, slices.Compact(slices.Sorted(slices.Values(ids))))
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	loc := e.Location()
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(loc).Format("2006-01-02 15:04:05")
	}
	_ = cw.Write([]string{"booking_id", "status", "booth_code", "zone", "producer_id", "producer_name", "price_vnd", "subsidised",
		"certificate_stars", "created_at", "hold_expires_at", "confirmed_at", "note"})
	for _, b := range list {
		created := b.CreatedAt
		if err := cw.Write([]string{b.ID, string(b.Status), b.BoothCode, b.Zone, b.ProducerID, csvSafe(names[b.ProducerID]),
			strconv.FormatInt(b.PriceVND, 10), strconv.FormatBool(b.Subsidised), strconv.Itoa(b.Stars),
			ts(&created), ts(b.HoldExpiresAt), ts(b.ConfirmedAt), csvSafe(b.Note)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe defuses cells a spreadsheet would run as a formula (CSV
// injection): user-written text starting with = + - @ gets a leading quote.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
