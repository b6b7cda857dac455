package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// IdempotencyKeyRepo stores request outcomes by (user, key).
type IdempotencyKeyRepo interface {
	Reserve(ctx context.Context, rec *ocop.IdempotencyRecord) (*ocop.IdempotencyRecord, error)
	Complete(ctx context.Context, rec *ocop.IdempotencyRecord) error
}

// OuterTransactor opens a transaction that the use case's own joins.
type OuterTransactor interface {
	InOuterTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Idempotency implements Stripe's Idempotency-Key semantics for POSTs that
// create things: the same key and body replay the first response (marked
// Idempotent-Replayed: true) and create nothing; the same key with another
// body is a 422; a concurrent duplicate waits for the first and replays it.
//
// The key, the use case's writes and the stored response commit in ONE
// transaction, so a crash between "created" and "recorded" cannot happen.
// Only successful (2xx) responses are stored: after a failure nothing was
// created, and a retry with the same key simply runs again.
type Idempotency struct {
	Tx   OuterTransactor
	Keys IdempotencyKeyRepo
	// TTL is how long keys are kept (at least 24 hours).
	TTL time.Duration
	Now ocop.Clock
}

const idempotencyHeader = "Idempotency-Key"

// replayHeaders are the response headers worth replaying.
var replayHeaders = []string{"Content-Type", "Location", "ETag"}

// errNotStored rolls back the outer transaction of a failed request.
var errNotStored = errors.New("idempotency: response not stored")

// idempotent is the route middleware (after requireAuth).
func (a *API) idempotent(c *gin.Context) {
	idem := a.Idempotency
	key := c.GetHeader(idempotencyHeader)
	if key == "" {
		fail(c, &ocop.Error{Code: ocop.CodeValidation, Message: "send an Idempotency-Key header (a random UUID per logical request) so a retry cannot create a duplicate",
			Fields: []ocop.FieldError{{Field: idempotencyHeader, Message: "is required"}}})
		return
	}
	if len(key) > 255 {
		fail(c, ocop.FieldInvalid(idempotencyHeader, "must be at most 255 characters"))
		return
	}
	p, _ := ocop.PrincipalFrom(c.Request.Context())
	body, err := readAllLimited(c.Request)
	if err != nil {
		fail(c, err)
		return
	}
	now := idem.Now()
	rec := &ocop.IdempotencyRecord{UserID: p.UserID, Key: key, Fingerprint: fingerprint(c.Request.Method, c.Request.URL.Path, body),
		CreatedAt: now, ExpiresAt: now.Add(idem.TTL)}

	buf := &bufferedWriter{ResponseWriter: c.Writer, header: http.Header{}, status: http.StatusOK}
	var replay *ocop.IdempotencyRecord
	err = idem.Tx.InOuterTx(c.Request.Context(), func(ctx context.Context) error {
		prior, err := idem.Keys.Reserve(ctx, rec)
		if err != nil {
			return err
		}
		if prior != nil {
			if prior.Fingerprint != rec.Fingerprint {
				return ocop.Errorf(ocop.CodeIdempotencyReuse, "this Idempotency-Key was already used for a different request; use a new key for a new request")
			}
			replay = prior
			return nil
		}
		orig := c.Writer
		defer func() { c.Writer = orig }() // a panic must reach the real writer
		c.Writer = buf
		c.Request = c.Request.WithContext(ctx)
		c.Next()
		if buf.status < 200 || buf.status > 299 {
			return errNotStored
		}
		rec.Status = buf.status
		rec.Body = buf.body.Bytes()
		rec.Headers = map[string]string{}
		for _, h := range replayHeaders {
			if v := buf.header.Get(h); v != "" {
				rec.Headers[h] = v
			}
		}
		return idem.Keys.Complete(ctx, rec)
	})
	switch {
	case errors.Is(err, errNotStored):
		buf.flushTo(c.Writer) // the failure response, not stored
	case err != nil:
		if c.Writer.Written() {
			return
		}
		if buf.status >= 200 && buf.status < 300 && !errors.As(err, new(*ocop.Error)) {
			// The handler succeeded but the commit failed: nothing was
			// created, so the client may retry with the same key.
			err = &ocop.Error{Code: ocop.CodeUnavailable, Message: "the request could not be saved; retry with the same Idempotency-Key", Err: err, RetryAfter: time.Second}
		}
		c.Writer.Header().Del("Location")
		c.Writer.Header().Del("ETag")
		fail(c, err)
	case replay != nil:
		h := c.Writer.Header()
		for k, v := range replay.Headers {
			h.Set(k, v)
		}
		h.Set("Idempotent-Replayed", "true")
		c.Writer.WriteHeader(replay.Status)
		_, _ = c.Writer.Write(replay.Body)
		c.Abort()
	default:
		buf.flushTo(c.Writer)
	}
}

// fingerprint identifies a request: method, path and body, with JSON bodies
// canonicalised so that key order and spacing do not matter.
func fingerprint(method, path string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(method + " " + path + "\n"))
	var v any
	if json.Unmarshal(body, &v) == nil {
		canon, _ := json.Marshal(v) // map keys come out sorted
		h.Write(canon)
	} else {
		h.Write(body)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// bufferedWriter holds a handler's response until its transaction commits.
type bufferedWriter struct {
	gin.ResponseWriter
	header  http.Header
	status  int
	body    bytes.Buffer
	written bool
}

func (w *bufferedWriter) Header() http.Header { return w.header }
func (w *bufferedWriter) WriteHeader(code int) {
	if !w.written {
		w.status = code
	}
}
func (w *bufferedWriter) WriteHeaderNow() { w.written = true }
func (w *bufferedWriter) Write(b []byte) (int, error) {
	w.written = true
	return w.body.Write(b)
}
func (w *bufferedWriter) WriteString(s string) (int, error) {
	w.written = true
	return w.body.WriteString(s)
}
func (w *bufferedWriter) Status() int   { return w.status }
func (w *bufferedWriter) Size() int     { return w.body.Len() }
func (w *bufferedWriter) Written() bool { return w.written }
func (w *bufferedWriter) Flush()        {}
func (w *bufferedWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, errors.New("idempotent responses cannot be hijacked")
}

func (w *bufferedWriter) flushTo(dst gin.ResponseWriter) {
	h := dst.Header()
	for k, v := range w.header {
		h[k] = v
	}
	dst.WriteHeader(w.status)
	_, _ = dst.Write(w.body.Bytes())
}
