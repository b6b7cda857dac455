package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/config"
	"github.com/ocopconnect/ocopconnect/internal/media/mediatest"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	. "github.com/ocopconnect/ocopconnect/internal/testsupport"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/smtptest"
)

// trade is a marketplace built through the API: a verified producer (owner
// and a staff member) with a published listing, a rival producer with its
// own published listing, two buyers and an admin; e-mail goes to an
// in-process SMTP server.
type trade struct {
	s                     *Server
	smtp                  *smtptest.Server
	owner, staff, rival   actor
	buyer, other, adm     actor
	producer, rivalP      string
	listing, rivalListing string
}

func signUpLang(t *testing.T, s *Server, email, role, lang, name string) actor {
	t.Helper()
	u := s.Post(t, "/api/v1/auth/register", "", map[string]any{
		"email": email, "password": goodPassword, "display_name": name, "role": role, "language": lang,
	}).Expect(t, http.StatusCreated).Map(t)
	return actor{ID: u["id"].(string), Token: login(t, s, email, goodPassword).AccessToken}
}

func publishedListing(t *testing.T, s *Server, owner actor, adm actor, body map[string]any) (producerID, listingID string) {
	t.Helper()
	producerID = s.Post(t, "/api/v1/producers", owner.Token, body).Expect(t, http.StatusCreated).Map(t)["id"].(string)
	s.Post(t, "/api/v1/admin/producers/"+producerID+"/verify", adm.Token, nil).Expect(t, http.StatusOK)
	listingID = s.Post(t, "/api/v1/listings", owner.Token, coffee(producerID)).Expect(t, http.StatusCreated).Map(t)["id"].(string)
	s.Post(t, "/api/v1/listings/"+listingID+"/publish", owner.Token, nil).Expect(t, http.StatusOK)
	return producerID, listingID
}

func newTrade(t *testing.T, db DB, opts ...ServerOption) *trade {
	t.Helper()
	mail := smtptest.Start(t)
	opts = append([]ServerOption{func(c *config.Config) { c.SMTPURL = mail.URL() }}, opts...)
	s := NewServer(t, db, opts...)
	tr := &trade{s: s, smtp: mail, adm: admin(t, s)}
	tr.owner = signUpLang(t, s, "htx@eatu.vn", "producer", "vi", "Chị Hoa")
	tr.staff = signUpLang(t, s, "staff@eatu.vn", "producer", "vi", "Anh Minh")
	tr.rival = signUpLang(t, s, "rival@example.vn", "producer", "vi", "Đối thủ")
	tr.buyer = signUpLang(t, s, "buyer@tokyo-foods.jp", "buyer", "en", "Kenji Sato")
	tr.other = signUpLang(t, s, "other@example.vn", "buyer", "vi", "Người mua khác")
	tr.producer, tr.listing = publishedListing(t, s, tr.owner, tr.adm, producerBody())
	s.Post(t, "/api/v1/producers/"+tr.producer+"/members", tr.owner.Token, map[string]any{"email": "staff@eatu.vn"}).Expect(t, http.StatusCreated)
	rb := producerBody()
	rb["legal_name"], rb["tax_code"] = "Công ty Cà phê Đối Thủ", "6009876543"
	tr.rivalP, tr.rivalListing = publishedListing(t, s, tr.rival, tr.adm, rb)
	return tr
}

// relogin refreshes every token after the fake clock moved past their lifetime.
func (tr *trade) relogin(t *testing.T) {
	t.Helper()
	for _, a := range []*actor{&tr.owner, &tr.staff, &tr.rival, &tr.buyer, &tr.other, &tr.adm} {
		me := tr.s.Store.Users()
		u, err := me.Get(context.Background(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		a.Token = login(t, tr.s, u.Email, goodPassword).AccessToken
	}
}

func (tr *trade) neededBy(days int) string {
	return ocop.DateOf(tr.s.Clock().Now()).AddDate(0, 0, days).Format(time.DateOnly)
}

func (tr *trade) inquiryBody() map[string]any {
	return map[string]any{
		"quantity": 500, "unit": "kg", "target_price_vnd": 190000, "delivery_province_code": "79",
		"needed_by": tr.neededBy(30), "message": "Chúng tôi cần 500 kg Robusta rang mộc cho chuỗi cửa hàng ở TP.HCM.",
		"sample_requested": true,
	}
}

var keySeq int

func (tr *trade) ask(t *testing.T, token, listingID string, body map[string]any) *Response {
	t.Helper()
	keySeq++
	return tr.askWithKey(t, token, listingID, fmt.Sprintf("key-%d-%d", keySeq, time.Now().UnixNano()), body)
}

func (tr *trade) askWithKey(t *testing.T, token, listingID, key string, body any) *Response {
	t.Helper()
	return tr.s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/listings/" + listingID + "/inquiries", Token: token, Body: body,
		Header: map[string]string{"Idempotency-Key": key}})
}

