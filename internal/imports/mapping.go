package imports

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v4"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/places"
)

// Mapping is the explicit mapping file for lists whose layout the header
// aliases do not cover (YAML, or JSON which is YAML too):
//
//	sheet: "Danh sách 2024"      # XLSX: the worksheet (default: the first)
//	header_row: 4                # the header's row number (default: found)
//	columns:                     # header as written -> field ("-" ignores it)
//	  "Tên SP": product_name
//	  "Số, ngày QĐ": decision_no
//	defaults:                    # a value for cells a column leaves empty,
//	  province_name: Đắk Lắk     # or for a field the file has no column for
//	  issued_by: UBND tỉnh Đắk Lắk
type Mapping struct {
	Sheet     string            `yaml:"sheet" json:"sheet,omitempty"`
	HeaderRow int               `yaml:"header_row" json:"header_row,omitempty"`
	Columns   map[string]string `yaml:"columns" json:"columns,omitempty"`
	Defaults  map[string]string `yaml:"defaults" json:"defaults,omitempty"`

	columns  map[string]Field // folded header -> field
	defaults map[Field]string
}

// ParseMapping reads and checks a mapping file. Problems are
// validation_failed errors naming the key (field "mapping").
func ParseMapping(b []byte) (*Mapping, error) {
	var m Mapping
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, ocop.FieldInvalid("mapping", "is not a mapping file (YAML or JSON with sheet, header_row, columns, defaults): %s", firstLine(err.Error()))
	}
	if err := m.compile(); err != nil {
		return nil, err
	}
	return &m, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func (m *Mapping) compile() error {
	var v ocop.Validation
	if m.HeaderRow < 0 {
		v.Add("mapping", "header_row must be a row number (1 or more)")
	}
	m.columns, m.defaults = map[string]Field{}, map[Field]string{}
	keys := make([]string, 0, len(m.Columns))
	for k := range m.Columns {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, header := range keys {
		name := strings.TrimSpace(m.Columns[header])
		if name == string(fieldIgnored) {
			m.columns[places.Fold(header)] = fieldIgnored
			continue
		}
		f, ok := knownField(name)
		if !ok {
			v.Add("mapping", "columns: %q maps to %q, which is not a field (%s, or - to ignore the column)", header, name, fieldList())
			continue
		}
		m.columns[places.Fold(header)] = f
	}
	dkeys := make([]string, 0, len(m.Defaults))
	for k := range m.Defaults {
		dkeys = append(dkeys, k)
	}
	sort.Strings(dkeys)
	for _, name := range dkeys {
		f, ok := knownField(name)
		if !ok {
			v.Add("mapping", "defaults: %q is not a field (%s)", name, fieldList())
			continue
		}
		m.defaults[f] = strings.TrimSpace(m.Defaults[name])
	}
	return v.Err()
}

func fieldList() string {
	fs := Fields()
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = string(f)
	}
	return strings.Join(out, ", ")
}

// field is the field a header names under this mapping: the mapping file
// first, then the aliases.
func (m *Mapping) field(header string) Field {
	if m != nil {
		if f, ok := m.columns[places.Fold(header)]; ok {
			return f
		}
	}
	return headerField(header)
}

// layout is where each field is in the file.
type layout struct {
	headerRow int           // 1-based row (line) number of the header
	col       map[Field]int // field -> column index
	header    []string      // the header cells as written
	ignored   []string      // headers that name no field
}

func (l *layout) column(f Field) string {
	if i, ok := l.col[f]; ok {
		return l.header[i]
	}
	return ""
}

// findLayout locates the header: the row the mapping names, else the one
// of the first rows naming the most fields (lists often start with a
// title and a blank row).
func findLayout(recs []record, m *Mapping) (*layout, error) {
	best, bestN := -1, 0
	for i, r := range recs {
		if m != nil && m.HeaderRow > 0 {
			if r.row == m.HeaderRow {
				best = i
				break
			}
			continue
		}
		if i >= maxHeaderScanned {
			break
		}
		n := 0
		for _, c := range r.cells {
			if f := m.field(c); f != fieldNone && f != fieldIgnored {
				n++
			}
		}
		if n > bestN {
			best, bestN = i, n
		}
	}
	if best < 0 {
		if m != nil && m.HeaderRow > 0 {
			return nil, ocop.FieldInvalid("mapping", "header_row %d is not in the file", m.HeaderRow)
		}
		return nil, ocop.FieldInvalid("file", "no header row found in the first %d rows: name the columns (e.g. %s) or give a mapping file", maxHeaderScanned, strings.Join(fieldNames(requiredFields), ", "))
	}
	r := recs[best]
	l := &layout{headerRow: r.row, col: map[Field]int{}, header: r.cells}
	var v ocop.Validation
	for i, h := range r.cells {
		if strings.TrimSpace(h) == "" {
			continue
		}
		f := m.field(h)
		switch f {
		case fieldNone:
			l.ignored = append(l.ignored, h)
		case fieldIgnored:
		default:
			if j, dup := l.col[f]; dup {
				v.Add("file", "columns %q and %q both hold %s; map one of them to - in a mapping file", r.cells[j], h, f)
				continue
			}
			l.col[f] = i
		}
	}
	for _, f := range requiredFields {
		if _, ok := l.col[f]; !ok && (m == nil || m.defaults[f] == "") {
			v.Add("file", "no column for %s (header row %d has %s); name it or map it in a mapping file", f, r.row, quoteList(r.cells))
		}
	}
	_, hasProv := l.col[FProvinceCode]
	_, hasProvName := l.col[FProvinceName]
	_, hasCommune := l.col[FCommuneCode]
	_, hasCommuneName := l.col[FCommuneName]
	_, hasAddr := l.col[FAddress]
	if !hasCommune && !hasCommuneName && !hasAddr {
		v.Add("file", "no column for the commune (commune_code, commune_name or address)")
	}
	if !hasProv && !hasProvName && !hasAddr && (m == nil || (m.defaults[FProvinceCode] == "" && m.defaults[FProvinceName] == "")) {
		v.Add("file", "no column for the province (province_code, province_name or address)")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return l, nil
}

func fieldNames(fs []Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = string(f)
	}
	return out
}

func quoteList(ss []string) string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, fmt.Sprintf("%q", s))
		}
	}
	if len(out) == 0 {
		return "no names"
	}
	return strings.Join(out, ", ")
}
