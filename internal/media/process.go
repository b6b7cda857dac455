package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"net/http"
	"regexp"
	"runtime"
	"strings"

	"github.com/google/uuid"
	"golang.org/x/image/draw"
	"golang.org/x/image/webp"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// Variant names.
const (
	VariantDisplay = "display"
	VariantThumb   = "thumb"
)

// Options configure a Processor; zero values take the defaults.
type Options struct {
	MaxBytes    int64 // upload cap (default 10 MiB)
	MaxPixels   int64 // width*height budget checked before decoding (default 50 M)
	DisplaySize int   // longest side of the display variant (default 1600)
	ThumbSize   int   // longest side of the thumbnail (default 400)
	JPEGQuality int   // default 85
	// Concurrency bounds simultaneous decodes, and so the memory they take
	// (about 4 bytes per pixel each). Default GOMAXPROCS.
	Concurrency int
}

// Processor validates, re-encodes and stores uploaded images.
type Processor struct {
	blobs ocop.Blobs
	opts  Options
	slots chan struct{}
}

// NewProcessor returns a processor storing into blobs.
func NewProcessor(blobs ocop.Blobs, o Options) *Processor {
	if o.MaxBytes <= 0 {
		o.MaxBytes = 10 << 20
	}
	if o.MaxPixels <= 0 {
		o.MaxPixels = 50_000_000
	}
	if o.DisplaySize <= 0 {
		o.DisplaySize = 1600
	}
	if o.ThumbSize <= 0 {
		o.ThumbSize = 400
	}
	if o.JPEGQuality <= 0 || o.JPEGQuality > 100 {
		o.JPEGQuality = 85
	}
	if o.Concurrency <= 0 {
		o.Concurrency = runtime.GOMAXPROCS(0)
	}
	return &Processor{blobs: blobs, opts: o, slots: make(chan struct{}, o.Concurrency)}
}

// MaxBytes is the upload cap (HTTP handlers size their body limit from it).
func (p *Processor) MaxBytes() int64 { return p.opts.MaxBytes }

// Variant is one stored rendition of an image.
type Variant struct {
	Name        string // VariantDisplay or VariantThumb
	Key         string // object key in ocop.Blobs
	ContentType string // image/jpeg or image/png
	Width       int
	Height      int
	Size        int64 // bytes
}

// Path is where GET /media serves the variant.
func (v Variant) Path() string { return "/media/" + PublicName(v.Key) }

// Image is the result of a successful upload.
type Image struct {
	ID string
	// SourceFormat is what was uploaded: jpeg, png or webp.
	SourceFormat string
	SourceBytes  int64
	// Width and Height are the upright dimensions of the original.
	Width, Height int
	Display       Variant
	Thumb         Variant
}

// Keys lists every object the image stored (for media.delete).
func (im Image) Keys() []string { return []string{im.Display.Key, im.Thumb.Key} }

