package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ocopconnect/ocopconnect/internal/accounts"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/places"
	"github.com/ocopconnect/ocopconnect/internal/producers"
	"github.com/ocopconnect/ocopconnect/internal/taxonomy"
	. "github.com/ocopconnect/ocopconnect/internal/testsupport"
)

// fairWorld is a server with an admin and an organiser, and helpers that
// create real producers and certificates through the producers use case.
type fairWorld struct {
	s        *Server
	admin    context.Context
	orgToken string
	orgID    string
	orgEmail string
	seq      atomic.Int64

	hashOnce sync.Once
	hash     string
	hashErr  error
}

func principalCtx(u *ocop.User) context.Context {
	return ocop.WithPrincipal(context.Background(), ocop.Principal{UserID: u.ID, Roles: u.Roles, User: u})
}

func newFairWorld(t *testing.T, db DB, opts ...ServerOption) *fairWorld {
	t.Helper()
	s := NewServer(t, db, opts...)
	ctx := context.Background()
	admin, err := s.Accounts.CreateUser(ctx, accounts.RegisterInput{Email: "admin@so-cong-thuong.vn", Password: goodPassword, DisplayName: "Admin", Role: ocop.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	org, err := s.Accounts.CreateUser(ctx, accounts.RegisterInput{Email: "xttm@daklak.gov.vn", Password: goodPassword, DisplayName: "Trung tâm XTTM Đắk Lắk", Role: ocop.RoleOrganiser})
	if err != nil {
		t.Fatal(err)
	}
	return &fairWorld{s: s, admin: principalCtx(admin), orgToken: login(t, s, org.Email, goodPassword).AccessToken, orgID: org.ID, orgEmail: org.Email}
}

type producerOpts struct {
	stars      int    // 0: no certificate
	province   string // default "66" (Đắk Lắk)
	unverified bool
	// expiredCert makes the certificate's decision 40 months old: it ran
	// out 4 months ago.
	expiredCert bool
	group       string // certificate product group (default food)
}

type testProducer struct {
	ID, Token, UserID, Email string
}

// producer signs up a producer user (over HTTP), creates its verified
// producer profile and, if asked, a verified certificate.
func (w *fairWorld) producer(t testing.TB, o producerOpts) testProducer {
	t.Helper()
	n := w.seq.Add(1)
	email := fmt.Sprintf("htx%d@example.vn", n)
	s := w.s
	// The races need a hundred producers: sharing one password hash halves
	// the argon2 work of setting them up (each still logs in for real).
	w.hashOnce.Do(func() { w.hash, w.hashErr = accounts.HashPassword(goodPassword) })
	if w.hashErr != nil {
		t.Fatal(w.hashErr)
	}
	now := s.Clock().Now()
	u := &ocop.User{ID: uuid.Must(uuid.NewV7()).String(), Email: email, DisplayName: "HTX " + email, Roles: []ocop.Role{ocop.RoleProducer},
		Language: ocop.LangVietnamese, PasswordHash: w.hash, CreatedAt: now, UpdatedAt: now}
	if err := s.Store.Users().Create(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	token := loginTB(t, s, email)
	if o.province == "" {
		o.province = "66"
	}
	cs := places.Communes(o.province)
	p, err := s.Producers.Create(principalCtx(u), producers.ProducerInput{
		LegalName: fmt.Sprintf("Hợp tác xã Cà phê số %d", n), Kind: ocop.KindCooperative,
		ProvinceCode: o.province, CommuneCode: cs[0].Code, Address: "Thôn 3",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !o.unverified {
		if _, err := s.Producers.Verify(w.admin, p.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	if o.stars > 0 {
		decided := ocop.DateOf(s.Clock().Now()).AddMonths(-1)
		if o.expiredCert {
			decided = ocop.DateOf(s.Clock().Now()).AddMonths(-40)
		}
		group, set := o.group, ""
		if group == "" {
			group, set = "food", "honey"
		}
		in := producers.CertificateInput{ProductName: fmt.Sprintf("Mật ong hoa cà phê %d", n), ProductGroup: group, ProductSet: set,
			Stars: o.stars, DecisionNumber: fmt.Sprintf("%d/QĐ-UBND", 100+n), DecisionDate: decided.String(),
			IssuingLevel: ocop.IssuingProvincial, IssuingBody: "UBND tỉnh Đắk Lắk"}
		if o.stars == 5 {
			in.IssuingLevel, in.IssuingBody = ocop.IssuingNational, "Bộ Nông nghiệp và Môi trường"
		}
		if set == "" {
			in.ProductSet = firstSet(t, group)
		}
		c, err := s.Producers.AddCertificate(principalCtx(u), p.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Producers.VerifyCertificate(w.admin, c.ID); err != nil && !o.expiredCert {
			t.Fatal(err)
		}
	}
	return testProducer{ID: p.ID, Token: token, UserID: u.ID, Email: email}
}

// producers creates n producers in parallel (password hashing dominates).
func (w *fairWorld) producers(t *testing.T, n int, o producerOpts) []testProducer {
	t.Helper()
	out := make([]testProducer, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i] = w.producerNoFatal(t, o)
		}()
	}
	wg.Wait()
	for i := range out {
		if out[i].ID == "" {
			t.Fatal("a producer could not be created (see errors above)")
		}
	}
	return out
}

// producerNoFatal is producer for goroutines: it reports with Errorf.
func (w *fairWorld) producerNoFatal(t *testing.T, o producerOpts) (tp testProducer) {
	ft := &errorOnly{T: t}
	defer func() {
		if r := recover(); r != nil && r != errorOnlyAbort {
			panic(r)
		}
	}()
	return w.producer(ft, o)
}

var errorOnlyAbort = new(int)

// errorOnly turns Fatal into Error + unwinding, so helpers can run in
// goroutines (t.FailNow must only be called from the test goroutine).
type errorOnly struct{ *testing.T }

func (e *errorOnly) Fatal(args ...any) {
	e.T.Error(args...)
	panic(errorOnlyAbort)
}

func (e *errorOnly) Fatalf(format string, args ...any) {
	e.T.Errorf(format, args...)
	panic(errorOnlyAbort)
}

func firstSet(t testing.TB, group string) string {
	t.Helper()
	g, ok := taxonomy.Current().Group(group)
	if !ok || len(g.Sets) == 0 {
		t.Fatalf("no product set in group %s", group)
	}
	return g.Sets[0].Code
}

func loginTB(t testing.TB, s *Server, email string) string {
	t.Helper()
	var tk tokens
	s.Post(t, "/api/v1/auth/login", "", map[string]any{"email": email, "password": goodPassword}).Expect(t, http.StatusOK).JSON(t, &tk)
	return tk.AccessToken
}

// fairOpts shape a test fair.
type fairOpts struct {
	minStars  int
	groups    []string
	provinces []string
	cap       int
	booths    int
	zone      string
	quota     int
	// opensIn delays the booking window (default: open now).
	opensIn time.Duration
	draft   bool
}

// fair creates (and unless draft, publishes) an event with booths A1..An
// in one zone; it returns the event ID and the booth IDs by code order.
func (w *fairWorld) fair(t *testing.T, o fairOpts) (string, []string) {
	t.Helper()
	now := w.s.Clock().Now()
	if o.cap == 0 {
		o.cap = 1
	}
	if o.booths == 0 {
		o.booths = 1
	}
	if o.zone == "" {
		o.zone = "A"
	}
	if o.groups == nil {
		o.groups = []string{}
	}
	if o.provinces == nil {
		o.provinces = []string{}
	}
	body := map[string]any{
		"name": "Hội chợ OCOP Đắk Lắk", "venue": "Quảng trường 10/3", "address": "Lê Duẩn, Buôn Ma Thuột",
		"province_code": "66", "starts_at": now.Add(30 * 24 * time.Hour).Format(time.RFC3339),
		"ends_at":                 now.Add(33 * 24 * time.Hour).Format(time.RFC3339),
		"booking_opens_at":        now.Add(o.opensIn).Add(-time.Minute).Format(time.RFC3339),
		"booking_closes_at":       now.Add(20 * 24 * time.Hour).Format(time.RFC3339),
		"eligibility":             map[string]any{"min_stars": o.minStars, "product_groups": o.groups, "producer_provinces": o.provinces},
		"max_booths_per_producer": o.cap, "subsidised_quota": o.quota, "subsidised_price_vnd": 1_000_000,
	}
	var ev struct{ ID string }
	w.s.Post(t, "/api/v1/events", w.orgToken, body).Expect(t, http.StatusCreated).JSON(t, &ev)
	booths := make([]map[string]any, o.booths)
	for i := range booths {
		booths[i] = map[string]any{"code": fmt.Sprintf("%s%d", o.zone, i+1), "zone": o.zone, "size_m2": 9, "price_vnd": 5_000_000,
			"x": float64(i%10) * 3.5, "y": float64(i/10) * 3.5, "width": 3, "height": 3, "features": []string{"power"}}
	}
	var list struct{ Items []struct{ ID string } }
	w.s.Post(t, "/api/v1/events/"+ev.ID+"/booths", w.orgToken, map[string]any{"booths": booths}).Expect(t, http.StatusCreated).JSON(t, &list)
	if !o.draft {
		w.s.Post(t, "/api/v1/events/"+ev.ID+"/publish", w.orgToken, nil).Expect(t, http.StatusOK)
	}
	ids := make([]string, len(list.Items))
	for i, b := range list.Items {
		ids[i] = b.ID
	}
	return ev.ID, ids
}

// book posts a booking with a fresh Idempotency-Key.
func (w *fairWorld) book(t testing.TB, eventID, token string, body map[string]any) *Response {
	return w.s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/events/" + eventID + "/bookings", Token: token, Body: body,
		Header: map[string]string{"Idempotency-Key": uuid.NewString()}})
}

type bookingDTO struct {
	ID            string     `json:"id"`
	Status        string     `json:"status"`
	BoothID       string     `json:"booth_id"`
	BoothCode     string     `json:"booth_code"`
	ProducerID    string     `json:"producer_id"`
	PriceVND      int64      `json:"price_vnd"`
	Subsidised    bool       `json:"subsidised"`
	HoldExpiresAt *time.Time `json:"hold_expires_at"`
}

// eventBookings lists every booking of an event (organiser view).
func (w *fairWorld) eventBookings(t *testing.T, eventID, status string) []bookingDTO {
	t.Helper()
	path := "/api/v1/events/" + eventID + "/bookings?limit=100"
	if status != "" {
		path += "&status=" + status
	}
	var out struct{ Items []bookingDTO }
	w.s.Get(t, path, w.orgToken).Expect(t, http.StatusOK).JSON(t, &out)
	return out.Items
}

// sweep runs the events sweep now (the clock decides what lapsed).
func (w *fairWorld) sweep(t *testing.T) {
	t.Helper()
	if _, err := w.s.Events.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.s.DrainOutbox()
}

// advance moves the clock and logs the organiser and the given producers
// in again (access tokens last 15 minutes).
func (w *fairWorld) advance(t *testing.T, d time.Duration, ps ...*testProducer) {
	t.Helper()
	w.s.Clock().Advance(d)
	w.orgToken = loginTB(t, w.s, w.orgEmail)
	for _, p := range ps {
		p.Token = loginTB(t, w.s, p.Email)
	}
}
