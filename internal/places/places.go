// Package places is the reference data of Vietnam's administrative units: the
// 34 provinces and 3,321 communes in force since 1 July 2025 (official codes,
// embedded in the binary) and the old->new commune table that resolves
// pre-2025 addresses, which still name districts, to today's communes.
//
// The data is read once, on first use, and never changes while the process
// runs; every function is safe for concurrent use.
package places

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"golang.org/x/text/unicode/norm"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

//go:embed data/admin-units-2025.csv
var unitsCSV []byte

//go:embed data/admin-units-legacy-map.csv
var legacyCSV []byte

// Province is a province-level unit (tỉnh or thành phố trực thuộc trung ương).
type Province struct {
	Code string // two digits
	Name string // official name with its unit word, e.g. "Tỉnh Đắk Lắk"
}

// Commune is a commune-level unit (xã, phường or đặc khu).
type Commune struct {
	Code         string // five digits
	Name         string // e.g. "Xã Ea Tu"
	ProvinceCode string
}

// LegacyUnit is a commune as it was before 1 July 2025, with its district.
type LegacyUnit struct {
	ProvinceCode string
	ProvinceName string
	DistrictCode string
	DistrictName string
	CommuneCode  string
	CommuneName  string
}

// LegacyMatch is one new commune an old commune became (all or part of).
type LegacyMatch struct {
	Old  LegacyUnit
	New  Commune
	Note string // the official merge note, e.g. "Nhập toàn bộ"
}

type legacyRow struct {
	LegacyUnit
	newCode                      string
	note                         string
	provKey, distKey, communeKey string
}

type dataset struct {
	provinces      []Province
	provinceByCode map[string]int
	communes       []Commune // ordered by province, then code
	communeByCode  map[string]int
	byProvince     map[string][]int
	legacy         []legacyRow
	legacyByCode   map[string][]int
	legacyByName   map[string][]int // commune name key -> rows
}

var (
	loadOnce sync.Once
	data     *dataset
)

// nameFixes corrects known slips in the source table.
var nameFixes = map[string]string{"Xa Ea Kly": "Xã Ea Kly"}

func get() *dataset {
	loadOnce.Do(func() {
		d, err := load()
		if err != nil {
			// The files are embedded and checked by tests: failing here
			// means a broken build, not bad input.
			panic(fmt.Sprintf("places: embedded reference data: %v", err))
		}
		data = d
	})
	return data
}