func countRows(t *testing.T, s *Server, query string) int {
	t.Helper()
	var n int
	if err := s.Store.SQLDB().QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func statuses(history []any) []string {
	var out []string
	for _, h := range history {
		e := h.(map[string]any)
		out = append(out, fmt.Sprintf("%s:%v->%s", e["action"], e["from_status"], e["to_status"]))
	}
	return out
}

func TestInquiryConversation(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		tr := newTrade(t, db)
		s := tr.s
		q := tr.ask(t, tr.buyer.Token, tr.listing, tr.inquiryBody()).Expect(t, http.StatusCreated).Map(t)
		id := q["id"].(string)
		if q["status"] != "open" || q["role"] != "buyer" || q["producer_id"] != tr.producer || q["listing_title"] != "Cà phê Robusta rang mộc" ||
			q["unread_count"] != float64(0) || len(q["messages"].([]any)) != 1 || q["target_price_vnd"] != float64(190000) {
			t.Fatalf("created: %v", q)
		}

		// The producer's members see it unread in their list; the rival does not see it.
		page := s.Get(t, "/api/v1/inquiries?role=producer", tr.staff.Token).Expect(t, http.StatusOK).Map(t)
		items := page["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["unread_count"] != float64(1) || page["unread_inquiries"] != float64(1) {
			t.Fatalf("staff list: %v", page)
		}
		if n := len(s.Get(t, "/api/v1/inquiries", tr.rival.Token).Expect(t, http.StatusOK).Map(t)["items"].([]any)); n != 0 {
			t.Fatalf("rival sees %d inquiries", n)
		}
		s.Post(t, "/api/v1/inquiries/"+id+"/read", tr.staff.Token, nil).Expect(t, http.StatusNoContent)
		if got := s.Get(t, "/api/v1/inquiries", tr.staff.Token).Expect(t, http.StatusOK).Map(t); got["unread_inquiries"] != float64(0) {
			t.Fatalf("after read: %v", got)
		}
		// Read markers are per user: the owner has not read it.
		if got := s.Get(t, "/api/v1/inquiries/"+id, tr.owner.Token).Expect(t, http.StatusOK).Map(t); got["unread_count"] != float64(1) || got["role"] != "producer" {
			t.Fatalf("owner view: %v", got)
		}

		// Two hours later the staff member answers: answered, first response recorded.
		s.Clock().Advance(2 * time.Hour)
		tr.relogin(t)
		s.Post(t, "/api/v1/inquiries/"+id+"/messages", tr.staff.Token, map[string]any{"body": "Dạ, bên em có sẵn 500 kg, giao trong 10 ngày."}).
			Expect(t, http.StatusCreated)
		got := s.Get(t, "/api/v1/inquiries/"+id, tr.buyer.Token).Expect(t, http.StatusOK).Map(t)
		if got["status"] != "answered" || got["first_response_at"] == nil || got["unread_count"] != float64(1) || got["message_count"] != float64(2) {
			t.Fatalf("after answer: %v", got)
		}
		s.Post(t, "/api/v1/inquiries/"+id+"/messages", tr.buyer.Token, map[string]any{"body": "Please quote FOB Ho Chi Minh City."}).Expect(t, http.StatusCreated)

		// Two quotes: the second supersedes the first, both stay.
		quote := map[string]any{"unit_price_vnd": 200000, "quantity": 500, "delivery_terms": "fob", "delivery_place": "Cát Lái, TP.HCM",
			"valid_until": tr.neededBy(14), "note": "Giá đã gồm bao bì 1 kg."}
		q1 := s.Post(t, "/api/v1/inquiries/"+id+"/quote", tr.owner.Token, quote).Expect(t, http.StatusCreated).Map(t)
		if q1["total_vnd"] != float64(100_000_000) || q1["unit"] != "kg" || q1["delivery_terms"] != "FOB" || q1["status"] != "active" {
			t.Fatalf("quote: %v", q1)
		}
		quote["unit_price_vnd"] = 195000
		s.Post(t, "/api/v1/inquiries/"+id+"/quote", tr.owner.Token, quote).Expect(t, http.StatusCreated)
		got = s.Get(t, "/api/v1/inquiries/"+id, tr.buyer.Token).Expect(t, http.StatusOK).Map(t)
		quotes := got["quotes"].([]any)
		if got["status"] != "quoted" || len(quotes) != 2 || quotes[0].(map[string]any)["status"] != "superseded" ||
			quotes[1].(map[string]any)["status"] != "active" || quotes[1].(map[string]any)["unit_price_vnd"] != float64(195000) {
			t.Fatalf("after quotes: %v", got)
		}
		// The buyer wins the deal; the thread is then closed.
		closed := s.Post(t, "/api/v1/inquiries/"+id+"/close", tr.buyer.Token, map[string]any{"outcome": "won", "reason": "Đồng ý báo giá."}).
			Expect(t, http.StatusOK).Map(t)
		want := []string{"created:<nil>->open", "answered:open->answered", "quoted:answered->quoted", "requoted:quoted->quoted", "closed_won:quoted->closed_won"}
		if closed["status"] != "closed_won" || closed["closed_at"] == nil || fmt.Sprint(statuses(closed["history"].([]any))) != fmt.Sprint(want) {
			t.Fatalf("history = %v, want %v", statuses(closed["history"].([]any)), want)
		}
		actors := []any{tr.buyer.ID, tr.staff.ID, tr.owner.ID, tr.owner.ID, tr.buyer.ID}
		for i, h := range closed["history"].([]any) {
			if h.(map[string]any)["actor_id"] != actors[i] || h.(map[string]any)["at"] == nil {
				t.Fatalf("history[%d] = %v, want actor %v", i, h, actors[i])
			}
		}
		p := s.Post(t, "/api/v1/inquiries/"+id+"/messages", tr.owner.Token, map[string]any{"body": "Cảm ơn!"}).Expect(t, http.StatusConflict).Problem(t)
		if p.Code != "inquiry_closed" {
			t.Fatalf("message after close: %+v", p)
		}
		s.Post(t, "/api/v1/inquiries/"+id+"/quote", tr.owner.Token, quote).Expect(t, http.StatusConflict)

		// In-app notifications on both sides.
		kinds := func(token string) []string {
			var out []string
			for _, n := range s.Get(t, "/api/v1/notifications", token).Expect(t, http.StatusOK).Map(t)["items"].([]any) {
				out = append(out, n.(map[string]any)["kind"].(string))
			}
			return out
		}
		if got := fmt.Sprint(kinds(tr.buyer.Token)); got != "[inquiry.quote inquiry.quote inquiry.reply]" {
			t.Fatalf("buyer notifications: %s", got)
		}
		if got := fmt.Sprint(kinds(tr.owner.Token)); got != "[inquiry.closed inquiry.reply inquiry.new]" {
			t.Fatalf("owner notifications: %s", got)
		}
		if got := fmt.Sprint(kinds(tr.staff.Token)); got != "[inquiry.closed inquiry.reply inquiry.new]" {
			t.Fatalf("staff notifications (not told of their own reply): %s", got)
		}
		ns := s.Get(t, "/api/v1/notifications?limit=1", tr.buyer.Token).Expect(t, http.StatusOK).Map(t)
		if ns["unread_count"] != float64(3) || ns["next_cursor"] == nil {
			t.Fatalf("notification page: %v", ns)
		}
		nid := ns["items"].([]any)[0].(map[string]any)["id"].(string)
		s.Post(t, "/api/v1/notifications/"+nid+"/read", tr.buyer.Token, nil).Expect(t, http.StatusNoContent)
		s.Post(t, "/api/v1/notifications/"+nid+"/read", tr.other.Token, nil).Expect(t, http.StatusNotFound) // another user's
		rest := s.Get(t, "/api/v1/notifications?cursor="+ns["next_cursor"].(string), tr.buyer.Token).Expect(t, http.StatusOK).Map(t)
		if len(rest["items"].([]any)) != 2 || rest["unread_count"] != float64(2) {
			t.Fatalf("second page: %v", rest)
		}
		if m := s.Post(t, "/api/v1/notifications/read", tr.buyer.Token, nil).Expect(t, http.StatusOK).Map(t); m["marked"] != float64(2) {
			t.Fatalf("read all: %v", m)
		}

		// E-mails: each notification once, in the recipient's language.
		s.DrainOutbox()
		s.DrainOutbox()
		ownerMail := tr.smtp.To("htx@eatu.vn")
		buyerMail := tr.smtp.To("buyer@tokyo-foods.jp")
		if len(ownerMail) != 3 || len(buyerMail) != 3 || len(tr.smtp.To("staff@eatu.vn")) != 3 {
			t.Fatalf("mails: owner %d, buyer %d, staff %d", len(ownerMail), len(buyerMail), len(tr.smtp.To("staff@eatu.vn")))
		}
		var newMail, quoteMail *smtptest.Message
		for i := range ownerMail {
			if strings.HasPrefix(ownerMail[i].Subject(), "Yêu cầu mới") {
				newMail = &ownerMail[i]
			}
		}
		for i := range buyerMail {
			if strings.Contains(buyerMail[i].Text(), "195,000 VND") {
				quoteMail = &buyerMail[i]
			}
		}
		if newMail == nil || quoteMail == nil {
			t.Fatalf("missing mails: owner %v / buyer %v", subjects(ownerMail), subjects(buyerMail))
		}
		if newMail.Subject() != `Yêu cầu mới về "Cà phê Robusta rang mộc"` ||
			!strings.Contains(newMail.Text(), "Chào Chị Hoa") || !strings.Contains(newMail.Text(), "Số lượng: 500 kg") ||
			!strings.Contains(newMail.Text(), "Giá mong muốn: 190.000 ₫ / kg") || !strings.Contains(newMail.Text(), "Người mua đề nghị gửi mẫu.") ||
			!strings.Contains(newMail.Text(), "Kenji Sato") || !strings.Contains(newMail.Text(), id) ||
			!strings.Contains(newMail.From, "no-reply@ocopconnect.vn") {
			t.Fatalf("new-inquiry mail:\nsubject %s\nfrom %s\n%s", newMail.Subject(), newMail.From, newMail.Text())
		}
		if quoteMail.Subject() != `Quote for "Cà phê Robusta rang mộc"` || !strings.Contains(quoteMail.Text(), "Hello Kenji Sato") ||
			!strings.Contains(quoteMail.Text(), "Total: 97,500,000 VND") || !strings.Contains(quoteMail.Text(), "Delivery terms: FOB Cát Lái, TP.HCM") ||
			!strings.Contains(quoteMail.Header("Message-Id"), "notification-") {
			t.Fatalf("quote mail:\nsubject %s\n%s", quoteMail.Subject(), quoteMail.Text())
		}

		// Responsiveness on the public profile: 1 of 1 answered, after 2 hours.
		prof := s.Get(t, "/api/v1/producers/"+tr.producer, "").Expect(t, http.StatusOK).Map(t)
		r := prof["responsiveness"].(map[string]any)
		if r["inquiries_received"] != float64(1) || r["inquiries_answered"] != float64(1) || r["response_rate"] != float64(1) ||
			r["median_first_response_seconds"] != float64(7200) || r["period_days"] != float64(90) {
			t.Fatalf("responsiveness: %v", r)
		}
		prof = s.Get(t, "/api/v1/producers/"+tr.rivalP, "").Expect(t, http.StatusOK).Map(t)
		if r := prof["responsiveness"].(map[string]any); r["inquiries_received"] != float64(0) || r["response_rate"] != nil || r["median_first_response_seconds"] != nil {
			t.Fatalf("rival responsiveness: %v", r)
		}
	})
}

