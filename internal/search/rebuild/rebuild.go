// Package rebuild holds what both backends need to write safely: keeping a
// rebuild from undoing live changes, and the newest-version-wins rule.
//
// A rebuild must not undo live changes. While a fresh
// index is filled from the database, the relay keeps writing to the old and
// new index alike; a document the fill read before a live delete (or before
// a newer live upsert) must then not be put back. The Guard remembers what
// the live writes did during the rebuild and filters the fill's documents.
package rebuild

import (
	"sync"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

const deleted = -1 << 63

// Guard records live writes during one rebuild. The zero value is ready.
type Guard struct {
	mu   sync.Mutex
	seen map[string]int64 // id -> newest live version, or deleted
}

// Upserted records live upserts.
func (g *Guard) Upserted(docs []ocop.SearchDocument) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.seen == nil {
		g.seen = map[string]int64{}
	}
	for _, d := range docs {
		if v, ok := g.seen[d.ID]; !ok || v == deleted || d.Version > v {
			g.seen[d.ID] = d.Version
		}
	}
}

// Deleted records live deletes.
func (g *Guard) Deleted(ids []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.seen == nil {
		g.seen = map[string]int64{}
	}
	for _, id := range ids {
		g.seen[id] = deleted
	}
}

// Filter drops the fill's documents that a live write has superseded: any
// state newer than a live write reaches the index through a live write too,
// so skipping them never loses anything.
func (g *Guard) Filter(docs []ocop.SearchDocument) []ocop.SearchDocument {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.seen) == 0 {
		return docs
	}
	out := docs[:0:0]
	for _, d := range docs {
		if v, ok := g.seen[d.ID]; ok && (v == deleted || v > d.Version) {
			continue
		}
		out = append(out, d)
	}
	return out
}

// Newest keeps, per ID, the document with the highest version (a batch may
// carry several events of one listing).
func Newest(docs []ocop.SearchDocument) []ocop.SearchDocument {
	at := map[string]int{}
	out := make([]ocop.SearchDocument, 0, len(docs))
	for _, d := range docs {
		if i, ok := at[d.ID]; ok {
			if d.Version >= out[i].Version {
				out[i] = d
			}
			continue
		}
		at[d.ID] = len(out)
		out = append(out, d)
	}
	return out
}

// ValidIDs refuses documents without an ID before they reach an engine.
func ValidIDs(docs []ocop.SearchDocument) error {
	for _, d := range docs {
		if d.ID == "" {
			return ocop.FieldInvalid("id", "search documents need an id")
		}
	}
	return nil
}
