package meili_test

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/ocopconnect/ocopconnect/internal/search/vntext"
)

//go:embed testdata/meilisearch-openapi-1.53.0.json
var meiliSpec []byte

// loadSpec loads Meilisearch's OpenAPI description with its two known
// defects patched (see testdata/README.md).
func loadSpec(t testing.TB) *openapi3.T {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal(meiliSpec, &raw); err != nil {
		t.Fatal(err)
	}
	schemas := raw["components"].(map[string]any)["schemas"].(map[string]any)
	mode := schemas["GetLogs"].(map[string]any)["properties"].(map[string]any)["mode"].(map[string]any)
	mode["default"] = "human"
	schemas["SearchQuery"].(map[string]any)["properties"].(map[string]any)["facets"] = map[string]any{
		"oneOf": []any{map[string]any{"type": "null"}, map[string]any{"type": "array", "items": map[string]any{"type": "string"}}},
	}
	patched, _ := json.Marshal(raw)
	doc, err := openapi3.NewLoader().LoadFromData(patched)
	if err != nil {
		t.Fatalf("load Meilisearch OpenAPI: %v", err)
	}
	return doc
}

// fakeMeili is a small in-memory Meilisearch behind a validator: every
// request must match the published OpenAPI description, and so must every
// answer. It implements just enough of the engine for the adapter test:
// documents, tasks, swap, filter expressions (parsed for real, so that a
// badly quoted value would change the result), sort, pagination, facets,
// and vntext-based matching.
type fakeMeili struct {
	t        testing.TB
	srv      *httptest.Server
	router   routers.Router
	mu       sync.Mutex
	indexes  map[string]*fakeIndex
	tasks    []map[string]any
	requests []string // "METHOD path" of every request
	auth     []string // Authorization header of every request
	bodies   []string // bodies of search requests
	down     bool
}

type fakeIndex struct {
	docs     map[string]map[string]any
	settings map[string]any
	created  time.Time
}

func newFakeMeili(t testing.TB) *fakeMeili {
	f := &fakeMeili{t: t, indexes: map[string]*fakeIndex{}}
	doc := loadSpec(t)
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	doc.Servers = openapi3.Servers{{URL: f.srv.URL}}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	f.router = r
	return f
}

func (f *fakeMeili) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	check := r.Clone(context.Background())
	check.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := f.router.FindRoute(check)
	if err != nil {
		f.t.Errorf("meilisearch spec: %s %s is not an API route: %v", r.Method, r.URL.Path, err)
		http.Error(w, "unknown route", http.StatusNotFound)
		return
	}
	in := &openapi3filter.RequestValidationInput{
		Request: check, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		f.t.Errorf("meilisearch spec: request %s %s does not match: %v\nbody: %s", r.Method, r.URL.Path, err, body)
		f.reply(w, in, http.StatusBadRequest, apiError("bad_request", "invalid_request", "request does not match the OpenAPI description"))
		return
	}
	status, resp := f.handle(r.Method, route.Path, params, r, body)
	f.reply(w, in, status, resp)
}