func subjects(ms []smtptest.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Subject())
	}
	return out
}

func TestInquiryListFiltersAndCursor(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		tr := newTrade(t, db)
		s := tr.s
		var ids []string
		for range 5 {
			ids = append(ids, tr.ask(t, tr.buyer.Token, tr.listing, tr.inquiryBody()).Expect(t, http.StatusCreated).Map(t)["id"].(string))
		}
		tr.ask(t, tr.buyer.Token, tr.rivalListing, tr.inquiryBody()).Expect(t, http.StatusCreated)
		s.Post(t, "/api/v1/inquiries/"+ids[1]+"/close", tr.buyer.Token, map[string]any{"outcome": "withdrawn"}).Expect(t, http.StatusOK)

		// Pages of two, newest first; a reply to an old inquiry in between
		// does not move anything between pages.
		var seen []string
		cursor := ""
		for i := 0; ; i++ {
			path := "/api/v1/inquiries?role=buyer&listing_id=" + tr.listing + "&limit=2"
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			page := s.Get(t, path, tr.buyer.Token).Expect(t, http.StatusOK).Map(t)
			for _, it := range page["items"].([]any) {
				seen = append(seen, it.(map[string]any)["id"].(string))
			}
			if i == 0 {
				s.Post(t, "/api/v1/inquiries/"+ids[0]+"/messages", tr.owner.Token, map[string]any{"body": "Dạ có ạ"}).Expect(t, http.StatusCreated)
			}
			if page["next_cursor"] == nil {
				break
			}
			cursor = page["next_cursor"].(string)
		}
		want := []string{ids[4], ids[3], ids[2], ids[1], ids[0]}
		if fmt.Sprint(seen) != fmt.Sprint(want) {
			t.Fatalf("pages = %v, want %v", seen, want)
		}
		page := s.Get(t, "/api/v1/inquiries?status=withdrawn,expired", tr.buyer.Token).Expect(t, http.StatusOK).Map(t)
		if items := page["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != ids[1] || page["unread_inquiries"] != float64(1) {
			t.Fatalf("status filter: %v", page)
		}
		today := ocop.DateOf(s.Clock().Now()).Format(time.DateOnly)
		if n := len(s.Get(t, "/api/v1/inquiries?created_from="+today+"&created_to="+today, tr.buyer.Token).Expect(t, http.StatusOK).Map(t)["items"].([]any)); n != 6 {
			t.Fatalf("today: %d", n)
		}
		if n := len(s.Get(t, "/api/v1/inquiries?created_from="+tr.neededBy(1), tr.buyer.Token).Expect(t, http.StatusOK).Map(t)["items"].([]any)); n != 0 {
			t.Fatalf("tomorrow: %d", n)
		}
		for _, bad := range []string{"status=done", "role=admin", "created_from=yesterday", "cursor=%21%21", "limit=0"} {
			s.Get(t, "/api/v1/inquiries?"+bad, tr.buyer.Token).Expect(t, http.StatusBadRequest)
		}
	})
}

