// Command benchratio reads `go test -bench` output on stdin, echoes it, and
// prints throughput ratios of benchmarks against baselines measured in the
// same run, with each ratio's target. Ratios, not absolute timings, are what
// we track: they survive a change of machine.
//
//	go test -run '^$' -bench . ./... | go run ./tools/benchratio
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// ratio compares a benchmark to its baseline (both by name without the
// -GOMAXPROCS suffix); MinRatio is the target throughput ratio.
type ratio struct {
	Name, Subject, Baseline string
	MinRatio                float64
}

// ratios is the list of tracked ratios; add a line when adding a benchmark.
var ratios = []ratio{
	{"GET /me full stack vs bare Gin /healthz", "BenchmarkFullStackMe", "BenchmarkBareGinHealthz", 0.40},
	{"GET /listings/{id} (public) vs bare Gin /healthz", "BenchmarkListingGet", "BenchmarkBareGinHealthz", 0.25},
	// Decoding is the floor of any image pipeline; the upload adds the
	// resizes, two encodes and two writes (30-45% measured on 2 shared cores).
	{"2 MB JPEG upload+process vs plain decode", "BenchmarkImageUpload2MB", "BenchmarkImageDecode2MB", 0.20},
	// Both sides are write transactions on the same SQLite database (GET /me,
	// the former baseline, is a CPU-bound read: the ratio swung from 2.5%
	// on a loaded machine to 0.8% on an idle one). One booking op is a
	// booking and its cancel (two writes, retried under contention by 16
	// producers for the same rows) against one uncontended write: at least
	// a tenth of its throughput (17% measured on 2 idle cores).
	{"booking+cancel under contention vs one bare write", "BenchmarkBookingContention", "BenchmarkInquiryCreateBare", 0.10},
	// Search: the HTTP benchmark (BenchmarkSearchAPI, with the endpoints)
	// runs searchtest.BenchQueries on searchtest.Catalogue like the engine one.
	{"search API vs raw engine, mixed queries", "BenchmarkSearchAPI/saturated", "BenchmarkSearchEngine", 0.70},
	{"GET /me traced (OTLP, every request) vs untraced", "BenchmarkFullStackMeTraced", "BenchmarkFullStackMe", 0.50},
	// Same use case and transaction; the full stack adds auth, logging,
	// the idempotency key (reserve + stored response) and the thread
	// read back for the 201.
	{"POST inquiry (Idempotency-Key) vs bare create handler", "BenchmarkInquiryCreateIdempotent", "BenchmarkInquiryCreateBare", 0.40},
}

// metric is a custom benchmark metric (b.ReportMetric) with a ceiling.
type metric struct {
	Name, Benchmark, Unit string
	Max                   float64
}

// metrics are the tracked latency figures; add a line when a benchmark
// reports one worth a ceiling.
var metrics = []metric{
	{"booking p99 latency under contention (SQLite)", "BenchmarkBookingContention", "p99-ms", 1000},
	// Moderate load: requests arriving at half the saturated throughput.
	{"search API p99 latency, mixed queries, moderate load", "BenchmarkSearchAPI/moderate", "p99-ms", 25},
	{"search benchmarks' peak resident memory", "BenchmarkSearchAPI/reindex", "peak-rss-MB", 500},
	{"search publish-to-searchable p99", "BenchmarkSearchPublishToSearchable/edit", "p99-ms", 1000},
}

// floors are tracked custom metrics with a minimum (rates); Max is the floor.
var floors = []metric{
	// 100,000 generated rows: producers, certificates and draft listings with
	// their audit entries and outbox messages (the search index's feed).
	{"CSV import of 100,000 rows into SQLite", "BenchmarkImportCSV100k", "rows/s", 5000},
	// 100,000 listings in under 60 s, read from the records (SQLite).
	{"search reindex from the records", "BenchmarkSearchAPI/reindex", "listings/s", 100_000.0 / 60},
}

var metricRe = regexp.MustCompile(`([\d.]+) (\S+)`)

var line = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op`)

func main() {
	nsPerOp := map[string]float64{}
	custom := map[string]float64{} // "BenchmarkX unit" -> value
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		text := sc.Text()
		fmt.Println(text)
		if m := line.FindStringSubmatch(strings.TrimSpace(text)); m != nil {
			v, err := strconv.ParseFloat(m[2], 64)
			if err == nil {
				nsPerOp[m[1]] = v
			}
			for _, mm := range metricRe.FindAllStringSubmatch(strings.TrimSpace(text), -1) {
				if f, err := strconv.ParseFloat(mm[1], 64); err == nil {
					custom[m[1]+" "+mm[2]] = f
				}
			}
		}
	}
	fmt.Println()
	fmt.Println("Throughput ratios (same run):")
	failed := false
	for _, r := range ratios {
		s, ok1 := nsPerOp[r.Subject]
		b, ok2 := nsPerOp[r.Baseline]
		if !ok1 || !ok2 {
			fmt.Printf("  %-55s  not measured in this run\n", r.Name)
			continue
		}
		got := b / s // throughput ratio = baseline ns/op over subject ns/op
		verdict := "ok"
		if got < r.MinRatio {
			verdict = "BELOW TARGET"
			failed = true
		}
		fmt.Printf("  %-55s  %6.1f%%  (%.0f vs %.0f req/s; target >= %.0f%%)  %s\n",
			r.Name, got*100, 1e9/s, 1e9/b, r.MinRatio*100, verdict)
	}
	fmt.Println()
	fmt.Println("Ceilings (same run):")
	for _, m := range metrics {
		v, ok := custom[m.Benchmark+" "+m.Unit]
		if !ok {
			fmt.Printf("  %-55s  not measured in this run\n", m.Name)
			continue
		}
		verdict := "ok"
		if v > m.Max {
			verdict = "ABOVE CEILING"
			failed = true
		}
		fmt.Printf("  %-55s  %8.1f %s  (ceiling %.0f)  %s\n", m.Name, v, m.Unit, m.Max, verdict)
	}
	fmt.Println()
	fmt.Println("Throughput floors (same run):")
	for _, m := range floors {
		v, ok := custom[m.Benchmark+" "+m.Unit]
		if !ok {
			fmt.Printf("  %-55s  not measured in this run\n", m.Name)
			continue
		}
		verdict := "ok"
		if v < m.Max {
			verdict = "BELOW FLOOR"
			failed = true
		}
		fmt.Printf("  %-55s  %8.0f %s  (floor %.0f)  %s\n", m.Name, v, m.Unit, m.Max, verdict)
	}
	if failed {
		os.Exit(3)
	}
}
