package httpapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	ical "github.com/emersion/go-ical"

	. "github.com/ocopconnect/ocopconnect/internal/testsupport"
)

func TestEventLifecycle(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		w := newFairWorld(t, db)
		s := w.s
		base := map[string]any{
			"name": "Hội chợ Cà phê Buôn Ma Thuột", "venue": "Bảo tàng Thế giới Cà phê", "address": "Lê Thánh Tông, Buôn Ma Thuột",
			"province_code": "66", "starts_at": "2030-03-10T08:00", "ends_at": "2030-03-14T21:00",
			"booking_opens_at": "2030-01-01T00:00", "booking_closes_at": "2030-03-01T17:00",
			"eligibility":             map[string]any{"min_stars": 4, "product_groups": []string{"beverage", "food"}},
			"max_booths_per_producer": 2, "subsidised_quota": 3, "subsidised_price_vnd": 0,
		}

		// Local times are read in Asia/Ho_Chi_Minh and stored as UTC.
		ev := s.Post(t, "/api/v1/events", w.orgToken, base).Expect(t, http.StatusCreated).Map(t)
		if ev["starts_at"] != "2030-03-10T08:00:00+07:00" || ev["time_zone"] != "Asia/Ho_Chi_Minh" || ev["status"] != "draft" {
			t.Fatalf("event = %v", ev)
		}
		id := ev["id"].(string)
		e, err := s.Store.Events().Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Date(2030, 3, 10, 1, 0, 0, 0, time.UTC); !e.StartsAt.Equal(want) || e.StartsAt.Location() != time.UTC {
			t.Fatalf("stored starts_at = %v, want %v UTC", e.StartsAt, want)
		}

		// Every bad field is named; nothing is stored.
		bad := map[string]any{"name": "", "venue": "x", "address": "y", "province_code": "99", "time_zone": "Mars/Olympus",
			"starts_at": "tomorrow", "ends_at": "2030-03-14T21:00", "booking_opens_at": "2030-01-01T00:00", "booking_closes_at": "2030-03-01T17:00",
			"eligibility": map[string]any{"min_stars": 2, "product_groups": []string{"spaceships"}}, "max_booths_per_producer": 0}
		p := s.Post(t, "/api/v1/events", w.orgToken, bad).Expect(t, http.StatusBadRequest).Problem(t)
		for _, f := range []string{"name", "province_code", "time_zone", "starts_at", "eligibility.min_stars", "eligibility.product_groups", "max_booths_per_producer"} {
			if !p.HasField(f) {
				t.Errorf("problem does not name %s: %+v", f, p.Errors)
			}
		}
		// Buyers and producers cannot schedule fairs.
		register(t, s, "buyer@example.vn", "buyer")
		buyer := login(t, s, "buyer@example.vn", goodPassword).AccessToken
		s.Post(t, "/api/v1/events", buyer, base).Expect(t, http.StatusForbidden)

		// A draft is the organiser's alone.
		s.Get(t, "/api/v1/events/"+id, "").Expect(t, http.StatusNotFound)
		s.Get(t, "/api/v1/events/"+id, buyer).Expect(t, http.StatusNotFound)
		s.Get(t, "/api/v1/events/"+id, w.orgToken).Expect(t, http.StatusOK)
		// Publishing needs booths.
		if p := s.Post(t, "/api/v1/events/"+id+"/publish", w.orgToken, nil).Expect(t, http.StatusConflict).Problem(t); p.Code != "invalid_state" {
			t.Fatalf("publish without booths: %+v", p)
		}

		// Booths from JSON and from CSV; a bad row fails the whole import.
		s.Post(t, "/api/v1/events/"+id+"/booths", w.orgToken, map[string]any{"booths": []map[string]any{
			{"code": "A1", "zone": "A", "size_m2": 9, "price_vnd": 4500000, "x": 0, "y": 0, "width": 3, "height": 3, "features": []string{"corner", "power"}},
			{"code": "A2", "zone": "A", "size_m2": -1, "price_vnd": 4500000, "x": 3, "y": 0, "width": 3, "height": 3},
		}}).Expect(t, http.StatusBadRequest)
		s.Post(t, "/api/v1/events/"+id+"/booths", w.orgToken, map[string]any{"booths": []map[string]any{
			{"code": "A1", "zone": "A", "size_m2": 9, "price_vnd": 4500000, "x": 0, "y": 0, "width": 3, "height": 3, "features": []string{"corner", "power"}},
		}}).Expect(t, http.StatusCreated)
		csvBody := "code,zone,size_m2,price_vnd,x,y,width,height,features\n" +
			"B1,B,12,6000000,0,5,4,3,power|corner\nB2,B,12,6000000,4,5,4,3,power\n"
		r := s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/events/" + id + "/booths", Token: w.orgToken, Body: csvBody, ContentType: "text/csv"}).Expect(t, http.StatusCreated)
		if n := len(r.Map(t)["items"].([]any)); n != 2 {
			t.Fatalf("CSV import created %d booths", n)
		}
		// A code already used is a conflict naming the row.
		dup := s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/events/" + id + "/booths", Token: w.orgToken,
			Body: "code,zone,size_m2,price_vnd,x,y,width,height\nb1,B,12,6000000,8,5,4,3\n", ContentType: "text/csv"}).Expect(t, http.StatusConflict).Problem(t)
		if !dup.HasField("booths[0].code") {
			t.Fatalf("duplicate code problem: %+v", dup)
		}
		bad2 := s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/events/" + id + "/booths", Token: w.orgToken,
			Body: "code,zone,size_m2,price_vnd,x,y,width,height\nC1,C,lots,6000000,8,5,4,3\n", ContentType: "text/csv"}).Expect(t, http.StatusBadRequest).Problem(t)
		if !bad2.HasField("csv.line[2].size_m2") {
			t.Fatalf("bad CSV problem: %+v", bad2)
		}
		var booths struct{ Items []map[string]any }
		s.Get(t, "/api/v1/events/"+id+"/booths", w.orgToken).Expect(t, http.StatusOK).JSON(t, &booths)
		if len(booths.Items) != 3 || booths.Items[0]["code"] != "A1" || booths.Items[0]["status"] != "free" {
			t.Fatalf("booths = %v", booths.Items)
		}

		s.Post(t, "/api/v1/events/"+id+"/publish", w.orgToken, nil).Expect(t, http.StatusOK)
		s.Get(t, "/api/v1/events/"+id, "").Expect(t, http.StatusOK)
		// Another organiser's event is not found for changes.
		s.Do(t, Req{Method: http.MethodPatch, Path: "/api/v1/events/" + id, Token: buyer, Body: map[string]any{"name": "x"}}).Expect(t, http.StatusForbidden)

		// Public list: filters by province, dates and words without diacritics.
		for _, tc := range []struct {
			query string
			want  int
		}{
			{"q=hoi+cho+ca+phe", 1}, {"q=Buôn+Ma+Thuột", 1}, {"q=che+thai+nguyen", 0},
			{"province_code=66", 1}, {"province_code=01", 0},
			{"from=2030-03-14", 1}, {"from=2030-03-15", 0}, {"to=2030-03-09", 0}, {"to=2030-03-10", 1},
		} {
			var list struct{ Items []map[string]any }
			s.Get(t, "/api/v1/events?"+tc.query, "").Expect(t, http.StatusOK).JSON(t, &list)
			if len(list.Items) != tc.want {
				t.Errorf("GET /events?%s: %d events, want %d", tc.query, len(list.Items), tc.want)
			}
		}
		s.Get(t, "/api/v1/events?province_code=99", "").Expect(t, http.StatusBadRequest)
		s.Get(t, "/api/v1/events?cursor=garbage!", "").Expect(t, http.StatusBadRequest)

		// PATCH changes named fields only.
		up := s.Do(t, Req{Method: http.MethodPatch, Path: "/api/v1/events/" + id, Token: w.orgToken,
			Body: map[string]any{"description": "Lễ hội cà phê lần thứ 9", "time_zone": "Asia/Bangkok"}}).Expect(t, http.StatusOK).Map(t)
		if up["name"] != base["name"] || up["description"] != "Lễ hội cà phê lần thứ 9" || up["starts_at"] != "2030-03-10T08:00:00+07:00" {
			t.Fatalf("patched = %v", up)
		}

		// Cancelling ends it; it can no longer be changed.
		s.Post(t, "/api/v1/events/"+id+"/cancel", w.orgToken, map[string]any{"reason": "bão"}).Expect(t, http.StatusOK)
		s.Do(t, Req{Method: http.MethodPatch, Path: "/api/v1/events/" + id, Token: w.orgToken, Body: map[string]any{"name": "x"}}).Expect(t, http.StatusConflict)
	})
}

