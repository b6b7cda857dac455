package bleve

import (
	"fmt"
	"sort"
	"sync"

	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/search"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// Facet counting for text queries without reading doc values per match.
//
// A text query counts the facets of every match. Through Bleve's facet
// builder each match visits its fFacetKey doc value, and that visit also
// takes the collector off its fast path for score-sorted queries: about a
// fifth of a broad query's time. Segments never change once written, so
// each segment's documents are mapped to their combination id (columns)
// ONCE, in an array by local document number; a match then costs one
// array read (countingSearcher). Bleve numbers documents across a
// snapshot's segments by adding each segment's offset, the running sum
// of the earlier segments' counts (scorch's introducer does the same;
// TestSegmentFacetsMatchDocValues holds the two paths equal over many
// segments, updates and deletions). The first query after a merge maps the
// merged segment, one doc-value pass (tens of milliseconds at 100,000
// listings), while other queries wait for the cache.

// segmentCombos caches, per segment, the combination id of each local
// document (-1: none, e.g. a deleted slot).
type segmentCombos struct {
	mu    sync.Mutex
	bySeg map[segment.Segment][]int32
}

// snapshotCombos is the mapping for one reader.
type snapshotCombos struct {
	offsets []uint64
	combos  [][]int32
}

func (c *columns) snapshotCombos(r index.IndexReader) (*snapshotCombos, error) {
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return nil, fmt.Errorf("search index reader %T is not a scorch snapshot", r)
	}
	segs := snap.Segments()
	out := &snapshotCombos{offsets: make([]uint64, len(segs)), combos: make([][]int32, len(segs))}
	sc := &c.segs
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.bySeg == nil {
		sc.bySeg = map[segment.Segment][]int32{}
	}
	var running uint64
	live := make(map[segment.Segment]bool, len(segs))
	for i, ss := range segs {
		seg := ss.Segment()
		out.offsets[i] = running
		running += seg.Count()
		live[seg] = true
		arr, ok := sc.bySeg[seg]
		if !ok {
			var err error
			if arr, err = c.mapSegment(seg); err != nil {
				return nil, err
			}
			sc.bySeg[seg] = arr
		}
		out.combos[i] = arr
	}
	// Merged-away segments go; the cache holds the live ones (and those of
	// a snapshot a concurrent query still reads, until the next pass).
	if len(sc.bySeg) > 2*len(segs)+8 {
		for seg := range sc.bySeg {
			if !live[seg] {
				delete(sc.bySeg, seg)
			}
		}
	}
	return out, nil
}

// mapSegment reads the combination of each document of a segment.
func (c *columns) mapSegment(seg segment.Segment) ([]int32, error) {
	dv, ok := seg.(segment.DocValueVisitable)
	if !ok {
		return nil, fmt.Errorf("search index segment %T has no doc values", seg)
	}
	n := seg.Count()
	arr := make([]int32, n)
	fields := []string{fFacetKey}
	var state segment.DocVisitState
	var key []byte
	for doc := range n {
		key = key[:0]
		var err error
		state, err = dv.VisitDocValues(doc, fields, func(_ string, term []byte) { key = append(key, term...) }, state)
		if err != nil {
			return nil, err
		}
		arr[doc] = -1
		if len(key) > 0 {
			arr[doc] = c.comboOfKey(string(key))
		}
	}
	return arr, nil
}

// comboOfKey returns the id of a facet key, adding it when the columns
// have not seen it (a key they cannot parse counts nowhere).
func (c *columns) comboOfKey(key string) int32 {
	c.mu.RLock()
	i, ok := c.comboAt[key]
	c.mu.RUnlock()
	if ok {
		return i
	}
	v, ok := parseFacetKey(key)
	if !ok {
		return -1
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.comboOf(v)
}

// countingSearcher counts the combination of every match it passes on.
type countingSearcher struct {
	search.Searcher
	snap   *snapshotCombos
	counts []int
}

func (s *countingSearcher) count(dm *search.DocumentMatch) {
	if dm == nil {
		return
	}
	n := dm.IndexInternalID.Value()
	seg := sort.Search(len(s.snap.offsets), func(i int) bool { return s.snap.offsets[i] > n }) - 1
	if seg < 0 {
		return
	}
	local := n - s.snap.offsets[seg]
	if arr := s.snap.combos[seg]; local < uint64(len(arr)) {
		if id := arr[local]; id >= 0 {
			if int(id) >= len(s.counts) {
				s.counts = append(s.counts, make([]int, int(id)+1-len(s.counts))...)
			}
			s.counts[id]++
		}
	}
}

func (s *countingSearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	dm, err := s.Searcher.Next(ctx)
	s.count(dm)
	return dm, err
}

func (s *countingSearcher) Advance(ctx *search.SearchContext, id index.IndexInternalID) (*search.DocumentMatch, error) {
	dm, err := s.Searcher.Advance(ctx, id)
	s.count(dm)
	return dm, err
}

// facetsOf splits counts per combination id into the result's lists.
func (c *columns) facetsOf(counts []int) ocop.SearchFacets {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.tally(counts)
}

// tally is facetsOf for a caller holding c.mu.
func (c *columns) tally(counts []int) ocop.SearchFacets {
	t := newFacetTally()
	for i, n := range counts {
		if n > 0 && i < len(c.combos) {
			t.add(c.combos[i], n)
		}
	}
	return t.result()
}

func (c *columns) comboCount() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.combos)
}
