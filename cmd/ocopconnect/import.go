package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/ocopconnect/ocopconnect/internal/app"
	"github.com/ocopconnect/ocopconnect/internal/imports"
)

func newImportCmd() *cobra.Command {
	var (
		common    commonFlags
		dryRun    bool
		noVerify  bool
		report    string
		mapping   string
		batchSize int
		quiet     bool
	)
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import an official OCOP list (CSV or XLSX): producers, certificates, draft listings",
		Long: `Import a provincial OCOP list. Columns are found by their headers, in
Vietnamese or English, with or without diacritics; --mapping names a
mapping file (YAML or JSON: sheet, header_row, columns, defaults) for odd
layouts. Pre-2025 addresses (province / district / commune) are resolved
to today's communes through the official conversion table; what cannot be
resolved is reported, not guessed.

Rows are stored in batches, all or nothing per batch; importing the same
file twice changes nothing the second time. --dry-run checks everything
and stores nothing. The per-row report (row, field, column, problem) is
written as CSV to --report (default: FILE's name + .report.csv). Exits 1
when any row was not imported.

Fields and the headers they are recognised by:
` + imports.FieldsDocumented(),
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd, &common, nil)
			if err != nil {
				return err
			}
			content, err := os.ReadFile(args[0])
			if err != nil {
				return exitError{2, err}
			}
			o := imports.Options{DryRun: dryRun, Verify: !noVerify, BatchSize: batchSize}
			if mapping != "" {
				b, err := os.ReadFile(mapping)
				if err != nil {
					return exitError{2, err}
				}
				if o.Mapping, err = imports.ParseMapping(b); err != nil {
					return describe(err)
				}
			}
			if report == "" {
				report = strings.TrimSuffix(args[0], filepath.Ext(args[0])) + ".report.csv"
			}
			a, err := app.New(cmd.Context(), cfg, app.NewLogger(cfg), app.Options{})
			if err != nil {
				return err
			}
			defer a.Close()
			var bar *progressbar.ProgressBar
			if !quiet {
				o.Progress = func(p imports.Progress) {
					if bar == nil {
						bar = newRowsBar(cmd.ErrOrStderr(), p.TotalRows, dryRun)
					}
					_ = bar.Set(p.ProcessedRows)
				}
			}
			start := time.Now()
			res, err := a.Imports.Run(cmd.Context(), content, o)
			if bar != nil {
				_ = bar.Finish()
				fmt.Fprintln(cmd.ErrOrStderr())
			}
			if err != nil {
				if res == nil {
					return describe(err)
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "stopped after %d of %d rows: %v\n", res.ProcessedRows, res.TotalRows, err)
			}
			if res != nil {
				if werr := writeReport(report, res.Problems); werr != nil {
					return werr
				}
				printImportSummary(cmd.OutOrStdout(), res, report, time.Since(start))
			}
			if err != nil {
				return err
			}
			if res.FailedRows > 0 {
				return exitError{1, fmt.Errorf("%d of %d rows not imported; see %s", res.FailedRows, res.TotalRows, report)}
			}
			return nil
		},
	}
	common.register(cmd)
	f := cmd.Flags()
	f.BoolVar(&dryRun, "dry-run", false, "check everything, store nothing")
	f.BoolVar(&noVerify, "no-verify", false, "leave imported producers and certificates pending for an admin (default: verified, the list is the authority)")
	f.StringVar(&report, "report", "", "where to write the CSV report (default FILE.report.csv)")
	f.StringVar(&mapping, "mapping", "", "mapping file (YAML or JSON) for lists the header names do not cover")
	f.IntVar(&batchSize, "batch-size", 0, "rows per transaction (default OCOP_IMPORT_BATCH_SIZE)")
	f.BoolVar(&quiet, "quiet", false, "no progress bar")
	return cmd
}

func newRowsBar(w io.Writer, total int, dryRun bool) *progressbar.ProgressBar {
	desc := "importing"
	if dryRun {
		desc = "checking"
	}
	return progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("rows"),
		progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSetWidth(30), progressbar.OptionSetRenderBlankState(true))
}

func writeReport(path string, ps []imports.Problem) error {
	f, err := os.Create(path)
	if err != nil {
		return exitError{2, fmt.Errorf("write the report: %w", err)}
	}
	if err := imports.WriteReport(f, ps); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func printImportSummary(w io.Writer, r *imports.Result, report string, took time.Duration) {
	verb := "imported"
	if r.DryRun {
		verb = "would import (dry run, nothing stored)"
	}
	rate := 0.0
	if took > 0 {
		rate = float64(r.ProcessedRows) / took.Seconds()
	}
	fmt.Fprintf(w, "%s: %d of %d rows in %s (%.0f rows/s), %d unchanged, %d not imported in %d of %d batches\n",
		verb, r.ImportedRows, r.TotalRows, took.Round(time.Millisecond), rate, r.UnchangedRows, r.FailedRows, r.FailedBatches, r.Batches)
	fmt.Fprintf(w, "producers: %d created, %d updated; certificates: %d created, %d updated; listings: %d created, %d updated\n",
		r.ProducersCreated, r.ProducersUpdated, r.CertificatesCreated, r.CertificatesUpdated, r.ListingsCreated, r.ListingsUpdated)
	if len(r.IgnoredColumns) > 0 {
		fmt.Fprintf(w, "ignored columns: %s\n", strings.Join(r.IgnoredColumns, ", "))
	}
	switch {
	case r.ProblemCount == 0:
		fmt.Fprintf(w, "no problems; report: %s\n", report)
	case r.ProblemsTruncated:
		fmt.Fprintf(w, "%d problems (the first %d are in %s)\n", r.ProblemCount, len(r.Problems), report)
	default:
		fmt.Fprintf(w, "%d problems: %s\n", r.ProblemCount, report)
	}
}
