package bleve

import (
	"slices"
	"testing"

	"github.com/ocopconnect/ocopconnect/internal/search/vntext"
)

func TestAnalyzers(t *testing.T) {
	terms := func(a vnAnalyzer, text string) []string {
		var out []string
		for _, tok := range a.Analyze([]byte(text)) {
			out = append(out, string(tok.Term))
		}
		return out
	}
	cases := []struct {
		a    vnAnalyzer
		text string
		want []string
	}{
		{vnAnalyzer{normalize: nil}, "", nil},
		{vnAnalyzer{pairs: true}, "Cà phê bột", []string{"ca phe", "phe bot"}},
		// Prefixes of 2..12 characters, the word itself when it is no longer;
		// a one-letter word gives none.
		{vnAnalyzer{prefixes: true}, "Cà phê ở Đắk", []string{"ca", "ph", "phe", "da", "dak"}},
		{vnAnalyzer{prefixes: true}, "macadamianuts", []string{"ma", "mac", "maca", "macad", "macada", "macadam", "macadami",
			"macadamia", "macadamian", "macadamianu", "macadamianut"}},
		{vnAnalyzer{prefixes: true}, "macadamianut", []string{"ma", "mac", "maca", "macad", "macada", "macadam", "macadami",
			"macadamia", "macadamian", "macadamianu", "macadamianut"}},
	}
	for _, c := range cases {
		a := c.a
		if a.normalize == nil {
			a.normalize = vntext.Fold
		}
		if got := terms(a, c.text); !slices.Equal(got, c.want) {
			t.Errorf("%+v %q: %q, want %q", c.a, c.text, got, c.want)
		}
	}
}
