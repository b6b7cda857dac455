package bleve

import (
	"context"
	"slices"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// columns keeps, in memory, the few fields of every indexed document that
// browsing needs: filters, facets and sort keys. Browsing (an empty query)
// matches every document, and in Bleve counting facets and sorting read
// the doc values of each match: 45 ms of CPU for 20,000 listings, growing
// with the catalogue. One pass over these rows does the same in about a
// millisecond per 100,000 (facets counted per combination, facets.go);
// Bleve then only fetches the page's documents. About 100 bytes per
// listing.
type columns struct {
	mu   sync.RWMutex
	rows []row
	at   map[string]int // id -> index in rows
	// intern shares the strings of codes (a few hundred distinct values).
	intern map[string]string
	// combos are the distinct facet combinations (facets.go); a row names
	// its own by index, so browsing counts with one array bump per row.
	combos  []facetValues
	comboAt map[string]int32
	// segs maps the index's segments to combination ids (segfacets.go).
	segs segmentCombos
}

type row struct {
	id                             string
	province, group, set, kind     string
	stars, bucket                  int8
	certified                      bool
	priceMin, moq, publishedMillis int64
	combo                          int32
}

func newColumns() *columns {
	return &columns{at: map[string]int{}, intern: map[string]string{}, comboAt: map[string]int32{}}
}

func (c *columns) str(s string) string {
	if v, ok := c.intern[s]; ok {
		return v
	}
	c.intern[s] = s
	return s
}

func (c *columns) comboOf(v facetValues) int32 {
	k := v.key()
	if i, ok := c.comboAt[k]; ok {
		return i
	}
	i := int32(len(c.combos))
	c.combos = append(c.combos, v)
	c.comboAt[k] = i
	return i
}

// set records documents written to the index.
func (c *columns) set(docs []ocop.SearchDocument) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range docs {
		r := row{
			id: d.ID, province: c.str(d.ProvinceCode), group: c.str(d.ProductGroup), set: c.str(d.ProductSet),
			kind: c.str(d.ProducerKind), stars: int8(d.Stars), bucket: int8(ocop.PriceBucketOf(d.PriceMinVND)),
			certified: d.Certified, priceMin: d.PriceMinVND, moq: d.MOQ, publishedMillis: d.PublishedAt.UnixMilli(),
			combo: c.comboOf(facetValuesOf(d)),
		}
		if i, ok := c.at[d.ID]; ok {
			c.rows[i] = r
			continue
		}
		c.at[d.ID] = len(c.rows)
		c.rows = append(c.rows, r)
	}
}

// remove forgets deleted documents.
func (c *columns) remove(ids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		i, ok := c.at[id]
		if !ok {
			continue
		}
		last := len(c.rows) - 1
		if i != last {
			c.rows[i] = c.rows[last]
			c.at[c.rows[i].id] = i
		}
		c.rows = c.rows[:last]
		delete(c.at, id)
	}
}

func (r *row) matches(q ocop.SearchQuery) bool {
	return (q.ProvinceCode == "" || r.province == q.ProvinceCode) &&
		(q.Group == "" || r.group == q.Group) &&
		(q.ProductSet == "" || r.set == q.ProductSet) &&
		(q.ProducerKind == "" || r.kind == q.ProducerKind) &&
		(q.StarsMin == 0 || int(r.stars) >= q.StarsMin) &&
		(q.PriceMaxVND == 0 || r.priceMin <= q.PriceMaxVND) &&
		(q.MOQMax == 0 || r.moq <= q.MOQMax) &&
		(q.Certified == nil || r.certified == *q.Certified)
}

// sortKey orders browsing results, smallest first (newest first without
// a sort); ties go by ID so that pages never overlap.
func sortKey(s ocop.SearchSort) func(r *row) int64 {
	switch s {
	case ocop.SortPriceAsc:
		return func(r *row) int64 { return r.priceMin }
	case ocop.SortPriceDesc:
		return func(r *row) int64 { return -r.priceMin }
	case ocop.SortStarsDesc:
		return func(r *row) int64 { return -int64(r.stars) }
	}
	return func(r *row) int64 { return -r.publishedMillis }
}

type keyed struct {
	key int64
	r   *row
}

func (a keyed) before(b keyed) bool {
	return a.key < b.key || (a.key == b.key && a.r.id < b.r.id)
}

// topK keeps the k first rows of an order: a max-heap, so the root is
// the one to drop when a better row comes.
type topK struct {
	k    int
	heap []keyed
}

func (h *topK) offer(e keyed) {
	if len(h.heap) < h.k {
		h.heap = append(h.heap, e)
		for i := len(h.heap) - 1; i > 0; { // sift up
			p := (i - 1) / 2
			if !h.heap[p].before(h.heap[i]) {
				break
			}
			h.heap[p], h.heap[i] = h.heap[i], h.heap[p]
			i = p
		}
		return
	}
	if h.k == 0 || !e.before(h.heap[0]) {
		return
	}
	h.heap[0] = e
	for i := 0; ; { // sift down
		l, m := 2*i+1, i
		if l < len(h.heap) && h.heap[m].before(h.heap[l]) {
			m = l
		}
		if l+1 < len(h.heap) && h.heap[m].before(h.heap[l+1]) {
			m = l + 1
		}
		if m == i {
			return
		}
		h.heap[i], h.heap[m] = h.heap[m], h.heap[i]
		i = m
	}
}

// sorted returns the kept rows in order.
func (h *topK) sorted() []keyed {
	out := slices.Clone(h.heap)
	slices.SortFunc(out, func(a, b keyed) int {
		if a.before(b) {
			return -1
		}
		return 1
	})
	return out
}

// browse answers an empty query: the page's IDs in order, the total and
// the facets.
func (c *columns) browse(q ocop.SearchQuery) (ids []string, total int, facets ocop.SearchFacets) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	h := &topK{k: q.Offset() + q.PerPage}
	key := sortKey(q.Sort)
	counts := make([]int, len(c.combos))
	// Backwards: rows are appended as listings are first indexed, so the
	// newest come last, and starting there the heap fills with the rows
	// that stay, instead of replacing its root for nearly every row.
	for i := len(c.rows) - 1; i >= 0; i-- {
		r := &c.rows[i]
		if !r.matches(q) {
			continue
		}
		total++
		counts[r.combo]++
		h.offer(keyed{key(r), r})
	}
	ordered := h.sorted()
	for i := q.Offset(); i < len(ordered); i++ {
		ids = append(ids, ordered[i].r.id)
	}
	return ids, total, c.tally(counts)
}

// loadColumns reads the rows of every document of an index (at Open).
func loadColumns(ctx context.Context, idx bleve.Index) (*columns, error) {
	c := newColumns()
	const page = 5000
	var after []string
	for {
		req := bleve.NewSearchRequestOptions(query.NewMatchAllQuery(), page, 0, false)
		req.Fields = []string{fDoc}
		req.SortBy([]string{"_id"})
		if after != nil {
			req.SearchAfter = after
		}
		res, err := idx.SearchInContext(ctx, req)
		if err != nil {
			return nil, err
		}
		docs := make([]ocop.SearchDocument, 0, len(res.Hits))
		for _, h := range res.Hits {
			d, err := storedDoc(h)
			if err != nil {
				return nil, err
			}
			docs = append(docs, d)
		}
		c.set(docs)
		if len(res.Hits) < page {
			return c, nil
		}
		after = []string{res.Hits[len(res.Hits)-1].ID}
	}
}
