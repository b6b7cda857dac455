package store

import (
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
