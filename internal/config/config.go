// Package config reads the service configuration from OCOP_* environment
// variables into one struct, fills in the zero-configuration defaults (SQLite,
// embedded index and local disk under ./data), validates it so that a bad value
// stops start-up with the variable's name, and redacts secrets for logging.
//
// Every field carries its documentation in a `doc` tag; docs/configuration.md
// is generated from it (make docs), and a test fails if the two drift apart.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/ocopconnect/ocopconnect/internal/mailer"
)

// Environment names.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
)

// Config is the whole configuration. Field order is the order of the docs.
type Config struct {
	Env     string `env:"OCOP_ENV" envDefault:"development" doc:"development or production. Production refuses to start without OCOP_JWT_KEY and logs JSON by default."`
	Addr    string `env:"OCOP_ADDR" envDefault:"127.0.0.1:8080" flag:"addr" doc:"Address the HTTP API listens on (host:port)."`
	DataDir string `env:"OCOP_DATA_DIR" envDefault:"./data" flag:"data-dir" doc:"Directory for the embedded backends: SQLite database, generated JWT key (and later the search index and media)."`

	DatabaseURL     string        `env:"OCOP_DATABASE_URL" flag:"database-url" secret:"password" doc:"PostgreSQL URL (postgres://user:pass@host:5432/db?sslmode=disable). Empty: SQLite file under the data directory."`
	DBMaxOpenConns  int           `env:"OCOP_DB_MAX_OPEN_CONNS" envDefault:"20" doc:"Maximum open database connections per process."`
	DBMaxIdleConns  int           `env:"OCOP_DB_MAX_IDLE_CONNS" envDefault:"10" doc:"Maximum idle database connections kept per process."`
	DBConnMaxLife   time.Duration `env:"OCOP_DB_CONN_MAX_LIFETIME" envDefault:"30m" doc:"Recycle database connections after this long."`
	MigrateOnStart  bool          `env:"OCOP_MIGRATE_ON_START" envDefault:"true" flag:"migrate" doc:"Apply pending database migrations when serve starts. Turn off when a separate migration step runs them."`
	LogFormat       string        `env:"OCOP_LOG_FORMAT" flag:"log-format" doc:"text or json. Default: text in development, json in production."`
	LogLevel        string        `env:"OCOP_LOG_LEVEL" envDefault:"info" doc:"debug, info, warn or error."`
	ShutdownGrace   time.Duration `env:"OCOP_SHUTDOWN_GRACE" envDefault:"20s" doc:"How long in-flight requests may run after SIGTERM/SIGINT before the server closes."`
	Workers         int           `env:"OCOP_WORKERS" envDefault:"2" flag:"workers" doc:"Background job workers started by serve (0 runs the API alone; ocopconnect worker runs only workers)."`
	MetricsAddr     string        `env:"OCOP_METRICS_ADDR" flag:"metrics-addr" doc:"Address (host:port) where ocopconnect worker serves GET /metrics (Prometheus: the outbox queue and job figures) and GET /healthz. Empty: no listener. serve has /metrics on OCOP_ADDR."`
	JobPollInterval time.Duration `env:"OCOP_JOB_POLL_INTERVAL" envDefault:"500ms" doc:"How often idle workers look for new outbox messages."`
	JobMaxAttempts  int           `env:"OCOP_JOB_MAX_ATTEMPTS" envDefault:"10" doc:"Attempts before an outbox message is dead-lettered."`

	JWTKey          string        `env:"OCOP_JWT_KEY" secret:"all" doc:"Secret (at least 32 bytes) that signs access tokens. Empty in development: generated once and kept in DATA_DIR/jwt.key. Required in production and whenever several API processes run."`
	JWTPreviousKeys []string      `env:"OCOP_JWT_PREVIOUS_KEYS" secret:"all" doc:"Comma-separated older signing keys still accepted for verification during a key rotation."`
	AccessTokenTTL  time.Duration `env:"OCOP_ACCESS_TOKEN_TTL" envDefault:"15m" doc:"Lifetime of access tokens."`
	RefreshTokenTTL time.Duration `env:"OCOP_REFRESH_TOKEN_TTL" envDefault:"720h" doc:"Lifetime of a refresh token family (a login session)."`

	LoginMaxFailuresPerAccountIP int           `env:"OCOP_LOGIN_MAX_FAILURES_ACCOUNT_IP" envDefault:"5" doc:"Failed logins allowed per account from one IP in the throttle window."`
	LoginMaxFailuresPerAccount   int           `env:"OCOP_LOGIN_MAX_FAILURES_ACCOUNT" envDefault:"20" doc:"Failed logins allowed per account from all IPs in the throttle window (a temporary lock: it ends with the window)."`
	LoginMaxFailuresPerIP        int           `env:"OCOP_LOGIN_MAX_FAILURES_IP" envDefault:"50" doc:"Failed logins allowed per client IP in the throttle window."`
	LoginThrottleWindow          time.Duration `env:"OCOP_LOGIN_THROTTLE_WINDOW" envDefault:"15m" doc:"Length of the login throttle window."`

	MaxBodyBytes   int64    `env:"OCOP_MAX_BODY_BYTES" envDefault:"1048576" doc:"Largest JSON request body accepted (bytes); larger bodies get 413."`
	CORSOrigins    []string `env:"OCOP_CORS_ORIGINS" doc:"Comma-separated origins allowed to call the API from a browser (e.g. https://ocop.example.vn). Empty: no cross-origin access."`
	TrustedProxies []string `env:"OCOP_TRUSTED_PROXIES" doc:"Comma-separated proxy IPs/CIDRs whose X-Forwarded-For is trusted for the client IP. Empty: the TCP peer is the client."`
	PublicBaseURL  string   `env:"OCOP_PUBLIC_BASE_URL" doc:"External base URL of the API (https://api.example.vn), used in links. Empty: derived from each request."`

	CertificateDocumentMaxBytes int64         `env:"OCOP_CERTIFICATE_DOCUMENT_MAX_BYTES" envDefault:"10485760" doc:"Largest scanned OCOP certificate document accepted (PDF, JPEG or PNG; bytes); larger uploads get 413."`
	S3Endpoint                  string        `env:"OCOP_S3_ENDPOINT" doc:"S3 server (MinIO, AWS, ...) as host:port, without scheme. Empty: media is stored on local disk under DATA_DIR/media."`
	S3AccessKey                 string        `env:"OCOP_S3_ACCESS_KEY" doc:"S3 access key ID (required with OCOP_S3_ENDPOINT)."`
	S3SecretKey                 string        `env:"OCOP_S3_SECRET_KEY" secret:"all" doc:"S3 secret access key (required with OCOP_S3_ENDPOINT)."`
	S3Bucket                    string        `env:"OCOP_S3_BUCKET" envDefault:"ocopconnect" doc:"Bucket holding the media; created on first use if missing."`
	S3Region                    string        `env:"OCOP_S3_REGION" envDefault:"us-east-1" doc:"Region of the bucket (MinIO accepts any; AWS needs the bucket's region)."`
	S3UseTLS                    bool          `env:"OCOP_S3_USE_TLS" envDefault:"true" doc:"Talk HTTPS to the S3 server. Turn off only for a server on a private network (e.g. MinIO in docker compose)."`
	MediaMaxUploadBytes         int64         `env:"OCOP_MEDIA_MAX_UPLOAD_BYTES" envDefault:"10485760" doc:"Largest image upload accepted (bytes); the upload is cut off with 413 as soon as it passes this, while streaming."`
	MediaMaxPixels              int64         `env:"OCOP_MEDIA_MAX_PIXELS" envDefault:"50000000" doc:"Largest image accepted, in pixels (width x height), checked from the header before decoding: guards against decompression bombs. Decoding needs about 4 bytes per pixel."`
	MediaSignedURLTTL           time.Duration `env:"OCOP_MEDIA_SIGNED_URL_TTL" envDefault:"15m" doc:"Lifetime of the presigned S3 URLs that GET /media/{key} redirects to (S3 backend only)."`

	BookingHoldTTL       time.Duration `env:"OCOP_BOOKING_HOLD_TTL" envDefault:"72h" doc:"How long a producer's booth booking is held (pending) before it lapses unless the organiser confirms it."`
	BookingHoldWarning   time.Duration `env:"OCOP_BOOKING_HOLD_WARNING" envDefault:"12h" doc:"How long before a pending hold lapses the producer and organiser are reminded (0 = no reminder)."`
	WaitlistOfferTTL     time.Duration `env:"OCOP_WAITLIST_OFFER_TTL" envDefault:"24h" doc:"How long a waitlisted producer has to accept a freed booth before it is offered to the next one."`
	EventsSweepInterval  time.Duration `env:"OCOP_EVENTS_SWEEP_INTERVAL" envDefault:"1m" doc:"How often lapsed holds and waitlist offers are expired (freeing their booths) and ended fairs marked completed."`
	MeiliURL             string        `env:"OCOP_MEILI_URL" doc:"Meilisearch URL (http://meilisearch:7700) for listing search. Empty: the embedded Bleve index under DATA_DIR/search (one process: run the workers inside serve)."`
	MeiliKey             string        `env:"OCOP_MEILI_KEY" secret:"all" doc:"Meilisearch API key; it must be allowed to search, write documents and manage indexes, settings and tasks."`
	MeiliIndexPrefix     string        `env:"OCOP_MEILI_INDEX_PREFIX" envDefault:"ocop_" doc:"Prefix of the Meilisearch index names (the listing index is PREFIX + listings), so several environments can share one server. Letters, digits, - and _."`
	OTelEndpoint         string        `env:"OCOP_OTEL_ENDPOINT" secret:"password" doc:"OpenTelemetry collector to export traces to over OTLP/HTTP (http://otel-collector:4318; a URL without a path gets /v1/traces). Empty: tracing is off and costs nothing. Headers such as API keys: the standard OTEL_EXPORTER_OTLP_HEADERS."`
	OTelServiceName      string        `env:"OCOP_OTEL_SERVICE_NAME" envDefault:"ocopconnect" doc:"service.name of the exported traces (e.g. ocopconnect-api, ocopconnect-worker to tell the process kinds apart)."`
	OTelSampleRatio      float64       `env:"OCOP_OTEL_SAMPLE_RATIO" envDefault:"1" doc:"Share of new traces recorded, 0 to 1. Requests arriving with a sampled W3C traceparent header are always recorded."`
	ListingMaxImages     int           `env:"OCOP_LISTING_MAX_IMAGES" envDefault:"10" doc:"Most photos a listing may have; uploads beyond it get 409 too_many_images."`
	SMTPURL              string        `env:"OCOP_SMTP_URL" secret:"password" doc:"Mail server for notification e-mails: smtp://user:pass@host:587 (STARTTLS when offered; ?tls=mandatory requires it, ?tls=none never uses it) or smtps://user:pass@host:465 (implicit TLS). Empty: e-mails are written to the log instead of sent."`
	SMTPFrom             string        `env:"OCOP_SMTP_FROM" envDefault:"OCOP Connect <no-reply@ocopconnect.vn>" doc:"Sender of notification e-mails (\"Name <address>\" or an address)."`
	SMTPTimeout          time.Duration `env:"OCOP_SMTP_TIMEOUT" envDefault:"30s" doc:"Time limit of one SMTP delivery; a failed delivery is retried by the outbox with backoff."`
	InquiryMaxPerHour    int           `env:"OCOP_INQUIRY_MAX_PER_HOUR" envDefault:"10" doc:"New inquiries one buyer may send per hour (429 with Retry-After beyond it)."`
	InquiryMaxPerDay     int           `env:"OCOP_INQUIRY_MAX_PER_DAY" envDefault:"30" doc:"New inquiries one buyer may send per day."`
	InquirySpamReporters int           `env:"OCOP_INQUIRY_SPAM_REPORTERS" envDefault:"3" doc:"A buyer whose inquiries this many different producers reported as spam in the last 90 days is throttled to OCOP_INQUIRY_SPAM_MAX_PER_DAY (0 turns the throttle off)."`
	InquirySpamMaxPerDay int           `env:"OCOP_INQUIRY_SPAM_MAX_PER_DAY" envDefault:"2" doc:"New inquiries per day (and at most one per hour) for a buyer throttled for spam."`
	InquiryExpiryDays    int           `env:"OCOP_INQUIRY_EXPIRY_DAYS" envDefault:"7" doc:"Days an inquiry waits for a first producer reply before the daily job marks it expired (producers are warned a day before)."`
	// Fair meetings.
	MeetingsSweepInterval  time.Duration `env:"OCOP_MEETINGS_SWEEP_INTERVAL" envDefault:"1m" doc:"How often lapsed meeting requests are expired (freeing the buyers' slots) and meeting warnings and reminders sent."`
	MeetingRequestWarning  time.Duration `env:"OCOP_MEETING_REQUEST_WARNING" envDefault:"2h" doc:"How long before a pending meeting request lapses its producer is reminded to answer (0 = no reminder)."`
	MeetingReminderBefore  time.Duration `env:"OCOP_MEETING_REMINDER_BEFORE" envDefault:"24h" doc:"How long before an accepted meeting both sides get their agenda reminder (0 = no reminder)."`
	RegistrationCodeSecret string        `env:"OCOP_REGISTRATION_CODE_SECRET" secret:"all" doc:"Secret (at least 32 bytes) from which the Ed25519 key signing buyers' meeting registration codes is derived. Empty: derived from the JWT signing key. Every API process must use the same; changing it invalidates the codes already issued (the public key is at GET /api/v1/meeting-registrations/public-key)."`

	// Imports of official OCOP lists.
	ImportMaxBytes  int64 `env:"OCOP_IMPORT_MAX_BYTES" envDefault:"67108864" doc:"Largest OCOP list (CSV or XLSX) an import accepts, in bytes; an XLSX may unpack to 20 times this. Uploads above it get 413."`
	ImportBatchSize int   `env:"OCOP_IMPORT_BATCH_SIZE" envDefault:"500" doc:"Rows an import stores per transaction: a batch with a bad row stores nothing."`
}

