package imports

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/places"
	"github.com/ocopconnect/ocopconnect/internal/producers"
	"github.com/ocopconnect/ocopconnect/internal/taxonomy"
)

// Problem is one line of the report: what is wrong with which cell.
type Problem struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Column  string `json:"column"`
	Problem string `json:"problem"`
}

// Listing is the draft listing a row describes (current taxonomy codes).
type Listing struct {
	TitleVI, TitleEN             string
	DescriptionVI, DescriptionEN string
	ProductGroup, ProductSet     string
	Unit                         string
	PriceMinVND, PriceMaxVND     *int64
	MinOrderQty                  int64
	MonthlyCapacity              *int64
}

// row is a data row read into the use cases' inputs.
type row struct {
	num      int
	producer producers.ProducerInput
	cert     producers.CertificateInput
	listing  Listing
	// dupKey identifies the product (producer, decision, product name):
	// two rows with the same key are duplicates.
	dupKey   string
	problems []Problem
}

// placeMemo remembers resolved places within one reader: lists name the
// same communes over and over, and resolving a name folds every commune
// of the province.
type placeMemo map[[6]string]placeResult

type placeResult struct {
	c     places.Commune
	field Field
	err   error
}

func newPlaceMemo() placeMemo { return placeMemo{} }

type rowReader struct {
	memo  placeMemo
	l     *layout
	m     *Mapping
	today ocop.Date
	rec   *record
	r     *row
}

func (p *rowReader) problem(f Field, format string, args ...any) {
	p.r.problems = append(p.r.problems, Problem{Row: p.r.num, Field: string(f), Column: p.l.column(f), Problem: fmt.Sprintf(format, args...)})
}

func (p *rowReader) has(f Field) bool { return p.get(f) != "" }

// get is the cell of a field, or the mapping's default when it is empty.
func (p *rowReader) get(f Field) string {
	if i, ok := p.l.col[f]; ok {
		if _, bad := p.rec.bad[i]; !bad {
			if v := p.rec.cell(i); v != "" {
				return v
			}
		}
	}
	if p.m != nil {
		return p.m.defaults[f]
	}
	return ""
}

// readRow turns a record into a row, noting every problem it can find
// without the database.
func readRow(rec *record, l *layout, m *Mapping, today ocop.Date, memo placeMemo) *row {
	p := &rowReader{l: l, m: m, today: today, rec: rec, r: &row{num: rec.row}, memo: memo}
	for i, msg := range rec.bad {
		f := Field("")
		for ff, j := range l.col {
			if j == i {
				f = ff
			}
		}
		if f == "" && i < len(l.header) {
			continue // a column the import does not read
		}
		p.r.problems = append(p.r.problems, Problem{Row: rec.row, Field: string(f), Column: headerAt(l, i), Problem: msg})
	}
	for _, f := range requiredFields {
		if !p.has(f) && !p.badCell(f) {
			p.problem(f, "is empty; the field is required")
		}
	}
	p.read()
	return p.r
}

func headerAt(l *layout, i int) string {
	if i < len(l.header) {
		return l.header[i]
	}
	return ""
}

func (p *rowReader) badCell(f Field) bool {
	i, ok := p.l.col[f]
	if !ok {
		return false
	}
	_, bad := p.rec.bad[i]
	return bad
}

func (p *rowReader) read() {
	r := p.r
	c := &r.cert
	c.ProductName = p.get(FProductName)
	c.DecisionNumber = p.get(FDecisionNo)
	c.IssuingBody = p.get(FIssuedBy)
	if s := p.get(FStars); s != "" {
		if n, ok := parseStars(s); ok {
			c.Stars = n
		} else {
			p.problem(FStars, "%q is not a star level: write 3, 4 or 5 (only 3 stars and above are certified)", s)
		}
	}
	if s := p.get(FDecisionDate); s != "" {
		if d, ok := parseDate(s); ok {
			c.DecisionDate = d.String()
		} else {
			p.problem(FDecisionDate, "%q is not a date: write YYYY-MM-DD or DD/MM/YYYY", s)
		}
	}
	if s := p.get(FExpiresOn); s != "" {
		if d, ok := parseDate(s); ok {
			c.ExpiresOn = d.String()
		} else {
			p.problem(FExpiresOn, "%q is not a date: write YYYY-MM-DD or DD/MM/YYYY", s)
		}
	}
	switch s := places.Fold(p.get(FIssuingLevel)); {
	case s == "":
		if c.Stars == 5 {
			c.IssuingLevel = ocop.IssuingNational
		} else {
			c.IssuingLevel = ocop.IssuingProvincial
		}
	case s == "national" || strings.Contains(s, "trung uong") || strings.Contains(s, "quoc gia") || s == "bo":
		c.IssuingLevel = ocop.IssuingNational
	case s == "provincial" || strings.Contains(s, "tinh"):
		c.IssuingLevel = ocop.IssuingProvincial
	default:
		p.problem(FIssuingLevel, "%q is not an issuing level: national (trung ương) or provincial (tỉnh)", p.get(FIssuingLevel))
	}
	p.classify()
	p.readProducer()
	p.readListing()
	if c.ProductName != "" && c.DecisionNumber != "" {
		who := r.producer.TaxCode
		if who == "" {
			who = producers.NameKey(r.producer.LegalName) + "|" + r.producer.CommuneCode
		}
		r.dupKey = who + "|" + strings.ToUpper(strings.Join(strings.Fields(c.DecisionNumber), "")) + "|" + producers.ProductKey(c.ProductName)
	}
}

