package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ocopconnect/ocopconnect/internal/accounts"
	"github.com/ocopconnect/ocopconnect/internal/events"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/places"
	"github.com/ocopconnect/ocopconnect/internal/producers"
	"github.com/ocopconnect/ocopconnect/internal/testsupport"
)

// BenchmarkBookingContention measures booking under contention: 16
// concurrent producers keep asking for "any booth of zone A" of one fair
// (32 booths, one booth each) and cancel what they get, so every request
// competes for the same few rows and the database's write lock. One op is
// a booking request (plus the cancel when it succeeded); the latency of
// the booking requests is reported as p50-ms and p99-ms.
func BenchmarkBookingContention(b *testing.B) {
	a, srv := benchApp(b)
	ctx := context.Background()
	mk := func(email string, role ocop.Role) *ocop.User {
		u, err := a.Accounts.CreateUser(ctx, accounts.RegisterInput{Email: email, Password: goodPassword, DisplayName: email, Role: role})
		if err != nil {
			b.Fatal(err)
		}
		return u
	}
	as := func(u *ocop.User) context.Context {
		return ocop.WithPrincipal(ctx, ocop.Principal{UserID: u.ID, Roles: u.Roles})
	}
	admin, org := mk("admin@bench.vn", ocop.RoleAdmin), mk("org@bench.vn", ocop.RoleOrganiser)
	now := time.Now()
	str := func(s string) *string { return &s }
	zero, one := 0, 1
	ev, err := a.Events.CreateEvent(as(org), events.EventInput{
		Name: str("Bench fair"), Venue: str("Hall"), Address: str("1 Street"), ProvinceCode: str("66"),
		StartsAt: str(now.Add(30 * 24 * time.Hour).Format(time.RFC3339)), EndsAt: str(now.Add(31 * 24 * time.Hour).Format(time.RFC3339)),
		BookingOpensAt: str(now.Add(-time.Hour).Format(time.RFC3339)), BookingClosesAt: str(now.Add(20 * 24 * time.Hour).Format(time.RFC3339)),
		MinStars: &zero, MaxBoothsPerProducer: &one,
	})
	if err != nil {
		b.Fatal(err)
	}
	var booths []events.BoothInput
	for i := range 32 {
		code, zone, size, price, x, y := fmt.Sprintf("A%d", i+1), "A", 9.0, int64(5_000_000), float64(i%8)*3, float64(i/8)*3
		booths = append(booths, events.BoothInput{Code: &code, Zone: &zone, SizeM2: &size, PriceVND: &price, X: &x, Y: &y, Width: ptr(3.0), Height: ptr(3.0)})
	}
	if _, err := a.Events.ImportBooths(as(org), ev.ID, booths); err != nil {
		b.Fatal(err)
	}
	if _, err := a.Events.PublishEvent(as(org), ev.ID); err != nil {
		b.Fatal(err)
	}
	commune := places.Communes("66")[0].Code
	const workers = 16
	access := make([]string, workers)
	for i := range access {
		email := fmt.Sprintf("htx%d@bench.vn", i)
		u := mk(email, ocop.RoleProducer)
		p, err := a.Producers.Create(as(u), producers.ProducerInput{LegalName: "HTX " + email, Kind: ocop.KindCooperative,
			ProvinceCode: "66", CommuneCode: commune, Address: "Thôn 1"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.Producers.Verify(as(admin), p.ID, ""); err != nil {
			b.Fatal(err)
		}
		resp, err := http.Post(srv.URL+"/api/v1/auth/login", "application/json",
			strings.NewReader(`{"email":"`+email+`","password":"`+goodPassword+`"}`))
		if err != nil {
			b.Fatal(err)
		}
		var tk tokens
		(&testsupport.Response{Body: mustRead(resp)}).JSON(b, &tk)
		access[i] = tk.AccessToken
	}

	client := benchClient()
	post := func(path, token, body string, idem bool) (int, []byte, error) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if idem {
			req.Header.Set("Idempotency-Key", uuid.NewString())
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		return resp.StatusCode, mustRead(resp), nil
	}
	var (
		mu        sync.Mutex
		latencies []time.Duration
		booked    atomic.Int64
		next      atomic.Int64
	)
	b.SetParallelism(workers / 2) // 2 cores here: 16 goroutines
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		token := access[int(next.Add(1)-1)%workers]
		var mine []time.Duration
		for pb.Next() {
			t0 := time.Now()
			status, body, err := post("/api/v1/events/"+ev.ID+"/bookings", token, `{"zone":"A"}`, true)
			mine = append(mine, time.Since(t0))
			if err != nil {
				b.Error(err)
				return
			}
			switch status {
			case http.StatusCreated:
				booked.Add(1)
				var bk struct{ ID string }
				_ = json.Unmarshal(body, &bk)
				if st, body, err := post("/api/v1/bookings/"+bk.ID+"/cancel", token, "", false); err != nil || st != http.StatusOK {
					b.Errorf("cancel: %d %s %v", st, body, err)
					return
				}
			case http.StatusConflict: // zone_full at that instant: a legitimate answer under contention
			default:
				b.Errorf("booking answered %d: %s", status, body)
				return
			}
		}
		mu.Lock()
		latencies = append(latencies, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(latencies) == 0 {
		return
	}
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[min(len(latencies)-1, int(float64(len(latencies))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(booked.Load())/elapsed.Seconds(), "bookings/s")
}