func TestInquiryIdempotency(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		tr := newTrade(t, db)
		s := tr.s
		body := tr.inquiryBody()
		first := tr.askWithKey(t, tr.buyer.Token, tr.listing, "order-1", body).Expect(t, http.StatusCreated)
		again := tr.askWithKey(t, tr.buyer.Token, tr.listing, "order-1", body).Expect(t, http.StatusCreated)
		if again.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(first.Body, again.Body) ||
			again.Header.Get("Location") != first.Header.Get("Location") {
			t.Fatalf("replay: %v %s", again.Header, again.Body)
		}
		if first.Header.Get("Idempotent-Replayed") != "" {
			t.Fatal("first response marked replayed")
		}
		changed := tr.inquiryBody()
		changed["quantity"] = 600
		if p := tr.askWithKey(t, tr.buyer.Token, tr.listing, "order-1", changed).Expect(t, http.StatusUnprocessableEntity).Problem(t); p.Code != "idempotency_key_reused" {
			t.Fatalf("changed body: %+v", p)
		}
		// The same key from another user is another request.
		tr.askWithKey(t, tr.other.Token, tr.listing, "order-1", body).Expect(t, http.StatusCreated)
		if n := countRows(t, s, "SELECT COUNT(*) FROM inquiries"); n != 2 {
			t.Fatalf("inquiries = %d, want 2", n)
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM outbox WHERE topic = 'notify.email'"); n != 4 {
			t.Fatalf("e-mails queued = %d, want 4 (2 members x 2 inquiries)", n)
		}
		// 20 concurrent requests with one new key: exactly one inquiry.
		start := make(chan struct{})
		var wg sync.WaitGroup
		codes := make([]int, 20)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				codes[i] = tr.askWithKey(t, tr.buyer.Token, tr.listing, "order-2", body).Status
			}()
		}
		close(start)
		wg.Wait()
		for _, c := range codes {
			if c != http.StatusCreated && c != http.StatusConflict {
				t.Fatalf("concurrent statuses: %v", codes)
			}
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM inquiries"); n != 3 {
			t.Fatalf("inquiries after 20 concurrent = %d, want 3", n)
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM inquiry_messages"); n != 3 {
			t.Fatalf("messages = %d, want 3", n)
		}
		tr.s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/listings/" + tr.listing + "/inquiries", Token: tr.buyer.Token, Body: body}).
			Expect(t, http.StatusBadRequest)
	})
}

