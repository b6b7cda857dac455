package bleve

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/collector"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/search/vntext"
)

// Boosts: a word in the title counts more than one in the description; a
// word typed with its marks that the text has with the same marks counts
// more again ("chè" before "che"); the whole query as a phrase in the title
// counts most. Typo and prefix matches count less than whole words.
const (
	boostTitle  = 2
	boostExact  = 3
	boostPhrase = 5
	boostFuzzy  = 0.3
	boostPrefix = 0.5
)

func term(t, field string, boost float64) query.Query {
	q := query.NewTermQuery(t)
	q.SetField(field)
	q.SetBoost(boost)
	return q
}

// textQuery requires every word of the query in matchField (whole, within
// the typo budget, or as a prefix for a last word still being typed) and
// adds the ranking clauses on titleField.
//
// Typos are looked up in the titles and producer names only (fSuggest):
// a fuzzy term walks the field's whole dictionary, and the one of every
// description word is several times larger, for matches that nobody ranks
// high anyway. A one-letter prefix is completed from the same small field.
func textQuery(pq vntext.Query, prefixLast bool, matchField, titleField string) query.Query {
	bq := query.NewBooleanQuery(nil, nil, nil)
	for i, t := range pq.Folded {
		alts := []query.Query{term(t, matchField, 1)}
		if k := vntext.Typos(t); k > 0 {
			fq := query.NewFuzzyQuery(t)
			fq.SetField(fSuggest)
			fq.SetFuzziness(k)
			fq.SetBoost(boostFuzzy)
			alts = append(alts, fq)
		}
		if prefixLast && i == len(pq.Folded)-1 {
			alts = append(alts, prefixQuery(t, matchField))
		}
		bq.AddMust(query.NewDisjunctionQuery(alts))
	}
	var should []query.Query
	for _, t := range pq.Folded {
		should = append(should, term(t, titleField, boostTitle))
	}
	if pq.Marks && matchField == fAll {
		for _, t := range pq.Exact {
			should = append(should, term(t, fAllExact, boostExact))
		}
	}
	// Adjacent words of the query that are adjacent in a title: the whole
	// phrase scores every pair.
	for i := 1; i < len(pq.Folded); i++ {
		should = append(should, term(pairTerm(pq.Folded[i-1], pq.Folded[i]), fPairs, boostPhrase))
	}
	bq.AddShould(should...)
	return bq
}

// prefixQuery matches the words of field that begin with t: one term of
// fPrefixes for fAll, a prefix query otherwise (the suggest field is small,
// and a one-letter beginning is looked up there too).
func prefixQuery(t, field string) query.Query {
	n := utf8.RuneCountInString(t)
	if field == fAll && n >= 2 && n <= maxPrefixRunes {
		return term(t, fPrefixes, boostPrefix)
	}
	if n < 2 {
		field = fSuggest
	}
	q := query.NewPrefixQuery(t)
	q.SetField(field)
	q.SetBoost(boostPrefix)
	return q
}

// filters is the conjunction of the query's filters: a boolean query's
// filter clause, so it does not score. (As one more required clause of a
// conjunction with zero boosts, letting Bleve walk the rarest clause, it
// measured slower: the numeric ranges are large disjunctions.)
func filters(q ocop.SearchQuery) query.Query {
	var fs []query.Query
	kw := func(field, v string) {
		if v != "" {
			fs = append(fs, term(v, field, 1))
		}
	}
	kw(fProvince, q.ProvinceCode)
	kw(fGroup, q.Group)
	kw(fSet, q.ProductSet)
	kw(fKind, q.ProducerKind)
	num := func(field string, lo, hi *float64) {
		incl := true
		nq := query.NewNumericRangeInclusiveQuery(lo, hi, &incl, &incl)
		nq.SetField(field)
		fs = append(fs, nq)
	}
	if q.StarsMin > 0 {
		// The facet terms of the star levels allowed: cheaper than a
		// numeric range, which needs several precision terms per value.
		var levels []query.Query
		for r := q.StarsMin; r <= 5; r++ {
			levels = append(levels, term("r:"+strconv.Itoa(r), fFacets, 1))
		}
		fs = append(fs, query.NewDisjunctionQuery(levels))
	}
	if q.PriceMaxVND > 0 {
		v := float64(q.PriceMaxVND)
		num(fPriceMin, nil, &v)
	}
	if q.MOQMax > 0 {
		v := float64(q.MOQMax)
		num(fMOQ, nil, &v)
	}
	if q.Certified != nil {
		bq := query.NewBoolFieldQuery(*q.Certified)
		bq.SetField(fCert)
		fs = append(fs, bq)
	}
	if len(fs) == 0 {
		return nil
	}
	return query.NewConjunctionQuery(fs)
}

