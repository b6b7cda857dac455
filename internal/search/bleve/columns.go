package bleve

import (
	"cmp"
	"container/heap"
	"context"
	"slices"
	"strconv"
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
// millisecond per 100,000; Bleve then only fetches the page's documents.
// About 100 bytes per listing.
type columns struct {
	mu   sync.RWMutex
	rows []row
	at   map[string]int // id -> index in rows
	// intern shares the strings of codes (a few hundred distinct values).
	intern map[string]string
}

type row struct {
	id                             string
	province, group, set, kind     string
	stars, bucket                  int8
	certified                      bool
	priceMin, moq, publishedMillis int64
}

func newColumns() *columns {
	return &columns{at: map[string]int{}, intern: map[string]string{}}
}

func (c *columns) str(s string) string {
	if v, ok := c.intern[s]; ok {
		return v
	}
	c.intern[s] = s
	return s
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

// less orders rows as sortOrder orders browsing results; ties by ID so
// that pages never overlap.
func less(s ocop.SearchSort) func(a, b *row) bool {
	key := func(a, b *row) int {
		switch s {
		case ocop.SortPriceAsc:
			return cmp.Compare(a.priceMin, b.priceMin)
		case ocop.SortPriceDesc:
			return cmp.Compare(b.priceMin, a.priceMin)
		case ocop.SortStarsDesc:
			return cmp.Compare(b.stars, a.stars)
		}
		return cmp.Compare(b.publishedMillis, a.publishedMillis) // newest (and relevance without text)
	}
	return func(a, b *row) bool {
		if k := key(a, b); k != 0 {
			return k < 0
		}
		return a.id < b.id
	}
}

// topK keeps the k first rows of an order (a max-heap of the kept ones).
type topK struct {
	rows []*row
	less func(a, b *row) bool
}

func (h *topK) Len() int           { return len(h.rows) }
func (h *topK) Less(i, j int) bool { return h.less(h.rows[j], h.rows[i]) }
func (h *topK) Swap(i, j int)      { h.rows[i], h.rows[j] = h.rows[j], h.rows[i] }
func (h *topK) Push(x any)         { h.rows = append(h.rows, x.(*row)) }
func (h *topK) Pop() any {
	r := h.rows[len(h.rows)-1]
	h.rows = h.rows[:len(h.rows)-1]
	return r
}

// browse answers an empty query: the page's IDs in order, the total and
// the facets.
func (c *columns) browse(q ocop.SearchQuery) (ids []string, total int, facets ocop.SearchFacets) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	k := q.Offset() + q.PerPage
	h := &topK{less: less(q.Sort), rows: make([]*row, 0, k+1)}
	counts := [5]map[string]int{{}, {}, {}, {}, {}}
	facets.Price = ocop.NewPriceBuckets()
	for i := range c.rows {
		r := &c.rows[i]
		if !r.matches(q) {
			continue
		}
		total++
		counts[0][r.province]++
		counts[1][r.group]++
		counts[2][r.set]++
		counts[3][strconv.Itoa(int(r.stars))]++
		counts[4][r.kind]++
		if b := int(r.bucket); b >= 0 && b < len(facets.Price) {
			facets.Price[b].Count++
		}
		if h.Len() < k {
			heap.Push(h, r)
		} else if h.less(r, h.rows[0]) {
			h.rows[0] = r
			heap.Fix(h, 0)
		}
	}
	ordered := slices.Clone(h.rows)
	l := h.less
	slices.SortFunc(ordered, func(a, b *row) int {
		if l(a, b) {
			return -1
		}
		return 1
	})
	for i := q.Offset(); i < len(ordered); i++ {
		ids = append(ids, ordered[i].id)
	}
	lists := []*[]ocop.FacetCount{&facets.Province, &facets.Group, &facets.ProductSet, &facets.Stars, &facets.ProducerKind}
	for i, m := range counts {
		out := make([]ocop.FacetCount, 0, len(m))
		for v, n := range m {
			if v != "" {
				out = append(out, ocop.FacetCount{Value: v, Count: n})
			}
		}
		ocop.SortFacetCounts(out)
		*lists[i] = out
	}
	return ids, total, facets
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
