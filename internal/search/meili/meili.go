// Package meili is the production search backend: Meilisearch through
// github.com/meilisearch/meilisearch-go.
//
// Meilisearch folds Vietnamese diacritics (and đ) itself; the adapter sends
// the query in NFC, asks for every word to match (matchingStrategy "all",
// as Bleve does), sets the typo budget to 1 edit from 5 characters and 2
// from 9, puts "sort" first among the ranking rules so that an explicit
// order is strict, and reranks the first results of a relevance search
// whose query carries marks so that exact-diacritic matches come first
// (Meilisearch ranks "che" and "chè" alike). Highlights come from vntext,
// the same as Bleve's.
//
// Writes wait for their task, so a returned Upsert is searchable.
package meili

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/meilisearch/meilisearch-go"
	"golang.org/x/text/unicode/norm"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/search/rebuild"
	"github.com/ocopconnect/ocopconnect/internal/search/vntext"
)

// Options configure the backend.
type Options struct {
	URL         string
	Key         string
	IndexPrefix string // index uid = prefix + "listings"
	// HTTPClient replaces the default client (tests).
	HTTPClient *http.Client
	// PollInterval is how often a write polls its task (default 20ms).
	PollInterval time.Duration
}

// Index is the Meilisearch backend of ocop.SearchIndex.
type Index struct {
	sm   meilisearch.ServiceManager
	uid  string
	poll time.Duration

	ensureMu sync.Mutex
	ensured  bool

	// writeMu: live writes hold it shared for their whole run (old and new
	// index), the swap exclusively, so no write straddles the swap.
	writeMu   sync.RWMutex
	mu        sync.Mutex
	building  string
	guard     *rebuild.Guard
	rebuildMu sync.Mutex
}

var _ ocop.SearchIndex = (*Index)(nil)

var uidPattern = regexp.MustCompile(`^[A-Za-z0-9_-]*$`)

// ValidPrefix reports whether p can start a Meilisearch index uid.
func ValidPrefix(p string) bool { return len(p) <= 64 && uidPattern.MatchString(p) }

// New returns the backend. It does not contact the server: a search server
// that is down at start must not stop the service (searches answer 503
// until it is back; the index and its settings are created on first use).
func New(o Options) (*Index, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("meilisearch URL must be http(s)://host[:port]")
	}
	if !ValidPrefix(o.IndexPrefix) {
		return nil, fmt.Errorf("meilisearch index prefix may hold only letters, digits, - and _")
	}
	// No client-side retries: a search must answer 503 at once when the
	// server is down, and the outbox relay retries writes with its own
	// backoff.
	opts := []meilisearch.Option{meilisearch.DisableRetries()}
	if o.Key != "" {
		opts = append(opts, meilisearch.WithAPIKey(o.Key))
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	opts = append(opts, meilisearch.WithCustomClient(hc))
	poll := o.PollInterval
	if poll <= 0 {
		poll = 20 * time.Millisecond
	}
	return &Index{sm: meilisearch.New(strings.TrimRight(o.URL, "/"), opts...), uid: o.IndexPrefix + "listings", poll: poll}, nil
}

// UID is the name of the live index.
func (x *Index) UID() string { return x.uid }

// Attributes of the documents.
var (
	searchable = []string{"title_vi", "title_en", "producer_name", "tags", "province_name", "commune_name", "description_vi", "description_en"}
	filterable = []string{"province_code", "product_group", "product_set", "producer_kind", "stars", "stars_k", "price_min_vnd", "price_bucket", "moq", "certified"}
	sortable   = []string{"published_ms", "price_min_vnd", "stars"}
	facets     = []string{"province_code", "product_group", "product_set", "stars_k", "producer_kind", "price_bucket"}
)

