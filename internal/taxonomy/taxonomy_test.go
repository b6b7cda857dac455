package taxonomy

import (
	"strings"
	"testing"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

func TestEmbeddedData(t *testing.T) {
	cur := Current()
	if cur.Code != "148/2023" {
		t.Fatalf("current version %s", cur.Code)
	}
	want := []string{"food", "beverage", "herbal", "handicraft", "ornamental", "tourism"}
	var got []string
	for _, g := range cur.Groups {
		got = append(got, g.Code)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("groups of 148/2023 = %v, want the six of the decision %v", got, want)
	}
	g, _ := cur.Group("food")
	if s, ok := g.Set("coffee_cocoa"); !ok || s.NameVI != "Cà phê, ca cao" {
		t.Fatalf("coffee set = %+v %v", s, ok)
	}
	if _, ok := LookupVersion("1048/2019"); !ok {
		t.Fatal("the 2019 version must stay for old certificates")
	}
	if vs := Versions(); len(vs) != 2 || !vs[0].Current {
		t.Fatalf("versions = %d, current first = %v", len(vs), vs[0].Current)
	}
	if CurrentGroup("1048/2019", "herbs") != "herbal" || CurrentGroup("148/2023", "food") != "food" || CurrentGroup("x", "food") != "" {
		t.Fatal("CurrentGroup mapping")
	}
}

func TestParseRejectsBadData(t *testing.T) {
	for name, doc := range map[string]string{
		"two current":      `{"versions":[{"code":"a","effective_from":"2020-01-01","current":true,"groups":[]},{"code":"b","effective_from":"2020-01-01","current":true,"groups":[]}]}`,
		"repeated set":     `{"versions":[{"code":"a","effective_from":"2020-01-01","current":true,"groups":[{"code":"g","name_vi":"x","name_en":"x","sets":[{"code":"s","name_vi":"x","name_en":"x"}]},{"code":"h","name_vi":"x","name_en":"x","sets":[{"code":"s","name_vi":"x","name_en":"x"}]}]}]}`,
		"bad date":         `{"versions":[{"code":"a","effective_from":"2020","current":true,"groups":[]}]}`,
		"old maps nowhere": `{"versions":[{"code":"a","effective_from":"2020-01-01","current":true,"groups":[]},{"code":"b","effective_from":"2019-01-01","groups":[{"code":"g","name_vi":"x","name_en":"x","maps_to":"zz","sets":[{"code":"s","name_vi":"x","name_en":"x"}]}]}]}`,
	} {
		if _, err := parse([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		version, group, set string
		field               string // "" = valid
	}{
		{"148/2023", "food", "coffee_cocoa", ""},
		{"1048/2019", "herbs", "herb_products", ""},
		{"", "food", "coffee_cocoa", "legal_basis"},
		{"999/2030", "food", "coffee_cocoa", "legal_basis"},
		{"148/2023", "herbs", "herb_products", "product_group"}, // a 2019 group under 2023
		{"148/2023", "food", "spirits", "product_set"},
		{"148/2023", "food", "", "product_set"},
	}
	for _, c := range cases {
		var v ocop.Validation
		Validate(&v, c.version, c.group, c.set)
		if c.field == "" {
			if err := v.Err(); err != nil {
				t.Errorf("%+v: %v", c, err)
			}
			continue
		}
		if !v.Has(c.field) {
			t.Errorf("%+v: no error on %s: %v", c, c.field, v.Err())
		}
	}
	var v ocop.Validation
	ValidateCurrent(&v, "group", "food", "product_set", "", false)
	if v.Err() != nil {
		t.Fatal(v.Err())
	}
	ValidateCurrent(&v, "group", "nope", "product_set", "", false)
	if !v.Has("group") {
		t.Fatal("unknown group accepted")
	}
}

func TestCrosswalkCoversEveryCurrentSet(t *testing.T) {
	cur := Current()
	old, ok := LookupVersion("1048/2019")
	if !ok {
		t.Fatal("no 1048/2019")
	}
	for _, g := range cur.Groups {
		for _, s := range g.Sets {
			og, os, ok := Reclassify(cur.Code, g.Code, s.Code, old.Code)
			if !ok {
				t.Errorf("%s/%s has no 2019 equivalent", g.Code, s.Code)
				continue
			}
			var v ocop.Validation
			Validate(&v, old.Code, og, os)
			if err := v.Err(); err != nil {
				t.Errorf("%s/%s -> %s/%s: %v", g.Code, s.Code, og, os, err)
			}
			// Back to the current group through the 2019 group's own mapping,
			// except where 2019 had no group (ornamental was decoration).
			if back := CurrentGroup(old.Code, og); back != g.Code && g.Code != "ornamental" {
				t.Errorf("%s/%s -> %s maps back to %s", g.Code, s.Code, og, back)
			}
		}
	}
	if v, ok := InForceOn(time.Date(2022, 4, 7, 0, 0, 0, 0, time.UTC)); !ok || v.Code != "1048/2019" {
		t.Errorf("2022: %v %v", v.Code, ok)
	}
	if v, ok := InForceOn(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)); !ok || v.Code != cur.Code {
		t.Errorf("2024: %v %v", v.Code, ok)
	}
}
