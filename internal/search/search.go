// Package search is the listing search port's entry point: Open picks the
// backend from the configuration (Meilisearch when OCOP_MEILI_URL is set,
// otherwise the embedded Bleve index under DATA_DIR/search).
//
// Subpackages: vntext (the Vietnamese text rules both backends share),
// bleve and meili (the backends), rebuild (safe writes during a rebuild),
// searchtest (the one contract suite and the synthetic catalogue).
package search

import (
	"context"
	"path/filepath"
	"sync"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/config"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/search/bleve"
	"github.com/ocopconnect/ocopconnect/internal/search/meili"
)

// Backend names.
const (
	BackendBleve = "bleve"
	BackendMeili = "meilisearch"
)

// Index is the configured backend behind ocop.SearchIndex. The embedded
// index is opened on first use, not at wiring time: commands that never
// search (admin, migrate) must not take its single-process lock, and a
// backend that cannot be opened yet answers 503 and is tried again on the
// next call instead of stopping the service.
type Index struct {
	backend string
	open    func() (ocop.SearchIndex, error)

	mu     sync.Mutex
	idx    ocop.SearchIndex
	wrap   func(ocop.SearchIndex) ocop.SearchIndex // Decorate, applied at open
	closed bool
}

var _ ocop.SearchIndex = (*Index)(nil)

// Open returns the backend the configuration names. Only a configuration
// error fails here; reaching the backend is left to its first use.
func Open(cfg *config.Config) (*Index, error) {
	if cfg.MeiliURL != "" {
		m, err := meili.New(meili.Options{URL: cfg.MeiliURL, Key: cfg.MeiliKey, IndexPrefix: cfg.MeiliIndexPrefix})
		if err != nil {
			return nil, err
		}
		return &Index{backend: BackendMeili, idx: m}, nil
	}
	dir := filepath.Join(cfg.DataDir, "search")
	return &Index{backend: BackendBleve, open: func() (ocop.SearchIndex, error) { return bleve.Open(dir) }}, nil
}

// Backend names the backend in use (bleve or meilisearch).
func (h *Index) Backend() string { return h.backend }

func (h *Index) get() (ocop.SearchIndex, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, &ocop.Error{Code: ocop.CodeUnavailable, Message: "search is unavailable", RetryAfter: 5 * time.Second}
	}
	if h.idx == nil {
		idx, err := h.open()
		if err != nil {
			return nil, &ocop.Error{Code: ocop.CodeUnavailable, Message: "search is unavailable", RetryAfter: 5 * time.Second, Err: err}
		}
		if h.wrap != nil {
			idx = h.wrap(idx)
		}
		h.idx = idx
	}
	return h.idx, nil
}

func (h *Index) Search(ctx context.Context, q ocop.SearchQuery) (ocop.SearchResult, error) {
	idx, err := h.get()
	if err != nil {
		return ocop.SearchResult{}, err
	}
	return idx.Search(ctx, q)
}

func (h *Index) Suggest(ctx context.Context, prefix string, limit int) ([]string, error) {
	idx, err := h.get()
	if err != nil {
		return nil, err
	}
	return idx.Suggest(ctx, prefix, limit)
}

func (h *Index) Upsert(ctx context.Context, docs ...ocop.SearchDocument) error {
	idx, err := h.get()
	if err != nil {
		return err
	}
	return idx.Upsert(ctx, docs...)
}

func (h *Index) Delete(ctx context.Context, ids ...string) error {
	idx, err := h.get()
	if err != nil {
		return err
	}
	return idx.Delete(ctx, ids...)
}

func (h *Index) Rebuild(ctx context.Context, fill func(ctx context.Context, put func(docs ...ocop.SearchDocument) error) error) error {
	idx, err := h.get()
	if err != nil {
		return err
	}
	return idx.Rebuild(ctx, fill)
}

func (h *Index) Count(ctx context.Context) (int, error) {
	idx, err := h.get()
	if err != nil {
		return 0, err
	}
	return idx.Count(ctx)
}

func (h *Index) Ping(ctx context.Context) error {
	idx, err := h.get()
	if err != nil {
		return err
	}
	return idx.Ping(ctx)
}

// Close releases the backend if it was opened.
func (h *Index) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	h.closed = true
	if h.idx != nil {
		return h.idx.Close()
	}
	return nil
}
