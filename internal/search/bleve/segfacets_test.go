package bleve

import (
	"context"
	"reflect"
	"testing"

	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/collector"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/search/searchtest"
	"github.com/ocopconnect/ocopconnect/internal/search/vntext"
)

// The facets counted from the segments' combination arrays equal those
// read from each match's doc value, on an index of many segments whose
// documents were updated (moving to other combinations) and deleted.
func TestSegmentFacetsMatchDocValues(t *testing.T) {
	ctx := context.Background()
	x, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	docs := searchtest.Catalogue(3000)
	for i := 0; i < len(docs); i += 150 {
		if err := x.Upsert(ctx, docs[i:i+150]...); err != nil {
			t.Fatal(err)
		}
	}
	var moved []ocop.SearchDocument
	for i := 0; i < len(docs); i += 7 {
		d := docs[i]
		d.ProvinceCode, d.Stars, d.PriceMinVND = "01", 5, d.PriceMinVND*3+1
		moved = append(moved, d)
	}
	if err := x.Upsert(ctx, moved...); err != nil {
		t.Fatal(err)
	}
	var gone []string
	for i := 3; i < len(docs); i += 11 {
		gone = append(gone, docs[i].ID)
	}
	if err := x.Delete(ctx, gone...); err != nil {
		t.Fatal(err)
	}

	yes := true
	queries := append(searchtest.BenchQueries(),
		ocop.SearchQuery{Q: "ca phe", ProvinceCode: "01"},
		ocop.SearchQuery{Q: "mat ong", StarsMin: 5, Certified: &yes},
	)
	checked := 0
	for _, q := range queries {
		pq := vntext.ParseQuery(q.Q)
		if len(pq.Folded) == 0 {
			continue
		}
		q.PerPage, q.Page = 10, 1
		got, err := x.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		total, want := docValueFacets(t, x, searchQuery(q, pq, pq.PrefixLast(q.Q)))
		if got.Total != total || !reflect.DeepEqual(got.Facets, want) {
			t.Errorf("%+v: total %d, facets %+v; from the doc values %d, %+v", q, got.Total, got.Facets, total, want)
		}
		if total > 0 {
			checked++
		}
	}
	if checked < 10 {
		t.Fatalf("only %d queries matched anything", checked)
	}

	// The segment path was the one taken.
	in, _ := x.cur.Advanced()
	r, _ := in.Reader()
	defer r.Close()
	snap, err := x.curCols.snapshotCombos(r)
	if err != nil || len(snap.offsets) < 2 {
		t.Fatalf("segment combinations not used (or one segment only): %+v", snap)
	}
	t.Logf("%d segments", len(snap.offsets))
}

// docValueFacets counts a query's facets as Bleve's facet builder sees them.
func docValueFacets(t *testing.T, x *Index, q query.Query) (int, ocop.SearchFacets) {
	t.Helper()
	ctx := context.Background()
	in, err := x.cur.Advanced()
	if err != nil {
		t.Fatal(err)
	}
	r, err := in.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s, err := q.Searcher(ctx, r, x.cur.Mapping(), search.SearcherOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	coll := collector.NewTopNCollector(10, 0, search.SortOrder{&search.SortScore{Desc: true}})
	counter := &keyCounter{counts: map[string]*int{}}
	fb := search.NewFacetsBuilder(r)
	fb.Add(fFacetKey, counter)
	coll.SetFacetsBuilder(fb)
	if err := coll.Collect(ctx, s, r); err != nil {
		t.Fatal(err)
	}
	return int(coll.Total()), counter.facets()
}

// keyCounter is a Bleve facet builder that counts the fFacetKey doc value
// of every match: the reference the segment counting is held to.
type keyCounter struct {
	// Pointers, so that counting a key seen before is a lookup, which Go
	// does without turning the bytes into a string (an assignment would).
	counts map[string]*int
}

func (c *keyCounter) StartDoc() {}
func (c *keyCounter) EndDoc()   {}
func (c *keyCounter) UpdateVisitor(term []byte) {
	if n := c.counts[string(term)]; n != nil {
		*n++
		return
	}
	one := 1
	c.counts[string(term)] = &one
}
func (c *keyCounter) Field() string { return fFacetKey }
func (c *keyCounter) Size() int     { return 0 }

// Result is unused: facets() reads the counts.
func (c *keyCounter) Result() *search.FacetResult { return &search.FacetResult{Field: fFacetKey} }

// facets splits the counts.
func (c *keyCounter) facets() ocop.SearchFacets {
	t := newFacetTally()
	for k, n := range c.counts {
		if v, ok := parseFacetKey(k); ok {
			t.add(v, *n)
		}
	}
	return t.result()
}
