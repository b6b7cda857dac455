package imports

import (
	"bytes"
	"encoding/csv"
	"io"
	"strconv"
)

// ReportHeader is the first line of a report.
var ReportHeader = []string{"row", "field", "column", "problem"}

// WriteReport writes problems as CSV: the row number as the spreadsheet
// shows it, the field (as in the sample catalogue), the column header as
// written in the file, and what is wrong.
func WriteReport(w io.Writer, problems []Problem) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ReportHeader); err != nil {
		return err
	}
	for _, p := range problems {
		if err := cw.Write([]string{strconv.Itoa(p.Row), p.Field, p.Column, p.Problem}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReportCSV is WriteReport into a string.
func ReportCSV(problems []Problem) string {
	var b bytes.Buffer
	_ = WriteReport(&b, problems) // a bytes.Buffer does not fail
	return b.String()
}
