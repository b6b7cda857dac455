package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/places"
	"github.com/ocopconnect/ocopconnect/internal/producers"
	. "github.com/ocopconnect/ocopconnect/internal/testsupport"
)

type searchHitDTO struct {
	ID               string  `json:"id"`
	TitleVI          string  `json:"title_vi"`
	ProducerID       string  `json:"producer_id"`
	ProducerName     string  `json:"producer_name"`
	ProducerKind     string  `json:"producer_kind"`
	ProvinceCode     string  `json:"province_code"`
	ProvinceName     string  `json:"province_name"`
	ProductGroup     string  `json:"product_group"`
	ProductGroupName string  `json:"product_group_name"`
	ProductSetName   string  `json:"product_set_name"`
	Stars            int     `json:"stars"`
	Certified        bool    `json:"certified"`
	PriceMinVND      *int64  `json:"price_min_vnd"`
	MinOrderQty      int64   `json:"min_order_qty"`
	Unit             string  `json:"unit"`
	ThumbnailURL     *string `json:"thumbnail_url"`
	Highlight        struct {
		Title       string `json:"title"`
		Description string `json:"description"`
	} `json:"highlight"`
}

type facetDTO struct {
	Value string `json:"value"`
	Name  string `json:"name"`
	Count int    `json:"count"`
}

type searchDTO struct {
	Hits    []searchHitDTO `json:"hits"`
	Total   int            `json:"total"`
	Page    int            `json:"page"`
	PerPage int            `json:"per_page"`
	Facets  struct {
		Province     []facetDTO `json:"province"`
		Group        []facetDTO `json:"group"`
		ProductSet   []facetDTO `json:"product_set"`
		Stars        []facetDTO `json:"stars"`
		ProducerKind []facetDTO `json:"producer_kind"`
		Price        []struct {
			MinVND int64  `json:"min_vnd"`
			MaxVND *int64 `json:"max_vnd"`
			Count  int    `json:"count"`
		} `json:"price"`
	} `json:"facets"`
}

func (r searchDTO) ids() []string {
	out := make([]string, len(r.Hits))
	for i, h := range r.Hits {
		out[i] = h.ID
	}
	return out
}

func search(t *testing.T, s *Server, params url.Values) searchDTO {
	t.Helper()
	var out searchDTO
	s.Get(t, "/api/v1/search/listings?"+params.Encode(), "").Expect(t, http.StatusOK).JSON(t, &out)
	return out
}

