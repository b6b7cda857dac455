// Package mediatest builds the images that media tests upload: plain and
// photo-like JPEGs, JPEGs carrying EXIF with GPS coordinates, decompression
// bombs, and a check for metadata left in an output. Listings tests use it
// for their black-box upload tests too.
package mediatest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"testing"
)

// GPSMarker is the text the EXIF of WithGPS carries in its GPS IFD and
// ImageDescription: it must never appear in a processed image.
const GPSMarker = "OCOP-SECRET-FARM-LOCATION"

// Halves returns a w x h image whose left half is red and right half blue
// (orientation tests look for where the red went).
func Halves(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{R: 220, B: 20, A: 255}
			if x >= w/2 {
				c = color.RGBA{R: 20, B: 220, A: 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// JPEG encodes img at quality 90.
func JPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// PNG encodes img.
func PNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Photo is a w x h image with gradients and grain, which compresses about
// like a photograph (a 2 MB JPEG at quality 90 is about 2500x1800).
func Photo(w, h int, seed uint64) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	r := rand.New(rand.NewPCG(seed, 1))
	for y := range h {
		for x := range w {
			v := (x*255/w+y*255/h)/2 + r.IntN(48) - 24
			img.Y[img.YOffset(x, y)] = uint8(max(0, min(255, v)))
		}
	}
	for i := range img.Cb {
		img.Cb[i] = uint8(100 + r.IntN(16))
		img.Cr[i] = uint8(140 + r.IntN(16))
	}
	return img
}

// WithEXIF inserts an APP1 EXIF segment right after the SOI marker of a
// JPEG: IFD0 with ImageDescription (GPSMarker), Orientation (when 1-8) and
// a pointer to a GPS IFD holding latitude/longitude refs and GPSMarker as
// the processing method — what a phone writes, in miniature.
func WithEXIF(t testing.TB, jpg []byte, orientation int) []byte {
	t.Helper()
	if len(jpg) < 2 || jpg[0] != 0xFF || jpg[1] != 0xD8 {
		t.Fatal("not a JPEG")
	}
	le := binary.LittleEndian
	desc := []byte(GPSMarker + "\x00")
	type entry struct {
		tag, typ uint16
		count    uint32
		value    []byte // <= 4 bytes inline, else stored in the data area
	}
	ifd0 := []entry{{0x010E, 2, uint32(len(desc)), desc}}
	if orientation >= 1 && orientation <= 8 {
		ifd0 = append(ifd0, entry{0x0112, 3, 1, []byte{byte(orientation), 0, 0, 0}})
	}
	ifd0 = append(ifd0, entry{0x8825, 4, 1, nil}) // GPS IFD offset, patched below
	gps := []entry{
		{0x0001, 2, 2, []byte("N\x00\x00\x00")},                   // GPSLatitudeRef
		{0x0003, 2, 2, []byte("E\x00\x00\x00")},                   // GPSLongitudeRef
		{0x001B, 7, uint32(len(desc)), append([]byte{}, desc...)}, // GPSProcessingMethod
	}
	ifdSize := func(n int) int { return 2 + 12*n + 4 }
	ifd0Off := 8
	gpsOff := ifd0Off + ifdSize(len(ifd0))
	dataOff := gpsOff + ifdSize(len(gps))

	var data []byte
	write := func(entries []entry) []byte {
		b := make([]byte, 0, ifdSize(len(entries)))
		b = le.AppendUint16(b, uint16(len(entries)))
		for _, e := range entries {
			b = le.AppendUint16(b, e.tag)
			b = le.AppendUint16(b, e.typ)
			b = le.AppendUint32(b, e.count)
			switch {
			case e.tag == 0x8825:
				b = le.AppendUint32(b, uint32(gpsOff))
			case len(e.value) <= 4:
				v := append(append([]byte{}, e.value...), 0, 0, 0, 0)
				b = append(b, v[:4]...)
			default:
				b = le.AppendUint32(b, uint32(dataOff+len(data)))
				data = append(data, e.value...)
			}
		}
		return le.AppendUint32(b, 0) // no next IFD
	}
	tiff := []byte("II*\x00")
	tiff = le.AppendUint32(tiff, uint32(ifd0Off))
	tiff = append(tiff, write(ifd0)...)
	tiff = append(tiff, write(gps)...)
	tiff = append(tiff, data...)

	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := []byte{0xFF, 0xD8, 0xFF, 0xE1}
	out = binary.BigEndian.AppendUint16(out, uint16(len(seg)+2))
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// HasMetadata reports whether a JPEG has any APPn segment other than the
// JFIF APP0 header, or a comment: where EXIF, GPS, XMP and ICC data live.
func HasMetadata(jpg []byte) bool {
	i := 2
	for i+4 <= len(jpg) {
		if jpg[i] != 0xFF {
			return false
		}
		m := jpg[i+1]
		if m == 0xDA || m == 0xD9 {
			return false
		}
		if (m >= 0xE1 && m <= 0xEF) || m == 0xFE {
			return true
		}
		i += 2 + int(binary.BigEndian.Uint16(jpg[i+2:]))
	}
	return false
}

// PNGBomb is a PNG of a few dozen bytes whose header claims w x h pixels.
func PNGBomb(w, h uint32) []byte {
	var ihdr []byte
	ihdr = binary.BigEndian.AppendUint32(ihdr, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8-bit RGB
	out := []byte("\x89PNG\r\n\x1a\n")
	out = appendChunk(out, "IHDR", ihdr)
	out = appendChunk(out, "IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	return appendChunk(out, "IEND", nil)
}

func appendChunk(b []byte, typ string, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	start := len(b)
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
}

// JPEGBomb is a JPEG of a few hundred bytes whose frame header claims w x h
// pixels: a real small JPEG with its SOF0 dimensions rewritten.
func JPEGBomb(t testing.TB, w, h uint16) []byte {
	t.Helper()
	b := JPEG(t, image.NewGray(image.Rect(0, 0, 8, 8)))
	for i := 2; i+9 < len(b); {
		if b[i] != 0xFF {
			break
		}
		if b[i+1] == 0xC0 {
			binary.BigEndian.PutUint16(b[i+5:], h)
			binary.BigEndian.PutUint16(b[i+7:], w)
			return b
		}
		i += 2 + int(binary.BigEndian.Uint16(b[i+2:]))
	}
	t.Fatal("no SOF0 in the encoded JPEG")
	return nil
}