func TestBookingEligibility(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		w := newFairWorld(t, db)
		ev, booths := w.fair(t, fairOpts{minStars: 4, booths: 3})

		cases := []struct {
			name  string
			opts  producerOpts
			field string
		}{
			{"3-star producer at a 4-star fair", producerOpts{stars: 3}, "eligibility.min_stars"},
			{"expired 5-star certificate", producerOpts{stars: 5, expiredCert: true}, "eligibility.min_stars"},
			{"no certificate", producerOpts{}, "eligibility.min_stars"},
			{"producer not verified", producerOpts{stars: 4, unverified: true}, "producer"},
		}
		for _, tc := range cases {
			p := w.producer(t, tc.opts)
			pr := w.book(t, ev, p.Token, map[string]any{"booth_id": booths[0]}).Expect(t, http.StatusForbidden).Problem(t)
			if pr.Code != "not_eligible" || !pr.HasField(tc.field) {
				t.Errorf("%s: problem = %+v, want not_eligible naming %s", tc.name, pr, tc.field)
			}
		}
		four := w.producer(t, producerOpts{stars: 4})
		b := w.book(t, ev, four.Token, map[string]any{"booth_id": booths[0]}).Expect(t, http.StatusCreated).Map(t)
		if b["status"] != "pending" || b["certificate_stars"] != float64(4) || b["price_vnd"] != float64(5_000_000) {
			t.Fatalf("booking = %v", b)
		}
		if got := w.eventBookings(t, ev, ""); len(got) != 1 {
			t.Fatalf("%d bookings stored, want 1 (refusals must store nothing)", len(got))
		}

		// Group and province rules name themselves too.
		ev2, booths2 := w.fair(t, fairOpts{minStars: 3, groups: []string{"beverage"}, provinces: []string{"66", "68"}})
		far := w.producer(t, producerOpts{stars: 5, province: "01"})
		if pr := w.book(t, ev2, far.Token, map[string]any{"booth_id": booths2[0]}).Expect(t, http.StatusForbidden).Problem(t); !pr.HasField("eligibility.producer_provinces") {
			t.Errorf("province rule: %+v", pr)
		}
		food := w.producer(t, producerOpts{stars: 5})
		if pr := w.book(t, ev2, food.Token, map[string]any{"booth_id": booths2[0]}).Expect(t, http.StatusForbidden).Problem(t); !pr.HasField("eligibility.product_groups") {
			t.Errorf("group rule: %+v", pr)
		}
		drink := w.producer(t, producerOpts{stars: 3, group: "beverage", province: "68"})
		w.book(t, ev2, drink.Token, map[string]any{"booth_id": booths2[0]}).Expect(t, http.StatusCreated)

		// Buyers cannot book; unknown booths are 404.
		register(t, w.s, "buyer@example.vn", "buyer")
		buyer := login(t, w.s, "buyer@example.vn", goodPassword).AccessToken
		w.book(t, ev, buyer, map[string]any{"booth_id": booths[1]}).Expect(t, http.StatusForbidden)
		w.book(t, ev, four.Token, map[string]any{"booth_id": "nope"}).Expect(t, http.StatusNotFound)
		w.book(t, ev, four.Token, map[string]any{"booth_id": booths[1], "zone": "A"}).Expect(t, http.StatusBadRequest)
	})
}