// Settings are the index settings the adapter relies on.
func Settings() *meilisearch.Settings {
	return &meilisearch.Settings{
		SearchableAttributes: searchable,
		FilterableAttributes: filterable,
		SortableAttributes:   sortable,
		// "sort" first: an explicit order (price, stars, newest) is strict,
		// relevance decides only among equals, as in the Bleve backend.
		RankingRules: []string{"sort", "words", "typo", "proximity", "attribute", "exactness"},
		// meilisearch-go sends this struct whole (no omitempty): every field
		// must be set or typo tolerance is switched off.
		TypoTolerance: &meilisearch.TypoTolerance{
			Enabled:             true,
			MinWordSizeForTypos: meilisearch.MinWordSizeForTypos{OneTypo: 5, TwoTypos: 9},
			DisableOnWords:      []string{},
			DisableOnAttributes: []string{},
		},
		Pagination: &meilisearch.Pagination{MaxTotalHits: 100_000},
		Faceting:   &meilisearch.Faceting{MaxValuesPerFacet: 200, SortFacetValuesBy: map[string]meilisearch.SortFacetType{"*": meilisearch.SortFacetTypeCount}},
	}
}

type mdoc struct {
	ID            string   `json:"id"`
	TitleVI       string   `json:"title_vi"`
	TitleEN       string   `json:"title_en"`
	DescriptionVI string   `json:"description_vi"`
	DescriptionEN string   `json:"description_en"`
	ProducerID    string   `json:"producer_id"`
	ProducerName  string   `json:"producer_name"`
	ProducerKind  string   `json:"producer_kind"`
	ProvinceCode  string   `json:"province_code"`
	ProvinceName  string   `json:"province_name"`
	CommuneCode   string   `json:"commune_code"`
	CommuneName   string   `json:"commune_name"`
	ProductGroup  string   `json:"product_group"`
	ProductSet    string   `json:"product_set"`
	Stars         int      `json:"stars"`
	StarsK        string   `json:"stars_k"`
	Certified     bool     `json:"certified"`
	PriceMinVND   int64    `json:"price_min_vnd"`
	PriceMaxVND   int64    `json:"price_max_vnd"`
	PriceBucket   string   `json:"price_bucket"`
	MOQ           int64    `json:"moq"`
	Unit          string   `json:"unit"`
	ThumbnailURL  string   `json:"thumbnail_url"`
	Tags          []string `json:"tags"`
	PublishedAt   string   `json:"published_at"`
	PublishedMS   int64    `json:"published_ms"`
	UpdatedAt     string   `json:"updated_at"`
	// Version is text: Meilisearch compares numbers as float64, which
	// cannot hold nanosecond versions exactly.
	Version string `json:"version"`
}

func toM(d ocop.SearchDocument) mdoc {
	tags := d.Tags
	if tags == nil {
		tags = []string{}
	}
	return mdoc{
		ID: d.ID, TitleVI: d.TitleVI, TitleEN: d.TitleEN, DescriptionVI: d.DescriptionVI, DescriptionEN: d.DescriptionEN,
		ProducerID: d.ProducerID, ProducerName: d.ProducerName, ProducerKind: d.ProducerKind,
		ProvinceCode: d.ProvinceCode, ProvinceName: d.ProvinceName, CommuneCode: d.CommuneCode, CommuneName: d.CommuneName,
		ProductGroup: d.ProductGroup, ProductSet: d.ProductSet, Stars: d.Stars, StarsK: strconv.Itoa(d.Stars), Certified: d.Certified,
		PriceMinVND: d.PriceMinVND, PriceMaxVND: d.PriceMaxVND, PriceBucket: strconv.Itoa(ocop.PriceBucketOf(d.PriceMinVND)), MOQ: d.MOQ,
		Unit: d.Unit, ThumbnailURL: d.ThumbnailURL, Tags: tags,
		PublishedAt: d.PublishedAt.UTC().Format(time.RFC3339Nano), PublishedMS: d.PublishedAt.UnixMilli(),
		UpdatedAt: d.UpdatedAt.UTC().Format(time.RFC3339Nano), Version: strconv.FormatInt(d.Version, 10),
	}
}

