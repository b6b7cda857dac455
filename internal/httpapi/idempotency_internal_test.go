package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/store"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

// idemHarness serves POST /things behind the idempotency middleware; the
// handler writes one audit row per created "thing" (a real table, so the
// test counts real rows) and can be told to fail after writing.
type idemHarness struct {
	st      *store.Store
	handler http.Handler
}

func newIdemHarness(t *testing.T, db testdb.DB) *idemHarness {
	st := testdb.OpenStore(t, db)
	a := &API{Deps: Deps{Idempotency: &Idempotency{Tx: st, Keys: st.IdempotencyKeys(), TTL: 48 * time.Hour,
		Now: func() time.Time { return time.Now().UTC() }}}}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(withRequestID)
	fakeAuth := func(c *gin.Context) {
		c.Request = c.Request.WithContext(ocop.WithPrincipal(c.Request.Context(), ocop.Principal{UserID: c.GetHeader("X-User")}))
	}
	r.POST("/things", fakeAuth, a.idempotent, func(c *gin.Context) {
		var req struct {
			Name string `json:"name"`
			Fail bool   `json:"fail"`
		}
		if !bindJSON(c, &req) {
			return
		}
		id := fmt.Sprintf("%d", time.Now().UnixNano())
		err := st.InTx(c.Request.Context(), func(ctx context.Context) error {
			if err := st.AuditLog().Record(ctx, ocop.AuditEntry{Action: "thing.created", ObjectType: "thing", ObjectID: req.Name}); err != nil {
				return err
			}
			if req.Fail {
				return ocop.Errorf(ocop.CodeConflict, "told to fail after writing")
			}
			return nil
		})
		if err != nil {
			fail(c, err)
			return
		}
		time.Sleep(20 * time.Millisecond) // widen the race window for concurrent duplicates
		c.Header("Location", "/things/"+id)
		c.JSON(http.StatusCreated, gin.H{"id": id, "name": req.Name})
	})
	return &idemHarness{st: st, handler: r}
}

func (h *idemHarness) post(user, key, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/things", bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-User", user)
	if key != "" {
		req.Header.Set(idempotencyHeader, key)
	}
	w := httptest.NewRecorder()
	h.handler.ServeHTTP(w, req)
	return w
}

func (h *idemHarness) things(t *testing.T, name string) int {
	rows, err := h.st.AuditLog().ForObject(context.Background(), "thing", name)
	if err != nil {
		t.Fatal(err)
	}
	return len(rows)
}

func TestIdempotency(t *testing.T) {
	testdb.ForEachDatabase(t, func(t *testing.T, db testdb.DB) {
		h := newIdemHarness(t, db)

		first := h.post("u1", "k1", `{"name":"tea"}`)
		if first.Code != http.StatusCreated || first.Header().Get("Idempotent-Replayed") != "" {
			t.Fatalf("first: %d %s", first.Code, first.Body)
		}
		// Same key, same body (keys reordered, spacing changed): replayed.
		again := h.post("u1", "k1", `{ "name" : "tea" }`)
		if again.Code != http.StatusCreated || again.Body.String() != first.Body.String() ||
			again.Header().Get("Idempotent-Replayed") != "true" || again.Header().Get("Location") != first.Header().Get("Location") {
			t.Fatalf("replay: %d %s %v", again.Code, again.Body, again.Header())
		}
		if n := h.things(t, "tea"); n != 1 {
			t.Fatalf("%d things created, want 1", n)
		}
		// Same key, another body: 422.
		if w := h.post("u1", "k1", `{"name":"coffee"}`); w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("changed body: %d %s", w.Code, w.Body)
		}
		// Keys are per user: another user's k1 is a new request.
		if w := h.post("u2", "k1", `{"name":"tea"}`); w.Code != http.StatusCreated || w.Header().Get("Idempotent-Replayed") != "" {
			t.Fatalf("other user: %d", w.Code)
		}
		// Missing key: 400 naming the header.
		if w := h.post("u1", "", `{"name":"tea"}`); w.Code != http.StatusBadRequest || !bytes.Contains(w.Body.Bytes(), []byte("Idempotency-Key")) {
			t.Fatalf("missing key: %d %s", w.Code, w.Body)
		}
		// A failed request stores nothing, writes nothing, and the key can be retried.
		if w := h.post("u1", "k2", `{"name":"honey","fail":true}`); w.Code != http.StatusConflict {
			t.Fatalf("failing: %d %s", w.Code, w.Body)
		}
		if n := h.things(t, "honey"); n != 0 {
			t.Fatalf("failed request left %d rows", n)
		}
		if w := h.post("u1", "k2", `{"name":"honey","fail":true}`); w.Code != http.StatusConflict || w.Header().Get("Idempotent-Replayed") != "" {
			t.Fatalf("retry of failed request: %d", w.Code)
		}
	})
}

func TestIdempotencyConcurrentDuplicates(t *testing.T) {
	testdb.ForEachDatabase(t, func(t *testing.T, db testdb.DB) {
		h := newIdemHarness(t, db)
		const n = 20
		var wg sync.WaitGroup
		codes := make([]int, n)
		replayed := make([]bool, n)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				w := h.post("u1", "same-key", `{"name":"fish-sauce"}`)
				codes[i] = w.Code
				replayed[i] = w.Header().Get("Idempotent-Replayed") == "true"
			}()
		}
		close(start)
		wg.Wait()
		created := 0
		for i, c := range codes {
			switch {
			case c == http.StatusCreated && !replayed[i]:
				created++
			case c == http.StatusCreated && replayed[i], c == http.StatusConflict:
			default:
				t.Fatalf("request %d: status %d", i, c)
			}
		}
		if created != 1 {
			t.Fatalf("%d requests created, want exactly 1 (codes %v)", created, codes)
		}
		if rows := h.things(t, "fish-sauce"); rows != 1 {
			t.Fatalf("%d rows, want 1", rows)
		}
	})
}
