package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/config"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/producers"
	. "github.com/ocopconnect/ocopconnect/internal/testsupport"
)

// actor is a signed-in test user.
type actor struct {
	ID    string
	Token string
}

func signUp(t *testing.T, s *Server, email, role string) actor {
	t.Helper()
	u := register(t, s, email, role)
	return actor{ID: u["id"].(string), Token: login(t, s, email, goodPassword).AccessToken}
}

func admin(t *testing.T, s *Server) actor {
	t.Helper()
	u, err := s.Accounts.CreateUser(context.Background(), registerInput("admin@example.vn", ocop.RoleAdmin))
	if err != nil {
		t.Fatal(err)
	}
	return actor{ID: u.ID, Token: login(t, s, "admin@example.vn", goodPassword).AccessToken}
}

// A cooperative in the new Phường Tân An (66 Đắk Lắk).
func producerBody() map[string]any {
	return map[string]any{
		"legal_name": "Hợp tác xã Cà phê Ea Tu", "kind": "cooperative", "tax_code": "6001234567",
		"province_code": "66", "commune_code": "24163", "address": "Thôn 3, Phường Tân An, Đắk Lắk",
		"phone": "0912 345 678", "email": "htx@eatu.vn", "description_vi": "Cà phê Robusta rang mộc",
	}
}

func certBody(stars int, decisionDate string) map[string]any {
	level := "provincial"
	body := "UBND Tỉnh Đắk Lắk"
	if stars == 5 {
		level, body = "national", "Bộ Nông nghiệp và Môi trường"
	}
	return map[string]any{
		"product_name": "Cà phê bột Ea Tu", "product_group": "food", "product_set": "coffee_cocoa", "stars": stars,
		"decision_number": "1344/QĐ-UBND", "decision_date": decisionDate, "issuing_level": level, "issuing_body": body,
	}
}

func createProducer(t *testing.T, s *Server, owner actor) string {
	t.Helper()
	return s.Post(t, "/api/v1/producers", owner.Token, producerBody()).Expect(t, http.StatusCreated).Map(t)["id"].(string)
}

func daysAgo(s *Server, n int) string {
	return ocop.DateOf(s.Clock().Now()).AddDate(0, 0, -n).Format(time.DateOnly)
}

func outboxKeys(t *testing.T, s *Server, topic string) []string {
	t.Helper()
	var keys []string
	rows, err := s.Store.SQLDB().Query(`SELECT key FROM outbox WHERE topic = `+placeholder(s)+` ORDER BY id`, topic)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	return keys
}

func placeholder(s *Server) string {
	if s.Store.Dialect() == "postgres" {
		return "$1"
	}
	return "?"
}

