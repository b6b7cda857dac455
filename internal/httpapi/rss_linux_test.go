package httpapi_test

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// reportRSS reports the process's resident memory now (rss-MB) and at
// its peak so far (peak-rss-MB), from /proc/self/status.
func reportRSS(b *testing.B) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, _ := strings.Cut(sc.Text(), ":")
		unit := map[string]string{"VmRSS": "rss-MB", "VmHWM": "peak-rss-MB"}[name]
		if unit == "" {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 64)
		if err == nil {
			b.ReportMetric(kb/1024, unit)
		}
	}
}

// resetPeakRSS starts the peak (VmHWM) afresh (Linux 4.0 and later).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }
