package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// ProblemTypeBase prefixes the type URI of every problem; the last segment is
// the code, so the URI is as stable as the code.
const ProblemTypeBase = "https://ocopconnect.vn/problems/"

// Problem is an RFC 9457 problem document with our extensions: a stable code,
// per-field errors and the request ID to quote to support.
type Problem struct {
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Detail    string            `json:"detail,omitempty"`
	Code      ocop.Code         `json:"code"`
	Errors    []ocop.FieldError `json:"errors,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
}

// statusOf is the single code -> HTTP status table.
var statusOf = map[ocop.Code]int{
	ocop.CodeValidation:         http.StatusBadRequest,
	ocop.CodeMalformedJSON:      http.StatusBadRequest,
	ocop.CodeUnsupportedMedia:   http.StatusUnsupportedMediaType,
	ocop.CodeTooLarge:           http.StatusRequestEntityTooLarge,
	ocop.CodeUnauthenticated:    http.StatusUnauthorized,
	ocop.CodeInvalidCredentials: http.StatusUnauthorized,
	ocop.CodeInvalidToken:       http.StatusUnauthorized,
	ocop.CodeTokenReused:        http.StatusUnauthorized,
	ocop.CodeForbidden:          http.StatusForbidden,
	ocop.CodeNotFound:           http.StatusNotFound,
	ocop.CodeMethodNotAllowed:   http.StatusMethodNotAllowed,
	ocop.CodeConflict:           http.StatusConflict,
	ocop.CodeIdempotencyBusy:    http.StatusConflict,
	ocop.CodePreconditionFailed: http.StatusPreconditionFailed,
	ocop.CodeIdempotencyReuse:   http.StatusUnprocessableEntity,
	ocop.CodePreconditionNeeded: http.StatusPreconditionRequired,
	ocop.CodeRateLimited:        http.StatusTooManyRequests,
	ocop.CodeUnavailable:        http.StatusServiceUnavailable,
	ocop.CodeInternal:           http.StatusInternalServerError,

	ocop.CodeInvalidImage:       http.StatusUnprocessableEntity,
	ocop.CodeImageTooLarge:      http.StatusUnprocessableEntity,
	ocop.CodeMediaUnavailable:   http.StatusServiceUnavailable,
	ocop.CodeBoothTaken:         http.StatusConflict,
	ocop.CodeBookingLimit:       http.StatusConflict,
	ocop.CodeSubsidyExhausted:   http.StatusConflict,
	ocop.CodeBookingClosed:      http.StatusConflict,
	ocop.CodeNotEligible:        http.StatusForbidden,
	ocop.CodeZoneFull:           http.StatusConflict,
	ocop.CodeInvalidTransition:  http.StatusConflict,
	ocop.CodeProducerUnverified: http.StatusForbidden,
	ocop.CodeTooManyImages:      http.StatusConflict,

	ocop.CodeInquiryClosed: http.StatusConflict,
	ocop.CodeOwnListing:    http.StatusForbidden,
	// Fair meetings.
	ocop.CodeMeetingSlotTaken:  http.StatusConflict,
	ocop.CodeTablesFull:        http.StatusConflict,
	ocop.CodeParticipantBusy:   http.StatusConflict,
	ocop.CodeMeetingCapReached: http.StatusConflict,
	ocop.CodeNotRegistered:     http.StatusForbidden,
	ocop.CodeNotExhibiting:     http.StatusConflict,
	ocop.CodeProducerAway:      http.StatusConflict,
	ocop.CodeInvalidRegistCode: http.StatusUnprocessableEntity,
}

// StatusOf returns the HTTP status of a code (500 for unknown codes).
func StatusOf(code ocop.Code) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// MappedCodes lists every code with a status (the OpenAPI test checks that the
// spec's code enum matches it).
func MappedCodes() []ocop.Code {
	out := make([]ocop.Code, 0, len(statusOf))
	for c := range statusOf {
		out = append(out, c)
	}
	return out
}

// fail writes err as a problem document. Unexpected errors become a 500 whose
// body says nothing about the cause; the cause goes to the request log.
func fail(c *gin.Context, err error) {
	var oe *ocop.Error
	if !errors.As(err, &oe) {
		oe = &ocop.Error{Code: ocop.CodeInternal, Err: err}
	}
	status, known := statusOf[oe.Code]
	if !known {
		status = http.StatusInternalServerError
		slog.Error("error code has no HTTP status", "code", oe.Code)
	}
	p := Problem{
		Type: ProblemTypeBase + string(oe.Code), Title: http.StatusText(status), Status: status,
		Detail: oe.Message, Code: oe.Code, Errors: oe.Fields, RequestID: requestID(c),
	}
	if status >= 500 {
		_ = c.Error(err) // logged by the request logger, never sent
		p.Code = oe.Code
		if status == http.StatusInternalServerError {
			p.Code = ocop.CodeInternal
			p.Detail = "Something went wrong on our side. Quote the request ID if you contact support."
			p.Errors = nil
		}
	}
	if oe.RetryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(int((oe.RetryAfter+time.Second-1)/time.Second)))
	}
	if status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="ocopconnect", error="invalid_token"`)
	}
	writeProblem(c, p)
}

func writeProblem(c *gin.Context, p Problem) {
	c.Abort()
	c.Render(p.Status, problemRender{p})
}

// problemRender writes JSON with the problem+json media type.
type problemRender struct{ p Problem }

func (r problemRender) Render(w http.ResponseWriter) error {
	r.WriteContentType(w)
	return jsonEncode(w, r.p)
}

func (problemRender) WriteContentType(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/problem+json")
}
