package telemetry

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// TraceBlobs decorates a media backend so that each call is a client span
// ("blob.put", "blob.open", ...) under the request or job that made it. The
// composition root applies it to whichever backend is configured, so a new
// backend is traced without code of its own (its Go type names it in the
// ocop.blob.backend attribute). Ping (readiness probes, outside any trace)
// is passed through.
func TraceBlobs(b ocop.Blobs) ocop.Blobs {
	backend := strings.TrimPrefix(fmt.Sprintf("%T", b), "*")
	return tracedBlobs{b: b, backend: attribute.String("ocop.blob.backend", backend)}
}

type tracedBlobs struct {
	b       ocop.Blobs
	backend attribute.KeyValue
}

func (t tracedBlobs) start(ctx context.Context, op, key string, more ...attribute.KeyValue) (context.Context, func(error)) {
	ctx, span := Start(ctx, "blob."+op, append([]attribute.KeyValue{t.backend, attribute.String("ocop.blob.key", key)}, more...)...)
	return ctx, func(err error) { End(span, err) }
}

func (t tracedBlobs) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (err error) {
	ctx, end := t.start(ctx, "put", key, attribute.Int64("ocop.blob.size", size), attribute.String("ocop.blob.content_type", contentType))
	defer func() { end(err) }()
	return t.b.Put(ctx, key, r, size, contentType)
}

// Open's span covers opening the object, not the caller streaming it.
func (t tracedBlobs) Open(ctx context.Context, key string) (_ io.ReadCloser, _ ocop.BlobInfo, err error) {
	ctx, end := t.start(ctx, "open", key)
	defer func() { end(err) }()
	return t.b.Open(ctx, key)
}

func (t tracedBlobs) Stat(ctx context.Context, key string) (_ ocop.BlobInfo, err error) {
	ctx, end := t.start(ctx, "stat", key)
	defer func() { end(err) }()
	return t.b.Stat(ctx, key)
}

func (t tracedBlobs) Delete(ctx context.Context, key string) (err error) {
	ctx, end := t.start(ctx, "delete", key)
	defer func() { end(err) }()
	return t.b.Delete(ctx, key)
}

func (t tracedBlobs) SignedURL(ctx context.Context, key string, expiry time.Duration) (_ string, err error) {
	ctx, end := t.start(ctx, "signed_url", key)
	defer func() { end(err) }()
	return t.b.SignedURL(ctx, key, expiry)
}

func (t tracedBlobs) Ping(ctx context.Context) error { return t.b.Ping(ctx) }