// Process reads an image from r and stores its variants. Errors: 413
// payload_too_large past the cap, 415 unsupported_media_type for anything
// but JPEG/PNG/WebP, 422 invalid_image for empty, corrupt or truncated
// files, 422 image_too_large above the pixel budget, 503 media_unavailable
// when the store is down. Nothing is stored unless everything succeeded.
func (p *Processor) Process(ctx context.Context, r io.Reader) (Image, error) {
	src := &source{r: r, left: p.opts.MaxBytes, limit: p.opts.MaxBytes}
	var head bytes.Buffer
	tee := io.TeeReader(src, &head)

	var magic [12]byte
	n, err := io.ReadFull(tee, magic[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return Image{}, src.fail(err)
	}
	if n == 0 {
		return Image{}, ocop.Errorf(ocop.CodeInvalidImage, "the file is empty")
	}
	format := sniff(magic[:n])
	if format == "" {
		return Image{}, unsupported(magic[:n])
	}
	var cfg image.Config
	decodeConfig, decode := decoders(format)
	cfg, err = decodeConfig(io.MultiReader(bytes.NewReader(head.Bytes()), tee))
	if err != nil {
		return Image{}, src.fail(invalid(format, err))
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return Image{}, ocop.Errorf(ocop.CodeInvalidImage, "the image has no pixels")
	}
	if pixels := int64(cfg.Width) * int64(cfg.Height); pixels > p.opts.MaxPixels {
		return Image{}, ocop.Errorf(ocop.CodeImageTooLarge,
			"the image is %dx%d pixels; at most %d pixels (e.g. %dx%d) are accepted",
			cfg.Width, cfg.Height, p.opts.MaxPixels, side(p.opts.MaxPixels, 4, 3), side(p.opts.MaxPixels, 3, 4))
	}
	orientation := 1
	if format == "jpeg" {
		orientation = jpegOrientation(head.Bytes())
	}

	select {
	case p.slots <- struct{}{}:
		defer func() { <-p.slots }()
	case <-ctx.Done():
		return Image{}, ctx.Err()
	}
	// The header bytes were kept; the rest streams from the source.
	img, err := decode(io.MultiReader(bytes.NewReader(head.Bytes()), src))
	head = bytes.Buffer{}
	if err != nil {
		return Image{}, src.fail(invalid(format, err))
	}
	if err := ctx.Err(); err != nil {
		return Image{}, err
	}

	out := "image/jpeg"
	if o, ok := img.(interface{ Opaque() bool }); ok && format != "jpeg" && !o.Opaque() {
		out = "image/png" // keep transparency (product cut-outs)
	}
	display := orient(fit(img, p.opts.DisplaySize), orientation)
	thumb := fit(display, p.opts.ThumbSize)
	img = nil

	id := uuid.Must(uuid.NewV7()).String()
	res := Image{ID: id, SourceFormat: format, SourceBytes: src.read, Width: cfg.Width, Height: cfg.Height}
	if orientation >= 5 {
		res.Width, res.Height = cfg.Height, cfg.Width
	}
	if res.Display, err = p.store(ctx, id, VariantDisplay, display, out); err != nil {
		return Image{}, err
	}
	if res.Thumb, err = p.store(ctx, id, VariantThumb, thumb, out); err != nil {
		// Best effort: the display variant is not referenced by anything
		// yet. If this fails too, the object is orphaned but harmless.
		_ = p.blobs.Delete(context.WithoutCancel(ctx), res.Display.Key)
		return Image{}, err
	}
	return res, nil
}

func (p *Processor) store(ctx context.Context, id, variant string, img *image.RGBA, contentType string) (Variant, error) {
	var buf bytes.Buffer
	var err error
	ext := ".jpg"
	if contentType == "image/png" {
		ext = ".png"
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img)
	} else {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: p.opts.JPEGQuality})
	}
	if err != nil {
		return Variant{}, fmt.Errorf("encode %s: %w", variant, err)
	}
	name := id + "-" + variant + ext
	v := Variant{
		Name: variant, Key: objectKey(name), ContentType: contentType,
		Width: img.Rect.Dx(), Height: img.Rect.Dy(), Size: int64(buf.Len()),
	}
	if err := p.blobs.Put(ctx, v.Key, &buf, v.Size, contentType); err != nil {
		return Variant{}, err
	}
	return v, nil
}

