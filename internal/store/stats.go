package store

import (
	"context"
	"strings"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// Stats computes programme figures with a few GROUP BY queries over the
// records (no counters to keep in step).
type Stats struct{ s *Store }

// Stats returns the statistics repository.
func (s *Store) Stats() *Stats { return &Stats{s} }

// ProvinceFigures computes the figures of one province ("" = every province
// that has any): certificates in force on today, expiring by expiringBy,
// inquiries and bookings made since. inquiries is false when the schema has
// no inquiries (their figures are then unknown, not zero).
func (r *Stats) ProvinceFigures(ctx context.Context, province string, today, expiringBy ocop.Date, since time.Time) (figures map[string]*ocop.ProvinceFigures, inquiries bool, err error) {
	out := map[string]*ocop.ProvinceFigures{}
	get := func(code string) *ocop.ProvinceFigures {
		f := out[code]
		if f == nil {
			f = ocop.NewProvinceFigures(code)
			out[code] = f
		}
		return f
	}
	where, args := "", []any{}
	if province != "" {
		where, args = " AND p.province_code = ?", []any{province}
	}
	inForce := "c.status = 'verified' AND c.expires_on >= ?"
	type row struct {
		Province string
		Key      string
		N        int
	}
	run := func(query string, qargs []any, fn func(row)) error {
		var rows []row
		if err := r.s.conn(ctx).Raw(query, append(qargs, args...)...).Scan(&rows).Error; err != nil {
			return translate(err)
		}
		for _, x := range rows {
			fn(x)
		}
		return nil
	}
	day := today.String()
	steps := []struct {
		query string
		args  []any
		fn    func(row)
	}{
		{"SELECT p.province_code AS province, CAST(c.stars AS TEXT) AS key, COUNT(*) AS n FROM certificates c JOIN producers p ON p.id = c.producer_id WHERE " + inForce + where + " GROUP BY p.province_code, c.stars",
			[]any{day}, func(x row) { get(x.Province).CertifiedByStars[atoi(x.Key)] = x.N }},
		{"SELECT p.province_code AS province, c.current_group AS key, COUNT(*) AS n FROM certificates c JOIN producers p ON p.id = c.producer_id WHERE " + inForce + where + " GROUP BY p.province_code, c.current_group",
			[]any{day}, func(x row) { get(x.Province).CertifiedByGroup[x.Key] = x.N }},
		{"SELECT p.province_code AS province, '' AS key, COUNT(DISTINCT p.commune_code) AS n FROM certificates c JOIN producers p ON p.id = c.producer_id WHERE " + inForce + where + " GROUP BY p.province_code",
			[]any{day}, func(x row) { get(x.Province).CoveredCommunes = x.N }},
		{"SELECT p.province_code AS province, '' AS key, COUNT(*) AS n FROM certificates c JOIN producers p ON p.id = c.producer_id WHERE " + inForce + " AND c.expires_on <= ?" + where + " GROUP BY p.province_code",
			[]any{day, expiringBy.String()}, func(x row) { get(x.Province).ExpiringCertificates = x.N }},
		{"SELECT p.province_code AS province, p.kind AS key, COUNT(*) AS n FROM producers p WHERE p.status <> 'rejected'" + where + " GROUP BY p.province_code, p.kind",
			nil, func(x row) { get(x.Province).ProducersByKind[ocop.ProducerKind(x.Key)] = x.N }},
		{"SELECT p.province_code AS province, '' AS key, COUNT(*) AS n FROM listings l JOIN producers p ON p.id = l.producer_id WHERE l.status = 'published'" + where + " GROUP BY p.province_code",
			nil, func(x row) { get(x.Province).PublishedListings = x.N }},
		{"SELECT p.province_code AS province, '' AS key, COUNT(*) AS n FROM bookings b JOIN producers p ON p.id = b.producer_id WHERE b.created_at >= ?" + where + " GROUP BY p.province_code",
			[]any{since.UTC()}, func(x row) { get(x.Province).Bookings = x.N }},
	}
	for _, st := range steps {
		if err := run(st.query, st.args, st.fn); err != nil {
			return nil, false, err
		}
	}
	// Inquiries are a feature of their own; count them where they exist.
	has, err := r.s.hasTable(ctx, "inquiries")
	if err != nil || !has {
		return out, false, err
	}
	err = run("SELECT p.province_code AS province, '' AS key, COUNT(*) AS n FROM inquiries i JOIN producers p ON p.id = i.producer_id WHERE i.created_at >= ?"+where+" GROUP BY p.province_code",
		[]any{since.UTC()}, func(x row) { n := x.N; get(x.Province).Inquiries = &n })
	if err != nil {
		return nil, false, err
	}
	return out, true, nil
}

func atoi(s string) int {
	n := 0
	for _, r := range strings.TrimSpace(s) {
		if r < '0' || r > '9' {
			return n
		}
		n = n*10 + int(r-'0')
	}
	return n
}

// hasTable reports whether the schema has a table.
func (s *Store) hasTable(ctx context.Context, name string) (bool, error) {
	var n int64
	var err error
	if s.isPostgres() {
		err = s.conn(ctx).Raw("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?", name).Scan(&n).Error
	} else {
		err = s.conn(ctx).Raw("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", name).Scan(&n).Error
	}
	return n > 0, translate(err)
}
