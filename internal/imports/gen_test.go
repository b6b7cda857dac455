package imports_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"

	"github.com/ocopconnect/ocopconnect/internal/places"
	"github.com/ocopconnect/ocopconnect/internal/taxonomy"
)

var catalogueHeader = []string{"ref", "product_name", "product_group", "product_group_name", "product_set", "stars", "decision_no",
	"decision_date", "issued_by", "producer_name", "producer_kind", "tax_code", "province_code", "province_name", "commune_code",
	"commune_name", "unit", "price_min_vnd", "price_max_vnd", "moq", "capacity_per_month", "description"}

var products = []struct{ name, group, set, unit string }{
	{"Cà phê bột", "food", "coffee_cocoa", "gói 500g"}, {"Mật ong hoa cà phê", "food", "honey", "chai 500ml"},
	{"Chè búp khô", "food", "tea", "hộp 200g"}, {"Nước mắm cá cơm", "food", "sauces", "chai 500ml"},
	{"Rượu cần", "beverage", "spirits", "bình 2 lít"}, {"Cao dược liệu", "herbal", "medicinal_herbs", "hộp 100g"},
	{"Giỏ mây tre đan", "handicraft", "household_craft", "chiếc"}, {"Gạo thơm", "food", "grains", "túi 5kg"},
}

// generatedCSV is a catalogue of n products of n/2 producers spread over
// every current commune, in the sample catalogue's layout.
func generatedCSV(n int) []byte {
	communes := allCommunes()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(catalogueHeader)
	for i := range n {
		producer := i / 2
		c := communes[(producer*7919)%len(communes)]
		pr := products[i%len(products)]
		stars := 3 + (i % 3)
		issuer := "UBND tỉnh"
		if stars == 5 {
			issuer = "Bộ Nông nghiệp và Môi trường"
		}
		date := fmt.Sprintf("20%02d-%02d-%02d", 23+(i%3), 3+(i%9), 1+(i%28))
		prov, _ := places.LookupProvince(c.ProvinceCode)
		_ = w.Write([]string{
			"G" + strconv.Itoa(i), fmt.Sprintf("%s số %d", pr.name, i), pr.group, "", pr.set, strconv.Itoa(stars),
			fmt.Sprintf("%d/QĐ-UBND", 1000+i), date, issuer, fmt.Sprintf("Hợp tác xã Thử nghiệm %d", producer), "cooperative",
			fmt.Sprintf("%010d", 1_000_000_000+producer), c.ProvinceCode, prov.Name, c.Code, c.Name, pr.unit,
			"100000", "150000", "10", "1000", "Sản phẩm thử nghiệm cho kiểm tra hiệu năng nhập dữ liệu.",
		})
	}
	w.Flush()
	return b.Bytes()
}

func allCommunes() []places.Commune {
	var out []places.Commune
	for _, p := range places.Provinces() {
		out = append(out, places.Communes(p.Code)...)
	}
	return out
}

// legacyRow is a generated row written the pre-2025 way, with the commune
// the conversion table says it became.
type legacyRow struct {
	taxCode string
	want    places.Commune
}

// legacyCSV writes n products of n producers whose addresses name the old
// province, district and commune, picked across the conversion table
// among old communes that became exactly one new commune (ones split
// between several are reported by the import, and tested apart).
func legacyCSV(n int) ([]byte, []legacyRow) {
	type key struct{ p, d, c string }
	targets := map[key]map[string]bool{}
	units := places.LegacyUnits()
	for _, u := range units {
		k := key{places.NameKey(u.Old.ProvinceName), places.NameKey(u.Old.DistrictName), places.NameKey(u.Old.CommuneName)}
		if targets[k] == nil {
			targets[k] = map[string]bool{}
		}
		targets[k][u.New.Code] = true
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"STT", "Tên sản phẩm", "Nhóm", "Bộ sản phẩm", "Hạng sao", "Số quyết định", "Ngày quyết định", "Cơ quan cấp",
		"Chủ thể", "Mã số thuế", "Xã/Phường", "Huyện/Quận", "Tỉnh/Thành phố"})
	var cands []places.LegacyMatch
	seen := map[key]bool{}
	for _, u := range units {
		k := key{places.NameKey(u.Old.ProvinceName), places.NameKey(u.Old.DistrictName), places.NameKey(u.Old.CommuneName)}
		if len(targets[k]) == 1 && !seen[k] {
			seen[k] = true
			cands = append(cands, u)
		}
	}
	step := max(len(cands)/n, 1)
	var rows []legacyRow
	for i := 0; i < len(cands) && len(rows) < n; i += step {
		u, j := cands[i], len(rows)
		pr := products[j%len(products)]
		g, _ := taxonomy.Current().Group(pr.group)
		tax := fmt.Sprintf("%010d", 2_000_000_000+j)
		_ = w.Write([]string{strconv.Itoa(j + 1), pr.name + " " + u.Old.CommuneName, g.NameVI, pr.set, strconv.Itoa(3 + j%2),
			fmt.Sprintf("%d/QĐ-UBND", 500+j), fmt.Sprintf("%02d/%02d/2024", 1+j%28, 1+j%12), "UBND " + u.Old.ProvinceName,
			fmt.Sprintf("Hộ kinh doanh Thử %d", j), tax, u.Old.CommuneName, u.Old.DistrictName, u.Old.ProvinceName})
		rows = append(rows, legacyRow{taxCode: tax, want: u.New})
	}
	w.Flush()
	return b.Bytes(), rows
}
