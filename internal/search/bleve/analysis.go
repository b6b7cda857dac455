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
	analyzerPairs  = "ocop_vn_pairs"  // "Cà phê bột" -> [ca phe, phe bot]
	// "Cà phê" -> [ca, ph, phe]: every word's prefixes from 2 to
	// maxPrefixRunes characters (the word itself included).
	analyzerPrefixes = "ocop_vn_prefixes"
)

// maxPrefixRunes is the longest indexed prefix; a longer last word is
// completed with a prefix query, which is cheap there (few words share a
// long beginning).
const maxPrefixRunes = 12

func init() {
	for name, a := range map[string]vnAnalyzer{
		analyzerFolded: {normalize: vntext.Fold}, analyzerExact: {normalize: vntext.Exact},
		analyzerPairs:    {normalize: vntext.Fold, pairs: true},
		analyzerPrefixes: {normalize: vntext.Fold, prefixes: true},
	} {
		if err := registry.RegisterAnalyzer(name, func(map[string]interface{}, *registry.Cache) (analysis.Analyzer, error) {
			return a, nil
		}); err != nil {
			panic(err)
		}
	}
}

// vnAnalyzer: with pairs, it emits each two adjacent words as one term
// ("ca phe"), so that a query's adjacent words can be ranked as a phrase
// with plain term lookups instead of a positional phrase search, which
// reads term vectors for every candidate and cost a third of query time.
//
// With prefixes, it emits the beginnings of each word instead, so that the
// last word of a query, still being typed, is one term lookup: a prefix
// query ORs every word that starts so ("ca" -> cac, cach, cai, cam, can,
// ...), and walking those dozens of long postings lists was most of the
// time of a query like "mac ca" at 100,000 listings.
type vnAnalyzer struct {
	normalize func(string) string
	pairs     bool
	prefixes  bool
}

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
	if a.pairs {
		return pairTokens(out)
	}
	if a.prefixes {
		return prefixTokens(out)
	}
	return out
}

func prefixTokens(words analysis.TokenStream) analysis.TokenStream {
	out := make(analysis.TokenStream, 0, 4*len(words))
	for _, w := range words {
		n := 0
		for i := range string(w.Term) {
			if n >= 2 {
				out = append(out, &analysis.Token{Term: w.Term[:i], Start: w.Start, End: w.Start + i, Position: w.Position, Type: analysis.AlphaNumeric})
			}
			if n++; n > maxPrefixRunes {
				break
			}
		}
		if n >= 2 && n <= maxPrefixRunes {
			out = append(out, w)
		}
	}
	return out
}

// Pair joins two words as the query side does (pairTerm).
func pairTokens(words analysis.TokenStream) analysis.TokenStream {
	if len(words) < 2 {
		return nil
	}
	out := make(analysis.TokenStream, 0, len(words)-1)
	for i := 1; i < len(words); i++ {
		a, b := words[i-1], words[i]
		out = append(out, &analysis.Token{
			Term: []byte(pairTerm(string(a.Term), string(b.Term))), Start: a.Start, End: b.End,
			Position: i, Type: analysis.AlphaNumeric,
		})
	}
	return out
}

// pairTerm is the term of two adjacent folded words.
func pairTerm(a, b string) string { return a + " " + b }
