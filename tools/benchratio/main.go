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
	// Same use case and transaction; the full stack adds auth, logging,
	// the idempotency key (reserve + stored response) and the thread
	// read back for the 201.
	{"POST inquiry (Idempotency-Key) vs bare create handler", "BenchmarkInquiryCreateIdempotent", "BenchmarkInquiryCreateBare", 0.40},
}

var line = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op`)

func main() {
	nsPerOp := map[string]float64{}
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
	if failed {
		os.Exit(3)
	}
}