func (m mdoc) doc() ocop.SearchDocument {
	pub, _ := time.Parse(time.RFC3339Nano, m.PublishedAt)
	upd, _ := time.Parse(time.RFC3339Nano, m.UpdatedAt)
	v, _ := strconv.ParseInt(m.Version, 10, 64)
	tags := m.Tags
	if len(tags) == 0 {
		tags = nil
	}
	return ocop.SearchDocument{
		ID: m.ID, TitleVI: m.TitleVI, TitleEN: m.TitleEN, DescriptionVI: m.DescriptionVI, DescriptionEN: m.DescriptionEN,
		ProducerID: m.ProducerID, ProducerName: m.ProducerName, ProducerKind: m.ProducerKind,
		ProvinceCode: m.ProvinceCode, ProvinceName: m.ProvinceName, CommuneCode: m.CommuneCode, CommuneName: m.CommuneName,
		ProductGroup: m.ProductGroup, ProductSet: m.ProductSet, Stars: m.Stars, Certified: m.Certified,
		PriceMinVND: m.PriceMinVND, PriceMaxVND: m.PriceMaxVND, MOQ: m.MOQ, Unit: m.Unit, ThumbnailURL: m.ThumbnailURL,
		Tags: tags, PublishedAt: pub, UpdatedAt: upd, Version: v,
	}
}

// unavailable wraps a failure to reach or use the server; the cause is
// logged, never shown.
func unavailable(err error) error {
	var oe *ocop.Error
	if errors.As(err, &oe) {
		return err
	}
	return &ocop.Error{Code: ocop.CodeUnavailable, Message: "search is unavailable", RetryAfter: 5 * time.Second, Err: err}
}

func apiCode(err error) meilisearch.APIErrCode {
	var me *meilisearch.Error
	if errors.As(err, &me) {
		return me.APIError.Code
	}
	return ""
}

const codeIndexNotFound meilisearch.APIErrCode = "index_not_found"

// wait waits for a task and turns its failure into an error.
func (x *Index) wait(ctx context.Context, info *meilisearch.TaskInfo, err error) error {
	if err != nil {
		return err
	}
	task, err := x.sm.WaitForTask(ctx, info.TaskUID, x.poll)
	if err != nil {
		return err
	}
	if task.Status != meilisearch.TaskStatusSucceeded {
		return fmt.Errorf("meilisearch task %d (%s) %s: %s (%s)", task.UID, task.Type, task.Status, task.Error.Message, task.Error.Code)
	}
	return nil
}

// create makes an index with the adapter's settings.
func (x *Index) create(ctx context.Context, uid string) error {
	info, err := x.sm.CreateIndex(ctx, &meilisearch.IndexConfig{Uid: uid, PrimaryKey: "id"})
	if err := x.wait(ctx, info, err); err != nil && !strings.Contains(err.Error(), "index_already_exists") {
		return err
	}
	info, err = x.sm.Index(uid).UpdateSettings(ctx, Settings())
	return x.wait(ctx, info, err)
}

// ensure creates the live index and applies the settings once per process
// (settings updates are idempotent, so every replica may do it).
func (x *Index) ensure(ctx context.Context) error {
	x.ensureMu.Lock()
	defer x.ensureMu.Unlock()
	if x.ensured {
		return nil
	}
	if err := x.create(ctx, x.uid); err != nil {
		return err
	}
	x.ensured = true
	return nil
}

// versions reads the indexed versions of ids.
func (x *Index) versions(ctx context.Context, uid string, ids []string) (map[string]int64, error) {
	var res meilisearch.DocumentsResult
	err := x.sm.Index(uid).GetDocuments(ctx, &meilisearch.DocumentsQuery{Ids: ids, Fields: []string{"id", "version"}, Limit: int64(len(ids))}, &res)
	if err != nil {
		return nil, err
	}
	var got []mdoc
	if err := res.Results.DecodeInto(&got); err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, d := range got {
		out[d.ID], _ = strconv.ParseInt(d.Version, 10, 64)
	}
	return out, nil
}

