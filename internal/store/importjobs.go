package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

type importJobRow struct {
	ID            string `gorm:"primaryKey"`
	Status        string
	FileName      string
	FileSize      int64
	Content       []byte
	Options       string
	TotalRows     int
	ProcessedRows int
	Result        *string
	Report        *string
	Error         string
	Attempts      int
	CreatedBy     *string
	CreatedAt     time.Time
	StartedAt     *time.Time
	FinishedAt    *time.Time
	UpdatedAt     time.Time
}

func (importJobRow) TableName() string { return "import_jobs" }

// importJobColumns is what a status read selects: not the file, not the report.
var importJobColumns = []string{"id", "status", "file_name", "file_size", "options", "total_rows", "processed_rows",
	"result", "error", "attempts", "created_by", "created_at", "started_at", "finished_at", "updated_at"}

func (r *importJobRow) toDomain() *ocop.ImportJob {
	j := &ocop.ImportJob{
		ID: r.ID, Status: ocop.ImportStatus(r.Status), FileName: r.FileName, FileSize: r.FileSize,
		Options: json.RawMessage(r.Options), TotalRows: r.TotalRows, ProcessedRows: r.ProcessedRows, Error: r.Error,
		Attempts: r.Attempts, CreatedBy: strVal(r.CreatedBy), CreatedAt: r.CreatedAt.UTC(), StartedAt: utcPtr(r.StartedAt),
		FinishedAt: utcPtr(r.FinishedAt), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.Result != nil {
		j.Result = json.RawMessage(*r.Result)
	}
	return j
}

// ImportJobs keeps admin-uploaded imports, their progress and reports.
type ImportJobs struct{ s *Store }

// ImportJobs returns the import job repository.
func (s *Store) ImportJobs() *ImportJobs { return &ImportJobs{s} }

// Create stores a queued job with its file.
func (r *ImportJobs) Create(ctx context.Context, j *ocop.ImportJob, content []byte) error {
	row := importJobRow{
		ID: j.ID, Status: string(j.Status), FileName: j.FileName, FileSize: j.FileSize, Content: content,
		Options: string(j.Options), CreatedBy: strPtr(j.CreatedBy), CreatedAt: j.CreatedAt.UTC(), UpdatedAt: j.UpdatedAt.UTC(),
	}
	return translate(r.s.conn(ctx).Create(&row).Error)
}

// Get loads a job's status (without its file and report).
func (r *ImportJobs) Get(ctx context.Context, id string) (*ocop.ImportJob, error) {
	var row importJobRow
	err := r.s.conn(ctx).Select(importJobColumns).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ocop.NotFound("import")
	}
	if err != nil {
		return nil, translate(err)
	}
	return row.toDomain(), nil
}

// Content is the uploaded file of a job.
func (r *ImportJobs) Content(ctx context.Context, id string) ([]byte, error) {
	var row importJobRow
	err := r.s.conn(ctx).Select("content").Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ocop.NotFound("import")
	}
	return row.Content, translate(err)
}

// Report is the stored CSV report of a job ("" before it finished).
func (r *ImportJobs) Report(ctx context.Context, id string) (string, error) {
	var row importJobRow
	err := r.s.conn(ctx).Select("report").Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", ocop.NotFound("import")
	}
	return strVal(row.Report), translate(err)
}

// Start marks a job running (again, after a crash) and counts the attempt.
// It reports false for a job that already finished.
func (r *ImportJobs) Start(ctx context.Context, id string, at time.Time) (bool, error) {
	res := r.s.conn(ctx).Model(&importJobRow{}).Where("id = ? AND status IN ?", id, []string{string(ocop.ImportQueued), string(ocop.ImportRunning)}).
		Updates(map[string]any{"status": string(ocop.ImportRunning), "started_at": at.UTC(), "updated_at": at.UTC(),
			"attempts": gorm.Expr("attempts + 1")})
	return res.RowsAffected == 1, translate(res.Error)
}

// Progress records how far a running job has got.
func (r *ImportJobs) Progress(ctx context.Context, id string, total, processed int, result []byte, at time.Time) error {
	return translate(r.s.conn(ctx).Model(&importJobRow{}).Where("id = ?", id).Updates(map[string]any{
		"total_rows": total, "processed_rows": processed, "result": string(result), "updated_at": at.UTC()}).Error)
}

// Finish records a job's outcome.
func (r *ImportJobs) Finish(ctx context.Context, id string, status ocop.ImportStatus, total, processed int, result []byte, report, errMsg string, at time.Time) error {
	cols := map[string]any{"status": string(status), "report": report, "error": errMsg, "finished_at": at.UTC(), "updated_at": at.UTC(),
		"total_rows": total, "processed_rows": processed}
	if result != nil {
		cols["result"] = string(result)
	}
	return translate(r.s.conn(ctx).Model(&importJobRow{}).Where("id = ?", id).Updates(cols).Error)
}