// sortOrder: each sort key past the score reads doc values for every hit,
// so ties are left to the index order (stable for a given index) rather
// than broken by more fields.
func sortOrder(s ocop.SearchSort) []string {
	switch s {
	case ocop.SortNewest:
		return []string{"-" + fNewest}
	case ocop.SortPriceAsc:
		return []string{fPriceMin, "-_score"}
	case ocop.SortPriceDesc:
		return []string{"-" + fPriceMin, "-_score"}
	case ocop.SortStarsDesc:
		return []string{"-" + fStars, "-_score"}
	}
	return []string{"-_score"}
}

// searchQuery is a text query with its filters.
func searchQuery(q ocop.SearchQuery, pq vntext.Query, prefixLast bool) query.Query {
	main := textQuery(pq, prefixLast, fAll, fTitle)
	if f := filters(q); f != nil {
		bq := query.NewBooleanQuery([]query.Query{main}, nil, nil)
		bq.AddFilter(f)
		main = bq
	}
	return main
}

// Search runs a normalised query.
func (x *Index) Search(ctx context.Context, q ocop.SearchQuery) (ocop.SearchResult, error) {
	pq := vntext.ParseQuery(q.Q)
	prefixLast := pq.PrefixLast(q.Q)
	browsing := len(pq.Folded) == 0
	if browsing {
		return x.browse(ctx, q)
	}
	main := searchQuery(q, pq, prefixLast)

	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return ocop.SearchResult{}, unavailable(errClosed)
	}
	res, err := collect(ctx, x.cur, x.curCols, main, q.PerPage, q.Offset(), sortOrder(q.Sort))
	if err != nil {
		if ctx.Err() != nil {
			return ocop.SearchResult{}, ctx.Err()
		}
		return ocop.SearchResult{}, unavailable(err)
	}
	out := ocop.SearchResult{Total: res.total, Facets: res.facets, Hits: make([]ocop.SearchHit, 0, len(res.docs))}
	for _, d := range res.docs {
		hit := ocop.SearchHit{Document: d}
		hit.TitleHighlight, hit.DescriptionHighlight = pq.Highlights(d.TitleVI, d.TitleEN, d.DescriptionVI, d.DescriptionEN, prefixLast)
		out.Hits = append(out.Hits, hit)
	}
	return out, nil
}

type collected struct {
	docs   []ocop.SearchDocument
	total  int
	facets ocop.SearchFacets
}

// collect runs a query with Bleve's collector directly rather than through
// SearchInContext, whose request can only ask for Bleve's own facet
// builders: the facets here are counted by countingSearcher (segfacets.go).
func collect(ctx context.Context, idx bleve.Index, cols *columns, q query.Query, size, from int, sortBy []string) (_ collected, err error) {
	in, err := idx.Advanced()
	if err != nil {
		return collected{}, err
	}
	r, err := in.Reader()
	if err != nil {
		return collected{}, err
	}
	defer func() {
		if cerr := r.Close(); err == nil {
			err = cerr
		}
	}()
	searcher, err := q.Searcher(ctx, r, idx.Mapping(), search.SearcherOptions{})
	if err != nil {
		return collected{}, err
	}
	defer func() {
		if cerr := searcher.Close(); err == nil {
			err = cerr
		}
	}()
	coll := collector.NewTopNCollector(size, from, search.ParseSortOrderStrings(sortBy))
	// Facets from the segments' combination arrays (segfacets.go).
	snap, err := cols.snapshotCombos(r)
	if err != nil {
		return collected{}, err
	}
	counter := &countingSearcher{Searcher: searcher, snap: snap, counts: make([]int, cols.comboCount())}
	searcher = counter
	if err := coll.Collect(ctx, searcher, r); err != nil {
		return collected{}, err
	}
	out := collected{total: int(coll.Total()), facets: cols.facetsOf(counter.counts)}
	for _, h := range coll.Results() {
		d, err := loadDoc(r, h.ID)
		if err != nil {
			return collected{}, err
		}
		out.docs = append(out.docs, d)
	}
	return out, nil
}

