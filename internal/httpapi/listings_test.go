package httpapi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/jpeg"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/accounts"
	"github.com/ocopconnect/ocopconnect/internal/config"
	"github.com/ocopconnect/ocopconnect/internal/listings"
	"github.com/ocopconnect/ocopconnect/internal/media/mediatest"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/producers"
	. "github.com/ocopconnect/ocopconnect/internal/testsupport"
)

// market is a test marketplace: a producer with its owner, a second
// producer with its own owner, a buyer and an admin.
type market struct {
	s                *Server
	owner, rival     string // access tokens of the two producers' owners
	buyer            string
	producer, rivalP string // producer IDs
	ownerCtx, admin  context.Context
}

func newProducer(t *testing.T, s *Server, email, name string) (token, producerID string, ctx context.Context) {
	t.Helper()
	u := register(t, s, email, "producer")
	ctx = asUser(u["id"].(string), ocop.RoleProducer)
	p, err := s.Producers.Create(ctx, producers.ProducerInput{
		LegalName: name, Kind: ocop.KindCooperative, ProvinceCode: "66", CommuneCode: "22015", Address: "Thôn 3",
	})
	if err != nil {
		t.Fatal(err)
	}
	return login(t, s, email, goodPassword).AccessToken, p.ID, ctx
}

func newMarket(t *testing.T, db DB, opts ...ServerOption) *market {
	t.Helper()
	s := NewServer(t, db, opts...)
	m := &market{s: s}
	m.owner, m.producer, m.ownerCtx = newProducer(t, s, "htx@example.vn", "Hợp tác xã Cà phê Ea Tu")
	m.rival, m.rivalP, _ = newProducer(t, s, "rival@example.vn", "Công ty Cà phê Đối Thủ")
	register(t, s, "buyer@example.vn", "buyer")
	m.buyer = login(t, s, "buyer@example.vn", goodPassword).AccessToken
	admin, err := s.Accounts.CreateUser(context.Background(), accounts.RegisterInput{
		Email: "admin@example.vn", Password: goodPassword, DisplayName: "Admin", Role: ocop.RoleAdmin,
	})
	if err != nil {
		t.Fatal(err)
	}
	m.admin = asUser(admin.ID, ocop.RoleAdmin)
	return m
}

func (m *market) verify(t *testing.T, producerID string) {
	t.Helper()
	if _, err := m.s.Producers.Verify(m.admin, producerID, ""); err != nil {
		t.Fatal(err)
	}
}

func coffee(producerID string) map[string]any {
	return map[string]any{
		"producer_id": producerID, "title_vi": "Cà phê Robusta rang mộc", "title_en": "Roasted Robusta coffee",
		"description_vi": "Cà phê Robusta Đắk Lắk, rang mộc, không tẩm.", "product_group": "food", "product_set": "coffee_cocoa",
		"unit": "kg", "price_min_vnd": 180000, "price_max_vnd": 220000, "min_order_qty": 50, "monthly_capacity": 2000,
		"tags": []string{"Robusta", "rang mộc", "robusta"}, "harvest_months": []int{12, 11, 1},
		"export_markets": []string{"jp", "EU"}, "certifications": []string{"vietgap"}, "sample_available": true,
	}
}

func (m *market) create(t *testing.T) map[string]any {
	t.Helper()
	return m.s.Post(t, "/api/v1/listings", m.owner, coffee(m.producer)).Expect(t, http.StatusCreated).Map(t)
}

func (m *market) patch(t *testing.T, id, token, etag string, body any) *Response {
	t.Helper()
	h := map[string]string{}
	if etag != "" {
		h["If-Match"] = etag
	}
	return m.s.Do(t, Req{Method: http.MethodPatch, Path: "/api/v1/listings/" + id, Token: token, Body: body, Header: h})
}

