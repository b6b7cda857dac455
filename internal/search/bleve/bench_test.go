package bleve_test

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/search/bleve"
	"github.com/ocopconnect/ocopconnect/internal/search/searchtest"
)

// The engine benchmarks index the synthetic catalogue (searchtest.BenchSize:
// 100,000 listings by default, OCOP_BENCH_SEARCH_DOCS=n for another size)
// into an on-disk index, as the embedded default runs.

var bench struct {
	once sync.Once
	idx  *bleve.Index
	dir  string
	size int
	err  error
}

func fill(docs []ocop.SearchDocument) func(ctx context.Context, put func(...ocop.SearchDocument) error) error {
	return func(ctx context.Context, put func(...ocop.SearchDocument) error) error {
		// As `ocopconnect reindex` does (listingsearch.DefaultReindexBatch).
		for i := 0; i < len(docs); i += 500 {
			if err := put(docs[i:min(i+500, len(docs))]...); err != nil {
				return err
			}
		}
		return nil
	}
}

func benchIndex(b *testing.B) *bleve.Index {
	bench.once.Do(func() {
		// The catalogue is dropped once indexed: the heap (and the garbage
		// collector's work) is the engine's alone.
		docs := searchtest.Catalogue(searchtest.BenchSize())
		bench.size = len(docs)
		bench.dir, bench.err = os.MkdirTemp("", "ocop-bench-search-")
		if bench.err != nil {
			return
		}
		if bench.idx, bench.err = bleve.Open(bench.dir); bench.err != nil {
			return
		}
		bench.err = bench.idx.Rebuild(context.Background(), fill(docs))
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.idx
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.idx != nil {
		bench.idx.Close()
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// BenchmarkSearchEngine is the raw in-process engine throughput for the
// fixed mixed query set (ns/op per query, all cores), with latency
// percentiles. The HTTP benchmark compares itself with it.
func BenchmarkSearchEngine(b *testing.B) {
	idx := benchIndex(b)
	queries := searchtest.BenchQueries()
	ctx := context.Background()
	b.ResetTimer()
	lat := searchtest.TimedParallel(b, func(i int) error {
		_, err := idx.Search(ctx, queries[i%len(queries)])
		return err
	})
	b.StopTimer()
	searchtest.ReportLatency(b, lat)
	b.ReportMetric(float64(bench.size), "docs")
}

// BenchmarkSearchReindex rebuilds the whole catalogue into a fresh on-disk
// index and swaps it in: one op is one full reindex.
func BenchmarkSearchReindex(b *testing.B) {
	docs := searchtest.Catalogue(searchtest.BenchSize())
	idx, err := bleve.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer idx.Close()
	b.ResetTimer()
	for range b.N {
		if err := idx.Rebuild(context.Background(), fill(docs)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(docs))*float64(b.N)/b.Elapsed().Seconds(), "docs/s")
	b.ReportMetric(float64(len(docs)), "docs")
}

// BenchmarkSearchEngineQueries times each query of the mixed set alone
// (one goroutine): where the mix's time goes, for profiling
// (-bench SearchEngineQueries/07 -cpuprofile ...).
func BenchmarkSearchEngineQueries(b *testing.B) {
	idx := benchIndex(b)
	ctx := context.Background()
	for i, q := range searchtest.BenchQueries() {
		name := fmt.Sprintf("%02d-%s", i, strings.ReplaceAll(cmp.Or(q.Q, "browse"), " ", "_"))
		b.Run(name, func(b *testing.B) {
			for range b.N {
				if _, err := idx.Search(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
