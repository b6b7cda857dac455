package places

import (
	"testing"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

func TestReferenceData(t *testing.T) {
	ps := Provinces()
	if len(ps) != 34 {
		t.Fatalf("%d provinces, want 34", len(ps))
	}
	n := 0
	for _, p := range ps {
		cs := Communes(p.Code)
		if len(cs) == 0 {
			t.Fatalf("province %s has no communes", p.Code)
		}
		for _, c := range cs {
			if c.ProvinceCode != p.Code {
				t.Fatalf("commune %s listed under %s but belongs to %s", c.Code, p.Code, c.ProvinceCode)
			}
			if k := Fold(c.Name); k == "" || stripUnitPrefix(k) == k {
				t.Errorf("commune %s %q has no unit word", c.Code, c.Name)
			}
		}
		n += len(cs)
	}
	if n != 3321 {
		t.Fatalf("%d communes, want 3321", n)
	}
	if p, ok := LookupProvince("66"); !ok || p.Name != "Tỉnh Đắk Lắk" {
		t.Fatalf("province 66 = %+v %v", p, ok)
	}
	// Xã Ea Tu was merged into the new Phường Tân An, which kept its code.
	if c, ok := LookupCommune("24163"); !ok || c.Name != "Phường Tân An" || c.ProvinceCode != "66" {
		t.Fatalf("commune 24163 = %+v %v", c, ok)
	}
	if _, ok := LookupProvince("02"); ok {
		t.Fatal("pre-2025 province 02 (Hà Giang) must not be current")
	}
	if Communes("99") != nil {
		t.Fatal("communes of an unknown province")
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Tỉnh Đắk Lắk":                 "tinh dak lak",
		"  ĐẮK   LẮK ":                 "dak lak",
		"Huyện Cư M'gar":               "huyen cu mgar",
		"Phường 01":                    "phuong 1",
		"Thành phố Hồ Chí Minh":        "thanh pho ho chi minh",
		"Bà Rịa - Vũng Tàu":            "ba ria vung tau",
		"Quận 10":                      "quan 10",
		"Xa\u0303 Hoa\u0300 Tri\u0301": "xa hoa tri",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"Xã Ea Tu": "ea tu", "xa ea tu": "ea tu", "Thị xã Buôn Hồ": "buon ho", "Quận 1": "1", "Xã": "xa", "TP. Huế": "hue",
	} {
		if got := NameKey(in); got != want {
			t.Errorf("NameKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidatePair(t *testing.T) {
	cases := []struct {
		name, prov, commune string
		fields              []string
	}{
		{"ok", "66", "24163", nil},
		{"commune not in province", "01", "24163", []string{"commune_code"}},
		{"unknown province", "02", "24163", []string{"province_code"}},
		{"province not digits", "ab", "24163", []string{"province_code"}},
		{"unknown commune", "66", "99999", []string{"commune_code"}},
		{"short commune", "66", "2416", []string{"commune_code"}},
		{"both missing", "", "", []string{"province_code", "commune_code"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var v ocop.Validation
			Validate(&v, c.prov, c.commune)
			err := v.Err()
			if c.fields == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, f := range c.fields {
				if !v.Has(f) {
					t.Errorf("no error on %s: %v", f, err)
				}
			}
		})
	}
}

func TestResolveLegacy(t *testing.T) {
	cases := []struct {
		name string
		q    LegacyQuery
		want string // new commune code (24163 = Phường Tân An), "" = an error
		err  ocop.Code
	}{
		{"full address with diacritics", ParseLegacyAddress("Xã Ea Tu, Thành phố Buôn Ma Thuột, Tỉnh Đắk Lắk"), "24163", ""},
		{"address with a village in front", ParseLegacyAddress("Thôn 3, xa ea tu, tp buon ma thuot, dak lak"), "24163", ""},
		{"unaccented commune alone", ParseLegacyAddress("xa ea tu"), "24163", ""},
		{"old code", LegacyQuery{Code: "24163"}, "24163", ""},
		{"apostrophe dropped", LegacyQuery{Commune: "Ea Tul", District: "Cu Mgar", Province: "Dak Lak"}, "24277", ""},
		{"wrong district", LegacyQuery{Commune: "Ea Tu", District: "Krông Pắc", Province: "Đắk Lắk"}, "", ocop.CodeNotFound},
		{"unknown", LegacyQuery{Commune: "Xã Không Có"}, "", ocop.CodeNotFound},
		{"empty", LegacyQuery{}, "", ocop.CodeValidation},
		{"bad code", LegacyQuery{Code: "12"}, "", ocop.CodeValidation},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ResolveLegacyCommune(c.q)
			if c.err != "" {
				if !ocop.IsCode(err, c.err) {
					t.Fatalf("err = %v, want %s", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Code != c.want {
				t.Fatalf("resolved to %+v, want %s", got, c.want)
			}
		})
	}
}

func TestResolveLegacyAmbiguous(t *testing.T) {
	// Many old communes shared a name across provinces: without the
	// province, the resolver must not guess.
	_, err := ResolveLegacyCommune(LegacyQuery{Commune: "Xã Tân Lập"})
	if !ocop.IsCode(err, ocop.CodeValidation) {
		t.Fatalf("err = %v, want validation_failed listing the candidates", err)
	}
	ms, err := ResolveLegacy(LegacyQuery{Commune: "Xã Tân Lập"})
	if err != nil || len(NewCommunes(ms)) < 2 {
		t.Fatalf("matches = %d, err = %v", len(ms), err)
	}
}

func TestFindCurrent(t *testing.T) {
	if p, ok := FindProvince("dak lak"); !ok || p.Code != "66" {
		t.Fatalf("FindProvince = %+v %v", p, ok)
	}
	if c, ok := FindCommune("66", "phuong tan an"); !ok || c.Code != "24163" {
		t.Fatalf("FindCommune = %+v %v", c, ok)
	}
	if c, ok := FindCommune("56", "Xã Hòa Trí"); !ok || c.Code != "22558" {
		t.Fatalf("FindCommune on an NFD-encoded source row = %+v %v", c, ok)
	}
}
