package searchtest

import (
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

var base = time.Date(2025, 7, 1, 3, 0, 0, 0, time.UTC)

func doc(id string, day int, d ocop.SearchDocument) ocop.SearchDocument {
	d.ID = id
	d.PublishedAt = base.Add(time.Duration(day) * 24 * time.Hour)
	d.UpdatedAt = d.PublishedAt.Add(time.Hour)
	d.Version = d.UpdatedAt.UnixNano()
	if d.PriceMaxVND == 0 {
		d.PriceMaxVND = d.PriceMinVND
	}
	d.Certified = d.Stars > 0
	d.ThumbnailURL = "/media/listings/" + id + "/thumb.jpg"
	return d
}

// Fixtures is the catalogue the contract suite searches: real OCOP product
// types, places and spellings (one title stored in NFD, as some sources
// send it), chosen so that each case of the suite has a right answer and a
// near miss.
func Fixtures() []ocop.SearchDocument {
	return []ocop.SearchDocument{
		doc("l-caphe", 1, ocop.SearchDocument{
			TitleVI: "Cà phê bột nguyên chất Buôn Ma Thuột", TitleEN: "Pure ground coffee from Buon Ma Thuot",
			DescriptionVI: "Cà phê Robusta rang mộc, xay vừa, thu hái chín trên 90%.",
			ProducerID:    "p-xanh", ProducerName: "Hợp tác xã Xanh Krông Búk", ProducerKind: "cooperative",
			ProvinceCode: "66", ProvinceName: "Tỉnh Đắk Lắk", CommuneCode: "24310", CommuneName: "Xã Krông Búk",
			ProductGroup: "food", ProductSet: "coffee_cocoa", Stars: 3, PriceMinVND: 120_000, PriceMaxVND: 160_000,
			MOQ: 50, Unit: "gói 500g", Tags: []string{"robusta", "rang mộc"},
		}),
		doc("l-macca", 2, ocop.SearchDocument{
			TitleVI: "Hạt mắc ca sấy nứt vỏ", TitleEN: "Cracked roasted macadamia nuts",
			DescriptionVI: "Mắc ca Tây Nguyên sấy khô, tách vỏ dễ.",
			ProducerID:    "p-hungthinh", ProducerName: "Hợp tác xã Hưng Thịnh Tây Hòa", ProducerKind: "cooperative",
			ProvinceCode: "66", ProvinceName: "Tỉnh Đắk Lắk", CommuneCode: "22255", CommuneName: "Xã Tây Hòa",
			ProductGroup: "food", ProductSet: "processed_nuts", Stars: 4, PriceMinVND: 250_000, PriceMaxVND: 320_000,
			MOQ: 20, Unit: "hộp 500g",
		}),
		doc("l-nuocmam", 3, ocop.SearchDocument{
			TitleVI: "Nước mắm Phú Quốc cá cơm 40 độ đạm thùng gỗ", TitleEN: "Phu Quoc fish sauce",
			DescriptionVI: "Ủ chượp cá cơm trong thùng gỗ 12 tháng, độ đạm 40.",
			ProducerID:    "p-phuquoc", ProducerName: "Công ty TNHH Hải Sản Đảo Ngọc", ProducerKind: "enterprise",
			ProvinceCode: "91", ProvinceName: "Tỉnh An Giang", CommuneCode: "31078", CommuneName: "Đặc khu Phú Quốc",
			ProductGroup: "food", ProductSet: "sauces", Stars: 5, PriceMinVND: 90_000, PriceMaxVND: 150_000,
			MOQ: 100, Unit: "chai 500ml",
		}),
		doc("l-mamruoc", 4, ocop.SearchDocument{
			TitleVI: "Mắm ruốc Phú Quốc, nước chấm", TitleEN: "Shrimp paste",
			DescriptionVI: "Mắm ruốc và nước mắm truyền thống của đảo Phú Quốc.",
			ProducerID:    "p-quocoai", ProducerName: "Hộ kinh doanh Nguyễn Văn Hoa", ProducerKind: "household",
			ProvinceCode: "91", ProvinceName: "Tỉnh An Giang", CommuneCode: "31078", CommuneName: "Đặc khu Phú Quốc",
			ProductGroup: "food", ProductSet: "sauces", Stars: 3, PriceMinVND: 45_000,
			MOQ: 200, Unit: "hũ 250g",
		}),
		doc("l-che", 5, ocop.SearchDocument{
			TitleVI: "Chè Tân Cương Thái Nguyên loại đặc biệt", TitleEN: "Tan Cuong green tea, special grade",
			DescriptionVI: "Búp một tôm hai lá, sao tay.",
			ProducerID:    "p-traicau", ProducerName: "Hợp tác xã Đại Ngàn Trại Cau", ProducerKind: "cooperative",
			ProvinceCode: "19", ProvinceName: "Tỉnh Thái Nguyên", CommuneCode: "05500", CommuneName: "Xã Trại Cau",
			ProductGroup: "food", ProductSet: "tea", Stars: 4, PriceMinVND: 300_000, PriceMaxVND: 600_000,
			MOQ: 10, Unit: "kg",
		}),
		doc("l-chepham", 6, ocop.SearchDocument{
			TitleVI: "Chế phẩm trà", TitleEN: "Extract",
			DescriptionVI: "Chế biến từ cao trà xanh, chế phẩm cô đặc.",
			ProducerID:    "p-tamand", ProducerName: "Công ty TNHH Tâm An", ProducerKind: "enterprise",
			ProvinceCode: "19", ProvinceName: "Tỉnh Thái Nguyên", CommuneCode: "05501", CommuneName: "Phường Phan Đình Phùng",
			ProductGroup: "beverage", ProductSet: "tea", Stars: 0, PriceMinVND: 80_000,
			MOQ: 30, Unit: "lọ",
		}),
		doc("l-gom", 7, ocop.SearchDocument{
			TitleVI: "Gốm men lam Bát Tràng", TitleEN: "Bat Trang blue glazed ceramics",
			DescriptionVI: "Bình, chén, đĩa men lam vẽ tay.",
			ProducerID:    "p-battrang", ProducerName: "Công ty TNHH Đại Ngàn Hoàng Mai", ProducerKind: "enterprise",
			ProvinceCode: "01", ProvinceName: "Thành phố Hà Nội", CommuneCode: "00611", CommuneName: "Xã Bát Tràng",
			ProductGroup: "handicraft", ProductSet: "household_craft", Stars: 4, PriceMinVND: 500_000, PriceMaxVND: 2_500_000,
			MOQ: 5, Unit: "bộ",
		}),
		doc("l-lua", 8, ocop.SearchDocument{
			TitleVI: "Lụa tơ tằm Vạn Phúc", TitleEN: "Van Phuc silk",
			DescriptionVI: "Lụa dệt thủ công, nhuộm màu tự nhiên.",
			ProducerID:    "p-vanphuc", ProducerName: "Hợp tác xã Sông Hồng Hà Đông", ProducerKind: "cooperative",
			ProvinceCode: "01", ProvinceName: "Thành phố Hà Nội", CommuneCode: "09552", CommuneName: "Phường Hà Đông",
			ProductGroup: "handicraft", ProductSet: "textile", Stars: 0, PriceMinVND: 2_200_000,
			MOQ: 2, Unit: "tấm",
		}),
		doc("l-matong", 9, ocop.SearchDocument{
			TitleVI: "Mật ong hoa cà phê", TitleEN: "Coffee blossom honey",
			DescriptionVI: "Mật ong nguyên chất từ vườn cà phê.",
			ProducerID:    "p-sonthanh", ProducerName: "Hộ kinh doanh Vũ Quang Bình", ProducerKind: "household",
			ProvinceCode: "66", ProvinceName: "Tỉnh Đắk Lắk", CommuneCode: "24400", CommuneName: "Xã Sơn Thành",
			ProductGroup: "food", ProductSet: "honey", Stars: 0, PriceMinVND: 180_000,
			MOQ: 24, Unit: "chai 500ml",
		}),
		doc("l-ruou", 10, ocop.SearchDocument{
			// Stored in NFD, as some imports deliver text.
			TitleVI: norm.NFD.String("Rượu cần Buôn Đôn"), TitleEN: "Buon Don rice wine in jars",
			DescriptionVI: norm.NFD.String("Rượu ủ men lá rừng, uống bằng cần trúc."),
			ProducerID:    "p-eatul", ProducerName: "Hợp tác xã An Phú Ea Tul", ProducerKind: "cooperative",
			ProvinceCode: "66", ProvinceName: "Tỉnh Đắk Lắk", CommuneCode: "24340", CommuneName: "Xã Ea Tul",
			ProductGroup: "beverage", ProductSet: "spirits", Stars: 3, PriceMinVND: 150_000, PriceMaxVND: 400_000,
			MOQ: 12, Unit: "ché",
		}),
	}
}

// Match filters the fixtures the way the engines must.
func Match(docs []ocop.SearchDocument, q ocop.SearchQuery) []ocop.SearchDocument {
	var out []ocop.SearchDocument
	for _, d := range docs {
		switch {
		case q.ProvinceCode != "" && d.ProvinceCode != q.ProvinceCode,
			q.Group != "" && d.ProductGroup != q.Group,
			q.ProductSet != "" && d.ProductSet != q.ProductSet,
			q.ProducerKind != "" && d.ProducerKind != q.ProducerKind,
			q.StarsMin > 0 && d.Stars < q.StarsMin,
			q.PriceMaxVND > 0 && d.PriceMinVND > q.PriceMaxVND,
			q.MOQMax > 0 && d.MOQ > q.MOQMax,
			q.Certified != nil && d.Certified != *q.Certified:
			continue
		}
		out = append(out, d)
	}
	return out
}
