package config_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/ocopconnect/ocopconnect/internal/config"
)

func load(t *testing.T, env map[string]string) (*config.Config, error) {
	t.Helper()
	c, err := config.LoadFrom(env)
	if err != nil {
		return nil, err
	}
	c.ApplyDefaults()
	return c, c.Validate()
}

func TestZeroConfigurationDefaults(t *testing.T) {
	c, err := load(t, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DataDir != "./data" || c.UsesPostgres() || c.LogFormat != "text" || !c.MigrateOnStart || c.Workers != 2 {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	cases := map[string]map[string]string{
		"OCOP_ADDR":              {"OCOP_ADDR": "no-port"},
		"OCOP_DATABASE_URL":      {"OCOP_DATABASE_URL": "mysql://x"},
		"OCOP_LOG_FORMAT":        {"OCOP_LOG_FORMAT": "xml"},
		"OCOP_LOG_LEVEL":         {"OCOP_LOG_LEVEL": "loud"},
		"OCOP_WORKERS":           {"OCOP_WORKERS": "-1"},
		"OCOP_SHUTDOWN_GRACE":    {"OCOP_SHUTDOWN_GRACE": "soon"},
		"OCOP_JWT_KEY":           {"OCOP_JWT_KEY": "short"},
		"OCOP_ENV":               {"OCOP_ENV": "staging"},
		"OCOP_CORS_ORIGINS":      {"OCOP_CORS_ORIGINS": "example.vn"},
		"OCOP_TRUSTED_PROXIES":   {"OCOP_TRUSTED_PROXIES": "10.0.0.0/99"},
		"OCOP_MAX_BODY_BYTES":    {"OCOP_MAX_BODY_BYTES": "lots"},
		"OCOP_REFRESH_TOKEN_TTL": {"OCOP_REFRESH_TOKEN_TTL": "1m", "OCOP_ACCESS_TOKEN_TTL": "10m"},
		"OCOP_MIGRATE_ON_START":  {"OCOP_MIGRATE_ON_START": "perhaps"},
		// search
		"OCOP_MEILI_URL":            {"OCOP_MEILI_URL": "meili:7700"},
		"OCOP_MEILI_INDEX_PREFIX":   {"OCOP_MEILI_INDEX_PREFIX": "ocop listings"},
		"OCOP_SMTP_URL":             {"OCOP_SMTP_URL": "http://mail.example.vn"},
		"OCOP_SMTP_FROM":            {"OCOP_SMTP_FROM": "not an address"},
		"OCOP_INQUIRY_MAX_PER_HOUR": {"OCOP_INQUIRY_MAX_PER_HOUR": "50", "OCOP_INQUIRY_MAX_PER_DAY": "10"},
		"OCOP_INQUIRY_EXPIRY_DAYS":  {"OCOP_INQUIRY_EXPIRY_DAYS": "0"},
	}
	for variable, env := range cases {
		t.Run(variable, func(t *testing.T) {
			_, err := load(t, env)
			if err == nil || !strings.Contains(err.Error(), variable) {
				t.Fatalf("error %v does not name %s", err, variable)
			}
		})
	}
}

func TestProductionNeedsAConfiguredKey(t *testing.T) {
	_, err := load(t, map[string]string{"OCOP_ENV": "production"})
	if err == nil || !strings.Contains(err.Error(), "OCOP_JWT_KEY") {
		t.Fatalf("production without a key: %v", err)
	}
	c, err := load(t, map[string]string{"OCOP_ENV": "production", "OCOP_JWT_KEY": strings.Repeat("k", 32)})
	if err != nil || c.LogFormat != "json" {
		t.Fatalf("production: %v %+v", err, c)
	}
}

func TestSecretsAreRedacted(t *testing.T) {
	c, err := load(t, map[string]string{
		"OCOP_JWT_KEY":           "super-secret-signing-key-0123456789",
		"OCOP_JWT_PREVIOUS_KEYS": "old-secret-signing-key-0123456789ab",
		"OCOP_DATABASE_URL":      "postgres://ocop:db-password@db:5432/ocop?sslmode=disable",
		"OCOP_MEILI_URL":         "http://meilisearch:7700",
		"OCOP_MEILI_KEY":         "meili-master-key-secret",
		"OCOP_SMTP_URL":          "smtp://mailer:smtp-password@mail.example.vn:587",
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", c)
	out := buf.String()
	for _, secret := range []string{"super-secret", "old-secret", "db-password", "meili-master-key", "smtp-password"} {
		if strings.Contains(out, secret) {
			t.Fatalf("secret %q in log: %s", secret, out)
		}
	}
	if !strings.Contains(out, "postgres://ocop:xxxxx@db:5432/ocop") {
		t.Fatalf("database URL should stay readable without its password: %s", out)
	}
	if fmt.Sprint(config.RedactURL("postgres://u@h/db?password=pw")) == "postgres://u@h/db?password=pw" {
		t.Fatal("password query parameter not redacted")
	}
}

// TestReferenceIsCurrent fails when docs/configuration.md was not
// regenerated after a setting changed (run make docs).
func TestReferenceIsCurrent(t *testing.T) {
	b, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != config.Markdown() {
		t.Fatal("docs/configuration.md is stale: run make docs")
	}
}

func TestEveryFieldIsDocumented(t *testing.T) {
	for _, v := range config.Variables() {
		if len(v.Doc) < 10 {
			t.Errorf("%s has no documentation", v.Name)
		}
	}
}