func outboxCount(t *testing.T, s *Server, topic, key string) int {
	t.Helper()
	q := "SELECT COUNT(*) FROM outbox WHERE topic = ? AND key = ?"
	if s.Store.Dialect() == "postgres" {
		q = "SELECT COUNT(*) FROM outbox WHERE topic = $1 AND key = $2"
	}
	var n int
	if err := s.Store.SQLDB().QueryRow(q, topic, key).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestListingLifecycle(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		m := newMarket(t, db)
		s := m.s

		// A buyer cannot create listings; a producer cannot create them for
		// someone else's producer.
		p := s.Post(t, "/api/v1/listings", m.buyer, coffee(m.producer)).Expect(t, http.StatusForbidden).Problem(t)
		if p.Code != "forbidden" {
			t.Fatalf("buyer create: %+v", p)
		}
		s.Post(t, "/api/v1/listings", m.rival, coffee(m.producer)).Expect(t, http.StatusNotFound)

		created := s.Post(t, "/api/v1/listings", m.owner, coffee(m.producer)).Expect(t, http.StatusCreated)
		l := created.Map(t)
		id := l["id"].(string)
		if created.Header.Get("ETag") != `"1"` || l["status"] != "draft" || l["stars"] != nil {
			t.Fatalf("created: etag %q, %v", created.Header.Get("ETag"), l)
		}
		if fmt.Sprint(l["tags"]) != "[rang mộc robusta]" || fmt.Sprint(l["harvest_months"]) != "[1 11 12]" ||
			fmt.Sprint(l["export_markets"]) != "[EU JP]" {
			t.Fatalf("lists not normalised: %v %v %v", l["tags"], l["harvest_months"], l["export_markets"])
		}

		// Drafts are the owner's: the public, a buyer and a rival get 404.
		s.Get(t, "/api/v1/listings/"+id, "").Expect(t, http.StatusNotFound)
		s.Get(t, "/api/v1/listings/"+id, m.buyer).Expect(t, http.StatusNotFound)
		s.Get(t, "/api/v1/listings/"+id, m.rival).Expect(t, http.StatusNotFound)
		s.Get(t, "/api/v1/listings/"+id, m.owner).Expect(t, http.StatusOK)

		// PATCH needs If-Match; a matching one applies the change.
		if p := m.patch(t, id, m.owner, "", map[string]any{"unit": "bao 5 kg"}).Expect(t, http.StatusPreconditionRequired).Problem(t); p.Code != "precondition_required" {
			t.Fatalf("no If-Match: %+v", p)
		}
		r := m.patch(t, id, m.owner, `"1"`, map[string]any{"unit": "bao 5 kg", "title_en": nil, "price_max_vnd": 250000}).Expect(t, http.StatusOK)
		if r.Header.Get("ETag") != `"2"` {
			t.Fatalf("ETag after edit = %q", r.Header.Get("ETag"))
		}
		l = r.Map(t)
		if l["unit"] != "bao 5 kg" || l["title_en"] != "" || l["price_max_vnd"] != float64(250000) || l["title_vi"] != "Cà phê Robusta rang mộc" {
			t.Fatalf("after edit: %v", l)
		}
		// A second editor still holding version 1 is refused, and nothing changes.
		if p := m.patch(t, id, m.owner, `"1"`, map[string]any{"unit": "thùng"}).Expect(t, http.StatusPreconditionFailed).Problem(t); p.Code != "precondition_failed" {
			t.Fatalf("stale If-Match: %+v", p)
		}
		if got := s.Get(t, "/api/v1/listings/"+id, m.owner).Expect(t, http.StatusOK).Map(t); got["unit"] != "bao 5 kg" || got["version"] != float64(2) {
			t.Fatalf("stale edit changed the listing: %v", got)
		}
		// Bad edits: invalid fields, clearing a required one, a rival's edit.
		p = m.patch(t, id, m.owner, `"2"`, map[string]any{"price_min_vnd": 300000, "product_set": "no_such_set", "harvest_months": []int{13}}).
			Expect(t, http.StatusBadRequest).Problem(t)
		if !p.HasField("price_max_vnd") || !p.HasField("product_set") || !p.HasField("harvest_months") {
			t.Fatalf("validation: %+v", p)
		}
		if p := m.patch(t, id, m.owner, `"2"`, map[string]any{"title_vi": nil}).Expect(t, http.StatusBadRequest).Problem(t); !p.HasField("title_vi") {
			t.Fatalf("null title_vi: %+v", p)
		}
		m.patch(t, id, m.rival, `"2"`, map[string]any{"unit": "thùng"}).Expect(t, http.StatusNotFound)

		// Only a verified producer may publish.
		p = s.Post(t, "/api/v1/listings/"+id+"/publish", m.owner, nil).Expect(t, http.StatusForbidden).Problem(t)
		if p.Code != "producer_not_verified" {
			t.Fatalf("unverified publish: %+v", p)
		}
		m.verify(t, m.producer)
		s.Post(t, "/api/v1/listings/"+id+"/publish", m.rival, nil).Expect(t, http.StatusNotFound)
		l = s.Post(t, "/api/v1/listings/"+id+"/publish", m.owner, nil).Expect(t, http.StatusOK).Map(t)
		if l["status"] != "published" || l["published_at"] == nil {
			t.Fatalf("published: %v", l)
		}
		pub := s.Get(t, "/api/v1/listings/"+id, "").Expect(t, http.StatusOK).Map(t)
		if pub["title_vi"] != "Cà phê Robusta rang mộc" {
			t.Fatalf("public view: %v", pub)
		}
		// Published listings are public, but still only the owner's to edit.
		m.patch(t, id, m.rival, `"3"`, map[string]any{"unit": "thùng"}).Expect(t, http.StatusNotFound)

		// A second listing stays a draft: the public list shows only the published one.
		draft := m.create(t)["id"].(string)
		list := s.Get(t, "/api/v1/producers/"+m.producer+"/listings", "").Expect(t, http.StatusOK).Map(t)
		if items := list["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != id {
			t.Fatalf("public list: %v", list)
		}
		list = s.Get(t, "/api/v1/producers/"+m.producer+"/listings?limit=1", m.owner).Expect(t, http.StatusOK).Map(t)
		if items := list["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != draft || list["next_cursor"] == nil {
			t.Fatalf("owner list page 1: %v", list)
		}
		list = s.Get(t, "/api/v1/producers/"+m.producer+"/listings?limit=1&cursor="+list["next_cursor"].(string), m.owner).Expect(t, http.StatusOK).Map(t)
		if items := list["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != id || list["next_cursor"] != nil {
			t.Fatalf("owner list page 2: %v", list)
		}
		s.Get(t, "/api/v1/producers/"+m.producer+"/listings?status=draft", m.buyer).Expect(t, http.StatusBadRequest)

		// Unpublish hides it again; publish brings it back.
		s.Post(t, "/api/v1/listings/"+id+"/unpublish", m.owner, nil).Expect(t, http.StatusOK)
		s.Get(t, "/api/v1/listings/"+id, "").Expect(t, http.StatusNotFound)
		s.Post(t, "/api/v1/listings/"+draft+"/unpublish", m.owner, nil).Expect(t, http.StatusConflict)
		s.Post(t, "/api/v1/listings/"+id+"/publish", m.owner, nil).Expect(t, http.StatusOK)

		// Archive: final, read-only, idempotent; a rival cannot.
		s.Do(t, Req{Method: http.MethodDelete, Path: "/api/v1/listings/" + id, Token: m.rival}).Expect(t, http.StatusNotFound)
		s.Do(t, Req{Method: http.MethodDelete, Path: "/api/v1/listings/" + id, Token: m.owner}).Expect(t, http.StatusNoContent)
		s.Do(t, Req{Method: http.MethodDelete, Path: "/api/v1/listings/" + id, Token: m.owner}).Expect(t, http.StatusNoContent)
		s.Get(t, "/api/v1/listings/"+id, "").Expect(t, http.StatusNotFound)
		l = s.Get(t, "/api/v1/listings/"+id, m.owner).Expect(t, http.StatusOK).Map(t)
		if l["status"] != "archived" {
			t.Fatalf("archived: %v", l)
		}
		m.patch(t, id, m.owner, fmt.Sprintf(`"%v"`, l["version"]), map[string]any{"unit": "thùng"}).Expect(t, http.StatusConflict)
		s.Post(t, "/api/v1/listings/"+id+"/publish", m.owner, nil).Expect(t, http.StatusConflict)

		// Every visible change was announced to search in its transaction:
		// created, updated, published, paused, published, archived.
		if n := outboxCount(t, s, listings.TopicChanged, id); n != 6 {
			t.Fatalf("listing.changed messages = %d, want 6", n)
		}
	})
}

