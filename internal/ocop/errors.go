package ocop

import (
	"errors"
	"fmt"
	"time"
)

// Code is a stable, machine-readable error word. Clients switch on it, so a
// code once published never changes meaning; httpapi maps each to a status.
type Code string

const (
	CodeValidation         Code = "validation_failed"
	CodeMalformedJSON      Code = "malformed_json"
	CodeUnsupportedMedia   Code = "unsupported_media_type"
	CodeTooLarge           Code = "payload_too_large"
	CodeUnauthenticated    Code = "unauthenticated"
	CodeInvalidCredentials Code = "invalid_credentials"
	CodeInvalidToken       Code = "invalid_token"
	CodeTokenReused        Code = "refresh_token_reused"
	CodeForbidden          Code = "forbidden"
	CodeNotFound           Code = "not_found"
	CodeMethodNotAllowed   Code = "method_not_allowed"
	CodeConflict           Code = "conflict"
	CodePreconditionFailed Code = "precondition_failed"
	CodePreconditionNeeded Code = "precondition_required"
	CodeIdempotencyReuse   Code = "idempotency_key_reused"
	CodeIdempotencyBusy    Code = "idempotency_key_in_use"
	CodeRateLimited        Code = "rate_limited"
	CodeUnavailable        Code = "service_unavailable"
	CodeInternal           Code = "internal_error"

	// Media.
	CodeInvalidImage     Code = "invalid_image"     // empty, corrupt or truncated image
	CodeImageTooLarge    Code = "image_too_large"   // more pixels than OCOP_MEDIA_MAX_PIXELS
	CodeMediaUnavailable Code = "media_unavailable" // the media store cannot be reached
	// Trade fairs.
	CodeBoothTaken        Code = "booth_taken"
	CodeBookingLimit      Code = "booking_limit_reached"
	CodeSubsidyExhausted  Code = "subsidy_quota_reached"
	CodeBookingClosed     Code = "booking_window_closed"
	CodeNotEligible       Code = "not_eligible"
	CodeZoneFull          Code = "zone_full"
	CodeInvalidTransition Code = "invalid_state" // the object's state does not allow this step (a booking already confirmed, an inquiry won before any reply)
)

// FieldError names one invalid input field and why, in words a user can act on.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the one error type that crosses package boundaries. Message is safe
// to show to a client; Err (the cause) is for logs only and never leaves the
// server.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	// RetryAfter, when set, tells the client how long to wait (429, 503).
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error with a formatted client-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap attaches a cause to a new *Error; the cause is logged, never shown.
func Wrap(err error, code Code, message string) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// NotFound is the answer for missing objects and for other owners' objects
// alike, so that probing IDs reveals nothing.
func NotFound(what string) *Error {
	return &Error{Code: CodeNotFound, Message: what + " not found"}
}

// ErrorCode returns the Code of err, or CodeInternal for anything that is not
// an *Error (an unexpected failure).
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// IsCode reports whether err is an *Error with the given code.
func IsCode(err error, code Code) bool {
	return err != nil && ErrorCode(err) == code
}

// Validation collects field errors; its Err method returns nil when the input
// was valid, so validators read as a list of checks followed by one return.
type Validation struct {
	fields []FieldError
}

// Add records a problem with a field.
func (v *Validation) Add(field, format string, args ...any) {
	v.fields = append(v.fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Check records the message when ok is false.
func (v *Validation) Check(ok bool, field, format string, args ...any) {
	if !ok {
		v.Add(field, format, args...)
	}
}

// Has reports whether the field already has a problem (so later checks on the
// same field can be skipped instead of piling up).
func (v *Validation) Has(field string) bool {
	for _, f := range v.fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Err returns a validation_failed *Error listing every problem, or nil.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	msg := "The request has invalid fields."
	if len(v.fields) == 1 {
		msg = v.fields[0].Field + ": " + v.fields[0].Message
	}
	return &Error{Code: CodeValidation, Message: msg, Fields: v.fields}
}

// FieldInvalid is a shortcut for a single-field validation error.
func FieldInvalid(field, format string, args ...any) error {
	var v Validation
	v.Add(field, format, args...)
	return v.Err()
}

// Listings.
const (
	CodeProducerUnverified Code = "producer_not_verified" // only a verified producer may publish
	CodeTooManyImages      Code = "too_many_images"       // the listing has its maximum number of photos
)

// Inquiries.
const (
	CodeInquiryClosed Code = "inquiry_closed" // the inquiry reached a final state; nothing more can be written
	CodeOwnListing    Code = "own_listing"    // a producer's member asked about the producer's own listing
)

// Fair meetings.
const (
	CodeMeetingSlotTaken  Code = "meeting_slot_taken"        // the producer already meets someone in this slot
	CodeTablesFull        Code = "tables_full"               // every meeting table of the slot is taken
	CodeParticipantBusy   Code = "participant_busy"          // the buyer already has a meeting or request in this slot
	CodeMeetingCapReached Code = "meeting_cap_reached"       // the participant's daily cap of meetings is reached
	CodeNotRegistered     Code = "registration_required"     // the buyer has not registered for the fair's meetings
	CodeNotExhibiting     Code = "not_exhibiting"            // the producer has no confirmed booth at the fair
	CodeProducerAway      Code = "producer_away"             // the producer marked the slot as away
	CodeInvalidRegistCode Code = "invalid_registration_code" // a registration code that is forged, damaged or for another fair
)