func TestProducerCertificateFlow(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		s := NewServer(t, db)
		owner := signUp(t, s, "owner@eatu.vn", "producer")
		adm := admin(t, s)

		prof := s.Post(t, "/api/v1/producers", owner.Token, producerBody()).Expect(t, http.StatusCreated).Map(t)
		id := prof["id"].(string)
		if prof["status"] != "pending" || prof["commune_name"] != "Phường Tân An" || prof["province_name"] != "Tỉnh Đắk Lắk" ||
			prof["phone"] != "0912345678" || prof["caller_role"] != "owner" || prof["stars"] != nil {
			t.Fatalf("created profile: %v", prof)
		}

		// A 4-star certificate decided 100 days ago: pending, invisible to the public.
		cert := s.Post(t, "/api/v1/producers/"+id+"/certifications", owner.Token, certBody(4, daysAgo(s, 100))).Expect(t, http.StatusCreated).Map(t)
		certID := cert["id"].(string)
		wantExpiry := ocop.DateOf(s.Clock().Now()).AddDate(0, 0, -100).AddDate(0, 36, 0).Format(time.DateOnly)
		if cert["status"] != "pending" || cert["expires_on"] != wantExpiry || cert["in_force"] != false || cert["legal_basis"] != "148/2023" {
			t.Fatalf("created certificate: %v (want expiry %s)", cert, wantExpiry)
		}
		if items := s.Get(t, "/api/v1/producers/"+id+"/certifications", "").Expect(t, http.StatusOK).Map(t)["items"].([]any); len(items) != 0 {
			t.Fatalf("the public sees a pending certificate: %v", items)
		}
		if items := s.Get(t, "/api/v1/producers/"+id+"/certifications", owner.Token).Expect(t, http.StatusOK).Map(t)["items"].([]any); len(items) != 1 {
			t.Fatalf("the owner sees %d certificates", len(items))
		}
		s.Get(t, "/api/v1/certifications/"+certID, "").Expect(t, http.StatusNotFound)

		// Only admins verify.
		s.Post(t, "/api/v1/admin/certifications/"+certID+"/verify", owner.Token, nil).Expect(t, http.StatusForbidden)
		v := s.Post(t, "/api/v1/admin/certifications/"+certID+"/verify", adm.Token, nil).Expect(t, http.StatusOK).Map(t)
		if v["status"] != "verified" || v["in_force"] != true {
			t.Fatalf("verified certificate: %v", v)
		}
		s.Post(t, "/api/v1/admin/certifications/"+certID+"/verify", adm.Token, nil).Expect(t, http.StatusConflict)
		s.Post(t, "/api/v1/admin/producers/"+id+"/verify", adm.Token, map[string]string{"reason": "checked against the business register"}).Expect(t, http.StatusOK)

		// The public profile shows the verified producer and its certificate in force.
		pub := s.Get(t, "/api/v1/producers/"+id, "").Expect(t, http.StatusOK).Map(t)
		inForce := pub["certificates_in_force"].([]any)
		if pub["verified"] != true || pub["stars"] != float64(4) || len(inForce) != 1 || pub["caller_role"] != nil {
			t.Fatalf("public profile: %v", pub)
		}
		c0 := inForce[0].(map[string]any)
		exp, _ := time.Parse(time.DateOnly, wantExpiry)
		wantDays := float64(int(exp.Sub(ocop.DateOf(s.Clock().Now()).Time).Hours() / 24))
		if c0["id"] != certID || c0["days_to_expiry"] != wantDays {
			t.Fatalf("certificate in force: %v", c0)
		}
		if keys := outboxKeys(t, s, producers.TopicCertificateChanged); len(keys) != 1 || keys[0] != certID {
			t.Fatalf("certificate.changed messages: %v", keys)
		}
		if keys := outboxKeys(t, s, producers.TopicProducerChanged); len(keys) != 1 || keys[0] != id {
			t.Fatalf("producer.changed messages: %v", keys)
		}
		// Messages without a handler yet (search consumes them) must not break the workers.
		s.DrainOutbox()

		// The use-case methods other features rely on.
		ctx := ocop.WithPrincipal(context.Background(), ocop.Principal{UserID: owner.ID, Roles: []ocop.Role{ocop.RoleProducer}})
		if role, err := s.Producers.CallerRole(ctx, id); err != nil || role != ocop.MemberOwner {
			t.Fatalf("CallerRole = %q, %v", role, err)
		}
		if ok, err := s.Producers.IsVerified(ctx, id); err != nil || !ok {
			t.Fatalf("IsVerified = %v, %v", ok, err)
		}
		cs, err := s.Producers.CertificatesInForce(ctx, id, s.Clock().Now())
		if err != nil || len(cs) != 1 || cs[0].Stars != 4 || cs[0].CurrentGroup != "food" {
			t.Fatalf("CertificatesInForce = %+v, %v", cs, err)
		}

		// Renaming a verified producer sends it back to pending.
		p := s.Do(t, Req{Method: http.MethodPatch, Path: "/api/v1/producers/" + id, Token: owner.Token,
			Body: map[string]any{"legal_name": "HTX Cà phê Ea Tu Buôn Ma Thuột"}}).Expect(t, http.StatusOK).Map(t)
		if p["status"] != "pending" || p["verified"] != false || p["legal_name"] != "HTX Cà phê Ea Tu Buôn Ma Thuột" {
			t.Fatalf("after rename: %v", p)
		}
		// A description edit keeps the status (verify again first).
		s.Post(t, "/api/v1/admin/producers/"+id+"/verify", adm.Token, nil).Expect(t, http.StatusOK)
		p = s.Do(t, Req{Method: http.MethodPatch, Path: "/api/v1/producers/" + id, Token: owner.Token,
			Body: map[string]any{"description_en": "Sun-dried Robusta"}}).Expect(t, http.StatusOK).Map(t)
		if p["status"] != "verified" || p["description_en"] != "Sun-dried Robusta" {
			t.Fatalf("after description edit: %v", p)
		}

		// Revoked: gone from the public view at once.
		s.Post(t, "/api/v1/admin/certifications/"+certID+"/revoke", adm.Token, map[string]string{}).Expect(t, http.StatusBadRequest)
		s.Post(t, "/api/v1/admin/certifications/"+certID+"/revoke", adm.Token, map[string]string{"reason": "the decision was annulled"}).Expect(t, http.StatusOK)
		pub = s.Get(t, "/api/v1/producers/"+id, "").Expect(t, http.StatusOK).Map(t)
		if len(pub["certificates_in_force"].([]any)) != 0 || pub["stars"] != nil {
			t.Fatalf("revoked certificate still shown: %v", pub)
		}
		if items := s.Get(t, "/api/v1/producers/"+id+"/certifications", "").Expect(t, http.StatusOK).Map(t)["items"].([]any); len(items) != 0 {
			t.Fatalf("the public still lists a revoked certificate: %v", items)
		}
		s.Get(t, "/api/v1/certifications/"+certID, "").Expect(t, http.StatusNotFound)

		// The audit trail recorded who did what.
		trail, err := s.Store.AuditLog().ForObject(context.Background(), "certificate", certID)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range trail {
			actions = append(actions, e.Action+"/"+map[bool]string{true: "admin", false: "owner"}[e.ActorID == adm.ID])
		}
		if strings.Join(actions, " ") != "certificate.created/owner certificate.verified/admin certificate.revoked/admin" {
			t.Fatalf("audit trail: %v", actions)
		}
	})
}