// Load reads the configuration from the process environment.
func Load() (*Config, error) { return LoadFrom(nil) }

// LoadFrom reads the configuration from environ (os.Environ() when nil).
func LoadFrom(environ map[string]string) (*Config, error) {
	var c Config
	opts := env.Options{Environment: environ}
	if err := env.ParseWithOptions(&c, opts); err != nil {
		return nil, describeParseError(err)
	}
	return &c, nil
}

// describeParseError names the environment variable instead of the Go field.
func describeParseError(err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	var msgs []string
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			msgs = append(msgs, fmt.Sprintf("%s: %v", EnvName(pe.Name), pe.Err))
			continue
		}
		msgs = append(msgs, e.Error())
	}
	return errors.New(strings.Join(msgs, "; "))
}

// EnvName returns the environment variable of a Config field.
func EnvName(field string) string {
	f, ok := reflect.TypeOf(Config{}).FieldByName(field)
	if !ok {
		return field
	}
	name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
	return name
}

// ApplyDefaults fills in values that depend on other values.
func (c *Config) ApplyDefaults() {
	if c.LogFormat == "" {
		c.LogFormat = "text"
		if c.Env == EnvProduction {
			c.LogFormat = "json"
		}
	}
}

// Validate checks every value and returns one error naming each bad variable.
func (c *Config) Validate() error {
	var errs []string
	bad := func(field, format string, args ...any) {
		errs = append(errs, EnvName(field)+": "+fmt.Sprintf(format, args...))
	}
	if c.Env != EnvDevelopment && c.Env != EnvProduction {
		bad("Env", "must be %q or %q, got %q", EnvDevelopment, EnvProduction, c.Env)
	}
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		bad("Addr", "must be host:port, got %q", c.Addr)
	}
	if c.MetricsAddr != "" {
		if _, port, err := net.SplitHostPort(c.MetricsAddr); err != nil || port == "" {
			bad("MetricsAddr", "must be host:port, got %q", c.MetricsAddr)
		}
	}
	if strings.TrimSpace(c.DataDir) == "" {
		bad("DataDir", "must not be empty")
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			bad("DatabaseURL", "must be a postgres:// URL (leave empty for the embedded SQLite database)")
		}
	}
	if c.DBMaxOpenConns < 1 {
		bad("DBMaxOpenConns", "must be at least 1")
	}
	if c.DBMaxIdleConns < 0 {
		bad("DBMaxIdleConns", "must not be negative")
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		bad("LogFormat", "must be text or json, got %q", c.LogFormat)
	}
	if _, err := ParseLevel(c.LogLevel); err != nil {
		bad("LogLevel", "%v", err)
	}
	if c.ShutdownGrace <= 0 {
		bad("ShutdownGrace", "must be positive")
	}
	if c.Workers < 0 || c.Workers > 64 {
		bad("Workers", "must be between 0 and 64")
	}
	if c.JobPollInterval < 10*time.Millisecond {
		bad("JobPollInterval", "must be at least 10ms")
	}
	if c.JobMaxAttempts < 1 {
		bad("JobMaxAttempts", "must be at least 1")
	}
	if c.JWTKey != "" && len(c.JWTKey) < 32 {
		bad("JWTKey", "must be at least 32 bytes long")
	}
	if c.JWTKey == "" && c.Env == EnvProduction {
		bad("JWTKey", "is required in production: every API process must sign with the same configured key")
	}
	for _, k := range c.JWTPreviousKeys {
		if len(k) < 32 {
			bad("JWTPreviousKeys", "every key must be at least 32 bytes long")
			break
		}
	}
	if c.AccessTokenTTL < time.Minute || c.AccessTokenTTL > 24*time.Hour {
		bad("AccessTokenTTL", "must be between 1m and 24h")
	}
	if c.RefreshTokenTTL < c.AccessTokenTTL {
		bad("RefreshTokenTTL", "must be at least OCOP_ACCESS_TOKEN_TTL")
	}
	for field, n := range map[string]int{
		"LoginMaxFailuresPerAccountIP": c.LoginMaxFailuresPerAccountIP,
		"LoginMaxFailuresPerAccount":   c.LoginMaxFailuresPerAccount,
		"LoginMaxFailuresPerIP":        c.LoginMaxFailuresPerIP,
	} {
		if n < 1 {
			bad(field, "must be at least 1")
		}
	}
	if c.LoginThrottleWindow < time.Second {
		bad("LoginThrottleWindow", "must be at least 1s")
	}
	if c.MaxBodyBytes < 1024 {
		bad("MaxBodyBytes", "must be at least 1024")
	}
	for _, o := range c.CORSOrigins {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
			bad("CORSOrigins", "%q is not an origin such as https://example.vn", o)
		}
	}
	for _, p := range c.TrustedProxies {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				bad("TrustedProxies", "%q is not an IP address or CIDR", p)
			}
		}
	}
	if c.PublicBaseURL != "" {
		u, err := url.Parse(c.PublicBaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("PublicBaseURL", "must be an absolute http(s) URL")
		}
	}
	if c.CertificateDocumentMaxBytes < 1024 {
		bad("CertificateDocumentMaxBytes", "must be at least 1024")
	}
	c.validateMedia(bad)
	c.validateMeetings(bad)
	if c.BookingHoldTTL < time.Minute {
		bad("BookingHoldTTL", "must be at least 1m")
	}
	if c.BookingHoldWarning < 0 || c.BookingHoldWarning >= c.BookingHoldTTL {
		bad("BookingHoldWarning", "must be between 0 and OCOP_BOOKING_HOLD_TTL")
	}
	if c.WaitlistOfferTTL < time.Minute {
		bad("WaitlistOfferTTL", "must be at least 1m")
	}
	if c.EventsSweepInterval < time.Second {
		bad("EventsSweepInterval", "must be at least 1s")
	}
	if c.MeiliURL != "" {
		u, err := url.Parse(c.MeiliURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("MeiliURL", "must be an http(s):// URL (leave empty for the embedded Bleve index)")
		}
	}
	if !meiliPrefix.MatchString(c.MeiliIndexPrefix) {
		bad("MeiliIndexPrefix", "may hold only letters, digits, - and _ (at most 64)")
	}
	if c.OTelEndpoint != "" {
		u, err := url.Parse(c.OTelEndpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("OTelEndpoint", "must be an http(s) URL such as http://otel-collector:4318")
		}
	}
	if strings.TrimSpace(c.OTelServiceName) == "" {
		bad("OTelServiceName", "must not be empty")
	}
	if !(c.OTelSampleRatio >= 0 && c.OTelSampleRatio <= 1) { // also refuses NaN
		bad("OTelSampleRatio", "must be between 0 and 1, got %v", c.OTelSampleRatio)
	}
	if c.ListingMaxImages < 1 || c.ListingMaxImages > 100 {
		bad("ListingMaxImages", "must be between 1 and 100")
	}
	c.validateInquiries(bad)
	if c.ImportMaxBytes < 1024 || c.ImportMaxBytes > 1<<30 {
		bad("ImportMaxBytes", "must be between 1024 and 1073741824")
	}
	if c.ImportBatchSize < 1 || c.ImportBatchSize > 5000 {
		bad("ImportBatchSize", "must be between 1 and 5000")
	}
	if len(errs) > 0 {
		return errors.New("invalid configuration: " + strings.Join(errs, "; "))
	}
	return nil
}

