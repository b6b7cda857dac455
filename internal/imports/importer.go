// Package imports is the use case of loading official OCOP lists: a CSV or
// XLSX file as provinces publish them (product, producer, stars, decision,
// place, often with pre-2025 districts) becomes producers, certificates and
// draft listings through the producers and listings use cases.
//
// Reading and checking are separate from storing. Every row is read and
// checked first (header mapping, dates, stars, places through the
// old->new commune table, the certificate rules); then rows are stored in
// batches, one transaction each: a batch with any bad row stores nothing,
// the others go on. Records that would not change are not written, so
// importing the same file twice changes nothing the second time. A dry run
// does all of it and rolls every batch back.
//
// Runs are started from the command line (ocopconnect import) or by an
// admin upload, which becomes a job handled by a background worker
// (topic import.run) with its progress and report in the import_jobs table.
package imports

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/producers"
)

// Transactor opens the batch transactions: InOuterTx lets the use cases
// called inside join it (each behind a savepoint), so a batch commits or
// rolls back as one.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	InOuterTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Producers is what imports need of the producers use case.
type Producers interface {
	PrepareImport(p producers.ProducerInput, c *producers.CertificateInput) (producers.ImportItem, error)
	ImportBatch(ctx context.Context, items []producers.ImportItem, verify bool, actorID string) ([]producers.ImportOutcome, error)
}

// Draft is the draft listing of one imported certificate.
type Draft struct {
	ProducerID    string
	CertificateID string
	// CertificateGroup is the certificate's group in the current taxonomy.
	CertificateGroup string
	Listing
}

// Listings creates or updates the draft listings of imported
// certificates, in the caller's transaction; a problem with one draft is a
// producers.BatchError naming it by index.
type Listings interface {
	ImportDrafts(ctx context.Context, drafts []Draft, actorID string) ([]producers.Change, error)
}

// Service runs imports.
type Service struct {
	Tx        Transactor
	Producers Producers
	// Listings may be nil: then rows create producers and certificates only.
	Listings Listings
	Now      ocop.Clock
	// BatchSize is the number of rows stored per transaction.
	BatchSize int
	// MaxCellChars is the longest text a cell may hold (Excel's own limit
	// is 32,767 characters).
	MaxCellChars int
	// MaxFileBytes bounds an uploaded file, and what an XLSX may unpack to.
	MaxFileBytes int64
	// MaxProblems is how many report lines a run keeps (the count goes on).
	MaxProblems int
}

// Options say how to run an import.
type Options struct {
	DryRun bool
	// Verify marks imported producers and certificates verified: an official
	// list is the authority. Without it they wait for an admin.
	Verify    bool
	Mapping   *Mapping
	BatchSize int
	ActorID   string
	// Progress, if set, is called after each batch.
	Progress func(Progress)
}

// Progress is how far a run has got.
type Progress struct {
	TotalRows     int `json:"total_rows"`
	ProcessedRows int `json:"processed_rows"`
	Counts
}

// Counts are what a run did (or, in a dry run, would do).
type Counts struct {
	ImportedRows        int `json:"imported_rows"`
	FailedRows          int `json:"failed_rows"`
	UnchangedRows       int `json:"unchanged_rows"`
	Batches             int `json:"batches"`
	FailedBatches       int `json:"failed_batches"`
	ProducersCreated    int `json:"producers_created"`
	ProducersUpdated    int `json:"producers_updated"`
	CertificatesCreated int `json:"certificates_created"`
	CertificatesUpdated int `json:"certificates_updated"`
	ListingsCreated     int `json:"listings_created"`
	ListingsUpdated     int `json:"listings_updated"`
}

// Result is the outcome of a run.
type Result struct {
	Format         string            `json:"format"`
	Sheet          string            `json:"sheet,omitempty"`
	HeaderRow      int               `json:"header_row"`
	Columns        map[string]string `json:"columns"` // field -> header as written
	IgnoredColumns []string          `json:"ignored_columns"`
	DryRun         bool              `json:"dry_run"`
	Progress
	Problems          []Problem `json:"-"`
	ProblemCount      int       `json:"problem_count"`
	ProblemsTruncated bool      `json:"problems_truncated"`
}

func (r *Result) add(max int, ps ...Problem) {
	for _, p := range ps {
		r.ProblemCount++
		if len(r.Problems) < max {
			r.Problems = append(r.Problems, p)
		} else {
			r.ProblemsTruncated = true
		}
	}
}

var errDryRun = errors.New("imports: dry run rolled back")

func (s *Service) defaults() {
	if s.BatchSize <= 0 {
		s.BatchSize = 500
	}
	if s.MaxCellChars <= 0 {
		s.MaxCellChars = 32767
	}
	if s.MaxFileBytes <= 0 {
		s.MaxFileBytes = 64 << 20
	}
	if s.MaxProblems <= 0 {
		s.MaxProblems = 10000
	}
}