func TestCertificateExpiry(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		s := NewServer(t, db)
		owner := signUp(t, s, "owner@eatu.vn", "producer")
		adm := admin(t, s)
		id := createProducer(t, s, owner)
		// Decided 10 days ago with an explicit expiry in 5 days.
		body := certBody(5, daysAgo(s, 10))
		body["expires_on"] = ocop.DateOf(s.Clock().Now()).AddDate(0, 0, 5).Format(time.DateOnly)
		certID := s.Post(t, "/api/v1/producers/"+id+"/certifications", owner.Token, body).Expect(t, http.StatusCreated).Map(t)["id"].(string)
		s.Post(t, "/api/v1/admin/certifications/"+certID+"/verify", adm.Token, nil).Expect(t, http.StatusOK)
		pub := s.Get(t, "/api/v1/producers/"+id, "").Expect(t, http.StatusOK).Map(t)
		if pub["stars"] != float64(5) || pub["certificates_in_force"].([]any)[0].(map[string]any)["days_to_expiry"] != float64(5) {
			t.Fatalf("before expiry: %v", pub)
		}

		// Seven days later it no longer counts, even before the sweep runs.
		s.Clock().Advance(7 * 24 * time.Hour)
		owner.Token = login(t, s, "owner@eatu.vn", goodPassword).AccessToken
		adm.Token = login(t, s, "admin@example.vn", goodPassword).AccessToken
		pub = s.Get(t, "/api/v1/producers/"+id, "").Expect(t, http.StatusOK).Map(t)
		if len(pub["certificates_in_force"].([]any)) != 0 || pub["stars"] != nil {
			t.Fatalf("expired certificate still counts: %v", pub)
		}
		// The sweep marks it expired, audits it and tells search.
		s.Runner.RunPeriodicNow(context.Background())
		c := s.Get(t, "/api/v1/certifications/"+certID, owner.Token).Expect(t, http.StatusOK).Map(t)
		if c["status"] != "expired" || c["in_force"] != false {
			t.Fatalf("after sweep: %v", c)
		}
		trail, err := s.Store.AuditLog().ForObject(context.Background(), "certificate", certID)
		if err != nil {
			t.Fatal(err)
		}
		last := trail[len(trail)-1]
		if last.Action != "certificate.expired" || last.ActorID != "" || !strings.Contains(string(last.Before), `"verified"`) || !strings.Contains(string(last.After), `"expired"`) {
			t.Fatalf("audit entry: %+v before=%s after=%s", last, last.Before, last.After)
		}
		if keys := outboxKeys(t, s, producers.TopicCertificateChanged); len(keys) != 2 {
			t.Fatalf("certificate.changed messages: %v", keys)
		}
		// An expired certificate cannot be revoked or verified again.
		s.Post(t, "/api/v1/admin/certifications/"+certID+"/verify", adm.Token, nil).Expect(t, http.StatusConflict)
	})
}