func q(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func facet(fs []facetDTO, value string) int {
	for _, f := range fs {
		if f.Value == value {
			return f.Count
		}
	}
	return 0
}

// producerIn creates and verifies a producer in a province.
func (m *market) producerIn(t *testing.T, email, name, province string, kind ocop.ProducerKind) (token, id string, ctx context.Context) {
	t.Helper()
	u := register(t, m.s, email, "producer")
	ctx = asUser(u["id"].(string), ocop.RoleProducer)
	p, err := m.s.Producers.Create(ctx, producers.ProducerInput{
		LegalName: name, Kind: kind, ProvinceCode: province, CommuneCode: places.Communes(province)[0].Code, Address: "Thôn 1",
	})
	if err != nil {
		t.Fatal(err)
	}
	m.verify(t, p.ID)
	return login(t, m.s, email, goodPassword).AccessToken, p.ID, ctx
}

// publish creates a listing from body and publishes it.
func (m *market) publish(t *testing.T, token string, body map[string]any) string {
	t.Helper()
	id := m.s.Post(t, "/api/v1/listings", token, body).Expect(t, http.StatusCreated).Map(t)["id"].(string)
	m.s.Post(t, "/api/v1/listings/"+id+"/publish", token, nil).Expect(t, http.StatusOK)
	return id
}

func listingBody(producerID, title, group, set string, price, moq int64) map[string]any {
	return map[string]any{
		"producer_id": producerID, "title_vi": title, "description_vi": title + ", đặc sản địa phương.",
		"product_group": group, "product_set": set, "unit": "kg", "price_min_vnd": price, "price_max_vnd": price + 10000,
		"min_order_qty": moq,
	}
}

// searchWorld: coffee (Đắk Lắk, 4 stars), honey (Đắk Lắk), fish sauce
// (An Giang, Phú Quốc is there since 2025) and macadamia nuts (Đắk Lắk).
type searchWorld struct {
	*market
	coffee, honey, fishSauce, macca string
	cert                            string
	southToken, southP              string
}

func newSearchWorld(t *testing.T, db DB) *searchWorld {
	m := newMarket(t, db)
	w := &searchWorld{market: m}
	m.verify(t, m.producer)
	today := ocop.DateOf(m.s.Clock().Now())
	cert, err := m.s.Producers.AddCertificate(m.ownerCtx, m.producer, producers.CertificateInput{
		ProductName: "Cà phê Robusta rang mộc", ProductGroup: "food", ProductSet: "coffee_cocoa", Stars: 4,
		DecisionNumber: "123/QĐ-UBND", DecisionDate: today.AddMonths(-35).String(), IssuingLevel: ocop.IssuingProvincial,
		IssuingBody: "UBND tỉnh Đắk Lắk",
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.s.Producers.VerifyCertificate(m.admin, cert.ID); err != nil {
		t.Fatal(err)
	}
	w.cert = cert.ID
	body := coffee(m.producer)
	body["certificate_id"] = cert.ID
	w.coffee = m.publish(t, m.owner, body)
	w.honey = m.publish(t, m.owner, listingBody(m.producer, "Mật ong hoa cà phê", "food", "honey", 150000, 10))
	w.macca = m.publish(t, m.owner, listingBody(m.producer, "Hạt mắc ca sấy nứt vỏ", "food", "processed_nuts", 400000, 20))
	w.southToken, w.southP, _ = m.producerIn(t, "south@example.vn", "Công ty TNHH Nước mắm Phú Quốc", "91", ocop.KindEnterprise)
	w.fishSauce = m.publish(t, w.southToken, listingBody(w.southP, "Nước mắm Phú Quốc 40 độ đạm", "food", "sauces", 90000, 100))
	return w
}

func TestSearchListingsOverHTTP(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		w := newSearchWorld(t, db)
		s := w.s

		// Nothing is searchable before the relay has run: writes never
		// touch the index themselves.
		if r := search(t, s, q("q", "ca phe")); r.Total != 0 || len(r.Hits) != 0 {
			t.Fatalf("before the relay: %+v", r)
		}
		s.DrainOutbox()

		r := search(t, s, q("q", "ca phe"))
		if !slices.Contains(r.ids(), w.coffee) || !slices.Contains(r.ids(), w.honey) || slices.Contains(r.ids(), w.fishSauce) {
			t.Fatalf("ca phe: %v", r.ids())
		}
		if r.Page != 1 || r.PerPage != ocop.SearchDefaultPerPage {
			t.Fatalf("paging: %d/%d", r.Page, r.PerPage)
		}
		var hit searchHitDTO
		for _, h := range r.Hits {
			if h.ID == w.coffee {
				hit = h
			}
		}
		if hit.ProducerName != "Hợp tác xã Cà phê Ea Tu" || hit.ProvinceCode != "66" || !strings.Contains(hit.ProvinceName, "Đắk Lắk") ||
			hit.Stars != 4 || !hit.Certified || hit.ProductGroupName == "" || hit.ProductSetName == "" || hit.PriceMinVND == nil ||
			*hit.PriceMinVND != 180000 || hit.MinOrderQty != 50 || hit.Unit != "kg" || hit.ThumbnailURL != nil || hit.ProducerID != w.producer {
			t.Fatalf("coffee hit: %+v", hit)
		}
		if !strings.Contains(hit.Highlight.Title, "<mark>Cà</mark>") || !strings.Contains(hit.Highlight.Title, "<mark>phê</mark>") {
			t.Fatalf("highlight: %+v", hit.Highlight)
		}

		// The cases over HTTP.
		for _, c := range []struct{ q, want string }{
			{"dak lak", w.macca}, {"mac ca", w.macca}, {"nuoc mam phu quoc", w.fishSauce}, {"Nước mắm", w.fishSauce},
			{"robusa", w.coffee}, // one typo in a 6-letter word
		} {
			if r := search(t, s, q("q", c.q)); len(r.Hits) == 0 || !slices.Contains(r.ids(), c.want) {
				t.Errorf("%q: %v, want %s", c.q, r.ids(), c.want)
			}
		}
		if r := search(t, s, q("q", "nuoc mam phu quoc")); r.Hits[0].ID != w.fishSauce {
			t.Errorf("nuoc mam phu quoc: first %s", r.Hits[0].ID)
		}

		// Filters are exact; facets count the whole match.
		all := search(t, s, q())
		if all.Total != 4 || len(all.Hits) != 4 {
			t.Fatalf("browse: %d %v", all.Total, all.ids())
		}
		if facet(all.Facets.Province, "66") != 3 || facet(all.Facets.Province, "91") != 1 || facet(all.Facets.Stars, "4") != 1 ||
			facet(all.Facets.Stars, "0") != 3 || facet(all.Facets.ProducerKind, "enterprise") != 1 || facet(all.Facets.Group, "food") != 4 {
			t.Fatalf("facets: %+v", all.Facets)
		}
		for _, f := range all.Facets.Province {
			if f.Name == "" {
				t.Fatalf("province facet without a name: %+v", f)
			}
		}
		inBuckets := 0
		for _, b := range all.Facets.Price {
			inBuckets += b.Count
		}
		if inBuckets != 4 || all.Facets.Price[len(all.Facets.Price)-1].MaxVND != nil {
			t.Fatalf("price histogram: %+v", all.Facets.Price)
		}
		for _, c := range []struct {
			params url.Values
			want   []string
		}{
			{q("province_code", "91"), []string{w.fishSauce}},
			{q("stars_min", "4"), []string{w.coffee}},
			{q("certified", "true"), []string{w.coffee}},
			{q("certified", "false", "province_code", "66"), []string{w.honey, w.macca}},
			{q("price_max_vnd", "150000"), []string{w.fishSauce, w.honey}},
			{q("moq_max", "20"), []string{w.honey, w.macca}},
			{q("producer_kind", "enterprise"), []string{w.fishSauce}},
			{q("product_set", "processed_nuts"), []string{w.macca}},
			{q("group", "handicraft"), []string{}},
			{q("q", "ca phe", "stars_min", "4", "province_code", "66"), []string{w.coffee}},
		} {
			got := search(t, s, c.params).ids()
			slices.Sort(got)
			want := slices.Clone(c.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: %v, want %v", c.params.Encode(), got, want)
			}
		}
		if got := search(t, s, q("sort", "price_asc")).ids(); !slices.Equal(got, []string{w.fishSauce, w.honey, w.coffee, w.macca}) {
			t.Errorf("price_asc: %v", got)
		}
		if got := search(t, s, q("sort", "price_desc", "per_page", "2", "page", "2")).ids(); !slices.Equal(got, []string{w.honey, w.fishSauce}) {
			t.Errorf("price_desc page 2: %v", got)
		}

		// Suggestions complete the last word.
		var sug struct{ Suggestions []string }
		s.Get(t, "/api/v1/search/suggest?q="+url.QueryEscape("nuoc m"), "").Expect(t, http.StatusOK).JSON(t, &sug)
		if !slices.ContainsFunc(sug.Suggestions, func(x string) bool { return strings.Contains(x, "Nước mắm") }) {
			t.Fatalf("suggest: %v", sug.Suggestions)
		}

		// Bad parameters are 400 problems naming the field.
		for _, c := range []struct{ params, field string }{
			{"q=" + strings.Repeat("a", ocop.SearchMaxQueryRunes+1), "q"},
			{"per_page=51", "per_page"},
			{"per_page=0", "per_page"},
			{"page=51&per_page=20", "page"},
			{"page=0", "page"},
			{"stars_min=6", "stars_min"},
			{"stars_min=many", "stars_min"},
			{"price_max_vnd=-1", "price_max_vnd"},
			{"certified=maybe", "certified"},
			{"sort=cheapest", "sort"},
		} {
			p := s.Get(t, "/api/v1/search/listings?"+c.params, "").Expect(t, http.StatusBadRequest).Problem(t)
			if p.Code != "validation_failed" || !p.HasField(c.field) {
				t.Errorf("%s: %+v", c.params, p)
			}
		}
		if p := s.Get(t, "/api/v1/search/suggest?limit=11&q=ca", "").Expect(t, http.StatusBadRequest).Problem(t); !p.HasField("limit") {
			t.Errorf("suggest limit: %+v", p)
		}
		if p := s.Get(t, "/api/v1/search/suggest?q="+strings.Repeat("b", 201), "").Expect(t, http.StatusBadRequest).Problem(t); !p.HasField("q") {
			t.Errorf("suggest q: %+v", p)
		}
	})
}

func TestSearchFollowsTheRecords(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		w := newSearchWorld(t, db)
		s := w.s
		s.DrainOutbox()

		// Unpublished: gone at once (results are re-checked against the
		// records), and from the index once the relay has run.
		s.Post(t, "/api/v1/listings/"+w.honey+"/unpublish", w.owner, nil).Expect(t, http.StatusOK)
		if r := search(t, s, q("q", "mat ong")); slices.Contains(r.ids(), w.honey) {
			t.Fatalf("unpublished listing returned before the relay ran: %v", r.ids())
		}
		s.DrainOutbox()
		if n := indexed(t, s, w.honey); n {
			t.Fatal("unpublished listing still in the index after the relay ran")
		}
		// Published again, edited: the new title is found, the old one not.
		s.Post(t, "/api/v1/listings/"+w.honey+"/publish", w.owner, nil).Expect(t, http.StatusOK)
		cur := s.Get(t, "/api/v1/listings/"+w.honey, w.owner).Expect(t, http.StatusOK)
		w.patch(t, w.honey, w.owner, cur.Header.Get("ETag"), map[string]any{"title_vi": "Mật ong rừng U Minh", "description_vi": "Mật ong rừng tràm."}).Expect(t, http.StatusOK)
		s.DrainOutbox()
		if r := search(t, s, q("q", "u minh")); !slices.Equal(r.ids(), []string{w.honey}) {
			t.Fatalf("edited title: %v", r.ids())
		}
		converged(t, s) // the document has the new title, not the old one
		// Archived: gone.
		cur = s.Get(t, "/api/v1/listings/"+w.macca, w.owner).Expect(t, http.StatusOK)
		s.Do(t, Req{Method: http.MethodDelete, Path: "/api/v1/listings/" + w.macca, Token: w.owner,
			Header: map[string]string{"If-Match": cur.Header.Get("ETag")}}).Expect(t, http.StatusNoContent)
		s.DrainOutbox()
		if indexed(t, s, w.macca) {
			t.Fatal("archived listing still indexed")
		}

		// A revoked certificate takes the stars off (certificate.changed).
		if _, err := s.Producers.RevokeCertificate(w.admin, w.cert, "quyết định bị thu hồi"); err != nil {
			t.Fatal(err)
		}
		s.DrainOutbox()
		if r := search(t, s, q("stars_min", "1")); r.Total != 0 {
			t.Fatalf("stars after revocation: %v", r.ids())
		}
		if r := search(t, s, q("q", "robusta")); len(r.Hits) != 1 || r.Hits[0].Stars != 0 || r.Hits[0].Certified {
			t.Fatalf("coffee after revocation: %+v", r.Hits)
		}

		// A producer renamed (which sends it back to pending review) drops
		// out with all its listings (producer.changed), and returns when
		// verified again, under the new name.
		name := "Công ty Cổ phần Nước mắm Hòn Thơm"
		if _, err := s.Producers.Update(asUser(mustUserID(t, s, w.southToken), ocop.RoleProducer), w.southP, producers.ProducerPatch{LegalName: &name}); err != nil {
			t.Fatal(err)
		}
		if r := search(t, s, q("q", "nuoc mam")); len(r.Hits) != 0 {
			t.Fatalf("unverified producer's listing returned: %v", r.ids())
		}
		s.DrainOutbox()
		if indexed(t, s, w.fishSauce) {
			t.Fatal("unverified producer's listing still indexed")
		}
		w.verify(t, w.southP)
		s.DrainOutbox()
		if r := search(t, s, q("q", "hon thom")); !slices.Equal(r.ids(), []string{w.fishSauce}) || r.Hits[0].ProducerName != name {
			t.Fatalf("renamed producer: %+v", r.Hits)
		}
	})
}

