package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"
)

// rebind turns ? placeholders into $1, $2... for PostgreSQL when a query goes
// straight to database/sql (hot paths that skip GORM).
func (s *Store) rebind(q string) string {
	if !s.isPostgres() {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// timeArg prepares a time for a raw query: UTC always, so SQLite's text
// encoding compares correctly.
func (s *Store) timeArg(t time.Time) time.Time { return t.UTC() }

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// prepared returns a prepared statement for a hot-path query, preparing it
// once per store (database/sql re-prepares it on each pooled connection as
// needed).
func (s *Store) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.sqlDB.PrepareContext(ctx, s.rebind(query))
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}