func TestProducerBadInput(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		s := NewServer(t, db)
		owner := signUp(t, s, "owner@eatu.vn", "producer")
		with := func(k string, v any) map[string]any {
			b := producerBody()
			b[k] = v
			return b
		}
		for _, c := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"commune not in province", with("province_code", "01"), "commune_code"},
			{"unknown province", with("province_code", "02"), "province_code"},
			{"tax code of 9 digits", with("tax_code", "600123456"), "tax_code"},
			{"unknown kind", with("kind", "company"), "kind"},
			{"bad phone", with("phone", "12345"), "phone"},
			{"bad website", with("website", "ftp://x.vn"), "website"},
			{"missing name", with("legal_name", "  "), "legal_name"},
		} {
			t.Run(c.name, func(t *testing.T) {
				p := s.Post(t, "/api/v1/producers", owner.Token, c.body).Expect(t, http.StatusBadRequest).Problem(t)
				if p.Code != "validation_failed" || !p.HasField(c.field) {
					t.Fatalf("problem %+v does not name %s", p, c.field)
				}
			})
		}
		// A buyer cannot register a producer.
		buyer := signUp(t, s, "buyer@example.vn", "buyer")
		s.Post(t, "/api/v1/producers", buyer.Token, producerBody()).Expect(t, http.StatusForbidden)
		// Nothing half-written.
		if page := s.Get(t, "/api/v1/producers", "").Expect(t, http.StatusOK).Map(t); len(page["items"].([]any)) != 0 {
			t.Fatalf("bad input left producers behind: %v", page)
		}
		// The same tax code twice is a conflict naming the field.
		createProducer(t, s, owner)
		p := s.Post(t, "/api/v1/producers", owner.Token, with("legal_name", "Another")).Expect(t, http.StatusConflict).Problem(t)
		if !p.HasField("tax_code") {
			t.Fatalf("conflict does not name tax_code: %+v", p)
		}
		// A branch tax code is fine.
		s.Post(t, "/api/v1/producers", owner.Token, with("tax_code", "6001234567-001")).Expect(t, http.StatusCreated)
	})
}

func TestCertificateBadInput(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		s := NewServer(t, db)
		owner := signUp(t, s, "owner@eatu.vn", "producer")
		id := createProducer(t, s, owner)
		tomorrow := ocop.DateOf(s.Clock().Now()).AddDate(0, 0, 1).Format(time.DateOnly)
		with := func(k string, v any) map[string]any {
			b := certBody(4, daysAgo(s, 30))
			b[k] = v
			return b
		}
		for _, c := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"stars 2", with("stars", 2), "stars"},
			{"stars 6", with("stars", 6), "stars"},
			{"decision date in the future", with("decision_date", tomorrow), "decision_date"},
			{"expiry before decision", with("expires_on", daysAgo(s, 40)), "expires_on"},
			{"5 stars from a province", with("stars", 5), "issuing_level"},
			{"4 stars from the ministry", with("issuing_level", "national"), "issuing_level"},
			{"set of another group", with("product_set", "spirits"), "product_set"},
			{"unknown legal basis", with("legal_basis", "999/2030"), "legal_basis"},
			{"148/2023 decision before 2023", with("decision_date", "2022-05-01"), "decision_date"},
			{"not a date", with("decision_date", "30/03/2024"), "decision_date"},
		} {
			t.Run(c.name, func(t *testing.T) {
				p := s.Post(t, "/api/v1/producers/"+id+"/certifications", owner.Token, c.body).Expect(t, http.StatusBadRequest).Problem(t)
				if p.Code != "validation_failed" || !p.HasField(c.field) {
					t.Fatalf("problem %+v does not name %s", p, c.field)
				}
			})
		}
		// An old certificate under Decision 1048/2019 with its own group.
		old := certBody(3, "2021-06-01")
		old["legal_basis"], old["product_group"], old["product_set"] = "1048/2019", "herbs", "herb_products"
		c := s.Post(t, "/api/v1/producers/"+id+"/certifications", owner.Token, old).Expect(t, http.StatusCreated).Map(t)
		if c["current_group"] != "herbal" {
			t.Fatalf("1048/2019 group not mapped: %v", c)
		}
		// The same product under the same decision twice is a conflict.
		s.Post(t, "/api/v1/producers/"+id+"/certifications", owner.Token, old).Expect(t, http.StatusConflict)
	})
}

