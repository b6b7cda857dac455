package media_test

import (
	"bytes"
	"context"
	"image/jpeg"
	"sync"
	"testing"

	"github.com/ocopconnect/ocopconnect/internal/media"
	"github.com/ocopconnect/ocopconnect/internal/media/mediatest"
)

var (
	photoOnce sync.Once
	photo2MB  []byte
)

// twoMBJPEG is a 2500x1800 photo-like JPEG of about 2 MB, built once.
func twoMBJPEG(b *testing.B) []byte {
	photoOnce.Do(func() { photo2MB = mediatest.JPEG(b, mediatest.Photo(2500, 1800, 42)) })
	if n := len(photo2MB); n < 1_800_000 || n > 2_300_000 {
		b.Fatalf("benchmark photo is %d bytes, want about 2 MB", n)
	}
	return photo2MB
}

// BenchmarkImageDecode2MB is the baseline: decoding the photo, the least
// any pipeline must do.
func BenchmarkImageDecode2MB(b *testing.B) {
	in := twoMBJPEG(b)
	b.SetBytes(int64(len(in)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := jpeg.Decode(bytes.NewReader(in)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkImageUpload2MB is the whole upload: cap, sniff, header check,
// decode, two resizes, two encodes and two writes to the disk store.
func BenchmarkImageUpload2MB(b *testing.B) {
	in := twoMBJPEG(b)
	p := media.NewProcessor(diskStore(b), media.Options{})
	ctx := context.Background()
	b.SetBytes(int64(len(in)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := p.Process(ctx, bytes.NewReader(in)); err != nil {
			b.Fatal(err)
		}
	}
}
