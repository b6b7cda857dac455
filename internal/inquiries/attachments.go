package inquiries

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/ocopconnect/ocopconnect/internal/media"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// StoredImage is an image upload after the media pipeline: re-encoded
// display and thumbnail variants under generated keys.
type StoredImage struct {
	DisplayKey, ThumbKey string
	ContentType          string
	Size                 int64
	Width, Height        int
}

// Images runs uploads through the media pipeline (type by content, byte
// and pixel caps while streaming, metadata stripped by re-encoding); it
// stores nothing unless it succeeds.
type Images interface {
	Process(ctx context.Context, r io.Reader) (StoredImage, error)
}

// Attachment types, detected from content (never from the name or the
// declared type).
var imageTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/webp": true}

const sniffLen = 512

// StoreAttachment stores one uploaded file for a message: an image goes
// through the media pipeline, a PDF is stored as sent (capped at
// Limits.AttachmentMaxBytes). Call CanWrite first, then PostMessage with
// the results; on any failure in between, Discard them.
func (s *Service) StoreAttachment(ctx context.Context, inquiryID string, content io.Reader) (ocop.InquiryAttachment, error) {
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(content, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return ocop.InquiryAttachment{}, media.UploadReadError(err)
	}
	head = head[:n]
	if n == 0 {
		return ocop.InquiryAttachment{}, ocop.FieldInvalid("file", "is empty")
	}
	ctype, _, _ := strings.Cut(http.DetectContentType(head), ";")
	body := io.MultiReader(bytes.NewReader(head), content)
	now := s.Now()
	switch {
	case imageTypes[ctype]:
		im, err := s.Images.Process(ctx, body)
		if err != nil {
			return ocop.InquiryAttachment{}, err
		}
		return ocop.InquiryAttachment{ID: newID(), Kind: "image", Key: im.DisplayKey, ThumbKey: im.ThumbKey,
			ContentType: im.ContentType, Size: im.Size, Width: im.Width, Height: im.Height, CreatedAt: now}, nil
	case ctype == "application/pdf":
		id := newID()
		key := "inquiries/" + inquiryID + "/" + id + ".pdf"
		lr := &media.CappedReader{R: body, Left: s.Limits.AttachmentMaxBytes}
		if err := s.Blobs.Put(ctx, key, lr, -1, ctype); err != nil {
			switch {
			case lr.Over:
				return ocop.InquiryAttachment{}, &ocop.Error{Code: ocop.CodeTooLarge, Message: "the attachment is larger than allowed",
					Fields: []ocop.FieldError{{Field: "file", Message: "must be at most " + strconv.FormatInt(s.Limits.AttachmentMaxBytes, 10) + " bytes"}}}
			case lr.ReadErr != nil:
				return ocop.InquiryAttachment{}, media.UploadReadError(lr.ReadErr)
			}
			return ocop.InquiryAttachment{}, ocop.Wrap(err, ocop.CodeMediaUnavailable, "the attachment could not be stored; try again later")
		}
		return ocop.InquiryAttachment{ID: id, Kind: "document", Key: key, ContentType: ctype, Size: lr.N, CreatedAt: now}, nil
	}
	return ocop.InquiryAttachment{}, &ocop.Error{Code: ocop.CodeUnsupportedMedia, Message: "attachments must be JPEG, PNG or WebP images or PDF documents",
		Fields: []ocop.FieldError{{Field: "file", Message: "must be a JPEG, PNG or WebP image or a PDF document (this one looks like " + ctype + ")"}}}
}

// Discard removes stored attachments whose message was never recorded: at
// once if the store answers, otherwise through the media.delete outbox
// topic, retried by a worker.
func (s *Service) Discard(ctx context.Context, attachments []ocop.InquiryAttachment) {
	keys := ocop.AttachmentKeys(attachments)
	if len(keys) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	var left []string
	for _, k := range keys {
		if err := s.Blobs.Delete(ctx, k); err != nil {
			left = append(left, k)
		}
	}
	if len(left) > 0 {
		_ = media.EnqueueDelete(ctx, s.Outbox, "inquiry-upload", left...)
	}
}
