package httpapi_test

import (
	"bytes"
	"encoding/csv"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/demo"
	. "github.com/ocopconnect/ocopconnect/internal/testsupport"
)

// importBody is a multipart upload of the file and the given fields.
func importBody(t *testing.T, file []byte, fields map[string]string) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	if file != nil {
		fw, err := w.CreateFormFile("file", "danh-sach-ocop.csv")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(file)
	}
	_ = w.Close()
	return b.Bytes(), w.FormDataContentType()
}

type importJob struct {
	ID            string         `json:"id"`
	Status        string         `json:"status"`
	DryRun        bool           `json:"dry_run"`
	TotalRows     int            `json:"total_rows"`
	ProcessedRows int            `json:"processed_rows"`
	Result        map[string]any `json:"result"`
	Error         string         `json:"error"`
	ReportURL     *string        `json:"report_url"`
}

func submitImport(t *testing.T, s *Server, token string, file []byte, fields map[string]string) importJob {
	t.Helper()
	body, ct := importBody(t, file, fields)
	var j importJob
	r := s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/admin/imports", Token: token, Body: body, ContentType: ct}).Expect(t, http.StatusAccepted)
	r.JSON(t, &j)
	if r.Header.Get("Location") != "/api/v1/admin/imports/"+j.ID || j.Status != "queued" {
		t.Fatalf("queued job: %+v, Location %q", j, r.Header.Get("Location"))
	}
	return j
}

func TestAdminImportJob(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		s := NewServer(t, db)
		s.Clock().Advance(time.Date(2026, 1, 15, 3, 0, 0, 0, time.UTC).Sub(s.Clock().Now()))
		adm := admin(t, s)
		buyer := signUp(t, s, "lan@example.vn", "buyer")

		// Only admins import; the upload must carry a file.
		body, ct := importBody(t, demo.Catalogue, nil)
		s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/admin/imports", Token: buyer.Token, Body: body, ContentType: ct}).Expect(t, http.StatusForbidden)
		body, ct = importBody(t, nil, map[string]string{"dry_run": "true"})
		if p := s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/admin/imports", Token: adm.Token, Body: body, ContentType: ct}).Expect(t, http.StatusBadRequest).Problem(t); !p.HasField("file") {
			t.Fatalf("missing file: %+v", p)
		}
		body, ct = importBody(t, demo.Catalogue, map[string]string{"mapping": "columns: {\"Tên\": no_such_field}"})
		if p := s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/admin/imports", Token: adm.Token, Body: body, ContentType: ct}).Expect(t, http.StatusBadRequest).Problem(t); !p.HasField("mapping") {
			t.Fatalf("bad mapping: %+v", p)
		}
		s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/admin/imports", Token: adm.Token, Body: "{}", ContentType: "application/json"}).Expect(t, http.StatusUnsupportedMediaType)

		// A dry run stores nothing and reports nothing wrong.
		dry := submitImport(t, s, adm.Token, demo.Catalogue, map[string]string{"dry_run": "true"})
		var j importJob
		s.Get(t, "/api/v1/admin/imports/"+dry.ID, adm.Token).Expect(t, http.StatusOK).JSON(t, &j)
		if j.Status != "queued" || j.ReportURL != nil {
			t.Fatalf("before the worker: %+v", j)
		}
		s.Get(t, "/api/v1/admin/imports/"+dry.ID+"/report.csv", adm.Token).Expect(t, http.StatusConflict)
		s.DrainOutbox()
		s.Get(t, "/api/v1/admin/imports/"+dry.ID, adm.Token).Expect(t, http.StatusOK).JSON(t, &j)
		if j.Status != "succeeded" || !j.DryRun || j.TotalRows != 102 || j.ProcessedRows != 102 || j.Result["producers_created"] != float64(102) {
			t.Fatalf("dry run: %+v", j)
		}
		var producers struct{ Items []any }
		s.Get(t, "/api/v1/producers?limit=100", "").Expect(t, http.StatusOK).JSON(t, &producers)
		if len(producers.Items) != 0 {
			t.Fatalf("a dry run stored %d producers", len(producers.Items))
		}

		// The real run, with a broken row: its batch (all rows) fails, precisely reported.
		recs, _ := csv.NewReader(bytes.NewReader(demo.Catalogue)).ReadAll()
		recs[3][5] = "7 sao" // stars of the third product, file row 4
		var b bytes.Buffer
		_ = csv.NewWriter(&b).WriteAll(recs)
		job := submitImport(t, s, adm.Token, b.Bytes(), map[string]string{"batch_size": "50"})
		s.DrainOutbox()
		s.Get(t, "/api/v1/admin/imports/"+job.ID, adm.Token).Expect(t, http.StatusOK).JSON(t, &j)
		if j.Status != "succeeded" || j.Result["imported_rows"] != float64(52) || j.Result["failed_rows"] != float64(50) || j.ReportURL == nil {
			t.Fatalf("import: %+v", j)
		}
		r := s.Get(t, *j.ReportURL, adm.Token).Expect(t, http.StatusOK)
		lines := strings.Split(strings.TrimSpace(string(r.Body)), "\n")
		if len(lines) != 3 || lines[0] != "row,field,column,problem" || !strings.HasPrefix(lines[2], `4,stars,stars,"""7 sao"" is not a star level`) {
			t.Fatalf("report:\n%s", r.Body)
		}
		s.Get(t, "/api/v1/producers?limit=100", "").Expect(t, http.StatusOK).JSON(t, &producers)
		if len(producers.Items) != 52 {
			t.Fatalf("%d producers stored, want 52", len(producers.Items))
		}

		// An unreadable file fails the job with the reason.
		bad := submitImport(t, s, adm.Token, []byte("just one line without the columns\n"), nil)
		s.DrainOutbox()
		s.Get(t, "/api/v1/admin/imports/"+bad.ID, adm.Token).Expect(t, http.StatusOK).JSON(t, &j)
		if j.Status != "failed" || !strings.Contains(j.Error, "header") {
			t.Fatalf("bad file: %+v", j)
		}
		s.Get(t, "/api/v1/admin/imports/"+bad.ID, buyer.Token).Expect(t, http.StatusForbidden)
		s.Get(t, "/api/v1/admin/imports/no-such-import", adm.Token).Expect(t, http.StatusNotFound)
	})
}
