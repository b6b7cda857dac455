package searchtest

import (
	"reflect"
	"testing"
	"unicode/utf8"
)

func TestCatalogueIsDeterministicAndComplete(t *testing.T) {
	a, b := Catalogue(2000), Catalogue(2000)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs differ")
	}
	seen := map[string]bool{}
	provinces := map[string]bool{}
	for _, d := range a {
		if seen[d.ID] || d.TitleVI == "" || d.TitleEN == "" || d.ProducerName == "" || d.ProvinceCode == "" ||
			d.ProductGroup == "" || d.PriceMinVND <= 0 || d.PriceMaxVND < d.PriceMinVND || d.MOQ < 1 || !utf8.ValidString(d.ProducerName) ||
			(d.Stars > 0) != d.Certified {
			t.Fatalf("bad document %+v", d)
		}
		seen[d.ID] = true
		provinces[d.ProvinceCode] = true
	}
	if len(provinces) != 34 {
		t.Errorf("%d provinces, want all 34", len(provinces))
	}
	if len(BenchQueries()) < 15 {
		t.Error("query mix too small")
	}
}