func readCSV(b []byte, header []string, fn func(rec []string) error) error {
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = len(header)
	got, err := r.Read()
	if err != nil {
		return err
	}
	if !slices.Equal(got, header) {
		return fmt.Errorf("header %v, want %v", got, header)
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		for i := range rec {
			rec[i] = norm.NFC.String(strings.TrimSpace(rec[i]))
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

func load() (*dataset, error) {
	d := &dataset{
		provinceByCode: map[string]int{}, communeByCode: map[string]int{}, byProvince: map[string][]int{},
		legacyByCode: map[string][]int{}, legacyByName: map[string][]int{},
	}
	err := readCSV(unitsCSV, []string{"province_code", "province_name", "commune_code", "commune_name"}, func(rec []string) error {
		pc, pn, cc, cn := rec[0], rec[1], rec[2], rec[3]
		if fix, ok := nameFixes[cn]; ok {
			cn = fix
		}
		if len(pc) != 2 || !isDigits(pc) || len(cc) != 5 || !isDigits(cc) {
			return fmt.Errorf("bad codes %q/%q", pc, cc)
		}
		if _, ok := d.provinceByCode[pc]; !ok {
			d.provinceByCode[pc] = len(d.provinces)
			d.provinces = append(d.provinces, Province{Code: pc, Name: pn})
		}
		if _, dup := d.communeByCode[cc]; dup {
			return fmt.Errorf("commune %s listed twice", cc)
		}
		d.communeByCode[cc] = len(d.communes)
		d.byProvince[pc] = append(d.byProvince[pc], len(d.communes))
		d.communes = append(d.communes, Commune{Code: cc, Name: cn, ProvinceCode: pc})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("admin-units-2025.csv: %w", err)
	}
	slices.SortFunc(d.provinces, func(a, b Province) int { return strings.Compare(a.Code, b.Code) })
	for i, p := range d.provinces {
		d.provinceByCode[p.Code] = i
	}
	err = readCSV(legacyCSV, []string{"old_province_code", "old_province_name", "old_district_code", "old_district_name",
		"old_commune_code", "old_commune_name", "new_commune_code", "note"}, func(rec []string) error {
		row := legacyRow{
			LegacyUnit: LegacyUnit{ProvinceCode: rec[0], ProvinceName: rec[1], DistrictCode: rec[2], DistrictName: rec[3],
				CommuneCode: rec[4], CommuneName: rec[5]},
			newCode: rec[6], note: rec[7],
		}
		if _, ok := d.communeByCode[row.newCode]; !ok {
			return fmt.Errorf("old commune %s maps to unknown new commune %s", row.CommuneCode, row.newCode)
		}
		row.provKey, row.distKey, row.communeKey = NameKey(row.ProvinceName), NameKey(row.DistrictName), NameKey(row.CommuneName)
		i := len(d.legacy)
		d.legacy = append(d.legacy, row)
		d.legacyByCode[row.CommuneCode] = append(d.legacyByCode[row.CommuneCode], i)
		d.legacyByName[row.communeKey] = append(d.legacyByName[row.communeKey], i)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("admin-units-legacy-map.csv: %w", err)
	}
	return d, nil
}

// Provinces lists every province, ordered by code.
func Provinces() []Province { return slices.Clone(get().provinces) }

// LookupProvince returns the province with the code.
func LookupProvince(code string) (Province, bool) {
	d := get()
	i, ok := d.provinceByCode[code]
	if !ok {
		return Province{}, false
	}
	return d.provinces[i], true
}

// LookupCommune returns the commune with the code.
func LookupCommune(code string) (Commune, bool) {
	d := get()
	i, ok := d.communeByCode[code]
	if !ok {
		return Commune{}, false
	}
	return d.communes[i], true
}

// Communes lists the communes of a province ordered by code (nil for an
// unknown province).
func Communes(provinceCode string) []Commune {
	d := get()
	idx := d.byProvince[provinceCode]
	if idx == nil {
		return nil
	}
	out := make([]Commune, len(idx))
	for i, j := range idx {
		out[i] = d.communes[j]
	}
	return out
}

// ValidateProvince adds a field error unless code is a known province.
// An empty code is reported as required only when required is true.
func ValidateProvince(v *ocop.Validation, field, code string, required bool) bool {
	switch {
	case code == "":
		if required {
			v.Add(field, "is required (a 2-digit province code, see GET /api/v1/places/provinces)")
		}
		return false
	case len(code) != 2 || !isDigits(code):
		v.Add(field, "must be a 2-digit province code")
		return false
	}
	if _, ok := LookupProvince(code); !ok {
		v.Add(field, "is not a province code in force since 1 July 2025")
		return false
	}
	return true
}

// ValidatePair checks a province and commune code pair, adding field errors
// under the names given: both codes must exist and the commune must belong
// to the province. Both are required.
func ValidatePair(v *ocop.Validation, provinceField, provinceCode, communeField, communeCode string) {
	provOK := ValidateProvince(v, provinceField, provinceCode, true)
	switch {
	case communeCode == "":
		v.Add(communeField, "is required (a 5-digit commune code, see GET /api/v1/places/provinces/{code}/communes)")
		return
	case len(communeCode) != 5 || !isDigits(communeCode):
		v.Add(communeField, "must be a 5-digit commune code")
		return
	}
	c, ok := LookupCommune(communeCode)
	if !ok {
		v.Add(communeField, "is not a commune code in force since 1 July 2025")
		return
	}
	if provOK && c.ProvinceCode != provinceCode {
		p, _ := LookupProvince(provinceCode)
		v.Add(communeField, "%s (%s) is not in %s", c.Name, c.Code, p.Name)
	}
}

// Validate checks the usual "province_code"/"commune_code" pair.
func Validate(v *ocop.Validation, provinceCode, communeCode string) {
	ValidatePair(v, "province_code", provinceCode, "commune_code", communeCode)
}

// FindCommune finds a current commune of a province by name, with or
// without diacritics and the unit word ("Xã", "Phường", ...). It reports
// false when no commune or more than one matches.
func FindCommune(provinceCode, name string) (Commune, bool) {
	key := NameKey(name)
	full := Fold(name)
	var found []Commune
	for _, c := range Communes(provinceCode) {
		if k := NameKey(c.Name); k == key || k == full {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		return Commune{}, false
	}
	return found[0], true
}

// FindProvince finds a current province by name, with or without
// diacritics and the unit word.
func FindProvince(name string) (Province, bool) {
	key := NameKey(name)
	for _, p := range get().provinces {
		if NameKey(p.Name) == key {
			return p, true
		}
	}
	return Province{}, false
}
