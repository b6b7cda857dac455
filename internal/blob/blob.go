// Package blob implements the media port (ocop.Blobs): local disk under the
// data directory by default, any S3 server (MinIO, ...) through minio-go
// when configured. Every backend passes the one contract suite in blobtest.
package blob

import (
	"errors"
	"path"
	"regexp"
	"strings"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// keyPattern is what a key may look like: server-generated segments of
// letters, digits, dots, dashes and underscores separated by slashes.
var keyPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$`)

// ValidKey reports whether key is safe to use on every backend (no "..", no
// absolute paths, no empty segments, at most 512 bytes).
func ValidKey(key string) bool {
	return len(key) <= 512 && keyPattern.MatchString(key) && path.Clean(key) == key && !strings.Contains(key, "..")
}

var errBadKey = errors.New("invalid object key")

func checkKey(key string) error {
	if !ValidKey(key) {
		return &ocop.Error{Code: ocop.CodeValidation, Message: "invalid object key", Err: errBadKey}
	}
	return nil
}
