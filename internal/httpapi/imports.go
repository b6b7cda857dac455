package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ocopconnect/ocopconnect/internal/imports"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

const importsPath = "/api/v1/admin/imports"

func (a *API) routesImports(v1 *gin.RouterGroup) {
	if a.ImportJobs == nil {
		return
	}
	// The list itself, a mapping file and a few small fields.
	a.bodyLimits[importsPath] = a.ImportMaxBytes + 1<<20
	admin := v1.Group("/admin", a.requireAuth, a.requireRole(ocop.RoleAdmin))
	admin.POST("/imports", a.createImport)
	admin.GET("/imports/:id", a.getImport)
	admin.GET("/imports/:id/report.csv", a.importReport)
}

type importJobResponse struct {
	ID            string          `json:"id"`
	Status        string          `json:"status"`
	FileName      string          `json:"file_name"`
	FileSize      int64           `json:"file_size"`
	DryRun        bool            `json:"dry_run"`
	Verify        bool            `json:"verify"`
	TotalRows     int             `json:"total_rows"`
	ProcessedRows int             `json:"processed_rows"`
	Result        json.RawMessage `json:"result"`
	Error         string          `json:"error"`
	Attempts      int             `json:"attempts"`
	ReportURL     *string         `json:"report_url"`
	CreatedAt     time.Time       `json:"created_at"`
	StartedAt     *time.Time      `json:"started_at"`
	FinishedAt    *time.Time      `json:"finished_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
}

func toImportJobResponse(j *ocop.ImportJob) importJobResponse {
	var o imports.JobOptions
	_ = json.Unmarshal(j.Options, &o) // written by Submit
	r := importJobResponse{
		ID: j.ID, Status: string(j.Status), FileName: j.FileName, FileSize: j.FileSize, DryRun: o.DryRun, Verify: o.Verify,
		TotalRows: j.TotalRows, ProcessedRows: j.ProcessedRows, Result: j.Result, Error: j.Error, Attempts: j.Attempts,
		CreatedAt: j.CreatedAt, StartedAt: j.StartedAt, FinishedAt: j.FinishedAt, UpdatedAt: j.UpdatedAt,
	}
	if len(r.Result) == 0 {
		r.Result = json.RawMessage("null")
	}
	if j.Status == ocop.ImportSucceeded || j.Status == ocop.ImportFailed {
		u := importsPath + "/" + j.ID + "/report.csv"
		r.ReportURL = &u
	}
	return r
}

// createImport reads the multipart upload: "file" (the list), optionally
// "mapping" (a mapping file), "dry_run" and "verify" (true/false), and
// "batch_size".
func (a *API) createImport(c *gin.Context) {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		fail(c, ocop.Errorf(ocop.CodeUnsupportedMedia, "send the list as multipart/form-data with a part named \"file\""))
		return
	}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		fail(c, ocop.FieldInvalid("file", "the multipart body could not be read"))
		return
	}
	var (
		content  []byte
		fileName string
		o        = imports.JobOptions{Verify: true}
		v        ocop.Validation
	)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if tooLarge(err) {
				fail(c, ocop.Errorf(ocop.CodeTooLarge, "the upload is larger than %d bytes", a.ImportMaxBytes))
				return
			}
			fail(c, ocop.FieldInvalid("file", "the multipart body could not be read"))
			return
		}
		name := part.FormName()
		limit := int64(64 << 10)
		if name == "file" {
			limit = a.ImportMaxBytes
		}
		b, err := io.ReadAll(io.LimitReader(part, limit+1))
		_ = part.Close()
		if err != nil {
			if tooLarge(err) {
				fail(c, ocop.Errorf(ocop.CodeTooLarge, "the upload is larger than %d bytes", a.ImportMaxBytes))
				return
			}
			fail(c, ocop.FieldInvalid(name, "could not be read"))
			return
		}
		if int64(len(b)) > limit {
			if name == "file" {
				fail(c, ocop.Errorf(ocop.CodeTooLarge, "the file is larger than %d bytes (OCOP_IMPORT_MAX_BYTES)", a.ImportMaxBytes))
				return
			}
			v.Add(name, "is longer than %d bytes", limit)
			continue
		}
		switch name {
		case "file":
			content, fileName = b, part.FileName()
		case "mapping":
			m, err := imports.ParseMapping(b)
			if err != nil {
				var e *ocop.Error
				if errors.As(err, &e) {
					for _, f := range e.Fields {
						v.Add("mapping", "%s", f.Message)
					}
				}
				continue
			}
			o.Mapping = m
		case "dry_run", "verify":
			bv, err := strconv.ParseBool(string(b))
			if err != nil {
				v.Add(name, "must be true or false")
				continue
			}
			if name == "dry_run" {
				o.DryRun = bv
			} else {
				o.Verify = bv
			}
		case "batch_size":
			n, err := strconv.Atoi(string(b))
			if err != nil || n < 1 || n > 5000 {
				v.Add(name, "must be a whole number between 1 and 5000")
				continue
			}
			o.BatchSize = n
		default:
			v.Add(name, "is not a field of this upload (file, mapping, dry_run, verify, batch_size)")
		}
	}
	if content == nil && !v.Has("file") {
		v.Add("file", "is required (a part named \"file\" with the CSV or XLSX list)")
	}
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	if fileName == "" {
		fileName = "upload"
	}
	job, err := a.ImportJobs.Submit(c.Request.Context(), fileName, content, o)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", importsPath+"/"+job.ID)
	c.JSON(http.StatusAccepted, toImportJobResponse(job))
}

func (a *API) getImport(c *gin.Context) {
	job, err := a.ImportJobs.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toImportJobResponse(job))
}

func (a *API) importReport(c *gin.Context) {
	report, err := a.ImportJobs.Report(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="import-`+c.Param("id")+`-report.csv"`)
	c.Data(http.StatusOK, "text/csv; charset=utf-8", []byte(report))
}