// loadDoc reads a document's stored copy.
func loadDoc(r index.IndexReader, id string) (ocop.SearchDocument, error) {
	doc, err := r.Document(id)
	if err != nil {
		return ocop.SearchDocument{}, err
	}
	var raw []byte
	if doc != nil {
		doc.VisitFields(func(f index.Field) {
			if f.Name() == fDoc {
				raw = f.Value()
			}
		})
	}
	var d ocop.SearchDocument
	if raw == nil {
		return d, fmt.Errorf("search document %s has no stored copy", id)
	}
	err = json.Unmarshal(raw, &d)
	return d, err
}

func storedDoc(h *search.DocumentMatch) (ocop.SearchDocument, error) {
	var d ocop.SearchDocument
	raw, _ := h.Fields[fDoc].(string)
	err := json.Unmarshal([]byte(raw), &d)
	return d, err
}

// Suggest completes a partly typed query with listing titles and producer
// names, best matches first.
func (x *Index) Suggest(ctx context.Context, prefix string, limit int) ([]string, error) {
	limit = min(max(limit, 1), ocop.SuggestMax)
	pq := vntext.ParseQuery(prefix)
	if len(pq.Folded) == 0 {
		return []string{}, nil
	}
	req := bleve.NewSearchRequestOptions(textQuery(pq, pq.PrefixLast(prefix), fSuggest, fSuggest), 5*limit, 0, false)
	req.Fields = []string{fDoc}
	req.SortBy([]string{"-_score"})
	x.mu.RLock()
	if x.closed {
		x.mu.RUnlock()
		return nil, unavailable(errClosed)
	}
	res, err := x.cur.SearchInContext(ctx, req)
	x.mu.RUnlock()
	if err != nil {
		return nil, unavailable(err)
	}
	var cands []string
	for _, h := range res.Hits {
		d, err := storedDoc(h)
		if err != nil {
			return nil, unavailable(err)
		}
		cands = append(cands, d.TitleVI, d.TitleEN, d.ProducerName)
	}
	out := vntext.Completions(prefix, cands, limit)
	return out, nil
}

// browse answers an empty query from the in-memory columns, then fetches
// the page's documents.
func (x *Index) browse(ctx context.Context, q ocop.SearchQuery) (ocop.SearchResult, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return ocop.SearchResult{}, unavailable(errClosed)
	}
	ids, total, facets := x.curCols.browse(q)
	out := ocop.SearchResult{Total: total, Facets: facets, Hits: make([]ocop.SearchHit, 0, len(ids))}
	if len(ids) == 0 {
		return out, nil
	}
	req := bleve.NewSearchRequestOptions(query.NewDocIDQuery(ids), len(ids), 0, false)
	req.Fields = []string{fDoc}
	res, err := x.cur.SearchInContext(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return ocop.SearchResult{}, ctx.Err()
		}
		return ocop.SearchResult{}, unavailable(err)
	}
	byID := make(map[string]ocop.SearchDocument, len(res.Hits))
	for _, h := range res.Hits {
		d, err := storedDoc(h)
		if err != nil {
			return ocop.SearchResult{}, unavailable(err)
		}
		byID[h.ID] = d
	}
	for _, id := range ids {
		if d, ok := byID[id]; ok {
			out.Hits = append(out.Hits, ocop.SearchHit{Document: d})
		}
	}
	return out, nil
}