func TestListingStarsOnlyFromCertificateInForce(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		m := newMarket(t, db)
		s := m.s
		m.verify(t, m.producer)
		today := ocop.DateOf(s.Clock().Now())
		cert, err := s.Producers.AddCertificate(m.ownerCtx, m.producer, producers.CertificateInput{
			ProductName: "Cà phê Robusta rang mộc", ProductGroup: "food", ProductSet: "coffee_cocoa", Stars: 4,
			DecisionNumber: "123/QĐ-UBND", DecisionDate: today.AddMonths(-35).String(), IssuingLevel: ocop.IssuingProvincial,
			IssuingBody: "UBND tỉnh Đắk Lắk",
		})
		if err != nil {
			t.Fatal(err)
		}
		rivalID := mustUserID(t, s, m.rival) // before the clock moves past the token's life
		body := coffee(m.producer)
		body["certificate_id"] = cert.ID
		l := s.Post(t, "/api/v1/listings", m.owner, body).Expect(t, http.StatusCreated).Map(t)
		id := l["id"].(string)
		if l["stars"] != nil || l["certificate_id"] != cert.ID {
			t.Fatalf("pending certificate shows stars: %v", l)
		}
		if _, err := s.Producers.VerifyCertificate(m.admin, cert.ID); err != nil {
			t.Fatal(err)
		}
		s.Post(t, "/api/v1/listings/"+id+"/publish", m.owner, nil).Expect(t, http.StatusOK)
		if got := s.Get(t, "/api/v1/listings/"+id, "").Expect(t, http.StatusOK).Map(t); got["stars"] != float64(4) {
			t.Fatalf("verified certificate: stars = %v", got["stars"])
		}
		// 36 months after the decision the certificate is no longer in force.
		s.Clock().Advance(62 * 24 * time.Hour)
		m.owner = login(t, s, "htx@example.vn", goodPassword).AccessToken
		if got := s.Get(t, "/api/v1/listings/"+id, "").Expect(t, http.StatusOK).Map(t); got["stars"] != nil {
			t.Fatalf("expired certificate: stars = %v", got["stars"])
		}
		card, err := s.Listings.Card(context.Background(), id)
		if err != nil || card.Stars != 0 || card.ProducerName != "Hợp tác xã Cà phê Ea Tu" || card.ProvinceCode != "66" || card.ProducerKind != "cooperative" || !card.ProducerVerified {
			t.Fatalf("card: %+v, %v", card, err)
		}

		// Another producer's certificate cannot back a listing (and looks
		// exactly like a missing one).
		rivalCert, err := s.Producers.AddCertificate(asUser(rivalID, ocop.RoleProducer), m.rivalP, producers.CertificateInput{
			ProductName: "Cà phê hạt", ProductGroup: "food", ProductSet: "coffee_cocoa", Stars: 5,
			DecisionNumber: "9/QĐ-BNN", DecisionDate: today.String(), IssuingLevel: ocop.IssuingNational, IssuingBody: "Bộ NN&PTNT",
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, certID := range []string{rivalCert.ID, "no-such-certificate"} {
			body["certificate_id"] = certID
			p := s.Post(t, "/api/v1/listings", m.owner, body).Expect(t, http.StatusBadRequest).Problem(t)
			if len(p.Errors) != 1 || !p.HasField("certificate_id") || p.Errors[0].Message != "is not a certificate of this producer" {
				t.Fatalf("certificate %s: %+v", certID, p)
			}
		}
	})
}