// Run imports a file's content. File-level problems (unreadable, no
// header, a required column missing) are validation errors; row problems
// are in the result. Other errors (the database failing) stop the run;
// batches already stored stay stored, and running it again is safe.
func (s *Service) Run(ctx context.Context, content []byte, o Options) (*Result, error) {
	s.defaults()
	if int64(len(content)) > s.MaxFileBytes {
		return nil, ocop.Errorf(ocop.CodeTooLarge, "the file is larger than %d bytes", s.MaxFileBytes)
	}
	format, err := DetectFormat(content)
	if err != nil {
		return nil, err
	}
	sheet := ""
	if o.Mapping != nil {
		sheet = o.Mapping.Sheet
	}
	recs, sheet, err := readFile(content, format, sheet, readLimits{maxCellChars: s.MaxCellChars, maxBytes: s.MaxFileBytes})
	if err != nil {
		return nil, err
	}
	l, err := findLayout(recs, o.Mapping)
	if err != nil {
		return nil, err
	}
	res := &Result{Format: format, Sheet: sheet, HeaderRow: l.headerRow, Columns: map[string]string{}, IgnoredColumns: l.ignored, DryRun: o.DryRun}
	for f, i := range l.col {
		res.Columns[string(f)] = l.header[i]
	}
	if res.IgnoredColumns == nil {
		res.IgnoredColumns = []string{}
	}
	rows := s.readRows(recs, l, o.Mapping)
	res.TotalRows = len(rows)
	markDuplicates(rows)
	size := o.BatchSize
	if size <= 0 {
		size = s.BatchSize
	}
	if o.Progress != nil {
		o.Progress(res.Progress)
	}
	run := func(ctx context.Context, batchTx func(context.Context, func(context.Context) error) error) error {
		for start := 0; start < len(rows); start += size {
			if err := ctx.Err(); err != nil {
				return err
			}
			batch := rows[start:min(start+size, len(rows))]
			if err := s.runBatch(ctx, batchTx, batch, o, res); err != nil {
				return err
			}
			res.ProcessedRows += len(batch)
			if o.Progress != nil {
				o.Progress(res.Progress)
			}
		}
		return nil
	}
	batchTx := s.Tx.InOuterTx
	if o.DryRun {
		// Each batch is rolled back, so nothing is kept and nothing holds the
		// database between batches (progress is recorded meanwhile). Later
		// batches do not see what earlier ones would have created: a dry
		// run's counts are batch by batch.
		batchTx = func(ctx context.Context, fn func(context.Context) error) error {
			err := s.Tx.InOuterTx(ctx, func(ctx context.Context) error {
				if err := fn(ctx); err != nil {
					return err
				}
				return errDryRun
			})
			if errors.Is(err, errDryRun) {
				return nil
			}
			return err
		}
	}
	err = run(ctx, batchTx)
	if err != nil {
		return res, err
	}
	// By row; a batch's note first on its row, then the cells in file order.
	sort.SliceStable(res.Problems, func(i, j int) bool {
		a, b := res.Problems[i], res.Problems[j]
		if a.Row != b.Row {
			return a.Row < b.Row
		}
		return a.Field == "" && b.Field != ""
	})
	for i := range res.Problems {
		if p := &res.Problems[i]; p.Column == "" && p.Field != "" {
			p.Column = l.column(Field(p.Field))
		}
	}
	return res, nil
}

// readRows reads the data rows, on every core: reading is pure CPU
// (folding names, resolving places) and needs nothing but reference data.
func (s *Service) readRows(recs []record, l *layout, m *Mapping) []*row {
	today := ocop.DateOf(s.Now())
	var data []*record
	for i := range recs {
		if recs[i].row > l.headerRow && !recs[i].blank() {
			data = append(data, &recs[i])
		}
	}
	rows := make([]*row, len(data))
	workers := min(runtime.GOMAXPROCS(0), max(len(data)/1000, 1))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			memo := newPlaceMemo()
			for i := w; i < len(data); i += workers {
				rows[i] = readRow(data[i], l, m, today, memo)
			}
		}()
	}
	wg.Wait()
	return rows
}

// markDuplicates reports rows that repeat an earlier row's product (same
// producer, decision and product name) anywhere in the file.
func markDuplicates(rows []*row) {
	first := map[string]int{}
	for _, r := range rows {
		if r.dupKey == "" {
			continue
		}
		if n, ok := first[r.dupKey]; ok {
			r.problems = append(r.problems, Problem{Row: r.num, Field: string(FDecisionNo),
				Problem: fmt.Sprintf("duplicates row %d (same producer, decision and product); keep one of them", n)})
			continue
		}
		first[r.dupKey] = r.num
	}
}

