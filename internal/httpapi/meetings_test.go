package httpapi_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"image"
	_ "image/png"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	ical "github.com/emersion/go-ical"
	"github.com/google/uuid"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	. "github.com/ocopconnect/ocopconnect/internal/testsupport"
)

func problemCode(t *testing.T, r *Response, status int) string {
	t.Helper()
	return string(r.Expect(t, status).Problem(t).Code)
}

func TestMeetingsFlow(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		w := newMeetWorld(t, db, 3)
		s := w.s
		p1 := w.producer(t, producerOpts{stars: 3})
		p2 := w.producer(t, producerOpts{stars: 3, province: "01"})
		p3 := w.producer(t, producerOpts{stars: 3})
		w.exhibitor(t, p1, 0)
		w.exhibitor(t, p2, 1)
		w.book(t, w.event, p3.Token, map[string]any{"booth_id": w.booths[2]}).Expect(t, http.StatusCreated) // held, not confirmed
		c1 := w.listing(t, p1, "Cà phê Robusta rang mộc", "food", "coffee_cocoa")
		w.listing(t, p1, "Cà phê Arabica Cầu Đất", "food", "coffee_cocoa")
		h1 := w.listing(t, p1, "Mật ong hoa cà phê", "food", "honey")
		t2 := w.listing(t, p2, "Chè Shan tuyết", "food", "tea")
		w3 := w.listing(t, p3, "Rượu cần", "beverage", "other_alcohol")

		// The programme: every bad field is named; then 8 half-hour slots with 2 tables.
		pr := s.Do(t, Req{Method: http.MethodPut, Path: "/api/v1/events/" + w.event + "/meeting-programme", Token: w.orgToken,
			Body: map[string]any{"days": []string{"2001-01-01"}, "day_start": "8h", "day_end": "12:00", "slot_minutes": 30, "tables": 0,
				"request_expiry_hours": 4, "daily_cap": 3, "mode": "sometimes"}}).Expect(t, http.StatusBadRequest).Problem(t)
		for _, f := range []string{"days", "day_start", "tables", "mode"} {
			if !pr.HasField(f) {
				t.Errorf("programme problem does not name %s: %+v", f, pr.Errors)
			}
		}
		prog := w.programme(t, nil)
		if slots := prog["slots"].([]any); len(slots) != 8 || slots[0].(map[string]any)["tables_free"].(float64) != 2 {
			t.Fatalf("programme = %v", prog)
		}
		s.Get(t, "/api/v1/events/"+w.event+"/meeting-programme", "").Expect(t, http.StatusOK)
		s.Do(t, Req{Method: http.MethodPut, Path: "/api/v1/events/" + w.event + "/meeting-programme", Token: p1.Token,
			Body: map[string]any{}}).Expect(t, http.StatusForbidden)

		// Registration with a door code.
		b1, b2, b3 := w.buyer(t), w.buyer(t), w.buyer(t)
		reg := w.register(t, b1, []string{"coffee_cocoa", "tea"}, []string{"66"})
		w.register(t, b3, []string{"food"}, []string{})
		problemCode(t, s.Post(t, "/api/v1/events/"+w.event+"/registrations", b1.Token, map[string]any{"company": "again"}), http.StatusConflict)
		s.Post(t, "/api/v1/events/"+w.event+"/registrations", p1.Token, map[string]any{"company": "HTX"}).Expect(t, http.StatusForbidden)
		if p := s.Post(t, "/api/v1/events/"+w.event+"/registrations", b2.Token, map[string]any{"company": "X", "interests": []string{"spaceships"}}).
			Expect(t, http.StatusBadRequest).Problem(t); !p.HasField("interests") {
			t.Fatalf("bad interests: %+v", p)
		}
		code := reg["code"].(string)

		// The code verifies offline with the published key...
		key := s.Get(t, "/api/v1/meeting-registrations/public-key", "").Expect(t, http.StatusOK).Map(t)
		raw, err := base64.StdEncoding.DecodeString(key["public_key"].(string))
		if err != nil || len(raw) != ed25519.PublicKeySize {
			t.Fatalf("public key %v: %v", key, err)
		}
		pub := ed25519.PublicKey(raw)
		dot := strings.LastIndexByte(code, '.')
		sig, err := base64.RawURLEncoding.DecodeString(code[dot+1:])
		if err != nil || !ed25519.Verify(pub, []byte(code[:dot]), sig) {
			t.Fatalf("the code %q does not verify offline: %v", code, err)
		}
		payload, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(code[:dot], "OCM1."))
		if want := reg["id"].(string) + "|" + w.event + "|" + b1.ID; string(payload) != want {
			t.Fatalf("payload %q, want %q", payload, want)
		}
		// ...and at the door; forged ones fail.
		ok := s.Post(t, "/api/v1/events/"+w.event+"/registrations/verify", w.orgToken, map[string]any{"code": code}).Expect(t, http.StatusOK).Map(t)
		if ok["valid"] != true || ok["registration"].(map[string]any)["id"] != reg["id"] {
			t.Fatalf("verify = %v", ok)
		}
		forgedPayload := "OCM1." + base64.RawURLEncoding.EncodeToString([]byte(reg["id"].(string)+"|"+w.event+"|"+b2.ID))
		_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
		for name, forged := range map[string]string{
			"other buyer, old signature": forgedPayload + code[dot:],
			"signed with another key":    forgedPayload + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(otherKey, []byte(forgedPayload))),
			"truncated signature":        code[:len(code)-4],
			"garbage":                    "hello",
		} {
			if c := problemCode(t, s.Post(t, "/api/v1/events/"+w.event+"/registrations/verify", w.orgToken, map[string]any{"code": forged}), http.StatusUnprocessableEntity); c != string(ocop.CodeInvalidRegistCode) {
				t.Errorf("%s: code %s", name, c)
			}
		}
		s.Post(t, "/api/v1/events/"+w.event+"/registrations/verify", b1.Token, map[string]any{"code": code}).Expect(t, http.StatusForbidden)

		// The QR image decodes to the code; it is the buyer's own.
		qr := s.Get(t, "/api/v1/registrations/"+reg["id"].(string)+"/qr.png", b1.Token).Expect(t, http.StatusOK)
		img, _, err := image.Decode(bytes.NewReader(qr.Body))
		if err != nil {
			t.Fatal(err)
		}
		bmp, err := gozxing.NewBinaryBitmapFromImage(img)
		if err != nil {
			t.Fatal(err)
		}
		// PURE_BARCODE: the image is a rendered code, not a photo. Without the
		// hint gozxing's finder-pattern search misses about 1 in 75 clean
		// renders of random payloads (measured over 3,000), a flaky test.
		res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
		if err != nil || res.GetText() != code {
			t.Fatalf("QR decodes to %v (%v), want %q", res, err, code)
		}
		s.Get(t, "/api/v1/registrations/"+reg["id"].(string)+"/qr.png", b3.Token).Expect(t, http.StatusNotFound)
		s.Get(t, "/api/v1/registrations/"+reg["id"].(string), w.orgToken).Expect(t, http.StatusOK)

		// Exhibitors: confirmed booths only, with their published listings.
		var ex struct {
			Items []struct {
				ProducerID string `json:"producer_id"`
				Listings   []struct{ ID string }
			}
		}
		s.Get(t, "/api/v1/events/"+w.event+"/exhibitors", "").Expect(t, http.StatusOK).JSON(t, &ex)
		if len(ex.Items) != 2 || ex.Items[0].ProducerID != p1.ID || len(ex.Items[0].Listings) != 3 || ex.Items[1].ProducerID != p2.ID {
			t.Fatalf("exhibitors = %+v", ex)
		}
		s.Get(t, "/api/v1/events/"+w.event+"/exhibitors?group=tea", "").Expect(t, http.StatusOK).JSON(t, &ex)
		if len(ex.Items) != 1 || ex.Items[0].ProducerID != p2.ID {
			t.Fatalf("tea exhibitors = %+v", ex)
		}
		s.Get(t, "/api/v1/events/"+w.event+"/exhibitors?province_code=66", "").Expect(t, http.StatusOK).JSON(t, &ex)
		if len(ex.Items) != 1 || ex.Items[0].ProducerID != p1.ID {
			t.Fatalf("exhibitors from 66 = %+v", ex)
		}
		s.Get(t, "/api/v1/events/"+w.event+"/exhibitors?group=spaceships", "").Expect(t, http.StatusBadRequest)

		// Suggestions explain themselves: p1 has 2 coffee listings and is from 66.
		var sg struct {
			Items []struct {
				ProducerID string `json:"producer_id"`
				BuyerID    string `json:"buyer_id"`
				Score      int
				Reasons    []string
			}
		}
		s.Get(t, "/api/v1/events/"+w.event+"/suggestions", b1.Token).Expect(t, http.StatusOK).JSON(t, &sg)
		if len(sg.Items) != 2 || sg.Items[0].ProducerID != p1.ID || sg.Items[0].Score != 25 || sg.Items[1].ProducerID != p2.ID || sg.Items[1].Score != 10 ||
			!slices.Contains(sg.Items[0].Reasons, "2 listings in Cà phê, ca cao") || !slices.Contains(sg.Items[1].Reasons, "1 listing in Chè và sản phẩm từ chè") {
			t.Fatalf("buyer suggestions = %+v", sg)
		}
		s.Get(t, "/api/v1/events/"+w.event+"/suggestions", p1.Token).Expect(t, http.StatusOK).JSON(t, &sg)
		// b3 is interested in all food (3 listings), b1 in coffee (2) from p1's province.
		if len(sg.Items) != 2 || sg.Items[0].BuyerID != b3.ID || sg.Items[0].Score != 30 || sg.Items[1].BuyerID != b1.ID || sg.Items[1].Score != 25 {
			t.Fatalf("producer suggestions = %+v", sg)
		}
		s.Get(t, "/api/v1/events/"+w.event+"/suggestions", b2.Token).Expect(t, http.StatusConflict) // neither registered nor exhibiting

		// Requests: only registered buyers, only exhibitors, only their listings, only real slots.
		slot0, slot1 := w.slot(0, 30), w.slot(1, 30)
		req := func(b buyerActor, p testProducer, slot string, listings ...string) *Response {
			return w.request(t, b.Token, map[string]any{"producer_id": p.ID, "slot_start": slot, "listing_ids": append([]string{}, listings...), "note": "Cần 2 tấn mỗi tháng"})
		}
		if c := problemCode(t, req(b2, p1, slot0), http.StatusForbidden); c != string(ocop.CodeNotRegistered) {
			t.Fatalf("unregistered buyer: %s", c)
		}
		if c := problemCode(t, req(b1, p3, slot0), http.StatusConflict); c != string(ocop.CodeNotExhibiting) {
			t.Fatalf("producer without a confirmed booth: %s", c)
		}
		if p := req(b1, p1, slot0, t2).Expect(t, http.StatusBadRequest).Problem(t); !p.HasField("listing_ids") {
			t.Fatalf("foreign listing: %+v", p)
		}
		if p := req(b1, p1, w.day+"T08:10").Expect(t, http.StatusBadRequest).Problem(t); !p.HasField("slot_start") {
			t.Fatalf("off-grid slot: %+v", p)
		}
		req(b1, p1, slot0, w3).Expect(t, http.StatusBadRequest)
		m1 := req(b1, p1, slot0, c1, h1).Expect(t, http.StatusCreated).Map(t)
		if m1["status"] != "pending" || m1["table"] != nil || len(m1["listing_ids"].([]any)) != 2 {
			t.Fatalf("request = %v", m1)
		}
		// A buyer cannot be in two meetings (or requests) at once.
		if c := problemCode(t, req(b1, p2, slot0), http.StatusConflict); c != string(ocop.CodeParticipantBusy) {
			t.Fatalf("double booking: %s", c)
		}
		// Expiry frees the slot: once the 4 hours are over the request holds
		// nothing, even before the sweep runs.
		w.s.Clock().Advance(4*time.Hour + time.Minute)
		w.relogin(t, []*testProducer{&p1, &p2}, []*buyerActor{&b1, &b3})
		m2 := req(b1, p2, slot0, t2).Expect(t, http.StatusCreated).Map(t)
		if st := meetingStatus(t, w, m1["id"].(string)); st != ocop.MeetingExpired {
			t.Fatalf("the lapsed request is %s", st)
		}
		// ...and the sweep expires the others.
		m3 := req(b1, p1, slot1).Expect(t, http.StatusCreated).Map(t)
		w.s.Clock().Advance(4*time.Hour + time.Minute)
		w.sweepMeetings(t)
		if st := meetingStatus(t, w, m3["id"].(string)); st != ocop.MeetingExpired {
			t.Fatalf("swept request is %s", st)
		}
		w.relogin(t, []*testProducer{&p1, &p2}, []*buyerActor{&b1, &b3})
		s.Post(t, "/api/v1/meetings/"+m3["id"].(string)+"/accept", p1.Token, nil).Expect(t, http.StatusConflict)

		// Accepting takes a table and declines the other requests for the slot.
		m4 := req(b1, p1, slot1, c1, h1).Expect(t, http.StatusCreated).Map(t)
		m5 := req(b3, p1, slot1).Expect(t, http.StatusCreated).Map(t)
		s.Post(t, "/api/v1/meetings/"+m4["id"].(string)+"/accept", b1.Token, nil).Expect(t, http.StatusForbidden)
		s.Post(t, "/api/v1/meetings/"+m4["id"].(string)+"/accept", p2.Token, nil).Expect(t, http.StatusNotFound)
		acc := s.Post(t, "/api/v1/meetings/"+m4["id"].(string)+"/accept", p1.Token, nil).Expect(t, http.StatusOK).Map(t)
		if acc["status"] != "accepted" || (acc["table"] != 1.0 && acc["table"] != 2.0) {
			t.Fatalf("accepted = %v", acc)
		}
		if st := meetingStatus(t, w, m5["id"].(string)); st != ocop.MeetingDeclined {
			t.Fatalf("the other request for the slot is %s", st)
		}
		// The producer is taken in that slot now; the buyer too.
		if c := problemCode(t, req(b3, p1, slot1), http.StatusConflict); c != string(ocop.CodeMeetingSlotTaken) {
			t.Fatalf("b3 again: %s", c)
		}
		if c := problemCode(t, req(b1, p2, slot1), http.StatusConflict); c != string(ocop.CodeParticipantBusy) {
			t.Fatalf("b1 in two meetings at once: %s", c)
		}
		// A producer declines with a reason; m2 lapsed meanwhile.
		if st := meetingStatus(t, w, m2["id"].(string)); st != ocop.MeetingExpired {
			t.Fatalf("m2 is %s", st)
		}
		m7 := req(b3, p2, w.slot(2, 30)).Expect(t, http.StatusCreated).Map(t)
		dec := s.Post(t, "/api/v1/meetings/"+m7["id"].(string)+"/decline", p2.Token, map[string]any{"reason": "Đã kín lịch"}).Expect(t, http.StatusOK).Map(t)
		if dec["status"] != "declined" || dec["reason"] != "Đã kín lịch" {
			t.Fatalf("declined = %v", dec)
		}

		// Agendas, as JSON and as iCalendar.
		var ag struct {
			Items []struct {
				ID           string
				Role         string
				Status       string
				Table        int
				ProducerName string `json:"producer_name"`
				BuyerCompany string `json:"buyer_company"`
			}
		}
		s.Get(t, "/api/v1/me/agenda", b1.Token).Expect(t, http.StatusOK).JSON(t, &ag)
		if len(ag.Items) != 1 || ag.Items[0].ID != m4["id"] || ag.Items[0].Role != "buyer" || ag.Items[0].BuyerCompany != "Công ty "+b1.Email || ag.Items[0].ProducerName == "" {
			t.Fatalf("buyer agenda = %+v", ag)
		}
		s.Get(t, "/api/v1/me/agenda?all=true&event_id="+w.event, b1.Token).Expect(t, http.StatusOK).JSON(t, &ag)
		if len(ag.Items) != 4 {
			t.Fatalf("full agenda has %d items: %+v", len(ag.Items), ag)
		}
		s.Get(t, "/api/v1/me/agenda", p1.Token).Expect(t, http.StatusOK).JSON(t, &ag)
		if len(ag.Items) != 1 || ag.Items[0].Role != "producer" {
			t.Fatalf("producer agenda = %+v", ag)
		}
		r := s.Get(t, "/api/v1/me/agenda.ics?all=true", b1.Token).Expect(t, http.StatusOK)
		cal, err := ical.NewDecoder(bytes.NewReader(r.Body)).Decode()
		if err != nil {
			t.Fatalf("the agenda does not parse: %v\n%s", err, r.Body)
		}
		evs := cal.Events()
		if len(evs) != 4 {
			t.Fatalf("%d VEVENTs:\n%s", len(evs), r.Body)
		}
		var confirmed int
		for _, ev := range evs {
			uid, _ := ev.Props.Text(ical.PropUID)
			status, _ := ev.Props.Text(ical.PropStatus)
			if uid == m4["id"].(string)+"@ocopconnect" {
				confirmed++
				start, err := ev.DateTimeStart(time.UTC)
				if err != nil || !start.Equal(w.slotTime(t, slot1)) || status != "CONFIRMED" {
					t.Fatalf("accepted meeting: start %v (%v), status %s", start, err, status)
				}
				if loc, _ := ev.Props.Text(ical.PropLocation); !strings.Contains(loc, "table") {
					t.Fatalf("location %q has no table", loc)
				}
			} else if status != "CANCELLED" {
				t.Fatalf("ended meeting %s has status %s", uid, status)
			}
		}
		if confirmed != 1 {
			t.Fatalf("the accepted meeting is not in the calendar:\n%s", r.Body)
		}

		// After the slot: the producer records it held; it can no longer be cancelled.
		s.Post(t, "/api/v1/meetings/"+m4["id"].(string)+"/held", p1.Token, nil).Expect(t, http.StatusConflict) // not begun yet
		w.s.Clock().Advance(w.slotTime(t, slot1).Sub(w.s.Clock().Now()) + time.Minute)
		w.relogin(t, []*testProducer{&p1, &p2}, []*buyerActor{&b1, &b2, &b3})
		s.Post(t, "/api/v1/meetings/"+m4["id"].(string)+"/held", b1.Token, nil).Expect(t, http.StatusForbidden)
		held := s.Post(t, "/api/v1/meetings/"+m4["id"].(string)+"/held", p1.Token, nil).Expect(t, http.StatusOK).Map(t)
		if held["status"] != "held" {
			t.Fatalf("held = %v", held)
		}
		s.Post(t, "/api/v1/meetings/"+m4["id"].(string)+"/cancel", b1.Token, nil).Expect(t, http.StatusConflict)
		// The held meeting continues as an inquiry with its listings of interest.
		inq := func(token string, body map[string]any) *Response {
			return s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/meetings/" + m4["id"].(string) + "/inquiry", Token: token, Body: body,
				Header: map[string]string{"Idempotency-Key": uuid.NewString()}})
		}
		neededBy := w.s.Clock().Now().AddDate(0, 2, 0).Format("2006-01-02")
		ibody := map[string]any{"quantity": 500, "unit": "kg", "delivery_province_code": "01", "needed_by": neededBy}
		inq(p1.Token, ibody).Expect(t, http.StatusForbidden)
		if p := inq(b1.Token, map[string]any{"quantity": 0, "unit": "kg", "delivery_province_code": "01", "needed_by": neededBy}).Expect(t, http.StatusBadRequest).Problem(t); !p.HasField("quantity") {
			t.Fatalf("bad quantity: %+v", p)
		}
		withInq := inq(b1.Token, ibody).Expect(t, http.StatusCreated).Map(t)
		inquiryID, _ := withInq["inquiry_id"].(string)
		if inquiryID == "" {
			t.Fatalf("no inquiry: %v", withInq)
		}
		var thread struct {
			ListingID string `json:"listing_id"`
			BuyerID   string `json:"buyer_id"`
			Status    string
			Messages  []struct{ Body string }
		}
		s.Get(t, "/api/v1/inquiries/"+inquiryID, p1.Token).Expect(t, http.StatusOK).JSON(t, &thread)
		if thread.ListingID != c1 || thread.BuyerID != b1.ID || len(thread.Messages) != 1 ||
			!strings.Contains(thread.Messages[0].Body, "Mật ong hoa cà phê") || !strings.Contains(thread.Messages[0].Body, h1) {
			t.Fatalf("inquiry thread = %+v", thread)
		}
		problemCode(t, inq(b1.Token, ibody), http.StatusConflict) // one inquiry per meeting
		// A meeting that was not held cannot.
		if c := problemCode(t, s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/meetings/" + m1["id"].(string) + "/inquiry", Token: b1.Token,
			Body: ibody, Header: map[string]string{"Idempotency-Key": uuid.NewString()}}), http.StatusConflict); c != string(ocop.CodeInvalidTransition) {
			t.Fatalf("inquiry from an expired request: %s", c)
		}

		s.Get(t, "/api/v1/meetings/"+m4["id"].(string), b2.Token).Expect(t, http.StatusNotFound)
		s.Get(t, "/api/v1/meetings/"+m4["id"].(string), w.orgToken).Expect(t, http.StatusOK)
	})
}