func TestBookingWindowAndCap(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		w := newFairWorld(t, db)
		ev, booths := w.fair(t, fairOpts{opensIn: 48 * time.Hour, booths: 4, cap: 2})
		p := w.producer(t, producerOpts{stars: 3})
		if pr := w.book(t, ev, p.Token, map[string]any{"booth_id": booths[0]}).Expect(t, http.StatusConflict).Problem(t); pr.Code != "booking_window_closed" || !strings.Contains(pr.Detail, "opens") {
			t.Fatalf("before the window: %+v", pr)
		}
		w.advance(t, 48*time.Hour, &p)
		w.book(t, ev, p.Token, map[string]any{"booth_id": booths[0]}).Expect(t, http.StatusCreated)
		w.book(t, ev, p.Token, map[string]any{"zone": "A"}).Expect(t, http.StatusCreated)
		if pr := w.book(t, ev, p.Token, map[string]any{"zone": "A"}).Expect(t, http.StatusConflict).Problem(t); pr.Code != "booking_limit_reached" {
			t.Fatalf("third booth: %+v", pr)
		}
		// The cap cannot drop below what is held.
		w.s.Do(t, Req{Method: http.MethodPatch, Path: "/api/v1/events/" + ev, Token: w.orgToken,
			Body: map[string]any{"max_booths_per_producer": 1}}).Expect(t, http.StatusConflict)
		w.s.Do(t, Req{Method: http.MethodPatch, Path: "/api/v1/events/" + ev, Token: w.orgToken,
			Body: map[string]any{"max_booths_per_producer": 3}}).Expect(t, http.StatusOK)
		w.book(t, ev, p.Token, map[string]any{"zone": "A"}).Expect(t, http.StatusCreated)

		w.advance(t, 20*24*time.Hour) // past booking_closes_at
		q := w.producer(t, producerOpts{stars: 3})
		if pr := w.book(t, ev, q.Token, map[string]any{"booth_id": booths[3]}).Expect(t, http.StatusConflict).Problem(t); pr.Code != "booking_window_closed" || !strings.Contains(pr.Detail, "closed") {
			t.Fatalf("after the window: %+v", pr)
		}
	})
}

