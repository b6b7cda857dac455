package places

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Fold reduces a Vietnamese name to a comparison key: lower case, no
// diacritics (đ/Đ, which Unicode does not decompose, becomes d), apostrophes
// dropped ("Cư M'gar" = "Cu Mgar"), every other non-alphanumeric run a single
// space, and leading zeros of numbers removed ("Phường 01" = "Phường 1").
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ' || r == 'Đ':
			r = 'd'
		case r == '\'' || r == '’' || r == '‘' || r == 'ʼ':
			continue
		}
		r = unicode.ToLower(r)
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return trimLeadingZeros(b.String())
}

// trimLeadingZeros rewrites "phuong 01" as "phuong 1" (but keeps "0").
func trimLeadingZeros(s string) string {
	if !strings.ContainsRune(s, '0') {
		return s
	}
	fields := strings.Fields(s)
	for i, f := range fields {
		if len(f) > 1 && f[0] == '0' && isDigits(f) {
			f = strings.TrimLeft(f, "0")
			if f == "" {
				f = "0"
			}
			fields[i] = f
		}
	}
	return strings.Join(fields, " ")
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// unitPrefixes are the folded words that say what kind of unit a name is,
// longest first so that "thi xa" wins over "xa". Users write them or leave
// them out; matching ignores them.
var unitPrefixes = []string{
	"thanh pho", "thi tran", "thi xa", "dac khu", "phuong", "huyen", "quan", "tinh", "xa", "tp", "tt", "tx",
}

// stripUnitPrefix removes one leading unit word from a folded name. A name
// that is nothing but the prefix (or a number after "quan"/"phuong") keeps
// what remains, e.g. "quan 1" -> "1".
func stripUnitPrefix(folded string) string {
	for _, p := range unitPrefixes {
		if rest, ok := strings.CutPrefix(folded, p+" "); ok && rest != "" {
			return rest
		}
	}
	return folded
}

// NameKey is the key names are matched by: folded, without the unit word.
func NameKey(s string) string { return stripUnitPrefix(Fold(s)) }
