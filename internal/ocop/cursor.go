package ocop

import "encoding/base64"

// EncodeCursor makes the opaque page cursor of a list ordered by id: base64
// of the last id of the page. Every id-ordered list endpoint uses it.
func EncodeCursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

// DecodeCursor reads a cursor EncodeCursor made ("" = the first page); a
// cursor the API did not return is a validation problem on "cursor".
func DecodeCursor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) == 0 || len(b) > 64 {
		return "", FieldInvalid("cursor", "is not a cursor this API returned")
	}
	return string(b), nil
}
