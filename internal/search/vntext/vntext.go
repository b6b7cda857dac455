// Package vntext is the Vietnamese text handling both search backends share,
// so that they agree on what matches: Unicode normalisation (text arriving
// in NFD matches text stored in NFC), diacritic folding including đ/Đ -> d
// (đ has no decomposition, so NFD alone leaves it), tokenising, the typo
// budget (1 edit from 5 characters, 2 from 9, as Meilisearch), highlighting
// and type-ahead completions.
package vntext

import (
	"html"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// folder strips combining marks after canonical decomposition and maps the
// two letters Unicode does not decompose (đ, Đ). A transform.Transformer is
// stateful, so each use takes one from the pool.
var folderPool = sync.Pool{New: func() any {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), runes.Map(func(r rune) rune {
		switch r {
		case 'đ':
			return 'd'
		case 'Đ':
			return 'D'
		}
		return r
	}), norm.NFC)
}}

// Fold returns s lower-cased without diacritics: "Đắk Lắk" -> "dak lak".
func Fold(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	if out, ok := foldLatin(s); ok {
		return out
	}
	return foldSlow(s)
}

// foldTable maps each precomposed Latin letter (U+0080-U+02FF, and the
// Vietnamese block U+1E00-U+1EFF) to what foldSlow makes of it, when that
// is one letter. Indexing and queries fold every text: the Unicode
// transform costs ten times more than this lookup, and the table is built
// from the transform itself, so the two cannot disagree.
var foldTable = func() map[rune]rune {
	t := map[rune]rune{}
	for _, block := range [][2]rune{{0x80, 0x2FF}, {0x1E00, 0x1EFF}} {
		for r := block[0]; r <= block[1]; r++ {
			f := []rune(foldSlow(string(r)))
			if len(f) == 1 && f[0] < 0x300 {
				t[r] = f[0]
			}
		}
	}
	return t
}()

// foldLatin folds NFC Latin text by table; ok is false when s holds
// anything else (combining marks of NFD text, other scripts).
func foldLatin(s string) (string, bool) {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
			continue
		}
		f, ok := foldTable[r]
		if !ok {
			return "", false
		}
		b.WriteRune(f)
	}
	return b.String(), true
}

func foldSlow(s string) string {
	t := folderPool.Get().(transform.Transformer)
	out, _, err := transform.String(t, s)
	t.Reset()
	folderPool.Put(t)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

// Exact returns s lower-cased in NFC, marks kept: the form that tells "chè"
// from "che" whichever normal form the text arrived in.
func Exact(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	return strings.ToLower(norm.NFC.String(s))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// IsWordRune: letters, digits and combining marks (which belong to the
// letter before them in NFD text) make words; everything else separates.
func IsWordRune(r rune) bool { return isWordRune(r) }

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// Tokens splits already normalised text into words.
func Tokens(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !isWordRune(r) })
}

// FoldedTokens is Tokens(Fold(s)).
func FoldedTokens(s string) []string { return Tokens(Fold(s)) }

// ExactTokens is Tokens(Exact(s)).
func ExactTokens(s string) []string { return Tokens(Exact(s)) }

// HasMarks reports whether s carries diacritics (so exact matches should
// rank first).
func HasMarks(s string) bool { return !isASCII(s) && Fold(s) != Exact(s) }

// Typos is how many edits a query word of this length may differ by from an
// indexed word: 0 below 5 characters, 1 from 5, 2 from 9 (Meilisearch's
// defaults). Short Vietnamese syllables would otherwise match half the
// vocabulary.
func Typos(word string) int {
	n := utf8.RuneCountInString(word)
	switch {
	case n >= 9:
		return 2
	case n >= 5:
		return 1
	}
	return 0
}

