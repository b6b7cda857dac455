package httpapi_test

import (
	"bytes"
	"image/jpeg"
	"net/http"
	"testing"

	"github.com/ocopconnect/ocopconnect/internal/media/mediatest"
	. "github.com/ocopconnect/ocopconnect/internal/testsupport"
)

// A producer's logo goes through the image pipeline like a listing photo:
// owner (or staff) only, another owner's producer is not found, bad files
// are refused without a trace, a replaced or deleted logo's objects are
// removed by the media job.
func TestProducerLogo(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		m := newMarket(t, db)
		s := m.s
		del := func(token string) *Response {
			return s.Do(t, Req{Method: http.MethodDelete, Path: "/api/v1/producers/" + m.producer + "/logo", Token: token})
		}
		put := func(token, producerID string, data []byte) *Response {
			body, ct := multipartFile(t, "file", "logo.jpg", data)
			return s.Do(t, Req{Method: http.MethodPut, Path: "/api/v1/producers/" + producerID + "/logo", Token: token, Body: body, ContentType: ct})
		}
		logo := mediatest.JPEG(t, mediatest.Photo(900, 900, 7))

		// Nobody but the producer's members.
		for _, tok := range []string{m.rival, m.buyer} {
			if p := put(tok, m.producer, logo).Expect(t, http.StatusNotFound).Problem(t); p.Code != "not_found" {
				t.Fatalf("someone else's logo: %+v", p)
			}
		}
		put("", m.producer, logo).Expect(t, http.StatusUnauthorized)
		// Not an image; not multipart.
		if p := put(m.owner, m.producer, []byte("%PDF-1.4 not a picture")).Expect(t, http.StatusUnsupportedMediaType).Problem(t); p.Code != "unsupported_media_type" {
			t.Fatalf("a PDF as logo: %+v", p)
		}
		s.Do(t, Req{Method: http.MethodPut, Path: "/api/v1/producers/" + m.producer + "/logo", Token: m.owner, Body: logo, ContentType: "image/jpeg"}).
			Expect(t, http.StatusUnsupportedMediaType)
		if n := mediaFiles(t, s); n != 0 {
			t.Fatalf("refused uploads left %d objects", n)
		}
		if p := s.Get(t, "/api/v1/producers/"+m.producer, "").Expect(t, http.StatusOK).Map(t); p["logo_url"] != nil || p["logo_thumbnail_url"] != nil {
			t.Fatalf("logo before any upload: %v", p)
		}

		first := put(m.owner, m.producer, logo).Expect(t, http.StatusOK).Map(t)
		url, thumb := first["logo_url"].(string), first["logo_thumbnail_url"].(string)
		public := s.Get(t, "/api/v1/producers/"+m.producer, "").Expect(t, http.StatusOK).Map(t)
		if public["logo_url"] != url || public["logo_thumbnail_url"] != thumb {
			t.Fatalf("public profile: %v", public)
		}
		small := m.fetch(t, thumb)
		if cfg, err := jpeg.DecodeConfig(bytes.NewReader(small)); err != nil || cfg.Width > 400 || cfg.Height > 400 {
			t.Fatalf("thumbnail: %+v %v", cfg, err)
		}
		if !bytes.Equal(m.fetch(t, url)[:2], []byte{0xFF, 0xD8}) {
			t.Fatal("the logo is not served as a JPEG")
		}

		// Replacing it removes the old objects once the media job has run.
		second := put(m.owner, m.producer, mediatest.PNG(t, mediatest.Halves(300, 200))).Expect(t, http.StatusOK).Map(t)
		if second["logo_url"] == url {
			t.Fatal("the replaced logo kept its key")
		}
		s.DrainOutbox()
		for _, old := range []string{url, thumb} {
			s.Get(t, old, "").Expect(t, http.StatusNotFound)
		}
		m.fetch(t, second["logo_url"].(string))
		if n := mediaFiles(t, s); n != 2 {
			t.Fatalf("%d objects after replacing the logo, want 2", n)
		}

		// A rival cannot delete it; the owner can, once.
		del(m.rival).Expect(t, http.StatusNotFound)
		del(m.owner).Expect(t, http.StatusNoContent)
		if p := del(m.owner).Expect(t, http.StatusNotFound).Problem(t); p.Code != "not_found" {
			t.Fatalf("second delete: %+v", p)
		}
		s.DrainOutbox()
		if n := mediaFiles(t, s); n != 0 {
			t.Fatalf("%d objects after deleting the logo", n)
		}
		if p := s.Get(t, "/api/v1/producers/"+m.producer, "").Expect(t, http.StatusOK).Map(t); p["logo_url"] != nil {
			t.Fatalf("logo after delete: %v", p["logo_url"])
		}
	})
}
