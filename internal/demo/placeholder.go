package demo

import (
	"bytes"
	"encoding/csv"
	"hash/fnv"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/ocopconnect/ocopconnect/internal/places"
)

// groupTints colour the placeholders by product group, so a page of demo
// listings reads at a glance.
var groupTints = map[string]color.RGBA{
	"food": {0x2f, 0x9e, 0x44, 0xff}, "beverage": {0x1c, 0x7e, 0xd6, 0xff}, "herbal": {0x70, 0x48, 0xe8, 0xff},
	"handicraft": {0xe8, 0x59, 0x0c, 0xff}, "ornamental": {0x0c, 0xa6, 0x78, 0xff}, "tourism": {0xd6, 0x33, 0x6c, 0xff},
}

var groupLabels = map[string]string{
	"food": "THUC PHAM", "beverage": "DO UONG", "herbal": "DUOC LIEU", "handicraft": "THU CONG MY NGHE",
	"ornamental": "SINH VAT CANH", "tourism": "DU LICH CONG DONG",
}

// Placeholder draws a 1200x900 JPEG for a listing: a gradient in the
// group's colour with a pattern seeded by the title, and the title itself
// (without diacritics: the bundled Go fonts do not cover Vietnamese).
func Placeholder(title, group string) ([]byte, error) {
	const w, h = 1200, 900
	tint, ok := groupTints[group]
	if !ok {
		tint = color.RGBA{0x49, 0x50, 0x57, 0xff}
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	hs := fnv.New32a()
	_, _ = hs.Write([]byte(title))
	seed := hs.Sum32()
	for y := 0; y < h; y++ {
		f := float64(y) / h
		c := color.RGBA{lerp(tint.R, 255, 0.15+0.5*f), lerp(tint.G, 255, 0.15+0.5*f), lerp(tint.B, 255, 0.15+0.5*f), 0xff}
		for x := 0; x < w; x++ {
			img.SetRGBA(x, y, c)
		}
	}
	// Soft discs placed by the title's hash.
	for i := range 6 {
		cx, cy := int(seed>>(i*3)%w), int(seed>>(i*2+1)%(h*2/3))
		r := 60 + int(seed>>(i*4))%140
		disc(img, cx, cy, r, color.RGBA{255, 255, 255, 40})
	}
	draw.Draw(img, image.Rect(0, h*2/3, w, h), &image.Uniform{color.RGBA{255, 255, 255, 235}}, image.Point{}, draw.Over)
	if err := text(img, gobold.TTF, 30, 60, h*2/3+60, tint, groupLabels[group]+"  ·  OCOP"); err != nil {
		return nil, err
	}
	if err := text(img, goregular.TTF, 52, 60, h*2/3+140, color.RGBA{0x21, 0x25, 0x29, 0xff}, titleCase(places.Fold(title), 38)); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func lerp(a, b uint8, f float64) uint8 { return uint8(float64(a) + (float64(b)-float64(a))*f) }

func disc(img *image.RGBA, cx, cy, r int, c color.RGBA) {
	b := img.Bounds()
	for y := max(cy-r, b.Min.Y); y < min(cy+r, b.Max.Y); y++ {
		for x := max(cx-r, b.Min.X); x < min(cx+r, b.Max.X); x++ {
			if (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r {
				o := img.RGBAAt(x, y)
				a := float64(c.A) / 255
				img.SetRGBA(x, y, color.RGBA{lerp(o.R, c.R, a), lerp(o.G, c.G, a), lerp(o.B, c.B, a), 0xff})
			}
		}
	}
}

func text(img *image.RGBA, ttf []byte, size float64, x, y int, c color.Color, s string) error {
	f, err := opentype.Parse(ttf)
	if err != nil {
		return err
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return err
	}
	defer face.Close()
	d := &font.Drawer{Dst: img, Src: image.NewUniform(c), Face: face, Dot: fixed.P(x, y)}
	d.DrawString(s)
	return nil
}

func titleCase(s string, maxLen int) string {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	out := strings.Join(words, " ")
	if len(out) > maxLen {
		out = strings.TrimSpace(out[:maxLen]) + "..."
	}
	return out
}

// catalogueTaxCodes lists the tax codes of the catalogue's producers.
func catalogueTaxCodes() ([]string, error) {
	recs, err := csv.NewReader(bytes.NewReader(Catalogue)).ReadAll()
	if err != nil {
		return nil, err
	}
	col := -1
	for i, h := range recs[0] {
		if h == "tax_code" {
			col = i
		}
	}
	var out []string
	for _, r := range recs[1:] {
		if col >= 0 && r[col] != "" {
			out = append(out, r[col])
		}
	}
	return out, nil
}
