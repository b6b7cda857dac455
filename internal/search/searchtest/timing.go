package searchtest

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TimedParallel runs op b.N times over all cores (b.RunParallel), op(i)
// with i counting calls from 1, and returns each call's latency. The
// caller resets and stops the timer.
func TimedParallel(b *testing.B, op func(i int) error) []time.Duration {
	var mu sync.Mutex
	var all []time.Duration
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		var lat []time.Duration
		for pb.Next() {
			start := time.Now()
			if err := op(int(next.Add(1))); err != nil {
				b.Error(err)
				return
			}
			lat = append(lat, time.Since(start))
		}
		mu.Lock()
		all = append(all, lat...)
		mu.Unlock()
	})
	return all
}

// ReportLatency reports the 50th, 95th and 99th percentile of latencies
// (p50-ms, p95-ms, p99-ms) and the Go heap in use (heap-MB).
func ReportLatency(b *testing.B, lat []time.Duration) {
	p50, p95, p99 := Percentiles(lat)
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p95.Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
}