// fit scales img down (never up) so that its longest side is at most max,
// into a fresh RGBA image. x/image/draw widens its kernels by the reduction
// factor, so the bilinear (tent) filter averages every source pixel and does
// not alias on large reductions; Catmull-Rom was a little sharper but made
// the whole upload about 1.5 times slower (BenchmarkImageUpload2MB).
func fit(img image.Image, max int) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > max || h > max {
		if w >= h {
			w, h = max, int(max64(1, int64(h)*int64(max)/int64(b.Dx())))
		} else {
			w, h = int(max64(1, int64(w)*int64(max)/int64(b.Dy()))), max
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	if w == b.Dx() && h == b.Dy() {
		draw.Draw(dst, dst.Rect, img, b.Min, draw.Src)
	} else {
		if _, ok := img.(*image.YCbCr); ok {
			// The scaler converts YCbCr to RGB once per filter tap; converting
			// the whole image once first (image/draw's fast path) is faster.
			rgba := image.NewRGBA(b)
			draw.Draw(rgba, b, img, b.Min, draw.Src)
			img = rgba
		}
		draw.BiLinear.Scale(dst, dst.Rect, img, b, draw.Src, nil)
	}
	return dst
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// side is the first side of the largest w:h rectangle within the given
// area (for messages).
func side(pixels int64, w, h int64) int64 {
	return int64(math.Sqrt(float64(pixels)/float64(w*h))) * w
}

// sniff decides the format from the first bytes, never from a name or a
// declared type.
func sniff(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return "jpeg"
	case len(b) >= 8 && string(b[:8]) == "\x89PNG\r\n\x1a\n":
		return "png"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "webp"
	}
	return ""
}

func decoders(format string) (func(io.Reader) (image.Config, error), func(io.Reader) (image.Image, error)) {
	switch format {
	case "png":
		return png.DecodeConfig, png.Decode
	case "webp":
		return webp.DecodeConfig, webp.Decode
	}
	return jpeg.DecodeConfig, jpeg.Decode
}

func unsupported(b []byte) error {
	what := http.DetectContentType(b)
	what, _, _ = strings.Cut(what, ";")
	return ocop.Errorf(ocop.CodeUnsupportedMedia, "only JPEG, PNG and WebP images are accepted; this file looks like %s", what)
}

func invalid(format string, err error) error {
	msg := "the " + strings.ToUpper(format) + " file is corrupt"
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || strings.Contains(err.Error(), "unexpected EOF") {
		msg = "the " + strings.ToUpper(format) + " file is truncated"
	}
	return &ocop.Error{Code: ocop.CodeInvalidImage, Message: msg, Err: err}
}

// source caps the upload while it streams and remembers why reading
// stopped, so that a decoder's "unexpected EOF" caused by the cap (or by a
// client that went away) is reported as what it is.
type source struct {
	r     io.Reader
	left  int64
	limit int64
	read  int64
	err   error // a failure of the stream itself (not io.EOF)
}

func (s *source) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if int64(len(p)) > s.left+1 {
		p = p[:s.left+1]
	}
	n, err := s.r.Read(p)
	if int64(n) > s.left {
		n = int(s.left)
		s.read += int64(n)
		s.left = 0
		s.err = tooLarge(s.limit)
		return n, s.err
	}
	s.left -= int64(n)
	s.read += int64(n)
	if err != nil && err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = tooLarge(s.limit)
		}
		s.err = err
	}
	return n, err
}

func tooLarge(limit int64) error {
	return ocop.Errorf(ocop.CodeTooLarge, "the image is larger than the %d bytes allowed", limit)
}

// fail prefers the stream's own failure (too large, client gone) over the
// decoder's view of it.
func (s *source) fail(err error) error {
	if s.err != nil {
		return s.err
	}
	return err
}

// namePattern is what GET /media/{name} accepts: exactly the names this
// package generates, so no other object in the store can be served by it.
var namePattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-(display|thumb)\.(jpg|png)$`)

// objectKey spreads images over 256 directories by the random tail of their
// UUID, so no directory of the disk backend grows huge.
func objectKey(name string) string { return "images/" + name[34:36] + "/" + name }

// ObjectKey maps a public name (the {key} of GET /media/{key}) to the
// object key; ok is false for anything this package did not generate.
func ObjectKey(name string) (key string, ok bool) {
	if !namePattern.MatchString(name) {
		return "", false
	}
	return objectKey(name), true
}

// PublicName is the last segment of an object key, the name GET /media serves.
func PublicName(key string) string { return key[strings.LastIndexByte(key, '/')+1:] }

// ContentTypeOf returns the type of a public name by its extension.
func ContentTypeOf(name string) string {
	if strings.HasSuffix(name, ".png") {
		return "image/png"
	}
	return "image/jpeg"
}
