package store

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/ncruces/go-sqlite3"
	"gorm.io/gorm"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// translate turns driver errors into ocop errors at the edge of the store.
// Constraint violations become conflict or validation errors carrying an
// *ocop.ConstraintViolation, so use cases can name the rule that failed.
// Already-translated errors pass through untouched.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var oe *ocop.Error
	if errors.As(err, &oe) {
		return err
	}
	if errors.Is(err, gorm.ErrRecordNotFound) || errors.Is(err, errNoRows) {
		return ocop.Wrap(err, ocop.CodeNotFound, "not found")
	}
	if errors.Is(err, context.Canceled) {
		return ocop.Wrap(err, ocop.CodeUnavailable, "the request was cancelled")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ocop.Wrap(err, ocop.CodeUnavailable, "the database did not answer in time")
	}
	if cv := constraintOf(err); cv != nil {
		code := ocop.CodeConflict
		msg := "the change conflicts with existing data"
		switch cv.Kind {
		case "foreign_key":
			code, msg = ocop.CodeValidation, "the change refers to something that does not exist"
		case "check", "not_null":
			code, msg = ocop.CodeValidation, "the change breaks a data rule"
		case "trigger":
			msg = cv.Message
		}
		return &ocop.Error{Code: code, Message: msg, Err: cv}
	}
	var se *sqlite3.Error
	if errors.As(err, &se) && (se.Code() == sqlite3.BUSY || se.Code() == sqlite3.LOCKED) {
		return &ocop.Error{Code: ocop.CodeUnavailable, Message: "the database is busy; try again", Err: err}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01" || pe.Code == "55P03") {
		// serialization failure, deadlock, lock not available: safe to retry
		return &ocop.Error{Code: ocop.CodeUnavailable, Message: "the database is busy; try again", Err: err}
	}
	return err
}

var errNoRows = errors.New("no rows")

var (
	// The driver prefixes SQLite's own "UNIQUE constraint failed: t.c" with
	// "constraint failed: ", so the columns follow the last occurrence.
	sqliteColumnsRe = regexp.MustCompile(`.*constraint failed: ([\w.]+(?:, [\w.]+)*)`)
	sqliteIndexRe   = regexp.MustCompile(`constraint failed: (?:index '([^']+)'|(\w+)$)`)
	pgKeyRe         = regexp.MustCompile(`Key \(([^)]+)\)`)
)

func constraintOf(err error) *ocop.ConstraintViolation {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		kind := map[string]string{"23505": "unique", "23503": "foreign_key", "23514": "check", "23502": "not_null", "23P01": "unique", "P0001": "trigger"}[pe.Code]
		if kind == "" {
			return nil
		}
		cv := &ocop.ConstraintViolation{Kind: kind, Name: pe.ConstraintName, Table: pe.TableName, Message: pe.Message}
		if pe.ColumnName != "" {
			cv.Columns = []string{pe.ColumnName}
		}
		if m := pgKeyRe.FindStringSubmatch(pe.Detail); m != nil {
			cv.Columns = strings.Split(m[1], ", ")
		}
		if kind == "trigger" {
			cv.Name = pe.Message
		}
		return cv
	}
	var se *sqlite3.Error
	if !errors.As(err, &se) {
		return nil
	}
	var kind string
	switch {
	case errors.Is(err, sqlite3.CONSTRAINT_UNIQUE), errors.Is(err, sqlite3.CONSTRAINT_PRIMARYKEY):
		kind = "unique"
	case errors.Is(err, sqlite3.CONSTRAINT_FOREIGNKEY):
		kind = "foreign_key"
	case errors.Is(err, sqlite3.CONSTRAINT_CHECK):
		kind = "check"
	case errors.Is(err, sqlite3.CONSTRAINT_NOTNULL):
		kind = "not_null"
	case errors.Is(err, sqlite3.CONSTRAINT_TRIGGER), errors.Is(err, sqlite3.CONSTRAINT):
		kind = "trigger"
	default:
		return nil
	}
	msg := se.Error()
	cv := &ocop.ConstraintViolation{Kind: kind, Message: msg}
	if kind == "trigger" {
		// RAISE(ABORT, 'name') reports the name as the whole message.
		cv.Name = strings.TrimPrefix(msg, "sqlite3: constraint failed: ")
		cv.Message = cv.Name
		return cv
	}
	if m := sqliteIndexRe.FindStringSubmatch(msg); m != nil && (m[1] != "" || (kind == "check" && m[2] != "")) {
		cv.Name = m[1] + m[2]
	}
	if m := sqliteColumnsRe.FindStringSubmatch(msg); m != nil && cv.Name == "" {
		for _, tc := range strings.Split(m[1], ", ") {
			table, col, ok := strings.Cut(tc, ".")
			if ok {
				cv.Table = table
				cv.Columns = append(cv.Columns, col)
			}
		}
	}
	return cv
}
