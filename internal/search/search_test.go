package search_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ocopconnect/ocopconnect/internal/config"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/search"
	"github.com/ocopconnect/ocopconnect/internal/search/searchtest"
)

func TestOpenPicksBackend(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := &config.Config{DataDir: dir}
	idx, err := search.Open(cfg)
	if err != nil || idx.Backend() != search.BackendBleve {
		t.Fatalf("default: %v %v", idx, err)
	}
	// Nothing is opened until the index is used.
	if _, err := os.Stat(filepath.Join(dir, "search")); !os.IsNotExist(err) {
		t.Errorf("index opened at wiring time: %v", err)
	}
	if err := idx.Upsert(ctx, searchtest.Fixtures()...); err != nil {
		t.Fatal(err)
	}
	if err := idx.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	// A second process cannot share the embedded index: it gets a 503,
	// not a hang.
	other, _ := search.Open(cfg)
	if err := other.Ping(ctx); ocop.ErrorCode(err) != ocop.CodeUnavailable {
		t.Errorf("second opener: %v", err)
	}
	idx.Close()
	if n, err := other.Count(ctx); err != nil || n != len(searchtest.Fixtures()) {
		t.Errorf("after the first closed: %d %v", n, err)
	}
	other.Close()
	if err := other.Ping(ctx); ocop.ErrorCode(err) != ocop.CodeUnavailable {
		t.Errorf("closed: %v", err)
	}

	m, err := search.Open(&config.Config{DataDir: dir, MeiliURL: "http://127.0.0.1:1", MeiliIndexPrefix: "x_"})
	if err != nil || m.Backend() != search.BackendMeili {
		t.Fatalf("meili: %v %v", m, err)
	}
	if err := m.Ping(ctx); ocop.ErrorCode(err) != ocop.CodeUnavailable {
		t.Errorf("unreachable meilisearch: %v", err)
	}
	if _, err := search.Open(&config.Config{DataDir: dir, MeiliURL: "nonsense"}); err == nil {
		t.Error("bad URL accepted")
	}
}