func uploadDocument(t *testing.T, s *Server, token, certID, name string, content []byte) *Response {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	part, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(content)
	w.Close()
	return s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/certifications/" + certID + "/document", Token: token,
		Body: buf.Bytes(), ContentType: w.FormDataContentType()})
}

func TestCertificateDocument(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		s := NewServer(t, db, func(cfg *config.Config) { cfg.CertificateDocumentMaxBytes = 4096 })
		owner := signUp(t, s, "owner@eatu.vn", "producer")
		stranger := signUp(t, s, "other@example.vn", "producer")
		adm := admin(t, s)
		id := createProducer(t, s, owner)
		certID := s.Post(t, "/api/v1/producers/"+id+"/certifications", owner.Token, certBody(4, daysAgo(s, 3))).Expect(t, http.StatusCreated).Map(t)["id"].(string)

		// A Windows executable named like a PDF is refused by its content.
		exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), bytes.Repeat([]byte{0}, 200)...)
		p := uploadDocument(t, s, owner.Token, certID, "chung-nhan.pdf", exe).Expect(t, http.StatusUnsupportedMediaType).Problem(t)
		if p.Code != "unsupported_media_type" || !p.HasField("file") {
			t.Fatalf("exe upload: %+v", p)
		}
		// Too large while streaming.
		big := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("x"), 5000)...)
		p = uploadDocument(t, s, owner.Token, certID, "big.pdf", big).Expect(t, http.StatusRequestEntityTooLarge).Problem(t)
		if !p.HasField("file") {
			t.Fatalf("oversize upload: %+v", p)
		}
		// Another producer's certificate: 404.
		pdf := []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
		uploadDocument(t, s, stranger.Token, certID, "x.pdf", pdf).Expect(t, http.StatusNotFound)

		c := uploadDocument(t, s, owner.Token, certID, "scan.pdf", pdf).Expect(t, http.StatusOK).Map(t)
		doc := c["document"].(map[string]any)
		if doc["content_type"] != "application/pdf" || doc["size"] != float64(len(pdf)) {
			t.Fatalf("document: %v", doc)
		}
		got := s.Get(t, "/api/v1/certifications/"+certID+"/document", owner.Token).Expect(t, http.StatusOK)
		if !bytes.Equal(got.Body, pdf) || got.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("downloaded %q (%s)", got.Body, got.Header.Get("Content-Type"))
		}
		s.Get(t, "/api/v1/certifications/"+certID+"/document", stranger.Token).Expect(t, http.StatusNotFound)
		s.Get(t, "/api/v1/certifications/"+certID+"/document", adm.Token).Expect(t, http.StatusOK)

		// Replacing it: the old object is deleted by a worker.
		png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 100)...)
		uploadDocument(t, s, owner.Token, certID, "scan.png", png).Expect(t, http.StatusOK)
		oldKeys := outboxKeys(t, s, producers.TopicMediaDelete)
		if len(oldKeys) != 1 {
			t.Fatalf("media.delete messages: %v", oldKeys)
		}
		if _, err := s.Blobs.Stat(context.Background(), oldKeys[0]); err != nil {
			t.Fatalf("old document gone before the worker ran: %v", err)
		}
		s.DrainOutbox()
		if _, err := s.Blobs.Stat(context.Background(), oldKeys[0]); !ocop.IsCode(err, ocop.CodeNotFound) {
			t.Fatalf("old document still stored: %v", err)
		}
		got = s.Get(t, "/api/v1/certifications/"+certID+"/document", owner.Token).Expect(t, http.StatusOK)
		if !bytes.Equal(got.Body, png) {
			t.Fatal("the replacement was not served")
		}

		// Once verified, the document is fixed.
		s.Post(t, "/api/v1/admin/certifications/"+certID+"/verify", adm.Token, nil).Expect(t, http.StatusOK)
		uploadDocument(t, s, owner.Token, certID, "scan.pdf", pdf).Expect(t, http.StatusConflict)
	})
}

