package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// Disk stores objects as files under a root directory. Writes go to a
// temporary file that is renamed into place, so a reader never sees half an
// object and a failed upload leaves nothing behind. The content type is kept
// in a small sidecar file.
type Disk struct {
	root string
}

var _ ocop.Blobs = (*Disk)(nil)

// NewDisk returns a disk store rooted at dir (created if missing).
func NewDisk(dir string) (*Disk, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("media directory: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return &Disk{root: abs}, nil
}

func (d *Disk) path(key string) string { return filepath.Join(d.root, filepath.FromSlash(key)) }

const typeSuffix = ".content-type"

// Put implements ocop.Blobs.
func (d *Disk) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if strings.HasSuffix(key, typeSuffix) {
		return ocop.FieldInvalid("key", "must not end in %s (reserved)", typeSuffix)
	}
	src := &trackedReader{r: ctxReader{ctx, r}}
	err := d.put(key, src, size, contentType)
	if src.err != nil {
		return src.err // the caller's stream failed, not the disk
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

func (d *Disk) put(key string, r io.Reader, size int64, contentType string) error {
	p := d.path(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".upload-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	n, err := io.Copy(tmp, r)
	if err == nil && size >= 0 && n != size {
		err = fmt.Errorf("short object: wrote %d of %d bytes", n, size)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	if err := os.WriteFile(p+typeSuffix, []byte(contentType), 0o640); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

// Open implements ocop.Blobs.
func (d *Disk) Open(ctx context.Context, key string) (io.ReadCloser, ocop.BlobInfo, error) {
	info, err := d.Stat(ctx, key)
	if err != nil {
		return nil, info, err
	}
	f, err := os.Open(d.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ocop.BlobInfo{}, ocop.NotFound("object")
	}
	if err != nil {
		return nil, ocop.BlobInfo{}, unavailable(err)
	}
	return f, info, nil
}

// Stat implements ocop.Blobs.
func (d *Disk) Stat(_ context.Context, key string) (ocop.BlobInfo, error) {
	if err := checkKey(key); err != nil {
		return ocop.BlobInfo{}, err
	}
	fi, err := os.Stat(d.path(key))
	if errors.Is(err, fs.ErrNotExist) || (err == nil && fi.IsDir()) {
		return ocop.BlobInfo{}, ocop.NotFound("object")
	}
	if err != nil {
		return ocop.BlobInfo{}, unavailable(err)
	}
	ct, err := os.ReadFile(d.path(key) + typeSuffix)
	if err != nil {
		ct = []byte(mime.TypeByExtension(filepath.Ext(key)))
	}
	return ocop.BlobInfo{Key: key, Size: fi.Size(), ContentType: string(ct), ModTime: fi.ModTime().UTC()}, nil
}

// Delete implements ocop.Blobs.
func (d *Disk) Delete(_ context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	for _, p := range []string{d.path(key), d.path(key) + typeSuffix} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return unavailable(err)
		}
	}
	return nil
}

// SignedURL implements ocop.Blobs: the disk cannot sign, the API streams.
func (d *Disk) SignedURL(context.Context, string, time.Duration) (string, error) { return "", nil }

// Ping implements ocop.Blobs: the root must be writable.
func (d *Disk) Ping(context.Context) error {
	p := filepath.Join(d.root, ".ping-"+uuid.NewString())
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		return unavailable(fmt.Errorf("media directory not writable: %w", err))
	}
	return os.Remove(p)
}

// ctxReader stops a copy when the request is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
