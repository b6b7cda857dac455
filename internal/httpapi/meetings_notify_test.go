package httpapi_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/ocopconnect/ocopconnect/internal/config"
	. "github.com/ocopconnect/ocopconnect/internal/testsupport"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/smtptest"
)

// meetingNotifications are a user's meeting.* notifications (newest first).
func meetingNotifications(t *testing.T, s *Server, token string) []notificationDTO {
	t.Helper()
	var out []notificationDTO
	for _, n := range notificationsOf(t, s, token) {
		if strings.HasPrefix(n.Kind, "meeting.") {
			out = append(out, n)
		}
	}
	return out
}

func TestMeetingNotifications(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		mail := smtptest.Start(t)
		w := newMeetWorld(t, db, 1, func(c *config.Config) { c.SMTPURL = mail.URL() })
		s := w.s
		log := &noticeLog{s: s, topic: "meetings.notification"}
		p1 := w.producer(t, producerOpts{stars: 3})
		staff := signUpLang(t, s, "staff@htx-meet.vn", "producer", "en", "Minh Staff")
		s.Post(t, "/api/v1/producers/"+p1.ID+"/members", p1.Token, map[string]any{"email": "staff@htx-meet.vn"}).Expect(t, http.StatusCreated)
		w.exhibitor(t, p1, 0)
		coffee := w.listing(t, p1, "Cà phê Robusta rang mộc", "food", "coffee_cocoa")
		w.programme(t, nil)
		b1 := w.buyer(t)
		w.register(t, b1, []string{"coffee_cocoa"}, []string{})
		log.drain(t)
		sent := len(mail.Messages())

		// The buyer asks for a meeting: the producer's owner and staff are
		// told (in-app and by e-mail, in their language, with the slot and
		// the answer-by time in the fair's time zone); the buyer is not.
		slot := w.slot(1, 30) // 08:30 local
		var m struct {
			ID        string `json:"id"`
			ExpiresAt string `json:"expires_at"`
		}
		w.request(t, b1.Token, map[string]any{"producer_id": p1.ID, "slot_start": slot, "listing_ids": []string{coffee}}).
			Expect(t, http.StatusCreated).JSON(t, &m)
		log.drain(t)
		if len(log.msgs) != 1 {
			t.Fatalf("%d meeting notices, want 1", len(log.msgs))
		}
		company := "Công ty " + b1.Email
		for _, tok := range []string{p1.Token, staff.Token} {
			got := meetingNotifications(t, s, tok)
			if len(got) != 1 || got[0].Kind != "meeting.requested" || got[0].MeetingID == nil || *got[0].MeetingID != m.ID ||
				got[0].EventID == nil || *got[0].EventID != w.event || got[0].BookingID != nil ||
				got[0].Data["audience"] != "producer" || got[0].Data["buyer_name"] != company ||
				!strings.HasPrefix(got[0].Data["slot_start"], slot+":00+07:00") || got[0].Data["respond_by"] == "" || got[0].Data["table"] != "" {
				t.Fatalf("member's meeting notifications = %+v", got)
			}
		}
		if got := meetingNotifications(t, s, b1.Token); len(got) != 0 {
			t.Fatalf("the buyer was notified of their own request: %+v", got)
		}
		en := onlyMail(t, mail.To("staff@htx-meet.vn"), "Meeting request from "+company)
		if hm := strings.Split(slot, "T")[1]; !strings.Contains(en.Text(), hm+", ") || !strings.Contains(en.Text(), "Asia/Ho_Chi_Minh") ||
			!strings.Contains(en.Text(), "Accept or decline by") || !strings.Contains(en.Text(), m.ID) || strings.Contains(en.Text(), "<no value>") {
			t.Fatalf("staff e-mail:\n%s\n%s", en.Subject(), en.Text())
		}
		vi := onlyMail(t, mail.To(p1.Email), "Yêu cầu gặp từ "+company)
		if !strings.Contains(vi.Text(), "08:30 ngày ") || !strings.Contains(vi.Text(), "Hợp tác xã Cà phê số") {
			t.Fatalf("owner e-mail:\n%s", vi.Text())
		}
		if len(mail.Messages()) != sent+2 {
			t.Fatalf("%d e-mails for the request, want 2", len(mail.Messages())-sent)
		}

		// The notice delivered again adds nothing.
		if err := s.Store.Outbox().Enqueue(context.Background(), log.msgs[0]); err != nil {
			t.Fatal(err)
		}
		s.DrainOutbox()
		if got := meetingNotifications(t, s, staff.Token); len(got) != 1 || len(mail.Messages()) != sent+2 {
			t.Fatalf("after redelivery: %d notifications, %d e-mails", len(got), len(mail.Messages())-sent)
		}

		// The owner accepts: the buyer is told, with the table and the
		// producer's name; the staff hears of it too, the owner does not.
		var acc struct {
			Table int `json:"table"`
		}
		s.Post(t, "/api/v1/meetings/"+m.ID+"/accept", p1.Token, nil).Expect(t, http.StatusOK).JSON(t, &acc)
		log.drain(t)
		table := strconv.Itoa(acc.Table)
		got := meetingNotifications(t, s, b1.Token)
		if len(got) != 1 || got[0].Kind != "meeting.accepted" || *got[0].MeetingID != m.ID || acc.Table == 0 || got[0].Data["table"] != table ||
			got[0].Data["audience"] != "buyer" || !strings.HasPrefix(got[0].Data["producer_name"], "Hợp tác xã Cà phê số") {
			t.Fatalf("buyer's meeting notifications = %+v", got)
		}
		if e := onlyMail(t, mail.To(b1.Email), "Đã xác nhận cuộc gặp với Hợp tác xã Cà phê số"); !strings.Contains(e.Text(), "bàn số "+table) ||
			!strings.Contains(e.Text(), "08:30 ngày ") || !strings.Contains(e.Text(), "Asia/Ho_Chi_Minh") {
			t.Fatalf("buyer's e-mail:\n%s", e.Text())
		}
		if k := kindsOf(meetingNotifications(t, s, p1.Token)); k != "meeting.requested" {
			t.Fatalf("owner's meeting notifications = %s", k)
		}
		if k := kindsOf(meetingNotifications(t, s, staff.Token)); k != "meeting.accepted,meeting.requested" {
			t.Fatalf("staff's meeting notifications = %s", k)
		}
		onlyMail(t, mail.To("staff@htx-meet.vn"), "Meeting with "+company+" confirmed")

		// Every meeting notice delivered again: nothing twice. The request
		// notice is stale now (the meeting is accepted) and dropped.
		countAll := func() int { return countRows(t, s, "SELECT COUNT(*) FROM notifications WHERE meeting_id IS NOT NULL") }
		notes, mails := countAll(), len(mail.Messages())
		if notes != 4 || mails != sent+4 {
			t.Fatalf("%d meeting notifications and %d e-mails, want 4 each", notes, mails-sent)
		}
		if err := s.Store.Outbox().Enqueue(context.Background(), log.msgs...); err != nil {
			t.Fatal(err)
		}
		s.DrainOutbox()
		if left := countRows(t, s, "SELECT COUNT(*) FROM outbox WHERE topic IN ('meetings.notification', 'notify.email')"); left != 0 {
			t.Fatalf("%d redelivered notices failed", left)
		}
		if countAll() != notes || len(mail.Messages()) != mails {
			t.Fatalf("redelivery: %d notifications (was %d), %d e-mails (was %d)", countAll(), notes, len(mail.Messages()), mails)
		}
	})
}
