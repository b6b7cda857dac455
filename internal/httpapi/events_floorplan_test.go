package httpapi_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/producers"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

// chromium finds a headless-capable Chromium (OCOP_TEST_CHROMIUM overrides).
func chromium(t *testing.T) string {
	if p := os.Getenv("OCOP_TEST_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome", "headless_shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testdb.SkipOrFail(t, "no Chromium found (apt-get install chromium, or set OCOP_TEST_CHROMIUM): the floor plan cannot be rendered")
	return ""
}

// screenshotSVG renders an SVG in headless Chromium in a window of the
// given size and returns the screenshot. keepEnv names a variable that,
// when set, is where the PNG is kept for a human to look at.
func screenshotSVG(t *testing.T, svg []byte, width, height int, keepEnv string) image.Image {
	t.Helper()
	browser := chromium(t)
	dir := t.TempDir()
	svgPath, shot := filepath.Join(dir, "image.svg"), filepath.Join(dir, "image.png")
	if err := os.WriteFile(svgPath, svg, 0o600); err != nil {
		t.Fatal(err)
	}
	if keep := os.Getenv(keepEnv); keepEnv != "" && keep != "" {
		defer func() { _ = os.Rename(shot, keep) }()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--hide-scrollbars", "--user-data-dir="+filepath.Join(dir, "profile"), fmt.Sprintf("--window-size=%d,%d", width, height),
		"--screenshot="+shot, "file://"+svgPath)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestFloorPlanRendersInChromium draws a fair with a free, a held and a
// confirmed booth, has headless Chromium take a screenshot of the SVG and
// checks the picture shows the three status colours.
func TestFloorPlanRendersInChromium(t *testing.T) {
	db := testdb.DatabaseBackends(t)[0].New(t)
	w := newFairWorld(t, db)
	chromium(t) // skip before building the fair when there is none
	ev, booths := w.fair(t, fairOpts{booths: 3})
	p1, p2 := w.producer(t, producerOpts{stars: 3}), w.producer(t, producerOpts{stars: 3})
	// An exhibitor name with markup characters must be escaped, not break the SVG.
	if _, err := w.s.Producers.Update(ocop.WithPrincipal(context.Background(), ocop.Principal{UserID: p1.UserID, Roles: []ocop.Role{ocop.RoleProducer}}), p1.ID, producers.ProducerPatch{LegalName: ptr("HTX <Cà phê> & \"Ca cao\" Ea Tu")}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.Producers.Verify(w.admin, p1.ID, ""); err != nil { // a new legal name is verified again
		t.Fatal(err)
	}
	b := w.book(t, ev, p1.Token, map[string]any{"booth_id": booths[0]}).Expect(t, http.StatusCreated).Map(t)
	w.s.Post(t, "/api/v1/bookings/"+b["id"].(string)+"/confirm", w.orgToken, nil).Expect(t, http.StatusOK)
	w.book(t, ev, p2.Token, map[string]any{"booth_id": booths[1]}).Expect(t, http.StatusCreated)

	r := w.s.Get(t, "/api/v1/events/"+ev+"/floorplan.svg", "").Expect(t, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "image/svg+xml") {
		t.Fatalf("Content-Type %q", ct)
	}
	// Well-formed XML whose booths carry their status.
	dec := xml.NewDecoder(bytes.NewReader(r.Body))
	statuses := map[string]string{}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v\n%s", err, r.Body)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "g" {
			var id, class string
			for _, a := range se.Attr {
				switch a.Name.Local {
				case "id":
					id = a.Value
				case "class":
					class = a.Value
				}
			}
			statuses[id] = class
		}
	}
	if statuses["booth-A1"] != "status-confirmed" || statuses["booth-A2"] != "status-held" || statuses["booth-A3"] != "status-free" {
		t.Fatalf("booth statuses in the SVG: %v", statuses)
	}
	if !bytes.Contains(r.Body, []byte("HTX &lt;Cà phê&gt; &amp;")) {
		t.Fatalf("exhibitor name missing or unescaped:\n%s", r.Body)
	}

	img := screenshotSVG(t, r.Body, 1300, 500, "OCOP_TEST_KEEP_FLOORPLAN")
	counts := colourCounts(img, map[string]color.RGBA{
		"free": {0xc8, 0xe6, 0xc9, 0xff}, "held": {0xff, 0xe0, 0x82, 0xff}, "confirmed": {0x90, 0xca, 0xf9, 0xff},
	})
	nonWhite := counts["non-white"]
	bounds := img.Bounds()
	t.Logf("screenshot %dx%d: %v", bounds.Dx(), bounds.Dy(), counts)
	if nonWhite < bounds.Dx()*bounds.Dy()/100 {
		t.Fatalf("the screenshot is (nearly) blank: %d non-white pixels", nonWhite)
	}
	for _, st := range []string{"free", "held", "confirmed"} {
		if counts[st] < 500 {
			t.Errorf("the %s colour covers only %d pixels", st, counts[st])
		}
	}
}

func ptr[T any](v T) *T { return &v }

// colourCounts counts pixels close to each named colour, and non-white ones.
func colourCounts(img image.Image, named map[string]color.RGBA) map[string]int {
	out := map[string]int{}
	b := img.Bounds()
	near := func(a, b uint32) bool { d := int(a>>8) - int(b); return d > -8 && d < 8 }
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 < 245 || g>>8 < 245 || bl>>8 < 245 {
				out["non-white"]++
			}
			for name, c := range named {
				if near(r, uint32(c.R)) && near(g, uint32(c.G)) && near(bl, uint32(c.B)) {
					out[name]++
				}
			}
		}
	}
	return out
}
