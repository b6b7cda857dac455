package store

import (
	"context"
	"database/sql"
	"reflect"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// Bulk reads and writes for imports: an import batch loads what it may
// match with a few IN queries and writes its new rows with multi-row
// INSERTs, instead of a round trip per spreadsheet row.

// inChunk bounds the values of one IN list or multi-row INSERT so that no
// statement exceeds either dialect's limit on bound parameters.
const inChunk = 500

// Statements are prepared once per distinct SQL text (PrepareStmt), and
// preparing a multi-row INSERT or a long IN list costs more than running
// it. So IN lists are padded to a power of two (repeating a value changes
// nothing) and rows are inserted in power-of-two groups: a handful of
// distinct statements per table, each parsed once per connection.

func chunks[T any](xs []T, fn func(part []T) error) error {
	for len(xs) > 0 {
		n := min(len(xs), inChunk)
		part := xs[:n]
		if size := pow2(n); size > n {
			part = make([]T, size)
			copy(part, xs[:n])
			for i := n; i < size; i++ {
				part[i] = xs[n-1]
			}
		}
		if err := fn(part); err != nil {
			return err
		}
		xs = xs[n:]
	}
	return nil
}

func pow2(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	return p
}

// insertGroup is the largest multi-row INSERT; 64 rows of the widest table
// bind about 1,500 values.
const insertGroup = 64

// bulkInsert inserts rows (GORM row structs) with multi-row INSERTs in
// groups of 64, 32, 16, ... rows, through statements prepared once on the
// pool. (GORM prepares a statement inside the transaction that first uses
// it, which binds it to that transaction: every later transaction parses
// it again. For a batch import that parsing was a tenth of the CPU.)
// Auto-increment keys are left to the database and not read back.
func bulkInsert[T any](ctx context.Context, s *Store, rows []T) error {
	if len(rows) == 0 {
		return nil
	}
	sch, err := schema.Parse(new(T), &s.schemas, s.db.NamingStrategy)
	if err != nil {
		return err
	}
	var fields []*schema.Field
	var cols []string
	for _, f := range sch.Fields {
		if f.DBName == "" || f.AutoIncrement || (f.PrimaryKey && f.DataType == schema.Int) {
			continue
		}
		fields = append(fields, f)
		cols = append(cols, f.DBName)
	}
	one := "(" + placeholders(len(cols)) + ")"
	head := "INSERT INTO " + sch.Table + " (" + strings.Join(cols, ", ") + ") VALUES "
	tx := sqlTxOf(ctx)
	for len(rows) > 0 {
		n := insertGroup
		for n > len(rows) {
			n >>= 1
		}
		query := head + strings.TrimSuffix(strings.Repeat(one+", ", n), ", ")
		stmt, err := s.prepared(ctx, query)
		if err != nil {
			return err
		}
		if tx != nil {
			stmt = tx.StmtContext(ctx, stmt)
		}
		args := make([]any, 0, n*len(fields))
		for i := range rows[:n] {
			rv := reflect.ValueOf(&rows[i]).Elem()
			for _, f := range fields {
				v, _ := f.ValueOf(ctx, rv)
				args = append(args, v)
			}
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// sqlTxOf is the database/sql transaction the context carries, if any.
func sqlTxOf(ctx context.Context) *sql.Tx {
	st, ok := ctx.Value(txKey{}).(*txState)
	if !ok {
		return nil
	}
	switch p := st.db.Statement.ConnPool.(type) {
	case *sql.Tx:
		return p
	case *gorm.PreparedStmtTX:
		if t, ok := p.Tx.(*sql.Tx); ok {
			return t
		}
	}
	return nil
}

// EnqueueMany is Enqueue for many messages at once, without reading their
// IDs back (imports write hundreds per batch).
func (o *Outbox) EnqueueMany(ctx context.Context, msgs ...ocop.OutboxMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	now := o.s.now()
	rows := make([]outboxRow, len(msgs))
	for i, m := range msgs {
		payload := string(m.Payload)
		if payload == "" {
			payload = "{}"
		}
		rows[i] = outboxRow{Topic: m.Topic, Key: m.Key, Payload: payload, CreatedAt: now, RunAfter: now}
	}
	if err := translate(bulkInsert(ctx, o.s, rows)); err != nil {
		return err
	}
	if hook := o.s.onEnqueue; hook != nil {
		hook()
	}
	return nil
}

// ByTaxCodes finds the producers with any of the tax codes.
func (r *Producers) ByTaxCodes(ctx context.Context, taxCodes []string) ([]ocop.Producer, error) {
	var out []ocop.Producer
	err := chunks(taxCodes, func(part []string) error {
		var rows []producerRow
		if err := r.s.conn(ctx).Where("tax_code IN ?", part).Find(&rows).Error; err != nil {
			return translate(err)
		}
		out = append(out, producersOf(rows)...)
		return nil
	})
	return out, err
}

// ByNameKeys finds the producers whose folded legal name is any of keys.
func (r *Producers) ByNameKeys(ctx context.Context, nameKeys []string) ([]ocop.Producer, error) {
	var out []ocop.Producer
	err := chunks(nameKeys, func(part []string) error {
		var rows []producerRow
		if err := r.s.conn(ctx).Where("name_key IN ?", part).Order("id").Find(&rows).Error; err != nil {
			return translate(err)
		}
		out = append(out, producersOf(rows)...)
		return nil
	})
	return out, err
}

// CreateMany inserts producers; nameKeys[i] is the folded name of ps[i].
func (r *Producers) CreateMany(ctx context.Context, ps []*ocop.Producer, nameKeys []string) error {
	if len(ps) == 0 {
		return nil
	}
	rows := make([]producerRow, len(ps))
	for i, p := range ps {
		rows[i] = producerRowOf(p, nameKeys[i])
	}
	if err := translate(bulkInsert(ctx, r.s, rows)); err != nil {
		if isUniqueViolation(err, "producers_tax_code_key", "producers", "tax_code") {
			return errTaxCodeTaken(err)
		}
		return err
	}
	return nil
}

// LiveByProducers lists the certificates (all but rejected ones) of the
// producers.
func (r *Certificates) LiveByProducers(ctx context.Context, producerIDs []string) ([]ocop.Certificate, error) {
	var out []ocop.Certificate
	err := chunks(producerIDs, func(part []string) error {
		var rows []certificateRow
		if err := r.s.conn(ctx).Where("producer_id IN ? AND status <> ?", part, string(ocop.CertRejected)).Find(&rows).Error; err != nil {
			return translate(err)
		}
		cs, err := certificatesOf(rows)
		out = append(out, cs...)
		return err
	})
	return out, err
}

// CreateMany inserts certificates; productKeys[i] is the folded product
// name of cs[i].
func (r *Certificates) CreateMany(ctx context.Context, cs []*ocop.Certificate, productKeys []string) error {
	if len(cs) == 0 {
		return nil
	}
	rows := make([]certificateRow, len(cs))
	for i, c := range cs {
		rows[i] = certificateRowOf(c, productKeys[i])
	}
	if err := translate(bulkInsert(ctx, r.s, rows)); err != nil {
		if isUniqueViolation(err, "certificates_decision_product_key", "", "") {
			return errDuplicateCertificate(err)
		}
		return err
	}
	return nil
}

// RecordMany appends entries inside the caller's transaction with
// multi-row INSERTs.
func (a *AuditLog) RecordMany(ctx context.Context, entries ...ocop.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	now, reqID := a.s.now(), ocop.RequestIDFrom(ctx)
	rows := make([]auditRow, len(entries))
	for i, e := range entries {
		rows[i] = auditRow{ID: uuid.Must(uuid.NewV7()).String(), At: now, Action: e.Action, ObjectType: e.ObjectType,
			ObjectID: e.ObjectID, RequestID: reqID}
		if e.ActorID != "" {
			rows[i].ActorID = &e.ActorID
		}
		var err error
		if rows[i].BeforeJSON, err = jsonOrNil(e.Before); err != nil {
			return err
		}
		if rows[i].AfterJSON, err = jsonOrNil(e.After); err != nil {
			return err
		}
	}
	return translate(bulkInsert(ctx, a.s, rows))
}