// classify finds the current group and set, and the classification the
// certificate was decided under (a decision before 24 Feb 2023 was made
// under Decision 1048/2019).
func (p *rowReader) classify() {
	cur := taxonomy.Current()
	groupCell := p.get(FProductGroup)
	if groupCell == "" {
		groupCell = p.get(FProductGroupVI)
	}
	g, ok := findGroup(cur, groupCell)
	switch {
	case groupCell == "":
		p.problem(FProductGroup, "is empty; give the product group (%s)", groupCodes(cur))
		return
	case !ok:
		p.problem(FProductGroup, "%q is not a product group (%s)", groupCell, groupCodes(cur))
		return
	}
	setCell := p.get(FProductSet)
	s, ok := findSet(g, setCell)
	switch {
	case setCell == "":
		p.problem(FProductSet, "is empty; give the product set of group %s (%s)", g.Code, setCodes(g))
		return
	case !ok:
		p.problem(FProductSet, "%q is not a product set of group %s (%s)", setCell, g.Code, setCodes(g))
		return
	}
	p.r.listing.ProductGroup, p.r.listing.ProductSet = g.Code, s.Code
	c := &p.r.cert
	c.LegalBasis, c.ProductGroup, c.ProductSet = cur.Code, g.Code, s.Code
	if c.DecisionDate == "" {
		return
	}
	d, _ := ocop.ParseDate(c.DecisionDate)
	v, ok := taxonomy.InForceOn(d.Time)
	if !ok || v.Code == cur.Code {
		return // before any classification: the certificate check reports it
	}
	og, os, ok := taxonomy.Reclassify(cur.Code, g.Code, s.Code, v.Code)
	if !ok {
		p.problem(FProductSet, "%s/%s has no equivalent under Decision %s, in force on the decision date", g.Code, s.Code, v.Code)
		return
	}
	c.LegalBasis, c.ProductGroup, c.ProductSet = v.Code, og, os
}

func findGroup(v taxonomy.Version, s string) (taxonomy.Group, bool) {
	if g, ok := v.Group(strings.TrimSpace(s)); ok {
		return g, true
	}
	k := places.Fold(s)
	for _, g := range v.Groups {
		if k == places.Fold(g.NameVI) || k == places.Fold(g.NameEN) || k == places.Fold(g.Code) {
			return g, true
		}
	}
	return taxonomy.Group{}, false
}

func findSet(g taxonomy.Group, s string) (taxonomy.Set, bool) {
	if st, ok := g.Set(strings.TrimSpace(s)); ok {
		return st, true
	}
	k := places.Fold(s)
	for _, st := range g.Sets {
		if k == places.Fold(st.NameVI) || k == places.Fold(st.NameEN) || k == places.Fold(st.Code) {
			return st, true
		}
	}
	return taxonomy.Set{}, false
}

func groupCodes(v taxonomy.Version) string {
	var cs []string
	for _, g := range v.Groups {
		cs = append(cs, g.Code)
	}
	return strings.Join(cs, ", ")
}

func setCodes(g taxonomy.Group) string {
	var cs []string
	for _, s := range g.Sets {
		cs = append(cs, s.Code)
	}
	return strings.Join(cs, ", ")
}

