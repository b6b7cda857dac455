// Package searchtest is the one contract suite every search backend passes
// (the model is Gitea's modules/indexer/internal/tests): Bleve always,
// Meilisearch whenever OCOP_TEST_MEILI_URL points at a server. It also holds
// the deterministic synthetic catalogue the benchmarks index.
package searchtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// Run runs the contract suite. newIndex returns a fresh, empty index that
// the test may close.
func Run(t *testing.T, newIndex func(t *testing.T) ocop.SearchIndex) {
	ctx := context.Background()
	fixtures := Fixtures()
	byID := map[string]ocop.SearchDocument{}
	for _, d := range fixtures {
		byID[d.ID] = d
	}

	// The read-only cases share one loaded index, owned by the outer test
	// (its cleanup runs when the whole suite is done).
	var loaded ocop.SearchIndex
	outer := t
	load := func(t *testing.T) ocop.SearchIndex {
		t.Helper()
		if loaded == nil {
			loaded = newIndex(outer)
			if err := loaded.Upsert(ctx, fixtures...); err != nil {
				t.Fatalf("upsert fixtures: %v", err)
			}
		}
		return loaded
	}
	search := func(t *testing.T, idx ocop.SearchIndex, q ocop.SearchQuery) ocop.SearchResult {
		t.Helper()
		if q.PerPage == 0 {
			q.PerPage = ocop.SearchMaxPerPage
		}
		if err := q.Normalize(); err != nil {
			t.Fatalf("query %+v: %v", q, err)
		}
		res, err := idx.Search(ctx, q)
		if err != nil {
			t.Fatalf("search %+v: %v", q, err)
		}
		return res
	}

	t.Run("text", func(t *testing.T) {
		idx := load(t)
		cases := []struct {
			q        string
			want     []string // must be among the hits
			first    string   // must be the first hit, if set
			not      []string // must not be among the hits
			exactSet bool     // want is the whole answer
		}{
			{q: "ca phe", want: []string{"l-caphe", "l-matong"}, not: []string{"l-nuocmam", "l-che"}},
			{q: "cà phê bột", want: []string{"l-caphe"}, first: "l-caphe"},
			{q: "dak lak", want: []string{"l-caphe", "l-macca", "l-matong", "l-ruou"}, exactSet: true},
			{q: "Đắk Lắk", want: []string{"l-caphe", "l-macca", "l-matong", "l-ruou"}, exactSet: true},
			{q: "mac ca", want: []string{"l-macca"}, first: "l-macca"},
			{q: "macadamia", want: []string{"l-macca"}, exactSet: true},
			{q: "nuoc mam phu quoc", want: []string{"l-nuocmam", "l-mamruoc"}, first: "l-nuocmam"},
			{q: "fish sauce", want: []string{"l-nuocmam"}, exactSet: true},
			{q: "bot nguyan chat", want: []string{"l-caphe"}, first: "l-caphe"}, // one typo in a 6-letter word
			{q: "macadamai", want: []string{"l-macca"}},                         // two edits in a 9-letter word
			{q: "ca pho", not: []string{"l-caphe", "l-matong"}},                 // no typo on 3-letter syllables
			{q: norm.NFD.String("Cà phê bột"), want: []string{"l-caphe"}, first: "l-caphe"},
			{q: "ruou can buon don", want: []string{"l-ruou"}, first: "l-ruou"}, // stored in NFD
			{q: "rượu cần", want: []string{"l-ruou"}, first: "l-ruou"},
			{q: "chè", want: []string{"l-che", "l-chepham"}, first: "l-che"}, // exact marks first
			{q: "gom bat tr", want: []string{"l-gom"}, exactSet: true},       // prefix on the last word
			{q: "xyzzy", exactSet: true},
		}
		for _, c := range cases {
			t.Run(c.q, func(t *testing.T) {
				res := search(t, idx, ocop.SearchQuery{Q: c.q})
				got := hitIDs(res)
				for _, id := range c.want {
					if !slices.Contains(got, id) {
						t.Errorf("%q: %s missing from %v", c.q, id, got)
					}
				}
				for _, id := range c.not {
					if slices.Contains(got, id) {
						t.Errorf("%q: %s must not match (got %v)", c.q, id, got)
					}
				}
				if c.exactSet && len(got) != len(c.want) {
					t.Errorf("%q: got %v, want exactly %v", c.q, got, c.want)
				}
				if c.first != "" && (len(got) == 0 || got[0] != c.first) {
					t.Errorf("%q: first hit %v, want %s", c.q, got, c.first)
				}
				if res.Total != len(got) {
					t.Errorf("%q: total %d but %d hits on one page", c.q, res.Total, len(got))
				}
			})
		}
	})

	t.Run("hits carry the card and highlights", func(t *testing.T) {
		idx := load(t)
		res := search(t, idx, ocop.SearchQuery{Q: "ca phe bot"})
		if len(res.Hits) == 0 || res.Hits[0].Document.ID != "l-caphe" {
			t.Fatalf("hits %v", hitIDs(res))
		}
		h := res.Hits[0]
		want := byID["l-caphe"]
		d := h.Document
		if d.TitleVI != want.TitleVI || d.ProducerName != want.ProducerName || d.ProvinceName != want.ProvinceName ||
			d.PriceMinVND != want.PriceMinVND || d.PriceMaxVND != want.PriceMaxVND || d.MOQ != want.MOQ || d.Unit != want.Unit ||
			d.Stars != want.Stars || !d.Certified || d.ThumbnailURL != want.ThumbnailURL || d.Version != want.Version ||
			!d.PublishedAt.Equal(want.PublishedAt) || !slices.Equal(d.Tags, want.Tags) || d.ProducerID != want.ProducerID {
			t.Errorf("document does not round-trip:\n got %+v\nwant %+v", d, want)
		}
		if !strings.Contains(h.TitleHighlight, "<mark>Cà</mark> <mark>phê</mark> <mark>bột</mark>") {
			t.Errorf("title highlight %q", h.TitleHighlight)
		}
		if !strings.Contains(h.DescriptionHighlight, "<mark>Cà</mark> <mark>phê</mark>") {
			t.Errorf("description highlight %q", h.DescriptionHighlight)
		}
		res = search(t, idx, ocop.SearchQuery{Q: "macadamia"})
		if len(res.Hits) != 1 || !strings.Contains(res.Hits[0].TitleHighlight, "<mark>macadamia</mark>") {
			t.Errorf("English title highlight: %+v", res.Hits)
		}
	})

	t.Run("filters are exact", func(t *testing.T) {
		idx := load(t)
		yes, no := true, false
		for _, q := range []ocop.SearchQuery{
			{ProvinceCode: "01"},
			{ProvinceCode: "66", Group: "food"},
			{Group: "handicraft", StarsMin: 4},
			{ProductSet: "sauces"},
			{StarsMin: 5},
			{PriceMaxVND: 150_000},
			{PriceMaxVND: 120_000, ProvinceCode: "66"},
			{MOQMax: 20},
			{ProducerKind: "household"},
			{Certified: &no},
			{Certified: &yes, ProvinceCode: "19"},
			{ProvinceCode: "99"},
			{ProvinceCode: `66" OR province_code = "01`}, // an injection attempt matches nothing
		} {
			t.Run(fmt.Sprintf("%+v", filterString(q)), func(t *testing.T) {
				want := idsOf(Match(fixtures, q))
				q.Sort = ocop.SortNewest
				got := hitIDs(search(t, idx, q))
				if !sameSet(got, want) {
					t.Errorf("got %v want %v", got, want)
				}
			})
		}
		// Text and filters together.
		q := ocop.SearchQuery{Q: "dak lak", StarsMin: 3}
		got := hitIDs(search(t, idx, q))
		if !sameSet(got, []string{"l-caphe", "l-macca", "l-ruou"}) {
			t.Errorf("dak lak, 3 stars: %v", got)
		}
	})

	t.Run("facets are exact", func(t *testing.T) {
		idx := load(t)
		for _, q := range []ocop.SearchQuery{{}, {ProvinceCode: "66"}, {Q: "dak lak"}, {Group: "food", StarsMin: 3}} {
			res := search(t, idx, q)
			var want []ocop.SearchDocument
			if q.Q == "" {
				want = Match(fixtures, q)
			} else {
				for _, id := range hitIDs(res) {
					want = append(want, byID[id])
				}
			}
			if res.Total != len(want) {
				t.Errorf("%+v: total %d want %d", q, res.Total, len(want))
			}
			wf := Facets(want)
			for name, pair := range map[string][2][]ocop.FacetCount{
				"province": {res.Facets.Province, wf.Province}, "group": {res.Facets.Group, wf.Group},
				"product_set": {res.Facets.ProductSet, wf.ProductSet}, "stars": {res.Facets.Stars, wf.Stars},
				"producer_kind": {res.Facets.ProducerKind, wf.ProducerKind},
			} {
				if !slices.Equal(pair[0], pair[1]) {
					t.Errorf("%+v: facet %s = %v, want %v", q, name, pair[0], pair[1])
				}
			}
			if !slices.Equal(res.Facets.Price, wf.Price) {
				t.Errorf("%+v: price buckets %v, want %v", q, res.Facets.Price, wf.Price)
			}
		}
	})

	t.Run("sorting", func(t *testing.T) {
		idx := load(t)
		keys := map[ocop.SearchSort]func(a, b ocop.SearchDocument) bool{ // a may come before b
			ocop.SortNewest:    func(a, b ocop.SearchDocument) bool { return !a.PublishedAt.Before(b.PublishedAt) },
			ocop.SortPriceAsc:  func(a, b ocop.SearchDocument) bool { return a.PriceMinVND <= b.PriceMinVND },
			ocop.SortPriceDesc: func(a, b ocop.SearchDocument) bool { return a.PriceMinVND >= b.PriceMinVND },
			ocop.SortStarsDesc: func(a, b ocop.SearchDocument) bool { return a.Stars >= b.Stars },
			ocop.SortRelevance: func(a, b ocop.SearchDocument) bool { return !a.PublishedAt.Before(b.PublishedAt) }, // browsing
		}
		for s, ok := range keys {
			for _, q := range []ocop.SearchQuery{{Sort: s}, {Sort: s, Q: "dak lak"}, {Sort: s, ProvinceCode: "01"}} {
				if q.Q != "" && s == ocop.SortRelevance {
					continue
				}
				res := search(t, idx, q)
				if len(res.Hits) != len(Match(fixtures, q)) && q.Q == "" {
					t.Errorf("%s %+v: %d hits", s, q, len(res.Hits))
				}
				for i := 1; i < len(res.Hits); i++ {
					if !ok(res.Hits[i-1].Document, res.Hits[i].Document) {
						t.Errorf("%s %+v: out of order at %d: %v", s, filterString(q), i, hitIDs(res))
						break
					}
				}
			}
		}
		// Pages partition the ordered result.
		all := hitIDs(search(t, idx, ocop.SearchQuery{Sort: ocop.SortNewest}))
		var paged []string
		for p := 1; p <= 4; p++ {
			res := search(t, idx, ocop.SearchQuery{Sort: ocop.SortNewest, Page: p, PerPage: 3})
			if res.Total != len(fixtures) {
				t.Errorf("page %d: total %d want %d", p, res.Total, len(fixtures))
			}
			paged = append(paged, hitIDs(res)...)
		}
		if !slices.Equal(paged, all) || len(all) != len(fixtures) {
			t.Errorf("pages %v != whole %v", paged, all)
		}
	})

	t.Run("suggest", func(t *testing.T) {
		idx := load(t)
		got, err := idx.Suggest(ctx, "ca ph", 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{"Cà phê bột nguyên chất Buôn Ma Thuột", "Mật ong hoa cà phê"} {
			if !slices.Contains(got, w) {
				t.Errorf("suggest ca ph: %q missing from %q", w, got)
			}
		}
		got, err = idx.Suggest(ctx, "hop tac xa x", 10)
		if err != nil || !slices.Contains(got, "Hợp tác xã Xanh Krông Búk") {
			t.Errorf("producer names: %q %v", got, err)
		}
		got, err = idx.Suggest(ctx, "h", 3)
		if err != nil || len(got) == 0 || len(got) > 3 {
			t.Errorf("limit 3: %q %v", got, err)
		}
		got, err = idx.Suggest(ctx, "  ", 10)
		if err != nil || len(got) != 0 {
			t.Errorf("blank: %q %v", got, err)
		}
	})

	t.Run("delete", func(t *testing.T) {
		idx := newIndex(t)
		must(t, idx.Upsert(ctx, fixtures...))
		must(t, idx.Delete(ctx, "l-gom", "no-such-id"))
		if got := hitIDs(search(t, idx, ocop.SearchQuery{Q: "gom bat trang"})); len(got) != 0 {
			t.Errorf("deleted listing still found: %v", got)
		}
		if got := hitIDs(search(t, idx, ocop.SearchQuery{ProvinceCode: "01"})); slices.Contains(got, "l-gom") {
			t.Errorf("deleted listing still browsed: %v", got)
		}
		if n, err := idx.Count(ctx); err != nil || n != len(fixtures)-1 {
			t.Errorf("count %d %v", n, err)
		}
		must(t, idx.Delete(ctx))
	})

	t.Run("an older version never overwrites a newer one", func(t *testing.T) {
		idx := newIndex(t)
		d := byID["l-gom"]
		newer := d
		newer.TitleVI, newer.Version = "Gốm men rạn Bát Tràng", d.Version+10
		older := d
		older.TitleVI, older.Version = "Bình gốm cũ", d.Version+5
		must(t, idx.Upsert(ctx, newer))
		must(t, idx.Upsert(ctx, older))                // arrives late
		must(t, idx.Upsert(ctx, older, byID["l-lua"])) // in a batch with others
		res := search(t, idx, ocop.SearchQuery{ProvinceCode: "01"})
		if len(res.Hits) != 2 {
			t.Fatalf("hits %v", hitIDs(res))
		}
		for _, h := range res.Hits {
			if h.Document.ID == "l-gom" && (h.Document.TitleVI != newer.TitleVI || h.Document.Version != newer.Version) {
				t.Errorf("older version overwrote the newer: %q v%d", h.Document.TitleVI, h.Document.Version)
			}
		}
		if got := hitIDs(search(t, idx, ocop.SearchQuery{Q: "binh gom cu"})); len(got) != 0 {
			t.Errorf("older text is searchable: %v", got)
		}
		newest := newer
		newest.TitleVI, newest.Version = "Gốm men lam Bát Tràng 2026", d.Version+20
		must(t, idx.Upsert(ctx, newest))
		if got := hitIDs(search(t, idx, ocop.SearchQuery{Q: "gom 2026"})); !slices.Equal(got, []string{"l-gom"}) {
			t.Errorf("newer version not applied: %v", got)
		}
	})

	t.Run("bad documents are refused", func(t *testing.T) {
		idx := newIndex(t)
		if err := idx.Upsert(ctx, ocop.SearchDocument{TitleVI: "no id"}); ocop.ErrorCode(err) != ocop.CodeValidation {
			t.Errorf("empty id: %v", err)
		}
	})

	t.Run("rebuild swaps while serving", func(t *testing.T) {
		idx := newIndex(t)
		must(t, idx.Upsert(ctx, fixtures...))
		must(t, idx.Upsert(ctx, doc("l-stale", 20, ocop.SearchDocument{TitleVI: "Sản phẩm đã gỡ", ProvinceCode: "01", ProductGroup: "food"})))

		// Searches run all through the rebuild and must never fail or see
		// an empty index.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var searches, failures atomic.Int64
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := idx.Search(ctx, ocop.SearchQuery{Q: "ca phe", Sort: ocop.SortRelevance, Page: 1, PerPage: 10})
				searches.Add(1)
				if err != nil || !slices.Contains(hitIDs(res), "l-caphe") {
					failures.Add(1)
				}
				time.Sleep(2 * time.Millisecond)
			}
		}()

		fresh := doc("l-new", 30, ocop.SearchDocument{TitleVI: "Bánh pía Sóc Trăng", ProvinceCode: "92", ProductGroup: "food", PriceMinVND: 60_000})
		err := idx.Rebuild(ctx, func(ctx context.Context, put func(docs ...ocop.SearchDocument) error) error {
			half := len(fixtures) / 2
			if err := put(fixtures[:half]...); err != nil {
				return err
			}
			// Meanwhile the old index still serves everything...
			res, err := idx.Search(ctx, ocop.SearchQuery{Q: "sản phẩm đã gỡ", Page: 1, PerPage: 10, Sort: ocop.SortRelevance})
			if err != nil || !slices.Contains(hitIDs(res), "l-stale") {
				t.Errorf("old index not serving during rebuild: %v %v", hitIDs(res), err)
			}
			// ...and live writes happen: a new listing, an unpublished one.
			if err := idx.Upsert(ctx, fresh); err != nil {
				return err
			}
			if err := idx.Delete(ctx, "l-lua"); err != nil {
				return err
			}
			// The fill read l-lua before it was unpublished: it must not
			// come back.
			return put(fixtures[half:]...)
		})
		close(stop)
		wg.Wait()
		must(t, err)
		if failures.Load() > 0 {
			t.Errorf("%d of %d searches failed during the rebuild", failures.Load(), searches.Load())
		}
		res := search(t, idx, ocop.SearchQuery{Sort: ocop.SortNewest})
		got := hitIDs(res)
		var want []string
		for _, d := range fixtures {
			if d.ID != "l-lua" {
				want = append(want, d.ID)
			}
		}
		want = append(want, "l-new")
		if !sameSet(got, want) {
			t.Errorf("after rebuild: %v, want %v (l-stale gone: the fill is the truth; l-new kept; l-lua stays deleted)", got, want)
		}
		if n, err := idx.Count(ctx); err != nil || n != len(want) {
			t.Errorf("count after rebuild %d %v", n, err)
		}
		// Still writable after the swap.
		must(t, idx.Delete(ctx, "l-new"))
		if got := hitIDs(search(t, idx, ocop.SearchQuery{Q: "banh pia"})); len(got) != 0 {
			t.Errorf("delete after swap: %v", got)
		}
		// A failed fill leaves the index as it was.
		if err := idx.Rebuild(ctx, func(ctx context.Context, put func(docs ...ocop.SearchDocument) error) error {
			_ = put(fixtures[0])
			return fmt.Errorf("database went away")
		}); err == nil {
			t.Error("failed fill reported success")
		}
		if n, err := idx.Count(ctx); err != nil || n != len(want)-1 {
			t.Errorf("count after failed rebuild %d %v", n, err)
		}
	})

	t.Run("ping", func(t *testing.T) {
		must(t, newIndex(t).Ping(ctx))
	})
}

