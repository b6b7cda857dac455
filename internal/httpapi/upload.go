package httpapi

import (
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ocopconnect/ocopconnect/internal/media"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// ImageField is the multipart field that carries an uploaded image.
const ImageField = "file"

// multipartOverhead is what a body may carry beside the image itself
// (boundaries, part headers, a few small fields).
const multipartOverhead = 64 << 10

// uploadBodyLimit is the body limit of an image upload route; register it
// with a.bodyLimits[path] = a.uploadBodyLimit() before the route. The image
// itself is capped again, exactly, while it streams.
func (a *API) uploadBodyLimit() int64 {
	if a.Media == nil {
		return a.MaxBodyBytes
	}
	return a.Media.MaxBytes() + multipartOverhead
}

// receiveImage streams the image in the multipart field ImageField of the
// request through the media pipeline and stores it. Nothing is buffered
// beyond the pipeline's cap: c.FormFile would first spool the whole body to
// memory and temporary files. Upload handlers record the returned keys in
// their transaction and, if that fails, enqueue their deletion
// (media.EnqueueDelete). Errors are ocop errors ready for fail().
func (a *API) receiveImage(c *gin.Context) (media.Image, error) {
	if a.Media == nil {
		return media.Image{}, ocop.Errorf(ocop.CodeMediaUnavailable, "image uploads are not configured")
	}
	part, err := imagePart(c.Request)
	if err != nil {
		return media.Image{}, err
	}
	defer part.Close()
	return a.Media.Process(c.Request.Context(), part)
}

func imagePart(r *http.Request) (io.ReadCloser, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, ocop.Errorf(ocop.CodeUnsupportedMedia, "send the image as the %q field of a multipart/form-data body", ImageField)
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, ocop.FieldInvalid(ImageField, "the multipart body is malformed")
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, ocop.FieldInvalid(ImageField, "is required: send the image as the %q field of a multipart/form-data body", ImageField)
		}
		if err != nil {
			if tooLarge(err) {
				return nil, ocop.Errorf(ocop.CodeTooLarge, "the body is larger than allowed")
			}
			return nil, ocop.FieldInvalid(ImageField, "the multipart body is malformed")
		}
		if part.FormName() == ImageField && part.FileName() != "" {
			return part, nil
		}
		// Other fields are skipped; the body limit bounds what they cost.
		part.Close()
	}
}
