// Package blobtest is the one contract suite every media backend passes
// (the model is Gitea's modules/storage tests): the disk backend always, S3
// wherever one is configured (CI runs a real S3 server).
package blobtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// Run runs the contract suite against a fresh, empty store.
func Run(t *testing.T, newStore func(t *testing.T) ocop.Blobs) {
	ctx := context.Background()

	t.Run("put get stat delete", func(t *testing.T) {
		b := newStore(t)
		body := []byte("cà phê Buôn Ma Thuột")
		if err := b.Put(ctx, "listings/l1/a.txt", bytes.NewReader(body), int64(len(body)), "text/plain; charset=utf-8"); err != nil {
			t.Fatal(err)
		}
		info, err := b.Stat(ctx, "listings/l1/a.txt")
		if err != nil || info.Size != int64(len(body)) || info.ContentType != "text/plain; charset=utf-8" || info.Key != "listings/l1/a.txt" {
			t.Fatalf("stat: %+v %v", info, err)
		}
		rc, info2, err := b.Open(ctx, "listings/l1/a.txt")
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(got, body) || info2.Size != info.Size {
			t.Fatalf("open: %q %+v", got, info2)
		}
		if err := b.Delete(ctx, "listings/l1/a.txt"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Stat(ctx, "listings/l1/a.txt"); ocop.ErrorCode(err) != ocop.CodeNotFound {
			t.Fatalf("after delete: %v", err)
		}
	})

	t.Run("missing key is not found", func(t *testing.T) {
		b := newStore(t)
		if _, _, err := b.Open(ctx, "nope/x.jpg"); ocop.ErrorCode(err) != ocop.CodeNotFound {
			t.Fatalf("open missing: %v", err)
		}
		if _, err := b.Stat(ctx, "nope/x.jpg"); ocop.ErrorCode(err) != ocop.CodeNotFound {
			t.Fatalf("stat missing: %v", err)
		}
		if err := b.Delete(ctx, "nope/x.jpg"); err != nil {
			t.Fatalf("delete missing: %v", err)
		}
	})

	t.Run("overwrite replaces", func(t *testing.T) {
		b := newStore(t)
		for _, s := range []string{"first version", "second"} {
			if err := b.Put(ctx, "k/v.txt", strings.NewReader(s), int64(len(s)), "text/plain"); err != nil {
				t.Fatal(err)
			}
		}
		rc, _, err := b.Open(ctx, "k/v.txt")
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if string(got) != "second" {
			t.Fatalf("got %q", got)
		}
	})

	t.Run("large object of unknown size", func(t *testing.T) {
		b := newStore(t)
		big := make([]byte, 7<<20) // over minio-go's multipart threshold when size is unknown
		_, _ = rand.Read(big)
		if err := b.Put(ctx, "big/blob.bin", io.MultiReader(bytes.NewReader(big)), -1, "application/octet-stream"); err != nil {
			t.Fatal(err)
		}
		rc, info, err := b.Open(ctx, "big/blob.bin")
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if info.Size != int64(len(big)) || !bytes.Equal(got, big) {
			t.Fatalf("round trip of %d bytes returned %d", len(big), len(got))
		}
	})

	t.Run("failed upload leaves nothing", func(t *testing.T) {
		b := newStore(t)
		err := b.Put(ctx, "broken/x.bin", io.MultiReader(strings.NewReader("partial"), failingReader{}), -1, "application/octet-stream")
		if err == nil {
			t.Fatal("a failing reader must fail the upload")
		}
		if _, err := b.Stat(ctx, "broken/x.bin"); ocop.ErrorCode(err) != ocop.CodeNotFound {
			t.Fatalf("half an object is visible: %v", err)
		}
	})

	t.Run("bad keys are refused", func(t *testing.T) {
		b := newStore(t)
		for _, k := range []string{"", "../escape", "/abs", "a//b", "a/../b", "a/./b", "spaced key"} {
			if err := b.Put(ctx, k, strings.NewReader("x"), 1, "text/plain"); err == nil {
				t.Errorf("key %q accepted", k)
			}
		}
	})

	t.Run("ping", func(t *testing.T) {
		if err := newStore(t).Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("signed URL", func(t *testing.T) {
		b := newStore(t)
		if err := b.Put(ctx, "s/u.txt", strings.NewReader("signed"), 6, "text/plain"); err != nil {
			t.Fatal(err)
		}
		u, err := b.SignedURL(ctx, "s/u.txt", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if u == "" {
			// The backend cannot sign (local disk): the API streams instead.
			return
		}
		if status, body := fetch(t, u); status != http.StatusOK || body != "signed" {
			t.Fatalf("signed URL: %d %q", status, body)
		}
		// Another key under the same signature must be refused.
		if status, _ := fetch(t, strings.Replace(u, "s/u.txt", "s/v.txt", 1)); status != http.StatusForbidden {
			t.Fatalf("signed URL reused for another key: %d, want 403", status)
		}
		short, err := b.SignedURL(ctx, "s/u.txt", time.Second)
		if err != nil {
			t.Fatal(err)
		}
		// The server, not the client, decides expiry: wait until the URL is
		// past its lifetime on the wall clock (signatures have 1 s
		// granularity, so two seconds is always enough).
		time.Sleep(2100 * time.Millisecond)
		if status, body := fetch(t, short); status != http.StatusForbidden {
			t.Fatalf("expired signed URL answered %d %q, want 403", status, body)
		}
	})

	t.Run("object at a key with a prefix of another", func(t *testing.T) {
		b := newStore(t)
		for _, k := range []string{"p/a.jpg", "p/a.jpg.thumb", "p/ab.jpg"} {
			if err := b.Put(ctx, k, strings.NewReader(k), int64(len(k)), "image/jpeg"); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Delete(ctx, "p/a.jpg"); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"p/a.jpg.thumb", "p/ab.jpg"} {
			if info, err := b.Stat(ctx, k); err != nil || info.Size != int64(len(k)) {
				t.Fatalf("%s after deleting p/a.jpg: %+v %v", k, info, err)
			}
		}
	})
}

func fetch(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }
