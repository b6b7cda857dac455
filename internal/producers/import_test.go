package producers_test

import (
	"context"
	"testing"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/producers"
	"github.com/ocopconnect/ocopconnect/internal/testsupport"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func TestImportMatchesAndUpdates(t *testing.T) {
	testsupport.ForEachDatabase(t, func(t *testing.T, db testsupport.DB) {
		s := testsupport.NewServer(t, db)
		ctx := context.Background()
		svc := s.Producers
		in := producers.ProducerInput{LegalName: "Hợp tác xã Xanh Krông Búk", Kind: ocop.KindCooperative,
			ProvinceCode: "66", CommuneCode: "24310", Phone: "0912345678"}

		p1, created, err := svc.ImportProducer(ctx, in, false, "")
		if err != nil || !created || p1.Status != ocop.ProducerPending {
			t.Fatalf("first import: %+v %v %v", p1, created, err)
		}
		// Same name written without diacritics, same commune: the same producer, now with a tax code.
		in2 := in
		in2.LegalName, in2.TaxCode, in2.Phone = "HOP TAC XA XANH KRONG BUK", "6483756893", ""
		p2, created, err := svc.ImportProducer(ctx, in2, true, "")
		if err != nil || created || p2.ID != p1.ID || p2.TaxCode != "6483756893" || p2.Phone != "0912345678" || !p2.Verified() {
			t.Fatalf("second import: %+v created=%v %v", p2, created, err)
		}
		// Matched by tax code even after a rename and a move.
		in3 := in2
		in3.LegalName, in3.CommuneCode = "HTX Xanh", "24163"
		p3, created, err := svc.ImportProducer(ctx, in3, true, "")
		if err != nil || created || p3.ID != p1.ID || p3.LegalName != "HTX Xanh" {
			t.Fatalf("third import: %+v created=%v %v", p3, created, err)
		}
		// Bad reference data is refused like any input.
		bad := in
		bad.CommuneCode = "00004"
		if _, _, err := svc.ImportProducer(ctx, bad, false, ""); !ocop.IsCode(err, ocop.CodeValidation) {
			t.Fatalf("commune of another province: %v", err)
		}

		cin := producers.CertificateInput{ProductName: "Cà phê bột nguyên chất", ProductGroup: "food", ProductSet: "coffee_cocoa",
			Stars: 3, DecisionNumber: "1344/QĐ-UBND", DecisionDate: "2024-03-30", IssuingLevel: ocop.IssuingProvincial, IssuingBody: "UBND Tỉnh Đắk Lắk"}
		c1, created, err := svc.ImportCertificate(ctx, p1.ID, cin, true, "")
		if err != nil || !created {
			t.Fatalf("certificate import: %+v %v", c1, err)
		}
		wantStatus := ocop.CertVerified
		if c1.ExpiresOn.Before(ocop.DateOf(s.Clock().Now())) {
			wantStatus = ocop.CertExpired
		}
		if c1.Status != wantStatus || c1.ExpiresOn.String() != "2027-03-30" {
			t.Fatalf("certificate: status %s expiry %s", c1.Status, c1.ExpiresOn)
		}
		cin.ProductName, cin.Stars = "CÀ PHÊ BỘT NGUYÊN CHẤT", 4
		c2, created, err := svc.ImportCertificate(ctx, p1.ID, cin, true, "")
		if err != nil || created || c2.ID != c1.ID || c2.Stars != 4 {
			t.Fatalf("certificate re-import: %+v created=%v %v", c2, created, err)
		}
		if _, _, err := svc.ImportCertificate(ctx, "no-such-producer", cin, true, ""); !ocop.IsCode(err, ocop.CodeNotFound) {
			t.Fatalf("unknown producer: %v", err)
		}
	})
}
