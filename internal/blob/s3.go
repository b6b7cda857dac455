package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// S3Config locates a bucket on an S3 server (MinIO, versitygw, AWS, ...).
type S3Config struct {
	Endpoint  string // host:port, no scheme
	AccessKey string
	SecretKey string
	Bucket    string
	Region    string
	UseTLS    bool
}

// S3 stores objects in one bucket of an S3 server through minio-go. The
// bucket is created on first use if missing, so a fresh MinIO works without
// a setup step, and a server that is down at start-up only makes readiness
// (and uploads) fail until it is back.
type S3 struct {
	client *minio.Client
	bucket string
	region string

	mu    sync.Mutex
	ready bool // the bucket is known to exist
}

var _ ocop.Blobs = (*S3)(nil)

// s3PartSize is the part size of uploads of unknown length: minio-go buffers
// one part in memory, and its own default (sized for 5 TiB objects) would
// allocate hundreds of megabytes per upload. 5 MiB is S3's minimum.
const s3PartSize = 5 << 20

// NewS3 builds the client. It does not contact the server.
func NewS3(cfg S3Config) (*S3, error) {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.UseTLS,
		Region: cfg.Region,
		// Path-style URLs work with every S3 server and need no wildcard DNS.
		BucketLookup: minio.BucketLookupPath,
		// Retrying ten times (minio-go's default) would hold an upload for a
		// long time when the server is down; the client should get its 503.
		MaxRetries: 3,
	})
	if err != nil {
		return nil, fmt.Errorf("S3 client for %s: %w", cfg.Endpoint, err)
	}
	return &S3{client: c, bucket: cfg.Bucket, region: cfg.Region}, nil
}

// Bucket returns the bucket name.
func (s *S3) Bucket() string { return s.bucket }

// ensureBucket creates the bucket unless it is known to exist.
func (s *S3) ensureBucket(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ready {
		return nil
	}
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return s.translate(err)
	}
	if !ok {
		err := s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: s.region})
		if code := minio.ToErrorResponse(err).Code; err != nil && code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
			return s.translate(err)
		}
	}
	s.ready = true
	return nil
}

// translate maps minio-go errors to ocop errors: a missing object is
// not_found; anything else the server or the network says is
// media_unavailable (503), with the cause kept for the logs.
func (s *S3) translate(err error) error {
	if err == nil {
		return nil
	}
	var oe *ocop.Error
	if errors.As(err, &oe) {
		return err
	}
	switch minio.ToErrorResponse(err).Code {
	case "NoSuchKey", "NotFound":
		return ocop.NotFound("object")
	case "NoSuchBucket":
		s.mu.Lock()
		s.ready = false // recreated on next use
		s.mu.Unlock()
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	return unavailable(err)
}

// Put implements ocop.Blobs.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := s.ensureBucket(ctx); err != nil {
		return err
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	src := &trackedReader{r: r}
	info, err := s.client.PutObject(ctx, s.bucket, key, src, size, minio.PutObjectOptions{
		ContentType: contentType, PartSize: s3PartSize,
	})
	if src.err != nil {
		// The caller's stream failed (not the store): minio-go has aborted
		// the upload, and the reader's error is the one that matters.
		return src.err
	}
	if err == nil && size >= 0 && info.Size != size {
		err = fmt.Errorf("short object: stored %d of %d bytes", info.Size, size)
	}
	return s.translate(err)
}

// Open implements ocop.Blobs.
func (s *S3) Open(ctx context.Context, key string) (io.ReadCloser, ocop.BlobInfo, error) {
	if err := checkKey(key); err != nil {
		return nil, ocop.BlobInfo{}, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, ocop.BlobInfo{}, s.translate(err)
	}
	// Stat sends the GET and keeps its body for the reads that follow, so a
	// missing key is reported here rather than on the first Read.
	st, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, ocop.BlobInfo{}, s.translate(err)
	}
	return obj, s.info(key, st), nil
}

func (s *S3) info(key string, st minio.ObjectInfo) ocop.BlobInfo {
	return ocop.BlobInfo{Key: key, Size: st.Size, ContentType: st.ContentType, ModTime: st.LastModified.UTC()}
}

// Stat implements ocop.Blobs.
func (s *S3) Stat(ctx context.Context, key string) (ocop.BlobInfo, error) {
	if err := checkKey(key); err != nil {
		return ocop.BlobInfo{}, err
	}
	st, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return ocop.BlobInfo{}, s.translate(err)
	}
	return s.info(key, st), nil
}

// Delete implements ocop.Blobs. S3 answers a delete of a missing key with
// success; a missing bucket holds nothing to delete either.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
	if code := minio.ToErrorResponse(err).Code; code == "NoSuchKey" || code == "NoSuchBucket" {
		return nil
	}
	return s.translate(err)
}

// SignedURL implements ocop.Blobs with a presigned GET (SigV4 query
// signature). The server refuses it once expiry has passed.
func (s *S3) SignedURL(ctx context.Context, key string, expiry time.Duration) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	if expiry < time.Second || expiry > 7*24*time.Hour {
		return "", fmt.Errorf("presigned URL expiry %s outside 1s..7d", expiry)
	}
	u, err := s.client.PresignedGetObject(ctx, s.bucket, key, expiry, nil)
	if err != nil {
		return "", s.translate(err)
	}
	return u.String(), nil
}

// Ping implements ocop.Blobs: the bucket must exist (or be creatable) and
// the credentials must be accepted.
func (s *S3) Ping(ctx context.Context) error {
	if err := s.ensureBucket(ctx); err != nil {
		return err
	}
	_, err := s.client.BucketExists(ctx, s.bucket)
	return s.translate(err)
}

// Client exposes the minio-go client (tests clean up their buckets with it).
func (s *S3) Client() *minio.Client { return s.client }

// unavailable is the error of a store that cannot serve: uploads answer 503
// with Retry-After, never a 500.
func unavailable(err error) error {
	return &ocop.Error{
		Code: ocop.CodeMediaUnavailable, Message: "media storage is unavailable; try again later",
		RetryAfter: 10 * time.Second, Err: err,
	}
}

// trackedReader remembers the error of the caller's stream, so Put can tell
// a failed source from a failed store. It hands the store a wrapped error:
// minio-go compares read errors with == and takes a bare
// io.ErrUnexpectedEOF for the end of the stream, which would complete the
// upload of a truncated object.
type trackedReader struct {
	r   io.Reader
	err error
}

func (t *trackedReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF {
		t.err = err
		err = fmt.Errorf("reading the upload: %w", err)
	}
	return n, err
}
