package places

import (
	"slices"
	"strings"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// LegacyQuery names a commune as it was before 1 July 2025: by its old
// 5-digit code, or by names (commune required; district and province narrow
// the search). Names may be written with or without diacritics and with or
// without the unit word ("Xã", "Huyện", "Thành phố", ...).
type LegacyQuery struct {
	Code     string
	Province string
	District string
	Commune  string
}

// ParseLegacyAddress reads an address written the old way, most specific
// part first and separated by commas ("Xã Ea Tu, Thành phố Buôn Ma Thuột,
// Tỉnh Đắk Lắk"). The last three parts are commune, district and province;
// anything before them (a street, a village) is ignored. With two parts they
// are commune and province; one part is a commune.
func ParseLegacyAddress(s string) LegacyQuery {
	var parts []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	switch n := len(parts); {
	case n == 0:
		return LegacyQuery{}
	case n == 1:
		return LegacyQuery{Commune: parts[0]}
	case n == 2:
		return LegacyQuery{Commune: parts[0], Province: parts[1]}
	default:
		return LegacyQuery{Commune: parts[n-3], District: parts[n-2], Province: parts[n-1]}
	}
}

// keys returns the folded forms a name may match: without its unit word and,
// for names that really start with such a word ("Xã Xa Loan" written "xa
// loan"), as written.
func keys(name string) []string {
	full := Fold(name)
	k := stripUnitPrefix(full)
	if k == full {
		return []string{k}
	}
	return []string{k, full}
}

func matchesAny(have string, want []string) bool { return slices.Contains(want, have) }

// ResolveLegacy finds the new commune(s) an old commune became. An old
// commune split between several new ones ("Nhập một phần") and a name that
// is not unique without its district both give several matches; the caller
// decides (ResolveLegacyCommune insists on one). No match is not_found.
func ResolveLegacy(q LegacyQuery) ([]LegacyMatch, error) {
	d := get()
	q.Code = strings.TrimSpace(q.Code)
	if q.Code == "" && strings.TrimSpace(q.Commune) == "" {
		return nil, ocop.FieldInvalid("commune", "give the old commune code or the old commune name")
	}
	var cand []int
	if q.Code != "" {
		if len(q.Code) != 5 || !isDigits(q.Code) {
			return nil, ocop.FieldInvalid("code", "must be a 5-digit commune code")
		}
		cand = d.legacyByCode[q.Code]
	} else {
		for _, k := range keys(q.Commune) {
			cand = append(cand, d.legacyByName[k]...)
		}
		slices.Sort(cand)
		cand = slices.Compact(cand)
	}
	var provKeys, distKeys, communeKeys []string
	if strings.TrimSpace(q.Province) != "" {
		provKeys = keys(q.Province)
	}
	if strings.TrimSpace(q.District) != "" {
		distKeys = keys(q.District)
	}
	if q.Code != "" && strings.TrimSpace(q.Commune) != "" {
		communeKeys = keys(q.Commune)
	}
	var out []LegacyMatch
	for _, i := range cand {
		r := d.legacy[i]
		if provKeys != nil && !matchesAny(r.provKey, provKeys) {
			continue
		}
		if distKeys != nil && !matchesAny(r.distKey, distKeys) {
			continue
		}
		if communeKeys != nil && !matchesAny(r.communeKey, communeKeys) {
			continue
		}
		out = append(out, LegacyMatch{Old: r.LegacyUnit, New: d.communes[d.communeByCode[r.newCode]], Note: r.note})
	}
	if len(out) == 0 {
		return nil, ocop.NotFound("pre-2025 commune")
	}
	return out, nil
}

// NewCommunes lists the distinct new communes of matches, in order.
func NewCommunes(ms []LegacyMatch) []Commune {
	var out []Commune
	for _, m := range ms {
		if !slices.ContainsFunc(out, func(c Commune) bool { return c.Code == m.New.Code }) {
			out = append(out, m.New)
		}
	}
	return out
}

// ResolveLegacyCommune is ResolveLegacy for callers that need exactly one
// answer (imports): several candidate communes are a validation error
// listing them, so a person can pick.
func ResolveLegacyCommune(q LegacyQuery) (Commune, error) {
	ms, err := ResolveLegacy(q)
	if err != nil {
		return Commune{}, err
	}
	cs := NewCommunes(ms)
	if len(cs) == 1 {
		return cs[0], nil
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name + " (" + c.Code + ")"
	}
	return Commune{}, ocop.FieldInvalid("commune", "matches %d current communes (%s); name the district and province, or choose one",
		len(cs), strings.Join(names, ", "))
}

// LegacyUnits lists every row of the old->new conversion table: each
// pre-2025 commune with the new commune it became (all or part of). Tests
// and tools generate old-style addresses from it.
func LegacyUnits() []LegacyMatch {
	d := get()
	out := make([]LegacyMatch, len(d.legacy))
	for i, r := range d.legacy {
		out[i] = LegacyMatch{Old: r.LegacyUnit, New: d.communes[d.communeByCode[r.newCode]], Note: r.note}
	}
	return out
}