// put adds documents to uid, skipping those older than the indexed version
// when check is set. The check and the write are two requests, so two
// writers racing on one listing could still interleave; the relay reads the
// current record at send time, which makes the last write the current state
// anyway. What the check stops is a late, stale event.
func (x *Index) put(ctx context.Context, uid string, docs []ocop.SearchDocument, check bool) error {
	docs = rebuild.Newest(docs)
	if len(docs) == 0 {
		return nil
	}
	if check {
		ids := make([]string, len(docs))
		for i, d := range docs {
			ids[i] = d.ID
		}
		have, err := x.versions(ctx, uid, ids)
		if err != nil {
			return err
		}
		docs = slices.DeleteFunc(docs, func(d ocop.SearchDocument) bool { v, ok := have[d.ID]; return ok && v > d.Version })
		if len(docs) == 0 {
			return nil
		}
	}
	ms := make([]mdoc, len(docs))
	for i, d := range docs {
		ms[i] = toM(d)
	}
	pk := "id"
	info, err := x.sm.Index(uid).AddDocuments(ctx, ms, &meilisearch.DocumentOptions{PrimaryKey: &pk})
	return x.wait(ctx, info, err)
}

func (x *Index) liveTargets() (string, *rebuild.Guard) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.building, x.guard
}

// Upsert adds or replaces documents, ignoring older versions.
func (x *Index) Upsert(ctx context.Context, docs ...ocop.SearchDocument) error {
	if err := rebuild.ValidIDs(docs); err != nil {
		return err
	}
	if len(docs) == 0 {
		return nil
	}
	if err := x.ensure(ctx); err != nil {
		return unavailable(err)
	}
	x.writeMu.RLock()
	defer x.writeMu.RUnlock()
	if err := x.put(ctx, x.uid, docs, true); err != nil {
		return unavailable(err)
	}
	if building, guard := x.liveTargets(); building != "" {
		guard.Upserted(docs)
		if err := x.put(ctx, building, docs, true); err != nil {
			return unavailable(err)
		}
	}
	return nil
}

// Delete removes documents.
func (x *Index) Delete(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := x.ensure(ctx); err != nil {
		return unavailable(err)
	}
	x.writeMu.RLock()
	defer x.writeMu.RUnlock()
	del := func(uid string) error {
		info, err := x.sm.Index(uid).DeleteDocuments(ctx, ids, nil)
		return x.wait(ctx, info, err)
	}
	if err := del(x.uid); err != nil {
		return unavailable(err)
	}
	if building, guard := x.liveTargets(); building != "" {
		guard.Deleted(ids)
		if err := del(building); err != nil {
			return unavailable(err)
		}
	}
	return nil
}

// Rebuild fills a fresh index, then swaps it with the live one
// (swap-indexes is atomic for searches) and deletes the old data.
func (x *Index) Rebuild(ctx context.Context, fill func(ctx context.Context, put func(docs ...ocop.SearchDocument) error) error) error {
	x.rebuildMu.Lock()
	defer x.rebuildMu.Unlock()
	if err := x.ensure(ctx); err != nil {
		return unavailable(err)
	}
	tmp := fmt.Sprintf("%s_rebuild_%d", x.uid, time.Now().UnixNano())
	if err := x.create(ctx, tmp); err != nil {
		return unavailable(err)
	}
	guard := &rebuild.Guard{}
	x.writeMu.Lock()
	x.mu.Lock()
	x.building, x.guard = tmp, guard
	x.mu.Unlock()
	x.writeMu.Unlock()
	stopBuilding := func() {
		x.mu.Lock()
		x.building, x.guard = "", nil
		x.mu.Unlock()
	}
	drop := func() {
		info, err := x.sm.DeleteIndex(context.WithoutCancel(ctx), tmp)
		_ = x.wait(context.WithoutCancel(ctx), info, err)
	}
	err := fill(ctx, func(docs ...ocop.SearchDocument) error {
		if err := rebuild.ValidIDs(docs); err != nil {
			return err
		}
		// Shared: live writes to the new index run alongside; only the
		// swap excludes everything.
		x.writeMu.RLock()
		defer x.writeMu.RUnlock()
		if err := x.put(ctx, tmp, guard.Filter(docs), false); err != nil {
			return unavailable(err)
		}
		return nil
	})
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		x.writeMu.Lock()
		stopBuilding()
		x.writeMu.Unlock()
		drop()
		return err
	}
	x.writeMu.Lock()
	info, err := x.sm.SwapIndexes(ctx, []*meilisearch.SwapIndexesParams{{Indexes: []string{x.uid, tmp}}})
	err = x.wait(ctx, info, err)
	stopBuilding()
	x.writeMu.Unlock()
	drop() // after a swap it holds the old documents; after a failure, the new
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Count returns the number of indexed documents.
func (x *Index) Count(ctx context.Context) (int, error) {
	st, err := x.sm.Index(x.uid).GetStats(ctx, nil)
	if apiCode(err) == codeIndexNotFound {
		return 0, nil
	}
	if err != nil {
		return 0, unavailable(err)
	}
	return int(st.NumberOfDocuments), nil
}

