package imports_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/imports"
	"github.com/ocopconnect/ocopconnect/internal/testsupport"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

// BenchmarkImportCSV100k imports a generated 100,000-row list (50,000
// producers, 100,000 certificates and draft listings, with their audit
// entries and outbox messages) into a fresh SQLite database, and reports
// rows/s (target: 5,000; tools/benchratio checks it).
func BenchmarkImportCSV100k(b *testing.B) {
	n := benchRows()
	file := generatedCSV(n)
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := testdb.DatabaseBackends(b)[0].New(b)
		s := testsupport.NewServer(b, db)
		b.StartTimer()
		start := time.Now()
		res, err := s.Imports.Run(context.Background(), file, imports.Options{Verify: true, BatchSize: benchBatch()})
		total += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if res.ImportedRows != n {
			b.Fatalf("imported %d rows: %+v", res.ImportedRows, res.Problems[:min(3, len(res.Problems))])
		}
	}
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "rows/s")
}

// benchRows is 100,000 unless OCOP_BENCH_IMPORT_ROWS says otherwise (profiling).
func benchRows() int {
	if v, err := strconv.Atoi(os.Getenv("OCOP_BENCH_IMPORT_ROWS")); err == nil && v > 0 {
		return v
	}
	return 100_000
}

func benchBatch() int {
	n, _ := strconv.Atoi(os.Getenv("OCOP_BENCH_IMPORT_BATCH"))
	return n
}