// TestSearchCertificateExpiryReachesTheIndex: the expiry sweep enqueues
// certificate.changed, and the relay takes the stars off.
func TestSearchCertificateExpiryReachesTheIndex(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		w := newSearchWorld(t, db)
		s := w.s
		s.DrainOutbox()
		if r := search(t, s, q("stars_min", "4")); !slices.Equal(r.ids(), []string{w.coffee}) {
			t.Fatalf("before expiry: %v", r.ids())
		}
		s.Clock().Advance(62 * 24 * time.Hour) // the certificate was issued 35 months ago
		s.Runner.RunPeriodicNow(context.Background())
		if n := outboxCount(t, s, "certificate.changed", w.cert); n != 1 {
			t.Fatalf("expiry wrote no certificate.changed message (%d)", n)
		}
		s.DrainOutbox()
		if r := search(t, s, q("stars_min", "1")); r.Total != 0 {
			t.Fatalf("after expiry: %v", r.ids())
		}
	})
}

// indexed reports whether the index itself (not the re-checked API) holds
// a listing.
func indexed(t *testing.T, s *Server, id string) bool {
	t.Helper()
	for _, d := range indexDocs(t, s) {
		if d.ID == id {
			return true
		}
	}
	return false
}

// indexDocs reads every document of the index, bypassing the re-check.
func indexDocs(t *testing.T, s *Server) []ocop.SearchDocument {
	t.Helper()
	var out []ocop.SearchDocument
	for page := 1; ; page++ {
		q := ocop.SearchQuery{Sort: ocop.SortNewest, Page: page, PerPage: ocop.SearchMaxPerPage}
		if err := q.Normalize(); err != nil {
			t.Fatal(err)
		}
		res, err := s.Search.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Hits {
			out = append(out, h.Document)
		}
		if len(res.Hits) < q.PerPage {
			return out
		}
	}
}