func TestHoldExpiryFreesBooth(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		w := newFairWorld(t, db)
		ev, booths := w.fair(t, fairOpts{})
		p1, p2 := w.producer(t, producerOpts{stars: 3}), w.producer(t, producerOpts{stars: 3})
		hold := w.book(t, ev, p1.Token, map[string]any{"booth_id": booths[0]}).Expect(t, http.StatusCreated).Map(t)
		if pr := w.book(t, ev, p2.Token, map[string]any{"booth_id": booths[0]}).Expect(t, http.StatusConflict).Problem(t); pr.Code != "booth_taken" {
			t.Fatalf("held booth: %+v", pr)
		}
		var free struct{ Items []map[string]any }
		w.s.Get(t, "/api/v1/events/"+ev+"/booths?available=true", "").Expect(t, http.StatusOK).JSON(t, &free)
		if len(free.Items) != 0 {
			t.Fatalf("held booth listed as available: %v", free.Items)
		}

		// 60 h in: the reminder goes out once; 72 h in the hold lapses.
		w.advance(t, 61*time.Hour)
		w.sweep(t)
		w.advance(t, 12*time.Hour, &p1, &p2)
		w.s.Post(t, "/api/v1/bookings/"+hold["id"].(string)+"/confirm", w.orgToken, nil).Expect(t, http.StatusConflict)
		w.sweep(t)
		got := w.s.Get(t, "/api/v1/bookings/"+hold["id"].(string), p1.Token).Expect(t, http.StatusOK).Map(t)
		if got["status"] != "expired" {
			t.Fatalf("after expiry: %v", got)
		}
		w.book(t, ev, p2.Token, map[string]any{"booth_id": booths[0]}).Expect(t, http.StatusCreated)
		if n := len(w.eventBookings(t, ev, "pending,confirmed")); n != 1 {
			t.Fatalf("%d active bookings, want 1", n)
		}
	})
}