func TestInquiryOthersGet404(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		tr := newTrade(t, db)
		s := tr.s
		id := tr.ask(t, tr.buyer.Token, tr.listing, tr.inquiryBody()).Expect(t, http.StatusCreated).Map(t)["id"].(string)
		for _, who := range []actor{tr.other, tr.rival, tr.adm} {
			s.Get(t, "/api/v1/inquiries/"+id, who.Token).Expect(t, http.StatusNotFound)
			s.Post(t, "/api/v1/inquiries/"+id+"/messages", who.Token, map[string]any{"body": "hello"}).Expect(t, http.StatusNotFound)
			s.Post(t, "/api/v1/inquiries/"+id+"/quote", who.Token, map[string]any{"unit_price_vnd": 1, "quantity": 1,
				"delivery_terms": "EXW", "valid_until": tr.neededBy(3)}).Expect(t, http.StatusNotFound)
			s.Post(t, "/api/v1/inquiries/"+id+"/close", who.Token, map[string]any{"outcome": "lost"}).Expect(t, http.StatusNotFound)
			s.Post(t, "/api/v1/inquiries/"+id+"/read", who.Token, nil).Expect(t, http.StatusNotFound)
			s.Get(t, "/api/v1/inquiries/"+id+"/attachments/x", who.Token).Expect(t, http.StatusNotFound)
		}
		s.Get(t, "/api/v1/inquiries/"+id, "").Expect(t, http.StatusUnauthorized)
		// Sides keep to their own actions.
		if p := s.Post(t, "/api/v1/inquiries/"+id+"/quote", tr.buyer.Token, map[string]any{"unit_price_vnd": 1, "quantity": 1,
			"delivery_terms": "EXW", "valid_until": tr.neededBy(3)}).Expect(t, http.StatusForbidden).Problem(t); p.Code != "forbidden" {
			t.Fatalf("buyer quoting: %+v", p)
		}
		s.Post(t, "/api/v1/inquiries/"+id+"/close", tr.owner.Token, map[string]any{"outcome": "withdrawn"}).Expect(t, http.StatusForbidden)
		s.Post(t, "/api/v1/inquiries/"+id+"/close", tr.buyer.Token, map[string]any{"outcome": "spam"}).Expect(t, http.StatusForbidden)
		if p := s.Post(t, "/api/v1/inquiries/"+id+"/close", tr.owner.Token, map[string]any{"outcome": "won"}).Expect(t, http.StatusConflict).Problem(t); p.Code != "invalid_state" {
			t.Fatalf("won before a reply: %+v", p)
		}
		s.Post(t, "/api/v1/inquiries/"+id+"/close", tr.owner.Token, map[string]any{"outcome": "maybe"}).Expect(t, http.StatusBadRequest)
		if got := s.Get(t, "/api/v1/inquiries/"+id, tr.buyer.Token).Expect(t, http.StatusOK).Map(t); got["status"] != "open" || len(got["history"].([]any)) != 1 {
			t.Fatalf("refused actions changed the inquiry: %v", got)
		}
	})
}

