package events

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// Floor plan colours by booth status (legible for colour-blind readers too:
// the status is also written in the legend and each booth's title).
var boothColours = map[BoothStatus]string{
	BoothFree:      "#c8e6c9",
	BoothHeld:      "#ffe082",
	BoothConfirmed: "#90caf9",
}

var statusLabel = map[BoothStatus]string{
	BoothFree: "Còn trống / free", BoothHeld: "Đang giữ chỗ / held", BoothConfirmed: "Đã xác nhận / confirmed",
}

// The SVG is built from structs and written by encoding/xml, which escapes
// every text and attribute (exhibitor names are user input).
type svgDoc struct {
	XMLName xml.Name `xml:"svg"`
	NS      string   `xml:"xmlns,attr"`
	Width   string   `xml:"width,attr"`
	Height  string   `xml:"height,attr"`
	ViewBox string   `xml:"viewBox,attr"`
	Role    string   `xml:"role,attr"`
	Title   string   `xml:"title"`
	Style   string   `xml:"style"`
	Items   []any
}

type svgRect struct {
	XMLName xml.Name `xml:"rect"`
	X       string   `xml:"x,attr"`
	Y       string   `xml:"y,attr"`
	W       string   `xml:"width,attr"`
	H       string   `xml:"height,attr"`
	Fill    string   `xml:"fill,attr"`
	Class   string   `xml:"class,attr,omitempty"`
}

type svgText struct {
	XMLName xml.Name `xml:"text"`
	X       string   `xml:"x,attr"`
	Y       string   `xml:"y,attr"`
	Size    string   `xml:"font-size,attr"`
	Class   string   `xml:"class,attr,omitempty"`
	Anchor  string   `xml:"text-anchor,attr,omitempty"`
	Text    string   `xml:",chardata"`
}

type svgGroup struct {
	XMLName xml.Name `xml:"g"`
	ID      string   `xml:"id,attr,omitempty"`
	Class   string   `xml:"class,attr,omitempty"`
	Title   string   `xml:"title,omitempty"`
	Items   []any
}

func px(v float64) string { return fmt.Sprintf("%.1f", v) }

// WriteFloorPlan draws the event's booths at their positions, coloured by
// status, labelled with the code and, for confirmed booths, the exhibitor.
func (s *Service) WriteFloorPlan(ctx context.Context, eventID string, w io.Writer) (*ocop.Event, error) {
	e, views, err := s.ListBooths(ctx, BoothsInput{EventID: eventID})
	if err != nil {
		return nil, err
	}
	var maxX, maxY float64 = 10, 10
	for _, v := range views {
		maxX = math.Max(maxX, v.Booth.X+v.Booth.Width)
		maxY = math.Max(maxY, v.Booth.Y+v.Booth.Height)
	}
	// Scale the hall to about 1200 px across, within sane bounds.
	scale := math.Min(60, math.Max(4, 1200/math.Max(maxX, maxY)))
	const margin, header = 20.0, 70.0
	width := maxX*scale + 2*margin
	height := maxY*scale + 2*margin + header
	doc := svgDoc{NS: "http://www.w3.org/2000/svg", Width: px(width), Height: px(height),
		ViewBox: fmt.Sprintf("0 0 %s %s", px(width), px(height)), Role: "img", Title: e.Name + " — floor plan",
		Style: "text{font-family:'Noto Sans','DejaVu Sans',Arial,sans-serif;fill:#1b1b1b}.booth{stroke:#37474f;stroke-width:1.5}.code{font-weight:bold}"}
	doc.Items = append(doc.Items,
		svgRect{X: "0", Y: "0", W: px(width), H: px(height), Fill: "#ffffff"},
		svgText{X: px(margin), Y: px(margin + 16), Size: "18", Class: "code", Text: e.Name},
	)
	lx := margin
	for _, st := range []BoothStatus{BoothFree, BoothHeld, BoothConfirmed} {
		doc.Items = append(doc.Items,
			svgRect{X: px(lx), Y: px(margin + 30), W: "16", H: "16", Fill: boothColours[st], Class: "booth"},
			svgText{X: px(lx + 22), Y: px(margin + 43), Size: "13", Text: statusLabel[st]})
		lx += 200
	}
	top := margin + header
	doc.Items = append(doc.Items, svgRect{X: px(margin), Y: px(top), W: px(maxX * scale), H: px(maxY * scale), Fill: "#fafafa", Class: "booth"})
	for _, v := range views {
		b := v.Booth
		x, y, bw, bh := margin+b.X*scale, top+b.Y*scale, b.Width*scale, b.Height*scale
		font := math.Max(7, math.Min(16, math.Min(bw, bh)/4))
		g := svgGroup{ID: "booth-" + b.Code, Class: "status-" + string(v.Status),
			Title: fmt.Sprintf("%s (%s, %.1f m²): %s", b.Code, b.Zone, b.SizeM2, statusLabel[v.Status])}
		g.Items = append(g.Items,
			svgRect{X: px(x), Y: px(y), W: px(bw), H: px(bh), Fill: boothColours[v.Status], Class: "booth"},
			svgText{X: px(x + bw/2), Y: px(y + bh/2 - font*0.2), Size: px(font), Class: "code", Anchor: "middle", Text: b.Code})
		if v.Status == BoothConfirmed && v.Exhibitor != "" {
			g.Title += " — " + v.Exhibitor
			g.Items = append(g.Items, svgText{X: px(x + bw/2), Y: px(y + bh/2 + font), Size: px(font * 0.8), Anchor: "middle",
				Text: fit(v.Exhibitor, int(bw/(font*0.5)))})
		}
		doc.Items = append(doc.Items, g)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return nil, err
	}
	enc := xml.NewEncoder(w)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return e, enc.Close()
}

// fit shortens s to n runes with an ellipsis.
func fit(s string, n int) string {
	n = max(n, 4)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return strings.TrimSpace(string([]rune(s)[:n-1])) + "…"
}