func TestBookingConfirmRejectCancelAndPrice(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		w := newFairWorld(t, db)
		ev, booths := w.fair(t, fairOpts{booths: 3, cap: 3, quota: 1})
		p := w.producer(t, producerOpts{stars: 3})
		other := w.producer(t, producerOpts{stars: 3})

		// Idempotency: the same key replays, creating nothing.
		key := map[string]string{"Idempotency-Key": "bk-1"}
		first := w.s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/events/" + ev + "/bookings", Token: p.Token, Header: key,
			Body: map[string]any{"booth_id": booths[0], "subsidised": true}}).Expect(t, http.StatusCreated)
		again := w.s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/events/" + ev + "/bookings", Token: p.Token, Header: key,
			Body: map[string]any{"booth_id": booths[0], "subsidised": true}}).Expect(t, http.StatusCreated)
		if again.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(first.Body, again.Body) {
			t.Fatalf("replay: %v %s", again.Header, again.Body)
		}
		b := first.Map(t)
		if b["subsidised"] != true || b["price_vnd"] != float64(1_000_000) {
			t.Fatalf("subsidised booking = %v", b)
		}
		if pr := w.book(t, ev, p.Token, map[string]any{"booth_id": booths[1], "subsidised": true}).Expect(t, http.StatusConflict).Problem(t); pr.Code != "subsidy_quota_reached" {
			t.Fatalf("second subsidy: %+v", pr)
		}
		b2 := w.book(t, ev, p.Token, map[string]any{"booth_id": booths[1]}).Expect(t, http.StatusCreated).Map(t)

		// Editing a booked booth's price leaves the booking's price alone.
		w.s.Do(t, Req{Method: http.MethodPatch, Path: "/api/v1/booths/" + booths[1], Token: w.orgToken, Body: map[string]any{"price_vnd": 9_000_000}}).Expect(t, http.StatusOK)
		if got := w.s.Get(t, "/api/v1/bookings/"+b2["id"].(string), p.Token).Expect(t, http.StatusOK).Map(t); got["price_vnd"] != float64(5_000_000) {
			t.Fatalf("booking price changed with the booth: %v", got)
		}

		// Only the organiser confirms; another producer sees nothing.
		w.s.Post(t, "/api/v1/bookings/"+b["id"].(string)+"/confirm", p.Token, nil).Expect(t, http.StatusForbidden)
		w.s.Get(t, "/api/v1/bookings/"+b["id"].(string), other.Token).Expect(t, http.StatusNotFound)
		w.s.Post(t, "/api/v1/bookings/"+b["id"].(string)+"/confirm", other.Token, nil).Expect(t, http.StatusNotFound)
		c := w.s.Post(t, "/api/v1/bookings/"+b["id"].(string)+"/confirm", w.orgToken, nil).Expect(t, http.StatusOK).Map(t)
		if c["status"] != "confirmed" || c["confirmed_at"] == nil {
			t.Fatalf("confirmed = %v", c)
		}
		w.s.Post(t, "/api/v1/bookings/"+b["id"].(string)+"/reject", w.orgToken, nil).Expect(t, http.StatusConflict)
		rj := w.s.Post(t, "/api/v1/bookings/"+b2["id"].(string)+"/reject", w.orgToken, map[string]any{"reason": "Hết chỗ khu A"}).Expect(t, http.StatusOK).Map(t)
		if rj["status"] != "rejected" || rj["reason"] != "Hết chỗ khu A" {
			t.Fatalf("rejected = %v", rj)
		}

		// The public page lists the confirmed exhibitor with a link.
		page := w.s.Get(t, "/api/v1/events/"+ev, "").Expect(t, http.StatusOK).Map(t)
		ex := page["exhibitors"].([]any)
		if len(ex) != 1 || ex[0].(map[string]any)["producer_id"] != p.ID || !strings.HasSuffix(ex[0].(map[string]any)["listings_url"].(string), p.ID+"/listings") {
			t.Fatalf("exhibitors = %v", ex)
		}

		// The producer cancels before the fair; the booth is free again.
		w.s.Post(t, "/api/v1/bookings/"+b["id"].(string)+"/cancel", p.Token, nil).Expect(t, http.StatusOK)
		w.book(t, ev, other.Token, map[string]any{"booth_id": booths[0], "subsidised": true}).Expect(t, http.StatusCreated)

		var mine struct{ Items []bookingDTO }
		w.s.Get(t, "/api/v1/me/bookings", p.Token).Expect(t, http.StatusOK).JSON(t, &mine)
		if len(mine.Items) != 2 {
			t.Fatalf("my bookings = %+v", mine.Items)
		}

		// CSV export for the organiser: a header and one line per booking.
		r := w.s.Get(t, "/api/v1/events/"+ev+"/bookings?format=csv", w.orgToken).Expect(t, http.StatusOK)
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("content type %s", r.Header.Get("Content-Type"))
		}
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\ufeff")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 4 || rows[0][0] != "booking_id" || rows[1][1] != "cancelled" || rows[1][5] == "" {
			t.Fatalf("csv = %v", rows)
		}
		w.s.Get(t, "/api/v1/events/"+ev+"/bookings?format=csv", p.Token).Expect(t, http.StatusForbidden)
		w.s.DrainOutbox()
	})
}