// switchable is a search backend that can be taken down and brought back
// (or made to stop half way through a write) while the service runs.
type switchable struct {
	ocop.SearchIndex
	down atomic.Bool
	// cutAfter > 0: the next Upsert writes that many documents, then panics
	// as if the worker process died mid-batch.
	cutAfter atomic.Int64
	// hold, when set, is called before each Upsert (once).
	hold atomic.Pointer[func()]
}

var errBackendDown = errors.New("connection refused")

func (x *switchable) unavailable() error {
	return &ocop.Error{Code: ocop.CodeUnavailable, Message: "search is unavailable", RetryAfter: 5 * time.Second, Err: errBackendDown}
}

func (x *switchable) Search(ctx context.Context, q ocop.SearchQuery) (ocop.SearchResult, error) {
	if x.down.Load() {
		return ocop.SearchResult{}, x.unavailable()
	}
	return x.SearchIndex.Search(ctx, q)
}

func (x *switchable) Suggest(ctx context.Context, p string, n int) ([]string, error) {
	if x.down.Load() {
		return nil, x.unavailable()
	}
	return x.SearchIndex.Suggest(ctx, p, n)
}

func (x *switchable) Upsert(ctx context.Context, docs ...ocop.SearchDocument) error {
	if x.down.Load() {
		return x.unavailable()
	}
	if h := x.hold.Swap(nil); h != nil {
		(*h)()
	}
	if n := x.cutAfter.Swap(0); n > 0 {
		if err := x.SearchIndex.Upsert(ctx, docs[:min(int(n), len(docs))]...); err != nil {
			return err
		}
		panic("worker killed mid-batch")
	}
	return x.SearchIndex.Upsert(ctx, docs...)
}