func (p *rowReader) readProducer() {
	in := &p.r.producer
	in.LegalName = p.get(FProducerName)
	in.TaxCode = strings.ReplaceAll(p.get(FTaxCode), " ", "")
	in.Phone, in.Email = p.get(FPhone), p.get(FEmail)
	kindCell := p.get(FProducerKind)
	if k, ok := parseKind(kindCell); ok {
		in.Kind = k
	} else if kindCell != "" {
		p.problem(FProducerKind, "%q is not a kind of producer: enterprise (doanh nghiệp), cooperative (hợp tác xã), cooperative_group (tổ hợp tác) or household_business (hộ kinh doanh)", kindCell)
	} else if k, ok := parseKind(in.LegalName); ok {
		in.Kind = k // "Hợp tác xã ...", "Công ty ..." say what they are
	} else if in.LegalName != "" {
		p.problem(FProducerKind, "is empty and the name %q does not say the kind; give enterprise, cooperative, cooperative_group or household_business", in.LegalName)
	}
	key := [6]string{p.get(FCommuneCode), p.get(FCommuneName), p.get(FProvinceCode), p.get(FProvinceName), p.get(FDistrictName), p.get(FAddress)}
	res, ok := p.memo[key]
	if !ok {
		res.c, res.field, res.err = p.commune()
		p.memo[key] = res
	}
	c, field, err := res.c, res.field, res.err
	if err != nil {
		p.problem(field, "%s", err)
		return
	}
	in.ProvinceCode, in.CommuneCode = c.ProvinceCode, c.Code
	in.Address = p.get(FAddress)
}

// commune resolves the producer's place. A row naming a district is
// written the pre-2025 way and goes through the conversion table; so does
// a commune code or name that is not a current one. Several candidates or
// none are reported, never guessed.
func (p *rowReader) commune() (places.Commune, Field, error) {
	code, name := p.get(FCommuneCode), p.get(FCommuneName)
	provCode, provName, district := p.get(FProvinceCode), p.get(FProvinceName), p.get(FDistrictName)
	addr := p.get(FAddress)
	if code == "" && name == "" && addr != "" {
		q := places.ParseLegacyAddress(addr)
		name, district = q.Commune, q.District
		if provCode == "" && provName == "" {
			provName = q.Province
		}
	}
	if code == "" && name == "" {
		return places.Commune{}, FCommuneName, errors.New("is empty; give the commune (code or name) or the address")
	}
	field := FCommuneName
	if code != "" {
		field = FCommuneCode
	}
	// The province as a 2025 province, when it is one.
	var prov places.Province
	provOK := false
	switch {
	case provCode != "":
		if len(provCode) == 1 {
			provCode = "0" + provCode // a spreadsheet dropped the leading zero
		}
		prov, provOK = places.LookupProvince(provCode)
	case provName != "":
		prov, provOK = places.FindProvince(provName)
	}
	if district == "" {
		if code != "" {
			if len(code) < 5 && isDigits(code) {
				code = strings.Repeat("0", 5-len(code)) + code
			}
			if c, ok := places.LookupCommune(code); ok && (!provOK || c.ProvinceCode == prov.Code) && (name == "" || places.NameKey(name) == places.NameKey(c.Name)) {
				return c, field, nil
			}
		} else if provOK {
			if c, ok := places.FindCommune(prov.Code, name); ok {
				return c, field, nil
			}
		}
	}
	// The pre-2025 way: by old code or by names, the province as it was
	// (a 2025 province narrows the candidates to the communes it has now).
	q := places.LegacyQuery{Code: code, Commune: name, District: district}
	if !provOK {
		q.Province = provName
	}
	where := strings.Join(nonEmpty(name, code, district, provName, provCode), ", ")
	ms, err := places.ResolveLegacy(q)
	if err != nil && !ocop.IsCode(err, ocop.CodeNotFound) {
		return places.Commune{}, field, err
	}
	var cands []places.Commune
	for _, c := range places.NewCommunes(ms) {
		if !provOK || c.ProvinceCode == prov.Code {
			cands = append(cands, c)
		}
	}
	switch len(cands) {
	case 1:
		return cands[0], field, nil
	case 0:
		return places.Commune{}, field, fmt.Errorf("%q is neither a commune in force since 1 July 2025 nor one of before (check the spelling, or give the district and province)", where)
	}
	names := make([]string, len(cands))
	for i, c := range cands {
		names[i] = c.Name + " (" + c.Code + ")"
	}
	return places.Commune{}, field, fmt.Errorf("%q may be any of %d current communes (%s); give the district and province, or the new commune code", where, len(cands), strings.Join(names, ", "))
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (p *rowReader) readListing() {
	l := &p.r.listing
	l.TitleVI, l.TitleEN = p.r.cert.ProductName, p.get(FProductNameEN)
	l.DescriptionVI, l.DescriptionEN = p.get(FDescription), p.get(FDescriptionEN)
	l.Unit = p.get(FUnit)
	l.PriceMinVND = p.amount(FPriceMin)
	l.PriceMaxVND = p.amount(FPriceMax)
	if n := p.amount(FMOQ); n != nil {
		l.MinOrderQty = *n
	}
	l.MonthlyCapacity = p.amount(FCapacity)
	// Official lists rarely say how the product is sold. The draft is for
	// the producer to complete before publishing; until then it says what
	// the list says, and no more.
	c := p.r.cert
	if l.DescriptionVI == "" && c.ProductName != "" {
		l.DescriptionVI = fmt.Sprintf("Sản phẩm OCOP %d sao của %s (quyết định %s).", c.Stars, p.r.producer.LegalName, c.DecisionNumber)
	}
	if l.Unit == "" {
		l.Unit = "sản phẩm"
	}
	if l.MinOrderQty == 0 && !p.has(FMOQ) {
		l.MinOrderQty = 1
	}
}

// amount reads a whole number as people write it: "120000", "120.000",
// "120,000 đ", "1 200 000 VNĐ" (Vietnamese uses the dot for thousands; VND
// has no decimals).
func (p *rowReader) amount(f Field) *int64 {
	s := p.get(f)
	if s == "" {
		return nil
	}
	n, ok := parseAmount(s)
	if !ok {
		p.problem(f, "%q is not a whole number (write 120000 or 120.000)", s)
		return nil
	}
	return &n
}

func parseAmount(s string) (int64, bool) {
	k := strings.ToLower(strings.TrimSpace(s))
	for _, suffix := range []string{"vnđ", "vnd", "đồng", "đ", "d"} {
		k = strings.TrimSpace(strings.TrimSuffix(k, suffix))
	}
	k = strings.NewReplacer(".", "", ",", "", " ", "", "\u00a0", "").Replace(k)
	if k == "" || !isDigits(k) || len(k) > 15 {
		// An XLSX number cell may come as "120000.0" or "1.2E+5".
		if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && f >= 0 && f == math.Trunc(f) && f < 1e15 {
			return int64(f), true
		}
		return 0, false
	}
	n, err := strconv.ParseInt(k, 10, 64)
	return n, err == nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// parseStars reads "4", "4 sao", "4★", "★★★★", "4.0" (a number cell).
func parseStars(s string) (int, bool) {
	k := strings.TrimSpace(strings.ToLower(s))
	if n := strings.Count(k, "★"); n > 0 && strings.Trim(k, "★ ") == "" {
		return n, n >= 3 && n <= 5
	}
	k = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(k, "★"), "sao"), "stars"))
	k = strings.TrimSuffix(strings.TrimSuffix(k, ".0"), ",0")
	n, err := strconv.Atoi(k)
	return n, err == nil && n >= 3 && n <= 5
}