func mustUserID(t *testing.T, s *Server, token string) string {
	t.Helper()
	return s.Get(t, "/api/v1/me", token).Expect(t, http.StatusOK).Map(t)["id"].(string)
}

// multipartFile builds a multipart body with one file part.
func multipartFile(t testing.TB, field, filename string, data []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile(field, filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

func (m *market) upload(t *testing.T, listingID, field, filename string, data []byte) *Response {
	t.Helper()
	body, ct := multipartFile(t, field, filename, data)
	return m.s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/listings/" + listingID + "/images", Token: m.owner, Body: body, ContentType: ct})
}

// mediaFiles counts the image objects in the disk media store (not the
// store's content-type sidecars).
func mediaFiles(t *testing.T, s *Server) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(s.DB.DataDir, "media"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && (strings.HasSuffix(d.Name(), ".jpg") || strings.HasSuffix(d.Name(), ".png")) {
			n++
		}
		return err
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return n
}

func (m *market) fetch(t *testing.T, path string) []byte {
	t.Helper()
	r := m.s.Get(t, path, "").Expect(t, http.StatusOK)
	return r.Body
}

func TestListingImages(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		m := newMarket(t, db, func(cfg *config.Config) { cfg.ListingMaxImages = 2 })
		s := m.s
		id := m.create(t)["id"].(string)
		drained := 0 // listing.changed messages handled by the search relay
		drain := func() {
			drained += outboxCount(t, s, listings.TopicChanged, id)
			s.DrainOutbox()
		}

		// A phone photo with GPS in its EXIF comes back without any metadata.
		photo := mediatest.WithEXIF(t, mediatest.JPEG(t, mediatest.Photo(1200, 900, 1)), 1)
		if !bytes.Contains(photo, []byte(mediatest.GPSMarker)) {
			t.Fatal("test photo carries no GPS marker")
		}
		r := m.upload(t, id, "file", "IMG_0001.jpg", photo).Expect(t, http.StatusCreated)
		if r.Header.Get("ETag") != `"2"` {
			t.Fatalf("ETag after upload = %q", r.Header.Get("ETag"))
		}
		im1 := r.Map(t)
		if im1["width"] != float64(1200) || im1["height"] != float64(900) || im1["position"] != float64(0) {
			t.Fatalf("image: %v", im1)
		}
		display := m.fetch(t, im1["url"].(string))
		thumb := m.fetch(t, im1["thumbnail_url"].(string))
		for name, b := range map[string][]byte{"display": display, "thumbnail": thumb} {
			if mediatest.HasMetadata(b) || bytes.Contains(b, []byte(mediatest.GPSMarker)) {
				t.Fatalf("%s still carries metadata", name)
			}
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(thumb))
		if err != nil || cfg.Width > 400 || cfg.Height > 400 || cfg.Width != int(im1["thumbnail_width"].(float64)) {
			t.Fatalf("thumbnail %dx%d, %v (response %v)", cfg.Width, cfg.Height, err, im1)
		}

		im2 := m.upload(t, id, "file", "b.png", mediatest.PNG(t, mediatest.Halves(300, 200))).Expect(t, http.StatusCreated).Map(t)
		if im2["position"] != float64(1) {
			t.Fatalf("second image position %v", im2["position"])
		}
		// The limit holds, before a byte is stored.
		before := mediaFiles(t, s)
		if p := m.upload(t, id, "file", "c.jpg", photo).Expect(t, http.StatusConflict).Problem(t); p.Code != "too_many_images" {
			t.Fatalf("third image: %+v", p)
		}
		if mediaFiles(t, s) != before || before != 4 {
			t.Fatalf("media files %d -> %d", before, mediaFiles(t, s))
		}
		// A rival cannot add, reorder or delete photos.
		body, ct := multipartFile(t, "file", "x.jpg", photo)
		s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/listings/" + id + "/images", Token: m.rival, Body: body, ContentType: ct}).Expect(t, http.StatusNotFound)
		s.Do(t, Req{Method: http.MethodDelete, Path: "/api/v1/listings/" + id + "/images/" + im1["id"].(string), Token: m.rival}).Expect(t, http.StatusNotFound)

		// Reorder: the PNG becomes the cover; a partial order is refused.
		order := func(token string, ids ...any) *Response {
			return s.Do(t, Req{Method: http.MethodPut, Path: "/api/v1/listings/" + id + "/images/order", Token: token, Body: map[string]any{"image_ids": ids}})
		}
		order(m.owner, im2["id"]).Expect(t, http.StatusBadRequest)
		order(m.owner, im2["id"], im2["id"]).Expect(t, http.StatusBadRequest)
		order(m.rival, im2["id"], im1["id"]).Expect(t, http.StatusNotFound)
		l := order(m.owner, im2["id"], im1["id"]).Expect(t, http.StatusOK).Map(t)
		imgs := l["images"].([]any)
		if imgs[0].(map[string]any)["id"] != im2["id"] || imgs[1].(map[string]any)["position"] != float64(1) {
			t.Fatalf("after reorder: %v", imgs)
		}
		card, err := s.Listings.Card(context.Background(), id)
		if err != nil || card.ThumbnailPath != im2["thumbnail_url"] || card.ImageCount != 2 {
			t.Fatalf("card: %+v %v", card, err)
		}

		// Deleting a photo removes its row now and its objects in the background.
		s.Do(t, Req{Method: http.MethodDelete, Path: "/api/v1/listings/" + id + "/images/" + im2["id"].(string), Token: m.owner}).Expect(t, http.StatusNoContent)
		s.Do(t, Req{Method: http.MethodDelete, Path: "/api/v1/listings/" + id + "/images/" + im2["id"].(string), Token: m.owner}).Expect(t, http.StatusNotFound)
		l = s.Get(t, "/api/v1/listings/"+id, m.owner).Expect(t, http.StatusOK).Map(t)
		if imgs := l["images"].([]any); len(imgs) != 1 || imgs[0].(map[string]any)["position"] != float64(0) {
			t.Fatalf("after delete: %v", imgs)
		}
		drain()
		if n := mediaFiles(t, s); n != 2 {
			t.Fatalf("media files after delete = %d, want 2", n)
		}
		s.Get(t, im2["url"].(string), "").Expect(t, http.StatusNotFound)

		// Archiving removes the remaining photos the same way.
		s.Do(t, Req{Method: http.MethodDelete, Path: "/api/v1/listings/" + id, Token: m.owner}).Expect(t, http.StatusNoContent)
		drain()
		if n := mediaFiles(t, s); n != 0 {
			t.Fatalf("media files after archive = %d, want 0", n)
		}
		if l := s.Get(t, "/api/v1/listings/"+id, m.owner).Expect(t, http.StatusOK).Map(t); len(l["images"].([]any)) != 0 {
			t.Fatalf("archived listing still lists images: %v", l["images"])
		}
		m.upload(t, id, "file", "d.jpg", photo).Expect(t, http.StatusConflict)
		// created, 2 uploads, reorder, delete, archive
		// (the search relay consumes them: count those drained too)
		if n := drained + outboxCount(t, s, listings.TopicChanged, id); n != 6 {
			t.Fatalf("listing.changed messages = %d, want 6", n)
		}
	})
}