// bucketName is S3's rule for bucket names (3-63 lowercase letters, digits,
// dots and hyphens, starting and ending with a letter or digit).
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

func (c *Config) validateMedia(bad func(field, format string, args ...any)) {
	if c.S3Endpoint != "" {
		host := c.S3Endpoint
		if h, _, err := net.SplitHostPort(c.S3Endpoint); err == nil {
			host = h
		}
		if host == "" || strings.ContainsAny(c.S3Endpoint, "/ ") {
			bad("S3Endpoint", "must be host or host:port without scheme or path (use OCOP_S3_USE_TLS for https), got %q", c.S3Endpoint)
		}
		if c.S3AccessKey == "" {
			bad("S3AccessKey", "is required with OCOP_S3_ENDPOINT")
		}
		if c.S3SecretKey == "" {
			bad("S3SecretKey", "is required with OCOP_S3_ENDPOINT")
		}
	}
	if !bucketName.MatchString(c.S3Bucket) || strings.Contains(c.S3Bucket, "..") {
		bad("S3Bucket", "must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens), got %q", c.S3Bucket)
	}
	if strings.TrimSpace(c.S3Region) == "" {
		bad("S3Region", "must not be empty")
	}
	if c.MediaMaxUploadBytes < 1024 || c.MediaMaxUploadBytes > 1<<30 {
		bad("MediaMaxUploadBytes", "must be between 1024 and 1073741824")
	}
	if c.MediaMaxPixels < 10_000 || c.MediaMaxPixels > 250_000_000 {
		bad("MediaMaxPixels", "must be between 10000 and 250000000")
	}
	if c.MediaSignedURLTTL < time.Minute || c.MediaSignedURLTTL > 24*time.Hour {
		bad("MediaSignedURLTTL", "must be between 1m and 24h")
	}
}

