package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

// TestMeetingRulesAreEnforcedByTheDatabase writes meetings straight through
// the repository, bypassing every check of the use case, and expects the
// schema to refuse each broken rule by name on both dialects.
func TestMeetingRulesAreEnforcedByTheDatabase(t *testing.T) {
	testdb.ForEachDatabase(t, func(t *testing.T, db testdb.DB) {
		ctx := context.Background()
		st := testdb.OpenStore(t, db)
		now := time.Now().UTC().Truncate(time.Millisecond)
		for _, id := range []string{"org", "b1", "b2", "b3"} {
			u := &ocop.User{ID: id, Email: id + "@x.vn", DisplayName: id, Roles: []ocop.Role{ocop.RoleBuyer}, Language: "vi", PasswordHash: "h", CreatedAt: now, UpdatedAt: now}
			if err := st.Users().Create(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		e := &ocop.Event{ID: "e1", OrganiserID: "org", Status: ocop.EventPublished, Name: "F", Venue: "V", Address: "A", ProvinceCode: "66",
			TimeZone: "Asia/Ho_Chi_Minh", StartsAt: now.Add(48 * time.Hour), EndsAt: now.Add(72 * time.Hour),
			BookingOpensAt: now.Add(-time.Hour), BookingClosesAt: now.Add(24 * time.Hour), MaxBoothsPerProducer: 1, CreatedAt: now, UpdatedAt: now}
		if err := st.Events().Create(ctx, e, ""); err != nil {
			t.Fatal(err)
		}
		for i, id := range []string{"p1", "p2", "p3"} {
			p := &ocop.Producer{ID: id, LegalName: "HTX " + id, Kind: ocop.KindCooperative, ProvinceCode: "66", CommuneCode: "24133",
				Status: ocop.ProducerVerified, CreatedAt: now, UpdatedAt: now}
			if err := st.Producers().Create(ctx, p, id); err != nil {
				t.Fatal(err)
			}
			b := &ocop.Booth{ID: fmt.Sprintf("booth%d", i), EventID: "e1", Code: fmt.Sprintf("A%d", i), Zone: "A", SizeM2: 9, PriceVND: 1, Width: 3, Height: 3, CreatedAt: now, UpdatedAt: now}
			if err := st.Booths().CreateMany(ctx, []*ocop.Booth{b}); err != nil {
				t.Fatal(err)
			}
			status := ocop.BookingConfirmed // p3's booking stays pending: not an exhibitor
			if id == "p3" {
				status = ocop.BookingPending
			}
			exp := now.Add(time.Hour)
			k := &ocop.Booking{ID: "k" + id, EventID: "e1", BoothID: b.ID, ProducerID: id, UserID: "org", Status: ocop.BookingPending,
				ProducerSlot: 1, HoldExpiresAt: &exp, CreatedAt: now, UpdatedAt: now}
			if err := st.Bookings().Create(ctx, k, 1, 0); err != nil {
				t.Fatal(err)
			}
			if status == ocop.BookingConfirmed {
				if _, err := st.Bookings().Transition(ctx, k.ID, ocop.BookingTransition{From: []ocop.BookingStatus{ocop.BookingPending}, To: status, At: now}); err != nil {
					t.Fatal(err)
				}
			}
		}
		repo := st.Meetings()
		prog := &ocop.MeetingProgramme{EventID: "e1", Days: []string{"2030-01-02"}, DayStart: "08:00", DayEnd: "12:00", SlotMinutes: 30,
			Tables: 2, RequestExpiryHours: 4, DailyCap: 2, Mode: ocop.MeetingAuto, CreatedAt: now, UpdatedAt: now}
		if err := repo.SaveProgramme(ctx, prog); err != nil {
			t.Fatal(err)
		}
		for _, b := range []string{"b1", "b2", "b3"} {
			if err := repo.CreateRegistration(ctx, &ocop.BuyerRegistration{ID: "r" + b, EventID: "e1", BuyerID: b, Company: b, CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
		slot := time.Date(2030, 1, 2, 1, 0, 0, 0, time.UTC)
		n := 0
		meeting := func(buyer, producer string, table, bseq, pseq int, mod func(m *ocop.Meeting)) *ocop.Meeting {
			n++
			acc := now
			m := &ocop.Meeting{ID: fmt.Sprintf("m%d", n), EventID: "e1", RegistrationID: "r" + buyer, BuyerID: buyer, ProducerID: producer,
				SlotStart: slot, SlotEnd: slot.Add(30 * time.Minute), Day: "2030-01-02", Status: ocop.MeetingAccepted, Table: table,
				BuyerDaySeq: bseq, ProducerDaySeq: pseq, CreatedAt: now, UpdatedAt: now, AcceptedAt: &acc}
			if mod != nil {
				mod(m)
			}
			return m
		}
		create := func(m *ocop.Meeting) error { return repo.Create(ctx, m, prog.Tables, prog.DailyCap) }
		if err := create(meeting("b1", "p1", 1, 1, 1, nil)); err != nil {
			t.Fatal(err)
		}
		later := func(m *ocop.Meeting) { m.SlotStart, m.SlotEnd = slot.Add(time.Hour), slot.Add(90*time.Minute) }
		pending := func(m *ocop.Meeting) {
			exp := now.Add(time.Hour)
			m.Status, m.Table, m.ProducerDaySeq, m.AcceptedAt, m.ExpiresAt = ocop.MeetingPending, 0, 0, nil, &exp
		}
		for _, tc := range []struct {
			name string
			m    *ocop.Meeting
			want string
		}{
			{"the buyer in two meetings at once", meeting("b1", "p2", 2, 2, 1, nil), "meetings_buyer_slot"},
			{"the producer in two meetings at once", meeting("b2", "p1", 2, 1, 2, nil), "meetings_producer_slot"},
			{"a table taken twice", meeting("b2", "p2", 1, 1, 1, nil), "meetings_table"},
			{"a table above the capacity", meeting("b2", "p2", 3, 1, 1, nil), "meetings_table_within_capacity"},
			{"an accepted meeting without a table", meeting("b2", "p2", 0, 1, 1, nil), "meetings_table_when_accepted"},
			{"above the buyer's daily cap", meeting("b1", "p2", 1, 3, 1, later), "meetings_within_daily_cap"},
			{"the buyer's day slot twice", meeting("b1", "p2", 1, 1, 1, later), "meetings_buyer_day"},
			{"the producer's day slot twice", meeting("b2", "p1", 1, 1, 1, later), "meetings_producer_day"},
			{"a producer without a confirmed booth", meeting("b2", "p3", 2, 1, 1, nil), "meetings_producer_not_exhibiting"},
			{"a pending request without expiry", meeting("b2", "p2", 0, 1, 0, func(m *ocop.Meeting) { pending(m); m.ExpiresAt = nil }), "meetings_pending_expires"},
		} {
			err := create(tc.m)
			cv, ok := ocop.AsConstraint(err)
			if !ok || cv.Name != tc.want {
				t.Errorf("%s: err = %v (constraint %+v), want %s", tc.name, err, cv, tc.want)
			}
		}
		// An unregistered buyer: the registration foreign key.
		m := meeting("b2", "p2", 2, 1, 1, func(m *ocop.Meeting) { m.RegistrationID = "rb3" })
		if cv, ok := ocop.AsConstraint(create(m)); !ok || cv.Kind != "foreign_key" {
			t.Errorf("a registration of another buyer: %+v", cv)
		}
		// A slot the producer is away.
		if err := repo.SaveSettings(ctx, "e1", "p2", "", []time.Time{slot}, now); err != nil {
			t.Fatal(err)
		}
		if cv, ok := ocop.AsConstraint(create(meeting("b2", "p2", 2, 1, 1, nil))); !ok || cv.Name != "meetings_producer_away" {
			t.Errorf("an away slot: %+v", cv)
		}
		if err := repo.SaveSettings(ctx, "e1", "p2", "", nil, now); err != nil {
			t.Fatal(err)
		}
		// Expired requests hold nothing: the buyer's slot and day slot are free again.
		req := meeting("b2", "p2", 0, 1, 0, pending)
		if err := create(req); err != nil {
			t.Fatal(err)
		}
		if err := create(meeting("b2", "p1", 0, 2, 0, func(m *ocop.Meeting) { pending(m); later(m) })); err != nil {
			t.Fatal(err)
		}
		if ok, err := repo.Transition(ctx, req.ID, ocop.MeetingTransition{From: []ocop.MeetingStatus{ocop.MeetingPending}, To: ocop.MeetingExpired, At: now}); err != nil || !ok {
			t.Fatalf("expire: %v %v", ok, err)
		}
		if err := create(meeting("b2", "p2", 2, 1, 1, nil)); err != nil {
			t.Fatalf("the slot of an expired request is not free: %v", err)
		}
		// Fewer tables than in use is refused; the cap likewise.
		prog.Tables = 1
		if cv, ok := ocop.AsConstraint(repo.SaveProgramme(ctx, prog)); !ok || cv.Name != "meetings_table_within_capacity" {
			t.Errorf("lowering the tables below those in use: %+v", cv)
		}
		prog.Tables, prog.DailyCap = 2, 1
		if cv, ok := ocop.AsConstraint(repo.SaveProgramme(ctx, prog)); !ok || cv.Name != "meetings_within_daily_cap" {
			t.Errorf("lowering the cap below day slots in use: %+v", cv)
		}
		// A cancelled fair takes no meetings.
		if _, err := st.Events().SetStatus(ctx, "e1", []ocop.EventStatus{ocop.EventPublished}, ocop.EventCancelled, now); err != nil {
			t.Fatal(err)
		}
		if cv, ok := ocop.AsConstraint(create(meeting("b3", "p1", 2, 1, 2, later))); !ok || cv.Name != "meetings_event_not_open" {
			t.Errorf("a cancelled fair: %+v", cv)
		}
	})
}
