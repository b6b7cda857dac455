package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

// TestBookingRulesAreEnforcedByTheDatabase writes bookings straight through
// the repository, bypassing every check of the use case, and expects the
// schema to refuse each broken rule by name on both dialects.
func TestBookingRulesAreEnforcedByTheDatabase(t *testing.T) {
	testdb.ForEachDatabase(t, func(t *testing.T, db testdb.DB) {
		ctx := context.Background()
		st := testdb.OpenStore(t, db)
		now := time.Now().UTC().Truncate(time.Millisecond)
		u := &ocop.User{ID: "u1", Email: "org@x.vn", DisplayName: "O", Roles: []ocop.Role{ocop.RoleOrganiser}, Language: "vi", PasswordHash: "h", CreatedAt: now, UpdatedAt: now}
		if err := st.Users().Create(ctx, u); err != nil {
			t.Fatal(err)
		}
		e := &ocop.Event{ID: "e1", OrganiserID: "u1", Status: ocop.EventPublished, Name: "F", Venue: "V", Address: "A", ProvinceCode: "66",
			TimeZone: "Asia/Ho_Chi_Minh", StartsAt: now.Add(48 * time.Hour), EndsAt: now.Add(72 * time.Hour),
			BookingOpensAt: now.Add(-time.Hour), BookingClosesAt: now.Add(24 * time.Hour),
			Eligibility:          ocop.Eligibility{MinStars: 4, ProductGroups: []string{"food"}, ProducerProvinces: []string{"66", "68"}},
			MaxBoothsPerProducer: 2, SubsidisedQuota: 1, CreatedAt: now, UpdatedAt: now}
		if err := st.Events().Create(ctx, e, ""); err != nil {
			t.Fatal(err)
		}
		var booths []*ocop.Booth
		for _, code := range []string{"A1", "A2", "A3", "A4"} {
			booths = append(booths, &ocop.Booth{ID: "b-" + code, EventID: "e1", Code: code, Zone: "A", SizeM2: 9, PriceVND: 1, Width: 3, Height: 3, CreatedAt: now, UpdatedAt: now})
		}
		if err := st.Booths().CreateMany(ctx, booths); err != nil {
			t.Fatal(err)
		}
		n := 0
		booking := func(booth, producer string, slot int, mod func(b *ocop.Booking)) *ocop.Booking {
			n++
			exp := now.Add(time.Hour)
			b := &ocop.Booking{ID: "k" + string(rune('a'+n)), EventID: "e1", BoothID: booth, ProducerID: producer, UserID: "u1",
				Status: ocop.BookingPending, ProducerSlot: slot, HoldExpiresAt: &exp, CreatedAt: now, UpdatedAt: now,
				Qualification: ocop.Qualification{Stars: 4, ProductGroup: "food", Province: "66"}}
			if mod != nil {
				mod(b)
			}
			return b
		}
		create := func(b *ocop.Booking) error { return st.Bookings().Create(ctx, b, 2, 1) }
		if err := create(booking("b-A1", "p1", 1, nil)); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			b    *ocop.Booking
			want string
		}{
			{"a second booking holding the booth", booking("b-A1", "p2", 1, nil), "bookings_one_active_per_booth"},
			{"the same slot twice", booking("b-A2", "p1", 1, nil), "bookings_producer_slot"},
			{"a slot above the cap", booking("b-A2", "p1", 3, nil), "bookings_slot_within_cap"},
			{"an active booking without a slot", booking("b-A2", "p1", 0, nil), "bookings_slot_when_active"},
			{"outside the booking window", booking("b-A2", "p3", 1, func(b *ocop.Booking) { b.UpdatedAt = now.Add(25 * time.Hour) }), "bookings_outside_window"},
			{"below the minimum stars", booking("b-A2", "p3", 1, func(b *ocop.Booking) { b.Stars = 3 }), "bookings_below_min_stars"},
			{"a product group not allowed", booking("b-A2", "p3", 1, func(b *ocop.Booking) { b.ProductGroup = "herbal" }), "bookings_group_not_allowed"},
			{"a province not allowed", booking("b-A2", "p3", 1, func(b *ocop.Booking) { b.Province = "01" }), "bookings_province_not_allowed"},
			{"a subsidy slot above the quota", booking("b-A2", "p3", 1, func(b *ocop.Booking) { b.Subsidised, b.SubsidySlot = true, 2 }), "bookings_subsidy_within_quota"},
		} {
			err := create(tc.b)
			cv, ok := ocop.AsConstraint(err)
			if !ok || cv.Name != tc.want {
				t.Errorf("%s: err = %v (constraint %+v), want %s", tc.name, err, cv, tc.want)
			}
		}
		// A lowered cap cascades onto the bookings and is refused while a
		// slot above it is in use.
		if err := create(booking("b-A2", "p1", 2, nil)); err != nil {
			t.Fatal(err)
		}
		e.MaxBoothsPerProducer = 1
		err := st.Events().Update(ctx, e, "")
		if cv, ok := ocop.AsConstraint(err); !ok || cv.Name != "bookings_slot_within_cap" {
			t.Fatalf("lowering the cap below a held slot: %v", err)
		}
		// An unpublished event takes no bookings.
		if _, err := st.Events().SetStatus(ctx, "e1", []ocop.EventStatus{ocop.EventPublished}, ocop.EventCancelled, now); err != nil {
			t.Fatal(err)
		}
		err = create(booking("b-A3", "p4", 1, nil))
		if cv, ok := ocop.AsConstraint(err); !ok || cv.Name != "bookings_event_not_open" {
			t.Fatalf("booking a cancelled event: %v", err)
		}
	})
}