func (c *Config) validateInquiries(bad func(field, format string, args ...any)) {
	if c.SMTPURL != "" {
		if _, err := mailer.ParseURL(c.SMTPURL); err != nil {
			bad("SMTPURL", "%s", err)
		}
	}
	if _, err := mail.ParseAddress(c.SMTPFrom); err != nil {
		bad("SMTPFrom", "must be an e-mail address, optionally with a name (OCOP Connect <no-reply@example.vn>)")
	}
	if c.SMTPTimeout < time.Second {
		bad("SMTPTimeout", "must be at least 1s")
	}
	if c.InquiryMaxPerHour < 1 || c.InquiryMaxPerDay < c.InquiryMaxPerHour {
		bad("InquiryMaxPerHour", "must be at least 1 and at most OCOP_INQUIRY_MAX_PER_DAY")
	}
	if c.InquirySpamReporters < 0 {
		bad("InquirySpamReporters", "must not be negative")
	}
	if c.InquirySpamMaxPerDay < 0 {
		bad("InquirySpamMaxPerDay", "must not be negative")
	}
	if c.InquiryExpiryDays < 1 || c.InquiryExpiryDays > 90 {
		bad("InquiryExpiryDays", "must be between 1 and 90")
	}
}

// UsesS3 reports whether media lives on an S3 server.
func (c *Config) UsesS3() bool { return c.S3Endpoint != "" }

