//go:build !linux

package httpapi_test

import "testing"

// reportRSS: resident memory is read from /proc, on Linux only.
func reportRSS(*testing.B) {}

func resetPeakRSS() {}
