package httpapi

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ocopconnect/ocopconnect/internal/blob"
	"github.com/ocopconnect/ocopconnect/internal/media"
	"github.com/ocopconnect/ocopconnect/internal/media/mediatest"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// uploadHarness serves POST /upload the way an image route of a feature
// will: body limit from uploadBodyLimit, then receiveImage.
func uploadHarness(t *testing.T, maxBytes int64) (http.Handler, ocop.Blobs) {
	b, err := blob.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a := &API{Deps: Deps{MaxBodyBytes: 1 << 20, Media: media.NewProcessor(b, media.Options{MaxBytes: maxBytes})}, bodyLimits: map[string]int64{}}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	a.bodyLimits["/upload"] = a.uploadBodyLimit()
	r.Use(limitBody(a.MaxBodyBytes, a.bodyLimits))
	r.POST("/upload", func(c *gin.Context) {
		im, err := a.receiveImage(c)
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusCreated, gin.H{"display": im.Display.Key, "thumb": im.Thumb.Key})
	})
	return r, b
}

func multipartBody(t *testing.T, field, filename string, content []byte, extra map[string]string) (*bytes.Buffer, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range extra {
		_ = w.WriteField(k, v)
	}
	fw, err := w.CreateFormFile(field, filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	w.Close()
	return &buf, w.FormDataContentType()
}

func TestReceiveImage(t *testing.T) {
	const maxBytes = 2 << 20
	h, blobs := uploadHarness(t, maxBytes)
	jpg := mediatest.WithEXIF(t, mediatest.JPEG(t, mediatest.Photo(900, 600, 5)), 1)
	big := bytes.Repeat([]byte{0xFF, 0xD8, 0xFF, 0xEF, 0xFF, 0xFF}, maxBytes/6+100)
	cases := []struct {
		name, field, filename string
		content               []byte
		contentType           string // overrides the multipart type
		status                int
		code                  ocop.Code
	}{
		{"JPEG with a form field before it", "file", "photo.jpg", jpg, "", http.StatusCreated, ""},
		{"wrong field", "image", "photo.jpg", jpg, "", http.StatusBadRequest, ocop.CodeValidation},
		{"HTML renamed", "file", "photo.jpg", []byte("<html><body>hi</body></html>"), "", http.StatusUnsupportedMediaType, ocop.CodeUnsupportedMedia},
		{"empty file", "file", "photo.jpg", nil, "", http.StatusUnprocessableEntity, ocop.CodeInvalidImage},
		{"over the cap", "file", "photo.jpg", big, "", http.StatusRequestEntityTooLarge, ocop.CodeTooLarge},
		{"pixel bomb", "file", "bomb.png", mediatest.PNGBomb(60000, 60000), "", http.StatusUnprocessableEntity, ocop.CodeImageTooLarge},
		{"not multipart", "file", "photo.jpg", jpg, "image/jpeg", http.StatusUnsupportedMediaType, ocop.CodeUnsupportedMedia},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, ct := multipartBody(t, c.field, c.filename, c.content, map[string]string{"caption": "Cà phê"})
			if c.contentType != "" {
				body, ct = bytes.NewBuffer(c.content), c.contentType
			}
			req := httptest.NewRequest(http.MethodPost, "/upload", body)
			req.Header.Set("Content-Type", ct)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.status, rec.Body)
			}
			if c.code != "" {
				var p Problem
				if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Code != c.code {
					t.Fatalf("problem %s, want %s", rec.Body, c.code)
				}
				if c.code == ocop.CodeValidation && (len(p.Errors) != 1 || p.Errors[0].Field != ImageField) {
					t.Fatalf("the problem does not name the %q field: %s", ImageField, rec.Body)
				}
				return
			}
			var out map[string]string
			_ = json.Unmarshal(rec.Body.Bytes(), &out)
			for _, k := range []string{out["display"], out["thumb"]} {
				if _, err := blobs.Stat(req.Context(), k); err != nil {
					t.Fatalf("stored %q: %v", k, err)
				}
			}
		})
	}
}
