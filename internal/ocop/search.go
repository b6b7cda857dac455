package ocop

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// SearchDocument is what the listing index holds: everything a result card
// shows, denormalised from the listing, its producer, place and certificate.
// The relay builds it from the CURRENT records; Version orders documents of
// the same ID so that an older one can never replace a newer one.
type SearchDocument struct {
	ID            string
	TitleVI       string
	TitleEN       string
	DescriptionVI string
	DescriptionEN string
	ProducerID    string
	ProducerName  string
	ProducerKind  string // enterprise, cooperative, cooperative_group, household
	ProvinceCode  string // 2 digits
	ProvinceName  string
	CommuneCode   string // 5 digits
	CommuneName   string
	ProductGroup  string // taxonomy code
	ProductSet    string // taxonomy code
	Stars         int    // from a verified, unexpired, unrevoked certificate; 0 if none
	Certified     bool
	PriceMinVND   int64
	PriceMaxVND   int64
	MOQ           int64
	Unit          string
	ThumbnailURL  string
	Tags          []string
	PublishedAt   time.Time
	UpdatedAt     time.Time
	// Version grows with every change of the document (the listing's
	// updated_at in unix nanoseconds, or a counter). Upsert ignores a
	// document whose Version is lower than the indexed one's.
	Version int64
}

// SearchSort orders search results.
type SearchSort string

const (
	SortRelevance SearchSort = "relevance" // empty q: same as newest
	SortNewest    SearchSort = "newest"    // published_at descending
	SortPriceAsc  SearchSort = "price_asc" // price_min_vnd ascending
	SortPriceDesc SearchSort = "price_desc"
	SortStarsDesc SearchSort = "stars_desc"
)

// Valid reports whether s is a known order.
func (s SearchSort) Valid() bool {
	switch s {
	case SortRelevance, SortNewest, SortPriceAsc, SortPriceDesc, SortStarsDesc:
		return true
	}
	return false
}

// Search limits: clients get a 400 beyond them, backends never see more.
const (
	SearchMaxQueryRunes  = 200
	SearchDefaultPerPage = 20
	SearchMaxPerPage     = 50
	// SearchMaxDepth caps page*per_page: deep pages cost the engine a lot
	// and nobody reads them; narrowing with filters is the way further.
	SearchMaxDepth = 1000
	// SuggestMax is how many completions Suggest returns at most.
	SuggestMax = 10
)

// SearchQuery is one search. Zero filter values mean "no filter".
type SearchQuery struct {
	Q            string
	ProvinceCode string
	Group        string
	ProductSet   string
	StarsMin     int
	PriceMaxVND  int64 // listings whose lowest price is at most this
	MOQMax       int64
	ProducerKind string
	Certified    *bool
	Sort         SearchSort
	Page         int // 1-based
	PerPage      int
}

// Normalize fills in defaults and validates; the error lists every bad field
// by its query-parameter name.
func (q *SearchQuery) Normalize() error {
	var v Validation
	if q.Sort == "" {
		q.Sort = SortRelevance
	}
	if q.Page == 0 {
		q.Page = 1
	}
	if q.PerPage == 0 {
		q.PerPage = SearchDefaultPerPage
	}
	v.Check(utf8.ValidString(q.Q) && utf8.RuneCountInString(q.Q) <= SearchMaxQueryRunes, "q", "must be valid text of at most %d characters", SearchMaxQueryRunes)
	v.Check(q.Sort.Valid(), "sort", "must be relevance, newest, price_asc, price_desc or stars_desc")
	v.Check(q.Page >= 1, "page", "must be at least 1")
	v.Check(q.PerPage >= 1 && q.PerPage <= SearchMaxPerPage, "per_page", "must be between 1 and %d", SearchMaxPerPage)
	if q.Page >= 1 && q.PerPage >= 1 && q.PerPage <= SearchMaxPerPage {
		v.Check(q.Page*q.PerPage <= SearchMaxDepth, "page", "results beyond the first %d are not served; narrow the search with filters", SearchMaxDepth)
	}
	v.Check(q.StarsMin >= 0 && q.StarsMin <= 5, "stars_min", "must be between 0 and 5")
	v.Check(q.PriceMaxVND >= 0, "price_max_vnd", "must not be negative")
	v.Check(q.MOQMax >= 0, "moq_max", "must not be negative")
	for field, s := range map[string]string{"province_code": q.ProvinceCode, "group": q.Group, "product_set": q.ProductSet, "producer_kind": q.ProducerKind} {
		v.Check(len(s) <= 64 && utf8.ValidString(s), field, "must be a code of at most 64 characters")
	}
	return v.Err()
}