func TestListingBadUploads(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		m := newMarket(t, db, func(cfg *config.Config) { cfg.MediaMaxUploadBytes = 256 << 10 })
		s := m.s
		id := m.create(t)["id"].(string)
		good := mediatest.JPEG(t, mediatest.Photo(400, 300, 2))
		big := mediatest.JPEG(t, mediatest.Photo(1600, 1600, 3))
		if len(big) <= 256<<10 {
			t.Fatalf("the big photo is only %d bytes", len(big))
		}
		cases := []struct {
			name, field, filename string
			data                  []byte
			status                int
			code                  string
		}{
			{"empty file", "file", "a.jpg", nil, http.StatusUnprocessableEntity, "invalid_image"},
			{"over the cap", "file", "a.jpg", big, http.StatusRequestEntityTooLarge, "payload_too_large"},
			{"truncated JPEG", "file", "a.jpg", good[:len(good)/2], http.StatusUnprocessableEntity, "invalid_image"},
			{"pixel bomb", "file", "a.jpg", mediatest.JPEGBomb(t, 60000, 60000), http.StatusUnprocessableEntity, "image_too_large"},
			{"HTML renamed", "file", "a.jpg", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), http.StatusUnsupportedMediaType, "unsupported_media_type"},
			{"SVG renamed", "file", "a.jpg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), http.StatusUnsupportedMediaType, "unsupported_media_type"},
			{"PHP renamed", "file", "a.jpg", []byte("<?php system($_GET['c']); ?>"), http.StatusUnsupportedMediaType, "unsupported_media_type"},
			{"wrong field", "photo", "a.jpg", good, http.StatusBadRequest, "validation_failed"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				p := m.upload(t, id, c.field, c.filename, c.data).Expect(t, c.status).Problem(t)
				if p.Code != c.code {
					t.Fatalf("code = %s, want %s (%s)", p.Code, c.code, p.Detail)
				}
			})
		}
		// Not multipart at all.
		s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/listings/" + id + "/images", Token: m.owner, Body: good, ContentType: "image/jpeg"}).
			Expect(t, http.StatusUnsupportedMediaType)
		// Nothing was recorded or stored, and the listing did not change.
		l := s.Get(t, "/api/v1/listings/"+id, m.owner).Expect(t, http.StatusOK).Map(t)
		if len(l["images"].([]any)) != 0 || l["version"] != float64(1) || mediaFiles(t, s) != 0 {
			t.Fatalf("bad uploads left traces: %v images, version %v, %d files", l["images"], l["version"], mediaFiles(t, s))
		}
		m.upload(t, id, "file", "ok.jpg", good).Expect(t, http.StatusCreated)
	})
}