func (x *switchable) Delete(ctx context.Context, ids ...string) error {
	if x.down.Load() {
		return x.unavailable()
	}
	return x.SearchIndex.Delete(ctx, ids...)
}

func (x *switchable) Ping(ctx context.Context) error {
	if x.down.Load() {
		return x.unavailable()
	}
	return x.SearchIndex.Ping(ctx)
}

func decorate(s *Server) *switchable {
	var sw *switchable
	s.Search.Decorate(func(i ocop.SearchIndex) ocop.SearchIndex {
		sw = &switchable{SearchIndex: i}
		return sw
	})
	if _, err := s.Search.Count(context.Background()); err != nil { // opens the index: sw is set
		panic(err)
	}
	return sw
}

func TestSearchBackendDownAndBack(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		w := newSearchWorld(t, db)
		s := w.s
		sw := decorate(s)
		s.DrainOutbox()

		sw.down.Store(true)
		r := s.Get(t, "/api/v1/search/listings?q=ca+phe", "").Expect(t, http.StatusServiceUnavailable)
		if p := r.Problem(t); p.Code != "service_unavailable" || r.Header.Get("Retry-After") == "" {
			t.Fatalf("search while down: %+v, Retry-After %q", p, r.Header.Get("Retry-After"))
		}
		s.Get(t, "/api/v1/search/suggest?q=ca", "").Expect(t, http.StatusServiceUnavailable)
		rp := s.Get(t, "/readyz", "").Expect(t, http.StatusServiceUnavailable).Problem(t)
		if !strings.Contains(rp.Detail, "search") {
			t.Fatalf("readyz does not name search: %+v", rp)
		}

		// Writes keep working; their messages wait, unclaimed, instead of
		// using up their attempts against a backend that is down.
		id := w.publish(t, w.owner, listingBody(w.producer, "Tiêu đen Chư Sê", "food", "spices", 120000, 10))
		for range 3 {
			s.DrainOutbox()
		}
		var attempts int
		qs := "SELECT attempts FROM outbox WHERE topic = 'listing.changed' AND key = ? AND dead_at IS NULL ORDER BY id DESC LIMIT 1"
		if s.Store.Dialect() == "postgres" {
			qs = strings.Replace(qs, "?", "$1", 1)
		}
		if err := s.Store.SQLDB().QueryRow(qs, id).Scan(&attempts); err != nil || attempts != 0 {
			t.Fatalf("message of a write made while search was down: attempts %d, %v", attempts, err)
		}

		// Back up, without a restart: ready again, and the outbox catches up.
		sw.down.Store(false)
		s.Get(t, "/readyz", "").Expect(t, http.StatusOK)
		s.DrainOutbox()
		if r := search(t, s, q("q", "tieu den chu se")); !slices.Equal(r.ids(), []string{id}) {
			t.Fatalf("after recovery: %v", r.ids())
		}
	})
}

