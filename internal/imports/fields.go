package imports

import (
	"slices"
	"strings"

	"github.com/ocopconnect/ocopconnect/internal/places"
)

// Field is a column the importer understands, named as in the sample
// catalogue (and in the report).
type Field string

// The fields of an OCOP list. Provinces name columns in many ways; each
// field has the usual Vietnamese and English headers as aliases, compared
// folded (no diacritics, case or punctuation), so "Tên sản phẩm", "ten san
// pham" and "TÊN SẢN PHẨM" are the same header.
const (
	FRef             Field = "ref"
	FProductName     Field = "product_name"
	FProductGroup    Field = "product_group"
	FProductGroupVI  Field = "product_group_name"
	FProductSet      Field = "product_set"
	FStars           Field = "stars"
	FDecisionNo      Field = "decision_no"
	FDecisionDate    Field = "decision_date"
	FIssuedBy        Field = "issued_by"
	FIssuingLevel    Field = "issuing_level"
	FExpiresOn       Field = "expires_on"
	FProducerName    Field = "producer_name"
	FProducerKind    Field = "producer_kind"
	FTaxCode         Field = "tax_code"
	FProvinceCode    Field = "province_code"
	FProvinceName    Field = "province_name"
	FDistrictName    Field = "district_name"
	FCommuneCode     Field = "commune_code"
	FCommuneName     Field = "commune_name"
	FAddress         Field = "address"
	FPhone           Field = "phone"
	FEmail           Field = "email"
	FUnit            Field = "unit"
	FPriceMin        Field = "price_min_vnd"
	FPriceMax        Field = "price_max_vnd"
	FMOQ             Field = "moq"
	FCapacity        Field = "capacity_per_month"
	FDescription     Field = "description"
	FDescriptionEN   Field = "description_en"
	FProductNameEN   Field = "product_name_en"
	fieldNone        Field = ""
	fieldIgnored     Field = "-"
	maxHeaderScanned       = 20
)

