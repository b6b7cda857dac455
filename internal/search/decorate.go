package search

import "github.com/ocopconnect/ocopconnect/internal/ocop"

// Decorate wraps the backend (now if it is open, else when it opens) with
// fn: tracing, metrics, or, in tests, fault injection (a backend that fails
// and then recovers, a write that stops half way), without restarting the
// service around it.
func (h *Index) Decorate(fn func(ocop.SearchIndex) ocop.SearchIndex) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.idx != nil {
		h.idx = fn(h.idx)
		return
	}
	prev := h.wrap
	h.wrap = func(i ocop.SearchIndex) ocop.SearchIndex {
		if prev != nil {
			i = prev(i)
		}
		return fn(i)
	}
}
