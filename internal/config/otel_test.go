package config_test

import (
	"strings"
	"testing"
)

func TestTracingSettings(t *testing.T) {
	c, err := load(t, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if c.OTelEndpoint != "" || c.OTelServiceName != "ocopconnect" || c.OTelSampleRatio != 1 {
		t.Fatalf("tracing must be off by default, sampling everything once on: %+v", c)
	}
	for _, ok := range []map[string]string{
		{"OCOP_OTEL_ENDPOINT": "http://otel-collector:4318"},
		{"OCOP_OTEL_ENDPOINT": "https://otlp.example.vn/v1/traces", "OCOP_OTEL_SAMPLE_RATIO": "0.05"},
		{"OCOP_OTEL_SAMPLE_RATIO": "0"},
	} {
		if _, err := load(t, ok); err != nil {
			t.Errorf("%v: %v", ok, err)
		}
	}
	for variable, bad := range map[string][]string{
		"OCOP_OTEL_ENDPOINT":     {"otel-collector:4318", "grpc://collector:4317", "http://"},
		"OCOP_OTEL_SAMPLE_RATIO": {"1.5", "-0.1", "NaN", "half"},
		"OCOP_OTEL_SERVICE_NAME": {" "},
	} {
		for _, v := range bad {
			_, err := load(t, map[string]string{variable: v})
			if err == nil || !strings.Contains(err.Error(), variable) {
				t.Errorf("%s=%q: error %v does not name the variable", variable, v, err)
			}
		}
	}
}