// aliases lists, per field, the headers it is recognised by (besides its
// own name). Written with diacritics for people; matched folded.
var aliases = map[Field][]string{
	FRef:            {"mã tham chiếu", "reference", "id"},
	FProductName:    {"tên sản phẩm", "sản phẩm", "tên sản phẩm ocop", "product", "product name"},
	FProductNameEN:  {"tên tiếng anh", "tên sản phẩm tiếng anh", "english name", "title en"},
	FProductGroup:   {"mã nhóm", "mã nhóm sản phẩm", "group code", "group"},
	FProductGroupVI: {"nhóm", "nhóm sản phẩm", "ngành", "ngành hàng", "tên nhóm", "group name"},
	FProductSet:     {"bộ sản phẩm", "mã bộ sản phẩm", "phân nhóm", "product set", "set"},
	FStars:          {"số sao", "sao", "hạng sao", "xếp hạng", "hạng", "kết quả xếp hạng", "star", "star rating", "rating"},
	FDecisionNo:     {"số quyết định", "quyết định", "số qđ", "qđ", "decision", "decision number", "decision no"},
	FDecisionDate:   {"ngày quyết định", "ngày qđ", "ngày cấp", "ngày công nhận", "decision date", "date"},
	FIssuedBy:       {"cơ quan cấp", "cơ quan ban hành", "đơn vị cấp", "nơi cấp", "cấp bởi", "issuing body", "issued by", "issuer"},
	FIssuingLevel:   {"cấp", "cấp công nhận", "issuing level", "level"},
	FExpiresOn:      {"ngày hết hạn", "hết hạn", "hiệu lực đến", "expiry", "expires", "expiry date", "valid until"},
	FProducerName:   {"chủ thể", "tên chủ thể", "chủ thể ocop", "tên chủ thể ocop", "cơ sở sản xuất", "tên cơ sở", "đơn vị sản xuất", "producer", "producer name"},
	FProducerKind:   {"loại hình", "loại hình chủ thể", "loại chủ thể", "hình thức", "kind", "producer kind", "producer type"},
	FTaxCode:        {"mã số thuế", "mst", "mã số doanh nghiệp", "tax code", "tax id"},
	FProvinceCode:   {"mã tỉnh", "province code"},
	FProvinceName:   {"tỉnh", "tỉnh thành", "tỉnh thành phố", "tỉnh/thành phố", "tỉnh/tp", "province"},
	FDistrictName:   {"huyện", "quận huyện", "huyện/quận", "quận/huyện", "huyện/thị xã/thành phố", "district"},
	FCommuneCode:    {"mã xã", "mã xã phường", "commune code", "ward code"},
	FCommuneName:    {"xã", "xã phường", "xã/phường", "xã/phường/thị trấn", "phường/xã", "commune", "ward"},
	FAddress:        {"địa chỉ", "địa chỉ chủ thể", "address"},
	FPhone:          {"điện thoại", "số điện thoại", "sđt", "đt", "phone", "telephone"},
	FEmail:          {"thư điện tử", "e-mail", "email"},
	FUnit:           {"đơn vị tính", "đvt", "quy cách", "quy cách đóng gói", "unit"},
	FPriceMin:       {"giá từ", "giá thấp nhất", "giá tối thiểu", "giá bán từ", "price min", "price from", "min price"},
	FPriceMax:       {"giá đến", "giá cao nhất", "giá tối đa", "giá bán đến", "price max", "price to", "max price"},
	FMOQ:            {"số lượng tối thiểu", "đơn hàng tối thiểu", "minimum order", "min order qty"},
	FCapacity:       {"công suất", "công suất tháng", "sản lượng tháng", "sản lượng/tháng", "monthly capacity", "capacity"},
	FDescription:    {"mô tả", "mô tả sản phẩm", "giới thiệu", "description"},
	FDescriptionEN:  {"mô tả tiếng anh", "english description"},
	fieldIgnored:    {"stt", "tt", "số thứ tự", "no", "ghi chú", "note", "notes"},
}

// Fields lists every field a mapping file may name.
func Fields() []Field {
	var out []Field
	for f := range aliases {
		if f != fieldIgnored {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

var byHeader = func() map[string]Field {
	m := map[string]Field{}
	for f, as := range aliases {
		if f != fieldIgnored {
			m[places.Fold(string(f))] = f
		}
		for _, a := range as {
			m[places.Fold(a)] = f
		}
	}
	return m
}()

func knownField(name string) (Field, bool) {
	f := Field(strings.TrimSpace(name))
	_, ok := aliases[f]
	return f, ok && f != fieldIgnored
}

// headerField is the field a header names ("" when none).
func headerField(header string) Field { return byHeader[places.Fold(header)] }

// requiredFields are the columns without which no row can be imported.
var requiredFields = []Field{FProductName, FStars, FDecisionNo, FDecisionDate, FProducerName}

// apiField maps the field names the producers use case reports back to
// the file's fields.
var apiField = map[string]Field{
	"legal_name": FProducerName, "kind": FProducerKind, "tax_code": FTaxCode, "province_code": FProvinceName,
	"commune_code": FCommuneName, "address": FAddress, "phone": FPhone, "email": FEmail,
	"product_name": FProductName, "stars": FStars, "decision_number": FDecisionNo, "decision_date": FDecisionDate,
	"issuing_body": FIssuedBy, "issuing_level": FIssuingLevel, "legal_basis": FProductGroup, "product_group": FProductGroup,
	"product_set": FProductSet, "expires_on": FExpiresOn,
	"title_vi": FProductName, "title_en": FProductNameEN, "description_vi": FDescription, "description_en": FDescriptionEN,
	"unit": FUnit, "price_min_vnd": FPriceMin, "price_max_vnd": FPriceMax, "min_order_qty": FMOQ, "monthly_capacity": FCapacity,
	"certificate_id": FDecisionNo,
}
