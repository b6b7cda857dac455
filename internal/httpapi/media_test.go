package httpapi_test

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/ocopconnect/ocopconnect/internal/blob"
	"github.com/ocopconnect/ocopconnect/internal/config"
	"github.com/ocopconnect/ocopconnect/internal/media"
	"github.com/ocopconnect/ocopconnect/internal/media/mediatest"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	. "github.com/ocopconnect/ocopconnect/internal/testsupport"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/s3test"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

func sqliteDB(t *testing.T) DB {
	t.Helper()
	return testdb.DatabaseBackends(t)[0].New(t)
}

// withS3 serves media from a fresh bucket on the test S3 server.
func withS3(t *testing.T) ServerOption {
	srv := s3test.Start(t)
	bucket := s3test.NewBucketName()
	t.Cleanup(func() {
		if s, err := blob.NewS3(srv.Config(bucket)); err == nil {
			s3test.RemoveBucket(s.Client(), bucket)
		}
	})
	return func(cfg *config.Config) {
		cfg.S3Endpoint, cfg.S3AccessKey, cfg.S3SecretKey, cfg.S3Bucket, cfg.S3UseTLS = srv.Endpoint, srv.AccessKey, srv.SecretKey, bucket, srv.UseTLS
	}
}

// withS3Down points the media store at a port nothing listens on.
func withS3Down(t *testing.T) ServerOption {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return func(cfg *config.Config) {
		cfg.S3Endpoint, cfg.S3AccessKey, cfg.S3SecretKey, cfg.S3UseTLS = addr, "k", "secret-key", false
	}
}

func upload(t *testing.T, s *Server) (media.Image, []byte) {
	t.Helper()
	in := mediatest.WithEXIF(t, mediatest.JPEG(t, mediatest.Photo(1000, 800, 7)), 1)
	im, err := s.Media.Process(context.Background(), bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	return im, in
}

func stored(t *testing.T, s *Server, key string) []byte {
	t.Helper()
	rc, _, err := s.Blobs.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return b
}

func TestMediaFromDisk(t *testing.T) {
	s := NewServer(t, sqliteDB(t))
	im, _ := upload(t, s)
	for _, v := range []media.Variant{im.Display, im.Thumb} {
		r := s.Get(t, v.Path(), "").Expect(t, http.StatusOK)
		if r.Header.Get("Content-Type") != "image/jpeg" || r.Header.Get("X-Content-Type-Options") != "nosniff" ||
			r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Fatalf("%s headers: %v", v.Name, r.Header)
		}
		if !bytes.Equal(r.Body, stored(t, s, v.Key)) || mediatest.HasMetadata(r.Body) {
			t.Fatalf("%s: served bytes differ from the stored variant or carry metadata", v.Name)
		}
		if cfg, err := jpeg.DecodeConfig(bytes.NewReader(r.Body)); err != nil || cfg.Width != v.Width {
			t.Fatalf("%s: %+v %v", v.Name, cfg, err)
		}
		// A revalidation costs nothing.
		r = s.Do(t, Req{Method: http.MethodGet, Path: v.Path(), Header: map[string]string{"If-None-Match": r.Header.Get("ETag")}})
		r.Expect(t, http.StatusNotModified)
	}
}

func TestMediaMissingOrForeignIsNotFound(t *testing.T) {
	s := NewServer(t, sqliteDB(t))
	for _, path := range []string{
		"/media/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b-display.jpg", // well-formed, never stored
		"/media/jwt.key", "/media/..%2Fjwt.key", "/media/x.html",
	} {
		p := s.Get(t, path, "").Expect(t, http.StatusNotFound).Problem(t)
		if p.Code != string(ocop.CodeNotFound) {
			t.Fatalf("%s: %+v", path, p)
		}
	}
	// An object outside the images namespace is never served, even if it
	// exists and its last segment looked like an image name.
	name := "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b-display.jpg"
	if err := s.Blobs.Put(context.Background(), "certificates/"+name, bytes.NewReader([]byte("scan")), 4, "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	s.Get(t, "/media/"+name, "").Expect(t, http.StatusNotFound)
}

func TestMediaFromS3RedirectsToPresignedURL(t *testing.T) {
	s := NewServer(t, sqliteDB(t), withS3(t))
	if _, ok := s.Blobs.(*blob.S3); !ok {
		t.Fatalf("OCOP_S3_ENDPOINT set but the media store is %T", s.Blobs)
	}
	im, _ := upload(t, s)
	r := s.Get(t, im.Thumb.Path(), "").Expect(t, http.StatusFound)
	loc := r.Header.Get("Location")
	if loc == "" || r.Header.Get("Cache-Control") != "public, max-age=450" {
		t.Fatalf("redirect headers: %v", r.Header)
	}
	resp, err := http.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, stored(t, s, im.Thumb.Key)) || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("presigned URL: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
	}
	s.Get(t, "/media/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b-thumb.jpg", "").Expect(t, http.StatusNotFound).Problem(t)
	s.Get(t, "/readyz", "").Expect(t, http.StatusOK)
}

