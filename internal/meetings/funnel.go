package meetings

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"slices"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/places"
	"github.com/ocopconnect/ocopconnect/internal/taxonomy"
)

// FunnelStages are the stages in order.
var FunnelStages = []string{"registrations", "requests", "accepted", "held", "inquiries", "quotes", "won"}

// FunnelCounts are the counts of each stage, in FunnelStages order.
type FunnelCounts [7]int

// FunnelRow is the funnel of one product group or province.
type FunnelRow struct {
	Key    string
	Label  string
	Counts FunnelCounts
}

// Funnel is an event's matchmaking funnel.
//
//   - registrations: buyer registrations;
//   - requests: meeting requests, whatever became of them;
//   - accepted: requests that were accepted (even if cancelled later);
//   - held: meetings the producer marked held;
//   - inquiries: held meetings continued as an inquiry;
//   - quotes: those inquiries that got a quote;
//   - won: those inquiries closed as won.
//
// By product group, a registration counts under each group of its
// interests (a set counts for its group) and a meeting under each group of
// its listings of interest; by province, a registration counts under each
// province it sources from and a meeting under the producer's province. A
// registration or meeting can so appear in several rows (or none).
type Funnel struct {
	Event *ocop.Event
	// Group and ProvinceCode are the filter applied to Counts ("" none).
	Group, ProvinceCode string
	Counts              FunnelCounts
	ByGroup             []FunnelRow
	ByProvince          []FunnelRow
}

// FunnelInput selects an event's funnel, optionally narrowed.
type FunnelInput struct {
	EventID      string
	Group        string
	ProvinceCode string
}