func TestListingUploadWhileMediaStoreDown(t *testing.T) {
	m := newMarket(t, sqliteDB(t), withS3Down(t))
	s := m.s
	id := m.create(t)["id"].(string)
	p := m.upload(t, id, "file", "a.jpg", mediatest.JPEG(t, mediatest.Photo(200, 200, 4))).Expect(t, http.StatusServiceUnavailable).Problem(t)
	if p.Code != "media_unavailable" {
		t.Fatalf("upload with the store down: %+v", p)
	}
	// Listing edits do not need the media store.
	m.patch(t, id, m.owner, `"1"`, map[string]any{"unit": "hộp 250 g"}).Expect(t, http.StatusOK)
	l := s.Get(t, "/api/v1/listings/"+id, m.owner).Expect(t, http.StatusOK).Map(t)
	if len(l["images"].([]any)) != 0 || l["unit"] != "hộp 250 g" {
		t.Fatalf("after failed upload: %v", l)
	}
}

// gate holds the first upload between processing and recording.
type gate struct {
	inner    listings.Images
	once     sync.Once
	started  chan struct{}
	released chan struct{}
}

func (g *gate) Process(ctx context.Context, r io.Reader) (listings.ProcessedImage, error) {
	im, err := g.inner.Process(ctx, r)
	first := false
	g.once.Do(func() { first = true })
	if first {
		close(g.started)
		<-g.released
	}
	return im, err
}