func TestInquiryBadInput(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		tr := newTrade(t, db)
		s := tr.s
		draft := s.Post(t, "/api/v1/listings", tr.owner.Token, coffee(tr.producer)).Expect(t, http.StatusCreated).Map(t)["id"].(string)
		cases := []struct {
			name    string
			token   string
			listing string
			change  map[string]any
			status  int
			code    string
			field   string
		}{
			{"quantity 0", tr.buyer.Token, tr.listing, map[string]any{"quantity": 0}, 400, "validation_failed", "quantity"},
			{"negative quantity", tr.buyer.Token, tr.listing, map[string]any{"quantity": -5}, 400, "validation_failed", "quantity"},
			{"needed by yesterday", tr.buyer.Token, tr.listing, map[string]any{"needed_by": tr.neededBy(-1)}, 400, "validation_failed", "needed_by"},
			{"needed by not a date", tr.buyer.Token, tr.listing, map[string]any{"needed_by": "31/12/2026"}, 400, "validation_failed", "needed_by"},
			{"message too long", tr.buyer.Token, tr.listing, map[string]any{"message": strings.Repeat("á", ocop.InquiryMessageMax+1)}, 400, "validation_failed", "message"},
			{"empty message", tr.buyer.Token, tr.listing, map[string]any{"message": "   "}, 400, "validation_failed", "message"},
			{"unknown province", tr.buyer.Token, tr.listing, map[string]any{"delivery_province_code": "99"}, 400, "validation_failed", "delivery_province_code"},
			{"zero target price", tr.buyer.Token, tr.listing, map[string]any{"target_price_vnd": 0}, 400, "validation_failed", "target_price_vnd"},
			{"quantity as text", tr.buyer.Token, tr.listing, map[string]any{"quantity": "500"}, 400, "validation_failed", "quantity"},
			{"unpublished listing", tr.buyer.Token, draft, nil, 404, "not_found", ""},
			{"missing listing", tr.buyer.Token, "0190a0b0-0000-7000-8000-000000000000", nil, 404, "not_found", ""},
			{"own listing", tr.staff.Token, tr.listing, nil, 403, "own_listing", ""},
			{"own draft", tr.owner.Token, draft, nil, 403, "own_listing", ""},
		}
		for _, c := range cases {
			body := tr.inquiryBody()
			for k, v := range c.change {
				body[k] = v
			}
			p := tr.ask(t, c.token, c.listing, body).Expect(t, c.status).Problem(t)
			if p.Code != c.code || (c.field != "" && !p.HasField(c.field)) {
				t.Errorf("%s: %+v", c.name, p)
			}
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM inquiries"); n != 0 {
			t.Fatalf("bad input stored %d inquiries", n)
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM notifications"); n != 0 {
			t.Fatalf("bad input stored %d notifications", n)
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM rate_counters WHERE bucket LIKE 'inquiry:%'"); n != 0 {
			t.Fatalf("refused inquiries counted against the rate limit: %d", n)
		}
		// Bad messages and quotes on a real inquiry.
		id := tr.ask(t, tr.buyer.Token, tr.listing, tr.inquiryBody()).Expect(t, http.StatusCreated).Map(t)["id"].(string)
		s.Post(t, "/api/v1/inquiries/"+id+"/messages", tr.buyer.Token, map[string]any{"body": ""}).Expect(t, http.StatusBadRequest)
		s.Post(t, "/api/v1/inquiries/"+id+"/messages", tr.buyer.Token, map[string]any{"body": strings.Repeat("x", 5001)}).Expect(t, http.StatusBadRequest)
		for _, q := range []map[string]any{
			{"unit_price_vnd": 0, "quantity": 10, "delivery_terms": "EXW", "valid_until": tr.neededBy(3)},
			{"unit_price_vnd": 1000, "quantity": 10, "delivery_terms": "FREE", "valid_until": tr.neededBy(3)},
			{"unit_price_vnd": 1000, "quantity": 10, "delivery_terms": "EXW", "valid_until": tr.neededBy(-1)},
			{"unit_price_vnd": 1000, "quantity": -1, "delivery_terms": "EXW", "valid_until": tr.neededBy(3)},
		} {
			s.Post(t, "/api/v1/inquiries/"+id+"/quote", tr.owner.Token, q).Expect(t, http.StatusBadRequest)
		}
		got := s.Get(t, "/api/v1/inquiries/"+id, tr.buyer.Token).Expect(t, http.StatusOK).Map(t)
		if got["status"] != "open" || len(got["messages"].([]any)) != 1 || len(got["quotes"].([]any)) != 0 {
			t.Fatalf("bad messages/quotes stored something: %v", got)
		}
	})
}

