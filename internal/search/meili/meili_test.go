package meili_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/search/meili"
	"github.com/ocopconnect/ocopconnect/internal/search/searchtest"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

// EnvMeiliURL points the contract suite at a live Meilisearch. CI does not
// set it (no Meilisearch can run there), so the live run is skipped there
// even in strict mode; where it is set, an unreachable server fails in
// strict mode like any other configured backend.
const (
	EnvMeiliURL = "OCOP_TEST_MEILI_URL"
	EnvMeiliKey = "OCOP_TEST_MEILI_KEY"
)

func TestContractLive(t *testing.T) {
	url := os.Getenv(EnvMeiliURL)
	if url == "" {
		t.Skipf("%s not set: the contract suite runs against live Meilisearch only where one is configured", EnvMeiliURL)
	}
	ctx := context.Background()
	probe, err := meili.New(meili.Options{URL: url, Key: os.Getenv(EnvMeiliKey), IndexPrefix: "ocoptest_probe_"})
	if err != nil {
		t.Fatal(err)
	}
	if err := probe.Ping(ctx); err != nil {
		testdb.SkipOrFail(t, "Meilisearch at %s is not reachable: %v", url, err)
	}
	searchtest.Run(t, func(t *testing.T) ocop.SearchIndex {
		prefix := fmt.Sprintf("ocoptest_%d_", time.Now().UnixNano())
		x, err := meili.New(meili.Options{URL: url, Key: os.Getenv(EnvMeiliKey), IndexPrefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = x.Drop(context.Background()) })
		return x
	})
}

