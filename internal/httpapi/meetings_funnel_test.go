package httpapi_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image/color"
	"io"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	. "github.com/ocopconnect/ocopconnect/internal/testsupport"
)

type funnelCounts struct {
	Registrations, Requests, Accepted, Held, Inquiries, Quotes, Won int
}

type funnelDTO struct {
	Counts  funnelCounts
	ByGroup []struct {
		Key    string
		Counts funnelCounts
	} `json:"by_group"`
	ByProvince []struct {
		Key    string
		Counts funnelCounts
	} `json:"by_province"`
	ChartURL string `json:"chart_url"`
}

// TestMeetingFunnel builds a small fair whose funnel is computed by hand
// (see the table below), checks the API's figures overall, by product
// group, by province and filtered, and has headless Chromium draw the SVG.
func TestMeetingFunnel(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		w := newMeetWorld(t, db, 2)
		s := w.s
		pA := w.producer(t, producerOpts{stars: 3})                 // Đắk Lắk (66)
		pB := w.producer(t, producerOpts{stars: 3, province: "01"}) // Hà Nội
		w.exhibitor(t, pA, 0)
		w.exhibitor(t, pB, 1)
		coffee := w.listing(t, pA, "Cà phê Robusta", "food", "coffee_cocoa")
		tea := w.listing(t, pB, "Chè Shan tuyết", "food", "tea")
		spirits := w.listing(t, pB, "Rượu ngô men lá", "beverage", "spirits")
		w.programme(t, map[string]any{"daily_cap": 5})

		r1, r2, r3, r4 := w.buyer(t), w.buyer(t), w.buyer(t), w.buyer(t)
		w.register(t, r1, []string{"coffee_cocoa"}, []string{"66"})
		w.register(t, r2, []string{"beverage"}, []string{"01"})
		w.register(t, r3, []string{"food", "beverage"}, []string{})
		w.register(t, r4, []string{}, []string{})

		req := func(b buyerActor, p testProducer, slot int, listings ...string) string {
			return w.request(t, b.Token, map[string]any{"producer_id": p.ID, "slot_start": w.slot(slot, 30), "listing_ids": append([]string{}, listings...)}).
				Expect(t, http.StatusCreated).Map(t)["id"].(string)
		}
		m1 := req(r1, pA, 0, coffee)       // accepted, held, inquiry, quoted, won
		m2 := req(r2, pB, 0, spirits)      // accepted, held, inquiry
		m3 := req(r3, pA, 1, coffee)       // accepted, no-show
		m4 := req(r3, pB, 2, tea, spirits) // declined
		req(r1, pB, 1)                     // still pending
		for _, a := range []struct {
			id    string
			p     testProducer
			steps string
		}{{m1, pA, "accept"}, {m2, pB, "accept"}, {m3, pA, "accept"}, {m4, pB, "decline"}} {
			s.Post(t, "/api/v1/meetings/"+a.id+"/"+a.steps, a.p.Token, nil).Expect(t, http.StatusOK)
		}
		// The fair day comes.
		s.Clock().Advance(w.slotTime(t, w.slot(2, 30)).Sub(s.Clock().Now()) + time.Minute)
		w.relogin(t, []*testProducer{&pA, &pB}, []*buyerActor{&r1, &r2, &r3})
		s.Post(t, "/api/v1/meetings/"+m1+"/held", pA.Token, nil).Expect(t, http.StatusOK)
		s.Post(t, "/api/v1/meetings/"+m2+"/held", pB.Token, nil).Expect(t, http.StatusOK)
		s.Post(t, "/api/v1/meetings/"+m3+"/no-show", pA.Token, nil).Expect(t, http.StatusOK)
		neededBy := s.Clock().Now().AddDate(0, 1, 0).Format("2006-01-02")
		inquiry := func(b buyerActor, id string) string {
			m := s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/meetings/" + id + "/inquiry", Token: b.Token,
				Body:   map[string]any{"quantity": 100, "unit": "kg", "delivery_province_code": "79", "needed_by": neededBy},
				Header: map[string]string{"Idempotency-Key": uuid.NewString()}}).Expect(t, http.StatusCreated).Map(t)
			return m["inquiry_id"].(string)
		}
		i1 := inquiry(r1, m1)
		inquiry(r2, m2)
		s.Post(t, "/api/v1/inquiries/"+i1+"/quote", pA.Token, map[string]any{"unit_price_vnd": 190000, "quantity": 100, "unit": "kg",
			"delivery_terms": "EXW", "valid_until": s.Clock().Now().AddDate(0, 0, 14).Format("2006-01-02")}).Expect(t, http.StatusCreated)
		s.Post(t, "/api/v1/inquiries/"+i1+"/close", r1.Token, map[string]any{"outcome": "won"}).Expect(t, http.StatusOK)

		// By hand:
		//   registrations r1 r2 r3 r4                        = 4
		//   requests m1..m5 = 5; accepted m1 m2 m3 = 3; held m1 m2 = 2
		//   inquiries m1 m2 = 2; quotes m1 = 1; won m1 = 1
		//   food (r1 via coffee_cocoa, r3; m1 m3 m4):      2 3 2 1 1 1 1
		//   beverage (r2, r3; m2 m4):                        2 2 1 1 1 0 0
		//   66 (r1; pA's m1 m3):                             1 2 2 1 1 1 1
		//   01 (r2; pB's m2 m4 m5):                          1 3 1 1 1 0 0
		//   food in 66 (r1; m1 m3):                          1 2 2 1 1 1 1
		var f funnelDTO
		s.Get(t, "/api/v1/events/"+w.event+"/funnel", w.orgToken).Expect(t, http.StatusOK).JSON(t, &f)
		want := funnelCounts{4, 5, 3, 2, 2, 1, 1}
		if f.Counts != want {
			t.Fatalf("funnel %+v, want %+v", f.Counts, want)
		}
		rows := map[string]funnelCounts{}
		for _, r := range f.ByGroup {
			rows["group "+r.Key] = r.Counts
		}
		for _, r := range f.ByProvince {
			rows["province "+r.Key] = r.Counts
		}
		for key, c := range map[string]funnelCounts{
			"group food": {2, 3, 2, 1, 1, 1, 1}, "group beverage": {2, 2, 1, 1, 1, 0, 0},
			"province 66": {1, 2, 2, 1, 1, 1, 1}, "province 01": {1, 3, 1, 1, 1, 0, 0},
		} {
			if rows[key] != c {
				t.Errorf("%s: %+v, want %+v", key, rows[key], c)
			}
		}
		if len(rows) != 4 {
			t.Errorf("rows: %v", rows)
		}
		s.Get(t, "/api/v1/events/"+w.event+"/funnel?group=food&province_code=66", w.orgToken).Expect(t, http.StatusOK).JSON(t, &f)
		if want := (funnelCounts{1, 2, 2, 1, 1, 1, 1}); f.Counts != want {
			t.Fatalf("food in 66: %+v, want %+v", f.Counts, want)
		}
		s.Get(t, "/api/v1/events/"+w.event+"/funnel", r1.Token).Expect(t, http.StatusForbidden)
		s.Get(t, "/api/v1/events/"+w.event+"/funnel?group=spaceships", w.orgToken).Expect(t, http.StatusBadRequest)

		// The chart: well-formed SVG whose bars carry the same figures...
		r := s.Get(t, "/api/v1/events/"+w.event+"/funnel.svg", w.orgToken).Expect(t, http.StatusOK)
		bars := svgBars(t, r.Body)
		wantBars := map[string]int{"registrations": 4, "requests": 5, "accepted": 3, "held": 2, "inquiries": 2, "quotes": 1, "won": 1}
		for stage, n := range wantBars {
			if bars[stage] != n {
				t.Errorf("bar %s = %d, want %d", stage, bars[stage], n)
			}
		}
		// ...and rendered by a browser, each stage's colour covering an
		// area proportional to its count.
		if db.DatabaseURL != "" {
			return // one rendering is enough
		}
		counts := screenshotColours(t, r.Body, map[string]color.RGBA{
			"registrations": {0x15, 0x65, 0xc0, 0xff}, "requests": {0x6a, 0x1b, 0x9a, 0xff}, "accepted": {0x00, 0x89, 0x7b, 0xff},
			"held": {0x7c, 0xb3, 0x42, 0xff}, "inquiries": {0xf9, 0xa8, 0x25, 0xff}, "quotes": {0xef, 0x6c, 0x00, 0xff}, "won": {0xc6, 0x28, 0x28, 0xff},
		})
		perUnit := float64(counts["requests"]) / 5
		if perUnit < 100 {
			t.Fatalf("the requests bar covers only %d pixels: %v", counts["requests"], counts)
		}
		for stage, n := range wantBars {
			got := float64(counts[stage]) / perUnit
			if math.Abs(got-float64(n)) > 0.15*float64(n) {
				t.Errorf("stage %s: %d pixels = %.2f units, want %d (%v)", stage, counts[stage], got, n, counts)
			}
		}
	})
}

// svgBars parses the chart and returns each stage bar's data-count.
func svgBars(t *testing.T, body []byte) map[string]int {
	t.Helper()
	out := map[string]int{}
	dec := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v\n%s", err, body)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "rect" {
			continue
		}
		var id, count string
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "id":
				id = a.Value
			case "data-count":
				count = a.Value
			}
		}
		if len(id) > 6 && id[:6] == "stage-" {
			var n int
			for _, c := range count {
				n = n*10 + int(c-'0')
			}
			out[id[6:]] = n
		}
	}
	return out
}

// screenshotColours renders an SVG in headless Chromium and counts the
// pixels of each named colour.
func screenshotColours(t *testing.T, svg []byte, named map[string]color.RGBA) map[string]int {
	t.Helper()
	img := screenshotSVG(t, svg, 1000, 500, "OCOP_TEST_KEEP_FUNNEL")
	counts := colourCounts(img, named)
	t.Logf("screenshot %v: %v", img.Bounds().Size(), counts)
	return counts
}
