package bleve

import (
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"

	"github.com/ocopconnect/ocopconnect/internal/search/vntext"
)

// The analyzers use vntext's word rules and folding, the very functions the
// query side applies to the search text, so the two can never disagree
// (Bleve's own unicode tokenizer keeps "M'Đrắk" as one word, vntext splits
// it, for instance).
const (
	analyzerFolded = "ocop_vn_folded" // "Đắk Lắk" -> [dak lak]
	analyzerExact  = "ocop_vn_exact"  // "Đắk Lắk" -> [đắk lắk] (NFC, lower-case)
)

func init() {
	for name, fn := range map[string]func(string) string{analyzerFolded: vntext.Fold, analyzerExact: vntext.Exact} {
		a := vnAnalyzer{normalize: fn}
		if err := registry.RegisterAnalyzer(name, func(map[string]interface{}, *registry.Cache) (analysis.Analyzer, error) {
			return a, nil
		}); err != nil {
			panic(err)
		}
	}
}

type vnAnalyzer struct{ normalize func(string) string }

// Analyze normalises the whole field once (one Unicode transform per field
// rather than per word: it is most of the indexing cost), then splits it.
// Offsets refer to the normalised text; nothing reads them (highlighting
// works on the stored original).
func (a vnAnalyzer) Analyze(input []byte) analysis.TokenStream {
	text := a.normalize(string(input))
	var out analysis.TokenStream
	start, pos := -1, 0
	emit := func(end int) {
		pos++
		out = append(out, &analysis.Token{
			Term: []byte(text[start:end]), Start: start, End: end,
			Position: pos, Type: analysis.AlphaNumeric,
		})
		start = -1
	}
	for i, r := range text {
		if vntext.IsWordRune(r) {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			emit(i)
		}
	}
	if start >= 0 {
		emit(len(text))
	}
	return out
}