func newAdapter(t *testing.T) (*meili.Index, *fakeMeili) {
	f := newFakeMeili(t)
	x, err := meili.New(meili.Options{URL: f.srv.URL, Key: "test-master-key", IndexPrefix: "t_", PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return x, f
}

func ids(r ocop.SearchResult) []string {
	out := []string{}
	for _, h := range r.Hits {
		out = append(out, h.Document.ID)
	}
	return out
}

func search(t *testing.T, x ocop.SearchIndex, q ocop.SearchQuery) ocop.SearchResult {
	t.Helper()
	if q.PerPage == 0 {
		q.PerPage = ocop.SearchMaxPerPage
	}
	if err := q.Normalize(); err != nil {
		t.Fatal(err)
	}
	res, err := x.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	return res
}

func TestAdapterAgainstSpec(t *testing.T) {
	ctx := context.Background()
	x, f := newAdapter(t)
	fixtures := searchtest.Fixtures()

	// Before anything is indexed, searches answer empty rather than fail.
	if res := search(t, x, ocop.SearchQuery{Q: "ca phe"}); res.Total != 0 || len(res.Hits) != 0 || len(res.Facets.Price) != len(ocop.PriceBucketBounds) {
		t.Errorf("missing index: %+v", res)
	}
	if n, err := x.Count(ctx); err != nil || n != 0 {
		t.Errorf("count of a missing index: %d %v", n, err)
	}

	if err := x.Upsert(ctx, fixtures...); err != nil {
		t.Fatal(err)
	}
	st := f.indexes["t_listings"].settings
	tt := st["typoTolerance"].(map[string]any)
	mw := tt["minWordSizeForTypos"].(map[string]any)
	if tt["enabled"] != true || mw["oneTypo"] != 5.0 || mw["twoTypos"] != 9.0 {
		t.Errorf("typo tolerance settings: %v", tt)
	}
	if rr := st["rankingRules"].([]any); rr[0] != "sort" {
		t.Errorf("ranking rules: %v", rr)
	}
	if n, err := x.Count(ctx); err != nil || n != len(fixtures) {
		t.Errorf("count: %d %v", n, err)
	}

	t.Run("filters are built and quoted exactly", func(t *testing.T) {
		yes, no := true, false
		for _, q := range []ocop.SearchQuery{
			{ProvinceCode: "01"}, {ProvinceCode: "66", Group: "food"}, {Group: "handicraft", StarsMin: 4},
			{ProductSet: "sauces"}, {PriceMaxVND: 150_000}, {MOQMax: 20}, {ProducerKind: "household"},
			{Certified: &no}, {Certified: &yes, ProvinceCode: "19"},
			// Values that would break a naively quoted filter: the first
			// would match Đắk Lắk and Hà Nội, the others be syntax errors.
			{ProvinceCode: `66" OR province_code = "01`},
			{ProvinceCode: `01\`}, {ProducerKind: `x" AND (stars > 0 OR stars = 0) AND producer_kind != "`},
		} {
			q.Sort = ocop.SortNewest
			want := searchtest.Match(fixtures, q)
			got := ids(search(t, x, q))
			var wantIDs []string
			for _, d := range want {
				wantIDs = append(wantIDs, d.ID)
			}
			slices.Sort(got)
			slices.Sort(wantIDs)
			if !slices.Equal(got, wantIDs) {
				t.Errorf("%+v: got %v want %v (filter %s)", q, got, wantIDs, meili.Filter(q))
			}
		}
		if got := meili.Quote(`a"b\c`); got != `"a\"b\\c"` {
			t.Errorf("Quote: %s", got)
		}
	})

	t.Run("facets and price buckets", func(t *testing.T) {
		res := search(t, x, ocop.SearchQuery{})
		want := searchtest.Facets(fixtures)
		if !slices.Equal(res.Facets.Province, want.Province) || !slices.Equal(res.Facets.Stars, want.Stars) ||
			!slices.Equal(res.Facets.ProductSet, want.ProductSet) || !slices.Equal(res.Facets.Price, want.Price) ||
			!slices.Equal(res.Facets.Group, want.Group) || !slices.Equal(res.Facets.ProducerKind, want.ProducerKind) {
			t.Errorf("facets\n got %+v\nwant %+v", res.Facets, want)
		}
		if res.Total != len(fixtures) {
			t.Errorf("total %d", res.Total)
		}
	})

	t.Run("documents round-trip with highlights", func(t *testing.T) {
		res := search(t, x, ocop.SearchQuery{Q: "ruou can"})
		if len(res.Hits) != 1 {
			t.Fatalf("hits %v", ids(res))
		}
		var want ocop.SearchDocument
		for _, d := range fixtures {
			if d.ID == "l-ruou" {
				want = d
			}
		}
		got := res.Hits[0].Document
		if got.TitleVI != want.TitleVI || got.Version != want.Version || !got.PublishedAt.Equal(want.PublishedAt) || got.PriceMaxVND != want.PriceMaxVND {
			t.Errorf("round trip: %+v", got)
		}
		if !strings.Contains(res.Hits[0].TitleHighlight, "<mark>Rượu</mark> <mark>cần</mark>") {
			t.Errorf("highlight %q", res.Hits[0].TitleHighlight)
		}
	})

	t.Run("pages, sorting and exact-diacritic rerank", func(t *testing.T) {
		res := search(t, x, ocop.SearchQuery{Sort: ocop.SortPriceAsc, Page: 2, PerPage: 3})
		if res.Total != len(fixtures) || len(res.Hits) != 3 {
			t.Fatalf("page 2: %d %v", res.Total, ids(res))
		}
		for i := 1; i < len(res.Hits); i++ {
			if res.Hits[i-1].Document.PriceMinVND > res.Hits[i].Document.PriceMinVND {
				t.Errorf("not sorted by price: %v", ids(res))
			}
		}
		// The fake ranks by id, so "l-che" < "l-chepham" already; add one
		// whose id sorts first but has only "che" without the mark.
		extra := fixtures[5]
		extra.ID, extra.TitleVI, extra.Version = "a-chepham", "Chế phẩm", 1
		if err := x.Upsert(ctx, extra); err != nil {
			t.Fatal(err)
		}
		got := ids(search(t, x, ocop.SearchQuery{Q: "chè"}))
		if len(got) < 3 || got[0] != "l-che" {
			t.Errorf("chè: %v", got)
		}
		if got := ids(search(t, x, ocop.SearchQuery{Q: "che"})); got[0] != "a-chepham" {
			t.Errorf("without marks Meilisearch's order stays: %v", got)
		}
		must(t, x.Delete(ctx, "a-chepham"))
	})

	t.Run("an older version is refused", func(t *testing.T) {
		d := fixtures[0]
		older := d
		older.TitleVI, older.Version = "Cũ", d.Version-1
		must(t, x.Upsert(ctx, older))
		if got := f.indexes["t_listings"].docs[d.ID]["title_vi"]; got != d.TitleVI {
			t.Errorf("older version written: %v", got)
		}
		newer := d
		newer.TitleVI, newer.Version = "Mới", d.Version+1
		must(t, x.Upsert(ctx, newer, older)) // both in one batch: the newer wins
		if got := f.indexes["t_listings"].docs[d.ID]["title_vi"]; got != "Mới" {
			t.Errorf("newer version not written: %v", got)
		}
		must(t, x.Upsert(ctx, d)) // d is older than newer now: refused
		if got := f.indexes["t_listings"].docs[d.ID]["title_vi"]; got != "Mới" {
			t.Errorf("older version written: %v", got)
		}
	})

	t.Run("suggest", func(t *testing.T) {
		got, err := x.Suggest(ctx, "mat ong", 10)
		if err != nil || !slices.Contains(got, "Mật ong hoa cà phê") {
			t.Errorf("suggest: %q %v", got, err)
		}
	})

	t.Run("rebuild swaps and drops the old index", func(t *testing.T) {
		err := x.Rebuild(ctx, func(ctx context.Context, put func(...ocop.SearchDocument) error) error {
			must(t, put(fixtures[:5]...))
			must(t, x.Delete(ctx, fixtures[6].ID)) // live delete during the rebuild
			return put(fixtures[5:]...)
		})
		must(t, err)
		if len(f.indexes) != 1 || f.indexes["t_listings"] == nil {
			t.Errorf("indexes after rebuild: %v", keys(f.indexes))
		}
		if n, _ := x.Count(ctx); n != len(fixtures)-1 {
			t.Errorf("count after rebuild %d", n)
		}
		if _, ok := f.indexes["t_listings"].docs[fixtures[6].ID]; ok {
			t.Error("the fill resurrected a listing deleted during the rebuild")
		}
		if !slices.Contains(f.requests, "POST /swap-indexes") {
			t.Error("no swap-indexes request")
		}
	})

	t.Run("delete", func(t *testing.T) {
		must(t, x.Delete(ctx, "l-gom"))
		if got := ids(search(t, x, ocop.SearchQuery{Q: "gom bat trang"})); len(got) != 0 {
			t.Errorf("deleted still found: %v", got)
		}
	})

	t.Run("server down is 503 with Retry-After, and recovers", func(t *testing.T) {
		must(t, x.Ping(ctx))
		f.mu.Lock()
		f.down = true
		f.mu.Unlock()
		for name, err := range map[string]error{
			"ping": x.Ping(ctx),
			"search": func() error {
				_, err := x.Search(ctx, ocop.SearchQuery{Q: "x", Page: 1, PerPage: 1, Sort: ocop.SortRelevance})
				return err
			}(),
			"upsert": x.Upsert(ctx, fixtures[0]),
		} {
			var oe *ocop.Error
			if ocop.ErrorCode(err) != ocop.CodeUnavailable || !asError(err, &oe) || oe.RetryAfter <= 0 {
				t.Errorf("%s while down: %v", name, err)
			}
		}
		f.mu.Lock()
		f.down = false
		f.mu.Unlock()
		must(t, x.Ping(ctx))
	})

	// Every request carried the key and was checked against the spec (the
	// fake fails the test on any mismatch); make sure that is a lot of them.
	for i, a := range f.auth {
		if a != "Bearer test-master-key" {
			t.Errorf("request %d (%s) without the API key: %q", i, f.requests[i], a)
		}
	}
	for _, want := range []string{"POST /indexes", "PATCH /indexes/t_listings/settings", "POST /indexes/t_listings/documents",
		"POST /indexes/t_listings/documents/fetch", "POST /indexes/t_listings/documents/delete-batch", "POST /indexes/t_listings/search",
		"GET /health", "GET /indexes/t_listings/stats"} {
		if !slices.Contains(f.requests, want) {
			t.Errorf("never sent %s", want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, o := range []meili.Options{{URL: "localhost:7700"}, {URL: "ftp://x"}, {URL: "http://x", IndexPrefix: "bad prefix"}} {
		if _, err := meili.New(o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func asError(err error, target **ocop.Error) bool { return errors.As(err, target) }