// dateLayouts are the ways dates appear in provincial lists.
var dateLayouts = []string{"2006-01-02", "02/01/2006", "2/1/2006", "02-01-2006", "2-1-2006", "02.01.2006", "2.1.2006", "2006/01/02", "2006-01-02 15:04:05", "2006-01-02T15:04:05Z07:00"}

// parseDate reads a calendar day: ISO, Vietnamese day-first forms, or an
// Excel serial number (what an unformatted XLSX date cell holds).
func parseDate(s string) (ocop.Date, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return ocop.Date{Time: time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)}, t.Year() >= 1990 && t.Year() < 2100
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 32874 && f < 73051 { // 1990-01-01 .. 2099-12-31
		if t, err := excelize.ExcelDateToTime(f, false); err == nil {
			return ocop.Date{Time: time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)}, true
		}
	}
	return ocop.Date{}, false
}

// parseKind reads a producer kind as written in lists (or as the first
// words of a legal name).
func parseKind(s string) (ocop.ProducerKind, bool) {
	k := places.Fold(s)
	if k == "" {
		return "", false
	}
	if pk := ocop.ProducerKind(strings.ReplaceAll(k, " ", "_")); pk.Valid() {
		return pk, true
	}
	for _, c := range []struct {
		prefix string
		kind   ocop.ProducerKind
	}{
		{"to hop tac", ocop.KindCooperativeGroup}, {"tht", ocop.KindCooperativeGroup}, {"cooperative group", ocop.KindCooperativeGroup},
		{"hop tac xa", ocop.KindCooperative}, {"htx", ocop.KindCooperative}, {"lien hiep htx", ocop.KindCooperative}, {"cooperative", ocop.KindCooperative},
		{"ho kinh doanh", ocop.KindHouseholdBusiness}, {"hkd", ocop.KindHouseholdBusiness}, {"ho san xuat", ocop.KindHouseholdBusiness},
		{"co so", ocop.KindHouseholdBusiness}, {"household", ocop.KindHouseholdBusiness},
		{"doanh nghiep", ocop.KindEnterprise}, {"cong ty", ocop.KindEnterprise}, {"cty", ocop.KindEnterprise}, {"dntn", ocop.KindEnterprise},
		{"enterprise", ocop.KindEnterprise}, {"company", ocop.KindEnterprise},
	} {
		if k == c.prefix || strings.HasPrefix(k, c.prefix+" ") {
			return c.kind, true
		}
	}
	return "", false
}