// Facets counts the facets of docs the way the engines must.
func Facets(docs []ocop.SearchDocument) ocop.SearchFacets {
	count := func(val func(ocop.SearchDocument) string) []ocop.FacetCount {
		m := map[string]int{}
		for _, d := range docs {
			if v := val(d); v != "" {
				m[v]++
			}
		}
		out := []ocop.FacetCount{}
		for v, n := range m {
			out = append(out, ocop.FacetCount{Value: v, Count: n})
		}
		ocop.SortFacetCounts(out)
		return out
	}
	f := ocop.SearchFacets{
		Province:     count(func(d ocop.SearchDocument) string { return d.ProvinceCode }),
		Group:        count(func(d ocop.SearchDocument) string { return d.ProductGroup }),
		ProductSet:   count(func(d ocop.SearchDocument) string { return d.ProductSet }),
		Stars:        count(func(d ocop.SearchDocument) string { return fmt.Sprint(d.Stars) }),
		ProducerKind: count(func(d ocop.SearchDocument) string { return d.ProducerKind }),
	}
	f.Price = ocop.NewPriceBuckets()
	for i, b := range f.Price {
		for _, d := range docs {
			if d.PriceMinVND >= b.MinVND && (b.MaxVND == 0 || d.PriceMinVND < b.MaxVND) {
				f.Price[i].Count++
			}
		}
	}
	return f
}

func hitIDs(r ocop.SearchResult) []string {
	out := []string{}
	for _, h := range r.Hits {
		out = append(out, h.Document.ID)
	}
	return out
}

func idsOf(docs []ocop.SearchDocument) []string {
	out := []string{}
	for _, d := range docs {
		out = append(out, d.ID)
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func filterString(q ocop.SearchQuery) string {
	s := fmt.Sprintf("q=%q prov=%q group=%q set=%q stars>=%d price<=%d moq<=%d kind=%q", q.Q, q.ProvinceCode, q.Group, q.ProductSet, q.StarsMin, q.PriceMaxVND, q.MOQMax, q.ProducerKind)
	if q.Certified != nil {
		s += fmt.Sprintf(" certified=%v", *q.Certified)
	}
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
