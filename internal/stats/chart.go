package stats

import (
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// Charts are plain SVG written here rather than through a plotting
// library: the layout is a handful of labelled bars, it must carry
// Vietnamese text as text (searchable, crisp at any zoom, no font
// rasterising on the server), and the output is small and deterministic.

var (
	starColours  = map[int]string{3: "#f7c948", 4: "#f08c00", 5: "#c2410c"}
	groupColours = []string{"#2f9e44", "#1c7ed6", "#7048e8", "#e8590c", "#0ca678", "#d6336c"}
	kindColours  = map[ocop.ProducerKind]string{
		ocop.KindEnterprise: "#364fc7", ocop.KindCooperative: "#2b8a3e", ocop.KindCooperativeGroup: "#5f3dc4", ocop.KindHouseholdBusiness: "#e67700",
	}
	kindNames = map[ocop.ProducerKind]string{
		ocop.KindEnterprise: "Doanh nghiệp", ocop.KindCooperative: "Hợp tác xã", ocop.KindCooperativeGroup: "Tổ hợp tác", ocop.KindHouseholdBusiness: "Hộ kinh doanh",
	}
)

type svg struct {
	b    strings.Builder
	w, h int
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func (s *svg) text(x, y int, size int, weight, fill, anchor, t string) {
	fmt.Fprintf(&s.b, `<text x="%d" y="%d" font-size="%d" font-weight="%s" fill="%s" text-anchor="%s">%s</text>`+"\n", x, y, size, weight, fill, anchor, esc(t))
}

func (s *svg) rect(x, y, w, h int, fill string, rx int) {
	fmt.Fprintf(&s.b, `<rect x="%d" y="%d" width="%d" height="%d" rx="%d" fill="%s"/>`+"\n", x, y, max(w, 0), h, rx, fill)
}

func (s *svg) open(w, h int, title string) {
	s.w, s.h = w, h
	fmt.Fprintf(&s.b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" font-family="'Noto Sans', 'DejaVu Sans', Arial, sans-serif">`+"\n", w, h, w, h)
	fmt.Fprintf(&s.b, "<title>%s</title>\n", esc(title))
	s.rect(0, 0, w, h, "#ffffff", 0)
}

func (s *svg) close(w io.Writer) error {
	s.b.WriteString("</svg>\n")
	_, err := io.WriteString(w, s.b.String())
	return err
}

type bar struct {
	label  string
	value  int
	colour string
}

// bars draws a titled group of horizontal bars scaled to the largest value
// (at least 1), returning the y below it.
func (s *svg) bars(x, y, width int, title string, items []bar) int {
	s.text(x, y, 16, "600", "#212529", "start", title)
	y += 14
	top := 1
	for _, it := range items {
		top = max(top, it.value)
	}
	labelW, valueW := 150, 60
	barW := width - labelW - valueW
	for _, it := range items {
		s.text(x+labelW-10, y+17, 13, "400", "#495057", "end", it.label)
		s.rect(x+labelW, y+4, barW, 18, "#f1f3f5", 3)
		s.rect(x+labelW, y+4, barW*it.value/top, 18, it.colour, 3)
		s.text(x+labelW+barW+8, y+18, 13, "600", "#212529", "start", fmt.Sprint(it.value))
		y += 26
	}
	return y + 18
}

func (s *svg) tile(x, y, w int, value, label string) {
	s.rect(x, y, w, 74, "#f8f9fa", 8)
	s.text(x+14, y+34, 24, "700", "#1b4332", "start", value)
	s.text(x+14, y+58, 12, "400", "#495057", "start", label)
}

func pct(f float64) string { return fmt.Sprintf("%.0f%%", f*100) }

func vnDate(d ocop.Date) string { return d.Format("02/01/2006") }

// WriteProvinceChart draws one province's figures.
func WriteProvinceChart(w io.Writer, p *Province, asOf ocop.Date) error {
	var s svg
	s.open(960, 620, "OCOP "+p.Name)
	s.text(32, 44, 24, "700", "#1b4332", "start", "Chương trình OCOP — "+p.Name)
	s.text(32, 68, 13, "400", "#6c757d", "start", "Sản phẩm có giấy chứng nhận còn hiệu lực, số liệu ngày "+vnDate(asOf)+"; hỏi hàng và đặt gian trong 30 ngày")
	inq := "—"
	if p.Inquiries != nil {
		inq = fmt.Sprint(*p.Inquiries)
	}
	tiles := []struct{ v, l string }{
		{fmt.Sprint(p.Certified()), "sản phẩm OCOP"},
		{fmt.Sprintf("%d/%d", p.CoveredCommunes, p.CommunesTotal), "xã có sản phẩm (" + pct(p.Coverage()) + ")"},
		{fmt.Sprint(p.ExpiringCertificates), "hết hạn trong 90 ngày"},
		{fmt.Sprint(p.PublishedListings), "tin đăng đang bán"},
		{inq + " / " + fmt.Sprint(p.Bookings), "hỏi hàng / đặt gian"},
	}
	for i, t := range tiles {
		s.tile(32+i*182, 88, 170, t.v, t.l)
	}
	// Coverage bar.
	y := 192
	s.text(32, y, 16, "600", "#212529", "start", "Độ phủ: xã có ít nhất một sản phẩm OCOP")
	s.rect(32, y+12, 896, 22, "#e9ecef", 11)
	s.rect(32, y+12, int(896*p.Coverage()), 22, "#2f9e44", 11)
	s.text(928, y+50, 12, "400", "#495057", "end", fmt.Sprintf("%d trên %d xã, phường, đặc khu", p.CoveredCommunes, p.CommunesTotal))
	y += 86
	stars := []bar{}
	for _, n := range []int{3, 4, 5} {
		stars = append(stars, bar{fmt.Sprintf("%d sao", n), p.CertifiedByStars[n], starColours[n]})
	}
	left := s.bars(32, y, 440, "Theo hạng sao", stars)
	kinds := []bar{}
	for _, k := range ocop.ProducerKinds {
		kinds = append(kinds, bar{kindNames[k], p.ProducersByKind[k], kindColours[k]})
	}
	right := s.bars(500, y, 428, fmt.Sprintf("Chủ thể theo loại hình (%d)", p.Producers()), kinds)
	y = max(left, right)
	groups := []bar{}
	for i, g := range Groups() {
		groups = append(groups, bar{shortGroup(g.Code, g.NameVI), p.CertifiedByGroup[g.Code], groupColours[i%len(groupColours)]})
	}
	s.bars(32, y, 896, "Theo nhóm sản phẩm", groups)
	return s.close(w)
}

func shortGroup(code, name string) string {
	switch code {
	case "herbal":
		return "Dược liệu"
	case "tourism":
		return "Du lịch cộng đồng"
	case "handicraft":
		return "Thủ công mỹ nghệ"
	}
	return name
}

// WriteOverviewChart compares provinces: certified products stacked by
// star level, longest first, with each province's commune coverage.
func WriteOverviewChart(w io.Writer, o *Overview) error {
	ps := append([]Province(nil), o.Provinces...)
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Certified() != ps[j].Certified() {
			return ps[i].Certified() > ps[j].Certified()
		}
		return ps[i].ProvinceCode < ps[j].ProvinceCode
	})
	row := 22
	var s svg
	s.open(960, 140+row*len(ps), "OCOP theo tỉnh")
	s.text(32, 44, 24, "700", "#1b4332", "start", "Sản phẩm OCOP theo tỉnh, thành phố")
	s.text(32, 68, 13, "400", "#6c757d", "start", fmt.Sprintf("%d sản phẩm còn hiệu lực, %d/%d xã có sản phẩm (%s) — ngày %s",
		o.Total.Certified(), o.Total.CoveredCommunes, o.Total.CommunesTotal, pct(o.Total.Coverage()), vnDate(o.AsOf)))
	lx := 560
	for _, n := range []int{3, 4, 5} {
		s.rect(lx, 84, 14, 14, starColours[n], 2)
		s.text(lx+20, 96, 12, "400", "#495057", "start", fmt.Sprintf("%d sao", n))
		lx += 70
	}
	s.text(928, 96, 12, "400", "#495057", "end", "độ phủ xã")
	top := 1
	for _, p := range ps {
		top = max(top, p.Certified())
	}
	x0, barW := 210, 620
	y := 112
	for _, p := range ps {
		s.text(x0-10, y+15, 12, "400", "#343a40", "end", p.Name)
		s.rect(x0, y+3, barW, 16, "#f8f9fa", 2)
		x := x0
		for _, n := range []int{3, 4, 5} {
			wd := barW * p.CertifiedByStars[n] / top
			s.rect(x, y+3, wd, 16, starColours[n], 0)
			x += wd
		}
		s.text(x+6, y+16, 12, "600", "#212529", "start", fmt.Sprint(p.Certified()))
		s.text(928, y+16, 12, "400", "#2b8a3e", "end", pct(p.Coverage()))
		y += row
	}
	return s.close(w)
}