var meiliPrefix = regexp.MustCompile(`^[A-Za-z0-9_-]{0,64}$`)

// ParseLevel turns a level name into a slog.Level.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("unknown log level %q (use debug, info, warn or error)", s)
	}
	return l, nil
}

// UsesPostgres reports whether records live in PostgreSQL.
func (c *Config) UsesPostgres() bool { return c.DatabaseURL != "" }

// LogValue renders the configuration for logs with every secret redacted.
func (c Config) LogValue() slog.Value {
	var attrs []slog.Attr
	v := reflect.ValueOf(c)
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
		val := v.Field(i).Interface()
		switch f.Tag.Get("secret") {
		case "all":
			val = redactAll(val)
		case "password":
			val = RedactURL(fmt.Sprint(val))
		}
		attrs = append(attrs, slog.Any(name, val))
	}
	return slog.GroupValue(attrs...)
}

func redactAll(v any) any {
	switch x := v.(type) {
	case string:
		if x == "" {
			return ""
		}
		return "[redacted]"
	case []string:
		if len(x) == 0 {
			return x
		}
		return fmt.Sprintf("[%d redacted]", len(x))
	}
	return "[redacted]"
}

// RedactURL hides the password of a URL (postgres://u:secret@h -> postgres://u:xxxxx@h).
func RedactURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return "[unparseable URL redacted]"
	}
	// libpq also accepts the password as a query parameter.
	q := u.Query()
	for _, k := range []string{"password", "sslpassword"} {
		if q.Has(k) {
			q.Set(k, "xxxxx")
		}
	}
	u.RawQuery = q.Encode()
	return u.Redacted()
}