// Offset is the index of the first hit of the page.
func (q SearchQuery) Offset() int { return (q.Page - 1) * q.PerPage }

// SearchHit is one result. The highlights are short fragments of the title
// and description with matches wrapped in <mark>...</mark>; the rest of the
// text is HTML-escaped, so clients may insert them as HTML.
type SearchHit struct {
	Document             SearchDocument
	TitleHighlight       string
	DescriptionHighlight string
}

// FacetCount is the number of matching listings with one value of a field.
type FacetCount struct {
	Value string
	Count int
}

// PriceBucket counts matching listings whose lowest price is in
// [MinVND, MaxVND); MaxVND 0 means no upper bound.
type PriceBucket struct {
	MinVND int64
	MaxVND int64
	Count  int
}

// PriceBucketBounds are the lower bounds of the price histogram buckets.
var PriceBucketBounds = []int64{0, 50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000}

// PriceBucketOf returns the index of the bucket a lowest price falls in.
func PriceBucketOf(priceMinVND int64) int {
	b := 0
	for i, lo := range PriceBucketBounds {
		if priceMinVND >= lo {
			b = i
		}
	}
	return b
}

// NewPriceBuckets returns the histogram buckets with zero counts.
func NewPriceBuckets() []PriceBucket {
	out := make([]PriceBucket, len(PriceBucketBounds))
	for i, lo := range PriceBucketBounds {
		out[i].MinVND = lo
		if i+1 < len(PriceBucketBounds) {
			out[i].MaxVND = PriceBucketBounds[i+1]
		}
	}
	return out
}

// SearchFacets are counted over every listing matching the query and all its
// filters. Value lists are sorted by count descending, then value.
type SearchFacets struct {
	Province     []FacetCount
	Group        []FacetCount
	ProductSet   []FacetCount
	Stars        []FacetCount // "0" (no certificate) .. "5"
	ProducerKind []FacetCount
	Price        []PriceBucket // every bucket, in order, zero counts included
}

// SearchResult is one page of results.
type SearchResult struct {
	Hits   []SearchHit
	Total  int
	Facets SearchFacets
}

// SearchIndex is the listing search port. Implementations: Bleve (embedded,
// default) and Meilisearch; internal/search/searchtest is the one contract
// suite both pass.
//
// Never call it inside a database transaction: the relay feeds it from the
// outbox.
type SearchIndex interface {
	// Search runs a normalised query (see SearchQuery.Normalize).
	Search(ctx context.Context, q SearchQuery) (SearchResult, error)
	// Suggest returns up to limit (at most SuggestMax) completions of a
	// partly typed query: listing titles and producer names.
	Suggest(ctx context.Context, prefix string, limit int) ([]string, error)
	// Upsert adds or replaces documents; one older than the indexed
	// document of the same ID is ignored.
	Upsert(ctx context.Context, docs ...SearchDocument) error
	// Delete removes documents; missing IDs are not an error.
	Delete(ctx context.Context, ids ...string) error
	// Rebuild builds a fresh index from fill and swaps it in atomically.
	// Searches keep being served by the old index until the swap, and
	// Upserts/Deletes made meanwhile reach both, so none is lost.
	Rebuild(ctx context.Context, fill func(ctx context.Context, put func(docs ...SearchDocument) error) error) error
	// Count returns how many documents the index holds (an empty index is
	// rebuilt at start).
	Count(ctx context.Context) (int, error)
	// Ping reports whether the backend can serve searches (readiness).
	Ping(ctx context.Context) error
	Close() error
}

// SortFacetCounts orders facet values by count descending, then value, so
// that every backend lists them the same way.
func SortFacetCounts(fs []FacetCount) {
	slices.SortFunc(fs, func(a, b FacetCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Value, b.Value)
	})
}