func TestInquiryRateLimits(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		tr := newTrade(t, db, func(c *config.Config) {
			c.InquiryMaxPerHour, c.InquiryMaxPerDay, c.InquirySpamReporters, c.InquirySpamMaxPerDay = 2, 3, 2, 1
		})
		s := tr.s
		tr.ask(t, tr.buyer.Token, tr.listing, tr.inquiryBody()).Expect(t, http.StatusCreated)
		tr.ask(t, tr.buyer.Token, tr.listing, tr.inquiryBody()).Expect(t, http.StatusCreated)
		r := tr.ask(t, tr.buyer.Token, tr.listing, tr.inquiryBody()).Expect(t, http.StatusTooManyRequests)
		if p := r.Problem(t); p.Code != "rate_limited" || r.Header.Get("Retry-After") == "" {
			t.Fatalf("429: %+v %v", p, r.Header)
		}
		// Another buyer is not affected.
		tr.ask(t, tr.other.Token, tr.listing, tr.inquiryBody()).Expect(t, http.StatusCreated)
		// Two hours on, the hourly limit allows one more; the daily one stops the next.
		s.Clock().Advance(2 * time.Hour)
		tr.relogin(t)
		tr.ask(t, tr.buyer.Token, tr.rivalListing, tr.inquiryBody()).Expect(t, http.StatusCreated)
		tr.ask(t, tr.buyer.Token, tr.listing, tr.inquiryBody()).Expect(t, http.StatusTooManyRequests)
		if n := countRows(t, s, "SELECT COUNT(*) FROM inquiries WHERE buyer_id = '"+tr.buyer.ID+"'"); n != 3 {
			t.Fatalf("buyer inquiries = %d, want 3", n)
		}

		// The other buyer is reported as spam by two producers: throttled to one a day.
		s.Clock().Advance(25 * time.Hour)
		tr.relogin(t)
		a := tr.ask(t, tr.other.Token, tr.listing, tr.inquiryBody()).Expect(t, http.StatusCreated).Map(t)["id"].(string)
		b := tr.ask(t, tr.other.Token, tr.rivalListing, tr.inquiryBody()).Expect(t, http.StatusCreated).Map(t)["id"].(string)
		s.Post(t, "/api/v1/inquiries/"+a+"/close", tr.owner.Token, map[string]any{"outcome": "spam"}).Expect(t, http.StatusOK)
		s.Post(t, "/api/v1/inquiries/"+b+"/close", tr.rival.Token, map[string]any{"outcome": "spam"}).Expect(t, http.StatusOK)
		s.Clock().Advance(2 * time.Hour)
		tr.relogin(t)
		tr.ask(t, tr.other.Token, tr.listing, tr.inquiryBody()).Expect(t, http.StatusTooManyRequests)
		// The reported buyer was not told.
		for _, n := range s.Get(t, "/api/v1/notifications", tr.other.Token).Expect(t, http.StatusOK).Map(t)["items"].([]any) {
			if n.(map[string]any)["kind"] == "inquiry.closed" {
				t.Fatalf("spam report notified the buyer: %v", n)
			}
		}
	})
}

func TestInquiryExpiry(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		tr := newTrade(t, db, func(c *config.Config) { c.InquiryExpiryDays = 3 })
		s := tr.s
		stale := tr.ask(t, tr.buyer.Token, tr.listing, tr.inquiryBody()).Expect(t, http.StatusCreated).Map(t)["id"].(string)
		answered := tr.ask(t, tr.buyer.Token, tr.listing, tr.inquiryBody()).Expect(t, http.StatusCreated).Map(t)["id"].(string)
		s.Post(t, "/api/v1/inquiries/"+answered+"/messages", tr.owner.Token, map[string]any{"body": "Dạ có ạ"}).Expect(t, http.StatusCreated)
		s.DrainOutbox()
		before := len(tr.smtp.Messages())

		// A day before the limit: the producer's members are warned, once.
		s.Clock().Advance(2*24*time.Hour + time.Hour)
		s.Runner.RunPeriodicNow(context.Background())
		s.DrainOutbox()
		warned := tr.smtp.Messages()[before:]
		if len(warned) != 2 || !strings.Contains(warned[0].Subject(), "sắp hết hạn") {
			t.Fatalf("warnings: %v", subjects(warned))
		}
		tr.relogin(t)
		if got := s.Get(t, "/api/v1/inquiries/"+stale, tr.buyer.Token).Expect(t, http.StatusOK).Map(t); got["status"] != "open" {
			t.Fatalf("expired early: %v", got["status"])
		}

		// Past the limit: expired by the system, both sides told.
		s.Clock().Advance(24 * time.Hour)
		s.Runner.RunPeriodicNow(context.Background())
		s.DrainOutbox()
		tr.relogin(t)
		got := s.Get(t, "/api/v1/inquiries/"+stale, tr.buyer.Token).Expect(t, http.StatusOK).Map(t)
		hist := got["history"].([]any)
		last := hist[len(hist)-1].(map[string]any)
		if got["status"] != "expired" || last["actor_id"] != nil || last["to_status"] != "expired" || last["from_status"] != "open" {
			t.Fatalf("after expiry: %v", got)
		}
		if s.Get(t, "/api/v1/inquiries/"+answered, tr.buyer.Token).Expect(t, http.StatusOK).Map(t)["status"] != "answered" {
			t.Fatal("an answered inquiry expired")
		}
		expiredMails := tr.smtp.To("buyer@tokyo-foods.jp")
		lastMail := expiredMails[len(expiredMails)-1]
		if lastMail.Subject() != `Inquiry about "Cà phê Robusta rang mộc" expired` || !strings.Contains(lastMail.Text(), "within 3 days") {
			t.Fatalf("expiry mail: %s\n%s", lastMail.Subject(), lastMail.Text())
		}
		if n := len(tr.smtp.Messages()) - before; n != 2+3 {
			t.Fatalf("mails after expiry = %d, want 2 warnings + 3 expiry notices", n)
		}
		s.Post(t, "/api/v1/inquiries/"+stale+"/messages", tr.owner.Token, map[string]any{"body": "Xin lỗi"}).Expect(t, http.StatusConflict)
		// Responsiveness counts the unanswered one.
		r := s.Get(t, "/api/v1/producers/"+tr.producer, "").Expect(t, http.StatusOK).Map(t)["responsiveness"].(map[string]any)
		if r["inquiries_received"] != float64(2) || r["inquiries_answered"] != float64(1) || r["response_rate"] != 0.5 {
			t.Fatalf("responsiveness: %v", r)
		}
	})
}

