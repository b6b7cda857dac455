package imports_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/demo"
	"github.com/ocopconnect/ocopconnect/internal/imports"
	"github.com/ocopconnect/ocopconnect/internal/testsupport"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// at sets the test clock to a fixed day (certificate expiry depends on it).
func at(s *testsupport.Server, day string) {
	t, _ := time.Parse(time.DateOnly, day)
	t = t.Add(3 * time.Hour) // 10:00 in Vietnam
	s.Clock().Advance(t.Sub(s.Clock().Now()))
}

func count(t *testing.T, s *testsupport.Server, query string, args ...any) int {
	t.Helper()
	var n int
	q := query
	if s.Store.Dialect() == "postgres" {
		for i := 1; strings.Contains(q, "?"); i++ {
			q = strings.Replace(q, "?", "$"+string(rune('0'+i)), 1)
		}
	}
	if err := s.Store.SQLDB().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// snapshot counts the rows an import writes, to prove a re-import writes none.
type snapshot struct{ producers, certificates, listings, audit, outbox, updated int }

func snap(t *testing.T, s *testsupport.Server) snapshot {
	return snapshot{
		producers:    count(t, s, "SELECT COUNT(*) FROM producers"),
		certificates: count(t, s, "SELECT COUNT(*) FROM certificates"),
		listings:     count(t, s, "SELECT COUNT(*) FROM listings"),
		audit:        count(t, s, "SELECT COUNT(*) FROM audit_log"),
		outbox:       count(t, s, "SELECT COUNT(*) FROM outbox"),
		updated:      count(t, s, "SELECT COUNT(*) FROM producers WHERE updated_at <> created_at") + count(t, s, "SELECT COUNT(*) FROM certificates WHERE updated_at <> created_at"),
	}
}

func TestImportSampleCatalogueTwice(t *testing.T) {
	testsupport.ForEachDatabase(t, func(t *testing.T, db testsupport.DB) {
		s := testsupport.NewServer(t, db)
		at(s, "2026-01-15")
		ctx := context.Background()
		res, err := s.Imports.Run(ctx, demo.Catalogue, imports.Options{Verify: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.ProblemCount != 0 {
			t.Fatalf("problems: %+v", res.Problems)
		}
		if res.TotalRows != 102 || res.ImportedRows != 102 || res.ProducersCreated != 102 || res.CertificatesCreated != 102 || res.ListingsCreated != 102 {
			t.Fatalf("result %+v", res.Progress)
		}
		first := snap(t, s)
		if first.producers != 102 || first.certificates != 102 || first.listings != 102 {
			t.Fatalf("stored %+v", first)
		}
		// Every listing is a draft backed by its certificate, announced to the index.
		if n := count(t, s, "SELECT COUNT(*) FROM listings l JOIN certificates c ON c.id = l.certificate_id WHERE l.status = 'draft' AND l.producer_id = c.producer_id AND l.product_group = c.current_group"); n != 102 {
			t.Errorf("%d listings match their certificates", n)
		}
		if n := count(t, s, "SELECT COUNT(*) FROM outbox WHERE topic = 'listing.changed'"); n != 102 {
			t.Errorf("%d listing.changed messages", n)
		}
		// Decisions before 24 Feb 2023 were made under Decision 1048/2019.
		if n := count(t, s, "SELECT COUNT(*) FROM certificates WHERE legal_basis = '1048/2019'"); n != 40 {
			t.Errorf("1048/2019 certificates = %d, want 40", n)
		}
		if n := count(t, s, "SELECT COUNT(*) FROM certificates WHERE stars = 5 AND issuing_level = 'national'"); n != 5 {
			t.Errorf("national 5-star certificates = %d, want 5", n)
		}

		s.Clock().Advance(time.Hour)
		res2, err := s.Imports.Run(ctx, demo.Catalogue, imports.Options{Verify: true})
		if err != nil {
			t.Fatal(err)
		}
		if res2.UnchangedRows != 102 || res2.ProducersCreated+res2.ProducersUpdated+res2.CertificatesCreated+res2.CertificatesUpdated+res2.ListingsCreated+res2.ListingsUpdated != 0 {
			t.Fatalf("second import changed something: %+v", res2.Progress)
		}
		if second := snap(t, s); second != first {
			t.Fatalf("second import wrote rows: %+v -> %+v", first, second)
		}
	})
}

func TestImportLegacyAddresses(t *testing.T) {
	testsupport.ForEachDatabase(t, func(t *testing.T, db testsupport.DB) {
		s := testsupport.NewServer(t, db)
		at(s, "2026-01-15")
		file, rows := legacyCSV(1000)
		if len(rows) != 1000 {
			t.Fatalf("generated %d rows", len(rows))
		}
		res, err := s.Imports.Run(context.Background(), file, imports.Options{Verify: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.ProblemCount != 0 || res.ImportedRows != 1000 || res.ProducersCreated != 1000 || res.CertificatesCreated != 1000 {
			t.Fatalf("result %+v, problems %v", res.Progress, res.Problems[:min(5, len(res.Problems))])
		}
		got := map[string][2]string{}
		q, err := s.Store.SQLDB().Query("SELECT tax_code, province_code, commune_code FROM producers")
		if err != nil {
			t.Fatal(err)
		}
		for q.Next() {
			var tax, prov, com string
			if err := q.Scan(&tax, &prov, &com); err != nil {
				t.Fatal(err)
			}
			got[tax] = [2]string{prov, com}
		}
		q.Close()
		if len(got) != 1000 {
			t.Fatalf("%d producers stored", len(got))
		}
		for _, r := range rows {
			if g := got[r.taxCode]; g != [2]string{r.want.ProvinceCode, r.want.Code} {
				t.Errorf("producer %s in %v, want %s/%s (%s)", r.taxCode, g, r.want.ProvinceCode, r.want.Code, r.want.Name)
			}
		}
		res2, err := s.Imports.Run(context.Background(), file, imports.Options{Verify: true})
		if err != nil || res2.UnchangedRows != 1000 {
			t.Fatalf("second import: %+v %v", res2.Progress, err)
		}
	})
}
