package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/ocopconnect/ocopconnect/internal/meetings"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	. "github.com/ocopconnect/ocopconnect/internal/testsupport"
)

// Meetings hang on a confirmed booth: when the booking is cancelled the
// producer's meetings not yet begun are called off in the same
// transaction (both sides told), and cancelling the fair calls off all of
// its meetings. Nobody is left with an agenda entry at a booth that is
// not there.
func TestMeetingsGoWithTheBoothAndTheFair(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		w := newMeetWorld(t, db, 2)
		s := w.s
		log := &noticeLog{s: s, topic: meetings.NotificationTopic}
		p1, p2 := w.producer(t, producerOpts{stars: 3}), w.producer(t, producerOpts{stars: 4})
		bk := w.book(t, w.event, p1.Token, map[string]any{"booth_id": w.booths[0]}).Expect(t, http.StatusCreated).Map(t)["id"].(string)
		s.Post(t, "/api/v1/bookings/"+bk+"/confirm", w.orgToken, nil).Expect(t, http.StatusOK)
		w.exhibitor(t, p2, 1)
		l1 := w.listing(t, p1, "Cà phê Robusta rang mộc", "food", "coffee_cocoa")
		l2 := w.listing(t, p2, "Hạt mắc ca sấy nứt vỏ", "food", "processed_nuts")
		w.programme(t, nil)
		b1 := w.buyer(t)
		w.register(t, b1, []string{"coffee_cocoa", "processed_nuts"}, []string{})
		ask := func(p testProducer, slot int, listing string) string {
			return w.request(t, b1.Token, map[string]any{"producer_id": p.ID, "slot_start": w.slot(slot, 30), "listing_ids": []string{listing}}).
				Expect(t, http.StatusCreated).Map(t)["id"].(string)
		}
		accepted, pending, other := ask(p1, 1, l1), ask(p1, 2, l1), ask(p2, 3, l2)
		s.Post(t, "/api/v1/meetings/"+accepted+"/accept", p1.Token, nil).Expect(t, http.StatusOK)
		log.drain(t)

		// The producer gives up its only booth.
		s.Post(t, "/api/v1/bookings/"+bk+"/cancel", p1.Token, map[string]any{"reason": "Không kịp hàng"}).Expect(t, http.StatusOK)
		for _, id := range []string{accepted, pending} {
			m := s.Get(t, "/api/v1/meetings/"+id, b1.Token).Expect(t, http.StatusOK).Map(t)
			if m["status"] != "cancelled" || m["reason"] != meetings.ReasonNoLongerExhibiting {
				t.Fatalf("meeting with a producer without a booth: %v", m)
			}
		}
		if st := meetingStatus(t, w, other); st != ocop.MeetingPending {
			t.Fatalf("another exhibitor's request is %s", st)
		}
		log.drain(t)
		cancelled := 0
		for _, n := range meetingNotifications(t, s, b1.Token) {
			if n.Kind == "meeting.cancelled" && n.Data["reason"] == meetings.ReasonNoLongerExhibiting {
				cancelled++
			}
		}
		if cancelled != 2 {
			t.Fatalf("the buyer heard of %d cancelled meetings, want 2: %+v", cancelled, meetingNotifications(t, s, b1.Token))
		}
		// Without a booth, no new requests either.
		if code := problemCode(t, w.request(t, b1.Token, map[string]any{"producer_id": p1.ID, "slot_start": w.slot(4, 30),
			"listing_ids": []string{l1}}), http.StatusConflict); code != "not_exhibiting" {
			t.Fatalf("request to a producer without a booth: %s", code)
		}

		// The organiser calls the fair off: the rest goes too.
		s.Post(t, "/api/v1/events/"+w.event+"/cancel", w.orgToken, map[string]any{"reason": "bão"}).Expect(t, http.StatusOK)
		m := s.Get(t, "/api/v1/meetings/"+other, p2.Token).Expect(t, http.StatusOK).Map(t)
		if m["status"] != "cancelled" || m["reason"] != meetings.ReasonFairCancelled {
			t.Fatalf("meeting of a cancelled fair: %v", m)
		}
		log.drain(t)
		heard := false
		for _, n := range meetingNotifications(t, s, p2.Token) {
			heard = heard || (n.Kind == "meeting.cancelled" && n.Data["reason"] == meetings.ReasonFairCancelled)
		}
		if !heard {
			t.Fatalf("the producer was not told: %+v", meetingNotifications(t, s, p2.Token))
		}
	})
}