// Ping asks the server's health endpoint.
func (x *Index) Ping(ctx context.Context) error {
	h, err := x.sm.Health(ctx)
	if err != nil {
		return unavailable(err)
	}
	if h.Status != "available" {
		return unavailable(fmt.Errorf("meilisearch status %q", h.Status))
	}
	return nil
}

// Close has nothing to release: the client holds no connections of its own
// beyond the HTTP client's idle pool.
func (x *Index) Close() error { return nil }

// Quote makes a Meilisearch filter string literal: whatever the value holds
// (quotes, backslashes, operators), it stays one value.
func Quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// Filter builds the filter expression of a query ("" for none).
func Filter(q ocop.SearchQuery) string {
	var parts []string
	eq := func(attr, v string) {
		if v != "" {
			parts = append(parts, attr+" = "+Quote(v))
		}
	}
	eq("province_code", q.ProvinceCode)
	eq("product_group", q.Group)
	eq("product_set", q.ProductSet)
	eq("producer_kind", q.ProducerKind)
	if q.StarsMin > 0 {
		parts = append(parts, "stars >= "+strconv.Itoa(q.StarsMin))
	}
	if q.PriceMaxVND > 0 {
		parts = append(parts, "price_min_vnd <= "+strconv.FormatInt(q.PriceMaxVND, 10))
	}
	if q.MOQMax > 0 {
		parts = append(parts, "moq <= "+strconv.FormatInt(q.MOQMax, 10))
	}
	if q.Certified != nil {
		parts = append(parts, "certified = "+strconv.FormatBool(*q.Certified))
	}
	return strings.Join(parts, " AND ")
}

func sortFor(s ocop.SearchSort, browsing bool) []string {
	switch s {
	case ocop.SortNewest:
		return []string{"published_ms:desc"}
	case ocop.SortPriceAsc:
		return []string{"price_min_vnd:asc"}
	case ocop.SortPriceDesc:
		return []string{"price_min_vnd:desc"}
	case ocop.SortStarsDesc:
		return []string{"stars:desc", "published_ms:desc"}
	}
	if browsing {
		return []string{"published_ms:desc"}
	}
	return nil
}

// rerankWindow is how many top results a relevance search with marks
// fetches to put exact-diacritic matches first; deeper pages keep
// Meilisearch's order.
const rerankWindow = 100

