package media_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/ocopconnect/ocopconnect/internal/blob"
	"github.com/ocopconnect/ocopconnect/internal/media"
	"github.com/ocopconnect/ocopconnect/internal/media/mediatest"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/s3test"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func diskStore(t testing.TB) *blob.Disk {
	d, err := blob.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// backends runs fn on the disk store and on a real S3 server.
func backends(t *testing.T, fn func(t *testing.T, b ocop.Blobs)) {
	t.Run("disk", func(t *testing.T) { fn(t, diskStore(t)) })
	t.Run("s3", func(t *testing.T) { fn(t, s3test.NewStore(t)) })
}

func read(t *testing.T, b ocop.Blobs, key string) ([]byte, ocop.BlobInfo) {
	t.Helper()
	rc, info, err := b.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("open %s: %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data, info
}

func TestGPSIsStrippedAndVariantsStored(t *testing.T) {
	backends(t, func(t *testing.T, b ocop.Blobs) {
		in := mediatest.WithEXIF(t, mediatest.JPEG(t, mediatest.Photo(2400, 1800, 1)), 1)
		if !mediatest.HasMetadata(in) || !bytes.Contains(in, []byte(mediatest.GPSMarker)) {
			t.Fatal("test input lacks its EXIF")
		}
		p := media.NewProcessor(b, media.Options{})
		im, err := p.Process(context.Background(), bytes.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		if im.SourceFormat != "jpeg" || im.Width != 2400 || im.Height != 1800 || im.SourceBytes != int64(len(in)) {
			t.Fatalf("result: %+v", im)
		}
		want := map[string][2]int{media.VariantDisplay: {1600, 1200}, media.VariantThumb: {400, 300}}
		for _, v := range []media.Variant{im.Display, im.Thumb} {
			data, info := read(t, b, v.Key)
			if mediatest.HasMetadata(data) || bytes.Contains(data, []byte(mediatest.GPSMarker)) || bytes.Contains(data, []byte("Exif")) {
				t.Fatalf("%s still carries metadata", v.Name)
			}
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if [2]int{cfg.Width, cfg.Height} != want[v.Name] || v.Width != cfg.Width || v.Height != cfg.Height {
				t.Fatalf("%s is %dx%d (reported %dx%d), want %v", v.Name, cfg.Width, cfg.Height, v.Width, v.Height, want[v.Name])
			}
			if info.ContentType != "image/jpeg" || v.ContentType != "image/jpeg" || info.Size != v.Size || int64(len(data)) != v.Size {
				t.Fatalf("%s stored as %+v, variant %+v", v.Name, info, v)
			}
			key, ok := media.ObjectKey(media.PublicName(v.Key))
			if !ok || key != v.Key || v.Path() != "/media/"+media.PublicName(v.Key) {
				t.Fatalf("public name of %s does not map back: %q %v", v.Key, key, ok)
			}
		}
		if !strings.HasPrefix(im.Display.Key, "images/") || !strings.Contains(im.Display.Key, im.ID) {
			t.Fatalf("key %q is not server-generated from the ID %s", im.Display.Key, im.ID)
		}
	})
}

func TestEXIFOrientationIsApplied(t *testing.T) {
	b := diskStore(t)
	p := media.NewProcessor(b, media.Options{})
	// Stored landscape, red on the left; orientation 6 says "rotate 90°
	// clockwise to display", which puts the red half on top.
	in := mediatest.WithEXIF(t, mediatest.JPEG(t, mediatest.Halves(200, 100)), 6)
	im, err := p.Process(context.Background(), bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if im.Width != 100 || im.Height != 200 || im.Display.Width != 100 || im.Display.Height != 200 {
		t.Fatalf("upright size: %+v", im)
	}
	data, _ := read(t, b, im.Display.Key)
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	top, bottom := img.At(50, 40), img.At(50, 160)
	if !reddish(top) || reddish(bottom) {
		t.Fatalf("not rotated clockwise: top %v bottom %v", top, bottom)
	}
}

func reddish(c color.Color) bool {
	r, _, b, _ := c.RGBA()
	return r > b
}

func TestTransparencyKeepsPNG(t *testing.T) {
	b := diskStore(t)
	img := image.NewNRGBA(image.Rect(0, 0, 600, 300))
	for i := range img.Pix {
		if i%4 == 3 {
			img.Pix[i] = uint8(i % 255)
		} else {
			img.Pix[i] = 180
		}
	}
	im, err := media.NewProcessor(b, media.Options{}).Process(context.Background(), bytes.NewReader(mediatest.PNG(t, img)))
	if err != nil {
		t.Fatal(err)
	}
	data, info := read(t, b, im.Thumb.Key)
	if info.ContentType != "image/png" || !strings.HasSuffix(im.Thumb.Key, ".png") {
		t.Fatalf("transparent image stored as %s %s", info.ContentType, im.Thumb.Key)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width != 400 || cfg.Height != 200 {
		t.Fatalf("thumb: %+v %v", cfg, err)
	}
	// An opaque PNG becomes a JPEG.
	im, err = media.NewProcessor(b, media.Options{}).Process(context.Background(), bytes.NewReader(mediatest.PNG(t, mediatest.Halves(300, 300))))
	if err != nil || im.Display.ContentType != "image/jpeg" || im.SourceFormat != "png" || im.Display.Width != 300 {
		t.Fatalf("opaque PNG: %+v %v", im, err)
	}
}

func TestWebP(t *testing.T) {
	b := diskStore(t)
	p := media.NewProcessor(b, media.Options{})
	for file, wantType := range map[string]string{
		"testdata/blue-purple-pink.lossy.webp":       "image/jpeg",
		"testdata/yellow_rose.lossy-with-alpha.webp": "image/png",
	} {
		in, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		im, err := p.Process(context.Background(), bytes.NewReader(in))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if im.SourceFormat != "webp" || im.Display.ContentType != wantType || im.Width == 0 {
			t.Fatalf("%s: %+v", file, im)
		}
	}
}

func TestBadUploads(t *testing.T) {
	valid := mediatest.JPEG(t, mediatest.Photo(400, 300, 2))
	cases := []struct {
		name string
		in   []byte
		code ocop.Code
	}{
		{"empty", nil, ocop.CodeInvalidImage},
		{"truncated JPEG", valid[:len(valid)/2], ocop.CodeInvalidImage},
		{"JPEG header only", valid[:3], ocop.CodeInvalidImage},
		{"corrupt JPEG", append(append([]byte{}, valid[:200]...), bytes.Repeat([]byte{0x00}, 2000)...), ocop.CodeInvalidImage},
		{"PNG pixel bomb", mediatest.PNGBomb(60000, 60000), ocop.CodeImageTooLarge},
		{"JPEG pixel bomb", mediatest.JPEGBomb(t, 60000, 60000), ocop.CodeImageTooLarge},
		{"HTML named .jpg", []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"), ocop.CodeUnsupportedMedia},
		{"SVG", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>`), ocop.CodeUnsupportedMedia},
		{"PHP", []byte("<?php system($_GET['c']); ?>"), ocop.CodeUnsupportedMedia},
		{"GIF", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), ocop.CodeUnsupportedMedia},
		{"one byte", []byte{0xFF}, ocop.CodeUnsupportedMedia},
		{"over the cap", mediatest.JPEG(t, mediatest.Photo(1600, 1200, 3)), ocop.CodeTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			b, err := blob.NewDisk(dir)
			if err != nil {
				t.Fatal(err)
			}
			p := media.NewProcessor(b, media.Options{MaxBytes: 100_000, MaxPixels: 40_000_000})
			_, err = p.Process(context.Background(), bytes.NewReader(c.in))
			if ocop.ErrorCode(err) != c.code {
				t.Fatalf("got %v, want %s", err, c.code)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("a refused upload left %d entries in the store", len(entries))
			}
		})
	}
}

// countingReader is an endless JPEG: SOI, then APP15 segments forever, which
// the header decoder skips while it looks for the frame header.
type countingReader struct{ n int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		pos := c.n + int64(i)
		switch {
		case pos == 0:
			p[i] = 0xFF
		case pos == 1:
			p[i] = 0xD8
		default:
			// 65535-byte segments: FF EF FF FF then filler.
			off := (pos - 2) % 65537
			switch off {
			case 0, 2, 3:
				p[i] = 0xFF
			case 1:
				p[i] = 0xEF
			default:
				p[i] = 'x'
			}
		}
	}
	c.n += int64(len(p))
	return len(p), nil
}

func TestCapIsEnforcedWhileStreaming(t *testing.T) {
	src := &countingReader{}
	p := media.NewProcessor(diskStore(t), media.Options{MaxBytes: 1 << 20})
	_, err := p.Process(context.Background(), src)
	if ocop.ErrorCode(err) != ocop.CodeTooLarge {
		t.Fatalf("endless upload: %v", err)
	}
	if src.n > 1<<20+1 {
		t.Fatalf("read %d bytes from the client for a cap of %d", src.n, 1<<20)
	}
}

func TestStoreDownIsUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s3, err := blob.NewS3(blob.S3Config{Endpoint: addr, AccessKey: "k", SecretKey: "secret-key", Bucket: "media"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = media.NewProcessor(s3, media.Options{}).Process(context.Background(), bytes.NewReader(mediatest.JPEG(t, mediatest.Halves(64, 64))))
	if ocop.ErrorCode(err) != ocop.CodeMediaUnavailable {
		t.Fatalf("upload with the store down: %v", err)
	}
}

func TestObjectKeyAcceptsOnlyGeneratedNames(t *testing.T) {
	for _, name := range []string{
		"", "x.jpg", "../etc/passwd", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b-display.gif",
		"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b-original.jpg", "0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B-thumb.jpg",
		"certificates/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b-display.jpg",
	} {
		if k, ok := media.ObjectKey(name); ok {
			t.Errorf("%q accepted as %q", name, k)
		}
	}
	k, ok := media.ObjectKey("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b-thumb.png")
	if !ok || k != "images/5b/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b-thumb.png" || !blob.ValidKey(k) {
		t.Fatalf("generated name: %q %v", k, ok)
	}
}

func TestInputSizes(t *testing.T) {
	valid := mediatest.JPEG(t, mediatest.Photo(400, 300, 2))
	big := mediatest.JPEG(t, mediatest.Photo(1600, 1200, 3))
	if len(valid)/2 >= 100_000 || len(big) <= 100_000 {
		t.Fatalf("TestBadUploads assumes a half JPEG under and a big one over 100 kB: %d %d", len(valid)/2, len(big))
	}
}
