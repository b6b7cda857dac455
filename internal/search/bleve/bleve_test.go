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

// After a merge (a rebuild force-merges into one segment), every document
// still reads its own doc values: text-query facets add up to the total and
// sorts by price and stars hold across pages. (zapx copied uncompressed,
// chunked doc values through a merge as if each chunk were one document.)
func TestMergedDocValues(t *testing.T) {
	ctx := context.Background()
	x, err := bleve.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	docs := searchtest.Catalogue(3000)
	if err := x.Rebuild(ctx, func(ctx context.Context, put func(...ocop.SearchDocument) error) error {
		for i := 0; i < len(docs); i += 500 {
			if err := put(docs[i : i+500]...); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, sort := range []ocop.SearchSort{ocop.SortPriceAsc, ocop.SortStarsDesc, ocop.SortNewest} {
		var prev *ocop.SearchDocument
		seen := 0
		for page := 1; page <= 3; page++ {
			q := ocop.SearchQuery{Q: "ca phe", Sort: sort, Page: page, PerPage: 50}
			if err := q.Normalize(); err != nil {
				t.Fatal(err)
			}
			res, err := x.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if res.Total < 150 {
				t.Fatalf("%s: only %d matches", sort, res.Total)
			}
			sum := func(fs []ocop.FacetCount) (n int) {
				for _, f := range fs {
					n += f.Count
				}
				return n
			}
			if p, s := sum(res.Facets.Province), sum(res.Facets.Stars); p != res.Total || s > res.Total {
				t.Fatalf("%s: province facets add up to %d, stars to %d, of %d matches", sort, p, s, res.Total)
			}
			for i := range res.Hits {
				d := res.Hits[i].Document
				if prev != nil {
					bad := false
					switch sort {
					case ocop.SortPriceAsc:
						bad = d.PriceMinVND < prev.PriceMinVND
					case ocop.SortStarsDesc:
						bad = d.Stars > prev.Stars
					case ocop.SortNewest:
						bad = d.PublishedAt.After(prev.PublishedAt)
					}
					if bad {
						t.Fatalf("%s: hit %d (%d VND, %d stars, %s) after (%d VND, %d stars, %s)", sort, seen,
							d.PriceMinVND, d.Stars, d.PublishedAt, prev.PriceMinVND, prev.Stars, prev.PublishedAt)
					}
				}
				prev = &d
				seen++
			}
		}
	}
}
