package searchtest

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// sampleCSV is the project's fictional sample catalogue (102 OCOP products
// across the 34 provinces: real product types and places, invented
// producers and prices); the synthetic catalogue varies it.
//
//go:embed data/ocop-sample-catalogue.csv
var sampleCSV []byte

type sample struct {
	name, group, set, producer, kind, province, provinceName, commune, communeName, unit, description string
	stars                                                                                             int
	priceMin, priceMax, moq                                                                           int64
}

func samples() []sample {
	recs, err := csv.NewReader(bytes.NewReader(sampleCSV)).ReadAll()
	if err != nil {
		panic(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	var out []sample
	for _, r := range recs[1:] {
		n := func(k string) int64 { v, _ := strconv.ParseInt(r[col[k]], 10, 64); return v }
		out = append(out, sample{
			name: r[col["product_name"]], group: r[col["product_group"]], set: r[col["product_set"]],
			producer: r[col["producer_name"]], kind: r[col["producer_kind"]],
			province: r[col["province_code"]], provinceName: r[col["province_name"]],
			commune: r[col["commune_code"]], communeName: r[col["commune_name"]],
			unit: r[col["unit"]], description: r[col["description"]], stars: int(n("stars")),
			priceMin: n("price_min_vnd"), priceMax: n("price_max_vnd"), moq: n("moq"),
		})
	}
	return out
}

var english = map[string]string{
	"coffee_cocoa": "coffee and cocoa", "processed_nuts": "roasted nuts, macadamia and cashew", "honey": "honey",
	"tea": "green tea", "sauces": "fish sauce and condiments", "spices": "pepper and spices", "rice_products": "rice products and cakes",
	"processed_fruit": "dried fruit", "fresh_produce": "fresh fruit and vegetables", "processed_meat_seafood": "dried meat and seafood",
	"fresh_meat_seafood": "fresh seafood", "household_craft": "handicrafts", "textile": "silk and brocade", "spirits": "rice wine",
	"other_alcohol": "fruit wine", "herbal_other": "herbal tea", "essential_oils": "essential oil", "grains": "grains",
	"health_food": "health food", "processed_vegetables": "pickled vegetables", "flowers": "flowers", "bonsai": "bonsai",
	"community_tourism": "community tourism",
}

var (
	variantsVI = []string{"", "", "", " loại đặc biệt", " hộp quà", " túi 1kg", " hữu cơ", " truyền thống", " cao cấp", " xuất khẩu"}
	variantsEN = []string{"", "", "", " premium grade", " gift box", " 1 kg bag", " organic", " traditional", " deluxe", " export grade"}
	kinds      = map[string]string{"cooperative": "Hợp tác xã", "enterprise": "Công ty TNHH", "household": "Hộ kinh doanh", "cooperative_group": "Tổ hợp tác"}
	names      = []string{"Xanh", "Hưng Thịnh", "Đại Ngàn", "Phát Đạt", "An Phú", "Sông Hồng", "Cao Nguyên", "Tâm An", "Hòa Bình", "Thành Công", "Bình Minh", "Mekong", "Tây Bắc", "Miền Tây", "Ngọc Linh"}
)

// Catalogue returns n realistic listings, the same for the same n on every
// run and machine (a fixed PCG seed), for the engine benchmark and the
// HTTP benchmark alike.
func Catalogue(n int) []ocop.SearchDocument {
	src := samples()
	r := rand.New(rand.NewPCG(20250701, 34))
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]ocop.SearchDocument, n)
	for i := range out {
		s := src[r.IntN(len(src))]
		if r.IntN(10) < 3 { // the same product from another province
			o := src[r.IntN(len(src))]
			s.province, s.provinceName, s.commune, s.communeName = o.province, o.provinceName, o.commune, o.communeName
		}
		v := r.IntN(len(variantsVI))
		kind := s.kind
		if r.IntN(10) == 0 {
			kind = "cooperative_group"
		}
		producer := s.producer
		if r.IntN(2) == 0 {
			place := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(s.communeName, "Xã "), "Phường "), "Đặc khu ")
			producer = kinds[kind] + " " + names[r.IntN(len(names))] + " " + place
		}
		stars := s.stars
		if r.IntN(7) == 0 {
			stars = 0
		}
		factor := 80 + r.Int64N(50)
		priceMin := s.priceMin * factor / 100 / 1000 * 1000
		priceMax := max(priceMin, s.priceMax*factor/100/1000*1000)
		pub := start.Add(time.Duration(i) * 7 * time.Minute)
		d := ocop.SearchDocument{
			ID:      fmt.Sprintf("bench-%06d", i),
			TitleVI: s.name + variantsVI[v], TitleEN: english[s.set] + variantsEN[v],
			DescriptionVI: s.description, ProducerID: fmt.Sprintf("p-%05d", r.IntN(max(n/5, 1))),
			ProducerName: producer, ProducerKind: kind,
			ProvinceCode: s.province, ProvinceName: s.provinceName, CommuneCode: s.commune, CommuneName: s.communeName,
			ProductGroup: s.group, ProductSet: s.set, Stars: stars, Certified: stars > 0,
			PriceMinVND: priceMin, PriceMaxVND: priceMax, MOQ: max(1, s.moq*(50+r.Int64N(100))/100), Unit: s.unit,
			ThumbnailURL: fmt.Sprintf("/media/listings/bench-%06d/thumb.jpg", i),
			PublishedAt:  pub, UpdatedAt: pub, Version: pub.UnixNano(),
		}
		out[i] = d
	}
	return out
}

// BenchQueries is the fixed mixed query set of the search benchmarks:
// plain, unaccented, typo, filters with facets, and browsing.
func BenchQueries() []ocop.SearchQuery {
	yes := true
	qs := []ocop.SearchQuery{
		// plain, with marks
		{Q: "cà phê"}, {Q: "nước mắm"}, {Q: "mật ong hoa"}, {Q: "chè Thái Nguyên"}, {Q: "gốm Bát Tràng"},
		// unaccented
		{Q: "ca phe"}, {Q: "nuoc mam phu quoc"}, {Q: "mat ong"}, {Q: "dak lak"}, {Q: "mac ca"},
		// typos
		{Q: "nguyan chat"}, {Q: "macadamai"}, {Q: "thai nguyan"}, {Q: "robusra"},
		// filters + facets
		{Q: "ca phe", ProvinceCode: "66", StarsMin: 4}, {Group: "handicraft", PriceMaxVND: 500_000},
		{Q: "mat ong", Certified: &yes}, {Q: "tra", ProductSet: "tea", MOQMax: 50, Sort: ocop.SortPriceAsc},
		// browse
		{Sort: ocop.SortNewest}, {ProvinceCode: "01", Sort: ocop.SortPriceAsc, Page: 3}, {StarsMin: 5, Sort: ocop.SortStarsDesc},
	}
	for i := range qs {
		if err := qs[i].Normalize(); err != nil {
			panic(err)
		}
	}
	return qs
}

// EnvBenchDocs sets the size of the benchmark catalogue.
const EnvBenchDocs = "OCOP_BENCH_SEARCH_DOCS"

// BenchSize is the benchmark catalogue size: OCOP_BENCH_SEARCH_DOCS, by
// default 100,000 (the size the targets are set for; a smaller one is
// quicker for profiling).
func BenchSize() int {
	if n, err := strconv.Atoi(os.Getenv(EnvBenchDocs)); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// Percentiles returns the 50th, 95th and 99th percentile of latencies.
func Percentiles(lat []time.Duration) (p50, p95, p99 time.Duration) {
	if len(lat) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	at := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return at(0.50), at(0.95), at(0.99)
}
