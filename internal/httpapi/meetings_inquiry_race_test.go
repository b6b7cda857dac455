package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	. "github.com/ocopconnect/ocopconnect/internal/testsupport"
)

// A held meeting continues as ONE inquiry even when its buyer sends the
// request several times at once with different Idempotency-Keys (double
// clicks on two devices): the inquiry and the meeting's link to it are
// written in one transaction, so every loser rolls its inquiry back and
// gets 409.
func TestMeetingInquiryRace(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		w := newMeetWorld(t, db, 1)
		s := w.s
		p1 := w.producer(t, producerOpts{stars: 4})
		w.exhibitor(t, p1, 0)
		listing := w.listing(t, p1, "Cà phê Robusta rang mộc", "food", "coffee_cocoa")
		w.programme(t, nil)
		b1 := w.buyer(t)
		w.register(t, b1, []string{"coffee_cocoa"}, []string{})
		slot := w.slot(1, 30)
		id := w.request(t, b1.Token, map[string]any{"producer_id": p1.ID, "slot_start": slot, "listing_ids": []string{listing}}).
			Expect(t, http.StatusCreated).Map(t)["id"].(string)
		s.Post(t, "/api/v1/meetings/"+id+"/accept", p1.Token, nil).Expect(t, http.StatusOK)
		s.Clock().Advance(w.slotTime(t, slot).Sub(s.Clock().Now()) + time.Minute)
		w.relogin(t, []*testProducer{&p1}, []*buyerActor{&b1})
		s.Post(t, "/api/v1/meetings/"+id+"/held", p1.Token, nil).Expect(t, http.StatusOK)

		neededBy := s.Clock().Now().AddDate(0, 2, 0).Format("2006-01-02")
		body := map[string]any{"quantity": 500, "unit": "kg", "delivery_province_code": "01", "needed_by": neededBy}
		const n = 8
		results := atOnce(n, func(int) *Response {
			return s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/meetings/" + id + "/inquiry", Token: b1.Token, Body: body,
				Header: map[string]string{"Idempotency-Key": uuid.NewString()}})
		})
		if got := tally(results); got["201 "] != 1 || got["409 conflict"] != n-1 {
			t.Fatalf("%v: want one 201 and %d 409 conflict", got, n-1)
		}
		if got := countRows(t, s, "SELECT COUNT(*) FROM inquiries WHERE buyer_id = '"+b1.ID+"'"); got != 1 {
			t.Fatalf("%d inquiries from one held meeting", got)
		}
	})
}