func TestMembersAndAuthorisation(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		s := NewServer(t, db)
		owner := signUp(t, s, "owner@eatu.vn", "producer")
		staff := signUp(t, s, "staff@eatu.vn", "producer")
		other := signUp(t, s, "other@example.vn", "producer")
		signUp(t, s, "buyer@example.vn", "buyer")
		id := createProducer(t, s, owner)

		// Another producer cannot see members, edit, or add certificates: 404.
		s.Get(t, "/api/v1/producers/"+id+"/members", other.Token).Expect(t, http.StatusNotFound)
		s.Do(t, Req{Method: http.MethodPatch, Path: "/api/v1/producers/" + id, Token: other.Token, Body: map[string]any{"phone": "0911111111"}}).Expect(t, http.StatusNotFound)
		s.Post(t, "/api/v1/producers/"+id+"/certifications", other.Token, certBody(3, daysAgo(s, 1))).Expect(t, http.StatusNotFound)

		p := s.Post(t, "/api/v1/producers/"+id+"/members", owner.Token, map[string]string{"email": "buyer@example.vn"}).Expect(t, http.StatusBadRequest).Problem(t)
		if !p.HasField("email") {
			t.Fatalf("adding a buyer: %+v", p)
		}
		s.Post(t, "/api/v1/producers/"+id+"/members", owner.Token, map[string]string{"email": "nobody@example.vn"}).Expect(t, http.StatusBadRequest)
		m := s.Post(t, "/api/v1/producers/"+id+"/members", owner.Token, map[string]string{"email": "Staff@Eatu.vn"}).Expect(t, http.StatusCreated).Map(t)
		if m["role"] != "staff" || m["user_id"] != staff.ID {
			t.Fatalf("member: %v", m)
		}
		s.Post(t, "/api/v1/producers/"+id+"/members", owner.Token, map[string]string{"email": "staff@eatu.vn"}).Expect(t, http.StatusConflict)

		// Staff edit the profile and add certificates, but not members.
		s.Do(t, Req{Method: http.MethodPatch, Path: "/api/v1/producers/" + id, Token: staff.Token, Body: map[string]any{"phone": "0911111111"}}).Expect(t, http.StatusOK)
		s.Post(t, "/api/v1/producers/"+id+"/certifications", staff.Token, certBody(3, daysAgo(s, 1))).Expect(t, http.StatusCreated)
		s.Post(t, "/api/v1/producers/"+id+"/members", staff.Token, map[string]string{"email": "other@example.vn"}).Expect(t, http.StatusForbidden)
		s.Do(t, Req{Method: http.MethodDelete, Path: "/api/v1/producers/" + id + "/members/" + owner.ID, Token: staff.Token}).Expect(t, http.StatusForbidden)
		s.Do(t, Req{Method: http.MethodDelete, Path: "/api/v1/producers/" + id + "/members/" + owner.ID, Token: owner.Token}).Expect(t, http.StatusConflict)
		ms := s.Get(t, "/api/v1/producers/"+id+"/members", staff.Token).Expect(t, http.StatusOK).Map(t)["items"].([]any)
		if len(ms) != 2 || ms[0].(map[string]any)["role"] != "owner" {
			t.Fatalf("members: %v", ms)
		}
		mine := s.Get(t, "/api/v1/me/producers", staff.Token).Expect(t, http.StatusOK).Map(t)["items"].([]any)
		if len(mine) != 1 || mine[0].(map[string]any)["role"] != "staff" {
			t.Fatalf("my producers: %v", mine)
		}
		s.Do(t, Req{Method: http.MethodDelete, Path: "/api/v1/producers/" + id + "/members/" + staff.ID, Token: owner.Token}).Expect(t, http.StatusNoContent)
		s.Get(t, "/api/v1/producers/"+id+"/members", staff.Token).Expect(t, http.StatusNotFound)

		// Only admins verify or reject; a rejected producer is hidden from the public.
		s.Post(t, "/api/v1/admin/producers/"+id+"/verify", owner.Token, nil).Expect(t, http.StatusForbidden)
		adm := admin(t, s)
		s.Post(t, "/api/v1/admin/producers/"+id+"/reject", adm.Token, map[string]string{"reason": ""}).Expect(t, http.StatusBadRequest)
		r := s.Post(t, "/api/v1/admin/producers/"+id+"/reject", adm.Token, map[string]string{"reason": "tax code does not match the name"}).Expect(t, http.StatusOK).Map(t)
		if r["status"] != "rejected" || r["status_reason"] != "tax code does not match the name" {
			t.Fatalf("rejected: %v", r)
		}
		s.Get(t, "/api/v1/producers/"+id, "").Expect(t, http.StatusNotFound)
		s.Get(t, "/api/v1/producers/"+id, owner.Token).Expect(t, http.StatusOK)
		// Fixing the profile asks for review again.
		r = s.Do(t, Req{Method: http.MethodPatch, Path: "/api/v1/producers/" + id, Token: owner.Token, Body: map[string]any{"tax_code": "6001234568"}}).Expect(t, http.StatusOK).Map(t)
		if r["status"] != "pending" {
			t.Fatalf("after fixing: %v", r)
		}
	})
}