func TestMediaStoreDown(t *testing.T) {
	s := NewServer(t, sqliteDB(t), withS3Down(t))
	p := s.Get(t, "/readyz", "").Expect(t, http.StatusServiceUnavailable).Problem(t)
	if p.Code != string(ocop.CodeUnavailable) {
		t.Fatalf("readiness: %+v", p)
	}
	r := s.Get(t, "/media/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b-thumb.jpg", "").Expect(t, http.StatusServiceUnavailable)
	if p := r.Problem(t); p.Code != string(ocop.CodeMediaUnavailable) || r.Header.Get("Retry-After") == "" {
		t.Fatalf("media with the store down: %+v %v", p, r.Header)
	}
	_, err := s.Media.Process(context.Background(), bytes.NewReader(mediatest.JPEG(t, mediatest.Halves(64, 64))))
	if ocop.ErrorCode(err) != ocop.CodeMediaUnavailable {
		t.Fatalf("upload with the store down: %v", err)
	}
	// The rest of the API keeps working.
	s.Get(t, "/healthz", "").Expect(t, http.StatusOK)
}

func TestMediaDeleteTopic(t *testing.T) {
	ForEachDatabase(t, testMediaDeleteTopic)
}

func testMediaDeleteTopic(t *testing.T, db DB) {
	s := NewServer(t, db)
	ctx := context.Background()
	im, _ := upload(t, s)
	kept, _ := upload(t, s)

	// A rolled-back transaction deletes nothing.
	rollback := errors.New("rollback")
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		if err := media.EnqueueDelete(ctx, s.Store.Outbox(), kept.ID, kept.Keys()...); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	// A committed one deletes every variant, and a key that is already gone
	// does not hold the message up.
	err = s.Store.InTx(ctx, func(ctx context.Context) error {
		return media.EnqueueDelete(ctx, s.Store.Outbox(), im.ID, append(im.Keys(), "images/00/already-gone.jpg")...)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Blobs.Stat(ctx, im.Display.Key); err != nil {
		t.Fatal("deleted before the job ran")
	}
	s.DrainOutbox()
	for _, k := range im.Keys() {
		if _, err := s.Blobs.Stat(ctx, k); ocop.ErrorCode(err) != ocop.CodeNotFound {
			t.Fatalf("%s after media.delete: %v", k, err)
		}
	}
	s.Get(t, im.Display.Path(), "").Expect(t, http.StatusNotFound)
	for _, k := range kept.Keys() {
		if _, err := s.Blobs.Stat(ctx, k); err != nil {
			t.Fatalf("%s deleted by a rolled-back transaction: %v", k, err)
		}
	}
	stats, err := s.Store.Outbox().Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stats {
		if st.Topic == media.TopicDelete && (st.Pending != 0 || st.Dead != 0) {
			t.Fatalf("media.delete left messages: %+v", st)
		}
	}
}

// With the store down the message stays queued for a retry.
func TestMediaDeleteRetriesWhileStoreDown(t *testing.T) {
	s := NewServer(t, sqliteDB(t), withS3Down(t))
	ctx := context.Background()
	if err := media.EnqueueDelete(ctx, s.Store.Outbox(), "img", "images/00/x-display.jpg"); err != nil {
		t.Fatal(err)
	}
	s.DrainOutbox()
	stats, err := s.Store.Outbox().Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pending int64
	for _, st := range stats {
		if st.Topic == media.TopicDelete {
			pending = st.Pending
		}
	}
	if pending != 1 {
		t.Fatalf("media.delete with the store down: %+v, want 1 pending for retry", stats)
	}
}
