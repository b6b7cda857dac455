package notify

import (
	"strings"
	"testing"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

func TestFormatVND(t *testing.T) {
	for _, c := range []struct{ in, lang, want string }{
		{"0", "vi", "0 ₫"},
		{"999", "vi", "999 ₫"},
		{"1000", "vi", "1.000 ₫"},
		{"190000", "vi", "190.000 ₫"},
		{"97500000", "en", "97,500,000 VND"},
		{"-1250000", "en", "-1,250,000 VND"},
		{"abc", "vi", "abc"},
	} {
		if got := FormatVND(c.in, c.lang); got != c.want {
			t.Errorf("FormatVND(%q, %q) = %q, want %q", c.in, c.lang, got, c.want)
		}
	}
}

// Every kind renders in both languages without missing fields showing up
// as template noise.
func TestRenderEveryKind(t *testing.T) {
	kinds := []ocop.NotificationKind{ocop.NotifyInquiryNew, ocop.NotifyInquiryReply, ocop.NotifyInquiryQuote,
		ocop.NotifyInquiryClosed, ocop.NotifyInquiryExpiry, ocop.NotifyInquiryExpired}
	for _, lang := range []ocop.Language{ocop.LangVietnamese, ocop.LangEnglish, ""} {
		for _, k := range kinds {
			n := &ocop.Notification{ID: "n1", Kind: k, InquiryID: "inq-1", Data: map[string]string{
				"listing_title": "Mật ong bạc hà", "status": "closed_lost", "unit_price_vnd": "350000", "total_vnd": "35000000",
				"quantity": "100", "unit": "chai",
			}}
			e, err := Render(n, &ocop.User{Email: "a@example.vn", DisplayName: "Lan", Language: lang})
			if err != nil {
				t.Fatalf("%s/%s: %v", lang, k, err)
			}
			if !strings.Contains(e.Subject, "Mật ong bạc hà") || !strings.Contains(e.Text, "inq-1") || strings.Contains(e.Text, "<no value>") {
				t.Errorf("%s/%s: %q\n%s", lang, k, e.Subject, e.Text)
			}
			if strings.Contains(e.Subject, "\n") {
				t.Errorf("%s/%s: subject spans lines: %q", lang, k, e.Subject)
			}
		}
	}
	e, _ := Render(&ocop.Notification{Kind: ocop.NotifyInquiryClosed, Data: map[string]string{"listing_title": "x", "status": "closed_lost"}},
		&ocop.User{Language: ocop.LangEnglish})
	if !strings.Contains(e.Text, "closed (no deal)") {
		t.Errorf("status text: %s", e.Text)
	}
}

func TestRenderBookingKinds(t *testing.T) {
	kinds := []ocop.NotificationKind{ocop.NotifyBookingReceived, ocop.NotifyBookingConfirmed, ocop.NotifyBookingRejected,
		ocop.NotifyBookingCancelled, ocop.NotifyBookingHoldExpiring, ocop.NotifyBookingHoldExpired, ocop.NotifyBookingOffer,
		ocop.NotifyBookingOfferLapsed, ocop.NotifyEventCancelled}
	want := map[ocop.Language]string{ocop.LangVietnamese: "17:00 ngày 05/06/2026", ocop.LangEnglish: "17:00, 5 Jun 2026"}
	for _, lang := range []ocop.Language{ocop.LangVietnamese, ocop.LangEnglish} {
		for _, audience := range []string{"producer", "organiser"} {
			for _, k := range kinds {
				n := &ocop.Notification{ID: "n1", Kind: k, EventID: "ev-1", BookingID: "bk-1", Data: map[string]string{
					"event_name": "Hội chợ OCOP Đắk Lắk", "venue": "Quảng trường 10/3", "booth_code": "A7", "zone": "A",
					"producer_name": "HTX Cà phê Ea Tu", "price_vnd": "5000000", "status": "pending", "audience": audience,
					"time_zone": "Asia/Ho_Chi_Minh", "starts_at": "2026-07-01T08:00:00+07:00", "respond_by": "2026-06-05T17:00:00+07:00",
				}}
				e, err := Render(n, &ocop.User{Email: "a@example.vn", DisplayName: "Lan", Language: lang})
				if err != nil {
					t.Fatalf("%s/%s: %v", lang, k, err)
				}
				if !strings.Contains(e.Subject, "Hội chợ OCOP Đắk Lắk") || strings.Contains(e.Subject, "\n") ||
					!strings.Contains(e.Text, "A7") || !strings.Contains(e.Text, "bk-1") || strings.Contains(e.Text, "<no value>") {
					t.Errorf("%s/%s/%s: %q\n%s", lang, k, audience, e.Subject, e.Text)
				}
				switch k {
				case ocop.NotifyBookingReceived, ocop.NotifyBookingHoldExpiring, ocop.NotifyBookingOffer:
					if !strings.Contains(e.Text, want[lang]) || !strings.Contains(e.Text, "Asia/Ho_Chi_Minh") {
						t.Errorf("%s/%s: no respond-by time %q in\n%s", lang, k, want[lang], e.Text)
					}
				}
			}
		}
	}
}
