package imports

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/unicode/norm"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// Formats the importer reads, recognised by content (not by file name).
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

// record is one row of the file as read: its row number as a spreadsheet
// shows it (for CSV, the line the record starts on) and its cells.
type record struct {
	row   int
	cells []string
	// bad holds cells that cannot be used, by column: formulas, oversized or
	// non-UTF-8 text. The report names them; the row is not imported.
	bad map[int]string
}

func (r *record) cell(i int) string {
	if i < 0 || i >= len(r.cells) {
		return ""
	}
	return r.cells[i]
}

func (r *record) blank() bool {
	for _, c := range r.cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return len(r.bad) == 0
}

// DetectFormat names the format of a file's content.
func DetectFormat(b []byte) (string, error) {
	switch {
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return FormatXLSX, nil
	case bytes.HasPrefix(b, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return "", &ocop.Error{Code: ocop.CodeUnsupportedMedia, Message: "this is an old Excel .xls file (or encrypted): save it as .xlsx or .csv (UTF-8)"}
	case len(bytes.TrimSpace(b)) == 0:
		return "", ocop.FieldInvalid("file", "is empty")
	}
	return FormatCSV, nil
}

// readLimits bound what one cell and one workbook may take.
type readLimits struct {
	maxCellChars int
	maxBytes     int64
}

func readFile(b []byte, format, sheet string, lim readLimits) ([]record, string, error) {
	switch format {
	case FormatXLSX:
		return readXLSX(b, sheet, lim)
	case FormatCSV:
		recs, err := readCSV(b, lim)
		return recs, "", err
	}
	return nil, "", fmt.Errorf("imports: unknown format %q", format)
}

func cleanCell(s string, lim readLimits) (string, string) {
	if !utf8.ValidString(s) {
		return "", "is not UTF-8 text (save the file as CSV UTF-8)"
	}
	if n := utf8.RuneCountInString(s); n > lim.maxCellChars {
		return "", fmt.Sprintf("holds %d characters; a cell may hold at most %d", n, lim.maxCellChars)
	}
	return norm.NFC.String(strings.TrimSpace(s)), ""
}

// readCSV reads comma- or semicolon-separated UTF-8 text (Excel's "CSV
// UTF-8" writes a byte-order mark, European locales use semicolons).
func readCSV(b []byte, lim readLimits) ([]record, error) {
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	first, _, _ := bytes.Cut(b, []byte("\n"))
	r := csv.NewReader(bytes.NewReader(b))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		r.Comma = ';'
	} else if bytes.Count(first, []byte("\t")) > bytes.Count(first, []byte(",")) {
		r.Comma = '\t'
	}
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	var out []record
	for {
		cells, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, ocop.FieldInvalid("file", "is not valid CSV at line %d: %v", pe.Line, pe.Err)
			}
			return nil, err
		}
		line, _ := r.FieldPos(0)
		rec := record{row: line, cells: cells}
		for i, c := range cells {
			v, bad := cleanCell(c, lim)
			if bad != "" {
				if rec.bad == nil {
					rec.bad = map[int]string{}
				}
				rec.bad[i] = bad
			}
			rec.cells[i] = v
		}
		out = append(out, rec)
	}
}

// readXLSX reads one worksheet with excelize. Cells come back unformatted
// (dates as Excel serial numbers, which the date parser understands), and
// a cell holding a formula is refused: what it shows depends on the
// workbook's calculation, which an import must not guess.
func readXLSX(b []byte, sheet string, lim readLimits) ([]record, string, error) {
	f, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{
		RawCellValue: true, UnzipSizeLimit: lim.maxBytes * 20, UnzipXMLSizeLimit: lim.maxBytes * 10,
	})
	if err != nil {
		return nil, "", ocop.FieldInvalid("file", "is not a readable XLSX workbook: %s", firstLine(err.Error()))
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if sheet == "" {
		if len(sheets) == 0 {
			return nil, "", ocop.FieldInvalid("file", "has no worksheet")
		}
		sheet = sheets[0]
	} else if idx, _ := f.GetSheetIndex(sheet); idx < 0 {
		return nil, "", ocop.FieldInvalid("mapping", "sheet %q is not in the workbook (it has %s)", sheet, quoteList(sheets))
	}
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, "", ocop.FieldInvalid("file", "worksheet %q cannot be read: %s", sheet, firstLine(err.Error()))
	}
	out := make([]record, 0, len(rows))
	for i, cells := range rows {
		rec := record{row: i + 1, cells: cells}
		for j, c := range cells {
			name, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if formula, _ := f.GetCellFormula(sheet, name); formula != "" {
				if rec.bad == nil {
					rec.bad = map[int]string{}
				}
				rec.bad[j] = fmt.Sprintf("cell %s holds a formula (=%s); paste its value instead", name, formula)
				continue
			}
			v, bad := cleanCell(c, lim)
			if bad != "" {
				if rec.bad == nil {
					rec.bad = map[int]string{}
				}
				rec.bad[j] = "cell " + name + " " + bad
			}
			rec.cells[j] = v
		}
		out = append(out, rec)
	}
	return out, sheet, nil
}
