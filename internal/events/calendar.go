package events

import (
	"context"
	"io"
	"strings"

	ics "github.com/arran4/golang-ical"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// WriteCalendar writes the event as an RFC 5545 calendar with one VEVENT.
// Times are written in UTC, which every calendar program converts to the
// reader's zone; the event's own zone travels as X-WR-TIMEZONE. pageURL is
// the public address of the event (may be empty).
func (s *Service) WriteCalendar(ctx context.Context, eventID, pageURL string, w io.Writer) (*ocop.Event, error) {
	e, err := s.Events.Get(ctx, eventID)
	if err != nil {
		return nil, err
	}
	if !visible(ctx, e) {
		return nil, ocop.NotFound("event")
	}
	cal := ics.NewCalendarFor("OCOP Connect")
	cal.SetMethod(ics.MethodPublish)
	cal.SetXWRCalName(e.Name)
	cal.SetXWRTimezone(e.TimeZone)
	ev := cal.AddEvent(e.ID + "@ocopconnect")
	ev.SetDtStampTime(e.UpdatedAt)
	ev.SetCreatedTime(e.CreatedAt)
	ev.SetLastModifiedAt(e.UpdatedAt)
	ev.SetStartAt(e.StartsAt)
	ev.SetEndAt(e.EndsAt)
	ev.SetSummary(e.Name)
	desc := e.Description
	if e.DescriptionEN != "" {
		desc = strings.TrimSpace(desc + "\n\n" + e.DescriptionEN)
	}
	if desc != "" {
		ev.SetDescription(desc)
	}
	ev.SetLocation(e.Venue + ", " + e.Address)
	if pageURL != "" {
		ev.SetURL(pageURL)
	}
	switch e.Status {
	case ocop.EventCancelled:
		ev.SetStatus(ics.ObjectStatusCancelled)
	case ocop.EventDraft:
		ev.SetStatus(ics.ObjectStatusTentative)
	default:
		ev.SetStatus(ics.ObjectStatusConfirmed)
	}
	return e, cal.SerializeTo(w)
}
