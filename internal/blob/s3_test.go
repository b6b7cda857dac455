package blob_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/ocopconnect/ocopconnect/internal/blob"
	"github.com/ocopconnect/ocopconnect/internal/blob/blobtest"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/s3test"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// TestS3Contract runs the media contract on a real S3 server (versitygw
// started by s3test, or OCOP_TEST_S3_ENDPOINT). Each store gets a bucket that
// does not exist yet, so every subtest also covers "bucket created if missing".
func TestS3Contract(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) ocop.Blobs { return s3test.NewStore(t) })
}

func TestS3CreatesBucket(t *testing.T) {
	s := s3test.NewStore(t)
	ctx := context.Background()
	if ok, err := s.Client().BucketExists(ctx, s.Bucket()); err != nil || ok {
		t.Fatalf("bucket before first use: exists=%v err=%v", ok, err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Client().BucketExists(ctx, s.Bucket()); err != nil || !ok {
		t.Fatalf("bucket after Ping: exists=%v err=%v", ok, err)
	}
	// A second store on the same, now existing bucket works too.
	srv := s3test.Start(t)
	s2, err := blob.NewS3(srv.Config(s.Bucket()))
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Put(ctx, "x/y.txt", strings.NewReader("y"), 1, "text/plain"); err != nil {
		t.Fatal(err)
	}
}

func TestS3WrongSecretIsUnavailable(t *testing.T) {
	srv := s3test.Start(t)
	cfg := srv.Config(s3test.NewBucketName())
	cfg.SecretKey = "not-the-secret"
	s, err := blob.NewS3(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Ping(ctx); ocop.ErrorCode(err) != ocop.CodeMediaUnavailable {
		t.Fatalf("ping with a bad signature: %v", err)
	}
	if err := s.Put(ctx, "a/b.txt", strings.NewReader("b"), 1, "text/plain"); ocop.ErrorCode(err) != ocop.CodeMediaUnavailable {
		t.Fatalf("put with a bad signature: %v", err)
	}
}

// A server that is down makes every operation media_unavailable (503 at
// the API), never an internal error.
func TestS3DownIsUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here any more
	s, err := blob.NewS3(blob.S3Config{Endpoint: addr, AccessKey: "k", SecretKey: "secret-key", Bucket: "media"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Ping(ctx); ocop.ErrorCode(err) != ocop.CodeMediaUnavailable {
		t.Fatalf("ping: %v", err)
	}
	if err := s.Put(ctx, "a/b.txt", strings.NewReader("b"), 1, "text/plain"); ocop.ErrorCode(err) != ocop.CodeMediaUnavailable {
		t.Fatalf("put: %v", err)
	}
	if _, _, err := s.Open(ctx, "a/b.txt"); ocop.ErrorCode(err) != ocop.CodeMediaUnavailable {
		t.Fatalf("open: %v", err)
	}
	if err := s.Delete(ctx, "a/b.txt"); ocop.ErrorCode(err) != ocop.CodeMediaUnavailable {
		t.Fatalf("delete: %v", err)
	}
}
