// Package store keeps the records: GORM repositories over PostgreSQL
// (production) or an embedded SQLite file (zero configuration), the embedded
// migrations, and the translation of driver errors into ocop errors at this
// edge so that no caller ever sees a driver type.
//
// Transactions travel in the context (see ocop.Transactor): repositories call
// s.conn(ctx), which is the transaction when one is open, so a repository can
// never write outside the transaction its use case opened.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ncruces/go-sqlite3/gormlite"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// Dialect names, as goose and the migration folders know them.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// Options selects and tunes the database.
type Options struct {
	// DatabaseURL is a postgres:// URL; empty selects SQLite under DataDir.
	DatabaseURL string
	DataDir     string
	// SQLitePath overrides the SQLite file (tests use a temporary one).
	SQLitePath      string
	MaxOpenConns    int
	MaxIdleConns    int
	ConnMaxLifetime time.Duration
	Logger          *slog.Logger
}

// Store is the database handle shared by every repository.
type Store struct {
	db      *gorm.DB
	sqlDB   *sql.DB
	dialect string
	log     *slog.Logger
	now     ocop.Clock

	onEnqueue func()
	stmts     sync.Map     // query -> *sql.Stmt, see prepared
	tracer    trace.Tracer // nil unless UseTracing, see tracing.go
	schemas   sync.Map     // GORM schema cache of bulkInsert
}

// SQLiteDSN is the data source name for the embedded database. Each part is
// there for a reason measured on this code base:
//   - foreign_keys(1): SQLite ignores REFERENCES without it;
//   - journal_mode(WAL): readers never block the single writer;
//   - busy_timeout(10000): a writer waits for the lock instead of failing;
//   - temp_store(memory): statement journals (every multi-row statement in a
//     transaction) and savepoint journals stay in memory instead of temporary
//     files: a 20,000-row import made 197,000 pwrite calls with them on disk,
//     70,000 without (they are discarded at commit anyway);
//   - _txlock=immediate: a transaction takes the write lock at BEGIN, so two
//     read-then-write transactions cannot deadlock (without it 943 of 1000
//     concurrent ones failed with SQLITE_BUSY; with it none did);
//   - _timefmt: times are stored as fixed-width UTC text ("2006-01-02
//     15:04:05.000"), which the driver converts to UTC before formatting, so
//     text comparison orders them correctly whatever zone the caller used.
func SQLiteDSN(path string) string {
	return "file:" + filepath.ToSlash(path) +
		"?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)" +
		"&_pragma=synchronous(NORMAL)&_pragma=temp_store(memory)&_txlock=immediate&_timefmt=" + url.QueryEscape("2006-01-02 15:04:05.000")
}

// Open connects to the configured database. It does not migrate.
func Open(ctx context.Context, o Options) (*Store, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	gcfg := &gorm.Config{
		Logger:                 logger.Discard,
		NowFunc:                func() time.Time { return time.Now().UTC() },
		SkipDefaultTransaction: true, // we open transactions ourselves, where the use case needs them
		// Statements are parsed once per connection and reused: parsing was
		// a seventh of the CPU of an authenticated request on SQLite.
		PrepareStmt:    true,
		TranslateError: false, // translate() does it with more detail
	}
	var (
		dialector gorm.Dialector
		dialect   string
	)
	if o.DatabaseURL != "" {
		dialect = Postgres
		dialector = postgres.Open(o.DatabaseURL)
	} else {
		dialect = SQLite
		path := o.SQLitePath
		if path == "" {
			path = filepath.Join(o.DataDir, "ocopconnect.db")
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		dialector = gormlite.Open(SQLiteDSN(path))
	}
	db, err := gorm.Open(dialector, gcfg)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	if o.MaxOpenConns > 0 {
		sqlDB.SetMaxOpenConns(o.MaxOpenConns)
	}
	if o.MaxIdleConns > 0 {
		sqlDB.SetMaxIdleConns(o.MaxIdleConns)
	}
	if o.ConnMaxLifetime > 0 {
		sqlDB.SetConnMaxLifetime(o.ConnMaxLifetime)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("connect to %s database: %w", dialect, err)
	}
	return &Store{db: db, sqlDB: sqlDB, dialect: dialect, log: log, now: func() time.Time { return time.Now().UTC() }}, nil
}

// Dialect is "postgres" or "sqlite".
func (s *Store) Dialect() string { return s.dialect }

// SQLDB exposes the pool for metrics and migrations.
func (s *Store) SQLDB() *sql.DB { return s.sqlDB }

// SetClock replaces the clock (tests).
func (s *Store) SetClock(c ocop.Clock) { s.now = c }

// Close closes the pool.
func (s *Store) Close() error { return s.sqlDB.Close() }

// Ping checks that the database answers (readiness).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.sqlDB.PingContext(ctx); err != nil {
		return err
	}
	var one int
	return s.sqlDB.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

type txKey struct{}

// txState is what a context carries while a transaction is open.
type txState struct {
	db *gorm.DB
	// joinable marks an outer request transaction (idempotent requests): an
	// InTx inside it joins instead of failing, so the use case's writes and
	// the stored response commit together.
	joinable   bool
	savepoints int
}

// InTx implements ocop.Transactor.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		if st.joinable {
			return st.join(ctx, fn)
		}
		return errors.New("store: nested transaction (the use case that opened the first one owns the boundary)")
	}
	return s.runTx(ctx, false, fn)
}

// join runs fn inside the outer transaction behind a savepoint, so that a
// use case that fails leaves nothing behind even though the outer
// transaction goes on (and, on PostgreSQL, stays usable after a failed
// statement).
func (st *txState) join(ctx context.Context, fn func(ctx context.Context) error) error {
	st.savepoints++
	name := fmt.Sprintf("ocop_sp_%d", st.savepoints)
	if err := st.db.SavePoint(name).Error; err != nil {
		return translate(err)
	}
	if err := fn(ctx); err != nil {
		if rerr := st.db.RollbackTo(name).Error; rerr != nil {
			return errors.Join(translate(err), rerr)
		}
		return translate(err)
	}
	return nil
}

// InOuterTx opens a transaction that inner InTx calls join. Only request-level
// wrappers such as idempotency use it.
func (s *Store) InOuterTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*txState); ok {
		return errors.New("store: nested transaction")
	}
	return s.runTx(ctx, true, fn)
}

func (s *Store) runTx(ctx context.Context, joinable bool, fn func(ctx context.Context) error) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(context.WithValue(ctx, txKey{}, &txState{db: tx, joinable: joinable}))
	})
	return translate(err)
}

// conn returns the open transaction, or the pool outside one.
func (s *Store) conn(ctx context.Context) *gorm.DB {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		return st.db
	}
	return s.db.WithContext(ctx)
}

// InTransaction reports whether ctx carries an open transaction.
func InTransaction(ctx context.Context) bool {
	_, ok := ctx.Value(txKey{}).(*txState)
	return ok
}

// isPostgres lets the few dialect-specific queries choose their SQL.
func (s *Store) isPostgres() bool { return s.dialect == Postgres }

// placeholders renders "?, ?, ?" for n values (GORM rewrites ? per dialect).
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// OnEnqueue registers a hook called after outbox messages are written, so the
// in-process workers wake at once instead of at their next poll. It may fire
// before the enclosing transaction commits; workers then find nothing, poll
// again shortly, and no message is lost either way.
func (s *Store) OnEnqueue(hook func()) { s.onEnqueue = hook }
