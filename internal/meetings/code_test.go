package meetings

import (
	"bytes"
	"image"
	_ "image/png"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

func TestRegistrationCodes(t *testing.T) {
	s, err := NewSigner([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	same, _ := NewSigner([]byte(strings.Repeat("k", 32)))
	other, _ := NewSigner([]byte(strings.Repeat("x", 32)))
	if !s.PublicKey().Equal(same.PublicKey()) || s.PublicKey().Equal(other.PublicKey()) {
		t.Fatal("the key must follow from the secret alone")
	}
	if _, err := NewSigner([]byte("short")); err == nil {
		t.Fatal("a short secret was accepted")
	}
	g := &ocop.BuyerRegistration{ID: "r1", EventID: "e1", BuyerID: "u1"}
	code := s.Sign(g)
	c, err := VerifyCode(s.PublicKey(), code)
	if err != nil || c != (CodeClaims{RegistrationID: "r1", EventID: "e1", BuyerID: "u1"}) {
		t.Fatalf("claims %+v, %v", c, err)
	}
	for name, bad := range map[string]string{
		"another key":     other.Sign(g),
		"flipped payload": code[:6] + string(code[6]^1) + code[7:],
		"no signature":    code[:strings.LastIndexByte(code, '.')],
		"empty":           "",
		"wrong prefix":    "OCM2" + code[4:],
	} {
		if _, err := s.Verify(bad); !ocop.IsCode(err, ocop.CodeInvalidRegistCode) {
			t.Errorf("%s: %v", name, err)
		}
	}
	png, err := QRCode(code, 256)
	if err != nil || len(png) < 100 || string(png[1:4]) != "PNG" {
		t.Fatalf("QR: %d bytes, %v", len(png), err)
	}
}

// Every code, whatever its ids, must render to a QR that reads back to the
// same text, at the size the API serves and at the smallest we use.
func TestQRCodeReadsBack(t *testing.T) {
	s, _ := NewSigner([]byte(strings.Repeat("k", 32)))
	pure := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true}
	for i := range 100 {
		code := s.Sign(&ocop.BuyerRegistration{ID: uuid.NewString(), EventID: uuid.NewString(), BuyerID: uuid.NewString()})
		size := []int{256, 512}[i%2]
		png, err := QRCode(code, size)
		if err != nil {
			t.Fatal(err)
		}
		img, _, err := image.Decode(bytes.NewReader(png))
		if err != nil {
			t.Fatal(err)
		}
		bmp, err := gozxing.NewBinaryBitmapFromImage(img)
		if err != nil {
			t.Fatal(err)
		}
		res, err := qrcode.NewQRCodeReader().Decode(bmp, pure)
		if err != nil || res.GetText() != code {
			t.Fatalf("%d px: %q reads back as %v (%v)", size, code, res, err)
		}
	}
}

func TestProgrammeSlots(t *testing.T) {
	hcm, _ := time.LoadLocation(ocop.DefaultEventTimeZone)
	p := &ocop.MeetingProgramme{Days: []string{"2030-03-10", "2030-03-11"}, DayStart: "08:00", DayEnd: "09:50", SlotMinutes: 25}
	slots := p.Slots(hcm)
	// 08:00, 08:25, 08:50, 09:15 (09:40 would end after 09:50) on each day.
	if len(slots) != 8 {
		t.Fatalf("%d slots: %+v", len(slots), slots)
	}
	if want := time.Date(2030, 3, 10, 1, 0, 0, 0, time.UTC); !slots[0].Start.Equal(want) || slots[0].Day != "2030-03-10" {
		t.Fatalf("first slot %+v", slots[0])
	}
	if last := slots[7]; !last.End.Equal(time.Date(2030, 3, 11, 2, 40, 0, 0, time.UTC)) || last.Day != "2030-03-11" {
		t.Fatalf("last slot %+v", last)
	}
	if _, ok := p.Slot(hcm, time.Date(2030, 3, 10, 1, 10, 0, 0, time.UTC)); ok {
		t.Fatal("an off-grid time is a slot")
	}
}
