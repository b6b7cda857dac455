package ocop

import (
	"encoding/json"
	"time"
)

// ImportStatus is where an import job is.
//
//	queued -> running -> succeeded | failed
//
// succeeded means the file was read to the end (rows with problems are in
// the report); failed means it could not be read at all, or kept failing.
type ImportStatus string

const (
	ImportQueued    ImportStatus = "queued"
	ImportRunning   ImportStatus = "running"
	ImportSucceeded ImportStatus = "succeeded"
	ImportFailed    ImportStatus = "failed"
)

// ImportJob is an uploaded OCOP list being imported in the background.
type ImportJob struct {
	ID            string
	Status        ImportStatus
	FileName      string
	FileSize      int64
	Options       json.RawMessage // how to run it (dry run, verify, mapping)
	TotalRows     int
	ProcessedRows int
	Result        json.RawMessage // counts and layout, once known
	Error         string          // why it failed (client-safe)
	Attempts      int
	CreatedBy     string
	CreatedAt     time.Time
	StartedAt     *time.Time
	FinishedAt    *time.Time
	UpdatedAt     time.Time
}
