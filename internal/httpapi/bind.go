package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

func jsonEncode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// bindJSON decodes the body into dst strictly: the media type must be JSON,
// unknown fields and wrong types are 400s naming the field, trailing data is
// refused, and an oversized body is a 413. It writes the problem itself and
// reports whether the handler may continue.
func bindJSON(c *gin.Context, dst any) bool {
	if err := decodeJSON(c.Request, dst); err != nil {
		fail(c, err)
		return false
	}
	return true
}

func decodeJSON(r *http.Request, dst any) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return ocop.Errorf(ocop.CodeUnsupportedMedia, "send the body as application/json")
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return ocop.Errorf(ocop.CodeUnsupportedMedia, "send the body as application/json, not %q", ct)
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return describeJSONError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		if tooLarge(err) {
			return describeJSONError(err)
		}
		return ocop.Errorf(ocop.CodeMalformedJSON, "the body must hold exactly one JSON object")
	}
	return nil
}

func tooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

func describeJSONError(err error) error {
	var (
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
		maxErr  *http.MaxBytesError
	)
	switch {
	case errors.As(err, &maxErr):
		return ocop.Errorf(ocop.CodeTooLarge, "the body is larger than the %d bytes allowed", maxErr.Limit)
	case errors.Is(err, io.EOF):
		return ocop.Errorf(ocop.CodeMalformedJSON, "the request body is empty; send a JSON object")
	case errors.As(err, &syntax):
		return &ocop.Error{Code: ocop.CodeMalformedJSON, Message: fmt.Sprintf("the body is not valid JSON (at byte %d)", syntax.Offset), Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return ocop.Errorf(ocop.CodeMalformedJSON, "the body is not valid JSON (it ends too early)")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return ocop.Errorf(ocop.CodeMalformedJSON, "the body must be a JSON object")
		}
		return &ocop.Error{Code: ocop.CodeValidation, Message: field + ": must be " + jsonTypeName(typeErr.Type.Kind().String()),
			Fields: []ocop.FieldError{{Field: field, Message: "must be " + jsonTypeName(typeErr.Type.Kind().String())}}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &ocop.Error{Code: ocop.CodeValidation, Message: field + ": is not a known field",
			Fields: []ocop.FieldError{{Field: field, Message: "is not a known field"}}}
	}
	return &ocop.Error{Code: ocop.CodeMalformedJSON, Message: "the body could not be read as JSON", Err: err}
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	return "of another type"
}

// readAllLimited is for handlers that need the raw body (idempotency
// fingerprints); it keeps the body readable for the handler afterwards.
func readAllLimited(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		if tooLarge(err) {
			return nil, describeJSONError(err)
		}
		return nil, ocop.Wrap(err, ocop.CodeMalformedJSON, "the body could not be read")
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b, nil
}

// nonNil makes a nil slice encode as [] rather than null, as the contract's
// arrays require.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
