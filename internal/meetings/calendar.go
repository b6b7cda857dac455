package meetings

import (
	"fmt"
	"io"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// WriteAgendaICS writes an agenda as an RFC 5545 calendar: one VEVENT per
// meeting (accepted ones CONFIRMED, pending requests TENTATIVE, ended ones
// CANCELLED), times in UTC.
func WriteAgendaICS(items []AgendaItem, stamp time.Time, w io.Writer) error {
	cal := ics.NewCalendarFor("OCOP Connect")
	cal.SetMethod(ics.MethodPublish)
	cal.SetXWRCalName("OCOP Connect – lịch gặp B2B / B2B meetings")
	cal.SetXWRTimezone(ocop.DefaultEventTimeZone)
	for _, it := range items {
		m := it.Meeting
		ev := cal.AddEvent(m.ID + "@ocopconnect")
		ev.SetDtStampTime(stamp)
		ev.SetCreatedTime(m.CreatedAt)
		ev.SetLastModifiedAt(m.UpdatedAt)
		ev.SetStartAt(m.SlotStart)
		ev.SetEndAt(m.SlotEnd)
		ev.SetSummary(fmt.Sprintf("B2B: %s – %s", it.BuyerCompany, it.ProducerName))
		loc := it.Venue
		if m.Table > 0 {
			loc = fmt.Sprintf("%s – bàn / table %d", it.Venue, m.Table)
		}
		ev.SetLocation(loc)
		desc := it.EventName
		if m.Note != "" {
			desc += "\n\n" + m.Note
		}
		ev.SetDescription(desc)
		switch m.Status {
		case ocop.MeetingAccepted, ocop.MeetingHeld, ocop.MeetingNoShow:
			ev.SetStatus(ics.ObjectStatusConfirmed)
		case ocop.MeetingPending:
			ev.SetStatus(ics.ObjectStatusTentative)
		default:
			ev.SetStatus(ics.ObjectStatusCancelled)
		}
	}
	return cal.SerializeTo(w)
}