func TestProducerDirectory(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		s := NewServer(t, db)
		owner := signUp(t, s, "owner@eatu.vn", "producer")
		adm := admin(t, s)
		var ids []string
		for i, place := range [][2]string{{"66", "24163"}, {"66", "24163"}, {"01", "00004"}} {
			b := producerBody()
			b["legal_name"] = fmt.Sprintf("Hợp tác xã Đắk Nông %d", i)
			b["tax_code"] = fmt.Sprintf("600123456%d", i)
			b["province_code"], b["commune_code"] = place[0], place[1]
			ids = append(ids, s.Post(t, "/api/v1/producers", owner.Token, b).Expect(t, http.StatusCreated).Map(t)["id"].(string))
		}
		s.Post(t, "/api/v1/admin/producers/"+ids[1]+"/verify", adm.Token, nil).Expect(t, http.StatusOK)

		list := func(q string) []string {
			m := s.Get(t, "/api/v1/producers"+q, "").Expect(t, http.StatusOK).Map(t)
			var out []string
			for _, it := range m["items"].([]any) {
				out = append(out, it.(map[string]any)["id"].(string))
			}
			return out
		}
		if got := list("?province_code=66"); len(got) != 2 {
			t.Fatalf("province filter: %v", got)
		}
		if got := list("?verified=true"); len(got) != 1 || got[0] != ids[1] {
			t.Fatalf("verified filter: %v", got)
		}
		if got := list("?q=dak+nong+2"); len(got) != 1 || got[0] != ids[2] {
			t.Fatalf("unaccented name search: %v", got)
		}
		// Paging with an opaque cursor visits each producer once.
		var seen []string
		cursor := ""
		for range 5 {
			m := s.Get(t, "/api/v1/producers?limit=2&cursor="+cursor, "").Expect(t, http.StatusOK).Map(t)
			for _, it := range m["items"].([]any) {
				seen = append(seen, it.(map[string]any)["id"].(string))
			}
			if m["next_cursor"] == nil {
				break
			}
			cursor = m["next_cursor"].(string)
		}
		if strings.Join(seen, ",") != strings.Join(ids, ",") {
			t.Fatalf("paged %v, want %v", seen, ids)
		}
		for _, q := range []string{"?province_code=02", "?kind=company", "?limit=0", "?verified=maybe", "?cursor=!!!"} {
			s.Get(t, "/api/v1/producers"+q, "").Expect(t, http.StatusBadRequest)
		}
	})
}

