package bleve_test

import (
	"context"
	"testing"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/search/bleve"
	"github.com/ocopconnect/ocopconnect/internal/search/searchtest"
)

func TestContractMemory(t *testing.T) {
	searchtest.Run(t, func(t *testing.T) ocop.SearchIndex {
		x, err := bleve.NewMemory()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { x.Close() })
		return x
	})
}

func TestContractDisk(t *testing.T) {
	searchtest.Run(t, func(t *testing.T) ocop.SearchIndex {
		x, err := bleve.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { x.Close() })
		return x
	})
}

// The index survives a restart, including one after a rebuild, and leftovers
// of an interrupted rebuild are cleaned up.
func TestDiskReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	x, err := bleve.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	docs := searchtest.Fixtures()
	if err := x.Upsert(ctx, docs[:3]...); err != nil {
		t.Fatal(err)
	}
	if err := x.Rebuild(ctx, func(ctx context.Context, put func(...ocop.SearchDocument) error) error { return put(docs...) }); err != nil {
		t.Fatal(err)
	}
	x.Close()
	x, err = bleve.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if n, err := x.Count(ctx); err != nil || n != len(docs) {
		t.Fatalf("after reopen: %d %v", n, err)
	}
	// Browsing is served from columns read back from the index at Open.
	q := ocop.SearchQuery{Sort: ocop.SortPriceAsc, PerPage: ocop.SearchMaxPerPage}
	if err := q.Normalize(); err != nil {
		t.Fatal(err)
	}
	res, err := x.Search(ctx, q)
	if err != nil || res.Total != len(docs) || len(res.Hits) != len(docs) {
		t.Fatalf("browse after reopen: %d hits of %d, %v", len(res.Hits), res.Total, err)
	}
	for i := 1; i < len(res.Hits); i++ {
		if res.Hits[i].Document.PriceMinVND < res.Hits[i-1].Document.PriceMinVND {
			t.Fatalf("browse after reopen out of order at %d", i)
		}
	}
	provinces := 0
	for _, f := range res.Facets.Province {
		provinces += f.Count
	}
	if provinces != len(docs) {
		t.Fatalf("province facet counts %d of %d", provinces, len(docs))
	}
}
