package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/app"
	"github.com/ocopconnect/ocopconnect/internal/listings"
	"github.com/ocopconnect/ocopconnect/internal/listingsearch"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/producers"
	"github.com/ocopconnect/ocopconnect/internal/search/searchtest"
)

// seedCatalogue writes the synthetic catalogue's listings and producers
// as published, verified records (the API re-checks every page against
// them) and indexes the same documents the engine benchmark indexes.
func seedCatalogue(b *testing.B, a *app.App, docs []ocop.SearchDocument) {
	b.Helper()
	ctx := context.Background()
	db := a.Store.SQLDB()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	rebind := func(q string) string {
		if a.Store.Dialect() != "postgres" {
			return q
		}
		out, n := []byte{}, 0
		for i := 0; i < len(q); i++ {
			if q[i] == '?' {
				n++
				out = append(out, '$')
				out = strconv.AppendInt(out, int64(n), 10)
				continue
			}
			out = append(out, q[i])
		}
		return string(out)
	}
	prod, err := tx.PrepareContext(ctx, rebind(`INSERT INTO producers (id, legal_name, name_key, kind, province_code, commune_code, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, 'verified', ?, ?)`))
	if err != nil {
		b.Fatal(err)
	}
	list, err := tx.PrepareContext(ctx, rebind(`INSERT INTO listings (id, producer_id, status, title_vi, title_en, description_vi, product_group, product_set, unit,
		price_min_vnd, price_max_vnd, min_order_qty, version, published_at, created_at, updated_at)
		VALUES (?, ?, 'published', ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`))
	if err != nil {
		b.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range docs {
		ts := d.PublishedAt.UTC()
		if !seen[d.ProducerID] {
			seen[d.ProducerID] = true
			kind := d.ProducerKind
			if kind == "household" {
				kind = string(ocop.KindHouseholdBusiness)
			}
			if _, err := prod.ExecContext(ctx, d.ProducerID, d.ProducerName, d.ProducerName, kind, d.ProvinceCode, d.CommuneCode, ts, ts); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := list.ExecContext(ctx, d.ID, d.ProducerID, d.TitleVI, d.TitleEN, d.DescriptionVI, d.ProductGroup, d.ProductSet, d.Unit,
			d.PriceMinVND, d.PriceMaxVND, d.MOQ, ts, ts, ts); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	err = a.Search.Rebuild(ctx, func(ctx context.Context, put func(...ocop.SearchDocument) error) error {
		for i := 0; i < len(docs); i += listingsearch.DefaultReindexBatch {
			if err := put(docs[i:min(i+listingsearch.DefaultReindexBatch, len(docs))]...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// searchURL renders a query as the API's parameters.
func searchURL(base string, q ocop.SearchQuery) string {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	num := func(k string, n int64) {
		if n != 0 {
			v.Set(k, strconv.FormatInt(n, 10))
		}
	}
	set("q", q.Q)
	set("province_code", q.ProvinceCode)
	set("group", q.Group)
	set("product_set", q.ProductSet)
	set("producer_kind", q.ProducerKind)
	set("sort", string(q.Sort))
	num("stars_min", int64(q.StarsMin))
	num("price_max_vnd", q.PriceMaxVND)
	num("moq_max", q.MOQMax)
	num("page", int64(q.Page))
	num("per_page", int64(q.PerPage))
	if q.Certified != nil {
		v.Set("certified", strconv.FormatBool(*q.Certified))
	}
	return base + "/api/v1/search/listings?" + v.Encode()
}

// BenchmarkSearchAPI runs BenchmarkSearchEngine's mixed query set
// (searchtest.BenchQueries) over HTTP, on the same catalogue
// (searchtest.Catalogue(searchtest.BenchSize())), through the whole stack:
// middleware, validation, the engine, the re-check of each page against the
// database (SQLite), names and JSON. The catalogue is seeded once for the
// sub-benchmarks:
//
//   - saturated: one client per core, as flat out as the engine benchmark
//     (tools/benchratio compares the two throughputs);
//   - moderate: requests arriving at a fixed rate, half the saturated
//     throughput, each timed from its scheduled start (so a slow answer
//     delays nothing unmeasured): the latency a buyer sees on a busy but
//     not overloaded server;
//   - reindex: `ocopconnect reindex`'s rebuild from the records (one op is
//     a whole rebuild and swap).
//
// Each reports the process's resident memory, now and at its peak since
// the catalogue was seeded (the benchmark's own copy of it is dropped
// first); the HTTP clients are in the process too.
func BenchmarkSearchAPI(b *testing.B) {
	a, srv := benchApp(b, "OCOP_LOG_LEVEL", "warn")
	size := func() int {
		docs := searchtest.Catalogue(searchtest.BenchSize())
		seedCatalogue(b, a, docs)
		return len(docs)
	}()
	forgetSeeding()
	queries := searchtest.BenchQueries()
	urls := make([]string, len(queries))
	for i, q := range queries {
		urls[i] = searchURL(srv.URL, q)
	}
	// Every query must answer, with hits where the engine has them.
	for i, u := range urls {
		resp, err := http.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		var body struct{ Total int }
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("%s: %d %v", u, resp.StatusCode, err)
		}
		resp.Body.Close()
		raw, err := a.Search.Search(context.Background(), queries[i])
		if err != nil || raw.Total != body.Total {
			b.Fatalf("%s: API total %d, engine %d (%v)", u, body.Total, raw.Total, err)
		}
	}
	client := benchClient()
	get := func(u string) error {
		resp, err := client.Get(u)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: status %d", u, resp.StatusCode)
		}
		return nil
	}
	var saturatedRate float64 // requests/s of the last saturated run
	b.Run("saturated", func(b *testing.B) {
		b.ResetTimer()
		all := searchtest.TimedParallel(b, func(i int) error { return get(urls[i%len(urls)]) })
		b.StopTimer()
		saturatedRate = float64(b.N) / b.Elapsed().Seconds()
		reportLatency(b, all)
		b.ReportMetric(float64(size), "docs")
	})
	b.Run("moderate", func(b *testing.B) {
		if saturatedRate == 0 {
			b.Skip("needs the saturated run's throughput")
		}
		interval := time.Duration(float64(time.Second) / (saturatedRate / 2))
		lat := make([]time.Duration, b.N)
		var wg sync.WaitGroup
		b.ResetTimer()
		start := time.Now()
		for i := range b.N {
			due := start.Add(time.Duration(i) * interval)
			time.Sleep(time.Until(due))
			wg.Go(func() {
				if err := get(urls[i%len(urls)]); err != nil {
					b.Error(err)
				}
				lat[i] = time.Since(due)
			})
		}
		wg.Wait()
		b.StopTimer()
		reportLatency(b, lat)
		b.ReportMetric(saturatedRate/2, "req/s")
	})
	b.Run("reindex", func(b *testing.B) {
		var n int64
		for range b.N {
			done, err := a.ListingSearch.Reindex(context.Background(), nil)
			if err != nil {
				b.Fatal(err)
			}
			n += done
		}
		b.StopTimer()
		if n != int64(b.N*size) {
			b.Fatalf("reindexed %d listings, want %d", n, b.N*size)
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "listings/s")
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/reindex")
		reportRSS(b)
	})
}

// forgetSeeding makes the memory figures the server's alone: the
// benchmark's copy of the catalogue is garbage once seeded, and the peak
// resident memory starts afresh.
func forgetSeeding() {
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS()
}

// reportLatency reports percentiles and the process's memory.
func reportLatency(b *testing.B, lat []time.Duration) {
	searchtest.ReportLatency(b, lat)
	reportRSS(b)
}

// BenchmarkSearchPublishToSearchable measures how long a change takes to
// reach search results with the workers running as in `serve`: one op is
// an edit of a published listing (a new title word) until a search for
// that word returns it. The catalogue is loaded, so the index is of the
// benchmark's size.
func BenchmarkSearchPublishToSearchable(b *testing.B) {
	a, _ := benchApp(b, "OCOP_LOG_LEVEL", "warn", "OCOP_WORKERS", "2")
	seedCatalogue(b, a, searchtest.Catalogue(searchtest.BenchSize()))
	forgetSeeding()
	ctx := context.Background()
	owner, err := a.Accounts.CreateUser(ctx, registerInput("owner@example.vn", ocop.RoleProducer))
	if err != nil {
		b.Fatal(err)
	}
	admin, err := a.Accounts.CreateUser(ctx, registerInput("admin@example.vn", ocop.RoleAdmin))
	if err != nil {
		b.Fatal(err)
	}
	octx, actx := asUser(owner.ID, ocop.RoleProducer), asUser(admin.ID, ocop.RoleAdmin)
	p, err := a.Producers.Create(octx, producers.ProducerInput{LegalName: "Hợp tác xã Chè Tân Cương", Kind: ocop.KindCooperative,
		ProvinceCode: "66", CommuneCode: "22015", Address: "Xóm 1"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := a.Producers.Verify(actx, p.ID, ""); err != nil {
		b.Fatal(err)
	}
	price := int64(300000)
	v, err := a.Listings.Create(octx, listings.Input{ProducerID: p.ID, TitleVI: "Chè búp Tân Cương", DescriptionVI: "Chè xanh Thái Nguyên.",
		ProductGroup: "food", ProductSet: "tea", Unit: "kg", PriceMinVND: &price, MinOrderQty: 5})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := a.Listings.Publish(octx, v.ID, nil); err != nil {
		b.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = a.Runner.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()

	// A sub-benchmark, so that the catalogue is seeded once while the
	// framework sizes the run.
	b.Run("edit", func(b *testing.B) {
		var lat []time.Duration
		b.ResetTimer()
		for i := range b.N {
			word := fmt.Sprintf("lo%dx%d", i, time.Now().UnixNano()%1e6)
			cur, err := a.Listings.Get(octx, v.ID)
			if err != nil {
				b.Fatal(err)
			}
			in := listings.InputOf(cur.Listing)
			in.TitleVI = "Chè búp Tân Cương " + word
			start := time.Now()
			if _, err := a.Listings.Update(octx, v.ID, nil, in); err != nil {
				b.Fatal(err)
			}
			q := ocop.SearchQuery{Q: word}
			if err := q.Normalize(); err != nil {
				b.Fatal(err)
			}
			for {
				res, err := a.ListingSearch.Search(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Hits) == 1 && res.Hits[0].Document.ID == v.ID {
					break
				}
				if time.Since(start) > 30*time.Second {
					b.Fatalf("edit %d not searchable after 30 s", i)
				}
				time.Sleep(time.Millisecond)
			}
			lat = append(lat, time.Since(start))
		}
		b.StopTimer()
		reportLatency(b, lat)
	})
}
