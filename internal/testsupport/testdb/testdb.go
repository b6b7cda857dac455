// Package testdb hands tests fresh, migrated databases on every backend the
// machine offers: SQLite always, PostgreSQL when OCOP_TEST_DATABASE_URL is
// set. With OCOP_TEST_STRICT=1 (set by .ci/run) a backend that is not
// configured fails the test instead of being skipped, so CI can never pass by
// silently running less.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for creating test databases

	"github.com/ocopconnect/ocopconnect/internal/store"
)

// Environment switches read by the test suites.
const (
	EnvPostgresURL = "OCOP_TEST_DATABASE_URL"
	EnvStrict      = "OCOP_TEST_STRICT"
)

// Strict reports whether missing backends must fail rather than skip.
func Strict() bool { return os.Getenv(EnvStrict) == "1" }

// SkipOrFail skips the test because a backend is not configured, or fails it
// in strict mode.
func SkipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if Strict() {
		t.Fatalf("%s (%s=1: a missing backend is a failure)", msg, EnvStrict)
	}
	t.Skip(msg)
}

// DB describes one database backend prepared for a test.
type DB struct {
	Dialect     string // store.SQLite or store.Postgres
	DatabaseURL string // set for PostgreSQL
	SQLitePath  string // set for SQLite
	DataDir     string // a fresh temporary directory
}

// Backend is a database backend that can hand out fresh databases.
type Backend struct {
	Name string
	New  func(t testing.TB) DB
}

// DatabaseBackends lists SQLite and, when configured, PostgreSQL. In strict
// mode a missing PostgreSQL fails the calling test.
func DatabaseBackends(t testing.TB) []Backend {
	t.Helper()
	bs := []Backend{{Name: store.SQLite, New: newSQLite}}
	if os.Getenv(EnvPostgresURL) != "" {
		bs = append(bs, Backend{Name: store.Postgres, New: newPostgres})
	} else if Strict() {
		t.Fatalf("%s is not set: PostgreSQL suites cannot run (%s=1)", EnvPostgresURL, EnvStrict)
	} else {
		t.Logf("PostgreSQL suites skipped: set %s to run them", EnvPostgresURL)
	}
	return bs
}

// ForEachDatabase runs fn as a subtest per backend.
func ForEachDatabase(t *testing.T, fn func(t *testing.T, db DB)) {
	for _, b := range DatabaseBackends(t) {
		t.Run(b.Name, func(t *testing.T) { fn(t, b.New(t)) })
	}
}

func newSQLite(t testing.TB) DB {
	dir := t.TempDir()
	return DB{Dialect: store.SQLite, SQLitePath: filepath.Join(dir, "test.db"), DataDir: dir}
}

// Creating a PostgreSQL database from a migrated template takes ~50 ms, much
// less than migrating each one; the template is built once per test process.
var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func adminConn(ctx context.Context) (*sql.DB, *url.URL, error) {
	u, err := url.Parse(os.Getenv(EnvPostgresURL))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", EnvPostgresURL, err)
	}
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		return nil, nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("PostgreSQL at %s: %w", u.Redacted(), err)
	}
	return db, u, nil
}

func withDatabase(u *url.URL, name string) string {
	c := *u
	c.Path = "/" + name
	return c.String()
}

func buildTemplate() {
	ctx := context.Background()
	admin, u, err := adminConn(ctx)
	if err != nil {
		templateErr = err
		return
	}
	defer admin.Close()
	name := "ocop_tmpl_" + randomSuffix()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		templateErr = err
		return
	}
	st, err := store.Open(ctx, store.Options{DatabaseURL: withDatabase(u, name)})
	if err != nil {
		templateErr = err
		return
	}
	_, templateErr = st.MigrateUp(ctx)
	st.Close()
	templateName = name
}

func newPostgres(t testing.TB) DB {
	t.Helper()
	templateOnce.Do(buildTemplate)
	if templateErr != nil {
		t.Fatalf("prepare PostgreSQL template: %v", templateErr)
	}
	ctx := context.Background()
	admin, u, err := adminConn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := "ocop_test_" + randomSuffix()
	if _, err := admin.ExecContext(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, templateName)); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		admin, _, err := adminConn(context.Background())
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	return DB{Dialect: store.Postgres, DatabaseURL: withDatabase(u, name), DataDir: t.TempDir()}
}

// DropTemplate removes the PostgreSQL template database; call it from
// TestMain after m.Run.
func DropTemplate() {
	if templateName == "" {
		return
	}
	admin, _, err := adminConn(context.Background())
	if err != nil {
		return
	}
	defer admin.Close()
	_, _ = admin.Exec("DROP DATABASE IF EXISTS " + templateName + " WITH (FORCE)")
}

// OpenStore opens and migrates a store on db.
func OpenStore(t testing.TB, db DB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{DatabaseURL: db.DatabaseURL, SQLitePath: db.SQLitePath, DataDir: db.DataDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if db.Dialect == store.SQLite {
		if _, err := st.MigrateUp(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// IsPostgres is a readability helper for dialect-specific assertions.
func (d DB) IsPostgres() bool { return strings.EqualFold(d.Dialect, store.Postgres) }

// Main runs a package's tests and then drops the PostgreSQL template:
//
//	func TestMain(m *testing.M) { testdb.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	DropTemplate()
	atExitMu.Lock()
	fns := atExit
	atExitMu.Unlock()
	for _, fn := range fns {
		fn()
	}
	os.Exit(code)
}

var (
	atExitMu sync.Mutex
	atExit   []func()
)

// AtExit registers fn to run after all tests of the package (from Main), e.g.
// to stop a server shared by the package's tests.
func AtExit(fn func()) {
	atExitMu.Lock()
	atExit = append(atExit, fn)
	atExitMu.Unlock()
}