func TestInquiryEmailRetries(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		tr := newTrade(t, db)
		s := tr.s
		tr.smtp.Refuse(true)
		tr.ask(t, tr.buyer.Token, tr.listing, tr.inquiryBody()).Expect(t, http.StatusCreated)
		s.DrainOutbox()
		if n := len(tr.smtp.Messages()); n != 0 {
			t.Fatalf("refused server received %d", n)
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM notifications WHERE emailed_at IS NULL"); n != 2 {
			t.Fatalf("unmailed notifications = %d", n)
		}
		// The server is back: after the backoff every e-mail goes out once.
		tr.smtp.Refuse(false)
		s.Clock().Advance(10 * time.Minute)
		s.DrainOutbox()
		s.Clock().Advance(10 * time.Minute)
		s.DrainOutbox()
		if n := len(tr.smtp.Messages()); n != 2 {
			t.Fatalf("mails after recovery = %d, want 2", n)
		}
		if n := countRows(t, s, "SELECT COUNT(*) FROM notifications WHERE emailed_at IS NULL"); n != 0 {
			t.Fatalf("unmailed notifications = %d", n)
		}
	})
}

// messageParts builds a multipart message body with files.
func messageParts(t *testing.T, text string, files map[string][]byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := w.WriteField("body", text); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; filename="`+name+`"`)
		h.Set("Content-Type", "application/octet-stream")
		fw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

func TestInquiryAttachments(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		tr := newTrade(t, db)
		s := tr.s
		id := tr.ask(t, tr.buyer.Token, tr.listing, tr.inquiryBody()).Expect(t, http.StatusCreated).Map(t)["id"].(string)
		photo := mediatest.JPEG(t, mediatest.Photo(800, 600, 7))
		pdf := []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
		body, ct := messageParts(t, "Ảnh mẫu và bảng giá đính kèm.", map[string][]byte{"mau.jpg": photo, "bang-gia.pdf": pdf})
		m := s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/inquiries/" + id + "/messages", Token: tr.owner.Token, Body: body, ContentType: ct}).
			Expect(t, http.StatusCreated).Map(t)
		atts := m["attachments"].([]any)
		if len(atts) != 2 || m["body"] != "Ảnh mẫu và bảng giá đính kèm." {
			t.Fatalf("message: %v", m)
		}
		for _, a := range atts {
			a := a.(map[string]any)
			r := s.Get(t, a["url"].(string), tr.buyer.Token).Expect(t, http.StatusOK)
			switch a["kind"] {
			case "document":
				if !bytes.Equal(r.Body, pdf) || r.Header.Get("Content-Type") != "application/pdf" {
					t.Fatalf("pdf: %s %q", r.Header.Get("Content-Type"), r.Body)
				}
			case "image":
				if r.Header.Get("Content-Type") != "image/jpeg" || mediatest.HasMetadata(r.Body) || a["width"] != float64(800) {
					t.Fatalf("image: %v %v", a, r.Header)
				}
				s.Get(t, a["thumbnail_url"].(string), tr.buyer.Token).Expect(t, http.StatusOK)
			default:
				t.Fatalf("kind %v", a["kind"])
			}
			s.Get(t, a["url"].(string), tr.other.Token).Expect(t, http.StatusNotFound)
			s.Get(t, a["url"].(string), tr.rival.Token).Expect(t, http.StatusNotFound)
		}
		files := mediaFiles(t, s)
		// A file that is neither an image nor a PDF: 415, and nothing kept.
		body, ct = messageParts(t, "xem file", map[string][]byte{"a.jpg": photo, "virus.exe": []byte("MZ\x90\x00 this is not an image")})
		s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/inquiries/" + id + "/messages", Token: tr.owner.Token, Body: body, ContentType: ct}).
			Expect(t, http.StatusUnsupportedMediaType)
		if got := mediaFiles(t, s); got != files {
			t.Fatalf("media files %d -> %d after a refused message", files, got)
		}
		// An outsider's upload is refused before anything is stored.
		body, ct = messageParts(t, "hi", map[string][]byte{"a.jpg": photo})
		s.Do(t, Req{Method: http.MethodPost, Path: "/api/v1/inquiries/" + id + "/messages", Token: tr.other.Token, Body: body, ContentType: ct}).
			Expect(t, http.StatusNotFound)
		if got := mediaFiles(t, s); got != files {
			t.Fatalf("outsider upload stored files: %d -> %d", files, got)
		}
		if n := len(s.Get(t, "/api/v1/inquiries/"+id, tr.buyer.Token).Expect(t, http.StatusOK).Map(t)["messages"].([]any)); n != 2 {
			t.Fatalf("messages = %d", n)
		}
	})
}