func (f *fakeMeili) reply(w http.ResponseWriter, in *openapi3filter.RequestValidationInput, status int, v any) {
	b, _ := json.Marshal(v)
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: http.Header{"Content-Type": {"application/json"}},
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	out.SetBodyBytes(b)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		f.t.Errorf("fake meilisearch answered outside the spec: %s %s %d: %v\nbody: %s", in.Request.Method, in.Request.URL.Path, status, err, b)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func apiError(code, typ, msg string) map[string]any {
	return map[string]any{"message": msg, "code": code, "type": typ, "link": "https://docs.meilisearch.com/errors#" + code}
}

// task records a finished task (the fake applies changes synchronously).
func (f *fakeMeili) task(kind, index string, failure map[string]any) (int, any) {
	uid := len(f.tasks)
	now := time.Now().UTC().Format(time.RFC3339Nano)
	t := map[string]any{"uid": uid, "indexUid": index, "status": "succeeded", "type": kind, "enqueuedAt": now, "startedAt": now, "finishedAt": now, "details": map[string]any{}, "duration": "PT0S", "canceledBy": nil, "batchUid": uid}
	if failure != nil {
		t["status"], t["error"] = "failed", failure
	}
	f.tasks = append(f.tasks, t)
	return http.StatusAccepted, map[string]any{"taskUid": uid, "indexUid": index, "status": "enqueued", "type": kind, "enqueuedAt": now}
}

func (f *fakeMeili) handle(method, path string, params map[string]string, r *http.Request, body []byte) (int, any) {
	uid := params["index_uid"]
	idx := f.indexes[uid]
	notFound := func() (int, any) {
		return http.StatusNotFound, apiError("index_not_found", "invalid_request", fmt.Sprintf("Index `%s` not found.", uid))
	}
	switch method + " " + path {
	case "GET /health":
		return 200, map[string]any{"status": "available"}
	case "GET /tasks/{task_id}":
		id, _ := strconv.Atoi(params["task_id"])
		if id < 0 || id >= len(f.tasks) {
			return 404, apiError("task_not_found", "invalid_request", "task not found")
		}
		return 200, f.tasks[id]
	case "POST /indexes":
		var req struct {
			UID        string `json:"uid"`
			PrimaryKey string `json:"primaryKey"`
		}
		json.Unmarshal(body, &req)
		if f.indexes[req.UID] != nil {
			return f.task("indexCreation", req.UID, apiError("index_already_exists", "invalid_request", "exists"))
		}
		f.indexes[req.UID] = &fakeIndex{docs: map[string]map[string]any{}, created: time.Now()}
		return f.task("indexCreation", req.UID, nil)
	case "DELETE /indexes/{index_uid}":
		if idx == nil {
			return notFound()
		}
		delete(f.indexes, uid)
		return f.task("indexDeletion", uid, nil)
	case "PATCH /indexes/{index_uid}/settings":
		if idx == nil {
			return notFound()
		}
		json.Unmarshal(body, &idx.settings)
		return f.task("settingsUpdate", uid, nil)
	case "POST /indexes/{index_uid}/documents":
		if idx == nil {
			return notFound()
		}
		var docs []map[string]any
		if err := json.Unmarshal(body, &docs); err != nil {
			return 400, apiError("malformed_payload", "invalid_request", err.Error())
		}
		for _, d := range docs {
			idx.docs[d["id"].(string)] = d
		}
		return f.task("documentAdditionOrUpdate", uid, nil)
	case "POST /indexes/{index_uid}/documents/delete-batch":
		if idx == nil {
			return notFound()
		}
		var ids []string
		json.Unmarshal(body, &ids)
		for _, id := range ids {
			delete(idx.docs, id)
		}
		return f.task("documentDeletion", uid, nil)
	case "POST /indexes/{index_uid}/documents/fetch":
		if idx == nil {
			return notFound()
		}
		var req struct {
			IDs    []string `json:"ids"`
			Fields []string `json:"fields"`
		}
		json.Unmarshal(body, &req)
		out := []any{}
		for _, id := range req.IDs {
			if d, ok := idx.docs[id]; ok {
				sub := map[string]any{}
				for _, k := range req.Fields {
					sub[k] = d[k]
				}
				out = append(out, sub)
			}
		}
		return 200, map[string]any{"results": out, "offset": 0, "limit": len(req.IDs), "total": len(out)}
	case "GET /indexes/{index_uid}/stats":
		if idx == nil {
			return notFound()
		}
		return 200, map[string]any{"numberOfDocuments": len(idx.docs), "indexSize": 0, "usedIndexSize": 0, "rawDocumentDbSize": 0,
			"avgDocumentSize": 0, "isIndexing": false, "fieldDistribution": map[string]any{}}
	case "POST /swap-indexes":
		var req []struct {
			Indexes []string `json:"indexes"`
		}
		json.Unmarshal(body, &req)
		for _, p := range req {
			a, b := f.indexes[p.Indexes[0]], f.indexes[p.Indexes[1]]
			if a == nil || b == nil {
				return f.task("indexSwap", "", apiError("index_not_found", "invalid_request", "swap of a missing index"))
			}
			f.indexes[p.Indexes[0]], f.indexes[p.Indexes[1]] = b, a
		}
		return f.task("indexSwap", "", nil)
	case "POST /indexes/{index_uid}/search":
		if idx == nil {
			return notFound()
		}
		f.bodies = append(f.bodies, string(body))
		return f.search(idx, body)
	}
	f.t.Errorf("fake meilisearch: %s %s not implemented", method, path)
	return 501, apiError("internal", "internal", "not implemented")
}

func (f *fakeMeili) search(idx *fakeIndex, body []byte) (int, any) {
	var req struct {
		Q                    string   `json:"q"`
		Filter               string   `json:"filter"`
		Sort                 []string `json:"sort"`
		Facets               []string `json:"facets"`
		Page                 int      `json:"page"`
		HitsPerPage          *int     `json:"hitsPerPage"`
		Offset               int      `json:"offset"`
		Limit                int      `json:"limit"`
		AttributesToSearchOn []string `json:"attributesToSearchOn"`
		AttributesToRetrieve []string `json:"attributesToRetrieve"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return 400, apiError("bad_request", "invalid_request", err.Error())
	}
	var cond func(map[string]any) bool
	if req.Filter != "" {
		p := &filterParser{s: req.Filter}
		c, err := p.parse()
		if err != nil {
			return 400, apiError("invalid_search_filter", "invalid_request", err.Error())
		}
		cond = c
	}
	attrs := req.AttributesToSearchOn
	if len(attrs) == 0 {
		for _, a := range idx.settings["searchableAttributes"].([]any) {
			attrs = append(attrs, a.(string))
		}
	}
	pq := vntext.ParseQuery(req.Q)
	var hits []map[string]any
	ids := make([]string, 0, len(idx.docs))
	for id := range idx.docs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		d := idx.docs[id]
		if cond != nil && !cond(d) {
			continue
		}
		if len(pq.Folded) > 0 {
			var text []string
			for _, a := range attrs {
				switch v := d[a].(type) {
				case string:
					text = append(text, v)
				case []any:
					for _, s := range v {
						text = append(text, fmt.Sprint(s))
					}
				}
			}
			if !pq.MatchesAll(strings.Join(text, "\n"), pq.PrefixLast(req.Q)) {
				continue
			}
		}
		hits = append(hits, d)
	}
	for i := len(req.Sort) - 1; i >= 0; i-- {
		attr, dir, _ := strings.Cut(req.Sort[i], ":")
		slices.SortStableFunc(hits, func(a, b map[string]any) int {
			c := compare(a[attr], b[attr])
			if dir == "desc" {
				return -c
			}
			return c
		})
	}
	dist := map[string]any{}
	for _, fa := range req.Facets {
		m := map[string]int{}
		for _, h := range hits {
			m[fmt.Sprint(h[fa])]++
		}
		dist[fa] = m
	}
	resp := map[string]any{"query": req.Q, "processingTimeMs": 0, "facetDistribution": dist, "facetStats": map[string]any{}}
	from, n := req.Offset, req.Limit
	if n == 0 {
		n = 20
	}
	if req.HitsPerPage != nil || req.Page > 0 {
		n = 20
		if req.HitsPerPage != nil {
			n = *req.HitsPerPage
		}
		page := max(req.Page, 1)
		from = (page - 1) * n
		resp["page"], resp["hitsPerPage"], resp["totalHits"] = page, n, len(hits)
		resp["totalPages"] = 0
		if n > 0 {
			resp["totalPages"] = (len(hits) + n - 1) / n
		}
	} else {
		resp["offset"], resp["limit"], resp["estimatedTotalHits"] = from, n, len(hits)
	}
	from = min(from, len(hits))
	page := hits[from:min(from+n, len(hits))]
	if len(req.AttributesToRetrieve) > 0 {
		var cut []map[string]any
		for _, h := range page {
			sub := map[string]any{}
			for _, a := range req.AttributesToRetrieve {
				sub[a] = h[a]
			}
			cut = append(cut, sub)
		}
		page = cut
	}
	if page == nil {
		page = []map[string]any{}
	}
	resp["hits"] = page
	return 200, resp
}

func compare(a, b any) int {
	switch x := a.(type) {
	case float64:
		y, _ := b.(float64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

// filterParser parses the subset of Meilisearch's filter grammar the
// adapter may use: comparisons (= != > >= < <=) of an attribute with a
// quoted string (backslash escapes), number or boolean, AND, OR, NOT and
// parentheses.
type filterParser struct {
	s   string
	pos int
}

func (p *filterParser) parse() (func(map[string]any) bool, error) {
	c, err := p.or()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos != len(p.s) {
		return nil, fmt.Errorf("unexpected %q at %d", p.s[p.pos:], p.pos)
	}
	return c, nil
}

func (p *filterParser) space() {
	for p.pos < len(p.s) && p.s[p.pos] == ' ' {
		p.pos++
	}
}

func (p *filterParser) keyword(k string) bool {
	p.space()
	if strings.HasPrefix(p.s[p.pos:], k+" ") || strings.HasPrefix(p.s[p.pos:], k+"(") {
		p.pos += len(k)
		return true
	}
	return false
}

func (p *filterParser) or() (func(map[string]any) bool, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.keyword("OR") {
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		a, b := l, r
		l = func(d map[string]any) bool { return a(d) || b(d) }
	}
	return l, nil
}

func (p *filterParser) and() (func(map[string]any) bool, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.keyword("AND") {
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		a, b := l, r
		l = func(d map[string]any) bool { return a(d) && b(d) }
	}
	return l, nil
}

func (p *filterParser) not() (func(map[string]any) bool, error) {
	if p.keyword("NOT") {
		c, err := p.not()
		if err != nil {
			return nil, err
		}
		return func(d map[string]any) bool { return !c(d) }, nil
	}
	p.space()
	if p.pos < len(p.s) && p.s[p.pos] == '(' {
		p.pos++
		c, err := p.or()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.pos >= len(p.s) || p.s[p.pos] != ')' {
			return nil, fmt.Errorf("missing )")
		}
		p.pos++
		return c, nil
	}
	return p.comparison()
}

func (p *filterParser) comparison() (func(map[string]any) bool, error) {
	p.space()
	start := p.pos
	for p.pos < len(p.s) && (unicode.IsLetter(rune(p.s[p.pos])) || unicode.IsDigit(rune(p.s[p.pos])) || p.s[p.pos] == '_') {
		p.pos++
	}
	attr := p.s[start:p.pos]
	if attr == "" {
		return nil, fmt.Errorf("attribute expected at %d", p.pos)
	}
	p.space()
	var op string
	for _, o := range []string{">=", "<=", "!=", "=", ">", "<"} {
		if strings.HasPrefix(p.s[p.pos:], o) {
			op = o
			p.pos += len(o)
			break
		}
	}
	if op == "" {
		return nil, fmt.Errorf("operator expected at %d", p.pos)
	}
	p.space()
	var val any
	if p.pos < len(p.s) && p.s[p.pos] == '"' {
		p.pos++
		var b strings.Builder
		for {
			if p.pos >= len(p.s) {
				return nil, fmt.Errorf("unterminated string")
			}
			c := p.s[p.pos]
			p.pos++
			if c == '\\' && p.pos < len(p.s) {
				b.WriteByte(p.s[p.pos])
				p.pos++
				continue
			}
			if c == '"' {
				break
			}
			b.WriteByte(c)
		}
		val = b.String()
	} else {
		start := p.pos
		for p.pos < len(p.s) && p.s[p.pos] != ' ' && p.s[p.pos] != ')' {
			p.pos++
		}
		word := p.s[start:p.pos]
		if n, err := strconv.ParseFloat(word, 64); err == nil {
			val = n
		} else if word == "true" || word == "false" {
			val = word == "true"
		} else {
			val = word
		}
	}
	return func(d map[string]any) bool {
		have := d[attr]
		if s, ok := val.(string); ok {
			eq := fmt.Sprint(have) == s
			return (op == "=" && eq) || (op == "!=" && !eq)
		}
		c := compare(have, val)
		if b, ok := val.(bool); ok {
			hb, _ := have.(bool)
			c = 1
			if hb == b {
				c = 0
			}
		}
		switch op {
		case "=":
			return c == 0
		case "!=":
			return c != 0
		case ">":
			return c > 0
		case ">=":
			return c >= 0
		case "<":
			return c < 0
		}
		return c <= 0
	}, nil
}