// converged checks that the index holds exactly the searchable listings,
// each as its records are now.
func converged(t *testing.T, s *Server) {
	t.Helper()
	docs := indexDocs(t, s)
	got := map[string]string{}
	for _, d := range docs {
		got[d.ID] = d.TitleVI
	}
	rows, err := s.Store.SQLDB().Query(`SELECT l.id, l.title_vi FROM listings l JOIN producers p ON p.id = l.producer_id
		WHERE l.status = 'published' AND p.status = 'verified'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	want := map[string]string{}
	for rows.Next() {
		var id, title string
		if err := rows.Scan(&id, &title); err != nil {
			t.Fatal(err)
		}
		want[id] = title
	}
	if len(got) != len(want) {
		t.Errorf("index holds %d documents, the records %d searchable listings", len(got), len(want))
	}
	for id, title := range want {
		if got[id] != title {
			t.Errorf("listing %s: index has %q, records %q", id, got[id], title)
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("index holds %s, which is not searchable", id)
		}
	}
}

// TestSearchRelayKilledMidBatchConverges: a worker claims a batch, writes
// part of it to the index and dies (no completion recorded). Meanwhile the
// records change. Once its lease runs out, another worker redelivers the
// batch, and the index ends up equal to the records.
func TestSearchRelayKilledMidBatchConverges(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		w := newSearchWorld(t, db)
		s := w.s
		sw := decorate(s)
		var more []string
		for i := range 6 {
			more = append(more, w.publish(t, w.owner, listingBody(w.producer, "Gạo ST25 lô "+string(rune('A'+i)), "food", "rice_products", 30000, 100)))
		}
		ctx := context.Background()
		msgs, err := s.Store.Outbox().Claim(ctx, "doomed-worker", []string{"listing.changed"}, 500, time.Minute)
		if err != nil || len(msgs) < 10 {
			t.Fatalf("claim: %d messages, %v", len(msgs), err)
		}
		sw.cutAfter.Store(3)
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("the handler was not cut off")
				}
			}()
			w.s.ListingSearch.HandleListingChanged(ctx, msgs)
		}()
		if n := len(indexDocs(t, s)); n != 3 {
			t.Fatalf("the dead worker wrote %d documents, want 3", n)
		}
		// The records move on while the batch is stuck under its lease.
		s.Post(t, "/api/v1/listings/"+more[0]+"/unpublish", w.owner, nil).Expect(t, http.StatusOK)
		cur := s.Get(t, "/api/v1/listings/"+more[1], w.owner).Expect(t, http.StatusOK)
		w.patch(t, more[1], w.owner, cur.Header.Get("ETag"), map[string]any{"title_vi": "Gạo ST25 hữu cơ"}).Expect(t, http.StatusOK)
		s.DrainOutbox() // handles the new messages; the dead worker's are still leased
		s.Clock().Advance(2 * time.Minute)
		s.DrainOutbox()
		converged(t, s)
		var left int
		if err := s.Store.SQLDB().QueryRow("SELECT COUNT(*) FROM outbox WHERE topic = 'listing.changed'").Scan(&left); err != nil || left != 0 {
			t.Fatalf("outbox not drained: %d, %v", left, err)
		}
	})
}

// TestSearchOlderStateNeverOverwritesNewer: a worker reads a listing,
// stalls before writing, and meanwhile the listing changes and another
// worker indexes the newer state. The stalled worker's older document must
// not win: neither an edit undone, nor an unpublished listing brought back.
func TestSearchOlderStateNeverOverwritesNewer(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		w := newSearchWorld(t, db)
		s := w.s
		sw := decorate(s)
		s.DrainOutbox()
		ctx := context.Background()

		stale := func(t *testing.T, id string, change func()) {
			t.Helper()
			reached, release := make(chan struct{}), make(chan struct{})
			hold := func() { close(reached); <-release }
			sw.hold.Store(&hold)
			done := make(chan []error)
			go func() {
				done <- s.ListingSearch.HandleListingChanged(ctx, []ocop.OutboxMessage{{Topic: "listing.changed", Key: id}})
			}()
			<-reached // the slow worker has read the old state
			change()
			s.DrainOutbox() // another worker indexes the new state
			close(release)
			if errs := <-done; len(errs) != 1 || errs[0] != nil {
				t.Fatalf("slow worker: %v", errs)
			}
			converged(t, s)
		}

		// An edit: the older title must not come back.
		t.Run("edit", func(t *testing.T) {
			stale(t, w.coffee, func() {
				cur := s.Get(t, "/api/v1/listings/"+w.coffee, w.owner).Expect(t, http.StatusOK)
				s.Clock().Advance(time.Millisecond)
				w.patch(t, w.coffee, w.owner, cur.Header.Get("ETag"), map[string]any{"title_vi": "Cà phê Robusta Buôn Ma Thuột"}).Expect(t, http.StatusOK)
			})
			if r := search(t, s, q("q", "buon ma thuot")); !slices.Equal(r.ids(), []string{w.coffee}) {
				t.Fatalf("newer title: %v", r.ids())
			}
		})
		// An unpublish: the older published document must not come back.
		t.Run("unpublish", func(t *testing.T) {
			stale(t, w.honey, func() {
				s.Clock().Advance(time.Millisecond)
				s.Post(t, "/api/v1/listings/"+w.honey+"/unpublish", w.owner, nil).Expect(t, http.StatusOK)
			})
			if indexed(t, s, w.honey) {
				t.Fatal("an older published state brought back an unpublished listing")
			}
		})
	})
}