// Funnel computes the live funnel of an event (organiser).
func (s *Service) Funnel(ctx context.Context, in FunnelInput) (*Funnel, error) {
	var v ocop.Validation
	if in.Group != "" {
		if _, ok := taxonomy.Current().Group(in.Group); !ok {
			v.Add("group", "%q is not a product group code", in.Group)
		}
	}
	if in.ProvinceCode != "" {
		places.ValidateProvince(&v, "province_code", in.ProvinceCode, false)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	e, _, err := s.managed(ctx, in.EventID)
	if err != nil {
		return nil, err
	}
	regs, err := s.Repo.Registrations(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	ms, err := s.Repo.List(ctx, ocop.MeetingFilter{EventID: e.ID})
	if err != nil {
		return nil, err
	}
	outcomes := map[string]InquiryOutcome{}
	var inquiryIDs []string
	for _, m := range ms {
		if m.InquiryID != "" {
			inquiryIDs = append(inquiryIDs, m.InquiryID)
		}
	}
	if len(inquiryIDs) > 0 && s.Inquiries != nil {
		if outcomes, err = s.Inquiries.Outcomes(ctx, inquiryIDs); err != nil {
			return nil, err
		}
	}
	regGroups := func(g *ocop.BuyerRegistration) []string {
		var out []string
		for _, c := range g.Interests {
			if grp, ok := groupOfInterest(c); ok && !slices.Contains(out, grp) {
				out = append(out, grp)
			}
		}
		return out
	}
	count := func(keepReg func(*ocop.BuyerRegistration) bool, keepMeeting func(*ocop.Meeting) bool) FunnelCounts {
		var c FunnelCounts
		for _, g := range regs {
			if keepReg(g) {
				c[0]++
			}
		}
		for _, m := range ms {
			if !keepMeeting(m) {
				continue
			}
			c[1]++
			if m.AcceptedAt != nil {
				c[2]++
			}
			if m.Status == ocop.MeetingHeld {
				c[3]++
			}
			if m.InquiryID != "" {
				c[4]++
				o := outcomes[m.InquiryID]
				if o.Quoted {
					c[5]++
				}
				if o.Won {
					c[6]++
				}
			}
		}
		return c
	}
	byGroup := func(grp string) (func(*ocop.BuyerRegistration) bool, func(*ocop.Meeting) bool) {
		return func(g *ocop.BuyerRegistration) bool { return grp == "" || slices.Contains(regGroups(g), grp) },
			func(m *ocop.Meeting) bool { return grp == "" || slices.Contains(m.ProductGroups, grp) }
	}
	byProvince := func(pr string) (func(*ocop.BuyerRegistration) bool, func(*ocop.Meeting) bool) {
		return func(g *ocop.BuyerRegistration) bool { return pr == "" || slices.Contains(g.SourcingProvinces, pr) },
			func(m *ocop.Meeting) bool { return pr == "" || m.ProducerProvince == pr }
	}
	f := &Funnel{Event: e, Group: in.Group, ProvinceCode: in.ProvinceCode}
	rg, mg := byGroup(in.Group)
	rp, mp := byProvince(in.ProvinceCode)
	f.Counts = count(func(g *ocop.BuyerRegistration) bool { return rg(g) && rp(g) }, func(m *ocop.Meeting) bool { return mg(m) && mp(m) })

	for _, grp := range taxonomy.Current().Groups {
		r, m := byGroup(grp.Code)
		if c := count(r, m); c != (FunnelCounts{}) {
			f.ByGroup = append(f.ByGroup, FunnelRow{Key: grp.Code, Label: grp.NameVI, Counts: c})
		}
	}
	var provinces []string
	for _, g := range regs {
		provinces = append(provinces, g.SourcingProvinces...)
	}
	for _, m := range ms {
		provinces = append(provinces, m.ProducerProvince)
	}
	slices.Sort(provinces)
	for _, pr := range slices.Compact(provinces) {
		if pr == "" {
			continue
		}
		label := pr
		if p, ok := places.LookupProvince(pr); ok {
			label = p.Name
		}
		r, m := byProvince(pr)
		f.ByProvince = append(f.ByProvince, FunnelRow{Key: pr, Label: label, Counts: count(r, m)})
	}
	return f, nil
}

// Stage colours of the chart (each stage its own, so a screenshot can be
// checked stage by stage; the numbers are also written beside each bar).
var stageColours = []string{"#1565c0", "#6a1b9a", "#00897b", "#7cb342", "#f9a825", "#ef6c00", "#c62828"}

var stageLabels = []string{
	"Đăng ký / registrations", "Yêu cầu gặp / requests", "Chấp nhận / accepted", "Đã gặp / held",
	"Hỏi hàng / inquiries", "Báo giá / quotes", "Chốt đơn / won",
}

type svgFunnel struct {
	XMLName xml.Name `xml:"svg"`
	NS      string   `xml:"xmlns,attr"`
	Width   string   `xml:"width,attr"`
	Height  string   `xml:"height,attr"`
	ViewBox string   `xml:"viewBox,attr"`
	Role    string   `xml:"role,attr"`
	Title   string   `xml:"title"`
	Items   []any
}

type svgBar struct {
	XMLName xml.Name `xml:"rect"`
	ID      string   `xml:"id,attr"`
	Class   string   `xml:"class,attr"`
	X       string   `xml:"x,attr"`
	Y       string   `xml:"y,attr"`
	W       string   `xml:"width,attr"`
	H       string   `xml:"height,attr"`
	Fill    string   `xml:"fill,attr"`
	Count   int      `xml:"data-count,attr"`
}

type svgLabel struct {
	XMLName xml.Name `xml:"text"`
	X       string   `xml:"x,attr"`
	Y       string   `xml:"y,attr"`
	Size    string   `xml:"font-size,attr"`
	Weight  string   `xml:"font-weight,attr,omitempty"`
	Fill    string   `xml:"fill,attr"`
	Family  string   `xml:"font-family,attr"`
	Text    string   `xml:",chardata"`
}

// WriteFunnelSVG draws the funnel as horizontal bars, one per stage, each
// with its count and its conversion from the stage before.
func WriteFunnelSVG(f *Funnel, w io.Writer) error {
	const (
		width, labelW, barMax, barH, gap, top = 960, 250, 560, 34, 14, 70
	)
	height := top + len(FunnelStages)*(barH+gap) + 20
	title := "Phễu kết nối B2B / B2B meeting funnel: " + f.Event.Name
	sub := "Toàn hội chợ / whole fair"
	if f.Group != "" || f.ProvinceCode != "" {
		sub = "Lọc / filter:"
		if f.Group != "" {
			sub += " " + setName(f.Group)
		}
		if f.ProvinceCode != "" {
			name := f.ProvinceCode
			if p, ok := places.LookupProvince(f.ProvinceCode); ok {
				name = p.Name
			}
			sub += " " + name
		}
	}
	doc := svgFunnel{NS: "http://www.w3.org/2000/svg", Width: fmt.Sprint(width), Height: fmt.Sprint(height),
		ViewBox: fmt.Sprintf("0 0 %d %d", width, height), Role: "img", Title: title}
	font := "Noto Sans, DejaVu Sans, Arial, sans-serif"
	doc.Items = append(doc.Items,
		svgLabel{X: "20", Y: "32", Size: "20", Weight: "bold", Fill: "#212121", Family: font, Text: title},
		svgLabel{X: "20", Y: "54", Size: "14", Fill: "#616161", Family: font, Text: sub})
	maxN := max(f.Counts[0], 1)
	for _, n := range f.Counts {
		maxN = max(maxN, n)
	}
	for i, stage := range FunnelStages {
		n := f.Counts[i]
		y := top + i*(barH+gap)
		bw := float64(barMax) * float64(n) / float64(maxN)
		doc.Items = append(doc.Items,
			svgLabel{X: "20", Y: fmt.Sprint(y + barH/2 + 5), Size: "14", Fill: "#212121", Family: font, Text: stageLabels[i]},
			svgBar{ID: "stage-" + stage, Class: "stage", X: fmt.Sprint(labelW), Y: fmt.Sprint(y), W: fmt.Sprintf("%.1f", bw),
				H: fmt.Sprint(barH), Fill: stageColours[i], Count: n})
		text := fmt.Sprint(n)
		if i > 0 && f.Counts[i-1] > 0 {
			text += fmt.Sprintf(" (%.0f%%)", 100*float64(n)/float64(f.Counts[i-1]))
		}
		doc.Items = append(doc.Items, svgLabel{X: fmt.Sprintf("%.1f", float64(labelW)+bw+10), Y: fmt.Sprint(y + barH/2 + 5), Size: "14",
			Weight: "bold", Fill: "#212121", Family: font, Text: text})
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", " ")
	return enc.Encode(doc)
}
