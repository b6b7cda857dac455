package mailer

import "testing"

func TestParseURL(t *testing.T) {
	for _, ok := range []string{"smtp://mail.example.vn", "smtp://u:p@mail.example.vn:587?tls=mandatory", "smtps://u:p@mail.example.vn", "smtp://127.0.0.1:2525?tls=none"} {
		if _, err := ParseURL(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://mail.example.vn", "smtp://", "smtp://host:99999", "smtp://host?tls=maybe", "mail.example.vn:25", "::"} {
		if _, err := ParseURL(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestSplitAddress(t *testing.T) {
	for _, c := range []struct{ in, name, addr string }{
		{"OCOP Connect <no-reply@ocopconnect.vn>", "OCOP Connect", "no-reply@ocopconnect.vn"},
		{`"Trung tâm XTTM" <xttm@daklak.gov.vn>`, "Trung tâm XTTM", "xttm@daklak.gov.vn"},
		{"plain@example.vn", "", "plain@example.vn"},
	} {
		if n, a := splitAddress(c.in); n != c.name || a != c.addr {
			t.Errorf("splitAddress(%q) = %q, %q", c.in, n, a)
		}
	}
}