// TestListingUploadLosingTheRaceLeavesNothing: two uploads to a listing
// with room for one both pass the early check; the one that is recorded
// second is refused, and the objects it stored are removed by the media job.
func TestListingUploadLosingTheRaceLeavesNothing(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		m := newMarket(t, db, func(cfg *config.Config) { cfg.ListingMaxImages = 1 })
		s := m.s
		id := m.create(t)["id"].(string)
		g := &gate{inner: s.Listings.Images, started: make(chan struct{}), released: make(chan struct{})}
		s.Listings.Images = g
		// Released on every path: a failed check must not leave the first
		// request hanging (the server's cleanup would wait for it forever).
		release := sync.OnceFunc(func() { close(g.released) })
		defer release()

		photo := mediatest.JPEG(t, mediatest.Photo(300, 300, 5))
		body, ct := multipartFile(t, "file", "a.jpg", photo)
		first := make(chan int, 1)
		go func() {
			req, _ := http.NewRequest(http.MethodPost, s.URL+"/api/v1/listings/"+id+"/images", bytes.NewReader(body))
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Authorization", "Bearer "+m.owner)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				first <- 0
				return
			}
			resp.Body.Close()
			first <- resp.StatusCode
		}()
		<-g.started
		m.upload(t, id, "file", "b.jpg", photo).Expect(t, http.StatusCreated)
		if n := mediaFiles(t, s); n != 4 {
			t.Fatalf("media files while both uploads are stored = %d, want 4", n)
		}
		release()
		if st := <-first; st != http.StatusConflict {
			t.Fatalf("losing upload answered %d, want 409", st)
		}
		s.DrainOutbox()
		if n := mediaFiles(t, s); n != 2 {
			t.Fatalf("media files after the loser was cleaned up = %d, want 2", n)
		}
		l := s.Get(t, "/api/v1/listings/"+id, m.owner).Expect(t, http.StatusOK).Map(t)
		if len(l["images"].([]any)) != 1 {
			t.Fatalf("images: %v", l["images"])
		}
	})
}
