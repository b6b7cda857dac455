package config_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestMediaDefaultsToDisk(t *testing.T) {
	c, err := load(t, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if c.UsesS3() || c.S3Bucket != "ocopconnect" || !c.S3UseTLS || c.MediaMaxUploadBytes != 10<<20 || c.MediaMaxPixels != 50_000_000 {
		t.Fatalf("media defaults: %+v", c)
	}
}

func TestS3Settings(t *testing.T) {
	good := map[string]string{
		"OCOP_S3_ENDPOINT": "minio:9000", "OCOP_S3_ACCESS_KEY": "ocop", "OCOP_S3_SECRET_KEY": "s3-secret-value",
		"OCOP_S3_BUCKET": "ocop-media", "OCOP_S3_USE_TLS": "false",
	}
	c, err := load(t, good)
	if err != nil || !c.UsesS3() || c.S3UseTLS {
		t.Fatalf("good S3 settings: %v %+v", err, c)
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range good {
			m[a] = b
		}
		m[k] = v
		return m
	}
	cases := map[string]map[string]string{
		"OCOP_S3_ENDPOINT":            with("OCOP_S3_ENDPOINT", "http://minio:9000"),
		"OCOP_S3_ACCESS_KEY":          with("OCOP_S3_ACCESS_KEY", ""),
		"OCOP_S3_SECRET_KEY":          with("OCOP_S3_SECRET_KEY", ""),
		"OCOP_S3_BUCKET":              with("OCOP_S3_BUCKET", "Bad_Bucket"),
		"OCOP_S3_REGION":              with("OCOP_S3_REGION", " "),
		"OCOP_S3_USE_TLS":             with("OCOP_S3_USE_TLS", "maybe"),
		"OCOP_MEDIA_MAX_UPLOAD_BYTES": with("OCOP_MEDIA_MAX_UPLOAD_BYTES", "10"),
		"OCOP_MEDIA_MAX_PIXELS":       with("OCOP_MEDIA_MAX_PIXELS", "0"),
		"OCOP_MEDIA_SIGNED_URL_TTL":   with("OCOP_MEDIA_SIGNED_URL_TTL", "1s"),
	}
	for variable, env := range cases {
		t.Run(variable, func(t *testing.T) {
			_, err := load(t, env)
			if err == nil || !strings.Contains(err.Error(), variable) {
				t.Fatalf("error %v does not name %s", err, variable)
			}
		})
	}
	// A bare host without port is fine (the scheme's default port).
	if _, err := load(t, with("OCOP_S3_ENDPOINT", "s3.amazonaws.com")); err != nil {
		t.Fatal(err)
	}

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", c)
	if strings.Contains(buf.String(), "s3-secret-value") || !strings.Contains(buf.String(), "minio:9000") {
		t.Fatalf("S3 secret not redacted (or config not logged): %s", buf.String())
	}
}