// Search runs a normalised query.
func (x *Index) Search(ctx context.Context, q ocop.SearchQuery) (ocop.SearchResult, error) {
	text := norm.NFC.String(q.Q)
	pq := vntext.ParseQuery(text)
	prefixLast := pq.PrefixLast(text)
	browsing := len(pq.Folded) == 0
	if browsing {
		text = ""
	}
	rerank := !browsing && pq.Marks && q.Sort == ocop.SortRelevance && q.Offset()+q.PerPage <= rerankWindow
	page, perPage := int64(q.Page), int64(q.PerPage)
	if rerank {
		page, perPage = 1, rerankWindow
	}
	req := &meilisearch.SearchRequest{
		Query: text, Page: page, HitsPerPage: &perPage, Facets: facets,
		Sort: sortFor(q.Sort, browsing), MatchingStrategy: meilisearch.All,
	}
	if f := Filter(q); f != "" {
		req.Filter = f
	}
	res, err := x.sm.Index(x.uid).Search(ctx, text, req)
	if apiCode(err) == codeIndexNotFound {
		return emptyResult(), nil
	}
	if err != nil {
		return ocop.SearchResult{}, unavailable(err)
	}
	var ms []mdoc
	if err := res.Hits.DecodeInto(&ms); err != nil {
		return ocop.SearchResult{}, unavailable(err)
	}
	if rerank {
		score := func(m mdoc) int {
			return pq.ExactScore(strings.Join([]string{m.TitleVI, m.ProducerName, strings.Join(m.Tags, " "), m.ProvinceName, m.CommuneName, m.DescriptionVI}, "\n"))
		}
		slices.SortStableFunc(ms, func(a, b mdoc) int { return score(b) - score(a) })
		from := min(q.Offset(), len(ms))
		ms = ms[from:min(from+q.PerPage, len(ms))]
	}
	out := emptyResult()
	out.Total = int(res.TotalHits)
	for _, m := range ms {
		d := m.doc()
		hit := ocop.SearchHit{Document: d}
		if !browsing {
			hit.TitleHighlight, hit.DescriptionHighlight = pq.Highlights(d.TitleVI, d.TitleEN, d.DescriptionVI, d.DescriptionEN, prefixLast)
		}
		out.Hits = append(out.Hits, hit)
	}
	var dist map[string]map[string]int
	if len(res.FacetDistribution) > 0 {
		if err := json.Unmarshal(res.FacetDistribution, &dist); err != nil {
			return ocop.SearchResult{}, unavailable(err)
		}
	}
	list := func(attr string) []ocop.FacetCount {
		fs := []ocop.FacetCount{}
		for v, n := range dist[attr] {
			if v != "" && n > 0 {
				fs = append(fs, ocop.FacetCount{Value: v, Count: n})
			}
		}
		ocop.SortFacetCounts(fs)
		return fs
	}
	out.Facets.Province = list("province_code")
	out.Facets.Group = list("product_group")
	out.Facets.ProductSet = list("product_set")
	out.Facets.Stars = list("stars_k")
	out.Facets.ProducerKind = list("producer_kind")
	for i := range out.Facets.Price {
		out.Facets.Price[i].Count = dist["price_bucket"][strconv.Itoa(i)]
	}
	return out, nil
}

func emptyResult() ocop.SearchResult {
	r := ocop.SearchResult{Hits: []ocop.SearchHit{}, Facets: ocop.SearchFacets{
		Province: []ocop.FacetCount{}, Group: []ocop.FacetCount{}, ProductSet: []ocop.FacetCount{},
		Stars: []ocop.FacetCount{}, ProducerKind: []ocop.FacetCount{},
	}}
	r.Facets.Price = ocop.NewPriceBuckets()
	return r
}

// Suggest completes a partly typed query with listing titles and producer
// names.
func (x *Index) Suggest(ctx context.Context, prefix string, limit int) ([]string, error) {
	limit = min(max(limit, 1), ocop.SuggestMax)
	text := norm.NFC.String(prefix)
	if len(vntext.Tokens(text)) == 0 {
		return []string{}, nil
	}
	res, err := x.sm.Index(x.uid).Search(ctx, text, &meilisearch.SearchRequest{
		Query: text, Limit: int64(5 * limit), MatchingStrategy: meilisearch.All,
		AttributesToRetrieve: []string{"title_vi", "title_en", "producer_name"},
		AttributesToSearchOn: []string{"title_vi", "title_en", "producer_name"},
	})
	if apiCode(err) == codeIndexNotFound {
		return []string{}, nil
	}
	if err != nil {
		return nil, unavailable(err)
	}
	var ms []mdoc
	if err := res.Hits.DecodeInto(&ms); err != nil {
		return nil, unavailable(err)
	}
	var cands []string
	for _, m := range ms {
		cands = append(cands, m.TitleVI, m.TitleEN, m.ProducerName)
	}
	return vntext.Completions(text, cands, limit), nil
}

// Drop deletes the live index (tests clean up their indexes with it).
func (x *Index) Drop(ctx context.Context) error {
	info, err := x.sm.DeleteIndex(ctx, x.uid)
	if apiCode(err) == codeIndexNotFound {
		return nil
	}
	x.ensureMu.Lock()
	x.ensured = false
	x.ensureMu.Unlock()
	return x.wait(ctx, info, err)
}