// Distance is the Levenshtein distance between a and b, stopping early
// (returning max+1) once it must exceed max.
func Distance(a, b string, max int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > max || -d > max {
		return max + 1
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			best = min(best, cur[j])
		}
		if best > max {
			return max + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// WordMatches reports whether an indexed (folded) word matches a folded
// query word: equal, within the typo budget, or, for the last word of the
// query, starting with it.
func WordMatches(queryWord, word string, last bool) bool {
	if queryWord == word {
		return true
	}
	if last && strings.HasPrefix(word, queryWord) {
		return true
	}
	if t := Typos(queryWord); t > 0 && Distance(queryWord, word, t) <= t {
		return true
	}
	return false
}

// Query is a parsed search text.
type Query struct {
	Folded []string // folded words, the last one matched as a prefix
	Exact  []string // the same words with their marks, NFC lower-case
	Marks  bool     // the text carried diacritics
}

// ParseQuery splits a search text into words. Text ending in a separator
// ("ca phe ") has no prefix word, as in Meilisearch.
func ParseQuery(s string) Query {
	q := Query{Folded: FoldedTokens(s), Exact: ExactTokens(s)}
	q.Marks = HasMarks(s)
	return q
}

// PrefixLast reports whether the last word is still being typed.
func (q Query) PrefixLast(raw string) bool {
	if raw == "" {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(raw)
	return isWordRune(r)
}

// MatchesAll reports whether every query word matches some word of text
// (the last as a prefix when prefixLast).
func (q Query) MatchesAll(text string, prefixLast bool) bool {
	words := FoldedTokens(text)
	for i, qw := range q.Folded {
		last := prefixLast && i == len(q.Folded)-1
		found := false
		for _, w := range words {
			if WordMatches(qw, w, last) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return len(q.Folded) > 0
}

// ExactScore counts the query words that occur with their exact marks in
// text; a reranking key that puts "chè" before "che" for the query "chè".
func (q Query) ExactScore(text string) int {
	if !q.Marks {
		return 0
	}
	words := map[string]bool{}
	for _, w := range ExactTokens(text) {
		words[w] = true
	}
	n := 0
	for _, w := range q.Exact {
		if words[w] {
			n++
		}
	}
	return n
}

// Highlight returns text HTML-escaped with every word matching the query
// wrapped in <mark></mark>. When maxWords > 0 and the text is longer, it is
// cropped to a window of maxWords words starting a little before the first
// match, with "…" where text was cut. It returns "" when nothing matches.
func (q Query) Highlight(text string, prefixLast bool, maxWords int) string {
	if len(q.Folded) == 0 || text == "" {
		return ""
	}
	text = norm.NFC.String(text)
	type span struct {
		start, end int
		hit        bool
	}
	var words []span
	start := -1
	for i, r := range text {
		if isWordRune(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			words = append(words, span{start: start, end: i})
			start = -1
		}
	}
	if start >= 0 {
		words = append(words, span{start: start, end: len(text)})
	}
	first := -1
	for k := range words {
		w := Fold(text[words[k].start:words[k].end])
		for i, qw := range q.Folded {
			if WordMatches(qw, w, prefixLast && i == len(q.Folded)-1) {
				words[k].hit = true
				break
			}
		}
		if words[k].hit && first < 0 {
			first = k
		}
	}
	if first < 0 {
		return ""
	}
	from, to := 0, len(words)
	if maxWords > 0 && len(words) > maxWords {
		from = max(0, first-3)
		to = min(len(words), from+maxWords)
	}
	var b strings.Builder
	pos := 0
	if from > 0 {
		b.WriteString("…")
		pos = words[from].start
	}
	for k := from; k < to; k++ {
		b.WriteString(html.EscapeString(text[pos:words[k].start]))
		word := html.EscapeString(text[words[k].start:words[k].end])
		if words[k].hit {
			b.WriteString("<mark>" + word + "</mark>")
		} else {
			b.WriteString(word)
		}
		pos = words[k].end
	}
	if to < len(words) {
		b.WriteString("…")
	} else {
		b.WriteString(html.EscapeString(text[pos:]))
	}
	return b.String()
}

// Completions picks up to limit distinct candidates (in the order given,
// which is the engine's ranking) that match every word of the typed prefix,
// the last one as a prefix. Candidates are compared folded, so "Cà phê" and
// "Ca phe" count once.
func Completions(prefix string, candidates []string, limit int) []string {
	q := ParseQuery(prefix)
	if len(q.Folded) == 0 {
		return nil
	}
	prefixLast := q.PrefixLast(prefix)
	seen := map[string]bool{}
	out := []string{}
	for _, c := range candidates {
		if len(out) >= limit {
			break
		}
		c = strings.TrimSpace(norm.NFC.String(c))
		key := Fold(c)
		if c == "" || seen[key] || !q.MatchesAll(c, prefixLast) {
			continue
		}
		seen[key] = true
		out = append(out, c)
	}
	return out
}

// Highlights returns the title and description fragments of a hit: the
// Vietnamese text, or the English one when only it matches.
func (q Query) Highlights(titleVI, titleEN, descVI, descEN string, prefixLast bool) (title, desc string) {
	title = q.Highlight(titleVI, prefixLast, 0)
	if title == "" {
		title = q.Highlight(titleEN, prefixLast, 0)
	}
	desc = q.Highlight(descVI, prefixLast, 30)
	if desc == "" {
		desc = q.Highlight(descEN, prefixLast, 30)
	}
	return title, desc
}