func TestPlacesAndTaxonomy(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		s := NewServer(t, db)
		ps := s.Get(t, "/api/v1/places/provinces", "").Expect(t, http.StatusOK).Map(t)["provinces"].([]any)
		if len(ps) != 34 {
			t.Fatalf("%d provinces", len(ps))
		}
		cs := s.Get(t, "/api/v1/places/provinces/66/communes", "").Expect(t, http.StatusOK).Map(t)
		if cs["province"].(map[string]any)["name"] != "Tỉnh Đắk Lắk" || len(cs["communes"].([]any)) < 50 {
			t.Fatalf("communes of 66: %v", cs["province"])
		}
		s.Get(t, "/api/v1/places/provinces/02/communes", "").Expect(t, http.StatusNotFound)

		for _, q := range []string{
			"?address=" + urlq("Xã Ea Tu, Thành phố Buôn Ma Thuột, Tỉnh Đắk Lắk"),
			"?commune=" + urlq("xa ea tu"),
			"?code=24163",
		} {
			r := s.Get(t, "/api/v1/places/legacy-communes"+q, "").Expect(t, http.StatusOK).Map(t)
			c, _ := r["commune"].(map[string]any)
			if c == nil || c["code"] != "24163" || c["name"] != "Phường Tân An" {
				t.Fatalf("%s resolved to %v", q, r)
			}
		}
		s.Get(t, "/api/v1/places/legacy-communes?commune="+urlq("Xã Không Có"), "").Expect(t, http.StatusNotFound)
		s.Get(t, "/api/v1/places/legacy-communes", "").Expect(t, http.StatusBadRequest)

		tx := s.Get(t, "/api/v1/taxonomy", "").Expect(t, http.StatusOK).Map(t)
		if tx["current"] != "148/2023" || len(tx["versions"].([]any)) != 2 {
			t.Fatalf("taxonomy: %v", tx["current"])
		}
		raw, _ := json.Marshal(tx)
		if !strings.Contains(string(raw), `"Cà phê, ca cao"`) {
			t.Fatal("taxonomy lacks the coffee set")
		}
	})
}

func urlq(s string) string { return url.QueryEscape(s) }

func TestConcurrentReviewsActOnce(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		s := NewServer(t, db)
		owner := signUp(t, s, "owner@eatu.vn", "producer")
		adm := admin(t, s)
		id := createProducer(t, s, owner)
		certID := s.Post(t, "/api/v1/producers/"+id+"/certifications", owner.Token, certBody(4, daysAgo(s, 3))).Expect(t, http.StatusCreated).Map(t)["id"].(string)

		start := make(chan struct{})
		statuses := make(chan int, 6)
		for range 6 {
			go func() {
				<-start
				statuses <- s.Post(t, "/api/v1/admin/certifications/"+certID+"/verify", adm.Token, nil).Status
			}()
		}
		close(start)
		ok := 0
		for range 6 {
			switch st := <-statuses; st {
			case http.StatusOK:
				ok++
			case http.StatusConflict, http.StatusServiceUnavailable:
			default:
				t.Fatalf("unexpected status %d", st)
			}
		}
		trail, err := s.Store.AuditLog().ForObject(context.Background(), "certificate", certID)
		if err != nil {
			t.Fatal(err)
		}
		verified := 0
		for _, e := range trail {
			if e.Action == "certificate.verified" {
				verified++
			}
		}
		if ok != 1 || verified != 1 || len(outboxKeys(t, s, producers.TopicCertificateChanged)) != 1 {
			t.Fatalf("%d verifications succeeded, %d audited; want exactly one", ok, verified)
		}
	})
}
