package httpapi_test

import (
	"context"
	"image/color"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/demo"
	"github.com/ocopconnect/ocopconnect/internal/imports"
	"github.com/ocopconnect/ocopconnect/internal/testsupport"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

func seedDemo(t *testing.T, s *testsupport.Server) *demo.Result {
	t.Helper()
	st := s.Store
	res, err := demo.Seed(context.Background(), demo.Deps{
		Accounts: s.Accounts, Users: st.Users(), Imports: s.Imports, Members: st.Producers(),
		Listings: s.Listings, Events: s.Events, Now: s.Clock().Now,
	}, "demo-password-1")
	if err != nil {
		t.Fatal(err)
	}
	return res
}

type provinceStats struct {
	ProvinceCode      *string `json:"province_code"`
	CertifiedProducts struct {
		Total   int            `json:"total"`
		ByStars map[string]int `json:"by_stars"`
		ByGroup map[string]int `json:"by_group"`
	} `json:"certified_products"`
	Producers struct {
		Total  int            `json:"total"`
		ByKind map[string]int `json:"by_kind"`
	} `json:"producers"`
	Coverage struct {
		Covered int     `json:"communes_with_certified_product"`
		Total   int     `json:"communes_total"`
		Ratio   float64 `json:"ratio"`
	} `json:"coverage"`
	Expiring  int  `json:"certificates_expiring_90_days"`
	Published int  `json:"published_listings"`
	Inquiries *int `json:"inquiries_last_30_days"`
	Bookings  int  `json:"bookings_last_30_days"`
}

// TestDemoSeedAndCoverage seeds the demo on 15 January 2026 and checks the
// figures against values counted by hand from the sample catalogue: a
// certificate is in force for 36 months from its decision date.
func TestDemoSeedAndCoverage(t *testing.T) {
	testsupport.ForEachDatabase(t, func(t *testing.T, db testsupport.DB) {
		s := testsupport.NewServer(t, db)
		day := time.Date(2026, 1, 15, 3, 0, 0, 0, time.UTC) // 10:00 in Vietnam
		s.Clock().Advance(day.Sub(s.Clock().Now()))
		res := seedDemo(t, s)
		if res.ListingsPublished != 102 || res.PhotosAdded != 102 || res.Booths != 16 || res.Bookings != 3 || len(res.Accounts) != 4 {
			t.Fatalf("seed: %+v", res)
		}
		// Demo accounts log in with the printed password.
		for _, a := range res.Accounts {
			s.Post(t, "/api/v1/auth/login", "", map[string]string{"email": a.Email, "password": a.Password}).Expect(t, http.StatusOK)
		}
		var one struct {
			AsOf     string        `json:"as_of"`
			Province provinceStats `json:"province"`
		}
		s.Get(t, "/api/v1/stats/provinces/66", "").Expect(t, http.StatusOK).JSON(t, &one)
		p := one.Province
		// Đắk Lắk: 15 products, 10 of them decided on or after 15 Jan 2023 (6 of 3 stars,
		// 4 of 4), in 10 different communes of 102; none expires before 15 April.
		if one.AsOf != "2026-01-15" || p.CertifiedProducts.Total != 10 || p.CertifiedProducts.ByStars["3"] != 6 || p.CertifiedProducts.ByStars["4"] != 4 ||
			p.CertifiedProducts.ByStars["5"] != 0 || p.CertifiedProducts.ByGroup["food"] != 9 || p.CertifiedProducts.ByGroup["beverage"] != 1 {
			t.Errorf("Đắk Lắk certified: %+v", p.CertifiedProducts)
		}
		if p.Coverage.Covered != 10 || p.Coverage.Total != 102 || p.Coverage.Ratio < 0.098 || p.Coverage.Ratio > 0.0981 {
			t.Errorf("Đắk Lắk coverage: %+v", p.Coverage)
		}
		if p.Producers.Total != 15 || p.Producers.ByKind["cooperative"] != 7 || p.Producers.ByKind["enterprise"] != 6 || p.Producers.ByKind["household_business"] != 2 {
			t.Errorf("Đắk Lắk producers: %+v", p.Producers)
		}
		if p.Expiring != 0 || p.Published != 15 || p.Bookings != 3 {
			t.Errorf("Đắk Lắk: expiring %d, published %d, bookings %d", p.Expiring, p.Published, p.Bookings)
		}
		// Hà Nội: 8 products, 7 in force in 7 communes of 126, one (decided
		// 2023-03-10) expiring on 2026-03-10, within 90 days.
		s.Get(t, "/api/v1/stats/provinces/01", "").Expect(t, http.StatusOK).JSON(t, &one)
		p = one.Province
		if p.CertifiedProducts.Total != 7 || p.CertifiedProducts.ByStars["3"] != 4 || p.CertifiedProducts.ByStars["4"] != 3 ||
			p.CertifiedProducts.ByGroup["handicraft"] != 3 || p.Coverage.Covered != 7 || p.Coverage.Total != 126 || p.Expiring != 1 || p.Bookings != 0 {
			t.Errorf("Hà Nội: %+v", p)
		}
		var all struct {
			Provinces []provinceStats `json:"provinces"`
			National  provinceStats   `json:"national"`
		}
		s.Get(t, "/api/v1/stats/provinces", "").Expect(t, http.StatusOK).JSON(t, &all)
		n := all.National
		if len(all.Provinces) != 34 || n.ProvinceCode != nil || n.CertifiedProducts.Total != 62 || n.Coverage.Covered != 62 || n.Coverage.Total != 3321 ||
			n.Producers.Total != 102 || n.Published != 102 || n.Bookings != 3 {
			t.Errorf("national: %d provinces, %+v", len(all.Provinces), n)
		}
		s.Get(t, "/api/v1/stats/provinces/99", "").Expect(t, http.StatusNotFound)

		// A second seed adds nothing.
		again := seedDemo(t, s)
		if again.Import.UnchangedRows != 102 || again.PhotosAdded != 0 || again.Booths != 0 || again.Bookings != 0 || again.EventID != res.EventID {
			t.Errorf("second seed: %+v", again)
		}
	})
}

// TestStatsChartsRenderInChromium has headless Chromium take screenshots of
// the province chart and the overview and checks they show the bars.
func TestStatsChartsRenderInChromium(t *testing.T) {
	chromium(t) // skip before importing when there is none
	db := testdb.DatabaseBackends(t)[0].New(t)
	s := testsupport.NewServer(t, db)
	s.Clock().Advance(time.Date(2026, 1, 15, 3, 0, 0, 0, time.UTC).Sub(s.Clock().Now()))
	// The catalogue is enough for the charts (the photos of the full demo are not).
	if _, err := s.Imports.Run(context.Background(), demo.Catalogue, imports.Options{Verify: true}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path, name string
		height     int
		colours    []string
	}{
		{"/api/v1/stats/provinces/66/chart.svg", "province", 640, []string{"3 stars", "4 stars", "coverage"}},
		{"/api/v1/stats/overview.svg", "overview", 900, []string{"3 stars", "4 stars"}},
	} {
		r := s.Get(t, c.path, "").Expect(t, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "image/svg+xml") {
			t.Fatalf("%s: Content-Type %q", c.path, ct)
		}
		img := screenshotSVG(t, r.Body, 960, c.height, "")
		counts := colourCounts(img, map[string]color.RGBA{
			"3 stars": {0xf7, 0xc9, 0x48, 0xff}, "4 stars": {0xf0, 0x8c, 0x00, 0xff}, "coverage": {0x2f, 0x9e, 0x44, 0xff},
		})
		b := img.Bounds()
		t.Logf("%s: %dx%d %v", c.name, b.Dx(), b.Dy(), counts)
		if counts["non-white"] < b.Dx()*b.Dy()/20 {
			t.Errorf("%s: the screenshot is (nearly) blank: %d non-white pixels", c.name, counts["non-white"])
		}
		for _, k := range c.colours {
			if counts[k] < 300 {
				t.Errorf("%s: the %s colour covers only %d pixels", c.name, k, counts[k])
			}
		}
	}
}
