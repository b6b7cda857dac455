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
}
