package media

import (
	"errors"
	"io"
	"net/http"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// ErrOverCap is what a CappedReader returns once the upload passes its cap.
var ErrOverCap = errors.New("upload larger than allowed")

// CappedReader passes an upload through while counting it and fails with
// ErrOverCap as soon as more than Left bytes arrive, so an oversize upload
// is cut off while streaming instead of after it was stored. It reads at
// most one byte beyond the cap. Used for documents (certificate scans,
// inquiry attachments) that do not go through the image pipeline.
type CappedReader struct {
	R    io.Reader
	Left int64
	// N counts the bytes passed on; Over is set once the cap is passed.
	N    int64
	Over bool
	// ReadErr is the reader's own failure (the client went away, the HTTP
	// body limit), as opposed to one of the store the bytes go to.
	ReadErr error
}

func (l *CappedReader) Read(p []byte) (int, error) {
	if int64(len(p)) > l.Left+1 {
		p = p[:l.Left+1]
	}
	n, err := l.R.Read(p)
	if err != nil && err != io.EOF {
		l.ReadErr = err
	}
	l.N += int64(n)
	l.Left -= int64(n)
	if l.Left < 0 {
		l.Over = true
		return n, ErrOverCap
	}
	return n, err
}

// UploadReadError reports a failed upload read: an oversize request body
// (the HTTP layer's own limit) is 413 naming the file field, an ocop error
// passes through, anything else is a validation problem.
func UploadReadError(err error) error {
	var oe *ocop.Error
	if errors.As(err, &oe) {
		return err
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &ocop.Error{Code: ocop.CodeTooLarge, Message: "the upload is larger than allowed", Err: err,
			Fields: []ocop.FieldError{{Field: "file", Message: "is too large"}}}
	}
	return ocop.Wrap(err, ocop.CodeValidation, "the upload could not be read")
}
