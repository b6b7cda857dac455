package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ocopconnect/ocopconnect/internal/accounts"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	. "github.com/ocopconnect/ocopconnect/internal/testsupport"
)

// meetWorld is a published fair with exhibitors and a meeting programme.
type meetWorld struct {
	*fairWorld
	event  string
	booths []string
	// day is the fair's second day (local date), where the slots are.
	day string
}

type buyerActor struct {
	ID, Token, Email string
}

// newMeetWorld creates a fair with n booths (none booked yet).
func newMeetWorld(t *testing.T, db DB, booths int) *meetWorld {
	t.Helper()
	w := newFairWorld(t, db)
	ev, ids := w.fair(t, fairOpts{booths: booths})
	e, err := w.s.Store.Events().Get(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	day := e.StartsAt.In(e.Location()).AddDate(0, 0, 1).Format("2006-01-02")
	return &meetWorld{fairWorld: w, event: ev, booths: ids, day: day}
}

// programme sets the meeting programme on the fair's second day.
func (w *meetWorld) programme(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	b := map[string]any{"days": []string{w.day}, "day_start": "08:00", "day_end": "12:00", "slot_minutes": 30, "tables": 2,
		"request_expiry_hours": 4, "daily_cap": 3, "mode": "approve"}
	for k, v := range body {
		b[k] = v
	}
	return w.s.Do(t, Req{Method: http.MethodPut, Path: "/api/v1/events/" + w.event + "/meeting-programme", Token: w.orgToken, Body: b}).
		Expect(t, http.StatusOK).Map(t)
}

// slot returns the local start of the i-th slot of the day (minutes long).
func (w *meetWorld) slot(i, minutes int) string {
	start, _ := time.Parse("2006-01-02T15:04", w.day+"T08:00")
	return start.Add(time.Duration(i*minutes) * time.Minute).Format("2006-01-02T15:04")
}

// slotTime is the instant of a local slot start.
func (w *meetWorld) slotTime(t testing.TB, local string) time.Time {
	t.Helper()
	loc, _ := time.LoadLocation(ocop.DefaultEventTimeZone)
	at, err := time.ParseInLocation("2006-01-02T15:04", local, loc)
	if err != nil {
		t.Fatal(err)
	}
	return at.UTC()
}

// exhibitor books booth i for the producer and has the organiser confirm it.
func (w *meetWorld) exhibitor(t testing.TB, p testProducer, booth int) {
	t.Helper()
	b := w.book(t, w.event, p.Token, map[string]any{"booth_id": w.booths[booth]}).Expect(t, http.StatusCreated).Map(t)
	w.s.Post(t, "/api/v1/bookings/"+b["id"].(string)+"/confirm", w.orgToken, nil).Expect(t, http.StatusOK)
}

// listing creates and publishes a listing of the producer.
func (w *meetWorld) listing(t testing.TB, p testProducer, title, group, set string) string {
	t.Helper()
	body := map[string]any{"producer_id": p.ID, "title_vi": title, "description_vi": title + " của hợp tác xã.",
		"product_group": group, "product_set": set, "unit": "kg", "min_order_qty": 10}
	r := w.s.Post(t, "/api/v1/listings", p.Token, body).Expect(t, http.StatusCreated)
	id := r.Map(t)["id"].(string)
	w.s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/listings/" + id + "/publish", Token: p.Token,
		Header: map[string]string{"If-Match": r.Header.Get("ETag")}}).Expect(t, http.StatusOK)
	return id
}

// buyer creates a buyer account (sharing the world's password hash) and
// logs it in.
func (w *meetWorld) buyer(t testing.TB) buyerActor {
	t.Helper()
	n := w.seq.Add(1)
	email := fmt.Sprintf("buyer%d@example.vn", n)
	w.hashOnce.Do(func() { w.hash, w.hashErr = accounts.HashPassword(goodPassword) })
	if w.hashErr != nil {
		t.Fatal(w.hashErr)
	}
	now := w.s.Clock().Now()
	u := &ocop.User{ID: uuid.Must(uuid.NewV7()).String(), Email: email, DisplayName: "Buyer " + email, Roles: []ocop.Role{ocop.RoleBuyer},
		Language: ocop.LangVietnamese, PasswordHash: w.hash, CreatedAt: now, UpdatedAt: now}
	if err := w.s.Store.Users().Create(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return buyerActor{ID: u.ID, Token: loginTB(t, w.s, email), Email: email}
}

// register signs the buyer up for the fair's meetings.
func (w *meetWorld) register(t testing.TB, b buyerActor, interests, provinces []string) map[string]any {
	t.Helper()
	return w.s.Post(t, "/api/v1/events/"+w.event+"/registrations", b.Token, map[string]any{
		"company": "Công ty " + b.Email, "interests": interests, "sourcing_provinces": provinces,
	}).Expect(t, http.StatusCreated).Map(t)
}

// request asks for a meeting with a fresh Idempotency-Key.
func (w *meetWorld) request(t testing.TB, token string, body map[string]any) *Response {
	return w.s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/events/" + w.event + "/meetings", Token: token, Body: body,
		Header: map[string]string{"Idempotency-Key": uuid.NewString()}})
}

// sweepMeetings runs the meetings sweep now.
func (w *meetWorld) sweepMeetings(t *testing.T) {
	t.Helper()
	if _, err := w.s.Meetings.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.s.DrainOutbox()
}

// relogin refreshes tokens after the clock moved.
func (w *meetWorld) relogin(t *testing.T, ps []*testProducer, bs []*buyerActor) {
	t.Helper()
	w.orgToken = loginTB(t, w.s, w.orgEmail)
	for _, p := range ps {
		p.Token = loginTB(t, w.s, p.Email)
	}
	for _, b := range bs {
		b.Token = loginTB(t, w.s, b.Email)
	}
}

func meetingStatus(t *testing.T, w *meetWorld, id string) ocop.MeetingStatus {
	t.Helper()
	m, err := w.s.Store.Meetings().Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m.Status
}
