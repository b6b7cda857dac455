package ocop

import "errors"

// ConstraintViolation describes a database constraint that refused a write.
// Use cases map specific constraints to specific codes (a unique booking per
// booth becomes booth_taken); the store fills in what the driver reports.
type ConstraintViolation struct {
	Kind    string   // "unique", "foreign_key", "check", "not_null", "trigger"
	Name    string   // constraint or index name, when the driver reports it
	Table   string   // table, when the driver reports it
	Columns []string // columns, when the driver reports them
	Message string   // driver message (for logs)
}

func (c *ConstraintViolation) Error() string { return c.Kind + " constraint violated: " + c.Message }

// AsConstraint extracts a ConstraintViolation from an error chain.
func AsConstraint(err error) (*ConstraintViolation, bool) {
	var c *ConstraintViolation
	ok := errors.As(err, &c)
	return c, ok
}