// runBatch stores one batch, all or nothing.
func (s *Service) runBatch(ctx context.Context, tx func(context.Context, func(context.Context) error) error, batch []*row, o Options, res *Result) error {
	res.Batches++
	var problems []Problem
	items := make([]producers.ImportItem, len(batch))
	for i, r := range batch {
		problems = append(problems, r.problems...)
		if len(r.problems) > 0 {
			continue
		}
		cert := r.cert
		it, err := s.Producers.PrepareImport(r.producer, &cert)
		if err != nil {
			problems = append(problems, rowProblems(r, err)...)
			continue
		}
		items[i] = it
	}
	if len(problems) > 0 {
		s.failBatch(res, batch, problems)
		return nil
	}
	var counts Counts
	err := tx(ctx, func(ctx context.Context) error {
		counts = Counts{}
		outs, err := s.Producers.ImportBatch(ctx, items, o.Verify, o.ActorID)
		if err != nil {
			return err
		}
		changedP, changedC := map[string]producers.Change{}, map[string]producers.Change{}
		listingChanges := make([]producers.Change, len(batch))
		for i := range outs {
			changedP[outs[i].Producer.ID] = worst(changedP[outs[i].Producer.ID], outs[i].ProducerChange)
			changedC[outs[i].Certificate.ID] = worst(changedC[outs[i].Certificate.ID], outs[i].CertificateChange)
			listingChanges[i] = producers.Unchanged
		}
		if s.Listings != nil {
			drafts := make([]Draft, len(batch))
			for i, r := range batch {
				drafts[i] = Draft{ProducerID: outs[i].Producer.ID, CertificateID: outs[i].Certificate.ID,
					CertificateGroup: outs[i].Certificate.CurrentGroup, Listing: r.listing}
			}
			if listingChanges, err = s.Listings.ImportDrafts(ctx, drafts, o.ActorID); err != nil {
				return err
			}
		}
		for _, c := range changedP {
			counts.ProducersCreated += b2i(c == producers.Created)
			counts.ProducersUpdated += b2i(c == producers.Updated)
		}
		for _, c := range changedC {
			counts.CertificatesCreated += b2i(c == producers.Created)
			counts.CertificatesUpdated += b2i(c == producers.Updated)
		}
		for i, c := range listingChanges {
			counts.ListingsCreated += b2i(c == producers.Created)
			counts.ListingsUpdated += b2i(c == producers.Updated)
			if c == producers.Unchanged && outs[i].ProducerChange == producers.Unchanged && outs[i].CertificateChange == producers.Unchanged {
				counts.UnchangedRows++
			}
		}
		return nil
	})
	var be producers.BatchError
	switch {
	case errors.As(err, &be):
		for _, re := range be {
			problems = append(problems, rowProblems(batch[re.Index], re.Err)...)
		}
		s.failBatch(res, batch, problems)
		return nil
	case err != nil && ocop.ErrorCode(err) != ocop.CodeInternal:
		s.failBatch(res, batch, []Problem{{Row: batch[0].num, Problem: "could not be stored: " + string(ocop.ErrorCode(err)) + ": " + safeMessage(err)}})
		return nil
	case err != nil:
		return err
	}
	res.ImportedRows += len(batch)
	res.UnchangedRows += counts.UnchangedRows
	res.ProducersCreated += counts.ProducersCreated
	res.ProducersUpdated += counts.ProducersUpdated
	res.CertificatesCreated += counts.CertificatesCreated
	res.CertificatesUpdated += counts.CertificatesUpdated
	res.ListingsCreated += counts.ListingsCreated
	res.ListingsUpdated += counts.ListingsUpdated
	return nil
}

func safeMessage(err error) string {
	var e *ocop.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// worst keeps the strongest change a record saw in a batch.
func worst(a, b producers.Change) producers.Change {
	rank := map[producers.Change]int{"": 0, producers.Unchanged: 1, producers.Updated: 2, producers.Created: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *Service) failBatch(res *Result, batch []*row, problems []Problem) {
	res.FailedBatches++
	res.FailedRows += len(batch)
	bad := map[int]bool{}
	for _, p := range problems {
		bad[p.Row] = true
	}
	res.add(s.MaxProblems, problems...)
	if ok := len(batch) - len(bad); ok > 0 {
		res.add(s.MaxProblems, Problem{Row: batch[0].num, Problem: fmt.Sprintf(
			"rows %d-%d were not imported: the batch is stored all or nothing and %d of its rows have problems; fix them and import the file again",
			batch[0].num, batch[len(batch)-1].num, len(bad))})
	}
}

// rowProblems turns a use case's error about a row into report lines.
func rowProblems(r *row, err error) []Problem {
	var e *ocop.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		msg := "could not be stored"
		if e != nil {
			msg = e.Message
		}
		return []Problem{{Row: r.num, Problem: msg}}
	}
	out := make([]Problem, 0, len(e.Fields))
	for _, f := range e.Fields {
		field := apiField[f.Field]
		if field == "" {
			field = Field(f.Field)
		}
		out = append(out, Problem{Row: r.num, Field: string(field), Problem: f.Message})
	}
	return out
}

// FieldsDocumented lists each field and its recognised headers (for the
// CLI's help and the README).
func FieldsDocumented() string {
	var b strings.Builder
	for _, f := range Fields() {
		as := slices.Clone(aliases[f])
		fmt.Fprintf(&b, "  %-20s %s\n", f, strings.Join(as, ", "))
	}
	return b.String()
}

func asError(err error, target **ocop.Error) bool { return errors.As(err, target) }
