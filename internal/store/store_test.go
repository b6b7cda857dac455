package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/store"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// columns lists "table.column" for every table of the schema.
func columns(t *testing.T, st *store.Store) []string {
	t.Helper()
	var q string
	if st.Dialect() == store.Postgres {
		q = `SELECT table_name || '.' || column_name FROM information_schema.columns
			WHERE table_schema = 'public' AND table_name <> 'goose_db_version'`
	} else {
		q = `SELECT m.name || '.' || p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'goose_db_version'`
	}
	rows, err := st.SQLDB().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// TestDialectsHaveTheSameSchema proves both migration folders produce the
// same tables and columns, so code written against one works on the other.
func TestDialectsHaveTheSameSchema(t *testing.T) {
	schemas := map[string][]string{}
	for _, b := range testdb.DatabaseBackends(t) {
		st := testdb.OpenStore(t, b.New(t))
		schemas[b.Name] = columns(t, st)
	}
	lite, pg := schemas[store.SQLite], schemas[store.Postgres]
	if len(lite) == 0 {
		t.Fatal("SQLite schema is empty")
	}
	if pg == nil {
		return // PostgreSQL not configured (and not strict): nothing to compare
	}
	if !slices.Equal(lite, pg) {
		var onlyLite, onlyPG []string
		for _, c := range lite {
			if !slices.Contains(pg, c) {
				onlyLite = append(onlyLite, c)
			}
		}
		for _, c := range pg {
			if !slices.Contains(lite, c) {
				onlyPG = append(onlyPG, c)
			}
		}
		t.Fatalf("schemas differ\nonly in SQLite: %v\nonly in PostgreSQL: %v", onlyLite, onlyPG)
	}
}

func TestMigrateDownAndUp(t *testing.T) {
	testdb.ForEachDatabase(t, func(t *testing.T, db testdb.DB) {
		st := testdb.OpenStore(t, db)
		ctx := context.Background()
		before := columns(t, st)
		all, err := st.MigrationStatuses(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for range all {
			if _, err := st.MigrateDown(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if left := columns(t, st); len(left) != 0 {
			t.Fatalf("after rolling everything back, left: %v", left)
		}
		if _, err := st.MigrateUp(ctx); err != nil {
			t.Fatal(err)
		}
		if after := columns(t, st); !slices.Equal(before, after) {
			t.Fatal("down then up does not restore the schema")
		}
	})
}

func TestRateLimiterAcrossHandles(t *testing.T) {
	testdb.ForEachDatabase(t, func(t *testing.T, db testdb.DB) {
		// Two stores on one database stand for two API processes.
		a, b := testdb.OpenStore(t, db), testdb.OpenStore(t, db)
		now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		a.SetClock(clock)
		b.SetClock(clock)
		ctx := context.Background()
		allowed := 0
		for i := range 10 {
			st := a
			if i%2 == 1 {
				st = b
			}
			d, err := st.RateLimiter().Hit(ctx, "k", 4, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed {
				allowed++
			} else if d.RetryAfter <= 0 {
				t.Fatal("denied without Retry-After")
			}
		}
		if allowed != 4 {
			t.Fatalf("%d of 10 allowed across two handles, want 4", allowed)
		}
		// Half-way into the next window the previous one still weighs half.
		now = now.Add(90 * time.Minute)
		d, err := a.RateLimiter().Peek(ctx, "k", 4, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed {
			t.Fatalf("sliding estimate %d should still be over 4", d.Count)
		}
		now = now.Add(45 * time.Minute)
		if d, _ := a.RateLimiter().Peek(ctx, "k", 4, time.Hour); !d.Allowed {
			t.Fatalf("estimate %d should be under the limit by now", d.Count)
		}
	})
}

// Just after a window boundary the previous window still counts nearly in
// full: two of a daily three at 23:00, then at 00:28 one more is allowed
// and the next is not (an estimate rounded down let it through).
func TestRateLimiterAtTheBoundary(t *testing.T) {
	testdb.ForEachDatabase(t, func(t *testing.T, db testdb.DB) {
		st := testdb.OpenStore(t, db)
		now := time.Date(2026, 5, 1, 23, 0, 0, 0, time.UTC)
		st.SetClock(func() time.Time { return now })
		ctx := context.Background()
		hit := func() bool {
			d, err := st.RateLimiter().Hit(ctx, "day", 3, 24*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return d.Allowed
		}
		if !hit() || !hit() {
			t.Fatal("the first two refused")
		}
		now = now.Add(88 * time.Minute)
		if d, _ := st.RateLimiter().Peek(ctx, "day", 3, 24*time.Hour); !d.Allowed || d.Count != 2 {
			t.Fatalf("peek after the boundary: %+v, want allowed with 2 counted", d)
		}
		if !hit() {
			t.Fatal("the third in 24 hours refused")
		}
		if hit() {
			t.Fatal("a fourth within 24 hours allowed just after the boundary")
		}
	})
}

// Release takes back one counted event, never below zero.
func TestRateLimiterRelease(t *testing.T) {
	testdb.ForEachDatabase(t, func(t *testing.T, db testdb.DB) {
		st := testdb.OpenStore(t, db)
		now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		st.SetClock(func() time.Time { return now })
		ctx := context.Background()
		rl := st.RateLimiter()
		for range 2 {
			if _, err := rl.Hit(ctx, "k", 5, time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		for range 3 {
			if err := rl.Release(ctx, "k", time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		if d, err := rl.Hit(ctx, "k", 5, time.Hour); err != nil || d.Count != 1 {
			t.Fatalf("after two hits and three releases, a hit counts %d (%v), want 1", d.Count, err)
		}
	})
}

func TestOutboxClaimsAreDisjoint(t *testing.T) {
	testdb.ForEachDatabase(t, func(t *testing.T, db testdb.DB) {
		ctx := context.Background()
		st := testdb.OpenStore(t, db)
		const n = 200
		msgs := make([]ocop.OutboxMessage, n)
		for i := range msgs {
			msgs[i] = ocop.OutboxMessage{Topic: "test", Key: fmt.Sprint(i), Payload: []byte(`{"i":1}`)}
		}
		if err := st.Outbox().Enqueue(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
		// Four workers on separate handles claim concurrently.
		var mu sync.Mutex
		seen := map[int64]string{}
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h := testdb.OpenStore(t, db)
				worker := fmt.Sprintf("w%d", w)
				for {
					got, err := h.Outbox().Claim(ctx, worker, []string{"test"}, 7, time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, m := range got {
						if prev, dup := seen[m.ID]; dup {
							t.Errorf("message %d claimed by %s and %s", m.ID, prev, worker)
						}
						seen[m.ID] = worker
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != n {
			t.Fatalf("claimed %d of %d", len(seen), n)
		}
	})
}

func TestOutboxLeaseExpiryAndDeadLetter(t *testing.T) {
	testdb.ForEachDatabase(t, func(t *testing.T, db testdb.DB) {
		ctx := context.Background()
		st := testdb.OpenStore(t, db)
		now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		st.SetClock(func() time.Time { return now })
		ob := st.Outbox()
		if err := ob.Enqueue(ctx, ocop.OutboxMessage{Topic: "t", Key: "a"}); err != nil {
			t.Fatal(err)
		}
		got, _ := ob.Claim(ctx, "dies", []string{"t"}, 10, time.Minute)
		if len(got) != 1 {
			t.Fatal("not claimed")
		}
		if again, _ := ob.Claim(ctx, "other", []string{"t"}, 10, time.Minute); len(again) != 0 {
			t.Fatal("claimed twice within the lease")
		}
		// The first worker died: after the lease another takes over.
		now = now.Add(61 * time.Second)
		got, _ = ob.Claim(ctx, "other", []string{"t"}, 10, time.Minute)
		if len(got) != 1 || got[0].Attempts != 2 {
			t.Fatalf("takeover: %+v", got)
		}
		// The dead worker's late completion does not delete the other's claim.
		if err := ob.Complete(ctx, "dies", got[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := ob.Fail(ctx, "other", got[0].ID, "boom", now.Add(time.Second), true); err != nil {
			t.Fatal(err)
		}
		dead, errs, err := ob.DeadLetters(ctx, "t")
		if err != nil || len(dead) != 1 || errs[0] != "boom" {
			t.Fatalf("dead letters: %v %v %v", dead, errs, err)
		}
		now = now.Add(time.Hour)
		if got, _ := ob.Claim(ctx, "x", []string{"t"}, 10, time.Minute); len(got) != 0 {
			t.Fatal("a dead message was claimed")
		}
		if n, err := ob.Requeue(ctx, "t"); err != nil || n != 1 {
			t.Fatalf("requeue: %d %v", n, err)
		}
		if got, _ := ob.Claim(ctx, "x", []string{"t"}, 10, time.Minute); len(got) != 1 {
			t.Fatal("requeued message not claimable")
		}
	})
}

func TestLeasesRunOncePerInterval(t *testing.T) {
	testdb.ForEachDatabase(t, func(t *testing.T, db testdb.DB) {
		ctx := context.Background()
		a, b := testdb.OpenStore(t, db), testdb.OpenStore(t, db)
		now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		for _, st := range []*store.Store{a, b} {
			st.SetClock(func() time.Time { return now })
		}
		ok1, err := a.Leases().TryRun(ctx, "sweep", "a", time.Hour, time.Minute)
		if err != nil || !ok1 {
			t.Fatalf("first: %v %v", ok1, err)
		}
		if ok, _ := b.Leases().TryRun(ctx, "sweep", "b", time.Hour, time.Minute); ok {
			t.Fatal("two holders at once")
		}
		_ = a.Leases().Release(ctx, "sweep", "a", nil)
		if ok, _ := b.Leases().TryRun(ctx, "sweep", "b", time.Hour, time.Minute); ok {
			t.Fatal("ran again before the interval")
		}
		now = now.Add(61 * time.Minute)
		if ok, _ := b.Leases().TryRun(ctx, "sweep", "b", time.Hour, time.Minute); !ok {
			t.Fatal("did not run after the interval")
		}
	})
}

func TestConstraintTranslation(t *testing.T) {
	testdb.ForEachDatabase(t, func(t *testing.T, db testdb.DB) {
		ctx := context.Background()
		st := testdb.OpenStore(t, db)
		u := &ocop.User{ID: "u1", Email: "x@y.vn", DisplayName: "X", Roles: []ocop.Role{ocop.RoleBuyer}, Language: "vi", PasswordHash: "h",
			CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := st.Users().Create(ctx, u); err != nil {
			t.Fatal(err)
		}
		u2 := *u
		u2.ID = "u2"
		err := st.Users().Create(ctx, &u2)
		if ocop.ErrorCode(err) != ocop.CodeConflict {
			t.Fatalf("duplicate e-mail: %v", err)
		}
		cv, ok := ocop.AsConstraint(err)
		if !ok || cv.Kind != "unique" {
			t.Fatalf("constraint: %+v", cv)
		}
		// A CHECK constraint names itself on both dialects.
		u3 := *u
		u3.ID, u3.Email = "u3", "UPPER@y.vn"
		err = st.Users().Create(ctx, &u3)
		cv, ok = ocop.AsConstraint(err)
		if !ok || cv.Kind != "check" || cv.Name != "users_email_lower" {
			t.Fatalf("check constraint: %v %+v", err, cv)
		}
		// Not found is an ocop error too.
		if _, err := st.Users().Get(ctx, "nope"); ocop.ErrorCode(err) != ocop.CodeNotFound {
			t.Fatalf("get missing: %v", err)
		}
	})
}

func TestNestedTransactionsAreRefused(t *testing.T) {
	st := testdb.OpenStore(t, testdb.DatabaseBackends(t)[0].New(t))
	err := st.InTx(context.Background(), func(ctx context.Context) error {
		return st.InTx(ctx, func(context.Context) error { return nil })
	})
	if err == nil || !strings.Contains(err.Error(), "nested") {
		t.Fatalf("nested InTx: %v", err)
	}
}

func TestSQLiteTimesOrderAcrossZones(t *testing.T) {
	st := testdb.OpenStore(t, testdb.DatabaseBackends(t)[0].New(t))
	ctx := context.Background()
	hcm, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	// 08:00 in Hanoi is 01:00 UTC: earlier than 02:00 UTC although "08" > "02".
	early := time.Date(2026, 1, 1, 8, 0, 0, 0, hcm)
	late := time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC)
	for i, at := range []time.Time{late, early} {
		err := st.Sessions().Create(ctx, &ocop.Session{ID: fmt.Sprint("s", i), UserID: "nobody", CreatedAt: at, ExpiresAt: at, LastUsedAt: at},
			&ocop.RefreshToken{TokenHash: fmt.Sprint("h", i), SessionID: fmt.Sprint("s", i), CreatedAt: at, ExpiresAt: at})
		if err == nil {
			t.Fatal("foreign key not enforced (sessions.user_id)")
		}
	}
	// Use the rate counter table, which has no foreign keys.
	var db *sql.DB = st.SQLDB()
	for i, at := range []time.Time{late, early} {
		if _, err := db.Exec(`INSERT INTO rate_counters (bucket, window_start, hits, expires_at) VALUES (?, ?, 1, ?)`, fmt.Sprint("b", i), at, at); err != nil {
			t.Fatal(err)
		}
	}
	var first string
	if err := db.QueryRow(`SELECT bucket FROM rate_counters ORDER BY window_start LIMIT 1`).Scan(&first); err != nil {
		t.Fatal(err)
	}
	if first != "b1" {
		t.Fatalf("the 08:00+07:00 time must sort before 02:00Z; first is %s", first)
	}
}
