package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/config"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	. "github.com/ocopconnect/ocopconnect/internal/testsupport"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/smtptest"
)

type notificationDTO struct {
	ID        string            `json:"id"`
	Kind      string            `json:"kind"`
	InquiryID *string           `json:"inquiry_id"`
	EventID   *string           `json:"event_id"`
	BookingID *string           `json:"booking_id"`
	Data      map[string]string `json:"data"`
}

// notificationsOf lists a user's notifications (newest first).
func notificationsOf(t *testing.T, s *Server, token string) []notificationDTO {
	t.Helper()
	var page struct{ Items []notificationDTO }
	s.Get(t, "/api/v1/notifications?limit=100", token).Expect(t, http.StatusOK).JSON(t, &page)
	return page.Items
}

func kindsOf(ns []notificationDTO) string {
	ks := make([]string, len(ns))
	for i, n := range ns {
		ks[i] = n.Kind
	}
	return strings.Join(ks, ",")
}

// noticeLog collects the events.notification outbox messages as they are
// written, so that the test can deliver them all a second time.
type noticeLog struct {
	s    *Server
	msgs []ocop.OutboxMessage
}

func (l *noticeLog) drain(t *testing.T) {
	t.Helper()
	rows, err := l.s.Store.SQLDB().Query(`SELECT key, payload FROM outbox WHERE topic = 'events.notification' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, payload string
		if err := rows.Scan(&key, &payload); err != nil {
			t.Fatal(err)
		}
		l.msgs = append(l.msgs, ocop.OutboxMessage{Topic: "events.notification", Key: key, Payload: []byte(payload)})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	l.s.DrainOutbox()
}

// onlyMail returns the one e-mail whose subject contains subject.
func onlyMail(t *testing.T, ms []smtptest.Message, subject string) smtptest.Message {
	t.Helper()
	var found []smtptest.Message
	for _, m := range ms {
		if strings.Contains(m.Subject(), subject) {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d e-mails with %q in the subject, want 1; subjects: %v", len(found), subject, subjects(ms))
	}
	return found[0]
}

func TestBookingNotifications(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		mail := smtptest.Start(t)
		w := newFairWorld(t, db, func(c *config.Config) { c.SMTPURL = mail.URL() })
		s := w.s
		log := &noticeLog{s: s}
		ev, booths := w.fair(t, fairOpts{booths: 2})
		hcm, err := time.LoadLocation("Asia/Ho_Chi_Minh")
		if err != nil {
			t.Fatal(err)
		}
		p1, p2, p3 := w.producer(t, producerOpts{}), w.producer(t, producerOpts{}), w.producer(t, producerOpts{})
		staff := signUpLang(t, s, "staff@htx1.vn", "producer", "en", "Minh Staff")
		s.Post(t, "/api/v1/producers/"+p1.ID+"/members", p1.Token, map[string]any{"email": "staff@htx1.vn"}).Expect(t, http.StatusCreated)
		log.drain(t)

		// A producer books: the organiser hears of it (in-app and by e-mail,
		// with the hold's end in the fair's time), the booker does not.
		b1 := w.book(t, ev, p1.Token, map[string]any{"booth_id": booths[0]}).Expect(t, http.StatusCreated)
		var booking bookingDTO
		b1.JSON(t, &booking)
		log.drain(t)
		org := notificationsOf(t, s, w.orgToken)
		if len(org) != 1 || org[0].Kind != "booking.received" || org[0].BookingID == nil || *org[0].BookingID != booking.ID ||
			org[0].EventID == nil || *org[0].EventID != ev || org[0].InquiryID != nil ||
			org[0].Data["booth_code"] != "A1" || org[0].Data["audience"] != "organiser" ||
			org[0].Data["respond_by"] != booking.HoldExpiresAt.In(hcm).Format(time.RFC3339) {
			t.Fatalf("organiser's notifications = %+v", org)
		}
		if got := notificationsOf(t, s, p1.Token); len(got) != 0 {
			t.Fatalf("the booker was notified of their own booking: %+v", got)
		}
		m := onlyMail(t, mail.To(w.orgEmail), "A1")
		holdVI := booking.HoldExpiresAt.In(hcm).Format("15:04 ngày 02/01/2006")
		if !strings.Contains(m.Subject(), "Hội chợ OCOP Đắk Lắk") || !strings.Contains(m.Text(), "Hợp tác xã Cà phê số") ||
			!strings.Contains(m.Text(), holdVI) || !strings.Contains(m.Text(), "Asia/Ho_Chi_Minh") || !strings.Contains(m.Text(), booking.ID) {
			t.Fatalf("organiser's e-mail (want %q):\n%s\n%s", holdVI, m.Subject(), m.Text())
		}

		// The notice delivered again while the hold is pending adds nothing.
		if err := s.Store.Outbox().Enqueue(context.Background(), log.msgs[len(log.msgs)-1]); err != nil {
			t.Fatal(err)
		}
		s.DrainOutbox()
		if got := notificationsOf(t, s, w.orgToken); len(got) != 1 || len(mail.To(w.orgEmail)) != 1 ||
			countRows(t, s, "SELECT COUNT(*) FROM outbox WHERE topic IN ('events.notification', 'notify.email')") != 0 {
			t.Fatalf("after redelivery: %d notifications, %d e-mails", len(got), len(mail.To(w.orgEmail)))
		}

		// The organiser confirms: the producer's owner and staff are told,
		// each in their language; the organiser is not told what they did.
		s.Post(t, "/api/v1/bookings/"+booking.ID+"/confirm", w.orgToken, nil).Expect(t, http.StatusOK)
		log.drain(t)
		for _, tok := range []string{p1.Token, staff.Token} {
			if got := notificationsOf(t, s, tok); kindsOf(got) != "booking.confirmed" || got[0].Data["audience"] != "producer" {
				t.Fatalf("member's notifications = %+v", got)
			}
		}
		if got := kindsOf(notificationsOf(t, s, w.orgToken)); got != "booking.received" {
			t.Fatalf("organiser's notifications = %s", got)
		}
		if m := onlyMail(t, mail.To("staff@htx1.vn"), "Booth A1 confirmed"); !strings.Contains(m.Text(), "The fair opens at") {
			t.Fatalf("staff e-mail:\n%s", m.Text())
		}
		onlyMail(t, mail.To(p1.Email), "Đã xác nhận gian hàng A1")

		// A second producer holds the last booth; a third waits for the zone.
		var hold bookingDTO
		w.book(t, ev, p2.Token, map[string]any{"booth_id": booths[1]}).Expect(t, http.StatusCreated).JSON(t, &hold)
		s.Post(t, "/api/v1/events/"+ev+"/waitlist", p3.Token, map[string]any{"zone": "A"}).Expect(t, http.StatusCreated)
		log.drain(t)

		// 61 h in, the hold is about to lapse: its producer and the
		// organiser are warned, with the time it lapses.
		w.advance(t, 61*time.Hour, &p1, &p2, &p3)
		if _, err := s.Events.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
		log.drain(t)
		holdVI = hold.HoldExpiresAt.In(hcm).Format("15:04 ngày 02/01/2006")
		for _, to := range []string{p2.Email, w.orgEmail} {
			if m := onlyMail(t, mail.To(to), "sắp hết hạn"); !strings.Contains(m.Text(), holdVI) || !strings.Contains(m.Text(), "A2") {
				t.Fatalf("hold warning to %s (want %q):\n%s", to, holdVI, m.Text())
			}
		}
		if got := kindsOf(notificationsOf(t, s, p2.Token)); got != "booking.hold_expiring" {
			t.Fatalf("holder's notifications = %s", got)
		}
		if got := kindsOf(notificationsOf(t, s, w.orgToken)); got != "booking.hold_expiring,booking.received,booking.received" {
			t.Fatalf("organiser's notifications = %s", got)
		}

		// 73 h in, the hold lapsed: its producer is told, and the booth is
		// offered to the waiting producer with the time to accept by.
		w.advance(t, 12*time.Hour, &p1, &p2, &p3)
		if _, err := s.Events.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
		log.drain(t)
		if got := kindsOf(notificationsOf(t, s, p2.Token)); got != "booking.hold_expired,booking.hold_expiring" {
			t.Fatalf("holder's notifications = %s", got)
		}
		offers := w.eventBookings(t, ev, "offered")
		if len(offers) != 1 || offers[0].ProducerID != p3.ID {
			t.Fatalf("offers = %+v", offers)
		}
		offerVI := offers[0].HoldExpiresAt.In(hcm).Format("15:04 ngày 02/01/2006")
		if m := onlyMail(t, mail.To(p3.Email), "A2"); !strings.Contains(m.Text(), offerVI) || !strings.Contains(m.Text(), "danh sách chờ") {
			t.Fatalf("offer e-mail (want %q):\n%s\n%s", offerVI, m.Subject(), m.Text())
		}
		if got := notificationsOf(t, s, p3.Token); kindsOf(got) != "booking.waitlist_offer" || *got[0].BookingID != offers[0].ID {
			t.Fatalf("waiting producer's notifications = %+v", got)
		}

		// Every notice delivered again (a worker that died before recording
		// its batch as done): no notification and no e-mail twice.
		countAll := func() int { return countRows(t, s, "SELECT COUNT(*) FROM notifications") }
		notes, mails := countAll(), len(mail.Messages())
		if notes != 8 || mails != 8 {
			t.Fatalf("%d notifications and %d e-mails, want 8 each", notes, mails)
		}
		if err := s.Store.Outbox().Enqueue(context.Background(), log.msgs...); err != nil {
			t.Fatal(err)
		}
		s.DrainOutbox()
		if left := countRows(t, s, "SELECT COUNT(*) FROM outbox WHERE topic = 'events.notification'"); left != 0 {
			t.Fatalf("%d redelivered notices failed", left)
		}
		if countAll() != notes || len(mail.Messages()) != mails {
			t.Fatalf("redelivery: %d notifications (was %d), %d e-mails (was %d)", countAll(), notes, len(mail.Messages()), mails)
		}
	})
}