func TestWaitlistOfferOrder(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		w := newFairWorld(t, db)
		ev, booths := w.fair(t, fairOpts{zone: "Z"})
		ps := w.producers(t, 4, producerOpts{stars: 3})
		first := w.book(t, ev, ps[0].Token, map[string]any{"zone": "Z"}).Expect(t, http.StatusCreated).Map(t)
		if pr := w.book(t, ev, ps[1].Token, map[string]any{"zone": "Z"}).Expect(t, http.StatusConflict).Problem(t); pr.Code != "zone_full" {
			t.Fatalf("full zone: %+v", pr)
		}
		for i, p := range ps[1:3] {
			e := w.s.Post(t, "/api/v1/events/"+ev+"/waitlist", p.Token, map[string]any{"zone": "Z"}).Expect(t, http.StatusCreated).Map(t)
			if e["position"] != float64(i+1) {
				t.Fatalf("waitlist position = %v, want %d", e["position"], i+1)
			}
			w.s.Clock().Advance(time.Millisecond)
		}
		w.s.Post(t, "/api/v1/events/"+ev+"/waitlist", ps[1].Token, map[string]any{"zone": "Z"}).Expect(t, http.StatusConflict)

		// The holder cancels: the booth is offered to the first in line and
		// nobody else can take it meanwhile.
		w.s.Post(t, "/api/v1/bookings/"+first["id"].(string)+"/cancel", ps[0].Token, nil).Expect(t, http.StatusOK)
		offers := w.eventBookings(t, ev, "offered")
		if len(offers) != 1 || offers[0].ProducerID != ps[1].ID || offers[0].BoothID != booths[0] {
			t.Fatalf("offers = %+v, want one to the first waiting producer", offers)
		}
		if pr := w.book(t, ev, ps[3].Token, map[string]any{"booth_id": booths[0]}).Expect(t, http.StatusConflict).Problem(t); pr.Code != "booth_taken" {
			t.Fatalf("offered booth: %+v", pr)
		}
		// The offer lapses: the next in line gets it, and accepts.
		w.advance(t, 25*time.Hour, &ps[1], &ps[2])
		w.sweep(t)
		offers = w.eventBookings(t, ev, "offered")
		if len(offers) != 1 || offers[0].ProducerID != ps[2].ID {
			t.Fatalf("second offer = %+v, want to the second waiting producer", offers)
		}
		w.s.Post(t, "/api/v1/bookings/"+offers[0].ID+"/accept", ps[1].Token, nil).Expect(t, http.StatusNotFound)
		acc := w.s.Post(t, "/api/v1/bookings/"+offers[0].ID+"/accept", ps[2].Token, nil).Expect(t, http.StatusOK).Map(t)
		if acc["status"] != "pending" || acc["hold_expires_at"] == nil {
			t.Fatalf("accepted = %v", acc)
		}
		var wl struct{ Items []map[string]any }
		w.s.Get(t, "/api/v1/events/"+ev+"/waitlist", w.orgToken).Expect(t, http.StatusOK).JSON(t, &wl)
		statuses := fmt.Sprint(wl.Items[0]["status"], wl.Items[1]["status"])
		if statuses != "lapsedbooked" {
			t.Fatalf("waitlist statuses = %s", statuses)
		}
	})
}

func TestCalendarParses(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		w := newFairWorld(t, db)
		ev, _ := w.fair(t, fairOpts{})
		r := w.s.Get(t, "/api/v1/events/"+ev+"/calendar.ics", "").Expect(t, http.StatusOK)
		cal, err := ical.NewDecoder(bytes.NewReader(r.Body)).Decode()
		if err != nil {
			t.Fatalf("calendar does not parse: %v\n%s", err, r.Body)
		}
		evs := cal.Events()
		if len(evs) != 1 {
			t.Fatalf("%d events", len(evs))
		}
		e, _ := w.s.Store.Events().Get(context.Background(), ev)
		start, err := evs[0].DateTimeStart(time.UTC)
		if err != nil || !start.Equal(e.StartsAt) {
			t.Fatalf("DTSTART = %v (%v), want %v", start, err, e.StartsAt)
		}
		if sum, _ := evs[0].Props.Text(ical.PropSummary); sum != "Hội chợ OCOP Đắk Lắk" {
			t.Fatalf("SUMMARY = %q", sum)
		}
		if uid, _ := evs[0].Props.Text(ical.PropUID); uid != ev+"@ocopconnect" {
			t.Fatalf("UID = %q", uid)
		}
	})
}
