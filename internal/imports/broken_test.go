package imports_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/ocopconnect/ocopconnect/internal/demo"
	"github.com/ocopconnect/ocopconnect/internal/imports"
	"github.com/ocopconnect/ocopconnect/internal/testsupport"
)

// sampleRows are the first n data rows of the sample catalogue.
func sampleRows(t *testing.T, n int) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(demo.Catalogue)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs[1 : n+1]
}

func col(name string) int {
	for i, h := range catalogueHeader {
		if h == name {
			return i
		}
	}
	panic(name)
}

func csvOf(t *testing.T, rows [][]string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(catalogueHeader)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func problemKeys(ps []imports.Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, fmt.Sprintf("%d:%s", p.Row, p.Field))
	}
	return out
}

func TestImportBrokenRows(t *testing.T) {
	testsupport.ForEachDatabase(t, func(t *testing.T, db testsupport.DB) {
		s := testsupport.NewServer(t, db)
		at(s, "2026-01-15")
		rows := sampleRows(t, 12) // file rows 2..13, batches of 4: 2-5, 6-9, 10-13
		rows[1][col("stars")] = "6"
		rows[2][col("commune_code")], rows[2][col("commune_name")] = "", "Xã Không Có Thật"
		rows[3][col("decision_date")] = "31/02/2024"
		rows[4] = append([]string(nil), rows[0]...) // row 6 repeats row 2
		rows[5][col("product_name")] = ""
		file := csvOf(t, rows)
		before := snap(t, s)

		dry, err := s.Imports.Run(context.Background(), file, imports.Options{Verify: true, BatchSize: 4, DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if after := snap(t, s); after != before {
			t.Fatalf("a dry run stored rows: %+v -> %+v", before, after)
		}
		res, err := s.Imports.Run(context.Background(), file, imports.Options{Verify: true, BatchSize: 4})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []*imports.Result{dry, res} {
			want := "2: 3:stars 4:commune_name 5:decision_date 6: 6:decision_no 7:product_name"
			if got := strings.Join(problemKeys(r.Problems), " "); got != want {
				t.Fatalf("dry=%v report %q, want %q\n%+v", r.DryRun, got, want, r.Problems)
			}
			if r.ImportedRows != 4 || r.FailedRows != 8 || r.FailedBatches != 2 || r.ProducersCreated != 4 {
				t.Fatalf("dry=%v counts %+v", r.DryRun, r.Progress)
			}
		}
		for _, p := range res.Problems {
			if p.Row == 6 && p.Field == "decision_no" && !strings.Contains(p.Problem, "duplicates row 2") {
				t.Errorf("duplicate: %q", p.Problem)
			}
			if p.Row == 4 && (p.Column != "commune_name" || !strings.Contains(p.Problem, "Xã Không Có Thật")) {
				t.Errorf("commune: %+v", p)
			}
		}
		// Only the good batch (rows 10-13) was stored.
		if n := count(t, s, "SELECT COUNT(*) FROM producers"); n != 4 {
			t.Fatalf("%d producers stored, want 4", n)
		}
		for _, r := range rows[8:] {
			if n := count(t, s, "SELECT COUNT(*) FROM producers WHERE tax_code = ?", r[col("tax_code")]); n != 1 {
				t.Errorf("producer of %s not stored", r[0])
			}
		}
		report := imports.ReportCSV(res.Problems)
		if !strings.HasPrefix(report, "row,field,column,problem\n2,,,rows 2-5 were not imported") || !strings.Contains(report, "\n3,stars,stars,") {
			t.Errorf("report CSV:\n%s", report)
		}
	})
}

// xlsxWith builds a workbook of the sample layout; cells maps "B3" to a
// value, "=..." to a formula. A value "BIG" becomes a 10 MB text cell,
// written into the file directly (excelize, like Excel, refuses to write
// more than 32,767 characters to a cell; other generators do not).
func xlsxWith(t *testing.T, rows [][]string, cells map[string]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	sheet := "Danh sách OCOP"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	for j, h := range catalogueHeader {
		name, _ := excelize.CoordinatesToCellName(j+1, 1)
		_ = f.SetCellStr(sheet, name, h)
	}
	for i, r := range rows {
		for j, v := range r {
			name, _ := excelize.CoordinatesToCellName(j+1, i+2)
			_ = f.SetCellStr(sheet, name, v)
		}
	}
	for name, v := range cells {
		if strings.HasPrefix(v, "=") {
			if err := f.SetCellFormula(sheet, name, v[1:]); err != nil {
				t.Fatal(err)
			}
			continue
		}
		_ = f.SetCellStr(sheet, name, v)
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return blowUp(t, b.Bytes(), "BIG", strings.Repeat("Mô tả rất dài. ", 10<<20/len("Mô tả rất dài. ")))
}

// blowUp rewrites the workbook's XML parts, replacing a marker text.
func blowUp(t *testing.T, xlsx []byte, marker, with string) []byte {
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if strings.HasSuffix(f.Name, ".xml") {
			b = bytes.ReplaceAll(b, []byte(">"+marker+"<"), []byte(">"+with+"<"))
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestImportXLSXFormulaAndHugeCell(t *testing.T) {
	testsupport.ForEachDatabase(t, func(t *testing.T, db testsupport.DB) {
		s := testsupport.NewServer(t, db)
		at(s, "2026-01-15")
		rows := sampleRows(t, 3)
		starsCol, _ := excelize.ColumnNumberToName(col("stars") + 1)
		descCol, _ := excelize.ColumnNumberToName(col("description") + 1)
		file := xlsxWith(t, rows, map[string]string{starsCol + "3": "=2+2", descCol + "4": "BIG"})
		res, err := s.Imports.Run(context.Background(), file, imports.Options{Verify: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Format != "xlsx" || res.Sheet != "Danh sách OCOP" {
			t.Fatalf("read as %s/%s", res.Format, res.Sheet)
		}
		if got := strings.Join(problemKeys(res.Problems), " "); got != "2: 3:stars 4:description" {
			t.Fatalf("report %q: %+v", got, res.Problems)
		}
		if p := res.Problems[1]; !strings.Contains(p.Problem, "formula") || !strings.Contains(p.Problem, starsCol+"3") {
			t.Errorf("formula: %+v", p)
		}
		if p := res.Problems[2]; !strings.Contains(p.Problem, "at most 32767") {
			t.Errorf("huge cell: %+v", p)
		}
		if n := count(t, s, "SELECT COUNT(*) FROM producers"); n != 0 {
			t.Fatalf("%d producers stored from a failed batch", n)
		}
		// The same workbook without the bad cells imports, dates and all.
		good, err := s.Imports.Run(context.Background(), xlsxWith(t, rows, nil), imports.Options{Verify: true})
		if err != nil || good.ImportedRows != 3 || good.ProblemCount != 0 {
			t.Fatalf("good workbook: %+v %v %v", good.Progress, good.Problems, err)
		}
	})
}
