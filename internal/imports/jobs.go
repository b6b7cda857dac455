package imports

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// TopicRun is the outbox topic of admin-uploaded imports (Key = job ID).
const TopicRun = "import.run"

// JobRepo keeps import jobs.
type JobRepo interface {
	Create(ctx context.Context, j *ocop.ImportJob, content []byte) error
	Get(ctx context.Context, id string) (*ocop.ImportJob, error)
	Content(ctx context.Context, id string) ([]byte, error)
	Report(ctx context.Context, id string) (string, error)
	Start(ctx context.Context, id string, at time.Time) (bool, error)
	Progress(ctx context.Context, id string, total, processed int, result []byte, at time.Time) error
	Finish(ctx context.Context, id string, status ocop.ImportStatus, total, processed int, result []byte, report, errMsg string, at time.Time) error
}

// Jobs runs admin-uploaded imports in the background.
type Jobs struct {
	Runner *Service
	Tx     ocop.Transactor
	Repo   JobRepo
	Outbox ocop.Outbox
	Now    ocop.Clock
	Log    *slog.Logger
	// MaxAttempts is how many times a job that keeps failing (the database
	// gone, say) is started before it is marked failed.
	MaxAttempts int
}

// JobOptions are how an uploaded file is imported (kept with the job).
type JobOptions struct {
	DryRun    bool     `json:"dry_run"`
	Verify    bool     `json:"verify"`
	BatchSize int      `json:"batch_size,omitempty"`
	Mapping   *Mapping `json:"mapping,omitempty"`
}

func requireAdmin(ctx context.Context) (ocop.Principal, error) {
	p, ok := ocop.PrincipalFrom(ctx)
	if !ok || p.UserID == "" || !p.HasRole(ocop.RoleAdmin) {
		return p, ocop.Errorf(ocop.CodeForbidden, "only an admin can import OCOP lists")
	}
	return p, nil
}

// Submit stores an upload as a queued job; a worker runs it.
func (j *Jobs) Submit(ctx context.Context, fileName string, content []byte, o JobOptions) (*ocop.ImportJob, error) {
	p, err := requireAdmin(ctx)
	if err != nil {
		return nil, err
	}
	j.Runner.defaults()
	if int64(len(content)) > j.Runner.MaxFileBytes {
		return nil, ocop.Errorf(ocop.CodeTooLarge, "the file is larger than %d bytes", j.Runner.MaxFileBytes)
	}
	if _, err := DetectFormat(content); err != nil {
		return nil, err
	}
	if o.BatchSize < 0 || o.BatchSize > 5000 {
		return nil, ocop.FieldInvalid("batch_size", "must be between 1 and 5000")
	}
	opts, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	now := j.Now()
	name := strings.TrimSpace(fileName)
	if len(name) > 200 {
		name = name[:200]
	}
	job := &ocop.ImportJob{ID: uuid.Must(uuid.NewV7()).String(), Status: ocop.ImportQueued, FileName: name, FileSize: int64(len(content)),
		Options: opts, CreatedBy: p.UserID, CreatedAt: now, UpdatedAt: now}
	err = j.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := j.Repo.Create(ctx, job, content); err != nil {
			return err
		}
		return j.Outbox.Enqueue(ctx, ocop.OutboxMessage{Topic: TopicRun, Key: job.ID, Payload: json.RawMessage(`{}`)})
	})
	if err != nil {
		return nil, err
	}
	return job, nil
}

// Get is a job's status for admins.
func (j *Jobs) Get(ctx context.Context, id string) (*ocop.ImportJob, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	return j.Repo.Get(ctx, id)
}

// Report is a finished job's CSV report for admins (conflict before).
func (j *Jobs) Report(ctx context.Context, id string) (string, error) {
	job, err := j.Get(ctx, id)
	if err != nil {
		return "", err
	}
	if job.Status != ocop.ImportSucceeded && job.Status != ocop.ImportFailed {
		return "", ocop.Errorf(ocop.CodeConflict, "the import is %s; its report is ready when it has finished", job.Status)
	}
	return j.Repo.Report(ctx, id)
}

// Handle is the handler of TopicRun: one error per message.
func (j *Jobs) Handle(ctx context.Context, msgs []ocop.OutboxMessage) []error {
	errs := make([]error, len(msgs))
	for i, m := range msgs {
		errs[i] = j.run(ctx, m.Key)
	}
	return errs
}

func (j *Jobs) run(ctx context.Context, id string) error {
	started, err := j.Repo.Start(ctx, id, j.Now())
	if err != nil || !started {
		return err // a finished (or deleted) job: nothing to do
	}
	job, err := j.Repo.Get(ctx, id)
	if err != nil {
		return err
	}
	var o JobOptions
	if err := json.Unmarshal(job.Options, &o); err != nil {
		return j.fail(ctx, id, "the job's options cannot be read")
	}
	if o.Mapping != nil {
		if err := o.Mapping.compile(); err != nil {
			return j.fail(ctx, id, safeMessage(err))
		}
	}
	content, err := j.Repo.Content(ctx, id)
	if err != nil {
		return err
	}
	res, err := j.Runner.Run(ctx, content, Options{
		DryRun: o.DryRun, Verify: o.Verify, Mapping: o.Mapping, BatchSize: o.BatchSize, ActorID: job.CreatedBy,
		Progress: func(p Progress) {
			b, _ := json.Marshal(p)
			if err := j.Repo.Progress(ctx, id, p.TotalRows, p.ProcessedRows, b, j.Now()); err != nil {
				j.log().Warn("import progress not recorded", "import", id, "err", err)
			}
		},
	})
	if err != nil {
		if code := ocop.ErrorCode(err); code != ocop.CodeInternal {
			return j.failWith(ctx, id, fileProblems(err), safeMessage(err))
		}
		if job.Attempts+1 >= max(j.MaxAttempts, 1) {
			j.log().Error("import failed", "import", id, "err", err)
			return j.fail(ctx, id, "the import kept failing on a server error; batches stored before it stay stored, and importing the file again is safe")
		}
		return err // retried by the runner; imports are idempotent
	}
	b, _ := json.Marshal(res)
	return j.Repo.Finish(ctx, id, ocop.ImportSucceeded, res.TotalRows, res.ProcessedRows, b, ReportCSV(res.Problems), "", j.Now())
}

// fileProblems lists a file-level error as report lines (row 0: the file).
func fileProblems(err error) []Problem {
	var e *ocop.Error
	if ok := asError(err, &e); !ok || len(e.Fields) == 0 {
		return []Problem{{Problem: safeMessage(err)}}
	}
	out := make([]Problem, len(e.Fields))
	for i, f := range e.Fields {
		out[i] = Problem{Field: f.Field, Problem: f.Message}
	}
	return out
}

func (j *Jobs) fail(ctx context.Context, id, msg string) error {
	return j.failWith(ctx, id, []Problem{{Problem: msg}}, msg)
}

func (j *Jobs) failWith(ctx context.Context, id string, ps []Problem, msg string) error {
	if err := j.Repo.Finish(ctx, id, ocop.ImportFailed, 0, 0, nil, ReportCSV(ps), msg, j.Now()); err != nil {
		return fmt.Errorf("record failed import: %w", err)
	}
	return nil
}

func (j *Jobs) log() *slog.Logger {
	if j.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return j.Log
}
